package workloads

import "vmabench/mm"

// faults: each thread faults every page of its own VMA, resets it, repeats
// (will-it-scale page_fault1, mmtests pft). Per-VMA designs never contend.
type faults struct{ l layout }

func newFaults(cfg Config) Workload { return &faults{newLayout(cfg.Pages)} }

func (w *faults) Setup(m *mm.MM, threads int) error {
	return w.l.mapAll(m, regionBase, threads, rw)
}

func (w *faults) Run(th *Thread) {
	base := w.l.at(regionBase, th.ID)
	for th.Running() && faultPass(th, base, w.l.pages) {
	}
}
