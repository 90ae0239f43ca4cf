// Package units is the one table of the units vmabench measures in: what
// each counts, which direction is better, whether it is a rate per second,
// and which chart shows it. The runner names its metrics from it, the
// results writer announces its directions to benchstat (benchfmt "Unit"
// lines), the comparison and the nightly gate judge changes by it, and the
// charts pick their series from it.
package units

import "strings"

// Better is the direction in which a unit's values improve.
type Better int

// Directions. benchfmt writes them as "better=higher" and "better=lower".
const (
	Unknown Better = 0
	Higher  Better = 1
	Lower   Better = -1
)

// String returns the benchfmt metadata value: "higher", "lower" or "".
func (b Better) String() string {
	switch b {
	case Higher:
		return "higher"
	case Lower:
		return "lower"
	}
	return ""
}

// Chart says which chart of a workload draws a unit.
type Chart int

// The charts of package chart.
const (
	NoChart    Chart = iota
	Throughput       // readers' and writer's operations per second against threads
	Latency          // percentiles at the highest thread count, bars
	Rates            // per-VMA lock slow paths per operation against threads
	LockSplit        // each design's operation split into lock wait, lock hold and the rest
)

// A Unit is one row of the table.
type Unit struct {
	// Name is the unit as written in a results file: "faults/s".
	Name string
	// Counts says what a value counts, for people.
	Counts string
	// Better is the direction in which values improve.
	Better Better
	// Rate marks operations per second, the figures people compare across
	// strategies (the summary table's and the throughput chart's).
	Rate bool
	// Reader marks the readers' side of a cell: a rate or latency of the
	// threads that fault or look up, not of the writer.
	Reader bool
	// Chart is the chart that draws the unit; Label names it there.
	Chart Chart
	Label string
	// Gate marks the units the gates (the nightly's, compare -gate's)
	// judge by default: the readers' and the writer's rates, each apart,
	// so a design that speeds its readers by starving its writer fails
	// (ns/op, their time together, would hide it).
	Gate bool
}

// Units measured by vmabench. NsPerOp and Violations are the two that
// runner.Result holds in fields of its own (NsPerOp, Violations); the others
// are its Metrics.
const (
	NsPerOp     = "ns/op"
	Violations  = "violations"
	FaultsPerS  = "faults/s"
	LookupsPerS = "lookups/s"
	WritesPerS  = "writes/s"
	Fallbacks   = "fallbacks/op"
	Retries     = "retries/op"
	Misses      = "misses/op"
	FaultsPerOp = "faults/op"
	PassFaults  = "pass-faults/s"
	P50         = "p50-ns"
	P99         = "p99-ns"
	P999        = "p99.9-ns"
	WriterP99   = "writer-p99-ns"

	LockWait          = "lock-wait-ns/op"
	LockHold          = "lock-hold-ns/op"
	MmapLockWait      = "mmap-lock-wait-ns/op"
	LockSleep         = "lock-sleep-ns/op"
	PTELockWait       = "pte-lock-wait-ns/op"
	AllocLockWait     = "alloc-lock-wait-ns/op"
	LockWaitP50       = "lock-wait-p50-ns"
	LockWaitP99       = "lock-wait-p99-ns"
	WriterLockWait    = "writer-lock-wait-ns/op"
	WriterLockHold    = "writer-lock-hold-ns/op"
	WriterVMALockWait = "writer-vma-lock-wait-ns/op"
	WriterLockSleep   = "writer-lock-sleep-ns/op"
	WriterLockWaitP50 = "writer-lock-wait-p50-ns"
	WriterLockWaitP99 = "writer-lock-wait-p99-ns"

	CtxSwitches   = "ctx-switches/op"
	CPUMigrations = "cpu-migrations/op"
	PageFaults    = "page-faults/op"
	TaskClock     = "task-clock-ns/op"
	Cycles        = "cycles/op"
	Instructions  = "instructions/op"
	CacheMisses   = "cache-misses/op"
	LLCReadMisses = "llc-load-misses/op"

	ReaderSleeps       = "reader-sleeps/op"
	WriterSleeps       = "writer-sleeps/op"
	WriterSpinTimeouts = "writer-nospin/op"
	ReaderSteals       = "reader-steals/op"
)

// LockEvents are the lock events per operation that say how two runs of a
// cell took their locks: each side's sleeps (voluntary context switches)
// and the model's rwsem spin timeouts and steals. validate prints them for
// lookups-mmap beside the kernel's, and project -check under a cell whose
// projection is not within tolerance of its real run: two rates that part
// with the same events part in the work, with other events in the locks.
var LockEvents = []string{ReaderSleeps, WriterSleeps, WriterSpinTimeouts, ReaderSteals}

