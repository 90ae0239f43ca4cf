// Package project runs a cell, a strategy under a workload at a thread
// count, on virtual CPUs in virtual time (package sim), on a machine
// described by a Target: the projection of the cell onto a machine this one
// is not. The strategy and workload code is the same that package runner
// runs on real threads; the shared words it touches (package mm's types)
// are scheduling points charged by sim's Coherence model from their
// addresses, its calibrated work advances the virtual clock instead of
// running, and its sleeps block virtual CPUs. Under sim.TimeOrder the
// result depends on the target and the seed only, not on this host.
//
// A projection produces runner's Result, with the same cell names and
// metrics, so report writes it as it writes a run; its configuration lines
// say "mode: projected", the target's name and every cost it used.
package project

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"vmabench/cell"
	"vmabench/mm"
	"vmabench/runner"
	"vmabench/sim"
	"vmabench/strategies"
	"vmabench/workloads"
)

// Target is the machine a projection runs on: its coherence costs and
// shape, the kernel's work per operation there, and the configuration
// lines that name both.
type Target struct {
	// Name names the target on the configuration lines: a built-in
	// profile's name (xeon-16) or the profile file's path.
	Name string
	// Costs are the machine's coherence costs and its CPU and socket
	// counts.
	Costs sim.Costs
	// Work is the kernel's work beside the model's own steps, at
	// mm.ProjectionRate (one iteration per ns); zero for raw lock costs.
	Work mm.Work
	// Spread is how much that work varies from one piece to the next
	// (sim.WorkSpread); zero charges every piece its mean.
	Spread sim.WorkSpread
	// Pairs are the configuration lines of the target's costs, as the
	// profile gives them.
	Pairs []cell.KV
}

// Config is one projected cell.
type Config struct {
	Strategy string
	Workload string
	// Threads is the number of model threads, each on a virtual CPU of
	// its own: at most Target.Costs.CPUs.
	Threads int
	// Warmup is the virtual time before the timed window; Duration is
	// the window's, as the runner's flags of the same name but virtual.
	Warmup   time.Duration
	Duration time.Duration
	// Load is the workload's configuration; its Work is the Target's.
	Load   workloads.Config
	Target Target
	// Rep is the cell's repetition, from 0. Repetition r draws every
	// random choice (the threads' generators, the work's spread, the
	// wake-ups') with seed Load.Seed+r, so that -count repetitions of a
	// projection differ as much as the projection's own draws make them,
	// as a real run's do, and each still repeats byte for byte. Its
	// configuration lines name Load.Seed, the same for every repetition.
	Rep int `json:",omitempty"`
	// Locks turns lock attribution (lock-wait-ns/op and the rest) on or
	// off, as in a real model cell; "" is auto, on. Its clock is virtual,
	// so attribution costs a projection's figures nothing.
	Locks runner.Locks
	// Lines, if positive, adds to the result's notes the Lines call sites
	// whose accesses cost the most line transfers, with each one's share of
	// the virtual CPUs' time (see siteModel): where a projection's time
	// goes. It costs the projection a stack walk per transfer.
	Lines int `json:",omitempty"`
	// RunSpins runs every iteration of the spin loops that only look
	// (sim.Config.RunSpins), where the engine would skip those in which
	// nothing they read is written: the slow reference, whose results
	// are the same point for point.
	RunSpins bool `json:",omitempty"`
}

// DefaultConfig returns a projection of 2 ms warm-up and 20 ms timed window
// of virtual time: a few thousand operations per thread of the slowest
// workloads, which the runner's real windows (200 ms and 1 s) exceed only
// because a real machine is noisy and a projection is not.
func DefaultConfig() Config {
	return Config{
		Threads:  1,
		Warmup:   2 * time.Millisecond,
		Duration: 20 * time.Millisecond,
		Load:     workloads.DefaultConfig(),
	}
}

// ErrTooManyThreads is a thread count beyond the target's CPUs: each model
// thread is a virtual CPU of its own.
var ErrTooManyThreads = errors.New("more threads than the target has CPUs")

