package chart

import (
	"fmt"
	"math"
	"slices"

	"vmabench/cell"
	"vmabench/internal/stats"
	"vmabench/runner"
	"vmabench/units"
	"vmabench/workloads"
)

// key returns the cell of workload w, strategy s at t threads, as its
// repetitions share it (cell.Cell.Key).
func key(w, s string, t int) cell.Cell {
	return cell.Cell{Workload: w, Strategy: s, Threads: t}
}

// cellReps holds the OK repetitions of one cell.
type cellReps struct {
	reps []*runner.Result
	// unsafe is set if any repetition is unsafe: its numbers are a floor.
	unsafe bool
	// projected is set if any repetition is a projection ("mode:
	// projected"), uncalibrated if any is a model's with raw lock costs
	// ("calibration: none"): their legends say so.
	projected, uncalibrated bool
}

// summary is one quantity over a cell's repetitions, as the comparison
// summarizes it (package stats): the median is what a chart draws, lo and hi
// its error bar, the median's 95% confidence interval or, with too few
// repetitions for one, their range. max is the largest repetition.
type summary struct {
	median, lo, hi, max float64
}

// summarize returns the summary of vs, which must not be empty.
func summarize(vs []float64) summary {
	var s summary
	s.median, s.lo, s.hi = stats.Interval(vs)
	s.max = slices.Max(vs)
	return s
}

// readerRate returns the unit of r's readers' rate: the readers' rate of
// the units table that r reports (faults/s, lookups/s), or writes/s where
// every thread writes (mmap-churn), or "" if it reports none.
func readerRate(r *runner.Result) string {
	for _, u := range units.Table {
		if _, ok := r.Metric(u.Name); ok && u.Rate && u.Reader {
			return u.Name
		}
	}
	if _, ok := r.Metric(units.WritesPerS); ok {
		return units.WritesPerS
	}
	return ""
}

// throughput summarizes the cell's readers' rate (readerRate), the figure
// the summary table and benchstat show as faults/s or lookups/s: the
// readers' operations only, not the writer's, which writes() draws apart.
func (c *cellReps) throughput() (summary, error) {
	vs := make([]float64, 0, len(c.reps))
	for _, r := range c.reps {
		if r.NsPerOp() <= 0 {
			return summary{}, fmt.Errorf("chart: %s: status ok but no operations timed", r.Name())
		}
		u := readerRate(r)
		if u == "" {
			return summary{}, fmt.Errorf("chart: %s: no readers' rate (faults/s, lookups/s or writes/s)", r.Name())
		}
		v, _ := r.Metric(u)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return summary{}, fmt.Errorf("chart: %s: metric %s is %v", r.Name(), u, v)
		}
		vs = append(vs, v)
	}
	return summarize(vs), nil
}

// writes summarizes the cell's writer's rate, writes/s, where it is not
// already the readers' rate (mmap-churn), and reports whether there is one.
func (c *cellReps) writes() (summary, bool, error) {
	if len(c.reps) == 0 || readerRate(c.reps[0]) == units.WritesPerS {
		return summary{}, false, nil
	}
	return c.metric(units.WritesPerS)
}

// metric summarizes the metric with unit u over the repetitions that report
// it, and reports whether any does.
func (c *cellReps) metric(u string) (summary, bool, error) {
	var vs []float64
	for _, r := range c.reps {
		if v, ok := r.Metric(u); ok {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return summary{}, false, fmt.Errorf("chart: %s: metric %s is %v", r.Name(), u, v)
			}
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return summary{}, false, nil
	}
	return summarize(vs), true, nil
}

// dataset indexes OK results by cell, keeping the orders charts draw in.
type dataset struct {
	workloads  []string         // in order of first appearance
	strategies []string         // the caller's order, then first appearance
	threads    map[string][]int // per workload, ascending
	cells      map[cell.Cell]*cellReps
	// measured holds the measurements of the workloads and strategies
	// that also have a projection among the results, apart from it: the
	// rate charts draw them as points over the projected curve (rateChart)
	// rather than mix the two in one cell's repetitions. Nil if none.
	measured *dataset
}

// newDataset indexes the OK results; order is Options.Strategies.
func newDataset(results []runner.Result, order []string) (*dataset, error) {
	newDS := func() *dataset {
		return &dataset{
			strategies: slices.Clone(order),
			threads:    make(map[string][]int),
			cells:      make(map[cell.Cell]*cellReps),
		}
	}
	ds := newDS()
	type series struct{ w, s string }
	projected := make(map[series]bool)
	for i := range results {
		if isProjected(&results[i]) {
			projected[series{results[i].Workload, results[i].Strategy}] = true
		}
	}
	var main, apart []runner.Result
	for _, r := range results {
		if !isProjected(&r) && projected[series{r.Workload, r.Strategy}] {
			apart = append(apart, r)
		} else {
			main = append(main, r)
		}
	}
	ds.add(main)
	if len(apart) > 0 {
		ds.measured = newDS()
		ds.measured.add(apart)
	}
	if len(ds.cells) == 0 {
		return nil, ErrNoData
	}
	return ds, nil
}

