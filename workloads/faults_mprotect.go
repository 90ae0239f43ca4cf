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
		splitMergeLoop(th, w.l, w.pause, mm.ProtRead, rw)
		return
	}
	base := w.l.at(regionBase, th.ID)
	for th.Running() && faultPass(th, base, w.l.pages) {
	}
}

// splitMergeLoop is the writer of faults-mprotect and zerocopy: it
// mprotects one page inside a random other thread's VMA of l to prot (a
// split into three, mprotect_fixup()'s split_vma() twice) and then back to
// its own protection orig (a merge, vma_merge_existing_range()), pausing d
// after each change, until the run stops.
func splitMergeLoop(th *Thread, l layout, d time.Duration, prot, orig mm.Prot) {
	var at uint64
	split := false
	writeLoop(th, d, func() mm.Op {
		split = !split
		if split {
			at = l.at(regionBase, th.Rand.IntN(th.Threads-1)) + uint64(1+th.Rand.IntN(l.pages-2))*mm.PageSize
			return mm.Op{Kind: mm.OpMprotect, Start: at, Len: mm.PageSize, Prot: prot}
		}
		return mm.Op{Kind: mm.OpMprotect, Start: at, Len: mm.PageSize, Prot: orig}
	})
}
