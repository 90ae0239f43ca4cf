package chart

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"vmabench/units"
	"vmabench/workloads"
)

// lockSplit is one side of a cell, readers' or writer's: the units of its
// lock wait and hold per operation, and what the chart calls it.
type lockSplit struct {
	name, wait, hold string
	writer           bool
}

var (
	readerSplit = lockSplit{"reader", units.LockWait, units.LockHold, false}
	writerSplit = lockSplit{"writer", units.WriterLockWait, units.WriterLockHold, true}
)

// The segments' colours: lock wait, lock hold, the rest of the operation.
var (
	waitColor = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	holdColor = color.RGBA{0xff, 0x9f, 0x1c, 0xff}
	restColor = color.RGBA{0xc7, 0xc7, 0xc7, 0xff}
)

// lockChart draws "<workload>-locks": at the workload's highest thread
// count, each strategy's reader operation split into its lock wait, its
// lock hold and the rest, as stacked bars side by side, the kernel's among
// them. The operation's time is a reader thread's: the readers' threads
// over their rate. The kernel's wait and hold are mmap_lock's alone (its
// tracepoints; a fault under a VMA lock is "the rest"), the models' their
// mmap_lock's and VMA locks' together. It reports false if no strategy
// reports the lock units there.
func lockChart(ds *dataset, w string, opts Options) (Chart, bool, error) {
	return splitChart(ds, w, opts, readerSplit)
}

// writerLockChart is lockChart for the writer of a workload with readers
// and a writer: "<workload>-writer-locks".
func writerLockChart(ds *dataset, w string, opts Options) (Chart, bool, error) {
	return splitChart(ds, w, opts, writerSplit)
}

// opTime returns the time of one operation of side sp of a cell at t
// threads, in ns, from its rate: threads doing it over their rate.
func opTime(c *cellReps, w string, t int, sp lockSplit) (float64, bool, error) {
	info, err := workloads.Get(w)
	if err != nil {
		return 0, false, nil // a workload this build does not know: no chart
	}
	if sp.writer {
		s, ok, err := c.writes()
		if err != nil || !ok || s.median <= 0 {
			return 0, false, err
		}
		return 1e9 / s.median, true, nil // one writer thread
	}
	s, err := c.throughput()
	if err != nil || s.median <= 0 {
		return 0, false, err
	}
	readers := t
	if info.Writer && info.Reader != workloads.ClassWrite {
		readers = t - 1
	}
	return float64(readers) * 1e9 / s.median, true, nil
}

func splitChart(ds *dataset, w string, opts Options, sp lockSplit) (Chart, bool, error) {
	threads := ds.threads[w]
	maxT := threads[len(threads)-1]
	var names []string
	var wait, hold, rest plotter.Values
	for _, s := range ds.strategies {
		c := ds.cells[key(w, s, maxT)]
		if c == nil || ds.sameAs(w, s) != "" {
			continue
		}
		ws, okw, err := c.metric(sp.wait)
		if err != nil {
			return Chart{}, false, err
		}
		hs, okh, err := c.metric(sp.hold)
		if err != nil {
			return Chart{}, false, err
		}
		op, ok, err := opTime(c, w, maxT, sp)
		if err != nil {
			return Chart{}, false, err
		}
		if !okw || !okh || !ok {
			continue
		}
		names = append(names, ds.label(w, s, c.unsafe))
		wait = append(wait, ws.median)
		hold = append(hold, hs.median)
		rest = append(rest, max(op-ws.median-hs.median, 0))
	}
	if len(names) == 0 {
		return Chart{}, false, nil
	}
	subject := fmt.Sprintf("%s operation at %d threads: lock wait, hold and the rest", sp.name, maxT)
	p := newPlot(title(opts, w, subject), "strategy (kernel: mmap_lock only)", "ns per operation", false)
	p.NominalX(names...)
	bw := min(5*vg.Inch/vg.Length(len(names))*0.6, vg.Points(40))
	var below *plotter.BarChart
	for _, seg := range []struct {
		label string
		vals  plotter.Values
		color color.Color
	}{
		{"lock wait", wait, waitColor},
		{"lock hold", hold, holdColor},
		{"rest", rest, restColor},
	} {
		b, err := plotter.NewBarChart(seg.vals, bw)
		if err != nil {
			return Chart{}, false, fmt.Errorf("chart: %s locks: %w", w, err)
		}
		b.Color = seg.color
		b.LineStyle.Width = vg.Points(0.5)
		if below != nil {
			b.StackOn(below)
		}
		below = b
		p.Add(b)
		p.Legend.Add(seg.label, b)
	}
	p.Y.Min = 0
	name := w + "-locks"
	if sp.writer {
		name = w + "-writer-locks"
	}
	return Chart{Name: fileSafe(name), Plot: p}, true, nil
}
