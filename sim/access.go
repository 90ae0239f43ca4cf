package sim

import "runtime"

// Access is the scheduling point before an access of kind k to the shared
// word at addr by the running CPU: the policy may hand off here, then the
// Model charges the access to the CPU's clock. Package mm's shared-word
// types call it, only while On. Outside any CPU (a timer, or a CPU being
// stopped) it does nothing.
//
//go:noinline
func Access(addr uintptr, k Kind) {
	e := running
	c := e.cur
	if c == nil || c.stopping {
		if c == nil && e.nspin > 0 && (k == Store || k == RMW) {
			e.spinWrite(addr, e.now, -1) // a timer's write
		}
		return
	}
	if c.spin.open && (k != Load || c.Work != 0) {
		c.spin.pure = false
	}
	c.lastKind = k
	c.settle()
	e.point(c)
	if c.spin.open && c.spin.pure && k == Load {
		c.spin.load(e, c, addr)
	}
	if e.nspin > 0 && (k == Store || k == RMW) {
		e.spinWrite(addr, c.clock, c.id)
	}
	if e.cfg.Trace != nil {
		// Traced after the point: the order of the trace is the order in
		// which the accesses take effect.
		ev := Event{Step: e.steps, CPU: c.id, Kind: k, Addr: addr, Time: c.clock}
		runtime.Callers(2, ev.PCs[:])
		e.cfg.Trace(ev)
	}
	c.clock += e.model.Access(c.id, c.clock, addr, k)
}

// Barrier is smp_mb() on the running CPU: the Model charges it (the wait
// for the CPU's store buffer to drain), with no scheduling point, since it
// touches no shared word. Outside any CPU it does nothing.
//
//go:noinline
func Barrier() {
	e := running
	c := e.cur
	if c == nil || c.stopping {
		return
	}
	c.spin.pure = false
	c.settle()
	c.clock += e.model.Access(c.id, c.clock, 0, Fence)
}

// Order is a scheduling point that charges nothing and that only a
// projection (TimeOrder) stops at: the running CPU waits there for every
// CPU whose clock is earlier, so that plain memory accesses after it take
// effect at this CPU's virtual time. Calibrated work (Advance) is no
// scheduling point, so without Order a plain access just after it would
// take effect before the work's end in virtual time, seen by CPUs still
// behind; package mm's checker words (marks the kernel does not have,
// which a projection therefore does not charge) call it for that. An
// exploration orders accesses, not times, and does not stop here, so its
// schedules are the same with Order as without. Outside any CPU it does
// nothing.
//
//go:noinline
func Order() {
	e := running
	c := e.cur
	if c == nil || c.stopping || !e.timeOrd {
		return
	}
	c.spin.pure = false
	c.settle()
	e.point(c)
}

// Relax is one iteration of a spin loop, cpu_relax(): a scheduling point of
// kind Pause, charged as the Model's PAUSE.
func Relax() {
	if c := running.cur; c != nil {
		c.spin.open = false
	}
	Access(0, Pause)
}

// Advance adds d ps of private work to the running CPU's clock: calibrated
// work that runs instead of spinning. It is no scheduling point (it touches
// nothing shared); the next access is.
func Advance(d int64) {
	if c := running.cur; c != nil && d > 0 {
		c.clock += d
		c.spin.pure = false
	}
	// Work stays pending: it is ns, d is ps.
}

// Now returns the running CPU's clock, in ps; outside any CPU, the time of
// the timer being fired.
func Now() int64 {
	e := running
	if c := e.cur; c != nil {
		c.settle()
		c.spin.pure = false
		return c.clock
	}
	return e.now
}

// Current returns the running CPU, or nil outside any.
func Current() *CPU { return running.cur }

// Sleep blocks the running CPU for d ps (a thread's nanosleep()): its clock
// moves on by d and the Model's wake-up latency, and others run meanwhile.
func Sleep(d int64) {
	e := running
	c := e.cur
	if c == nil || c.stopping || d <= 0 {
		return
	}
	c.spin.pure = false
	c.settle()
	lat, _ := e.model.Wake(d) // idle for the sleep's d ps; a timer wakes it
	c.clock += d + lat
	c.blocks++
	e.point(c)
}

// BlockCurrent blocks the running CPU until Wake(it) (schedule() after
// set_current_state()): it returns at once if a wake-up came since the
// last one returned. It may return spuriously; callers loop on their
// condition, as kernel callers of schedule() do.
func BlockCurrent() {
	e := running
	c := e.cur
	if c == nil || c.stopping {
		return
	}
	c.spin.pure = false
	c.settle()
	if c.woken {
		c.woken = false
		return
	}
	if e.cfg.Trace != nil {
		ev := Event{Step: e.steps, CPU: c.id, Kind: Block, Time: c.clock}
		runtime.Callers(2, ev.PCs[:])
		e.cfg.Trace(ev)
	}
	e.steps++
	c.blocks++
	c.blockedAt = c.clock
	c.lastKind = Block
	c.state = cpuBlocked
	e.switchOut(c, nil)
}

// Blocks returns how often the running CPU has blocked (BlockCurrent)
// or slept (Sleep): its thread's voluntary context switches, which a
// real thread reads from /proc/thread-self/status. 0 outside a
// projection.
func Blocks() uint64 {
	if e := running; e != nil && e.cur != nil {
		return e.cur.blocks
	}
	return 0
}

// Wake wakes c (wake_up_process()): a blocked CPU becomes runnable at the
// waker's time plus the Model's wake-up latency, and the waker pays the
// Model's send; a CPU not blocked keeps
// the wake-up for its next BlockCurrent. A nil c does nothing.
func Wake(c *CPU) {
	if c == nil {
		return
	}
	e := c.eng
	switch c.state {
	case cpuBlocked:
		c.state = cpuRunnable
		t := Now()
		lat, send := e.model.Wake(t - c.blockedAt)
		c.clock = max(c.clock, t+lat)
		if w := e.cur; w != nil && w != c {
			w.clock += send // the waker's
			w.spin.pure = false
		}
		c.woken = false
		e.makeRunnable(c)
	case cpuRunnable, cpuNew, cpuSpinning:
		c.woken = true
	}
}

// Touch is Access for plain memory that a projection charges and an
// exploration does not stop at: memory written before it is published
// and never after (the model tree's nodes), whose accesses no
// interleaving can make a reader see differently, so an exploration would
// only multiply its schedules by them; a projection still charges the
// lines they take, as the maple tree's nodes cost the kernel's CPUs their
// transfers.
//
//go:noinline
func Touch(addr uintptr, k Kind) {
	if !running.timeOrd {
		return
	}
	Access(addr, k)
}

// LoadAt, StoreAt and RMWAt are Access of one kind, so the callers in the
// shared-word types stay within the inliner's budget.
//
//go:noinline
func LoadAt(addr uintptr) { Access(addr, Load) }

// StoreAt is Access(addr, Store).
//
//go:noinline
func StoreAt(addr uintptr) { Access(addr, Store) }

// RMWAt is Access(addr, RMW).
//
//go:noinline
func RMWAt(addr uintptr) { Access(addr, RMW) }
