package explore

import (
	"errors"
	"fmt"
	"strings"

	"vmabench/mm"
	"vmabench/strategies"
)

const pg = mm.PageSize

// CallKind is which of a design's callers a scenario thread makes.
type CallKind uint8

// The callers every design offers (see strategies.Strategy).
const (
	CallFault       CallKind = iota + 1 // Fault: a user-mode page fault
	CallFaultKernel                     // FaultKernel: a fault inside a syscall
	CallLookup                          // Lookup, the VMA held across one step, then Release
	CallMadvise                         // Madvise(MADV_DONTNEED) of [Addr, End)
	CallReadMaps                        // ReadMaps: a read of /proc/pid/maps
	CallWrite                           // Write(Op): mmap, munmap, mprotect

	// The rw-semaphore's own calls, for the scenarios on a bare RWSem
	// (Scenario.RWSem): each takes the lock, holds it across a step,
	// and releases it.
	CallDownRead     // down_read(), up_read()
	CallDownWrite    // down_write(), up_write()
	CallDowngrade    // down_write(), downgrade_write(), up_read()
	CallReadTrylock  // down_read_trylock(), up_read() if taken
	CallWriteTrylock // down_write_trylock(), up_write() if taken
)

func (k CallKind) String() string {
	return [...]string{"?", "fault", "fault-kernel", "lookup", "madvise", "read-maps", "write",
		"down-read", "down-write", "downgrade", "read-trylock", "write-trylock"}[k]
}

// Call is one call of a scenario thread.
type Call struct {
	Kind      CallKind
	Addr, End uint64 // the address (Fault, FaultKernel, Lookup); the range (Madvise)
	Op        mm.Op  // Write's change
	// MM is which of the scenario's address spaces the call is in (0 or
	// 1; see Scenario.MMs).
	MM int
	// Mapped says the address is mapped whatever the other threads do,
	// so the call must succeed; otherwise mm.ErrNoVMA is allowed.
	Mapped bool
}

func (c Call) String() string {
	switch c.Kind {
	case CallWrite:
		return c.Op.String()
	case CallMadvise:
		return fmt.Sprintf("madvise [%#x, %#x)", c.Addr, c.End)
	case CallReadMaps:
		return "read-maps"
	}
	return fmt.Sprintf("%v %#x", c.Kind, c.Addr)
}

// Scenario is a short concurrent program over a small address space: each
// thread makes its calls in order, on its own virtual CPU.
type Scenario struct {
	// Name is in [a-z0-9-]+.
	Name string
	// Setup maps the initial address space, before any thread runs, in
	// every MM.
	Setup []mm.Op
	// Prefault are pages faulted once after Setup, by a thread of its own
	// outside the exploration: their VMAs have their anon_vma, so the
	// first fault takes the per-VMA path (v6.4 refuses a VMA without one).
	Prefault []uint64
	// MMs is how many address spaces share one VMA cache (0 means 1): two
	// let a VMA freed in one be reused in the other, as the kernel's slab
	// does across processes.
	MMs int
	// MMSetup, where it has an entry for an MM, maps that MM's initial
	// address space in place of Setup (an empty entry: nothing mapped);
	// Prefault skips the pages such an MM does not map.
	MMSetup map[int][]mm.Op
	Threads [][]Call
	// Small marks the scenarios small enough for exhaustive search with
	// two preemptions (or Preemptions).
	Small bool
	// Preemptions is the DFS search's preemption bound where it is not
	// two: a bug that needs the reader stopped twice inside a writer's
	// section needs three.
	Preemptions int
	// RWSem says the threads call a bare mm.RWSem (the Call*Read/Write
	// kinds), with no design around it: such a scenario runs once, as
	// the pseudo-strategy "rwsem".
	RWSem bool
	// Hold is how many accesses a bare rw-semaphore's holder makes inside
	// its critical section (0: holdSteps).
	Hold int
	// CPUs is how many CPUs the threads share (mm.Config.SimCPUs): fewer
	// than the threads, and a spin's need_resched() fires after a slice.
	// 0 gives each thread its own, where it never fires.
	CPUs int
}

// Writers reports whether any thread writes.
func (s Scenario) Writers() bool {
	for _, th := range s.Threads {
		for _, c := range th {
			if c.Kind == CallWrite {
				return true
			}
		}
	}
	return false
}

