package nightly

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchunit"

	"vmabench/cell"
	"vmabench/report"
	"vmabench/runner"
	"vmabench/units"
)

// GateOptions configures Gate.
type GateOptions struct {
	// Threshold is how much worse, as a fraction, a significant change must
	// be to be a regression (0.05 is 5%); zero makes every significant
	// change in the worse direction one. It must not be negative.
	Threshold float64
	// Units are the units the gate judges, as written ("ns/op",
	// "p99-ns"); nil means DefaultUnits. Changes in other units never fail
	// the gate, and Verdict.WriteText leaves them out (vmabench compare
	// shows every unit).
	Units []string
	// Compare is passed to report.Compare: significance level (zero means
	// 0.05) and column labels.
	Compare report.CompareOptions
	// Holm judges significance over all the gated cells together
	// (Holm-Bonferroni): the chance that a run of unchanged code fails the
	// gate is then at most the significance level, not that level once per
	// cell. Without it, where cells are noisier than the threshold, each
	// cell of unchanged code fails about one run in 50 (half of the 4% of
	// 6-against-6 tests that reach 0.05), and a 15-cell matrix about one
	// run in four. DefaultConfig sets it: a nightly gate that fails on
	// noise teaches people to ignore it.
	Holm bool
	// History configures the judgement against the earlier nights (see
	// GateHistory).
	History HistoryOptions
}

// DefaultUnits are the units the gate judges unless told otherwise: time
// per operation, the figure every cell has and the one benchstat leads with.
// Latency percentiles and lock statistics of a sub-second cell move too much
// from run to run to gate on.
var DefaultUnits = units.Gated()

// A Regression is a cell that got worse: significantly worse beyond the
// threshold in a gated unit (Delta is set), or OK in the baseline and not
// finished in the new run (Failure is set).
type Regression struct {
	Delta   *report.Delta
	Failure *runner.Result
	// Band is the cell's noise band over the history that the new run is
	// outside of; nil where the history was too short for one (the cold
	// threshold judged instead). Nights is how many nights had the cell.
	Band   *Band
	Nights int
}

// Cell returns the cell that regressed.
func (r Regression) Cell() cell.Cell {
	if r.Delta != nil {
		return r.Delta.Cell
	}
	return r.Failure.Key()
}

// String describes the regression on one line:
//
//	workload=faults/strategy=vmaseq/threads=2 ns/op +100.00% (1.000µs/op -> 2.000µs/op, p=0.002 n=6+6)
//	workload=faults/strategy=vmaseq/threads=2 deadlock (ok in the baseline): <first line of detail>
func (r Regression) String() string {
	if r.Delta != nil {
		return describeDelta(r.Delta) + describeBand(r.Band, r.Nights, r.Delta.Unit)
	}
	s := fmt.Sprintf("%s %s (ok in the baseline)", r.Cell(), r.Failure.Status)
	if detail, _, _ := strings.Cut(r.Failure.Detail, "\n"); detail != "" {
		s += ": " + detail
	}
	return s
}

// describeDelta describes d on one line, with its change, medians, p-value
// and sample sizes.
func describeDelta(d *report.Delta) string {
	s := fmt.Sprintf("%s %s %+.2f%% (%s, p=%.3f n=%d+%d)", d.Cell, d.Unit, 100*d.Change,
		formatChange(d.Old.Center, d.New.Center, d.Unit), d.Test.P, d.OldN, d.NewN)
	if d.Unsafe {
		s += " (unsafe: a floor, not a result)"
	}
	return s
}

// describeBand says how a delta stands against the history: its band, or
// that there was none.
func describeBand(b *Band, nights int, unit string) string {
	if b != nil {
		return " against the band " + b.format(unit)
	}
	return fmt.Sprintf(" with no band (%d nights of history)", nights)
}

// A Dismissed is a change the U test found against the previous night that
// the history shows to be noise: inside the cell's band, or (without a
// band) not beyond the cold threshold.
type Dismissed struct {
	Delta  report.Delta
	Band   *Band
	Nights int
}

