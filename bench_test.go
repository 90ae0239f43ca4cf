// Package vmabench_test runs the vmabench matrix as Go benchmarks:
//
//	go test -run '^$' -bench 'VMA/workload=faults/' ./...
//	go test -run '^$' -bench VMA -count 6 > new.txt
//	go tool benchstat -col /strategy -row /workload,/threads new.txt
//
// BenchmarkVMA has one sub-benchmark per cell of `vmabench run`'s default
// matrix (every workload, every strategy, thread counts 1, 2, 4, ... up to
// the CPU count and the CPU count), named as the vmabench CLI names them,
//
//	BenchmarkVMA/workload=faults/strategy=vmarefcnt/threads=2-<GOMAXPROCS>
//
// and reports the same metrics, so benchstat, `vmabench compare` and
// `vmabench plot` read either output.
//
// # How a cell maps onto b.N
//
// A cell is not a loop of b.N identical operations: T threads run for a
// timed window and count what they did. So each sub-benchmark runs its
// cell once, in this process (runner.Run), with the window set to
// -benchtime (default 1s; a count such as -benchtime=100x is refused with
// a message: a cell is a timed window, not b.N iterations), and then:
//
//   - reports ns/op with b.ReportMetric(r.NsPerOp(), "ns/op"), which
//     replaces the testing package's own: wall time over all threads'
//     operations, as b.RunParallel counts it;
//   - reports every metric of the cell (faults/s, fallbacks/op, p99-ns, ...)
//     with b.ReportMetric, and "violations" for an unsafe cell, exactly as
//     the CLI's results files do;
//   - sets b.N to the cell's operation count, so the iterations column is
//     the number of operations the ns/op was measured over.
//
// Because the function ran for longer than -benchtime (warm-up plus the
// window), the testing package does not call it again with a larger b.N:
// one call is one measurement, and -count repeats it.
//
// Cells that would deadlock (workloads.Info.Deadlocks) are skipped with the
// reason: a deadlocked in-process cell could not be stopped. Use `vmabench
// run`, which runs each cell in a child process under a watchdog, to see
// them deadlock. Cells below a workload's MinThreads, and the kernel
// strategy until it is implemented, are skipped too; `go test -v` shows why.
//
// The workload knobs and pinning are vmabench run's flags with the prefix
// "vmabench." (package planflag): -vmabench.pages 256, -vmabench.nopin.
//
// The models do the calibrated work of this machine's profile (package
// calib), measured first if missing, as vmabench run does; the flag
// -vmabench.calibration takes none (raw lock costs) or a profile file:
//
//	go test -run '^$' -bench 'VMA/workload=lookups' -vmabench.calibration none .
//
// Before the first result, BenchmarkVMA prints the configuration lines a
// results file of the CLI has and go test does not print (kernel,
// vmabench-commit, the workload knobs and the window), which benchfmt reads
// as configuration.
package vmabench_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vmabench/calib"
	"vmabench/cell"
	"vmabench/internal/machine"
	"vmabench/planflag"
	"vmabench/report"
	"vmabench/runner"
	"vmabench/strategies"
	"vmabench/workloads"
)

var calibration = flag.String("vmabench.calibration", calib.Auto,
	"cost profile of the models' work: a file from vmabench calibrate, none, or empty for this machine's")

// calibrated resolves -vmabench.calibration once per process.
var calibrated = sync.OnceValues(func() (calib.Resolved, error) {
	return calib.Resolve(context.Background(), *calibration)
})

// defaultWindow is a cell's timed window when -benchtime is a count.
const defaultWindow = time.Second

// benchPlan holds what the plan flags of go test -bench set: the workload
// knobs and pinning, the flags of vmabench run with the prefix "vmabench."
// (go test -bench VMA -vmabench.pages 256 -vmabench.nopin). Which cells
// run is -bench's pattern, how long -benchtime, how often -count.
var (
	benchPlan  = runner.Plan{Base: runner.DefaultConfig()}
	benchFlags = planflag.Bind(flag.CommandLine, &benchPlan, planflag.Load|planflag.Pin, "vmabench.")
)

// benchConfig returns the configuration every cell starts from: the
// runner's defaults and the plan flags, with the window set from
// -benchtime.
func benchConfig() (runner.Config, error) {
	if err := benchFlags.Apply(); err != nil {
		return runner.Config{}, err
	}
	c := benchPlan.Base
	c.Duration = defaultWindow
	if f := flag.Lookup("test.benchtime"); f != nil {
		d, err := planflag.BenchWindow(f.Value.String())
		if err != nil {
			return runner.Config{}, err
		}
		c.Duration = d
	}
	c.Timeout = max(c.Timeout, 2*(c.Warmup+c.Duration))
	return c, c.Load.Validate()
}

var printConfig sync.Once

// BenchmarkVMA runs the matrix: see the package documentation.
func BenchmarkVMA(b *testing.B) {
	base, err := benchConfig()
	if err != nil {
		b.Fatal(err)
	}
	cal, err := calibrated()
	if err != nil {
		b.Fatal(err)
	}
	if cal.Note != "" {
		b.Log(cal.Note)
	}
	cal.Apply(&base.Load)
	printConfig.Do(func() { writeConfig(base) })
	for _, w := range workloads.List() {
		for _, s := range strategies.List() {
			for _, n := range runner.DefaultThreads() {
				// The sub-benchmark is named as the CLI names the cell; the
				// testing package matches -bench against each /-part.
				name := cell.Cell{Workload: w.Name, Strategy: s.Name, Threads: n}.String()
				b.Run(name, func(b *testing.B) {
					c := base
					c.Strategy, c.Workload, c.Threads = s.Name, w.Name, n
					benchCell(b, c, w, s)
				})
			}
		}
	}
}

