package explore

import (
	"errors"
	"fmt"
	"strings"

	"vmabench/sim"
	"vmabench/strategies"
)

// Failure is a run that broke an oracle: what broke, and the schedule that
// replays it.
type Failure struct {
	Strategy, Scenario string
	Schedule           Schedule
	Steps              []Step
	Err                error
	// Policy says which policy found it, e.g. "pct d=2 seed 17" or
	// "dfs bound 2, schedule 381".
	Policy string
}

// Seed returns the failure's replayable seed: the strategy, the scenario
// and the schedule, "STRATEGY/SCENARIO/SCHEDULE".
func (f *Failure) Seed() string {
	return f.Strategy + "/" + f.Scenario + "/" + f.Schedule.String()
}

// Error describes the failure for a reader: what broke, the seed, and the
// interleaving (at most 60 lines of it).
func (f *Failure) Error() string {
	return fmt.Sprintf("%s on %s (%s): %v\nreplay: go test ./explore -run TestReplay -vmabench.schedule '%s'\ninterleaving, %d steps:\n%s",
		f.Strategy, f.Scenario, f.Policy, f.Err, f.Seed(), len(f.Steps), Interleaving(f.Steps, 60))
}

func (f *Failure) Unwrap() error { return f.Err }

// ParseSeed splits a seed from Failure.Seed into its strategy, scenario
// and schedule, checking that the first two exist.
func ParseSeed(seed string) (strategies.Info, Scenario, Schedule, error) {
	parts := strings.SplitN(seed, "/", 3)
	if len(parts) != 3 {
		return strategies.Info{}, Scenario{}, Schedule{}, fmt.Errorf("%w: seed %q: want STRATEGY/SCENARIO/SCHEDULE", ErrSchedule, seed)
	}
	info, err := strategies.Get(parts[0])
	if parts[0] == RWSemStrategy {
		info, err = rwsemInfo, nil
	}
	if err != nil {
		return info, Scenario{}, Schedule{}, fmt.Errorf("seed %q: %w", seed, err)
	}
	sc, err := ScenarioNamed(parts[1])
	if err != nil {
		return info, sc, Schedule{}, fmt.Errorf("seed %q: %w", seed, err)
	}
	s, err := ParseSchedule(parts[2])
	return info, sc, s, err
}

// ErrUnknownScenario is wrapped by ScenarioNamed's error.
var ErrUnknownScenario = errors.New("unknown scenario")

// ScenarioNamed returns the scenario called name.
func ScenarioNamed(name string) (Scenario, error) {
	var names []string
	for _, sc := range allScenarios() {
		if sc.Name == name {
			return sc, nil
		}
		names = append(names, sc.Name)
	}
	return Scenario{}, fmt.Errorf("%w %q (valid: %s)", ErrUnknownScenario, name, strings.Join(names, ", "))
}

// PCTConfig sizes a PCT exploration of one scenario on one design.
type PCTConfig struct {
	// Runs is how many runs to make (default 200).
	Runs int
	// Depth is the bug depth d the change points are drawn for (default 3).
	Depth int
	// Seed seeds run i with Seed+i.
	Seed uint64
	// KeepGoing, if set, is told of each failing run and says whether to
	// go on; the report then has no Failure. Nil stops at the first.
	KeepGoing func(error) bool
}

// Report is what an exploration of one scenario on one design did.
type Report struct {
	Strategy, Scenario string
	// Runs is how many schedules ran; Threads and Steps (the most steps
	// of any run, PCT's k) size the bound.
	Runs, Threads, Steps int
	// Depth is PCT's d; 0 for DFS.
	Depth int
	// Bound is DFS's preemption bound; Exhausted is set when every
	// schedule within it ran.
	Bound     int
	Exhausted bool
	// Failure is the first failing run, or nil.
	Failure *Failure
}

// Missed returns, for a PCT report without failure, the chance that a bug
// of its depth d survived all its runs: at most (1-1/(n·k^(d-1)))^runs.
// (PCT's guarantee is for a bug of the depth its change points were drawn
// for, so a report bounds only that depth.)
func (r Report) Missed() float64 {
	return Missed(PCTProbability(r.Threads, r.Steps, r.Depth), r.Runs)
}

// String is one line: what ran and, for PCT, the bound reached at d=2 and
// d=3; for DFS, whether the search was exhaustive.
func (r Report) String() string {
	head := fmt.Sprintf("%-10s %-20s", r.Strategy, r.Scenario)
	if r.Failure != nil {
		return fmt.Sprintf("%s FAILED after %d schedules: %v", head, r.Runs, r.Failure.Err)
	}
	if r.Depth == 0 {
		what := "stopped at the limit"
		if r.Exhausted {
			what = "exhaustive"
		}
		return fmt.Sprintf("%s dfs  <=%d preemptions: %d schedules, %s, none failed (n=%d, up to %d steps)", head, r.Bound, r.Runs, what, r.Threads, r.Steps)
	}
	return fmt.Sprintf("%s pct  d=%d: %d runs, none failed (n=%d, k=%d): a depth-%d bug missed with p <= %.3g",
		head, r.Depth, r.Runs, r.Threads, r.Steps, r.Depth, r.Missed())
}

