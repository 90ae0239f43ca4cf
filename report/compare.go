package report

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"

	"vmabench/cell"
	"vmabench/internal/stats"
	"vmabench/runner"
	"vmabench/units"
	"vmabench/verdict"
)

// CompareOptions configures Compare. The zero value means the defaults.
type CompareOptions struct {
	// Alpha is the significance level of the Mann-Whitney U test: a change
	// with p > Alpha is reported as "~". Zero means
	// benchmath.DefaultThresholds.CompareAlpha (0.05).
	Alpha float64
	// Confidence is the level of the medians' confidence intervals. Zero
	// means 0.95, as benchstat uses.
	Confidence float64
	// OldLabel and NewLabel head the columns of WriteText. Empty means
	// "old" and "new".
	OldLabel, NewLabel string
	// Threshold is the change, as a fraction (0.05 is 5%), that a
	// verdict calls worse or better, and within which it calls the same
	// (package verdict). Zero means DefaultThreshold.
	Threshold float64
}

// DefaultThreshold is the default threshold of every verdict compare and
// the gates give: 5%, below the 10 to 30% by which the designs differ.
const DefaultThreshold = 0.05

// DefaultCompareOptions returns the options the zero value stands for.
func DefaultCompareOptions() CompareOptions {
	return CompareOptions{
		Alpha:      benchmath.DefaultThresholds.CompareAlpha,
		Confidence: 0.95,
		OldLabel:   "old",
		NewLabel:   "new",
		Threshold:  DefaultThreshold,
	}
}

// Validate reports whether o's levels lie in [0, 1); zero means the
// default.
func (o CompareOptions) Validate() error {
	if !(0 <= o.Alpha && o.Alpha < 1) {
		return fmt.Errorf("report: alpha %v not in [0, 1)", o.Alpha)
	}
	if !(0 <= o.Confidence && o.Confidence < 1) {
		return fmt.Errorf("report: confidence %v not in [0, 1)", o.Confidence)
	}
	if !(0 <= o.Threshold && o.Threshold < 1) {
		return fmt.Errorf("report: threshold %v not in [0, 1)", o.Threshold)
	}
	return nil
}

// A Delta compares one cell in one unit between two runs.
type Delta struct {
	Cell cell.Cell
	// Unit is the unit as written, such as "ns/op" or "p99-ns".
	Unit string
	// Old and New are the medians and their confidence intervals, zero if
	// the run has no OK sample of the cell.
	Old, New benchmath.Summary
	// OldN and NewN are the numbers of samples: a cell's repetitions;
	// OldValues and NewValues the samples, in file order.
	OldN, NewN           int
	OldValues, NewValues []float64
	// Change is New.Center/Old.Center - 1 (0.05 is 5% higher); NaN if a
	// side has no samples or Old.Center is 0.
	Change float64
	// Test is the Mann-Whitney U test of the two samples, zero if a side
	// has no samples.
	Test benchmath.Comparison
	// Significant reports whether Test rejected "same distribution":
	// P <= Alpha, the rule by which benchstat prints a delta and not "~".
	Significant bool
	// Unsafe is set if either run marked the cell unsafe: its numbers are
	// a floor, not a result.
	Unsafe bool
	// Verdict is the three-way judgement of the change (package
	// verdict) at the comparison's threshold and alpha; Judged is false
	// where the unit has no known better direction (it is then not
	// judged at all) or a side has no samples.
	Verdict verdict.Judgement
	Judged  bool
}

// A Comparison is the outcome of Compare.
type Comparison struct {
	// OldLabel and NewLabel name the two runs in WriteText.
	OldLabel, NewLabel string
	// Deltas are grouped by unit, units and cells in the order they first
	// appear in the old run, then the new.
	Deltas []Delta
	// Failures are the new run's cells that deadlocked, timed out or
	// failed. Skipped cells are not failures.
	Failures []runner.Result
	// Threshold and Alpha are the verdicts', defaults filled in.
	Threshold, Alpha float64
}

// Only returns a copy of c with the deltas of the units keep names alone,
// grouped in keep's order.
func (c *Comparison) Only(keep []string) *Comparison {
	out := *c
	out.Deltas = nil
	for _, u := range keep {
		for _, d := range c.Deltas {
			if d.Unit == u {
				out.Deltas = append(out.Deltas, d)
			}
		}
	}
	return &out
}

// Units returns the units of c's deltas, in order.
func (c *Comparison) Units() []string {
	var out []string
	for _, d := range c.Deltas {
		if !slices.Contains(out, d.Unit) {
			out = append(out, d.Unit)
		}
	}
	return out
}

