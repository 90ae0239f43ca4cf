package strategies

import (
	"errors"

	"vmabench/mm"
)

// RefcntExcludeReaders is VM_REFCNT_EXCLUDE_READERS_FLAG (VMA_LOCK_OFFSET
// before 2026): added to vm_refcnt while a writer waits for readers to
// drain. refLimit, VMA_REF_LIMIT, is below it, so a reader's limited
// increment fails while the flag is set.
const (
	RefcntExcludeReaders int32 = 0x40000000
	refLimit                   = RefcntExcludeReaders - 1
)

// ErrRefLimit is a read lock refused because vm_refcnt reached
// VMA_REF_LIMIT (the only way vma_start_read_locked() can fail).
var ErrRefLimit = errors.New("vm_refcnt at VMA_REF_LIMIT")

// VMARefcnt is the per-VMA lock of v6.15 and later (posted on linux-mm from
// 2024-11-14; the flag renamed in 2026-01): no per-VMA rwsem, but a
// reference count, vm_refcnt, whose values mean
//
//	0                     detached: not in any tree, no readers
//	1                     attached, no readers
//	1+n                   attached, n readers
//	flag (+1) (+n)        a writer excludes readers (flag = RefcntExcludeReaders),
//	                      waiting for the n readers left to drain
//
// and the MM's mm_lock_seq as a seqcount, odd while mmap_lock is held for
// writing. A writer write-locks a VMA by adding the flag, sleeping on the
// MM's vma_writer_wait until the readers are gone, setting vm_lock_seq to
// mm_lock_seq and removing the flag: from then until mmap_write_unlock(),
// readers are kept out by the sequence check alone.
//
// Freed VMAs return to the VMA cache at once (SLAB_TYPESAFE_BY_RCU), so a
// reader that found a VMA under RCU can take a reference to one that now
// belongs to another mapping or MM; the vm_mm and range re-checks after the
// increment are what keep it correct.
//
// It stands for v6.15 and later, with the paths of v6.17 and later:
// madvise(MADV_DONTNEED) tries the per-VMA lock first (try_vma_read_lock())
// and /proc/pid/maps is read one per-VMA-locked VMA at a time
// (lock_next_vma()); v6.15 and v6.16 took mmap_read_lock() for both, as
// vmaseq does.
type VMARefcnt struct {
	mm *mm.MM
}

var _ Strategy = (*VMARefcnt)(nil)

// NewVMARefcnt returns the vmarefcnt design over a new MM. A nil cfg.Cache
// gets a cache with type-safe reuse.
func NewVMARefcnt(cfg mm.Config) Strategy { return newVMARefcnt(cfg) }

func newVMARefcnt(cfg mm.Config) *VMARefcnt {
	if cfg.Cache == nil {
		cfg.Cache = mm.NewCache(true)
	}
	return &VMARefcnt{mm: mm.New(cfg)}
}

// MM returns the address space.
func (s *VMARefcnt) MM() *mm.MM { return s.mm }

// refcountIncNotZeroLimited models __refcount_inc_not_zero_limited_acquire():
// add one unless vm_refcnt is 0 or would pass limit. It returns the old value.
// One read, then atomic_try_cmpxchg_acquire() retried on the value each
// failure found (TryCmpxchg), as the kernel's loop is.
func refcountIncNotZeroLimited(r *mm.Int32, limit int32) (old int32, ok bool) {
	old = r.Load()
	for {
		if old == 0 || old >= limit {
			return old, false
		}
		if r.TryCmpxchg(&old, old+1) {
			return old, true
		}
	}
}

// refcountAddNotZero models refcount_add_not_zero().
func refcountAddNotZero(r *mm.Int32, n int32) bool {
	old := r.Load()
	for {
		if old == 0 {
			return false
		}
		if r.TryCmpxchg(&old, old+n) {
			return true
		}
	}
}

// isVMAWriterOnly models is_vma_writer_only(): a writer waits and no reader
// is left (flag, or flag+1 while attached).
func isVMAWriterOnly(refcnt int32) bool {
	return refcnt&RefcntExcludeReaders != 0 && refcnt <= RefcntExcludeReaders+1
}

type readResult uint8

const (
	readOK       readResult = iota
	readFail                // locked by a writer, reused elsewhere, or at the limit
	readDetached            // vm_refcnt was 0: -EAGAIN
)

