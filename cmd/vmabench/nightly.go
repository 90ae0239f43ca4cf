package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"vmabench/calib"
	"vmabench/internal/machine"
	"vmabench/nightly"
	"vmabench/planflag"
	"vmabench/runner"
	"vmabench/validate"
)

const nightlyUsage = `Usage: vmabench nightly [flags]

Runs the standard nightly matrix, adds its results to this machine's
history in the results tree as <results>/<machine>/<YYYY-MM-DD>-<commit>.txt
(a second run of the same night gets -2, -3, ...; nothing is overwritten),
compares them with the machine's previous usable nightly file (or
-baseline FILE), and prints the comparison of ns/op ('vmabench compare
OLD NEW' compares every unit). A machine is only compared with itself; its
name is -machine or the host name's first label.

It fails (exit status 1) if a cell got significantly worse than the
previous night (Mann-Whitney U test, p <= 0.05 over all cells, Holm) by
more than -threshold and is also outside its noise band over the last
-window nights of the machine (Q1 - 2 IQR .. Q3 + 2 IQR of the nightly
medians); with fewer than 5 nights there is no band and the change must be
worse than -cold-threshold. It also fails if a cell stopped finishing
(deadlock, timeout, error) where the baseline finished. Each such cell is
named on a "regression:" line with its change and band; changes the
history dismisses are listed on "within noise:" lines, improvements too.
A machine's first night is not gated, and says so.

Over the machine's whole history, E-Divisive Means finds the nights where a
cell's series stepped (change points, p <= 0.01 by a seeded permutation
test); the report lists each with the commit range to bisect. Trend charts
over the history (one point per night, with the spread of its repetitions,
change points ringed), the new run's charts and a static index.html that
shows them with the tables are written to the plots directory; open
plots/index.html in a browser, no server needed. 'vmabench report' builds
one site for all the machines of a results tree.

With -validate, the models are also held against the live kernel, as
'vmabench validate' does, and its table (benchfmt) is kept beside the
night's file, in <results>/<machine>/validate/; the report shows the
newest table and the change points of each row over the nights, so that a
drift of the model from the kernel shows as a regression does. A row out of
tolerance is reported, but does not fail the night.

A history file that cannot be read or parsed, or that does not belong
(another machine's, no machine, truncated, a copy of another night), is
reported by name and left out; the other nights are still used.

The standard matrix is every model strategy (not kernel) under the
workloads faults and faults-mmap at 1 and 2 threads, 6 repetitions of
500ms each: 90 cells, about a minute on two cores. The plan flags
(-strategy, -workload, -threads, -count, -duration, -warmup, -timeout,
-stall, -seed, -pages, -fault-work, -maps-vmas, -writer-pause, -touch-held,
-nopin) are those of 'vmabench run', with the nightly matrix as their
defaults; they narrow or widen it.

Examples:

	vmabench nightly -machine ci-epyc-2
	vmabench nightly -machine ci-epyc-2 -validate
	vmabench nightly -results /srv/vmabench/results -plots /srv/vmabench/plots
	vmabench nightly -baseline results/ci-epyc-2/2026-01-05-abc1234.txt -threshold 0.1
	vmabench nightly -workload faults -strategy vmaseq,vmarefcnt -count 8
`

// validation returns the nightly job's validation: vc run as vmabench
// validate runs it, its rows and cells written to the night's validate
// table; rows out of tolerance are its error, named, as validate's exit
// status says them.
func validation(vc validate.Config) nightly.Validation {
	return func(ctx context.Context, w io.Writer) error {
		rep, err := validate.Run(ctx, vc)
		if err != nil {
			return err
		}
		if err := rep.WriteBenchfmt(w, header()); err != nil {
			return err
		}
		return rep.Err()
	}
}

