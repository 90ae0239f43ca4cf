package chart

import (
	"slices"
	"testing"

	"gonum.org/v1/plot/plotter"

	"vmabench/runner"
	"vmabench/units"
)

// TestLockCharts: the reader's and the writer's operation split into lock
// wait, hold and the rest, from the cells' rates; a strategy without the
// lock units (the kernel where it cannot be traced) is left out, and a
// workload where none has them gets no chart.
func TestLockCharts(t *testing.T) {
	// faults-mmap at 2 threads: one reader at 1M faults/s (1 µs a fault),
	// one writer at 100k writes/s (10 µs a write).
	locked := []any{units.FaultsPerS, 1e6, units.WritesPerS, 1e5,
		units.LockWait, 100.0, units.LockHold, 300.0,
		units.WriterLockWait, 2000.0, units.WriterLockHold, 5000.0}
	rs := slices.Concat(
		reps("faults-mmap", "mmaplock", 2, []float64{1e6}, locked...),
		reps("faults-mmap", "kernel", 2, []float64{1e6}, units.FaultsPerS, 1e6, units.WritesPerS, 1e5),
	)
	charts, err := Charts(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		chart            string
		wait, hold, rest float64
	}{
		{"faults-mmap-locks", 100, 300, 600},
		{"faults-mmap-writer-locks", 2000, 5000, 3000},
	} {
		p := byName(t, charts, tc.chart)
		bars := ofType[*plotter.BarChart](t, p)
		if len(bars) != 3 {
			t.Fatalf("%s: %d bar series, want 3 (wait, hold, rest)", tc.chart, len(bars))
		}
		for i, want := range []float64{tc.wait, tc.hold, tc.rest} {
			if got := []float64(bars[i].Values); len(got) != 1 || got[0] != want {
				t.Errorf("%s: segment %d = %v, want [%v] (one strategy: the kernel has no lock units)", tc.chart, i, got, want)
			}
		}
		if got := legend(p); !slices.Equal(got, []string{"lock wait", "lock hold", "rest"}) {
			t.Errorf("%s: legend %v", tc.chart, got)
		}
	}

	var none []runner.Result = reps("faults-mmap", "kernel", 2, []float64{1e6}, units.FaultsPerS, 1e6, units.WritesPerS, 1e5)
	charts, err = Charts(none, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		if c.Name == "faults-mmap-locks" || c.Name == "faults-mmap-writer-locks" {
			t.Errorf("chart %s drawn without lock units", c.Name)
		}
	}
}