// formatValue formats one value of unit as benchstat does: "75.91ns/op",
// "1.50M faults/s".
func formatValue(v float64, unit string) string {
	factor, tidy := benchunit.Tidy(1, unit)
	sc := benchunit.CommonScale([]float64{v * factor}, benchunit.ClassOf(tidy))
	if rest, ok := strings.CutPrefix(tidy, "sec"); ok {
		return sc.Format(v*factor) + "s" + rest
	}
	return sc.Format(v*factor) + " " + tidy
}

// formatChange formats two values of unit on a common scale, as benchstat
// does: "71.23ns/op -> 75.91ns/op", "1.20M -> 1.50M faults/s".
func formatChange(old, new float64, unit string) string {
	factor, tidy := benchunit.Tidy(1, unit)
	sc := benchunit.CommonScale([]float64{old * factor, new * factor}, benchunit.ClassOf(tidy))
	if rest, ok := strings.CutPrefix(tidy, "sec"); ok {
		return sc.Format(old*factor) + "s" + rest + " -> " + sc.Format(new*factor) + "s" + rest
	}
	return sc.Format(old*factor) + " -> " + sc.Format(new*factor) + " " + tidy
}

// A Verdict is the outcome of Gate.
type Verdict struct {
	// Comparison is the whole comparison, every unit.
	Comparison *report.Comparison
	// Threshold, Alpha and Units are the gate's, defaults filled in.
	Threshold, Alpha float64
	Units            []string
	// Regressions are the cells that got worse, in the comparison's
	// order, failures last.
	Regressions []Regression
	// Improvements are the gated deltas that got significantly better
	// beyond the threshold.
	Improvements []report.Delta
	// Failing are the new run's failures that are not regressions: cells
	// that also failed in the baseline, or that it did not run.
	Failing []runner.Result
	// Tests is the number of gated deltas tested together under
	// GateOptions.Holm; zero without it. MinP is the smallest p-value that
	// the cell with the fewest samples among them can reach.
	Tests int
	MinP  float64
	// History are the nights the bands were built from (GateOptions'
	// window of the history), oldest first, and HistoryOptions the
	// options used, defaults filled in.
	History        []Past
	HistoryOptions HistoryOptions
	// Dismissed are the changes significant against the previous night
	// and beyond the threshold that the history shows to be noise.
	Dismissed []Dismissed
	// noise caches the machine's noise per unit.
	noise map[string]machineNoise
}

// Failed reports whether the gate found a regression.
func (v *Verdict) Failed() bool { return len(v.Regressions) > 0 }

// Gate is GateHistory without a history: every change is judged against
// the cold threshold.
func Gate(old, new []runner.Result, opts GateOptions) (*Verdict, error) {
	return GateHistory(old, new, nil, opts)
}

