package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"vmabench/calib"
	"vmabench/cell"
	"vmabench/internal/atomicfile"
	"vmabench/internal/machine"
	"vmabench/planflag"
	"vmabench/project"
	"vmabench/report"
	"vmabench/runner"
	"vmabench/strategies"
	"vmabench/workloads"
)

const projectUsage = `Usage: vmabench project [flags]

Project runs cells as run does, but on virtual CPUs in virtual time, on a
target machine: the same strategy and workload code, with every access to
shared model state a scheduling point charged by a cache-coherence model
(per 64-byte line of the model's real addresses), calibrated work advancing
each virtual CPU's clock, and sleeps blocking virtual CPUs. The earliest
virtual CPU always runs next, so the figures depend on the target and the
seed only: the same flags give the same file, byte for byte. Repetition r
of -count draws its random choices (the threads' generators, the work's
spread, the wake-ups) with seed -seed+r, so the repetitions differ as far
as the projection's own draws move it, and benchstat and compare see that
spread, not a false zero; repetition r alone is -seed S+r -count 1.

-target is a built-in target (xeon-16) or a target file (a calibration
profile's keys plus cpus, sockets and remote-transfer-ns); by default it is
this machine, from its calibration profile (vmabench calibrate), with its
CPUs. -duration and -warmup are virtual time; a projection of many threads
runs far slower than real time, and a warning gives the estimate when it
would take more than an hour. -timeout and -stall have no use here. The
default window, 20ms, holds less than one of page_fault1's 128 MiB passes
a thread at the faults' own rate: a fault shape's cell whose window held
less than a pass says so in a note line, with the -duration that would
hold one (the README's curves use 500ms).

Output is benchfmt with run's cell names, and configuration lines
"mode: projected", "target: NAME" and every cost of the target, so that
benchstat, compare, plot and report read it. Cells run in child
processes, -j at a time.

Examples:

	vmabench project -target xeon-16 -workload pft,page_fault1,mmap1 -threads 1,2,4,8,16 -o results/xeon-16.txt
	vmabench project -workload faults -threads 1,2 -count 4
	vmabench project -target my-machine.txt -strategy vmarefcnt -workload faults-mprotect -threads 64
	vmabench project -check                                  # every model, the check's cells, 1 and 2 threads
	vmabench project -check -workload mmap1 -strategy vmarefcnt -count 5
	vmabench project -workload mmap1 -strategy vmarefcnt -threads 2 -lines 10

-lines N says where a projection's time goes: before each cell's line, as
comment lines, the N call sites (function, file and line) whose accesses
to shared model state cost the most line transfers, with their share of
the virtual CPUs' time, the transfers and the kind of access.

-check runs each cell here for real (-real-duration each, -count times,
3 by default) and then projects it on this machine's profile, over the
same window after 20ms of virtual warm-up unless -duration or -warmup is
given (a window shorter than page_fault1's 60 ms pass would measure part
of it), and prints the one beside the other as validate does: the
projected/real ratio of the readers' and the writers' rates, its
interval, and a verdict within 1.25x (agrees, disagrees, or inconclusive
with the -count that would decide it). Without -workload and -strategy
it checks every model on the quick matrix's workloads and faults-shared,
lookups-mmap, mmap1, page_fault1 and pft. Under the table, each cell
with a figure not within tolerance has a line of its lock events (sleeps,
spin timeouts, steals per operation), real / projected. It exits 1 unless
every figure agrees.
`

// projectCellName is the hidden command that projects one cell in a
// child process (project.ServeCell).
const projectCellName = "project-cell"

func projectCellCmd(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef(projectCellName, "unexpected argument %q: the cell comes on stdin", args[0])
	}
	return project.ServeCell(stdin, stdout)
}

