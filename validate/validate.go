// Package validate holds the models against the live kernel on the same
// machine, in one run: it runs pairs of cells (a workload alone and beside a
// writer) on the kernel strategy and on a model, and reports one row per
// experiment with the kernel's figure, the model's, their ratio and whether
// the ratio lies within a tolerance.
//
// The experiments (Experiments lists them):
//
//   - reader-penalty: the mmap_lock rwsem. A mincore() reader's rate alone
//     (lookups, 1 thread) over its rate beside a thread that mmaps and
//     munmaps unrelated regions (lookups-mmap, 2 threads); kernel vs
//     mmaplock, since mincore() takes mmap_read_lock in every design.
//
//   - writer-penalty: the writer's rate alone (mmap-churn, 1 thread; one of
//     its operations is an mmap and a munmap, two of lookups-mmap's) over
//     its rate beside that reader; kernel vs mmaplock.
//
//   - fault-mmap-penalty and fault-mprotect-penalty: a faulting thread's
//     rate alone (faults, 1 thread) over its rate beside an mmap/munmap
//     writer (faults-mmap) or an mprotect writer on its own VMA
//     (faults-mprotect), 2 threads; kernel vs the model of the design the
//     running kernel has (calib.DesignFor: vmarefcnt from v6.15, vmaseq
//     from v6.4, mmaplock before).
//
//   - fault-ns, mmap-munmap-ns, mprotect-ns: single-thread cost of one
//     fault (faults, 1 thread), one mmap and munmap pair (mmap-churn, 1
//     thread) and one mprotect split or merge (timed in this process, as
//     calib measures it), kernel vs the calibrated model of that design.
//     The calibration makes these match by construction; the rows check
//     that it did (the spin rate, the split under and outside the lock).
//
//   - round-trip-ns: one reader-writer round trip under contention, defined
//     as the writer's mean time per operation in lookups-mmap at 2 threads
//     (1 / its writes/s): with a reader always on mmap_lock, each of the
//     writer's mmap or munmap waits for the reader to leave, takes the lock
//     (the hand-off), does its work and hands the lock back to the waiting
//     reader; kernel vs mmaplock. Its tolerance is RoundTripTolerance.
//
//   - the field's shapes: <shape>-ns, one thread's time per operation (1 /
//     its rate at 1 thread: a page touched for page_fault1-3, pft and
//     faults-shared, an mmap and munmap pair for mmap1-2), kernel vs the
//     calibrated model of the running kernel's design; and
//     page_fault1-scaling, mmap1-scaling, pft-scaling and
//     page_fault3-scaling, the rate at T threads over the rate at 1, for T
//     = 2 (the row named so) and every count up to the machine's CPUs
//     (named -T), judged at ScalingTolerance (1.25). Where the running
//     kernel and the model take different paths for file faults (v6.7
//     moved them under the VMA lock), the file rows' detail says so.
//
// Under the rows, the report gives the lookups-mmap cells' sleeps per
// operation, kernel and model (Report.Sleeps: each side's voluntary
// context switches, and the model's rwsem spin timeouts and steals), which
// say why the two rwsem rows come out as they do. On the 2-CPU VM the
// README describes, the model's rwsem takes the kernel's steps but its
// threads sleep and wake through futex(2), and there the rows turn on
// where a wake-up lands: the kernel's writer usually wakes its reader while
// the reader is still switching out, which takes an IPI (about 11 µs off
// its CPU), the model's writer a little later, when the reader's idle vCPU
// has not halted yet and no IPI is needed (3.6 µs). So the model's reader
// suffers less beside the writer than the kernel's (reader-penalty below
// 1), and its writer, whose next down_write() spins 10.5 µs
// (rwsem_rspin_threshold()) on the reader it granted the lock to, times out
// and sleeps more often (writer-penalty above 1). The report's first line
// names how idle CPUs wait (kernel.CPUIdle), which moves both rows
// ("How far to trust the model").
//
// Each row also gives each side's spread across the repetitions
// (Row.KernelSpread, Row.ModelSpread); Report.Unsteady names the rows
// whose kernel figure moved by more than their tolerance.
//
// Each cell runs Count times in a child process under the runner's
// watchdog (runner.RunIsolated); a row uses the medians.
//
// Each row is judged three ways (verdict.JudgeRatio): the ratio
// model/kernel of the medians of the repetitions' figures (a penalty or
// scaling taken within each repetition) has a bootstrap interval over
// the paired repetitions (repetition i of the kernel's cells beside
// repetition i of the model's, run side by side), and the row agrees when
// that interval lies within [1/tolerance, tolerance], disagrees when it
// lies wholly outside, and is inconclusive when it straddles a bound,
// saying how many repetitions would decide it. A busy machine then makes a
// row inconclusive rather than flip it between agree and disagree.
//
// A caller outside the CLI (a nightly job) runs it as
//
//	cal, err := calib.Resolve(ctx, calib.Auto)
//	cfg := validate.DefaultConfig()
//	cal.Apply(&cfg.Base.Load)
//	rep, err := validate.Run(ctx, cfg)
//	rep.WriteBenchfmt(file, report.MachineConfig(commit))
//
// and keeps the rows, BenchmarkValidate/experiment=.../model=..., with the
// cells in its history.
package validate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"vmabench/calib"
	"vmabench/cell"
	"vmabench/kernel"
	"vmabench/runner"
	"vmabench/strategies"
	"vmabench/units"
	"vmabench/verdict"
	"vmabench/workloads"
)

