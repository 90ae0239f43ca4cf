package workloads

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync/atomic"
	"unsafe"

	"vmabench/kernel"
	"vmabench/mm"
)

// livePeer is the live form of the field's shapes: each thread's mapping,
// made where the kernel chooses, and each thread's file for the file
// shapes, made as will-it-scale makes it (kernel.TempFile).
type livePeer struct {
	liveBase
	kind  backing
	dir   string
	size  uint64
	files []*os.File
}

func (w *livePeer) setupPeer(threads int) error {
	// No slots: the threads map where the kernel chooses (mmap). The
	// region holds only the model's layout for the layout test.
	if err := w.setup(uint64(threads)*w.l.slot+PMDSize, threads); err != nil {
		return err
	}
	if w.kind != anonymous {
		fs, err := kernel.StatFS(w.dir)
		if err != nil {
			return err
		}
		if need := w.size * uint64(threads); fs.Free < need {
			return fmt.Errorf("temp dir %s (%s): %d files of %d MiB need %d MiB, %d MiB free: %w (set TMPDIR to another directory)",
				w.dir, fs.Name, threads, w.size>>20, need>>20, fs.Free>>20, kernel.ErrNoRoom)
		}
		for range threads {
			f, err := kernel.TempFile(w.dir, w.size)
			if err != nil {
				return err
			}
			w.files = append(w.files, f)
		}
	}
	return w.region.Trim()
}

// warm brings each thread's file to the state the peer's testcase measures
// it in, after its first pass (will-it-scale warms up for 5 s): every page
// in the page cache, and for a shared mapping dirty, with the file
// system's reservation made (->page_mkwrite() on a clean page). A cell's
// window is too short for its first pass, which reads every hole into the
// page cache, to be the small part of it that it is in the peer's run.
func (w *livePeer) warm() error {
	buf := make([]byte, 1<<20)
	for _, f := range w.files {
		if w.kind == sharedFile {
			p, err := kernel.MmapFile(nil, uintptr(w.size), liveRW, f, true)
			if err != nil {
				return fmt.Errorf("warming the page cache of a file in %s: %w", w.dir, err)
			}
			mem := unsafe.Slice((*byte)(p), w.size)
			for off := 0; off < len(mem); off += mm.PageSize {
				mem[off] = 0
			}
			if err := kernel.Munmap(p, uintptr(w.size)); err != nil {
				return err
			}
			continue
		}
		for off := int64(0); off < int64(w.size); off += int64(len(buf)) {
			if _, err := f.ReadAt(buf, off); err != nil {
				return fmt.Errorf("warming the page cache of a file in %s: %w", w.dir, err)
			}
		}
	}
	return nil
}

// mmap maps thread id's mapping where the kernel chooses, as the peer's
// mmap(NULL, ...) does: get_unmapped_area()'s search for a 2 MiB-aligned
// gap (thp_get_unmapped_area()) is part of the peer's cost, and a hint
// skips it (128 MiB anonymous mmap and munmap pairs took 4.1 µs at a free
// hint against 5.8 µs without, in one run on this machine, load 18).
func (w *livePeer) mmap(lt *liveTask, id int) error {
	if w.kind == anonymous {
		return lt.mmap(nil, uintptr(w.size))
	}
	p, err := kernel.MmapFile(nil, uintptr(w.size), liveRW, w.files[id], w.kind == sharedFile)
	if err != nil {
		return fmt.Errorf("mmap(%d bytes of a file in %s): %w", w.size, w.dir, err)
	}
	lt.mapped, lt.mappedLen = p, uintptr(w.size)
	return nil
}

func (w *livePeer) Close() error {
	err := w.liveBase.Close()
	for _, f := range w.files {
		err = errors.Join(err, f.Close())
	}
	return err
}

// catchFault turns a fault on a mapping into th's error instead of a crash:
// a write to a file mapping whose file system cannot allocate the page
// (ENOSPC, EIO) is a SIGBUS, which debug.SetPanicOnFault makes a panic this
// recovers. Any other panic goes on. Call it deferred, after
// debug.SetPanicOnFault(true).
func catchFault(th *Thread, dir string) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(interface{ Addr() uintptr }); ok {
		th.Fail(fmt.Errorf("a write to the file mapping at %#x faulted (SIGBUS: the file system of %s could not back the page; is it full?): %v", e.Addr(), dir, r))
		return
	}
	panic(r)
}

// livePageFault is page_fault1-3 on the live kernel: each thread maps its
// Size bytes (anonymous; its file private; shared), writes one byte to
// every page, each write a page fault, and unmaps them, as will-it-scale's
// testcase does: with no madvise, so the host's transparent huge page
// setting applies as it does to the peer (with "always", an anonymous
// mapping faults 2 MiB at a time: the rates would then differ from the
// models', which fault base pages).
type livePageFault struct{ livePeer }

