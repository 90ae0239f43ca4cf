package mm

import (
	"errors"
	"fmt"
	"unsafe"

	"vmabench/sim"
)

// Config describes a new MM.
type Config struct {
	// Pages is the size of the address space in pages; addresses run from
	// 0 to Pages*PageSize. Zero means DefaultPages.
	Pages int
	// Cache is where VMAs come from and go back to. Nil means a private
	// cache without reuse (the call_rcu free of v6.4).
	Cache *Cache
	// SimCPUs is, on virtual CPUs (package sim), how many CPUs the MM's
	// threads share: with more runnable threads than that, a spinner's
	// need_resched() fires after a slice (simSpinSlice), as on an
	// overcommitted machine. Zero gives each thread a CPU of its own,
	// where need_resched() never fires. A real run ignores it.
	SimCPUs int
}

// DefaultPages is the address-space size of a Config with Pages 0: 4 GiB.
const DefaultPages = 1 << 20

// MM models struct mm_struct: the mmap rw-semaphore, mm_lock_seq, the VMA
// tree and the page table. The zero value is not usable; call New.
//
// MmapLock is an RWSem, the model of the kernel's rw_semaphore: once a
// writer waits, new readers queue, so a reader that takes it again while
// holding it deadlocks behind a queued writer; a blocked thread sleeps in a
// futex and is woken by the releasing thread, as in the kernel.
//
// # Layout
//
// The kernel's words lie at their offsets in v6.18's mm_struct on x86-64
// (include/linux/mm_types.h, as this machine's 6.18 kernel lays it out;
// layout_test.go prints both and fails if they drift), and an MM is 448
// bytes, a size Go allocates on a line boundary:
//
//   - line 1: the VMA tree's root (mm_mt, at 64) and the page table
//     (where mm_struct has mmap_base to pgd), read by every fault;
//   - mmap_lock at 184: its count is the last word of line 2, its owner the
//     first of line 3, so a reader's atomic add and its owner store take
//     two lines, as mm_types.h's comment on mmap_lock's place intends;
//   - line 3 also holds vma_writer_wait (240) and mm_lock_seq (248), which
//     every per-VMA reader loads: they share the line the owner store and
//     wait_lock write, in the kernel as here;
//   - lines 4 to 6: the model's own (the VMA cache, the checker's mark,
//     the TLB-flush count, the scheduler's counts, the page allocator's),
//     off the kernel's lines.
type MM struct {
	_ [cacheLine]byte // line 0: mm_count, ____cacheline_aligned_in_smp

	// Line 1.
	tree Pointer[Tree] // 64: mm_mt (its ma_root is at 72)
	pt   pageTable     // 72: the page table (pagetable.go), where mm_struct has mmap_base to pgd
	_    [184 - 72 - unsafe.Sizeof(pageTable{})]byte

	// Lines 2 and 3.
	MmapLock RWSem    // 184: mm->mmap_lock (count 184, owner 192, wait_lock 204)
	_        [16]byte // 224
	// writerWait is mm->vma_writer_wait, the rcuwait a vma_start_write()
	// sleeps on until readers drain; readers wake it.
	writerWait RCUWait // 240
	// LockSeq is mm->mm_lock_seq. vmaseq uses it as a plain counter,
	// incremented by vma_end_write_all; vmarefcnt as a seqcount, odd while
	// mmap_lock is held for writing.
	LockSeq Int64 // 248

	// Line 4: writers only.
	cache *Cache // 256
	// writing is the checker's mark that a writer is inside Prepare..Commit
	// (the checker's, not the kernel's: see checkInt32).
	writing checkInt32 // 264
	_       [cacheLine - 12]byte

	// Line 5.
	// shootdowns counts the TLB flushes that interrupt the MM's other
	// threads (flush_tlb_mm_range()'s IPIs); see Task.Shootdown. It has a
	// line of its own: readers load it once per operation, only when
	// calibrated.
	shootdowns Uint64
	// tasks is how many threads run in the MM (NewTask with an id >= 0).
	tasks Int32 // 328
	// simCPUs is Config.SimCPUs.
	simCPUs int32 // 332
	// pages is the zone and the lruvec the MM's faults and zaps share
	// (see page_alloc.go), which the kernel keeps per node, outside
	// mm_struct: an object of its own, so that the MM stays at 448 bytes
	// (Go puts a header before objects over 512 bytes, off the line).
	pages *pagesets // 336
	// flushed counts the shoot-downs that have ended (their IPIs
	// answered); shootdowns, like mm->context.tlb_gen, counts those begun
	// (inc_mm_tlb_gen() comes before the IPIs). A thread that sleeps while
	// one is in flight, or through one, flushes on waking (Task.schedule).
	flushed Uint64 // 344
	_       [cacheLine - 32]byte

	// Line 6.
	// sleepers is how many of them are blocked in schedule(): tasks less
	// sleepers is the model's count of runnable threads (needResched). It
	// has a line of its own, as the kernel's run queues are per CPU, far
	// from mm_struct.
	sleepers Int32 // 384
	_        [cacheLine - 4]byte
}

