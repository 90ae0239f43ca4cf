// Package sim is a deterministic scheduler of virtual CPUs: it runs the
// model's own code (package mm and everything above it) on N virtual CPUs,
// one at a time, with a scheduling point at every access to shared model
// state. Package mm's shared-word types (mm.Int32, mm.Pointer, ...) call
// Access before each atomic while an Engine runs, and its sleeping locks
// block and wake through Block and Wake; nothing else in the model knows.
//
// One engine, policies behind one interface (Policy): TimeOrder, the
// earliest virtual clock first, makes a conservative discrete-event
// simulation of a machine whose costs a Model gives (a projection); other
// policies pick interleavings to explore (a checker). Each virtual CPU is a
// coroutine (iter.Pull), so a hand-off is a coroutine switch, not a trip
// through Go's scheduler, and exactly one CPU's code runs at any time: the
// hand-offs order every access, so the race detector sees a sequential
// program.
//
// Only one Engine runs at a time in a process (the mm types consult a
// package-level flag, so a real run pays one predictable branch and no
// more); Run returns ErrBusy if another is running.
package sim

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"runtime"
	"strings"
	"sync"
)

// Policy picks the virtual CPU that runs next at a scheduling point.
type Policy interface {
	// Next returns the id of the CPU to run from this point on: one of
	// runnable (ascending ids, never empty). cur is the id of the CPU
	// that reached the point, or -1 if it blocked or finished.
	Next(runnable []int, cur int) int
}

// Kind is what a scheduling point does.
type Kind uint8

// The kinds of scheduling point. Load, Store and RMW are accesses to a
// shared word; Pause is one iteration of a spin loop (cpu_relax()). A
// Store is a plain store (x86's MOV: WRITE_ONCE(), atomic_set(),
// smp_store_release()), which goes through the CPU's store buffer; an RMW
// is a locked instruction (LOCK XADD, LOCK CMPXCHG, XCHG, and so
// smp_store_mb()), which waits for the store buffer to drain. Fence is
// smp_mb() (a locked instruction on the CPU's own stack): no shared word,
// only the wait for the store buffer; it is charged but is no scheduling
// point, so an exploration's schedules do not change with it.
const (
	Load Kind = iota
	Store
	RMW
	Pause
	Block // the CPU blocks until woken (schedule())
	Start // the CPU's first step
	Fence // smp_mb(): charged, no scheduling point
)

