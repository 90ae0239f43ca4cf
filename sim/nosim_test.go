//go:build vmabench_nosim

package sim_test

import (
	"errors"
	"testing"

	"vmabench/sim"
)

// TestUnavailable: a binary built with -tags vmabench_nosim, in which the
// shared words are plain atomics, refuses to project rather than running
// the CPUs with no scheduling point in their accesses.
func TestUnavailable(t *testing.T) {
	ran := false
	e := sim.New(sim.Config{})
	e.Go(func(*sim.CPU) { ran = true })
	if err := e.Run(); !errors.Is(err, sim.ErrUnavailable) {
		t.Fatalf("Run = %v, want ErrUnavailable", err)
	}
	if ran || sim.On() {
		t.Fatalf("ran %v, On %v: want neither", ran, sim.On())
	}
}
