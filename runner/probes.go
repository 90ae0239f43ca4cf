package runner

import (
	"fmt"
	"math"
	"slices"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"vmabench/cell"
	"vmabench/locktrace"
	"vmabench/mm"
	"vmabench/perfcount"
	"vmabench/units"
	"vmabench/workloads"
)

// Locks says whether a cell attributes its time to its locks: a model cell
// times its own locks' waits and holds on sampled operations
// (mm.LockTime), a kernel cell traces the kernel's mmap_lock tracepoints
// (package locktrace).
type Locks string

// The values of Config.Locks and -locks. The zero value is LocksAuto.
const (
	LocksAuto Locks = "auto" // on where it costs a cell's throughput under 5% (see autoLocks)
	LocksOn   Locks = "on"
	LocksOff  Locks = "off"
)

// LockModes lists the valid values of -locks.
var LockModes = []Locks{LocksAuto, LocksOn, LocksOff}

// autoLocks is what LocksAuto means for model and for kernel cells, set
// from BenchmarkLockOverhead (bench_test.go): the ratio of a cell's
// throughput with attribution on to off. See the README's "Reading the
// results".
var autoLocks = struct{ model, kernel bool }{model: true, kernel: false}

// Check returns an error naming a bad value and the valid ones.
func (l Locks) Check() error {
	switch l {
	case "", LocksAuto, LocksOn, LocksOff:
		return nil
	}
	return fmt.Errorf("locks %q: want one of %v", string(l), LockModes)
}

// For reports whether a cell of a model (live false) or of the live kernel
// attributes its locks under l.
func (l Locks) For(live bool) bool {
	switch l {
	case LocksOn:
		return true
	case LocksOff:
		return false
	}
	if live {
		return autoLocks.kernel
	}
	return autoLocks.model
}

// KV returns the results file's header line for l, "lock-attribution":
// what the run asked for and, for auto, what that meant for each kind of
// cell, so that a file without lock units says why (off) rather than
// leaving the reader to guess. It is one line for the whole file, never a
// cell's configuration, so that benchstat does not split the kernel's
// cells from the models' over it.
func (l Locks) KV() cell.KV {
	v := string(l)
	switch l {
	case "", LocksAuto:
		on := func(b bool) string {
			if b {
				return "on"
			}
			return "off"
		}
		v = fmt.Sprintf("auto (%s for model cells, %s for kernel cells)", on(autoLocks.model), on(autoLocks.kernel))
	}
	return cell.KV{Key: "lock-attribution", Value: v}
}

// LockFacts returns the header lines that say what a results file's lock
// and counter units can come from on this machine: "lock-trace" (the
// kernel's mmap_lock tracepoints, or why not) and "perf-counters" (which
// perf_event_open counters count, and why others do not). They are the
// machine's, the same for every cell, so they never split benchstat's
// tables; a unit a cell lacks for them is absent, never 0.
//
// The machine is probed once a process, so every file one process writes
// (nightly's night and its report, a run and its comparison) says the
// same of it, even where a probe can fail once and pass the next time.
func LockFacts() []cell.KV { return slices.Clone(lockFacts()) }

var lockFacts = sync.OnceValue(func() []cell.KV {
	trace := "mmap_lock and lock:contention tracepoints, tracefs instance per cell"
	if why := locktrace.Probe(); why != "" {
		trace = "unavailable: " + why
	}
	return []cell.KV{
		{Key: "lock-trace", Value: trace},
		{Key: "perf-counters", Value: perfcount.Probe(perfcount.Real)},
	}
})

// probes are a cell's measurements from outside its threads' loops: the
// CPU counters of each thread and, for a kernel cell with Locks on, the
// kernel's lock tracepoints. They open before the warm-up, count in the
// timed window only (window, unwindow) and are read once the threads stop.
type probes struct {
	counters []*perfcount.Thread // per thread; nil where it did not open
	counts   []map[string]float64
	trace    *locktrace.Session
	figs     *locktrace.Figures
	notes    []string
}