func (k Kind) String() string {
	switch k {
	case Load:
		return "load"
	case Store:
		return "store"
	case RMW:
		return "rmw"
	case Pause:
		return "pause"
	case Block:
		return "block"
	case Start:
		return "start"
	case Fence:
		return "fence"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Model gives the cost of each access, in picoseconds of virtual time.
// Access is called at every scheduling point of an access kind (Load,
// Store, RMW, Pause) with the CPU's clock before the access; the returned
// cost is added to the clock. A Model keeps what state it needs (the
// cache lines' owners); it is called from one goroutine at a time.
type Model interface {
	Access(cpu int, now int64, addr uintptr, k Kind) int64
	// Wake gives a wake-up of a CPU idle for idle ps, in ps: its latency
	// to the woken CPU running, and send, what it costs the waker (the
	// IPI that brings an idle CPU out of its idle state,
	// try_to_wake_up()'s send; on a VM, an exit to the host).
	Wake(idle int64) (latency, send int64)
}

// unitModel charges every access 1 ns and a wake-up nothing: time then
// counts steps, which is what an exploration wants.
type unitModel struct{}

func (unitModel) Access(int, int64, uintptr, Kind) int64 { return 1000 }
func (unitModel) Wake(int64) (int64, int64)              { return 0, 0 }

// Event is one step of a traced run.
type Event struct {
	Step uint64  // the engine's step count at this point
	CPU  int     // the CPU that reached the point
	Kind Kind    // what it did
	Addr uintptr // the word's address (Load, Store, RMW)
	Time int64   // the CPU's clock before the step, ps
	// PCs are the return addresses above the access (runtime.Callers);
	// Label turns them into the model function that made it.
	PCs [6]uintptr
}

// Label returns the first function above the shared-word types and this
// package that made the access, e.g. "vmabench/mm.(*RWSem).DownRead", or
// "?" when none is found.
func (ev Event) Label() string {
	n := 0
	for n < len(ev.PCs) && ev.PCs[n] != 0 {
		n++
	}
	frames := runtime.CallersFrames(ev.PCs[:n])
	for {
		f, more := frames.Next()
		if f.Function != "" && !strings.HasPrefix(f.Function, "vmabench/sim.") &&
			!strings.HasSuffix(f.File, "/mm/word.go") {
			return f.Function
		}
		if !more {
			return "?"
		}
	}
}

// Config says how an Engine runs. The zero value runs every CPU to the
// end under TimeOrder at unit cost, without a trace or a limit.
type Config struct {
	// Policy picks who runs at each scheduling point; nil is TimeOrder.
	Policy Policy
	// Model gives each access's cost; nil charges 1 ns per access.
	Model Model
	// Trace, if set, is called at every scheduling point (before the
	// policy); the engine captures call sites only when it is set.
	Trace func(Event)
	// MaxSteps stops the run with ErrStepLimit after that many
	// scheduling points; 0 is no limit.
	MaxSteps uint64
	// Until stops the run when every runnable CPU's clock has reached it
	// (ps); 0 runs until every CPU has finished.
	Until int64
	// Check, if set, is called at every scheduling point of a policy
	// other than TimeOrder, before the policy, outside every CPU (its
	// accesses cost nothing and schedule nothing): an oracle that must
	// hold between any two steps, such as mutual exclusion. An error
	// stops the run, and Run returns it.
	Check func() error
	// RunSpins runs every iteration of the spin loops that end in
	// SpinRelax, skipping none: the reference that a test holds the
	// skipping engine to, point for point.
	RunSpins bool
	// Work, if set, turns each piece of a CPU's private Work (ns) into
	// the ps it puts on the clock, in place of 1000 per ns: a spread
	// drawn from the machine's measured variation of the same work
	// (WorkSpread), so that CPUs doing the same work do not stay in
	// lockstep. The engine calls it in time order, with the CPU's ID, so
	// a seeded draw keeps a run deterministic.
	Work func(cpu int, ns int64) int64
}

// Errors of Run.
var (
	ErrBusy      = errors.New("sim: another engine is running in this process")
	ErrStepLimit = errors.New("sim: step limit reached")
	// ErrUnavailable: this binary was built with the vmabench_nosim tag.
	ErrUnavailable = errors.New("sim: built with -tags vmabench_nosim, which compiles the engine's hooks out of the shared words; rebuild without it to project or explore")
)

// DeadlockError is a state in which every unfinished CPU is blocked: no
// wake-up can come. CPUs says what each blocked CPU holds and waits for, as
// its Describe function tells.
type DeadlockError struct {
	Time int64 // ps, the latest clock of a blocked CPU
	CPUs []string
}

func (e *DeadlockError) Error() string {
	return fmt.Sprintf("deadlock at %.3f µs of virtual time: %s", float64(e.Time)/1e6, strings.Join(e.CPUs, "; "))
}

// cpuState is where a CPU is in its life.
type cpuState uint8

const (
	cpuNew cpuState = iota
	cpuRunnable
	cpuBlocked
	cpuDone
	// cpuSpinning is a CPU whose spin loop the engine skips: it waits,
	// out of the heap, for a write to a line its loop reads (SpinRelax).
	cpuSpinning
)

// CPU is one virtual CPU: a coroutine running one model thread, and its
// clock.
type CPU struct {
	// Work is private work, in ns, that the CPU's thread has done since
	// its last scheduling point and that is not yet on its clock: a
	// caller's cheapest way to advance the clock (a field add, no call),
	// as mm's Task.Spin does. The engine adds it at the next point.
	Work int64

	id    int
	clock int64 // ps
	state cpuState
	// woken is a wake-up that came while the CPU was not blocked: its
	// next Block returns at once (a futex word that changed first).
	woken bool
	// stopping is set when the engine stops the CPU's coroutine: its
	// accesses then return at once while its code unwinds.
	stopping bool
	heapIdx  int
	// blocks counts the times the CPU gave itself up, blocked or
	// asleep: a thread's voluntary context switches (Blocks).
	blocks uint64
	// blockedAt is the clock at which the CPU last blocked: its idle
	// time when woken, which decides the wake-up's cost (Model.Wake).
	blockedAt int64

	eng      *Engine
	body     func(*CPU)
	next     func() (struct{}, bool)
	stop     func()
	yield    func(struct{}) bool
	describe func() string
	lastKind Kind

	spin spinRec
}

// settle puts the CPU's pending Work on its clock.
func (c *CPU) settle() {
	if c.Work != 0 {
		if f := c.eng.cfg.Work; f != nil {
			c.clock += f(c.id, c.Work)
		} else {
			c.clock += c.Work * 1000
		}
		c.Work = 0
	}
}

// ID returns the CPU's number, 0..N-1 in the order Go created them.
func (c *CPU) ID() int { return c.id }

// Clock returns the CPU's virtual time, in ps.
func (c *CPU) Clock() int64 { return c.clock }

// SetDescribe sets what a deadlock report says about the CPU: what its
// thread holds and waits for (mm.Task.LockInfo).
func (c *CPU) SetDescribe(f func() string) { c.describe = f }

// LastKind returns the kind of the CPU's latest scheduling point, for a
// policy that treats spinning (Pause) apart.
func (c *CPU) LastKind() Kind { return c.lastKind }

// Engine runs virtual CPUs. Make one with New, add CPUs with Go and timers
// with At, then Run it once.
type Engine struct {
	cfg      Config
	policy   Policy
	timeOrd  bool
	model    Model
	cpus     []*CPU
	cur      *CPU
	steps    uint64
	runnable []int // ascending ids of runnable CPUs, for a Policy
	heap     cpuHeap
	timers   timerHeap
	nextAt   int64 // earliest timer or Until, ps; MaxInt64 if none
	now      int64 // ps: the time of the timer firing, outside any CPU
	err      error
	done     int
	ran      bool
	// pendingCPU is the CPU a yielding CPU handed off to (nil: let the
	// engine pick); pendingSet says a yield set it.
	pendingCPU *CPU
	pendingSet bool

	// holds is the Model's Holds, if it has one: without it the engine
	// cannot tell that a spin loop's loads change nothing, and skips none.
	holds func(cpu int, addr uintptr) bool
	// watch is, per line, the spinning CPUs whose loops read it
	// (SpinRelax); nspin counts the spinning CPUs.
	watch map[uintptr][]*CPU
	nspin int
	// elided counts the spin-loop iterations skipped.
	elided uint64
}

// New returns an Engine with configuration cfg.
func New(cfg Config) *Engine {
	e := &Engine{cfg: cfg, policy: cfg.Policy, model: cfg.Model, nextAt: math.MaxInt64}
	if e.policy == nil {
		e.policy = TimeOrder{}
	}
	_, e.timeOrd = e.policy.(TimeOrder)
	if e.model == nil {
		e.model = unitModel{}
	}
	if h, ok := e.model.(interface {
		Holds(cpu int, addr uintptr) bool
	}); ok && e.timeOrd && cfg.Trace == nil && !cfg.RunSpins {
		e.holds = h.Holds
		e.watch = map[uintptr][]*CPU{}
	}
	return e
}

// Go adds a virtual CPU that runs body. The CPU starts at time 0 with the
// engine's Run.
func (e *Engine) Go(body func(*CPU)) *CPU {
	c := &CPU{id: len(e.cpus), eng: e, body: body, heapIdx: -1}
	e.cpus = append(e.cpus, c)
	return c
}

// CPUs returns the engine's CPUs, by id.
func (e *Engine) CPUs() []*CPU { return e.cpus }

// Steps returns the number of scheduling points so far.
func (e *Engine) Steps() uint64 { return e.steps }

// Elided returns how many spin-loop iterations the engine skipped
// (SpinRelax): iterations whose points it charged without running them.
func (e *Engine) Elided() uint64 { return e.elided }

// At runs f on the engine, outside every CPU, once every runnable CPU's
// clock has reached t (ps): a phase change of the harness at a virtual
// time. Accesses f makes cost nothing and schedule nothing.
func (e *Engine) At(t int64, f func()) {
	e.timers.push(timer{at: t, seq: len(e.timers), f: f})
	e.nextAt = min(e.nextAt, t)
}

// stopUnwind is the panic that unwinds a stopped CPU's code.
type stopUnwind struct{}

// running is the engine of this process's projection; active is the flag
// the mm types test. Both change only while no CPU runs.
var (
	runMu   sync.Mutex
	running *Engine
	active  bool
)

// Run runs the CPUs until all have finished, or Until, or MaxSteps, or a
// deadlock, and returns nil, nil, ErrStepLimit or a *DeadlockError. A
// panic in a CPU's code stops the other CPUs and is raised again here.
func (e *Engine) Run() (err error) {
	if e.ran {
		return errors.New("sim: engine already ran")
	}
	if !Available {
		return ErrUnavailable
	}
	e.ran = true
	runMu.Lock()
	if running != nil {
		runMu.Unlock()
		return ErrBusy
	}
	running, active = e, true
	runMu.Unlock()
	defer func() {
		e.stopAll()
		runMu.Lock()
		running, active = nil, false
		runMu.Unlock()
	}()
	if e.cfg.Until > 0 {
		e.nextAt = min(e.nextAt, e.cfg.Until)
	}
	for _, c := range e.cpus {
		c.state = cpuRunnable
		e.makeRunnable(c)
		c.next, c.stop = iter.Pull(c.seq)
	}
	e.done = 0
	next := e.pick(-1)
	for next != nil {
		e.cur = next
		next.next()
		// The CPU yielded: it switched (e.switchTo), blocked, finished,
		// or a timer or limit is due.
		e.cur = nil
		if e.err != nil {
			return e.err
		}
		next = e.resume()
	}
	return e.err
}

// seq is a CPU's coroutine body.
func (c *CPU) seq(yield func(struct{}) bool) {
	c.yield = yield
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopUnwind); !ok {
				panic(r)
			}
		}
	}()
	c.body(c)
	c.eng.finish(c)
}

