package chart

import (
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"vmabench/units"
)

// throughputChart draws workload w's readers' rate (faults/s, lookups/s;
// writes/s where every thread writes) against threads: one line per
// strategy through the medians, error bars for their confidence intervals
// (see summary). The y axis starts at zero, so that lines compare by height
// honestly.
func throughputChart(ds *dataset, w string, opts Options) (Chart, error) {
	p := newPlot(title(opts, w, "throughput"), "threads", ds.rateLabel(w), true)
	c, _, err := rateChart(ds, w, p, func(c *cellReps) (summary, bool, error) {
		sum, err := c.throughput()
		return sum, err == nil, err
	})
	return Chart{Name: fileSafe(w + "-throughput"), Plot: c}, err
}

// writesChart draws the writer's rate, writes/s, of workload w against
// threads, as throughputChart draws the readers', if w has a writer beside
// its readers; it reports false if not. A chart of its own: the writer's
// rate is orders of magnitude below the readers', and on one axis with
// them it would lie flat on zero.
func writesChart(ds *dataset, w string, opts Options) (Chart, bool, error) {
	p := newPlot(title(opts, w, "writer throughput"), "threads", units.WritesPerS+" (writer)", true)
	c, drawn, err := rateChart(ds, w, p, (*cellReps).writes)
	if err != nil || !drawn {
		return Chart{}, false, err
	}
	return Chart{Name: fileSafe(w + "-writes"), Plot: c}, true, nil
}

// rateChart draws on p, for each strategy, a line through the medians of
// fig over workload w's thread counts, with error bars, and reports whether
// it drew any. Where a strategy's line is a projection and the results
// also hold its measurements (dataset.measured), they are drawn over it in
// its colour as hollow points with their own error bars and no line,
// "<strategy> (measured)" in the legend, so a reader sees at a glance
// where the projection meets the machine and where it only extrapolates.
func rateChart(ds *dataset, w string, p *plot.Plot, fig func(*cellReps) (summary, bool, error)) (*plot.Plot, bool, error) {
	p.Y.Tick.Marker = siTicks{linearTicks{}}
	threads := ds.threads[w]
	if ds.measured != nil {
		for _, t := range ds.measured.threads[w] {
			if j, found := slices.BinarySearch(threads, t); !found {
				threads = slices.Insert(slices.Clone(threads), j, t)
			}
		}
	}
	drawn := false
	for i, s := range ds.strategies {
		if ds.sameAs(w, s) != "" {
			continue
		}
		xys, errs, err := points(ds, w, s, fig)
		if err != nil {
			return nil, false, err
		}
		if len(xys) == 0 {
			continue
		}
		unsafe := ds.unsafe(w, s)
		st := styleOf(i, unsafe)
		if err := addSeries(p, ds.label(w, s, unsafe), st, xys, errs); err != nil {
			return nil, false, fmt.Errorf("chart: %s %s: %w", w, s, err)
		}
		drawn = true
		if ds.measured == nil {
			continue
		}
		if ds.measured.sameAs(w, s) != "" {
			continue
		}
		mxys, merrs, err := points(ds.measured, w, s, fig)
		if err != nil {
			return nil, false, err
		}
		if len(mxys) == 0 {
			continue
		}
		if err := addPoints(p, ds.measured.label(w, s, ds.measured.unsafe(w, s))+" (measured)", st, mxys, merrs); err != nil {
			return nil, false, fmt.Errorf("chart: %s %s measured: %w", w, s, err)
		}
	}
	threadAxis(p, threads)
	p.Y.Min = 0
	return p, drawn, nil
}

// points returns the medians of fig for strategy s over workload w's
// thread counts in ds, and their error bars.
func points(ds *dataset, w, s string, fig func(*cellReps) (summary, bool, error)) (plotter.XYs, plotter.YErrors, error) {
	var xys plotter.XYs
	var errs plotter.YErrors
	for _, t := range ds.threads[w] {
		c := ds.cells[key(w, s, t)]
		if c == nil {
			continue
		}
		sum, ok, err := fig(c)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		xys = append(xys, plotter.XY{X: float64(t), Y: sum.median})
		errs = append(errs, struct{ Low, High float64 }{sum.median - sum.lo, sum.hi - sum.median})
	}
	return xys, errs, nil
}

// addPoints adds measured points over a projected line of style st:
// larger hollow rings in its colour, error bars unless errs has none, and
// a legend entry called name.
func addPoints(p *plot.Plot, name string, st seriesStyle, xys plotter.XYs, errs plotter.YErrors) error {
	if err := addErrorBars(p, st.color, vg.Points(8), xys, errs); err != nil {
		return err
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: st.color, Radius: vg.Points(5), Shape: draw.RingGlyph{}}
	p.Add(sc)
	p.Legend.Add(name, sc)
	return nil
}

// addSeries adds one strategy's line through xys, its markers, and, unless
// errs is nil or all zero, its error bars, with a legend entry called name.
func addSeries(p *plot.Plot, name string, st seriesStyle, xys plotter.XYs, errs plotter.YErrors) error {
	if err := addErrorBars(p, st.color, vg.Points(6), xys, errs); err != nil {
		return err
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.LineStyle = st.line
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	sc.GlyphStyle = st.glyph
	p.Add(l, sc)
	p.Legend.Add(name, l, sc)
	return nil
}

// addErrorBars adds error bars of errs at xys in colour c, solid, with
// caps of width capWidth, unless no bar has a length.
func addErrorBars(p *plot.Plot, c color.Color, capWidth vg.Length, xys plotter.XYs, errs plotter.YErrors) error {
	if !spread(errs) {
		return nil
	}
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{xys, errs})
	if err != nil {
		return err
	}
	eb.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1)}
	eb.CapWidth = capWidth
	p.Add(eb)
	return nil
}

// spread reports whether any error bar has a length.
func spread(errs plotter.YErrors) bool {
	for _, e := range errs {
		if e.Low != 0 || e.High != 0 {
			return true
		}
	}
	return false
}
