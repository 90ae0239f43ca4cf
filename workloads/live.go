package workloads

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"vmabench/kernel"
	"vmabench/mm"
)

// Live is a workload's form on the live kernel (the kernel strategy): the
// model's threads, operation classes and address-space layout, as real page
// faults, mmap, munmap, mprotect and madvise in this process. A Live is
// made for one cell and used once: Setup, then Run on every thread at the
// same time, then Close once no thread runs.
//
// Its threads are made with a nil strategy (NewThread) and must each be
// locked to an OS thread, as the runner's are: a thread's page faults are
// counted with getrusage(RUSAGE_THREAD), and land in its Task's Stats.Faults
// when Run returns. Thread 0 also records the deltas of /proc/vmstat's
// vma_lock_* counters, where the kernel keeps them, in its Task's Stats, so
// the runner reports them as the models' fallbacks, retries and misses.
type Live interface {
	// Setup maps the initial address space for threads threads.
	Setup(threads int) error
	// Run is the loop of one thread, as Workload.Run.
	Run(th *Thread)
	// Close unmaps everything Setup and Run mapped and closes what they
	// opened. Call it also after a failed Setup.
	Close() error
}

// nestedFaultLiveSkip is why nested-fault has no live form.
const nestedFaultLiveSkip = "the live kernel does not deadlock here: the deadlock needs a syscall that holds a VMA " +
	"while it faults on another (copy_from_user() in binder or tcp zerocopy receive), which user space cannot " +
	"set up; a stand-in would take other locks, so it is not faked"

// liveRW is the protection of every live VMA, as rw is the models'.
const liveRW = kernel.ProtRead | kernel.ProtWrite

// liveBase is what every live workload holds: a region of address space
// laid out as the model's (offset 0 is the model's regionBase), one
// liveTask per thread, and the files it reads.
type liveBase struct {
	l      layout
	region *kernel.Region
	// origin is the offset in region of the model's regionBase: 0, or
	// what aligns it to 2 MiB for the field's shapes (alignOrigin).
	origin uintptr
	tasks  []*liveTask
	vmstat *kernel.VMStat
	files  []*kernel.ProcFile
}

// setup reserves size bytes for the workload's VMAs and makes the threads'
// tasks; thread 0 reads /proc/vmstat if the kernel counts vma_lock_* events
// there.
func (b *liveBase) setup(size uint64, threads int) error {
	r, err := kernel.Reserve(uintptr(size))
	if err != nil {
		return err
	}
	b.region = r
	b.tasks = make([]*liveTask, threads)
	for i := range b.tasks {
		b.tasks[i] = new(liveTask)
	}
	if kernel.HasVMALockStats() {
		v, err := kernel.OpenVMStat()
		if err != nil {
			return err
		}
		b.vmstat, b.tasks[0].vmstat = v, v
	}
	return nil
}

// alignOrigin places the model's regionBase at the first 2 MiB boundary
// of the region, which setup must have made PMDSize bytes larger than the
// layout needs. mmap(NULL) of a file whose page cache holds large folios
// (ext4's, from v6.16) returns a 2 MiB-aligned address
// (thp_get_unmapped_area()), as will-it-scale gets; a mapping at an
// unaligned hint cannot map a large folio whole, and its shared write
// faults ran 30-60 µs each against 1 µs on this machine's ext4.
func (b *liveBase) alignOrigin() {
	base := uintptr(b.region.At(0))
	b.origin = (PMDSize - base%PMDSize) % PMDSize
}

// setupSlots reserves slots slots of the layout, for the model's VMAs
// 0..slots-1.
func (b *liveBase) setupSlots(slots, threads int) error {
	return b.setup(uint64(slots)*b.l.slot, threads)
}

// mapVMA maps VMA i of the layout, where the model's mapAll puts it. Memory
// that threads fault gets base pages only, so one touch is one fault.
func (b *liveBase) mapVMA(i int, faulted bool) ([]byte, error) {
	mem, err := b.region.Map(uintptr(b.l.at(0, i)), uintptr(b.l.span), liveRW)
	if err != nil {
		return nil, fmt.Errorf("setting up VMA %d: %w", i, err)
	}
	if faulted {
		if err := kernel.NoHugePage(mem); err != nil {
			return nil, fmt.Errorf("setting up VMA %d: madvise(MADV_NOHUGEPAGE): %w", i, err)
		}
	}
	return mem, nil
}

// mapVMAs maps VMAs 0..n-1 of the layout (mapVMA), one per thread that
// works in its own VMA.
func (b *liveBase) mapVMAs(n int, faulted bool) ([][]byte, error) {
	mem := make([][]byte, n)
	for i := range mem {
		var err error
		if mem[i], err = b.mapVMA(i, faulted); err != nil {
			return nil, err
		}
	}
	return mem, nil
}

// hints returns the addresses of slots first..first+n-1 of the layout, for
// a churning writer.
func (b *liveBase) hints(first, n int) []unsafe.Pointer {
	h := make([]unsafe.Pointer, n)
	for k := range h {
		h[k] = b.region.At(b.origin + uintptr(b.l.at(0, first+k)))
	}
	return h
}