// prefaulted reports whether addr lies in a VMA of Setup that Prefault
// faulted, so it has its anon_vma before any thread runs.
func (s Scenario) prefaulted(addr uint64) bool {
	for _, op := range s.Setup {
		if op.Kind != mm.OpMmap || addr < op.Start || addr >= op.Start+op.Len {
			continue
		}
		for _, p := range s.Prefault {
			if p*pg >= op.Start && p*pg < op.Start+op.Len {
				return true
			}
		}
	}
	return false
}

// removes reports whether a write may remove a VMA (munmap, or an mprotect
// that merges), so a reader may find a detached one (vma_lock_miss).
func (s Scenario) removes() bool {
	for _, th := range s.Threads {
		for _, c := range th {
			if c.Kind == CallWrite && c.Op.Kind != mm.OpMmap {
				return true
			}
		}
	}
	return false
}

var (
	rw      = mm.ProtRead | mm.ProtWrite
	ro      = mm.ProtRead
	vmaA    = mm.Op{Kind: mm.OpMmap, Start: 4 * pg, Len: 8 * pg, Prot: rw}  // [4, 12)
	vmaB    = mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 4 * pg, Prot: rw} // [16, 20)
	splitA  = mm.Op{Kind: mm.OpMprotect, Start: 8 * pg, Len: 2 * pg, Prot: ro}
	mergeA  = mm.Op{Kind: mm.OpMprotect, Start: 8 * pg, Len: 2 * pg, Prot: rw}
	unmapA  = mm.Op{Kind: mm.OpMunmap, Start: 4 * pg, Len: 8 * pg}
	remapA  = mm.Op{Kind: mm.OpMmap, Start: 4 * pg, Len: 8 * pg, Prot: rw}
	mapC    = mm.Op{Kind: mm.OpMmap, Start: 24 * pg, Len: 2 * pg, Prot: rw}
	unmapC  = mm.Op{Kind: mm.OpMunmap, Start: 24 * pg, Len: 2 * pg}
	fault   = func(page uint64) Call { return Call{Kind: CallFault, Addr: page * pg} }
	faultK  = func(page uint64) Call { return Call{Kind: CallFaultKernel, Addr: page * pg} }
	lookup  = func(page uint64) Call { return Call{Kind: CallLookup, Addr: page * pg} }
	write   = func(op mm.Op) Call { return Call{Kind: CallWrite, Op: op} }
	mapped  = func(c Call) Call { c.Mapped = true; return c }
	inMM    = func(m int, c Call) Call { c.MM = m; return c }
	madvise = func(from, to uint64) Call { return Call{Kind: CallMadvise, Addr: from * pg, End: to * pg} }
	maps    = Call{Kind: CallReadMaps}
	// VMA N [12, 16), read-only: A's neighbour, not merged with it.
	vmaN    = mm.Op{Kind: mm.OpMmap, Start: 12 * pg, Len: 4 * pg, Prot: ro}
	mergeN  = mm.Op{Kind: mm.OpMprotect, Start: 12 * pg, Len: 4 * pg, Prot: rw} // N joins A: [4, 16)
	split5  = mm.Op{Kind: mm.OpMprotect, Start: 5 * pg, Len: pg, Prot: ro}
	vmaD    = mm.Op{Kind: mm.OpMmap, Start: 20 * pg, Len: 4 * pg, Prot: ro} // [20, 24), after B
	unmapBD = mm.Op{Kind: mm.OpMunmap, Start: 16 * pg, Len: 8 * pg}
	unmapB  = mm.Op{Kind: mm.OpMunmap, Start: 16 * pg, Len: 4 * pg}
	map0    = mm.Op{Kind: mm.OpMmap, Start: 0, Len: 2 * pg, Prot: rw}       // [0, 2), below A
	map12   = mm.Op{Kind: mm.OpMmap, Start: 12 * pg, Len: 2 * pg, Prot: ro} // [12, 14), after A
	map18   = mm.Op{Kind: mm.OpMmap, Start: 18 * pg, Len: 2 * pg, Prot: rw} // [18, 20)
)