// Outcomes returns the judged deltas of c whose verdict is o.
func (c *Comparison) Outcomes(o verdict.Outcome) []Delta {
	var out []Delta
	for _, d := range c.Deltas {
		if d.Judged && d.Verdict.Outcome == o {
			out = append(out, d)
		}
	}
	return out
}

// Compare compares two runs cell by cell and unit by unit, each cell's OK
// repetitions being its samples: medians with confidence intervals, and the
// Mann-Whitney U test, with benchmath.AssumeNothing as benchstat does.
func Compare(old, new []runner.Result, opts CompareOptions) (*Comparison, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	def := DefaultCompareOptions()
	opts.Alpha = cmp.Or(opts.Alpha, def.Alpha)
	opts.Confidence = cmp.Or(opts.Confidence, def.Confidence)
	opts.Threshold = cmp.Or(opts.Threshold, def.Threshold)
	c := &Comparison{OldLabel: cmp.Or(opts.OldLabel, def.OldLabel), NewLabel: cmp.Or(opts.NewLabel, def.NewLabel),
		Threshold: opts.Threshold, Alpha: opts.Alpha}
	thr := benchmath.DefaultThresholds
	thr.CompareAlpha = opts.Alpha

	var keys []sampleKey
	olds, news := samples(old, &keys), samples(new, &keys)
	// Group by unit, stably.
	var unitOrder []string
	for _, k := range keys {
		if !slices.Contains(unitOrder, k.unit) {
			unitOrder = append(unitOrder, k.unit)
		}
	}
	for _, u := range unitOrder {
		for _, k := range keys {
			if k.unit != u {
				continue
			}
			o, n := olds[k], news[k]
			d := Delta{Cell: k.cell, Unit: k.unit, OldN: len(o.values), NewN: len(n.values), OldValues: o.values, NewValues: n.values,
				Change: math.NaN(), Unsafe: o.unsafe || n.unsafe}
			var so, sn *benchmath.Sample
			if d.OldN > 0 {
				so = benchmath.NewSample(slices.Clone(o.values), &thr)
				d.Old = stats.Summarize(so, opts.Confidence)
			}
			if d.NewN > 0 {
				sn = benchmath.NewSample(slices.Clone(n.values), &thr)
				d.New = stats.Summarize(sn, opts.Confidence)
			}
			if so != nil && sn != nil {
				d.Test = stats.Assumption.Compare(so, sn)
				d.Significant = d.Test.P <= d.Test.Alpha
				if d.Old.Center != 0 {
					d.Change = d.New.Center/d.Old.Center - 1
				}
				if dir, ok := Direction(d.Unit); ok {
					d.Verdict = verdict.Compare(o.values, n.values, dir, opts.Threshold, opts.Alpha)
					d.Judged = true
				}
			}
			c.Deltas = append(c.Deltas, d)
		}
	}
	for _, r := range new {
		if failed(r.Status) && r.Status != runner.StatusSkipped {
			c.Failures = append(c.Failures, r)
		}
	}
	return c, nil
}

// Direction returns the direction in which unit improves, as package
// verdict takes it, and false where it is not known.
func Direction(unit string) (verdict.Direction, bool) {
	switch units.BetterOf(unit) {
	case units.Lower:
		return verdict.Lower, true
	case units.Higher:
		return verdict.Higher, true
	}
	return 0, false
}

type sampleKey struct {
	cell cell.Cell
	unit string
}

type sample struct {
	values []float64
	unsafe bool
}

// samples collects the OK results of rs by cell and unit, appending keys
// not yet in *keys to it.
func samples(rs []runner.Result, keys *[]sampleKey) map[sampleKey]sample {
	m := make(map[sampleKey]sample)
	add := func(r *runner.Result, unit string, v float64) {
		k := sampleKey{r.Key(), unit}
		if !slices.Contains(*keys, k) {
			*keys = append(*keys, k)
		}
		s := m[k]
		s.values = append(s.values, v)
		s.unsafe = s.unsafe || r.IsUnsafe()
		m[k] = s
	}
	for i := range rs {
		r := &rs[i]
		if r.Status != runner.StatusOK {
			continue
		}
		add(r, units.NsPerOp, r.NsPerOp())
		for _, m := range r.Metrics {
			add(r, m.Unit, m.Value)
		}
	}
	return m
}

// worse returns how much worse d is, as a fraction (0.1 is 10% worse,
// -0.1 is 10% better), and whether it says at all: the change must be
// significant, in a unit whose better direction is known.
func (d *Delta) worse() (float64, bool) {
	better := units.BetterOf(d.Unit)
	if better == units.Unknown || !d.Significant || math.IsNaN(d.Change) {
		return 0, false
	}
	if better == units.Lower {
		return d.Change, true
	}
	return -d.Change, true
}