// New returns an empty MM.
func New(cfg Config) *MM {
	if cfg.Pages == 0 {
		cfg.Pages = DefaultPages
	}
	if cfg.Cache == nil {
		cfg.Cache = NewCache(false)
	}
	m := &MM{
		cache:   cfg.Cache,
		simCPUs: int32(cfg.SimCPUs),
		pt:      newPageTable(cfg.Pages),
		pages:   new(pagesets),
	}
	m.tree.Store(newTree())
	return m
}

// Size returns the address-space size in bytes.
func (m *MM) Size() uint64 { return m.pt.pages << PageShift }

// Cache returns the MM's VMA cache.
func (m *MM) Cache() *Cache { return m.cache }

// Tree returns the current VMA tree. Readers may search it without any lock,
// as they walk the maple tree under rcu_read_lock(); a VMA found in it may
// have been detached, changed or reused since.
func (m *MM) Tree() *Tree { return m.tree.Load() }

// FindVMA models vma_lookup(): the VMA covering addr in the current tree, or
// nil. Under mmap_lock the answer is stable; without it the caller must lock
// the VMA and re-check it.
func (m *MM) FindVMA(addr uint64) *VMA { return m.tree.Load().Lookup(addr) }

// PagePresent reports whether the page at addr is mapped.
func (m *MM) PagePresent(addr uint64) bool {
	e := m.pt.lookup(addr >> PageShift)
	return e != nil && e.Load() != 0
}

// PresentIn models the page walk of do_mincore() (walk_page_range_vma()):
// it returns how many pages of [start, end) are mapped, loading each
// page-table entry. A real run tests sim.On() once for the walk and loads
// the entries directly, so the loop costs what a loop of atomic loads does
// (a loop of PagePresent calls would not inline); a projection loads each
// through its word, a scheduling point per entry.
func (m *MM) PresentIn(start, end uint64) int {
	n := 0
	if sim.On() {
		for a := start; a < end; a += PageSize {
			if m.PagePresent(a) {
				n++
			}
		}
		return n
	}
	for i := start >> PageShift; i < end>>PageShift && i < m.pt.pages; i++ {
		if tb := m.pt.dir[i/PTEsPerTable].v.Load(); tb != nil && tb[i%PTEsPerTable].v.Load() != 0 {
			n++
		}
	}
	return n
}

// WaitWriter models rcuwait_wait_event(&mm->vma_writer_wait, cond,
// TASK_UNINTERRUPTIBLE): t sleeps until cond holds. Only the mmap_lock
// writer waits, so one waiter at a time. cond must read with atomic loads
// (see RCUWait).
func (m *MM) WaitWriter(t *Task, cond func() bool) { m.writerWait.WaitEvent(t, cond) }

// WakeWriter models rcuwait_wake_up(&mm->vma_writer_wait): wake the waiting
// writer, if any. Call it after the atomic store that makes its condition
// hold; a wake-up with no waiter is not kept, and need not be (see RCUWait).
func (m *MM) WakeWriter() { m.writerWait.WakeUp() }

// Errors returned by the address-space primitives.
var (
	// ErrNoVMA is a fault or lookup at an address no VMA covers (SIGSEGV,
	// or vma_lookup() returning NULL).
	ErrNoVMA = errors.New("no VMA at address")
	// ErrExist is an mmap over an existing mapping (MAP_FIXED_NOREPLACE).
	ErrExist = errors.New("range already mapped")
	// ErrRange is an operation on a range outside the address space or
	// not page-aligned.
	ErrRange = errors.New("bad range")
	// ErrConcurrentWriter is returned by Prepare when another writer is
	// already changing the MM: only a strategy without mmap_lock (nolock)
	// can get it. The change is not made.
	ErrConcurrentWriter = errors.New("concurrent writer: address space changed without mmap_lock")
)

// Validate checks the tree's invariants: sorted, non-overlapping, non-empty,
// page-aligned VMAs that belong to m, whose fields match their tree entries.
// Call it only while no writer runs.
func (m *MM) Validate() error {
	var prevEnd uint64
	var err error
	m.tree.Load().Ascend(0, func(e Entry) bool {
		v := e.VMA
		switch {
		case e.Start >= e.End:
			err = fmt.Errorf("empty VMA [%#x, %#x)", e.Start, e.End)
		case e.Start%PageSize != 0 || e.End%PageSize != 0:
			err = fmt.Errorf("unaligned VMA [%#x, %#x)", e.Start, e.End)
		case e.Start < prevEnd:
			err = fmt.Errorf("VMA [%#x, %#x) overlaps the one ending at %#x", e.Start, e.End, prevEnd)
		case v.Start() != e.Start || v.End() != e.End:
			err = fmt.Errorf("VMA [%#x, %#x) is in the tree as [%#x, %#x)", v.Start(), v.End(), e.Start, e.End)
		case v.MM() != m:
			err = fmt.Errorf("VMA [%#x, %#x) belongs to another MM", e.Start, e.End)
		}
		prevEnd = e.End
		return err == nil
	})
	return err
}
