package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"vmabench/calib"
	"vmabench/internal/atomicfile"
	"vmabench/planflag"
	"vmabench/report"
	"vmabench/runner"
	"vmabench/verdict"
)

const runUsage = `Usage: vmabench run [flags]

Run runs every strategy under every workload at every thread count, -count
times (by default 4, the fewest with which vmabench compare can find a
change significant at 0.05), and writes each cell as soon as it finishes, in the Go benchmark
format (benchstat reads it), to -o FILE or to stdout. With -o, the file is
written under a temporary name and renamed when the run ends; an
interrupted run (Ctrl-C) keeps every finished cell, and the comparison
table is printed to stdout.

Each cell runs in a child process under a watchdog: a cell that deadlocks
or outruns -timeout is reported on a "# deadlock ..." or "# timeout ..."
line and on stderr, and the run goes on. Cells whose thread count is below
what a workload needs (a writer and a reader) are left out. The thread
counts are by default the powers of two below the CPU count, and the CPU
count. On a terminal,
stderr shows which cell runs and the time left.

Examples:

	vmabench run -workload faults -threads 1,2 -o results/faults.txt
	vmabench run -strategy vmaseq,vmarefcnt -workload faults-mprotect -count 10 -o results/new.txt
	vmabench run -workload nested-fault -threads 2 -touch-held -fail-on-deadlock
	vmabench run -workload page_fault1,page_fault3,pft -threads 1,2 -size 32MiB
	vmabench run -strategy all -workload all -duration 2s -count 6 > results/full.txt
	vmabench run -workload lookups,lookups-mmap -threads 1,2 -calibration none
	go tool benchstat -col /strategy -row /workload,/threads results/new.txt
`

// runCmd is `vmabench run`.
func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	// The default count is the least at which compare's U test can reach
	// its significance level at all (4 at 0.05: 3 against 3 reach only
	// 0.1), so that two runs of the defaults can be told apart.
	plan := runner.Plan{Base: runner.DefaultConfig(), Count: verdict.MinN(report.DefaultCompareOptions().Alpha), Child: cellCommand()}
	flags := planflag.Bind(fs, &plan, planflag.All, "")
	var out, calibration string
	var failOnDeadlock bool
	fs.StringVar(&calibration, "calibration", calib.Auto, calibrationFlagUsage)
	fs.StringVar(&out, "o", "", "write results to `FILE` (atomically) instead of stdout")
	fs.BoolVar(&failOnDeadlock, "fail-on-deadlock", false, "exit 1 if a cell deadlocked, timed out or failed")
	if err := parseFlags(fs, args, runUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("run", "unexpected argument %q", fs.Arg(0))
	}
	if err := flags.Apply(); err != nil {
		return usagef("run", "%v", err)
	}
	for _, w := range flags.Warnings() {
		fmt.Fprintf(stderr, "vmabench run: warning: %s\n", w)
	}
	m := &matrix{plan: plan, stderr: stderr, progress: isTerminal(stderr)}
	if err := m.check(); err != nil {
		return usagef("run", "%v", err)
	}
	if _, err := applyCalibration(ctx, calibration, &m.plan.Base.Load, stderr); err != nil {
		return err
	}
	m.hdr = append(header(), m.plan.Base.Locks.KV())

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