// Config is one validation run.
type Config struct {
	// Count is how many times each cell runs; rows use the medians.
	Count int
	// MaxCount, when above Count, lets Run extend a validation whose rows
	// are inconclusive after Count repetitions: it runs every cell again
	// up to the most repetitions an inconclusive row needs at the spread
	// of the first Count (verdict.Judgement.Need), at most MaxCount, and
	// judges every row once more, on all of them. The first Count
	// repetitions only set the count (a two-stage design: one look at
	// the end, not a look after each repetition, which would stop on a
	// lucky stretch). Rows that need more than MaxCount stay inconclusive;
	// where no row needs MaxCount or fewer, nothing is extended. 0 is no
	// extension.
	MaxCount int
	// Extending, if set, is told before Run extends: from and to
	// repetitions, for the rows named.
	Extending func(from, to int, rows []string)
	// Tolerance is how far the model/kernel ratio may stray, either way:
	// 1.25 accepts ratios from 0.8 to 1.25. It is every penalty's and
	// cost's (DefaultTolerance).
	Tolerance float64
	// RoundTripTolerance is round-trip-ns's tolerance.
	RoundTripTolerance float64
	// ScalingTolerance is the tolerance of the field's scaling rows
	// (page_fault1-scaling and the others: the T-thread rate over the
	// 1-thread rate).
	ScalingTolerance float64
	// LockTolerance is the lock rows' (mmap-lock-wait-ns,
	// writer-wait-share; DefaultLockTolerance).
	LockTolerance float64
	// Processes adds, for each shape of the scaling rows, a processes row
	// and an mm-share row (DefaultConfig: where the machine has two CPUs
	// or more). <shape>-processes is the shape's one-thread cell in two
	// processes side by side, one on each of two CPUs, over the cell
	// alone, on the kernel and on the model. The two share no MM, so no
	// lock of any design; what they share is the machine's: its caches
	// and memory, and under a hypervisor, the host's own work for the
	// guest's page tables, which the model's work, sharing nothing,
	// cannot have. <shape>-mm-share is each repetition's 2-thread scaling
	// over its processes figure: what one MM's two threads keep of what
	// two processes get, the designs' part, with what the host did to
	// that repetition divided out. The two processes start together, and
	// their windows overlap but for their start-up's difference, a few ms
	// of a warm-up and window of 400.
	Processes bool
	// ScalingThreads are the thread counts T of the scaling rows: 2 and
	// every count up to the machine's CPUs (DefaultConfig); empty for
	// none.
	ScalingThreads []int
	// AllowInconclusive makes Report.Err pass rows that are
	// inconclusive; rows that disagree fail it still.
	AllowInconclusive bool
	// Base is every cell's configuration: the window, the workload knobs
	// and the calibrated work (Base.Load.Work).
	Base runner.Config
	// Fresh replaces Base.Load's calibrated work, for each repetition's
	// model cells, with work derived from the profile validate measures
	// just before that repetition's cells (calib.Measure, which it runs
	// anyway for mprotect-ns), so the model is calibrated beside the
	// kernel cells it is held against: on a VM whose costs move by a
	// third within minutes (fault-ns 9.2 to 13.2 µs in one quarter of an
	// hour on the README's), a profile measured before the run judges
	// the drift as much as the model. The model's own costs (calib.Bare)
	// and the spin rate are measured once, at the start.
	Fresh bool
	// Clamped are the operations Base.Load's calibration clamps at no work
	// (calib.Resolved.Clamped), for the report to say; with Fresh, Run
	// finds them in each repetition's profile instead.
	Clamped []calib.Clamp
	// Release is the running kernel's release; Design the model it is
	// held against (calib.DesignFor(Release) when empty).
	Release, Design string
	// Progress, if set, is told of each finished cell.
	Progress runner.Progress
	// Child is the command line that runs one cell in a child process
	// under the watchdog (runner.RunIsolated): for vmabench, its own
	// executable and "cell".
	Child []string
	// RunCell runs one cell; nil means runner.RunIsolated with Child.
	// Tests inject results through it. It is called from several
	// goroutines at once for a cell run in processes side by side
	// (Cell.Processes).
	RunCell func(ctx context.Context, c runner.Config) (runner.Result, error)
}

// DefaultTolerance is the tolerance of every row, penalties (a rate alone
// over the rate beside a writer), costs (the calibrated single-thread
// ones) and the round trip (a cost under contention) alike: 1.25x either
// way. The designs differ by 10 to 30% where it matters; a model further
// from the kernel than that cannot tell them apart.
const DefaultTolerance = 1.25

// DefaultLockTolerance is the lock rows' tolerance, 1.5x: a wait is the
// difference of two clock readings on each side, the kernel's taken by
// tracepoints that lengthen what they time (see the README's "What the
// kernel's lock figures can and cannot see"), so it is held looser than the
// rates.
const DefaultLockTolerance = 1.5

// DefaultCount is validate's default number of repetitions: 5, which at
// this VM's spread lets the cost rows' intervals clear the tolerance.
const DefaultCount = 5

// DefaultConfig returns a validation of the running kernel: DefaultCount
// repetitions of cells of runner.DefaultWarmup + 300ms, every row at
// DefaultTolerance. vmabench validate and nightly -validate both start
// from it.
func DefaultConfig() Config {
	base := runner.DefaultConfig()
	base.Duration = 300 * time.Millisecond
	rel := kernel.Release()
	var scaling []int
	for n := 2; n <= max(2, runtime.NumCPU()); n++ {
		scaling = append(scaling, n)
	}
	return Config{Count: DefaultCount, Tolerance: DefaultTolerance, RoundTripTolerance: DefaultTolerance,
		ScalingTolerance: DefaultTolerance, LockTolerance: DefaultLockTolerance, ScalingThreads: scaling,
		Processes: runtime.NumCPU() >= 2, Base: base, Release: rel, Design: calib.DesignFor(rel)}
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Count < 1:
		return fmt.Errorf("count %d: want at least 1", c.Count)
	case c.MaxCount != 0 && c.MaxCount < c.Count:
		return fmt.Errorf("max count %d: want 0 (no extension) or at least the count, %d", c.MaxCount, c.Count)
	case !(c.Tolerance > 1):
		return fmt.Errorf("tolerance %v: want a factor above 1, e.g. 1.5", c.Tolerance)
	case !(c.RoundTripTolerance > 1):
		return fmt.Errorf("round-trip tolerance %v: want a factor above 1, e.g. 2", c.RoundTripTolerance)
	case !(c.LockTolerance > 1):
		return fmt.Errorf("lock tolerance %v: want a factor above 1, e.g. 1.5", c.LockTolerance)
	case len(c.ScalingThreads) > 0 && !(c.ScalingTolerance > 1):
		return fmt.Errorf("scaling tolerance %v: want a factor above 1, e.g. 1.25", c.ScalingTolerance)
	}
	for _, n := range c.ScalingThreads {
		if n < 2 {
			return fmt.Errorf("scaling threads %d: want 2 or more", n)
		}
	}
	if c.Design != "" {
		s, err := strategies.Get(c.Design)
		if err != nil {
			return fmt.Errorf("design: %w", err)
		}
		if s.New == nil {
			return fmt.Errorf("design %q: not a model", c.Design)
		}
	}
	return nil
}

