package mm

import hdr "github.com/HdrHistogram/hdrhistogram-go"

// Now returns mm's clock in nanoseconds (monotonic): the clock every lock
// step and every timing of model code reads, so that a projection in
// virtual time, which replaces it, sees the same figures.
func Now() int64 { return now() }

// LockKind is the lock a timed wait was for.
type LockKind uint8

// Lock kinds of LockTime.
const (
	LockMmap  LockKind = iota // mm->mmap_lock
	LockVMA                   // a per-VMA lock: v6.4's vma->vm_lock, v6.15+'s vm_refcnt (and mm->vma_writer_wait)
	LockPTE                   // a split page-table lock (ptlock_ptr())
	LockAlloc                 // the page allocator's zone->lock and the LRU's lruvec->lru_lock
	numLockKinds
)

// LockTime is one thread's time waiting for and holding mmap_lock and the
// VMA locks, in nanoseconds, the kernel's lock_stat and `perf lock
// contention` figures. Only the owning thread writes it, with plain stores,
// in its Task's own cache lines; read it after the thread has stopped.
//
// It is sampled as the latencies are: the thread turns timing on for one
// operation with TimeLocks(w), and each lock step of that operation reads
// mm's clock; every figure is added w times (the operation stands for w
// operations: workloads.SampleEvery for a sampled fault, SlowSampleEvery
// for a sampled write, 1 for an operation that is always timed), so
// Wait/ops is an unbiased estimate of the wait per operation, as long as
// the timed operations are drawn without regard to the workload's own
// cycle (workloads' Thread.gap). Untimed operations read no clock and
// store nothing: a lock step costs one load and a branch.
//
// Waits and holds do not overlap: a thread that waits for a VMA lock while
// it holds mmap_lock (a writer draining a VMA's readers) adds that time to
// Wait, not to Hold, so wait + hold + the rest is an operation's time.
type LockTime struct {
	// Wait is the time spent acquiring mmap_lock and the VMA locks, from
	// the first attempt to the lock taken (a trylock that succeeds at once
	// is a wait of a few ns), and WaitBy the same per lock, with the
	// spinlocks' spins beside them (LockPTE, LockAlloc: in WaitBy only,
	// and in Hold where a sleeping lock is held around them).
	Wait   int64
	WaitBy [numLockKinds]int64
	// Sleep is the part of Wait spent asleep in schedule() (the futex).
	Sleep int64
	// Hold is the time at least one of the locks was held, less the waits
	// while holding.
	Hold int64
	// Hist holds every timed mmap_lock acquisition's wait, weighted as
	// above (the kernel's tracepoints see mmap_lock's alone); nil until
	// EnableLockTime.
	Hist *hdr.Histogram

	weight   int64 // 0: this operation is not timed
	depth    int32 // locks held, taken while timed
	holdFrom int64 // when the current stretch of holding began
}

// Lock wait histogram range: 1 ns to 10 s, 2 significant figures.
const (
	lockHistMin = 1
	lockHistMax = 10e9
)

// EnableLockTime gives the Task the histogram its lock waits are recorded
// in. A Task without one still adds up Wait and Hold.
func (t *Task) EnableLockTime() {
	if t.Locks.Hist == nil {
		t.Locks.Hist = hdr.New(lockHistMin, lockHistMax, 2)
	}
}

// ResetLockTime clears the figures, keeping the histogram.
func (t *Task) ResetLockTime() {
	h := t.Locks.Hist
	if h != nil {
		h.Reset()
	}
	t.Locks = LockTime{Hist: h}
}

// TimeLocks turns lock timing on for the operation that starts, with weight
// w (the number of operations it stands for), or off with 0. A lock still
// held when timing stops (a Lookup held across operations) is closed at
// that moment, so no hold is counted twice nor left open.
func (t *Task) TimeLocks(w int64) {
	lt := &t.Locks
	if w == 0 && lt.depth > 0 {
		lt.Hold += (now() - lt.holdFrom) * lt.weight
		lt.depth = 0
	}
	lt.weight = w
}

// LockWaitStart returns the moment a lock step begins, or 0 if this
// operation is not timed: the argument of LockAcquired and LockWaited.
// A timed step that begins at the clock's 0 (a projection's first
// instant) reads 1, lest it be taken for an untimed one.
func (t *Task) LockWaitStart() int64 {
	if t.Locks.weight == 0 {
		return 0
	}
	return max(now(), 1)
}

// LockAcquired records that the thread took lock k after trying from start
// (a LockWaitStart reading; 0, untimed, does nothing): a wait of now-start,
// then a hold until the matching LockReleased.
func (t *Task) LockAcquired(k LockKind, start int64) {
	if start != 0 { // inlined: an untimed operation pays a compare
		t.lockAcquired(k, start)
	}
}

func (t *Task) lockAcquired(k LockKind, start int64) {
	if t.Locks.weight == 0 {
		return
	}
	end := t.lockWaited(k, start)
	t.Locks.holdFrom = end
	t.Locks.depth++
}

// LockWaited records a wait from start for lock k that leaves the thread
// holding what it held before: vma_start_write()'s wait for a VMA's readers,
// under mmap_lock, after which the VMA stays write-locked by the sequence
// numbers until mmap_write_unlock().
func (t *Task) LockWaited(k LockKind, start int64) {
	if start == 0 || t.Locks.weight == 0 {
		return
	}
	t.Locks.holdFrom = t.lockWaited(k, start)
}

func (t *Task) lockWaited(k LockKind, start int64) int64 {
	lt := &t.Locks
	end := now()
	w := max(end-start, 0)
	if lt.depth > 0 { // the stretch of holding before this wait
		lt.Hold += (start - lt.holdFrom) * lt.weight
	}
	lt.Wait += w * lt.weight
	lt.WaitBy[k] += w * lt.weight
	if lt.Hist != nil && k == LockMmap {
		_ = lt.Hist.RecordValues(max(w, lockHistMin), lt.weight)
	}
	return end
}

// LockReleased records that the thread released a lock it took while timed
// (LockAcquired); otherwise it does nothing.
func (t *Task) LockReleased() {
	if t.Locks.depth != 0 { // inlined: an untimed operation pays a compare
		t.lockReleased()
	}
}

func (t *Task) lockReleased() {
	lt := &t.Locks
	if lt.depth--; lt.depth == 0 {
		lt.Hold += (now() - lt.holdFrom) * lt.weight
	}
}

// sleepStart and sleepEnd time a schedule() of a timed operation.
func (t *Task) sleepStart() int64 {
	if t.Locks.weight == 0 {
		return 0
	}
	return max(now(), 1) // as LockWaitStart
}

func (t *Task) sleepEnd(start int64) {
	if start != 0 {
		t.Locks.Sleep += (now() - start) * t.Locks.weight
	}
}

// lockSpin takes spinlock l for t, and on a timed operation adds the spin
// to WaitBy[k]. A spinlock's wait is not in Wait, which is mmap_lock's and
// the VMA locks', the kernel's tracepoints' subject.
func (t *Task) lockSpin(l *spinLock, k LockKind) {
	if t.Locks.weight == 0 {
		l.lock()
		return
	}
	start := now()
	l.lock()
	t.Locks.WaitBy[k] += (now() - start) * t.Locks.weight
}