// Scenarios are the programs every design is explored on, smallest first.
// Their addresses are pages; VMA A is [4, 12), B [16, 20).
var Scenarios = []Scenario{
	{Name: "fault-split", Small: true, Setup: []mm.Op{vmaA},
		Threads: [][]Call{{fault(5), fault(9)}, {write(splitA)}}},
	{Name: "lookup-split", Small: true, Setup: []mm.Op{vmaA}, Prefault: []uint64{4},
		Threads: [][]Call{{mapped(lookup(5))}, {write(splitA)}}},
	{Name: "fault-munmap", Small: true, Setup: []mm.Op{vmaA, vmaB}, Prefault: []uint64{4, 16},
		Threads: [][]Call{{fault(5), mapped(fault(17))}, {write(unmapA)}}},
	{Name: "fault-split-merge", Setup: []mm.Op{vmaA}, Prefault: []uint64{4},
		Threads: [][]Call{{fault(9), fault(5), fault(9)}, {write(splitA), write(mergeA)}}},
	{Name: "lookup-munmap-remap", Setup: []mm.Op{vmaA, vmaB}, Prefault: []uint64{4},
		Threads: [][]Call{{lookup(5), mapped(lookup(17))}, {write(unmapA), write(remapA)}}},
	{Name: "kernel-fault-split", Setup: []mm.Op{vmaA},
		Threads: [][]Call{{faultK(9), mapped(faultK(5))}, {write(splitA), write(mergeA)}}},
	{Name: "madvise-split", Setup: []mm.Op{vmaA, vmaB}, Prefault: []uint64{4, 16},
		Threads: [][]Call{{fault(9), madvise(8, 10), mapped(madvise(16, 18))}, {write(splitA)}}},
	{Name: "maps-mmap-munmap", Setup: []mm.Op{vmaA, vmaB},
		Threads: [][]Call{{maps, maps}, {write(mapC), write(unmapC)}}},
	{Name: "two-writers-fault", Setup: []mm.Op{vmaA, vmaB}, Prefault: []uint64{4},
		Threads: [][]Call{{fault(9), fault(9)}, {write(splitA), write(mergeA)}, {write(mapC), write(unmapC)}}},
	{Name: "readers-split", Setup: []mm.Op{vmaA}, Prefault: []uint64{4},
		Threads: [][]Call{{lookup(9), fault(5)}, {fault(9), fault(9)}, {write(splitA), write(mergeA)}}},
	{Name: "cross-mm-reuse", MMs: 2, Setup: []mm.Op{vmaA}, Prefault: []uint64{4},
		Threads: [][]Call{{fault(5)}, {write(unmapA)}, {inMM(1, write(mapC)), inMM(1, mapped(fault(24)))}}},
	// A reader's reference taken between the writer's vma_start_write()
	// and its vma_mark_detached(), and held across the detach: the
	// reader passes the early check before the write lock, increments
	// after it, and is stopped again before it puts the reference, three
	// preemptions (two-thread DFS with three is exhaustive in about
	// 25,000 schedules).
	{Name: "lookup-munmap-detach", Small: true, Preemptions: 3, Setup: []mm.Op{vmaA, vmaB}, Prefault: []uint64{4, 16},
		Threads: [][]Call{{lookup(5)}, {write(unmapA)}}},
	// A VMA freed in MM 0 and reused in MM 1 at the same addresses, so
	// that only vma_start_read()'s vm_mm re-check tells a reader of MM 0
	// it holds another process's VMA (the range re-check passes).
	{Name: "cross-mm-same-range", Small: true, MMs: 2, Setup: []mm.Op{vmaA}, MMSetup: map[int][]mm.Op{1: {}}, Prefault: []uint64{4},
		Threads: [][]Call{{fault(5)}, {write(unmapA)}, {inMM(1, write(remapA)), inMM(1, mapped(fault(5)))}}},
	// No writer at all: nothing is ever write-locked, so every user fault
	// of a VMA with its anon_vma succeeds on the per-VMA path, and none
	// returns VM_FAULT_RETRY (mmap_read_trylock() cannot fail); A's first
	// fault prepares its anon_vma, under mmap_lock.
	{Name: "faults-no-writer", Small: true, Setup: []mm.Op{vmaA, vmaB}, Prefault: []uint64{16},
		Threads: [][]Call{{fault(5), mapped(fault(17))}, {fault(9), mapped(fault(18))}}},
	// Two writers on one VMA: the second's vma_start_write() must find
	// the VMA write-locked only while the first's section lasts
	// (vma_end_write_all() before mmap_write_unlock()).
	{Name: "two-writers-one-vma", Small: true, Setup: []mm.Op{vmaA}, Prefault: []uint64{4},
		Threads: [][]Call{{write(splitA)}, {write(split5)}}},
	// The same beside a reader of that VMA.
	{Name: "two-writers-one-vma-reader", Setup: []mm.Op{vmaA}, Prefault: []uint64{4},
		Threads: [][]Call{{fault(9), fault(5)}, {write(splitA)}, {write(split5)}}},
	// madvise(MADV_DONTNEED) across A and its neighbour N while a writer
	// merges N into A: the per-VMA path may take A's lock for a range
	// inside A alone.
	{Name: "madvise-neighbour-merge", Small: true, Setup: []mm.Op{vmaA, vmaN}, Prefault: []uint64{4, 12},
		Threads: [][]Call{{fault(9), mapped(madvise(10, 14)), mapped(fault(13))}, {write(mergeN)}}},
	// A maps read that has shown A while the VMA after it, B, is freed
	// and reused below A: lock_next_vma() must not show it behind the
	// read's position.
	{Name: "maps-reuse-below", Small: true, Setup: []mm.Op{vmaA, vmaB},
		Threads: [][]Call{{maps}, {write(unmapB), write(map0)}}},
	// B and D freed and reused, D's VMA at [12, 14) before B's at
	// [18, 20): a read that found B after A must not show B's new range
	// and skip the VMA mapped before it (lock_next_vma()'s gap check).
	{Name: "maps-reuse-gap", Small: true, Setup: []mm.Op{vmaA, vmaB, vmaD},
		Threads: [][]Call{{maps}, {write(unmapBD), write(map12), write(map18)}}},
}