// Cell is one cell of the plan: a workload at a thread count on a strategy.
type Cell struct {
	Strategy, Workload string
	Threads            int
	// Locks, if set, overrides the base's lock attribution (unless that
	// is off): the lock rows' kernel cell is traced, beside an untraced
	// one for the rows of rates, which the tracepoints would slow.
	Locks runner.Locks
	// Processes, when 2, runs the cell twice at once, in two processes
	// whose threads start on two CPUs (runner.Config.FirstCPU 0 and 1),
	// for the processes rows; 0 runs it once.
	Processes int
}

// Cells returns the cells a validation of design runs with the default
// configuration (DefaultConfig), once each, in run order.
func Cells(design string) []Cell {
	c := DefaultConfig()
	c.Design = design
	return c.Cells()
}

// scalingShapes are the field's shapes of the scaling rows, with the rate
// each is scaled by.
var scalingShapes = []struct{ workload, unit string }{
	{"page_fault1", units.FaultsPerS}, {"mmap1", units.WritesPerS}, {"pft", units.FaultsPerS}, {"page_fault3", units.FaultsPerS},
}

// costShapes are the workloads of the field's cost rows (<shape>-ns), with
// the rate whose inverse is one thread's time per operation.
var costShapes = []struct{ workload, unit string }{
	{"page_fault1", units.FaultsPerS}, {"page_fault2", units.FaultsPerS}, {"page_fault3", units.FaultsPerS},
	{"mmap1", units.WritesPerS}, {"mmap2", units.WritesPerS}, {"pft", units.FaultsPerS}, {"faults-shared", units.FaultsPerS},
}

// Cells returns the cells the validation runs, once each, in run order:
// the kernel's and the models' of one workload side by side.
func (c Config) Cells() []Cell {
	design := c.Design
	var out []Cell
	add := func(w string, n int, models ...string) {
		out = append(out, Cell{"kernel", w, n, "", 0})
		for _, m := range models {
			if !slices.Contains(out, Cell{m, w, n, "", 0}) {
				out = append(out, Cell{m, w, n, "", 0})
			}
		}
	}
	add("lookups", 1, "mmaplock")
	add("lookups-mmap", 2, "mmaplock")
	out = append(out, Cell{"kernel", "lookups-mmap", 2, runner.LocksOn, 0}) // the lock rows'
	add("mmap-churn", 1, "mmaplock", design)
	add("faults", 1, design)
	add("faults-mmap", 2, design)
	add("faults-mprotect", 2, design)
	for _, w := range costShapes {
		add(w.workload, 1, design)
	}
	for _, w := range scalingShapes {
		for _, n := range c.ScalingThreads {
			add(w.workload, n, design)
		}
	}
	if c.Processes {
		for _, w := range scalingShapes {
			out = append(out, Cell{"kernel", w.workload, 1, "", 2}, Cell{design, w.workload, 1, "", 2})
		}
	}
	return out
}

// Runs returns how many cell runs a repetition makes: one a cell, and one
// for each process of a cell run in processes side by side, which run at
// once.
func (c Config) Runs() int {
	n := 0
	for _, cell := range c.Cells() {
		n += max(1, cell.Processes)
	}
	return n
}

// processesKey is the configuration line validate adds to the results of
// a cell run in two processes side by side (Cell.Processes), which sets
// them apart from the same cell run alone.
const processesKey = "processes"

// ErrKernel is wrapped when the kernel strategy cannot run here (no /proc,
// a seccomp filter, no mmap): there is nothing to validate against.
var ErrKernel = errors.New("the live kernel cannot be measured here")

