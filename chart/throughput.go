package chart

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

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
// it drew any.
func rateChart(ds *dataset, w string, p *plot.Plot, fig func(*cellReps) (summary, bool, error)) (*plot.Plot, bool, error) {
	p.Y.Tick.Marker = siTicks{linearTicks{}}
	threads := ds.threads[w]
	drawn := false
	for i, s := range ds.strategies {
		var xys plotter.XYs
		var errs plotter.YErrors
		for _, t := range threads {
			c := ds.cells[key(w, s, t)]
			if c == nil {
				continue
			}
			sum, ok, err := fig(c)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(t), Y: sum.median})
			errs = append(errs, struct{ Low, High float64 }{sum.median - sum.lo, sum.hi - sum.median})
		}
		if len(xys) == 0 {
			continue
		}
		unsafe := ds.unsafe(w, s)
		if err := addSeries(p, legendName(s, unsafe)+ds.mark(w, s), styleOf(i, unsafe), xys, errs); err != nil {
			return nil, false, fmt.Errorf("chart: %s %s: %w", w, s, err)
		}
		drawn = true
	}
	threadAxis(p, threads)
	p.Y.Min = 0
	return p, drawn, nil
}

// addSeries adds one strategy's line through xys, its markers, and, unless
// errs is nil or all zero, its error bars, with a legend entry called name.
func addSeries(p *plot.Plot, name string, st seriesStyle, xys plotter.XYs, errs plotter.YErrors) error {
	if spread(errs) {
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xys, errs})
		if err != nil {
			return err
		}
		eb.LineStyle = st.line
		eb.LineStyle.Width = vg.Points(1)
		eb.LineStyle.Dashes = nil
		eb.CapWidth = vg.Points(6)
		p.Add(eb)
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

// spread reports whether any error bar has a length.
func spread(errs plotter.YErrors) bool {
	for _, e := range errs {
		if e.Low != 0 || e.High != 0 {
			return true
		}
	}
	return false
}
