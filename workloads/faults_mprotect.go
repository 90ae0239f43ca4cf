package workloads

import (
	"time"

	"vmabench/mm"
)

// faultsMprotect: threads 0..T-2 run faults; the last thread mprotects one
// page of a random faulting thread's VMA read-only (a split into three) and
// then back (a merge), so per-VMA write locks collide with the readers.
type faultsMprotect struct {
	l     layout
	pause time.Duration
}

func newFaultsMprotect(cfg Config) Workload {
	return &faultsMprotect{newLayout(cfg.Pages), cfg.WriterPause}
}

func (w *faultsMprotect) Setup(m *mm.MM, threads int) error {
	return w.l.mapAll(m, regionBase, threads-1, rw)
}

func (w *faultsMprotect) Run(th *Thread) {
	if th.ID == th.Threads-1 {
		var at uint64
		split := false
		writeLoop(th, w.pause, func() mm.Op {
			split = !split
			if split {
				at = w.l.at(regionBase, th.Rand.IntN(th.Threads-1)) + uint64(1+th.Rand.IntN(w.l.pages-2))*mm.PageSize
				return mm.Op{Kind: mm.OpMprotect, Start: at, Len: mm.PageSize, Prot: mm.ProtRead}
			}
			return mm.Op{Kind: mm.OpMprotect, Start: at, Len: mm.PageSize, Prot: rw}
		})
		return
	}
	base := w.l.at(regionBase, th.ID)
	for th.Running() && faultPass(th, base, w.l.pages) {
	}
}
