package workloads

import (
	"math/rand/v2"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/sys/cpu"

	"vmabench/mm"
	"vmabench/strategies"
)

// Class is a kind of operation, counted and timed apart.
type Class uint8

// Operation classes.
const (
	ClassFault  Class = iota // a page fault
	ClassLookup              // a Lookup held and released (a maps walk is one)
	ClassWrite               // an address-space change
	NumClasses
)

func (c Class) String() string {
	return [...]string{"fault", "lookup", "write"}[c]
}

// Phases of a run, published by the runner in Control.
const (
	PhaseWarmup uint32 = iota
	PhaseMeasure
	PhaseStop
)

// Control is what the runner shares with every thread: one word, written
// twice per run and read once per operation, so it stays in every core's
// cache.
type Control struct {
	_     cpu.CacheLinePad
	phase mm.Uint32
	_     cpu.CacheLinePad
}

// SetPhase publishes a phase: Warmup -> Measure -> Stop.
func (c *Control) SetPhase(p uint32) { c.phase.Store(p) }

// SampleEvery is how often an operation is timed: one in 64 on average, at
// random gaps (Thread.gap), so reading the clock costs under a nanosecond
// per operation.
const SampleEvery = 64

// Latency histogram range: 1 ns to 100 s, 3 significant figures.
const (
	latMin = 1
	latMax = 100e9
)

// nanotime is a monotonic clock reading in ns: mm's clock, so that a
// projection measures latencies in virtual time.
func nanotime() int64 { return mm.Now() }

// Thread is one worker thread's state: its Task, its own RNG, and its counts
// and latency samples. Only its own thread writes it while the run lasts;
// the pads keep it off other threads' cache lines.
type Thread struct {
	_ cpu.CacheLinePad

	ID, Threads int
	// TID is the OS thread the thread runs on (gettid()), set by the
	// runner once it has locked it, for probes that count or trace it
	// from outside; 0 until then.
	TID      int
	Task     *mm.Task
	Strategy strategies.Strategy
	Rand     *rand.Rand

	ctl   *Control
	phase uint32
	n     uint64
	// sampleAt is the count n at which the next timed operation falls,
	// and sampleRNG the state of the generator that draws the gaps to it
	// (gap); it is the thread's own, not Rand, so that sampling leaves a
	// workload's random choices as they were.
	sampleAt  uint64
	sampleRNG uint64
	// locks turns on the timing of the lock waits and holds of sampled
	// operations (mm.LockTime); see EnableLockTime.
	locks bool

	// Ops are the operations done in the measured phase, per class.
	Ops [NumClasses]uint64
	// Lat are the sampled latencies of the measured phase, in ns.
	Lat [NumClasses]*hdr.Histogram
	// PassFaults and PassNs are the faults and the wall time, first
	// start to last end, of the whole passes of the measured phase that
	// this thread ended as the last to arrive (pft: the peer's own
	// fault/wsec, without the remap between passes).
	PassFaults uint64
	PassNs     int64
	// Base holds the Task's counters when the measured phase began.
	Base mm.Stats
	// Err is the error that stopped the thread, if any.
	Err error
	// Sched is what the OS scheduler did with the thread in the measured
	// phase; schedBase is its reading when the phase began.
	Sched     SchedStats
	schedBase SchedStats

	// ack is the last phase the thread noticed (PhaseStop once it has
	// returned), for the runner, which waits until every thread has
	// joined the timed window before it times it. The thread writes it
	// once per phase change, the runner reads it while it waits: it has
	// a cache line of its own, so the runner's reads never touch the
	// line of the counts above.
	_   cpu.CacheLinePad
	ack mm.Uint32

	_ cpu.CacheLinePad
}