// projectCmd is vmabench project.
func projectCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("project", flag.ContinueOnError)
	def := project.DefaultConfig()
	base := runner.DefaultConfig()
	base.Duration, base.Warmup, base.Load = def.Duration, def.Warmup, def.Load
	plan := runner.Plan{Base: base, Count: 1, Threads: []int{1, 2}}
	flags := planflag.Bind(fs, &plan, planflag.Cells|planflag.Count|planflag.Window|planflag.Load, "")
	var target, calibration, out string
	jobs := runtime.NumCPU()
	fs.StringVar(&target, "target", "", "the machine to project onto: `NAME` of a built-in target ("+fmt.Sprint(calib.TargetNames())+") or a target FILE; empty for this machine")
	fs.StringVar(&calibration, "calibration", calib.Auto, "none for raw lock costs (no calibrated kernel work); otherwise the target's kernel costs")
	fs.StringVar(&out, "o", "", "write results to `FILE` (atomically) instead of stdout")
	fs.IntVar(&jobs, "j", jobs, "cells projected at once, each in a child process")
	var check, runSpins bool
	var lines int
	fs.BoolVar(&runSpins, "run-spins", false, "run every iteration of the spin loops that only look (a writer queued on the OSQ, or spinning on the owner), where the engine skips those in which nothing they read is written: slower, the same results byte for byte; a check of the engine")
	fs.IntVar(&lines, "lines", 0, "where the time goes: before each cell, the `N` call sites whose accesses cost the most line transfers, with their share of the virtual CPUs' time (0: none; slows a projection several times)")
	realDuration := 300 * time.Millisecond
	fs.BoolVar(&check, "check", false, "also run each cell for real here and print the projection against it, as validate prints (this machine's target only)")
	fs.DurationVar(&realDuration, "real-duration", realDuration, "with -check: the real cells' timed window, a `duration`")
	if err := parseFlags(fs, args, projectUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("project", "unexpected argument %q", fs.Arg(0))
	}
	if err := flags.Apply(); err != nil {
		return usagef("project", "%v", err)
	}
	if calibration != calib.Auto && calibration != calib.None {
		return usagef("project", "-calibration %q: want none, or nothing (the target's costs)", calibration)
	}
	if jobs < 1 {
		return usagef("project", "-j %d: want 1 or more", jobs)
	}
	if lines < 0 {
		return usagef("project", "-lines %d: want 0 (none) or more", lines)
	}
	if check {
		if lines > 0 {
			return usagef("project", "-lines %d: -check prints its table, not the projections' cells; run project -lines without -check", lines)
		}
		if target != "" {
			return usagef("project", "-check compares with real runs on this machine: it takes no -target (got %q)", target)
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["workload"] {
			plan.Workloads = checkWorkloads
		}
		if !set["strategy"] {
			plan.Strategies = models()
		}
		if !set["count"] {
			plan.Count = 3
		}
		// The projection's window is the real cells' unless given: a
		// window shorter than a workload's cycle (page_fault1's 128 MiB
		// pass and its munmap take about 60 ms) measures part of it,
		// and a real window holds several.
		if !set["duration"] {
			plan.Base.Duration = realDuration
		}
		if !set["warmup"] {
			plan.Base.Warmup = checkWarmup
		}
	}
	tg, err := loadTarget(ctx, target, stderr)
	if err != nil {
		if errors.Is(err, calib.ErrUnknownTarget) {
			return usagef("project", "-target: %v", err)
		}
		return err
	}
	ptg := project.FromCalib(tg, calibration == calib.None)
	var cells []project.Config
	reps := map[cell.Cell]int{} // each cell's repetitions so far
	for _, rc := range plan.Cells() {
		if rc.Threads > tg.CPUs {
			return usagef("project", "-threads %d: the target %s has %d CPUs (each thread runs on a virtual CPU of its own; use a target with more)", rc.Threads, tg.Name, tg.CPUs)
		}
		c := def
		c.Strategy, c.Workload, c.Threads = rc.Strategy, rc.Workload, rc.Threads
		c.Warmup, c.Duration, c.Load, c.Target, c.Locks = rc.Warmup, rc.Duration, rc.Load, ptg, rc.Locks
		c.Lines, c.RunSpins = lines, runSpins
		k := cell.Cell{Workload: rc.Workload, Strategy: rc.Strategy, Threads: rc.Threads}
		c.Rep = reps[k]
		reps[k]++
		if err := c.Validate(); err != nil {
			return usagef("project", "%v", err)
		}
		cells = append(cells, c)
	}
	if len(cells) == 0 {
		return usagef("project", "no cell to project (every thread count is below its workload's minimum)")
	}
	if est := estimate(cells, jobs); est > time.Hour {
		fmt.Fprintf(stderr, "vmabench project: warning: this projection would take about %v on %d CPUs (virtual -duration %v); a shorter -duration or fewer threads is faster\n", est.Round(time.Minute), jobs, plan.Base.Duration)
	}
	if !check {
		_, err := projectAll(ctx, cells, jobs, out, stdout, stderr)
		return err
	}
	profile := tg.Name
	if calibration == calib.None {
		profile = calib.None // raw lock costs on both sides
	}
	return projectCheck(ctx, plan, realDuration, profile, cells, jobs, out, stdout, stderr)
}

