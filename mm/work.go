package mm

import (
	"math"
	"time"

	"vmabench/sim"
)

// ProjectionRate is Work.IterPerNs in a projection: one iteration per ns,
// so that Task.Spin(n) advances the virtual clock by n ns.
const ProjectionRate = 1.0

// Work is the calibrated work a model does beside its lock operations, so
// that a model operation takes the live kernel's time and a lock is held for
// as long as the kernel holds it. Each field is in ns of CPU work; the zero
// value is no work at all (-calibration none: raw lock costs). Package calib
// derives it from a profile of the live kernel's costs.
//
// Each cost is split where the kernel splits it: the part under the lock
// (handle_mm_fault(), do_mmap(), mprotect_fixup(), do_mincore()) and the part
// outside any lock (the trap or syscall entry and exit, mincore()'s page
// buffer, munmap()'s page-table teardown after mmap_write_downgrade()).
type Work struct {
	// Trap is a page fault's exception entry and exit, outside any lock;
	// half is spent before the fault takes its lock, half after.
	Trap float64 `json:",omitempty"`
	// Fault is a fault's work under the VMA lock or mmap_read_lock
	// (handle_mm_fault(): the page allocation, clear_page(), the charge and
	// the PTE), beyond the model's own.
	Fault float64 `json:",omitempty"`
	// FaultExit is the rest of every fault's exception beyond Trap, after
	// its handler has dropped the lock: the return to user space and the
	// retried access. It is 0 where the profile could not split a fault at
	// its lock (no tracefs), and then all of it is in Fault. On a 2-CPU
	// Firecracker guest the kernel's own tracepoints put 9 of a fault's
	// 11 µs after mmap_lock_released (do_user_addr_fault() holds the
	// lock 1-2 µs), so with all of it under the lock a fallback fault held
	// mmap_lock five times as long as the kernel's.
	FaultExit float64 `json:",omitempty"`
	// Syscall is a system call's entry and exit, outside any lock; half
	// before the lock, half after.
	Syscall float64 `json:",omitempty"`
	// Yield is one sched_yield() with nothing else to run, which only a
	// projection charges (a real run makes the system call): the virtual
	// time between two looks of a thread that waits by yielding.
	Yield float64 `json:",omitempty"`
	// Zap is madvise(MADV_DONTNEED)'s work under its lock
	// (zap_page_range_single() and the TLB flush), per call.
	Zap float64 `json:",omitempty"`
	// Mmap, Munmap and Mprotect are the work of each change under
	// mmap_write_lock. MunmapTail is munmap's part after
	// mmap_write_downgrade() (unmap_region(), remove_vma()), done under
	// the downgraded read lock (MM.CompleteMunmap).
	Mmap       float64 `json:",omitempty"`
	Munmap     float64 `json:",omitempty"`
	MunmapTail float64 `json:",omitempty"`
	Mprotect   float64 `json:",omitempty"`
	// MmapFile and MunmapFile are Mmap and Munmap for a mapping of a
	// file (the i_mmap_rwsem, the file's reference, ->mmap()).
	MmapFile   float64 `json:",omitempty"`
	MunmapFile float64 `json:",omitempty"`
	// ZapAnon and ZapShared are munmap's teardown per page that was
	// mapped, in its tail: an anonymous page (or a private copy of a file
	// page) unmapped and freed, and a shared file page unmapped (its
	// folio stays in the page cache).
	ZapAnon   float64 `json:",omitempty"`
	ZapShared float64 `json:",omitempty"`
	// FaultCOW and FaultShared are Fault for the write faults of
	// do_fault(): on a private file mapping (do_cow_fault(): the
	// page-cache folio copied to a new anonymous page) and on a shared one
	// (do_shared_fault(): the folio locked, ->page_mkwrite(), dirtied).
	// A read fault (do_read_fault()) has no calibrated cost: no workload
	// reads.
	FaultCOW    float64 `json:",omitempty"`
	FaultShared float64 `json:",omitempty"`
	// PTEAlloc is the first anonymous fault's extra work in each 2 MiB of
	// a fresh mapping, under the fault's lock: pte_alloc() of the
	// page-table page (munmap frees it again: free_pgtables()), and,
	// lumped in with it, what a fresh mapping's pages cost beyond a reused
	// one's (Fault is timed on a reused one). The file faults do not
	// charge it: FaultCOW and FaultShared are timed over fresh mappings,
	// so each already holds its share of the page table and of the fresh
	// pages; charging PTEAlloc on top counted both twice (page_fault3's
	// model ran 2.2x the kernel's time per touch, 1 µs of it this).
	PTEAlloc float64 `json:",omitempty"`
	// FaultColdLarge is what an anonymous page's fault (and a COW
	// fault's new page) costs more in a mapping of ColdBytes or more
	// than in one of ColdFromBytes, where Fault's and FaultFresh's
	// passes are timed: the zeroed pages, their struct pages and page
	// tables fall out of the caches as the mapping grows. A workload
	// that cycles through a mapping of its own size charges its share
	// of it (ColdSpins) on each such fault, under the fault's lock, as
	// clear_page() and the rest of do_anonymous_page() run there.
	FaultColdLarge float64 `json:",omitempty"`
	// FolioPages is not a cost: the pages of a page-cache folio, which a
	// shared write fault maps whole (finish_fault() of v6.18 maps a large
	// folio in one go); 0 or 1 is one page per fault.
	FolioPages float64 `json:",omitempty"`
	// Mincore is do_mincore()'s work under mmap_read_lock (vma_lookup() and
	// the page walk); MincoreOut is mincore()'s work outside it
	// (__get_free_page(), free_page(), copy_to_user()).
	Mincore    float64 `json:",omitempty"`
	MincoreOut float64 `json:",omitempty"`
	// IPISend is what a TLB flush costs the flushing thread, under its
	// lock, when another thread of the MM runs on another CPU: sending the
	// IPIs of flush_tlb_mm_range() and waiting for them to be handled.
	// IPIRecv is the CPU time each such flush takes from every other
	// running thread of the MM (the interrupt, flush_tlb_func(), the
	// return). Neither is in the single-threaded costs above.
	IPISend float64 `json:",omitempty"`
	IPIRecv float64 `json:",omitempty"`
	// TLBLazy is what a thread pays after waking when a TLB flush of its
	// MM came while it slept: its CPU, idle in lazy TLB mode, was sent no
	// IPI and flushes the whole TLB for itself on the switch back
	// (switch_mm_irqs_off()), and the thread refills it back in user
	// space; see Task.schedule and Task.Interrupts.
	TLBLazy float64 `json:",omitempty"`
	// MapsVMA is show_map_vma()'s work per VMA a /proc/pid/maps read
	// shows, under the reader's lock.
	MapsVMA float64 `json:",omitempty"`
	// ZoneAlloc and ZoneFree are the work per page under the zone lock
	// of a pcp refill (rmqueue_bulk()) and of a pcp drain
	// (free_pcppages_bulk()); LRUAdd and LRUDel the work per folio under
	// the lruvec lock of moving a CPU's lru_add batch onto the LRU
	// (folio_batch_move_lru()) and of taking a freed folio off it
	// (__page_cache_release()). They are inside the fault's and the
	// zap's kernel costs, and package calib takes them out of Fault and
	// Zap (see page_alloc.go).
	ZoneAlloc float64 `json:",omitempty"`
	ZoneFree  float64 `json:",omitempty"`
	LRUAdd    float64 `json:",omitempty"`
	LRUDel    float64 `json:",omitempty"`
	// PCPHigh and PCPBatch are not costs: they are the page allocator's
	// per-CPU list high and batch on this machine (/proc/zoneinfo), in
	// pages. Zero means the defaults (DefaultPCPHigh, DefaultPCPBatch).
	PCPHigh  int `json:",omitempty"`
	PCPBatch int `json:",omitempty"`

	// IterPerNs is the spin loop's speed on this machine, measured once per
	// process (SpinRate) and carried to child processes, so every cell of a
	// run spins at the same rate.
	IterPerNs float64 `json:",omitempty"`
}

