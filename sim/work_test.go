package sim

import (
	"math"
	"slices"
	"testing"
)

// TestWorkSpread: the draws keep the work's mean, have the spread's
// percentiles as ratios of their median, and repeat for a seed.
func TestWorkSpread(t *testing.T) {
	tests := []struct {
		name   string
		s      WorkSpread
		lo, hi float64 // want p10/p50 and p90/p50
	}{
		{"this VM", WorkSpread{Lo: 0.97, Hi: 1.17}, 0.97, 1.17},
		{"wide", WorkSpread{Lo: 0.5, Hi: 2}, 0.5, 2},
		{"only a tail", WorkSpread{Lo: 1, Hi: 1.3}, 1, 1.3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n, ns = 100000, 1000
			f := tt.s.Func(1)
			xs := make([]float64, n)
			var sum float64
			for i := range xs {
				xs[i] = float64(f(ns))
				sum += xs[i]
			}
			if mean := sum / n / (ns * 1000); math.Abs(mean-1) > 0.01 {
				t.Errorf("mean %.4f of the calibrated work, want 1", mean)
			}
			slices.Sort(xs)
			// The 10th and 90th percentiles sit on the flat tails;
			// just inside them keeps the check off the edge.
			p := func(q float64) float64 { return xs[int(q*(n-1))] }
			med := p(0.5)
			if got := p(0.09) / med; math.Abs(got-tt.lo) > 0.005 {
				t.Errorf("p10/p50 = %.4f, want %.4f", got, tt.lo)
			}
			if got := p(0.91) / med; math.Abs(got-tt.hi) > 0.005 {
				t.Errorf("p90/p50 = %.4f, want %.4f", got, tt.hi)
			}
			g, h := tt.s.Func(7), tt.s.Func(7)
			for range 100 {
				if a, b := g(ns), h(ns); a != b {
					t.Fatalf("seed 7 drew %d, then %d: not deterministic", a, b)
				}
			}
		})
	}
}

// TestWorkSpreadNone: no spread, or one of zero width, charges the mean
// exactly (a nil Config.Work).
func TestWorkSpreadNone(t *testing.T) {
	for _, s := range []WorkSpread{{}, {Lo: 1, Hi: 1}} {
		if s.Func(1) != nil {
			t.Errorf("%+v: want no draw", s)
		}
		if err := s.Valid(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	for _, s := range []WorkSpread{{Lo: 0, Hi: 1.2}, {Lo: 1.1, Hi: 1.2}, {Lo: 0.9, Hi: 0.95}, {Lo: 0.9, Hi: math.Inf(1)}, {Lo: math.NaN(), Hi: 1}} {
		if s.Valid() == nil {
			t.Errorf("%+v: valid, want an error", s)
		}
	}
}

// TestWorkSpreadEngine: an engine with a Work function charges each
// piece of a CPU's Work through it, and one without charges 1000 ps a ns.
func TestWorkSpreadEngine(t *testing.T) {
	run := func(work func(int64) int64) int64 {
		e := New(Config{Work: work})
		var clock int64
		e.Go(func(c *CPU) {
			for range 10 {
				c.Work += 100
				Relax()
			}
			clock = c.Clock()
		})
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		return clock
	}
	plain := run(nil)
	doubled := run(func(ns int64) int64 { return 2000 * ns })
	// Each Relax costs the unit model's 1 ns besides the work.
	if want := plain + 10*100*1000; doubled != want {
		t.Errorf("doubled work: clock %d ps, want %d (plain %d)", doubled, want, plain)
	}
}