// benchCell measures one cell: see the package documentation.
func benchCell(b *testing.B, c runner.Config, w workloads.Info, s strategies.Info) {
	if c.Threads < w.MinThreads {
		b.Skipf("%s needs at least %d threads", w.Name, w.MinThreads)
	}
	if why := w.Deadlocks(s, c.Load); why != "" {
		b.Skipf("deadlocks (run it with vmabench run): %s", why)
	}
	r, err := runner.Run(c)
	if err != nil {
		b.Fatal(err)
	}
	switch r.Status {
	case runner.StatusOK:
	case runner.StatusSkipped:
		b.Skip(r.Detail)
	default:
		b.Fatalf("%s: %s", r.Status, r.Detail)
	}
	b.ReportMetric(r.NsPerOp(), "ns/op")
	for _, m := range r.Metrics {
		b.ReportMetric(m.Value, m.Unit)
	}
	if r.Unsafe || r.Violations > 0 {
		b.ReportMetric(float64(r.Violations), "violations")
	}
	b.N = int(r.Ops)
}

// writeConfig prints, as benchfmt unit metadata and configuration lines,
// what a results file of the CLI says beyond go test's goos, goarch, pkg
// and cpu lines.
func writeConfig(c runner.Config) {
	var b strings.Builder
	report.WriteUnits(&b)
	for _, kv := range report.MachineConfig(machine.Commit()) {
		switch kv.Key {
		case "kernel", "vmabench-commit":
			fmt.Fprintf(&b, "%s: %s\n", kv.Key, kv.Value)
		}
	}
	for _, p := range c.Load.Pairs() {
		fmt.Fprintf(&b, "%s: %s\n", p.Key, p.Value)
	}
	fmt.Fprintf(&b, "duration: %v\nwarmup: %v\n", c.Duration, c.Warmup)
	os.Stdout.WriteString(b.String())
}

// TestBenchOutput runs one cell of BenchmarkVMA in a child test binary and
// reads its output back as the CLI's results are read: the name, the
// iterations (the cell's operations), ns/op consistent with the window,
// and the cell's metrics. It also checks that a deadlocking cell and one
// below its workload's MinThreads are skipped, with the reason.
func TestBenchOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark")
	}
	const window = 200 * time.Millisecond
	out := benchChild(t, "-test.bench=^BenchmarkVMA$/^workload=faults$/^strategy=vmaseq$/^threads=1$", "-test.benchtime="+window.String(), "-vmabench.calibration=none")
	f, err := report.Read(strings.NewReader(out), "go test output")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(f.Results) != 1 {
		t.Fatalf("got %d results, want 1:\n%s", len(f.Results), out)
	}
	r := f.Results[0]
	if got, want := r.Key(), (cell.Cell{Workload: "faults", Strategy: "vmaseq", Threads: 1}); got != want {
		t.Errorf("cell %v, want %v", got, want)
	}
	if r.Procs != runtime.GOMAXPROCS(0) {
		t.Errorf("GOMAXPROCS suffix %d, want %d", r.Procs, runtime.GOMAXPROCS(0))
	}
	// Elapsed is read back as ns/op times the iterations: the window, if
	// the iterations are the cell's operations.
	if r.Ops < 100 || r.Elapsed < window || r.Elapsed > window+window/2 {
		t.Errorf("%d ops over %v, want the ops of a %v window:\n%s", r.Ops, r.Elapsed, window, out)
	}
	for _, unit := range []string{"faults/s", "fallbacks/op", "retries/op", "misses/op", "p50-ns", "p99-ns", "p99.9-ns"} {
		if _, ok := r.Metric(unit); !ok {
			t.Errorf("no %s metric:\n%s", unit, out)
		}
	}
	if !slices.Contains(r.Config, cell.KV{Key: "calibration", Value: "none"}) {
		t.Errorf("no \"calibration: none\" configuration line:\n%s", out)
	}
	for _, key := range []string{"kernel", "vmabench-commit", "goos", "cpu"} {
		found := false
		for _, kv := range f.Header {
			found = found || kv.Key == key
		}
		if !found {
			t.Errorf("no %q configuration line:\n%s", key, out)
		}
	}

	// Every cell of nested-fault under mmaplock is skipped, at 1 thread
	// for want of a writer, at 2 and more as a deadlock.
	out = benchChild(t, "-test.bench=^BenchmarkVMA$/^workload=nested-fault$/^strategy=mmaplock$/", "-test.v", "-vmabench.calibration=none")
	wants := []string{
		"--- SKIP: BenchmarkVMA/workload=nested-fault/strategy=mmaplock/threads=1\n",
		"nested-fault needs at least 2 threads",
	}
	if slices.Contains(runner.DefaultThreads(), 2) { // not on 1 CPU
		wants = append(wants,
			"--- SKIP: BenchmarkVMA/workload=nested-fault/strategy=mmaplock/threads=2\n",
			"deadlocks (run it with vmabench run): a Lookup holder's nested fault takes mmap_lock again")
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("skip reason %q missing:\n%s", want, out)
		}
	}
}

// benchChild runs this test binary with args and returns its output.
func benchChild(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	return string(out)
}

// TestBenchtimeCount: go test -bench with -benchtime as a count is refused
// with a message, not quietly run for the default window.
func TestBenchtimeCount(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkVMA$/^workload=faults$/^strategy=vmaseq$/^threads=1$",
		"-test.benchtime=100x", "-vmabench.calibration=none")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "-test.benchtime 100x: a cell runs its threads for a timed window, not a count of iterations") {
		t.Errorf("%v: %v\n%s\nwant a failure that says why", cmd.Args, err, out)
	}
}
