package workloads

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"vmabench/mm"
	"vmabench/strategies"
)

// faultPass faults every page of [base, base+pages) in order, then resets the
// range: one pass of will-it-scale's page_fault1. It reports false if the
// thread failed. It counts its faults once per pass and times one in
// SampleEvery by index, so the harness costs a compare per fault.
func faultPass(th *Thread, base uint64, pages int) bool {
	s, t := th.Strategy, th.Task
	next := th.nextSampled()
	for p := 0; p < pages; p++ {
		addr := base + uint64(p)*mm.PageSize
		var err error
		if p == next {
			start := nanotime()
			err = s.Fault(t, addr)
			th.Sample(ClassFault, start)
			next += SampleEvery
		} else {
			err = s.Fault(t, addr)
		}
		if err != nil {
			th.Count(ClassFault, p)
			th.Fail(fmt.Errorf("fault at %#x: %w", addr, err))
			return false
		}
	}
	th.Count(ClassFault, pages)
	if err := reset(th, base, base+uint64(pages)*mm.PageSize); err != nil {
		th.Fail(err)
		return false
	}
	return true
}

// reset is madvise(MADV_DONTNEED) on [start, end), so the next touch faults
// again. The strategy holds the range as its kernel release does:
// mmap_read_lock() (mmaplock, vmaseq) or the VMA's own lock (v6.17+).
func reset(th *Thread, start, end uint64) error {
	return th.Strategy.Madvise(th.Task, start, end)
}

// writeLoop is a writer thread: it makes the change next returns, times it,
// and pauses, until the run stops.
func writeLoop(th *Thread, d time.Duration, next func() mm.Op) {
	s, t := th.Strategy, th.Task
	for th.Running() {
		op := next()
		start := th.BeginSlow()
		if err := write(s, t, op); err != nil {
			th.Fail(err)
			return
		}
		th.End(ClassWrite, start)
		pause(d)
	}
}

// write makes the change op. A change refused because another writer was
// changing the address space (only possible under nolock, and counted as a
// violation) is tried again, so a workload's own sequence of changes stays
// intact.
func write(s strategies.Strategy, t *mm.Task, op mm.Op) error {
	for {
		err := s.Write(t, op)
		if !errors.Is(err, mm.ErrConcurrentWriter) {
			if err != nil {
				return fmt.Errorf("%v: %w", op, err)
			}
			return nil
		}
		runtime.Gosched()
	}
}

// churn returns a writer's next change in region: map slot k, then unmap it,
// then the next slot, over slots slots.
func churn(l layout, region uint64, slots int) func() mm.Op {
	k, mapped := 0, false
	return func() mm.Op {
		at := l.at(region, k)
		if mapped {
			mapped = false
			k = (k + 1) % slots
			return mm.Op{Kind: mm.OpMunmap, Start: at, Len: l.span}
		}
		mapped = true
		return mm.Op{Kind: mm.OpMmap, Start: at, Len: l.span, Prot: rw}
	}
}

// churnSlots is how many slots a churning writer cycles through.
const churnSlots = 4
