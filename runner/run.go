// Package runner runs one cell of the matrix (strategy x workload x threads
// x config) and measures it without disturbing it.
//
// Worker threads are locked to OS threads and pinned to CPUs (GOMAXPROCS is
// raised to the thread count where that exceeds the CPUs, plus one P for
// the runner itself: see harnessProcs), warm up, then
// run a timed window, counted down once every thread has joined it. Each
// counts its operations and samples one latency in 64 in its own
// workloads.Thread, so the hot path writes nothing shared; the runner reads
// the counts once the threads have stopped.
//
// The garbage collector is kept out of the window: the runner collects
// before the warm-up and turns the collector off (debug.SetGCPercent(-1))
// for the cell, with a soft memory limit (debug.SetMemoryLimit) as the only
// trigger, so a writer-heavy cell cannot run the machine out of memory.
// Readers allocate nothing (tested); writers allocate tree nodes, as the
// kernel's maple tree does.
//
// A watchdog polls the threads' progress. A cell where no thread finishes an
// operation for Config.Stall while some thread waits on a lock is reported
// as a deadlock, with what each thread holds and waits for; a cell that
// outruns Config.Timeout is reported as a timeout. In-process, deadlocked
// threads cannot be killed, so RunIsolated runs each cell in a child process
// (the hidden command "vmabench cell", which calls ServeCell) and the next
// cell starts clean.
package runner

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"vmabench/cell"
	"vmabench/internal/machine"
	"vmabench/kernel"
	"vmabench/mm"
	"vmabench/strategies"
	"vmabench/units"
	"vmabench/workloads"
)

// Config is one cell and how to measure it. Its zero value is not a
// configuration: start from DefaultConfig, whose values the comments give.
type Config struct {
	// Strategy and Workload are registry names; they must be set.
	Strategy string
	Workload string
	// Threads is the number of worker threads, 1..workloads.MaxThreads
	// (default 1).
	Threads int
	// Warmup runs before the timed window (default DefaultWarmup); 0
	// means none.
	Warmup time.Duration
	// Duration is the timed window (default 1s); it must be positive.
	Duration time.Duration
	// Timeout bounds the whole cell (default 10s); it must exceed
	// Warmup+Duration.
	Timeout time.Duration
	// Stall is how long no thread may finish an operation, while one
	// waits on a lock, before the cell is declared deadlocked (default
	// 1s); it must be positive. It also bounds the wait for every thread
	// to join the timed window.
	Stall time.Duration
	// Load is the workload configuration (default
	// workloads.DefaultConfig()).
	Load workloads.Config
	// NoPin leaves threads unpinned (they are still locked to OS threads);
	// false, the default, pins each to a CPU.
	NoPin bool
	// FirstCPU is where the threads' pinning starts: thread i goes to the
	// (FirstCPU+i)-th CPU the process may use, modulo their number. 0, the
	// default, puts a one-thread cell on the first CPU, where calib times
	// the kernel's costs; validate runs two one-thread cells side by side,
	// in two processes on two CPUs, with 0 and 1.
	FirstCPU int `json:",omitempty"`
	// Locks turns the attribution of the cell's time to its locks on or
	// off (lock-wait-ns/op and the rest); "" is LocksAuto.
	Locks Locks `json:",omitempty"`
}

// DefaultWarmup is the one warm-up default of every entry point (vmabench
// run, the quick matrix, nightly, validate and go test -bench): 100ms,
// which brings a cell's threads, page tables and VMA cache to their steady
// state (the first faults of each VMA, the writer's first splits) well
// before the window opens. Every result records the warm-up it ran with
// ("warmup:" configuration), and vmabench compare refuses to mix two.
const DefaultWarmup = 100 * time.Millisecond

// DefaultConfig returns the defaults, for one thread.
func DefaultConfig() Config {
	return Config{
		Threads:  1,
		Warmup:   DefaultWarmup,
		Duration: time.Second,
		Timeout:  10 * time.Second,
		Stall:    time.Second,
		Load:     workloads.DefaultConfig(),
	}
}

