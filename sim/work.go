package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// WorkSpread is how much the same piece of kernel work varies from one
// time to the next on a machine, measured as one piece (an mmap and
// munmap pair) of Ns ns at its median: Lo and Hi are the ratios of its
// 10th and 90th percentiles to the median, P99 and P999 those of its 99th
// and 99.9th (Lo <= 1 <= Hi <= P99 <= P999). Real work varies with what
// the caches hold, with interrupts and with the host: two threads that do
// the same thing drift apart and meet the lock at varying offsets. A
// projection that charged every piece its mean would keep them in
// lockstep, and a cell's result would then jump between the few phases
// the lockstep can settle into (mmap1 mmaplock at 2 virtual CPUs, before
// the tree's nodes were charged by line: every op in the same time, and
// 349k writes/s at a 220 ns line transfer against 259k at 240 ns).
//
// The body (Lo, Hi) scales each piece. The tail (P99, P999) is stalls:
// an interrupt or the host taking the CPU adds its own time whatever the
// piece, so a stall strikes a piece with a chance in proportion to its
// length, one in a hundred per Ns of work, and lasts from P99-1 to
// P999-1 times Ns (stallAt). Scaling pieces instead would break
// the measured tail of a pair into many small ones, since a projection's
// pieces are the short runs of work between two accesses. On this
// project's 2-CPU VM one pair in a hundred took 1.7 to 5.6 times the
// median and one in a thousand 10 to 15 times, where p90/p50 was
// 1.05-1.06. A zero P99 means no stalls.
type WorkSpread struct{ Lo, Hi, P99, P999, Ns float64 }

// Valid reports whether s is a spread: 0 < Lo <= 1 <= Hi, finite, and,
// with a tail, Hi <= P99 <= P999, finite, and Ns > 0; the zero WorkSpread
// (none) is valid too.
func (s WorkSpread) Valid() error {
	if s == (WorkSpread{}) {
		return nil
	}
	if !(s.Lo > 0 && s.Lo <= 1 && s.Hi >= 1) || math.IsInf(s.Hi, 0) {
		return fmt.Errorf("sim: work spread p10/p50 %g, p90/p50 %g: want 0 < p10/p50 <= 1 <= p90/p50", s.Lo, s.Hi)
	}
	if s.P99 == 0 && s.P999 == 0 {
		return nil
	}
	if !(s.P99 >= s.Hi && s.P999 >= s.P99) || math.IsInf(s.P999, 0) {
		return fmt.Errorf("sim: work spread p90/p50 %g, p99/p50 %g, p99.9/p50 %g: want p90/p50 <= p99/p50 <= p99.9/p50", s.Hi, s.P99, s.P999)
	}
	if !(s.Ns > 0) || math.IsInf(s.Ns, 0) {
		return fmt.Errorf("sim: work spread with a tail: median %g ns, want > 0", s.Ns)
	}
	if s.stallShare() >= 0.5 {
		return fmt.Errorf("sim: work spread p99/p50 %g, p99.9/p50 %g: stalls would be %.0f%% of the work, want under 50%%", s.P99, s.P999, 100*s.stallShare())
	}
	return nil
}

// stallRate is the chance of a stall per ns of work: one in a hundred
// pieces of Ns ns has one (the pieces beyond the 99th percentile).
func (s WorkSpread) stallRate() float64 {
	if s.P99 == 0 {
		return 0
	}
	return 0.01 / s.Ns
}

// stallAt is a stall's length, in ns, at v in [0, 1): the excess over
// the median of the pieces beyond the 99th percentile, straight from
// P99-1 times Ns at v = 0 to P999-1 times it at v = 0.9 (the 99.9th
// percentile: nine in ten of those pieces lie below it), flat beyond.
func (s WorkSpread) stallAt(v float64) float64 {
	a, b := (s.P99-1)*s.Ns, (s.P999-1)*s.Ns
	if v >= 0.9 {
		return b
	}
	return a + v/0.9*(b-a)
}

// stallShare is the share of the calibrated work that stalls take: their
// rate times their mean length.
func (s WorkSpread) stallShare() float64 {
	a, b := (s.P99-1)*s.Ns, (s.P999-1)*s.Ns
	return s.stallRate() * (0.9*(a+b)/2 + 0.1*b)
}

// bodyMean is the mean of the body's factor, whose quantile function is
// spreadAt's: flat at Lo to the 10th percentile, straight to 1 at the
// median and to Hi at the 90th, flat beyond.
func (s WorkSpread) bodyMean() float64 {
	return 0.1*s.Lo + 0.4*(s.Lo+1)/2 + 0.4*(1+s.Hi)/2 + 0.1*s.Hi
}

// Func returns a Config.Work that charges each piece of work its ns
// times a factor drawn from the body (spreadAt, the shape of a wake-up's
// draw), plus any stall that strikes it (a chance of stallRate per ns,
// of stallAt's length), seeded by seed, scaled so that work keeps its
// calibrated mean (a profile's costs are means of batches, stalls
// included): the body's mean is 1 less the stalls' share.
// The zero WorkSpread returns nil: every piece costs its mean.
//
// A CPU keeps its body factor for Ns ns of its own work, then draws
// again: the spread was measured on a whole operation (an mmap and munmap
// pair of Ns ns), and a projection cuts an operation into many pieces,
// the runs of work between two accesses to shared state (a system call's
// entry, the work under the lock, its exit). Drawn on its own, each piece
// would vary about as the whole pair does, and the pair, the sum of six or
// so, about 1/sqrt(6) as much as measured: 2.4 times too little. With Ns
// zero each piece draws on its own. The stalls need no window: an operation of k pieces
// is as likely to be struck as one piece of the same length.
func (s WorkSpread) Func(seed uint64) func(cpu int, ns int64) int64 {
	if s == (WorkSpread{}) || (s.Lo == 1 && s.Hi == 1 && s.P99 == 0) {
		return nil
	}
	rate, share := s.stallRate(), s.stallShare()
	scale := (1 - share) / s.bodyMean() * 1000 // ps per ns of body at the factor 1
	lo, hi := int64(s.Lo*scale*1024+0.5), int64(s.Hi*scale*1024+0.5)
	mid := int64(scale*1024 + 0.5)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	window := int64(s.Ns + 0.5)
	type held struct{ factor, left int64 } // a CPU's body factor and the ns it has left
	var cpus []held
	return func(cpu int, ns int64) int64 {
		var factor int64
		if window <= 0 {
			factor = spreadAt(rng.Float64(), lo, mid, hi)
		} else {
			for cpu >= len(cpus) {
				cpus = append(cpus, held{})
			}
			h := &cpus[cpu]
			if h.left <= 0 {
				h.factor, h.left = spreadAt(rng.Float64(), lo, mid, hi), window
			}
			factor = h.factor
			h.left -= ns
		}
		ps := (ns*factor + 512) >> 10
		if rate == 0 {
			return ps
		}
		// Stalls in ns of work: Poisson of mean rate*ns, drawn by
		// adding exponential gaps (almost always none or one).
		for at := rng.ExpFloat64() / rate; at < float64(ns); at += rng.ExpFloat64() / rate {
			ps += int64(s.stallAt(rng.Float64())*1000 + 0.5)
		}
		return ps
	}
}
