package workloads

import (
	"time"
	"unsafe"
)

// liveFaultsMmap is faults-mmap on the live kernel: threads 0..T-2 run
// faults; the last thread mmaps and munmaps regions no faulting thread
// uses, at the model's slots. With per-VMA locks the faults do not wait for
// the writer's mmap_lock.
type liveFaultsMmap struct {
	liveBase
	pause time.Duration
	mem   [][]byte
	churn []unsafe.Pointer
}

var _ Live = (*liveFaultsMmap)(nil)

func newLiveFaultsMmap(cfg Config) Live {
	return &liveFaultsMmap{liveBase: liveBase{l: newLayout(cfg.Pages)}, pause: cfg.WriterPause}
}

func (w *liveFaultsMmap) Setup(threads int) error {
	if err := w.setupSlots(threads+churnSlots, threads); err != nil {
		return err
	}
	var err error
	if w.mem, err = w.mapVMAs(threads-1, true); err != nil {
		return err
	}
	w.churn = w.hints(threads, churnSlots)
	return w.region.Trim()
}

func (w *liveFaultsMmap) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	if th.ID == th.Threads-1 {
		lt.writeLoop(w.pause, func() error { return lt.churn(w.churn, uintptr(w.l.span)) })
		return
	}
	mem := w.mem[th.ID]
	for lt.running() && lt.faultPass(mem) {
	}
}