// Validate checks the configuration without side effects, naming a bad
// value and the valid ones.
func (c Config) Validate() error {
	if _, err := strategies.Get(c.Strategy); err != nil {
		return err
	}
	w, err := workloads.Get(c.Workload)
	if err != nil {
		return err
	}
	switch {
	case c.Threads < 1 || c.Threads > workloads.MaxThreads:
		return fmt.Errorf("threads %d: want 1..%d", c.Threads, workloads.MaxThreads)
	case c.Warmup < 0:
		return fmt.Errorf("warmup %v: must not be negative", c.Warmup)
	case c.Duration <= 0:
		return fmt.Errorf("duration %v: must be positive", c.Duration)
	case c.Stall <= 0:
		return fmt.Errorf("stall %v: must be positive", c.Stall)
	case c.FirstCPU < 0:
		return fmt.Errorf("first CPU %d: must not be negative", c.FirstCPU)
	case c.Timeout <= c.Warmup+c.Duration:
		return fmt.Errorf("timeout %v: must exceed warmup+duration (%v)", c.Timeout, c.Warmup+c.Duration)
	}
	if err := c.Locks.Check(); err != nil {
		return err
	}
	if err := c.Load.Validate(); err != nil {
		return err
	}
	return w.CheckMemory(c.Load, c.Threads, kernel.MemTotal())
}

// Run runs one cell in this process. A cell the workload cannot run at
// c.Threads is returned as skipped. Run returns an error only for a bad
// configuration; a cell that fails, deadlocks or times out is a Result with
// that Status. A deadlocked cell leaves its threads blocked in this process.
func Run(c Config) (Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	sinfo, _ := strategies.Get(c.Strategy)
	winfo, _ := workloads.Get(c.Workload)
	res := Result{
		Cell:   cell.Cell{Workload: c.Workload, Strategy: c.Strategy, Threads: c.Threads, Procs: procsFor(c.Threads)},
		Config: configKVs(c),
		Unsafe: winfo.Unsafe(sinfo, c.Threads),
	}
	if c.Threads < winfo.MinThreads {
		res.Status = StatusSkipped
		res.Detail = fmt.Sprintf("%s needs at least %d threads (readers and a writer)", c.Workload, winfo.MinThreads)
		return res, nil
	}
	if sinfo.Live {
		return runLive(c, res, winfo)
	}

	s := sinfo.New(mm.Config{Pages: c.Load.AddressSpacePages(c.Threads)})
	w := winfo.New(c.Load)
	if err := w.Setup(s.MM(), c.Threads); err != nil {
		res.Status, res.Detail = StatusError, "setup: "+err.Error()
		return res, nil
	}
	ctl := new(workloads.Control)
	ths := make([]*workloads.Thread, c.Threads)
	for i := range ths {
		ths[i] = workloads.NewThread(i, c.Threads, s, c.Load, ctl)
		if c.Locks.For(false) {
			ths[i].EnableLockTime()
		}
	}
	m := measure(c, ctl, ths, w.Run, false)
	res.Status, res.Detail = m.status, m.detail
	if m.status != StatusOK {
		return res, nil
	}
	summarize(&res, winfo, ths, m.elapsed)
	if res.Status == StatusOK {
		addLockTime(&res, winfo, ths)
		addProbes(&res, winfo, ths, m.probes)
	}
	checkIdle(&res, s)
	return res, nil
}

// checkIdle runs the strategy's end-of-run invariants (strategies.Checker)
// once the threads have stopped; each broken one counts as a violation, and
// the first is the result's Detail.
func checkIdle(r *Result, s strategies.Strategy) {
	c, ok := s.(strategies.Checker)
	if !ok {
		return
	}
	if err := c.CheckIdle(); err != nil {
		n := uint64(1)
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			n = uint64(len(j.Unwrap()))
		}
		r.Violations += n
		r.Detail = "at rest: " + err.Error()
	}
}

type measurement struct {
	status  Status
	detail  string
	elapsed time.Duration
	probes  *probes // closed: their figures read
}