// Validate reports a configuration Run cannot run.
func (c Config) Validate() error {
	if _, err := strategies.Get(c.Strategy); err != nil {
		return err
	}
	if _, err := workloads.Get(c.Workload); err != nil {
		return err
	}
	if err := c.Target.Costs.Validate(); err != nil {
		return fmt.Errorf("target %s: %w", c.Target.Name, err)
	}
	if err := c.Target.Spread.Valid(); err != nil {
		return fmt.Errorf("target %s: %w", c.Target.Name, err)
	}
	switch {
	case c.Threads < 1 || c.Threads > workloads.MaxThreads:
		return fmt.Errorf("threads %d: want 1..%d", c.Threads, workloads.MaxThreads)
	case c.Threads > c.Target.Costs.CPUs:
		return fmt.Errorf("%w: threads %d, target %s has %d CPUs", ErrTooManyThreads, c.Threads, c.Target.Name, c.Target.Costs.CPUs)
	case c.Warmup < 0:
		return fmt.Errorf("warmup %v: must not be negative", c.Warmup)
	case c.Duration <= 0:
		return fmt.Errorf("duration %v: must be positive", c.Duration)
	case c.Rep < 0:
		return fmt.Errorf("repetition %d: must not be negative", c.Rep)
	}
	return c.Load.Validate()
}

// Pairs returns the configuration lines of a projected cell: the
// workload's, the virtual window, "mode: projected", the target and every
// cost the projection used.
func (c Config) Pairs() []cell.KV {
	rc := runner.Config{Load: c.Load, Duration: c.Duration, Warmup: c.Warmup, Locks: c.Locks}
	rc.Load.Calibration = nil
	kv := runner.ConfigKVs(rc)
	// The calibration lines are the target's.
	out := make([]cell.KV, 0, len(kv)+len(c.Target.Pairs)+2)
	for _, p := range kv {
		if p.Key != "calibration" {
			out = append(out, p)
		}
	}
	out = append(out, cell.KV{Key: "mode", Value: "projected"}, cell.KV{Key: "target", Value: c.Target.Name})
	return append(out, c.Target.Pairs...)
}

// Stats are what the engine did in a projection, for the progress line and
// the speed benchmark.
type Stats struct {
	Events uint64        // scheduling points
	Elided uint64        // spin-loop iterations skipped (sim.SpinRelax)
	Wall   time.Duration // host time the engine ran
	// GCs is how many times the projection had to collect (collector);
	// Allocated the bytes it allocated.
	GCs       int
	Allocated uint64
}