// ErrUnexpected is wrapped by an error a call should not have returned.
var ErrUnexpected = errors.New("unexpected error")

// do makes call c on s for task t, and checks what it returned and how it
// counted (the lock statistics' arithmetic). hold is called while a
// Lookup holds its VMA, with the Ref, so the caller can check it and make
// scheduling points; it returns false to end the hold early (never here).
//
// fallbacks counts t's faults that took mmap_lock (lock_mm_and_find_vma(),
// mm.PointFaultLocked), for the arithmetic of what each counter means.
func do(s strategies.Strategy, info strategies.Info, sc Scenario, t *mm.Task, c Call, fallbacks *int, hold func(strategies.Ref)) error {
	before, fb := t.Stats, *fallbacks
	var err error
	var ref strategies.Ref
	switch c.Kind {
	case CallFault:
		err = s.Fault(t, c.Addr)
	case CallFaultKernel:
		err = s.FaultKernel(t, c.Addr)
	case CallLookup:
		ref, err = s.Lookup(t, c.Addr)
		if err == nil {
			hold(ref)
			s.Release(t, ref)
		}
	case CallMadvise:
		err = s.Madvise(t, c.Addr, c.End)
	case CallReadMaps:
		_, err = s.ReadMaps(t)
	case CallWrite:
		err = s.Write(t, c.Op)
	}
	switch {
	case err == nil:
	case errors.Is(err, mm.ErrNoVMA) && !c.Mapped:
	case errors.Is(err, mm.ErrConcurrentWriter) && info.Unsafe:
		// nolock's writers meeting: Prepare refused the second and
		// counted a violation, which the run reports.
	default:
		return fmt.Errorf("thread %d: %v: %w: %w", t.ID, c, ErrUnexpected, err)
	}
	return countsAddUp(info, sc, t, c, t.Stats.Sub(before), *fallbacks-fb, err, ref)
}

