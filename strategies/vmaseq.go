package strategies

import "vmabench/mm"

// VMASeq is the v6.4 per-VMA lock (2023): each VMA has an rw-semaphore,
// vma->lock, and a vm_lock_seq; the MM has mm_lock_seq. It stands for the
// releases v6.4 to v6.14, which kept this shape, and is modelled as v6.4
// released throughout: lock_vma_under_rcu() refuses a VMA with no anon_vma
// yet (v6.8 moved that to __vmf_anon_prepare(), which mm.HandleFault
// models for the later designs), and madvise(MADV_DONTNEED) and
// /proc/pid/maps take mmap_read_lock() (per-VMA forms came in v6.17).
//
// A VMA is write-locked when vm_lock_seq == mm_lock_seq. A writer, holding
// mmap_lock for writing, sets vm_lock_seq under vma->lock (waiting for
// readers to leave); all its VMA write locks drop at once when
// vma_end_write_all() increments mm_lock_seq at mmap_write_unlock(). A reader
// try-locks vma->lock and checks the sequences before and after; it may fail
// spuriously, never succeed wrongly, and falls back to mmap_lock on failure.
//
// Freed VMAs go through call_rcu(): never reused while a reader may still see
// one, which Go's garbage collector gives exactly (mm.NewCache(false)).
type VMASeq struct {
	mm *mm.MM
}

var _ Strategy = (*VMASeq)(nil)

// NewVMASeq returns the vmaseq design over a new MM.
func NewVMASeq(cfg mm.Config) Strategy {
	m := mm.New(cfg)
	m.Cache().UseVMALocks() // vma_lock_alloc() in vm_area_alloc()
	return &VMASeq{mm: m}
}

// MM returns the address space.
func (s *VMASeq) MM() *mm.MM { return s.mm }

// vmaStartRead models vma_start_read() of v6.4.
func (s *VMASeq) vmaStartRead(t *mm.Task, v *mm.VMA) bool {
	// Check before locking. A race might cause false locked result.
	if v.LockSeq.Load() == s.mm.LockSeq.Load() {
		return false
	}
	mm.At(mm.PointSeqChecked, t, v)
	if !v.Lock.DownReadTrylock(t) { // down_read_trylock(&vma->lock)
		return false
	}
	mm.At(mm.PointReadLocked, t, v)
	// False unlocked result is impossible: vm_lock_seq is changed under
	// vma->lock, and an mm_lock_seq change invalidates all write locks.
	if v.LockSeq.Load() == s.mm.LockSeq.Load() {
		v.Lock.UpRead(t)
		return false
	}
	return true
}

// vmaEndRead models vma_end_read(): up_read(&vma->lock) (under RCU in the
// kernel, to keep the VMA alive; here the GC does). up_read() does not look
// at the calling task.
func (s *VMASeq) vmaEndRead(v *mm.VMA) { v.Lock.UpRead(nil) }

// lockVMAUnderRCU models lock_vma_under_rcu() of v6.4: walk the tree without
// a lock, refuse a VMA that is not anonymous (a file mapping: every file
// fault of v6.4 and v6.5 aborts to mmap_lock; v6.6 let them take the VMA
// lock only to return VM_FAULT_RETRY from handle_mm_fault(), and v6.7 handled
// read, COW and shared faults under it) or whose anon_vma is not prepared
// yet, read-lock the VMA, re-check its range, and walk again if it was
// detached in between.
func (s *VMASeq) lockVMAUnderRCU(t *mm.Task, addr uint64) *mm.VMA {
	for {
		v := s.mm.FindVMA(addr) // mas_walk()
		mm.At(mm.PointWalked, t, v)
		// Only anonymous vmas are supported for now; and
		// find_mergeable_anon_vma uses adjacent vmas which are not
		// locked: the first fault of a VMA needs mmap_lock.
		if v == nil || !v.IsAnonymous() || !v.HasAnonVMA() || !s.vmaStartRead(t, v) {
			t.Stats.VMALockAbort++
			return nil
		}
		// vm_start/vm_end might change before we lock the VMA.
		if !v.Contains(addr) {
			s.vmaEndRead(v)
			t.Stats.VMALockAbort++
			return nil
		}
		// The VMA got isolated after we found it: the area was
		// replaced with another one.
		if v.Detached.Load() {
			s.vmaEndRead(v)
			t.Stats.VMALockMiss++
			continue
		}
		return v
	}
}

