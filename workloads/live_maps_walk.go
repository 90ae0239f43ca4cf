package workloads

import (
	"fmt"
	"time"
	"unsafe"
)

// liveMapsWalk is maps-walk on the live kernel: threads 0..T-2 read
// /proc/self/maps whole, again and again, into a buffer of their own; the
// last thread mmaps and munmaps at the model's slots. One operation is one
// full read. Since v6.17 the kernel's maps reader locks one VMA at a time
// (lock_next_vma()), falling back to mmap_lock on contention; before, it
// held mmap_lock for a page of output at a time. The file also lists the Go
// runtime's own mappings, a few dozen besides the workload's.
type liveMapsWalk struct {
	liveBase
	vmas  int
	pause time.Duration
	churn []unsafe.Pointer
}

var _ Live = (*liveMapsWalk)(nil)

func newLiveMapsWalk(cfg Config) Live {
	return &liveMapsWalk{liveBase: liveBase{l: newLayout(cfg.Pages)}, vmas: cfg.MapsVMAs, pause: cfg.WriterPause}
}

func (w *liveMapsWalk) Setup(threads int) error {
	if err := w.setupSlots(w.vmas+1+churnSlots, threads); err != nil {
		return err
	}
	for i := 0; i < w.vmas; i++ {
		if _, err := w.mapVMA(i, false); err != nil {
			return err
		}
	}
	w.churn = w.hints(w.vmas+1, churnSlots)
	if err := w.openMaps(threads - 1); err != nil {
		return err
	}
	return w.region.Trim()
}

func (w *liveMapsWalk) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	if th.ID == th.Threads-1 {
		lt.writeLoop(w.pause, func() error { return lt.churn(w.churn, uintptr(w.l.span)) })
		return
	}
	f := w.files[th.ID]
	for lt.running() {
		start := th.BeginSlow()
		if _, err := f.ReadAll(); err != nil {
			th.Fail(fmt.Errorf("read /proc/self/maps: %w", err))
			return
		}
		th.End(ClassLookup, start)
	}
}
