// Package planflag binds the command-line flags that shape a runner.Plan
// (which cells, how many times, how long, under what load) in one place,
// so that "vmabench run", "vmabench nightly" and go test -bench offer the
// same flags with the same names, defaults, help and checks.
package planflag

import (
	"flag"
	"fmt"
	"runtime"
	"strings"
	"time"

	"vmabench/runner"
)

// A Set selects groups of plan flags.
type Set uint

// The groups of plan flags.
const (
	Cells     Set = 1 << iota // -strategy, -workload, -threads
	Count                     // -count
	Window                    // -duration, -warmup, -timeout, -stall
	Load                      // -seed, -pages, -fault-work, -maps-vmas, -size, -tmpdir, -writer-pause, -touch-held, -locks
	Pin                       // -nopin
	InProcess                 // -inprocess

	// All is every plan flag, as vmabench run offers them.
	All = Cells | Count | Window | Load | Pin | InProcess
)

// Flags are the plan flags bound on one flag set.
type Flags struct {
	plan    *runner.Plan
	fs      *flag.FlagSet
	set     Set
	prefix  string
	strats  *namesFlag
	loads   *namesFlag
	threads *threadsFlag
	strict  bool
	// cpus is the number of CPUs the thread counts are held to; 0 means
	// runtime.NumCPU() (tests set it).
	cpus     int
	warnings []string
}

// Bind defines the plan flags of set on fs, each named prefix+name
// ("-pages", or "-vmabench.pages" with prefix "vmabench."), with p's values
// as their defaults: empty Strategies or Workloads mean all of them, empty
// Threads runner.DefaultThreads(). The flags write into p; after fs.Parse,
// Apply finishes the plan.
func Bind(fs *flag.FlagSet, p *runner.Plan, set Set, prefix string) *Flags {
	f := &Flags{plan: p, fs: fs, set: set, prefix: prefix}
	base := &p.Base
	name := func(n string) string { return prefix + n }
	if set&Cells != 0 {
		f.strats = &namesFlag{list: orAll(p.Strategies)}
		f.loads = &namesFlag{list: orAll(p.Workloads)}
		f.threads = &threadsFlag{list: p.Threads}
		if len(f.threads.list) == 0 {
			f.threads.list = runner.DefaultThreads()
		}
		fs.Var(f.strats, name("strategy"), "`names` of the strategies to run, comma-separated, or all (see vmabench list)")
		fs.Var(f.loads, name("workload"), "`names` of the workloads to run, comma-separated, or all (see vmabench list)")
		fs.Var(f.threads, name("threads"), "thread `counts`, comma-separated; above the CPU count a cell oversubscribes the CPUs (a warning, or an error with -strict)")
		fs.BoolVar(&f.strict, name("strict"), false, "refuse thread counts above the CPU count instead of warning")
	}
	if set&Count != 0 {
		fs.IntVar(&p.Count, name("count"), p.Count, "repetitions of each cell, the samples benchstat and the gate compare (at least 4 for p <= 0.05)")
	}
	if set&Window != 0 {
		fs.Var(durationFlag{&base.Duration}, name("duration"), "timed window of each cell, a `duration` (300ms, 2s)")
		fs.Var(durationFlag{&base.Warmup}, name("warmup"), "warm-up of each cell before its window, a `duration`")
		fs.Var(durationFlag{&base.Timeout}, name("timeout"), "watchdog: a cell running longer than this `duration`, warm-up included, is a timeout;\nunless set, raised to twice warm-up plus window where that is more")
		fs.Var(durationFlag{&base.Stall}, name("stall"), "watchdog: a cell with no progress for this `duration` while a thread waits on a lock is a deadlock")
	}
	if set&Load != 0 {
		fs.Uint64Var(&base.Load.Seed, name("seed"), base.Load.Seed, "seed of every thread's RNG (thread i uses seed, i)")
		fs.IntVar(&base.Load.Pages, name("pages"), base.Load.Pages, "pages in each thread's VMA")
		fs.IntVar(&base.Load.FaultWork, name("fault-work"), base.Load.FaultWork, "bytes a fault clears under its lock (clear_page); 0 for none")
		fs.IntVar(&base.Load.MapsVMAs, name("maps-vmas"), base.Load.MapsVMAs, "VMAs maps-walk walks")
		fs.Var(sizeFlag{&base.Load.Size}, name("size"), "`bytes` each thread of page_fault1-3, mmap1-2 and pft maps, a multiple of the page size (128MiB, 2MiB, 65536)")
		fs.StringVar(&base.Load.TempDir, name("tmpdir"), base.Load.TempDir, "`dir`ectory of page_fault2, page_fault3 and mmap2's files (default $TMPDIR, else /tmp)")
		fs.Var(durationFlag{&base.Load.WriterPause}, name("writer-pause"), "writer thread's pause between changes, a `duration`; 0 for back to back")
		fs.BoolVar(&base.Load.TouchHeld, name("touch-held"), base.Load.TouchHeld, "nested-fault's writer changes the VMAs the readers hold")
		fs.Var(locksFlag{&base.Locks}, name("locks"), "lock attribution (lock-wait-ns/op, lock-hold-ns/op ...): `auto`, on or off; auto is on where it costs\na cell under 5% of its throughput (model cells; kernel cells' tracing costs more)")
	}
	if set&Pin != 0 {
		fs.BoolVar(&base.NoPin, name("nopin"), base.NoPin, "do not pin threads to CPUs")
	}
	if set&InProcess != 0 {
		fs.BoolVar(&p.InProcess, name("inprocess"), p.InProcess, "run cells in this process (debugging: a deadlocked cell's threads stay blocked)")
	}
	return f
}

