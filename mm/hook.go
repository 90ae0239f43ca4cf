package mm

// Point names a place inside a lock step, a race window, where a test may
// park the thread that reached it while another thread acts: the way to
// force an interleaving the scheduler would produce only rarely.
//
// The model calls At at each point. With no hook set, At is one load and
// one not-taken branch, inlined at the call site; benchmarks run with none.
type Point uint8

// The points, in the order a reader or a writer meets them.
const (
	// PointWalked: lock_vma_under_rcu() found v in the tree and has not
	// locked it yet: it may be write-locked, detached, freed or reused
	// meanwhile.
	PointWalked Point = iota + 1
	// PointSeqChecked: vma_start_read() passed its lockless early check
	// (vm_lock_seq != mm_lock_seq) and has not yet taken the lock or the
	// reference.
	PointSeqChecked
	// PointReadLocked: vma_start_read() holds the read lock or the
	// reference and has not yet re-checked vm_mm and the sequence.
	PointReadLocked
	// PointExcluding: __vma_enter_locked() added the exclude-readers flag
	// and is about to wait for the readers left.
	PointExcluding
	// PointWriteLocked: vma_start_write() set vm_lock_seq and still holds
	// vma->lock (v6.4) or the exclude-readers flag (v6.15+).
	PointWriteLocked
	// PointDetaching: vma_mark_detached() is about to drop the attached
	// reference of v (v6.15+).
	PointDetaching
	// PointWriteUnlock: mmap_write_unlock() is about to up_write(), or
	// mmap_write_downgrade() to downgrade_write(): the design's
	// vma_end_write_all() has been done.
	PointWriteUnlock
	// PointCommit: Commit marked the VMAs it changes and is about to
	// change them.
	PointCommit
	// PointFaultHeld: HandleFault asserted v stable and is about to do the
	// fault's work under the caller's lock.
	PointFaultHeld
	// PointSlowLocked: vma_start_read_unlocked()'s slow path holds
	// mmap_lock for reading and has not yet looked the VMA up (vmawait).
	PointSlowLocked
	// PointMunmapTail: CompleteMunmap is about to tear down the page
	// tables and free the removed VMAs, under the lock the writer
	// downgraded (a writer's last point, after PointWriteUnlock).
	PointMunmapTail
	// PointFaultLocked: lock_mm_and_find_vma() holds mmap_lock for a
	// fault (a user fault's fallback, or a kernel-mode fault) and has not
	// yet looked the VMA up; v is nil.
	PointFaultLocked
)

// hook is the test's callback; nil outside tests of interleavings.
var hook func(p Point, t *Task, v *VMA)

// SetHook installs f as the callback At calls, or removes it (nil). It is
// for tests only: set it while no other thread runs model code, and remove
// it once they have stopped. t and v are the thread and VMA at the point;
// t is nil where the step has no task (vma_end_read()).
func SetHook(f func(p Point, t *Task, v *VMA)) { hook = f }

// At calls the hook, if one is set, at point p.
func At(p Point, t *Task, v *VMA) {
	if hook != nil {
		hook(p, t, v)
	}
}