// vmaStartRead models vma_start_read(mm, vma) of v6.15+.
func (s *VMARefcnt) vmaStartRead(v *mm.VMA) readResult {
	// Lockless early check; a race might cause a false locked result.
	if v.LockSeq.Load() == s.mm.LockSeq.Load() {
		return readFail
	}
	mm.At(mm.PointSeqChecked, nil, v)
	// Fails on 0 (detached) and while the exclude-readers flag is set.
	if old, ok := refcountIncNotZeroLimited(&v.Refcnt, refLimit); !ok {
		if old == 0 {
			return readDetached
		}
		return readFail
	}
	mm.At(mm.PointReadLocked, nil, v)
	// The VMA got attached to another mm from under us (type-safe reuse).
	if v.MM() != s.mm {
		vmaRefcountPut(v)
		return readFail
	}
	// Acquire re-read of mm_lock_seq: a writer may have locked it
	// between the early check and the increment.
	if v.LockSeq.Load() == s.mm.LockSeq.Load() {
		vmaRefcountPut(v)
		return readFail
	}
	return readOK
}

// vmaRefcountPut models vma_refcount_put(), which is vma_end_read(): drop the
// reference, and wake the writer if only it is left.
func vmaRefcountPut(v *mm.VMA) {
	// A copy of vm_mm, in case the VMA is freed once the reference drops.
	m := v.MM()
	if n := v.Refcnt.Add(-1); n != 0 && isVMAWriterOnly(n) {
		m.WakeWriter() // rcuwait_wake_up(&mm->vma_writer_wait)
	}
}

// lockVMAUnderRCU models lock_vma_under_rcu() of v6.15+.
func (s *VMARefcnt) lockVMAUnderRCU(t *mm.Task, addr uint64) *mm.VMA {
	for {
		v := s.mm.FindVMA(addr) // mas_walk()
		mm.At(mm.PointWalked, t, v)
		if v == nil {
			t.Stats.VMALockAbort++
			return nil
		}
		if locked, again := s.lockFound(t, v, addr); !again {
			return locked
		}
	}
}

// lockFound is the part of lock_vma_under_rcu() after the walk: read-lock
// the VMA the walk found, which may since have been detached, or freed and
// reused for another range or MM, and check it is the right one. again
// reports that the VMA was detached and the walk must be retried.
func (s *VMARefcnt) lockFound(t *mm.Task, v *mm.VMA, addr uint64) (locked *mm.VMA, again bool) {
	switch s.vmaStartRead(v) {
	case readDetached:
		// The VMA got isolated after we found it: the area was
		// replaced with another one. Walk again.
		t.Stats.VMALockMiss++
		return nil, true
	case readFail:
		t.Stats.VMALockAbort++
		return nil, false
	}
	// A stable reference: check it is the right VMA.
	if !v.Contains(addr) {
		vmaRefcountPut(v)
		t.Stats.VMALockAbort++
		return nil, false
	}
	return v, false
}

// Fault models do_user_addr_fault() with per-VMA locks for a user-mode fault;
// see VMASeq.Fault. Here the handler may return VM_FAULT_RETRY: the first
// fault of a VMA needs its anon_vma, and __vmf_anon_prepare() (v6.8+) only
// try-locks mmap_lock for it.
func (s *VMARefcnt) Fault(t *mm.Task, addr uint64) error {
	w := t.LockWaitStart()
	if v := s.lockVMAUnderRCU(t, addr); v != nil {
		t.LockAcquired(mm.LockVMA, w)
		r := mm.HandleFault(t, v, addr, mm.FaultFlagVMALock)
		t.LockReleased() // the hold ends before the unlock, as mmapReadUnlock's
		vmaRefcountPut(v)
		if r != mm.FaultRetry {
			t.Stats.VMALockSuccess++
			return nil
		}
		t.Stats.VMALockRetry++
	}
	return faultLocked(t, s.mm, addr)
}

// FaultKernel models do_user_addr_fault() for a fault without
// FAULT_FLAG_USER: goto lock_mmap, no vma_lock_* event.
func (s *VMARefcnt) FaultKernel(t *mm.Task, addr uint64) error { return faultLocked(t, s.mm, addr) }

