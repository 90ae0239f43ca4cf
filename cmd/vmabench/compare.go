package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"vmabench/report"
)

const compareUsage = `Usage: vmabench compare [flags] OLD NEW

Compare compares two results files (written by vmabench run or by
go test -bench) cell by cell and metric by metric, as benchstat does: the
median of each cell's repetitions with its confidence interval, and the
change with the p-value of a Mann-Whitney U test; "~" marks a change that
is not significant. Cells of NEW that deadlocked, timed out or failed are
listed after the tables. Run each side with -count 6 or more for a test
that can find a change.

With -gate, compare exits 1 if a cell got significantly worse by more
than -threshold in a metric whose better direction is known (ns/op and
percentiles up, faults/s down).

Examples:

	vmabench compare results/old.txt results/new.txt
	vmabench compare -gate -threshold 0.10 results/2026-01-01-abc1234.txt results/new.txt
`

// compareCmd is `vmabench compare`.
func compareCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	opts := report.DefaultCompareOptions()
	threshold := 0.05
	var gate bool
	fs.Float64Var(&opts.Alpha, "alpha", opts.Alpha, "significance level of the U test")
	fs.Float64Var(&threshold, "threshold", threshold, "smallest change -gate fails on, as a fraction (0.05 is 5%)")
	fs.BoolVar(&gate, "gate", false, "exit 1 if a cell regressed by more than -threshold")
	if err := parseFlags(fs, args, compareUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("compare", "want 2 results files, OLD and NEW; got %d", fs.NArg())
	}
	if err := opts.Validate(); err != nil {
		return usagef("compare", "-alpha %v: want a level in [0, 1), 0 for the default", opts.Alpha)
	}
	if threshold < 0 {
		return usagef("compare", "-threshold %v: must not be negative", threshold)
	}
	oldPath, newPath := fs.Arg(0), fs.Arg(1)
	old, err := report.ReadFile(oldPath)
	if err != nil {
		return err
	}
	cur, err := report.ReadFile(newPath)
	if err != nil {
		return err
	}
	opts.OldLabel, opts.NewLabel = labels(oldPath, newPath)
	c, err := report.Compare(old.Results, cur.Results, opts)
	if err != nil {
		return err
	}
	if err := c.WriteText(stdout); err != nil {
		return err
	}
	if !gate {
		return nil
	}
	regs := c.Regressions(threshold)
	for _, d := range regs {
		fmt.Fprintf(stderr, "vmabench: regression: %s %s: %+.1f%% (%s)\n", d.Cell, d.Unit, 100*d.Change, d.Test)
	}
	if len(regs) > 0 {
		return fmt.Errorf("compare: %d regressions beyond %g%%", len(regs), 100*threshold)
	}
	return nil
}

// labels names the two files in the table's columns: their base names,
// or their paths if those are the same.
func labels(oldPath, newPath string) (string, string) {
	o, n := filepath.Base(oldPath), filepath.Base(newPath)
	if o == n {
		return oldPath, newPath
	}
	return o, n
}
