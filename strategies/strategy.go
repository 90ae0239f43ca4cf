// Package strategies holds the VMA locking designs vmabench compares, each a
// model of the kernel code it names, over the simulated address space of
// package mm.
//
// Every design answers the same kinds of caller, because the designs differ
// exactly there (docs/strategies.md in the repository walks through each
// model step by step):
//
//   - Fault: the page-fault path of a user-mode fault, do_user_addr_fault();
//   - FaultKernel: a fault taken in kernel mode (the copy_from_user() of a
//     syscall), which never takes the per-VMA path;
//   - Lookup and Release: a syscall that needs a stable VMA while it touches
//     user memory (binder, tcp zerocopy);
//   - Madvise and ReadMaps: madvise(MADV_DONTNEED) and a read of
//     /proc/pid/maps, which take the locks of the release the design
//     stands for;
//   - Write: an address-space change (mmap, munmap, mprotect).
//
// The designs, in the registry's order:
//
//	mmaplock   one mmap rw-semaphore for everything (before v6.4)
//	vmaseq     v6.4 per-VMA rwsem with vm_lock_seq/mm_lock_seq, fallback to mmap_lock
//	           (the shape of v6.4 to v6.14; modelled as v6.4 released)
//	vmarefcnt  v6.15+ per-VMA refcount lock, detached state, type-safe VMA reuse
//	           (madvise and /proc/pid/maps under per-VMA locks as of v6.17)
//	vmawait    2026 lookup helper that waits for writers: no caller fallback
//	           (a posting on top of vmarefcnt, not a release)
//	nolock     no locking at all: the floor, unsafe under writers
//	kernel     the host kernel itself, through real system calls (not a model)
package strategies

import (
	"errors"
	"fmt"
	"strings"

	"vmabench/mm"
)

// Strategy is one VMA locking design. All methods take the calling thread's
// Task, which carries its counters; a Strategy is safe for concurrent use by
// any number of threads, each with its own Task.
type Strategy interface {
	// MM returns the address space the strategy locks.
	MM() *mm.MM
	// Fault handles a page fault at addr taken in user mode
	// (FAULT_FLAG_USER). It returns mm.ErrNoVMA if no VMA covers addr
	// (SIGSEGV).
	Fault(t *mm.Task, addr uint64) error
	// FaultKernel handles a page fault at addr taken in kernel mode: the
	// copy_from_user() of a syscall. Every design handles it under
	// mmap_read_lock() and counts no vma_lock_* event, as
	// do_user_addr_fault() sends a fault without FAULT_FLAG_USER straight
	// to lock_mmap. It returns mm.ErrNoVMA if no VMA covers addr (the
	// syscall's -EFAULT).
	FaultKernel(t *mm.Task, addr uint64) error
	// Lookup returns the VMA covering addr, held stable until Release: no
	// writer changes it meanwhile. It returns mm.ErrNoVMA if none covers
	// addr. What else the holder may do (fault, sleep) depends on the
	// design: under mmaplock it holds mmap_lock.
	Lookup(t *mm.Task, addr uint64) (Ref, error)
	// Release ends a successful Lookup.
	Release(t *mm.Task, r Ref)
	// Madvise models madvise(MADV_DONTNEED) on [start, end): it zaps the
	// pages of every VMA in the range, holding them as the design's kernel
	// does (mmap_read_lock() before v6.17, a per-VMA lock after). It
	// returns mm.ErrNoVMA if part of the range is unmapped (-ENOMEM).
	Madvise(t *mm.Task, start, end uint64) error
	// ReadMaps models reading /proc/pid/maps from start to end: it shows
	// every VMA (show_map_vma()), holding each as the design's kernel does
	// (mmap_read_lock() per page of output before v6.17, a per-VMA lock
	// after). It returns the number of VMAs shown.
	ReadMaps(t *mm.Task) (int, error)
	// Write makes an address-space change.
	Write(t *mm.Task, op mm.Op) error
}

// Ref is a VMA held by Lookup, with how it is held.
type Ref struct {
	VMA *mm.VMA
	// MmapLocked is set when the VMA is held through mmap_lock for reading
	// rather than through its own lock.
	MmapLocked bool
}

