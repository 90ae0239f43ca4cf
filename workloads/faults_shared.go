package workloads

import "vmabench/mm"

// faultsShared: threads fault random pages of one shared VMA, each resetting
// a random window of it after every Pages faults: a page_fault run on a
// shared mapping, where every design contends on the one VMA.
type faultsShared struct{ pages, total int }

func newFaultsShared(cfg Config) Workload { return &faultsShared{pages: cfg.Pages} }

func (w *faultsShared) Setup(m *mm.MM, threads int) error {
	w.total = w.pages * threads
	return m.Setup(mm.Op{Kind: mm.OpMmap, Start: regionBase, Len: uint64(w.total) * mm.PageSize, Prot: rw})
}

func (w *faultsShared) Run(th *Thread) {
	for th.Running() {
		for i := 0; i < w.pages; i++ {
			addr := regionBase + uint64(th.Rand.IntN(w.total))*mm.PageSize
			start := th.Begin()
			if err := fault(th, addr); err != nil {
				th.Fail(err)
				return
			}
			th.End(ClassFault, start)
		}
		from := regionBase + uint64(th.Rand.IntN(w.total-w.pages+1))*mm.PageSize
		th.timeLocks(1) // one reset per pages faults: each is timed
		err := reset(th, from, from+uint64(w.pages)*mm.PageSize)
		th.timeLocks(0)
		if err != nil {
			th.Fail(err)
			return
		}
	}
}
