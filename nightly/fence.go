package nightly

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"github.com/montanaflynn/stats"

	"vmabench/cell"
	"vmabench/changepoint"
	"vmabench/runner"
)

// HistoryOptions configures the gate's judgement against the history.
//
// The noise fence is the interquartile-range fence (Tukey's, as Bencher and
// rustc-perf use), over the nightly medians of the cell in the window:
// tonight is outside the band if its median is beyond Q3 + K·IQR (or, for a
// unit where higher is better, below Q1 - K·IQR). Where the cell's series
// stepped within the window, the band is of the nights since the step (see
// fence).
//
// An IQR fence rather than a lookback z-score (Conbench) because timing
// noise on a shared machine is skewed and has outliers: a bad night is much
// slower, never much faster. A z-score's
// mean and standard deviation are pulled by the one bad night and stay wide
// for the whole window, hiding a real regression for two weeks, and they
// assume a normal spread that 14 nightly medians do not have; the quartiles
// ignore up to a quarter of bad nights and need no such assumption.
//
// The quartiles of a handful of nights are themselves noisy: five nights
// that happened to agree give a band far narrower than the machine's noise,
// and over twenty cells one of them fails the gate on noise most nights.
// So a cell's band is the wider of its own fence and the machine's: the
// same fence over every cell's nightly medians relative to that cell's own
// median, hundreds of points, scaled to the cell. Noise on a shared
// machine is mostly the machine's (other jobs, frequency, cache), shared
// by its cells.
type HistoryOptions struct {
	// Window is how many of the newest earlier nights the band is built
	// from. Zero means 14, two weeks of nights.
	Window int
	// MinNights is the fewest nights with the cell that make a band. Zero
	// means 5: the quartiles of fewer nights say little about the noise.
	MinNights int
	// K widens the band: Q1 - K·IQR .. Q3 + K·IQR. Zero means 2, a
	// little wider than Tukey's 1.5: over 300 generated histories of a
	// shared machine (5,700 nights of unchanged code, each cell moving
	// ±15% from night to night), 1.5 failed one night in 285 and 2 none,
	// while 2 still finds a cell 2x slower there, and 30% slower on a
	// machine that moves ±3% (see the tests).
	K float64
	// ColdThreshold is how much worse a change must be to fail the gate
	// where the history is too short for a band (fewer than MinNights
	// nights): the noise is not known yet, so the gate holds to what
	// noise on a shared machine cannot do (it moves 10-30% from night to
	// night; DefaultConfig uses 0.5). Zero means Threshold alone.
	ColdThreshold float64
}

// withDefaults fills in zero fields.
func (h HistoryOptions) withDefaults() HistoryOptions {
	if h.Window == 0 {
		h.Window = 14
	}
	if h.MinNights == 0 {
		h.MinNights = 5
	}
	if h.K == 0 {
		h.K = 2
	}
	return h
}

// Validate reports a bad option, naming it and its valid range.
func (h HistoryOptions) Validate() error {
	switch {
	case h.Window < 0:
		return fmt.Errorf("window %d: must not be negative", h.Window)
	case h.MinNights < 0:
		return fmt.Errorf("min nights %d: must not be negative", h.MinNights)
	case h.Window > 0 && h.MinNights > h.Window:
		return fmt.Errorf("min nights %d: must be at most the window, %d", h.MinNights, h.Window)
	case !(h.K >= 0):
		return fmt.Errorf("fence multiplier K %v: must not be negative", h.K)
	case !(h.ColdThreshold >= 0):
		return fmt.Errorf("cold threshold %v: must not be negative", h.ColdThreshold)
	}
	return nil
}

// A Past is an earlier night of the same machine: one point of the history
// the gate's band is built from.
type Past struct {
	Date    time.Time
	Commit  string
	Results []runner.Result
}

// A Band is the noise fence of one cell and unit over the history.
type Band struct {
	// Nights is how many nights had the cell; Median, Q1 and Q3 are over
	// their medians. Since is the first night after the cell's last step
	// in the window where the band is of the nights from then on; zero
	// otherwise.
	Nights         int
	Since          time.Time
	Median, Q1, Q3 float64
	// Lo and Hi are the fences, Q1 - K·IQR and Q3 + K·IQR.
	Lo, Hi float64
}

// format formats the band in unit:
// "[95.00ns/op, 120.0ns/op] (median 101.0ns/op of 14 nights)".
func (b Band) format(unit string) string {
	lo, hi, med := formatValue(b.Lo, unit), formatValue(b.Hi, unit), formatValue(b.Median, unit)
	if !b.Since.IsZero() {
		return fmt.Sprintf("[%s, %s] (median %s of %d nights, since the step on %s)", lo, hi, med, b.Nights, b.Since.Format(dateLayout))
	}
	return fmt.Sprintf("[%s, %s] (median %s of %d nights)", lo, hi, med, b.Nights)
}

