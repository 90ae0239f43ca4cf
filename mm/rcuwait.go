package mm

// RCUWait models struct rcuwait (include/linux/rcuwait.h): one task that
// sleeps until a condition holds, woken by whoever makes it hold. It is
// mm->vma_writer_wait, on which vma_start_write() waits for a VMA's readers
// to drain. The zero value has no waiter. It must not be copied.
//
// The sleep is the same as RWSem's: the waiter blocks its own thread in a
// futex and the waker wakes it (wake_up_process()), with no Go channel or
// runtime semaphore in between.
//
// No wake-up is lost: the waiter stores itself and then its state, then
// loads the condition; the waker stores the condition, then loads the
// waiter. With the kernel's barriers between each store and load (A),
// set_current_state(), and (B), smp_mb() in rcuwait_wake_up(), both
// modelled (StoreMB, mb), at least one of them sees the other's store. So
// the condition must be computed from the shared words' loads, and the
// waker must change it through one before calling WakeUp.
//
// The kernel reads w->task under rcu_read_lock() so the task cannot be
// freed meanwhile; the garbage collector gives that here.
type RCUWait struct {
	_    noCopy        // first: a zero-size last field would pad the struct
	task Pointer[Task] // w->task
}

// WaitEvent models rcuwait_wait_event(w, cond, TASK_UNINTERRUPTIBLE): t
// sleeps until cond() holds. Only one task may wait on w at a time.
func (w *RCUWait) WaitEvent(t *Task, cond func() bool) {
	w.task.Store(t) // prepare_to_rcuwait()
	for {
		t.setCurrentState() // barrier (A), pairs with (B) in WakeUp
		if cond() {
			break
		}
		t.schedule()
	}
	w.task.Store(nil) // finish_rcuwait()
	t.setRunning()
}

// WakeUp models rcuwait_wake_up(): wake the waiter, if any. It reports
// whether a task was woken.
func (w *RCUWait) WakeUp() bool {
	mb() // (B): the caller's change of the condition before this load
	if t := w.task.Load(); t != nil {
		return wakeUpProcess(t)
	}
	return false
}

// Active models rcuwait_active(): whether a task waits.
func (w *RCUWait) Active() bool { return w.task.Load() != nil }
