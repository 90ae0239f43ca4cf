package mm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds, failing the test after a generous
// bound: a hang guard, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// queued returns the tasks on s's wait list, in order, and their types
// ("r" or "w").
func (s *RWSem) queued() (tasks []*Task, types string) {
	s.waitLock.lock()
	defer s.waitLock.unlock()
	for w := s.waitHead; w != nil; w = w.next {
		tasks = append(tasks, w.task)
		if w.typ == waitingForRead {
			types += "r"
		} else {
			types += "w"
		}
	}
	return tasks, types
}

// holder is a thread that takes a lock in its own goroutine, reports when it
// has it, and holds it until released.
type holder struct {
	task     *Task
	got      chan struct{} // closed once it holds the lock
	release  chan struct{} // close to make it unlock
	done     chan struct{} // closed once it has unlocked
	acquired atomic.Int64  // order stamp, from a shared counter
}

var stamp atomic.Int64

// hold starts a thread that runs lock(t), holds, then unlock(t). A nil
// release channel means "unlock at once".
func hold(t *Task, lock, unlock func(*Task)) *holder {
	h := &holder{task: t, got: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		lock(t)
		h.acquired.Store(stamp.Add(1))
		close(h.got)
		<-h.release
		unlock(t)
		close(h.done)
	}()
	return h
}

// recv waits for ch to close, failing the test after a generous bound: a
// hang guard, not a timing assertion.
func recv(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("gave up waiting for %s", what)
	}
}

func (h *holder) holds() bool {
	select {
	case <-h.got:
		return true
	default:
		return false
	}
}

func readLock(s *RWSem) (func(*Task), func(*Task))  { return s.DownRead, s.UpRead }
func writeLock(s *RWSem) (func(*Task), func(*Task)) { return s.DownWrite, s.UpWrite }

func TestRWSemTrylock(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, s *RWSem, a, b *Task) (undo func())
		read, wrt bool // DownReadTrylock, DownWriteTrylock succeed
	}{
		{"free", func(*testing.T, *RWSem, *Task, *Task) func() { return func() {} }, true, true},
		{"read-held", func(_ *testing.T, s *RWSem, a, _ *Task) func() {
			s.DownRead(a)
			return func() { s.UpRead(a) }
		}, true, false},
		{"write-held", func(_ *testing.T, s *RWSem, a, _ *Task) func() {
			s.DownWrite(a)
			return func() { s.UpWrite(a) }
		}, false, false},
		{"read-held-writer-queued", func(t *testing.T, s *RWSem, a, b *Task) func() {
			s.DownRead(a)
			w := hold(b, s.DownWrite, s.UpWrite)
			close(w.release)
			waitFor(t, "the writer to queue", func() bool { _, q := s.queued(); return q == "w" })
			return func() { s.UpRead(a); recv(t, w.done, "w to unlock") }
		}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s RWSem
			a, b, c := NewTask(nil, 0, 0), NewTask(nil, 1, 0), NewTask(nil, 2, 0)
			undo := tc.setup(t, &s, a, b)
			if got := s.DownReadTrylock(c); got != tc.read {
				t.Errorf("DownReadTrylock = %v, want %v (count %#x)", got, tc.read, s.Count())
			}
			if s.Count()>>RWSemReaderShift > 0 && s.Owner() == c {
				s.UpRead(c)
			}
			if got := s.DownWriteTrylock(c); got != tc.wrt {
				t.Errorf("DownWriteTrylock = %v, want %v (count %#x)", got, tc.wrt, s.Count())
			}
			if s.Count()&RWSemWriterLocked != 0 && s.Owner() == c {
				s.UpWrite(c)
			}
			undo()
			if !s.Idle() {
				t.Errorf("count after all unlocks = %#x, want 0", s.Count())
			}
		})
	}
}

