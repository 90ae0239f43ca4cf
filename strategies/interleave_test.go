package strategies

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"vmabench/mm"
)

// The tests in this file force each race window of the lock steps open
// with gates (hook_test.go): a thread is parked at a point inside a step
// while another acts, and what the parked thread does next is checked.
// They are deterministic: every wait is for a state, never for a time,
// except where a test gives a broken writer time to do what it must not.

// rwVMA maps [16, 24) pages read-write and prepares its anon_vma with one
// fault, as most tests here start.
func rwVMA(t *testing.T, s Strategy) (reader, writer *mm.Task, v *mm.VMA) {
	t.Helper()
	m := s.MM()
	mustSetup(t, m, mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 8 * pg, Prot: mm.ProtRead | mm.ProtWrite})
	reader, writer = mm.NewTask(m, 0, 0), mm.NewTask(m, 1, 0)
	if err := s.Fault(reader, 16*pg); err != nil {
		t.Fatal(err)
	}
	reader.Stats = mm.Stats{}
	return reader, writer, m.FindVMA(16 * pg)
}

// split is an mprotect that splits the VMA of rwVMA, write-locking it.
var split = mm.Op{Kind: mm.OpMprotect, Start: 20 * pg, Len: 2 * pg, Prot: mm.ProtRead}

func wantStats(t *testing.T, got mm.Stats, success, abort, retry, miss uint64) {
	t.Helper()
	if got.VMALockSuccess != success || got.VMALockAbort != abort || got.VMALockRetry != retry || got.VMALockMiss != miss {
		t.Errorf("vma_lock success, abort, retry, miss = %d, %d, %d, %d; want %d, %d, %d, %d",
			got.VMALockSuccess, got.VMALockAbort, got.VMALockRetry, got.VMALockMiss, success, abort, retry, miss)
	}
	if got.Violations != 0 {
		t.Errorf("%d checker violations", got.Violations)
	}
}

// TestWriteLockedUntilSeqBump: from vma_start_write() until
// vma_end_write_all(), a reader finds the VMA write-locked by the lockless
// early check alone, without touching its lock; in the refcount designs
// mm_lock_seq is odd meanwhile; and mm_lock_seq is bumped before mmap_lock
// is released (mmap_write_unlock()), so at that point a reader succeeds.
func TestWriteLockedUntilSeqBump(t *testing.T) {
	for _, d := range perVMADesigns(nil) {
		t.Run(d.name, func(t *testing.T) {
			s, m := d.s, d.s.MM()
			reader, writer, v := rwVMA(t, s)
			commit, unlock := newGate(mm.PointCommit, nil), newGate(mm.PointWriteUnlock, nil)
			var touched atomic.Int32
			hooks(t, []*gate{commit, unlock}, func(p mm.Point, _ *mm.Task, _ *mm.VMA) {
				if p == mm.PointSeqChecked {
					touched.Add(1)
				}
			})
			done := async(func() error { return s.Write(writer, split) })

			commit.reached(t)
			if seq := m.LockSeq.Load(); d.refcnt && seq%2 != 1 {
				t.Errorf("mm_lock_seq = %d inside a write section; the seqcount must be odd", seq)
			}
			if got := s.lockVMAUnderRCU(reader, 17*pg); got != nil {
				s.vmaEndRead(got)
				t.Errorf("a reader locked the VMA while it was write-locked")
			}
			if n := touched.Load(); n != 0 {
				t.Errorf("the early check let a reader on to the lock of a write-locked VMA")
			}
			commit.open()

			unlock.reached(t)
			if v.LockSeq.Load() == m.LockSeq.Load() {
				t.Errorf("mmap_lock about to be released with vm_lock_seq == mm_lock_seq (%d): vma_end_write_all() not done first", m.LockSeq.Load())
			}
			if seq := m.LockSeq.Load(); d.refcnt && seq%2 != 0 {
				t.Errorf("mm_lock_seq = %d at mmap_write_unlock; the seqcount must end even", seq)
			}
			if got := s.lockVMAUnderRCU(reader, 17*pg); got == nil {
				t.Errorf("a reader failed once vma_end_write_all() had run")
			} else {
				s.vmaEndRead(got)
			}
			unlock.open()
			if err := finish(t, "writer", done); err != nil {
				t.Fatal(err)
			}
			wantStats(t, reader.Stats, 0, 1, 0, 0)
		})
	}
}