// Spins is Work converted to spin-loop iterations, what a Task carries so
// the hot path does an integer compare and no clock read.
type Spins struct {
	TrapHalf, Fault, FaultExit         int64
	SyscallHalf, Zap, Yield            int64
	Mmap, Munmap, MunmapTail, Mprotect int64
	Mincore, MincoreOutHalf            int64
	IPISend, IPIRecv, TLBLazy          int64
	MmapFile, MunmapFile               int64
	ZapAnon, ZapShared                 int64
	FaultCOW, FaultShared, PTEAlloc    int64
	// FaultCold is charged beside Fault and FaultCOW: 0 unless the
	// workload sets it from Work.ColdSpins for the mapping it cycles
	// through.
	FaultCold int64
	MapsVMA   int64
	// Per page or folio under the zone and lruvec locks.
	ZoneAlloc, ZoneFree, LRUAdd, LRUDel int64
	// The pcp list's high and batch, in pages (not spins).
	PCPHigh, PCPBatch int
}

// ColdFromBytes and ColdBytes bound how a fresh mapping's fault cost grows
// with the mapping's size: the calibration times a fault in a mapping of
// each (fault-fresh-ns, fault-fresh-large-ns), and ColdSpins charges a
// mapping between them a share of the difference, by the logarithm of its
// size (measured at 2, 8, 32, 64 and 128 MiB on a 2-CPU VM: 7.8-8.1,
// 8.0-8.5, 8.6-9.0, 8.9-9.2, 8.9-9.4 µs a fault, about even per doubling
// up to 64 MiB and flat after).
const (
	ColdFromBytes = 2 << 20
	ColdBytes     = 64 << 20
)