// NewThread returns thread id of threads, running on s with cfg and ctl.
// A nil s makes a thread of the live kernel (a Live workload's): its Task
// has no MM and does no fault work, since the kernel does the faults, and
// serves only for the counters and the watchdog's progress.
func NewThread(id, threads int, s strategies.Strategy, cfg Config, ctl *Control) *Thread {
	var m *mm.MM
	work := 0
	if s != nil {
		m, work = s.MM(), cfg.FaultWork
	}
	th := &Thread{
		ID: id, Threads: threads, Strategy: s, ctl: ctl,
		Task: mm.NewTask(m, id, work),
		Rand: rand.New(rand.NewPCG(cfg.Seed, uint64(id))),
		// A stream of its own per thread: the golden ratio's odd
		// constant keeps the seeds of threads 0, 1, ... far apart.
		sampleRNG: cfg.Seed ^ (uint64(id)+1)*0x9e3779b97f4a7c15,
	}
	th.sampleAt = th.gap(SampleEvery)
	if s != nil {
		th.Task.Work = cfg.Work.Spins()
	}
	for c := range th.Lat {
		th.Lat[c] = hdr.New(latMin, latMax, 3)
	}
	return th
}

// Running reports whether the thread should go on. It notices the start of
// the measured phase, resets the thread's counts then and acknowledges the
// phase (Acked). The hot path is one load and a compare, inlined into the
// workloads' loops; the rest is in enter, called once per phase change.
func (th *Thread) Running() bool {
	p := th.ctl.phase.Load()
	return p == th.phase || th.enter(p)
}

// enter is Running's work on a change to phase p: it reports whether the
// thread goes on. It is kept out of line so that Running stays small
// enough to inline.
//
//go:noinline
func (th *Thread) enter(p uint32) bool {
	if p == PhaseStop {
		if th.phase == PhaseMeasure && th.schedBase.OK {
			th.Sched = readSchedStats().Sub(th.schedBase)
			th.schedBase.OK = false
		}
		return false
	}
	th.phase = p
	th.Ops = [NumClasses]uint64{}
	th.PassFaults, th.PassNs = 0, 0
	for _, h := range th.Lat {
		h.Reset()
	}
	th.Base = th.Task.Stats
	th.Task.ResetLockTime()
	if p == PhaseMeasure {
		th.schedBase = readSchedStats()
	}
	th.ack.Store(p)
	return true
}

// Acked returns the last phase the thread noticed in Running: PhaseWarmup
// until it sees PhaseMeasure, and PhaseStop once Exited. Any goroutine may
// call it while the thread runs.
func (th *Thread) Acked() uint32 { return th.ack.Load() }

// Exited marks the thread as returned from its loop, for whoever waits on
// Acked: a thread that stopped (on an error) joins no further phase, and
// must not be waited for. The runner calls it when the loop returns.
func (th *Thread) Exited() { th.ack.Store(PhaseStop) }

// Begin starts a cheap operation (a fault): it returns a clock reading for
// one operation in SampleEvery on average, and 0 for the others.
func (th *Thread) Begin() int64 { return th.begin(SampleEvery) }

// begin counts an operation and, if it is the next one to time, draws the
// gap to the one after (mean operations on average), turns lock timing on
// for it with weight mean and returns a clock reading; else 0. Begin and
// BeginSlow are it with their means.
func (th *Thread) begin(mean uint64) int64 {
	th.n++
	if th.n < th.sampleAt {
		return 0
	}
	th.sampleAt = th.n + th.gap(mean)
	th.timeLocks(int64(mean))
	return nanotime()
}

// gap draws the number of operations from one timed operation to the
// next: uniform on 1 .. 2*mean-1, so one in mean is timed on average and
// each stands for mean (the weight timeLocks gives it), an unbiased
// estimate of the whole. A fixed period would alias with the workloads'
// own cycles: every 4th write of a writer that alternates mmap and munmap
// is a munmap, and every 64th fault of a 64-page faults pass is the same
// page, so until 2026-12-06 a lookups-mmap writer's lock figures were its
// munmaps' alone (its lock wait per write read 1.1 to 1.3 times its whole
// time per write on a 2-CPU VM). Gaps of 1 and 2 make the walk aperiodic,
// so the timed operations spread evenly over any cycle. The generator is
// splitmix64, seeded per thread: deterministic, and a few ns per sample.
func (th *Thread) gap(mean uint64) uint64 {
	th.sampleRNG += 0x9e3779b97f4a7c15
	z := th.sampleRNG
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return 1 + z%(2*mean-1)
}

