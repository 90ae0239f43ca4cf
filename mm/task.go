package mm

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/cpu"

	"vmabench/sim"
)

// Stats are one thread's event counts, named as the kernel names them in
// /proc/vmstat (CONFIG_PER_VMA_LOCK_STATS). Only the owning thread writes
// them, with plain stores; read them after the thread has stopped.
type Stats struct {
	VMALockSuccess uint64 // fault completed under the VMA lock
	VMALockAbort   uint64 // VMA lock not taken, fell back to mmap_lock
	VMALockRetry   uint64 // VMA lock taken, but the fault asked for mmap_lock
	VMALockMiss    uint64 // VMA found under RCU was detached, walk retried

	Faults uint64 // pages installed in the page table
	// ZoneLocks and LRULocks count this thread's holds of the zone lock
	// (a pcp refill or drain) and of the lruvec lock (an lru_add batch
	// moved, or a batch of freed folios taken off the LRU).
	ZoneLocks  uint64
	LRULocks   uint64
	Violations uint64 // checker: a reader saw a changing VMA, or writers overlapped

	// Lock is what this thread's RWSem slow paths did.
	Lock LockEvents
}

// LockEvents counts an RWSem's slow-path events, in the kernel's lock event
// names (kernel/locking/lock_events_list.h, CONFIG_LOCK_EVENT_COUNTS), per
// thread: each is one increment of the calling Task's own counter on a slow
// path, never on the fast paths, so counting costs a contended lock nothing
// measurable and an uncontended one nothing at all.
type LockEvents struct {
	OptLock      uint64 // rwsem_opt_lock: a writer took the lock while spinning
	OptFail      uint64 // rwsem_opt_fail: a writer could not spin, or spun and failed
	OptNospin    uint64 // rwsem_opt_nospin: a writer timed out spinning on readers
	SleepWriter  uint64 // rwsem_sleep_writer: a queued writer called schedule()
	WlockHandoff uint64 // rwsem_wlock_handoff: a queued writer set the handoff bit
	RlockSteal   uint64 // rwsem_rlock_steal: a reader failed the fast path and stole the lock
	SleepReader  uint64 // rwsem_sleep_reader: a queued reader called schedule()
}

// Add adds o to e.
func (e *LockEvents) Add(o LockEvents) {
	e.OptLock += o.OptLock
	e.OptFail += o.OptFail
	e.OptNospin += o.OptNospin
	e.SleepWriter += o.SleepWriter
	e.WlockHandoff += o.WlockHandoff
	e.RlockSteal += o.RlockSteal
	e.SleepReader += o.SleepReader
}

// Sub returns e less o.
func (e LockEvents) Sub(o LockEvents) LockEvents {
	return LockEvents{
		OptLock:      e.OptLock - o.OptLock,
		OptFail:      e.OptFail - o.OptFail,
		OptNospin:    e.OptNospin - o.OptNospin,
		SleepWriter:  e.SleepWriter - o.SleepWriter,
		WlockHandoff: e.WlockHandoff - o.WlockHandoff,
		RlockSteal:   e.RlockSteal - o.RlockSteal,
		SleepReader:  e.SleepReader - o.SleepReader,
	}
}

// Add adds o to s.
func (s *Stats) Add(o Stats) {
	s.VMALockSuccess += o.VMALockSuccess
	s.VMALockAbort += o.VMALockAbort
	s.VMALockRetry += o.VMALockRetry
	s.VMALockMiss += o.VMALockMiss
	s.Faults += o.Faults
	s.ZoneLocks += o.ZoneLocks
	s.LRULocks += o.LRULocks
	s.Violations += o.Violations
	s.Lock.Add(o.Lock)
}

// Sub returns s less o: the events between two readings of one thread's
// counters.
func (s Stats) Sub(o Stats) Stats {
	return Stats{
		VMALockSuccess: s.VMALockSuccess - o.VMALockSuccess,
		VMALockAbort:   s.VMALockAbort - o.VMALockAbort,
		VMALockRetry:   s.VMALockRetry - o.VMALockRetry,
		VMALockMiss:    s.VMALockMiss - o.VMALockMiss,
		Faults:         s.Faults - o.Faults,
		ZoneLocks:      s.ZoneLocks - o.ZoneLocks,
		LRULocks:       s.LRULocks - o.LRULocks,
		Violations:     s.Violations - o.Violations,
		Lock:           s.Lock.Sub(o.Lock),
	}
}

