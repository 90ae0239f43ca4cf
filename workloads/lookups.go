package workloads

import (
	"fmt"
	"time"

	"vmabench/mm"
	"vmabench/strategies"
)

// lookups: each thread looks up its own VMA and walks its page-table entries
// under mmap_read_lock, as mincore() does: a pure mmap_lock reader. One
// operation is one call. With writer set (lookups-mmap), the last thread
// maps and unmaps regions no reader uses instead, as in faults-mmap, so the
// readers meet the writer on mmap_lock alone.
//
// The lookup takes mmap_lock whatever the design, not the design's Lookup:
// mincore() of v6.18 (mm/mincore.c) still takes mmap_read_lock() around
// do_mincore() (vma_lookup(), walk_page_range_vma()), as it did before per-VMA
// locks. So every design runs this workload the same way, and it measures
// the mmap_lock rwsem itself.
type lookups struct {
	l      layout
	writer bool
	pause  time.Duration
}

func newLookups(cfg Config) Workload { return &lookups{l: newLayout(cfg.Pages)} }

func newLookupsMmap(cfg Config) Workload {
	return &lookups{l: newLayout(cfg.Pages), writer: true, pause: cfg.WriterPause}
}

func (w *lookups) readers(threads int) int {
	if w.writer {
		return threads - 1
	}
	return threads
}

func (w *lookups) Setup(m *mm.MM, threads int) error {
	return w.l.mapAll(m, regionBase, w.readers(threads), rw)
}

func (w *lookups) Run(th *Thread) {
	if w.writer && th.ID == th.Threads-1 {
		writeLoop(th, w.pause, churn(w.l, w.l.at(regionBase, th.Threads), churnSlots))
		return
	}
	base := w.l.at(regionBase, th.ID)
	for th.Running() {
		start := th.Begin()
		if err := Mincore(th.Task, base, w.l.span); err != nil {
			th.Fail(err)
			return
		}
		th.End(ClassLookup, start)
	}
}

// Mincore models the mincore() system call on [base, base+n): outside the
// lock, the syscall's entry and exit and its page buffer
// (__get_free_page(), free_page(), copy_to_user()); under mmap_read_lock,
// do_mincore(): vma_lookup() and the walk of the VMA's page-table entries.
// t's thread must not hold mmap_lock.
func Mincore(t *mm.Task, base, n uint64) error {
	m := t.MM
	t.Interrupts()
	out := t.Work.SyscallHalf + t.Work.MincoreOutHalf
	t.Spin(out)
	strategies.MmapReadLock(t, m)
	v := m.FindVMA(base) // vma_lookup()
	if v == nil {
		strategies.MmapReadUnlock(t, m)
		return fmt.Errorf("mincore at %#x: %w", base, mm.ErrNoVMA)
	}
	gen := t.AssertStable(v, base)
	end := min(v.End(), base+n)
	present := m.PresentIn(base, end)         // walk_page_range_vma()
	t.Spin(t.Work.Mincore + int64(present&0)) // present&0: the walk's result is used
	t.AssertUnchanged(v, gen)
	strategies.MmapReadUnlock(t, m)
	t.Spin(out)
	return nil
}