func orAll(names []string) []string {
	if len(names) == 0 {
		return []string{"all"}
	}
	return names
}

// Apply finishes the plan once the flags are parsed: it resolves the
// strategy and workload names against their registries, checks the count
// (runner.CheckCount) and, unless -timeout was given, raises the timeout to
// twice warm-up plus window where that is more, so a long -duration does
// not time out. Its errors are the user's, and name the flag.
func (f *Flags) Apply() error {
	p := f.plan
	if f.set&Cells != 0 {
		var err error
		if p.Strategies, err = strategyNames(f.strats); err != nil {
			return fmt.Errorf("-%sstrategy: %w", f.prefix, err)
		}
		if p.Workloads, err = workloadNames(f.loads); err != nil {
			return fmt.Errorf("-%sworkload: %w", f.prefix, err)
		}
		p.Threads = f.threads.list
		if msg := Oversubscribed(p.Threads, cmpOr(f.cpus, runtime.NumCPU())); msg != "" {
			if f.strict {
				return fmt.Errorf("-%sthreads: %s (-%sstrict)", f.prefix, msg, f.prefix)
			}
			f.warnings = append(f.warnings, fmt.Sprintf("-%sthreads: %s", f.prefix, msg))
		}
	}
	if f.set&Count != 0 {
		if err := runner.CheckCount(p.Count); err != nil {
			return err
		}
	}
	if f.set&Window != 0 {
		timeoutSet := false
		f.fs.Visit(func(fl *flag.Flag) { timeoutSet = timeoutSet || fl.Name == f.prefix+"timeout" })
		if !timeoutSet {
			p.Base.Timeout = max(p.Base.Timeout, 2*(p.Base.Warmup+p.Base.Duration))
		}
	}
	return nil
}

// Warnings returns what Apply found worth saying that does not stop a
// run: thread counts above the CPU count. The command prints them.
func (f *Flags) Warnings() []string { return f.warnings }

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// Oversubscribed says, for thread counts above cpus, what such a cell
// does to the figures, or returns "" if none is.
func Oversubscribed(threads []int, cpus int) string {
	var over []string
	most := 0
	for _, n := range threads {
		if n > cpus {
			over = append(over, fmt.Sprint(n))
			most = max(most, n)
		}
	}
	if len(over) == 0 {
		return ""
	}
	return fmt.Sprintf("%s threads on %d CPUs: the cells oversubscribe them (up to %.1f threads a CPU), and a lock benchmark then measures the scheduler too: "+
		"a lock holder can be preempted while it holds the lock, and waiters spinning on it (a writer's optimistic spin, a spinlock) burn the CPU the holder needs to finish",
		strings.Join(over, ","), cpus, float64(most)/float64(cpus))
}

// BenchWindow returns the timed window that go test's -benchtime value
// gives a cell: a duration as it is. A count ("100x") is refused: a cell
// runs its threads for a timed window, not b.N iterations, and taking a
// count for a duration would measure something else than asked.
func BenchWindow(benchtime string) (time.Duration, error) {
	if strings.HasSuffix(benchtime, "x") {
		return 0, fmt.Errorf("-test.benchtime %s: a cell runs its threads for a timed window, not a count of iterations; give a duration, e.g. -benchtime 500ms (-count repeats a cell)", benchtime)
	}
	d, err := time.ParseDuration(benchtime)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("-test.benchtime %s: want a positive duration, e.g. 500ms", benchtime)
	}
	return d, nil
}