var _ Live = (*livePageFault)(nil)

func newLivePageFault(kind backing) func(Config) Live {
	return func(cfg Config) Live {
		return &livePageFault{livePeer{liveBase: liveBase{l: newPeerLayout(cfg.Size)}, kind: kind, dir: cfg.tempDir(), size: cfg.Size}}
	}
}

func (w *livePageFault) Setup(threads int) error {
	if err := w.setupPeer(threads); err != nil {
		return err
	}
	return w.warm()
}

func (w *livePageFault) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	defer catchFault(th, w.dir)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	for lt.running() {
		if err := w.mmap(lt, th.ID); err != nil {
			th.Fail(err)
			return
		}
		mem := unsafe.Slice((*byte)(lt.mapped), lt.mappedLen)
		done := lt.touchRange(mem)
		if err := lt.munmap(); err != nil {
			th.Fail(err)
			return
		}
		if !done {
			return
		}
	}
}

// touchRange writes one byte to every page of mem in order, each a page
// fault, counting each as one operation and checking running every page
// table's worth of pages: faultRange on the live kernel. It reports false
// if the thread stopped.
func (lt *liveTask) touchRange(mem []byte) bool {
	th := lt.th
	const chunk = mm.PTEsPerTable * mm.PageSize
	for off := 0; off < len(mem); off += chunk {
		if !lt.running() {
			return false
		}
		end := min(off+chunk, len(mem))
		for p := off; p < end; p += mm.PageSize {
			start := th.Begin()
			mem[p] = 1
			th.End(ClassFault, start)
		}
	}
	return true
}

// liveMmapPeer is mmap1 and mmap2 on the live kernel: each thread maps its
// Size bytes (anonymous, or its file private) and unmaps them, untouched;
// one operation is the pair.
type liveMmapPeer struct{ livePeer }

var _ Live = (*liveMmapPeer)(nil)

func newLiveMmapPeer(kind backing) func(Config) Live {
	return func(cfg Config) Live {
		return &liveMmapPeer{livePeer{liveBase: liveBase{l: newPeerLayout(cfg.Size)}, kind: kind, dir: cfg.tempDir(), size: cfg.Size}}
	}
}

func (w *liveMmapPeer) Setup(threads int) error { return w.setupPeer(threads) }

func (w *liveMmapPeer) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	for lt.running() {
		start := th.BeginSlow()
		if err := w.mmap(lt, th.ID); err != nil {
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

// livePft is pft on the live kernel: one anonymous mapping of Size bytes
// per thread, each thread writing to every page of its part; the last to
// finish unmaps it and maps it again (at the same hint) for the next pass.
type livePft struct {
	liveBase
	part uint64
	hint unsafe.Pointer
	mem  atomic.Pointer[byte] // the current mapping
	b    barrier
}

var _ Live = (*livePft)(nil)

func newLivePft(cfg Config) Live {
	return &livePft{liveBase: liveBase{l: newPeerLayout(cfg.Size)}, part: cfg.Size}
}

func (w *livePft) Setup(threads int) error {
	n := uint64(threads) * w.part
	if err := w.setup(n+PMDSize, threads); err != nil {
		return err
	}
	w.b.init(threads)
	w.alignOrigin()
	w.hint = w.region.At(w.origin)
	if err := w.region.Trim(); err != nil {
		return err
	}
	p, err := kernel.Mmap(w.hint, uintptr(n), liveRW)
	if err != nil {
		return fmt.Errorf("mmap(%d bytes): %w", n, err)
	}
	w.mem.Store((*byte)(p))
	// Close unmaps it as the last mapping thread 0 held.
	w.tasks[0].mapped, w.tasks[0].mappedLen = p, uintptr(n)
	return nil
}

func (w *livePft) Run(th *Thread) {
	lt := w.task(th)
	defer lt.end()
	n := uintptr(th.Threads) * uintptr(w.part)
	for lt.running() {
		part := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(w.mem.Load()), uintptr(th.ID)*uintptr(w.part))), w.part)
		w.b.begin(th)
		if !lt.touchRange(part) {
			return
		}
		last, gen := w.b.arrive(th)
		if !last {
			if !w.b.wait(gen, lt.running, mm.Yield) {
				return
			}
			continue
		}
		w.b.done(th, uint64(n/mm.PageSize))
		t0 := w.tasks[0]
		if err := kernel.Munmap(unsafe.Pointer(w.mem.Load()), n); err != nil {
			th.Fail(fmt.Errorf("munmap(%d bytes): %w", n, err))
			w.b.open()
			return
		}
		t0.mapped = nil
		p, err := kernel.Mmap(w.hint, n, liveRW)
		if err != nil {
			th.Fail(fmt.Errorf("mmap(%d bytes): %w", n, err))
			w.b.open()
			return
		}
		w.mem.Store((*byte)(p))
		t0.mapped = p
		w.b.open()
	}
}