// ColdSpins returns the iterations of FaultColdLarge that a fault in a
// mapping of bytes pays: none at ColdFromBytes or less, all of it at
// ColdBytes or more, and between them the share log2(bytes/ColdFromBytes)
// over log2(ColdBytes/ColdFromBytes).
func (w Work) ColdSpins(bytes uint64) int64 {
	share := 1.0
	switch {
	case bytes <= ColdFromBytes:
		share = 0
	case bytes < ColdBytes:
		share = math.Log2(float64(bytes)/ColdFromBytes) / math.Log2(ColdBytes/ColdFromBytes)
	}
	return w.iters(w.FaultColdLarge * share)
}

// iters converts ns of work to spin-loop iterations at w.IterPerNs (0
// without a rate).
func (w Work) iters(ns float64) int64 {
	if ns <= 0 || w.IterPerNs <= 0 {
		return 0
	}
	return int64(ns*w.IterPerNs + 0.5)
}

// Spins converts w at w.IterPerNs. With no rate (uncalibrated) every count
// is 0.
func (w Work) Spins() Spins {
	it := w.iters
	return Spins{
		TrapHalf: it(w.Trap / 2), Fault: it(w.Fault), FaultExit: it(w.FaultExit),
		SyscallHalf: it(w.Syscall / 2), Zap: it(w.Zap), Yield: it(w.Yield),
		Mmap: it(w.Mmap), Munmap: it(w.Munmap), MunmapTail: it(w.MunmapTail), Mprotect: it(w.Mprotect),
		Mincore: it(w.Mincore), MincoreOutHalf: it(w.MincoreOut / 2),
		IPISend: it(w.IPISend), IPIRecv: it(w.IPIRecv), TLBLazy: it(w.TLBLazy),
		MmapFile: it(w.MmapFile), MunmapFile: it(w.MunmapFile),
		ZapAnon: it(w.ZapAnon), ZapShared: it(w.ZapShared),
		FaultCOW: it(w.FaultCOW), FaultShared: it(w.FaultShared), PTEAlloc: it(w.PTEAlloc),
		MapsVMA:   it(w.MapsVMA),
		ZoneAlloc: it(w.ZoneAlloc), ZoneFree: it(w.ZoneFree), LRUAdd: it(w.LRUAdd), LRUDel: it(w.LRUDel),
		PCPHigh: w.PCPHigh, PCPBatch: w.PCPBatch,
	}
}

