package explore

import (
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"vmabench/strategies"
)

var (
	flagSchedule = flag.String("vmabench.schedule", "", "replay this failure seed (STRATEGY/SCENARIO/SCHEDULE, as a failure prints it) in TestReplay")
	flagRuns     = flag.Int("vmabench.runs", 0, "PCT runs per scenario, design and depth (0: 100; 10 with -short or -race)")
	flagDFS      = flag.Int("vmabench.dfs", 0, "most schedules of one DFS search (0: 12000; 300 with -short or -race); the search of a small scenario is exhaustive if it ends first")
	flagStrategy = flag.String("vmabench.strategy", "", "explore only the designs whose name matches this regexp")
	flagScenario = flag.String("vmabench.scenario", "", "explore only the scenarios whose name matches this regexp")
	flagSeed     = flag.Uint64("vmabench.seed", 1, "seed of the first PCT run")
	flagMutant   = flag.Bool("vmabench.mutant", false, "run TestMutant, the sweep make mutants judges a mutant by")
	flagBudget   = flag.Int("vmabench.budget", 0, "most schedules TestMutant runs in all (0: its sweep's)")
)

func runs() int {
	switch {
	case *flagRuns > 0:
		return *flagRuns
	case testing.Short() || raceEnabled:
		return 10
	}
	return 100
}

// dfsLimit is the most schedules of one DFS search. Under the race
// detector (CI), where a step costs ten times more, the searches are
// samples; the exhaustive ones run in go test ./explore and make explore.
func dfsLimit() int {
	switch {
	case *flagDFS > 0:
		return *flagDFS
	case testing.Short() || raceEnabled:
		return 300
	}
	return 12000
}

// target is one design and scenario to explore.
type target struct {
	info strategies.Info
	sc   Scenario
}

// targets returns what to explore, selected by -vmabench.strategy and
// -vmabench.scenario: every model on every design scenario, and the bare
// rw-semaphore's scenarios once.
func targets(t testing.TB, models bool) []target {
	t.Helper()
	st, err := regexp.Compile(*flagStrategy)
	if err != nil {
		t.Fatalf("-vmabench.strategy: %v", err)
	}
	sr, err := regexp.Compile(*flagScenario)
	if err != nil {
		t.Fatalf("-vmabench.scenario: %v", err)
	}
	var out []target
	for _, info := range strategies.List() {
		if info.New == nil || (info.Unsafe && models) || !st.MatchString(info.Name) {
			continue
		}
		for _, sc := range Scenarios {
			if sr.MatchString(sc.Name) {
				out = append(out, target{info, sc})
			}
		}
	}
	if st.MatchString(RWSemStrategy) {
		for _, sc := range RWSemScenarios {
			if sr.MatchString(sc.Name) {
				out = append(out, target{rwsemInfo, sc})
			}
		}
	}
	return out
}

// explore runs the sweep of one target: DFS with at most two preemptions
// on a small scenario (exhaustive when it ends within dfs schedules, or
// dfsLimit's if dfs is 0), then PCT at d=2 and d=3. It stops at the first
// failure.
func explore(tg target, pctRuns, dfs int, seed uint64) []Report {
	if dfs == 0 {
		dfs = dfsLimit()
	}
	var out []Report
	if tg.sc.Small {
		bound := 2
		if tg.sc.Preemptions > 0 {
			bound = tg.sc.Preemptions
		}
		r := ExploreDFS(tg.info, tg.sc, bound, dfs)
		out = append(out, r)
		if r.Failure != nil {
			return out
		}
	}
	for _, d := range []int{2, 3} {
		r := ExplorePCT(tg.info, tg.sc, PCTConfig{Runs: pctRuns, Depth: d, Seed: seed})
		out = append(out, r)
		if r.Failure != nil {
			return out
		}
	}
	return out
}

// TestExplore explores every model on every scenario; each must pass every
// oracle on every schedule run. It logs, per target, the schedules run and
// the bound reached.
func TestExplore(t *testing.T) {
	var sum bounds
	for _, tg := range targets(t, true) {
		t.Run(tg.info.Name+"/"+tg.sc.Name, func(t *testing.T) {
			for _, r := range explore(tg, runs(), 0, *flagSeed) {
				if r.Failure != nil {
					t.Fatalf("%v", r.Failure)
				}
				sum.add(r)
				t.Log(r)
			}
		})
	}
	for _, line := range sum.lines() {
		t.Log(line)
	}
}

