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
// Time is when the run started, its x on a trend chart, so that two runs
// of one night are two points; zero means Date.
type Night struct {
	Date    time.Time
	Time    time.Time
	Commit  string
	Results []runner.Result
}

// at returns the night's x: its Time, or its Date.
func (n Night) at() time.Time {
	if n.Time.IsZero() {
		return n.Date
	}
	return n.Time
}

// Trends draws, per workload in order of first appearance, "<workload>-trend":
// each strategy's throughput across runs, one point per run (at the time it
// started, Night.Time: two runs of one night are two points) through the
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
	slices.SortStableFunc(nights, func(a, b Night) int { return a.at().Compare(b.at()) })

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
		if d := nights[len(nights)-1].at().Sub(nights[0].at()); d > 0 && d < 48*time.Hour {
			// Runs within a day or two: times of day, not dates.
			p.X.Tick.Marker = plot.TimeTicks{Ticker: hourTicks{}, Format: "01-02 15:04"}
		}
		var marks plotter.XYs
		top := 0.0
		for i, s := range all.strategies {
			if all.sameAs(w, s) != "" {
				continue // its line is the design's whose code it runs
			}
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
				xys = append(xys, plotter.XY{X: float64(nights[n].at().Unix()), Y: sum.median})
				top = max(top, sum.hi, sum.median)
				for _, cp := range opts.ChangePoints {
					if cp.Workload == w && cp.Strategy == s && cp.Threads == maxT && cp.Date.Equal(nights[n].Date) && lastOfDate(nights, n) {
						marks = append(marks, xys[len(xys)-1])
					}
				}
				errs = append(errs, struct{ Low, High float64 }{sum.median - sum.lo, sum.hi - sum.median})
				unsafe = unsafe || c.unsafe
			}
			if len(xys) == 0 {
				continue
			}
			if err := addSeries(p, all.label(w, s, unsafe), styleOf(i, unsafe), xys, errs); err != nil {
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
		// Room around the outermost points, so no marker (nor the ring
		// of a change point) is clipped by the frame: a twentieth of the
		// span each side, at least an hour; twelve hours for one run.
		span := nights[len(nights)-1].at().Sub(nights[0].at()).Seconds()
		pad := max(span/20, 3600)
		if span == 0 {
			pad = 12 * 3600
		}
		p.X.Min = float64(nights[0].at().Unix()) - pad
		p.X.Max = float64(nights[len(nights)-1].at().Unix()) + pad
		p.Y.Min = 0
		if top > 0 {
			p.Y.Max = top * 1.1
		}
		charts = append(charts, Chart{Name: fileSafe(w + "-trend"), Plot: p})
	}
	return charts, nil
}

// lastOfDate reports whether nights[n] is the last run of its date: a
// change point, found over the nights' last runs, is ringed there.
func lastOfDate(nights []Night, n int) bool {
	return n+1 == len(nights) || !nights[n+1].Date.Equal(nights[n].Date)
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

// hourTicks puts ticks on whole hours UTC, 1, 2, 3, 6 or 12 apart, about 6
// labelled, for runs within a day or two. Values are Unix seconds.
type hourTicks struct{}

// Ticks implements plot.Ticker.
func (hourTicks) Ticks(min, max float64) []plot.Tick {
	const hour = 3600
	step := 24.0
	for _, s := range []float64{1, 2, 3, 6, 12, 24} {
		if (max-min)/hour/s <= 6 {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/(step*hour)) * step * hour; v <= max; v += step * hour {
		ticks = append(ticks, plot.Tick{Value: v, Label: "x"})
	}
	return ticks
}