// TestRecheckAfterLock: a reader passes the early check, a writer then
// write-locks the VMA, and only then does the reader take the lock or the
// reference; its re-check of the sequence must refuse the VMA.
func TestRecheckAfterLock(t *testing.T) {
	for _, d := range perVMADesigns(nil) {
		t.Run(d.name, func(t *testing.T) {
			s := d.s
			reader, writer, v := rwVMA(t, s)
			checked, commit := newGate(mm.PointSeqChecked, v), newGate(mm.PointCommit, nil)
			hooks(t, []*gate{checked, commit}, nil)
			got := async(func() *mm.VMA { return s.lockVMAUnderRCU(reader, 17*pg) })
			checked.reached(t)
			done := async(func() error { return s.Write(writer, split) })
			commit.reached(t)
			checked.open()
			if l := finish(t, "reader", got); l != nil {
				s.vmaEndRead(l)
				t.Errorf("a reader locked a VMA write-locked after its early check")
			}
			commit.open()
			if err := finish(t, "writer", done); err != nil {
				t.Fatal(err)
			}
			wantStats(t, reader.Stats, 0, 1, 0, 0)
		})
	}
}

// TestReaderFailsWhileWriterHolds: a reader past the early check meets a
// writer inside vma_start_write(): holding vma->lock (v6.4), or with the
// exclude-readers flag set, before and after it sets vm_lock_seq (v6.15+).
// down_read_trylock() or the limited increment must fail, leaving
// vm_refcnt as it was.
func TestReaderFailsWhileWriterHolds(t *testing.T) {
	for i, d := range perVMADesigns(nil) {
		points := map[mm.Point]string{mm.PointWriteLocked: "write-locked"}
		if d.refcnt {
			points[mm.PointExcluding] = "excluding"
		}
		for point, pname := range points {
			t.Run(d.name+"/"+pname, func(t *testing.T) {
				d := perVMADesigns(nil)[i] // a fresh instance
				s := d.s
				reader, writer, v := rwVMA(t, s)
				checked, writing := newGate(mm.PointSeqChecked, v), newGate(point, v)
				hooks(t, []*gate{checked, writing}, nil)
				got := async(func() *mm.VMA { return s.lockVMAUnderRCU(reader, 17*pg) })
				checked.reached(t)
				done := async(func() error { return s.Write(writer, split) })
				writing.reached(t)
				// The lock word: vm_refcnt, or the v6.4 rwsem's count.
				word := func() int64 {
					if d.refcnt {
						return int64(v.Refcnt.Load())
					}
					return v.Lock.Count()
				}
				before := word()
				checked.open()
				if l := finish(t, "reader", got); l != nil {
					s.vmaEndRead(l)
					t.Errorf("a reader locked a VMA a writer holds in vma_start_write()")
				}
				if after := word(); after != before {
					t.Errorf("lock word %#x after the refused reader, want %#x as the writer left it", after, before)
				}
				writing.open()
				if err := finish(t, "writer", done); err != nil {
					t.Fatal(err)
				}
				wantStats(t, reader.Stats, 0, 1, 0, 0)
				if err := s.(Checker).CheckIdle(); err != nil {
					t.Errorf("at rest: %v", err)
				}
			})
		}
	}
}

