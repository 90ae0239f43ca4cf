package sim_test

import (
	"errors"
	"testing"

	"vmabench/sim"
)

// TestCheckStopsRun: Check runs between any two steps, outside every CPU
// (its loads schedule nothing), sees the state the last step left, and an
// error from it ends the run at that step.
func TestCheckStopsRun(t *testing.T) {
	var w word
	bad := errors.New("two increments seen")
	calls := 0
	e := sim.New(sim.Config{Policy: &roundRobin{last: -1}, Check: func() error {
		calls++
		if sim.Current() != nil {
			t.Errorf("Check ran on CPU %d", sim.Current().ID())
		}
		if w.load() >= 2 {
			return bad
		}
		return nil
	}})
	for range 2 {
		e.Go(func(*sim.CPU) {
			for range 10 {
				w.racyInc()
			}
		})
	}
	if err := e.Run(); !errors.Is(err, bad) {
		t.Fatalf("Run = %v, want the check's error", err)
	}
	if calls == 0 || e.Steps() > 20 {
		t.Errorf("%d checks, %d steps: want the run stopped early", calls, e.Steps())
	}
}
