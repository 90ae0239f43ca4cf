package chart

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"vmabench/units"
)

// percentiles are the latency metrics the latency chart groups its bars by,
// in the order drawn, with their axis labels (Unit.Label).
var percentiles = units.Of(units.Latency)

// latencyChart draws the median latency percentiles of each strategy at
// workload w's highest thread count, where the locks contend most: one group
// of bars per percentile, one bar per strategy. Tails are orders of
// magnitude above medians, so the y axis is logarithmic. It reports false if
// no strategy reports a percentile there.
func latencyChart(ds *dataset, w string, opts Options) (Chart, bool, error) {
	threads := ds.threads[w]
	maxT := threads[len(threads)-1]

	// vals[n][j] is the median of percentile j of the strategy at index
	// strategies[n] of ds.strategies, 0 if missing.
	var (
		strategies []int
		vals       [][]float64
		groups     []int
		present    = make([]bool, len(percentiles))
		lo, hi     = math.Inf(1), math.Inf(-1)
	)
	for i, s := range ds.strategies {
		c := ds.cells[key(w, s, maxT)]
		if c == nil {
			continue
		}
		row := make([]float64, len(percentiles))
		has := false
		for j, pc := range percentiles {
			sum, ok, err := c.metric(pc.Name)
			if err != nil {
				return Chart{}, false, err
			}
			if !ok || sum.median <= 0 {
				continue
			}
			row[j], present[j], has = sum.median, true, true
			lo, hi = math.Min(lo, sum.median), math.Max(hi, sum.median)
		}
		if has {
			strategies = append(strategies, i)
			vals = append(vals, row)
		}
	}
	if len(strategies) == 0 {
		return Chart{}, false, nil
	}
	var labels []string
	for j, ok := range present {
		if ok {
			groups = append(groups, j)
			labels = append(labels, percentiles[j].Label)
		}
	}

	// gonum draws bars up from 0, which a log axis cannot show: each bar
	// stands on an invisible base at the axis minimum, a power of ten.
	floor := math.Pow10(int(math.Floor(math.Log10(lo))))
	top := math.Pow10(int(math.Ceil(math.Log10(hi))))
	if top <= floor {
		top = floor * 10
	}

	p := newPlot(title(opts, w, fmt.Sprintf("latency at %d threads", maxT)), "percentile", "latency (ns, log scale)", false)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = siTicks{plot.LogTicks{}}
	p.NominalX(labels...)

	k := len(strategies)
	// The data area is about 5in wide once axis and legend are drawn.
	groupW := 5 * vg.Inch / vg.Length(len(groups))
	bw := min(groupW*0.8/vg.Length(k), vg.Points(22))
	for n, i := range strategies {
		s := ds.strategies[i]
		unsafe := ds.cells[key(w, s, maxT)].unsafe
		base := make(plotter.Values, len(groups))
		heights := make(plotter.Values, len(groups))
		for g, j := range groups {
			base[g] = floor
			heights[g] = max(vals[n][j]-floor, 0)
		}
		b0, err := plotter.NewBarChart(base, bw)
		if err != nil {
			return Chart{}, false, fmt.Errorf("chart: %s latency: %w", w, err)
		}
		b0.Offset = bw * (vg.Length(n) - vg.Length(k-1)/2)
		b, err := plotter.NewBarChart(heights, bw)
		if err != nil {
			return Chart{}, false, fmt.Errorf("chart: %s latency: %w", w, err)
		}
		b.StackOn(b0)
		st := styleOf(i, unsafe)
		b.Color = st.color
		b.LineStyle = st.line
		b.LineStyle.Width = vg.Points(0.75)
		if unsafe {
			b.Color = lighten(st.color)
		}
		p.Add(b)
		p.Legend.Add(legendName(s, unsafe), b)
	}
	p.Y.Min, p.Y.Max = floor, top
	p.X.Min, p.X.Max = -0.5, float64(len(groups))-0.5
	return Chart{Name: fileSafe(w + "-latency"), Plot: p}, true, nil
}

// lighten returns c mixed 3:1 with white: the fill of an unsafe bar, whose
// dashed outline keeps its colour.
func lighten(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((v>>8 + 3*0xff) / 4) }
	return color.RGBA{mix(r), mix(g), mix(b), 0xff}
}