// Info describes a registered strategy.
type Info struct {
	// Name is the registry name, in [a-z0-9-]+.
	Name string
	// Description is one line for `vmabench list`.
	Description string
	// New returns a fresh strategy over a new MM made from cfg. A nil
	// cfg.Cache gets the design's own VMA cache policy. New is nil for
	// strategies that are not models (kernel).
	New func(cfg mm.Config) Strategy
	// Unsafe is set for designs that do not exclude writers from readers:
	// unsafe under every workload with a writer beside its readers, where
	// the checker must catch them.
	Unsafe bool
	// Expect is the rest of what the design promises, which the
	// conformance suite (strategytest.Run) holds it to.
	Expect Expect
	// Live is set for the host kernel itself: the workloads run as real
	// system calls and page faults (see workloads.Live), not over mm.
	Live bool
	// SameAs names a design whose code this one runs for every entry
	// point but Differs (vmawait is vmarefcnt but for Lookup): under a
	// workload that calls none of Differs (workloads.Info.Calls), its
	// cells measure the same code as SameAs's, and a table shows them as
	// such rather than as a second, noisy figure. A test holds the claim
	// to the source: the design's type embeds SameAs's and declares only
	// the methods of Differs.
	SameAs  string
	Differs Calls
}

// Calls is a set of a Strategy's entry points, the kinds of caller the
// designs answer (see the package documentation).
type Calls uint8

// The entry points. CallLookup stands for Lookup and its Release.
const (
	CallFault Calls = 1 << iota
	CallFaultKernel
	CallLookup
	CallMadvise
	CallReadMaps
	CallWrite
)

// callNames are the entry points' names, in bit order.
var callNames = []string{"Fault", "FaultKernel", "Lookup", "Madvise", "ReadMaps", "Write"}

// String names the entry points of c: "Fault|Madvise", "" for none.
func (c Calls) String() string {
	var out []string
	for i, n := range callNames {
		if c&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, "|")
}

// SameCode returns the design whose code s runs under a workload that
// calls the entry points calls, and true, where s's Info says it has one
// (SameAs) and calls holds none of the points where they differ. An
// unknown calls (0) is never the same.
func SameCode(s Info, calls Calls) (string, bool) {
	if s.SameAs == "" || calls == 0 || calls&s.Differs != 0 {
		return "", false
	}
	return s.SameAs, true
}

// Expect is what a design promises beyond Unsafe, declared once in its
// registry row: strategytest.Run holds every model to its row, and package
// workloads reads from it which cells deadlock.
type Expect struct {
	// PerVMA: faults and lookups try a per-VMA lock first and keep the
	// kernel's vma_lock_* counters; at rest, every fault succeeds on
	// that path.
	PerVMA bool
	// ReusesVMAs: freed VMAs are handed out again at once
	// (SLAB_TYPESAFE_BY_RCU), so a stress must see reuse.
	ReusesVMAs bool
	// LookupNeverFallsBack: Lookup never returns holding mmap_lock.
	LookupNeverFallsBack bool
	// AbortsWithoutAnonVMA: lock_vma_under_rcu() refuses a VMA with no
	// anon_vma (v6.4), so the first fault of each VMA aborts to mmap_lock.
	AbortsWithoutAnonVMA bool
	// Deadlocks are the workloads under which the design deadlocks.
	Deadlocks []Deadlock
}

// Deadlock is a workload, and the configuration, under which a design
// deadlocks, with the reason.
type Deadlock struct {
	// Workload is the workload's registry name.
	Workload string
	// TouchHeldOnly: only when the writer changes the VMAs the readers
	// hold and fault (the nested-fault workload's touch-held knob).
	TouchHeldOnly bool
	// Why says which thread waits for which, in one line.
	Why string
}

// DeadlocksUnder returns why the design deadlocks under workload (with the
// writer touching the held VMAs if touchHeld), or "" if it does not.
func (i Info) DeadlocksUnder(workload string, touchHeld bool) string {
	for _, d := range i.Expect.Deadlocks {
		if d.Workload == workload && (touchHeld || !d.TouchHeldOnly) {
			return d.Why
		}
	}
	return ""
}

// Why the models deadlock under the nested-fault workload.
const (
	whyNestedMmap    = "a Lookup holder's nested fault takes mmap_lock again behind the queued writer"
	whyNestedTouched = "the writer write-locks the faulted VMA, then waits for the held one; the nested kernel-mode fault waits for the writer's mmap_lock"
)

