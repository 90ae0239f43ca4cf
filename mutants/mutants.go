// Package mutants is the mutation check of the models: a list of
// single-step bugs in the strategies and in package mm, each one a change
// a careful person could make by mistake (a check dropped, a re-check
// skipped, a wait removed, a sequence update moved, a counter miscounted),
// and a runner that applies each to the module through `go test -overlay`
// (the tree is never written) and runs the conformance suite on it. A
// mutant the suite does not fail has slipped through: the checker has a
// blind spot there.
//
// Run it with `make mutants` (or `go run ./cmd/mutants -h`). Every mutant
// must still apply to the tree as it is; a test checks that, so a change to
// the models that moves a mutated line fails `make test` until the mutant
// is updated with it.
package mutants

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// Mutant is one single-step bug: one or more edits that together make one
// mistake (a lock and its unlock dropped together, say).
type Mutant struct {
	// Name is the mutant's name, in [a-z0-9-]+, starting with the design
	// it breaks (mm- for the shared steps).
	Name string
	// Bug says what is wrong, in one line.
	Bug string
	// Edits are applied in order; each Old must occur exactly once in
	// its file.
	Edits []Edit
}

// Edit replaces the one occurrence of Old in File (a path relative to the
// module root, with slashes) with New.
type Edit struct {
	File, Old, New string
}

// Apply returns the mutated contents of each file the mutant edits, read
// from the module at root. It fails if an Old does not occur exactly once.
func (m Mutant) Apply(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, e := range m.Edits {
		src, ok := out[e.File]
		if !ok {
			b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(e.File)))
			if err != nil {
				return nil, fmt.Errorf("mutant %s: %w", m.Name, err)
			}
			src = b
		}
		if n := bytes.Count(src, []byte(e.Old)); n != 1 {
			return nil, fmt.Errorf("mutant %s: %s: the text to replace occurs %d times, want 1:\n%s", m.Name, e.File, n, e.Old)
		}
		out[e.File] = bytes.Replace(src, []byte(e.Old), []byte(e.New), 1)
	}
	return out, nil
}

func del(file, old string) Edit              { return Edit{File: file, Old: old} }
func rep(file, old, new string) Edit         { return Edit{File: file, Old: old, New: new} }
func one(name, bug string, e ...Edit) Mutant { return Mutant{Name: name, Bug: bug, Edits: e} }

const (
	fault   = "mm/fault.go"
	change  = "mm/change.go"
	cache   = "mm/cache.go"
	shared  = "strategies/strategy.go"
	mmaplk  = "strategies/mmaplock.go"
	vmaseq  = "strategies/vmaseq.go"
	refcnt  = "strategies/vmarefcnt.go"
	vmawait = "strategies/vmawait.go"
)

