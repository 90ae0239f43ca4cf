package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vmabench/calib"
	"vmabench/internal/atomicfile"
	"vmabench/planflag"
	"vmabench/runner"
	"vmabench/validate"
)

const validateUsage = `Usage: vmabench validate [flags]

Validate holds the models against the live kernel on this machine, in one
run of about half a minute: it runs pairs of cells (a workload alone, and
beside a writer) on the kernel strategy and on a calibrated model, each
-count times in a child process, and prints one row per experiment: the
kernel's figure, the model's, their ratio with its 95% bootstrap interval
over the paired repetitions, and a verdict: the model agrees when the
interval lies within -tolerance either way (1.25x by default, for every
penalty and cost), disagrees when it lies wholly outside, and is
inconclusive when it straddles a bound, with the -count that would decide
it. It exits 1 if a row disagrees or, unless -allow-inconclusive, is
inconclusive, and 1 with the reason where the live kernel cannot be
measured (no /proc, a seccomp filter). nightly -validate runs the same
code with the same defaults. Under the table, a line names each row whose
kernel figure moved by more than its tolerance across the repetitions,
and each side whose repetitions fell in two modes (both groups' ranges
and sizes; it takes six repetitions a side, so -count 5 alone never
shows it, -max-count may): a ratio of medians then weighs how often each
ran in each.

Rows: reader-penalty and writer-penalty (mincore() reader and mmap/munmap
writer on mmap_lock, kernel vs mmaplock); fault-mmap-penalty and
fault-mprotect-penalty (a faulting thread beside each writer, kernel vs the
model of the design the running kernel has: vmarefcnt from v6.15, vmaseq
from v6.4, mmaplock before); fault-ns, mmap-munmap-ns, mprotect-ns
(single-thread costs); round-trip-ns (the writer's time per operation
beside a mincore() reader, within -round-trip-tolerance); the field's
shapes' costs and their scaling.

The models are calibrated beside the kernel cells they are held against:
before each repetition, validate measures this machine's costs afresh (as
vmabench calibrate does, in a second or so), and that repetition's model
cells run with the work derived from them, so a machine whose costs drift
within minutes does not show as a model that disagrees. -calibration FILE
uses the profile FILE for every repetition instead.

Examples:

	vmabench validate
	vmabench validate -count 5 -o results/validate.txt
	vmabench validate -allow-inconclusive -tolerance 1.5 -calibration results/calibration.txt
	vmabench validate -max-count 30                  # extend to up to 30 repetitions where rows cannot judge

-max-count N makes an inconclusive validation a two-stage one: the first
-count repetitions' spread sets how many in all would decide each
inconclusive row (the count it names), every cell runs again up to the
most of those that is N or fewer, and every row is judged once more, on
all the repetitions. One look at the end, not one after each repetition,
which would stop on a lucky stretch. Rows that need more than N stay
inconclusive and the table says so.
`

// validateCmd is vmabench validate.
func validateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := validate.DefaultConfig()
	cfg.Child = cellCommand()
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	var out string
	calibration := calib.Auto
	fs.Float64Var(&cfg.Tolerance, "tolerance", cfg.Tolerance, "how far model/kernel may stray either way, a `factor` (1.5: from 0.67 to 1.5)")
	fs.Float64Var(&cfg.RoundTripTolerance, "round-trip-tolerance", cfg.RoundTripTolerance, "round-trip-ns's tolerance, a `factor`")
	fs.BoolVar(&cfg.AllowInconclusive, "allow-inconclusive", false, "exit 0 when rows are inconclusive (none disagrees); they are listed still")
	fs.IntVar(&cfg.MaxCount, "max-count", 0, "where rows are inconclusive after -count repetitions, run every cell again up to the `N` the spread says would decide them, at most N, and judge once more on all of them (0: never)")
	// The window and load flags of vmabench run (and -count), on a plan
	// that only carries them.
	plan := runner.Plan{Base: cfg.Base, Count: cfg.Count}
	flags := planflag.Bind(fs, &plan, planflag.Count|planflag.Window|planflag.Load|planflag.Pin, "")
	fs.StringVar(&cfg.Design, "design", cfg.Design, "the `model` of the running kernel's design (default from the kernel release)")
	fs.StringVar(&calibration, "calibration", calibration, calibrationFlagUsage)
	fs.StringVar(&out, "o", "", "also write the rows and cells in the Go benchmark format to `FILE`")
	if err := parseFlags(fs, args, validateUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("validate", "unexpected argument %q", fs.Arg(0))
	}
	if err := flags.Apply(); err != nil {
		return usagef("validate", "%v", err)
	}
	cfg.Base, cfg.Count = plan.Base, plan.Count
	if err := cfg.Validate(); err != nil {
		return usagef("validate", "%v", err)
	}
	if err := applyValidateCalibration(ctx, calibration, &cfg, stderr); err != nil {
		return err
	}
	cells := len(cfg.Cells())
	// about is how long n cells take: each window, its warm-up and its
	// child process's start.
	about := func(n int) time.Duration {
		return (time.Duration(n) * (cfg.Base.Warmup + cfg.Base.Duration + 100*time.Millisecond)).Round(time.Second)
	}
	n := cfg.Count * cfg.Runs()
	fmt.Fprintf(stderr, "vmabench validate: kernel %s against %s, %d cell runs, about %v\n", cfg.Release, cfg.Design, n, about(cfg.Count*cells))
	if isTerminal(stderr) {
		cfg.Progress = func(i, n int, r runner.Result) error {
			fmt.Fprintf(stderr, "\r\033[K[%d/%d] %s", i+1, n, r.Name())
			if i+1 == n {
				fmt.Fprint(stderr, "\r\033[K")
			}
			return nil
		}
	}
	cfg.Extending = func(from, to int, rows []string) {
		fmt.Fprintf(stderr, "vmabench validate: %d rows inconclusive after %d repetitions (%s): extending to %d, about %v more\n",
			len(rows), from, strings.Join(rows, ", "), to, about((to-from)*cells))
	}
	rep, err := validate.Run(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	if out != "" {
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(out, func(w io.Writer) error { return rep.WriteBenchfmt(w, header()) }); err != nil {
			return err
		}
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if err := rep.Err(); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	return nil
}
