package nightly

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vmabench/cell"
	"vmabench/report"
	"vmabench/runner"
)

// testMachine is the machine the tests' nightly runs are filed under.
const testMachine = "test-vm"

// testHeader is the machine header of the files the tests write.
var testHeader = []cell.KV{
	{Key: "machine", Value: testMachine},
	{Key: "goos", Value: "linux"}, {Key: "goarch", Value: "amd64"}, {Key: "pkg", Value: "vmabench"},
	{Key: "cpu", Value: "Test CPU"}, {Key: "kernel", Value: "6.18.0"}, {Key: "gomaxprocs", Value: "2"},
	{Key: "vmabench-commit", Value: "0123456789abcdef"},
}

// reps returns one OK result of the cell per value of ns, each ns/op.
func reps(workload, strategy string, threads int, ns ...float64) []runner.Result {
	rs := make([]runner.Result, len(ns))
	for i, v := range ns {
		const ops = 1_000_000
		rs[i] = runner.Result{
			Cell:   cell.Cell{Workload: workload, Strategy: strategy, Threads: threads, Procs: 2},
			Config: []cell.KV{{Key: "pages", Value: "64"}},
			Status: runner.StatusOK, Ops: ops, Elapsed: time.Duration(v * ops),
			Metrics: []runner.Metric{{Value: 1e9 / v, Unit: "faults/s"}},
		}
	}
	return rs
}

// jitter returns n values spread uniformly within ±frac of center.
func jitter(rng *rand.Rand, center, frac float64, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = center * (1 + frac*(2*rng.Float64()-1))
	}
	return vs
}

// failed returns a cell that ended with status st.
func failed(workload, strategy string, threads int, st runner.Status) runner.Result {
	return runner.Result{Cell: cell.Cell{Workload: workload, Strategy: strategy, Threads: threads, Procs: 2},
		Status: st, Detail: "no progress for 1s; thread 0 holds mmap_lock"}
}

// nightResults returns a small night: faults at one thread under vmaseq and
// nolock, six repetitions each within ±1% of ns ns/op.
func nightResults(seed uint64, ns float64) []runner.Result {
	rng := rand.New(rand.NewPCG(seed, 2))
	var rs []runner.Result
	rs = append(rs, reps("faults", "vmaseq", 1, jitter(rng, ns, 0.01, 6)...)...)
	rs = append(rs, reps("faults", "nolock", 1, jitter(rng, ns*0.9, 0.01, 6)...)...)
	return rs
}

// writeNight writes rs as a results file dir/name.
func writeNight(t *testing.T, dir, name string, rs []runner.Result) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := report.NewWriter(f)
	if err := w.WriteHeader(testHeader); err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		if err := w.WriteResult(&rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
