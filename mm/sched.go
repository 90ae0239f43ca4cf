//go:build linux

package mm

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"vmabench/kernel"
	"vmabench/sim"
)

// The model's scheduler: just enough of set_current_state(), schedule(),
// wake_up_process() and wake_q for the sleeping locks (RWSem, RCUWait). A
// thread that sleeps blocks its own OS thread in futex(2) on its Task's
// state word and is woken by the thread that releases it, as a task sleeps in
// schedule() and is woken by try_to_wake_up(); nothing goes through Go's
// runtime semaphore (sync.Mutex, channels), whose park and unpark through the
// Go scheduler cost tens of microseconds per hand-off.
//
// The race detector does not see a futex, so every hand-off is also an
// atomic: the waker's atomic store of the condition (a waiter's granted word,
// a count) and the sleeper's atomic load of it are the happens-before edge.

// Task states: the value of Task.state, the futex word. They model
// task->__state, with one more value for "blocked in the futex", which the
// kernel knows as !on_cpu.
const (
	taskRunning         uint32 = iota // TASK_RUNNING
	taskUninterruptible               // set_current_state(TASK_UNINTERRUPTIBLE), still on CPU
	taskSleeping                      // in schedule(): blocked in futex(FUTEX_WAIT)
)

// futex(2) operations; x/sys/unix does not name them.
const (
	futexWait        = 0
	futexWake        = 1
	futexPrivateFlag = 128
)

// setCurrentState models set_current_state(TASK_UNINTERRUPTIBLE): a store
// with a full barrier (smp_store_mb(), one XCHG on x86-64), so the
// condition the caller loads next cannot be read before the store is seen by
// a waker (the barrier (A) of rcuwait_wait_event()).
func (t *Task) setCurrentState() { t.state.StoreMB(taskUninterruptible) }

// setRunning models __set_current_state(TASK_RUNNING).
func (t *Task) setRunning() { t.state.Store(taskRunning) }

// schedule models schedule() for a task that set TASK_UNINTERRUPTIBLE: it
// blocks the thread until a waker sets the state back to running. It returns
// at once if a waker came first, and may return spuriously (a signal, EINTR,
// or a wake-up meant for an earlier wait): every caller re-checks its
// condition in a loop, as kernel callers do.
func (t *Task) schedule() {
	if !t.state.CompareAndSwap(taskUninterruptible, taskSleeping) {
		return // woken before sleeping: try_to_wake_up() set TASK_RUNNING
	}
	defer t.sleepEnd(t.sleepStart())
	// The MM's count of sleepers is what needResched reads as the run
	// queue's length (dequeue_task()); a sleep costs a futex system call,
	// beside which the two atomic adds are small.
	var flushes uint64
	if t.MM != nil {
		t.MM.sleepers.Add(1)
		if t.Work.TLBLazy != 0 {
			flushes = t.MM.flushed.Load()
		}
	}
	for t.state.Load() == taskSleeping {
		if sim.On() {
			// A projection: the virtual CPU blocks until the waker's
			// sim.Wake, in virtual time.
			sim.BlockCurrent()
			continue
		}
		// FUTEX_WAIT returns 0 on a wake, EAGAIN if the word already
		// changed, EINTR on a signal: all mean "look again".
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&t.state)),
			futexWait|futexPrivateFlag, uintptr(taskSleeping), 0, 0, 0)
	}
	if t.MM != nil {
		t.MM.sleepers.Add(-1)
		// The switch back from lazy TLB mode (switch_mm_irqs_off()): the
		// CPU slept in the idle task with this MM loaded, so a TLB flush
		// of the MM begun meanwhile sent it no IPI (should_flush_tlb()),
		// and one in flight when it went to sleep reached it lazy, where
		// flush_tlb_func() leaves the MM for init_mm. Either way the MM's
		// tlb_gen is past the CPU's, and the switch back flushes the whole
		// TLB, which the thread then refills: TLBLazy. Kernel mappings are
		// global (_PAGE_GLOBAL) and survive it, so the refill falls on the
		// thread's user-space pages once it is back there, after the lock
		// it woke holding is dropped (a trace of faults-mprotect showed the
		// reader's read lock released 1 µs after the switch back, and its
		// next fault a median 28 µs after that, against 8 µs after a fault
		// that did not sleep): the thread owes it to its next operation
		// (Interrupts). A flush in flight is one begun (shootdowns) and not
		// yet ended (flushed): the sleeper compares the flushes begun now
		// with those ended when it went to sleep. Two loads of the MM's
		// flush counts, as the kernel loads next->context.tlb_gen.
		if t.Work.TLBLazy != 0 && t.MM.shootdowns.Load() != flushes {
			t.lazyOwed = true
		}
	}
}