// TestRangeRecheck: a reader finds a VMA, a writer shrinks it (mprotect
// splits off the part the reader wants) and finishes, and only then does
// the reader lock it: unlocked now, but no longer covering the address, so
// the reader must abort.
func TestRangeRecheck(t *testing.T) {
	for _, d := range perVMADesigns(nil) {
		t.Run(d.name, func(t *testing.T) {
			s := d.s
			reader, writer, v := rwVMA(t, s)
			walked := newGate(mm.PointWalked, v)
			hooks(t, []*gate{walked}, nil)
			got := async(func() *mm.VMA { return s.lockVMAUnderRCU(reader, 21*pg) })
			walked.reached(t)
			if err := s.Write(writer, split); err != nil {
				t.Fatal(err)
			}
			walked.open()
			if l := finish(t, "reader", got); l != nil {
				s.vmaEndRead(l)
				t.Errorf("a reader locked VMA [%#x, %#x) for %#x", l.Start(), l.End(), 21*pg)
			}
			wantStats(t, reader.Stats, 0, 1, 0, 0)
		})
	}
}

// TestDetachedIsMiss: a reader finds a VMA that is then unmapped (detached
// and freed) before it locks it: it must count a miss, walk again, find
// nothing and abort. In the refcount designs the increment must not bring
// the detached VMA (vm_refcnt 0) back to life.
func TestDetachedIsMiss(t *testing.T) {
	for _, d := range perVMADesigns(nil) {
		t.Run(d.name, func(t *testing.T) {
			s := d.s
			reader, writer, v := rwVMA(t, s)
			walked := newGate(mm.PointWalked, v)
			hooks(t, []*gate{walked}, nil)
			got := async(func() *mm.VMA { return s.lockVMAUnderRCU(reader, 17*pg) })
			walked.reached(t)
			if err := s.Write(writer, mm.Op{Kind: mm.OpMunmap, Start: 16 * pg, Len: 8 * pg}); err != nil {
				t.Fatal(err)
			}
			walked.open()
			if l := finish(t, "reader", got); l != nil {
				s.vmaEndRead(l)
				t.Errorf("a reader locked a detached VMA")
			}
			if r := v.Refcnt.Load(); d.refcnt && r != 0 {
				t.Errorf("detached VMA: vm_refcnt %d after the reader, want 0", r)
			}
			wantStats(t, reader.Stats, 0, 1, 0, 1)
		})
	}
}

// TestDetachWaitsForRacingReader: a reader takes its reference after the
// writer write-locked the VMA but before vma_mark_detached() drops the
// attached one. vma_mark_detached() must wait for that reader to leave,
// and the VMA must end detached (vm_refcnt 0).
func TestDetachWaitsForRacingReader(t *testing.T) {
	for _, d := range perVMADesigns(nil) {
		if !d.refcnt {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			s := d.s
			reader, writer, v := rwVMA(t, s)
			checked, locked, detaching := newGate(mm.PointSeqChecked, v), newGate(mm.PointReadLocked, v), newGate(mm.PointDetaching, v)
			hooks(t, []*gate{checked, locked, detaching}, nil)
			got := async(func() *mm.VMA { return s.lockVMAUnderRCU(reader, 17*pg) })
			checked.reached(t)
			done := async(func() error { return s.Write(writer, mm.Op{Kind: mm.OpMunmap, Start: 16 * pg, Len: 8 * pg}) })
			detaching.reached(t)
			checked.open()
			locked.reached(t) // the reader holds a reference
			detaching.open()
			eventually(t, "vma_mark_detached() waits for the reader or returns", func() bool {
				return isDone(done) || v.Refcnt.Load()&RefcntExcludeReaders != 0
			})
			returned := isDone(done)
			locked.open()
			if returned {
				t.Errorf("vma_mark_detached() returned while a reader held a reference")
			}
			if l := finish(t, "reader", got); l != nil {
				s.vmaEndRead(l)
				t.Errorf("a reader locked a VMA being detached")
			}
			if err := finish(t, "writer", done); err != nil {
				t.Fatal(err)
			}
			if r := v.Refcnt.Load(); r != 0 {
				t.Errorf("vm_refcnt %#x after vma_mark_detached(), want 0", r)
			}
			wantStats(t, reader.Stats, 0, 1, 0, 0)
		})
	}
}