// GateHistory compares a new run with a baseline (old) as report.Compare does, each
// cell's OK repetitions being its samples, and judges it: a cell regressed
// if, in a gated unit, the Mann-Whitney U test finds the change significant
// (per cell, or over all gated cells with GateOptions.Holm) and it is worse
// than the baseline by more than the threshold, or if the cell deadlocked,
// timed out or failed in the new run while every repetition of it in the
// baseline ended OK. Skipped cells are neither.
//
// A change in a gated unit must also stand out from the history, the
// earlier nights of the same machine (the newest GateOptions.History.Window
// of them): tonight's median must be outside the cell's noise band (see
// HistoryOptions) and worse than the band's median by more than the
// threshold. Where fewer than MinNights nights have the cell, there is no
// band, and the change must instead be worse than the cold threshold. A
// change the history dismisses is listed in Verdict.Dismissed, never
// dropped in silence.
func GateHistory(old, new []runner.Result, history []Past, opts GateOptions) (*Verdict, error) {
	if opts.Threshold < 0 || math.IsNaN(opts.Threshold) {
		return nil, fmt.Errorf("nightly: threshold %v: must not be negative", opts.Threshold)
	}
	if err := opts.History.Validate(); err != nil {
		return nil, fmt.Errorf("nightly: %w", err)
	}
	h := opts.History.withDefaults()
	c, err := report.Compare(old, new, opts.Compare)
	if err != nil {
		return nil, err
	}
	v := &Verdict{Comparison: c, Threshold: opts.Threshold, Alpha: cmp.Or(opts.Compare.Alpha, report.DefaultCompareOptions().Alpha), Units: opts.Units}
	if v.Units == nil {
		v.Units = DefaultUnits
	}
	judged := c
	if opts.Holm {
		judged = v.holm(c)
	}
	v.History, v.HistoryOptions = window(history, h), h
	for _, d := range judged.Regressions(opts.Threshold) {
		if slices.Contains(v.Units, d.Unit) {
			v.judge(d, opts.Threshold)
		}
	}
	for _, d := range judged.Improvements(opts.Threshold) {
		if slices.Contains(v.Units, d.Unit) {
			v.Improvements = append(v.Improvements, d)
		}
	}

	// A cell was OK in the baseline if it ran there and every repetition
	// ended OK or skipped.
	ran := make(map[cell.Cell]bool)
	bad := make(map[cell.Cell]bool)
	for i := range old {
		r := &old[i]
		ran[r.Key()] = true
		if r.Status != runner.StatusOK && r.Status != runner.StatusSkipped {
			bad[r.Key()] = true
		}
	}
	for i := range c.Failures {
		r := &c.Failures[i]
		if cell := r.Key(); ran[cell] && !bad[cell] {
			v.Regressions = append(v.Regressions, Regression{Failure: r})
		} else {
			v.Failing = append(v.Failing, *r)
		}
	}
	return v, nil
}

// judge sorts a delta that regressed against the previous night into a
// regression or a dismissal, by the history.
func (v *Verdict) judge(d report.Delta, threshold float64) {
	h := v.HistoryOptions
	lower := units.BetterOf(d.Unit) == units.Lower
	if v.noise == nil {
		v.noise = make(map[string]machineNoise)
	}
	noise, ok := v.noise[d.Unit]
	if !ok {
		noise = noiseOf(v.History, d.Unit, h)
		v.noise[d.Unit] = noise
	}
	b, ok := fence(v.History, d.Cell, d.Unit, h, noise)
	if !ok {
		worse := d.Change
		if !lower {
			worse = -worse
		}
		if worse > max(threshold, h.ColdThreshold) {
			v.Regressions = append(v.Regressions, Regression{Delta: &d, Nights: b.Nights})
		} else {
			v.Dismissed = append(v.Dismissed, Dismissed{Delta: d, Nights: b.Nights})
		}
		return
	}
	worse := d.New.Center/b.Median - 1
	outside := d.New.Center > b.Hi
	if !lower {
		worse, outside = -worse, d.New.Center < b.Lo
	}
	if outside && worse > threshold {
		v.Regressions = append(v.Regressions, Regression{Delta: &d, Band: &b, Nights: b.Nights})
	} else {
		v.Dismissed = append(v.Dismissed, Dismissed{Delta: d, Band: &b, Nights: b.Nights})
	}
}

// holm returns a copy of c whose gated deltas are significant by Holm's
// step-down rule: the k'th smallest of m p-values (from 0) counts if it and
// every smaller one is at most Alpha/(m-k). It sets v.Tests and v.MinP.
func (v *Verdict) holm(c *report.Comparison) *report.Comparison {
	adj := *c
	adj.Deltas = slices.Clone(c.Deltas)
	var gated []*report.Delta
	for i := range adj.Deltas {
		d := &adj.Deltas[i]
		if slices.Contains(v.Units, d.Unit) && d.OldN > 0 && d.NewN > 0 {
			gated = append(gated, d)
			v.MinP = max(v.MinP, minP(d.OldN, d.NewN))
		}
	}
	slices.SortStableFunc(gated, func(a, b *report.Delta) int { return cmp.Compare(a.Test.P, b.Test.P) })
	v.Tests = len(gated)
	significant := true
	for k, d := range gated {
		significant = significant && d.Test.P <= v.Alpha/float64(len(gated)-k)
		d.Significant = significant
	}
	return &adj
}

