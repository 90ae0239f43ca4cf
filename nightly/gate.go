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
	"vmabench/verdict"
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
	// AllowInconclusive passes cells the gate cannot tell (listed still,
	// with the repetitions that would decide them); without it they
	// fail the gate.
	AllowInconclusive bool
}

// DefaultUnits are the units the gate judges unless told otherwise: the
// readers' rate (faults/s, lookups/s) and the writer's (writes/s), each
// apart, so that a design that speeds its readers by starving its writer
// fails (ns/op, their time together, would hide it). Latency percentiles
// and lock statistics of a sub-second cell move too much from run to run
// to gate on.
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
	s := fmt.Sprintf("%s %s %+.2f%% (%s, p=%.3f n=%d+%d", d.Cell, d.Unit, 100*d.Change,
		formatChange(d.Old.Center, d.New.Center, d.Unit), d.Test.P, d.OldN, d.NewN)
	if d.Judged && !math.IsNaN(d.Verdict.Lo) {
		s += fmt.Sprintf(", ratio %.3g [%.3g, %.3g]", d.Verdict.Ratio, d.Verdict.Lo, d.Verdict.Hi)
	}
	s += ")"
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
	// and beyond the threshold, or that it could not tell, that the
	// history shows to be noise.
	Dismissed []Dismissed
	// Inconclusive are the gated cells the gate cannot tell (package
	// verdict): their interval straddles the threshold, or too few
	// repetitions for the test to reach its level, and no band puts them
	// in the noise. They fail the gate unless AllowInconclusive.
	Inconclusive      []Dismissed
	AllowInconclusive bool
	// Same is the number of gated cells judged the same; Judged the
	// number judged at all (both runs have them). A verdict that judged
	// nothing fails: two runs with nothing in common are not a pass.
	Same, Judged int
	// byTime is set when some cell was judged on ns/op for want of a
	// gated unit in both runs.
	byTime bool
	// noise caches the machine's noise per unit.
	noise map[string]machineNoise
}

// Failed reports whether the gate fails: a regression, or a cell it
// cannot tell unless AllowInconclusive.
func (v *Verdict) Failed() bool {
	return len(v.Regressions) > 0 || len(v.Inconclusive) > 0 && !v.AllowInconclusive || v.nothing()
}

// nothing reports whether the verdict judged nothing and found no failure:
// the runs have no gated figure in common.
func (v *Verdict) nothing() bool {
	return v.Judged == 0 && len(v.Regressions) == 0 && len(v.Failing) == 0
}

// Need returns the most repetitions any inconclusive cell needs.
func (v *Verdict) Need() int {
	n := 0
	for _, d := range v.Inconclusive {
		n = max(n, d.Delta.Verdict.Need)
	}
	return n
}

// NotGated is the state of a night with no earlier night to judge it
// against, in the words every command uses.
const NotGated = "NOT GATED"

// State sums a night's verdict up in the words nightly, report and the
// HTML pages all use: "NOT GATED" for none, "FAIL: 2 worse, 3 cannot
// tell", "PASS: 3 cannot tell, allowed", "PASS".
func State(v *Verdict) string {
	if v == nil {
		return NotGated
	}
	var parts []string
	if n := len(v.Regressions); n > 0 {
		parts = append(parts, fmt.Sprintf("%d worse", n))
	}
	if n := len(v.Inconclusive); n > 0 {
		s := fmt.Sprintf("%d cannot tell", n)
		if v.AllowInconclusive {
			s += ", allowed"
		}
		parts = append(parts, s)
	}
	if v.nothing() {
		parts = append(parts, "nothing in common with the baseline to judge")
	}
	word := "PASS"
	if v.Failed() {
		word = "FAIL"
	}
	if len(parts) == 0 {
		return word
	}
	return word + ": " + strings.Join(parts, ", ")
}

// Gate is GateHistory without a history: every change is judged against
// the cold threshold.
func Gate(old, new []runner.Result, opts GateOptions) (*Verdict, error) {
	return GateHistory(old, new, nil, opts)
}