// LockState names what a thread holds or waits for, in lockdep's terms, so a
// watchdog can say what each stuck thread was doing.
type LockState uint32

// Lock states. A thread holds a set of them and waits for at most one.
const (
	MmapRead LockState = 1 << iota
	MmapWrite
	VMARead
	VMAWrite
)

// String returns e.g. "mmap_lock(read)+vma_lock(read)", or "nothing".
func (s LockState) String() string {
	if s == 0 {
		return "nothing"
	}
	var out string
	for _, n := range []struct {
		bit  LockState
		name string
	}{
		{MmapRead, "mmap_lock(read)"},
		{MmapWrite, "mmap_lock(write)"},
		{VMARead, "vma_lock(read)"},
		{VMAWrite, "vma_lock(write)"},
	} {
		if s&n.bit != 0 {
			if out != "" {
				out += "+"
			}
			out += n.name
		}
	}
	return out
}

// Task models the part of task_struct a fault handler uses: the thread's MM,
// its counters and scratch memory. Each worker thread owns one Task; nothing
// in it is written by another thread, and the pads keep it on cache lines of
// its own, so counting costs no shared writes on the hot path.
type Task struct {
	_ cpu.CacheLinePad

	ID    int
	MM    *MM
	Stats Stats
	// Locks is the thread's sampled lock wait and hold time (see LockTime).
	Locks LockTime

	// Shown, if set, is told of each line a read of /proc/pid/maps shows
	// (show_map_vma()): the VMA and the range it showed. It is the
	// exploration's view of a maps read, nil in a real run.
	Shown func(v *VMA, start, end uint64)

	// FaultWork is how many bytes of memory a fault clears under its lock,
	// modelling clear_page() of a new anonymous page (4096 by default).
	FaultWork int
	scratch   []byte
	// Work is the calibrated work, in spin iterations, this thread does
	// under and around its locks (see Work); zero without a calibration.
	Work      Spins
	sink      uint64 // Spin's result, kept so the loop is not optimised away
	shootSeen uint64 // the MM's shootdowns this thread has taken (Interrupts)
	// lazyOwed is set when the thread woke to a stale TLB (schedule): it
	// pays TLBLazy back in user space, at its next operation (Interrupts).
	lazyOwed bool
	// zapAnon and zapShared are the pages the thread's last munmap
	// unmapped, anonymous (or private copies) and shared file pages, whose
	// teardown MunmapTail does.
	zapAnon, zapShared int64
	// pcp is this thread's CPU's page-allocator state (page_alloc.go).
	pcp perCPU
	// change is the Change the thread's current address-space change
	// plans in (Prepare), reused with its slices' capacity from one
	// change to the next: the harness's own memory, not the kernel's
	// (whose vma_prepare() state lives on the stack). A fresh Change and
	// its slices per write cost a model mmap and munmap pair about 600 B
	// of new heap, which the runner's window, with the collector off,
	// takes as page faults of the Go heap (0.2 per pair, 10 µs each on a
	// VM): the harness's cost, not the design's.
	change Change

	// ops counts the thread's operations for a watchdog; see Progress.
	// ops, held, waiting and firstViolation are the harness's
	// instrumentation, which the kernel does not have (lockdep is off):
	// plain sync/atomic words that a projection neither schedules nor
	// charges.
	ops atomic.Uint64
	// held and waiting are lockdep-style state for a watchdog report.
	held    atomic.Uint32
	waiting atomic.Uint32

	firstViolation atomic.Pointer[string]

	// A line apart from the instrumentation above, which the thread
	// writes on every lock it takes: a spinner on this thread's lock
	// reads state on every look (owner_on_cpu()), as the kernel's reads
	// task->on_cpu, which its owner writes only at a context switch.
	_ cpu.CacheLinePad
	// The sleeping locks' part of task_struct (see sched.go, rwsem.go):
	// state is task->__state and the futex word the thread sleeps on;
	// wakeQNext is task->wake_q; rwWaiter is the rwsem_waiter the kernel
	// keeps on the stack, here in the Task because a Go stack can move.
	state     Uint32
	wakeQNext Pointer[Task]
	rwWaiter  rwsemWaiter
	// cpu is the virtual CPU the thread runs on in a projection (nil in
	// a real run): whom wakeUpProcess wakes.
	cpu *sim.CPU
	// spinningOn is the rw-semaphore whose owner t spins on as the head
	// of its OSQ (rwsem_optimistic_spin()), or nil: the checker's, a
	// word of t's own that no other thread writes.
	spinningOn *RWSem

	_ cpu.CacheLinePad
	// osq is the thread's OSQ node (osq.go), the kernel's per-CPU
	// osq_node: its neighbours in a queue write it, so it has lines of
	// its own, as DEFINE_PER_CPU_SHARED_ALIGNED gives the kernel's.
	osq osqNode
	_   cpu.CacheLinePad
	// owners are the four values an rw-semaphore's owner word takes with
	// t as its task, one per combination of flags (ownerOf): made once,
	// read by every spinner that looks at the owner, so on a line of
	// their own.
	owners [4]ownerWord
	_      cpu.CacheLinePad
}

