// Package strategies holds the VMA locking designs vmabench compares, each a
// model of the kernel code it names, over the simulated address space of
// package mm.
//
// Every design answers the same three kinds of caller, because the designs
// differ exactly there (see shared/strategies.md):
//
//   - Fault: the page-fault path, do_user_addr_fault();
//   - Lookup and Release: a syscall that needs a stable VMA while it touches
//     user memory (binder, tcp zerocopy, /proc readers);
//   - Write: an address-space change (mmap, munmap, mprotect).
//
// The designs, in the registry's order:
//
//	mmaplock   one mmap rw-semaphore for everything (before v6.4)
//	vmaseq     v6.4 per-VMA rwsem with vm_lock_seq/mm_lock_seq, fallback to mmap_lock
//	vmarefcnt  v6.15+ per-VMA refcount lock, detached state, type-safe VMA reuse
//	vmawait    2026 lookup helper that waits for writers: no caller fallback
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
	// Fault handles a page fault at addr. It returns mm.ErrNoVMA if no VMA
	// covers addr (SIGSEGV).
	Fault(t *mm.Task, addr uint64) error
	// Lookup returns the VMA covering addr, held stable until Release: no
	// writer changes it meanwhile. It returns mm.ErrNoVMA if none covers
	// addr. What else the holder may do (fault, sleep) depends on the
	// design: under mmaplock it holds mmap_lock.
	Lookup(t *mm.Task, addr uint64) (Ref, error)
	// Release ends a successful Lookup.
	Release(t *mm.Task, r Ref)
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
	// Unsafe is set for designs that do not exclude writers from readers.
	Unsafe bool
	// Live is set for the host kernel itself: the workloads run as real
	// system calls and page faults (see workloads.Live), not over mm.
	Live bool
}

// registry lists the strategies in report order. It is a table, not init()
// registration, so the order is explicit and a duplicate is a test failure.
var registry = []Info{
	{Name: "mmaplock", Description: "one mmap rw-semaphore for faults, lookups and changes (before v6.4)", New: NewMmapLock},
	{Name: "vmaseq", Description: "v6.4 per-VMA rwsem with vm_lock_seq/mm_lock_seq, fallback to mmap_lock", New: NewVMASeq},
	{Name: "vmarefcnt", Description: "v6.15+ per-VMA refcount with exclude-readers flag, detached state, type-safe reuse", New: NewVMARefcnt},
	{Name: "vmawait", Description: "2026 vma_start_read_unlocked(): lookups wait for writers, no mmap_lock fallback", New: NewVMAWait},
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

// mmapReadLock models mmap_read_lock(). The watchdog learns of it only if
// the thread has to wait: the uncontended path is one trylock, as cheap as
// RLock, and stores nothing else, so lock tracking does not tax mmaplock's
// faults more than the per-VMA designs' faults.
func mmapReadLock(t *mm.Task, m *mm.MM) {
	if m.MmapLock.TryRLock() {
		return
	}
	t.Acquiring(mm.MmapRead)
	m.MmapLock.RLock()
	t.Waited()
}

// mmapReadUnlock models mmap_read_unlock().
func mmapReadUnlock(m *mm.MM) { m.MmapLock.RUnlock() }

// mmapWriteLock models down_write(&mm->mmap_lock), the part of
// mmap_write_lock() every design shares.
func mmapWriteLock(t *mm.Task, m *mm.MM) {
	t.Acquiring(mm.MmapWrite)
	m.MmapLock.Lock()
	t.Waited()
	t.Hold(mm.MmapWrite)
}

// mmapWriteUnlock models up_write(&mm->mmap_lock).
func mmapWriteUnlock(t *mm.Task, m *mm.MM) {
	t.Unhold(mm.MmapWrite)
	m.MmapLock.Unlock()
}

// releaseLookup ends any design's Lookup: mmap_read_unlock() if it fell
// back to mmap_lock, else vmaEndRead, the design's vma_end_read().
func releaseLookup(t *mm.Task, m *mm.MM, r Ref, vmaEndRead func(*mm.VMA)) {
	if r.MmapLocked {
		t.Unhold(mm.MmapRead)
		mmapReadUnlock(m)
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
		mmapReadUnlock(m)
		return Ref{}, mm.ErrNoVMA
	}
	t.Hold(mm.MmapRead)
	return Ref{VMA: v, MmapLocked: true}, nil
}

// faultLocked models the fallback of do_user_addr_fault():
// lock_mm_and_find_vma(), handle_mm_fault() and mmap_read_unlock().
func faultLocked(t *mm.Task, m *mm.MM, addr uint64) error {
	mmapReadLock(t, m)
	v := m.FindVMA(addr)
	if v == nil {
		mmapReadUnlock(m)
		return mm.ErrNoVMA
	}
	mm.HandleFault(t, v, addr, 0)
	mmapReadUnlock(m)
	return nil
}

// change makes op with no per-VMA locking: prepare, commit, and mark the
// removed VMAs detached and free them. Under mmaplock the caller holds
// mmap_lock for writing; under nolock, nothing.
func change(t *mm.Task, m *mm.MM, op mm.Op) error {
	c, err := m.Prepare(t, op)
	if err != nil {
		return err
	}
	m.Commit(t, c)
	for _, v := range c.Removed {
		v.Detached.Store(true)
		m.Cache().Free(v)
	}
	return nil
}