// onCPU models owner_on_cpu(): the task is not blocked in schedule(). The
// model cannot see whether the OS (or Go's scheduler) has preempted the
// thread, nor whether its vCPU is preempted (vcpu_is_preempted()): a thread
// that is runnable but not running counts as on CPU, so a spinner may spin
// on it until its need_resched() fires (needResched).
func (t *Task) onCPU() bool { return t.state.Load() != taskSleeping }

// processCPUs is how many CPUs the process may run on (sched_getaffinity(2)
// at start-up; runtime.NumCPU's answer, read here so mm needs no runtime
// call on a spin path).
var processCPUs = func() int32 {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil || set.Count() == 0 {
		return 1
	}
	return int32(set.Count())
}()

// spinSlice is the scheduler slice after which a spinner that shares its
// CPU must yield it: EEVDF's sysctl_sched_base_slice, 0.75 ms scaled as
// update_sysctl() scales it by default (SCHED_TUNABLESCALING_LOG: times
// 1 + ilog2(min(CPUs, 8))), 1.5 ms on 2 CPUs.
var spinSlice = func() int64 {
	f := int64(1)
	for c := min(processCPUs, 8); c > 1; c >>= 1 {
		f++
	}
	return 750_000 * f
}()

// simSpinSlice is the scheduler slice of virtual CPUs that share CPUs
// (Config.SimCPUs), in ns: sysctl_sched_base_slice's 0.75 ms, fixed, so
// that a run does not depend on the host.
const simSpinSlice = 750_000

// needResched models need_resched() for a task that has spun since start,
// on its i-th look at the lock. In the kernel TIF_NEED_RESCHED is set when
// another task is runnable on the spinner's CPU and the spinner's slice is
// over (the tick's check), or a woken task preempts it; while each task has
// a CPU of its own, it is never set, however long the spin. The model
// cannot see the CPUs' run queues, so it asks the principled equivalent:
// does the MM have more runnable threads (threads, less those asleep in
// schedule()) than the process has CPUs, and has the spin lasted spinSlice?
// Only then can some thread be waiting for a CPU this spinner holds. The
// kernel's flag is one load; the model's is two loads of the MM's
// scheduler line and, only when overcommitted, a clock read, all every
// 16th look, lest the spinner miss the short windows in which the lock is
// free. A Task with no MM (a test of the lock alone) cannot say how many
// threads share the CPUs, so it assumes they do: its spin ends after a
// slice, as every spin did before the model counted runnable threads.
//
// On virtual CPUs (package sim) every thread has a CPU of its own unless
// the MM says how many they share (Config.SimCPUs), so it is never set
// there by default: the host's CPU count, which the test would read
// otherwise, would make a projection's or an exploration's runs depend on
// the machine they run on. With SimCPUs, it fires once the MM has more
// runnable threads than that and the spin has lasted simSpinSlice of
// virtual time; its reads of the counts are uncharged there.
func (t *Task) needResched(start int64, i int) bool {
	if i&0xf != 0 {
		return false
	}
	if sim.On() {
		if !t.simSharesCPUs() {
			return false
		}
		m := t.MM
		// Peeked, not loaded: the kernel's need_resched() tests a flag in
		// the spinner's own thread_info, no shared line, so the model's
		// stand-in for the run queues must cost the virtual CPU nothing
		// and be no scheduling point.
		return m.tasks.Peek()-m.sleepers.Peek() > m.simCPUs && now()-start > simSpinSlice
	}
	if m := t.MM; m != nil && m.tasks.Load()-m.sleepers.Load() <= processCPUs {
		return false
	}
	return now()-start > spinSlice
}

