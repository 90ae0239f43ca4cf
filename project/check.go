package project

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"vmabench/cell"
	"vmabench/runner"
	"vmabench/units"
	"vmabench/verdict"
)

// CheckTolerance is the factor within which a projection on this
// machine's profile must come to the real run of the same cell here: the
// designs differ by 10 to 30% where it matters, so a projection further
// off than 1.25x cannot tell them apart.
const CheckTolerance = 1.25

// A CheckRow is one figure of one cell, the real run's repetitions against
// the projection's, judged by verdict.JudgeRatio (projected/real).
type CheckRow struct {
	cell.Cell
	// Unit is the rate compared: the readers' (faults/s, lookups/s) or
	// the writers' (writes/s).
	Unit            string
	Real, Projected []float64
	Verdict         verdict.Judgement
	// Events are the cell's lock events (units.LockEvents) that either
	// side reports, the same for each of the cell's rows.
	Events []Event
}

// An Event is one lock event's median per operation in a cell's real run
// and in its projection, NaN on a side that does not report it.
type Event struct {
	Unit            string
	Real, Projected float64
}

// State is the row's verdict in validate's words.
func (r CheckRow) State() string {
	switch r.Verdict.Outcome {
	case verdict.Same:
		return "agrees"
	case verdict.Worse:
		return "disagrees"
	}
	return "inconclusive"
}

// Check pairs the real results with the projected ones by cell (the
// workload, strategy and thread count; Procs differ) and judges each rate
// both have, repetition i of one beside repetition i of the other. A cell
// that is not OK on either side, or is on one side only, gives no row; it
// is named in missing, so nothing is silently left out.
func Check(real, projected []runner.Result, tol float64) (rows []CheckRow, missing []string) {
	type key struct {
		c    cell.Cell
		unit string
	}
	collect := func(rs []runner.Result) (map[key][]float64, []key) {
		m := map[key][]float64{}
		var order []key
		for _, r := range rs {
			if r.Status != runner.StatusOK {
				continue
			}
			c := cell.Cell{Workload: r.Workload, Strategy: r.Strategy, Threads: r.Threads}
			for _, mt := range r.Metrics {
				if !isRate(mt.Unit) && !slices.Contains(units.LockEvents, mt.Unit) {
					continue
				}
				k := key{c, mt.Unit}
				if _, ok := m[k]; !ok {
					order = append(order, k)
				}
				m[k] = append(m[k], mt.Value)
			}
		}
		return m, order
	}
	rm, order := collect(real)
	pm, porder := collect(projected)
	events := func(c cell.Cell) []Event {
		var out []Event
		for _, u := range units.LockEvents {
			r, p := rm[key{c, u}], pm[key{c, u}]
			if len(r) > 0 || len(p) > 0 {
				out = append(out, Event{Unit: u, Real: median(r), Projected: median(p)})
			}
		}
		return out
	}
	for _, k := range order {
		if !isRate(k.unit) {
			continue
		}
		p, ok := pm[k]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s %s: no projection", k.c, k.unit))
			continue
		}
		rows = append(rows, CheckRow{Cell: k.c, Unit: k.unit, Real: rm[k], Projected: p, Verdict: verdict.JudgeRatio(rm[k], p, tol), Events: events(k.c)})
	}
	for _, k := range porder {
		if _, ok := rm[k]; !ok && isRate(k.unit) {
			missing = append(missing, fmt.Sprintf("%s %s: no real run", k.c, k.unit))
		}
	}
	return rows, missing
}

// isRate reports whether unit is an operation rate a check compares.
func isRate(unit string) bool {
	switch unit {
	case units.FaultsPerS, units.LookupsPerS, units.WritesPerS:
		return true
	}
	return false
}