// bounds sums up the reports of each design: its schedules, and the
// weakest bound over its scenarios at each depth (the chance that a bug
// of that depth in one of them was missed is at most that).
type bounds struct {
	order []string
	by    map[string]*designBound
}

type designBound struct {
	scenarios map[string]bool
	runs      int
	missed    map[int]float64 // by depth: the largest over the scenarios
	dfs       int             // DFS schedules, all exhaustive
	partial   int             // DFS searches stopped at the limit
}

func (b *bounds) add(r Report) {
	if b.by == nil {
		b.by = map[string]*designBound{}
	}
	d := b.by[r.Strategy]
	if d == nil {
		d = &designBound{scenarios: map[string]bool{}, missed: map[int]float64{}}
		b.by[r.Strategy] = d
		b.order = append(b.order, r.Strategy)
	}
	d.scenarios[r.Scenario] = true
	d.runs += r.Runs
	switch {
	case r.Depth > 0:
		d.missed[r.Depth] = max(d.missed[r.Depth], r.Missed())
	case r.Exhausted:
		d.dfs += r.Runs
	default:
		d.dfs += r.Runs
		d.partial++
	}
}

func (b *bounds) lines() []string {
	var out []string
	for _, name := range b.order {
		d := b.by[name]
		line := fmt.Sprintf("bound %-10s %2d scenarios, %d schedules, none failed: a depth-2 bug missed with p <= %.3g, depth-3 p <= %.3g (the worst scenario's)",
			name, len(d.scenarios), d.runs, d.missed[2], d.missed[3])
		if d.dfs > 0 {
			line += fmt.Sprintf("; %d DFS schedules with <= 2 preemptions (3 where a scenario says)", d.dfs)
			if d.partial > 0 {
				line += fmt.Sprintf(" (%d searches stopped at the limit)", d.partial)
			} else {
				line += " (exhaustive)"
			}
		}
		out = append(out, line)
	}
	return out
}

// TestNoLockCaught: the nolock baseline, unsafe under writers by design,
// must be caught by the exploration on every scenario in which a writer
// changes what a reader uses; the failure is logged as a user would see it.
func TestNoLockCaught(t *testing.T) {
	info, err := strategies.Get("nolock")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fault-split", "lookup-split", "fault-munmap", "madvise-split"} {
		t.Run(name, func(t *testing.T) {
			sc, err := ScenarioNamed(name)
			if err != nil {
				t.Fatal(err)
			}
			var caught *Failure
			total := 0
			for _, r := range explore(target{info, sc}, runs(), 0, *flagSeed) {
				total += r.Runs
				if r.Failure != nil {
					caught = r.Failure
				}
			}
			if caught == nil {
				t.Fatalf("nolock passed %d schedules of %s: the exploration misses a design with no locks at all", total, name)
			}
			t.Logf("caught after %d schedules: %v", total, caught)
			// The failure's seed replays it exactly.
			steps, failure, err := ReplaySeed(caught.Seed())
			if err != nil || failure == nil || len(steps) != len(caught.Steps) {
				t.Errorf("replaying %s: %d steps (recorded %d), failure %v, error %v", caught.Seed(), len(steps), len(caught.Steps), failure, err)
			}
		})
	}
}