// Table lists every unit vmabench writes, in the order a result line has
// them.
var Table = []Unit{
	{Name: NsPerOp, Counts: "wall time over all threads' operations, readers' and writer's together (as b.RunParallel counts it)", Better: Lower},
	{Name: FaultsPerS, Counts: "the readers' rate: page faults per second of the faulting threads", Better: Higher, Rate: true, Reader: true, Chart: Throughput, Label: "faults/s", Gate: true},
	{Name: LookupsPerS, Counts: "the readers' rate: VMA lookups (held and released) per second of the looking-up threads", Better: Higher, Rate: true, Reader: true, Chart: Throughput, Label: "lookups/s", Gate: true},
	{Name: WritesPerS, Counts: "the writer's rate: address-space changes (mmap, munmap, mprotect) per second of the writing threads", Better: Higher, Rate: true, Chart: Throughput, Label: "writes/s", Gate: true},
	{Name: Fallbacks, Counts: "per-VMA lock attempts that fell back to mmap_lock (vma_lock_abort) per reader operation", Better: Lower, Chart: Rates, Label: "fallbacks/op"},
	{Name: Retries, Counts: "per-VMA lock attempts retried (vma_lock_retry) per reader operation", Better: Lower, Chart: Rates, Label: "retries/op"},
	{Name: Misses, Counts: "lookups that found no VMA (vma_lock_miss) per reader operation", Better: Lower, Chart: Rates, Label: "misses/op"},
	{Name: P50, Counts: "median latency of one reader operation, ns", Better: Lower, Reader: true, Chart: Latency, Label: "p50"},
	{Name: P99, Counts: "99th percentile latency of one reader operation, ns", Better: Lower, Reader: true, Chart: Latency, Label: "p99"},
	{Name: P999, Counts: "99.9th percentile latency of one reader operation, ns", Better: Lower, Reader: true, Chart: Latency, Label: "p99.9"},
	{Name: WriterP99, Counts: "99th percentile latency of one writer operation, ns", Better: Lower, Chart: Latency, Label: "writer p99"},
	// The sleeps and lock events have no direction: they say how a cell
	// spent its time, and a design that sleeps less is not better for it.
	{Name: ReaderSleeps, Counts: "the reader threads' voluntary context switches (sleeps on a lock, in the kernel or in a model's futex) per reader operation, cells with a writer"},
	{Name: WriterSleeps, Counts: "the writer thread's voluntary context switches per write, cells with a writer"},
	{Name: WriterSpinTimeouts, Counts: "a model writer's optimistic spins on a reader-owned rwsem that timed out (rwsem_opt_nospin) per write; model cells with a writer"},
	{Name: ReaderSteals, Counts: "model readers' rwsem steals past a queued writer (rwsem_rlock_steal) per reader operation; model cells with a writer"},
	// Where the time goes: lock wait and hold per operation (Chart
	// LockSplit), the readers' per reader operation, the writer's per
	// write. "The locks" are mmap_lock and the VMA locks together; a
	// kernel cell sees mmap_lock alone (its tracepoints), a model cell
	// both (its own locks, sampled as latencies are).
	{Name: LockWait, Counts: "readers' time acquiring the locks (mmap_lock and the VMA locks; kernel: mmap_lock alone, mmap_lock_start_locking to mmap_lock_acquire_returned), ns per reader operation", Better: Lower, Reader: true, Chart: LockSplit, Label: "lock wait"},
	{Name: LockHold, Counts: "readers' time holding the locks, waits aside (kernel: mmap_lock alone, acquire_returned to mmap_lock_released; a fault under a VMA lock is not traced), ns per reader operation", Better: Lower, Reader: true, Chart: LockSplit, Label: "lock hold"},
	{Name: MmapLockWait, Counts: "readers' time acquiring mmap_lock alone, ns per reader operation (the kernel's lock-wait-ns/op)", Better: Lower, Reader: true},
	{Name: LockSleep, Counts: "the part of the readers' lock wait spent asleep (kernel: lock:contention_begin to contention_end inside an mmap_lock wait; model: its futex), ns per reader operation", Better: Lower, Reader: true},
	{Name: PTELockWait, Counts: "readers' spin on the split page-table locks (pte_offset_map_lock()), ns per reader operation; model cells only (the kernel's spinlocks are not traced here)", Better: Lower, Reader: true},
	{Name: AllocLockWait, Counts: "readers' spin on the page allocator's zone lock and the LRU's lruvec lock, ns per reader operation; model cells only", Better: Lower, Reader: true},
	{Name: LockWaitP50, Counts: "median wait of one reader mmap_lock acquisition, ns", Better: Lower, Reader: true},
	{Name: LockWaitP99, Counts: "99th percentile wait of one reader mmap_lock acquisition, ns", Better: Lower, Reader: true},
	{Name: WriterLockWait, Counts: "the writer's time acquiring the locks (model: mmap_lock, then each VMA's readers drained; kernel: mmap_lock alone), ns per write", Better: Lower, Chart: LockSplit, Label: "writer lock wait"},
	{Name: WriterLockHold, Counts: "the writer's time holding mmap_lock for writing, its waits for VMA readers aside, ns per write", Better: Lower, Chart: LockSplit, Label: "writer lock hold"},
	{Name: WriterVMALockWait, Counts: "the writer's wait for a VMA's readers to drain (vma_start_write(), model cells only: the kernel has no tracepoint for it), ns per write", Better: Lower},
	{Name: WriterLockSleep, Counts: "the part of the writer's lock wait spent asleep, ns per write", Better: Lower},
	{Name: WriterLockWaitP50, Counts: "median wait of one writer mmap_lock acquisition, ns", Better: Lower},
	{Name: WriterLockWaitP99, Counts: "99th percentile wait of one writer mmap_lock acquisition, ns", Better: Lower},
	// The CPU's counters (perf_event_open, each thread of the cell, per
	// operation of all threads). Switches, migrations and page faults
	// have no direction, as the sleeps have none: they say how a cell
	// spent its time.
	{Name: CtxSwitches, Counts: "context switches of the cell's threads (PERF_COUNT_SW_CONTEXT_SWITCHES) per operation"},
	{Name: CPUMigrations, Counts: "migrations of the cell's threads between CPUs (PERF_COUNT_SW_CPU_MIGRATIONS) per operation"},
	{Name: PageFaults, Counts: "page faults of the cell's threads (PERF_COUNT_SW_PAGE_FAULTS) per operation"},
	{Name: TaskClock, Counts: "CPU time of the cell's threads (PERF_COUNT_SW_TASK_CLOCK) per operation, ns", Better: Lower},
	{Name: Cycles, Counts: "CPU cycles of the cell's threads per operation (hardware PMU; absent where none is exposed)", Better: Lower},
	{Name: Instructions, Counts: "instructions retired by the cell's threads per operation (hardware PMU)", Better: Lower},
	{Name: CacheMisses, Counts: "cache misses (PERF_COUNT_HW_CACHE_MISSES: usually the last level's) of the cell's threads per operation (hardware PMU)", Better: Lower},
	{Name: LLCReadMisses, Counts: "last-level cache read misses (PERF_COUNT_HW_CACHE_LL, read, miss) of the cell's threads per operation (hardware PMU)", Better: Lower},
	{Name: FaultsPerOp, Counts: "page faults the live kernel counted per reader operation (kernel cells only)"},
	{Name: PassFaults, Counts: "pft's own figure (its fault/wsec): the faults of the window's whole passes over their wall time, each from the first thread's start to the last one's end, the munmap and mmap between passes left out (pft cells only)", Better: Higher, Reader: true},
	// Violations has no direction: it marks a cell unsafe, it is not a
	// figure to improve, and a comparison does not judge it.
	{Name: Violations, Counts: "checker violations of an unsafe cell: its figures are a floor, not a result"},
}

