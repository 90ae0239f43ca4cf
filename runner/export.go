package runner

import (
	"time"

	"vmabench/cell"
	"vmabench/strategies"
	"vmabench/workloads"
)

// Summarize fills r's operation count, elapsed time and metrics from the
// threads of a finished cell, as Run does: for package project, whose
// threads ran on virtual CPUs for a virtual elapsed time, so its results
// have the same metrics, computed the same way.
func Summarize(r *Result, w workloads.Info, ths []*workloads.Thread, elapsed time.Duration) {
	summarize(r, w, ths, elapsed)
}

// AddLockTime adds the cell's lock wait and hold per operation, as Run
// does, where its threads timed their locks (Thread.EnableLockTime).
func AddLockTime(r *Result, w workloads.Info, ths []*workloads.Thread) { addLockTime(r, w, ths) }

// CheckIdle adds to r what the strategy's end-of-run check finds.
func CheckIdle(r *Result, s strategies.Strategy) { checkIdle(r, s) }

// ConfigKVs returns the configuration lines of a cell of c, as Run writes
// them.
func ConfigKVs(c Config) []cell.KV { return configKVs(c) }
