package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"vmabench/report"
	"vmabench/units"
	"vmabench/verdict"
)

const compareUsage = `Usage: vmabench compare [flags] OLD NEW

Compare compares two results files (written by vmabench run or by
go test -bench) cell by cell and metric by metric, as benchstat does: the
median of each cell's repetitions with its confidence interval, and the
change with the p-value of a Mann-Whitney U test; "~" marks a change that
is not significant. Each row ends with a verdict at -threshold:

	worse, better  the U test is significant (p <= -alpha) and the whole
	               95% interval of the ratio new/old lies beyond ±threshold
	same           the whole interval lies within ±threshold
	cannot tell    the interval straddles the threshold, or there are too
	               few repetitions for the test ever to reach -alpha (at 3
	               against 3 the smallest p is 0.1; 4 is the least at 0.05);
	               it says the -count that would decide it

Configuration lines that differ between OLD and NEW (calibration, warm-up,
window, kernel, CPU, machine, CPU count, workload knobs) are listed before
the tables: such figures were not measured alike. A differing
vmabench-commit is listed too, as the code compared.

By default the tables show the readers' and writer's rates (faults/s,
lookups/s, writes/s) and the latency percentiles; -unit names others, as
benchstat's -filter .unit: does, or all.

With -gate, compare exits 1 if, in the rates (or the -unit units), a cell is
worse, or cannot be told (unless -allow-inconclusive), or if the
configuration differs (unless -allow-config-diff). An empty, truncated or
foreign file, or two files with no cell in common, is an error naming the
file and line (exit 1).

Examples:

	vmabench compare results/old.txt results/new.txt
	vmabench compare -unit all results/old.txt results/new.txt
	vmabench compare -unit faults/s,p99-ns results/old.txt results/new.txt
	vmabench compare -gate -threshold 0.10 results/2026-01-01-abc1234.txt results/new.txt
	vmabench compare -gate -allow-inconclusive results/old.txt results/new.txt
`

// compareCmd is `vmabench compare`.
func compareCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	opts := report.DefaultCompareOptions()
	var gate, allowInconclusive, allowConfig bool
	var unitList string
	fs.Float64Var(&opts.Alpha, "alpha", opts.Alpha, "significance level of the U test")
	fs.Float64Var(&opts.Threshold, "threshold", opts.Threshold, "change, as a fraction (0.05 is 5%), beyond which a verdict is worse or better and within which it is the same")
	fs.BoolVar(&gate, "gate", false, "exit 1 if a gated cell is worse or cannot be told, or the configuration differs")
	fs.BoolVar(&allowInconclusive, "allow-inconclusive", false, "with -gate, pass cells whose verdict is cannot tell (listed still)")
	fs.BoolVar(&allowConfig, "allow-config-diff", false, "with -gate, pass files whose configuration differs (listed still)")
	fs.StringVar(&unitList, "unit", "", "`units` to show and gate, comma-separated (faults/s,p99-ns), or all; default: the rates and percentiles shown, the rates gated")
	if err := parseFlags(fs, args, compareUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("compare", "want 2 results files, OLD and NEW; got %d", fs.NArg())
	}
	if err := opts.Validate(); err != nil {
		return usagef("compare", "-alpha %v, -threshold %v: want levels in [0, 1), 0 for the default", opts.Alpha, opts.Threshold)
	}
	if opts.Threshold == 0 {
		opts.Threshold = report.DefaultThreshold
	}
	show, gated, err := compareUnits(unitList)
	if err != nil {
		return usagef("compare", "%v", err)
	}
	oldPath, newPath := fs.Arg(0), fs.Arg(1)
	old, err := report.ReadComparable(oldPath)
	if err != nil {
		return err
	}
	cur, err := report.ReadComparable(newPath)
	if err != nil {
		return err
	}
	opts.OldLabel, opts.NewLabel = labels(oldPath, newPath)
	c, err := report.Compare(old.Results, cur.Results, opts)
	if err != nil {
		return err
	}
	if err := disjoint(c, oldPath, newPath); err != nil {
		return err
	}
	diffs := report.DiffConfig(old, cur)
	if err := report.WriteConfigDiff(stdout, opts.OldLabel, opts.NewLabel, diffs); err != nil {
		return err
	}
	shown := c
	if show != nil {
		// A file with none of the default units (ns/op alone) shows
		// them all.
		if shown = c.Only(show); len(shown.Deltas) == 0 && unitList == "" {
			shown = c
		}
	}
	if err := shown.WriteText(stdout); err != nil {
		return err
	}
	if !gate {
		return nil
	}
	if gated == nil {
		gated = units.Gated()
	}
	return compareGate(c.Only(gated), report.Refusing(diffs), allowInconclusive, allowConfig, stderr)
}

