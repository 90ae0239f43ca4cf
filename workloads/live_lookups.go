package workloads

import (
	"fmt"
	"time"
	"unsafe"

	"vmabench/kernel"
)

// liveLookups is lookups (and, with writer, lookups-mmap) on the live
// kernel: each reader calls mincore() on its own VMA, again and again; with
// writer the last thread mmaps and munmaps at the model's slots. mincore()
// takes mmap_read_lock in v6.18 as before, whatever the per-VMA locks do.
type liveLookups struct {
	liveBase
	writer bool
	pause  time.Duration
	mem    [][]byte
	churn  []unsafe.Pointer
}

var _ Live = (*liveLookups)(nil)

func newLiveLookups(cfg Config) Live {
	return &liveLookups{liveBase: liveBase{l: newLayout(cfg.Pages)}}
}

func newLiveLookupsMmap(cfg Config) Live {
	return &liveLookups{liveBase: liveBase{l: newLayout(cfg.Pages)}, writer: true, pause: cfg.WriterPause}
}

func (w *liveLookups) Setup(threads int) error {
	readers := threads
	if w.writer {
		readers--
	}
	if err := w.setupSlots(threads+churnSlots, threads); err != nil {
		return err
	}
	var err error
	if w.mem, err = w.mapVMAs(readers, false); err != nil {
		return err
	}
	if w.writer {
		w.churn = w.hints(threads, churnSlots)
	}
	return w.region.Trim()
}

func (w *liveLookups) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	if w.writer && th.ID == th.Threads-1 {
		lt.writeLoop(w.pause, func() error { return lt.churn(w.churn, uintptr(w.l.span)) })
		return
	}
	mem := w.mem[th.ID]
	vec := make([]byte, len(mem)/kernel.PageSize())
	for lt.running() {
		start := th.Begin()
		if err := kernel.Mincore(mem, vec); err != nil {
			th.Fail(fmt.Errorf("mincore: %w", err))
			return
		}
		th.End(ClassLookup, start)
	}
}