// TestRWSemQueuedWriterBlocksReader is the nested-fault deadlock: a reader
// that holds the lock takes it again behind a queued writer and waits for
// that writer, which waits for the reader. Releasing the first hold breaks
// it: the writer goes first, then the reader.
func TestRWSemQueuedWriterBlocksReader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		nested func(s *RWSem) (func(*Task), func(*Task))
	}{
		{"down_read", readLock},
		{"down_read_after_trylock", func(s *RWSem) (func(*Task), func(*Task)) {
			// mmapReadLock's form: try, then sleep.
			return func(t *Task) {
				if !s.DownReadTrylock(t) {
					s.DownRead(t)
				}
			}, s.UpRead
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s RWSem
			r, w := NewTask(nil, 0, 0), NewTask(nil, 1, 0)
			s.DownRead(r)
			wr := hold(w, s.DownWrite, s.UpWrite)
			waitFor(t, "the writer to queue", func() bool { _, q := s.queued(); return q == "w" })
			lock, unlock := tc.nested(&s)
			nested := hold(r, lock, unlock)
			waitFor(t, "the nested reader to queue", func() bool { _, q := s.queued(); return q == "wr" })
			if nested.holds() || wr.holds() {
				t.Fatalf("reader %v, writer %v got the lock: want both blocked (count %#x)", nested.holds(), wr.holds(), s.Count())
			}
			// The deadlock is real: nothing changes until the outer
			// hold is dropped.
			s.UpRead(r)
			recv(t, wr.got, "wr to get the lock")
			if nested.holds() {
				t.Fatal("the nested reader got the lock while the writer held it")
			}
			close(wr.release)
			recv(t, nested.got, "nested to get the lock")
			if nested.acquired.Load() < wr.acquired.Load() {
				t.Error("the nested reader went before the queued writer")
			}
			close(nested.release)
			recv(t, nested.done, "nested to unlock")
			if !s.Idle() {
				t.Errorf("count = %#x, want 0", s.Count())
			}
		})
	}
}

// TestRWSemReaderBatchWakeup: when a writer releases, every queued reader is
// granted the lock at once, even those behind a queued writer
// (rwsem_mark_wake() of v5.19+), and the writer stays queued.
func TestRWSemReaderBatchWakeup(t *testing.T) {
	for _, tc := range []struct {
		name  string
		queue string // the order threads queue in behind the writer
		woken int    // readers granted by up_write
		left  string // still queued after
	}{
		{"readers", "rrr", 3, ""},
		{"reader-writer-reader", "rwr", 2, "w"},
		{"writer-first", "wrr", 0, "rr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s RWSem
			owner := NewTask(nil, 0, 0)
			s.DownWrite(owner)
			var hs []*holder
			for i, c := range tc.queue {
				lock, unlock := readLock(&s)
				if c == 'w' {
					lock, unlock = writeLock(&s)
				}
				hs = append(hs, hold(NewTask(nil, i+1, 0), lock, unlock))
				waitFor(t, "thread to queue", func() bool { _, q := s.queued(); return q == tc.queue[:i+1] })
			}
			s.UpWrite(owner)
			var readers []*holder
			for i, c := range tc.queue {
				if c == 'r' {
					readers = append(readers, hs[i])
				}
			}
			if tc.woken > 0 {
				for _, h := range readers[:tc.woken] {
					recv(t, h.got, "h to get the lock")
				}
				if n := s.Count() >> RWSemReaderShift; n != int64(tc.woken) {
					t.Errorf("readers holding = %d, want %d", n, tc.woken)
				}
			} else {
				recv(t, hs[0].got, "the first waiter to get the lock")
			}
			if _, q := s.queued(); q != tc.left {
				t.Errorf("still queued = %q, want %q", q, tc.left)
			}
			for _, h := range hs {
				close(h.release)
			}
			for _, h := range hs {
				recv(t, h.done, "h to unlock")
			}
			if !s.Idle() {
				t.Errorf("count = %#x, want 0", s.Count())
			}
		})
	}
}

