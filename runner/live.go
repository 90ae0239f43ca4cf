package runner

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"vmabench/cell"
	"vmabench/kernel"
	"vmabench/mm"
	"vmabench/units"
	"vmabench/workloads"
)

// runLive runs a cell of the kernel strategy: the workload's Live form, as
// real page faults and system calls on the host kernel, measured by the
// same measure and summarize as the models, so its metrics carry the same
// names. Its faults/op are the minor page faults the threads took
// (getrusage(RUSAGE_THREAD)) per reader operation, so a reader can see that
// one fault operation was one page fault. The models' fallbacks/op,
// retries/op and misses/op come from /proc/vmstat's vma_lock_abort,
// vma_lock_retry and vma_lock_miss where the kernel keeps them
// (CONFIG_PER_VMA_LOCK_STATS), and are left out where it does not: a zero
// would claim what was not measured. LiveFacts says which, once per file.
func runLive(c Config, res Result, w workloads.Info) (Result, error) {
	if w.NewLive == nil {
		res.Status, res.Detail = StatusSkipped, w.LiveSkip
		return res, nil
	}
	if ps := os.Getpagesize(); ps != mm.PageSize {
		res.Status = StatusSkipped
		res.Detail = fmt.Sprintf("the host's page size is %d bytes; the workloads' layout is in %d-byte pages", ps, mm.PageSize)
		return res, nil
	}
	lw := w.NewLive(c.Load)
	if err := lw.Setup(c.Threads); err != nil {
		res.Status, res.Detail = StatusError, "setup: "+errors.Join(err, lw.Close()).Error()
		return res, nil
	}
	ctl := new(workloads.Control)
	ths := make([]*workloads.Thread, c.Threads)
	for i := range ths {
		ths[i] = workloads.NewThread(i, c.Threads, nil, c.Load, ctl)
	}
	var running sync.WaitGroup
	running.Add(len(ths))
	m := measure(c, ctl, ths, func(th *workloads.Thread) {
		defer running.Done()
		lw.Run(th)
	}, true)
	res.Status, res.Detail = m.status, m.detail
	if err := closeLive(lw, &running, c.Stall); err != nil {
		if res.Status == StatusOK {
			res.Status, res.Detail = StatusError, err.Error()
			return res, nil
		}
		res.Detail += "; " + err.Error()
	}
	if res.Status != StatusOK {
		return res, nil
	}
	summarize(&res, w, ths, m.elapsed)
	if res.Status == StatusOK {
		addProbes(&res, w, ths, m.probes)
		liveMetrics(&res, w, ths, kernel.HasVMALockStats())
	}
	return res, nil
}

// closeLive closes lw once its threads have returned. A thread still
// running after wait (the cell timed out in the middle of an operation)
// may still touch the workload's memory, so its mappings are left in place
// rather than unmapped under it.
func closeLive(lw workloads.Live, running *sync.WaitGroup, wait time.Duration) error {
	done := make(chan struct{})
	go func() { running.Wait(); close(done) }()
	select {
	case <-done:
		return lw.Close()
	case <-time.After(wait):
		return fmt.Errorf("threads still running after %v: the workload's mappings are left in place", wait)
	}
}

// liveMetrics finishes the metrics of a live cell that summarize made
// (with faults/op from the threads' minor faults): the per-VMA lock counts
// are dropped unless the kernel keeps them (haveVMAStats).
func liveMetrics(r *Result, w workloads.Info, ths []*workloads.Thread, haveVMAStats bool) {
	if !haveVMAStats {
		r.Metrics = slices.DeleteFunc(r.Metrics, func(m Metric) bool {
			return m.Unit == units.Fallbacks || m.Unit == units.Retries || m.Unit == units.Misses
		})
	}
}

// LiveFacts returns the lines that describe the live kernel, for the file
// header of a report that holds kernel cells (beside the header's "kernel"
// line, the release): "per-vma-lock" (y, n or unknown: CONFIG_PER_VMA_LOCK)
// and "vma-lock-stats" (available or unavailable: whether /proc/vmstat has
// the vma_lock_* counters, CONFIG_PER_VMA_LOCK_STATS). They belong in the
// header, not in the kernel cells' Config: benchfmt reads any key that only
// some results carry as a change of configuration, and benchstat would then
// split the kernel cells into tables of their own, away from the models'.
func LiveFacts() []cell.KV {
	return kernel.Facts()
}
