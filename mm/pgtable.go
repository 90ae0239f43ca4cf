package mm

// ptdesc models the part of struct ptdesc, the page-table page's struct
// page, that a fault writes: its split PTE lock (CONFIG_SPLIT_PTE_PTLOCKS;
// the spinlock_t lives inside the ptdesc when it fits in a long, as it does
// without lockdep, !ALLOC_SPLIT_PTLOCKS). There is one per 2 MiB of address
// space, beside the pageTable's directory slot; each is 64 bytes on a cache
// line of its own, as a struct page is in the vmemmap, so two ranges' locks
// never share a line. (The kernel's ptdescs are those of wherever the
// allocator put each page-table page, so they are no more neighbours than
// here.)
type ptdesc struct {
	// ptl is ptdesc->ptl, spin_lock() on a non-RT kernel: holders never
	// sleep. The model's spinLock is test-and-test-and-set where the
	// kernel's is a queued spinlock (qspinlock); see page_alloc.go.
	ptl spinLock
	_   [64 - 4]byte
}

// pteLock models pte_offset_map_lock() for page index i: take the split
// lock of the page table that maps it, spin_lock(ptlock_ptr(ptdesc)).
func (pt *pageTable) pteLock(i uint64) *ptdesc {
	d := &pt.desc[i/PTEsPerTable]
	d.ptl.lock()
	return d
}

// pteLockBy is pteLock for task t, which times its spin on a timed
// operation (mm.LockTime, LockPTE).
func (pt *pageTable) pteLockBy(t *Task, i uint64) *ptdesc {
	d := &pt.desc[i/PTEsPerTable]
	t.lockSpin(&d.ptl, LockPTE)
	return d
}

// pteUnlock models pte_unmap_unlock().
func (d *ptdesc) pteUnlock() { d.ptl.unlock() }

// Zap models zap_page_range_single() (madvise(MADV_DONTNEED)): the
// pages of [start, end) are unmapped, each page table's under its PTE lock
// (zap_pte_range(); ranges with no table are skipped, as zap_pmd_range()
// skips pmd_none()), so the next touch faults again; then the pages are
// freed as tlb_finish_mmu() frees them after the TLB flush
// (free_pages_and_swap_cache(): off the LRU under the lruvec lock, then to
// t's per-CPU list; see Task.freePages). The caller holds the VMA covering
// the range (VMA or mmap read lock).
func (m *MM) Zap(t *Task, start, end uint64) {
	t.freePages(m.pt.clear(start>>PageShift, end>>PageShift, false))
}

// ZapInserted is Zap for pages vm_insert_pages() mapped (a socket's
// receive pages, tcp_zerocopy_receive()): the entries are cleared under
// their PTE locks, but the pages are not on the LRU and the zap does not
// free them; their owner drops its references when it is done with them.
func (m *MM) ZapInserted(start, end uint64) { m.pt.clear(start>>PageShift, end>>PageShift, false) }
