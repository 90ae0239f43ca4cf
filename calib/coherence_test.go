//go:build linux

package calib

import (
	"context"
	"errors"
	"math"
	"testing"
)

// TestMeasureCoherence measures this machine's coherence costs: each must
// come out a positive, finite number of ns (no figure is held to a bound:
// the machine is shared).
func TestMeasureCoherence(t *testing.T) {
	var p Profile
	err := measureCoherence(context.Background(), &p)
	if errors.Is(err, errOneCPU) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key string
		v   float64
	}{{"hit-ns", p.Hit}, {"rmw-ns", p.RMW}, {"line-transfer-ns", p.LineTransfer}, {"contended-rmw-ns", p.ContendedRMW}, {"pause-ns", p.Pause}, {"wakeup-ns", p.Wakeup}} {
		if !(c.v > 0) || math.IsInf(c.v, 0) {
			t.Errorf("%s = %v, want a positive number of ns", c.key, c.v)
		}
		t.Logf("%s: %.1f", c.key, c.v)
	}
}

// TestSendCost: a wake-up's cost to its waker is the mean of its rounds,
// so a bimodal send (no IPI to a polling CPU, an exit to the host for a
// halted one) counts at what it costs in total, where the median would
// put it at the cheaper mode; a preempted waker's round (over 100 µs) is
// left out.
func TestSendCost(t *testing.T) {
	rep := func(v float64, n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	for _, c := range []struct {
		name  string
		sends []float64
		want  float64
	}{
		{"none", nil, 0},
		{"one", []float64{1400}, 1400},
		{"flat", rep(1400, 200), 1400},
		// 140 cheap, 60 with an IPI: the median is 1400, the mean 4280.
		{"bimodal", append(rep(1400, 140), rep(11000, 60)...), 4280},
		// One preempted waker in 200 is trimmed, not averaged in.
		{"preempted", append(rep(1400, 199), 1e6), 1400},
		// The expensive mode stays whole; only the preempted go.
		{"bimodal preempted", append(append(rep(1400, 136), rep(11000, 60)...), rep(1e6, 4)...), (136*1400 + 60*11000) / 196.0},
		{"all preempted", rep(2e5, 3), 2e5},
	} {
		if got := sendCost(c.sends); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: sendCost = %v, want %v", c.name, got, c.want)
		}
	}
}
