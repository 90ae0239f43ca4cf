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
	// Equivalent, if set, says why the change is not a bug at all (an
	// equivalent mutant: a reordering the design tolerates). Such a mutant
	// is run to test that argument: it must survive, and a check that
	// catches it has found either a flaw in the argument or a false alarm.
	Equivalent string
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

// same is an equivalent mutant: a change that is no bug, for why.
func same(name, bug, why string, e ...Edit) Mutant {
	return Mutant{Name: name, Bug: bug, Edits: e, Equivalent: why}
}

const (
	fault   = "mm/fault.go"
	change  = "mm/change.go"
	cache   = "mm/cache.go"
	rwsem   = "mm/rwsem.go"
	osq     = "mm/osq.go"
	rcuwait = "mm/rcuwait.go"
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
		rep(change, "\tfor _, v := range c.Touched {\n\t\tif v.changing.Add(1) != 1 {\n\t\t\tt.violation(\"writer %d: changes VMA [%#x, %#x) while another writer is inside it\", t.ID, v.Start(), v.End())\n\t\t}\n", "\tfor _, v := range c.Touched {\n"),
		rep(change, "\tfor _, v := range c.Touched {\n\t\tv.changing.Add(-1)\n", "\tfor _, v := range c.Touched {\n\t\t_ = v\n")),
	one("mm-commit-no-gen", "Commit does not bump the generation of the VMAs it changes",
		rep(change, "\t\tv.gen.Add(1)\n\t}\n\tfor _, v := range c.New {", "\t}\n\tfor _, v := range c.New {")),
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
		rep(fault, "\tcase v.gen.Load() != gen:\n", "\tcase false && v.gen.Load() != gen:\n")),
	one("mm-anon-always-retry", "the first fault under the VMA lock always returns VM_FAULT_RETRY (no mmap_read_trylock)",
		rep(fault, "if locked && !t.MM.MmapLock.DownReadTrylock(t) {", "if locked {")),
	one("mm-anon-no-mmap-lock", "anon_vma is prepared under the VMA lock alone, without mmap_lock",
		rep(fault, "locked := flags&FaultFlagVMALock != 0", "locked := false && flags&FaultFlagVMALock != 0")),
	one("mm-alloc-keeps-seq", "vm_area_alloc() does not reset vm_lock_seq (vma_lock_init)",
		del(cache, "\tv.LockSeq.Store(-1)\n")),
	one("mm-attach-no-refcnt", "vma_mark_attached() leaves vm_refcnt at 0",
		del(change, "\t\tv.Refcnt.Store(1)\n")),
	one("mm-free-no-reuse", "the cache never hands a freed VMA out again (no SLAB_TYPESAFE_BY_RCU reuse)",
		rep(cache, "\tpc.free = append(pc.free, v)\n", "\t_ = pc\n")),

	// The rw-semaphore (mm/rwsem.go), which mmap_lock and the v6.4
	// vma->lock are, and the rcuwait vma_start_write() sleeps on.
	one("mm-rwsem-read-no-backout", "rwsem_down_read_slowpath() queues without backing its reader bias out of the count",
		rep(rwsem, "\tadjustment := -RWSemReaderBias\n\trcnt := count >> RWSemReaderShift\n", "\tadjustment := int64(0)\n\trcnt := count >> RWSemReaderShift\n")),
	one("mm-rwsem-read-no-cond-wake", "a queued reader that backed out does not wake the head (rwsem_cond_wake_waiter): the lock it freed stays unclaimed",
		del(rwsem, "\ts.condWakeWaiter(count, &wq)\n")),
	one("mm-rwsem-read-queue-ignores-writer", "a reader finding the wait list empty goes in without checking that no writer holds the lock",
		rep(rwsem, "\t\tif s.count.Load()&RWSemWriterMask == 0 {\n\t\t\ts.waitLock.unlock()\n", "\t\tif true {\n\t\t\ts.waitLock.unlock()\n")),
	one("mm-rwsem-read-steal-ignores-writer", "a failed reader steals the lock while a writer holds it",
		rep(rwsem, "count&(RWSemWriterLocked|RWSemFlagHandoff) == 0 {", "count&RWSemFlagHandoff == 0 {")),
	one("mm-rwsem-read-state-after-check", "a queued reader checks its grant before set_current_state(): a grant in between is a lost wake-up",
		rep(rwsem, "\t\tt.setCurrentState()\n\t\tif w.granted.Load() != 0 { // smp_load_acquire(&waiter.task) == NULL\n\t\t\tbreak\n\t\t}\n",
			"\t\tif w.granted.Load() != 0 { // smp_load_acquire(&waiter.task) == NULL\n\t\t\tbreak\n\t\t}\n\t\tt.setCurrentState()\n")),
	one("mm-rwsem-up-read-no-wake", "up_read() of the last reader does not wake the waiters",
		rep(rwsem, "c&(RWSemLockMask|RWSemFlagWaiters) == RWSemFlagWaiters {", "c&(RWSemLockMask|RWSemFlagWaiters) == RWSemFlagWaiters && false {")),
	one("mm-rwsem-up-write-no-wake", "up_write() does not wake the waiters",
		rep(rwsem, "+ RWSemWriterLocked; old&RWSemFlagWaiters != 0 {", "+ RWSemWriterLocked; old&RWSemFlagWaiters != 0 && false {")),
	one("mm-rwsem-spin-steals-from-readers", "a spinning writer (rwsem_try_write_lock_unqueued) takes the lock while readers hold it",
		rep(rwsem, "c&(RWSemLockMask|RWSemFlagHandoff) == 0; {\n\t\tif s.count.TryCmpxchg(&c, c|RWSemWriterLocked) {", "c&(RWSemWriterMask|RWSemFlagHandoff) == 0; {\n\t\tif s.count.TryCmpxchg(&c, c|RWSemWriterLocked) {")),
	one("mm-rwsem-first-waiter-no-flag", "the first queued writer does not set RWSEM_FLAG_WAITERS, so no release wakes it",
		rep(rwsem, "\t} else {\n\t\ts.count.Or(RWSemFlagWaiters)\n\t}\n", "\t}\n")),
	one("mm-rwsem-trylock-clears-waiters", "rwsem_try_write_lock() clears RWSEM_FLAG_WAITERS although others still wait",
		rep(rwsem, "if s.waitHead == s.waitTail { // list_is_singular()", "if true { // list_is_singular()")),
	one("mm-rwsem-queued-writer-ignores-readers", "rwsem_try_write_lock() takes the lock for a woken writer while readers hold it",
		rep(rwsem, "\t\tif count&RWSemLockMask != 0 {\n", "\t\tif count&RWSemWriterMask != 0 {\n")),
	one("mm-rwsem-write-state-after-check", "a queued writer sets TASK_UNINTERRUPTIBLE after failing rwsem_try_write_lock(): a release in between is a lost wake-up",
		rep(rwsem, "\tt.setCurrentState()\n\tfor !s.tryWriteLock(w) {", "\tfor !s.tryWriteLock(w) {"),
		rep(rwsem, "\t\t\tt.schedule()\n\t\t\tt.Stats.Lock.SleepWriter++\n\t\t\tt.setCurrentState()\n", "\t\t\tt.setCurrentState()\n\t\t\tt.schedule()\n\t\t\tt.Stats.Lock.SleepWriter++\n")),
	one("mm-rwsem-mark-wake-no-grant", "rwsem_mark_wake() takes readers off the list and wakes them without granting the lock (waiter->task left set)",
		rep(rwsem, "\t\tw.granted.Store(1) // smp_store_release(&waiter->task, NULL)\n", "")),
	one("mm-rwsem-mark-wake-ignores-writer", "rwsem_mark_wake() grants readers the lock although a writer stole it",
		rep(rwsem, "\t\tif old&RWSemWriterMask != 0 {\n", "\t\tif false && old&RWSemWriterMask != 0 {\n")),
	one("mm-rwsem-mark-wake-double-count", "rwsem_mark_wake() counts the first woken reader twice",
		rep(rwsem, "adjustment = woken*RWSemReaderBias - adjustment", "adjustment = woken * RWSemReaderBias")),
	one("mm-rwsem-mark-wake-keeps-waiters", "rwsem_mark_wake() empties the list but leaves RWSEM_FLAG_WAITERS set",
		del(rwsem, "\t\tadjustment -= RWSemFlagWaiters\n")),
	one("mm-rwsem-downgrade-keeps-write-bit", "downgrade_write() adds the reader bias but leaves the writer bit",
		rep(rwsem, "old := s.count.Add(-RWSemWriterLocked+RWSemReaderBias) - (-RWSemWriterLocked + RWSemReaderBias)", "old := s.count.Add(RWSemReaderBias) - RWSemReaderBias")),
	one("mm-rwsem-downgrade-no-wake", "downgrade_write() does not wake the readers at the head of the queue (rwsem_downgrade_wake)",
		rep(rwsem, "\tif old&RWSemFlagWaiters != 0 {\n\t\ts.wakeHead(wakeReadOwned)\n", "\tif old&RWSemFlagWaiters != 0 && false {\n\t\ts.wakeHead(wakeReadOwned)\n")),
	// The OSQ, the MCS queue of spinning writers (osq_lock.c).
	one("mm-osq-no-queue", "osq_lock() does not queue on the tail: every spinner thinks itself the head",
		rep(osq, "\told := q.tail.Swap(curr)\n\tif old == osqUnlocked {", "\told := q.tail.Swap(curr)\n\tif old = osqUnlocked; old == osqUnlocked {")),
	one("mm-osq-unlock-no-handover", "osq_unlock() takes its successor off node->next without handing it the head (node->locked)",
		rep(osq, "\tif next := node.next.Swap(nil); next != nil {\n\t\tnext.locked.Store(1)\n\t\treturn\n\t}\n", "\tif next := node.next.Swap(nil); next != nil {\n\t\treturn\n\t}\n")),
	one("mm-osq-unqueue-no-step-a", "an unqueuing spinner leaves prev->next pointing at its node (no step A): prev hands the head to a node that left",
		rep(osq, "\t\tif prev.next.Load() == node && prev.next.CompareAndSwap(node, nil) {\n\t\t\tbreak\n\t\t}\n", "\t\tif true {\n\t\t\tbreak\n\t\t}\n")),
	one("mm-rwsem-no-osq", "a writer spins on the owner without queueing on the OSQ: every spinner polls the owner and the count at once",
		rep(rwsem, "\tif !s.osq.osqLock(t, start) {\n\t\treturn false\n\t}\n", ""),
		rep(rwsem, "\ts.osq.osqUnlock(t)\n\treturn taken\n", "\treturn taken\n")),
	one("mm-osq-no-prev-link", "osq_lock() queues behind prev without WRITE_ONCE(prev->next, node), so no unlock finds it",
		del(osq, "\tprev.next.Store(node) // WRITE_ONCE(prev->next, node)\n")),
	one("mm-osq-not-released", "rwsem_optimistic_spin() leaves without osq_unlock()",
		rep(rwsem, "\ts.osq.osqUnlock(t)\n\treturn taken\n", "\treturn taken\n")),
	one("mm-rcuwait-state-after-cond", "rcuwait_wait_event() checks the condition before set_current_state(): a wake-up in between is lost",
		rep(rcuwait, "\t\tt.setCurrentState() // barrier (A), pairs with (B) in WakeUp\n\t\tif cond() {\n\t\t\tbreak\n\t\t}\n",
			"\t\tif cond() {\n\t\t\tbreak\n\t\t}\n\t\tt.setCurrentState() // barrier (A), pairs with (B) in WakeUp\n")),
	one("mm-rcuwait-no-task", "rcuwait_wait_event() sleeps without publishing itself (prepare_to_rcuwait), so no waker finds it",
		del(rcuwait, "\tw.task.Store(t) // prepare_to_rcuwait()\n")),

	// mmap_lock, which every design takes.
	one("mmaplock-write-shared", "mmap_write_lock() takes mmap_lock shared",
		rep(shared, "\tm.MmapLock.DownWrite(t)\n\tt.Waited()\n\tt.Hold(mm.MmapWrite)", "\tm.MmapLock.DownRead(t)\n\tt.Waited()\n\tt.Hold(mm.MmapWrite)"),
		rep(shared, "\tt.LockReleased()\n\tm.MmapLock.UpWrite(t)\n}", "\tt.LockReleased()\n\tm.MmapLock.UpRead(t)\n}"),
		rep(shared, "\tm.MmapLock.DowngradeWrite(t)\n", "")),
	one("mmaplock-fault-no-lock", "the mmap_lock fault path (lock_mm_and_find_vma) takes no lock",
		rep(shared, "func faultLocked(t *mm.Task, m *mm.MM, addr uint64) error {\n\tmmapReadLockFault(t, m)\n\tmm.At(mm.PointFaultLocked, t, nil)\n\tv := m.FindVMA(addr)\n\tif v == nil {\n\t\tmmapReadUnlock(t, m)\n\t\treturn mm.ErrNoVMA\n\t}\n\tmm.HandleFault(t, v, addr, 0)\n\tmmapReadUnlock(t, m)\n",
			"func faultLocked(t *mm.Task, m *mm.MM, addr uint64) error {\n\tmm.At(mm.PointFaultLocked, t, nil)\n\tv := m.FindVMA(addr)\n\tif v == nil {\n\t\treturn mm.ErrNoVMA\n\t}\n\tmm.HandleFault(t, v, addr, 0)\n")),
	one("mmaplock-lookup-drops-lock", "mmaplock's Lookup drops mmap_lock before the holder is done",
		rep(mmaplk, "\treturn lookupLocked(t, s.mm, addr)\n}", "\tr, err := lookupLocked(t, s.mm, addr)\n\tif err == nil {\n\t\tt.Unhold(mm.MmapRead)\n\t\tmmapReadUnlock(t, s.mm)\n\t}\n\treturn r, err\n}"),
		rep(mmaplk, "\tt.Unhold(mm.MmapRead)\n\tmmapReadUnlock(t, s.mm)\n}", "}")),

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
		rep(vmaseq, "\t\tif v == nil || !v.IsAnonymous() || !v.HasAnonVMA() || !s.vmaStartRead(t, v) {\n\t\t\tt.Stats.VMALockAbort++\n", "\t\tif v == nil || !v.IsAnonymous() || !v.HasAnonVMA() || !s.vmaStartRead(t, v) {\n")),
	one("vmaseq-no-anon-check", "lock_vma_under_rcu() of v6.4 takes a VMA with no anon_vma yet",
		rep(vmaseq, "if v == nil || !v.IsAnonymous() || !v.HasAnonVMA() || !s.vmaStartRead(t, v) {", "if v == nil || !v.IsAnonymous() || !s.vmaStartRead(t, v) {")),
	one("vmaseq-success-not-counted", "a fault completed under the VMA lock is not counted",
		rep(vmaseq, "\t\tif r != mm.FaultRetry {\n\t\t\tt.Stats.VMALockSuccess++\n", "\t\tif r != mm.FaultRetry {\n")),
	one("vmaseq-write-no-down-write", "vma_start_write() does not take vma->lock, so does not wait for readers",
		rep(vmaseq, "\tv.Lock.DownWrite(t) // down_write(&vma->lock): waits for readers\n", ""),
		rep(vmaseq, "\tv.Lock.UpWrite(t)\n", "")),
	one("vmaseq-write-no-seq", "vma_start_write() does not set vm_lock_seq",
		rep(vmaseq, "\tv.LockSeq.Store(seq)\n", "")),
	one("vmaseq-write-check-inverted", "vma_start_write() skips VMAs that are not yet write-locked",
		rep(vmaseq, "if v.LockSeq.Load() == seq { // already write-locked in this section", "if v.LockSeq.Load() != seq { // already write-locked in this section")),
	one("vmaseq-no-end-write-all", "mmap_write_unlock() and mmap_write_downgrade() do not bump mm_lock_seq: VMAs stay write-locked",
		del(vmaseq, "\ts.mm.LockSeq.Add(1) // vma_end_write_all()\n")),
	one("vmaseq-end-write-all-after-unlock", "mm_lock_seq is bumped after mmap_lock is released (or, for munmap, after the downgraded lock)",
		del(vmaseq, "\ts.mm.LockSeq.Add(1) // vma_end_write_all()\n"),
		rep(vmaseq, "\t\tmmapWriteUnlock(t, s.mm)\n\t\treturn err\n", "\t\tmmapWriteUnlock(t, s.mm)\n\t\ts.mm.LockSeq.Add(1)\n\t\treturn err\n"),
		rep(vmaseq, "\tcompleteMunmap(t, s.mm, c)\n", "\tcompleteMunmap(t, s.mm, c)\n\ts.mm.LockSeq.Add(1)\n")),
	one("vmaseq-no-mark-detached", "a removed VMA is freed without vma_mark_detached()",
		rep(vmaseq, "\t\tv.Detached.Store(true) // vma_mark_detached(vma, true), write-locked\n", "")),

	// Each pair of adjacent steps of vmaseq's write path swapped.
	same("vmaseq-reorder-seq-before-down-write", "vma_start_write() sets vm_lock_seq before down_write(&vma->lock)",
		"a reader that got vma->lock first is waited for by down_write(); one that gets it after sees vm_lock_seq in its re-check, so none holds the VMA while it is written",
		rep(vmaseq, "\tt.Acquiring(mm.VMAWrite)\n\tv.Lock.DownWrite(t) // down_write(&vma->lock): waits for readers\n\tt.Waited()\n\tv.LockSeq.Store(seq)\n",
			"\tv.LockSeq.Store(seq)\n\tt.Acquiring(mm.VMAWrite)\n\tv.Lock.DownWrite(t) // down_write(&vma->lock): waits for readers\n\tt.Waited()\n")),
	one("vmaseq-reorder-up-write-before-seq", "vma_start_write() drops vma->lock before it sets vm_lock_seq",
		rep(vmaseq, "\tv.LockSeq.Store(seq)\n\tmm.At(mm.PointWriteLocked, t, v)\n\tv.Lock.UpWrite(t)\n", "\tv.Lock.UpWrite(t)\n\tv.LockSeq.Store(seq)\n\tmm.At(mm.PointWriteLocked, t, v)\n")),
	one("vmaseq-reorder-commit-before-lock", "the change is committed before the new VMAs are write-locked",
		rep(vmaseq, "\tfor _, v := range c.Touched {\n\t\ts.vmaStartWrite(t, v)\n\t}\n\tfor _, v := range c.New {\n\t\ts.vmaStartWrite(t, v)\n\t}\n\ts.mm.Commit(t, c)\n",
			"\tfor _, v := range c.Touched {\n\t\ts.vmaStartWrite(t, v)\n\t}\n\ts.mm.Commit(t, c)\n\tfor _, v := range c.New {\n\t\ts.vmaStartWrite(t, v)\n\t}\n")),
	same("vmaseq-reorder-free-before-detach", "a removed VMA is freed (call_rcu) before vma_mark_detached()",
		"the VMA is write-locked (vm_lock_seq) until vma_end_write_all(), after both steps, and a call_rcu free is never reused, so no reader sees the VMA between them",
		rep(vmaseq, "\t\tv.Detached.Store(true) // vma_mark_detached(vma, true), write-locked\n\t\tif op.Kind != mm.OpMunmap {\n\t\t\ts.mm.Cache().Free(t, v) // vm_area_free(): call_rcu\n\t\t}\n\t}\n\treturn c, nil\n",
			"\t\ts.mm.Cache().Free(t, v) // vm_area_free(): call_rcu\n\t\tv.Detached.Store(true) // vma_mark_detached(vma, true), write-locked\n\t}\n\tc.Removed = nil // freed already\n\treturn c, nil\n")),

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
		del(refcnt, "\ts.mm.LockSeq.Add(1) // vma_end_write_all(): mm_lock_seqcount_end()\n")),
	one("refcnt-seqcount-end-after-unlock", "the seqcount ends after mmap_lock is released (or, for munmap, after the downgraded lock)",
		del(refcnt, "\ts.mm.LockSeq.Add(1) // vma_end_write_all(): mm_lock_seqcount_end()\n"),
		rep(refcnt, "\t\tmmapWriteUnlock(t, s.mm)\n\t\treturn err\n", "\t\tmmapWriteUnlock(t, s.mm)\n\t\ts.mm.LockSeq.Add(1)\n\t\treturn err\n"),
		rep(refcnt, "\tcompleteMunmap(t, s.mm, c)\n", "\tcompleteMunmap(t, s.mm, c)\n\ts.mm.LockSeq.Add(1)\n")),
	// Each pair of adjacent steps of the refcount designs' write path
	// swapped: vma_start_write(), __vma_enter_locked(),
	// __vma_exit_locked(), vma_mark_detached(), the free, and the
	// seqcount's begin and end (vma_end_write_all()).
	same("refcnt-reorder-seq-before-enter", "vma_start_write() sets vm_lock_seq before __vma_enter_locked() excludes readers",
		"a reader whose increment came first is waited for by __vma_enter_locked(); one whose increment comes after sees vm_lock_seq in its acquire re-check and puts its reference",
		rep(refcnt, "\tlocked := s.vmaEnterLocked(t, v, false)\n\tv.LockSeq.Store(seq)\n", "\tv.LockSeq.Store(seq)\n\tlocked := s.vmaEnterLocked(t, v, false)\n")),
	one("refcnt-reorder-exit-before-seq", "vma_start_write() removes the exclude-readers flag (__vma_exit_locked) before it sets vm_lock_seq",
		rep(refcnt, "\tv.LockSeq.Store(seq)\n\tmm.At(mm.PointWriteLocked, t, v)\n\tif locked {\n\t\tvmaExitLocked(v)\n\t}\n",
			"\tif locked {\n\t\tvmaExitLocked(v)\n\t}\n\tv.LockSeq.Store(seq)\n\tmm.At(mm.PointWriteLocked, t, v)\n")),
	one("refcnt-reorder-wait-before-flag", "__vma_enter_locked() waits for the readers to drain before it adds the exclude-readers flag",
		rep(refcnt, "\tif !refcountAddNotZero(&v.Refcnt, RefcntExcludeReaders) {\n\t\treturn false\n\t}\n\tmm.At(mm.PointExcluding, t, v)\n\tt.Acquiring(mm.VMAWrite)\n\ts.mm.WaitWriter(t, func() bool { return v.Refcnt.Load() == target })\n\tt.Waited()\n",
			"\tt.Acquiring(mm.VMAWrite)\n\ts.mm.WaitWriter(t, func() bool { return v.Refcnt.Load() == target })\n\tt.Waited()\n\tif !refcountAddNotZero(&v.Refcnt, RefcntExcludeReaders) {\n\t\treturn false\n\t}\n\tmm.At(mm.PointExcluding, t, v)\n")),
	one("refcnt-reorder-detach-enter-before-put", "vma_mark_detached() excludes readers before it drops the attached reference",
		rep(refcnt, "\tif v.Refcnt.Add(-1) != 0 {\n\t\tif s.vmaEnterLocked(t, v, true) {\n\t\t\tvmaExitLocked(v)\n\t\t}\n\t}\n",
			"\tif s.vmaEnterLocked(t, v, true) {\n\t\tvmaExitLocked(v)\n\t}\n\tv.Refcnt.Add(-1)\n")),
	one("refcnt-reorder-free-before-detach", "a removed VMA goes back to the cache (vm_area_free) before vma_mark_detached(): another MM can reuse it still attached",
		rep(refcnt, "\t\ts.vmaMarkDetached(t, v)\n\t\tif op.Kind != mm.OpMunmap {\n\t\t\ts.mm.Cache().Free(t, v) // vm_area_free(): SLAB_TYPESAFE_BY_RCU\n\t\t}\n\t}\n\treturn c, nil\n",
			"\t\ts.mm.Cache().Free(t, v) // vm_area_free(): SLAB_TYPESAFE_BY_RCU\n\t\ts.vmaMarkDetached(t, v)\n\t}\n\tc.Removed = nil // freed already\n\treturn c, nil\n")),
	one("refcnt-reorder-commit-before-lock", "the change is committed before the new VMAs are write-locked",
		rep(refcnt, "\tfor _, v := range c.New {\n\t\ts.vmaStartWrite(t, v)\n\t}\n\ts.mm.Commit(t, c)\n", "\ts.mm.Commit(t, c)\n\tfor _, v := range c.New {\n\t\ts.vmaStartWrite(t, v)\n\t}\n")),
	one("refcnt-reorder-seqcount-begin-before-lock", "mm_lock_seqcount_begin() comes before down_write(&mm->mmap_lock): a second writer's begin ends the first one's section",
		rep(refcnt, "\tmmapWriteLock(t, s.mm)\n\ts.mm.LockSeq.Add(1) // mm_lock_seqcount_begin(): odd\n", "\ts.mm.LockSeq.Add(1) // mm_lock_seqcount_begin(): odd\n\tmmapWriteLock(t, s.mm)\n")),
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
		del(vmawait, "\tif _, ok := refcountIncNotZeroLimited(&v.Refcnt, refLimit); !ok {\n\t\tmmapReadUnlock(t, s.mm)\n\t\treturn Ref{}, ErrRefLimit\n\t}\n")),
	one("vmawait-slow-falls-back", "the slow path returns holding mmap_lock, as the pre-2026 idiom",
		rep(vmawait, "\t// Slow path: preclude VMA writers by getting mmap read lock.\n", "\treturn lookupLocked(t, s.mm, addr)\n\t// Slow path: preclude VMA writers by getting mmap read lock.\n")),
	one("vmawait-slow-keeps-mmap-lock", "the slow path returns without dropping mmap_lock",
		rep(vmawait, "\tt.Hold(mm.VMARead)\n\tmmapReadUnlock(t, s.mm)\n\treturn Ref{VMA: v}, nil\n}", "\tt.Hold(mm.VMARead)\n\treturn Ref{VMA: v}, nil\n}")),
	one("vmawait-slow-no-wait", "the slow path looks the VMA up without waiting for the writer (no mmap_read_lock)",
		rep(vmawait, "\tmmapReadLock(t, s.mm)\n\tmm.At(mm.PointSlowLocked, t, nil)\n", "\tmm.At(mm.PointSlowLocked, t, nil)\n"),
		rep(vmawait, "\tif v == nil {\n\t\tmmapReadUnlock(t, s.mm)\n", "\tif v == nil {\n"),
		rep(vmawait, "\t\tmmapReadUnlock(t, s.mm)\n\t\treturn Ref{}, ErrRefLimit\n", "\t\treturn Ref{}, ErrRefLimit\n"),
		rep(vmawait, "\tt.Hold(mm.VMARead)\n\tmmapReadUnlock(t, s.mm)\n\treturn Ref{VMA: v}, nil\n}", "\tt.Hold(mm.VMARead)\n\treturn Ref{VMA: v}, nil\n}")),
}
