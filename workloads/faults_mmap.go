package workloads

import (
	"time"

	"vmabench/mm"
)

// faultsMmap: threads 0..T-2 run faults; the last thread maps and unmaps
// regions no faulting thread uses. Under mmap_lock every fault waits for the
// unrelated writer; per-VMA faults do not: the gap the per-VMA lock closed.
type faultsMmap struct {
	l     layout
	pause time.Duration
}

func newFaultsMmap(cfg Config) Workload {
	return &faultsMmap{newLayout(cfg.Pages), cfg.WriterPause}
}

func (w *faultsMmap) Setup(m *mm.MM, threads int) error {
	return w.l.mapAll(m, regionBase, threads-1, rw)
}

func (w *faultsMmap) Run(th *Thread) {
	if th.ID == th.Threads-1 {
		writeLoop(th, w.pause, churn(w.l, w.l.at(regionBase, th.Threads), churnSlots))
		return
	}
	base := w.l.at(regionBase, th.ID)
	for th.Running() && faultPass(th, base, w.l.pages) {
	}
}
