package mm

import (
	"sync"
	"sync/atomic"
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
// A Cache may be shared by several MMs (as the slab is shared by all
// processes), which is how cross-MM reuse is tested.
type Cache struct {
	reuse bool

	mu   sync.Mutex
	free []*VMA
	// locks is the v6.4 "vma_lock" slab the VMAs' Lock objects come from,
	// for a design that has one (UseVMALocks): only v6.4's VMAs carry a
	// separate struct vma_lock; before it there was none, and from v6.15
	// vm_refcnt lives in the VMA. Until 2026-12-03 every design's new VMA
	// took one from the slab, under its one mutex, whose line two threads'
	// mmaps then shared.
	vmaLocks bool
	locks    vmaLockSlab

	// allocs and reuses are the harness's counters, not the slab's (whose
	// are per CPU): sync/atomic, which a projection does not charge.
	allocs atomic.Uint64
	reuses atomic.Uint64
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
func (c *Cache) Stats() (allocs, reuses uint64) { return c.allocs.Load(), c.reuses.Load() }

// alloc models vm_area_alloc(): a detached VMA (vm_refcnt 0, detached, not
// write-locked: vm_lock_seq -1).
func (c *Cache) alloc() *VMA {
	c.allocs.Add(1)
	var v *VMA
	if c.reuse {
		c.mu.Lock()
		if n := len(c.free); n > 0 {
			v = c.free[n-1]
			c.free = c.free[:n-1]
		}
		c.mu.Unlock()
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
		c.reuses.Add(1)
	}
	// vma_lock_init(vma, false): not write-locked.
	v.LockSeq.Store(-1)
	v.freed.Store(false)
	return v
}

// vmaLockSlab models kmem_cache "vma_lock" of v6.4
// (KMEM_CACHE(vma_lock, SLAB_PANIC|SLAB_ACCOUNT), no SLAB_HWCACHE_ALIGN):
// struct vma_lock objects packed back to back in slab pages, so the locks
// of VMAs allocated one after another share cache lines, and a reader's
// down_read_trylock() on one VMA's lock takes the line from a writer on its
// neighbour. The kernel's object is 40 bytes; the model's RWSem is 48 (its
// owner flags are a word of their own; see RWSem), packed at that stride.
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
const vmaLocksPerPage = 4096 / 48

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

// EachFree calls f with each VMA on the free list, newest first, until f
// returns false: the checker's view of what the cache holds (only a cache
// with reuse keeps a list).
func (c *Cache) EachFree(f func(v *VMA) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.free) - 1; i >= 0; i-- {
		if !f(c.free[i]) {
			return
		}
	}
}

// Free models vm_area_free(): it returns a detached VMA to the cache. The
// caller has detached it and waited out its readers (vma_mark_detached).
func (c *Cache) Free(v *VMA) {
	v.freed.Store(true)
	if !c.reuse {
		return
	}
	c.mu.Lock()
	c.free = append(c.free, v)
	c.mu.Unlock()
}
