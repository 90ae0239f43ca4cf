package workloads

import "vmabench/mm"

// mmapChurn: each thread maps a region of its own and unmaps it again
// (will-it-scale mmap1). One operation is the pair. Every design serialises
// on mmap_lock here; the per-VMA designs add their write-locking cost.
type mmapChurn struct{ l layout }

func newMmapChurn(cfg Config) Workload { return &mmapChurn{newLayout(cfg.Pages)} }

func (w *mmapChurn) Setup(m *mm.MM, threads int) error { return nil }

func (w *mmapChurn) Run(th *Thread) {
	at := w.l.at(regionBase, th.ID)
	mapUnmapLoop(th, mm.Op{Kind: mm.OpMmap, Start: at, Len: w.l.span, Prot: rw})
}

// mapUnmapLoop is mmap-churn's and will-it-scale mmap1/mmap2's loop: map
// with mapOp, unmap the same range, one timed operation the pair, until the
// run stops.
func mapUnmapLoop(th *Thread, mapOp mm.Op) {
	s, t := th.Strategy, th.Task
	unmapOp := mm.Op{Kind: mm.OpMunmap, Start: mapOp.Start, Len: mapOp.Len}
	for th.Running() {
		start := th.BeginSlow()
		for _, op := range [...]mm.Op{mapOp, unmapOp} {
			if err := write(s, t, op); err != nil {
				th.Fail(err)
				return
			}
		}
		th.End(ClassWrite, start)
	}
}
