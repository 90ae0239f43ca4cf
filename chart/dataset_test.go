package chart

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"vmabench/cell"
	"vmabench/runner"
)

// res returns an OK result of workload w, strategy s at t threads doing
// opsPerSec over one second, with the given metrics as unit, value pairs;
// its readers' rate is opsPerSec faults/s unless metrics give a rate.
func res(w, s string, t int, opsPerSec float64, metrics ...any) runner.Result {
	r := runner.Result{
		Cell:   cell.Cell{Workload: w, Strategy: s, Threads: t, Procs: 16},
		Status: runner.StatusOK, Ops: uint64(opsPerSec), Elapsed: time.Second,
	}
	for i := 0; i < len(metrics); i += 2 {
		r.Metrics = append(r.Metrics, runner.Metric{Unit: metrics[i].(string), Value: metrics[i+1].(float64)})
	}
	if readerRate(&r) == "" {
		r.Metrics = append([]runner.Metric{{Unit: "faults/s", Value: opsPerSec}}, r.Metrics...)
	}
	return r
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want summary
	}{
		{"one", []float64{5}, summary{5, 5, 5, 5}},
		{"odd", []float64{3, 1, 2}, summary{2, 1, 3, 3}},
		{"even", []float64{4, 1, 3, 2}, summary{2.5, 1, 4, 4}},
		{"ties", []float64{7, 7, 1}, summary{7, 1, 7, 7}},
		// From 6 repetitions on, the error bar is the median's 95%
		// confidence interval, as the comparison prints it.
		{"ten: confidence interval", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 100}, summary{5.5, 2, 9, 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.in...)
			if got := summarize(tt.in); got != tt.want {
				t.Errorf("summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatalf("summarize reordered its input: %v", tt.in)
				}
			}
		})
	}
}

func TestDataset(t *testing.T) {
	rs := []runner.Result{
		res("faults", "vmaseq", 4, 1),
		res("mmap-churn", "mmaplock", 1, 1),
		res("faults", "mmaplock", 1, 1),
		res("faults", "vmaseq", 4, 2),
		{Cell: cell.Cell{Workload: "nested-fault", Strategy: "vmaseq", Threads: 2}, Status: runner.StatusDeadlock},
		res("faults", "vmaseq", 2, 1),
	}
	rs[3].Unsafe = true
	ds, err := newDataset(rs, []string{"vmarefcnt", "vmaseq"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(ds.workloads, ","), "faults,mmap-churn"; got != want {
		t.Errorf("workloads = %s, want %s (first appearance, deadlocked cell skipped)", got, want)
	}
	if got, want := strings.Join(ds.strategies, ","), "vmarefcnt,vmaseq,mmaplock"; got != want {
		t.Errorf("strategies = %s, want %s (options first)", got, want)
	}
	if got, want := strings.Join(ds.strategiesOf("faults"), ","), "vmaseq,mmaplock"; got != want {
		t.Errorf("strategiesOf(faults) = %s, want %s", got, want)
	}
	if got := ds.threads["faults"]; len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 4 {
		t.Errorf("threads[faults] = %v, want [1 2 4]", got)
	}
	if c := ds.cells[key("faults", "vmaseq", 4)]; len(c.reps) != 2 || !c.unsafe {
		t.Errorf("cell faults/vmaseq/4 = %d reps, unsafe %v; want 2, true", len(c.reps), c.unsafe)
	}
	if !ds.unsafe("faults", "vmaseq") || ds.unsafe("faults", "mmaplock") {
		t.Errorf("unsafe(faults, vmaseq/mmaplock) = %v/%v, want true/false", ds.unsafe("faults", "vmaseq"), ds.unsafe("faults", "mmaplock"))
	}

	if _, err := newDataset(rs[4:5], nil); !errors.Is(err, ErrNoData) {
		t.Errorf("newDataset(only a deadlock) error = %v, want ErrNoData", err)
	}
}

// realistic returns a synthetic result set shaped like a real run: five
// strategies, threads 1 to 16, three repetitions with noise, four workloads
// with latency percentiles and lock statistics, nolock unsafe under the
// faults-mmap writer, and a deadlocked nested-fault cell.
func realistic(seed uint64) []runner.Result {
	rng := rand.New(rand.NewPCG(seed, 0))
	type model struct {
		perThread float64 // ops/s of one thread
		contend   float64 // how fast scaling flattens
	}
	strategies := []string{"mmaplock", "vmaseq", "vmarefcnt", "vmawait", "nolock"}
	workloads := map[string]map[string]model{
		"faults": {
			"mmaplock": {2.0e6, 0.35}, "vmaseq": {1.9e6, 0.03}, "vmarefcnt": {2.0e6, 0.02},
			"vmawait": {2.0e6, 0.02}, "nolock": {2.3e6, 0.01},
		},
		"faults-mmap": {
			"mmaplock": {1.8e6, 0.6}, "vmaseq": {1.7e6, 0.12}, "vmarefcnt": {1.8e6, 0.08},
			"vmawait": {1.8e6, 0.07}, "nolock": {2.2e6, 0.01},
		},
		"faults-mprotect": {
			"mmaplock": {1.5e6, 0.7}, "vmaseq": {1.5e6, 0.25}, "vmarefcnt": {1.6e6, 0.15},
			"vmawait": {1.6e6, 0.12}, "nolock": {2.0e6, 0.01},
		},
		"mmap-churn": {
			"mmaplock": {4.0e5, 0.9}, "vmaseq": {3.6e5, 0.9}, "vmarefcnt": {3.5e5, 0.9},
			"vmawait": {3.5e5, 0.9}, "nolock": {4.5e5, 0.9},
		},
	}
	var rs []runner.Result
	for _, w := range []string{"faults", "faults-mmap", "faults-mprotect", "mmap-churn"} {
		writer := w != "faults"
		for _, s := range strategies {
			m := workloads[w][s]
			for _, t := range []int{1, 2, 4, 8, 16} {
				for range 3 {
					tp := m.perThread * float64(t) / (1 + m.contend*float64(t-1)) * (1 + 0.04*rng.NormFloat64())
					p50 := 1e9 / m.perThread * (1 + m.contend*float64(t-1)) * (1 + 0.03*rng.NormFloat64())
					r := res(w, s, t, tp, "faults/s", tp,
						"p50-ns", p50, "p99-ns", p50*(6+rng.Float64()), "p99.9-ns", p50*(40+10*rng.Float64()))
					if writer {
						r.Metrics = append(r.Metrics, runner.Metric{Value: p50 * 80 * float64(t), Unit: "writer-p99-ns"})
					}
					if writer && s != "mmaplock" && s != "nolock" && t > 1 {
						fb := 0.002 * float64(t) * (1 + 0.1*rng.Float64())
						if s != "vmaseq" {
							fb /= 4
						}
						r.Metrics = append(r.Metrics,
							runner.Metric{Value: fb, Unit: "fallbacks/op"},
							runner.Metric{Value: fb / 3, Unit: "retries/op"},
							runner.Metric{Value: 0.0004 * float64(t), Unit: "misses/op"})
					}
					r.Unsafe = s == "nolock" && w == "faults-mmap" && t > 1
					rs = append(rs, r)
				}
			}
		}
	}
	rs = append(rs, runner.Result{Cell: cell.Cell{Workload: "nested-fault", Strategy: "vmaseq", Threads: 4}, Status: runner.StatusDeadlock, Detail: "stuck"})
	return rs
}
