package chart

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"vmabench/cell"
	"vmabench/runner"
)

// A ChangePoint is a step in a cell's nightly series: Date is the first
// night after it.
type ChangePoint struct {
	Workload, Strategy string
	Threads            int
	Date               time.Time
}

// Night is one nightly run: the results file of one date and commit.
type Night struct {
	Date    time.Time
	Commit  string
	Results []runner.Result
}

// Trends draws, per workload in order of first appearance, "<workload>-trend":
// each strategy's throughput across nights, one point per night through the
// median of its repetitions, with error bars as the throughput chart's, at the highest thread
// count any night ran for that workload. The highest count is where the
// locking designs differ most, and one chart per workload keeps a nightly
// page short; a night that did not run that count has no point, and the line
// joins its neighbours. Nights are drawn in date order whatever their order
// in nights; results that are not StatusOK are skipped. Each of
// opts.ChangePoints on a drawn series is ringed at its night, in black,
// under the legend entry "change point".
func Trends(nights []Night, opts Options) ([]Chart, error) {
	nights = slices.Clone(nights)
	slices.SortStableFunc(nights, func(a, b Night) int { return a.Date.Compare(b.Date) })

	// all fixes the workload and strategy order (and so the colours) over
	// every night; per night, a dataset of its own.
	all := &dataset{strategies: slices.Clone(opts.Strategies), threads: make(map[string][]int), cells: make(map[cell.Cell]*cellReps)}
	perNight := make([]*dataset, len(nights))
	for n, night := range nights {
		all.add(night.Results)
		ds := &dataset{threads: make(map[string][]int), cells: make(map[cell.Cell]*cellReps)}
		ds.add(night.Results)
		perNight[n] = ds
	}
	if len(all.cells) == 0 {
		return nil, ErrNoData
	}

	xLabel := "night (UTC)"
	if last := nights[len(nights)-1]; last.Commit != "" {
		xLabel += ", last commit " + short(last.Commit)
	}
	var charts []Chart
	for _, w := range all.workloads {
		threads := all.threads[w]
		maxT := threads[len(threads)-1]
		p := newPlot(title(opts, w, fmt.Sprintf("nightly throughput at %d threads", maxT)), xLabel, all.rateLabel(w), true)
		p.Y.Tick.Marker = siTicks{linearTicks{}}
		p.X.Tick.Marker = plot.TimeTicks{Ticker: dayTicks{}, Format: "2006-01-02"}
		var marks plotter.XYs
		for i, s := range all.strategies {
			var xys plotter.XYs
			var errs plotter.YErrors
			unsafe := false
			for n, ds := range perNight {
				c := ds.cells[key(w, s, maxT)]
				if c == nil {
					continue
				}
				sum, err := c.throughput()
				if err != nil {
					return nil, fmt.Errorf("%w (night %s)", err, nights[n].Date.Format(time.DateOnly))
				}
				xys = append(xys, plotter.XY{X: float64(nights[n].Date.Unix()), Y: sum.median})
				for _, cp := range opts.ChangePoints {
					if cp.Workload == w && cp.Strategy == s && cp.Threads == maxT && cp.Date.Equal(nights[n].Date) {
						marks = append(marks, xys[len(xys)-1])
					}
				}
				errs = append(errs, struct{ Low, High float64 }{sum.median - sum.lo, sum.hi - sum.median})
				unsafe = unsafe || c.unsafe
			}
			if len(xys) == 0 {
				continue
			}
			if err := addSeries(p, legendName(s, unsafe), styleOf(i, unsafe), xys, errs); err != nil {
				return nil, fmt.Errorf("chart: %s %s trend: %w", w, s, err)
			}
		}
		if len(marks) > 0 {
			sc, err := plotter.NewScatter(marks)
			if err != nil {
				return nil, fmt.Errorf("chart: %s change points: %w", w, err)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(8), Shape: draw.RingGlyph{}}
			p.Add(sc)
			p.Legend.Add("change point", sc)
		}
		if p.X.Min == p.X.Max { // one night: give the axis a day's width
			p.X.Min -= 12 * 3600
			p.X.Max += 12 * 3600
		}
		p.Y.Min = 0
		charts = append(charts, Chart{Name: fileSafe(w + "-trend"), Plot: p})
	}
	return charts, nil
}

// short abbreviates a commit hash as git does.
func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// dayTicks puts ticks on midnights UTC, a whole number of days apart, so
// that every date label names a real day rather than an instant some hours
// into it. Values are Unix seconds.
type dayTicks struct{}

// Ticks implements plot.Ticker.
func (dayTicks) Ticks(min, max float64) []plot.Tick {
	const day = 24 * 3600
	span := (max - min) / day
	// At most about 6 labels: an 8in axis fits that many dates.
	step := 1.0
	for _, s := range []float64{1, 2, 7, 14, 28, 56, 91, 182, 364} {
		step = s
		if span/s <= 6 {
			break
		}
	}
	for span/step > 6 {
		step *= 2
	}
	first := math.Ceil(min/day) * day
	var ticks []plot.Tick
	for v := first; v <= max; v += day {
		major := math.Mod((v-first)/day, step) == 0
		t := plot.Tick{Value: v}
		if major {
			t.Label = "x" // replaced by TimeTicks
		}
		if major || step <= 14 {
			ticks = append(ticks, t)
		}
	}
	return ticks
}
