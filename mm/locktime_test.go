package mm

import "testing"

// TestLockTime: an untimed operation reads no clock and adds nothing; a
// timed one adds its waits and holds, weighted, without overlap (a wait
// while holding is a wait, not a hold), and a hold left open when timing
// stops is closed then.
func TestLockTime(t *testing.T) {
	task := NewTask(nil, 0, 0)
	task.EnableLockTime()

	// Untimed.
	w := task.LockWaitStart()
	task.LockAcquired(LockMmap, w)
	task.LockReleased()
	if w != 0 || task.Locks.Wait != 0 || task.Locks.Hold != 0 || task.Locks.Hist.TotalCount() != 0 {
		t.Fatalf("untimed operation: start %d, %+v", w, task.Locks)
	}

	// Timed with weight 4: mmap_lock, then a VMA wait under it, then a
	// VMA read lock held inside (Hold/Unhold).
	t0 := Now()
	task.TimeLocks(4)
	w = task.LockWaitStart()
	task.LockAcquired(LockMmap, w)
	Spin(2000, 1)
	vw := task.LockWaitStart()
	Spin(2000, 2)
	task.LockWaited(LockVMA, vw)
	task.Hold(VMARead)
	Spin(2000, 3)
	task.Unhold(VMARead)
	task.LockReleased()
	task.TimeLocks(0)
	elapsed := (Now() - t0) * 4
	lt := task.Locks
	if lt.WaitBy[LockMmap] <= 0 || lt.WaitBy[LockVMA] <= 0 || lt.Hold <= 0 {
		t.Errorf("timed operation: %+v, want mmap and VMA waits and a hold", lt)
	}
	if lt.Wait < lt.WaitBy[LockMmap]+lt.WaitBy[LockVMA] || lt.Wait+lt.Hold > elapsed {
		t.Errorf("wait %d + hold %d over the %d ns (x4) the operation took, or wait below its parts %v", lt.Wait, lt.Hold, elapsed, lt.WaitBy)
	}
	// Every figure is a multiple of the weight.
	for _, v := range []int64{lt.Wait, lt.Hold, lt.WaitBy[LockMmap], lt.WaitBy[LockVMA]} {
		if v%4 != 0 {
			t.Errorf("figure %d is not weighted by 4", v)
		}
	}
	// Only mmap_lock's waits go in the histogram, weighted.
	if got := lt.Hist.TotalCount(); got != 4 {
		t.Errorf("histogram holds %d waits, want 4 (one mmap_lock wait, weight 4)", got)
	}

	// A hold left open when timing stops is closed, and a release after
	// that counts nothing.
	task.ResetLockTime()
	task.TimeLocks(1)
	task.LockAcquired(LockMmap, task.LockWaitStart())
	task.TimeLocks(0)
	h := task.Locks.Hold
	task.LockReleased()
	if h <= 0 || task.Locks.Hold != h || task.Locks.depth != 0 {
		t.Errorf("open hold: %d at TimeLocks(0), %d after the release, depth %d", h, task.Locks.Hold, task.Locks.depth)
	}
}