// checkWarmup is project -check's virtual warm-up: enough for every
// workload's first cycle (a virtual machine has no caches or frequency to
// warm beyond its model's state).
const checkWarmup = 20 * time.Millisecond

// checkWorkloads are project -check's default workloads: the quick
// matrix's and the field's shapes a projection is read for.
var checkWorkloads = append(slices.Clone(quickWorkloads), "faults-shared", "lookups-mmap", "mmap1", "page_fault1", "pft")

// models returns the registered strategies that are models (every one
// but the live kernel), which a projection can run.
func models() []string {
	var out []string
	for _, n := range strategies.Names() {
		if info, err := strategies.Get(n); err == nil && info.New != nil {
			out = append(out, n)
		}
	}
	return out
}

// projectCheck is project -check: the real cells of plan here, with the
// calibration profile file the target was made from and a window of
// realDuration, then their projections on that profile, then the table of
// the one beside the other (project.Check). The projection's results go
// to path if given. profile is calib.None where both sides run with raw
// lock costs.
func projectCheck(ctx context.Context, plan runner.Plan, realDuration time.Duration, profile string, cells []project.Config, jobs int, path string, stdout, stderr io.Writer) error {
	rp := plan
	rp.Base = runner.DefaultConfig()
	rp.Base.Load = plan.Base.Load
	rp.Base.Duration = realDuration
	rp.Child = cellCommand()
	m := &matrix{plan: rp, hdr: header(), stderr: stderr, progress: isTerminal(stderr)}
	if err := m.check(); err != nil {
		return usagef("project", "%v", err)
	}
	// The real cells use the profile file the projection's target came
	// from, not a fresh resolution of this machine's: a start-up drift
	// check between the two could measure it afresh, and the two sides
	// would then charge different kernel costs (seen: fault-ns 1354 for
	// the real cells against 1775 for their projections).
	if _, err := applyCalibration(ctx, profile, &m.plan.Base.Load, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "vmabench project -check: %d real cells here, then their projections\n", len(m.plan.Cells()))
	m.out = report.NewWriter(io.Discard)
	// The line transfer is measured before the first real cell and after
	// each, and each cell's projection charges the mean of the two beside
	// it: on a VM it moves with where the host places the vCPUs (230 ns in
	// the profile and 52 ns after the real cells on 2026-12-04, when
	// mmap1's mmaplock at 2 threads projected 179k writes/s against 355k
	// real with the profile's figure, and 344k with the measured one).
	transfers := make([]float64, len(m.plan.Cells())+1)
	transfers[0] = lineTransfer(ctx)
	m.after = func(i int, _ runner.Result) { transfers[i+1] = lineTransfer(ctx) }
	real, err := m.run(ctx)
	if err != nil {
		return err
	}
	profileTransfer := float64(cells[0].Target.Costs.Transfer) / 1000
	beside := transfersBeside(transfers, profileTransfer)
	for i := range cells {
		chargeTransfer(&cells[i], beside[i])
	}
	// The projection's file goes to path or nowhere; its table is not
	// printed: the check's is.
	projected, err := projectAll(ctx, cells, jobs, path, io.Discard, stderr)
	if err != nil && len(projected) == 0 {
		return err
	}
	rows, missing := project.Check(real, projected, project.CheckTolerance)
	writeTransferCheck(stdout, profileTransfer, beside)
	if werr := project.WriteCheck(stdout, rows, missing, project.CheckTolerance); werr != nil {
		return werr
	}
	return errors.Join(err, project.CheckErr(rows))
}