// measure starts one pinned goroutine per thread running run, warms up,
// times the window and stops them, under the watchdog.
func measure(c Config, ctl *workloads.Control, ths []*workloads.Thread, run func(*workloads.Thread), live bool) (m measurement) {
	cpus := machine.CPUs()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procsFor(len(ths)) + harnessProcs))
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(softMemoryLimit))

	var ready, done sync.WaitGroup
	start := make(chan struct{})
	finished := make(chan struct{})
	pinErrs := make([]error, len(ths))
	for i, th := range ths {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			th.TID = unix.Gettid()
			if !c.NoPin && len(cpus) > 0 {
				pinErrs[i] = machine.Pin(cpus[(c.FirstCPU+i)%len(cpus)])
			}
			ready.Done()
			<-start
			if pinErrs[i] == nil {
				run(th)
			}
			th.Exited()
		}()
	}
	go func() { done.Wait(); close(finished) }()
	ready.Wait()
	if err := errors.Join(pinErrs...); err != nil {
		ctl.SetPhase(workloads.PhaseStop) // threads that did pin return at once
		close(start)
		<-finished
		return measurement{status: StatusError, detail: "pinning threads: " + err.Error()}
	}
	// The probes count and trace the threads from outside; they are read
	// once every thread has stopped, or abandoned with a stuck cell.
	pr := openProbes(c, ths, live)
	defer func() {
		pr.close()
		m.probes = pr
	}()

	wd := watchdog{ths: ths, stall: c.Stall, deadline: time.Now().Add(c.Timeout), finished: finished}
	warmEnd := time.Now().Add(c.Warmup)
	a0 := heapAllocs()
	close(start)
	if st := wd.watch(time.Now().Add(c.Warmup / 2)); st != "" {
		ctl.SetPhase(workloads.PhaseStop)
		return wd.report(st)
	}
	prefault(heapAllocs()-a0, c.Warmup/2, c.Duration+c.Warmup/2)
	if st := wd.watch(warmEnd); st != "" {
		ctl.SetPhase(workloads.PhaseStop)
		return wd.report(st)
	}
	// The window opens when it is published, and runs for c.Duration
	// from the moment every thread has joined it (noticed it in Running,
	// and reset its counts then): a thread descheduled, or blocked on a
	// lock, when the window opened would otherwise miss it, and a cell
	// whose threads all missed it would time no operation at all. t0 is
	// taken before the wait, not after, so that no operation a thread
	// counted falls outside the window timed: ns/op stays the window's
	// wall time over all threads' operations in it. A thread that has not
	// joined after c.Stall (blocked for good, or starved of a CPU that
	// long) is not waited for further; it counts zero operations, and the
	// watchdog still tells a deadlock from a slow start.
	pr.window()
	ctl.SetPhase(workloads.PhaseMeasure)
	t0 := time.Now()
	if st := wd.join(workloads.PhaseMeasure, t0.Add(c.Stall)); st != "" {
		ctl.SetPhase(workloads.PhaseStop)
		return wd.report(st)
	}
	if st := wd.watch(time.Now().Add(c.Duration)); st != "" {
		ctl.SetPhase(workloads.PhaseStop)
		return wd.report(st)
	}
	ctl.SetPhase(workloads.PhaseStop)
	elapsed := time.Since(t0)
	pr.unwindow()
	if st := wd.watch(time.Time{}); st != "" && st != "finished" {
		return wd.report(st)
	}
	for _, th := range ths {
		if th.Err != nil {
			return measurement{status: StatusError, detail: fmt.Sprintf("thread %d: %v", th.ID, th.Err)}
		}
	}
	return measurement{status: StatusOK, elapsed: elapsed}
}

// procsFor returns the GOMAXPROCS a cell of threads threads runs with: the
// CPU count, or the thread count where that is larger, so every pinned
// worker thread can run Go code at once and the kernel, not Go's scheduler,
// decides who runs, as it does for the threads of a real process.
func procsFor(threads int) int { return max(runtime.NumCPU(), threads) }

