package workloads

import (
	"fmt"
	"time"

	"vmabench/kernel"
	"vmabench/mm"
)

// liveFaultsMprotect is faults-mprotect on the live kernel: threads 0..T-2
// run faults; the last thread mprotects one page of a random faulting
// thread's VMA (a split into three) and then back (a merge), so its VMA
// write locks (vma_start_write() in mprotect_fixup()) collide with the
// readers' faults.
//
// Where the model makes the page read-only, the kernel version adds
// PROT_EXEC instead: a reader's write to a read-only page would be a
// SIGSEGV, which the Go runtime turns into a crash. Any change of the VMA's
// flags splits and merges it, under the same locks.
type liveFaultsMprotect struct {
	liveBase
	pause time.Duration
	mem   [][]byte
}

var _ Live = (*liveFaultsMprotect)(nil)

func newLiveFaultsMprotect(cfg Config) Live {
	return &liveFaultsMprotect{liveBase: liveBase{l: newLayout(cfg.Pages)}, pause: cfg.WriterPause}
}

func (w *liveFaultsMprotect) Setup(threads int) error {
	if err := w.setupSlots(threads-1, threads); err != nil {
		return err
	}
	var err error
	if w.mem, err = w.mapVMAs(threads-1, true); err != nil {
		return err
	}
	return w.region.Trim()
}

// splitProt is the protection the writer gives the page it splits off.
const splitProt = liveRW | kernel.ProtExec

func (w *liveFaultsMprotect) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	if th.ID == th.Threads-1 {
		var page []byte
		split := false
		lt.writeLoop(w.pause, func() error {
			split = !split
			prot := liveRW
			if split {
				// The model's choice, from the same RNG draws.
				i := th.Rand.IntN(th.Threads - 1)
				p := 1 + th.Rand.IntN(w.l.pages-2)
				page, prot = w.mem[i][p*mm.PageSize:(p+1)*mm.PageSize], splitProt
			}
			if err := kernel.Mprotect(page, prot); err != nil {
				return fmt.Errorf("mprotect(%#x): %w", prot, err)
			}
			return nil
		})
		return
	}
	mem := w.mem[th.ID]
	for lt.running() && lt.faultPass(mem) {
	}
}
