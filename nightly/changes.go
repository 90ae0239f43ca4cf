package nightly

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"vmabench/cell"
	"vmabench/changepoint"
	"vmabench/chart"
	"vmabench/units"
)

// A Change is a change point in one cell's nightly series in one unit: the
// series steps between the nights Before and After, so the commits to
// bisect are Before's (good) to After's (bad).
type Change struct {
	Cell cell.Cell
	Unit string
	// Point is the change point; its Index counts the nights that have
	// the cell.
	Point changepoint.Point
	// Before is the last night before the step, After the first after.
	Before, After chart.Night
	// Worse reports whether the step is a regression in a unit whose
	// better direction is known.
	Worse bool
}

// Range returns the commit range to bisect, as git log takes it:
// "good..bad".
func (c Change) Range() string {
	return ShortCommit(c.Before.Commit) + ".." + ShortCommit(c.After.Commit)
}

// ChangePoints finds the change points (E-Divisive Means, see package
// changepoint) of every cell's series in each unit over nights (one per
// date, in date order): the series holds one point per night that ran the
// cell, the median of its OK repetitions. Each series is searched with a
// seed of its own, derived from its cell and unit, so a report is the same
// every time it is drawn from the same files.
func ChangePoints(nights []chart.Night, unitNames []string, opts changepoint.Options) ([]Change, error) {
	var cells []cell.Cell
	for _, n := range nights {
		for i := range n.Results {
			if k := (&n.Results[i]).Key(); !slices.Contains(cells, k) {
				cells = append(cells, k)
			}
		}
	}
	var out []Change
	for _, unit := range unitNames {
		better := units.BetterOf(unit)
		for _, c := range cells {
			var series []float64
			var at []int // night of each point
			for i, n := range nights {
				if m, ok := nightMedian(n.Results, c, unit); ok {
					series = append(series, m)
					at = append(at, i)
				}
			}
			o := opts
			o.Seed ^= seriesSeed(c, unit)
			ps, err := changepoint.EDivisive(series, o)
			if err != nil {
				return nil, fmt.Errorf("nightly: change points of %s %s: %w", c, unit, err)
			}
			for _, p := range ps {
				up := p.After > p.Before
				out = append(out, Change{Cell: c, Unit: unit, Point: p,
					Before: nights[at[p.Index-1]], After: nights[at[p.Index]],
					Worse: better == units.Lower && up || better == units.Higher && !up})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int { return a.After.Date.Compare(b.After.Date) })
	return out, nil
}

// marks returns the change points as the trend charts mark them.
func marks(cs []Change) []chart.ChangePoint {
	var out []chart.ChangePoint
	for _, c := range cs {
		out = append(out, chart.ChangePoint{Workload: c.Cell.Workload, Strategy: c.Cell.Strategy, Threads: c.Cell.Threads, Date: c.After.Date})
	}
	return out
}

// writeChanges lists the change points, newest first, each with its step
// and the commit range to bisect.
func writeChanges(b *bytes.Buffer, cs []Change, nights int, opts changepoint.Options) error {
	opts = cmp.Or(opts, changepoint.DefaultOptions())
	if len(cs) == 0 {
		fmt.Fprintf(b, "none over %d nights (E-Divisive Means, p <= %g by %d permutations)\n", nights, opts.Alpha, opts.Permutations)
		return nil
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "first night after\tcell\tunit\tstep\tp\tbisect (good..bad)\t")
	for _, c := range slices.Backward(cs) {
		kind := "better"
		if c.Worse {
			kind = "WORSE"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %+.1f%% %s\t%.3f\t%s\t\n", c.After.Date.Format(time.DateOnly), c.Cell, c.Unit,
			formatChange(c.Point.Before, c.Point.After, c.Unit), 100*c.Point.Change(), kind, c.Point.P, c.Range())
	}
	fmt.Fprintf(tw, "E-Divisive Means over %d nights, p <= %g by %d permutations; git log good..bad lists the commits to bisect\n", nights, opts.Alpha, opts.Permutations)
	return tw.Flush()
}