// harnessProcs is the P the runner adds to procsFor while a cell runs (the
// cell still reports procsFor, the workers' Ps). Without it, a worker that
// sleeps in a system call (a model thread blocked on a lock in futex(2), a
// live thread blocked on mmap_lock inside mmap(2)) while every other P is
// busy has its P taken by Go's sysmon after 20 µs (retake() keeps it only
// while some P is idle), and on waking must get a P back before it runs: a
// wake-up cost the kernel's schedule() does not have, paid on every
// lock hand-off. Measured on 2 CPUs, lookups-mmap under mmaplock with the
// calibrated work: the writer's rate rose from 26-32k to 65-80k writes/s
// with the spare P, and vmabench validate went from three runs of five with
// every row within tolerance to four in a row.
const harnessProcs = 1

// heapAllocs returns the bytes the process has allocated on the heap so
// far (runtime/metrics' /gc/heap/allocs:bytes).
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// maxPrefault bounds prefault's reserve, well under softMemoryLimit.
const maxPrefault = 1 << 30

// prefault gives the window heap memory the kernel has already faulted
// in, for a cell whose threads allocate: allocated bytes in the time span
// of the warm-up, at that rate for the time ahead (the window and the rest
// of the warm-up), a quarter more. With the collector off, every byte a
// writer's tree nodes take comes from fresh heap otherwise, and each new
// page of it is a page fault of the Go heap: the harness's cost, not the
// design's (10 µs each on a VM whose faults cost that; a model mmap and
// munmap pair took 3.0 µs with them and 1.2 µs without, 60% of its raw
// cost, in one run). Readers allocate nothing, so their cells skip it.
func prefault(allocated uint64, span, ahead time.Duration) {
	if allocated == 0 || span <= 0 {
		return
	}
	n := float64(allocated) * float64(ahead) / float64(span) * 1.25
	if n < 1<<20 {
		return
	}
	WarmHeap(int(min(n, maxPrefault)))
}

// WarmHeap leaves n bytes of free heap whose pages the kernel has faulted
// in, for a loop that allocates with the collector off (a cell's window,
// calib's timing of a model's own costs) to allocate from. It touches a
// ballast of that size a page at a time, in chunks, drops it, and
// collects: the ballast's pages go back to the heap, and the scavenger,
// with the collector off, leaves them there under the soft memory limit.
func WarmHeap(n int) {
	// In chunks, not one block: the page allocator hands out the lowest
	// free pages first, and a heap that earlier cells of this process
	// grew has holes, some given back to the OS, which one block too
	// large for them would leave for the window's objects to fault in.
	const chunk = 64 << 10
	ballast := make([][]byte, 0, n/chunk+1)
	for size := 0; size < n; size += chunk {
		b := make([]byte, chunk)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		ballast = append(ballast, b)
	}
	runtime.KeepAlive(ballast) // live until here, dead for the collection
	runtime.GC()
}

// softMemoryLimit is the heap size at which the collector runs during a cell
// despite being off.
const softMemoryLimit = 4 << 30

// watchdog watches a cell's threads for progress.
type watchdog struct {
	ths        []*workloads.Thread
	stall      time.Duration
	deadline   time.Time
	finished   <-chan struct{}
	last       uint64
	lastChange time.Time
}

const watchEvery = 20 * time.Millisecond

// watch polls until `until` (or, if zero, until the threads finish). It
// returns "" when until came, "finished" when the threads all returned, and
// "deadlock" or "timeout" when the cell is stuck.
func (wd *watchdog) watch(until time.Time) Status {
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	if wd.lastChange.IsZero() {
		wd.lastChange = time.Now()
	}
	for {
		select {
		case <-wd.finished:
			if until.IsZero() {
				return "finished"
			}
			// Threads that stop early stopped on an error; the
			// caller reports it.
			return "finished"
		case now := <-tick.C:
			if st := wd.check(now); st != "" {
				return st
			}
			if !until.IsZero() && !now.Before(until) {
				return ""
			}
		}
	}
}

// check takes one reading of the threads' progress at now and returns
// "deadlock" or "timeout" if the cell is stuck, "" if not.
func (wd *watchdog) check(now time.Time) Status {
	var p uint64
	for _, th := range wd.ths {
		p += th.Task.Progress()
	}
	if p != wd.last {
		wd.last, wd.lastChange = p, now
	}
	if now.Sub(wd.lastChange) >= wd.stall && wd.anyWaiting() {
		return StatusDeadlock
	}
	if now.After(wd.deadline) {
		return StatusTimeout
	}
	return ""
}