// pending is the CPU the engine resumes next, set by the CPU before it
// yields; nil makes the engine ask again (timers, deadlock, the end).
func (e *Engine) resume() *CPU {
	if e.pendingSet {
		e.pendingSet = false
		if e.pendingCPU != nil && !e.due() {
			return e.pendingCPU
		}
		if e.pendingCPU != nil && e.pendingCPU.state == cpuRunnable {
			e.makeRunnable(e.pendingCPU)
		}
	}
	return e.pick(-1)
}

// due reports whether a timer, the end or the step limit is due: the
// earliest runnable clock has reached the next timer.
func (e *Engine) due() bool {
	if e.cfg.MaxSteps > 0 && e.steps >= e.cfg.MaxSteps {
		return true
	}
	return e.minClock() >= e.nextAt
}

// minClock returns the earliest clock of a runnable CPU (including the
// pending one), or MaxInt64 if none is runnable.
func (e *Engine) minClock() int64 {
	m := int64(math.MaxInt64)
	if e.pendingCPU != nil && e.pendingCPU.state == cpuRunnable {
		m = e.pendingCPU.clock
	}
	if e.timeOrd {
		if len(e.heap) > 0 {
			m = min(m, e.heap[0].clock)
		}
		return m
	}
	for _, id := range e.runnable {
		m = min(m, e.cpus[id].clock)
	}
	return m
}

