package strategies

import "vmabench/mm"

// MmapReadLock models mmap_read_lock() for a caller that takes mmap_lock
// whatever the design, as mincore() does in every release the designs stand
// for (mm/mincore.c of v6.18 still brackets do_mincore() with
// mmap_read_lock() and mmap_read_unlock()). It records the hold for the
// watchdog.
func MmapReadLock(t *mm.Task, m *mm.MM) {
	mmapReadLock(t, m)
	t.Hold(mm.MmapRead)
}

// MmapReadUnlock models mmap_read_unlock() after MmapReadLock.
func MmapReadUnlock(t *mm.Task, m *mm.MM) {
	t.Unhold(mm.MmapRead)
	mmapReadUnlock(t, m)
}
