package strategies

import (
	"testing"

	"vmabench/mm"
	"vmabench/sim"
)

// TestHoldEndsBeforeUnlock: a timed hold of mmap_lock ends where the
// kernel's mmap_lock_released tracepoint fires, before up_write() or
// up_read() (__mmap_lock_trace_released() comes first in
// mmap_write_unlock() and mmap_read_unlock()), so the wake-up the unlock
// makes is not hold. On virtual CPUs the waker pays the wake curve's send,
// here 1 ms, against a hold of 100 µs: a hold that ran on through the
// unlock would be eleven times as long.
func TestHoldEndsBeforeUnlock(t *testing.T) {
	const (
		holdPs = 100_000_000   // 100 µs
		sendPs = 1_000_000_000 // 1 ms
	)
	costs := sim.Costs{CPUs: 2, Sockets: 1, Hit: 1000, RMW: 1000, Transfer: 1000, RMWTransfer: 1000, Remote: 1000, Pause: 1000,
		WakeCurve: []sim.WakePoint{{Idle: 1, Latency: 1000, Send: sendPs}}}
	for _, tc := range []struct {
		name                                   string
		lock, unlock, waiterLock, waiterUnlock func(*mm.Task, *mm.MM)
	}{
		// A writer's up_write() wakes the reader queued behind it.
		{name: "write", lock: mmapWriteLock, unlock: mmapWriteUnlock, waiterLock: mmapReadLock, waiterUnlock: mmapReadUnlock},
		// A reader's up_read() wakes the writer that slept once its
		// optimistic spin on the reader-owned lock timed out.
		{name: "read", lock: mmapReadLock, unlock: mmapReadUnlock, waiterLock: mmapWriteLock, waiterUnlock: mmapWriteUnlock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mm.New(mm.Config{})
			holder, waiter := mm.NewTask(m, 0, 0), mm.NewTask(m, 1, 0)
			var woke int64
			e := sim.New(sim.Config{Model: sim.NewCoherence(costs, 1)})
			holder.SetCPU(e.Go(func(*sim.CPU) {
				holder.TimeLocks(1)
				tc.lock(holder, m)
				sim.Advance(holdPs)
				tc.unlock(holder, m)
				holder.TimeLocks(0)
			}))
			waiter.SetCPU(e.Go(func(*sim.CPU) {
				sim.Advance(holdPs / 10) // arrive while the lock is held
				tc.waiterLock(waiter, m)
				woke = sim.Now()
				tc.waiterUnlock(waiter, m)
			}))
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			if woke < holdPs {
				t.Fatalf("the waiter had the lock at %d ps, before the holder's %d ps of hold ended", woke, holdPs)
			}
			if waiter.Stats.Lock.SleepReader+waiter.Stats.Lock.SleepWriter == 0 {
				t.Fatalf("the waiter never slept, so the unlock woke nobody: the test shows nothing (lock events %+v)", waiter.Stats.Lock)
			}
			hold := holder.Locks.Hold * 1000 // ns to ps
			if hold < holdPs || hold >= holdPs+sendPs/2 {
				t.Errorf("timed hold %d ps, want the %d ps held and not the unlock's wake-up send of %d ps", hold, holdPs, sendPs)
			}
		})
	}
}