// simSharesCPUs reports whether t's projected MM has more threads than
// virtual CPUs to share (MM.simCPUs set): only then does needResched()
// look at the clock in a projection, and spinRelax() must run every
// iteration. A nil t (a loop with no task: osq_wait_next(), a spin lock) shares none.
func (t *Task) simSharesCPUs() bool { return t != nil && t.MM != nil && t.MM.simCPUs != 0 }

// wakeUpProcess models wake_up_process() / try_to_wake_up(): set the task
// running, and wake its thread if it is blocked in the futex. It reports
// whether the task was not already running.
//
// try_to_wake_up() takes p->pi_lock and then smp_mb__after_spinlock()
// before it reads p->__state: a full barrier that orders the waker's
// stores before (the condition, wake_up_q()'s clearing of wake_q.next)
// before that load, which pairs with the sleeper's set_current_state().
// The model keeps the barrier (mb) and leaves out the lock: a locked
// instruction on the wakee's task_struct line in the kernel, a fence on
// the waker's stack here.
func wakeUpProcess(t *Task) bool {
	mb() // raw_spin_lock_irqsave(&p->pi_lock); smp_mb__after_spinlock()
	if t.state.Load() == taskRunning {
		return false // ttwu: !(p->__state & state)
	}
	switch t.state.Swap(taskRunning) {
	case taskSleeping:
		if sim.On() {
			sim.Wake(t.cpu)
			return true
		}
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&t.state)),
			futexWake|futexPrivateFlag, 1, 0, 0, 0)
		return true
	case taskUninterruptible:
		return true
	}
	return false
}

// wakeQTail is WAKE_Q_TAIL: the mark in Task.wakeQNext of the last task of a
// wake_q, which also says "already queued".
var wakeQTail = new(Task)

// wakeQ models struct wake_q_head: tasks to wake once the waker has dropped
// its wait_lock, linked through Task.wakeQNext so it needs no allocation.
// The zero value is an empty queue.
type wakeQ struct {
	first, last *Task
}

// add models wake_q_add(): queue t unless it is already queued on some
// wake_q, whose waker will then wake it after our change is visible (the
// kernel's argument: the cmpxchg and wake_up_q()'s barrier order them).
func (q *wakeQ) add(t *Task) {
	if !t.wakeQNext.CompareAndSwap(nil, wakeQTail) {
		return
	}
	if q.first == nil {
		q.first = t
	} else {
		q.last.wakeQNext.Store(t)
	}
	q.last = t
}

func (q *wakeQ) empty() bool { return q.first == nil }

// wakeUp models wake_up_q(): take each task off the queue, then wake it.
func (q *wakeQ) wakeUp() {
	for t := q.first; t != nil; {
		next := t.wakeQNext.Load()
		if next == wakeQTail {
			next = nil
		}
		t.wakeQNext.Store(nil)
		wakeUpProcess(t)
		t = next
	}
	q.first, q.last = nil, nil
}

// epoch is the origin of now().
var epoch = time.Now()

// now models sched_clock() and jiffies, in nanoseconds (monotonic). In a
// projection it is the running virtual CPU's clock.
func now() int64 {
	if sim.On() {
		return sim.Now() / 1000
	}
	return int64(time.Since(epoch))
}

// spinRelax is cpuRelax() at the end of one iteration of a spin loop that
// repeats itself exactly until a word it reads is written: each iteration
// loads shared words and does nothing else a projection sees (no store,
// no calibrated work, no look at the clock), and takes the same course
// while those words stay as they are, as smp_cond_load_relaxed()'s loops
// do. In a real run it is cpuRelax(). In a projection the engine may skip
// the iterations in which no line the loop reads is written
// (sim.SpinRelax), with their PAUSEs and loads on the virtual CPU's clock
// as if they had run, so that 255 writers queued on one OSQ cost the
// engine nothing while they wait, and the results stay the same point for
// point. t's needResched() looks at the clock once the MM has more
// threads than CPUs to share (MM.simCPUs set); then every iteration runs.
func spinRelax(t *Task) {
	if sim.On() && !t.simSharesCPUs() {
		sim.SpinRelax()
		return
	}
	cpuRelax()
}

