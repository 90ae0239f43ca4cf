package mm

import (
	"math"
)

// RWSem models the kernel's struct rw_semaphore and kernel/locking/rwsem.c
// of v6.15+ (the !CONFIG_PREEMPT_RT build with CONFIG_RWSEM_SPIN_ON_OWNER):
// mmap_lock, and the v6.4 per-VMA vma->vm_lock->lock. Each step names the
// kernel function it models.
//
// The zero value is an unlocked RWSem (init_rwsem()). An RWSem must not be
// copied after first use. Every method takes the calling thread's Task, the
// kernel's current: a writer records it as the owner, a reader as the last
// reader owner.
//
// # Who waits for whom
//
// Readers share the lock, writers exclude everyone. A reader takes it on the
// fast path with one atomic add of RWSemReaderBias to the count and one store
// of itself as owner (rwsem_read_trylock(), rwsem_set_reader_owned()); it
// fails if any bit of RWSemReadFailedMask is set: a writer holds it, or
// anyone waits (RWSemFlagWaiters), or a handoff is pending. So once a writer
// has queued, new readers queue behind it, and a reader that takes the lock
// again while holding it deadlocks behind that writer, as in the kernel.
// A failed reader may still steal the lock if no writer holds it and it is
// not "likely reader-owned with other readers" (rwsem_down_read_slowpath());
// otherwise it joins the FIFO wait list and sleeps.
//
// A writer takes a free lock with one compare-and-swap. Else it queues on
// the lock's OSQ, the MCS queue of spinners (osq_lock()), each spinning on
// its own node; at the queue's head it spins while the owning writer runs,
// or for a bounded time (rwsem_rspin_threshold(), 10-25 µs) while readers
// own it (rwsem_optimistic_spin()), then joins the wait list and sleeps; it
// takes the lock itself when woken (rwsem_try_write_lock()).
//
// # Fairness
//
// The wait list is FIFO. On release, a writer at the head is woken (and may
// have the lock stolen from it by a spinning writer or a stealing reader
// until it takes it); readers at the head are all granted the lock at once,
// with every other queued reader up to MAX_READERS_WAKEUP (256), jumping the
// writers among them (rwsem_mark_wake()). A waiter that has waited more than
// RWSEM_WAIT_TIMEOUT (4 ms) sets RWSemFlagHandoff, which stops stealing and
// spinning by others until the first waiter has the lock.
//
// # The count word (sem->count)
//
//	bit 0      RWSemWriterLocked  a writer holds the lock
//	bit 1      RWSemFlagWaiters   the wait list is not empty
//	bit 2      RWSemFlagHandoff   the first waiter must get the lock next
//	bits 3-7   reserved
//	bits 8-62  readers holding the lock, or adding themselves and backing out
//	bit 63     RWSemFlagReadFail  guard: reader count overflow
//
// # The owner (sem->owner)
//
// The kernel keeps the owning task_struct pointer and two flag bits in one
// word. Go cannot tag pointers, so the model's owner word points to an
// immutable (task, flags) pair, one of four each Task keeps (Task.owners,
// on a line of their own that nothing writes after NewTask), and one
// atomic load or store reads or sets both, as the kernel's one word does.
// The kernel's words keep their offsets (count 0, owner 8, osq 16,
// wait_lock 20, wait_list 24) and the RWSem is the kernel's 40 bytes:
//
//	ownerReaderOwned    RWSEM_READER_OWNED: the lock is (or was last) read-owned; a hint
//	ownerNonspinnable   RWSEM_NONSPINNABLE: a writer timed out spinning on readers
//
// Until 2026-12-03 the flags were a second word, so a spinner's look at
// the owner was two loads and each owner change two stores; in a
// projection of mmap1 at 2 virtual CPUs a third of the transfers of
// mmap_lock's line were that second word's.
//
// # Memory ordering
//
// Every read-modify-write in Go is sequentially consistent, stronger than
// the kernel's _acquire/_release variants; lock and unlock are therefore
// full barriers, as they are on x86 (a locked instruction). A Store is a
// plain MOV, as the kernel's atomic_long_set() of the owner and
// smp_store_release() are (see Int32.Store), and set_current_state() is
// smp_store_mb() (Task.setCurrentState). The wait list and each waiter's
// fields are guarded by waitLock. A reader granted the lock by rwsem_mark_wake() learns it from an
// atomic store to its waiter's granted word (smp_store_release(&waiter->task,
// NULL)), which it loads atomically; a sleeping thread is woken by a futex on
// its Task's state word (see sched.go). The race detector sees the atomics,
// not the futex.
//
// # Where the model departs from the kernel
//
//   - "Owner on CPU" (owner_on_cpu()) is "the owner is not blocked in the
//     futex": the model cannot see OS preemption of a thread or vCPU
//     preemption (vcpu_is_preempted()), so a writer may spin on a preempted
//     owner until its need_resched() bound runs out.
//   - need_resched() is modelled as "the MM has more runnable model threads
//     than the process has CPUs, and this spin has lasted a scheduler slice"
//     (Task.needResched): it never fires while each thread has a CPU of its
//     own, as the kernel's does not, and fires after a slice where threads
//     share CPUs, as the tick's would once the spinner's slice is over. The
//     slice runs from the start of the spin, not from when the task got its
//     CPU, and threads outside the MM do not count.
//   - The OSQ (sem->osq, osq_lock()) is the kernel's MCS queue (osq.go),
//     with one node per Task instead of per CPU.
//   - wait_lock is a test-and-test-and-set spin lock with cpu_relax(), not
//     the kernel's queued spinlock, and it yields its thread after 128 looks,
//     a few microseconds (see spinLock), since a Go thread holding it can be
//     descheduled, which a raw spinlock with interrupts off cannot.
//   - The owner word points to a (task, flags) pair, which a spinner then
//     reads (see the owner, above): a load of a line nothing writes, where
//     the kernel masks the flags off the word it loaded.
//   - No lockdep, no CONFIG_DEBUG_RWSEMS, no RT or deadline
//     tasks (rt_or_dl_task() is false), no killable or interruptible waits.
//   - The waiter block is in the Task, not on the stack (a task waits on one
//     lock at a time), because a Go stack can move under a futex.
type RWSem struct {
	_ noCopy // first: a zero-size last field would pad the struct

	count    Int64              // 0: sem->count
	owner    Pointer[ownerWord] // 8: sem->owner
	osq      osqQueue           // 16: sem->osq: the MCS queue of spinning writers
	waitLock spinLock           // 20: sem->wait_lock
	waitHead *rwsemWaiter       // 24: sem->wait_list, under waitLock
	waitTail *rwsemWaiter       // 32
}