// WriteCheck prints rows as validate prints its table:
//
//	cell              threads  figure    real  projected  ratio  interval      tolerance  verdict    spread
//	faults/vmarefcnt  1        faults/s  612k  905k       1.48   [1.45, 1.52]  1.25x      disagrees  1.04 / 1.01
//
// then, for each cell with a figure not within tolerance, its lock events
// real / projected (medians per operation; "-" where a side has none),
// which say whether the two part in the work or in how the locks were
// taken, then the rows whose real or projected repetitions fell in two modes
// (verdict.SplitGroups, which needs six repetitions a side: the check's
// default three never split), the cells without a row, and a count of the rows
// in tolerance. The
// spread column is each side's largest repetition over its smallest, real
// / projected: a projection's repetitions are seeds of their own (see
// Config.Rep), so its spread is what its own draws move it by, and the
// interval carries both.
func WriteCheck(w io.Writer, rows []CheckRow, missing []string, tol float64) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "cell\tthreads\tfigure\treal\tprojected\tratio\tinterval\ttolerance\tverdict\tspread\t\n")
	agree := 0
	for _, r := range rows {
		j := r.Verdict
		interval := "-"
		if !math.IsNaN(j.Lo) && j.N >= 2 {
			interval = fmt.Sprintf("[%.2f, %.2f]", j.Lo, j.Hi)
		}
		state := r.State()
		if j.Outcome == verdict.CannotTell && j.Need > 0 {
			if j.Need >= verdict.MaxNeed {
				state += fmt.Sprintf(" (needs > %d)", verdict.MaxNeed)
			} else {
				state += fmt.Sprintf(" (needs -count %d)", j.Need)
			}
		}
		if j.Outcome == verdict.Same {
			agree++
		}
		fmt.Fprintf(tw, "%s/%s\t%d\t%s\t%s\t%s\t%.2f\t%s\t%sx\t%s\t%s\t\n", r.Workload, r.Strategy, r.Threads, r.Unit,
			rate(median(r.Real)), rate(median(r.Projected)), j.Ratio, interval, trimFloat(tol), state, spread(r.Real)+" / "+spread(r.Projected))
	}
	tw.Flush()
	shown := map[cell.Cell]bool{}
	for _, r := range rows {
		if r.Verdict.Outcome == verdict.Same || len(r.Events) == 0 || shown[r.Cell] {
			continue
		}
		shown[r.Cell] = true
		ev := make([]string, len(r.Events))
		for i, e := range r.Events {
			ev[i] = fmt.Sprintf("%s %s / %s", e.Unit, perOp(e.Real), perOp(e.Projected))
		}
		fmt.Fprintf(&b, "  %s/%s %d, real / projected: %s\n", r.Workload, r.Strategy, r.Threads, strings.Join(ev, ", "))
	}
	for _, r := range rows {
		for _, side := range []struct {
			name string
			xs   []float64
		}{{"real run", r.Real}, {"projection", r.Projected}} {
			if g := verdict.SplitGroups(side.xs, tol); g.Split() {
				fmt.Fprintf(&b, "  %s/%s %d %s: %s\n", r.Workload, r.Strategy, r.Threads, r.Unit, g.Note(side.name, rate, trimFloat(tol)))
			}
		}
	}
	for _, m := range missing {
		fmt.Fprintf(&b, "  not compared: %s\n", m)
	}
	fmt.Fprintf(&b, "%d of %d figures within %sx of the real run\n", agree, len(rows), trimFloat(tol))
	_, err := io.WriteString(w, b.String())
	return err
}

// CheckErr is the error a check's exit status reports: nil if every row
// agrees, else how many disagree and how many cannot tell.
func CheckErr(rows []CheckRow) error {
	var worse, unsure int
	for _, r := range rows {
		switch r.Verdict.Outcome {
		case verdict.Worse:
			worse++
		case verdict.CannotTell:
			unsure++
		}
	}
	if worse+unsure == 0 {
		return nil
	}
	return fmt.Errorf("projection check: %d of %d figures disagree with the real run, %d cannot tell", worse, len(rows), unsure)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread is the largest repetition over the smallest, "-" for one.
func spread(xs []float64) string {
	if len(xs) < 2 || slices.Min(xs) <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", slices.Max(xs)/slices.Min(xs))
}

func rate(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func trimFloat(f float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

// perOp formats a lock event's rate per operation: three significant
// digits, since a rate of spin timeouts of 0.002 against 0.02 is the point,
// and "-" for a side without the event.
func perOp(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
