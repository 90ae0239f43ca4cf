package chart

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// throughputChart draws workload w's ops/s against threads: one line per
// strategy through the medians, min–max error bars for the repetitions.
// The y axis starts at zero, so that lines compare by height honestly.
func throughputChart(ds *dataset, w string, opts Options) (Chart, error) {
	p := newPlot(title(opts, w, "throughput"), "threads", "ops/s (all threads)", true)
	p.Y.Tick.Marker = siTicks{linearTicks{}}
	threads := ds.threads[w]
	for i, s := range ds.strategies {
		var xys plotter.XYs
		var errs plotter.YErrors
		for _, t := range threads {
			c := ds.cells[key(w, s, t)]
			if c == nil {
				continue
			}
			sum, err := c.throughput()
			if err != nil {
				return Chart{}, err
			}
			xys = append(xys, plotter.XY{X: float64(t), Y: sum.median})
			errs = append(errs, struct{ Low, High float64 }{sum.median - sum.min, sum.max - sum.median})
		}
		if len(xys) == 0 {
			continue
		}
		unsafe := ds.unsafe(w, s)
		if err := addSeries(p, legendName(s, unsafe), styleOf(i, unsafe), xys, errs); err != nil {
			return Chart{}, fmt.Errorf("chart: %s %s: %w", w, s, err)
		}
	}
	threadAxis(p, threads)
	p.Y.Min = 0
	return Chart{Name: fileSafe(w + "-throughput"), Plot: p}, nil
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
