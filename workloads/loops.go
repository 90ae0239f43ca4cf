package workloads

import (
	"errors"
	"fmt"
	"time"

	"vmabench/mm"
	"vmabench/strategies"
)

// faultPass faults every page of [base, base+pages) in order, then resets the
// range: one pass of the faults workloads. It reports false if the thread
// failed. It counts its faults once per pass and times one in SampleEvery
// (faultChunk), so the harness costs a compare per fault.
func faultPass(th *Thread, base uint64, pages int) bool {
	if !faultChunk(th, base, pages) {
		return false
	}
	th.timeLocks(1) // one reset per pass: each is timed
	err := reset(th, base, base+uint64(pages)*mm.PageSize)
	th.timeLocks(0)
	if err != nil {
		th.Fail(err)
		return false
	}
	return true
}

// fault is one touch (a write) of the page at addr from user space. A page
// that is present is a memory access and no more: the MMU finds its PTE and
// nothing traps. A page that is not present is a page fault: first the IPIs
// this thread's CPU took since its last operation (Interrupts), then the
// trap's entry, the strategy's fault, and the trap's exit, the trap's
// outside any lock (all calibrated; without a calibration, only the fault).
// The fault is counted in the thread's Stats.Faults (faults/op) only if it
// mapped the page: one that lost the race for it to another thread maps
// nothing (see mm.HandleFault), where the kernel's minflt counts it too;
// such races are rare next to the faults that map.
func fault(th *Thread, addr uint64) error {
	if th.Task.MM.PagePresent(addr) {
		return nil // the MMU's page walk: present, writable
	}
	return trap(th, addr)
}

// trap is fault for a page the caller found not present.
func trap(th *Thread, addr uint64) error {
	t := th.Task
	t.Interrupts()
	t.Spin(t.Work.TrapHalf)
	err := th.Strategy.Fault(t, addr)
	t.Spin(t.Work.TrapHalf + t.Work.FaultExit)
	return err
}

// reset is madvise(MADV_DONTNEED) on [start, end), so the next touch faults
// again. The strategy holds the range as its kernel release does:
// mmap_read_lock() (mmaplock, vmaseq) or the VMA's own lock (v6.17+), and
// does the zap's calibrated work under it; the syscall's entry and exit lie
// outside.
func reset(th *Thread, start, end uint64) error {
	t := th.Task
	t.Spin(t.Work.SyscallHalf)
	err := th.Strategy.Madvise(t, start, end)
	t.Spin(t.Work.SyscallHalf)
	return err
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
// violation) is tried again after a yield (mm.Task.Yield: in a projection, a
// step of virtual time, without which the retrying virtual CPU would spin
// at one instant and the other writer never run), so a workload's own
// sequence of changes stays intact.
//
// Around the change lies the calibrated work the kernel does outside
// mmap_lock: the syscall's entry and exit. munmap's part after
// mmap_write_downgrade() (the page-table teardown, remove_vma()) is the
// strategy's, under the downgraded read lock (mm.MM.CompleteMunmap).
func write(s strategies.Strategy, t *mm.Task, op mm.Op) error {
	t.Interrupts()
	t.Spin(t.Work.SyscallHalf)
	defer t.Spin(t.Work.SyscallHalf)
	for {
		err := s.Write(t, op)
		if !errors.Is(err, mm.ErrConcurrentWriter) {
			if err != nil {
				return fmt.Errorf("%v: %w", op, err)
			}
			return nil
		}
		t.Yield()
	}
}

// timedWrite is write for a change that is not an operation of its own
// (page_fault1's mmap and munmap around its faults): its lock time is
// timed, each time, and counts to the operations it serves.
func timedWrite(th *Thread, op mm.Op) error {
	th.timeLocks(1)
	defer th.timeLocks(0)
	return write(th.Strategy, th.Task, op)
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