// registry lists the strategies in report order. It is a table, not init()
// registration, so the order is explicit and a duplicate is a test failure.
var registry = []Info{
	{Name: "mmaplock", Description: "one mmap rw-semaphore for faults, lookups and changes (before v6.4)", New: NewMmapLock,
		Expect: Expect{Deadlocks: []Deadlock{{Workload: "nested-fault", Why: whyNestedMmap}}}},
	{Name: "vmaseq", Description: "v6.4 per-VMA rwsem with vm_lock_seq/mm_lock_seq, fallback to mmap_lock", New: NewVMASeq,
		Expect: Expect{PerVMA: true, AbortsWithoutAnonVMA: true, Deadlocks: []Deadlock{{Workload: "nested-fault", TouchHeldOnly: true, Why: whyNestedTouched}}}},
	{Name: "vmarefcnt", Description: "v6.15+ per-VMA refcount with exclude-readers flag, detached state, type-safe reuse", New: NewVMARefcnt,
		Expect: Expect{PerVMA: true, ReusesVMAs: true, Deadlocks: []Deadlock{{Workload: "nested-fault", TouchHeldOnly: true, Why: whyNestedTouched}}}},
	{Name: "vmawait", Description: "2026 vma_start_read_unlocked(): lookups wait for writers, no mmap_lock fallback", New: NewVMAWait,
		Expect: Expect{PerVMA: true, ReusesVMAs: true, LookupNeverFallsBack: true, Deadlocks: []Deadlock{{Workload: "nested-fault", TouchHeldOnly: true, Why: whyNestedTouched}}},
		SameAs: "vmarefcnt", Differs: CallLookup},
	{Name: "nolock", Description: "no locking at all: the cost floor; unsafe under writers", New: NewNoLock, Unsafe: true},
	{Name: "kernel", Description: "the live kernel: the same workloads as real page faults, mmap, munmap, mprotect, madvise", Live: true},
}

// List returns every registered strategy, in report order.
func List() []Info { return append([]Info(nil), registry...) }

// Names returns the registered names, in report order.
func Names() []string {
	names := make([]string, len(registry))
	for i, s := range registry {
		names[i] = s.Name
	}
	return names
}

// ErrUnknown is wrapped by Get's error for a name that is not registered.
var ErrUnknown = errors.New("unknown strategy")