// ownerWord is one value of sem->owner: a task and the flag bits, never
// changed once made. A nil *ownerWord is the kernel's 0.
type ownerWord struct {
	task  *Task
	flags uint32
}

// nilOwners are the owner values with no task: flags alone.
var nilOwners = [4]ownerWord{{nil, 0}, {nil, 1}, {nil, 2}, {nil, 3}}

// ownerOf returns the owner value (t, flags).
func ownerOf(t *Task, flags uint32) *ownerWord {
	if t == nil {
		return &nilOwners[flags]
	}
	return &t.owners[flags]
}

// get returns the value's task and flags.
func (w *ownerWord) get() (*Task, uint32) {
	if w == nil {
		return nil, 0
	}
	return w.task, w.flags
}

// The count word's bits; see RWSem. Count returns the word.
const (
	RWSemWriterLocked   int64 = 1 << 0        // RWSEM_WRITER_LOCKED
	RWSemFlagWaiters    int64 = 1 << 1        // RWSEM_FLAG_WAITERS
	RWSemFlagHandoff    int64 = 1 << 2        // RWSEM_FLAG_HANDOFF
	RWSemFlagReadFail   int64 = math.MinInt64 // RWSEM_FLAG_READFAIL, bit 63
	RWSemReaderShift          = 8             // RWSEM_READER_SHIFT
	RWSemReaderBias     int64 = 1 << RWSemReaderShift
	RWSemReaderMask           = ^(RWSemReaderBias - 1) // includes bit 63, as the kernel's
	RWSemWriterMask           = RWSemWriterLocked
	RWSemLockMask             = RWSemWriterMask | RWSemReaderMask
	RWSemReadFailedMask       = RWSemWriterMask | RWSemFlagWaiters | RWSemFlagHandoff | RWSemFlagReadFail
)