// Spin does n iterations of CPU work and returns a value that depends on
// all of them, so the compiler keeps the loop.
//
// The work is a calibrated loop of dependent multiply-adds, not a spin on
// the clock until a deadline: a thread preempted in the middle (by another
// thread of the cell, or by the hypervisor) then finishes its work later,
// as a kernel thread preempted under a lock does, where a clock-bounded spin
// would count the time it did not run as work done and so shorten lock hold
// times exactly when the machine is contended. The cost is that the rate
// drifts with the CPU's clock (turbo, SMT): SpinRate is measured once per
// process, and a run's cells share it. n == 0 costs one compare.
//
//go:noinline
func Spin(n int64, seed uint64) uint64 {
	x := seed
	for ; n > 0; n-- {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// Spin does n iterations of work on t's behalf, keeping the result in t so
// nothing shared is written.
//
// In a projection the work does not run: it advances the virtual CPU's
// clock by n ns (a projection calibrates at one iteration per ns, see
// ProjectionRate).
func (t *Task) Spin(n int64) {
	if n > 0 {
		if t.cpu != nil { // a projection: no call, so Spin stays inlined
			t.cpu.Work += n
			return
		}
		t.sink = Spin(n, t.sink)
	}
}

// SpinRate measures Spin's speed on this CPU, in iterations per ns: the
// fastest of 64 timed runs of about 64 µs each, so that on a busy machine
// some run is not preempted, and a disturbed run does not count.
func SpinRate() float64 {
	const n = 1 << 16
	best := time.Duration(1<<63 - 1)
	var sink uint64
	for range 64 {
		start := time.Now()
		sink = Spin(n, sink)
		best = min(best, time.Since(start))
	}
	spinSink = sink
	return float64(n) / float64(max(best, 1))
}

var spinSink uint64

// Shootdown models the TLB flush of a change that cleared or changed
// present page-table entries (flush_tlb_mm_range() from change_protection()
// or from zap_page_range_single()'s tlb_finish_mmu()): when other threads
// of the MM run, every one of their CPUs gets an IPI, and the flushing
// thread waits for them all, under the lock it holds. The flusher spins
// IPISend; each other thread pays IPIRecv for it at its next operation
// (Interrupts). Uncalibrated, or alone in its MM, it does nothing.
//
// The model sends to every other thread of the MM that is not asleep in
// schedule() (Waited forgets flushes a sleeper missed), and sends nothing
// when all of them sleep; the kernel sends to the CPUs in mm_cpumask()
// that are not in lazy TLB mode (native_flush_tlb_multi(): a flush that
// freed no page tables, as mprotect's and MADV_DONTNEED's do not, skips
// them with should_flush_tlb(); a CPU whose task slept runs the idle task
// lazily in the old mm and flushes for itself when it switches back, which
// the sleeper owes on waking (Task.schedule) and pays at its next
// operation: TLBLazy), the
// same set while each thread has a CPU of its own, as in every cell up to
// the CPU count. Until 2026-12-03 the model sent whenever the MM had
// another thread: beside a faulting reader asleep on mmap_lock, each
// mprotect paid the 38 µs IPI this VM's calibration measured to a running
// sibling, where the kernel's writer held mmap_lock 21 µs in all.
func (t *Task) Shootdown() {
	tasks := t.MM.tasks.Load()
	if t.Work.IPISend == 0 && t.Work.IPIRecv == 0 && t.Work.TLBLazy == 0 || tasks < 2 {
		return
	}
	t.Interrupts()                       // take the flushes before this one
	t.shootSeen = t.MM.shootdowns.Add(1) // inc_mm_tlb_gen()
	defer t.MM.flushed.Add(1)
	targets := int64(tasks - 1 - t.MM.sleepers.Load())
	if targets <= 0 {
		return
	}
	send := t.Work.IPISend
	if sim.On() {
		// A projection may have hundreds of CPUs: the flusher pays a send
		// per target (the IPIs of flush_tlb_multi()), which is the real
		// run's one send at the two threads it was calibrated with.
		send *= targets
	}
	t.Spin(send)
}

// Interrupts spins IPIRecv for each TLB flush of another thread of the MM
// since this thread last looked: the IPIs its CPU took meanwhile; and, if
// the thread last woke to a stale TLB, TLBLazy, the refill of its
// user-space translations (see schedule). Threads call it once per
// operation, outside any lock; uncalibrated it costs two compares.
func (t *Task) Interrupts() {
	if t.lazyOwed {
		t.lazyOwed = false
		t.Spin(t.Work.TLBLazy)
	}
	if t.Work.IPIRecv == 0 {
		return
	}
	if n := t.MM.shootdowns.Load(); n != t.shootSeen {
		d := n - t.shootSeen
		t.shootSeen = n
		t.Spin(int64(d) * t.Work.IPIRecv)
	}
}

// MunmapTail is the calibrated work of munmap() after
// mmap_write_downgrade(), in vms_complete_munmap_vmas(): unmap_region() and
// remove_vma(), plus the teardown of each page the munmap unmapped
// (zap_pte_range(), the folios freed or released). Call it after a Write
// that unmapped; it forgets the pages it charged.
func (t *Task) MunmapTail() {
	// vms_clear_ptes(): lru_add_drain(), then, at tlb_finish_mmu(), the
	// anonymous pages unmapped are freed (off the LRU, to this CPU's list;
	// shared file pages stay in the page cache).
	t.lruAddDrain()
	t.freePages(int(t.zapAnon))
	t.Spin(t.Work.MunmapTail + t.zapAnon*t.Work.ZapAnon + t.zapShared*t.Work.ZapShared)
	t.zapAnon, t.zapShared = 0, 0
}

// ZapWork is the calibrated work of madvise(MADV_DONTNEED) under its lock:
// the zap and its TLB flush (Shootdown). The caller has just zapped pages
// a thread faulted in, so the flush is always taken as needed.
func (t *Task) ZapWork() {
	t.Spin(t.Work.Zap)
	t.Shootdown()
}
