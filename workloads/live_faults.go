package workloads

// liveFaults is faults on the live kernel: each thread writes one byte to
// every page of its own VMA, each write a page fault, resets the VMA with
// madvise(MADV_DONTNEED), and repeats. No two threads share a VMA, so with
// per-VMA locks their faults never contend (will-it-scale page_fault1).
type liveFaults struct {
	liveBase
	mem [][]byte // thread i's VMA
}

var _ Live = (*liveFaults)(nil)

func newLiveFaults(cfg Config) Live { return &liveFaults{liveBase: liveBase{l: newLayout(cfg.Pages)}} }

func (w *liveFaults) Setup(threads int) error {
	if err := w.setupSlots(threads, threads); err != nil {
		return err
	}
	var err error
	if w.mem, err = w.mapVMAs(threads, true); err != nil {
		return err
	}
	return w.region.Trim()
}

func (w *liveFaults) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	mem := w.mem[th.ID]
	for lt.running() && lt.faultPass(mem) {
	}
}
