package workloads

import (
	"time"

	"vmabench/mm"
)

// zerocopyBatch is TCP_ZEROCOPY_PAGE_BATCH_SIZE: the pages
// tcp_zerocopy_receive() maps per vm_insert_pages() call.
const zerocopyBatch = 32

// zerocopy is the shape the 2026 helper exists for, from the callers its
// series converts (tcp_zerocopy_receive(), binder): threads 0..T-2 are
// receivers, each with a receive buffer of Pages pages of its own (the
// socket's read-only mapping); one receive is a Lookup of the buffer's VMA
// (find_tcp_vma(): under each design's idiom, mmaplock's mmap_read_lock(),
// vmaseq's and vmarefcnt's lock_vma_under_rcu() with the caller's fallback
// to mmap_read_lock(), vmawait's vma_start_read_unlocked()), the zap of the
// window it maps into (zap_page_range_single()) and a batch of page-table
// writes (vm_insert_pages()), then the release. The last thread changes the
// receivers' VMAs under the write lock: it mprotects one page of a random
// buffer to PROT_NONE (a split into three) and back (a merge), so lookups
// collide with writers. The straggler copy of tcp_zc_handle_leftover()
// runs after the release in the kernel and touches a buffer of its own,
// present after its first use: it is not modelled.
type zerocopy struct {
	l     layout
	pause time.Duration
}

func newZerocopy(cfg Config) Workload { return &zerocopy{newLayout(cfg.Pages), cfg.WriterPause} }

// zerocopyProt is a receive buffer's protection: tcp_mmap() refuses a
// writable mapping.
const zerocopyProt = mm.ProtRead

func (w *zerocopy) Setup(m *mm.MM, threads int) error {
	return w.l.mapAll(m, regionBase, threads-1, zerocopyProt)
}

func (w *zerocopy) Run(th *Thread) {
	if th.ID == th.Threads-1 {
		splitMergeLoop(th, w.l, w.pause, 0, zerocopyProt)
		return
	}
	s, t := th.Strategy, th.Task
	base := w.l.at(regionBase, th.ID)
	batch := min(zerocopyBatch, w.l.pages)
	for th.Running() {
		start := th.Begin()
		t.Interrupts()
		t.Spin(t.Work.SyscallHalf) // getsockopt(TCP_ZEROCOPY_RECEIVE)
		r, err := s.Lookup(t, base)
		if err != nil {
			th.Fail(err)
			return
		}
		// The window ends at the VMA's end (vma_len in
		// tcp_zerocopy_receive()): a split shortens it.
		n := min(batch, int((r.VMA.End()-base)/mm.PageSize))
		end := base + uint64(n)*mm.PageSize
		t.MM.ZapInserted(base, end) // zap_page_range_single() of the window
		t.ZapWork()
		mm.InsertPages(t, r.VMA, base, n)
		s.Release(t, r)
		t.Spin(t.Work.SyscallHalf)
		th.End(ClassLookup, start)
	}
}
