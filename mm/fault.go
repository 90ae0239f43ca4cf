package mm

// FaultFlags are the fault flags the handler looks at.
type FaultFlags uint32

// FaultFlagVMALock says the caller holds only the VMA lock, not mmap_lock
// (FAULT_FLAG_VMA_LOCK).
const FaultFlagVMALock FaultFlags = 1

// FaultResult is what the handler returns (vm_fault_t, reduced).
type FaultResult uint8

// Fault results.
const (
	// FaultDone: the page is mapped.
	FaultDone FaultResult = iota
	// FaultRetry: VM_FAULT_RETRY. The handler needs mmap_lock; the caller
	// drops the VMA lock and handles the fault again under mmap_lock.
	FaultRetry
)

// HandleFault models handle_mm_fault() for a VMA the caller holds: it maps
// the page at addr, doing t.FaultWork bytes of work (clear_page() or
// copy_user_highpage()) and the path's calibrated work under the caller's
// lock. The caller holds v read-locked (flags has FaultFlagVMALock) or holds
// mmap_lock for reading. Every fault the model takes is a write where the
// VMA is writable (the workloads store a byte, as the peers' testcases
// do), and a read where it is not.
//
// The path is do_anonymous_page() for an anonymous VMA and do_fault()'s for
// a file: do_read_fault() for a read, do_cow_fault() for a write to a
// private mapping, do_shared_fault() for a write to a shared one. Under the
// VMA lock these are the paths of v6.7 and later, where each file fault
// checks vmf_can_call_fault(), which lets it go on because every file the
// model maps has ->map_pages (filemap_map_pages(), as ext4 and shmem do).
// Designs that model an earlier release keep file faults off this path in
// their lock_vma_under_rcu() (v6.4 refuses any VMA that is not anonymous).
//
// A fault that needs an anon_vma (an anonymous VMA's, and the private copy
// of do_cow_fault(): vmf_anon_prepare()) must prepare it on the VMA's
// first fault, which needs mmap_lock, because it may share a neighbour's
// anon_vma and so looks at VMAs the VMA lock does not cover. Under the VMA
// lock this models __vmf_anon_prepare() of v6.8+: try mmap_read_trylock(),
// and return FaultRetry (VM_FAULT_RETRY) only if that fails. (v6.4 refused
// such VMAs earlier, in lock_vma_under_rcu(), as the vmaseq strategy does,
// so it never gets here without an anon_vma; v6.7 always returned
// VM_FAULT_RETRY.)
//
// HandleFault is also the checker's reader: it asserts that v belongs to t's
// MM, covers addr and is not being changed, before and after the work.
func HandleFault(t *Task, v *VMA, addr uint64, flags FaultFlags) FaultResult {
	f := v.file.Load()
	write := Prot(v.prot.Load())&ProtWrite != 0
	if (f == nil || write && !v.shared.Load()) && !v.anonVMA.Load() {
		locked := flags&FaultFlagVMALock != 0
		if locked && !t.MM.MmapLock.DownReadTrylock(t) { // mmap_read_trylock()
			return FaultRetry
		}
		// __anon_vma_prepare(): mmap_assert_locked(mm), as it may share
		// a neighbour's anon_vma, which only mmap_lock keeps still. A
		// caller without FaultFlagVMALock holds mmap_lock by contract;
		// one with it must have taken it just above.
		if flags&FaultFlagVMALock != 0 && t.MM.MmapLock.Count()&RWSemLockMask == 0 {
			t.violation("thread %d: prepares the anon_vma of VMA [%#x, %#x) without mmap_lock (mmap_assert_locked)", t.ID, v.Start(), v.End())
		}
		// __anon_vma_prepare(), serialised in the kernel by
		// mm->page_table_lock; racing readers store the same value.
		v.anonVMA.Store(true)
		if locked {
			t.MM.MmapLock.UpRead(t)
		}
	}
	gen := t.AssertStable(v, addr)
	At(PointFaultHeld, t, v)
	switch {
	case f == nil:
		doAnonymousPage(t, addr)
	case !write:
		doReadFault(t, v, f, addr)
	case !v.shared.Load():
		doCOWFault(t, v, f, addr)
	default:
		doSharedFault(t, v, f, addr)
	}
	t.AssertUnchanged(v, gen)
	return FaultDone
}

