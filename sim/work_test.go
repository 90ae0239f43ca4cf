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
				xs[i] = float64(f(0, ns))
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
				if a, b := g(0, ns), h(0, ns); a != b {
					t.Fatalf("seed 7 drew %d, then %d: not deterministic", a, b)
				}
			}
		})
	}
}

// TestWorkSpreadStalls: a spread with a tail strikes one piece of Ns ns
// in a hundred with a stall, so pieces of that length have the tail's
// percentiles; a piece a tenth as long is struck a tenth as often, the
// stall as long; the mean stays the calibrated work.
func TestWorkSpreadStalls(t *testing.T) {
	s := WorkSpread{Lo: 0.97, Hi: 1.06, P99: 1.7, P999: 10.3, Ns: 4300}
	if err := s.Valid(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		ns     int64
		struck float64 // want the share of pieces with a stall
	}{
		{"a pair's length", 4300, 0.01},
		{"a tenth of it", 430, 0.001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 400000
			f := s.Func(3)
			xs := make([]float64, n)
			var sum float64
			for i := range xs {
				xs[i] = float64(f(0, tt.ns)) / 1000 // ns
				sum += xs[i]
			}
			if mean := sum / n / float64(tt.ns); math.Abs(mean-1) > 0.02 {
				t.Errorf("mean %.4f of the calibrated work, want 1", mean)
			}
			slices.Sort(xs)
			med := xs[n/2]
			// A stall is at least (P99-1)*Ns = 3010 ns, far past the body.
			bodyMax := med * s.Hi * 1.01
			struck := 0
			for _, x := range xs {
				if x > bodyMax {
					struck++
				}
			}
			if got := float64(struck) / n; math.Abs(got-tt.struck) > 0.15*tt.struck {
				t.Errorf("%.4f of pieces stalled, want %.4f", got, tt.struck)
			}
			if tt.ns == int64(s.Ns) {
				// At Ns, the 99th percentile is the body's top plus
				// the shortest stall: about P99 times the median.
				if got := xs[int(0.995*n)] / med; got < s.P99 || got > s.P999 {
					t.Errorf("p99.5/p50 = %.3f, want between p99 %.3f and p99.9 %.3f", got, s.P99, s.P999)
				}
			}
		})
	}
	g, h := s.Func(9), s.Func(9)
	for range 10000 {
		if a, b := g(0, 4300), h(0, 4300); a != b {
			t.Fatalf("seed 9 drew %d, then %d: not deterministic", a, b)
		}
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
	for _, s := range []WorkSpread{{Lo: 0, Hi: 1.2}, {Lo: 1.1, Hi: 1.2}, {Lo: 0.9, Hi: 0.95}, {Lo: 0.9, Hi: math.Inf(1)}, {Lo: math.NaN(), Hi: 1},
		{Lo: 0.9, Hi: 1.2, P99: 1.1, P999: 2, Ns: 100}, {Lo: 0.9, Hi: 1.2, P99: 2, P999: 1.5, Ns: 100}, {Lo: 0.9, Hi: 1.2, P99: 2, P999: math.Inf(1), Ns: 100},
		{Lo: 0.9, Hi: 1.2, P999: 2, Ns: 100}, {Lo: 0.9, Hi: 1.2, P99: 2, P999: 3}, {Lo: 0.9, Hi: 1.2, P99: 50, P999: 500, Ns: 100}} {
		if s.Valid() == nil {
			t.Errorf("%+v: valid, want an error", s)
		}
	}
}

// TestWorkSpreadEngine: an engine with a Work function charges each
// piece of a CPU's Work through it, and one without charges 1000 ps a ns.
func TestWorkSpreadEngine(t *testing.T) {
	run := func(work func(int, int64) int64) int64 {
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
	doubled := run(func(_ int, ns int64) int64 { return 2000 * ns })
	// Each Relax costs the unit model's 1 ns besides the work.
	if want := plain + 10*100*1000; doubled != want {
		t.Errorf("doubled work: clock %d ps, want %d (plain %d)", doubled, want, plain)
	}
}

// TestWorkSpreadWholeOperation: the spread is of a whole operation of Ns
// ns, so an operation cut into six pieces, as a projection cuts one at its
// accesses, varies as measured (each CPU keeps its factor for Ns ns of its
// own work), where six pieces drawn on their own (Ns zero) vary about
// 1/sqrt(6) as much; and two CPUs whose pieces interleave draw apart.
func TestWorkSpreadWholeOperation(t *testing.T) {
	const ops, pieces, ns = 20000, 6, 1000
	spreadOf := func(s WorkSpread) (lo, hi float64) {
		f := s.Func(5)
		xs := make([]float64, ops)
		for i := range xs {
			for range pieces {
				xs[i] += float64(f(0, ns))
			}
		}
		slices.Sort(xs)
		med := xs[ops/2]
		return xs[int(0.09*ops)] / med, xs[int(0.91*ops)] / med
	}
	whole := WorkSpread{Lo: 0.8, Hi: 1.3, Ns: pieces * ns}
	if lo, hi := spreadOf(whole); math.Abs(lo-whole.Lo) > 0.01 || math.Abs(hi-whole.Hi) > 0.01 {
		t.Errorf("an operation of %d pieces: p10/p50 %.3f, p90/p50 %.3f; want the spread's %.2f and %.2f", pieces, lo, hi, whole.Lo, whole.Hi)
	}
	apart := whole
	apart.Ns = 0
	if lo, hi := spreadOf(apart); lo < 0.87 || hi > 1.2 {
		t.Errorf("pieces drawn on their own: p10/p50 %.3f, p90/p50 %.3f; want about 1/sqrt(%d) of the spread", lo, hi, pieces)
	}
	// Two CPUs taking turns: the factors their operations are charged at
	// do not follow each other.
	f := whole.Func(11)
	var a, b []float64
	for range ops {
		var x, y float64
		for range pieces {
			x += float64(f(0, ns))
			y += float64(f(1, ns))
		}
		a, b = append(a, x), append(b, y)
	}
	if r := correlation(a, b); math.Abs(r) > 0.05 {
		t.Errorf("two CPUs' operations correlate %.3f, want about 0", r)
	}
}

func correlation(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma, mb = ma+a[i], mb+b[i]
	}
	ma, mb = ma/float64(len(a)), mb/float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}