// The owner flag bits (sem->owner's low bits).
const (
	ownerReaderOwned  uint32 = 1 << 0 // RWSEM_READER_OWNED
	ownerNonspinnable uint32 = 1 << 1 // RWSEM_NONSPINNABLE
)

const (
	// rwsemWaitTimeout is RWSEM_WAIT_TIMEOUT, DIV_ROUND_UP(HZ, 250)
	// jiffies: 4 ms at HZ=250, in nanoseconds.
	rwsemWaitTimeout = 4_000_000
	// maxReadersWakeup is MAX_READERS_WAKEUP.
	maxReadersWakeup = 0x100
)

type waiterType uint8

const (
	waitingForWrite waiterType = iota // RWSEM_WAITING_FOR_WRITE
	waitingForRead                    // RWSEM_WAITING_FOR_READ
)

type wakeType uint8

const (
	wakeAny       wakeType = iota // RWSEM_WAKE_ANY: whatever is at the head
	wakeReaders                   // RWSEM_WAKE_READERS: readers only
	wakeReadOwned                 // RWSEM_WAKE_READ_OWNED: the waker holds the read lock
)

// rwsemWaiter models struct rwsem_waiter. All fields but granted and
// handoffSet are guarded by the wait_lock of the RWSem it waits on.
type rwsemWaiter struct {
	next, prev *rwsemWaiter // list
	task       *Task
	typ        waiterType
	timeout    int64 // now() + RWSEM_WAIT_TIMEOUT
	// handoffSet is waiter->handoff_set: written under wait_lock, read by
	// the waiting writer after dropping it, so atomic.
	handoffSet Bool
	// granted is 1 once rwsem_mark_wake() has given this reader the lock:
	// the kernel's waiter->task == NULL.
	granted Uint32
}

// Count returns the count word, for tests and end-of-run checks; see the
// RWSem* bit constants. It is one atomic load and changes at once.
func (s *RWSem) Count() int64 { return s.count.Load() }

// Idle reports whether nobody holds the lock and nobody waits for it.
func (s *RWSem) Idle() bool { return s.count.Load() == 0 }

// SpinnersQueued reports whether any writer is queued on the OSQ
// (osq_is_locked()): at rest, with no thread left to spin, none may be.
func (s *RWSem) SpinnersQueued() bool { return s.osq.isLocked() }

// Owner returns the owner field's task: the writer holding the lock, or
// the last reader to take it (a hint, as in the kernel), or nil.
func (s *RWSem) Owner() *Task {
	t, _ := s.owner.Load().get()
	return t
}

// rwsemSetOwner models rwsem_set_owner(): owner = current, flags clear.
func (s *RWSem) setOwner(t *Task) { s.owner.Store(ownerOf(t, 0)) }

// clearOwner models rwsem_clear_owner().
func (s *RWSem) clearOwner() { s.owner.Store(nil) }

// setReaderOwned models __rwsem_set_reader_owned(): owner = t with
// RWSEM_READER_OWNED, keeping RWSEM_NONSPINNABLE: a load of the word and a
// plain store (atomic_long_set()), the shared write every down_read()
// makes, on the line the count's atomic add has just taken exclusive.
// Until 2026-12-04 the model skipped the store when the word held t
// already, since Go's atomic store was an XCHG (see Int32.Store).
func (s *RWSem) setReaderOwned(t *Task) {
	_, f := s.owner.Load().get()
	s.owner.Store(ownerOf(t, ownerReaderOwned|f&ownerNonspinnable))
}

