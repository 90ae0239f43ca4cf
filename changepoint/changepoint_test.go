package changepoint

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// noisy returns n values around level, each times 1 plus a normal deviate
// of relative standard deviation sd.
func noisy(rng *rand.Rand, level, sd float64, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = level * (1 + sd*rng.NormFloat64())
	}
	return vs
}

func TestEDivisiveSteps(t *testing.T) {
	tests := []struct {
		name   string
		levels []float64 // one level per segment
		sizes  []int
		sd     float64
		want   []int
	}{
		{"one step up", []float64{100, 130}, []int{20, 20}, 0.05, []int{20}},
		{"one step down", []float64{100, 70}, []int{15, 25}, 0.05, []int{15}},
		{"two steps", []float64{100, 150, 110}, []int{12, 12, 12}, 0.04, []int{12, 24}},
		{"late step", []float64{100, 140}, []int{27, 5}, 0.05, []int{27}},
		{"regression and fix", []float64{100, 200, 100}, []int{10, 6, 10}, 0.1, []int{10, 16}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const seed = 7
			rng := rand.New(rand.NewPCG(seed, 1))
			var series []float64
			for i, l := range tt.levels {
				series = append(series, noisy(rng, l, tt.sd, tt.sizes[i])...)
			}
			ps, err := EDivisive(series, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range ps {
				got = append(got, p.Index)
				if p.P > DefaultOptions().Alpha {
					t.Errorf("point %d has p = %v > alpha", p.Index, p.P)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("seed %d: change points at %v, want %v\nseries %.1f", seed, got, tt.want, series)
			}
			if len(ps) > 0 && len(tt.levels) > 1 {
				want := (tt.levels[1] - tt.levels[0]) / tt.levels[0]
				if c := ps[0].Change(); c < want-0.1 || c > want+0.1 {
					t.Errorf("first change %+.2f, want about %+.2f", c, want)
				}
			}
		})
	}
}

// TestEDivisiveFlat runs the method on flat noisy series, as noisy as a
// shared machine's nights (10% standard deviation, some with outliers), and
// counts false change points: at most about Alpha of the series may have
// one, and the given seeds none.
func TestEDivisiveFlat(t *testing.T) {
	const series, n = 300, 30
	false_ := 0
	for seed := range uint64(series) {
		rng := rand.New(rand.NewPCG(seed, 2))
		vs := noisy(rng, 100, 0.10, n)
		if seed%3 == 0 { // a bad night or two
			vs[rng.IntN(n)] *= 1.6
		}
		opts := DefaultOptions()
		opts.Seed = seed
		ps, err := EDivisive(vs, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) > 0 {
			false_++
			if seed < 20 {
				t.Errorf("seed %d: false change points %+v in a flat series", seed, ps)
			}
		}
	}
	// Alpha is 0.01: 3 of 300 expected; allow for the binomial spread.
	if false_ > 9 {
		t.Errorf("%d of %d flat series have a change point, want at most about 1%%", false_, series)
	}
	t.Logf("%d of %d flat series have a false change point", false_, series)
}

func TestEDivisiveDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	vs := append(noisy(rng, 100, 0.2, 10), noisy(rng, 125, 0.2, 10)...)
	a, err := EDivisive(vs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := EDivisive(vs, DefaultOptions())
	if !slices.Equal(a, b) {
		t.Errorf("two runs differ: %+v and %+v", a, b)
	}
}

func TestEDivisiveShort(t *testing.T) {
	for n := range 6 {
		ps, err := EDivisive(slices.Repeat([]float64{1, 100}, n)[:n], DefaultOptions())
		if err != nil || len(ps) != 0 {
			t.Errorf("%d points: %v, %v; want none", n, ps, err)
		}
	}
}

func TestEDivisiveBadInput(t *testing.T) {
	tests := []struct {
		name   string
		series []float64
		opts   Options
		want   string
	}{
		{"alpha", nil, Options{Alpha: 1.5}, "alpha 1.5: want 0 < alpha < 1"},
		{"permutations", nil, Options{Permutations: -1}, "permutations -1: want at least 1"},
		{"min size", nil, Options{MinSize: 1}, "min size 1: want at least 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EDivisive(tt.series, tt.opts)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	var zero float64
	if _, err := EDivisive([]float64{1, zero / zero, 3}, Options{}); err == nil || !strings.Contains(err.Error(), "value 1 is NaN") {
		t.Errorf("NaN: error %v, want value 1 is NaN", err)
	}
}