// Madvise models madvise(MADV_DONTNEED) of v6.17+: madvise_lock() with
// MADVISE_VMA_READ_LOCK, whose try_vma_read_lock() read-locks the VMA at
// start with lock_vma_under_rcu() and uses it if the range ends inside it;
// otherwise (a range over several VMAs, or a VMA being written) it falls
// back to mmap_read_lock() for the whole range.
func (s *VMARefcnt) Madvise(t *mm.Task, start, end uint64) error {
	if v := s.lockVMAUnderRCU(t, start); v != nil {
		if end <= v.End() {
			t.Hold(mm.VMARead)
			gen := t.AssertZap(v, start, end)
			t.MM.Zap(t, start, end) // madvise_dontneed_single_vma()
			t.ZapWork()             // its calibrated work and flush, under the VMA lock
			t.AssertUnchanged(v, gen)
			t.Unhold(mm.VMARead)
			vmaRefcountPut(v)
			return nil
		}
		vmaRefcountPut(v) // must span only a single VMA
	}
	return madviseLocked(t, s.mm, start, end)
}

// ReadMaps models a /proc/pid/maps read of v6.17+: m_start() enters RCU,
// each m_next() drops the last VMA's read lock and takes the next one's with
// lock_next_vma(), and show_map_vma() reads it; when the seq_file buffer (a
// page) is full, m_stop() drops the last lock and leaves RCU, and the page
// goes to user space before the next read() (mapsNextRead).
func (s *VMARefcnt) ReadMaps(t *mm.Task) (int, error) {
	n := 0
	for from, size := uint64(0), 0; ; n++ {
		v, err := s.lockNextVMA(t, from)
		if v == nil {
			return n, err
		}
		t.Hold(mm.VMARead)
		start := v.Start()
		from = showMapVMA(t, v)
		t.Unhold(mm.VMARead)
		vmaRefcountPut(v) // unlock_ctx_vma()
		// The kernel stops before the line that does not fit and shows
		// it first on the next page; the model shows it, then stops.
		if size += mapsLineLen(start, from); size > mm.PageSize {
			size = 0
			mapsNextRead(t) // m_stop(), copy_to_iter(), the next read()
		}
	}
}

// lockNextVMA models lock_next_vma() (v6.17+): the first VMA ending above
// from, found under RCU and read-locked with vma_start_read(); the walk is
// retried if it was detached. If it cannot be locked, ends at or below from,
// or may have been shrunk with a new VMA installed before it, it falls back
// to lock_next_vma_under_mmap_lock(). It returns nil at the end of the
// address space. vma_start_read() counts no vma_lock_* event, so neither
// does this.
func (s *VMARefcnt) lockNextVMA(t *mm.Task, from uint64) (*mm.VMA, error) {
	for {
		// mmap_lock_speculate_try_begin(): mm_lock_seq is even while no
		// writer holds mmap_lock.
		seq := s.mm.LockSeq.Load()
		e, ok := s.mm.Tree().Next(from) // vma_next()
		if !ok {
			return nil, nil
		}
		v := e.VMA
		mm.At(mm.PointWalked, t, v)
		switch s.vmaStartRead(v) {
		case readDetached:
			continue // reset to search from the last address
		case readFail:
			return s.lockNextVMAUnderMmapLock(t, from)
		}
		// Verify the vma is not behind the last search position.
		ok = from < v.End()
		// vma can be ahead of the last search position: verify it was
		// not shrunk with another vma installed ahead of it, only if the
		// address space might have changed since the lookup.
		if ok && from < v.Start() && (seq&1 != 0 || s.mm.LockSeq.Load() != seq) {
			e2, found := s.mm.Tree().Next(from)
			ok = found && e2.VMA == v
		}
		if ok {
			return v, nil
		}
		vmaRefcountPut(v)
		return s.lockNextVMAUnderMmapLock(t, from)
	}
}

// lockNextVMAUnderMmapLock models lock_next_vma_under_mmap_lock(): find the
// VMA again under mmap_read_lock(), which waits for the writer, read-lock it
// with vma_start_read_locked() and drop mmap_lock.
func (s *VMARefcnt) lockNextVMAUnderMmapLock(t *mm.Task, from uint64) (*mm.VMA, error) {
	mmapReadLock(t, s.mm)
	defer mmapReadUnlock(t, s.mm)
	e, ok := s.mm.Tree().Next(from) // vma_next()
	if !ok {
		return nil, nil
	}
	// Very unlikely vma->vm_refcnt overflow case.
	if _, ok := refcountIncNotZeroLimited(&e.VMA.Refcnt, refLimit); !ok {
		return nil, ErrRefLimit
	}
	return e.VMA, nil
}

// Lookup models a pre-2026 caller: lock_vma_under_rcu() first, and on
// failure the mmap_read_lock() + vma_lookup() idiom, held until Release.
func (s *VMARefcnt) Lookup(t *mm.Task, addr uint64) (Ref, error) {
	if v := s.lockVMAUnderRCU(t, addr); v != nil {
		t.Hold(mm.VMARead)
		return Ref{VMA: v}, nil
	}
	return lookupLocked(t, s.mm, addr)
}

