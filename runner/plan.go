package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"vmabench/workloads"
)

// Plan is a matrix of cells: every strategy under every workload at every
// thread count, Count times.
type Plan struct {
	// Strategies, Workloads and Threads span the matrix; each must have at
	// least one entry (package planflag's flags default to all strategies,
	// all workloads and DefaultThreads).
	Strategies []string
	Workloads  []string
	Threads    []int
	// Count is the number of repetitions of each cell; 0 means 1.
	Count int
	// Base is the configuration every cell starts from.
	Base Config
	// InProcess runs cells in this process instead of a child each; a
	// deadlocked cell then leaves its threads behind.
	InProcess bool
	// Child is the command line, program and arguments, that runs one cell
	// in a child process (see RunIsolated); vmabench's is its own
	// executable and "cell". RunPlan needs it unless InProcess.
	Child []string
}

// Cells returns the plan's cells in run order: repetition, workload, threads,
// strategy, so the strategies of one row run side by side in time and slow
// drift of the machine spreads over all of them. Thread counts below a
// workload's MinThreads are left out: such a cell cannot run, and a skipped
// line for it in every file would only be noise.
func (p Plan) Cells() []Config {
	var out []Config
	for rep := 0; rep < max(p.Count, 1); rep++ {
		for _, w := range p.Workloads {
			for _, n := range p.Threads {
				if info, err := workloads.Get(w); err == nil && n < info.MinThreads {
					continue
				}
				for _, s := range p.Strategies {
					c := p.Base
					c.Strategy, c.Workload, c.Threads = s, w, n
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// Validate checks every cell of the plan.
func (p Plan) Validate() error {
	if len(p.Strategies) == 0 || len(p.Workloads) == 0 || len(p.Threads) == 0 {
		return fmt.Errorf("empty plan: need at least one strategy, workload and thread count")
	}
	if p.Count != 0 {
		if err := CheckCount(p.Count); err != nil {
			return err
		}
	}
	for _, name := range p.Workloads {
		if _, err := workloads.Get(name); err != nil {
			return err
		}
	}
	cells := p.Cells()
	if len(cells) == 0 {
		var need []string
		for _, name := range p.Workloads {
			w, _ := workloads.Get(name)
			need = append(need, fmt.Sprintf("%s needs %d", name, w.MinThreads))
		}
		return fmt.Errorf("no cell to run with threads %v: %s", p.Threads, strings.Join(need, ", "))
	}
	for _, c := range cells {
		if err := c.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// CheckCount checks a number of repetitions of each cell: at least 1. It
// is the one check of a count, a Plan's and a command line's.
func CheckCount(n int) error {
	if n < 1 {
		return fmt.Errorf("count %d: want at least 1", n)
	}
	return nil
}

// Estimate returns the plan's expected running time, skipped cells aside.
func (p Plan) Estimate() time.Duration {
	return time.Duration(len(p.Cells())) * (p.Base.Warmup + p.Base.Duration)
}

// Progress is told of each finished cell: its index (from 0), the number of
// cells, and its result.
type Progress func(i, n int, r Result) error

// RunPlan runs every cell of p and hands each result to emit as soon as it is
// measured, so an interrupted run keeps every finished cell. It stops at the
// first error from emit or a cancelled ctx.
func RunPlan(ctx context.Context, p Plan, emit Progress) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !p.InProcess && len(p.Child) == 0 {
		return errors.New("runner: no child command (Plan.Child) to run cells in, and not InProcess")
	}
	cells := p.Cells()
	for i, c := range cells {
		if err := ctx.Err(); err != nil {
			return err
		}
		var r Result
		var err error
		if p.InProcess {
			r, err = Run(c)
		} else {
			r, err = RunIsolated(ctx, c, p.Child)
		}
		if err != nil {
			return err
		}
		if err := emit(i, len(cells), r); err != nil {
			return err
		}
	}
	return nil
}

// DefaultThreads returns the thread counts a matrix runs by default: the
// powers of two below the number of CPUs, and that number (1,2,4,6 on 6).
func DefaultThreads() []int {
	cpus := min(runtime.NumCPU(), workloads.MaxThreads)
	var ts []int
	for n := 1; n < cpus; n *= 2 {
		ts = append(ts, n)
	}
	return append(ts, cpus)
}