// EnableLockTime makes the thread time the lock waits and holds of the
// operations it samples (mm.LockTime), each standing for the operations it
// samples for: SampleEvery of Begin's, SlowSampleEvery of BeginSlow's. A model
// thread's locks only: the live kernel's are traced outside the process.
func (th *Thread) EnableLockTime() {
	th.locks = true
	th.Task.EnableLockTime()
}

// LockTimed reports whether EnableLockTime was called.
func (th *Thread) LockTimed() bool { return th.locks }

// timeLocks turns the Task's lock timing on with weight w, or off with 0,
// if the thread times its locks.
func (th *Thread) timeLocks(w int64) {
	if th.locks {
		th.Task.TimeLocks(w)
	}
}

// BeginSlow starts an operation that takes microseconds (a write, a maps
// walk): it returns a clock reading for one operation in SlowSampleEvery
// on average (gap), whose locks it times too, and 0 for the others. One in
// four leaves a 1 s window of a 50k/s writer 12k latency samples, and keeps
// the clock
// off the rest: on a machine whose every system call flushes the TLB, the
// clock's pages and the histogram's are page walks after each call (the
// live mmap1 cell ran 3.6% faster with its pairs sampled, on the 2-CPU VM
// this was measured on).
func (th *Thread) BeginSlow() int64 { return th.begin(SlowSampleEvery) }

// SlowSampleEvery is how often BeginSlow times an operation on average
// (Thread.gap), its latency and its locks (mm.LockTime): the three or more
// clock reads a write's lock steps take then cost it under 1%.
const SlowSampleEvery = 4

// End finishes an operation of class c begun at start.
//
// Only timed operations publish progress for the watchdog: the atomic store
// costs a locked instruction, too much to pay on every fault.
func (th *Thread) End(c Class, start int64) {
	th.Ops[c]++
	if start != 0 {
		_ = th.Lat[c].RecordValue(max(nanotime()-start, latMin))
		th.Task.SetProgress(th.n)
		th.timeLocks(0)
	}
}

// nextSampled returns the index, among the thread's next operations, of the
// first one Begin would time: a loop of cheap operations that counts them
// itself times that one and each one nextGap after it (Sample), and
// tells CountSampled where it stopped, and so takes the same samples as
// Begin and End at no cost per operation.
func (th *Thread) nextSampled() int { return int(th.sampleAt - th.n - 1) }

// nextGap is the distance from one operation a loop of cheap operations
// times to the next (see nextSampled).
func (th *Thread) nextGap() int { return int(th.gap(SampleEvery)) }

// Sample records the latency of a timed operation of class c begun at start,
// without counting it (Count does).
func (th *Thread) Sample(c Class, start int64) {
	_ = th.Lat[c].RecordValue(max(nanotime()-start, latMin))
	th.Task.SetProgress(th.n)
	th.timeLocks(0)
}

// sampleStart begins the operation a loop of cheap operations times (see
// nextSampled): a clock reading, with lock timing on for it.
func (th *Thread) sampleStart() int64 {
	th.timeLocks(SampleEvery)
	return nanotime()
}

// Count counts n finished operations of class c.
func (th *Thread) Count(c Class, n int) {
	th.n += uint64(n)
	th.Ops[c] += uint64(n)
}

// CountSampled is Count for a loop of cheap operations that sampled them
// itself (nextSampled): next is the index, from the loop's first
// operation, of the next one to time, which may lie beyond the n done.
func (th *Thread) CountSampled(c Class, n, next int) {
	th.sampleAt = th.n + uint64(next) + 1
	th.Count(c, n)
}

// Fail records err and stops the thread's loop (Run returns).
func (th *Thread) Fail(err error) { th.Err = err }

// Measured reports whether the thread's counts are from the measured phase.
func (th *Thread) Measured() bool { return th.phase == PhaseMeasure }

// Stats returns the Task's counters for the measured phase.
func (th *Thread) Stats() mm.Stats { return th.Task.Stats.Sub(th.Base) }

// pause sleeps for d between a writer's changes, if d is set.
func pause(d time.Duration) {
	mm.Sleep(int64(d))
}
