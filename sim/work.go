package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// WorkSpread is how much the same piece of kernel work varies from one
// time to the next on a machine, as the ratios of its 10th and 90th
// percentiles to its median (Lo <= 1 <= Hi). Real work varies with what
// the caches hold, with interrupts and with the host: two threads that do
// the same thing drift apart and meet the lock at varying offsets. A
// projection that charged every piece its mean would keep them in
// lockstep, and a cell's result would then jump between the few phases
// the lockstep can settle into (mmap1 mmaplock at 2 virtual CPUs, before
// the tree's nodes were charged by line: every op in the same time, and
// 349k writes/s at a 220 ns line transfer against 259k at 240 ns).
type WorkSpread struct{ Lo, Hi float64 }

// Valid reports whether s is a spread: 0 < Lo <= 1 <= Hi, finite; the
// zero WorkSpread (none) is valid too.
func (s WorkSpread) Valid() error {
	if s == (WorkSpread{}) {
		return nil
	}
	if !(s.Lo > 0 && s.Lo <= 1 && s.Hi >= 1) || math.IsInf(s.Hi, 0) {
		return fmt.Errorf("sim: work spread p10/p50 %g, p90/p50 %g: want 0 < p10/p50 <= 1 <= p90/p50", s.Lo, s.Hi)
	}
	return nil
}

// Func returns a Config.Work that charges each piece of work its ns
// times a factor drawn from s, seeded by seed: the factor's quantile
// function runs flat at Lo up to the 10th percentile, straight to 1 at
// the median and to Hi at the 90th, and flat at Hi beyond (spreadAt, the
// shape of a wake-up's draw), divided by its mean, so that work
// keeps its calibrated mean (a profile's costs are means of batches).
// The zero WorkSpread returns nil: every piece costs its mean.
//
// Each piece is drawn on its own, so an operation of k pieces varies
// less than one piece does (about 1/sqrt(k) as much): the spread is of
// the pieces, and a model step that splits its work finer narrows it.
func (s WorkSpread) Func(seed uint64) func(ns int64) int64 {
	if s == (WorkSpread{}) || s == (WorkSpread{Lo: 1, Hi: 1}) {
		return nil
	}
	mean := 0.1*s.Lo + 0.4*(s.Lo+1)/2 + 0.4*(1+s.Hi)/2 + 0.1*s.Hi
	lo, hi := s.Lo/mean, s.Hi/mean
	mid := 1 / mean
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	return func(ns int64) int64 {
		at := func(f float64) int64 { return int64(float64(ns)*1000*f + 0.5) }
		return spreadAt(rng.Float64(), at(lo), at(mid), at(hi))
	}
}
