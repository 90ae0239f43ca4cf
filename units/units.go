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
	// Gate marks the units the nightly gate judges by default.
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
	P50         = "p50-ns"
	P99         = "p99-ns"
	P999        = "p99.9-ns"
	WriterP99   = "writer-p99-ns"

	ReaderSleeps       = "reader-sleeps/op"
	WriterSleeps       = "writer-sleeps/op"
	WriterSpinTimeouts = "writer-nospin/op"
	ReaderSteals       = "reader-steals/op"
)

// Table lists every unit vmabench writes, in the order a result line has
// them.
var Table = []Unit{
	{Name: NsPerOp, Counts: "wall time over all threads' operations, readers' and writer's together (as b.RunParallel counts it)", Better: Lower, Gate: true},
	{Name: FaultsPerS, Counts: "the readers' rate: page faults per second of the faulting threads", Better: Higher, Rate: true, Reader: true, Chart: Throughput, Label: "faults/s"},
	{Name: LookupsPerS, Counts: "the readers' rate: VMA lookups (held and released) per second of the looking-up threads", Better: Higher, Rate: true, Reader: true, Chart: Throughput, Label: "lookups/s"},
	{Name: WritesPerS, Counts: "the writer's rate: address-space changes (mmap, munmap, mprotect) per second of the writing threads", Better: Higher, Rate: true, Chart: Throughput, Label: "writes/s"},
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
	{Name: FaultsPerOp, Counts: "page faults the live kernel counted per reader operation (kernel cells only)"},
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