// openProbes opens the probes of the cell's threads (their tids known).
func openProbes(c Config, ths []*workloads.Thread, live bool) *probes {
	p := &probes{counters: make([]*perfcount.Thread, len(ths))}
	for i, th := range ths {
		if th.TID == 0 {
			continue
		}
		if t, _, err := perfcount.Open(perfcount.Real, th.TID); err == nil {
			p.counters[i] = t
		} else if i == 0 {
			p.notes = append(p.notes, "perf counters absent: "+err.Error())
		}
	}
	if live && c.Locks.For(true) {
		tids := make([]int, len(ths))
		for i, th := range ths {
			tids[i] = th.TID
		}
		if locktrace.Probe() == "" { // else the header says why
			s, err := locktrace.Start(tids)
			if err != nil {
				p.notes = append(p.notes, "lock units absent: "+err.Error())
			}
			p.trace = s
		}
	}
	return p
}

// window opens the timed window.
func (p *probes) window() {
	if p == nil {
		return
	}
	for _, t := range p.counters {
		if t != nil {
			_ = t.Enable()
		}
	}
	if p.trace != nil {
		if err := p.trace.On(); err != nil {
			p.notes = append(p.notes, "lock units absent: "+err.Error())
			p.abandonTrace()
		}
	}
}

// unwindow closes it.
func (p *probes) unwindow() {
	if p == nil {
		return
	}
	for _, t := range p.counters {
		if t != nil {
			_ = t.Disable()
		}
	}
	if p.trace != nil {
		_ = p.trace.Off()
	}
}

func (p *probes) abandonTrace() {
	_, _ = p.trace.Close()
	p.trace = nil
}

// close reads and closes every probe; safe to call more than once.
func (p *probes) close() {
	if p == nil {
		return
	}
	if p.counts == nil {
		p.counts = make([]map[string]float64, len(p.counters))
		for i, t := range p.counters {
			if t == nil {
				continue
			}
			if m, err := t.Read(); err == nil {
				p.counts[i] = m
			}
			t.Close()
		}
	}
	if p.trace != nil {
		f, err := p.trace.Close()
		p.trace = nil
		switch {
		case err != nil:
			p.notes = append(p.notes, "lock units absent: "+err.Error())
		case f.Lost > 0 || f.Bad > 0:
			p.notes = append(p.notes, fmt.Sprintf("lock units absent: the trace lost %d events (%d bad records)", f.Lost, f.Bad))
		default:
			p.figs = &f
		}
	}
}

// addProbes adds the counters per operation of all threads and, for a
// kernel cell, its traced lock figures.
func addProbes(r *Result, w workloads.Info, ths []*workloads.Thread, p *probes) {
	if p == nil {
		return
	}
	r.Notes = append(r.Notes, p.notes...)
	if p.figs != nil {
		addTraced(r, w, ths, p.figs)
	}
	sum := map[string]float64{}
	n := 0
	for i, th := range ths {
		if !th.Measured() {
			continue
		}
		if p.counts[i] == nil {
			return // a thread uncounted: no per-operation figure
		}
		for u, v := range p.counts[i] {
			sum[u] += v
		}
		n++
	}
	if n > 0 && r.Ops > 0 {
		for _, u := range perfcount.Units() {
			if v, ok := sum[u]; ok {
				r.Metrics = append(r.Metrics, Metric{Value: v / float64(r.Ops), Unit: u})
			}
		}
	}
}

// lockSide is one side's (readers' or writer's) lock figures, in ns.
type lockSide struct {
	ops                uint64
	wait, hold, sleep  float64
	mmapWait, vmaWait  float64
	pteWait, allocWait float64
	haveSpins          bool // a model\'s: its spinlocks are timed
	hist               *hdr.Histogram
	haveVMA            bool
}

