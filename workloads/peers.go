package workloads

import (
	"fmt"
	"math"
	"os"

	"golang.org/x/sys/cpu"

	"vmabench/kernel"
	"vmabench/mm"
)

// The field's own benchmarks: will-it-scale's page_fault1-3 and mmap1-2
// (tests/*.c, threads mode) and mmtests' pft-threads, with the peers'
// names and shapes, so that a figure reads beside the one a kernel
// developer knows. Each thread maps Size bytes (the peers' 128 MiB).

// backing is what a field's shape maps.
type backing uint8

const (
	anonymous   backing = iota // MAP_PRIVATE|MAP_ANONYMOUS
	privateFile                // MAP_PRIVATE of the thread's own file
	sharedFile                 // MAP_SHARED of the thread's own file
)

// newPeerLayout places thread i's mapping of size bytes: slots 2 MiB
// aligned with at least 2 MiB free between mappings, so that no two
// threads' mappings share a page-table page (and its split PTE lock), and
// none merges with its neighbour.
func newPeerLayout(size uint64) layout {
	const pmd = PMDSize
	slot := (size + 2*pmd - 1) / pmd * pmd
	return layout{pages: int(size / mm.PageSize), span: size, slot: slot}
}

// PMDSize is the address space one page-table page maps: 2 MiB.
const PMDSize = mm.PTEsPerTable * mm.PageSize

// tempDir returns the directory files are created in.
func (c Config) tempDir() string {
	if c.TempDir != "" {
		return c.TempDir
	}
	return os.TempDir()
}

// modelFS returns the model of the file system the live form's files are
// on, so a model's file faults take the kernel's path (->page_mkwrite() or
// not).
func modelFS(dir string) (mm.FileSystem, error) {
	fs, err := kernel.StatFS(dir)
	if err != nil {
		return 0, err
	}
	if fs.Tmpfs {
		return mm.Tmpfs, nil
	}
	return mm.DiskFS, nil
}

// peerFaults is will-it-scale's page_fault1 (anonymous), page_fault2 (a
// private mapping of the thread's own file: each write copies a page-cache
// page, do_cow_fault()) and page_fault3 (a shared mapping of it: each
// write dirties a page-cache page, do_shared_fault()): each thread, in a
// loop, maps Size bytes, writes one byte to each page (one fault, one
// operation) and unmaps them. The mmap and munmap are not operations of
// their own, as in the peer: their time is in the faults' rate.
type peerFaults struct {
	l     layout
	kind  backing
	dir   string
	folio int   // mm.File.FolioPages, from the calibration
	cold  int64 // mm.Spins.FaultCold of a pass over the mapping
	files []*mm.File
}

func newPageFault(kind backing) func(Config) Workload {
	return func(cfg Config) Workload {
		return &peerFaults{l: newPeerLayout(cfg.Size), kind: kind, dir: cfg.tempDir(), folio: folioPages(cfg), cold: cfg.Work.ColdSpins(cfg.Size)}
	}
}

// folioPages is the page-cache folio size of the models' files
// (mm.Work.FolioPages, from the calibration); 1 without one.
func folioPages(cfg Config) int {
	return min(max(1, int(cfg.Work.FolioPages)), mm.PTEsPerTable)
}

// setupFiles makes each thread's file, of the file system of w.dir.
func setupFiles(dir string, n, pages, folioPages int) ([]*mm.File, error) {
	fs, err := modelFS(dir)
	if err != nil {
		return nil, err
	}
	files := make([]*mm.File, n)
	for i := range files {
		files[i] = mm.NewFile(pages, fs)
		files[i].FolioPages = folioPages
	}
	return files, nil
}

func (w *peerFaults) Setup(m *mm.MM, threads int) error {
	if w.kind == anonymous {
		return nil
	}
	var err error
	w.files, err = setupFiles(w.dir, threads, w.l.pages, w.folio)
	return err
}

// mapOp returns thread id's mmap of its mapping.
func (l layout) mapOp(id int, files []*mm.File, kind backing) mm.Op {
	op := mm.Op{Kind: mm.OpMmap, Start: l.at(regionBase, id), Len: l.span, Prot: rw}
	if kind != anonymous {
		op.File, op.Shared = files[id], kind == sharedFile
	}
	return op
}