// Regressions returns the deltas that got significantly worse by more than
// threshold (0.05 is 5%), in units whose better direction units.BetterOf
// knows: ns/op went up, faults/s went down.
func (c *Comparison) Regressions(threshold float64) []Delta {
	var out []Delta
	for _, d := range c.Deltas {
		if w, ok := d.worse(); ok && w > threshold {
			out = append(out, d)
		}
	}
	return out
}

// Improvements returns the deltas that got significantly better by more
// than threshold, the mirror of Regressions.
func (c *Comparison) Improvements(threshold float64) []Delta {
	var out []Delta
	for _, d := range c.Deltas {
		if w, ok := d.worse(); ok && -w > threshold {
			out = append(out, d)
		}
	}
	return out
}

// WriteText writes c as benchstat-like tables, one per unit (in tidied
// units, as benchstat shows them), a row per cell:
//
//	sec/op                                       old          new          vs old
//	workload=faults/strategy=vmaseq/threads=2    1.000µ ± 1%  2.000µ ± 2%  +100.00% (p=0.002 n=6)
//
// Unsafe cells are marked "!", and the new run's failures follow the tables.
func (c *Comparison) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var unsafe bool
	for i := 0; i < len(c.Deltas); {
		unit := c.Deltas[i].Unit
		j := i
		for j < len(c.Deltas) && c.Deltas[j].Unit == unit {
			j++
		}
		if i > 0 {
			fmt.Fprintln(tw)
		}
		factor, tidy := benchunit.Tidy(1, unit)
		fmt.Fprintf(tw, "%s\t%s\t%s\tvs %s\tverdict (±%g%%)\n", tidy, c.OldLabel, c.NewLabel, c.OldLabel, 100*c.threshold())
		var notes []string
		for _, d := range c.Deltas[i:j] {
			name := d.Cell.String()
			if d.Unsafe {
				name += " !"
				unsafe = true
			}
			sc := benchunit.CommonScale([]float64{d.Old.Center * factor, d.New.Center * factor}, benchunit.ClassOf(tidy))
			fmt.Fprintf(tw, "%s\t%s\t%s", name, summary(d.Old, d.OldN, factor, sc), summary(d.New, d.NewN, factor, sc))
			if d.OldN > 0 && d.NewN > 0 {
				fmt.Fprintf(tw, "\t%s (%s)\t%s", d.Test.FormatDelta(d.Old.Center, d.New.Center), d.Test, d.VerdictString())
			}
			fmt.Fprintln(tw)
			for _, ws := range [][]error{d.Old.Warnings, d.New.Warnings, d.Test.Warnings} {
				for _, err := range ws {
					if !slices.Contains(notes, err.Error()) {
						notes = append(notes, err.Error())
					}
				}
			}
		}
		for _, n := range notes {
			fmt.Fprintf(tw, "note: %s\n", n)
		}
		i = j
	}
	if unsafe {
		fmt.Fprintln(tw, "! unsafe: the strategy does not lock against the workload's writers; a floor, not a result")
	}
	for i, r := range c.Failures {
		if i == 0 {
			fmt.Fprintf(tw, "\n%s: cells that did not finish\n", c.NewLabel)
		}
		detail, _, _ := strings.Cut(r.Detail, "\n")
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Key(), r.Status, detail)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func (c *Comparison) threshold() float64 { return cmp.Or(c.Threshold, DefaultThreshold) }

// VerdictString formats d's verdict for a table cell: "worse ×2.00
// [1.95, 2.06]", "same ×1.01 [0.98, 1.03]", "cannot tell ×1.9 [1.8, 2.0]:
// needs -count 4"; "-" where the unit has no direction.
func (d *Delta) VerdictString() string {
	if !d.Judged {
		return "-"
	}
	v := d.Verdict
	s := v.Outcome.String()
	if !math.IsNaN(v.Ratio) {
		s += fmt.Sprintf(" ×%.3g [%.3g, %.3g]", v.Ratio, v.Lo, v.Hi)
	}
	if v.Outcome == verdict.CannotTell {
		s += ": " + v.NeedString()
	}
	return s
}

// summary formats a median and its interval like benchstat: "1.234µ ± 2%".
func summary(s benchmath.Summary, n int, factor float64, sc benchunit.Scaler) string {
	if n == 0 {
		return "-"
	}
	return sc.Format(s.Center*factor) + " ± " + s.PctRangeString()
}

// DefaultUnits returns the units compare shows unless told otherwise: the
// readers' and writer's rates and the latency percentiles, in the units
// table's order. Lock statistics, sleeps and ns/op (readers' and writer's
// time together) are there with -unit.
func DefaultUnits() []string {
	var out []string
	for _, u := range units.Table {
		if u.Rate || u.Chart == units.Latency {
			out = append(out, u.Name)
		}
	}
	return out
}