// List is every mutant, grouped by what it breaks.
var List = []Mutant{
	// The shared address-space steps and the checker's own assertions.
	one("mm-commit-no-mark", "Commit changes the VMAs without marking them for the checker",
		rep(change, "\tfor _, v := range c.Touched {\n\t\tv.changing.Add(1)\n", "\tfor _, v := range c.Touched {\n"),
		rep(change, "\tfor _, v := range c.Touched {\n\t\tv.changing.Add(-1)\n", "\tfor _, v := range c.Touched {\n\t\t_ = v\n")),
	one("mm-commit-no-gen", "Commit does not bump the generation of the VMAs it changes",
		rep(change, "\t\tv.changing.Add(1)\n\t\tv.gen.Add(1)\n\t}\n\tfor _, v := range c.New {", "\t\tv.changing.Add(1)\n\t}\n\tfor _, v := range c.New {")),
	one("mm-prepare-no-writer-check", "Prepare lets a second writer in while another changes the address space",
		rep(change, "if !m.writing.CompareAndSwap(0, 1) {", "if !m.writing.CompareAndSwap(0, 1) && false {")),
	one("mm-assert-no-detached", "AssertStable accepts a VMA held while detached or freed",
		del(fault, "\tcase v.Detached.Load() || v.freed.Load():\n\t\tt.violation(\"thread %d: holds VMA [%#x, %#x) for %#x while it is detached\", t.ID, v.Start(), v.End(), addr)\n")),
	one("mm-assert-no-changing", "AssertStable accepts a VMA a writer is changing",
		del(fault, "\tcase v.changing.Load() != 0:\n\t\tt.violation(\"thread %d: holds VMA [%#x, %#x) for %#x while a writer changes it\", t.ID, v.Start(), v.End(), addr)\n")),
	one("mm-assert-no-mm", "AssertStable accepts a VMA of another MM",
		del(fault, "\tcase v.mm.Load() != t.MM:\n\t\tt.violation(\"thread %d: holds a VMA of another MM for %#x\", t.ID, addr)\n")),
	one("mm-assert-no-range", "AssertStable accepts a VMA that does not cover the address",
		del(fault, "\tcase !v.Contains(addr):\n\t\tt.violation(\"thread %d: holds VMA [%#x, %#x), which does not cover %#x\", t.ID, v.Start(), v.End(), addr)\n")),
	one("mm-unchanged-no-gen", "AssertUnchanged misses a change made and finished while the VMA was held",
		rep(fault, "if v.gen.Load() != gen || v.changing.Load() != 0 {", "if v.changing.Load() != 0 {")),
	one("mm-anon-always-retry", "the first fault under the VMA lock always returns VM_FAULT_RETRY (no mmap_read_trylock)",
		rep(fault, "if locked && !t.MM.MmapLock.DownReadTrylock(t) {", "if locked {")),
	one("mm-anon-no-mmap-lock", "anon_vma is prepared under the VMA lock alone, without mmap_lock",
		rep(fault, "locked := flags&FaultFlagVMALock != 0", "locked := false && flags&FaultFlagVMALock != 0")),
	one("mm-alloc-keeps-seq", "vm_area_alloc() does not reset vm_lock_seq (vma_lock_init)",
		del(cache, "\tv.LockSeq.Store(-1)\n")),
	one("mm-attach-no-refcnt", "vma_mark_attached() leaves vm_refcnt at 0",
		del(change, "\t\tv.Refcnt.Store(1)\n")),
	one("mm-free-no-reuse", "the cache never hands a freed VMA out again (no SLAB_TYPESAFE_BY_RCU reuse)",
		rep(cache, "\tc.free = append(c.free, v)\n", "\t_ = v\n")),

	// mmap_lock, which every design takes.
	one("mmaplock-write-shared", "mmap_write_lock() takes mmap_lock shared",
		rep(shared, "\tm.MmapLock.DownWrite(t)\n\tt.Waited()\n\tt.Hold(mm.MmapWrite)", "\tm.MmapLock.DownRead(t)\n\tt.Waited()\n\tt.Hold(mm.MmapWrite)"),
		rep(shared, "\tm.MmapLock.UpWrite(t)\n}", "\tm.MmapLock.UpRead(t)\n}")),
	one("mmaplock-fault-no-lock", "the mmap_lock fault path (lock_mm_and_find_vma) takes no lock",
		rep(shared, "func faultLocked(t *mm.Task, m *mm.MM, addr uint64) error {\n\tmmapReadLock(t, m)\n\tv := m.FindVMA(addr)\n\tif v == nil {\n\t\tmmapReadUnlock(m)\n\t\treturn mm.ErrNoVMA\n\t}\n\tmm.HandleFault(t, v, addr, 0)\n\tmmapReadUnlock(m)\n",
			"func faultLocked(t *mm.Task, m *mm.MM, addr uint64) error {\n\tv := m.FindVMA(addr)\n\tif v == nil {\n\t\treturn mm.ErrNoVMA\n\t}\n\tmm.HandleFault(t, v, addr, 0)\n")),
	one("mmaplock-lookup-drops-lock", "mmaplock's Lookup drops mmap_lock before the holder is done",
		rep(mmaplk, "\treturn lookupLocked(t, s.mm, addr)\n}", "\tr, err := lookupLocked(t, s.mm, addr)\n\tif err == nil {\n\t\tt.Unhold(mm.MmapRead)\n\t\tmmapReadUnlock(s.mm)\n\t}\n\treturn r, err\n}"),
		rep(mmaplk, "\tt.Unhold(mm.MmapRead)\n\tmmapReadUnlock(s.mm)\n}", "}")),

	// vmaseq: the v6.4 per-VMA rwsem.
	one("vmaseq-no-early-check", "vma_start_read() skips the lockless check and takes vma->lock of a write-locked VMA",
		del(vmaseq, "\t// Check before locking. A race might cause false locked result.\n\tif v.LockSeq.Load() == s.mm.LockSeq.Load() {\n\t\treturn false\n\t}\n")),
	one("vmaseq-trylock-ignored", "vma_start_read() goes on when down_read_trylock() fails",
		rep(vmaseq, "\tif !v.Lock.DownReadTrylock(t) { // down_read_trylock(&vma->lock)\n\t\treturn false\n\t}\n", "\tv.Lock.DownReadTrylock(t) // down_read_trylock(&vma->lock)\n")),
	one("vmaseq-no-recheck", "vma_start_read() does not re-check the sequence after down_read_trylock()",
		del(vmaseq, "\tif v.LockSeq.Load() == s.mm.LockSeq.Load() {\n\t\tv.Lock.UpRead(t)\n\t\treturn false\n\t}\n")),
	one("vmaseq-no-range-check", "lock_vma_under_rcu() does not re-check the range after locking",
		del(vmaseq, "\t\tif !v.Contains(addr) {\n\t\t\ts.vmaEndRead(v)\n\t\t\tt.Stats.VMALockAbort++\n\t\t\treturn nil\n\t\t}\n")),
	one("vmaseq-no-detached-check", "lock_vma_under_rcu() uses a VMA detached after the walk",
		del(vmaseq, "\t\tif v.Detached.Load() {\n\t\t\ts.vmaEndRead(v)\n\t\t\tt.Stats.VMALockMiss++\n\t\t\tcontinue\n\t\t}\n")),
	one("vmaseq-miss-as-abort", "a detached VMA is counted as vma_lock_abort, not vma_lock_miss",
		rep(vmaseq, "\t\t\tt.Stats.VMALockMiss++\n", "\t\t\tt.Stats.VMALockAbort++\n")),
	one("vmaseq-abort-not-counted", "a failed vma_start_read() (or no VMA) is not counted as vma_lock_abort",
		rep(vmaseq, "\t\tif v == nil || !v.HasAnonVMA() || !s.vmaStartRead(t, v) {\n\t\t\tt.Stats.VMALockAbort++\n", "\t\tif v == nil || !v.HasAnonVMA() || !s.vmaStartRead(t, v) {\n")),
	one("vmaseq-no-anon-check", "lock_vma_under_rcu() of v6.4 takes a VMA with no anon_vma yet",
		rep(vmaseq, "if v == nil || !v.HasAnonVMA() || !s.vmaStartRead(t, v) {", "if v == nil || !s.vmaStartRead(t, v) {")),
	one("vmaseq-success-not-counted", "a fault completed under the VMA lock is not counted",
		rep(vmaseq, "\t\tif r != mm.FaultRetry {\n\t\t\tt.Stats.VMALockSuccess++\n", "\t\tif r != mm.FaultRetry {\n")),
	one("vmaseq-write-no-down-write", "vma_start_write() does not take vma->lock, so does not wait for readers",
		rep(vmaseq, "\tv.Lock.DownWrite(t) // down_write(&vma->lock): waits for readers\n", ""),
		rep(vmaseq, "\tv.Lock.UpWrite(t)\n", "")),
	one("vmaseq-write-no-seq", "vma_start_write() does not set vm_lock_seq",
		rep(vmaseq, "\tv.LockSeq.Store(seq)\n", "")),
	one("vmaseq-write-check-inverted", "vma_start_write() skips VMAs that are not yet write-locked",
		rep(vmaseq, "if v.LockSeq.Load() == seq { // already write-locked in this section", "if v.LockSeq.Load() != seq { // already write-locked in this section")),
	one("vmaseq-no-end-write-all", "mmap_write_unlock() does not bump mm_lock_seq: VMAs stay write-locked",
		rep(vmaseq, "\ts.mm.LockSeq.Add(1)\n\tmmapWriteUnlock(t, s.mm)\n", "\tmmapWriteUnlock(t, s.mm)\n")),
	one("vmaseq-end-write-all-after-unlock", "mm_lock_seq is bumped after mmap_lock is released",
		rep(vmaseq, "\ts.mm.LockSeq.Add(1)\n\tmmapWriteUnlock(t, s.mm)\n", "\tmmapWriteUnlock(t, s.mm)\n\ts.mm.LockSeq.Add(1)\n")),
	one("vmaseq-no-mark-detached", "a removed VMA is freed without vma_mark_detached()",
		rep(vmaseq, "\t\tv.Detached.Store(true) // vma_mark_detached(vma, true), write-locked\n", "")),

	// vmarefcnt (and vmawait, which shares its code): the v6.15+ refcount.
	one("refcnt-no-early-check", "vma_start_read() skips the lockless check and bumps vm_refcnt of a write-locked VMA",
		del(refcnt, "\t// Lockless early check; a race might cause a false locked result.\n\tif v.LockSeq.Load() == s.mm.LockSeq.Load() {\n\t\treturn readFail\n\t}\n")),
	one("refcnt-inc-ignores-flag", "the reader's increment ignores the exclude-readers flag (no VMA_REF_LIMIT)",
		rep(refcnt, "if old == 0 || old >= limit {", "if old == 0 {")),
	one("refcnt-inc-revives-detached", "the reader's increment brings a detached VMA (vm_refcnt 0) back to life",
		rep(refcnt, "if old == 0 || old >= limit {", "if old >= limit {")),
	one("refcnt-no-mm-recheck", "vma_start_read() does not re-check vm_mm after the increment (type-safe reuse)",
		del(refcnt, "\tif v.MM() != s.mm {\n\t\tvmaRefcountPut(v)\n\t\treturn readFail\n\t}\n")),
	one("refcnt-no-seq-recheck", "vma_start_read() does not re-read mm_lock_seq after the increment",
		rep(refcnt, "\tif v.LockSeq.Load() == s.mm.LockSeq.Load() {\n\t\tvmaRefcountPut(v)\n\t\treturn readFail\n\t}\n\treturn readOK", "\treturn readOK")),
	one("refcnt-no-range-check", "lock_vma_under_rcu() does not re-check the range after the increment",
		del(refcnt, "\tif !v.Contains(addr) {\n\t\tvmaRefcountPut(v)\n\t\tt.Stats.VMALockAbort++\n\t\treturn nil, false\n\t}\n")),
	one("refcnt-put-no-wake", "vma_refcount_put() does not wake the waiting writer",
		rep(refcnt, "\t\tm.WakeWriter() // rcuwait_wake_up(&mm->vma_writer_wait)\n", "\t\t_ = m\n")),
	one("refcnt-writer-only-off-by-one", "is_vma_writer_only() misses the attached reference",
		rep(refcnt, "refcnt <= RefcntExcludeReaders+1", "refcnt < RefcntExcludeReaders+1")),
	one("refcnt-enter-no-wait", "__vma_enter_locked() does not wait for readers to drain",
		del(refcnt, "\ts.mm.WaitWriter(t, func() bool { return v.Refcnt.Load() == target })\n")),
	one("refcnt-enter-target", "__vma_enter_locked() waits for the attached reference to go as well",
		rep(refcnt, "\tif !detaching {\n\t\ttarget++ // the attached reference\n\t}\n", "")),
	one("refcnt-write-no-seq", "vma_start_write() does not set vm_lock_seq",
		rep(refcnt, "\tv.LockSeq.Store(seq)\n", "")),
	one("refcnt-write-no-exit", "vma_start_write() leaves the exclude-readers flag set",
		rep(refcnt, "\tif locked {\n\t\tvmaExitLocked(v)\n\t}\n", "\t_ = locked\n")),
	one("refcnt-write-check-inverted", "vma_start_write() skips VMAs that are not yet write-locked",
		rep(refcnt, "if v.LockSeq.Load() == seq { // __is_vma_write_locked()", "if v.LockSeq.Load() != seq { // __is_vma_write_locked()")),
	one("refcnt-detach-no-wait", "vma_mark_detached() does not wait for readers that raced in",
		rep(refcnt, "\tif v.Refcnt.Add(-1) != 0 {\n\t\tif s.vmaEnterLocked(t, v, true) {\n\t\t\tvmaExitLocked(v)\n\t\t}\n\t}\n", "\tv.Refcnt.Add(-1)\n")),
	one("refcnt-no-detach", "a removed VMA is freed without vma_mark_detached() (vm_refcnt stays 1)",
		del(refcnt, "\t\ts.vmaMarkDetached(t, v)\n")),
	one("refcnt-no-seqcount-begin", "mmap_write_lock() does not begin the seqcount: mm_lock_seq even while writing",
		del(refcnt, "\ts.mm.LockSeq.Add(1) // mm_lock_seqcount_begin(): odd\n")),
	one("refcnt-no-seqcount-end", "mmap_write_unlock() does not end the seqcount: VMAs stay write-locked",
		del(refcnt, "\t\ts.mm.LockSeq.Add(1) // vma_end_write_all(): mm_lock_seqcount_end()\n")),
	one("refcnt-seqcount-end-after-unlock", "the seqcount ends after mmap_lock is released",
		rep(refcnt, "\t\ts.mm.LockSeq.Add(1) // vma_end_write_all(): mm_lock_seqcount_end()\n\t\tmmapWriteUnlock(t, s.mm)\n", "\t\tmmapWriteUnlock(t, s.mm)\n\t\ts.mm.LockSeq.Add(1) // vma_end_write_all(): mm_lock_seqcount_end()\n")),
	one("refcnt-miss-as-abort", "a detached VMA is counted as vma_lock_abort, not vma_lock_miss",
		rep(refcnt, "\t\tt.Stats.VMALockMiss++\n", "\t\tt.Stats.VMALockAbort++\n")),
	one("refcnt-miss-no-walk", "a detached VMA ends the lookup instead of walking again",
		rep(refcnt, "\t\tt.Stats.VMALockMiss++\n\t\treturn nil, true\n", "\t\tt.Stats.VMALockMiss++\n\t\treturn nil, false\n")),
	one("refcnt-no-vma-not-counted", "no VMA at the address is not counted as vma_lock_abort",
		rep(refcnt, "\t\tif v == nil {\n\t\t\tt.Stats.VMALockAbort++\n", "\t\tif v == nil {\n")),
	one("refcnt-fail-not-counted", "a refused vma_start_read() is not counted as vma_lock_abort",
		rep(refcnt, "\tcase readFail:\n\t\tt.Stats.VMALockAbort++\n", "\tcase readFail:\n")),
	one("refcnt-retry-as-success", "a fault that returned VM_FAULT_RETRY is counted as vma_lock_success",
		rep(refcnt, "\t\tif r != mm.FaultRetry {\n\t\t\tt.Stats.VMALockSuccess++\n\t\t\treturn nil\n\t\t}\n\t\tt.Stats.VMALockRetry++\n", "\t\tt.Stats.VMALockSuccess++\n\t\tif r != mm.FaultRetry {\n\t\t\treturn nil\n\t\t}\n")),
	one("refcnt-retry-not-counted", "a fault that returned VM_FAULT_RETRY is not counted as vma_lock_retry",
		del(refcnt, "\t\tt.Stats.VMALockRetry++\n")),

	one("refcnt-maps-no-range-check", "lock_next_vma() keeps a VMA that is behind the walk's position (reused below it)",
		rep(refcnt, "\tok = from < v.End()\n", "\tok = true\n")),
	one("refcnt-maps-no-gap-check", "lock_next_vma() does not re-check the gap before the VMA when the address space changed",
		rep(refcnt, "if ok && from < v.Start() && (seq&1 != 0 || s.mm.LockSeq.Load() != seq) {", "if false && ok && from < v.Start() && (seq&1 != 0 || s.mm.LockSeq.Load() != seq) {")),
	one("refcnt-madvise-spans-vmas", "MADV_DONTNEED under one VMA's lock zaps past its end (must span a single VMA)",
		rep(refcnt, "\t\tif end <= v.End() {\n", "\t\tif true {\n")),

	// vmawait: vma_start_read_unlocked().
	one("vmawait-slow-no-ref", "the slow path returns the VMA without taking a reference (vma_start_read_locked)",
		del(vmawait, "\tif _, ok := refcountIncNotZeroLimited(&v.Refcnt, refLimit); !ok {\n\t\tmmapReadUnlock(s.mm)\n\t\treturn Ref{}, ErrRefLimit\n\t}\n")),
	one("vmawait-slow-falls-back", "the slow path returns holding mmap_lock, as the pre-2026 idiom",
		rep(vmawait, "\t// Slow path: preclude VMA writers by getting mmap read lock.\n", "\treturn lookupLocked(t, s.mm, addr)\n\t// Slow path: preclude VMA writers by getting mmap read lock.\n")),
	one("vmawait-slow-keeps-mmap-lock", "the slow path returns without dropping mmap_lock",
		rep(vmawait, "\tt.Hold(mm.VMARead)\n\tmmapReadUnlock(s.mm)\n\treturn Ref{VMA: v}, nil\n}", "\tt.Hold(mm.VMARead)\n\treturn Ref{VMA: v}, nil\n}")),
	one("vmawait-slow-no-wait", "the slow path looks the VMA up without waiting for the writer (no mmap_read_lock)",
		rep(vmawait, "\tmmapReadLock(t, s.mm)\n\tmm.At(mm.PointSlowLocked, t, nil)\n", "\tmm.At(mm.PointSlowLocked, t, nil)\n"),
		rep(vmawait, "\tif v == nil {\n\t\tmmapReadUnlock(s.mm)\n", "\tif v == nil {\n"),
		rep(vmawait, "\t\tmmapReadUnlock(s.mm)\n\t\treturn Ref{}, ErrRefLimit\n", "\t\treturn Ref{}, ErrRefLimit\n"),
		rep(vmawait, "\tt.Hold(mm.VMARead)\n\tmmapReadUnlock(s.mm)\n\treturn Ref{VMA: v}, nil\n}", "\tt.Hold(mm.VMARead)\n\treturn Ref{VMA: v}, nil\n}")),
}