// joinEvery is how often join looks whether the threads have joined a
// phase: a running thread joins within one operation, so most waits are
// over at the first look or the next.
const joinEvery = 100 * time.Microsecond

// join waits until every thread has acknowledged phase p (or returned), or
// until `until`, keeping the watchdog's watch meanwhile. It returns "" when
// they have joined or until came with the cell not stuck, "finished" when the threads all
// returned, and "deadlock" or "timeout" when the cell is stuck.
func (wd *watchdog) join(p uint32, until time.Time) Status {
	if wd.lastChange.IsZero() {
		wd.lastChange = time.Now()
	}
	poll := time.NewTicker(joinEvery)
	defer poll.Stop()
	next := time.Now().Add(watchEvery)
	for !wd.joined(p) {
		select {
		case <-wd.finished:
			return "finished"
		case now := <-poll.C:
			if !now.Before(next) {
				next = now.Add(watchEvery)
				if st := wd.check(now); st != "" {
					return st
				}
			}
			if !now.Before(until) {
				return wd.check(now)
			}
		}
	}
	return ""
}

// joined reports whether every thread has acknowledged phase p or a later
// one.
func (wd *watchdog) joined(p uint32) bool {
	for _, th := range wd.ths {
		if th.Acked() < p {
			return false
		}
	}
	return true
}

func (wd *watchdog) anyWaiting() bool {
	for _, th := range wd.ths {
		if _, w := th.Task.LockInfo(); w != 0 {
			return true
		}
	}
	return false
}

