package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"vmabench/internal/atomicfile"
	"vmabench/report"
	"vmabench/runner"
)

const runUsage = `Usage: vmabench run [flags]

Run runs every strategy under every workload at every thread count, -count
times, and writes each cell as soon as it finishes, in the Go benchmark
format (benchstat reads it), to -o FILE or to stdout. With -o, the file is
written under a temporary name and renamed when the run ends; an
interrupted run (Ctrl-C) keeps every finished cell, and the comparison
table is printed to stdout.

Each cell runs in a child process under a watchdog: a cell that deadlocks
or outruns -timeout is reported on a "# deadlock ..." or "# timeout ..."
line and on stderr, and the run goes on. Cells whose thread count is below
what a workload needs (a writer and a reader) are left out. On a terminal,
stderr shows which cell runs and the time left.

Examples:

	vmabench run -workload faults -threads 1,2 -o results/faults.txt
	vmabench run -strategy vmaseq,vmarefcnt -workload faults-mprotect -count 10 -o results/new.txt
	vmabench run -workload nested-fault -threads 2 -touch-held -fail-on-deadlock
	vmabench run -strategy all -workload all -duration 2s -count 6 > results/full.txt
	go tool benchstat -col /strategy -row /workload,/threads results/new.txt
`

// runCmd is `vmabench run`.
func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	plan := runner.Plan{Base: runner.DefaultConfig(), Count: 1, Child: cellCommand()}
	base := &plan.Base
	strats := &namesFlag{list: []string{"all"}}
	loads := &namesFlag{list: []string{"all"}}
	threads := &threadsFlag{list: runner.DefaultThreads()}
	var out string
	var failOnDeadlock bool
	fs.Var(strats, "strategy", "`names` of the strategies to run, comma-separated, or all (see vmabench list)")
	fs.Var(loads, "workload", "`names` of the workloads to run, comma-separated, or all (see vmabench list)")
	fs.Var(threads, "threads", "thread `counts`, comma-separated; by default the powers of two below the CPU count, and the CPU count")
	fs.IntVar(&plan.Count, "count", plan.Count, "repetitions of each cell, the samples benchstat compares")
	fs.Var(durationFlag{&base.Duration}, "duration", "timed window of each cell, a `duration` (300ms, 2s)")
	fs.Var(durationFlag{&base.Warmup}, "warmup", "warm-up of each cell before its window, a `duration`")
	fs.Var(durationFlag{&base.Timeout}, "timeout", "watchdog: a cell running longer than this `duration`, warm-up included, is a timeout;\nunless set, raised to twice warm-up plus window where that is more")
	fs.Var(durationFlag{&base.Stall}, "stall", "watchdog: a cell with no progress for this `duration` while a thread waits on a lock is a deadlock")
	fs.Uint64Var(&base.Load.Seed, "seed", base.Load.Seed, "seed of every thread's RNG (thread i uses seed, i)")
	fs.IntVar(&base.Load.Pages, "pages", base.Load.Pages, "pages in each thread's VMA")
	fs.IntVar(&base.Load.FaultWork, "fault-work", base.Load.FaultWork, "bytes a fault clears under its lock (clear_page); 0 for none")
	fs.IntVar(&base.Load.MapsVMAs, "maps-vmas", base.Load.MapsVMAs, "VMAs maps-walk walks")
	fs.Var(durationFlag{&base.Load.WriterPause}, "writer-pause", "writer thread's pause between changes, a `duration`; 0 for back to back")
	fs.BoolVar(&base.Load.TouchHeld, "touch-held", base.Load.TouchHeld, "nested-fault's writer changes the VMAs the readers hold")
	fs.BoolVar(&base.NoPin, "nopin", base.NoPin, "do not pin threads to CPUs")
	fs.BoolVar(&plan.InProcess, "inprocess", plan.InProcess, "run cells in this process (debugging: a deadlocked cell's threads stay blocked)")
	fs.StringVar(&out, "o", "", "write results to `FILE` (atomically) instead of stdout")
	fs.BoolVar(&failOnDeadlock, "fail-on-deadlock", false, "exit 1 if a cell deadlocked, timed out or failed")
	if err := parseFlags(fs, args, runUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("run", "unexpected argument %q", fs.Arg(0))
	}
	var err error
	if plan.Strategies, err = strategyNames(strats); err != nil {
		return usagef("run", "-strategy: %v", err)
	}
	if plan.Workloads, err = workloadNames(loads); err != nil {
		return usagef("run", "-workload: %v", err)
	}
	plan.Threads = threads.list
	if plan.Count < 1 {
		return usagef("run", "count %d: want at least 1", plan.Count)
	}
	timeoutSet := false
	fs.Visit(func(f *flag.Flag) { timeoutSet = timeoutSet || f.Name == "timeout" })
	if !timeoutSet {
		base.Timeout = max(base.Timeout, 2*(base.Warmup+base.Duration))
	}
	m := &matrix{plan: plan, stderr: stderr, progress: isTerminal(stderr)}
	if err := m.check(); err != nil {
		return usagef("run", "%v", err)
	}
	m.hdr = header()

	results, err := execute(ctx, m, out, stdout)
	reportSkipped(stderr, results)
	if out != "" && len(results) > 0 {
		if terr := report.WriteTable(stdout, tableResults(results)); terr != nil && err == nil {
			err = terr
		}
	}
	if err != nil {
		return err
	}
	if bad := failures(results); failOnDeadlock && len(bad) > 0 {
		return fmt.Errorf("%d of %d cells did not finish (-fail-on-deadlock)", len(bad), len(results))
	}
	return nil
}

// execute runs m, writing its results to the file path, atomically, or to
// stdout if path is "". A partial file is kept if the run was interrupted
// or a cell could not be started, but not if writing failed.
func execute(ctx context.Context, m *matrix, path string, stdout io.Writer) ([]runner.Result, error) {
	var f *atomicfile.File
	w := stdout
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
	m.out = report.NewWriter(w)
	if err := m.out.WriteHeader(m.hdr); err != nil {
		if f != nil {
			f.Abort()
		}
		return nil, err
	}
	results, err := m.run(ctx)
	if f == nil {
		return results, err
	}
	if errors.Is(err, errWrite) || err != nil && len(results) == 0 {
		f.Abort()
		return results, err
	}
	if cerr := f.Commit(); cerr != nil {
		return results, errors.Join(err, cerr)
	}
	if err != nil {
		return results, fmt.Errorf("%w; %d finished cells kept in %s", err, len(results), path)
	}
	return results, nil
}
