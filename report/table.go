package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"

	"vmabench/cell"
	"vmabench/runner"
)

// WriteTable writes one run as a table for people: a row per workload and
// thread count, a column per strategy, and in each cell the median time per
// operation over the cell's repetitions. An unsafe cell's time is marked
// "!"; a cell that did not end OK shows its status (deadlock, timeout,
// skipped, error) instead, so no failure hides behind a number. Rows keep
// the workloads' order of first appearance, with threads ascending;
// columns keep the strategies' order.
func WriteTable(w io.Writer, results []runner.Result) error {
	type row struct {
		workload string
		threads  int
	}
	type entry struct {
		ns     []float64
		status runner.Status // first status other than OK
		unsafe bool
	}
	var rows []row
	var strategies, workloads []string
	cells := make(map[cell.Cell]*entry)
	for i := range results {
		r := &results[i]
		if !slices.Contains(workloads, r.Workload) {
			workloads = append(workloads, r.Workload)
		}
		if !slices.Contains(strategies, r.Strategy) {
			strategies = append(strategies, r.Strategy)
		}
		if rw := (row{r.Workload, r.Threads}); !slices.Contains(rows, rw) {
			rows = append(rows, rw)
		}
		c := cells[r.Key()]
		if c == nil {
			c = new(entry)
			cells[r.Key()] = c
		}
		switch {
		case r.Status != runner.StatusOK:
			c.status = cmp.Or(c.status, r.Status)
		default:
			c.ns = append(c.ns, r.NsPerOp())
			c.unsafe = c.unsafe || r.IsUnsafe()
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(slices.Index(workloads, a.workload), slices.Index(workloads, b.workload)),
			cmp.Compare(a.threads, b.threads))
	})

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "workload\tthreads\t")
	for _, s := range strategies {
		fmt.Fprintf(tw, "%s\t", s)
	}
	fmt.Fprintln(tw)
	var unsafe bool
	for _, rw := range rows {
		fmt.Fprintf(tw, "%s\t%d\t", rw.workload, rw.threads)
		for _, s := range strategies {
			c := cells[cell.Cell{Workload: rw.workload, Strategy: s, Threads: rw.threads}]
			switch {
			case c == nil:
				fmt.Fprint(tw, "-\t")
			case c.status != "":
				fmt.Fprintf(tw, "%s\t", c.status)
			default:
				med := benchmath.AssumeNothing.Summary(benchmath.NewSample(c.ns, &benchmath.DefaultThresholds), 0.95).Center
				mark := ""
				if c.unsafe {
					mark, unsafe = "!", true
				}
				fmt.Fprintf(tw, "%ss%s\t", benchunit.Scale(med*1e-9, benchunit.Decimal), mark)
			}
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw, "median time per operation")
	if unsafe {
		fmt.Fprintln(tw, "! unsafe: the strategy does not lock against the workload's writers; a floor, not a result")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
