package chart

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"vmabench/units"
)

// rates are the per-operation lock statistics the rates chart draws.
var rates = units.Of(units.Rates)

// rateDashes are the dash patterns that tell the rates apart, by their
// index in rates (colour and marker are the strategy's, as in every chart).
var rateDashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(1.5), vg.Points(2.5)},
}

// ratesChart draws how often each strategy's per-VMA lock fell back to
// mmap_lock, retried or missed, per operation, against threads in
// workload w: one line per strategy and statistic through the medians of the
// repetitions. Only statistics that are nonzero somewhere are drawn; it
// reports false if none is.
func ratesChart(ds *dataset, w string, opts Options) (Chart, bool, error) {
	p := newPlot(title(opts, w, "lock fallbacks, retries, misses"), "threads", "events per operation", true)
	p.Y.Tick.Marker = siTicks{linearTicks{}}
	threads := ds.threads[w]
	drawn := false
	for i, s := range ds.strategies {
		if ds.sameAs(w, s) != "" {
			continue
		}
		unsafe := ds.unsafe(w, s)
		for j, rt := range rates {
			var xys plotter.XYs
			nonzero := false
			for _, t := range threads {
				c := ds.cells[key(w, s, t)]
				if c == nil {
					continue
				}
				sum, ok, err := c.metric(rt.Name)
				if err != nil {
					return Chart{}, false, err
				}
				if !ok {
					continue
				}
				xys = append(xys, plotter.XY{X: float64(t), Y: sum.median})
				nonzero = nonzero || sum.max != 0
			}
			if !nonzero {
				continue
			}
			st := styleOf(i, unsafe)
			st.line.Dashes = rateDashes[j%len(rateDashes)]
			if err := addSeries(p, ds.label(w, s, unsafe)+" "+rt.Label, st, xys, nil); err != nil {
				return Chart{}, false, fmt.Errorf("chart: %s %s %s: %w", w, s, rt.Name, err)
			}
			drawn = true
		}
	}
	if !drawn {
		return Chart{}, false, nil
	}
	threadAxis(p, threads)
	p.Y.Min = 0
	return Chart{Name: fileSafe(w + "-rates"), Plot: p}, true, nil
}