// pick fires the timers that are due and returns the CPU to run, or nil
// when the run is over (setting e.err for a deadlock or a limit).
func (e *Engine) pick(cur int) *CPU {
	for {
		if e.cfg.MaxSteps > 0 && e.steps >= e.cfg.MaxSteps {
			e.err = ErrStepLimit
			return nil
		}
		if e.nrunnable() == 0 && (e.nspin == 0 || e.nextAt == math.MaxInt64) {
			// Spinning CPUs wait for a write that only a timer can
			// still make; with none left, they spin for ever.
			if e.done < len(e.cpus) {
				e.err = e.deadlock()
			}
			return nil
		}
		m := e.minClock()
		if m >= e.nextAt {
			if e.cfg.Until > 0 && e.nextAt >= e.cfg.Until && (len(e.timers) == 0 || e.timers[0].at > e.cfg.Until) {
				return nil // the end
			}
			t := e.timers.pop()
			e.nextAt = math.MaxInt64
			if len(e.timers) > 0 {
				e.nextAt = e.timers[0].at
			}
			if e.cfg.Until > 0 {
				e.nextAt = min(e.nextAt, e.cfg.Until)
			}
			e.now = max(e.now, t.at)
			t.f()
			continue
		}
		var c *CPU
		if e.timeOrd {
			c = e.heap.pop()
		} else {
			c = e.cpus[e.policy.Next(e.runnable, cur)]
			e.removeRunnable(c)
		}
		return c
	}
}