// Run projects one cell. As runner.Run, a cell that cannot run (too few
// threads for its workload; the live kernel, which has no model to
// project) comes back with StatusSkipped, a deadlock in virtual time with
// StatusDeadlock and what each virtual CPU's thread holds and waits for;
// errors are for configurations that do not validate.
func Run(c Config) (runner.Result, Stats, error) {
	if err := c.Validate(); err != nil {
		return runner.Result{}, Stats{}, err
	}
	sinfo, _ := strategies.Get(c.Strategy)
	winfo, _ := workloads.Get(c.Workload)
	res := runner.Result{
		Cell:   cell.Cell{Workload: c.Workload, Strategy: c.Strategy, Threads: c.Threads, Procs: max(c.Target.Costs.CPUs, c.Threads)},
		Config: c.Pairs(),
		Unsafe: winfo.Unsafe(sinfo, c.Threads),
	}
	switch {
	case c.Threads < winfo.MinThreads:
		res.Status = runner.StatusSkipped
		res.Detail = fmt.Sprintf("%s needs at least %d threads (readers and a writer)", c.Workload, winfo.MinThreads)
		return res, Stats{}, nil
	case sinfo.Live:
		res.Status = runner.StatusSkipped
		res.Detail = "the live kernel has no model to project"
		return res, Stats{}, nil
	}
	load := c.Load
	load.Seed += uint64(c.Rep)
	load.Work = c.Target.Work
	load.Work.IterPerNs = mm.ProjectionRate
	s := sinfo.New(mm.Config{Pages: load.AddressSpacePages(c.Threads)})
	w := winfo.New(load)
	if err := w.Setup(s.MM(), c.Threads); err != nil {
		res.Status, res.Detail = runner.StatusError, "setup: "+err.Error()
		return res, Stats{}, nil
	}
	ctl := new(workloads.Control)
	ths := make([]*workloads.Thread, c.Threads)
	for i := range ths {
		ths[i] = workloads.NewThread(i, c.Threads, s, load, ctl)
		if c.Locks.For(false) {
			ths[i].EnableLockTime()
		}
	}

	warm := c.Warmup.Nanoseconds() * 1000
	end := warm + c.Duration.Nanoseconds()*1000
	// The threads run until the harness stops them at the window's end,
	// then finish the operation in hand and return, as in a real run, so
	// the strategy's at-rest check holds.
	var model sim.Model = sim.NewCoherence(c.Target.Costs, load.Seed)
	var sites *siteModel
	if c.Lines > 0 {
		sites = newSiteModel(model, c.Target.Costs.Hit)
		model = sites
	}
	e := sim.New(sim.Config{Model: model, RunSpins: c.RunSpins, Work: c.Target.Spread.Func(load.Seed)})
	for _, th := range ths {
		th.Task.SetCPU(e.Go(func(*sim.CPU) { w.Run(th) }))
	}
	e.At(warm, func() { ctl.SetPhase(workloads.PhaseMeasure) })
	e.At(end, func() { ctl.SetPhase(workloads.PhaseStop) })

	// The collector is off for the run (collector), as it is in a real
	// run's window. The coherence model charges lines by the real
	// addresses of the model's objects, and freed memory may come back at
	// an address whose line it remembers as held by another CPU (a stale
	// owner, charged one transfer, as a reused slab object's line is in
	// the kernel), where a fresh line is the allocating CPU's (a hit). So
	// when memory is freed and handed out again decides what lines cost, and a collector paced by the host made the same
	// flags give other figures: page_fault1 under mmaplock at 8 threads
	// on xeon-16 (500 ms) read 4.15M, 4.23M, 4.27M and 4.42M faults/s in
	// four runs, and 4.09M three times with the collector off; a
	// collection at fixed points of virtual time did not help (its sweep
	// hands spans back in an order of the host's).
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	gc := newCollector()
	gc.arm(e, end)
	t0 := time.Now()
	err := e.Run()
	st := Stats{Events: e.Steps(), Elided: e.Elided(), Wall: time.Since(t0), GCs: gc.runs, Allocated: gc.allocated()}
	var dl *sim.DeadlockError
	switch {
	case errors.As(err, &dl):
		res.Status, res.Detail = runner.StatusDeadlock, dl.Error()
		return res, st, nil
	case err != nil:
		res.Status, res.Detail = runner.StatusError, err.Error()
		return res, st, nil
	}
	for _, th := range ths {
		if th.Err != nil {
			res.Status, res.Detail = runner.StatusError, fmt.Sprintf("thread %d: %v", th.ID, th.Err)
			return res, st, nil
		}
	}
	res.Status = runner.StatusOK
	if st.GCs > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf(
			"the projection collected the Go heap %d times (%d MiB allocated): the lines of the objects allocated after a collection depend on the order its sweep returned memory in, so these figures may differ from another run's of the same flags",
			st.GCs, st.Allocated>>20))
	}
	if sites != nil {
		var cpuTime int64
		for _, cpu := range e.CPUs() {
			cpuTime += cpu.Clock()
		}
		res.Notes = append(res.Notes, sites.notes(c.Lines, cpuTime)...)
	}
	runner.Summarize(&res, winfo, ths, c.Duration)
	if n := passFaults(winfo, c.Load); n > 0 && res.Status == runner.StatusOK {
		if per := res.Ops / uint64(c.Threads); per < n {
			need := time.Duration(float64(c.Duration) * float64(n) / float64(max(per, 1)))
			res.Notes = append(res.Notes, fmt.Sprintf(shortWindowNote, per, n, ceilDuration(need)))
		}
	}
	if res.Status == runner.StatusOK {
		runner.AddLockTime(&res, winfo, ths)
		runner.CheckIdle(&res, s)
	}
	return res, st, nil
}

