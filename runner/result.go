package runner

import (
	"time"

	"vmabench/cell"
)

// Status is how a cell ended.
type Status string

// Cell statuses. Only StatusOK cells carry measurements.
const (
	StatusOK       Status = "ok"
	StatusDeadlock Status = "deadlock" // the watchdog saw no progress with threads blocked on locks
	StatusTimeout  Status = "timeout"  // the cell outran its timeout while still making progress, or its process hung
	StatusSkipped  Status = "skipped"  // the cell cannot run (e.g. nested-fault on the live kernel)
	StatusError    Status = "error"    // the cell failed to run
)

// Metric is one extra measurement of a cell, per operation or a percentile,
// in a unit benchstat understands ("faults/s", "fallbacks/op", "p99-ns").
type Metric struct {
	Value float64
	Unit  string
}

// Result is one measured cell: strategy x workload x threads x config.
type Result struct {
	// Cell is what ran; its Procs is the GOMAXPROCS it ran with, less the
	// runner's own spare P (harnessProcs).
	cell.Cell

	// Config is the effective workload configuration, reported as
	// benchfmt configuration lines ("vmas: 16").
	Config []cell.KV

	Status Status
	// Detail says what happened to a cell that is not OK: for a deadlock,
	// what each stuck thread held and waited for.
	Detail string

	// Ops is the number of operations of all threads in the timed window.
	Ops uint64
	// Elapsed is the timed window's wall time.
	Elapsed time.Duration
	// Metrics are the extra measurements, in report order.
	Metrics []Metric
	// Notes say what a cell's probes could not measure (a trace that lost
	// events, a counter that did not open), and so which units it lacks;
	// the results file has them as comment lines before the cell's line,
	// where they split no benchstat table.
	Notes []string `json:",omitempty"`
	// Unsafe marks a cell whose strategy is not safe under its workload's
	// writers (nolock with writers): its numbers are a floor, not a result.
	Unsafe bool
	// Violations is the number of checker violations seen (0 for any safe
	// strategy).
	Violations uint64
}

// IsUnsafe reports whether r's numbers are a floor, not a result: its
// strategy does not lock against the workload's writers (Unsafe), or the
// checker saw it go wrong (Violations). Every report, table and chart
// marks a cell by it.
func (r *Result) IsUnsafe() bool {
	return r.Unsafe || r.Violations > 0
}

// ConfigValue returns the value of r's configuration line key, or "".
func (r *Result) ConfigValue(key string) string {
	for _, kv := range r.Config {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// NsPerOp is the wall time over all threads' operations, as b.RunParallel
// reports it.
func (r *Result) NsPerOp() float64 {
	if r.Ops == 0 {
		return 0
	}
	return float64(r.Elapsed.Nanoseconds()) / float64(r.Ops)
}

// Metric returns the value of the metric with unit u.
func (r *Result) Metric(u string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Unit == u {
			return m.Value, true
		}
	}
	return 0, false
}