// TestWriterWaitsForHolder: a writer that changes a VMA a Lookup holds must
// wait until it is released, and must then finish (it is woken). The
// writer is seen blocked on the lock itself (mmap_lock or vma->lock turn a
// trylock away); in the refcount designs, by the exclude-readers flag, and
// then given time to do what it must not.
func TestWriterWaitsForHolder(t *testing.T) {
	type design struct {
		name      string
		s         Strategy
		perVMA    bool
		blockedOn func(v *mm.VMA) bool
	}
	probe := mm.NewTask(nil, 99, 0)
	// trylockFails: down_read_trylock() is refused, as it is once a
	// writer holds or waits for the rwsem.
	trylockFails := func(l *mm.RWSem) bool {
		if l.DownReadTrylock(probe) {
			l.UpRead(probe)
			return false
		}
		return true
	}
	mmap := NewMmapLock(mm.Config{}).(*MmapLock)
	excluding := func(v *mm.VMA) bool { return v.Refcnt.Load()&RefcntExcludeReaders != 0 }
	designs := []design{
		{"mmaplock", mmap, false, func(*mm.VMA) bool { return trylockFails(&mmap.mm.MmapLock) }},
		{"vmaseq", NewVMASeq(mm.Config{}), true, func(v *mm.VMA) bool { return trylockFails(v.Lock) }},
		{"vmarefcnt", NewVMARefcnt(mm.Config{}), true, excluding},
		{"vmawait", NewVMAWait(mm.Config{}), true, excluding},
	}
	for _, d := range designs {
		t.Run(d.name, func(t *testing.T) {
			s := d.s
			reader, writer, v := rwVMA(t, s)
			var holding, early atomic.Bool
			hooks(t, nil, func(p mm.Point, _ *mm.Task, _ *mm.VMA) {
				if p == mm.PointCommit && holding.Load() {
					early.Store(true)
				}
			})
			r, err := s.Lookup(reader, 17*pg)
			if err != nil {
				t.Fatal(err)
			}
			if r.MmapLocked == d.perVMA {
				t.Fatalf("Lookup held the VMA with mmap_lock = %v", r.MmapLocked)
			}
			holding.Store(true)
			gen := reader.AssertStable(r.VMA, 17*pg)
			done := async(func() error { return s.Write(writer, split) })
			eventually(t, "the writer blocks or finishes", func() bool { return isDone(done) || d.blockedOn(v) })
			time.Sleep(20 * time.Millisecond)
			reader.AssertUnchanged(r.VMA, gen)
			holding.Store(false)
			s.Release(reader, r)
			if err := finish(t, "writer after the holder released", done); err != nil {
				t.Fatal(err)
			}
			if early.Load() {
				t.Errorf("the writer changed the VMA while a Lookup held it")
			}
			if reader.Stats.Violations != 0 {
				t.Errorf("%d violations: %s", reader.Stats.Violations, reader.FirstViolation())
			}
			if c, ok := s.(Checker); ok {
				if err := c.CheckIdle(); err != nil {
					t.Errorf("at rest: %v", err)
				}
			}
		})
	}
}