// GateHistory compares a new run with a baseline (old) as report.Compare
// does, each cell's OK repetitions being its samples, and judges each cell
// in each gated unit three ways (package verdict): worse, better, the same,
// or cannot tell. Significance is the Mann-Whitney U test's, per cell or,
// with GateOptions.Holm, over all gated cells together; the interval is a
// bootstrap of the ratio of the medians. A cell also regressed if it
// deadlocked, timed out or failed in the new run while every repetition of
// it in the baseline ended OK. Skipped cells are neither.
//
// A change must also stand out from the history, the earlier nights of the
// same machine (the newest GateOptions.History.Window of them): a worse
// cell is a regression only if tonight's median is outside the cell's
// noise band (see HistoryOptions) and worse than the band's median by more
// than the threshold, and a cell it cannot tell is left to the band too
// when tonight's median lies inside it. Where fewer than MinNights nights
// have the cell there is no band, and the cell is judged at the cold
// threshold instead. A change the history dismisses is listed in
// Verdict.Dismissed; a cell that cannot be told is listed in
// Verdict.Inconclusive, and fails the gate unless
// GateOptions.AllowInconclusive: never a silent pass.
func GateHistory(old, new []runner.Result, history []Past, opts GateOptions) (*Verdict, error) {
	if opts.Threshold < 0 || math.IsNaN(opts.Threshold) {
		return nil, fmt.Errorf("nightly: threshold %v: must not be negative", opts.Threshold)
	}
	if err := opts.History.Validate(); err != nil {
		return nil, fmt.Errorf("nightly: %w", err)
	}
	h := opts.History.withDefaults()
	co := opts.Compare
	co.Threshold = cmp.Or(co.Threshold, opts.Threshold, report.DefaultThreshold)
	c, err := report.Compare(old, new, co)
	if err != nil {
		return nil, err
	}
	v := &Verdict{Comparison: c, Threshold: opts.Threshold, Alpha: cmp.Or(opts.Compare.Alpha, report.DefaultCompareOptions().Alpha),
		Units: opts.Units, AllowInconclusive: opts.AllowInconclusive}
	if v.Units == nil {
		v.Units = DefaultUnits
	}
	v.History, v.HistoryOptions = window(history, h), h
	judged := *c
	judged.Deltas = slices.Clone(c.Deltas)
	levels := v.levels(judged.Deltas, opts.Holm)
	for i := range judged.Deltas {
		d := &judged.Deltas[i]
		level, ok := levels[i]
		if !ok {
			continue
		}
		v.judge(d, level, opts.Threshold)
	}
	if len(v.History) == 0 {
		// Every cell is judged at the cold threshold: the table says so.
		judged.Threshold = max(opts.Threshold, h.ColdThreshold)
	}
	v.Comparison = &judged

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

// levels returns the significance level each gated delta (by index) is
// held to: Alpha, or with holm Holm's step-down level, Alpha/(m-k) for
// the k'th smallest of m p-values (from 0) up to the first that misses
// its level, and that level for every later one (which then misses it
// too). It sets v.Tests and v.MinP.
func (v *Verdict) levels(ds []report.Delta, holm bool) map[int]float64 {
	out := make(map[int]float64)
	var idx []int
	both := func(d *report.Delta) bool { return d.OldN > 0 && d.NewN > 0 && d.Judged }
	covered := make(map[cell.Cell]bool)
	for i := range ds {
		d := &ds[i]
		if slices.Contains(v.Units, d.Unit) && both(d) {
			idx = append(idx, i)
			out[i] = v.Alpha
			covered[d.Cell] = true
		}
	}
	// A cell that both runs have but in none of the gated units (a file
	// of go test -bench's or another tool's, with ns/op alone) is judged
	// on its time per operation rather than not at all.
	for i := range ds {
		d := &ds[i]
		if d.Unit == units.NsPerOp && both(d) && !covered[d.Cell] && d.Judged {
			idx = append(idx, i)
			out[i] = v.Alpha
			v.byTime = true
		}
	}
	v.Judged = len(idx)
	if !holm || len(idx) == 0 {
		return out
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ds[a].Test.P, ds[b].Test.P) })
	m := len(idx)
	v.Tests = m
	stop := m
	for k, i := range idx {
		v.MinP = max(v.MinP, minP(ds[i].OldN, ds[i].NewN))
		if stop == m && ds[i].Test.P > v.Alpha/float64(m-k) {
			stop = k
		}
		out[i] = v.Alpha / float64(m-min(k, stop))
	}
	return out
}