// Lookup returns the row of unit name.
func Lookup(name string) (Unit, bool) {
	for _, u := range Table {
		if u.Name == name {
			return u, true
		}
	}
	return Unit{}, false
}

// BetterOf returns the direction of unit name: the table's, or for a unit
// it does not list, what benchstat's conventions say (time and cost per
// operation, *-ns and *-sec percentiles lower; */s rates higher), else
// Unknown. Only a known direction can regress.
func BetterOf(name string) Better {
	if u, ok := Lookup(name); ok {
		return u.Better
	}
	switch {
	case name == "sec/op", name == "B/op", name == "allocs/op",
		strings.HasSuffix(name, "-ns"), strings.HasSuffix(name, "-sec"):
		return Lower
	case strings.HasSuffix(name, "/s"):
		return Higher
	}
	return Unknown
}

// Of returns the units that chart c draws, in table order.
func Of(c Chart) []Unit {
	var out []Unit
	for _, u := range Table {
		if u.Chart == c {
			out = append(out, u)
		}
	}
	return out
}

// Gated returns the names of the units the nightly gate judges by default.
func Gated() []string {
	var out []string
	for _, u := range Table {
		if u.Gate {
			out = append(out, u.Name)
		}
	}
	return out
}

// ReaderRate returns the readers' rate unit of a workload whose readers do
// operations of class name ("fault", "lookup", "write"): "faults/s".
func ReaderRate(class string) string {
	return class + "s/s"
}
