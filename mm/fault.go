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

// HandleFault models handle_mm_fault() on an anonymous VMA: it maps the page
// at addr, doing t.FaultWork bytes of work (clear_page()) and t.Work.Fault
// calibrated work under the caller's lock. The caller holds v read-locked
// (flags has FaultFlagVMALock) or holds mmap_lock for reading.
//
// The first fault in a VMA must prepare its anon_vma, which needs mmap_lock,
// because it may share a neighbour's anon_vma and so looks at VMAs the VMA
// lock does not cover. Under the VMA lock this models __vmf_anon_prepare()
// of v6.8+: try mmap_read_trylock(), and return FaultRetry (VM_FAULT_RETRY)
// only if that fails. (v6.4 refused such VMAs earlier, in
// lock_vma_under_rcu(), as the vmaseq strategy does, so it never gets here
// without an anon_vma; v6.7 always returned VM_FAULT_RETRY.)
//
// HandleFault is also the checker's reader: it asserts that v belongs to t's
// MM, covers addr and is not being changed, before and after the work.
func HandleFault(t *Task, v *VMA, addr uint64, flags FaultFlags) FaultResult {
	if !v.anonVMA.Load() {
		locked := flags&FaultFlagVMALock != 0
		if locked && !t.MM.MmapLock.DownReadTrylock(t) { // mmap_read_trylock()
			return FaultRetry
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
	// do_anonymous_page(): set the PTE under the page-table lock, here a
	// compare-and-swap on it.
	if i := addr >> PageShift; i < uint64(len(t.MM.pte)) {
		if pte := &t.MM.pte[i]; pte.Load() == 0 && pte.CompareAndSwap(0, 1) {
			t.Stats.Faults++
		}
	}
	clear(t.scratch[:t.FaultWork])
	// The rest of handle_mm_fault()'s work under the lock, calibrated:
	// the page allocation, clear_page(), the memcg charge.
	t.Spin(t.Work.Fault)
	t.AssertUnchanged(v, gen)
	return FaultDone
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
// AssertStable returned gen.
func (t *Task) AssertUnchanged(v *VMA, gen uint64) {
	if v.gen.Load() != gen || v.changing.Load() != 0 {
		t.violation("thread %d: VMA [%#x, %#x) changed while held", t.ID, v.Start(), v.End())
	}
}