// yieldNs is what one sched_yield() costs a projection's virtual CPU where
// no calibration says (a caller without a task, a projection with
// -calibration none): the system call and a pass through the scheduler
// with nothing else to run. Task.Yield charges the calibrated yield-ns,
// which is 1.3 µs on this project's VM (a system call there costs 1.1 µs);
// charged 300 ns instead, nolock's two mmap1 writers projected 437k
// writes/s at 2 virtual CPUs, each finding the other once a change, and
// 289k charged 1.3 µs, twice a change, as the real run's 1.9 (185k).
const yieldNs = 300

// Yield models sched_yield() for a thread that waits without a lock to
// sleep on: the system call in a real run, yieldNs of the virtual CPU's
// time in a projection, and a scheduling point (sim.Relax), so that a
// thread that waits on a word the projection does not see (the checker's
// own, as nolock's writers do on each other) lets the CPU it waits for run.
// A model's thread calls Task.Yield, which charges its calibration's cost.
//
// Not runtime.Gosched(): a worker is locked to its OS thread, and Go
// hands a locked goroutine that yields to its thread through a futex
// sleep and wake-up (stoplockedm(), startlockedm()), several
// microseconds on a VM whose wake-up costs 10 µs. nolock's two mmap1
// writers, which yield whenever they meet, ran 103k to 164k writes/s at
// 2 threads that way and 171k to 230k with the system call (four runs
// of each, interleaved, on the 2-CPU VM), against 402k projected.
//
// The call is kernel.SchedYield, the raw call the calibration's yield-ns
// times (kernel/raw.go says why a raw call is safe on a worker's thread).
// Through Go's wrapper a real run's yield also paid entersyscall and
// exitsyscall, which the calibration does not time: 3 to 4% of nolock's
// mmap1 at 2 threads in a profile of its window (perf, cpu-clock,
// 2026-12-07, 2-CPU VM), where the system call itself took 25%, about
// 1.6 µs a yield against the 1.2 µs the calibration measures with the
// other CPU idle (a departure the README's "Not met yet" gives).
func Yield() {
	if sim.On() {
		sim.Advance(yieldNs * 1000)
		sim.Relax()
		return
	}
	kernel.SchedYield()
}

// Yield is the package's Yield for t's thread: in a projection it charges
// t's calibrated sched_yield() (Work.Yield), yieldNs where there is none.
func (t *Task) Yield() {
	if sim.On() && t.Work.Yield > 0 {
		t.Spin(t.Work.Yield)
		sim.Relax()
		return
	}
	Yield()
}

// Sleep blocks the calling thread for d ns (nanosleep()), or the virtual
// CPU for d ns of virtual time in a projection.
func Sleep(d int64) {
	if d <= 0 {
		return
	}
	if sim.On() {
		sim.Sleep(d * 1000)
		return
	}
	time.Sleep(time.Duration(d))
}

// spinLock models raw_spinlock_t for wait_lock: test-and-test-and-set on
// one word, with cpu_relax() between looks, as queued_spin_lock_slowpath()
// has in each of its spin loops. (The kernel's qspinlock queues its
// spinners in an MCS queue once two contend; with the wait list's hold
// times of a few list operations, and at most a few contenders, the model
// keeps one word.) The kernel spins with preemption and interrupts off, so
// the holder always runs; a Go thread holding it can be descheduled by the
// OS, so after spinYieldAfter failed looks the spinner yields its OS thread
// (sched_yield) instead of burning the CPU the holder may need. The yield
// is rare.
type spinLock struct {
	v Uint32
}

// spinYieldAfter is how many failed looks at a held spinLock precede a
// sched_yield(): with a PAUSE after each, a few microseconds of spinning
// (a PAUSE takes 10 to 140 cycles, by CPU generation).
const spinYieldAfter = 128

func (l *spinLock) lock() {
	for n := 0; ; n++ {
		if l.v.Load() == 0 && l.v.CompareAndSwap(0, 1) {
			return
		}
		if n >= spinYieldAfter && !sim.On() {
			unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
			n = 0
		}
		spinRelax(nil) // n counts only in a real run
	}
}

func (l *spinLock) unlock() { l.v.Store(0) }