// Release ends a Lookup: vma_end_read() or mmap_read_unlock().
func (s *VMARefcnt) Release(t *mm.Task, r Ref) { releaseLookup(t, s.mm, r, vmaRefcountPut) }

// vmaEnterLocked models __vma_enter_locked(): add the exclude-readers flag
// (unless detached) and sleep until no reader is left. It reports whether
// the flag was added.
func (s *VMARefcnt) vmaEnterLocked(t *mm.Task, v *mm.VMA, detaching bool) bool {
	target := RefcntExcludeReaders
	if !detaching {
		target++ // the attached reference
	}
	w := t.LockWaitStart() // the wait for readers, timed (mm.LockTime)
	// If the VMA is detached, only vma_mark_attached() can raise
	// vm_refcnt, and mmap_lock excludes that.
	if !refcountAddNotZero(&v.Refcnt, RefcntExcludeReaders) {
		return false
	}
	mm.At(mm.PointExcluding, t, v)
	t.Acquiring(mm.VMAWrite)
	s.mm.WaitWriter(t, func() bool { return v.Refcnt.Load() == target })
	t.Waited()
	t.LockWaited(mm.LockVMA, w)
	return true
}

// vmaExitLocked models __vma_exit_locked(): remove the flag; it reports
// whether the VMA is now detached.
func vmaExitLocked(v *mm.VMA) (detached bool) {
	return v.Refcnt.Add(-RefcntExcludeReaders) == 0
}

// vmaStartWrite models vma_start_write() / __vma_start_write() of v6.15+.
// The caller holds mmap_lock for writing.
func (s *VMARefcnt) vmaStartWrite(t *mm.Task, v *mm.VMA) {
	seq := s.mm.LockSeq.Load()
	if v.LockSeq.Load() == seq { // __is_vma_write_locked()
		return
	}
	locked := s.vmaEnterLocked(t, v, false)
	v.LockSeq.Store(seq)
	mm.At(mm.PointWriteLocked, t, v)
	if locked {
		vmaExitLocked(v)
	}
}

// vmaMarkDetached models vma_mark_detached(): drop the attached reference;
// if readers raced in (they hold it only briefly, before they see the VMA
// write-locked), wait for them to leave.
func (s *VMARefcnt) vmaMarkDetached(t *mm.Task, v *mm.VMA) {
	mm.At(mm.PointDetaching, t, v)
	if v.Refcnt.Add(-1) != 0 {
		if s.vmaEnterLocked(t, v, true) {
			vmaExitLocked(v)
		}
	}
}

// Write models an address-space change: mmap_write_lock() (seqcount begin),
// vma_start_write() on every VMA touched or inserted, the change, the removed
// VMAs detached, and the seqcount's end (vma_end_write_all():
// mm_lock_seqcount_end()), which mmap_write_unlock() and
// mmap_write_downgrade() both begin with; then up_write(), or for munmap
// downgrade_write() and the tail under the read lock, which returns the
// removed VMAs to the cache for immediate reuse (remove_vma(),
// vm_area_free(): SLAB_TYPESAFE_BY_RCU).
func (s *VMARefcnt) Write(t *mm.Task, op mm.Op) error {
	mmapWriteLock(t, s.mm)
	s.mm.LockSeq.Add(1) // mm_lock_seqcount_begin(): odd
	c, err := s.change(t, op)
	s.mm.LockSeq.Add(1) // vma_end_write_all(): mm_lock_seqcount_end()
	if err != nil || op.Kind != mm.OpMunmap {
		mmapWriteUnlock(t, s.mm)
		return err
	}
	completeMunmap(t, s.mm, c)
	return nil
}

// change is Write's part under the write lock, inside the seqcount.
func (s *VMARefcnt) change(t *mm.Task, op mm.Op) (*mm.Change, error) {
	c, err := s.mm.Prepare(t, op)
	if err != nil {
		return nil, err
	}
	for _, v := range c.Touched {
		s.vmaStartWrite(t, v)
	}
	for _, v := range c.New {
		s.vmaStartWrite(t, v)
	}
	s.mm.Commit(t, c)
	for _, v := range c.Removed {
		s.vmaMarkDetached(t, v)
		if op.Kind != mm.OpMunmap {
			s.mm.Cache().Free(t, v) // vm_area_free(): SLAB_TYPESAFE_BY_RCU
		}
	}
	return c, nil
}
