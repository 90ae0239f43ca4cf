package workloads

import (
	"fmt"
	"time"

	"vmabench/mm"
)

// nestedFault: threads 0..T-2 each hold their VMA A with Lookup and, while
// holding it, fault a page of the VMA B just below it (copy_from_user()
// inside a syscall: a kernel-mode fault, which takes mmap_read_lock() in
// every design). The last thread mprotects: with TouchHeld, one page either
// side of a random reader's B/A boundary (so it write-locks B, then waits for
// A's readers) and back; otherwise a VMA C no reader uses.
//
// Under mmaplock the nested fault takes mmap_lock again behind the queued
// writer and deadlocks. The per-VMA designs avoid that with an unrelated
// writer, since their Lookup holds only A's lock, but not with TouchHeld:
// the nested fault waits for mmap_lock, which the writer holds while it
// waits for A.
//
// Each reader first touches A from user space (its buffer, as a syscall's
// caller would fill it), so A has its anon_vma and v6.4's
// lock_vma_under_rcu() does not refuse it.
type nestedFault struct {
	l         layout // each slot holds B then A
	pages     int
	touchHeld bool
	pause     time.Duration
}

func newNestedFault(cfg Config) Workload {
	return &nestedFault{newLayout(2 * cfg.Pages), cfg.Pages, cfg.TouchHeld, cfg.WriterPause}
}

func (w *nestedFault) span() uint64 { return uint64(w.pages) * mm.PageSize }

// b and a return reader i's two VMAs.
func (w *nestedFault) b(i int) uint64 { return w.l.at(regionBase, i) }
func (w *nestedFault) a(i int) uint64 { return w.b(i) + w.span() }
func (w *nestedFault) c(threads int) uint64 {
	return w.l.at(regionBase, threads)
}

func (w *nestedFault) Setup(m *mm.MM, threads int) error {
	for i := 0; i < threads-1; i++ {
		for _, op := range []mm.Op{
			{Kind: mm.OpMmap, Start: w.b(i), Len: w.span(), Prot: mm.ProtRead},
			{Kind: mm.OpMmap, Start: w.a(i), Len: w.span(), Prot: rw},
		} {
			if err := m.Setup(op); err != nil {
				return err
			}
		}
	}
	return m.Setup(mm.Op{Kind: mm.OpMmap, Start: w.c(threads), Len: w.span(), Prot: rw})
}

func (w *nestedFault) Run(th *Thread) {
	if th.ID == th.Threads-1 {
		writeLoop(th, w.pause, w.writer(th))
		return
	}
	s, t := th.Strategy, th.Task
	held := w.a(th.ID) + w.span() - mm.PageSize // A's last page: never split off
	if err := s.Fault(t, held); err != nil {
		th.Fail(fmt.Errorf("fault at %#x: %w", held, err))
		return
	}
	for th.Running() {
		start := th.Begin()
		r, err := s.Lookup(t, held)
		if err != nil {
			th.Fail(fmt.Errorf("lookup at %#x: %w", held, err))
			return
		}
		gen := t.AssertStable(r.VMA, held)
		// copy_from_user() on B, below the page the writer splits off.
		addr := w.b(th.ID) + uint64(th.Rand.IntN(w.pages-1))*mm.PageSize
		if err := s.FaultKernel(t, addr); err != nil {
			th.Fail(fmt.Errorf("nested fault at %#x: %w", addr, err))
			return
		}
		t.AssertUnchanged(r.VMA, gen)
		s.Release(t, r)
		th.End(ClassLookup, start)
	}
}

// writer returns the writer's sequence of changes.
func (w *nestedFault) writer(th *Thread) func() mm.Op {
	step := 0
	if !w.touchHeld {
		c := w.c(th.Threads) + mm.PageSize
		return func() mm.Op {
			step++
			if step%2 == 1 {
				return mm.Op{Kind: mm.OpMprotect, Start: c, Len: mm.PageSize, Prot: mm.ProtRead}
			}
			return mm.Op{Kind: mm.OpMprotect, Start: c, Len: mm.PageSize, Prot: rw}
		}
	}
	var i int
	return func() mm.Op {
		step++
		switch step % 3 {
		case 1: // B's last page and A's first: write-locks B, then A
			i = th.Rand.IntN(th.Threads - 1)
			return mm.Op{Kind: mm.OpMprotect, Start: w.a(i) - mm.PageSize, Len: 2 * mm.PageSize, Prot: mm.ProtRead | mm.ProtExec}
		case 2: // merge B back
			return mm.Op{Kind: mm.OpMprotect, Start: w.a(i) - mm.PageSize, Len: mm.PageSize, Prot: mm.ProtRead}
		default: // merge A back
			return mm.Op{Kind: mm.OpMprotect, Start: w.a(i), Len: mm.PageSize, Prot: rw}
		}
	}
}