// Get returns the strategy registered as name.
func Get(name string) (Info, error) {
	for _, s := range registry {
		if s.Name == name {
			return s, nil
		}
	}
	return Info{}, fmt.Errorf("%w %q (valid: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// mmapReadLock models mmap_read_lock() (and mmap_read_lock_killable(), the
// same without a signal): down_read(), whose fast path is one atomic add of
// the reader bias, which a queued writer's waiters flag makes fail into
// rwsem_down_read_slowpath() (where the reader may still steal the lock, or
// queues). The kernel without CONFIG_LOCK_STAT does not try first
// (LOCK_CONTENDED() is just the lock). mincore(), madvise(), /proc/pid/maps
// and a Lookup's mmap_read_lock() + vma_lookup() take it so. The watchdog
// learns of it only on the slow path, so the uncontended path stores
// nothing more than down_read() does.
//
// A timed operation (mm.LockTime) reads the clock before the lock and once
// it is taken, the span the kernel's mmap_lock_start_locking and
// mmap_lock_acquire_returned tracepoints bracket.
func mmapReadLock(t *mm.Task, m *mm.MM) {
	w := t.LockWaitStart()
	m.MmapLock.DownReadWatched(t, mm.MmapRead)
	t.LockAcquired(mm.LockMmap, w)
}

// mmapReadLockFault models get_mmap_lock_carefully(), how
// lock_mm_and_find_vma() takes mmap_lock for a page fault:
// mmap_read_trylock() first, a compare-and-swap loop that fails without
// touching the count while a writer holds or waits, and only then
// mmap_read_lock_killable(). It is timed as mmapReadLock is.
func mmapReadLockFault(t *mm.Task, m *mm.MM) {
	w := t.LockWaitStart()
	if m.MmapLock.DownReadTrylock(t) {
		t.LockAcquired(mm.LockMmap, w)
		return
	}
	m.MmapLock.DownReadWatched(t, mm.MmapRead)
	t.LockAcquired(mm.LockMmap, w)
}

// mmapReadUnlock models mmap_read_unlock(): up_read(), which does not look
// at the calling task (t only ends a timed hold). A timed hold ends before
// up_read(), where the kernel's mmap_lock_released tracepoint fires
// (__mmap_lock_trace_released()), so the wake-up of a waiting writer that
// up_read() may make counts to neither side's hold, as in the kernel's
// figures.
func mmapReadUnlock(t *mm.Task, m *mm.MM) {
	t.LockReleased()
	m.MmapLock.UpRead(nil)
}

// mmapWriteLock models down_write(&mm->mmap_lock), the part of
// mmap_write_lock() every design shares.
func mmapWriteLock(t *mm.Task, m *mm.MM) {
	w := t.LockWaitStart()
	t.Acquiring(mm.MmapWrite)
	m.MmapLock.DownWrite(t)
	t.Waited()
	t.Hold(mm.MmapWrite)
	t.LockAcquired(mm.LockMmap, w)
}

// mmapWriteUnlock models up_write(&mm->mmap_lock). A timed hold ends
// before it, where mmap_write_unlock() fires the mmap_lock_released
// tracepoint: up_write()'s wake-up of the waiters (rwsem_wake(), a
// futex(2) call here) is not hold time in the kernel's figures either.
func mmapWriteUnlock(t *mm.Task, m *mm.MM) {
	t.Unhold(mm.MmapWrite)
	mm.At(mm.PointWriteUnlock, t, nil)
	t.LockReleased()
	m.MmapLock.UpWrite(t)
}

// completeMunmap models the end of munmap() from mmap_write_downgrade() on,
// as vms_complete_munmap_vmas() does it when the caller asked to unlock
// (__vm_munmap() from the munmap() system call): the design has ended its
// VMA write locks (vma_end_write_all(), or mm_lock_seqcount_end() from
// v6.15, the first step of mmap_write_downgrade()); downgrade_write() turns
// mmap_lock into a read lock and lets queued readers in; the page-table
// teardown and remove_vma() run under it (mm.MM.CompleteMunmap); then
// mmap_read_unlock(). Readers overlap the tail, and the next writer waits
// for it.
func completeMunmap(t *mm.Task, m *mm.MM, c *mm.Change) {
	t.Unhold(mm.MmapWrite)
	mm.At(mm.PointWriteUnlock, t, nil)
	m.MmapLock.DowngradeWrite(t)
	t.Hold(mm.MmapRead)
	m.CompleteMunmap(t, c)
	t.Unhold(mm.MmapRead)
	mmapReadUnlock(t, m)
}

// releaseLookup ends any design's Lookup: mmap_read_unlock() if it fell
// back to mmap_lock, else vmaEndRead, the design's vma_end_read().
func releaseLookup(t *mm.Task, m *mm.MM, r Ref, vmaEndRead func(*mm.VMA)) {
	if r.MmapLocked {
		t.Unhold(mm.MmapRead)
		mmapReadUnlock(t, m)
		return
	}
	t.Unhold(mm.VMARead)
	vmaEndRead(r.VMA)
}

// lookupLocked models the pre-2026 idiom `mmap_read_lock(mm); vma =
// vma_lookup(mm, addr);`: it returns with mmap_lock held, or with nothing
// held and mm.ErrNoVMA.
func lookupLocked(t *mm.Task, m *mm.MM, addr uint64) (Ref, error) {
	mmapReadLock(t, m)
	v := m.FindVMA(addr)
	if v == nil {
		mmapReadUnlock(t, m)
		return Ref{}, mm.ErrNoVMA
	}
	t.Hold(mm.MmapRead)
	return Ref{VMA: v, MmapLocked: true}, nil
}

// faultLocked models the fallback of do_user_addr_fault():
// lock_mm_and_find_vma(), handle_mm_fault() and mmap_read_unlock(). It is
// also every design's FaultKernel: a fault without FAULT_FLAG_USER goes
// straight to lock_mmap.
func faultLocked(t *mm.Task, m *mm.MM, addr uint64) error {
	mmapReadLockFault(t, m)
	mm.At(mm.PointFaultLocked, t, nil)
	v := m.FindVMA(addr)
	if v == nil {
		mmapReadUnlock(t, m)
		return mm.ErrNoVMA
	}
	mm.HandleFault(t, v, addr, 0)
	mmapReadUnlock(t, m)
	return nil
}

// change makes op with no per-VMA locking: prepare, commit, and mark the
// removed VMAs detached; it frees them unless op is a munmap, whose
// mm.MM.CompleteMunmap frees them later, as remove_vma() does after
// mmap_write_downgrade(). Under mmaplock the caller holds mmap_lock for
// writing; under nolock, nothing.
func change(t *mm.Task, m *mm.MM, op mm.Op) (*mm.Change, error) {
	c, err := m.Prepare(t, op)
	if err != nil {
		return nil, err
	}
	m.Commit(t, c)
	for _, v := range c.Removed {
		v.Detached.Store(true)
		if op.Kind != mm.OpMunmap {
			m.Cache().Free(t, v)
		}
	}
	return c, nil
}

// madviseLocked models madvise(MADV_DONTNEED) under mmap_read_lock(), as
// every release before v6.17 does it (madvise_need_mmap_write() is false for
// MADV_DONTNEED): madvise_walk_vmas() zaps each VMA of the range with the
// lock held across the whole range.
func madviseLocked(t *mm.Task, m *mm.MM, start, end uint64) error {
	mmapReadLock(t, m)
	t.Hold(mm.MmapRead)
	err := zapRange(t, m, start, end)
	t.ZapWork() // the zap's calibrated work and TLB flush, under the lock
	t.Unhold(mm.MmapRead)
	mmapReadUnlock(t, m)
	return err
}

// zapRange models madvise_walk_vmas() with madvise_dontneed_single_vma():
// zap_page_range_single() on the part of each VMA in [start, end). The
// caller holds the VMAs (mmap_lock, or the one VMA's lock), or nothing under
// nolock, where a VMA can change under it.
func zapRange(t *mm.Task, m *mm.MM, start, end uint64) error {
	for addr := start; addr < end; {
		v := m.FindVMA(addr)
		if v == nil {
			return fmt.Errorf("madvise at %#x: %w", addr, mm.ErrNoVMA)
		}
		stop := min(v.End(), end)
		if stop <= addr { // only nolock can see a VMA change under it
			stop = addr + mm.PageSize
		}
		gen := t.AssertZap(v, addr, stop)
		m.Zap(t, addr, stop)
		t.AssertUnchanged(v, gen)
		addr = stop
	}
	return nil
}

// readMapsLocked models a read of /proc/pid/maps before v6.17: m_start()
// takes mmap_read_lock() and finds the VMA at the last position, m_next()
// shows VMAs until the seq_file buffer (a page) is full, and m_stop() drops
// the lock while the page is copied to user space and read() returns; the
// next read() starts again from where it stopped (mapsNextRead). A writer
// can only get in between pages.
func readMapsLocked(t *mm.Task, m *mm.MM) int {
	n := 0
	for from := uint64(0); ; {
		mmapReadLock(t, m) // m_start()
		t.Hold(mm.MmapRead)
		for size := 0; ; {
			e, ok := m.Tree().Next(from) // vma_next()
			if !ok {
				t.Unhold(mm.MmapRead)
				mmapReadUnlock(t, m)
				return n
			}
			line := mapsLineLen(e.Start, e.End)
			if size > 0 && size+line > mm.PageSize {
				break // the buffer is full: seq_read_iter() calls m_stop()
			}
			from = showMapVMA(t, e.VMA)
			size += line
			n++
		}
		t.Unhold(mm.MmapRead)
		mmapReadUnlock(t, m) // m_stop()
		mapsNextRead(t)
	}
}

// mapsNextRead models what lies between two pages of a /proc/pid/maps
// read, outside any lock: copy_to_iter() of the page, the read() system
// call's return and the next one's entry (the calibrated syscall cost; the
// copy is in maps-vma-ns, whose slope carries each VMA's share of it).
func mapsNextRead(t *mm.Task) { t.Spin(2 * t.Work.SyscallHalf) }

// showMapVMA models show_map_vma() for a VMA the caller holds: read its
// fields, under the checker's assertions, and format its line (the
// calibrated work per VMA, Work.MapsVMA: the kernel's time per VMA of a
// /proc/pid/maps read). It returns vm_end, where the next VMA is searched
// from.
func showMapVMA(t *mm.Task, v *mm.VMA) uint64 {
	start := v.Start()
	gen := t.AssertStable(v, start)
	end := v.End()
	_ = v.Prot()
	t.Spin(t.Work.MapsVMA) // show_vma_header_prefix(), seq_printf()
	t.AssertUnchanged(v, gen)
	if t.Shown != nil {
		t.Shown(v, start, end)
	}
	return max(end, start+mm.PageSize)
}

// mapsLineLen is the length of an anonymous VMA's line in /proc/pid/maps as
// show_vma_header_prefix() prints it, "%08lx-%08lx %c%c%c%c %08llx
// %02x:%02x %lu " and a newline: what fills the seq_file page.
func mapsLineLen(start, end uint64) int {
	return hexLen(start) + 1 + hexLen(end) + len(" rw-p 00000000 00:00 0 \n")
}

// hexLen is the width of %08lx.
func hexLen(x uint64) int {
	n := 1
	for x >= 16 {
		x >>= 4
		n++
	}
	return max(n, 8)
}
