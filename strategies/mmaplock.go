package strategies

import "vmabench/mm"

// MmapLock is the design before v6.4 (and of any kernel built without
// CONFIG_PER_VMA_LOCK): one rw-semaphore per MM, mmap_lock, taken for
// reading by every fault, lookup, madvise(MADV_DONTNEED) and /proc/pid/maps
// read, and for writing by every address-space change.
//
// It has the flaw the 2026 thread is about: the rwsem blocks new readers once
// a writer waits, so a Lookup holder whose nested Fault takes mmap_lock for
// reading again deadlocks as soon as a writer queues between the two.
type MmapLock struct {
	mm *mm.MM
}

var _ Strategy = (*MmapLock)(nil)

// NewMmapLock returns the mmaplock design over a new MM.
func NewMmapLock(cfg mm.Config) Strategy { return &MmapLock{mm: mm.New(cfg)} }

// MM returns the address space.
func (s *MmapLock) MM() *mm.MM { return s.mm }

// Fault models do_user_addr_fault() before v6.4: lock_mm_and_find_vma(),
// handle_mm_fault(), mmap_read_unlock().
func (s *MmapLock) Fault(t *mm.Task, addr uint64) error { return faultLocked(t, s.mm, addr) }

// FaultKernel is Fault: every fault takes mmap_lock.
func (s *MmapLock) FaultKernel(t *mm.Task, addr uint64) error { return faultLocked(t, s.mm, addr) }

// Madvise models madvise(MADV_DONTNEED) under mmap_read_lock().
func (s *MmapLock) Madvise(t *mm.Task, start, end uint64) error {
	return madviseLocked(t, s.mm, start, end)
}

// ReadMaps models a /proc/pid/maps read under mmap_read_lock(), a page of
// output at a time.
func (s *MmapLock) ReadMaps(t *mm.Task) (int, error) { return readMapsLocked(t, s.mm), nil }

// Lookup models mmap_read_lock() + vma_lookup(); mmap_lock stays held until
// Release.
func (s *MmapLock) Lookup(t *mm.Task, addr uint64) (Ref, error) {
	return lookupLocked(t, s.mm, addr)
}

// Release models mmap_read_unlock().
func (s *MmapLock) Release(t *mm.Task, r Ref) {
	t.Unhold(mm.MmapRead)
	mmapReadUnlock(t, s.mm)
}

// Write models an address-space change under mmap_write_lock(): no per-VMA
// locks exist, so excluding readers is mmap_lock's job alone. A munmap ends
// under the downgraded lock (completeMunmap), anything else with
// mmap_write_unlock().
func (s *MmapLock) Write(t *mm.Task, op mm.Op) error {
	mmapWriteLock(t, s.mm)
	c, err := change(t, s.mm, op)
	if err != nil || op.Kind != mm.OpMunmap {
		mmapWriteUnlock(t, s.mm)
		return err
	}
	completeMunmap(t, s.mm, c)
	return nil
}