// setPTE installs the page at addr in the page table (set_pte_at() in
// finish_fault() or do_anonymous_page()), allocating the page-table page
// on the first fault of its 2 MiB (pte_alloc()), under the table's split
// PTE lock: pte_offset_map_lock(), then vmf_pte_changed(), since another
// thread may have mapped the page meanwhile. It counts the fault if the
// entry was empty. newAnon says the page is a new anonymous folio
// (do_anonymous_page(), do_cow_fault()'s copy): it goes onto this CPU's
// lru_add batch under the PTE lock (folio_add_lru_vma(), which may move
// the batch onto the LRU under the lruvec lock), or, if the entry was
// taken, back to this CPU's page list (folio_put()). ptWork is the
// calibrated work of a fresh page-table page for this kind of fault
// (pte_alloc()): Work.PTEAlloc for an anonymous one, 0 for a file fault
// (Work.PTEAlloc says why).
func setPTE(t *Task, addr uint64, newAnon bool, ptWork int64) {
	i := addr >> PageShift
	pte, fresh := t.MM.pt.alloc(i)
	if fresh {
		t.Spin(ptWork) // pte_alloc()'s calibrated work
	}
	if pte == nil {
		if newAnon {
			t.freeNewPage()
		}
		return
	}
	d := t.MM.pt.pteLockBy(t, i)
	if pte.Load() == 0 {
		if newAnon {
			t.lruAddNew() // folio_add_new_anon_rmap(), folio_add_lru_vma()
		}
		pte.Store(1) // set_ptes()
		t.Stats.Faults++
		d.pteUnlock() // pte_unmap_unlock()
		return
	}
	d.pteUnlock()
	if newAnon {
		t.freeNewPage()
	}
}

// doAnonymousPage models do_anonymous_page(): a page allocated
// (alloc_anon_folio(): this CPU's page list, refilled under the zone lock
// when empty), zeroed (clear_page(), the FaultWork bytes), the rest of
// handle_mm_fault()'s work before the PTE lock, calibrated (the memcg
// charge, the rmap and counter preparation), then the PTE set under the PTE
// lock (setPTE).
func doAnonymousPage(t *Task, addr uint64) {
	t.allocPage()
	clear(t.scratch[:t.FaultWork])
	t.Spin(t.Work.Fault + t.Work.FaultCold)
	setPTE(t, addr, true, t.Work.PTEAlloc)
}

// filePage returns the file page index addr maps in v (linear_page_index()).
func filePage(v *VMA, addr uint64) uint64 {
	return v.pgoff.Load() + (addr-v.start.Load())>>PageShift
}

// doReadFault models do_read_fault(): the folio from the page cache
// (__do_fault(), or ->map_pages()'s fault-around when it is cached), and
// finish_fault() maps it read-only. The fault-around of the kernel maps up
// to 16 cached pages per fault; the model maps the one page, with no
// calibrated work (no workload reads): it is there for the lock paths.
func doReadFault(t *Task, v *VMA, f *File, addr uint64) {
	f.getFolio(t, filePage(v, addr))
	setPTE(t, addr, false, 0)
}

// doCOWFault models do_cow_fault(): a new anonymous page
// (vma_alloc_folio()), the page-cache folio found or added (__do_fault()),
// its contents copied to the new page (copy_user_highpage(), the
// FaultWork bytes), and the copy mapped by finish_fault(). The page cache
// keeps its folio, clean: a later pass finds it there.
func doCOWFault(t *Task, v *VMA, f *File, addr uint64) {
	t.allocPage() // folio_prealloc()
	f.getFolio(t, filePage(v, addr))
	clear(t.scratch[:t.FaultWork])
	t.Spin(t.Work.FaultCOW + t.Work.FaultCold) // the new page's share too: FaultCOW is timed at 2 MiB
	setPTE(t, addr, true, 0)                   // finish_fault(); FaultCOW has the page table's share
}