// report describes a stuck cell: what each thread holds and waits for, in
// lockdep's words.
func (wd *watchdog) report(st Status) measurement {
	if st == "finished" {
		for _, th := range wd.ths {
			if th.Err != nil {
				return measurement{status: StatusError, detail: fmt.Sprintf("thread %d: %v", th.ID, th.Err)}
			}
		}
		return measurement{status: StatusError, detail: "threads stopped before the window ended"}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no progress for %v", time.Since(wd.lastChange).Round(time.Millisecond))
	for _, th := range wd.ths {
		held, waiting := th.Task.LockInfo()
		fmt.Fprintf(&b, "; thread %d holds %v, waits for %v", th.ID, held, waiting)
	}
	return measurement{status: st, detail: b.String()}
}

// summarize fills the result's counts and metrics from the stopped threads.
// A thread that never noticed the timed window began (it was blocked, or
// starved of a CPU, for all of it) finished no operation in the window, and
// counts as such: what it did before belongs to the warm-up.
//
// A cell that timed no operation at all measured nothing: it becomes an
// error (a status line in the report, as a failed cell is), never an OK
// cell with no operations, which no rate or ns/op could be read from.
func summarize(r *Result, w workloads.Info, ths []*workloads.Thread, elapsed time.Duration) {
	var ops [workloads.NumClasses]uint64
	var st mm.Stats
	var passFaults uint64
	var passNs int64
	joined := 0
	for _, th := range ths {
		if !th.Measured() {
			continue
		}
		joined++
		for c, n := range th.Ops {
			ops[c] += n
		}
		st.Add(th.Stats())
		passFaults, passNs = passFaults+th.PassFaults, passNs+th.PassNs
	}
	for _, n := range ops {
		r.Ops += n
	}
	r.Elapsed = elapsed
	if r.Ops == 0 {
		r.Status = StatusError
		r.Detail = fmt.Sprintf(starvedDetail+"no operation finished in the timed window (%d of %d threads joined it)", joined, len(ths))
		return
	}
	r.Violations = st.Violations
	sec := elapsed.Seconds()
	reader := ops[w.Reader]
	per := func(n uint64) float64 {
		if reader == 0 {
			return 0
		}
		return float64(n) / float64(reader)
	}
	add := func(v float64, unit string) { r.Metrics = append(r.Metrics, Metric{Value: v, Unit: unit}) }
	add(float64(reader)/sec, units.ReaderRate(w.Reader.String()))
	if w.Reader != workloads.ClassWrite && (w.Writer) {
		add(float64(ops[workloads.ClassWrite])/sec, units.WritesPerS)
	}
	add(per(st.VMALockAbort), units.Fallbacks)
	add(per(st.VMALockRetry), units.Retries)
	add(per(st.VMALockMiss), units.Misses)
	q := quantiles(ths, w.Reader, 50, 99, 99.9)
	add(q[0], units.P50)
	add(q[1], units.P99)
	add(q[2], units.P999)
	if w.Writer && w.Reader != workloads.ClassWrite {
		add(quantiles(ths, workloads.ClassWrite, 99)[0], units.WriterP99)
		addSleeps(r, w, ths, ops)
	}
	// The page faults per reader operation, for a model the faults that
	// mapped a page (mm.Stats.Faults), for the kernel the minor faults
	// getrusage() counts: a touch of a present page takes none on either
	// side, so the two read side by side.
	add(per(st.Faults), units.FaultsPerOp)
	if passNs > 0 {
		add(float64(passFaults)/(float64(passNs)/1e9), units.PassFaults)
	}
}

// addSleeps adds the sleeps per operation of a cell with readers and a
// writer: each side's voluntary context switches (the live kernel's
// threads in rwsem_down_*_slowpath()'s schedule(), a model's in futex(2)),
// and, for a model, its rwsem's spin timeouts and steals (the lock events
// rwsem_opt_nospin, rwsem_rlock_steal). They say how a writer's time beside
// readers is spent, which a rate alone does not: see "How far to trust the
// model" in the README.
func addSleeps(r *Result, w workloads.Info, ths []*workloads.Thread, ops [workloads.NumClasses]uint64) {
	var rsleep, wsleep uint64
	var lk mm.LockEvents
	for _, th := range ths {
		if !th.Measured() {
			continue
		}
		if !th.Sched.OK {
			return
		}
		if th.Ops[workloads.ClassWrite] > 0 && th.Ops[w.Reader] == 0 {
			wsleep += th.Sched.Voluntary
		} else {
			rsleep += th.Sched.Voluntary
		}
		lk.Add(th.Stats().Lock)
	}
	rops, wops := ops[w.Reader], ops[workloads.ClassWrite]
	if rops == 0 || wops == 0 {
		return
	}
	add := func(v float64, unit string) { r.Metrics = append(r.Metrics, Metric{Value: v, Unit: unit}) }
	add(float64(rsleep)/float64(rops), units.ReaderSleeps)
	add(float64(wsleep)/float64(wops), units.WriterSleeps)
	if ths[0].Strategy != nil { // a model: the live kernel's lock events are not visible
		add(float64(lk.OptNospin)/float64(wops), units.WriterSpinTimeouts)
		add(float64(lk.RlockSteal)/float64(rops), units.ReaderSteals)
	}
}

// quantiles merges the threads' samples of class c and returns the given
// percentiles in ns (NaN-free: 0 with no samples).
func quantiles(ths []*workloads.Thread, c workloads.Class, ps ...float64) []float64 {
	h := ths[0].Lat[c].Clone()
	h.Reset()
	for _, th := range ths {
		if th.Measured() {
			h.Merge(th.Lat[c])
		}
	}
	out := make([]float64, len(ps))
	if h.TotalCount() == 0 {
		return out
	}
	for i, p := range ps {
		out[i] = float64(h.ValueAtQuantile(p))
		if math.IsNaN(out[i]) {
			out[i] = 0
		}
	}
	return out
}

// configKVs returns the cell's configuration lines: the workload knobs and
// the window, the same keys for every workload.
func configKVs(c Config) []cell.KV {
	kvs := append(c.Load.Pairs(), cell.KV{Key: "duration", Value: c.Duration.String()}, cell.KV{Key: "warmup", Value: c.Warmup.String()})
	if c.FirstCPU > 0 {
		kvs = append(kvs, cell.KV{Key: "first-cpu", Value: strconv.Itoa(c.FirstCPU)})
	}
	return kvs
}
