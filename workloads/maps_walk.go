package workloads

import (
	"time"

	"vmabench/mm"
)

// mapsWalk: threads 0..T-2 walk every VMA as a /proc/pid/maps reader does;
// the last thread maps and unmaps. One operation is one whole walk.
//
// The walk models the 2025 per-VMA maps reader (lock_next_vma()): find the
// next VMA without a lock, lock it with the design's Lookup (per-VMA, with
// mmap_lock as fallback; mmap_lock alone for mmaplock), read it, unlock. The
// pre-2025 reader held mmap_lock across a whole page of output instead.
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
		for addr := uint64(0); ; {
			e, ok := t.MM.Tree().Next(addr) // find_vma() under RCU
			if !ok {
				break
			}
			r, err := s.Lookup(t, e.Start)
			if err == mm.ErrNoVMA { // unmapped since the walk found it
				addr = e.End
				continue
			}
			if err != nil {
				th.Fail(err)
				return
			}
			gen := t.AssertStable(r.VMA, e.Start)
			end := r.VMA.End() // show_map_vma(): read the fields
			_ = r.VMA.Prot()
			t.AssertUnchanged(r.VMA, gen)
			s.Release(t, r)
			addr = max(end, e.Start+mm.PageSize)
		}
		th.End(ClassLookup, start)
	}
}