// doSharedFault models do_shared_fault(): the folio found or added
// (__do_fault() returns it locked), ->page_mkwrite() where the file system
// has one (do_page_mkwrite(): ext4_page_mkwrite() on a disk file system;
// tmpfs has none), finish_fault() maps it writable, and
// fault_dirty_shared_page() marks it dirty (folio_mark_dirty(), the dirty
// accounting) and unlocks it. A large folio (f.FolioPages) is mapped whole
// where it lies inside the VMA and one page table, as v6.18's
// finish_fault() does, so the next touches of its pages do not fault. The
// calibrated work, per fault, is the kernel's for the file system of the
// live run's temporary directory.
func doSharedFault(t *Task, v *VMA, f *File, addr uint64) {
	i := filePage(v, addr)
	f.getFolio(t, i)
	f.lockFolio(t, i)
	if f.FS == DiskFS {
		// do_page_mkwrite(): ->page_mkwrite() unlocks and relocks the
		// folio around the file system's work; its cost is in
		// FaultShared.
		f.unlockFolio(i)
		f.lockFolio(t, i)
	}
	from, to := addr, addr+PageSize
	if n := uint64(f.FolioPages); n > 1 {
		first := i / n * n // the folio's first page
		lo := addr - (i-first)*PageSize
		pmd := addr &^ (PTEsPerTable*PageSize - 1)
		if hi := lo + n*PageSize; lo >= v.start.Load() && hi <= v.end.Load() && lo >= pmd && hi <= pmd+PTEsPerTable*PageSize {
			from, to = lo, hi
		}
	}
	// finish_fault(): the folio's pages, under the one PTE lock of their
	// page table (they lie in one), each entry set if still empty.
	// The fresh page table's work is in FaultShared (Work.PTEAlloc).
	pte, _ := t.MM.pt.alloc(from >> PageShift)
	if pte != nil {
		d := t.MM.pt.pteLockBy(t, from>>PageShift)
		mapped := false
		for a := from; a < to; a += PageSize {
			if e := t.MM.pt.lookup(a >> PageShift); e != nil && e.Load() == 0 {
				e.Store(1) // set_ptes()
				mapped = true
			}
		}
		d.pteUnlock()
		if mapped {
			t.Stats.Faults++ // one fault, however many pages it mapped
		}
	}
	for j := filePage(v, from); j < filePage(v, to); j++ {
		if j != i {
			f.getFolio(t, j) // the folio's other pages: the same folio
		}
		f.markDirty(j)
	}
	f.unlockFolio(i)
	t.Spin(t.Work.FaultShared)
}

// AssertStable is the checker's entry assertion for a thread that now holds
// v for addr: v must be attached (not marked detached by the v6.4 flag, not
// freed to the cache), belong to t's MM, cover addr and not be marked by a
// writer. It counts a violation otherwise, and returns v's generation for
// AssertUnchanged.
func (t *Task) AssertStable(v *VMA, addr uint64) uint64 {
	gen := v.gen.Load()
	switch {
	case v.Detached.Load() || v.freed.Load():
		t.violation("thread %d: holds VMA [%#x, %#x) for %#x while it is detached", t.ID, v.Start(), v.End(), addr)
	case v.changing.Load() != 0:
		t.violation("thread %d: holds VMA [%#x, %#x) for %#x while a writer changes it", t.ID, v.Start(), v.End(), addr)
	case v.mm.Load() != t.MM:
		t.violation("thread %d: holds a VMA of another MM for %#x", t.ID, addr)
	case !v.Contains(addr):
		t.violation("thread %d: holds VMA [%#x, %#x), which does not cover %#x", t.ID, v.Start(), v.End(), addr)
	}
	return gen
}

// AssertUnchanged is the checker's exit assertion: no writer changed v since
// AssertStable returned gen. It names which of its two checks failed: a
// writer still inside v (its mark), or a change begun and finished while v
// was held (its generation), so that the exploration can show each one
// still catches the unlocked baseline.
func (t *Task) AssertUnchanged(v *VMA, gen uint64) {
	switch {
	case v.changing.Load() != 0:
		t.violation("thread %d: VMA [%#x, %#x) changed while held: a writer is inside it", t.ID, v.Start(), v.End())
	case v.gen.Load() != gen:
		t.violation("thread %d: VMA [%#x, %#x) changed while held: generation %d, held at %d", t.ID, v.Start(), v.End(), v.gen.Load(), gen)
	}
}

// AssertZap is the checker's assertion for a zap of [start, end) under the
// lock of the one VMA v (madvise_dontneed_single_vma(), whose
// zap_page_range_single() must stay inside its VMA): v is stable for start,
// as AssertStable checks, and the range ends inside it. It returns v's
// generation for AssertUnchanged.
func (t *Task) AssertZap(v *VMA, start, end uint64) uint64 {
	gen := t.AssertStable(v, start)
	if end > v.End() {
		t.violation("thread %d: zaps [%#x, %#x) under the lock of VMA [%#x, %#x) alone, past its end", t.ID, start, end, v.Start(), v.End())
	}
	return gen
}
