package strategies

import (
	"errors"
	"fmt"

	"vmabench/mm"
)

// Checker is implemented by a design that can check its end-of-run
// invariants: once every thread has stopped, each lock is back in its idle
// state. A strategy without it (nolock, which has no lock state) is not
// checked; callers find it by type assertion:
//
//	if c, ok := s.(strategies.Checker); ok { err = c.CheckIdle() }
type Checker interface {
	// CheckIdle returns every broken invariant, joined (errors.Join), or
	// nil. Call it only while no thread runs on the strategy. It faults
	// once on every VMA, which maps a page; the caller's counters are not
	// touched.
	CheckIdle() error
}

var (
	_ Checker = (*MmapLock)(nil)
	_ Checker = (*VMASeq)(nil)
	_ Checker = (*VMARefcnt)(nil)
	_ Checker = (*VMAWait)(nil)
)

// maxIdleErrors bounds how many broken invariants CheckIdle reports.
const maxIdleErrors = 8

// idleErrors collects broken invariants, up to maxIdleErrors.
type idleErrors []error

func (e *idleErrors) add(format string, args ...any) {
	if len(*e) < maxIdleErrors {
		*e = append(*e, fmt.Errorf(format, args...))
	}
}

func (e idleErrors) err() error { return errors.Join(e...) }

// rwsemFree reports whether the rw-semaphore l is free: no reader, no
// writer, no waiter (its count word is zero).
func rwsemFree(l *mm.RWSem) bool { return l.Idle() }

// checkMM checks what every design shares: a well-formed tree and a free
// mmap_lock.
func checkMM(e *idleErrors, m *mm.MM) {
	if err := m.Validate(); err != nil {
		e.add("tree: %w", err)
	}
	if !rwsemFree(&m.MmapLock) {
		e.add("mmap_lock held or waited for at rest")
	}
}

// checkFaults faults once on every VMA of s with a task of its own and
// checks how the fault went: on the per-VMA path with no fallback
// (vma_lock_success only) if perVMA, with no vma_lock_* event otherwise,
// and with no checker violation. A VMA whose anon_vma is not prepared yet
// is faulted once before, since its first fault may need mmap_lock.
func checkFaults(e *idleErrors, s Strategy, perVMA bool) {
	m := s.MM()
	t := mm.NewTask(m, -1, 0)
	for _, v := range m.VMAs() {
		addr := v.Start()
		if !v.HasAnonVMA() {
			if err := s.Fault(t, addr); err != nil {
				e.add("fault at %#x: %w", addr, err)
				continue
			}
		}
		before := t.Stats
		if err := s.Fault(t, addr); err != nil {
			e.add("fault at %#x: %w", addr, err)
			continue
		}
		d := t.Stats.Sub(before)
		want := uint64(0)
		if perVMA {
			want = 1
		}
		if d.VMALockSuccess != want || d.VMALockAbort+d.VMALockRetry+d.VMALockMiss != 0 {
			e.add("fault at %#x at rest: vma_lock success %d, abort %d, retry %d, miss %d; want success %d only",
				addr, d.VMALockSuccess, d.VMALockAbort, d.VMALockRetry, d.VMALockMiss, want)
		}
	}
	if t.Stats.Violations != 0 {
		e.add("fault at rest: %s", t.FirstViolation())
	}
}

// CheckIdle checks mmaplock at rest: the tree is well formed, mmap_lock is
// free, no VMA in the tree is marked detached, and a fault on every VMA
// succeeds counting no vma_lock_* event.
func (s *MmapLock) CheckIdle() error {
	var e idleErrors
	checkMM(&e, s.mm)
	for _, v := range s.mm.VMAs() {
		if v.Detached.Load() {
			e.add("VMA [%#x, %#x) in the tree is detached", v.Start(), v.End())
		}
	}
	if len(e) == 0 {
		checkFaults(&e, s, false)
	}
	return e.err()
}

// CheckIdle checks vmaseq at rest: besides what mmaplock's check holds,
// every VMA in the tree is attached, its rwsem is free and it is not
// write-locked (vm_lock_seq != mm_lock_seq: vma_end_write_all() ran), and a
// fault on every VMA succeeds on the per-VMA path.
func (s *VMASeq) CheckIdle() error {
	var e idleErrors
	checkMM(&e, s.mm)
	seq := s.mm.LockSeq.Load()
	for _, v := range s.mm.VMAs() {
		switch {
		case v.Detached.Load():
			e.add("VMA [%#x, %#x) in the tree is detached", v.Start(), v.End())
		case !rwsemFree(v.Lock):
			e.add("VMA [%#x, %#x): vma->lock held or waited for at rest", v.Start(), v.End())
		case v.LockSeq.Load() == seq:
			e.add("VMA [%#x, %#x) still write-locked at rest: vm_lock_seq == mm_lock_seq == %d", v.Start(), v.End(), seq)
		}
	}
	if len(e) == 0 {
		checkFaults(&e, s, true)
	}
	return e.err()
}

// CheckIdle checks vmarefcnt (and vmawait) at rest: besides what mmaplock's
// check holds, mm_lock_seq is even (no write section open), every VMA in
// the tree has vm_refcnt 1 (attached, no reader, no writer's flag) and is
// not write-locked, every VMA freed to the cache has vm_refcnt 0
// (detached), and a fault on every VMA succeeds on the per-VMA path.
func (s *VMARefcnt) CheckIdle() error {
	var e idleErrors
	checkMM(&e, s.mm)
	seq := s.mm.LockSeq.Load()
	if seq%2 != 0 {
		e.add("mm_lock_seq %d is odd at rest: a write section never ended", seq)
	}
	for _, v := range s.mm.VMAs() {
		switch r := v.Refcnt.Load(); {
		case r != 1:
			e.add("VMA [%#x, %#x): vm_refcnt %#x at rest, want 1", v.Start(), v.End(), r)
		case v.LockSeq.Load() == seq:
			e.add("VMA [%#x, %#x) still write-locked at rest: vm_lock_seq == mm_lock_seq == %d", v.Start(), v.End(), seq)
		}
	}
	for _, v := range s.mm.Cache().Freed() {
		if r := v.Refcnt.Load(); r != 0 {
			e.add("freed VMA: vm_refcnt %#x, want 0 (detached)", r)
		}
	}
	if len(e) == 0 {
		checkFaults(&e, s, true)
	}
	return e.err()
}
