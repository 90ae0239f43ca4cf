package report

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"vmabench/cell"
	"vmabench/runner"
	"vmabench/units"
)

// run returns n repetitions of a cell whose ns/op and faults/s are base
// times a jitter of up to ±2%, drawn from rng.
func run(rng *rand.Rand, strategy string, n int, baseNs float64) []runner.Result {
	var rs []runner.Result
	for range n {
		j := 1 + (rng.Float64()-0.5)*0.04
		ops := uint64(1_000_000)
		rs = append(rs, runner.Result{Cell: cell.Cell{Workload: "faults", Strategy: strategy, Threads: 4, Procs: 4},
			Status: runner.StatusOK, Ops: ops, Elapsed: time.Duration(baseNs * j * float64(ops)),
			Metrics: []runner.Metric{{Value: 4e9 / (baseNs * j), Unit: "faults/s"}}})
	}
	return rs
}

func TestCompare(t *testing.T) {
	const seed = 42
	tests := []struct {
		name                     string
		newNs                    float64 // old is 100ns/op
		regressions, improvement int     // deltas, of 2 units, beyond 5%
	}{
		{"2x slower", 200, 2, 0},
		{"2x faster", 50, 0, 2},
		{"same", 100, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0))
			old, new := run(rng, "vmaseq", 6, 100), run(rng, "vmaseq", 6, tt.newNs)
			c, err := Compare(old, new, CompareOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Deltas) != 2 || c.Deltas[0].Unit != "ns/op" || c.Deltas[1].Unit != "faults/s" {
				t.Fatalf("seed %d: deltas %+v, want ns/op and faults/s", seed, c.Deltas)
			}
			for _, d := range c.Deltas {
				if d.OldN != 6 || d.NewN != 6 {
					t.Errorf("%s: n=%d+%d, want 6+6", d.Unit, d.OldN, d.NewN)
				}
				if changed := tt.newNs != 100; d.Significant != changed || changed && d.Test.P >= 0.05 {
					t.Errorf("seed %d: %s: significant=%v p=%v, want significant=%v", seed, d.Unit, d.Significant, d.Test.P, changed)
				}
			}
			if got := len(c.Regressions(0.05)); got != tt.regressions {
				t.Errorf("seed %d: %d regressions, want %d", seed, got, tt.regressions)
			}
			if got := len(c.Improvements(0.05)); got != tt.improvement {
				t.Errorf("seed %d: %d improvements, want %d", seed, got, tt.improvement)
			}
		})
	}
}

// TestCompareThreshold checks that a significant change no larger than the
// threshold is not a regression.
func TestCompareThreshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 0))
	c, err := Compare(run(rng, "vmaseq", 6, 100), run(rng, "vmaseq", 6, 110), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.Regressions(0.05)); got != 2 {
		t.Errorf("10%% slower, threshold 5%%: %d regressions, want 2", got)
	}
	if got := len(c.Regressions(0.5)); got != 0 {
		t.Errorf("10%% slower, threshold 50%%: %d regressions, want 0", got)
	}
}

func TestCompareOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts CompareOptions
		want string
	}{
		{"zero", CompareOptions{}, ""},
		{"default", DefaultCompareOptions(), ""},
		{"alpha", CompareOptions{Alpha: 1}, "report: alpha 1 not in [0, 1)"},
		{"confidence", CompareOptions{Confidence: -0.5}, "report: confidence -0.5 not in [0, 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if got := ""; err != nil {
				got = err.Error()
				if got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			} else if tt.want != "" {
				t.Errorf("got nil, want %q", tt.want)
			}
		})
	}
}

// TestCompareText prints a comparison with a regression, no change, an
// unsafe cell, a cell only one run has, too few samples and a failure.
func TestCompareText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	old := append(run(rng, "mmaplock", 6, 100), run(rng, "vmaseq", 6, 80)...)
	old = append(old, run(rng, "nolock", 6, 20)...)
	old = append(old, run(rng, "vmawait", 2, 70)...)
	new := append(run(rng, "mmaplock", 6, 200), run(rng, "vmaseq", 6, 80)...)
	unsafe := run(rng, "nolock", 6, 21)
	for i := range unsafe {
		unsafe[i].Unsafe = true
	}
	new = append(new, unsafe...)
	new = append(new, run(rng, "vmarefcnt", 6, 60)...)
	new = append(new, run(rng, "vmawait", 2, 70)...)
	new = append(new, runner.Result{Cell: cell.Cell{Workload: "nested-fault", Strategy: "mmaplock", Threads: 2, Procs: 4},
		Status: runner.StatusDeadlock, Detail: "thread 0: waits mmap_lock\nthread 1: holds mmap_lock"})
	c, err := Compare(old, new, CompareOptions{OldLabel: "base.txt", NewLabel: "head.txt"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "compare.golden", buf.Bytes())
}

// TestCompareLockUnits: the lock and counter units are judged in the
// direction of the unit table: a longer lock wait is a regression, more
// context switches (no direction) neither.
func TestCompareLockUnits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 0))
	with := func(rs []runner.Result, wait, switches float64) []runner.Result {
		for i := range rs {
			j := 1 + (rng.Float64()-0.5)*0.04
			rs[i].Metrics = append(rs[i].Metrics,
				runner.Metric{Value: wait * j, Unit: units.LockWait},
				runner.Metric{Value: switches * j, Unit: units.CtxSwitches})
		}
		return rs
	}
	old := with(run(rng, "mmaplock", 6, 100), 100, 0.01)
	new := with(run(rng, "mmaplock", 6, 100), 300, 0.03)
	c, err := Compare(old, new, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var regressed []string
	for _, d := range c.Regressions(0.05) {
		regressed = append(regressed, d.Unit)
	}
	if len(regressed) != 1 || regressed[0] != units.LockWait {
		t.Errorf("regressions in %v, want %s alone", regressed, units.LockWait)
	}
}