// openMaps opens /proc/self/maps once for each of n readers.
func (b *liveBase) openMaps(n int) error {
	for range n {
		f, err := kernel.OpenProc("/proc/self/maps", 64<<10)
		if err != nil {
			return err
		}
		b.files = append(b.files, f)
	}
	return nil
}

// task returns thread th's task, bound to it.
func (b *liveBase) task(th *Thread) *liveTask {
	lt := b.tasks[th.ID]
	lt.th = th
	return lt
}

func (b *liveBase) Close() error {
	var errs []error
	for _, lt := range b.tasks {
		if lt.mapped != nil {
			if err := kernel.Munmap(lt.mapped, lt.mappedLen); err != nil {
				errs = append(errs, fmt.Errorf("munmap: %w", err))
			}
			lt.mapped = nil
		}
	}
	if b.region != nil {
		errs = append(errs, b.region.Close())
	}
	if b.vmstat != nil {
		errs = append(errs, b.vmstat.Close())
	}
	for _, f := range b.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// liveTask is one live thread's view of what the kernel did for it: its
// page faults over the measured phase and, on thread 0, the system's
// vma_lock_* events; and the mapping it holds between an mmap and its
// munmap, so Close can undo it if the thread stopped in between.
type liveTask struct {
	th       *Thread
	faults   kernel.ThreadFaults
	base     uint64
	counting bool
	vmstat   *kernel.VMStat
	vbase    kernel.VMALockStats

	mapped    unsafe.Pointer
	mappedLen uintptr
	k         int // a churning writer's slot
}

// running is Thread.Running, and takes the baselines of the fault counts
// when the thread enters the measured phase, right after Running reset its
// operation counts.
func (lt *liveTask) running() bool {
	th := lt.th
	if !th.Running() {
		return false
	}
	if !lt.counting && th.Measured() {
		lt.counting = true
		n, err := lt.faults.Minor()
		if err != nil {
			th.Fail(err)
			return false
		}
		lt.base = n
		if lt.vmstat != nil {
			if lt.vbase, err = lt.vmstat.Read(); err != nil {
				th.Fail(err)
				return false
			}
		}
	}
	return true
}

// end records the measured phase's counts in the thread's Task, where the
// runner reads them. Call it when the loop has stopped.
func (lt *liveTask) end() {
	if !lt.counting {
		return
	}
	th := lt.th
	n, err := lt.faults.Minor()
	if err != nil {
		th.Fail(err)
		return
	}
	st := &th.Task.Stats
	st.Faults += n - lt.base
	if lt.vmstat != nil {
		v, err := lt.vmstat.Read()
		if err != nil {
			th.Fail(err)
			return
		}
		d := v.Sub(lt.vbase)
		st.VMALockSuccess += d.Success
		st.VMALockAbort += d.Abort
		st.VMALockRetry += d.Retry
		st.VMALockMiss += d.Miss
	}
}

// faultPass writes one byte to every page of mem in order, each write a
// real page fault (do_user_addr_fault(): lock_vma_under_rcu(), then
// handle_mm_fault() and do_anonymous_page()), then resets mem with
// madvise(MADV_DONTNEED), so the next pass faults again: faultPass on the
// live kernel. It reports false if the thread failed.
func (lt *liveTask) faultPass(mem []byte) bool {
	th := lt.th
	for off := 0; off < len(mem); off += mm.PageSize {
		start := th.Begin()
		mem[off] = 1
		th.End(ClassFault, start)
	}
	if err := kernel.DontNeed(mem); err != nil {
		th.Fail(fmt.Errorf("madvise(MADV_DONTNEED): %w", err))
		return false
	}
	return true
}

// writeLoop is a live writer thread: it makes the change next makes, times
// it and pauses, until the run stops; writeLoop on the live kernel.
func (lt *liveTask) writeLoop(d time.Duration, next func() error) {
	th := lt.th
	for lt.running() {
		start := th.BeginSlow()
		if err := next(); err != nil {
			th.Fail(err)
			return
		}
		th.End(ClassWrite, start)
		pause(d)
	}
}

// mmap maps n bytes at hint (elsewhere if something else took the hint's
// range since setup) and holds the mapping until munmap.
func (lt *liveTask) mmap(hint unsafe.Pointer, n uintptr) error {
	p, err := kernel.Mmap(hint, n, liveRW)
	if err != nil {
		return fmt.Errorf("mmap(%d bytes): %w", n, err)
	}
	lt.mapped, lt.mappedLen = p, n
	return nil
}

// munmap unmaps the mapping mmap made.
func (lt *liveTask) munmap() error {
	if err := kernel.Munmap(lt.mapped, lt.mappedLen); err != nil {
		return fmt.Errorf("munmap(%d bytes): %w", lt.mappedLen, err)
	}
	lt.mapped = nil
	return nil
}

// churn makes a writer's next change, as churn does in the model: mmap a
// region at slot k's address, then munmap it, then the next slot.
func (lt *liveTask) churn(hints []unsafe.Pointer, n uintptr) error {
	if lt.mapped != nil {
		if err := lt.munmap(); err != nil {
			return err
		}
		lt.k = (lt.k + 1) % len(hints)
		return nil
	}
	return lt.mmap(hints[lt.k], n)
}