// judge gives one gated delta its verdict at significance level level and
// sorts it into a regression, an improvement, an inconclusive cell or a
// dismissal, by the history.
func (v *Verdict) judge(d *report.Delta, level, threshold float64) {
	h := v.HistoryOptions
	if v.noise == nil {
		v.noise = make(map[string]machineNoise)
	}
	noise, ok := v.noise[d.Unit]
	if !ok {
		noise = noiseOf(v.History, d.Unit, h)
		v.noise[d.Unit] = noise
	}
	b, hasBand := fence(v.History, d.Cell, d.Unit, h, noise)
	thr := threshold
	if !hasBand {
		thr = max(threshold, h.ColdThreshold)
	}
	dir, _ := report.Direction(d.Unit)
	d.Verdict = verdict.Compare(d.OldValues, d.NewValues, dir, thr, level)
	d.Significant = d.Verdict.P <= level
	lower := dir == verdict.Lower
	var band *Band
	if hasBand {
		band = &b
	}
	switch d.Verdict.Outcome {
	case verdict.Worse:
		if !hasBand {
			v.Regressions = append(v.Regressions, Regression{Delta: d, Nights: b.Nights})
			return
		}
		worse := d.New.Center/b.Median - 1
		outside := d.New.Center > b.Hi
		if !lower {
			worse, outside = -worse, d.New.Center < b.Lo
		}
		if outside && worse > threshold {
			v.Regressions = append(v.Regressions, Regression{Delta: d, Band: band, Nights: b.Nights})
		} else {
			v.Dismissed = append(v.Dismissed, Dismissed{Delta: *d, Band: band, Nights: b.Nights})
		}
	case verdict.CannotTell:
		if hasBand && d.New.Center >= b.Lo && d.New.Center <= b.Hi {
			v.Dismissed = append(v.Dismissed, Dismissed{Delta: *d, Band: band, Nights: b.Nights})
			return
		}
		v.Inconclusive = append(v.Inconclusive, Dismissed{Delta: *d, Band: band, Nights: b.Nights})
	case verdict.Better:
		v.Improvements = append(v.Improvements, *d)
	case verdict.Same:
		v.Same++
	}
}

// minP returns the smallest two-sided p-value the Mann-Whitney U test can
// give samples of n1 and n2 values: both orders of complete separation, out
// of (n1+n2 choose n1) equally likely rankings.
func minP(n1, n2 int) float64 { return verdict.MinP(n1, n2) }

// WriteText writes the comparison of the gated units (the tables of
// report.Comparison.WriteText) and then the verdict: one line per
// regression, improvement and known failure, and a last line that says
// whether the gate passed. Only a failing verdict uses the word
// "regression", so a log can be searched for it.
func (v *Verdict) WriteText(w io.Writer) error {
	gated := *v.Comparison
	gated.Deltas = slices.DeleteFunc(slices.Clone(gated.Deltas), func(d report.Delta) bool {
		return !slices.Contains(v.Units, d.Unit) && !(v.byTime && d.Unit == units.NsPerOp)
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
	for _, d := range v.Inconclusive {
		what := "fails the gate"
		if v.AllowInconclusive {
			what = "allowed by -allow-inconclusive"
		}
		fmt.Fprintf(&b, "cannot tell: %s%s: %s; %s (%s)\n", describeDelta(&d.Delta), describeBand(d.Band, d.Nights, d.Delta.Unit),
			d.Delta.Verdict.Why, d.Delta.Verdict.NeedString(), what)
	}
	for _, d := range v.Dismissed {
		if d.Band != nil {
			fmt.Fprintf(&b, "within noise: %s (%s against the previous night), inside the band %s\n", describeDelta(&d.Delta), d.Delta.Verdict.Outcome, d.Band.format(d.Delta.Unit))
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
			fmt.Fprintf(&b, "note: over %d cells a p-value must be at most %.2g, and the cell with the fewest samples reaches at best %.2g: it cannot be judged worse, only cannot tell; raise the count to %d\n",
				v.Tests, need, v.MinP, verdict.MinN(need))
		}
	}
	rule := fmt.Sprintf("each cell's %s judged three ways: worse when significant at %s and its 95%% interval lies beyond %g%% (with no band: %g%%) and outside the cell's band over the history; same within; cannot tell otherwise; or ok before and not finished now",
		strings.Join(v.Units, ", "), p, 100*v.Threshold, 100*max(h.ColdThreshold, v.Threshold))
	fmt.Fprintf(&b, "%s (of the gated cells: %d better, %d same, %d within noise; %s)\n", State(v),
		len(v.Improvements), v.Same, len(v.Dismissed), rule)
	if n := len(v.Inconclusive); n > 0 && !v.AllowInconclusive {
		how := fmt.Sprintf("run with -count %d", v.Need())
		if v.Need() >= verdict.MaxNeed {
			how = fmt.Sprintf("some need more than %d repetitions a side at their spread: a quieter machine, or another -threshold", verdict.MaxNeed)
		}
		fmt.Fprintf(&b, "to decide the %d cells it cannot tell: %s, or pass them with -allow-inconclusive\n", n, how)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("nightly: %w", err)
	}
	return nil
}