// compareGate judges the gated deltas of c: it fails on a worse cell, on a
// cell it cannot tell unless allowInconclusive, and on a configuration
// difference unless allowConfig, with a line on stderr for each.
func compareGate(c *report.Comparison, diffs []report.ConfigDiff, allowInconclusive, allowConfig bool, stderr io.Writer) error {
	worse := c.Outcomes(verdict.Worse)
	unsure := c.Outcomes(verdict.CannotTell)
	for _, d := range worse {
		fmt.Fprintf(stderr, "vmabench: worse: %s %s: %+.1f%% (%s)\n", d.Cell, d.Unit, 100*d.Change, d.Verdict)
	}
	need := 0
	for _, d := range unsure {
		need = max(need, d.Verdict.Need)
		fmt.Fprintf(stderr, "vmabench: cannot tell: %s %s: %s\n", d.Cell, d.Unit, d.Verdict)
	}
	var fails []string
	if len(worse) > 0 {
		fails = append(fails, fmt.Sprintf("%d worse beyond %g%%", len(worse), 100*c.Threshold))
	}
	if len(unsure) > 0 {
		how := fmt.Sprintf("run both sides with -count %d", need)
		if need >= verdict.MaxNeed {
			how = fmt.Sprintf("some need more than %d repetitions a side at their spread: a quieter machine, or another -threshold", verdict.MaxNeed)
		}
		msg := fmt.Sprintf("%d cannot tell (%s)", len(unsure), how)
		if allowInconclusive {
			fmt.Fprintf(stderr, "vmabench: %s; passed by -allow-inconclusive\n", msg)
		} else {
			fails = append(fails, msg+"; -allow-inconclusive passes them")
		}
	}
	if len(diffs) > 0 {
		var keys []string
		for _, d := range diffs {
			keys = append(keys, d.Key)
		}
		msg := fmt.Sprintf("configuration differs (%s)", strings.Join(keys, ", "))
		if allowConfig {
			fmt.Fprintf(stderr, "vmabench: %s; passed by -allow-config-diff\n", msg)
		} else {
			fails = append(fails, msg+"; -allow-config-diff passes it")
		}
	}
	if len(fails) > 0 {
		return fmt.Errorf("compare: FAIL: %s", strings.Join(fails, "; "))
	}
	return nil
}

// compareUnits resolves -unit: nil, nil for the defaults (report's rates
// and percentiles shown, the gated units gated); "all" shows every unit
// and gates every one with a direction; a list shows and gates those.
func compareUnits(list string) (show, gated []string, err error) {
	switch list {
	case "":
		return report.DefaultUnits(), nil, nil
	case "all":
		var all []string
		for _, u := range units.Table {
			if u.Better != units.Unknown {
				all = append(all, u.Name)
			}
		}
		return nil, all, nil
	}
	for _, u := range strings.Split(list, ",") {
		u = strings.TrimSpace(u)
		if _, ok := units.Lookup(u); !ok {
			var valid []string
			for _, t := range units.Table {
				valid = append(valid, t.Name)
			}
			return nil, nil, fmt.Errorf("-unit: unknown unit %q (valid: %s, or all)", u, strings.Join(valid, ", "))
		}
		if !slices.Contains(show, u) {
			show = append(show, u)
		}
	}
	return show, show, nil
}

// disjoint fails if no cell has samples on both sides: the two files
// measured different things, and a comparison of nothing would pass.
func disjoint(c *report.Comparison, oldPath, newPath string) error {
	for _, d := range c.Deltas {
		if d.OldN > 0 && d.NewN > 0 {
			return nil
		}
	}
	var first [2]string
	for _, d := range c.Deltas {
		if d.OldN > 0 && first[0] == "" {
			first[0] = d.Cell.String()
		}
		if d.NewN > 0 && first[1] == "" {
			first[1] = d.Cell.String()
		}
	}
	return fmt.Errorf("compare: %s and %s have no cell in common (%s has %s, %s has %s): nothing to compare",
		oldPath, newPath, oldPath, orNone(first[0]), newPath, orNone(first[1]))
}

func orNone(s string) string {
	if s == "" {
		return "no cell that ran"
	}
	return s
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
