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