// TestVMAWaitLookupWaitsForWriter: vmawait's Lookup on a write-locked VMA
// does not fail; it blocks on mmap_lock until the writer is done, looks the
// VMA up only then, and returns it read-locked with mmap_lock dropped.
func TestVMAWaitLookupWaitsForWriter(t *testing.T) {
	s := &VMAWait{newVMARefcnt(mm.Config{})}
	reader, writer, _ := rwVMA(t, s)
	commit := newGate(mm.PointCommit, nil)
	var early atomic.Bool
	hooks(t, []*gate{commit}, func(p mm.Point, _ *mm.Task, _ *mm.VMA) {
		if p == mm.PointSlowLocked && s.mm.LockSeq.Load()%2 != 0 {
			early.Store(true)
		}
	})
	done := async(func() error { return s.Write(writer, split) })
	commit.reached(t)
	type result struct {
		r   Ref
		err error
	}
	res := async(func() result {
		r, err := s.Lookup(reader, 17*pg)
		return result{r, err}
	})
	eventually(t, "Lookup blocks on mmap_lock or returns", func() bool {
		_, w := reader.LockInfo()
		return isDone(res) || w == mm.MmapRead
	})
	if isDone(res) {
		t.Errorf("Lookup returned while the writer held the VMA write-locked")
	}
	commit.open()
	if err := finish(t, "writer", done); err != nil {
		t.Fatal(err)
	}
	got := finish(t, "Lookup", res)
	if got.err != nil || got.r.MmapLocked {
		t.Fatalf("Lookup = %+v, %v; want a read-locked VMA without mmap_lock", got.r, got.err)
	}
	if early.Load() {
		t.Errorf("the slow path looked the VMA up inside the writer's section")
	}
	if r := got.r.VMA.Refcnt.Load(); r != 2 {
		t.Errorf("vm_refcnt = %d, want 2 (attached + one reader)", r)
	}
	if !s.mm.MmapLock.Idle() {
		t.Fatalf("mmap_lock still held after Lookup returned: count %#x", s.mm.MmapLock.Count())
	}
	s.Release(reader, got.r)
	if _, err := s.Lookup(reader, 99*pg); !errors.Is(err, mm.ErrNoVMA) {
		t.Errorf("Lookup of an unmapped address = %v, want ErrNoVMA", err)
	}
	if err := s.CheckIdle(); err != nil {
		t.Errorf("at rest: %v", err)
	}
}

// TestCounters holds the vma_lock_* counters to the kernel's meaning with a
// scripted scenario: a fault that completes under the VMA lock (success);
// a fault where no VMA is (abort, as in the kernel); a fault on a
// write-locked VMA (abort); the first fault of a VMA while mmap_lock is
// held by a writer, so anon_vma cannot be prepared (retry; in v6.4, whose
// lock_vma_under_rcu() refuses a VMA without anon_vma, abort); and a fault
// whose VMA is unmapped between the walk and the lock (miss, then abort
// when the walk finds nothing).
func TestCounters(t *testing.T) {
	for _, d := range perVMADesigns(nil) {
		t.Run(d.name, func(t *testing.T) {
			s, m := d.s, d.s.MM()
			mustSetup(t, m,
				mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 8 * pg, Prot: mm.ProtRead | mm.ProtWrite},
				mm.Op{Kind: mm.OpMmap, Start: 32 * pg, Len: 8 * pg, Prot: mm.ProtRead | mm.ProtWrite})
			task, writer := mm.NewTask(m, 0, 0), mm.NewTask(m, 1, 0)
			v := m.FindVMA(16 * pg)
			if err := s.FaultKernel(writer, 16*pg); err != nil { // prepare anon_vma
				t.Fatal(err)
			}
			step := func(name string, success, abort, retry, miss uint64, f func()) {
				t.Helper()
				task.Stats = mm.Stats{}
				f()
				if t.Failed() {
					t.FailNow()
				}
				t.Run(name, func(t *testing.T) { wantStats(t, task.Stats, success, abort, retry, miss) })
			}
			// blockedFault faults at addr while a writer doing op is
			// parked inside its section, and lets the writer go once
			// the fault waits for mmap_lock.
			blockedFault := func(addr uint64, op mm.Op) {
				commit := newGate(mm.PointCommit, nil)
				hooks(t, []*gate{commit}, nil)
				done := async(func() error { return s.Write(writer, op) })
				commit.reached(t)
				f := async(func() error { return s.Fault(task, addr) })
				eventually(t, "the fault falls back to mmap_lock", func() bool {
					_, w := task.LockInfo()
					return isDone(f) || w == mm.MmapRead
				})
				commit.open()
				if err := finish(t, "writer", done); err != nil {
					t.Fatal(err)
				}
				if err := finish(t, "fault", f); err != nil {
					t.Fatal(err)
				}
			}
			step("success", 1, 0, 0, 0, func() {
				if err := s.Fault(task, 17*pg); err != nil {
					t.Fatal(err)
				}
			})
			step("no-vma", 0, 1, 0, 0, func() {
				if err := s.Fault(task, 100*pg); !errors.Is(err, mm.ErrNoVMA) {
					t.Fatalf("fault where no VMA is = %v, want ErrNoVMA", err)
				}
			})
			step("write-locked", 0, 1, 0, 0, func() { blockedFault(17*pg, split) })
			firstFault := func() { blockedFault(33*pg, mm.Op{Kind: mm.OpMmap, Start: 64 * pg, Len: pg, Prot: mm.ProtRead}) }
			if d.name == "vmaseq" {
				step("no-anon-vma", 0, 1, 0, 0, firstFault)
			} else {
				step("retry", 0, 0, 1, 0, firstFault)
			}
			step("miss", 0, 1, 0, 1, func() {
				walked := newGate(mm.PointWalked, v)
				hooks(t, []*gate{walked}, nil)
				f := async(func() error { return s.Fault(task, 17*pg) })
				walked.reached(t)
				if err := s.Write(writer, mm.Op{Kind: mm.OpMunmap, Start: 16 * pg, Len: 8 * pg}); err != nil {
					t.Fatal(err)
				}
				walked.open()
				if err := finish(t, "fault", f); !errors.Is(err, mm.ErrNoVMA) {
					t.Fatalf("fault on the unmapped VMA = %v, want ErrNoVMA", err)
				}
			})
		})
	}
}

