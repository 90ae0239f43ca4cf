package project

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"vmabench/mm"
	"vmabench/report"
	"vmabench/runner"
	"vmabench/sim"
	"vmabench/units"
)

// testTarget is a small machine with round costs.
func testTarget(cpus int) Target {
	return Target{Name: "test", Costs: sim.Costs{CPUs: cpus, Sockets: 1, Hit: 1000, RMW: 9000, Transfer: 25000, RMWTransfer: 25000, Remote: 25000, Pause: 30000, Wake: 2_000_000}}
}

// runOK projects c and fails the test unless the cell ran to its end.
func runOK(t *testing.T, c Config) (runner.Result, Stats) {
	t.Helper()
	r, st, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != runner.StatusOK {
		t.Fatalf("%s: %s", r.Status, r.Detail)
	}
	return r, st
}

func TestProjectCells(t *testing.T) {
	for _, tc := range []struct {
		strategy, workload string
		threads            int
	}{
		{"vmarefcnt", "faults", 1},
		{"vmarefcnt", "faults", 2},
		{"mmaplock", "lookups-mmap", 2},
		{"vmaseq", "faults-mprotect", 3},
		{"vmawait", "maps-walk", 2},
		// nolock's writers retry on each other through the checker's
		// word, which costs no virtual time: a retry that took none spun
		// at one virtual instant forever (mm.Yield).
		{"nolock", "mmap-churn", 2},
		{"vmarefcnt", "pft", 2},
	} {
		t.Run(tc.strategy+"/"+tc.workload, func(t *testing.T) {
			c := DefaultConfig()
			c.Strategy, c.Workload, c.Threads, c.Target = tc.strategy, tc.workload, tc.threads, testTarget(4)
			c.Warmup, c.Duration = 100*time.Microsecond, 500*time.Microsecond
			r, st := runOK(t, c)
			t.Logf("%s: %d ops in %v virtual, %d events in %v: %v", r.Name(), r.Ops, r.Elapsed, st.Events, st.Wall, r.Metrics)
		})
	}
}

// TestCheckerSeesUnlockedWriters: a projection's checker catches nolock's
// two writers inside each other's changes, as a real run's does, and
// finds none under mmap_lock. A writer that finds the other's mark
// retries until the mark is cleared, after the other's change and its
// calibrated work, so nolock's writers take turns as mmap_lock's do and
// make about as many changes. The checker's marks take effect at their
// virtual time (sim.Order); before, a mark was cleared as soon as the
// change's work was added to the clock, the writers' changes overlapped
// in virtual time, and nolock made 1.86 times mmaplock's changes.
func TestCheckerSeesUnlockedWriters(t *testing.T) {
	ops := map[string]uint64{}
	for _, tc := range []struct {
		strategy string
		unsafe   bool
	}{{"nolock", true}, {"mmaplock", false}} {
		c := DefaultConfig()
		c.Strategy, c.Workload, c.Threads, c.Target = tc.strategy, "mmap-churn", 2, testTarget(2)
		c.Target.Work = mm.Work{Syscall: 100, Mmap: 1000, Munmap: 1000}
		c.Warmup, c.Duration = 100*time.Microsecond, 500*time.Microsecond
		r, _, err := Run(c)
		if err != nil || r.Status != runner.StatusOK {
			t.Fatalf("%s: %v %s %s", tc.strategy, err, r.Status, r.Detail)
		}
		t.Logf("%s: %d violations in %d changes", tc.strategy, r.Violations, r.Ops)
		if got := r.Violations > 0; got != tc.unsafe {
			t.Errorf("%s: %d violations in %d changes, want some: %v", tc.strategy, r.Violations, r.Ops, tc.unsafe)
		}
		ops[tc.strategy] = r.Ops
	}
	if n, m := ops["nolock"], ops["mmaplock"]; float64(n) > 1.25*float64(m) {
		t.Errorf("nolock's writers made %d changes, mmaplock's %d: over 1.25x, so their changes overlapped", n, m)
	}
}