// Run runs the validation: every cell Count times, then the rows. It fails
// with ErrKernel where the kernel strategy cannot run, and with the cell's
// reason where any cell did not finish: a row of zeros would be a lie.
func Run(ctx context.Context, c Config) (Report, error) {
	if c.Design == "" {
		c.Design = calib.DesignFor(c.Release)
	}
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	if c.RunCell == nil && len(c.Child) == 0 {
		return Report{}, errors.New("validate: no child command (Config.Child) to run cells in")
	}
	// The single-thread mprotect row is timed here, and doubles as the
	// check that the kernel's calls work at all.
	kp, err := calib.Measure(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return Report{}, ctx.Err()
		}
		return Report{}, fmt.Errorf("%w: %v", ErrKernel, err)
	}
	var cal calib.Calibrator
	if c.Fresh {
		if cal, err = calib.NewCalibrator(ctx, kp); err != nil {
			return Report{}, err
		}
	}
	// load returns the workload configuration of repetition rep's cells,
	// whose kernel costs are kp's when c.Fresh.
	var clamped []calib.Clamp
	if !c.Fresh {
		clamped = c.Clamped
	}
	load := func(rep int, kp calib.Profile) workloads.Config {
		l := c.Base.Load
		if c.Fresh {
			for _, cl := range cal.Clamped(kp) {
				if !slices.ContainsFunc(clamped, func(x calib.Clamp) bool { return x.Op == cl.Op }) {
					clamped = append(clamped, cl)
				}
			}
			r := calib.Resolved{Work: cal.Work(kp), Profile: kp, Path: fmt.Sprintf("measured by validate before repetition %d", rep+1)}
			r.Apply(&l)
		}
		return l
	}
	repLoad := load(0, kp)
	mp, err := calib.MeasureModel(ctx, c.Design, repLoad.Work)
	if err != nil {
		return Report{}, err
	}
	load0 := LoadAverage()
	transfer0 := lineTransfer(ctx)
	cpuFactors := otherCPUFactors(ctx)
	cells := c.Cells()
	var results []runner.Result
	singles := []Single{{Kernel: kp.Mprotect, Model: mp.Mprotect}}
	perRep := c.Runs()
	n := c.Count * perRep
	// runRep runs repetition rep of every cell.
	runRep := func(rep int) error {
		if rep > 0 {
			cpuFactors = append(cpuFactors, otherCPUFactors(ctx)...)
			// The in-process mprotect timing, once per repetition, so
			// its row has repetitions to judge as the others do.
			kp, err := calib.Measure(ctx)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrKernel, err)
			}
			repLoad = load(rep, kp)
			mp, err := calib.MeasureModel(ctx, c.Design, repLoad.Work)
			if err != nil {
				return err
			}
			singles = append(singles, Single{Kernel: kp.Mprotect, Model: mp.Mprotect})
		}
		for _, cell := range cells {
			if err := ctx.Err(); err != nil {
				return err
			}
			rc := c.Base
			rc.Strategy, rc.Workload, rc.Threads = cell.Strategy, cell.Workload, cell.Threads
			rc.Load = repLoad
			if cell.Locks != "" && rc.Locks != runner.LocksOff {
				rc.Locks = cell.Locks
			}
			run := c.RunCell
			if run == nil {
				run = func(ctx context.Context, rc runner.Config) (runner.Result, error) {
					return runner.RunIsolated(ctx, rc, c.Child)
				}
			}
			rs, err := side(ctx, run, rc, cell.Processes)
			// A cell starved of its CPUs for the whole window (a busy
			// shared machine) measured nothing: it is run again, up to
			// twice.
			for retry := 0; err == nil && starved(rs) && retry < 2; retry++ {
				rs, err = side(ctx, run, rc, cell.Processes)
			}
			if err != nil {
				return err
			}
			for _, r := range rs {
				if r.Starved() {
					return fmt.Errorf("%s: %s, three times: the machine is too busy to validate on", r.Name(), r.Detail)
				}
				if r.Status != runner.StatusOK {
					err := fmt.Errorf("%s: %s: %s", r.Name(), r.Status, r.Detail)
					if cell.Strategy == "kernel" {
						return fmt.Errorf("%w: %v", ErrKernel, err)
					}
					return err
				}
			}
			for _, r := range rs {
				results = append(results, r)
				if c.Progress != nil {
					if err := c.Progress(len(results)-1, n, r); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	judge := func() (Report, error) {
		var ks, ms []float64
		for _, sg := range singles {
			ks, ms = append(ks, sg.Kernel), append(ms, sg.Model)
		}
		return Compute(c, results, Single{Kernel: median(ks), Model: median(ms)}, singles...)
	}
	for rep := 0; rep < c.Count; rep++ {
		if err := runRep(rep); err != nil {
			return Report{}, err
		}
	}
	rep, err := judge()
	rep.Repetitions = c.Count
	if err == nil && c.MaxCount > c.Count {
		to, rows, beyond := extension(rep, c.MaxCount)
		rep.Beyond = beyond
		if to > c.Count {
			if c.Extending != nil {
				c.Extending(c.Count, to, rows)
			}
			n = to * perRep
			for r := c.Count; r < to; r++ {
				if err := runRep(r); err != nil {
					return Report{}, err
				}
			}
			rep, err = judge()
			rep.Repetitions, rep.Pilot, rep.ExtendedFor, rep.Beyond = to, c.Count, rows, beyond
		}
	}
	rep.MaxCount = c.MaxCount
	rep.LoadStart, rep.LoadEnd = load0, LoadAverage()
	rep.TransferStart, rep.TransferEnd = transfer0, lineTransfer(ctx)
	if cpuFactors = append(cpuFactors, otherCPUFactors(ctx)...); len(cpuFactors) > 0 {
		rep.CPUFactorLo, rep.CPUFactorHi, rep.CPUChecks = slices.Min(cpuFactors), slices.Max(cpuFactors), len(cpuFactors)
	}
	rep.Clamped = clamped
	rep.CPUIdle = kernel.CPUIdle()
	return rep, err
}

// side runs rc with run once, or, where processes is above 1, that many
// times at once, each run's threads starting on CPUs of their own
// (runner.Config.FirstCPU 0, Threads, ...), and marks those results with
// the processesKey configuration line.
func side(ctx context.Context, run func(context.Context, runner.Config) (runner.Result, error), rc runner.Config, processes int) ([]runner.Result, error) {
	if processes <= 1 {
		r, err := run(ctx, rc)
		return []runner.Result{r}, err
	}
	rs := make([]runner.Result, processes)
	errs := make([]error, processes)
	var wg sync.WaitGroup
	for i := range rs {
		wg.Go(func() {
			c := rc
			c.FirstCPU = i * rc.Threads
			rs[i], errs[i] = run(ctx, c)
			rs[i].Config = append(rs[i].Config, cell.KV{Key: processesKey, Value: strconv.Itoa(processes)})
		})
	}
	wg.Wait()
	return rs, errors.Join(errs...)
}

// starved reports whether any of rs was starved of its CPUs.
func starved(rs []runner.Result) bool {
	return slices.ContainsFunc(rs, func(r runner.Result) bool { return r.Starved() })
}

// extension returns how many repetitions in all would decide the
// inconclusive rows of r that need at most maxCount (the most any of them
// needs), and their names; 0 where none does. beyond names the
// inconclusive rows that need more than maxCount. A row with no estimate
// (Need 0) is in neither.
func extension(r Report, maxCount int) (to int, rows, beyond []string) {
	for _, row := range r.Inconclusive() {
		switch need := row.Verdict.Need; {
		case need == 0: // no estimate: the row says why itself
		case need <= maxCount:
			to = max(to, need)
			rows = append(rows, row.Name)
		default:
			beyond = append(beyond, row.Name)
		}
	}
	return to, rows, beyond
}

// otherCPUFactors is calib.MeasureCPUFactors but the first CPU's: each
// other CPU's kernel work over the first's, now; nil where it cannot be
// measured (one CPU), which leaves the report's line out.
func otherCPUFactors(ctx context.Context) []float64 {
	fs, err := calib.MeasureCPUFactors(ctx, calib.CPUPasses)
	if err != nil || len(fs) < 2 {
		return nil
	}
	return fs[1:]
}

// lineTransfer is calib.LineTransfer, 0 where it cannot be measured (one
// CPU).
func lineTransfer(ctx context.Context) float64 {
	ns, err := calib.LineTransfer(ctx)
	if err != nil {
		return 0
	}
	return ns
}

// LoadAverage returns the 1-minute load average of /proc/loadavg, or -1.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// Single is the single-thread mprotect cost, in ns, of the kernel and of
// the calibrated model, timed in the validating process.
type Single struct {
	Kernel, Model float64
}

// Row is one experiment's outcome.
type Row struct {
	// Name is the experiment, e.g. "reader-penalty"; Detail says what was
	// compared.
	Name, Detail string
	// Model is the strategy held against the kernel.
	Model string
	// Unit is "x" for a penalty (alone / beside) and "ns" for a cost.
	Unit string
	// KernelValue and ModelValue are the medians of the repetitions'
	// figures (each repetition's penalty or scaling from its own cells;
	// mprotect-ns, timed once a side, its timing); Ratio is ModelValue /
	// KernelValue, the ratio the verdict judges.
	KernelValue, ModelValue, Ratio float64
	// KernelSpread and ModelSpread are how far each side's figure moved
	// across the repetitions: the largest repetition's figure over the
	// smallest's (1 for none at all), each repetition's penalty taken
	// from that repetition's two cells. NaN where the row has fewer than
	// two repetitions (mprotect-ns is timed once). A kernel spread wider
	// than the tolerance says the reference itself did not hold still on
	// this machine: the row's verdict is then as much the kernel's noise
	// as the model's error.
	KernelSpread, ModelSpread float64
	// KernelSteady is the kernel's spread without its tails: the 90th
	// percentile repetition's figure over the 10th's (nearest rank),
	// which is KernelSpread at nine repetitions or fewer, but does not
	// grow with the count as the largest over the smallest does (with
	// 22 repetitions that named nearly every row). Unsteady judges by
	// it. NaN where KernelSpread is.
	KernelSteady float64
	// KernelGroups and ModelGroups are each side's repetitions split in
	// two modes (verdict.SplitGroups), where they fell in two: a pair
	// that runs in two modes, as the kernel's own mincore() reader and
	// mmap writer do on the 2-CPU VM (its writer at 119k-125k or
	// 179k-194k writes/s in 8 and 11 of 20 repetitions of one run, one
	// between), has a ratio that weighs how often each side ran in each
	// mode, which a reader of the row must be told. Empty (Split false)
	// otherwise.
	KernelGroups, ModelGroups verdict.Groups
	// Tolerance is the row's. Verdict is its three-way judgement
	// (verdict.JudgeRatio over the paired repetitions): Same where the
	// ratio's interval lies within [1/Tolerance, Tolerance] (the model
	// agrees), Worse where it lies wholly outside (disagrees),
	// CannotTell otherwise (inconclusive). OK reports agreement.
	Tolerance float64
	Verdict   verdict.Judgement
	OK        bool
}

// State returns the row's verdict in validate's words: "agrees",
// "disagrees" or "inconclusive".
func (r Row) State() string {
	switch r.Verdict.Outcome {
	case verdict.Same:
		return "agrees"
	case verdict.Worse:
		return "disagrees"
	}
	return "inconclusive"
}

// Report is a validation's outcome.
type Report struct {
	Release, Design string
	Tolerance       float64
	// CPUs is the number of CPUs; LoadStart and LoadEnd the 1-minute load
	// average (/proc/loadavg) before and after the cells, -1 where it
	// cannot be read. Other work on the machine disturbs both sides of
	// every row, not always alike: a load near or above CPUs makes the
	// figures noise.
	CPUs               int
	LoadStart, LoadEnd float64
	// TransferStart and TransferEnd are a cache line's transfer between
	// the first two CPUs (calib.LineTransfer), in ns, before and after the
	// cells, 0 where not measured: on a VM the host's placement of the
	// vCPUs moves it several-fold (47 to 808 ns in one day on the README's
	// VM), and with it every 2-thread row of a contended cell, the model's
	// more than the kernel's.
	TransferStart, TransferEnd float64
	// CPUFactorLo and CPUFactorHi are the least and the most of the other
	// CPUs' factors over the first (calib.MeasureCPUFactors: how much
	// longer the kernel's faults and mmaps take there), timed CPUChecks
	// times in all: at the start, before each repetition and at the end;
	// CPUChecks is 0 where not measured. One-thread cells run on the first
	// CPU, and a 2-thread cell's second thread on the second: where the
	// factors stray from 1, the kernel's 2-thread figures carry that and
	// the model's, whose threads do the same work on every CPU, do not.
	CPUFactorLo, CPUFactorHi float64
	CPUChecks                int
	// CPUIdle is how the idle CPUs wait (kernel.CPUIdle), which decides
	// how soon a woken thread runs: "" where not known.
	CPUIdle string
	Rows    []Row
	// AllowInconclusive is the Config's: Err passes inconclusive rows.
	AllowInconclusive bool
	// Sleeps are how the rwsem experiments' two threads (lookups-mmap, 2
	// threads) spent their time beside each other, kernel and model:
	// figures, not judged, that say why writer-penalty and reader-penalty
	// come out as they do. See SleepUnits.
	Sleeps []Sleep
	// Results are the cells' results, every repetition.
	Results []runner.Result
	// Repetitions is how many times each cell ran. Pilot is the count
	// the validation first ran (Config.Count) where Run extended it
	// (Config.MaxCount), for the rows in ExtendedFor, and 0 where it did
	// not; Beyond names the rows inconclusive after the pilot whose need
	// exceeded MaxCount, which it did not extend for. MaxCount is the
	// Config's.
	Repetitions, Pilot, MaxCount int
	ExtendedFor, Beyond          []string
	// LeftOut names the rows left out, and why: the lock rows where
	// the kernel's mmap_lock cannot be traced, or -locks is off.
	LeftOut []string
	// Clamped are the operations whose calibrated work was 0 in some
	// repetition (Config.Fresh) or in the given calibration
	// (Config.Clamped), the model's own cost exceeding the kernel's there
	// (calib.Clamped): rows with them judge the model's code as much as
	// its locks.
	Clamped []calib.Clamp
}

// Sleep is one of Report.Sleeps: a unit's median in lookups-mmap at 2
// threads on the kernel and on mmaplock, NaN where that side does not
// report it (the live kernel's lock events are not visible to user space).
type Sleep struct {
	Unit          string
	Kernel, Model float64
}

// SleepUnits are the units of Report.Sleeps: each side's voluntary context
// switches per operation, and the model's rwsem spin timeouts and steals
// (units.LockEvents).
var SleepUnits = units.LockEvents

// Failed returns the rows that disagree: their interval lies wholly
// outside the tolerance.
func (r Report) Failed() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict.Outcome == verdict.Worse {
			out = append(out, row)
		}
	}
	return out
}

