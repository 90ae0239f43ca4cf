package verdict

import (
	"math"
	"testing"
)

func TestMinN(t *testing.T) {
	tests := []struct {
		alpha float64
		want  int
	}{
		{0.05, 4},  // 3 vs 3 reaches only 0.1
		{0.1, 3},   // 2/20
		{0.01, 5},  // 2/252 = 0.0079
		{0.002, 7}, // 2/924 = 0.0022 misses; 7: 2/3432
	}
	for _, tt := range tests {
		if got := MinN(tt.alpha); got != tt.want {
			t.Errorf("MinN(%v) = %d, want %d", tt.alpha, got, tt.want)
		}
	}
	if p := MinP(3, 3); math.Abs(p-0.1) > 1e-12 {
		t.Errorf("MinP(3, 3) = %v, want 0.1", p)
	}
}

func TestCompare(t *testing.T) {
	base := []float64{100, 103, 98, 101, 99, 102}
	scaled := func(xs []float64, f float64) []float64 {
		out := make([]float64, len(xs))
		for i, x := range xs {
			out[i] = x * f
		}
		return out
	}
	noisy := []float64{80, 130, 95, 120, 70, 110}
	tests := []struct {
		name     string
		old, new []float64
		dir      Direction
		want     Outcome
		needMin  int
	}{
		{"2x slower time, n=6", base, scaled(base, 2), Lower, Worse, 0},
		{"2x slower rate, n=6", base, scaled(base, 0.5), Higher, Worse, 0},
		{"2x faster rate", base, scaled(base, 2), Higher, Better, 0},
		{"unchanged", base, scaled(base, 1.001), Lower, Same, 0},
		{"2x slower at n=3: the test cannot reach 0.05", base[:3], scaled(base[:3], 2), Lower, CannotTell, 4},
		{"noisy 10%: straddles", noisy, scaled(noisy, 1.1), Lower, CannotTell, 7},
		{"one side empty", base, nil, Lower, CannotTell, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := Compare(tt.old, tt.new, tt.dir, 0.05, 0.05)
			if j.Outcome != tt.want {
				t.Fatalf("Compare = %v, want %v", j, tt.want)
			}
			if j.Need < tt.needMin {
				t.Errorf("Need = %d, want at least %d (%v)", j.Need, tt.needMin, j)
			}
			if j.Outcome == CannotTell && len(tt.new) > 0 && j.Need == 0 {
				t.Errorf("cannot tell without a count that would decide it: %v", j)
			}
			// Deterministic: the same inputs, the same interval.
			if k := Compare(tt.old, tt.new, tt.dir, 0.05, 0.05); k.Lo != j.Lo && !math.IsNaN(j.Lo) {
				t.Errorf("second judgement's interval %v, first %v", k.Lo, j.Lo)
			}
		})
	}
}

func TestJudgeRatio(t *testing.T) {
	k := []float64{10, 11, 9, 10, 10.5}
	tests := []struct {
		name  string
		model []float64
		want  Outcome
	}{
		{"agrees", []float64{10.2, 10.8, 9.3, 10.1, 10.4}, Same},
		{"disagrees: 2x", []float64{20, 22, 18, 20, 21}, Worse},
		{"straddles 1.25", []float64{11, 16, 10, 14, 13}, CannotTell},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := JudgeRatio(k, tt.model, 1.25)
			if j.Outcome != tt.want {
				t.Fatalf("JudgeRatio = %v, want %v", j, tt.want)
			}
			if j.Outcome == CannotTell && j.Need <= j.N {
				t.Errorf("Need %d, want more than n=%d", j.Need, j.N)
			}
		})
	}
	if j := JudgeRatio(k[:1], k[:1], 1.25); j.Outcome != CannotTell {
		t.Errorf("one repetition judged %v, want cannot tell", j)
	}
}
