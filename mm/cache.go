package mm

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// Cache models vm_area_cachep, the slab VMAs come from.
//
// With reuse, it models SLAB_TYPESAFE_BY_RCU (v6.15+): a freed VMA goes on a
// LIFO free list and is handed out again at once, possibly to another MM,
// while a reader that found it under RCU may still be about to take a
// reference. Such a reader must re-check vm_mm and the range after locking.
//
// Without reuse, it models the v6.4 call_rcu() free: a freed VMA is dropped
// and Go's garbage collector reclaims it only once no reader can reach it,
// exactly the guarantee of a grace period.
//
// The free lists are per CPU, as SLUB's freelists are: a thread's CPU is
// its Task's ID modulo cacheCPUs, a VMA goes on the list of the CPU that
// frees it, and an allocation takes the newest of its own CPU's list, an
// object still in that CPU's cache. Only when that list is empty does it
// take another CPU's (the next in order that has one), as SLUB refills
// from slab pages and the node's partial list, where other CPUs' frees
// land: the type-safe reuse race across CPUs the checker explores. Until
// 2026-12-03 the model had one list for every CPU, so two threads that
// each mapped and unmapped (mmap1) took each other's VMAs, whose lines the
// other CPU had written last: in a projection of mmap1 at 2 virtual CPUs,
// three or four line transfers per mmap and munmap the kernel does not
// make.
//
// A Cache may be shared by several MMs (as the slab is shared by all
// processes), which is how cross-MM reuse is tested.
type Cache struct {
	reuse bool
	cpus  [cacheCPUs]cacheCPU
	// locks is the v6.4 "vma_lock" slab the VMAs' Lock objects come from,
	// for a design that has one (UseVMALocks): only v6.4's VMAs carry a
	// separate struct vma_lock; before it there was none, and from v6.15
	// vm_refcnt lives in the VMA. Until 2026-12-03 every design's new VMA
	// took one from the slab, under its one mutex, whose line two threads'
	// mmaps then shared.
	vmaLocks bool
	locks    vmaLockSlab
}

// cacheCPUs is how many per-CPU free lists a Cache keeps.
const cacheCPUs = 64

// cacheCPU is one CPU's part of a Cache, on lines of its own. The mutex
// is the model's (a list another CPU may take from); uncontended, it costs
// an atomic on a line its CPU holds, as this_cpu_cmpxchg() does. n is the
// list's length, for a look without the lock. allocs and reuses are the
// harness's counters, not the slab's. All are sync/atomic, which a
// projection does not charge.
type cacheCPU struct {
	mu     sync.Mutex
	free   []*VMA
	n      atomic.Int32
	allocs atomic.Uint64
	reuses atomic.Uint64
	_      cpu.CacheLinePad
}

// NewCache returns an empty cache; reuse selects type-safe reuse.
func NewCache(reuse bool) *Cache { return &Cache{reuse: reuse} }

// UseVMALocks makes the cache give each new VMA a v6.4 vma_lock
// (VMA.Lock, from the packed "vma_lock" slab). Call it before the first
// allocation; a design without the object leaves VMA.Lock nil.
func (c *Cache) UseVMALocks() { c.vmaLocks = true }

// Reuse reports whether freed VMAs are reused at once.
func (c *Cache) Reuse() bool { return c.reuse }

// Stats returns how many VMAs were handed out and how many of those were
// reused ones.
func (c *Cache) Stats() (allocs, reuses uint64) {
	for i := range c.cpus {
		allocs += c.cpus[i].allocs.Load()
		reuses += c.cpus[i].reuses.Load()
	}
	return allocs, reuses
}

// cpuOf is the index of t's CPU's part of a Cache.
func cpuOf(t *Task) int { return int(uint(t.ID) % cacheCPUs) }

// alloc models vm_area_alloc() by t: a detached VMA (vm_refcnt 0,
// detached, not write-locked: vm_lock_seq -1).
func (c *Cache) alloc(t *Task) *VMA {
	own := cpuOf(t)
	c.cpus[own].allocs.Add(1)
	var v *VMA
	if c.reuse {
		for i := range cacheCPUs {
			if pc := &c.cpus[(own+i)%cacheCPUs]; pc.n.Load() > 0 {
				if v = pc.pop(); v != nil {
					break
				}
			}
		}
	}
	if v == nil {
		v = new(VMA)
		if c.vmaLocks {
			v.Lock = c.locks.alloc() // vma_lock_alloc()
		}
		// The slab constructor: vm_refcnt starts at 0 once, and is never
		// reset on reuse, because a racing reader may be looking at it.
		v.Detached.Store(true)
	} else {
		c.cpus[own].reuses.Add(1)
	}
	// vma_lock_init(vma, false): not write-locked.
	v.LockSeq.Store(-1)
	v.freed.Store(false)
	return v
}

// pop takes the newest VMA off the list, or nil.
func (pc *cacheCPU) pop() *VMA {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	k := len(pc.free)
	if k == 0 {
		return nil
	}
	v := pc.free[k-1]
	pc.free = pc.free[:k-1]
	pc.n.Store(int32(k - 1))
	return v
}

// vmaLockSlab models kmem_cache "vma_lock" of v6.4
// (KMEM_CACHE(vma_lock, SLAB_PANIC|SLAB_ACCOUNT), no SLAB_HWCACHE_ALIGN):
// struct vma_lock objects packed back to back in slab pages, so the locks
// of VMAs allocated one after another share cache lines, and a reader's
// down_read_trylock() on one VMA's lock takes the line from a writer on its
// neighbour. The kernel's object is 40 bytes, and so is the model's RWSem,
// packed at that stride.
// Slots are handed out in order from fresh pages and not reused (a freed
// VMA's lock goes with it, to the garbage collector once its page is
// unreferenced), where the kernel's freelist reuses freed slots: the
// sharing is of neighbours in allocation order either way.
type vmaLockSlab struct {
	mu   sync.Mutex
	page *[vmaLocksPerPage]RWSem
	next int
}

// vmaLocksPerPage fills a 4 KiB page, as the slab's order-0 pages.
const vmaLocksPerPage = 4096 / 40

// alloc models vma_lock_alloc(): the next object of the slab.
func (s *vmaLockSlab) alloc() *RWSem {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.page == nil || s.next == len(s.page) {
		s.page = new([vmaLocksPerPage]RWSem)
		s.next = 0
	}
	l := &s.page[s.next]
	s.next++
	return l
}

// EachFree calls f with each VMA on the free lists, each CPU's newest
// first, until f returns false: the checker's view of what the cache holds
// (only a cache with reuse keeps lists).
func (c *Cache) EachFree(f func(v *VMA) bool) {
	for i := range c.cpus {
		pc := &c.cpus[i]
		if pc.n.Load() == 0 {
			continue
		}
		pc.mu.Lock()
		for j := len(pc.free) - 1; j >= 0; j-- {
			if !f(pc.free[j]) {
				pc.mu.Unlock()
				return
			}
		}
		pc.mu.Unlock()
	}
}

// Free models vm_area_free() by t: it returns a detached VMA to the list
// of t's CPU. The caller has detached it and waited out its readers
// (vma_mark_detached).
func (c *Cache) Free(t *Task, v *VMA) {
	v.freed.Store(true)
	if !c.reuse {
		return
	}
	pc := &c.cpus[cpuOf(t)]
	pc.mu.Lock()
	pc.free = append(pc.free, v)
	pc.n.Store(int32(len(pc.free)))
	pc.mu.Unlock()
}
