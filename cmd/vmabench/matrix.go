package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"vmabench/cell"
	"vmabench/internal/machine"
	"vmabench/report"
	"vmabench/runner"
)

// A matrix is a plan to run and where its results go.
type matrix struct {
	plan runner.Plan
	// hdr is the results file header (see report.MachineConfig).
	hdr []cell.KV
	// out receives each finished cell at once.
	out *report.Writer
	// stderr receives the lines about cells that did not end OK and, if
	// progress is set, a progress line (cell i of n, ETA).
	stderr   io.Writer
	progress bool
	// after, if set, is called after each cell's result is written, with
	// the cell's index in plan.Cells().
	after func(i int, r runner.Result)
}

// check validates the plan and that it has a cell to run. Its errors are
// the user's: usage errors.
func (m *matrix) check() error { return m.plan.Validate() }

// run runs the matrix, writing each cell to m.out as it finishes, and
// returns the results. A cancelled ctx (SIGINT) stops it between cells, or
// kills the running cell's process, and returns errInterrupted with the
// results so far.
func (m *matrix) run(ctx context.Context) ([]runner.Result, error) {
	cells := m.plan.Cells()
	p := progress{w: m.stderr, on: m.progress, n: len(cells), start: time.Now(),
		perCell: m.plan.Base.Warmup + m.plan.Base.Duration}
	var results []runner.Result
	p.next(cells[0])
	err := runner.RunPlan(ctx, m.plan, func(i, _ int, r runner.Result) error {
		if ctx.Err() != nil && !m.plan.InProcess {
			// The cell's process may have died of the same SIGINT:
			// its result is not a measurement.
			return ctx.Err()
		}
		p.clear() // the results may go to the same terminal
		if err := m.out.WriteResult(&r); err != nil {
			return fmt.Errorf("%w: %w", errWrite, err)
		}
		results = append(results, r)
		p.done(r)
		if m.after != nil {
			m.after(i, r)
		}
		if len(results) < len(cells) {
			p.next(cells[len(results)])
		}
		return nil
	})
	if err != nil {
		p.clear()
		if ctx.Err() != nil && !errors.Is(err, errWrite) {
			return results, fmt.Errorf("%w after %d of %d cells", errInterrupted, len(results), len(cells))
		}
		return results, err
	}
	p.clear()
	return results, nil
}

// failures returns the results that deadlocked, timed out or failed.
func failures(results []runner.Result) []runner.Result {
	var out []runner.Result
	for _, r := range results {
		switch r.Status {
		case runner.StatusDeadlock, runner.StatusTimeout, runner.StatusError:
			out = append(out, r)
		}
	}
	return out
}

// reportSkipped writes one line per distinct reason cells were skipped for.
func reportSkipped(w io.Writer, results []runner.Result) {
	var reasons []string
	count := make(map[string]int)
	for _, r := range results {
		if r.Status != runner.StatusSkipped {
			continue
		}
		why := r.Strategy + ": " + firstLine(r.Detail)
		if count[why] == 0 {
			reasons = append(reasons, why)
		}
		count[why]++
	}
	for _, why := range reasons {
		cells := "cells"
		if count[why] == 1 {
			cells = "cell"
		}
		fmt.Fprintf(w, "vmabench: skipped %d %s: %s\n", count[why], cells, why)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// progress reports a matrix's progress on stderr: always a line for each
// cell that did not end OK (skipped cells aside), and on a terminal a
// status line that is rewritten in place.
type progress struct {
	w       io.Writer
	on      bool // stderr is a terminal
	n       int  // cells in all
	i       int  // cells finished
	start   time.Time
	perCell time.Duration // the estimate before a cell has finished
	shown   bool          // a status line is on screen
}

// next shows that cell c, the (p.i+1)th, is running.
func (p *progress) next(c runner.Config) {
	if !p.on {
		return
	}
	eta := time.Duration(p.n-p.i) * p.perCell
	if p.i > 0 {
		eta = time.Since(p.start) / time.Duration(p.i) * time.Duration(p.n-p.i)
	}
	fmt.Fprintf(p.w, "\r\x1b[Kcell %d of %d: workload=%s strategy=%s threads=%d, ETA %v",
		p.i+1, p.n, c.Workload, c.Strategy, c.Threads, eta.Round(time.Second))
	p.shown = true
}

// done records a finished cell and reports it if it did not end OK.
func (p *progress) done(r runner.Result) {
	p.i++
	switch r.Status {
	case runner.StatusOK, runner.StatusSkipped:
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "vmabench: %s: %s: %s\n", r.Status, r.Key(), firstLine(r.Detail))
}

// clear removes the status line.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// header returns the results file header: this machine and the commit.
func header() []cell.KV {
	return report.MachineConfig(machine.Commit())
}

// errWrite marks an error writing results, after which a partial results
// file is not kept: its last line may be cut short.
var errWrite = errors.New("writing results")