// value returns r's figure in unit: ns/op from its time and operations,
// any other unit from its metrics.
func value(r *runner.Result, unit string) (float64, bool) {
	if unit == "ns/op" {
		v := r.NsPerOp()
		return v, v > 0
	}
	return r.Metric(unit)
}

// nightMedian returns the median of the cell's OK repetitions in rs in unit,
// and false if none has it.
func nightMedian(rs []runner.Result, c cell.Cell, unit string) (float64, bool) {
	var vs []float64
	for i := range rs {
		r := &rs[i]
		if r.Status != runner.StatusOK || r.Key() != c {
			continue
		}
		if v, ok := value(r, unit); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	m, err := stats.Median(vs)
	return m, err == nil
}

// cellMedians returns the nightly medians of cell in unit over history.
func cellMedians(history []Past, c cell.Cell, unit string) []float64 {
	meds, _ := cellSeries(history, c, unit)
	return meds
}

// cellSeries returns the nightly medians of cell in unit over history and
// the night of each.
func cellSeries(history []Past, c cell.Cell, unit string) ([]float64, []time.Time) {
	var meds []float64
	var dates []time.Time
	for _, p := range history {
		if m, ok := nightMedian(p.Results, c, unit); ok {
			meds = append(meds, m)
			dates = append(dates, p.Date)
		}
	}
	return meds, dates
}

// A machineNoise is the fence of every cell's nightly medians in one unit,
// each relative to the median of its cell's other nights (leaving the night
// out, or the median's own night would add a zero per cell and shrink the
// band): Lo and Hi are fractions (-0.3 is 30% below).
type machineNoise struct {
	Lo, Hi float64
	ok     bool
}

// noiseOf returns the machine's noise in unit over history, from the cells
// with at least h.MinNights nights.
func noiseOf(history []Past, unit string, h HistoryOptions) machineNoise {
	seen := make(map[cell.Cell]bool)
	var rel []float64
	for _, p := range history {
		for i := range p.Results {
			c := (&p.Results[i]).Key()
			if seen[c] {
				continue
			}
			seen[c] = true
			meds := cellMedians(history, c, unit)
			if len(meds) < max(h.MinNights, 2) {
				continue
			}
			// Each night against the median of the others: how far a
			// new night falls from the median of those before it.
			for i, m := range meds {
				med, err := stats.Median(slices.Delete(slices.Clone(meds), i, i+1))
				if err == nil && med != 0 {
					rel = append(rel, m/med-1)
				}
			}
		}
	}
	q, err := stats.Quartile(rel)
	if err != nil {
		return machineNoise{}
	}
	iqr := q.Q3 - q.Q1
	return machineNoise{Lo: q.Q1 - h.K*iqr, Hi: q.Q3 + h.K*iqr, ok: true}
}

// fence returns the band of cell in unit over history, the wider of its own
// fence and the machine's noise scaled to it, and false if fewer than
// h.MinNights nights have the cell.
//
// Where the cell's series stepped within the window (a change point, see
// ChangePoints) and enough nights follow the step, the band is of those
// nights only: a regression accepted last week is the new normal, and the
// two levels together would make a band too wide to see the next one.
func fence(history []Past, c cell.Cell, unit string, h HistoryOptions, noise machineNoise) (Band, bool) {
	meds, dates := cellSeries(history, c, unit)
	minN := max(h.MinNights, 2)
	if len(meds) < minN {
		return Band{Nights: len(meds)}, false
	}
	var since time.Time
	opts := changepoint.DefaultOptions()
	opts.Seed = seriesSeed(c, unit)
	if ps, err := changepoint.EDivisive(meds, opts); err == nil && len(ps) > 0 {
		if last := ps[len(ps)-1].Index; len(meds)-last >= minN {
			meds, since = meds[last:], dates[last]
		}
	}
	q, err := stats.Quartile(meds)
	if err != nil {
		return Band{Nights: len(meds)}, false
	}
	iqr := q.Q3 - q.Q1
	b := Band{Nights: len(meds), Since: since, Median: q.Q2, Q1: q.Q1, Q3: q.Q3, Lo: q.Q1 - h.K*iqr, Hi: q.Q3 + h.K*iqr}
	if noise.ok {
		b.Lo = min(b.Lo, q.Q2*(1+noise.Lo))
		b.Hi = max(b.Hi, q.Q2*(1+noise.Hi))
	}
	return b, true
}

// seriesSeed returns the seed of the change-point search of a cell's
// series in unit: its own, so that every series is searched the same way
// each time, whatever else is searched.
func seriesSeed(c cell.Cell, unit string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s %s", c, unit)
	return h.Sum64()
}

// window returns the newest h.Window nights of history (oldest first).
func window(history []Past, h HistoryOptions) []Past {
	history = slices.Clone(history)
	slices.SortStableFunc(history, func(a, b Past) int { return a.Date.Compare(b.Date) })
	if len(history) > h.Window {
		history = history[len(history)-h.Window:]
	}
	return history
}
