package workloads

import "unsafe"

// liveMmapChurn is mmap-churn on the live kernel: each thread mmaps a
// region at its own slot and munmaps it again (will-it-scale mmap1). One
// operation is the pair. Both take mmap_lock for writing, so threads
// serialise on it.
type liveMmapChurn struct {
	liveBase
	at []unsafe.Pointer // thread i's slot
}

var _ Live = (*liveMmapChurn)(nil)

func newLiveMmapChurn(cfg Config) Live {
	return &liveMmapChurn{liveBase: liveBase{l: newLayout(cfg.Pages)}}
}

func (w *liveMmapChurn) Setup(threads int) error {
	if err := w.setupSlots(threads, threads); err != nil {
		return err
	}
	w.at = w.hints(0, threads)
	return w.region.Trim() // the slots start unmapped, as the model's
}

func (w *liveMmapChurn) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	at, n := w.at[th.ID], uintptr(w.l.span)
	for lt.running() {
		start := th.BeginSlow()
		if err := lt.mmap(at, n); err != nil {
			th.Fail(err)
			return
		}
		if err := lt.munmap(); err != nil {
			th.Fail(err)
			return
		}
		th.End(ClassWrite, start)
	}
}
