package verdict

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSplitGroups: repetitions split in two modes only where the groups
// are separated and their medians part by more than the tolerance, with
// at least MinGroup in each; one outlier, or one wide mode, is no split.
func TestSplitGroups(t *testing.T) {
	for _, tc := range []struct {
		name   string
		xs     []float64
		tol    float64
		split  bool
		lo, hi int
		apart  float64
	}{
		{"too few", []float64{1, 2, 3}, 1.25, false, 0, 0, 0},
		{"five never split", []float64{40, 60, 40, 60, 40}, 1.25, false, 0, 0, 0},
		{"steady", []float64{100, 101, 99, 102, 98}, 1.25, false, 0, 0, 0},
		{"one outlier high", []float64{100, 101, 99, 102, 200}, 1.25, false, 0, 0, 0},
		{"one outlier low", []float64{50, 101, 99, 102, 100}, 1.25, false, 0, 0, 0},
		{"medians at the tolerance", []float64{100, 100, 125, 125}, 1.25, false, 0, 0, 0},
		{"one wide mode", []float64{100, 105, 110, 115, 120, 125, 130, 135, 140, 145, 150, 155, 160, 165, 170, 175, 180, 185, 190, 195}, 1.25, false, 0, 0, 0},
		// The kernel's writer of lookups-mmap at 2 threads, one run of 20
		// on the 2-CPU VM (thousands of writes/s).
		// The one between the modes goes with the upper group.
		{"two modes", []float64{185, 184, 185, 187, 122, 181, 119, 122, 179, 188, 123, 125, 194, 120, 180, 124, 189, 124, 153, 183}, 1.25, true, 8, 12, 184.5 / 122.5},
		{"exact modes", []float64{40, 60, 40, 60, 40, 60}, 1.25, true, 3, 3, 1.5},
		{"two outliers", []float64{100, 101, 99, 102, 98, 100, 150, 151}, 1.25, false, 0, 0, 0},
	} {
		g := SplitGroups(tc.xs, tc.tol)
		if g.Split() != tc.split {
			t.Errorf("%s: split %v, want %v (%+v)", tc.name, g.Split(), tc.split, g)
			continue
		}
		if tc.split && (g.LoN != tc.lo || g.HiN != tc.hi || math.Abs(g.Apart-tc.apart) > 1e-12) {
			t.Errorf("%s: groups of %d and %d, %v apart; want %d and %d, %v apart", tc.name, g.LoN, g.HiN, g.Apart, tc.lo, tc.hi, tc.apart)
		}
	}
}

// TestSplitGroupsRates: the false splits and the power MinSeparation's
// doc gives, on seeded draws: one log-normal mode (sd 0.2) splits rarely
// at every count from 6 to 29, and a 60/40 mixture of two modes 1.5x
// apart (sd 0.05) mostly from 8 and nearly always from 15.
func TestSplitGroupsRates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	draws := func(n int, f func() float64) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Exp(f())
		}
		return xs
	}
	one := func() float64 { return 0.2 * rng.NormFloat64() }
	two := func() float64 {
		if rng.Float64() < 0.6 {
			return 0.05 * rng.NormFloat64()
		}
		return math.Log(1.5) + 0.05*rng.NormFloat64()
	}
	rate := func(n int, f func() float64) float64 {
		const sets = 1000
		k := 0
		for range sets {
			if SplitGroups(draws(n, f), 1.25).Split() {
				k++
			}
		}
		return float64(k) / sets
	}
	for _, n := range []int{5, 6, 8, 10, 15, 22, 29} {
		if r := rate(n, one); r > 0.06 {
			t.Errorf("one mode, %d draws: %.1f%% split, want at most 6%%", n, 100*r)
		}
	}
	for _, tc := range []struct {
		n    int
		want float64
	}{{8, 0.5}, {10, 0.7}, {15, 0.9}} {
		if r := rate(tc.n, two); r < tc.want {
			t.Errorf("two modes, %d draws: %.0f%% split, want at least %.0f%%", tc.n, 100*r, 100*tc.want)
		}
	}
}
