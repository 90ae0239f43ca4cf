package chart

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"vmabench/units"
)

// readerPercentiles and writerPercentiles are the latency metrics of the
// two latency charts, in the order drawn, with their axis labels
// (Unit.Label): the readers' percentiles on one, the writer's on the
// other, since a writer's operation (an mmap, an mprotect) is another
// operation than a reader's fault and on one axis the two would be read
// against each other.
var readerPercentiles, writerPercentiles = func() (r, w []units.Unit) {
	for _, u := range units.Of(units.Latency) {
		if u.Reader {
			r = append(r, u)
		} else {
			w = append(w, u)
		}
	}
	return r, w
}()

// latencyChart draws the readers' latency percentiles of each strategy at
// workload w's highest thread count, where the locks contend most: one
// column per percentile, one point per strategy at the median of its
// repetitions with an error bar for their spread (the median's confidence
// interval, the repetitions' range where there are fewer than 6). Points,
// not bars: tails are orders of magnitude above medians, so the y axis is
// logarithmic, and a bar on a log axis has no honest base. It reports
// false if no strategy reports a percentile there.
func latencyChart(ds *dataset, w string, opts Options) (Chart, bool, error) {
	return percentileChart(ds, w, opts, readerPercentiles, "latency", "readers' latency", "")
}

// writerLatencyChart draws the writer's percentiles (writer p99) as
// latencyChart draws the readers', on a chart of its own.
func writerLatencyChart(ds *dataset, w string, opts Options) (Chart, bool, error) {
	return percentileChart(ds, w, opts, writerPercentiles, "writer-latency", "writer's latency", " (writer)")
}

func percentileChart(ds *dataset, w string, opts Options, pcs []units.Unit, name, subject, axis string) (Chart, bool, error) {
	if len(pcs) == 0 {
		return Chart{}, false, nil
	}
	threads := ds.threads[w]
	maxT := threads[len(threads)-1]
	type series struct {
		i    int
		xys  plotter.XYs
		errs plotter.YErrors
	}
	var all []series
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range ds.strategies {
		c := ds.cells[key(w, s, maxT)]
		if c == nil || ds.sameAs(w, s) != "" {
			continue
		}
		sr := series{i: i}
		for j, pc := range pcs {
			sum, ok, err := c.metric(pc.Name)
			if err != nil {
				return Chart{}, false, err
			}
			if !ok || sum.median <= 0 {
				continue
			}
			sr.xys = append(sr.xys, plotter.XY{X: float64(j), Y: sum.median})
			sr.errs = append(sr.errs, struct{ Low, High float64 }{sum.median - max(sum.lo, sum.median/1e3), sum.hi - sum.median})
			lo, hi = math.Min(lo, max(sum.lo, sum.median/1e3)), math.Max(hi, sum.hi)
		}
		if len(sr.xys) > 0 {
			all = append(all, sr)
		}
	}
	if len(all) == 0 {
		return Chart{}, false, nil
	}
	var labels []string
	for _, pc := range pcs {
		labels = append(labels, pc.Label)
	}
	p := newPlot(title(opts, w, fmt.Sprintf("%s at %d threads", subject, maxT)), "percentile", "latency (ns, log scale)"+axis, false)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = siTicks{plot.LogTicks{}}
	p.NominalX(labels...)
	// The strategies' points of one percentile side by side, a little
	// apart, so their error bars do not hide each other.
	k := len(all)
	step := math.Min(0.6/float64(max(k, 1)), 0.15)
	for n, sr := range all {
		off := step * (float64(n) - float64(k-1)/2)
		for m := range sr.xys {
			sr.xys[m].X += off
		}
		s := ds.strategies[sr.i]
		unsafe := ds.unsafe(w, s)
		st := styleOf(sr.i, unsafe)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{sr.xys, sr.errs})
		if err != nil {
			return Chart{}, false, fmt.Errorf("chart: %s %s: %w", w, name, err)
		}
		eb.LineStyle = st.line
		eb.LineStyle.Width = vg.Points(1)
		eb.LineStyle.Dashes = nil
		eb.CapWidth = vg.Points(5)
		sc, err := plotter.NewScatter(sr.xys)
		if err != nil {
			return Chart{}, false, fmt.Errorf("chart: %s %s: %w", w, name, err)
		}
		sc.GlyphStyle = st.glyph
		p.Add(eb, sc)
		p.Legend.Add(ds.label(w, s, unsafe), sc)
	}
	// Room above and below the outermost bars, in whole powers of ten, so
	// no marker is clipped by the frame.
	p.Y.Min = math.Pow10(int(math.Floor(math.Log10(lo))))
	p.Y.Max = math.Pow10(int(math.Ceil(math.Log10(hi))))
	if p.Y.Max <= p.Y.Min*1.0001 {
		p.Y.Max = p.Y.Min * 10
	}
	if hi >= p.Y.Max/1.5 {
		p.Y.Max *= 10
	}
	p.X.Min, p.X.Max = -0.5, float64(len(pcs))-0.5
	return Chart{Name: fileSafe(w + "-" + name), Plot: p}, true, nil
}