// Inconclusive returns the rows whose interval straddles a bound of the
// tolerance.
func (r Report) Inconclusive() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict.Outcome == verdict.CannotTell {
			out = append(out, row)
		}
	}
	return out
}

// Need returns the most repetitions an inconclusive row would need.
func (r Report) Need() int {
	n := 0
	for _, row := range r.Inconclusive() {
		n = max(n, row.Verdict.Need)
	}
	return n
}

// Unsteady returns the rows whose kernel figure moved by more than their
// tolerance across the repetitions, its tails aside (Row.KernelSteady):
// rows whose verdict the machine's own noise can decide either way.
func (r Report) Unsteady() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.KernelSteady > row.Tolerance {
			out = append(out, row)
		}
	}
	return out
}

// failedNames returns the names of the rows out of tolerance.
func (r Report) failedNames() []string {
	var names []string
	for _, row := range r.Failed() {
		names = append(names, row.Name)
	}
	return names
}

// Err returns nil if every row agrees (or, with AllowInconclusive, none
// disagrees), and otherwise an error naming the rows that disagree and
// those inconclusive, with the count that would decide them: the verdict
// a command exits 1 on.
func (r Report) Err() error {
	var parts []string
	if names := r.failedNames(); len(names) > 0 {
		parts = append(parts, fmt.Sprintf("%d disagree (%s)", len(names), strings.Join(names, ", ")))
	}
	if rows := r.Inconclusive(); len(rows) > 0 && !r.AllowInconclusive {
		var names []string
		for _, row := range rows {
			names = append(names, row.Name)
		}
		parts = append(parts, fmt.Sprintf("%d inconclusive (%s; %s, or -allow-inconclusive)", len(rows), strings.Join(names, ", "), needWords(r.Need())))
	}
	if len(parts) > 0 {
		return fmt.Errorf("%d of %d rows: %s", len(r.Failed())+len(r.Inconclusive()), len(r.Rows), strings.Join(parts, "; "))
	}
	return nil
}