// lineTransfer measures the line transfer now (calib.LineTransfer), 0
// where it cannot (one CPU, a cancelled ctx).
func lineTransfer(ctx context.Context) float64 {
	ns, err := calib.LineTransfer(ctx)
	if err != nil {
		return 0
	}
	return ns
}

// transfersBeside returns the line transfer each real cell ran beside:
// for cell i, the mean of measured[i] (before it) and measured[i+1]
// (after it), either alone where the other is missing (0), and profile
// where both are.
func transfersBeside(measured []float64, profile float64) []float64 {
	out := make([]float64, max(len(measured)-1, 0))
	for i := range out {
		a, b := measured[i], measured[i+1]
		switch {
		case a > 0 && b > 0:
			out[i] = (a + b) / 2
		case a > 0:
			out[i] = a
		case b > 0:
			out[i] = b
		default:
			out[i] = profile
		}
	}
	return out
}

// chargeTransfer makes c's projection charge a line transfer of ns, in
// its costs and its target-line-transfer-ns configuration line.
func chargeTransfer(c *project.Config, ns float64) {
	c.Target.Costs.Transfer = max(int64(ns*1000+0.5), 1)
	pairs := slices.Clone(c.Target.Pairs)
	for k := range pairs {
		if pairs[k].Key == "target-line-transfer-ns" {
			pairs[k].Value = strconv.FormatFloat(math.Round(ns*10)/10, 'f', -1, 64)
		}
	}
	c.Target.Pairs = pairs
}

// writeTransferCheck prints, above project -check's table, the line
// transfers the projections charged (measured beside each real cell, in
// ns) and the profile's figure, which a projection without -check charges.
func writeTransferCheck(w io.Writer, profile float64, beside []float64) {
	if len(beside) == 0 {
		return
	}
	s := slices.Sorted(slices.Values(beside))
	lo, med, hi := s[0], s[len(s)/2], s[len(s)-1]
	fmt.Fprintf(w, "line transfer: each projection charges the one measured beside its real cell, %.0f to %.0f ns (median %.0f); the profile has %.0f ns", lo, hi, med, profile)
	if f, moved := calib.TransferMoved(med, profile); moved {
		fmt.Fprintf(w, ", %.1fx from the median: where the host placed the vCPUs moved since calibration", f)
	}
	fmt.Fprintln(w)
}

// loadTarget resolves -target: a built-in name or a file, or this
// machine's calibration profile with its CPU count.
func loadTarget(ctx context.Context, name string, stderr io.Writer) (calib.Target, error) {
	if name != "" {
		return calib.LoadTarget(name)
	}
	r, err := calib.Resolve(ctx, calib.Auto)
	if err != nil {
		return calib.Target{}, err
	}
	if r.Note != "" {
		fmt.Fprintf(stderr, "vmabench: %s\n", r.Note)
	}
	return calib.LocalTarget(r.Profile, r.Path, len(machine.CPUs())), nil
}

// estimate guesses a projection's host time: a pilot of one thread of the
// first cell for 1 ms of virtual time, scaled by each cell's threads and
// virtual time (a virtual CPU's events per virtual second barely change
// with the thread count, so the events grow with threads x time), over
// jobs at once.
func estimate(cells []project.Config, jobs int) time.Duration {
	c := cells[0]
	c.Threads, c.Warmup, c.Duration = max(1, c.Threads), 0, time.Millisecond
	if info, err := workloads.Get(c.Workload); err == nil {
		c.Threads = max(info.MinThreads, 1)
	}
	_, st, err := project.Run(c)
	if err != nil || st.Wall <= 0 {
		return 0
	}
	perCPUms := float64(st.Wall) / float64(c.Threads)
	var total float64
	for _, x := range cells {
		total += perCPUms * work(x) / float64(time.Millisecond)
	}
	return time.Duration(total / float64(jobs))
}