// setNonspinnable models rwsem_set_nonspinnable(): set RWSEM_NONSPINNABLE
// if the lock is still marked reader-owned, with a cmpxchg loop.
func (s *RWSem) setNonspinnable() {
	for w := s.owner.Load(); ; w = s.owner.Load() {
		o, f := w.get()
		if f&ownerReaderOwned == 0 || f&ownerNonspinnable != 0 {
			return
		}
		if s.owner.CompareAndSwap(w, ownerOf(o, f|ownerNonspinnable)) {
			return
		}
	}
}

// clearNonspinnable models clear_nonspinnable(): the kernel's
// atomic_long_andnot() where the flag is set, a cmpxchg loop here.
func (s *RWSem) clearNonspinnable() {
	for w := s.owner.Load(); ; w = s.owner.Load() {
		o, f := w.get()
		if f&ownerNonspinnable == 0 {
			return
		}
		if s.owner.CompareAndSwap(w, ownerOf(o, f&^ownerNonspinnable)) {
			return
		}
	}
}

// DownRead models down_read(): rwsem_read_trylock(), the fast path, then
// rwsem_down_read_slowpath().
func (s *RWSem) DownRead(t *Task) {
	if c := s.count.Add(RWSemReaderBias); c&RWSemReadFailedMask != 0 {
		s.downReadSlowpath(t, c)
		return
	}
	s.setReaderOwned(t)
}

// DownReadWatched is DownRead for a caller a watchdog follows: only when
// the fast path fails does it record that t waits for l (Task.Acquiring),
// and that it no longer does once it has the lock (Task.Waited), so the
// uncontended path costs what down_read()'s does: one atomic add and the
// owner store.
func (s *RWSem) DownReadWatched(t *Task, l LockState) {
	if c := s.count.Add(RWSemReaderBias); c&RWSemReadFailedMask != 0 {
		t.Acquiring(l)
		s.downReadSlowpath(t, c)
		t.Waited()
		return
	}
	s.setReaderOwned(t)
}

// DownReadTrylock models down_read_trylock(): a compare-and-swap loop that
// adds a reader only while no bit of RWSemReadFailedMask is set.
func (s *RWSem) DownReadTrylock(t *Task) bool {
	for c := s.count.Load(); c&RWSemReadFailedMask == 0; {
		if s.count.TryCmpxchg(&c, c+RWSemReaderBias) {
			s.setReaderOwned(t)
			return true
		}
	}
	return false
}

// UpRead models up_read() (__up_read()): drop the reader bias and, if that
// left no holder but waiters, wake them (rwsem_wake()). up_read() does not
// look at current outside CONFIG_DEBUG_RWSEMS, so t may be nil.
func (s *RWSem) UpRead(t *Task) {
	if c := s.count.Add(-RWSemReaderBias); c&(RWSemLockMask|RWSemFlagWaiters) == RWSemFlagWaiters {
		s.upReadWake()
	}
}

func (s *RWSem) upReadWake() {
	s.clearNonspinnable()
	s.wake()
}

// DownWrite models down_write(): rwsem_write_trylock(), then
// rwsem_down_write_slowpath().
func (s *RWSem) DownWrite(t *Task) {
	if s.count.CompareAndSwap(0, RWSemWriterLocked) {
		s.setOwner(t)
		return
	}
	s.downWriteSlowpath(t)
}

// DownWriteTrylock models down_write_trylock() (rwsem_write_trylock()).
func (s *RWSem) DownWriteTrylock(t *Task) bool {
	if s.count.CompareAndSwap(0, RWSemWriterLocked) {
		s.setOwner(t)
		return true
	}
	return false
}

