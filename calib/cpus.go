package calib

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"unsafe"

	"vmabench/internal/machine"
)

// The CPUs of a VM need not be alike, nor stay as they are. On this
// project's 2-CPU VM (AMD EPYC, kernel 6.18, 2026-12-07), timed pinned to
// each vCPU in turn, the second took 11.2 µs a fault against the first's
// 8.4 and 2.5 µs an mmap against 1.9 for a minute (13:25 UTC), while a
// loop of multiply-adds ran at the same speed on both (1.02x) and a null
// system call 1.12x slower: the kernel's memory-bound work, not the core.
// Five minutes later the second CPU's factor, timed every 2.5 s, went
// from 0.59 to 1.48 and back within seconds (one vCPU at a time slowed,
// either one, or neither). An unpinned calibration measured whichever
// vCPU it ran on, which a cached profile's drift check then took for a
// drift of 30 to 45%: Measure and Check now pin themselves to the first
// CPU, where a one-thread cell runs. A model thread does the same work
// on every CPU; validate says how far apart the CPUs were while it ran
// (see MeasureCPUFactors).

// pinFirst pins the calling thread, which the caller holds, to the first
// CPU the process may use: where the runner puts a one-thread cell (thread
// i on the i-th CPU), whose costs Measure and Check time. Nothing where
// the CPUs are not known.
func pinFirst() error {
	cpus := machine.CPUs()
	if len(cpus) == 0 {
		return nil
	}
	return machine.Pin(cpus[0])
}

// CPUPasses is how many times MeasureCPUFactors times each CPU, in turn,
// keeping each CPU's fastest: interleaved, so that a change of the host's
// state meanwhile falls on every CPU alike.
const CPUPasses = 3

// SymmetricWithin is how close to 1 a CPU's factor must come to count as 1:
// 5%, above the 2 to 3% by which the fastest of three rounds of the same
// cost moves on a quiet machine, so that identical CPUs do not read as
// unlike.
const SymmetricWithin = 0.05

// MeasureCPUFactors times, on each CPU the process may use (machine.CPUs()),
// pinned there, a page fault and an mmap+munmap pair (the fastest of
// CheckRounds rounds each, as Check does, passes times in turn), and
// returns each CPU's factor over the first: the geometric mean of the two
// ratios, 1 where within SymmetricWithin of it. nil with fewer than two
// CPUs. It holds its goroutine's thread while it runs, and gives it back
// unpinned.
func MeasureCPUFactors(ctx context.Context, passes int) ([]float64, error) {
	cpus := machine.CPUs()
	if len(cpus) < 2 {
		return nil, nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer machine.Unpin()
	fault := make([]float64, len(cpus))
	pair := make([]float64, len(cpus))
	err := withMemory(func(faultMem, _ []byte, hints []unsafe.Pointer, span uintptr) error {
		for range passes {
			for i, c := range cpus {
				if err := machine.Pin(c); err != nil {
					return err
				}
				var p Profile
				if err := measureFaults(ctx, faultMem, CheckRounds, &p); err != nil {
					return fmt.Errorf("timing page faults on CPU %d: %w", c, err)
				}
				if err := measureMmap(ctx, hints, span, CheckRounds, &p); err != nil {
					return fmt.Errorf("timing mmap and munmap on CPU %d: %w", c, err)
				}
				if fault[i] == 0 || p.Fault < fault[i] {
					fault[i] = p.Fault
				}
				if pp := p.Mmap + p.Munmap; pair[i] == 0 || pp < pair[i] {
					pair[i] = pp
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cpuFactors(fault, pair), nil
}

// cpuFactors turns each CPU's fastest fault and pair into its factor over
// the first CPU's, as MeasureCPUFactors returns them.
func cpuFactors(fault, pair []float64) []float64 {
	out := make([]float64, len(fault))
	for i := range fault {
		f := math.Sqrt(fault[i] / fault[0] * pair[i] / pair[0])
		if math.Abs(f-1) <= SymmetricWithin || math.IsNaN(f) || math.IsInf(f, 0) {
			f = 1
		}
		out[i] = math.Round(f*100) / 100
	}
	return out
}