// TestMapsWalkRechecks: the /proc/pid/maps walk of the refcount designs
// (lock_next_vma()) finds the next VMA under RCU and locks it; a writer
// acts in between. If the VMA was freed and reused below the walk's
// position, the range check must send the walk to mmap_lock (or it shows
// VMAs again); if a VMA was mapped into the gap before it, the gap check
// must (or the walk skips the new VMA).
func TestMapsWalkRechecks(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change []mm.Op
		want   int // VMAs shown
	}{
		{"reused-below", []mm.Op{
			{Kind: mm.OpMunmap, Start: 32 * pg, Len: 8 * pg},
			{Kind: mm.OpMmap, Start: 4 * pg, Len: 4 * pg, Prot: mm.ProtRead},
		}, 2},
		{"mapped-in-gap", []mm.Op{
			{Kind: mm.OpMmap, Start: 26 * pg, Len: 2 * pg, Prot: mm.ProtRead},
		}, 4},
	} {
		for _, d := range perVMADesigns(nil) {
			if !d.refcnt {
				continue
			}
			t.Run(tt.name+"/"+d.name, func(t *testing.T) {
				s, m := d.s, d.s.MM()
				mustSetup(t, m,
					mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 8 * pg, Prot: mm.ProtRead | mm.ProtWrite},
					mm.Op{Kind: mm.OpMmap, Start: 32 * pg, Len: 8 * pg, Prot: mm.ProtRead | mm.ProtWrite},
					mm.Op{Kind: mm.OpMmap, Start: 48 * pg, Len: 8 * pg, Prot: mm.ProtRead | mm.ProtWrite})
				reader, writer := mm.NewTask(m, 0, 0), mm.NewTask(m, 1, 0)
				b := m.FindVMA(32 * pg)
				walked := newGate(mm.PointWalked, b)
				hooks(t, []*gate{walked}, nil)
				type result struct {
					n   int
					err error
				}
				res := async(func() result {
					n, err := s.ReadMaps(reader)
					return result{n, err}
				})
				walked.reached(t)
				for _, op := range tt.change {
					if err := s.Write(writer, op); err != nil {
						t.Fatal(err)
					}
				}
				if tt.name == "reused-below" && m.FindVMA(4*pg) != b {
					t.Fatal("the freed VMA was not reused below the walk: the race is not set up")
				}
				walked.open()
				got := finish(t, "ReadMaps", res)
				if got.err != nil || got.n != tt.want {
					t.Errorf("ReadMaps = %d, %v; want %d VMAs shown", got.n, got.err, tt.want)
				}
				if reader.Stats.Violations != 0 {
					t.Errorf("%d violations: %s", reader.Stats.Violations, reader.FirstViolation())
				}
				if err := s.(Checker).CheckIdle(); err != nil {
					t.Errorf("at rest: %v", err)
				}
			})
		}
	}
}