// NewTask returns the Task of thread id in m, with faultWork bytes of fault
// work (0 for none).
func NewTask(m *MM, id, faultWork int) *Task {
	if m != nil && id >= 0 {
		m.tasks.Add(1)
	}
	t := &Task{ID: id, MM: m, FaultWork: faultWork, scratch: make([]byte, faultWork)}
	for f := range t.owners {
		t.owners[f] = ownerWord{t, uint32(f)}
	}
	return t
}

// SetCPU binds the Task to virtual CPU c for a projection (package sim):
// a wake-up of the Task wakes c. The CPU's deadlock report then says what
// the Task holds and waits for.
func (t *Task) SetCPU(c *sim.CPU) {
	t.cpu = c
	c.SetDescribe(func() string {
		held, waiting := t.LockInfo()
		return fmt.Sprintf("thread %d holds %v, waits for %v", t.ID, held, waiting)
	})
}

// SetProgress publishes the thread's operation count n for a watchdog. The
// store is a locked instruction on amd64, so threads publish once per
// sampled operation, not on every one.
func (t *Task) SetProgress(n uint64) { t.ops.Store(n) }

// Progress returns the count last published with SetProgress; any thread
// may call it. It grows while the thread makes progress.
func (t *Task) Progress() uint64 { return t.ops.Load() }

// Acquiring records that the thread is about to wait for lock l. Strategies
// call it only when the lock is contended (a trylock failed) or the path is
// slow anyway, so the uncontended fast path stores nothing.
func (t *Task) Acquiring(l LockState) { t.waiting.Store(uint32(l)) }

// Waited records that the thread no longer waits.
//
// A thread that slept was not running, so the TLB flushes meanwhile did
// not interrupt it (a CPU in lazy TLB mode is skipped): it forgets them.
func (t *Task) Waited() {
	t.waiting.Store(0)
	if t.Work.IPIRecv != 0 {
		t.shootSeen = t.MM.shootdowns.Load()
	}
}

// Hold records that the thread holds l beyond one fault: across a Lookup,
// or while it writes. A VMA read lock held so begins a timed hold
// (LockTime): its wait, a trylock, was timed by no one.
func (t *Task) Hold(l LockState) {
	t.held.Store(t.held.Load() | uint32(l))
	if l == VMARead && t.Locks.weight != 0 {
		t.lockAcquired(LockVMA, now())
	}
}

// Unhold records that the thread no longer holds l (and, for a VMA read
// lock, ends its timed hold).
func (t *Task) Unhold(l LockState) {
	t.held.Store(t.held.Load() &^ uint32(l))
	if l == VMARead && t.Locks.depth != 0 {
		t.lockReleased()
	}
}

// LockInfo returns what the thread holds and what it waits for; any thread
// may call it.
func (t *Task) LockInfo() (held, waiting LockState) {
	return LockState(t.held.Load()), LockState(t.waiting.Load())
}

// FirstViolation returns the checker's message for the thread's first
// violation, or "".
func (t *Task) FirstViolation() string {
	if p := t.firstViolation.Load(); p != nil {
		return *p
	}
	return ""
}

func (t *Task) violation(format string, args ...any) {
	t.Stats.Violations++
	if t.firstViolation.Load() == nil {
		s := fmt.Sprintf(format, args...)
		t.firstViolation.Store(&s)
	}
}

// SpinningOn returns the rw-semaphore whose owner t spins on at the head of
// its OSQ, or nil: only the OSQ's head spins on the owner and the count, so
// a checker finds at most one task per semaphore.
func (t *Task) SpinningOn() *RWSem { return t.spinningOn }