// projected runs c, which must project without error, and returns its
// result as report writes it, with the engine's statistics.
func projected(t *testing.T, c Config) (string, Stats) {
	t.Helper()
	r, st, err := Run(c)
	if err != nil || r.Status != runner.StatusOK {
		t.Fatalf("%v %s %s", err, r.Status, r.Detail)
	}
	var b strings.Builder
	if err := report.NewWriter(&b).WriteResult(&r); err != nil {
		t.Fatal(err)
	}
	return b.String(), st
}

// TestDeterministic: the same cell, seed and target give byte-identical
// results, twice in one process (so the Go heap's addresses differ between
// the runs, and the cache lines with them, as little as the allocator's
// size classes allow).
func TestDeterministic(t *testing.T) {
	for _, tc := range []struct {
		strategy, workload string
		threads            int
	}{{"vmarefcnt", "faults-mprotect", 3}, {"vmaseq", "lookups-mmap", 2}} {
		c := DefaultConfig()
		c.Strategy, c.Workload, c.Threads, c.Target = tc.strategy, tc.workload, tc.threads, testTarget(4)
		c.Warmup, c.Duration = 100*time.Microsecond, 300*time.Microsecond
		var out []string
		for range 2 {
			text, _ := projected(t, c)
			out = append(out, text)
		}
		if out[0] != out[1] {
			t.Errorf("%s/%s: two projections differ:\n%s\n%s", tc.strategy, tc.workload, out[0], out[1])
		}
	}
}

// TestRepetitionsDiffer: repetition r of a cell draws with seed+r, so
// -count repetitions differ (identical ones would give benchstat and the
// check a spread of zero, and a U test "significance" for any difference
// between two designs), repetition 1 of seed 1 is repetition 0 of seed 2,
// and the configuration lines name the seed given, the same for both.
func TestRepetitionsDiffer(t *testing.T) {
	c := DefaultConfig()
	c.Strategy, c.Workload, c.Threads, c.Target = "mmaplock", "lookups-mmap", 2, testTarget(2)
	c.Warmup, c.Duration = 100*time.Microsecond, 500*time.Microsecond
	rep0, _ := projected(t, c)
	c.Rep = 1
	rep1, _ := projected(t, c)
	if rep0 == rep1 {
		t.Fatalf("repetitions 0 and 1 are the same:\n%s", rep0)
	}
	c.Rep, c.Load.Seed = 0, 2
	if seed2, _ := projected(t, c); strings.Replace(seed2, "seed: 2", "seed: 1", 1) != rep1 {
		t.Errorf("repetition 1 of seed 1:\n%s\nrepetition 0 of seed 2:\n%s", rep1, seed2)
	}
	if !strings.Contains(rep1, "seed: 1\n") {
		t.Errorf("repetition 1 of seed 1 names another seed:\n%s", rep1)
	}
}

// TestDeterministicInFreshProcesses: a projection that allocates enough
// for the Go pacer to collect several times gives byte-identical
// results in two processes, as the CLI's child per cell does, because the
// collector stays off for the run (collector): a collection frees memory
// that the allocator hands out again, in an order of the host's, at
// addresses whose lines the coherence model remembers. (In one process a
// second run's heap starts where the first left it, and its objects share
// other lines.)
func TestDeterministicInFreshProcesses(t *testing.T) {
	if os.Getenv("VMABENCH_PROJECT_CHILD") == "1" {
		return
	}
	var out []string
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDeterministicChild$", "-test.v")
		// GOGC=25: a pacer left on would collect every 1 MiB or so.
		cmd.Env = append(os.Environ(), "VMABENCH_PROJECT_CHILD=1", "GOMAXPROCS=1", "GOGC=25")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, b)
		}
		res := ""
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "RESULT ") {
				res = strings.TrimSpace(l)
			}
		}
		if res == "" {
			t.Fatalf("child printed no result:\n%s", b)
		}
		out = append(out, res)
	}
	if out[0] != out[1] {
		t.Errorf("two projections differ:\n%s\n%s", out[0], out[1])
	}
}