func (w *peerFaults) Run(th *Thread) {
	mapOp := w.l.mapOp(th.ID, w.files, w.kind)
	unmapOp := mm.Op{Kind: mm.OpMunmap, Start: mapOp.Start, Len: mapOp.Len}
	// Each pass zeroes (or copies into) pages the size of the mapping
	// apart from their last use: the fault's cost at that size.
	th.Task.Work.FaultCold = w.cold
	for th.Running() {
		if err := timedWrite(th, mapOp); err != nil {
			th.Fail(err)
			return
		}
		done := faultRange(th, mapOp.Start, w.l.pages)
		if err := timedWrite(th, unmapOp); err != nil {
			th.Fail(err)
			return
		}
		if !done {
			return
		}
	}
}

// faultRange faults every page of [base, base+pages) in order, counting
// each as an operation, and checks Running every rangeStep pages. It
// reports false if the thread failed or stopped.
func faultRange(th *Thread, base uint64, pages int) bool {
	for p := 0; p < pages; p += rangeStep {
		if !th.Running() {
			return false
		}
		n := min(rangeStep, pages-p)
		if !faultChunk(th, base+uint64(p)*mm.PageSize, n) {
			return false
		}
		// Progress for the watchdog, whatever was sampled: with large
		// folios most touches do not fault, and only faults are timed.
		th.Task.SetProgress(th.n)
	}
	return true
}

// rangeStep is how many pages faultRange faults between two looks at the
// phase: a thread joins the timed window, and leaves it, only between
// steps, so its count is off by up to a step at each end. At 16 pages
// (about 30 µs of faults) that is under 2% of a 2 ms projected window per
// thread, and 0.01% of a 300 ms real one; at the 512 pages (a page
// table's worth, about 1 ms) it once was, the threads of a projection,
// which start in step and stay so, all joined and left at the same point
// of a step, and page_fault1's and pft's projected rates came out in
// multiples of 256k faults/s at 2 ms. The look is a load and a compare.
const rangeStep = 16

// faultChunk faults every page of [base, base+pages) in order and counts
// them; a touch of a page that is present is no fault (a shared write
// fault maps a large folio whole; a writer may have raced a reader): the
// store costs what a store costs, nothing the model counts. One touch in
// SampleEvery on average is timed, of those that fault: a sampled touch
// that finds its page present passes the sample to the next one. It
// reports false if the thread failed.
func faultChunk(th *Thread, base uint64, pages int) bool {
	next := th.nextSampled()
	m := th.Task.MM
	for p := 0; p < pages; p++ {
		addr := base + uint64(p)*mm.PageSize
		if m.PagePresent(addr) {
			if p == next {
				next++ // sample the next touch that faults
			}
			continue
		}
		var err error
		if p == next {
			start := th.sampleStart()
			err = trap(th, addr)
			th.Sample(ClassFault, start)
			next += th.nextGap()
		} else {
			err = trap(th, addr)
		}
		if err != nil {
			th.Count(ClassFault, p)
			th.Fail(fmt.Errorf("fault at %#x: %w", addr, err))
			return false
		}
	}
	th.CountSampled(ClassFault, pages, next)
	return true
}

// peerMmap is will-it-scale's mmap1 (anonymous) and mmap2 (a private
// mapping of the thread's own file): each thread maps Size bytes and
// unmaps them again, untouched; one operation is the pair.
type peerMmap struct {
	l     layout
	kind  backing
	dir   string
	folio int
	files []*mm.File
}

func newPeerMmap(kind backing) func(Config) Workload {
	return func(cfg Config) Workload {
		return &peerMmap{l: newPeerLayout(cfg.Size), kind: kind, dir: cfg.tempDir(), folio: folioPages(cfg)}
	}
}

func (w *peerMmap) Setup(m *mm.MM, threads int) error {
	if w.kind == anonymous {
		return nil
	}
	var err error
	w.files, err = setupFiles(w.dir, threads, w.l.pages, w.folio)
	return err
}

func (w *peerMmap) Run(th *Thread) {
	mapUnmapLoop(th, w.l.mapOp(th.ID, w.files, w.kind))
}

// barrier is pft's join point: the threads of a pass wait at it until the
// last one arrives, which remaps the region and opens the next pass. Its
// words have lines of their own (every thread writes arrived once a pass).
//
// It also times each pass as pft times its one: from the first thread's
// start to the last one's end, the faulting alone (pft's fault/wsec,
// which leaves out the munmap and mmap around it); each thread stamps its
// own slot, on a line of its own, and the last to arrive reads them all.
type barrier struct {
	_       cpu.CacheLinePad
	arrived mm.Int32
	_       cpu.CacheLinePad
	gen     mm.Uint64
	_       cpu.CacheLinePad
	slots   []passSlot
}