// nightlyCmd runs the nightly job: see nightlyUsage.
func nightlyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := nightly.DefaultConfig()
	cfg.Plan.Child = cellCommand()
	fs := flag.NewFlagSet("nightly", flag.ContinueOnError)
	flags := planflag.Bind(fs, &cfg.Plan, planflag.All&^planflag.InProcess, "")
	calibration := calib.Auto
	fs.StringVar(&calibration, "calibration", calibration, calibrationFlagUsage)
	fs.StringVar(&cfg.ResultsDir, "results", cfg.ResultsDir, "`directory` of the results tree: this machine's history is its folder <directory>/<machine>, to which the new file is added")
	fs.StringVar(&cfg.PlotsDir, "plots", cfg.PlotsDir, "`directory` for the trend charts, the run's charts and index.html")
	fs.StringVar(&cfg.Machine, "machine", "", "`name` of this machine, its folder in the results tree (lower-case letters, digits, hyphens); default: the host name")
	fs.IntVar(&cfg.Gate.History.Window, "window", cfg.Gate.History.Window, "how many of the machine's earlier `nights` the noise band is built from")
	fs.Float64Var(&cfg.Gate.History.ColdThreshold, "cold-threshold", cfg.Gate.History.ColdThreshold, "how much worse a change must be to fail while the history is too short for a band (`fraction`)")
	withValidate := false
	fs.BoolVar(&withValidate, "validate", false, "also hold the models against the live kernel (vmabench validate, about 20s more) and keep its table beside the night's file, so that a drift of the model from the kernel shows as a change point")
	fs.StringVar(&cfg.Baseline, "baseline", "", "compare with this results `file` instead of the previous nightly")
	fs.Float64Var(&cfg.Gate.Threshold, "threshold", cfg.Gate.Threshold, "how much worse a significant change must be to fail (`fraction`: 0.05 is 5%)")
	fs.BoolVar(&cfg.Gate.AllowInconclusive, "allow-inconclusive", false, "pass cells the gate cannot tell (listed still, with the -count that would decide them)")
	fs.BoolVar(&cfg.Gate.Holm, "holm", cfg.Gate.Holm, "judge significance over all cells together (Holm-Bonferroni): unchanged code then fails at most one run in 20, however many cells")
	if err := parseFlags(fs, args, nightlyUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("nightly", "unexpected argument %q: nightly takes only flags", fs.Arg(0))
	}
	if err := flags.Apply(); err != nil {
		return usagef("nightly", "%v", err)
	}
	for _, w := range flags.Warnings() {
		fmt.Fprintf(stderr, "vmabench nightly: warning: %s\n", w)
	}
	cfg.Commit = machine.Commit()
	if cfg.Machine == "" {
		var err error
		if cfg.Machine, err = nightly.HostMachine(); err != nil {
			return usagef("nightly", "-machine: %v", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return usagef("nightly", "%v", err)
	}

	if _, err := applyCalibration(ctx, calibration, &cfg.Plan.Base.Load, stderr); err != nil {
		return err
	}
	if withValidate {
		// The same code and defaults as vmabench validate.
		vc := validate.DefaultConfig()
		vc.Child = cellCommand()
		vc.AllowInconclusive = cfg.Gate.AllowInconclusive
		if err := applyValidateCalibration(ctx, calibration, &vc, io.Discard); err != nil {
			return err
		}
		cfg.Validation = validation(vc)
	}
	cells := cfg.Plan.Cells()
	p := progress{w: stderr, on: isTerminal(stderr), n: len(cells), start: time.Now(),
		perCell: cfg.Plan.Base.Warmup + cfg.Plan.Base.Duration}
	fmt.Fprintf(stderr, "vmabench nightly: %d cells, about %v\n", len(cells),
		(time.Duration(len(cells)) * p.perCell).Round(100*time.Millisecond))
	p.next(cells[0])
	cfg.Progress = func(i, n int, r runner.Result) error {
		p.done(r)
		if i+1 < n {
			p.next(cells[i+1])
		}
		return nil
	}
	o, err := nightly.Run(ctx, cfg)
	p.clear()
	if o != nil {
		if werr := o.WriteText(stdout); werr != nil {
			return errors.Join(err, werr)
		}
	}
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("%w: no nightly file written", errInterrupted)
	case err != nil:
		return err
	case o.Failed():
		return fmt.Errorf("nightly: %s against %s", nightly.State(o.Verdict), o.Baseline)
	}
	return nil
}
