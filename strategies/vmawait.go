package strategies

import "vmabench/mm"

// VMAWait is the 2026 proposal, posted on linux-mm (2026-05-08, v2
// 2026-06-11) on top of the kernel vmarefcnt stands for:
// vma_start_read_unlocked(), posted as lock_vma_under_rcu_wait(). Faults,
// kernel-mode faults, madvise, /proc/pid/maps and writers are exactly
// vmarefcnt's (v6.17+); Lookup changes. Its fast path is
// lock_vma_under_rcu(); on failure it takes mmap_lock for reading, which
// waits for the writer, looks the VMA up, read-locks it with
// vma_start_read_locked() and drops mmap_lock again. It returns a read-locked
// VMA with no mmap_lock held, so callers need no fallback and may fault
// while holding it.
//
// It is not a cure for every inversion: if a writer has write-locked VMA B
// and waits for the readers of VMA A, a holder of A whose nested fault on B
// falls back to mmap_read_lock() still deadlocks.
type VMAWait struct {
	*VMARefcnt
}

var _ Strategy = (*VMAWait)(nil)

// NewVMAWait returns the vmawait design over a new MM. A nil cfg.Cache gets
// a cache with type-safe reuse.
func NewVMAWait(cfg mm.Config) Strategy { return &VMAWait{newVMARefcnt(cfg)} }

// Lookup models vma_start_read_unlocked(mm, addr). It returns mm.ErrNoVMA if
// no VMA covers addr and ErrRefLimit if vm_refcnt is at its limit; never a
// failure that asks the caller to fall back.
//
// The v2 snippet of 2026-06-11 calls vma_start_read_locked(vma)
// on the NULL left by the failed fast path; the evident intent, modelled
// here, is a vma_lookup() under mmap_lock first.
func (s *VMAWait) Lookup(t *mm.Task, addr uint64) (Ref, error) {
	// Fast path: return stable VMA covering addr.
	if v := s.lockVMAUnderRCU(t, addr); v != nil {
		t.Hold(mm.VMARead)
		return Ref{VMA: v}, nil
	}
	// Slow path: preclude VMA writers by getting mmap read lock.
	mmapReadLock(t, s.mm)
	mm.At(mm.PointSlowLocked, t, nil)
	v := s.mm.FindVMA(addr) // vma_lookup()
	if v == nil {
		mmapReadUnlock(t, s.mm)
		return Ref{}, mm.ErrNoVMA
	}
	// vma_start_read_locked(): no writer can hold the VMA while we hold
	// mmap_lock, so only the reference limit can refuse us.
	if _, ok := refcountIncNotZeroLimited(&v.Refcnt, refLimit); !ok {
		mmapReadUnlock(t, s.mm)
		return Ref{}, ErrRefLimit
	}
	t.Hold(mm.VMARead)
	mmapReadUnlock(t, s.mm)
	return Ref{VMA: v}, nil
}
