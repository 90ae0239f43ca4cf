package mm

import "golang.org/x/sys/cpu"

// The page allocator and the LRU as every fault and every zap meets them:
// each CPU's list of free pages (struct per_cpu_pages), refilled from and
// drained to the zone's free lists in batches under the zone lock, and each
// CPU's batch of new folios (cpu_fbatches.lru_add), moved onto the LRU
// under the lruvec lock when full. The locks are shared by every thread of
// the MM, the per-CPU state is each Task's own (a model thread is a CPU),
// as in the kernel. They are the same for every design: what they cost at
// scale, every design pays.
//
// The locks are the model's spinLock (test-and-test-and-set, as the
// wait_lock); the kernel's spinlock_t is a queued spinlock (qspinlock),
// fair and spinning on a line per waiter, which the model does not copy:
// with many waiters it overstates the lock's cost.
//
// The work under the two locks is calibrated per page (Work.ZoneAlloc,
// ZoneFree, LRUAdd, LRUDel): user space cannot time it apart from the fault
// and the zap that contain it, so package calib states the figures as
// assumptions and takes them out of the calibrated fault and zap work.

// FolioBatchSize is PAGEVEC_SIZE, the capacity of a struct folio_batch in
// v6.18 (include/linux/pagevec.h: 31 pointers and a header make a power of
// two): folio_add_lru() moves the CPU's lru_add batch onto the LRU when it
// holds this many, and free_pages_and_swap_cache() puts folios in batches
// of as many.
const FolioBatchSize = 31

// PCPBatchScaleMax is CONFIG_PCP_BATCH_SCALE_MAX's default: a CPU's refill
// batch doubles on consecutive refills without a free, up to batch << 5.
const PCPBatchScaleMax = 5

// DefaultPCPBatch is the pcp batch of a zone of 1 GiB or more
// (zone_batchsize(): 64 rounded as the kernel does, less one), used when no
// profile gives this machine's (-calibration none).
const DefaultPCPBatch = 63

// DefaultPCPHigh is the least pcp high zone_highsize() allows, four
// batches, used when no profile gives this machine's.
const DefaultPCPHigh = 4 * DefaultPCPBatch

// zone models the part of struct zone the page allocator's bulk paths take:
// zone->lock, which rmqueue_bulk() and free_pcppages_bulk() hold while they
// move a batch of pages between a CPU's list and the buddy free lists, and
// the free-page count the lock protects.
type zone struct {
	lock spinLock
	// free is the zone's free pages beyond the model's origin: pages
	// refilled to CPUs lower it, pages drained raise it. Only holders of
	// lock touch it.
	free int64
}

// lruvec models the lruvec of the MM's memory cgroup on its node: its
// lru_lock, held by folio_batch_move_lru() (adding a CPU's batch) and by
// folios_put_refs() (taking freed folios off the LRU), and the LRU size it
// protects.
type lruvec struct {
	lock spinLock
	// pages is the number of folios on the LRU. Only holders of lock
	// touch it.
	pages int64
}

// pagesets is the MM's share of the allocator: its zone and lruvec, each
// on a cache line of its own, as the kernel aligns zone->lock
// (ZONE_PADDING) and the lruvec's lru_lock sits apart from the per-CPU
// data.
type pagesets struct {
	_      cpu.CacheLinePad
	zone   zone
	_      cpu.CacheLinePad
	lruvec lruvec
	_      cpu.CacheLinePad
}

// perCPU is one CPU's allocator state: its struct per_cpu_pages for the
// zone (count, alloc_factor, free_count) and the count of its
// cpu_fbatches.lru_add. Only its own Task touches it, with plain loads and
// stores, as the kernel touches its own CPU's with preemption off.
type perCPU struct {
	count       int // pcp->count: pages on this CPU's list
	allocFactor int // pcp->alloc_factor: refill batch scale
	freeCount   int // pcp->free_count: consecutive frees, scales the drain
	lruAdd      int // folio_batch_count(&cpu_fbatches.lru_add)
}

// pcpParams returns the pcp high and batch t's Work carries, or the
// defaults.
func (t *Task) pcpParams() (high, batch int) {
	high, batch = int(t.Work.PCPHigh), int(t.Work.PCPBatch)
	if batch <= 0 {
		batch = DefaultPCPBatch
	}
	if high <= 0 {
		high = max(DefaultPCPHigh, 4*batch)
	}
	return high, batch
}

// allocPage models the order-0 allocation of a fault (alloc_anon_folio()
// down to rmqueue_pcplist()): take a page from this CPU's list; if the list
// is empty, refill it first with rmqueue_bulk() under the zone lock.
func (t *Task) allocPage() {
	p := &t.pcp
	p.freeCount >>= 1 // rmqueue_pcplist(): fewer pages batch-freed after an allocation
	if p.count == 0 {
		n := t.nrPCPAlloc()
		z := &t.MM.pages.zone
		t.lockSpin(&z.lock, LockAlloc) // rmqueue_bulk(): spin_lock_irqsave(&zone->lock)
		z.free -= int64(n)
		t.Spin(int64(n) * t.Work.ZoneAlloc)
		z.lock.unlock()
		p.count += n
		t.Stats.ZoneLocks++
	}
	p.count--
}