// UpWrite models up_write() (__up_write()): clear the owner, drop the
// writer bit and wake the waiters if the waiters flag was set.
func (s *RWSem) UpWrite(t *Task) {
	s.clearOwner()
	if old := s.count.Add(-RWSemWriterLocked) + RWSemWriterLocked; old&RWSemFlagWaiters != 0 {
		s.wake()
	}
}

// DowngradeWrite models downgrade_write() (__downgrade_write()): turn the
// held write lock into a read lock and wake the readers at the head of the
// queue (rwsem_downgrade_wake()).
func (s *RWSem) DowngradeWrite(t *Task) {
	old := s.count.Add(-RWSemWriterLocked+RWSemReaderBias) - (-RWSemWriterLocked + RWSemReaderBias)
	s.setReaderOwned(t) // owner is t already, without RWSEM_READER_OWNED
	if old&RWSemFlagWaiters != 0 {
		s.wakeHead(wakeReadOwned)
	}
}

// wake models rwsem_wake(): under wait_lock, mark the head of the queue
// for wake-up (rwsem_mark_wake(RWSEM_WAKE_ANY)); wake them after.
func (s *RWSem) wake() { s.wakeHead(wakeAny) }

// wakeHead is the sequence rwsem_wake(), downgrade_write() and a stealing
// reader share: take wait_lock, rwsem_mark_wake(wt) if the wait list is not
// empty, drop wait_lock, then wake_up_q() the tasks marked.
func (s *RWSem) wakeHead(wt wakeType) {
	var wq wakeQ
	s.waitLock.lock()
	if s.waitHead != nil {
		s.markWake(wt, &wq)
	}
	s.waitLock.unlock()
	wq.wakeUp()
}

// addWaiter models rwsem_add_waiter(): append w to the wait list. The
// caller sets RWSEM_FLAG_WAITERS.
func (s *RWSem) addWaiter(w *rwsemWaiter) {
	w.next, w.prev = nil, s.waitTail
	if s.waitTail == nil {
		s.waitHead = w
	} else {
		s.waitTail.next = w
	}
	s.waitTail = w
}

