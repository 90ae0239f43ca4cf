package mm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOSQExclusion: the OSQ used as a lock on its own admits one head at a
// time, and spinners that unqueue (need_resched() fired: the slice is cut to
// a few microseconds here, so they do it often) leave the queue intact: every
// later osq_lock() still works, and the tail is empty at the end.
func TestOSQExclusion(t *testing.T) {
	defer func(s int64) { spinSlice = s }(spinSlice)
	spinSlice = 5_000
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			var (
				q        osqQueue
				inside   atomic.Int32
				heads    atomic.Int64
				unqueued atomic.Int64
				bad      atomic.Pointer[string]
				wg       sync.WaitGroup
			)
			const spinners, rounds = 4, 2000
			for id := range spinners {
				wg.Add(1)
				go func() {
					defer wg.Done()
					task := NewTask(nil, id, 0)
					rng := rand.New(rand.NewPCG(seed, uint64(id)))
					for range rounds {
						if !q.osqLock(task, now()) {
							unqueued.Add(1)
							continue
						}
						if n := inside.Add(1); n != 1 {
							msg := fmt.Sprintf("%d heads at once", n)
							bad.CompareAndSwap(nil, &msg)
						}
						if rng.IntN(4) == 0 {
							runtime.Gosched()
						}
						inside.Add(-1)
						heads.Add(1)
						q.osqUnlock(task)
					}
				}()
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				t.Fatalf("spinners still queued after 60 s: tail %d", q.tail.Load())
			}
			if msg := bad.Load(); msg != nil {
				t.Fatal(*msg)
			}
			if q.isLocked() {
				t.Errorf("tail = %d at the end, want %d (OSQ_UNLOCKED_VAL)", q.tail.Load(), osqUnlocked)
			}
			if heads.Load()+unqueued.Load() != spinners*rounds {
				t.Errorf("%d heads + %d unqueued, want %d calls", heads.Load(), unqueued.Load(), spinners*rounds)
			}
			// The unqueue path is what this test is for: with a head
			// that yields its CPU a quarter of the time, spinners wait
			// past a 5 µs slice.
			if unqueued.Load() == 0 {
				t.Error("no spinner unqueued: the unqueue path (steps A-C) was not exercised")
			}
			t.Logf("%d heads, %d unqueued", heads.Load(), unqueued.Load())
		})
	}
}

// TestRWSemEveryWriterSpins: while each thread has a CPU of its own (here:
// the process is told it has 64), writers behind a running owner all queue
// on the OSQ and spin, none sleeps on the wait list, and each takes the lock
// by spinning (rwsem_opt_lock) as the one before it releases: the kernel's
// behaviour that mmap1 profiles show as osq_lock() and
// rwsem_spin_on_owner().
func TestRWSemEveryWriterSpins(t *testing.T) {
	defer func(c int32) { processCPUs = c }(processCPUs)
	processCPUs = 64
	m := New(Config{Pages: 16})
	owner := NewTask(m, 0, 0)
	var s RWSem
	s.DownWrite(owner)
	const writers = 3
	var hs []*holder
	for i := range writers {
		hs = append(hs, hold(NewTask(m, i+1, 0), s.DownWrite, s.UpWrite))
	}
	all := slices.Clone(hs)
	// One writer at the OSQ's head spinning on the owner, the others
	// queued behind it, each on its own node.
	waitFor(t, "two writers queued behind the OSQ's head", func() bool {
		n := 0
		for _, h := range hs {
			if h.task.osq.prev.Load() != nil && h.task.osq.locked.Load() == 0 {
				n++
			}
		}
		return n == writers-1
	})
	if _, q := s.queued(); q != "" {
		t.Fatalf("wait list %q while the owner runs, want empty: every writer spins", q)
	}
	s.UpWrite(owner)
	// They get the lock in the OSQ's order, which is not hs's: release
	// whichever holds it.
	for left := writers; left > 0; left-- {
		var h *holder
		waitFor(t, "a writer to get the lock", func() bool {
			for _, c := range hs {
				if c.holds() {
					h = c
					return true
				}
			}
			return false
		})
		close(h.release)
		recv(t, h.done, "the writer to unlock")
		hs = slices.DeleteFunc(hs, func(c *holder) bool { return c == h })
	}
	var ev LockEvents
	for _, h := range all {
		ev.Add(h.task.Stats.Lock)
	}
	if ev.OptLock != writers || ev.SleepWriter != 0 || ev.OptFail != 0 {
		t.Errorf("lock events %+v, want OptLock %d and no sleep or failed spin", ev, writers)
	}
	if !s.Idle() || s.osq.isLocked() {
		t.Errorf("count %#x, OSQ tail %d at the end, want both 0", s.Count(), s.osq.tail.Load())
	}
}

// TestNeedResched: need_resched() never fires while the MM's runnable
// threads fit the process's CPUs, however long the spin; it fires after the
// slice once they do not, and at once for a Task with no MM.
func TestNeedResched(t *testing.T) {
	defer func(c int32) { processCPUs = c }(processCPUs)
	processCPUs = 2
	long := now() - 10*spinSlice
	for _, tc := range []struct {
		name     string
		threads  int
		sleepers int32
		start    int64
		want     bool
	}{
		{"fits, long spin", 2, 0, long, false},
		{"overcommitted, long spin", 3, 0, long, true},
		{"overcommitted, one asleep", 3, 1, long, false},
		{"overcommitted, spin just begun", 3, 0, now() + time.Hour.Nanoseconds(), false},
		{"no MM, long spin", 0, 0, long, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task := NewTask(nil, 0, 0)
			if tc.threads > 0 {
				m := New(Config{Pages: 16})
				for i := range tc.threads {
					task = NewTask(m, i, 0)
				}
				m.sleepers.Store(tc.sleepers)
			}
			if got := task.needResched(tc.start, 16); got != tc.want {
				t.Errorf("needResched = %v, want %v", got, tc.want)
			}
			if task.needResched(tc.start, 15) {
				t.Error("needResched looked on an iteration that is not a multiple of 16")
			}
		})
	}
}

// BenchmarkCPURelax measures one cpuRelax(): a PAUSE and the call around it
// on amd64, the cost every spin loop pays per look.
func BenchmarkCPURelax(b *testing.B) {
	for b.Loop() {
		cpuRelax()
	}
}

// TestDownReadWatched: mmap_read_lock()'s model tells the watchdog that the
// reader waits only once its fast path has failed, and that it no longer
// waits once it holds the lock.
func TestDownReadWatched(t *testing.T) {
	var s RWSem
	w, r := NewTask(nil, 0, 0), NewTask(nil, 1, 0)
	s.DownReadWatched(r, MmapRead)
	if _, waiting := r.LockInfo(); waiting != 0 {
		t.Errorf("waiting = %v after an uncontended down_read(), want nothing", waiting)
	}
	s.UpRead(r)
	s.DownWrite(w)
	h := hold(r, func(t *Task) { s.DownReadWatched(t, MmapRead) }, s.UpRead)
	waitFor(t, "the reader to queue", func() bool { _, q := s.queued(); return q == "r" })
	if _, waiting := r.LockInfo(); waiting != MmapRead {
		t.Errorf("waiting = %v while queued, want %v", waiting, MmapRead)
	}
	s.UpWrite(w)
	recv(t, h.got, "the reader to get the lock")
	if _, waiting := r.LockInfo(); waiting != 0 {
		t.Errorf("waiting = %v once it holds the lock, want nothing", waiting)
	}
	close(h.release)
	recv(t, h.done, "the reader to unlock")
	if !s.Idle() {
		t.Errorf("count = %#x, want 0", s.Count())
	}
}