// needWords says how to decide inconclusive rows that need n repetitions.
func needWords(n int) string {
	if n >= verdict.MaxNeed {
		return fmt.Sprintf("some need more than %d repetitions at this spread: a quieter machine", verdict.MaxNeed)
	}
	return fmt.Sprintf("-count %d would decide them at this spread", n)
}

// Compute turns the cells' results (every repetition, any order) and the
// single-thread mprotect costs (their medians, and each repetition's
// timing in timings, in run order) into the report's rows. It fails if a cell
// a row needs is missing or measured nothing. Without timings, mprotect-ns
// has one timing a side and no interval: it is judged on its ratio alone,
// and says so.
func Compute(c Config, results []runner.Result, mprotect Single, timings ...Single) (Report, error) {
	if c.Design == "" {
		c.Design = calib.DesignFor(c.Release)
	}
	rep := Report{Release: c.Release, Design: c.Design, Tolerance: c.Tolerance, Results: results, AllowInconclusive: c.AllowInconclusive,
		CPUs: runtime.NumCPU(), LoadStart: -1, LoadEnd: -1}
	// values returns a cell's figure in each repetition, in run order.
	// A kernel cell whose mmap_lock was traced runs slower for it: its
	// rates are used only where no untraced cell has them.
	values := func(strategy, workload string, threads int, unit string) []float64 {
		var xs, traced []float64
		for i := range results {
			r := &results[i]
			if r.Strategy != strategy || r.Workload != workload || r.Threads != threads || r.Status != runner.StatusOK || r.ConfigValue(processesKey) != "" {
				continue
			}
			v, ok := r.Metric(unit)
			if unit == "ns/op" {
				v, ok = r.NsPerOp(), true
			}
			if !ok {
				continue
			}
			if _, t := r.Metric(units.LockWait); t && strategy == "kernel" {
				traced = append(traced, v)
			} else {
				xs = append(xs, v)
			}
		}
		if len(xs) == 0 {
			return traced
		}
		return xs
	}
	// reps is values for a row's figure, which must be there and above 0.
	reps := func(strategy, workload string, threads int, unit string) ([]float64, error) {
		xs := values(strategy, workload, threads, unit)
		if len(xs) == 0 {
			return nil, fmt.Errorf("no %s result of %s on %s at %d threads", unit, workload, strategy, threads)
		}
		if m := median(xs); !(m > 0) || math.IsInf(m, 0) {
			return nil, fmt.Errorf("%s of %s on %s at %d threads is %v: the cell measured nothing", unit, workload, strategy, threads, m)
		}
		return xs, nil
	}
	// A fig is a row's figure on one strategy: the figure of the cells'
	// medians, and the figure of each repetition.
	type fig func(strategy string) (float64, []float64, error)
	penalty := func(alone Cell, aloneUnit string, aloneScale float64, beside Cell, besideUnit string) fig {
		return func(s string) (float64, []float64, error) {
			a, err := reps(s, alone.Workload, alone.Threads, aloneUnit)
			if err != nil {
				return 0, nil, err
			}
			b, err := reps(s, beside.Workload, beside.Threads, besideUnit)
			if err != nil {
				return 0, nil, err
			}
			each := make([]float64, min(len(a), len(b)))
			for i := range each {
				each[i] = a[i] * aloneScale / b[i]
			}
			return median(a) * aloneScale / median(b), each, nil
		}
	}
	perSecond := func(w string, n int, unit string) fig {
		return func(s string) (float64, []float64, error) {
			v, err := reps(s, w, n, unit)
			if err != nil {
				return 0, nil, err
			}
			each := make([]float64, len(v))
			for i, x := range v {
				each[i] = 1e9 / x
			}
			return 1e9 / median(v), each, nil
		}
	}
	nsPerOp := func(w string, n int) fig {
		return func(s string) (float64, []float64, error) {
			v, err := reps(s, w, n, "ns/op")
			if err != nil {
				return 0, nil, err
			}
			return median(v), v, nil
		}
	}
	perOp := func(w string, n int, unit string) fig {
		return func(s string) (float64, []float64, error) {
			v := values(s, w, n, unit)
			if len(v) == 0 {
				return 0, nil, fmt.Errorf("no %s result of %s on %s at %d threads", unit, w, s, n)
			}
			return median(v), v, nil
		}
	}
	// product is a*b*scale of each repetition, of two units of one
	// result (a traced cell's figure times that cell's own rate).
	product := func(w string, n int, a, b string, scale float64) fig {
		return func(s string) (float64, []float64, error) {
			var each []float64
			for i := range results {
				r := &results[i]
				if r.Strategy != s || r.Workload != w || r.Threads != n || r.Status != runner.StatusOK {
					continue
				}
				av, aok := r.Metric(a)
				bv, bok := r.Metric(b)
				if aok && bok {
					each = append(each, av*bv*scale)
				}
			}
			if len(each) == 0 {
				return 0, nil, fmt.Errorf("no %s result of %s on %s at %d threads", a, w, s, n)
			}
			return median(each), each, nil
		}
	}
	scaling := func(w string, n int, unit string) fig {
		return func(s string) (float64, []float64, error) {
			one, err := reps(s, w, 1, unit)
			if err != nil {
				return 0, nil, err
			}
			many, err := reps(s, w, n, unit)
			if err != nil {
				return 0, nil, err
			}
			m, each := over(many, one)
			return m, each, nil
		}
	}
	// processes is the summed rate of the cells run side by side in
	// separate processes (Cell.Processes) over the same cell alone, in
	// each repetition: a repetition's runs side by side are consecutive.
	processes := func(w, unit string) fig {
		return func(s string) (float64, []float64, error) {
			one, err := reps(s, w, 1, unit)
			if err != nil {
				return 0, nil, err
			}
			var sums []float64
			for i := 0; i < len(results); i++ {
				r := &results[i]
				n, _ := strconv.Atoi(r.ConfigValue(processesKey))
				if r.Strategy != s || r.Workload != w || r.Threads != 1 || r.Status != runner.StatusOK || n < 2 {
					continue
				}
				v, ok := r.Metric(unit)
				if !ok || i+n > len(results) {
					continue
				}
				for _, o := range results[i+1 : i+n] {
					ov, ook := o.Metric(unit)
					if o.Strategy != s || o.Workload != w || o.ConfigValue(processesKey) == "" || !ook {
						return 0, nil, fmt.Errorf("%s on %s: result %d of %d processes side by side is missing", w, s, len(sums)+1, n)
					}
					v += ov
				}
				sums = append(sums, v)
				i += n - 1
			}
			if len(sums) == 0 {
				return 0, nil, fmt.Errorf("no %s result of %s on %s in processes side by side", unit, w, s)
			}
			m, each := over(sums, one)
			return m, each, nil
		}
	}
	// quotient is a's figure over b's, in each repetition and of the
	// medians: where both carry the same disturbance of the host's (a
	// repetition whose vCPUs were slow), the quotient divides it out.
	quotient := func(a, b fig) fig {
		return func(s string) (float64, []float64, error) {
			am, ae, err := a(s)
			if err != nil {
				return 0, nil, err
			}
			bm, be, err := b(s)
			if err != nil {
				return 0, nil, err
			}
			_, each := over(ae, be)
			return am / bm, each, nil
		}
	}
	type exp = struct {
		name, detail, model, unit string
		tol                       float64
		f                         fig
	}
	exps := []exp{
		{"reader-penalty", "mincore() reader alone / beside an mmap+munmap writer (lookups 1 thread / lookups-mmap 2)", "mmaplock", "x", c.Tolerance,
			penalty(Cell{"", "lookups", 1, "", 0}, "lookups/s", 1, Cell{"", "lookups-mmap", 2, "", 0}, "lookups/s")},
		{"writer-penalty", "mmap or munmap writer alone / beside a mincore() reader (mmap-churn 1 thread x2 / lookups-mmap 2)", "mmaplock", "x", c.Tolerance,
			penalty(Cell{"", "mmap-churn", 1, "", 0}, "writes/s", 2, Cell{"", "lookups-mmap", 2, "", 0}, "writes/s")},
		{"fault-mmap-penalty", "faulting thread alone / beside an mmap+munmap writer (faults 1 / faults-mmap 2)", c.Design, "x", c.Tolerance,
			penalty(Cell{"", "faults", 1, "", 0}, "faults/s", 1, Cell{"", "faults-mmap", 2, "", 0}, "faults/s")},
		{"fault-mprotect-penalty", "faulting thread alone / beside an mprotect writer (faults 1 / faults-mprotect 2)", c.Design, "x", c.Tolerance,
			penalty(Cell{"", "faults", 1, "", 0}, "faults/s", 1, Cell{"", "faults-mprotect", 2, "", 0}, "faults/s")},
		{"fault-ns", "one anonymous fault, 1 thread, reset amortized (faults 1)", c.Design, "ns", c.Tolerance, perSecond("faults", 1, "faults/s")},
		{"mmap-munmap-ns", "one mmap and munmap pair, 1 thread (mmap-churn 1)", c.Design, "ns", c.Tolerance, nsPerOp("mmap-churn", 1)},
		{"mprotect-ns", "one mprotect split or merge, 1 thread (timed in process)", c.Design, "ns", c.Tolerance, nil},
		{"round-trip-ns", "writer's time per operation beside a mincore() reader (1 / writes/s, lookups-mmap 2)", "mmaplock", "ns", c.RoundTripTolerance,
			perSecond("lookups-mmap", 2, "writes/s")},
	}
	// The field's shapes: one thread's time per operation (a page
	// touched, an mmap and munmap pair), then each scaling row.
	fileNote := fileFaultNote(c.Release, c.Design)
	for _, w := range costShapes {
		d := fmt.Sprintf("one thread's time per operation, 1 / %s (%s 1)", w.unit, w.workload)
		if fileNote != "" && (w.workload == "page_fault2" || w.workload == "page_fault3") {
			d += "; " + fileNote
		}
		exps = append(exps, exp{w.workload + "-ns", d, c.Design, "ns", c.Tolerance, perSecond(w.workload, 1, w.unit)})
	}
	for _, w := range scalingShapes {
		for _, n := range c.ScalingThreads {
			name := w.workload + "-scaling"
			if n != 2 {
				name += "-" + strconv.Itoa(n)
			}
			d := fmt.Sprintf("%s at %d threads / at 1 thread (%s)", w.unit, n, w.workload)
			if fileNote != "" && w.workload == "page_fault3" {
				d += "; " + fileNote
			}
			exps = append(exps, exp{name, d, c.Design, "x", c.ScalingTolerance, scaling(w.workload, n, w.unit)})
		}
	}
	if c.Processes {
		for _, w := range scalingShapes {
			procs := processes(w.workload, w.unit)
			exps = append(exps, exp{w.workload + "-processes",
				fmt.Sprintf("%s of two %s processes side by side, one thread each, on CPUs of their own / one alone: no MM, so no lock of any design, is shared, only the machine (caches, memory, a hypervisor's page-table work)", w.unit, w.workload),
				c.Design, "x", c.ScalingTolerance, procs})
			if slices.Contains(c.ScalingThreads, 2) {
				exps = append(exps, exp{w.workload + "-mm-share",
					fmt.Sprintf("%s-scaling / %s-processes, each repetition's: what one MM's two threads keep of what two processes get, the part of the scaling the designs decide, with the machine's share divided out", w.workload, w.workload),
					c.Design, "x", c.ScalingTolerance, quotient(scaling(w.workload, 2, w.unit), procs)})
			}
		}
	}
	// The lock rows, from the kernel's mmap_lock tracepoints and the
	// model's own rwsem: left out, and said so, where either side lacks
	// the figures (no tracing here, or -locks off).
	lockRows := []exp{
		{"mmap-lock-wait-ns", "mincore() reader's mmap_lock wait per lookup beside an mmap+munmap writer (lookups-mmap 2; kernel: tracepoints)", "mmaplock", "ns", c.LockTolerance,
			perOp("lookups-mmap", 2, units.MmapLockWait)},
		{"writer-wait-share", "share of the writer's time spent acquiring mmap_lock beside a mincore() reader (writer-lock-wait-ns/op x writes/s, lookups-mmap 2)", "mmaplock", "share", c.LockTolerance,
			product("lookups-mmap", 2, units.WriterLockWait, units.WritesPerS, 1e-9)},
	}
	for _, e := range lockRows {
		var why []string
		for _, s := range []string{"kernel", e.model} {
			if _, _, err := e.f(s); err != nil {
				why = append(why, err.Error())
			}
		}
		if len(why) > 0 {
			rep.LeftOut = append(rep.LeftOut, e.name+": "+strings.Join(why, "; "))
			continue
		}
		exps = append(exps, e)
	}
	for _, e := range exps {
		row := Row{Name: e.name, Detail: e.detail, Model: e.model, Unit: e.unit, Tolerance: e.tol}
		var kernelEach, modelEach []float64
		if e.f == nil {
			row.KernelValue, row.ModelValue = mprotect.Kernel, mprotect.Model
			if !(row.KernelValue > 0 && row.ModelValue > 0) {
				return Report{}, fmt.Errorf("%s: no single-thread mprotect cost (kernel %v ns, model %v ns)", e.name, row.KernelValue, row.ModelValue)
			}
			for _, sg := range timings {
				kernelEach, modelEach = append(kernelEach, sg.Kernel), append(modelEach, sg.Model)
			}
		} else {
			var err error
			if row.KernelValue, kernelEach, err = e.f("kernel"); err != nil {
				return Report{}, fmt.Errorf("%s: %w", e.name, err)
			}
			if row.ModelValue, modelEach, err = e.f(e.model); err != nil {
				return Report{}, fmt.Errorf("%s: %w", e.name, err)
			}
		}
		row.KernelSpread, row.ModelSpread = spread(kernelEach), spread(modelEach)
		row.KernelSteady = middleSpread(kernelEach)
		row.KernelGroups, row.ModelGroups = verdict.SplitGroups(kernelEach, e.tol), verdict.SplitGroups(modelEach, e.tol)
		row.Ratio = row.ModelValue / row.KernelValue
		if len(kernelEach) == 0 {
			row.Verdict = pointVerdict(row.Ratio, row.Tolerance)
		} else {
			row.Verdict = verdict.JudgeRatio(kernelEach, modelEach, row.Tolerance)
			// The row shows the figures judged: the medians of the
			// repetitions' own figures, whose ratio is the verdict's.
			// A penalty or a scaling of the cells' medians mixes
			// repetitions (one's 2-thread cell over another's 1-thread
			// cell), and can lie outside the interval of the paired
			// figures: page_fault3-scaling once read 1.20 beside an
			// interval of [1.29, 1.33], and disagreed.
			row.KernelValue, row.ModelValue = median(kernelEach), median(modelEach)
			row.Ratio = row.Verdict.Ratio
		}
		row.OK = row.Verdict.Outcome == verdict.Same
		rep.Rows = append(rep.Rows, row)
	}
	// medOf is the median of a lookups-mmap figure that may be 0: NaN
	// where no cell has it.
	medOf := func(strategy, unit string) float64 {
		xs := values(strategy, "lookups-mmap", 2, unit)
		if len(xs) == 0 {
			return math.NaN()
		}
		return median(xs)
	}
	for _, u := range SleepUnits {
		sl := Sleep{Unit: u, Kernel: medOf("kernel", u), Model: medOf("mmaplock", u)}
		if !math.IsNaN(sl.Kernel) || !math.IsNaN(sl.Model) {
			rep.Sleeps = append(rep.Sleeps, sl)
		}
	}
	return rep, nil
}

