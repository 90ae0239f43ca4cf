package chart

import (
	"fmt"
	"math"
	"slices"

	"vmabench/cell"
	"vmabench/runner"
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
}

// summary is one quantity over a cell's repetitions: the median is what a
// chart draws, min and max its spread.
type summary struct {
	median, min, max float64
}

// summarize returns the summary of vs, which must not be empty. The median of
// an even count is the mean of the middle two.
func summarize(vs []float64) summary {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	return summary{median: m, min: s[0], max: s[n-1]}
}

// throughput is r's operations per second over all threads.
func throughput(r *runner.Result) (float64, error) {
	ns := r.NsPerOp()
	if ns <= 0 {
		return 0, fmt.Errorf("chart: %s: status ok but no operations timed", r.Name())
	}
	return 1e9 / ns, nil
}

// throughput summarizes the cell's ops/s.
func (c *cellReps) throughput() (summary, error) {
	vs := make([]float64, 0, len(c.reps))
	for _, r := range c.reps {
		v, err := throughput(r)
		if err != nil {
			return summary{}, err
		}
		vs = append(vs, v)
	}
	return summarize(vs), nil
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
}

// newDataset indexes the OK results; order is Options.Strategies.
func newDataset(results []runner.Result, order []string) (*dataset, error) {
	ds := &dataset{
		strategies: slices.Clone(order),
		threads:    make(map[string][]int),
		cells:      make(map[cell.Cell]*cellReps),
	}
	ds.add(results)
	if len(ds.cells) == 0 {
		return nil, ErrNoData
	}
	return ds, nil
}

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
	}
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

// unsafe reports whether any cell of strategy s in workload w is unsafe.
func (ds *dataset) unsafe(w, s string) bool {
	for _, t := range ds.threads[w] {
		if c := ds.cells[key(w, s, t)]; c != nil && c.unsafe {
			return true
		}
	}
	return false
}