// writerThread reports whether th is a cell's writer, counted apart from
// its readers: a workload with readers and a writer, and th wrote only.
func writerThread(w workloads.Info, th *workloads.Thread) bool {
	return w.Writer && w.Reader != workloads.ClassWrite &&
		th.Ops[workloads.ClassWrite] > 0 && th.Ops[w.Reader] == 0
}

// addLockTime adds a model cell's lock wait and hold per operation, from
// its threads' sampled mm.LockTime.
func addLockTime(r *Result, w workloads.Info, ths []*workloads.Thread) {
	var sides [2]lockSide // readers, writer
	for i := range sides {
		sides[i].hist = hdr.New(1, 10e9, 2)
		sides[i].haveVMA = true
	}
	for _, th := range ths {
		if !th.Measured() {
			continue
		}
		if !th.LockTimed() {
			return
		}
		s, c := &sides[0], w.Reader
		if writerThread(w, th) {
			s, c = &sides[1], workloads.ClassWrite
		}
		lt := &th.Task.Locks
		s.ops += th.Ops[c]
		s.wait += float64(lt.Wait)
		s.hold += float64(lt.Hold)
		s.sleep += float64(lt.Sleep)
		s.mmapWait += float64(lt.WaitBy[mm.LockMmap])
		s.vmaWait += float64(lt.WaitBy[mm.LockVMA])
		s.pteWait += float64(lt.WaitBy[mm.LockPTE])
		s.allocWait += float64(lt.WaitBy[mm.LockAlloc])
		s.haveSpins = true
		if lt.Hist != nil {
			s.hist.Merge(lt.Hist)
		}
	}
	addSides(r, w, sides)
}

// addTraced adds a kernel cell's lock figures from the kernel's mmap_lock
// tracepoints: mmap_lock's alone (the VMA locks have none).
func addTraced(r *Result, w workloads.Info, ths []*workloads.Thread, f *locktrace.Figures) {
	var sides [2]lockSide
	for i := range sides {
		sides[i].hist = hdr.New(1, 10e9, 2)
	}
	for i, th := range ths {
		if !th.Measured() || i >= len(f.Threads) {
			continue
		}
		s, c := &sides[0], w.Reader
		if writerThread(w, th) {
			s, c = &sides[1], workloads.ClassWrite
		}
		tt := f.Threads[i]
		s.ops += th.Ops[c]
		s.wait += float64(tt.Wait)
		s.mmapWait += float64(tt.Wait)
		s.hold += float64(tt.Hold)
		s.sleep += float64(tt.Sleep)
		s.hist.Merge(tt.Hist)
	}
	addSides(r, w, sides)
}

func addSides(r *Result, w workloads.Info, sides [2]lockSide) {
	add := func(v float64, unit string) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		r.Metrics = append(r.Metrics, Metric{Value: v, Unit: unit})
	}
	q := func(h *hdr.Histogram, p float64) float64 {
		if h.TotalCount() == 0 {
			return math.NaN()
		}
		return float64(h.ValueAtQuantile(p))
	}
	if s := sides[0]; s.ops > 0 {
		n := float64(s.ops)
		add(s.wait/n, units.LockWait)
		add(s.hold/n, units.LockHold)
		add(s.mmapWait/n, units.MmapLockWait)
		add(s.sleep/n, units.LockSleep)
		if s.haveSpins {
			add(s.pteWait/n, units.PTELockWait)
			add(s.allocWait/n, units.AllocLockWait)
		}
		add(q(s.hist, 50), units.LockWaitP50)
		add(q(s.hist, 99), units.LockWaitP99)
	}
	if s := sides[1]; s.ops > 0 && w.Writer && w.Reader != workloads.ClassWrite {
		n := float64(s.ops)
		add(s.wait/n, units.WriterLockWait)
		add(s.hold/n, units.WriterLockHold)
		if s.haveVMA {
			add(s.vmaWait/n, units.WriterVMALockWait)
		}
		add(s.sleep/n, units.WriterLockSleep)
		add(q(s.hist, 50), units.WriterLockWaitP50)
		add(q(s.hist, 99), units.WriterLockWaitP99)
	}
}