// work is what projecting cell c costs the host, in virtual-CPU
// nanoseconds: its threads times its virtual time (a virtual CPU's events
// per virtual second barely change with the thread count), or 0 for a
// cell Run skips (the live kernel, too few threads). The estimate before a
// run and the progress line's time left both weigh cells by it: the
// cells come in the order of their thread counts, so the last ones cost
// the most, and a mean time per cell would promise seconds for minutes.
func work(c project.Config) float64 {
	sinfo, _ := strategies.Get(c.Strategy)
	winfo, _ := workloads.Get(c.Workload)
	if sinfo.Live || c.Threads < winfo.MinThreads {
		return 0
	}
	return float64(c.Threads) * float64(c.Warmup+c.Duration)
}

// projectAll projects cells, jobs at a time in child processes, and writes
// their results in the cells' order, each as soon as every earlier one is
// written, with a progress line on stderr. It returns the results written.
func projectAll(ctx context.Context, cells []project.Config, jobs int, path string, stdout, stderr io.Writer) ([]runner.Result, error) {
	w := stdout
	var f *atomicfile.File
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		var err error
		if f, err = atomicfile.Create(path); err != nil {
			return nil, err
		}
		w = f
	}
	rw := report.NewWriter(w)
	if err := rw.WriteHeader(append(header(), cells[0].Locks.KV())); err != nil {
		if f != nil {
			f.Abort()
		}
		return nil, err
	}
	type done struct {
		res runner.Result
		st  project.Stats
		err error
	}
	results := make([]chan done, len(cells))
	for i := range results {
		results[i] = make(chan done, 1)
	}
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	child := []string{cellCommand()[0], projectCellName}
	// Cells start in their order (the semaphore is taken before each
	// starts), so results come back about in the order they are written.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, c := range cells {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				r, st, err := project.RunIsolated(ctx, c, child)
				results[i] <- done{r, st, err}
			}()
		}
	}()
	start := time.Now()
	var todo, finished float64 // work(c) of every cell, of those back
	for _, c := range cells {
		todo += work(c)
	}
	var events uint64
	var cpu time.Duration
	var firstErr error
	var all []runner.Result
	for i := range cells {
		d := <-results[i]
		finished += work(cells[i])
		if d.err != nil {
			firstErr = errors.Join(firstErr, d.err)
			continue
		}
		events += d.st.Events
		cpu += d.st.Wall
		all = append(all, d.res)
		if err := rw.WriteResult(&d.res); err != nil {
			firstErr = errors.Join(firstErr, err)
			break
		}
		if d.res.Status != runner.StatusOK {
			fmt.Fprintf(stderr, "vmabench project: %s: %s: %s\n", d.res.Name(), d.res.Status, d.res.Detail)
		}
		el := time.Since(start)
		var left time.Duration
		if finished > 0 {
			left = time.Duration(float64(el) / finished * (todo - finished))
		}
		rate := 0.0
		if cpu > 0 {
			rate = float64(events) / cpu.Seconds()
		}
		fmt.Fprintf(stderr, "vmabench project: %d/%d cells, %s, %.1fM events/s per CPU, %v left\n", i+1, len(cells), d.res.Name(), rate/1e6, left.Round(time.Second))
	}
	wg.Wait()
	if f != nil {
		if firstErr != nil && len(all) == 0 {
			f.Abort()
			return nil, firstErr
		}
		if err := f.Commit(); err != nil {
			return all, errors.Join(firstErr, err)
		}
		if len(all) > 0 {
			if err := report.WriteTable(stdout, tableResults(all)); err != nil {
				firstErr = errors.Join(firstErr, err)
			}
			if n, need := project.ShortWindows(all); n > 0 {
				fmt.Fprintf(stderr, "vmabench project: %d of %d cells held less than one pass of their shape a thread, so their rates are mostly the faults' (a note on each in the file); -duration %v or more holds a pass in each\n", n, len(all), need)
			}
		}
	}
	return all, firstErr
}