// TestRWSemHandoff: a writer that has waited longer than RWSEM_WAIT_TIMEOUT
// and finds the lock still held sets RWSEM_FLAG_HANDOFF, which turns away
// new readers and stealing writers; taking the lock clears it.
func TestRWSemHandoff(t *testing.T) {
	var s RWSem
	r, w, other := NewTask(nil, 0, 0), NewTask(nil, 1, 0), NewTask(nil, 2, 0)
	s.DownRead(r)
	wr := hold(w, s.DownWrite, s.UpWrite)
	waitFor(t, "the writer to queue", func() bool { _, q := s.queued(); return q == "w" })
	if s.Count()&RWSemFlagHandoff != 0 {
		t.Fatalf("handoff set before the timeout: count %#x", s.Count())
	}
	// Past the writer's RWSEM_WAIT_TIMEOUT, wake it as a spurious
	// wake-up would: it retries, fails and sets the handoff bit.
	time.Sleep(2 * rwsemWaitTimeout * time.Nanosecond)
	wakeUpProcess(w)
	waitFor(t, "the handoff bit", func() bool { return s.Count()&RWSemFlagHandoff != 0 })
	if !w.rwWaiter.handoffSet.Load() {
		t.Error("waiter.handoff_set not set")
	}
	if s.DownReadTrylock(other) {
		t.Error("a reader took the lock past a pending handoff")
		s.UpRead(other)
	}
	s.UpRead(r)
	recv(t, wr.got, "wr to get the lock")
	if c := s.Count(); c != RWSemWriterLocked {
		t.Errorf("count with the writer holding = %#x, want %#x (handoff and waiters clear)", c, RWSemWriterLocked)
	}
	close(wr.release)
	recv(t, wr.done, "wr to unlock")
	if !s.Idle() {
		t.Errorf("count = %#x, want 0", s.Count())
	}
}

// TestRWSemDowngrade: downgrade_write() turns the write lock into a read
// lock and lets the queued readers in with it, not the queued writer.
func TestRWSemDowngrade(t *testing.T) {
	var s RWSem
	owner := NewTask(nil, 0, 0)
	s.DownWrite(owner)
	r1 := hold(NewTask(nil, 1, 0), s.DownRead, s.UpRead)
	waitFor(t, "r1 to queue", func() bool { _, q := s.queued(); return q == "r" })
	w := hold(NewTask(nil, 2, 0), s.DownWrite, s.UpWrite)
	waitFor(t, "w to queue", func() bool { _, q := s.queued(); return q == "rw" })
	r2 := hold(NewTask(nil, 3, 0), s.DownRead, s.UpRead)
	waitFor(t, "r2 to queue", func() bool { _, q := s.queued(); return q == "rwr" })

	s.DowngradeWrite(owner)
	recv(t, r1.got, "r1 to get the lock")
	recv(t, r2.got, "r2 to get the lock")
	if c := s.Count(); c&RWSemWriterLocked != 0 || c>>RWSemReaderShift != 3 {
		t.Errorf("count after downgrade = %#x, want 3 readers and no writer", c)
	}
	if _, q := s.queued(); q != "w" || w.holds() {
		t.Errorf("queued = %q, writer holds %v: want the writer still queued", q, w.holds())
	}
	s.UpRead(owner)
	close(r1.release)
	close(r2.release)
	recv(t, w.got, "w to get the lock")
	close(w.release)
	recv(t, w.done, "w to unlock")
	if !s.Idle() {
		t.Errorf("count = %#x, want 0", s.Count())
	}
}