// nrPCPAlloc models nr_pcp_alloc() for order 0 with pcp->high fixed (the
// kernel moves it between high_min and high_max; the model keeps the high
// /proc/zoneinfo showed): batch << alloc_factor, doubling on each refill
// without a free between, up to what fits under high.
func (t *Task) nrPCPAlloc() int {
	high, batch := t.pcpParams()
	p := &t.pcp
	if high < batch { // pcp disabled or boot pageset
		return 1
	}
	maxNrAlloc := max(high-p.count-batch, batch)
	b := batch << p.allocFactor
	if b <= maxNrAlloc && p.allocFactor < PCPBatchScaleMax {
		p.allocFactor++
	}
	return min(b, maxNrAlloc)
}

// freePages models what tlb_finish_mmu() does with n pages a zap cleared:
// free_pages_and_swap_cache() puts them in folio batches of FolioBatchSize,
// and folios_put_refs() takes each batch off the LRU under the lruvec lock
// (__page_cache_release()), then frees it to this CPU's list
// (free_unref_folios()), where free_frozen_page_commit() drains pages to the
// zone once the list reaches high (free_pcppages_bulk() under the zone
// lock).
//
// The model takes every freed page off the LRU; in the kernel a page still
// in some CPU's lru_add batch is not on the LRU yet, and is freed when the
// batch drains.
func (t *Task) freePages(n int) {
	for n > 0 {
		k := min(n, FolioBatchSize)
		n -= k
		l := &t.MM.pages.lruvec
		t.lockSpin(&l.lock, LockAlloc) // folio_lruvec_relock_irqsave()
		l.pages -= int64(k)
		t.Spin(int64(k) * t.Work.LRUDel)
		l.lock.unlock()
		t.Stats.LRULocks++
		for range k {
			t.freePCPPage()
		}
	}
}

// freePCPPage models free_frozen_page_commit() for an order-0 page: onto
// this CPU's list, and, once the list reaches high, free_pcppages_bulk() of
// nr_pcp_free() pages under the zone lock.
func (t *Task) freePCPPage() {
	high, batch := t.pcpParams()
	p := &t.pcp
	p.allocFactor >>= 1 // fewer pages batch-allocated after a free
	p.count++
	if p.freeCount < batch<<PCPBatchScaleMax {
		p.freeCount++
	}
	if p.count < high {
		return
	}
	n := 1 // pcp disabled or boot pageset
	if high >= batch {
		// nr_pcp_free(): at least batch, at most high - batch, as many
		// as were freed in a row.
		n = min(max(p.freeCount, batch), high-batch)
	}
	n = min(n, p.count)
	z := &t.MM.pages.zone
	t.lockSpin(&z.lock, LockAlloc) // free_pcppages_bulk(): spin_lock_irqsave(&zone->lock)
	z.free += int64(n)
	t.Spin(int64(n) * t.Work.ZoneFree)
	z.lock.unlock()
	p.count -= n
	t.Stats.ZoneLocks++
}

// freeNewPage models the release path of do_anonymous_page() when another
// thread mapped the page first (vmf_pte_changed()): folio_put() of the
// unused page, back to this CPU's list; it never reached the LRU.
func (t *Task) freeNewPage() { t.freePCPPage() }

// lruAddNew models folio_add_lru_vma() for a new anonymous folio:
// folio_batch_add() to this CPU's lru_add batch and, when that fills it,
// folio_batch_move_lru(): the whole batch onto the LRU under the lruvec
// lock (lru_add()). The caller holds the PTE lock, as do_anonymous_page()
// does.
func (t *Task) lruAddNew() {
	p := &t.pcp
	p.lruAdd++
	if p.lruAdd < FolioBatchSize {
		return
	}
	t.moveLRUAdd()
}

// lruAddDrain models lru_add_drain() on this CPU, as munmap's
// vms_clear_ptes() calls it before the teardown: the CPU's lru_add batch,
// if it holds any folio, onto the LRU (folio_batch_move_lru()).
// MADV_DONTNEED's zap_page_range_single_batched() in v6.18 has none.
func (t *Task) lruAddDrain() {
	if t.pcp.lruAdd > 0 {
		t.moveLRUAdd()
	}
}

// moveLRUAdd models folio_batch_move_lru() of the CPU's lru_add batch: the
// whole batch onto the LRU under the lruvec lock.
func (t *Task) moveLRUAdd() {
	p := &t.pcp
	l := &t.MM.pages.lruvec
	t.lockSpin(&l.lock, LockAlloc) // folio_lruvec_relock_irqsave()
	l.pages += int64(p.lruAdd)
	t.Spin(int64(p.lruAdd) * t.Work.LRUAdd)
	l.lock.unlock()
	p.lruAdd = 0
	t.Stats.LRULocks++
}