// TestReplay replays the seed given by -vmabench.schedule and fails with
// what the oracles say of it, and its interleaving; a seed that no longer
// replays fails naming the step where it departs. Without the flag it
// checks that a seed recorded from a run replays, and that a changed one
// is reported at its step.
func TestReplay(t *testing.T) {
	if *flagSchedule != "" {
		steps, failure, err := ReplaySeed(*flagSchedule)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("replayed %d steps:\n%s", len(steps), Interleaving(steps, 0))
		if failure != nil {
			t.Fatalf("the run fails: %v", failure)
		}
		return
	}
	info, _ := strategies.Get("vmarefcnt")
	sc, _ := ScenarioNamed("fault-split")
	steps, err := runOnce(info, sc, NewPCT(5, len(sc.Threads), 400, 3), true)
	if err != nil {
		t.Fatal(err)
	}
	seed := (&Failure{Strategy: info.Name, Scenario: sc.Name, Schedule: ScheduleOf(steps)}).Seed()
	again, failure, err := ReplaySeed(seed)
	if err != nil || failure != nil || len(again) != len(steps) {
		t.Fatalf("replay of %s: %d steps of %d, failure %v, error %v", seed, len(again), len(steps), failure, err)
	}
	for i := range steps {
		if again[i] != steps[i] {
			t.Fatalf("replay of %s departs at step %d: %v, recorded %v", seed, i, again[i], steps[i])
		}
	}
	// A seed whose first segment is one step longer than the code runs
	// it, as if a change had added an access there.
	s := ScheduleOf(steps)
	s.Segs[0].N++
	bad := info.Name + "/" + sc.Name + "/" + s.String()
	if _, _, err := ReplaySeed(bad); !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "step ") {
		t.Errorf("replay of a changed seed: %v, want ErrDiverged naming the step", err)
	} else {
		t.Logf("a changed seed: %v", err)
	}
	for _, tc := range []struct{ seed, want string }{
		{"nosuch/fault-split/0*3", "unknown strategy"},
		{"vmarefcnt/nosuch/0*3", "unknown scenario"},
		{"vmarefcnt/fault-split", "STRATEGY/SCENARIO/SCHEDULE"},
		{"vmarefcnt/fault-split/0*x", "segment 1"},
	} {
		if _, _, err := ReplaySeed(tc.seed); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReplaySeed(%q) = %v, want %q", tc.seed, err, tc.want)
		}
	}
}

// TestMutant is what make mutants judges a mutant by (-vmabench.mutant):
// the whole sweep over every model and scenario, stopping at the first
// failure. It prints "explore: caught ..." for the failure and, last,
// "explore: N schedules" in all, which the mutants runner reads.
func TestMutant(t *testing.T) {
	if !*flagMutant {
		t.Skip("run by make mutants, with -vmabench.mutant")
	}
	total := 0
	defer func() { fmt.Printf("explore: %d schedules\n", total) }()
	// A quick pass over every target, then the checker itself (each
	// oracle must still catch nolock), then the full pass: a bug that
	// many schedules show is caught without waiting for the targets
	// before it to be explored in full.
	for pass, size := range []struct{ runs, dfs int }{{10, 500}, {100, 12000}} {
		if pass == 1 {
			missing, n, err := CheckOracles(oracleLimit())
			total += n
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) > 0 {
				fmt.Printf("explore: caught nolock/oracles after %d schedules in all: these oracles no longer catch nolock: %s\n", total, oracleNames(missing))
				t.Fatalf("oracles blind to nolock: %s", oracleNames(missing))
			}
		}
		for _, tg := range targets(t, true) {
			for _, r := range explore(tg, size.runs, size.dfs, *flagSeed+uint64(pass)*1_000_000) {
				total += r.Runs
				if r.Failure != nil {
					fmt.Printf("explore: caught %s/%s after %d schedules in all: %s\n", tg.info.Name, tg.sc.Name, total, firstLine(r.Failure.Err.Error()))
					t.Fatalf("%v", r.Failure)
				}
				if *flagBudget > 0 && total >= *flagBudget {
					t.Logf("budget of %d schedules spent", *flagBudget)
					return
				}
			}
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestOracles: every oracle the exploration judges by catches the nolock
// baseline somewhere in the scenarios.
func TestOracles(t *testing.T) {
	missing, n, err := CheckOracles(oracleLimit())
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Fatalf("after %d schedules of nolock, these oracles never fired: %s", n, oracleNames(missing))
	}
	t.Logf("every oracle caught nolock within %d schedules", n)
}

// oracleLimit sizes TestOracles' search of each scenario (PCT runs, a
// fifth of it, then DFS): nolock trips every oracle within 1,500
// schedules at 300.
func oracleLimit() int {
	if raceEnabled || testing.Short() {
		return 300
	}
	return 1000
}