// over returns the ratio of the medians of num and den and the ratio of
// each repetition's pair, num[i] / den[i].
func over(num, den []float64) (float64, []float64) {
	each := make([]float64, min(len(num), len(den)))
	for i := range each {
		each[i] = num[i] / den[i]
	}
	return median(num) / median(den), each
}

// fileFaultNote says where the running kernel and the model part on file
// faults (page_fault2's COW faults, page_fault3's shared faults): the
// kernel handles them under the VMA lock from v6.7 (read, COW and shared
// faults moved there then; v6.4 and v6.5 refused file VMAs in
// lock_vma_under_rcu(), v6.6 took the lock only to return VM_FAULT_RETRY),
// and vmarefcnt and vmawait claim that path, vmaseq (v6.4) and mmaplock
// take mmap_lock. "" where they agree or the release is unreadable.
func fileFaultNote(release, design string) string {
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		return ""
	}
	kernelVMA := major*1000+minor >= 6007
	modelVMA := design == "vmarefcnt" || design == "vmawait"
	switch {
	case kernelVMA && !modelVMA:
		return fmt.Sprintf("the kernel (%s) handles file faults under the VMA lock, which %s does not model (mmap_lock)", release, design)
	case !kernelVMA && modelVMA:
		return fmt.Sprintf("the kernel (%s) has no file-fault path under the VMA lock (from v6.7), which %s claims: the row compares different paths", release, design)
	}
	return ""
}

// pointVerdict judges a ratio known from one timing a side, with no
// interval: within the tolerance it agrees, outside it disagrees.
func pointVerdict(ratio, tol float64) verdict.Judgement {
	j := verdict.Judgement{Outcome: verdict.Worse, Ratio: ratio, Lo: ratio, Hi: ratio, N: 1, Why: "one timing a side: no interval"}
	if ratio >= 1/tol && ratio <= tol {
		j.Outcome = verdict.Same
	}
	return j
}

// spread returns the largest of xs over the smallest, NaN for fewer than
// two.
func spread(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	return slices.Max(xs) / slices.Min(xs)
}

// middleSpread returns the 90th percentile of xs over the 10th, by
// nearest rank (the ceil(p*n)-th smallest), NaN for fewer than two: the
// largest over the smallest up to nine values, the tails left out above.
func middleSpread(xs []float64) float64 {
	n := len(xs)
	if n < 2 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := func(p float64) int { return max(int(math.Ceil(p*float64(n)))-1, 0) }
	return s[rank(0.9)] / s[rank(0.1)]
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