// runner runs one scenario on one design under a policy (traced: with
// labels); runOnce (run.go) is the one for sim.
type runner func(info strategies.Info, sc Scenario, p sim.Policy, traced bool) ([]Step, error)

// failure makes the Failure of a run that failed with err: it replays the
// run's schedule once more with a trace, for the labels of its steps and
// of the seed. A replay that does not fail alike says so: the model is
// not deterministic.
func failure(run runner, info strategies.Info, sc Scenario, steps []Step, err error, how string) *Failure {
	f := &Failure{Strategy: info.Name, Scenario: sc.Name, Schedule: ScheduleOf(steps), Steps: steps, Err: err, Policy: how}
	r := NewReplay(f.Schedule)
	labelled, again := run(info, sc, r, true)
	if rerr := r.Finish(labelled); rerr != nil || again == nil {
		f.Err = fmt.Errorf("%w (and the traced replay of its schedule did not fail alike: %v, %v; the model is not deterministic)", err, rerr, again)
		return f
	}
	f.Steps, f.Schedule = labelled, ScheduleOf(labelled)
	return f
}

// ExplorePCT makes cfg.Runs PCT runs of sc on info. The step bound k is
// learned as it goes: each run draws its change points in [1, k] for the
// most steps seen so far (the first run's from a run of the default
// schedule), so that k bounds every run's steps and the report's bound
// holds.
func ExplorePCT(info strategies.Info, sc Scenario, cfg PCTConfig) Report {
	return explorePCT(runOnce, info, sc, cfg)
}

func explorePCT(run runner, info strategies.Info, sc Scenario, cfg PCTConfig) Report {
	if cfg.Runs == 0 {
		cfg.Runs = 200
	}
	if cfg.Depth == 0 {
		cfg.Depth = 3
	}
	n := len(sc.Threads)
	r := Report{Strategy: info.Name, Scenario: sc.Name, Threads: n, Depth: cfg.Depth}
	// The default schedule (every thread to its end in turn) sizes k.
	steps, err := run(info, sc, NewDFS(0), false)
	r.Runs, r.Steps = 1, len(steps)
	if err != nil {
		r.Failure = failure(run, info, sc, steps, err, "the default schedule")
		return r
	}
	// k starts at twice the default schedule's steps: other schedules
	// take longer (spins, retries, sleeps).
	r.Steps = 2 * len(steps)
	for i := range cfg.Runs {
		seed := cfg.Seed + uint64(i)
		k := r.Steps
		p := NewPCT(seed, n, k, cfg.Depth)
		steps, err := run(info, sc, p, false)
		r.Runs++
		if len(steps) > k {
			// The bound needs k >= every run's steps: this run does not
			// count toward it, and k grows for the next, with a margin.
			r.Steps = len(steps) + len(steps)/4
			r.Runs--
		}
		if err != nil && cfg.KeepGoing != nil {
			if !cfg.KeepGoing(err) {
				return r
			}
			continue
		}
		if err != nil {
			r.Failure = failure(run, info, sc, steps, err, fmt.Sprintf("pct d=%d k=%d seed %d", cfg.Depth, k, seed))
			return r
		}
	}
	return r
}

// ExploreDFS runs every schedule of sc on info with at most bound
// preemptions, up to limit schedules (0: no limit).
func ExploreDFS(info strategies.Info, sc Scenario, bound, limit int) Report {
	return exploreDFS(runOnce, info, sc, bound, limit)
}

func exploreDFS(run runner, info strategies.Info, sc Scenario, bound, limit int) Report {
	r := Report{Strategy: info.Name, Scenario: sc.Name, Threads: len(sc.Threads), Bound: bound}
	d := NewDFS(bound)
	for {
		steps, err := run(info, sc, d, false)
		r.Runs++
		r.Steps = max(r.Steps, len(steps))
		if err == nil {
			err = d.Err()
		}
		if err != nil {
			r.Failure = failure(run, info, sc, steps, err, fmt.Sprintf("dfs <=%d preemptions, schedule %d", bound, r.Runs))
			return r
		}
		if !d.Advance() {
			r.Exhausted = true
			return r
		}
		if limit > 0 && r.Runs >= limit {
			return r
		}
	}
}

// ErrDiverged is wrapped by ReplaySeed's error for a seed whose run
// departs from its recorded schedule.
var ErrDiverged = errors.New("the run departs from the recorded schedule (has the code changed since?)")

// ReplaySeed runs the failure seed names once more, exactly, traced: it
// returns the run's steps and what the oracles said of it (failure), or an
// error wrapping ErrDiverged that says at which step the run departed from
// the recorded schedule.
func ReplaySeed(seed string) (steps []Step, failure, err error) {
	info, sc, s, err := ParseSeed(seed)
	if err != nil {
		return nil, nil, err
	}
	r := NewReplay(s)
	steps, failure = runOnce(info, sc, r, true)
	if err := r.Finish(steps); err != nil {
		return steps, failure, fmt.Errorf("seed %s: %w: %w", seed, ErrDiverged, err)
	}
	return steps, failure, nil
}
