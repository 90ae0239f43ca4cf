// Package chart draws vmabench results as charts (gonum/plot); the nightly
// job puts them in its HTML report.
//
// Charts answer the design's question visually: per workload, how each
// strategy's throughput scales with threads, what its tail latency is, and how
// often its per-VMA lock fell back. Trends shows the same throughput across
// nightly runs. Every chart shows the spread of repetitions where it shows a
// median, marks unsafe cells (nolock with writers) so they are not read as
// results, and keeps one colour per strategy across all charts of a call. A
// design that runs another's code under a workload (workloads.SameAs) is
// drawn as that design's line, named in its legend ("vmarefcnt = vmawait"),
// not as a second line of the same code with other noise.
package chart

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"vmabench/runner"
)

// Chart is one drawn chart and the file-safe name it is saved under.
type Chart struct {
	// Name is the file name without extension, e.g. "faults-throughput".
	Name string
	// Plot is the chart. Its legend is drawn beside the data area by Draw and
	// Save, so that it never covers a line; Plot.Save draws it inside.
	Plot *plot.Plot
}

// Options configures Charts and Trends. The zero value is usable.
type Options struct {
	// Machine names the machine the results were measured on, e.g.
	// "AMD EPYC 7B13 (2 CPUs)"; every title ends with it. Empty leaves it out.
	Machine string
	// Strategies orders the strategies in legends and fixes their colours and
	// markers, so that a strategy looks the same in every chart. Strategies
	// not listed follow in order of first appearance; nil means first
	// appearance throughout.
	Strategies []string
	// ChangePoints are marked on the trend charts (see Trends); other
	// charts ignore them.
	ChangePoints []ChangePoint
}

// Size of a saved chart: a landscape that fits a page or a screen.
const (
	Width  = 8 * vg.Inch
	Height = 5 * vg.Inch
	// pngDPI renders PNGs sharp enough for a high-density screen.
	pngDPI = 144
)

// Charts draws, per workload, in order of first appearance:
//
//   - "<workload>-throughput": the readers' rate (faults/s, lookups/s; for
//     mmap-churn, whose threads all write, writes/s) against threads, one
//     line per strategy through the median of its repetitions, with error
//     bars for the median's confidence interval (the repetitions' range
//     where there are fewer than 6), as report's comparison computes them;
//   - "<workload>-writes": the writer's rate, writes/s, the same way, for a
//     workload with a writer beside its readers;
//   - "<workload>-latency": the readers' p50, p99 and p99.9 of each
//     strategy at the workload's highest thread count, as points at the
//     medians with error bars for their spread, on a log scale (no bars: a
//     bar on a log axis has no honest base), if any strategy reports one;
//   - "<workload>-writer-latency": the writer's p99 the same way, on a
//     panel of its own, for a workload whose writer reports it;
//   - "<workload>-rates": fallbacks, retries and misses per operation
//     against threads, if any of them is nonzero;
//   - "<workload>-locks" and "<workload>-writer-locks": each strategy's
//     reader (writer) operation at the highest thread count split into
//     lock wait, lock hold and the rest, as stacked bars, the kernel's
//     beside the models', where the cells report the lock units (locks.go).
//
// A strategy with an unsafe cell in a workload is drawn dashed and named "<strategy> (unsafe)" in that workload's
// legends. Results that are not StatusOK carry no numbers and are skipped. An OK
// result without operations is an error: it would plot as infinite
// throughput.
func Charts(results []runner.Result, opts Options) ([]Chart, error) {
	ds, err := newDataset(results, opts.Strategies)
	if err != nil {
		return nil, err
	}
	var charts []Chart
	for _, w := range ds.workloads {
		c, err := throughputChart(ds, w, opts)
		if err != nil {
			return nil, err
		}
		charts = append(charts, c)
		for _, build := range []func(*dataset, string, Options) (Chart, bool, error){writesChart, latencyChart, writerLatencyChart, ratesChart, lockChart, writerLockChart} {
			c, ok, err := build(ds, w, opts)
			if err != nil {
				return nil, err
			}
			if ok {
				charts = append(charts, c)
			}
		}
	}
	return charts, nil
}

// Draw draws the chart on c with its title centred over the whole width and
// its legend in a column to the right of the plot, outside the data area, so
// that no line or bar is ever hidden by it.
func (ch Chart) Draw(c draw.Canvas) {
	p := *ch.Plot // a shallow copy: drawing sanitizes the copy's axes only
	if p.BackgroundColor != nil {
		c.SetColor(p.BackgroundColor)
		c.Fill(c.Rectangle.Path())
	}
	c = draw.Crop(c, margin, -margin, margin, -margin)
	if p.Title.Text != "" {
		sty := p.Title.TextStyle
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y + sty.FontExtents().Descent}, p.Title.Text)
		c.Max.Y -= sty.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
		p.Title.Text = ""
	}
	leg := p.Legend
	r := leg.Rectangle(c)
	lw := r.Max.X - r.Min.X
	if lw == 0 {
		p.Draw(c)
		return
	}
	p.Legend = plot.NewLegend()
	p.Draw(draw.Crop(c, 0, -(lw + 2*margin), 0, 0))
	leg.Left, leg.Top = true, true
	leg.XOffs, leg.YOffs = 0, 0
	leg.Draw(draw.Crop(c, c.Max.X-c.Min.X-lw, 0, 0, 0))
}

// margin is the white space around a chart and between plot and legend.
const margin vg.Length = 8 // points

// WriterTo renders the chart at size w x h in format "png" or "svg".
func (ch Chart) WriterTo(w, h vg.Length, format string) (io.WriterTo, error) {
	var cv vg.CanvasWriterTo
	switch format {
	case "png":
		cv = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))}
	case "svg":
		cv = vgsvg.New(w, h)
	default:
		return nil, fmt.Errorf("chart: unsupported format %q", format)
	}
	ch.Draw(draw.New(cv))
	return cv, nil
}

// title joins a chart's subject and the machine it was measured on.
func title(opts Options, parts ...string) string {
	if opts.Machine != "" {
		parts = append(parts, opts.Machine)
	}
	return strings.Join(parts, " — ")
}

// ErrNoData is returned by Charts and Trends when no result has status OK,
// so there is nothing to draw.
var ErrNoData = errors.New("chart: no results with status ok")