// listDel is list_del(): unlink w from the wait list.
func (s *RWSem) listDel(w *rwsemWaiter) {
	if w.prev == nil {
		s.waitHead = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		s.waitTail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.next, w.prev = nil, nil
}

// markWake models rwsem_mark_wake(): with wait_lock held and the list not
// empty, pick the waiters to wake into wq. A writer at the head is only
// woken (it takes the lock itself); readers are granted the lock here, all
// queued readers up to MAX_READERS_WAKEUP, before they are woken.
func (s *RWSem) markWake(wt wakeType, wq *wakeQ) {
	w := s.waitHead
	if w.typ == waitingForWrite {
		// Mark writer at the front of the queue for wakeup. Until it
		// runs, other writers may steal the lock; readers block, as they
		// see the queued writer.
		if wt == wakeAny {
			wq.add(w.task)
		}
		return
	}
	// No reader wakeup if there are too many of them already.
	if s.count.Load() < 0 {
		return
	}
	// Writers might steal the lock before we grant it to the next reader:
	// do the first reader grant before counting readers, to bail out
	// early if a writer stole it.
	var adjustment int64
	if wt != wakeReadOwned {
		adjustment = RWSemReaderBias
		old := s.count.Add(adjustment) - adjustment
		if old&RWSemWriterMask != 0 {
			// Waited too long for writers to give up the lock:
			// request a handoff to force the issue.
			if now() > w.timeout {
				if old&RWSemFlagHandoff == 0 {
					adjustment -= RWSemFlagHandoff
				}
				w.handoffSet.Store(true)
			}
			s.count.Add(-adjustment)
			return
		}
		// Reader-owned now: an early hint for spinners.
		s.setReaderOwned(w.task)
	}
	// Collect up to MAX_READERS_WAKEUP readers from anywhere in the queue
	// (the reader phase of a phase-fair lock), in order, onto wlist.
	var wlist, wlast *rwsemWaiter
	var woken int64
	for w := s.waitHead; w != nil; {
		next := w.next
		if w.typ == waitingForRead {
			woken++
			s.listDel(w)
			if wlast == nil {
				wlist = w
			} else {
				wlast.next = w
			}
			wlast = w
			if woken >= maxReadersWakeup {
				break
			}
		}
		w = next
	}
	adjustment = woken*RWSemReaderBias - adjustment
	old := s.count.Load()
	if s.waitHead == nil {
		// Hit the end of the list: implies rwsem_del_waiter().
		adjustment -= RWSemFlagWaiters
		if old&RWSemFlagHandoff != 0 {
			adjustment -= RWSemFlagHandoff
		}
	} else if woken != 0 && old&RWSemFlagHandoff != 0 {
		// A reader woken: no need to force writers to give up the lock.
		adjustment -= RWSemFlagHandoff
	}
	if adjustment != 0 {
		s.count.Add(adjustment)
	}
	// Second pass: grant, then queue for wake-up. The woken reader may
	// return (and wait again, reusing its waiter) as soon as granted is
	// stored, so read next and task first.
	for w := wlist; w != nil; {
		next, t := w.next, w.task
		w.next = nil
		w.granted.Store(1) // smp_store_release(&waiter->task, NULL)
		wq.add(t)          // wake_q_add_safe()
		w = next
	}
}

// condWakeWaiter models rwsem_cond_wake_waiter(): with wait_lock held,
// wake the head of the queue unless a writer owns the lock.
func (s *RWSem) condWakeWaiter(count int64, wq *wakeQ) {
	if count&RWSemWriterMask != 0 {
		return
	}
	wt := wakeReaders
	if count&RWSemReaderMask == 0 {
		wt = wakeAny
		s.clearNonspinnable()
	}
	s.markWake(wt, wq)
}

// downReadSlowpath models rwsem_down_read_slowpath(): the reader's bias is
// already in the count (count is the value after adding it).
func (s *RWSem) downReadSlowpath(t *Task, count int64) {
	adjustment := -RWSemReaderBias
	rcnt := count >> RWSemReaderShift
	// To keep a stream of readers from starving a sleeping writer, do not
	// steal the lock if it is very likely owned by readers.
	_, of := s.owner.Load().get()
	likelyReaderOwned := of&ownerReaderOwned != 0 && rcnt > 1 && count&RWSemWriterLocked == 0
	if !likelyReaderOwned && count&(RWSemWriterLocked|RWSemFlagHandoff) == 0 {
		// Reader optimistic lock stealing.
		t.Stats.Lock.RlockSteal++
		s.setReaderOwned(t)
		// Wake the other readers in the queue if we are the first.
		if rcnt == 1 && count&RWSemFlagWaiters != 0 {
			s.wakeHead(wakeReadOwned)
		}
		return
	}

	// queue:
	w := &t.rwWaiter
	w.task, w.typ, w.timeout = t, waitingForRead, now()+rwsemWaitTimeout
	w.handoffSet.Store(false)
	w.granted.Store(0)

	s.waitLock.lock()
	if s.waitHead == nil {
		// The queue is empty and no writer owns the lock: this reader
		// may go, its bias already in the count.
		if s.count.Load()&RWSemWriterMask == 0 {
			s.waitLock.unlock()
			s.setReaderOwned(t)
			return
		}
		adjustment += RWSemFlagWaiters
	}
	s.addWaiter(w)
	// Now waiting on the lock, but no longer actively locking: back out.
	count = s.count.Add(adjustment)
	var wq wakeQ
	s.condWakeWaiter(count, &wq)
	s.waitLock.unlock()
	wq.wakeUp()

	// Wait to be given the lock.
	for {
		t.setCurrentState()
		if w.granted.Load() != 0 { // smp_load_acquire(&waiter.task) == NULL
			break
		}
		t.schedule()
		t.Stats.Lock.SleepReader++
	}
	t.setRunning()
}

// tryWriteLock models rwsem_try_write_lock(): with wait_lock held, take the
// lock for the queued writer w, or set the handoff bit if w has waited too
// long. On success w is off the list.
func (s *RWSem) tryWriteLock(w *rwsemWaiter) bool {
	first := s.waitHead
	count := s.count.Load()
	var next int64
	for {
		hasHandoff := count&RWSemFlagHandoff != 0
		// Honour the handoff bit and yield only if the first waiter
		// set it; otherwise still try.
		if hasHandoff && first.handoffSet.Load() && w != first {
			return false
		}
		next = count
		if count&RWSemLockMask != 0 {
			// A waiter (first or not) may set the handoff bit after
			// waiting too long (no RT tasks here).
			if hasHandoff || now() <= w.timeout {
				return false
			}
			next |= RWSemFlagHandoff
		} else {
			next |= RWSemWriterLocked
			next &^= RWSemFlagHandoff
			if s.waitHead == s.waitTail { // list_is_singular()
				next &^= RWSemFlagWaiters
			}
		}
		if s.count.TryCmpxchg(&count, next) {
			break
		}
	}
	// Either the lock is ours with the handoff bit clear, or we set the
	// handoff bit; only the first waiter gets handoff_set then.
	if next&RWSemFlagHandoff != 0 {
		w.task.Stats.Lock.WlockHandoff++ // w's own thread calls this
		first.handoffSet.Store(true)
		return false
	}
	s.listDel(w)
	s.setOwner(w.task)
	return true
}

// ownerState is enum owner_state: what rwsem_spin_on_owner() saw.
type ownerState uint8

const (
	ownerNull ownerState = 1 << iota
	ownerWriter
	ownerReader
	ownerNonspinnableState
)

// ownerFlags models rwsem_owner_flags().
func (s *RWSem) ownerFlags() (*Task, uint32) {
	return s.owner.Load().get()
}

// ownerStateOf models rwsem_owner_state().
func ownerStateOf(owner *Task, flags uint32) ownerState {
	switch {
	case flags&ownerNonspinnable != 0:
		return ownerNonspinnableState
	case flags&ownerReaderOwned != 0:
		return ownerReader
	case owner != nil:
		return ownerWriter
	}
	return ownerNull
}

// tryWriteLockUnqueued models rwsem_try_write_lock_unqueued(): a spinning
// writer takes the lock if it is free and no handoff is pending.
func (s *RWSem) tryWriteLockUnqueued(t *Task) bool {
	for c := s.count.Load(); c&(RWSemLockMask|RWSemFlagHandoff) == 0; {
		if s.count.TryCmpxchg(&c, c|RWSemWriterLocked) {
			s.setOwner(t)
			return true
		}
	}
	return false
}

// canSpinOnOwner models rwsem_can_spin_on_owner(): no spinning if a writer
// timed out on readers, or the owning writer is not running. The owner of
// a reader-owned lock is not checked: the entry may be stale.
func (s *RWSem) canSpinOnOwner() bool {
	owner, flags := s.ownerFlags()
	return flags&ownerNonspinnable == 0 &&
		(owner == nil || flags&ownerReaderOwned != 0 || owner.onCPU())
}

// spinOnOwner models rwsem_spin_on_owner(): spin while the same writer
// owns the lock and runs. start is when t began to spin (need_resched()).
func (s *RWSem) spinOnOwner(t *Task, start int64) ownerState {
	owner, flags := s.ownerFlags()
	if st := ownerStateOf(owner, flags); st != ownerWriter {
		return st
	}
	for i := 1; ; i++ {
		// A waiting writer that set the handoff flag may spin on the
		// owner too; once it has the lock, we can spin on it, so the
		// handoff bit does not end the spin.
		n, nf := s.ownerFlags()
		if n != owner || nf != flags {
			return ownerStateOf(n, nf)
		}
		if t.needResched(start, i) || !owner.onCPU() {
			return ownerNonspinnableState
		}
		spinRelax(t)
	}
}

// rspinThreshold models rwsem_rspin_threshold(): how long a writer spins on
// a reader-owned lock, (10 + readers/2) µs capped at 25 µs, as a deadline.
func (s *RWSem) rspinThreshold() int64 {
	readers := s.count.Load() >> RWSemReaderShift
	readers = min(readers, 30)
	return now() + (20+readers)*1000/2
}

// optimisticSpin models rwsem_optimistic_spin(): queue on the OSQ
// (osq_lock()); at its head, spin on the owner and try to take the lock
// whenever it changes; stop when the owning writer stops running, readers
// have owned it longer than rwsem_rspin_threshold(), or need_resched()
// fires; leave the OSQ (osq_unlock()).
func (s *RWSem) optimisticSpin(t *Task) bool {
	start := now()
	if !s.osq.osqLock(t, start) {
		return false
	}
	t.spinningOn = s // the checker's: t is the OSQ's head
	taken := false
	prev := ownerNull
	var rspinDeadline int64
	loop, iter := 0, 0
	for {
		st := s.spinOnOwner(t, start)
		if st == ownerNonspinnableState {
			break
		}
		if s.tryWriteLockUnqueued(t) {
			taken = true
			break
		}
		// Time-based reader-owned spinning.
		if st == ownerReader {
			if prev != ownerReader {
				// Reset the threshold on each new reader phase.
				if _, f := s.owner.Load().get(); f&ownerNonspinnable != 0 {
					break
				}
				rspinDeadline = s.rspinThreshold()
				loop = 0
			} else if loop++; loop&0xf == 0 && now() > rspinDeadline {
				t.Stats.Lock.OptNospin++
				s.setNonspinnable()
				break
			}
		}
		// If the owner is a writer, rwsem_spin_on_owner() checked
		// need_resched(); otherwise it is checked here (no RT tasks).
		iter++
		if st != ownerWriter && t.needResched(start, iter) {
			break
		}
		prev = st
		cpuRelax()
	}
	t.spinningOn = nil
	s.osq.osqUnlock(t)
	return taken
}

// downWriteSlowpath models rwsem_down_write_slowpath().
func (s *RWSem) downWriteSlowpath(t *Task) {
	// Optimistic spinning; steal the lock if possible.
	if s.canSpinOnOwner() && s.optimisticSpin(t) {
		t.Stats.Lock.OptLock++
		return
	}
	t.Stats.Lock.OptFail++
	// Spinning failed: queue, and sleep until we can take the lock.
	w := &t.rwWaiter
	w.task, w.typ, w.timeout = t, waitingForWrite, now()+rwsemWaitTimeout
	w.handoffSet.Store(false)
	w.granted.Store(0)

	var wq wakeQ
	s.waitLock.lock()
	s.addWaiter(w)
	if s.waitHead != w {
		s.condWakeWaiter(s.count.Load(), &wq)
		if !wq.empty() {
			// Keep wait_lock hold times short when waking many readers.
			s.waitLock.unlock()
			wq.wakeUp()
			s.waitLock.lock()
		}
	} else {
		s.count.Or(RWSemFlagWaiters)
	}

	t.setCurrentState()
	for !s.tryWriteLock(w) {
		s.waitLock.unlock()
		// After setting the handoff bit and failing to get the lock,
		// spin on the owner to speed the transfer; if it was a running
		// writer that just released it, try again without sleeping.
		if !w.handoffSet.Load() || s.spinOnOwner(t, now()) != ownerNull {
			t.schedule()
			t.Stats.Lock.SleepWriter++
			t.setCurrentState()
		}
		s.waitLock.lock()
	}
	t.setRunning()
	s.waitLock.unlock()
}

// noCopy makes go vet's copylocks check report a copied RWSem or RCUWait.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