// shortWindowNote is the note of a fault shape's cell whose window held
// less than one pass a thread; ShortWindows reads its -duration back.
const shortWindowNote = "the window held %d faults a thread, less than one pass of %d (-size): its munmap and mmap, which the designs part on, are in it once at most, so the rate is mostly the faults'; a -duration of %v or more holds a pass, several hold the shape"

var shortWindowNeed = regexp.MustCompile(`less than one pass of \d+ \(-size\).* a -duration of (\S+) or more holds a pass`)

// ceilDuration rounds d up to a millisecond, or to a microsecond below
// one, so that "a -duration of d or more" is never short of what it says.
func ceilDuration(d time.Duration) time.Duration {
	u := time.Millisecond
	if d < u {
		u = time.Microsecond
	}
	return (d + u - 1) / u * u
}

// ShortWindows reports how many of rs carry the note that their window
// held less than one pass of their shape, and the longest -duration those
// notes name, so that a caller that prints only a table (vmabench project
// -o) can say so beside it: the notes are in the file, where a reader of
// the table alone would not see them.
func ShortWindows(rs []runner.Result) (n int, need time.Duration) {
	for _, r := range rs {
		for _, note := range r.Notes {
			m := shortWindowNeed.FindStringSubmatch(note)
			if m == nil {
				continue
			}
			n++
			if d, err := time.ParseDuration(m[1]); err == nil {
				need = max(need, d)
			}
			break
		}
	}
	return n, need
}

// passFaults is the faults in one thread's pass of a field's fault shape
// (page_fault1-3: its mapping; pft: its part of the shared one), after
// which it unmaps and maps again; 0 for other workloads. A window of
// fewer than that many faults a thread leaves out what the designs part
// on: the default 20 ms of virtual time holds about half of
// page_fault1's 32768-fault pass at 800k faults/s a thread, and on
// xeon-16 copied to 64 CPUs vmarefcnt read 25.2M faults/s at 32 threads
// in such a window, 10.6M in 150 ms.
func passFaults(w workloads.Info, cfg workloads.Config) uint64 {
	if w.Peer == "" || w.Reader != workloads.ClassFault {
		return 0
	}
	return cfg.Size / mm.PageSize
}

// collector keeps the Go heap from growing without bound while the pacer
// is off for a projection: every gcEvery of virtual time it looks at the
// bytes allocated since the last collection, and collects (runtime.GC)
// past gcMinBytes or the heap live after it, whichever is more. A
// projection of the field's shapes allocates about 100 MiB in a 750 ms
// window of 16 threads on xeon-16, so it never collects there, and its
// figures repeat byte for byte; one that does collect says so in a note,
// since past a collection they may not.
type collector struct {
	s     []metrics.Sample
	start uint64 // bytes allocated in all when the run began
	last  uint64 // ... at the last collection
	runs  int
}

// gcEvery is how often, in ps of virtual time, the collector looks.
const gcEvery = 1_000_000_000

// gcMinBytes is the least allocation between two collections.
var gcMinBytes uint64 = 1 << 30

func newCollector() *collector {
	c := &collector{s: []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/live:bytes"}}}
	metrics.Read(c.s)
	c.start = c.s[0].Value.Uint64()
	c.last = c.start
	return c
}

// arm has e call the collector every gcEvery of virtual time until end;
// none after, so that a deadlock of spinning CPUs, which only a timer
// could end, is still found once the window is over.
func (c *collector) arm(e *sim.Engine, end int64) {
	var look func(at int64)
	look = func(at int64) {
		if at >= end {
			return
		}
		e.At(at, func() {
			c.look()
			look(at + gcEvery)
		})
	}
	look(gcEvery)
}

// look collects if enough was allocated since the last collection.
func (c *collector) look() {
	metrics.Read(c.s)
	allocs, live := c.s[0].Value.Uint64(), c.s[1].Value.Uint64()
	if allocs-c.last < max(gcMinBytes, live) {
		return
	}
	runtime.GC()
	c.runs++
	metrics.Read(c.s)
	c.last = c.s[0].Value.Uint64()
}

// allocated returns the bytes allocated since the run began.
func (c *collector) allocated() uint64 {
	metrics.Read(c.s)
	return c.s[0].Value.Uint64() - c.start
}