// minP returns the smallest two-sided p-value the Mann-Whitney U test can
// give samples of n1 and n2 values: both orders of complete separation, out
// of (n1+n2 choose n1) equally likely rankings.
func minP(n1, n2 int) float64 {
	choose := 1.0
	for i := 1; i <= n1; i++ {
		choose = choose * float64(n2+i) / float64(i)
	}
	return min(1, 2/choose)
}

// WriteText writes the comparison of the gated units (the tables of
// report.Comparison.WriteText) and then the verdict: one line per
// regression, improvement and known failure, and a last line that says
// whether the gate passed. Only a failing verdict uses the word
// "regression", so a log can be searched for it.
func (v *Verdict) WriteText(w io.Writer) error {
	gated := *v.Comparison
	gated.Deltas = slices.DeleteFunc(slices.Clone(gated.Deltas), func(d report.Delta) bool {
		return !slices.Contains(v.Units, d.Unit)
	})
	if err := gated.WriteText(w); err != nil {
		return err
	}
	return v.WriteSummary(w)
}

// WriteSummary writes the verdict alone, as WriteText ends.
func (v *Verdict) WriteSummary(w io.Writer) error {
	var b strings.Builder
	b.WriteByte('\n')
	h := v.HistoryOptions
	if n := len(v.History); n == 0 {
		fmt.Fprintf(&b, "history: none: no earlier night of this machine, so no noise band; a change must be worse than %g%% to fail\n",
			100*max(h.ColdThreshold, v.Threshold))
	} else {
		first, last := v.History[0], v.History[n-1]
		fmt.Fprintf(&b, "history: %d nights, %s (%s) to %s (%s)\nband per cell: Q1 - %g·IQR .. Q3 + %g·IQR of its nightly medians, or of all cells' relative to their own if wider, from %d nights on\n",
			n, first.Date.Format(dateLayout), ShortCommit(first.Commit), last.Date.Format(dateLayout), ShortCommit(last.Commit), h.K, h.K, h.MinNights)
	}
	for _, r := range v.Regressions {
		fmt.Fprintf(&b, "regression: %s\n", r)
	}
	for _, d := range v.Dismissed {
		if d.Band != nil {
			fmt.Fprintf(&b, "within noise: %s, inside the band %s\n", describeDelta(&d.Delta), d.Band.format(d.Delta.Unit))
		} else {
			fmt.Fprintf(&b, "within noise: %s, not beyond %g%% with no band (%d nights of history)\n", describeDelta(&d.Delta), 100*max(h.ColdThreshold, v.Threshold), d.Nights)
		}
	}
	for i := range v.Improvements {
		fmt.Fprintf(&b, "improvement: %s\n", describeDelta(&v.Improvements[i]))
	}
	for i := range v.Failing {
		r := &v.Failing[i]
		detail, _, _ := strings.Cut(r.Detail, "\n")
		fmt.Fprintf(&b, "still failing: %s %s (not ok in the baseline either, or not run there): %s\n", r.Key(), r.Status, detail)
	}
	p := fmt.Sprintf("p <= %g", v.Alpha)
	if v.Tests > 0 {
		p += fmt.Sprintf(" over %d cells (Holm)", v.Tests)
		if need := v.Alpha / float64(v.Tests); v.MinP > need {
			fmt.Fprintf(&b, "note: over %d cells a p-value must be at most %.2g, and the cell with the fewest samples reaches at best %.2g: it cannot fail the gate; raise the count\n",
				v.Tests, need, v.MinP)
		}
	}
	rule := fmt.Sprintf("%s worse by more than %g%% at %s against the previous night and outside the cell's band over the history (with no band: worse by more than %g%%), or ok before and not finished now",
		strings.Join(v.Units, ", "), 100*v.Threshold, p, 100*max(h.ColdThreshold, v.Threshold))
	switch n := len(v.Regressions); n {
	case 0:
		fmt.Fprintf(&b, "PASS: no cell got worse (%s); %d improved\n", rule, len(v.Improvements))
	case 1:
		fmt.Fprintf(&b, "FAIL: 1 regression (%s)\n", rule)
	default:
		fmt.Fprintf(&b, "FAIL: %d regressions (%s)\n", n, rule)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("nightly: %w", err)
	}
	return nil
}
