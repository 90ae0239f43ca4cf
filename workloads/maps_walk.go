package workloads

import (
	"time"

	"vmabench/mm"
)

// mapsWalk: threads 0..T-2 read /proc/pid/maps from start to end; the last
// thread maps and unmaps. One operation is one whole read.
//
// The strategy holds the VMAs as its kernel release does (Strategy.ReadMaps):
// mmap_read_lock() a page of output at a time before v6.17 (mmaplock,
// vmaseq), one VMA at a time under its own lock with lock_next_vma() from
// v6.17 (vmarefcnt, vmawait).
type mapsWalk struct {
	l     layout
	vmas  int
	pause time.Duration
}

func newMapsWalk(cfg Config) Workload {
	return &mapsWalk{newLayout(cfg.Pages), cfg.MapsVMAs, cfg.WriterPause}
}

func (w *mapsWalk) Setup(m *mm.MM, threads int) error {
	return w.l.mapAll(m, regionBase, w.vmas, rw)
}

func (w *mapsWalk) Run(th *Thread) {
	if th.ID == th.Threads-1 {
		writeLoop(th, w.pause, churn(w.l, w.l.at(regionBase, w.vmas+1), churnSlots))
		return
	}
	s, t := th.Strategy, th.Task
	for th.Running() {
		start := th.BeginSlow()
		if _, err := s.ReadMaps(t); err != nil {
			th.Fail(err)
			return
		}
		th.End(ClassLookup, start)
	}
}