func (e *Engine) nrunnable() int {
	if e.timeOrd {
		return len(e.heap)
	}
	return len(e.runnable)
}

// makeRunnable puts c among the runnable CPUs the engine may pick.
func (e *Engine) makeRunnable(c *CPU) {
	if e.timeOrd {
		e.heap.push(c)
		return
	}
	i := len(e.runnable)
	for i > 0 && e.runnable[i-1] > c.id {
		i--
	}
	e.runnable = append(e.runnable, 0)
	copy(e.runnable[i+1:], e.runnable[i:])
	e.runnable[i] = c.id
}

func (e *Engine) removeRunnable(c *CPU) {
	for i, id := range e.runnable {
		if id == c.id {
			e.runnable = append(e.runnable[:i], e.runnable[i+1:]...)
			return
		}
	}
}

func (e *Engine) deadlock() error {
	d := &DeadlockError{}
	for _, c := range e.cpus {
		if c.state != cpuBlocked && c.state != cpuSpinning {
			continue
		}
		d.Time = max(d.Time, c.clock)
		s := "nothing known"
		if c.describe != nil {
			s = c.describe()
		}
		if c.state == cpuSpinning {
			s = "spins for ever, " + s
		}
		d.CPUs = append(d.CPUs, fmt.Sprintf("cpu %d %s", c.id, s))
	}
	return d
}

func (e *Engine) finish(c *CPU) {
	c.settle()
	c.state = cpuDone
	e.done++
	e.pendingSet, e.pendingCPU = true, nil
}

// stopAll unwinds every CPU that has not finished.
func (e *Engine) stopAll() {
	for _, c := range e.cpus {
		if c.stop != nil {
			c.stopping = true
			c.stop()
		}
	}
}

// point is a scheduling point of the current CPU c at which it may go on
// running or hand off: with TimeOrder it goes on while its clock is the
// earliest (ties to the lower id) and no timer is due.
func (e *Engine) point(c *CPU) {
	e.steps++
	if e.timeOrd {
		if c.clock < e.nextAt && (e.cfg.MaxSteps == 0 || e.steps < e.cfg.MaxSteps) &&
			(len(e.heap) == 0 || before(c, e.heap[0])) {
			return
		}
		e.heap.push(c)
		e.switchOut(c, nil)
		return
	}
	if e.cfg.Check != nil {
		e.cur = nil
		err := e.cfg.Check()
		e.cur = c
		if err != nil {
			e.err = err
			e.makeRunnable(c)
			e.switchOut(c, nil)
			return
		}
	}
	if c.clock >= e.nextAt || (e.cfg.MaxSteps > 0 && e.steps >= e.cfg.MaxSteps) {
		e.makeRunnable(c)
		e.switchOut(c, nil)
		return
	}
	e.makeRunnable(c)
	n := e.cpus[e.policy.Next(e.runnable, c.id)]
	e.removeRunnable(n)
	if n == c {
		return
	}
	e.switchOut(c, n)
}

// switchOut yields c's coroutine to the engine, which resumes next (or
// picks again if next is nil), and returns when c is picked again.
func (e *Engine) switchOut(c *CPU, next *CPU) {
	e.pendingSet, e.pendingCPU = true, next
	if !c.yield(struct{}{}) || c.stopping {
		c.stopping = true
		panic(stopUnwind{})
	}
}