// TestRWSemExclusion is a seeded stress of readers and writers using every
// entry point. A plain (non-atomic) shared word is written under the write
// lock and read under the read lock, so the race detector checks the
// lock's happens-before edges; two atomic counters check exclusion
// directly. A lost wake-up hangs, which the hang guard reports.
func TestRWSemExclusion(t *testing.T) {
	for _, tc := range []struct {
		name             string
		readers, writers int
		ops              int
		seed             uint64
	}{
		{"1r1w", 1, 1, 3000, 1},
		{"4r1w", 4, 1, 2000, 2},
		{"3r3w", 3, 3, 1500, 3},
		{"writers", 0, 4, 2000, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				s        RWSem
				inRead   atomic.Int32
				inWrite  atomic.Int32
				shared   int
				bad      atomic.Pointer[string]
				wg       sync.WaitGroup
				finished = make(chan struct{})
			)
			fail := func(format string, args ...any) {
				msg := fmt.Sprintf(format, args...)
				bad.CompareAndSwap(nil, &msg)
			}
			// yield sometimes inside the critical section, so others
			// contend, spin, queue and sleep.
			yield := func(rng *rand.Rand) {
				if rng.IntN(4) == 0 {
					runtime.Gosched()
				}
			}
			read := func(rng *rand.Rand) {
				inRead.Add(1)
				yield(rng)
				if n := inWrite.Load(); n != 0 {
					fail("reader in with %d writers", n)
				}
				_ = shared
				inRead.Add(-1)
			}
			write := func(rng *rand.Rand) {
				if n := inWrite.Add(1); n != 1 {
					fail("%d writers in", n)
				}
				yield(rng)
				if n := inRead.Load(); n != 0 {
					fail("writer in with %d readers", n)
				}
				shared++
				inWrite.Add(-1)
			}
			for i := 0; i < tc.readers+tc.writers; i++ {
				wg.Add(1)
				go func(id int) {
					defer wg.Done()
					task := NewTask(nil, id, 0)
					rng := rand.New(rand.NewPCG(tc.seed, uint64(id)))
					isWriter := id >= tc.readers
					for op := 0; op < tc.ops; op++ {
						switch k := rng.IntN(8); {
						case !isWriter && k < 6:
							s.DownRead(task)
							read(rng)
							s.UpRead(task)
						case !isWriter:
							if s.DownReadTrylock(task) {
								read(rng)
								s.UpRead(task)
							}
						case k < 5:
							s.DownWrite(task)
							write(rng)
							s.UpWrite(task)
						case k < 7:
							if s.DownWriteTrylock(task) {
								write(rng)
								s.UpWrite(task)
							}
						default:
							s.DownWrite(task)
							write(rng)
							s.DowngradeWrite(task)
							read(rng)
							s.UpRead(task)
						}
					}
				}(i)
			}
			go func() { wg.Wait(); close(finished) }()
			select {
			case <-finished:
			case <-time.After(60 * time.Second):
				_, q := s.queued()
				t.Fatalf("seed %d: threads still blocked (lost wake-up?): count %#x, queued %q", tc.seed, s.Count(), q)
			}
			if msg := bad.Load(); msg != nil {
				t.Fatalf("seed %d: %s", tc.seed, *msg)
			}
			if !s.Idle() {
				t.Fatalf("seed %d: count at the end = %#x, want 0", tc.seed, s.Count())
			}
		})
	}
}

// TestRCUWait: no wake-up is lost between a waiter that checks its
// condition and a waker that makes it hold, over many seeded interleavings.
func TestRCUWait(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rounds int
		seed   uint64
	}{
		{"tight", 20000, 1},
		{"jittered", 5000, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				w     RCUWait
				cond  atomic.Int64
				acked atomic.Int64
				done  = make(chan struct{})
			)
			waiter := NewTask(nil, 0, 0)
			go func() {
				defer close(done)
				for i := int64(1); i <= int64(tc.rounds); i++ {
					w.WaitEvent(waiter, func() bool { return cond.Load() >= i })
					acked.Store(i)
				}
			}()
			rng := rand.New(rand.NewPCG(tc.seed, 0))
			for i := int64(1); i <= int64(tc.rounds); i++ {
				if tc.seed%2 == 0 {
					for range rng.IntN(200) {
						runtime.Gosched()
					}
				}
				cond.Store(i)
				w.WakeUp()
				deadline := time.Now().Add(10 * time.Second)
				for acked.Load() < i {
					if time.Now().After(deadline) {
						t.Fatalf("seed %d: waiter still asleep at round %d after its wake-up (lost wake-up)", tc.seed, i)
					}
					runtime.Gosched()
				}
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("seed %d: waiter still asleep after the last wake-up (lost wake-up), at round %d", tc.seed, acked.Load())
			}
			if w.Active() {
				t.Error("a waiter is still registered")
			}
		})
	}
}

