package chart

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// palette is Okabe and Ito's colour-blind-safe palette, most distinct first
// (yellow, hard to see on white, last).
var palette = []color.Color{
	color.RGBA{0x00, 0x72, 0xb2, 0xff}, // blue
	color.RGBA{0xd5, 0x5e, 0x00, 0xff}, // vermillion
	color.RGBA{0x00, 0x9e, 0x73, 0xff}, // bluish green
	color.RGBA{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	color.RGBA{0xe6, 0x9f, 0x00, 0xff}, // orange
	color.RGBA{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	color.RGBA{0x00, 0x00, 0x00, 0xff}, // black
	color.RGBA{0xf0, 0xe4, 0x42, 0xff}, // yellow
}

// glyphs tell strategies apart where colour does not (print, colour
// blindness), in the same order as palette.
var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{},
	draw.RingGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

// unsafeDashes is the dash pattern of an unsafe strategy's line or bar outline.
var unsafeDashes = []vg.Length{vg.Points(6), vg.Points(3)}

// seriesStyle is how one strategy is drawn in every chart.
type seriesStyle struct {
	line  draw.LineStyle
	glyph draw.GlyphStyle
	color color.Color
}

// styleOf returns the style of the strategy at index i of the dataset's
// order; unsafe dashes its line.
func styleOf(i int, unsafe bool) seriesStyle {
	c := palette[i%len(palette)]
	st := seriesStyle{
		line:  draw.LineStyle{Color: c, Width: vg.Points(1.5)},
		glyph: draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: glyphs[i%len(glyphs)]},
		color: c,
	}
	if unsafe {
		st.line.Dashes = unsafeDashes
	}
	return st
}

// legendName is a strategy's legend entry: unsafe ones say so, so that their
// numbers are not read as results.
func legendName(s string, unsafe bool) string {
	if unsafe {
		return s + " (unsafe)"
	}
	return s
}

// newPlot returns a plot with the house look: title, axis labels, a light
// grid behind the data (vertical lines too if vgrid), and a legend font a
// little smaller than the title.
func newPlot(titleText, xLabel, yLabel string, vgrid bool) *plot.Plot {
	p := plot.New()
	p.Title.Text = titleText
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.TextStyle.Font.Size = vg.Points(11)
	p.Legend.Padding = vg.Points(2)
	g := &plotter.Grid{Horizontal: gridStyle}
	if vgrid {
		g.Vertical = gridStyle
	}
	p.Add(g)
	return p
}

// gridStyle is light enough that the grid never competes with the data.
var gridStyle = draw.LineStyle{Color: color.Gray{Y: 0xdd}, Width: vg.Points(0.5)}

// threadAxis makes p's x axis "threads" with a tick at each thread count.
// Thread counts usually double, so the axis is logarithmic, which spaces
// them evenly; a single count, or a count below 1, falls back to linear.
func threadAxis(p *plot.Plot, threads []int) {
	ticks := make(plot.ConstantTicks, len(threads))
	for i, t := range threads {
		ticks[i] = plot.Tick{Value: float64(t), Label: strconv.Itoa(t)}
	}
	p.X.Tick.Marker = ticks
	lo, hi := float64(threads[0]), float64(threads[len(threads)-1])
	if lo >= 1 && hi > lo {
		p.X.Scale = plot.LogScale{}
		p.X.Min, p.X.Max = lo, hi
	}
}

// linearTicks puts a labelled tick at every multiple of the smallest 1-2-5
// step that gives at most ten ticks over the range. gonum's DefaultTicks
// labels only its few major ticks, which left a throughput axis with just
// "0" and "25M".
type linearTicks struct{}

// Ticks implements plot.Ticker.
func (linearTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) {
		return plot.DefaultTicks{}.Ticks(min, max)
	}
	const most = 10
	step := niceStep((max - min) / most)
	for math.Floor(max/step)-math.Ceil(min/step)+1 > most {
		step = niceStep(step * 1.01)
	}
	var ticks []plot.Tick
	for i := math.Ceil(min / step); i <= math.Floor(max/step); i++ {
		ticks = append(ticks, plot.Tick{Value: i * step, Label: strconv.FormatFloat(i*step, 'g', 12, 64)})
	}
	return ticks
}

// niceStep returns the smallest of 1, 2 and 5 times a power of ten that is
// at least x.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5} {
		if m*p >= x*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// siTicks labels the major ticks of Ticker with SI prefixes ("1.2M"), which
// read at a glance where "1.2e+06" does not.
type siTicks struct{ plot.Ticker }

// Ticks implements plot.Ticker.
func (t siTicks) Ticks(min, max float64) []plot.Tick {
	ticks := t.Ticker.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = si(ticks[i].Value)
		}
	}
	return ticks
}

// si formats v with an SI prefix and at most three significant digits:
// 1200000 is "1.2M", 500 is "500", 0.25 is "0.25".
func si(v float64) string {
	a := math.Abs(v)
	for _, p := range []struct {
		scale  float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= p.scale*(1-5e-4) { // 999_999.9 reads as 1M, not 1000k
			return strconv.FormatFloat(round3(v/p.scale), 'f', -1, 64) + p.suffix
		}
	}
	return strconv.FormatFloat(round3(v), 'f', -1, 64)
}

// round3 rounds v to three significant digits, hiding float noise in tick
// values (0.30000000000000004).
func round3(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	e := math.Pow10(2 - int(math.Floor(math.Log10(math.Abs(v)))))
	return math.Round(v*e) / e
}