// isProjected reports whether r is a projection's ("mode: projected").
func isProjected(r *runner.Result) bool { return r.ConfigValue("mode") == "projected" }

// add indexes the OK results among rs.
func (ds *dataset) add(rs []runner.Result) {
	for i := range rs {
		r := &rs[i]
		if r.Status != runner.StatusOK {
			continue
		}
		k := r.Key()
		c := ds.cells[k]
		if c == nil {
			c = &cellReps{}
			ds.cells[k] = c
			if _, ok := ds.threads[r.Workload]; !ok {
				ds.workloads = append(ds.workloads, r.Workload)
			}
			ts := ds.threads[r.Workload]
			if j, found := slices.BinarySearch(ts, r.Threads); !found {
				ds.threads[r.Workload] = slices.Insert(ts, j, r.Threads)
			}
			if !slices.Contains(ds.strategies, r.Strategy) {
				ds.strategies = append(ds.strategies, r.Strategy)
			}
		}
		c.reps = append(c.reps, r)
		c.unsafe = c.unsafe || r.IsUnsafe()
		c.projected = c.projected || isProjected(r)
		c.uncalibrated = c.uncalibrated || r.ConfigValue("calibration") == "none" && r.Strategy != "kernel"
	}
}

// mark returns what a legend adds to the name of strategy s in workload
// w for figures that are not a calibrated measurement of this machine:
// " [projected]" for a projection's (a "mode: projected" line), "
// [uncalibrated]" for a model run with raw lock costs ("calibration:
// none"), both where both are.
func (ds *dataset) mark(w, s string) string {
	var proj, uncal bool
	for _, t := range ds.threads[w] {
		if c := ds.cells[key(w, s, t)]; c != nil {
			proj, uncal = proj || c.projected, uncal || c.uncalibrated
		}
	}
	out := ""
	if proj {
		out += " [projected]"
	}
	if uncal {
		out += " [uncalibrated]"
	}
	return out
}

// strategiesOf returns the strategies with any cell in workload w, in order.
func (ds *dataset) strategiesOf(w string) []string {
	var ss []string
	for _, s := range ds.strategies {
		for _, t := range ds.threads[w] {
			if ds.cells[key(w, s, t)] != nil {
				ss = append(ss, s)
				break
			}
		}
	}
	return ss
}

// sameAs returns the strategy whose line strategy s's would repeat in
// workload w, or "": the design whose code s runs there
// (workloads.SameAs), where that design has a cell at every thread count s
// has one. Its figures are the same code's with other noise (in a
// projection, the same figures), so a chart draws one line for both and
// names both in its legend (label), as the table writes "same as".
func (ds *dataset) sameAs(w, s string) string {
	b := workloads.SameAs(s, w, ds.strategiesOf(w))
	if b == "" {
		return ""
	}
	for _, t := range ds.threads[w] {
		if ds.cells[key(w, s, t)] != nil && ds.cells[key(w, b, t)] == nil {
			return ""
		}
	}
	return b
}

// label is strategy s's legend entry in workload w: its name, marked
// unsafe where it is (legendName), the strategies whose line is s's
// (sameAs) as " = <strategy>", and ds.mark's marks.
func (ds *dataset) label(w, s string, unsafe bool) string {
	name := legendName(s, unsafe)
	for _, o := range ds.strategiesOf(w) {
		if o != s && ds.sameAs(w, o) == s {
			name += " = " + o
		}
	}
	return name + ds.mark(w, s)
}

// unsafe reports whether any cell of strategy s in workload w is unsafe.
func (ds *dataset) unsafe(w, s string) bool {
	for _, t := range ds.threads[w] {
		if c := ds.cells[key(w, s, t)]; c != nil && c.unsafe {
			return true
		}
	}
	return false
}

// rateLabel returns the y axis label of workload w's throughput: its
// readers' rate unit and whose it is.
func (ds *dataset) rateLabel(w string) string {
	for _, s := range ds.strategies {
		for _, t := range ds.threads[w] {
			c := ds.cells[key(w, s, t)]
			if c == nil {
				continue
			}
			if u := readerRate(c.reps[0]); u == units.WritesPerS {
				return u + " (every thread writes)"
			} else if u != "" {
				return u + " (readers)"
			}
		}
	}
	return "ops/s"
}
