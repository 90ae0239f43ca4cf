package report

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"

	"vmabench/cell"
	"vmabench/internal/stats"
	"vmabench/runner"
	"vmabench/units"
	"vmabench/workloads"
)

// WriteTable writes one run as a table for people: a row per workload,
// thread count and figure, a column per strategy, and in each cell the
// median of the figure over the cell's repetitions with their spread, "±4%"
// (half their range, as a share of the median), or "n=1" where there is
// one. A design that runs another column's code for every entry point the
// workload calls (strategies.SameCode over workloads.Info.Calls; any model
// under a workload that calls none) shows "same as <design>" instead of a
// second, noisy figure of the same code. The figures are the
// rates of the units table: the readers' rate (faults/s, lookups/s) and,
// for a workload with a writer, the writer's rate (writes/s) on a row of
// its own, so the readers of two strategies are compared with each other
// and not with the writer's work; a row's cells that have no rate at all
// (files of other tools) show ns/op instead. An unsafe cell's figure is
// marked "!"; a cell that did not end OK shows its status (deadlock,
// timeout, skipped, error) instead, so no failure hides behind a number.
// Rows keep the workloads' order of first appearance, with threads
// ascending; columns keep the strategies' order. A legend under the table
// says what each figure counts.
func WriteTable(w io.Writer, results []runner.Result) error {
	type row struct {
		workload string
		threads  int
	}
	type entry struct {
		vals   map[string][]float64 // per unit, the repetitions' values
		status runner.Status        // first status other than OK
		unsafe bool
	}
	var rows []row
	var columns, wls []string
	figures := make(map[row][]string) // the units of a row, in table order
	cells := make(map[cell.Cell]*entry)
	for i := range results {
		r := &results[i]
		if !slices.Contains(wls, r.Workload) {
			wls = append(wls, r.Workload)
		}
		if !slices.Contains(columns, r.Strategy) {
			columns = append(columns, r.Strategy)
		}
		rw := row{r.Workload, r.Threads}
		if !slices.Contains(rows, rw) {
			rows = append(rows, rw)
		}
		c := cells[r.Key()]
		if c == nil {
			c = &entry{vals: make(map[string][]float64)}
			cells[r.Key()] = c
		}
		if r.Status != runner.StatusOK {
			c.status = cmp.Or(c.status, r.Status)
			continue
		}
		c.unsafe = c.unsafe || r.IsUnsafe()
		rates := 0
		for _, u := range units.Table {
			if v, ok := r.Metric(u.Name); ok && u.Rate {
				c.vals[u.Name] = append(c.vals[u.Name], v)
				rates++
			}
		}
		if rates == 0 {
			c.vals[units.NsPerOp] = append(c.vals[units.NsPerOp], r.NsPerOp())
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(slices.Index(wls, a.workload), slices.Index(wls, b.workload)),
			cmp.Compare(a.threads, b.threads))
	})
	var used []string // the figures of the whole table, for the legend
	for _, rw := range rows {
		for _, u := range units.Table {
			for _, s := range columns {
				if c := cells[cell.Cell{Workload: rw.workload, Strategy: s, Threads: rw.threads}]; c != nil && c.vals[u.Name] != nil {
					figures[rw] = append(figures[rw], u.Name)
					break
				}
			}
		}
		if len(figures[rw]) == 0 { // no cell of the row ended OK
			figures[rw] = []string{""}
		}
		for _, f := range figures[rw] {
			if f != "" && !slices.Contains(used, f) {
				used = append(used, f)
			}
		}
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "workload\tthreads\tfigure\t")
	for _, s := range columns {
		fmt.Fprintf(tw, "%s\t", s)
	}
	fmt.Fprintln(tw)
	var unsafe, same bool
	for _, rw := range rows {
		for _, f := range figures[rw] {
			fmt.Fprintf(tw, "%s\t%d\t%s\t", rw.workload, rw.threads, f)
			for _, s := range columns {
				c := cells[cell.Cell{Workload: rw.workload, Strategy: s, Threads: rw.threads}]
				as := workloads.SameAs(s, rw.workload, columns)
				if as != "" {
					if b := cells[cell.Cell{Workload: rw.workload, Strategy: as, Threads: rw.threads}]; b == nil || b.status != "" || b.vals[f] == nil {
						as = ""
					}
				}
				switch {
				case c == nil:
					fmt.Fprint(tw, "-\t")
				case c.status != "":
					fmt.Fprintf(tw, "%s\t", c.status)
				case c.vals[f] == nil:
					fmt.Fprint(tw, "-\t")
				case as != "":
					fmt.Fprintf(tw, "same as %s\t", as)
					same = true
				default:
					mark := ""
					if c.unsafe {
						mark, unsafe = "!", true
					}
					fmt.Fprintf(tw, "%s %s%s\t", formatFigure(stats.Median(c.vals[f]), f), spreadOf(c.vals[f]), mark)
				}
			}
			fmt.Fprintln(tw)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// The legend is not tabulated: its lines are longer than any row.
	fmt.Fprintln(w, "median of the repetitions of each cell, ± half their range as a share of it (n=1: one repetition):")
	for _, f := range used {
		u, _ := units.Lookup(f)
		fmt.Fprintf(w, "  %s: %s (%s is better)\n", f, u.Counts, u.Better)
	}
	if same {
		fmt.Fprintln(w, "same as X: the design runs X's code for every entry point the workload calls; its own figure would be X's with other noise")
	}
	if unsafe {
		fmt.Fprintln(w, "! unsafe: the strategy does not lock against the workload's writers; a floor, not a result")
	}
	return nil
}

// spreadOf formats how far a cell's repetitions spread: "±4%", half their
// range over their median, or "n=1" for one repetition.
func spreadOf(vs []float64) string {
	if len(vs) < 2 {
		return "n=1"
	}
	med := stats.Median(vs)
	if med == 0 {
		return "±0%"
	}
	return fmt.Sprintf("±%.0f%%", 100*(slices.Max(vs)-slices.Min(vs))/2/math.Abs(med))
}

// formatFigure formats v of unit u for the table: a time per operation
// with its unit ("1.236µs"), a rate scaled ("10.96M").
func formatFigure(v float64, u string) string {
	if u == units.NsPerOp {
		return benchunit.Scale(v*1e-9, benchunit.Decimal) + "s"
	}
	return benchunit.Scale(v, benchunit.Decimal)
}