// passSlot is one thread's start and end of the current pass, in ns of
// mm's clock, or -1 where the thread was not in the measured phase then.
// Harness state: plain words, ordered by arrived's atomic add.
type passSlot struct {
	_          cpu.CacheLinePad
	start, end int64
}

// init sizes the barrier for n threads.
func (b *barrier) init(n int) { b.slots = make([]passSlot, n) }

// stamp is th's clock reading for a pass's slot: -1 outside the measured
// phase, so that a pass the window cut is not counted.
func stamp(th *Thread) int64 {
	if !th.Measured() {
		return -1
	}
	return nanotime()
}

// begin stamps th's start of a pass.
func (b *barrier) begin(th *Thread) { b.slots[th.ID].start = stamp(th) }

// arrive stamps th's end of the pass and reports whether th is the last of
// its threads to arrive, after which it must call done and then open; the
// others wait for open with wait. It returns the pass's generation.
func (b *barrier) arrive(th *Thread) (last bool, gen uint64) {
	b.slots[th.ID].end = stamp(th)
	gen = b.gen.Load()
	if int(b.arrived.Add(1)) == th.Threads {
		b.arrived.Store(0)
		return true, gen
	}
	return false, gen
}

// done adds the pass that just ended, faults faults in all, to the last
// thread th's PassFaults and PassNs, if every thread ran it inside the
// measured phase.
func (b *barrier) done(th *Thread, faults uint64) {
	first, last := int64(math.MaxInt64), int64(0)
	for i := range b.slots {
		s := &b.slots[i]
		if s.start < 0 || s.end < 0 {
			return
		}
		first, last = min(first, s.start), max(last, s.end)
	}
	th.PassFaults += faults
	th.PassNs += last - first
}

// open ends the pass: the waiters go on.
func (b *barrier) open() { b.gen.Add(1) }

// wait waits until the pass gen is over, while running reports true: it
// yields for a while, then sleeps in short naps, as a pthread barrier's
// waiter spins briefly and then sleeps in futex(). yield is the thread's
// sched_yield() (the model's Task.Yield, which a projection charges at the
// calibrated cost, or mm.Yield). It reports whether the pass ended.
func (b *barrier) wait(gen uint64, running func() bool, yield func()) bool {
	for i := 0; b.gen.Load() == gen; i++ {
		if !running() {
			return false
		}
		if i < 200 {
			yield()
		} else {
			mm.Sleep(20_000)
		}
	}
	return true
}

// pft is mmtests' pft in threads mode (pft-threads): one anonymous mapping
// for all threads, Size bytes per thread; each thread write-faults its own
// part, every page one fault and one operation; when all are done, the last
// one unmaps the mapping and maps it again, and the next pass begins. The
// threads of one mapping share its VMA, so every per-VMA design reads one
// VMA's lock from every CPU.
type pft struct {
	l    layout
	part uint64
	cold int64 // mm.Spins.FaultCold of a pass over a thread's part
	b    barrier
}

func newPft(cfg Config) Workload {
	return &pft{l: newPeerLayout(cfg.Size), part: cfg.Size, cold: cfg.Work.ColdSpins(cfg.Size)}
}

// span is the whole mapping of threads threads.
func (w *pft) span(threads int) uint64 { return uint64(threads) * w.part }

func (w *pft) Setup(m *mm.MM, threads int) error {
	w.b.init(threads)
	return m.Setup(mm.Op{Kind: mm.OpMmap, Start: regionBase, Len: w.span(threads), Prot: rw})
}

func (w *pft) Run(th *Thread) {
	n := w.span(th.Threads)
	base := regionBase + uint64(th.ID)*w.part
	pages := int(w.part / mm.PageSize)
	th.Task.Work.FaultCold = w.cold // as peerFaults.Run
	for th.Running() {
		w.b.begin(th)
		if !faultRange(th, base, pages) {
			return
		}
		last, gen := w.b.arrive(th)
		if !last {
			if !w.b.wait(gen, th.Running, th.Task.Yield) {
				return
			}
			continue
		}
		w.b.done(th, uint64(th.Threads*pages))
		for _, op := range [...]mm.Op{{Kind: mm.OpMunmap, Start: regionBase, Len: n}, {Kind: mm.OpMmap, Start: regionBase, Len: n, Prot: rw}} {
			if err := timedWrite(th, op); err != nil {
				th.Fail(err)
				w.b.open()
				return
			}
		}
		w.b.open()
	}
}