// TestDeterministicChild is TestDeterministicInFreshProcesses' child: it
// projects page_fault1 and prints the result line. It does nothing in a
// plain run.
func TestDeterministicChild(t *testing.T) {
	if os.Getenv("VMABENCH_PROJECT_CHILD") != "1" {
		t.Skip("the child of TestDeterministicInFreshProcesses")
	}
	c := DefaultConfig()
	c.Strategy, c.Workload, c.Threads, c.Target = "vmarefcnt", "page_fault1", 2, testTarget(2)
	c.Load.Size = 4 << 20
	c.Warmup, c.Duration = 0, 20*time.Millisecond
	text, st := projected(t, c)
	if st.Allocated < 4<<20 || st.GCs != 0 {
		t.Fatalf("allocated %d MiB and collected %d times, want 4 MiB or more, enough for the pacer at GOGC=25 to collect several times, and no collection", st.Allocated>>20, st.GCs)
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "Benchmark") {
			fmt.Printf("RESULT %s\n", l)
		}
	}
}

// TestSpinSkipsChangeNothing: the engine's skipping of spin loops that
// only look (sim.SpinRelax) gives the results of running every
// iteration, byte for byte, where writers queue on the OSQ (mmap1, 16
// writers on one mmap_lock; mmap-churn), spin on the owner and on the
// wait_lock, and where nothing spins (pft); and it skips some.
func TestSpinSkipsChangeNothing(t *testing.T) {
	for _, tc := range []struct {
		strategy, workload string
		threads            int
		skips              bool
	}{
		{"mmaplock", "mmap1", 16, true},
		{"vmarefcnt", "mmap1", 8, true},
		{"vmaseq", "mmap-churn", 4, true},
		{"vmarefcnt", "faults-mprotect", 3, false},
		{"vmaseq", "pft", 4, false},
	} {
		t.Run(tc.strategy+"/"+tc.workload, func(t *testing.T) {
			c := DefaultConfig()
			c.Strategy, c.Workload, c.Threads = tc.strategy, tc.workload, tc.threads
			c.Target = testTarget(16)
			c.Target.Work = mm.Work{Syscall: 100, Mmap: 1000, Munmap: 1000, Fault: 500}
			c.Load.Size = 1 << 20
			c.Warmup, c.Duration = 100*time.Microsecond, 400*time.Microsecond
			var out [2]string
			var st [2]Stats
			for i, run := range []bool{true, false} {
				c.RunSpins = run
				out[i], st[i] = projected(t, c)
			}
			t.Logf("every iteration: %d events; skipping: %d events, %d iterations skipped", st[0].Events, st[1].Events, st[1].Elided)
			if out[0] != out[1] {
				t.Errorf("skipping changed the projection:\nevery iteration: %s\nskipping:        %s", out[0], out[1])
			}
			if st[0].Elided != 0 {
				t.Errorf("RunSpins skipped %d iterations", st[0].Elided)
			}
			if tc.skips && st[1].Elided == 0 {
				t.Errorf("no iteration skipped, want some: the spinners' loops only look")
			}
		})
	}
}

// TestLines: -lines names where a projection's line transfers go, the
// costliest site first, each a function and line outside the engine and
// the shared words, without changing the projection: the same cell with
// and without it gives the same figures. faults-mprotect's reader and
// writer take mmap_lock in turn, so its words cost transfers.
func TestLines(t *testing.T) {
	c := DefaultConfig()
	c.Strategy, c.Workload, c.Threads, c.Target = "mmaplock", "faults-mprotect", 2, testTarget(2)
	c.Warmup, c.Duration = 100*time.Microsecond, 500*time.Microsecond
	plain, _, err := Run(c)
	if err != nil || plain.Status != runner.StatusOK {
		t.Fatalf("%v %s %s", err, plain.Status, plain.Detail)
	}
	c.Lines = 3
	lined, _, err := Run(c)
	if err != nil || lined.Status != runner.StatusOK {
		t.Fatalf("%v %s %s", err, lined.Status, lined.Detail)
	}
	if lined.Ops != plain.Ops || len(lined.Metrics) != len(plain.Metrics) {
		t.Fatalf("-lines changed the projection: %d ops against %d", lined.Ops, plain.Ops)
	}
	for i := range plain.Metrics {
		if lined.Metrics[i] != plain.Metrics[i] {
			t.Errorf("-lines changed %s: %v against %v", plain.Metrics[i].Unit, lined.Metrics[i].Value, plain.Metrics[i].Value)
		}
	}
	if len(plain.Notes) != 0 {
		t.Errorf("without -lines: notes %q", plain.Notes)
	}
	if len(lined.Notes) != 1+c.Lines || !strings.HasPrefix(lined.Notes[0], "where the time goes: line transfers take ") {
		t.Fatalf("notes %q: want a total and %d sites", lined.Notes, c.Lines)
	}
	for _, n := range lined.Notes[1:] {
		// "  12.3%     456 rmw   mm.(*RWSem).DownWrite (mm/rwsem.go:303)"
		if !strings.Contains(n, "%") || !strings.Contains(n, ".go:") || strings.Contains(n, "word.go") || strings.Contains(n, "sim/") {
			t.Errorf("site %q: want a share, and a site outside the engine and the shared words", n)
		}
	}
	t.Log(strings.Join(lined.Notes, "\n"))
}

