package sim

// A spin loop that only looks (the OSQ's queued writers, each on its own
// node; the writer at its head, on the owner; a spin lock's waiters) does
// the same thing every iteration until a line it reads is written: a PAUSE
// and a few loads of lines its CPU holds, each a hit that changes no
// line's state. With 255 writers queued on one mmap_lock that is almost
// every scheduling point of a projection, and none of them changes what
// any CPU sees. SpinRelax lets the engine skip them: once two iterations
// in a row have been alike, the CPU leaves the heap until a line its loop
// reads is written, and then comes back at the start of the first
// iteration whose load of that line comes after the write in virtual time
// (ties as TimeOrder breaks them), with the skipped iterations' PAUSEs
// and loads on its clock. What the CPU and every other one then do is what
// they would have done had every iteration run, point for point, so the
// results are the same; a test holds the engine to that.

// maxSpinLoads is the most loads an iteration may make and still be
// skipped; the model's looking loops make one or two.
const maxSpinLoads = 4

// spinRec is a CPU's record of its spin loop's iterations, each from one
// SpinRelax to the next (a window).
type spinRec struct {
	// open says a window is open: the CPU's latest PAUSE was a
	// SpinRelax's. pure says that since then every access was a load of
	// a line the CPU holds, with no other work: a window that can repeat.
	open, pure bool
	n          int   // loads in the window
	start      int64 // clock at the window's start, ps
	keys       [maxSpinLoads]uintptr
	offs       [maxSpinLoads]int64 // each load's point, ps after start

	// The previous window, if pure (prevOK): its loads and its length.
	prevOK bool
	pn     int
	period int64
	pkeys  [maxSpinLoads]uintptr
	poffs  [maxSpinLoads]int64

	// at is the clock at which a spinning CPU left the heap: the start
	// of the first iteration skipped.
	at int64
}

// load records a load of addr in the open window, at the CPU's clock.
func (s *spinRec) load(e *Engine, c *CPU, addr uintptr) {
	key := addr / LineSize
	if s.n == maxSpinLoads || !e.holds(c.id, addr) {
		s.pure = false
		return
	}
	for i := range s.n {
		if s.keys[i] == key {
			// Two loads of one line: the second could see a write the
			// first did not, which a skip cannot replay.
			s.pure = false
			return
		}
	}
	s.keys[s.n], s.offs[s.n] = key, c.clock-s.start
	s.n++
}

// repeats reports whether the window just closed, period ps long, is
// the previous one again.
func (s *spinRec) repeats(period int64) bool {
	if !s.prevOK || s.pn != s.n || s.period != period {
		return false
	}
	for i := range s.n {
		if s.pkeys[i] != s.keys[i] || s.poffs[i] != s.offs[i] {
			return false
		}
	}
	return true
}

// SpinRelax is Relax at the end of one iteration of a spin loop that
// repeats itself exactly until a line it reads is written: each iteration
// only loads shared words (no store or RMW, no work, no look at the
// clock), and what it does depends on nothing else that changes from one
// iteration to the next. The engine may then skip iterations (see above);
// it does so only under TimeOrder, untraced, with a Model that can say
// which lines a CPU holds (Coherence.Holds). Outside any CPU it does
// nothing.
func SpinRelax() {
	e := running
	c := e.cur
	if c == nil || c.stopping {
		return
	}
	if e.holds == nil {
		Relax()
		return
	}
	s := &c.spin
	pure := s.open && s.pure && c.Work == 0 && s.n > 0
	c.settle()
	if pure {
		period := c.clock - s.start
		if s.repeats(period) {
			e.spinWait(c)
		} else {
			s.prevOK, s.pn, s.period, s.pkeys, s.poffs = true, s.n, period, s.keys, s.offs
		}
	} else {
		s.prevOK = false
	}
	s.open, s.pure, s.n, s.start = true, true, 0, c.clock
	c.lastKind = Pause
	e.point(c)
	c.clock += e.model.Access(c.id, c.clock, 0, Pause)
}

// spinWait takes c out of the heap until a write to a line its loop
// reads (spinWrite); it returns with c's clock at the start of the
// iteration that sees the write.
func (e *Engine) spinWait(c *CPU) {
	s := &c.spin
	s.at = c.clock
	for _, k := range s.keys[:s.n] {
		e.watch[k] = append(e.watch[k], c)
	}
	e.nspin++
	e.steps++
	c.state = cpuSpinning
	e.switchOut(c, nil)
}

// spinWrite wakes the CPUs spinning on addr's line, which a CPU with id
// wid (-1: a timer) writes at time w.
func (e *Engine) spinWrite(addr uintptr, w int64, wid int) {
	key := addr / LineSize
	for {
		ws := e.watch[key]
		if len(ws) == 0 {
			return
		}
		c := ws[0]
		s := &c.spin
		var off int64
		for i, k := range s.pkeys[:s.pn] {
			if k == key {
				off = s.poffs[i]
			}
		}
		// Iteration k starts at s.at + k*period and loads the line at
		// off into it: the first such load after the write sees it.
		var k int64
		if d := w - s.at - off; d >= 0 {
			k = d / s.period
			if t := s.at + k*s.period + off; t < w || t == w && c.id < wid {
				k++
			}
		}
		for _, kk := range s.pkeys[:s.pn] {
			e.unwatch(kk, c)
		}
		e.nspin--
		e.elided += uint64(k)
		c.clock = s.at + k*s.period
		c.state = cpuRunnable
		e.makeRunnable(c)
	}
}

// unwatch takes c off line key's spinners.
func (e *Engine) unwatch(key uintptr, c *CPU) {
	ws := e.watch[key]
	for i, x := range ws {
		if x == c {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(e.watch, key)
		return
	}
	e.watch[key] = ws
}