// TestRWSemLockEvents: the slow paths count their lock events on the
// calling thread's Task, in the kernel's names, and nothing else does.
func TestRWSemLockEvents(t *testing.T) {
	t.Run("rwsem_sleep_reader", func(t *testing.T) {
		var s RWSem
		w, r := NewTask(nil, 0, 0), NewTask(nil, 1, 0)
		s.DownWrite(w)
		rd := hold(r, s.DownRead, s.UpRead)
		waitFor(t, "the reader to sleep", func() bool { return r.state.Load() == taskSleeping })
		s.UpWrite(w)
		recv(t, rd.got, "the reader to get the lock")
		close(rd.release)
		recv(t, rd.done, "the reader to unlock")
		if got := r.Stats.Lock; got.SleepReader != 1 || got.RlockSteal != 0 {
			t.Errorf("reader's events %+v, want one rwsem_sleep_reader", got)
		}
		if got := w.Stats.Lock; got != (LockEvents{}) {
			t.Errorf("writer's events %+v, want none (fast path)", got)
		}
	})
	t.Run("rwsem_rlock_steal", func(t *testing.T) {
		// A writer queued (RWSEM_FLAG_WAITERS), no one holding the
		// lock: a reader fails the fast path and steals it.
		var s RWSem
		w, r := NewTask(nil, 0, 0), NewTask(nil, 1, 0)
		ww := &w.rwWaiter
		ww.task, ww.typ = w, waitingForWrite
		s.addWaiter(ww)
		s.count.Store(RWSemFlagWaiters)
		s.DownRead(r)
		s.UpRead(r) // wakes w, which is running: nothing to do
		if got := r.Stats.Lock; got.RlockSteal != 1 || got.SleepReader != 0 {
			t.Errorf("reader's events %+v, want one rwsem_rlock_steal", got)
		}
		s.listDel(ww)
		s.count.Store(0)
	})
	t.Run("rwsem_opt_nospin", func(t *testing.T) {
		// A writer spins on a reader-owned lock past
		// rwsem_rspin_threshold(), gives up, queues and sleeps. The
		// tasks are an MM's, whose two threads have a CPU each, so
		// need_resched() does not end the spin first: a Task with no MM
		// assumes it shares its CPU, and on a loaded machine a
		// preemption of over a slice (1.5 ms) ended its spin before
		// the threshold's check, one run in a few hundred.
		if runtime.NumCPU() < 2 {
			t.Skip("the writer spins while the reader holds the lock: needs 2 CPUs")
		}
		var s RWSem
		m := New(Config{Pages: 64})
		r, w := NewTask(m, 0, 0), NewTask(m, 1, 0)
		s.DownRead(r)
		wr := hold(w, s.DownWrite, s.UpWrite)
		waitFor(t, "the writer to sleep", func() bool { return w.state.Load() == taskSleeping })
		s.UpRead(r)
		recv(t, wr.got, "the writer to get the lock")
		close(wr.release)
		recv(t, wr.done, "the writer to unlock")
		got := w.Stats.Lock
		if got.OptNospin != 1 || got.OptFail != 1 || got.OptLock != 0 || got.SleepWriter < 1 {
			t.Errorf("writer's events %+v, want one rwsem_opt_nospin and rwsem_opt_fail, no rwsem_opt_lock, a rwsem_sleep_writer", got)
		}
	})
}