// TestShortWindowNote: a projection of a fault shape whose window holds
// less than a pass a thread says so, and one that holds several does not.
func TestShortWindowNote(t *testing.T) {
	for _, tc := range []struct {
		duration time.Duration
		want     bool
	}{
		{100 * time.Microsecond, true},
		{20 * time.Millisecond, false},
	} {
		c := DefaultConfig()
		c.Strategy, c.Workload, c.Threads, c.Target = "vmarefcnt", "page_fault1", 2, testTarget(2)
		c.Load.Size = 16 << 20
		c.Warmup, c.Duration = 100*time.Microsecond, tc.duration
		r, _ := runOK(t, c)
		got := false
		for _, n := range r.Notes {
			got = got || strings.Contains(n, "less than one pass")
		}
		if got != tc.want {
			t.Errorf("%v window, %d ops: short-window note %v, want %v (notes %q)", tc.duration, r.Ops, got, tc.want, r.Notes)
		}
		// ShortWindows reads the note back: the cell, and a -duration
		// longer than the window that would hold a pass.
		n, need := ShortWindows([]runner.Result{r, {}})
		if tc.want && (n != 1 || need <= tc.duration) {
			t.Errorf("%v window: ShortWindows = %d, %v; want 1 and more than the window", tc.duration, n, need)
		}
		if !tc.want && (n != 0 || need != 0) {
			t.Errorf("%v window: ShortWindows = %d, %v; want 0, 0", tc.duration, n, need)
		}
	}
}

// TestColdFaults: a field's shape charges each fault its mapping's share
// of mm.Work.FaultColdLarge: the whole of it at mm.ColdBytes (a fault's
// virtual time longer by it), none at mm.ColdFromBytes (the same figures).
func TestColdFaults(t *testing.T) {
	const cold = 500 // ns a fault
	run := func(size uint64, coldNs float64) float64 {
		t.Helper()
		c := DefaultConfig()
		c.Strategy, c.Workload, c.Threads, c.Target = "vmarefcnt", "page_fault1", 1, testTarget(1)
		c.Target.Work = mm.Work{Fault: 1000, FaultColdLarge: coldNs}
		c.Load.Size = size
		c.Warmup, c.Duration = 100*time.Microsecond, 5*time.Millisecond
		r, _ := runOK(t, c)
		for _, m := range r.Metrics {
			if m.Unit == units.FaultsPerS {
				return 1e9 / m.Value // ns a fault
			}
		}
		t.Fatalf("no %s in %+v", units.FaultsPerS, r.Metrics)
		return 0
	}
	if d := run(mm.ColdBytes, cold) - run(mm.ColdBytes, 0); d < cold*0.95 || d > cold*1.05 {
		t.Errorf("at %d bytes a fault took %.0f ns more with FaultColdLarge %d, want %d", mm.ColdBytes, d, cold, cold)
	}
	if a, b := run(mm.ColdFromBytes, cold), run(mm.ColdFromBytes, 0); a != b {
		t.Errorf("at %d bytes a fault took %.1f ns with FaultColdLarge %d and %.1f without, want the same", mm.ColdFromBytes, a, cold, b)
	}
}