// countsAddUp is the lock statistics' arithmetic: every user-mode fault of
// a per-VMA design ends in exactly one of vma_lock_success, _abort and
// _retry, and takes mmap_lock (fallbacks, lock_mm_and_find_vma()) exactly
// when it counted an abort or a retry; a retry needs a writer (it is a
// failed mmap_read_trylock()), and v6.4, which refuses a VMA without
// anon_vma up front, never retries; with no writer in the scenario, a
// fault of a VMA that has its anon_vma succeeds; a kernel-mode fault takes
// mmap_lock once; a Lookup or madvise counts at most one abort and no
// success or retry, and a Lookup's abort is its fall-back to mmap_lock
// (before 2026), while a design whose Lookup never falls back never
// returns holding it; a write and a maps read count nothing; a miss needs
// a writer that removes VMAs; designs without per-VMA locks count nothing.
func countsAddUp(info strategies.Info, sc Scenario, t *mm.Task, c Call, d mm.Stats, fallbacks int, err error, ref strategies.Ref) error {
	bad := func(want string) error {
		return fmt.Errorf("thread %d: %v counted vma_lock success %d, abort %d, retry %d, miss %d, took mmap_lock for %d faults: %s",
			t.ID, c, d.VMALockSuccess, d.VMALockAbort, d.VMALockRetry, d.VMALockMiss, fallbacks, want)
	}
	if !info.Expect.PerVMA {
		if d.VMALockSuccess+d.VMALockAbort+d.VMALockRetry+d.VMALockMiss != 0 {
			return bad("a design without per-VMA locks counts no vma_lock_* event")
		}
		return nil
	}
	if d.VMALockMiss != 0 && !sc.removes() {
		return bad("a miss needs a detached VMA, and no thread removes one")
	}
	switch c.Kind {
	case CallFault:
		if d.VMALockSuccess+d.VMALockAbort+d.VMALockRetry != 1 {
			return bad("a fault ends in exactly one of success, abort and retry")
		}
		if want := int(d.VMALockAbort + d.VMALockRetry); fallbacks != want {
			return bad("a fault takes mmap_lock exactly when it aborts or retries: vma_lock_success is a fault handled under the VMA lock alone")
		}
		if d.VMALockRetry != 0 && !sc.Writers() {
			return bad("a retry is a failed mmap_read_trylock(), and no thread writes")
		}
		if d.VMALockRetry != 0 && info.Expect.AbortsWithoutAnonVMA {
			return bad("v6.4's lock_vma_under_rcu() refuses a VMA without anon_vma, so its handler never retries")
		}
		if d.VMALockSuccess != 1 && !sc.Writers() && sc.prefaulted(c.Addr) {
			return bad("with no writer nothing is write-locked: a fault of a VMA with its anon_vma succeeds on the per-VMA path")
		}
	case CallFaultKernel:
		if d.VMALockSuccess+d.VMALockAbort+d.VMALockRetry+d.VMALockMiss != 0 || fallbacks != 1 {
			return bad("a kernel-mode fault goes to lock_mmap: mmap_lock once, no vma_lock_* event")
		}
	case CallLookup:
		if d.VMALockSuccess+d.VMALockRetry != 0 || d.VMALockAbort > 1 {
			return bad("a lookup counts at most one abort, and no success or retry")
		}
		if err == nil && !info.Expect.LookupNeverFallsBack && (d.VMALockAbort == 1) != ref.MmapLocked {
			return bad(fmt.Sprintf("a lookup's abort is its fall-back to mmap_lock (fell back: %v)", ref.MmapLocked))
		}
		if err == nil && info.Expect.LookupNeverFallsBack && ref.MmapLocked {
			return bad("this design's lookup returns a read-locked VMA with no mmap_lock held, never the fall-back")
		}
	case CallMadvise:
		if d.VMALockSuccess+d.VMALockRetry != 0 || d.VMALockAbort > 1 {
			return bad("madvise counts at most one abort, and no success or retry")
		}
	default:
		if d.VMALockSuccess+d.VMALockAbort+d.VMALockRetry+d.VMALockMiss != 0 {
			return bad("only user-mode faults, lookups and madvise count vma_lock_* events")
		}
	}
	return nil
}

// describeThreads names each thread's calls, for a report.
func describeThreads(sc Scenario) string {
	var b strings.Builder
	for i, th := range sc.Threads {
		fmt.Fprintf(&b, "  CPU %d:", i)
		for j, c := range th {
			if j > 0 {
				b.WriteByte(';')
			}
			fmt.Fprintf(&b, " %v", c)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
