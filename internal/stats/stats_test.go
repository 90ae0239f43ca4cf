package stats

import "testing"

func TestInterval(t *testing.T) {
	tests := []struct {
		name        string
		vs          []float64
		med, lo, hi float64
	}{
		{"one", []float64{5}, 5, 5, 5},
		{"even count: mean of the middle two", []float64{4, 1, 3, 2}, 2.5, 1, 4},
		{"too few for a 95% interval: the range", []float64{3, 1, 2, 9, 5}, 3, 1, 9},
		// With 6 values the 95% interval of the median is the whole
		// sample (order statistics 1 and 6); with 10 it is narrower.
		{"six", []float64{6, 1, 5, 2, 4, 3}, 3.5, 1, 6},
		{"ten: a true interval", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 100}, 5.5, 2, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			med, lo, hi := Interval(tt.vs)
			if med != tt.med || lo != tt.lo || hi != tt.hi {
				t.Errorf("Interval(%v) = %v [%v, %v], want %v [%v, %v]", tt.vs, med, lo, hi, tt.med, tt.lo, tt.hi)
			}
			if m := Median(tt.vs); m != tt.med {
				t.Errorf("Median(%v) = %v, want %v", tt.vs, m, tt.med)
			}
		})
	}
}