// Fault models do_user_addr_fault() with CONFIG_PER_VMA_LOCK for a user-mode
// fault: the fault is handled under the VMA lock when it can be
// (vma_lock_success), else under mmap_lock after an abort (vma_lock_abort)
// or a VM_FAULT_RETRY (vma_lock_retry). Under v6.4 the handler never
// returns VM_FAULT_RETRY for a missing anon_vma: lockVMAUnderRCU has
// already refused such a VMA.
func (s *VMASeq) Fault(t *mm.Task, addr uint64) error {
	w := t.LockWaitStart()
	if v := s.lockVMAUnderRCU(t, addr); v != nil {
		t.LockAcquired(mm.LockVMA, w)
		r := mm.HandleFault(t, v, addr, mm.FaultFlagVMALock)
		// On VM_FAULT_RETRY the kernel's handler has already dropped
		// the VMA lock; here the caller drops it either way.
		t.LockReleased() // the hold ends before the unlock, as mmapReadUnlock's
		s.vmaEndRead(v)
		if r != mm.FaultRetry {
			t.Stats.VMALockSuccess++
			return nil
		}
		t.Stats.VMALockRetry++
	}
	return faultLocked(t, s.mm, addr)
}

// FaultKernel models do_user_addr_fault() for a fault without
// FAULT_FLAG_USER: goto lock_mmap, no vma_lock_* event.
func (s *VMASeq) FaultKernel(t *mm.Task, addr uint64) error { return faultLocked(t, s.mm, addr) }

// Madvise models madvise(MADV_DONTNEED) of v6.4: under mmap_read_lock().
func (s *VMASeq) Madvise(t *mm.Task, start, end uint64) error {
	return madviseLocked(t, s.mm, start, end)
}

// ReadMaps models a /proc/pid/maps read of v6.4: under mmap_read_lock(), a
// page of output at a time.
func (s *VMASeq) ReadMaps(t *mm.Task) (int, error) { return readMapsLocked(t, s.mm), nil }

// Lookup models a pre-2026 caller: lock_vma_under_rcu() first, and on
// failure the mmap_read_lock() + vma_lookup() idiom, held until Release.
func (s *VMASeq) Lookup(t *mm.Task, addr uint64) (Ref, error) {
	if v := s.lockVMAUnderRCU(t, addr); v != nil {
		t.Hold(mm.VMARead)
		return Ref{VMA: v}, nil
	}
	return lookupLocked(t, s.mm, addr)
}

// Release ends a Lookup: vma_end_read() or mmap_read_unlock().
func (s *VMASeq) Release(t *mm.Task, r Ref) { releaseLookup(t, s.mm, r, s.vmaEndRead) }

// vmaStartWrite models vma_start_write() of v6.4. The caller holds mmap_lock
// for writing, so neither sequence can change under it.
func (s *VMASeq) vmaStartWrite(t *mm.Task, v *mm.VMA) {
	seq := s.mm.LockSeq.Load()
	if v.LockSeq.Load() == seq { // already write-locked in this section
		return
	}
	w := t.LockWaitStart()
	t.Acquiring(mm.VMAWrite)
	v.Lock.DownWrite(t) // down_write(&vma->lock): waits for readers
	t.Waited()
	v.LockSeq.Store(seq)
	mm.At(mm.PointWriteLocked, t, v)
	v.Lock.UpWrite(t)
	t.LockWaited(mm.LockVMA, w) // the wait for readers, timed (mm.LockTime)
}

// Write models an address-space change: mmap_write_lock(), vma_start_write()
// on every VMA touched or inserted (vma_prepare()), the change, the removed
// VMAs marked detached, and vma_end_write_all(), which increments
// mm_lock_seq and so drops every VMA write lock at once; then
// mmap_write_unlock() (up_write()), or for munmap mmap_write_downgrade()
// and the tail under the read lock, which frees the removed VMAs
// (remove_vma(), vm_area_free(): call_rcu). Both call vma_end_write_all()
// first.
func (s *VMASeq) Write(t *mm.Task, op mm.Op) error {
	mmapWriteLock(t, s.mm)
	c, err := s.change(t, op)
	s.mm.LockSeq.Add(1) // vma_end_write_all()
	if err != nil || op.Kind != mm.OpMunmap {
		mmapWriteUnlock(t, s.mm)
		return err
	}
	completeMunmap(t, s.mm, c)
	return nil
}

// change is Write's part under the write lock, up to vma_end_write_all().
func (s *VMASeq) change(t *mm.Task, op mm.Op) (*mm.Change, error) {
	c, err := s.mm.Prepare(t, op)
	if err != nil {
		return nil, err
	}
	for _, v := range c.Touched {
		s.vmaStartWrite(t, v)
	}
	for _, v := range c.New {
		s.vmaStartWrite(t, v)
	}
	s.mm.Commit(t, c)
	for _, v := range c.Removed {
		v.Detached.Store(true) // vma_mark_detached(vma, true), write-locked
		if op.Kind != mm.OpMunmap {
			s.mm.Cache().Free(t, v) // vm_area_free(): call_rcu
		}
	}
	return c, nil
}
