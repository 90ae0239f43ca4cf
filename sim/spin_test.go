package sim_test

import (
	"errors"
	"strings"
	"testing"

	"vmabench/sim"
)

// TestSpinSkip: a spinner that waits for a word to change, loading it
// and one other word each iteration, leaves its loop at the same virtual
// time, having seen the same values, whether the engine runs every
// iteration (RunSpins) or skips them (SpinRelax), for a write at every
// picosecond across a few iterations, by a CPU on either side of the
// spinner in TimeOrder's ties; and the writer's own time is the same.
func TestSpinSkip(t *testing.T) {
	costs := sim.Costs{CPUs: 2, Sockets: 1, Hit: 1, RMW: 3, Transfer: 5, RMWTransfer: 6, Remote: 5, Pause: 40, Wake: 1000}
	type outcome struct{ exit, wrote, seen int64 }
	run := func(runSpins bool, writeAt int64, spinnerFirst bool) (outcome, uint64) {
		// Each on a line of its own: two loads of one line in an
		// iteration are never skipped.
		type lineWord struct {
			word
			_ [56]byte
		}
		flag, other := new(lineWord), new(lineWord)
		var o outcome
		e := sim.New(sim.Config{Model: sim.NewCoherence(costs, 1), RunSpins: runSpins})
		spinner := func(*sim.CPU) {
			other.load()
			for {
				if v := flag.load(); v != 0 {
					o.seen = v
					break
				}
				other.load()
				sim.SpinRelax()
			}
			o.exit = sim.Now()
		}
		writer := func(*sim.CPU) {
			sim.Advance(writeAt)
			flag.store(7)
			o.wrote = sim.Now()
		}
		if spinnerFirst {
			e.Go(spinner)
			e.Go(writer)
		} else {
			e.Go(writer)
			e.Go(spinner)
		}
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		return o, e.Elided()
	}
	var skipped uint64
	for _, first := range []bool{true, false} {
		for at := int64(1000); at < 1100; at++ {
			want, n := run(true, at, first)
			if n != 0 {
				t.Fatalf("RunSpins skipped %d iterations", n)
			}
			got, n := run(false, at, first)
			skipped += n
			if got != want {
				t.Errorf("write at %d ps, spinner is CPU %d: skipping gave %+v, every iteration %+v", at, map[bool]int{true: 0, false: 1}[first], got, want)
			}
		}
	}
	if skipped == 0 {
		t.Error("no iteration was skipped")
	}
}

// TestSpinForEver: a spinner whose word no one will write is reported as
// a deadlock, saying it spins, once nothing else can run; with Until the
// run ends there instead.
func TestSpinForEver(t *testing.T) {
	costs := sim.Costs{CPUs: 1, Sockets: 1, Hit: 1, RMW: 3, Transfer: 5, RMWTransfer: 6, Remote: 5, Pause: 40, Wake: 1000}
	for _, until := range []int64{0, 1_000_000} {
		var flag word
		e := sim.New(sim.Config{Model: sim.NewCoherence(costs, 1), Until: until})
		e.Go(func(*sim.CPU) {
			for flag.load() == 0 {
				sim.SpinRelax()
			}
		})
		err := e.Run()
		var dl *sim.DeadlockError
		switch {
		case until == 0 && (!errors.As(err, &dl) || !strings.Contains(err.Error(), "spins for ever")):
			t.Errorf("no writer, no end: got %v, want a deadlock of a CPU that spins for ever", err)
		case until > 0 && err != nil:
			t.Errorf("until %d ps: %v", until, err)
		}
	}
}
