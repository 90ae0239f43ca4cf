package workloads

import (
	"fmt"

	"vmabench/kernel"
	"vmabench/mm"
)

// liveFaultsShared is faults-shared on the live kernel: threads write one
// byte to random pages of one shared VMA, and each resets a random window of
// Pages pages (madvise(MADV_DONTNEED)) after every Pages writes. As in the
// model, every write counts as a fault operation; a write to a page already
// present takes no page fault in the kernel, which faults/op shows.
type liveFaultsShared struct {
	liveBase
	pages, total int
	mem          []byte
}

var _ Live = (*liveFaultsShared)(nil)

func newLiveFaultsShared(cfg Config) Live { return &liveFaultsShared{pages: cfg.Pages} }

func (w *liveFaultsShared) Setup(threads int) error {
	w.total = w.pages * threads
	span := uint64(w.total) * mm.PageSize
	if err := w.setup(span, threads); err != nil {
		return err
	}
	var err error
	if w.mem, err = w.region.Map(0, uintptr(span), liveRW); err != nil {
		return err
	}
	if err := kernel.NoHugePage(w.mem); err != nil {
		return fmt.Errorf("madvise(MADV_NOHUGEPAGE): %w", err)
	}
	return w.region.Trim()
}

func (w *liveFaultsShared) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	for lt.running() {
		for i := 0; i < w.pages; i++ {
			off := th.Rand.IntN(w.total) * mm.PageSize
			start := th.Begin()
			w.mem[off] = 1
			th.End(ClassFault, start)
		}
		from := th.Rand.IntN(w.total-w.pages+1) * mm.PageSize
		if err := kernel.DontNeed(w.mem[from : from+w.pages*mm.PageSize]); err != nil {
			th.Fail(fmt.Errorf("madvise(MADV_DONTNEED): %w", err))
			return
		}
	}
}
