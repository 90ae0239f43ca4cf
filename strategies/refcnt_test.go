package strategies

import (
	"fmt"
	"testing"
	"time"

	"vmabench/mm"
)

const pg = mm.PageSize

func mustSetup(t *testing.T, m *mm.MM, ops ...mm.Op) {
	t.Helper()
	for _, op := range ops {
		if err := m.Setup(op); err != nil {
			t.Fatalf("setup %v: %v", op, err)
		}
	}
}

// TestTypeSafeReuse forces the race SLAB_TYPESAFE_BY_RCU allows: a reader
// finds a VMA under RCU, the VMA is unmapped, freed and handed out again
// (to another range of the same MM, or to another MM), and only then does
// the reader try to lock it. The increment succeeds, since the VMA is
// attached again; the vm_mm or range re-check must reject it.
func TestTypeSafeReuse(t *testing.T) {
	for _, otherMM := range []bool{false, true} {
		t.Run(fmt.Sprintf("otherMM=%v", otherMM), func(t *testing.T) {
			cache := mm.NewCache(true)
			s := newVMARefcnt(mm.Config{Cache: cache})
			other := newVMARefcnt(mm.Config{Cache: cache})
			mustSetup(t, s.mm, mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 4 * pg, Prot: mm.ProtRead})
			reader, writer := mm.NewTask(s.mm, 0, 0), mm.NewTask(s.mm, 1, 0)
			addr := uint64(17 * pg)

			stale := s.mm.FindVMA(addr) // the reader's RCU walk
			if err := s.Write(writer, mm.Op{Kind: mm.OpMunmap, Start: 16 * pg, Len: 4 * pg}); err != nil {
				t.Fatal(err)
			}
			target, tw := s, writer
			if otherMM {
				target, tw = other, mm.NewTask(other.mm, 2, 0)
			}
			if err := target.Write(tw, mm.Op{Kind: mm.OpMmap, Start: 64 * pg, Len: 4 * pg, Prot: mm.ProtRead}); err != nil {
				t.Fatal(err)
			}
			if target.mm.FindVMA(64*pg) != stale {
				t.Fatal("the freed VMA was not reused: the race is not set up")
			}
			if stale.Refcnt.Load() != 1 {
				t.Fatalf("reused VMA vm_refcnt = %d, want 1 (attached: a reader's increment succeeds)", stale.Refcnt.Load())
			}

			locked, again := s.lockFound(reader, stale, addr)
			if locked != nil || again {
				t.Fatalf("lockFound on a reused VMA = %v, %v; want rejected", locked, again)
			}
			if reader.Stats.VMALockAbort != 1 {
				t.Errorf("vma_lock_abort = %d, want 1", reader.Stats.VMALockAbort)
			}
			if got := stale.Refcnt.Load(); got != 1 {
				t.Errorf("vm_refcnt after the rejected reader = %d, want 1", got)
			}
		})
	}
}

// TestDetachedIsMiss: a reader whose VMA was detached but not yet reused
// sees vm_refcnt 0, counts a miss and walks again.
func TestDetachedIsMiss(t *testing.T) {
	s := newVMARefcnt(mm.Config{Cache: mm.NewCache(false)})
	mustSetup(t, s.mm, mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 4 * pg, Prot: mm.ProtRead})
	reader, writer := mm.NewTask(s.mm, 0, 0), mm.NewTask(s.mm, 1, 0)
	stale := s.mm.FindVMA(16 * pg)
	if err := s.Write(writer, mm.Op{Kind: mm.OpMunmap, Start: 16 * pg, Len: 4 * pg}); err != nil {
		t.Fatal(err)
	}
	if locked, again := s.lockFound(reader, stale, 16*pg); locked != nil || !again {
		t.Fatalf("lockFound on a detached VMA = %v, %v; want nil, walk again", locked, again)
	}
	if reader.Stats.VMALockMiss != 1 {
		t.Errorf("vma_lock_miss = %d, want 1", reader.Stats.VMALockMiss)
	}
}

// TestFaultAbortsOnWriteLockedVMA: while a writer holds a VMA write-locked,
// a fault on it aborts the per-VMA path, waits for mmap_lock, and completes
// once the writer is done. Deterministic: the writer's section is held open
// by hand.
func TestFaultAbortsOnWriteLockedVMA(t *testing.T) {
	type design struct {
		s          Strategy
		startWrite func(t *mm.Task, v *mm.VMA)
		end        func(t *mm.Task)
	}
	seq := NewVMASeq(mm.Config{}).(*VMASeq)
	ref := newVMARefcnt(mm.Config{})
	wait := &VMAWait{newVMARefcnt(mm.Config{})}
	designs := map[string]design{
		"vmaseq": {seq, seq.vmaStartWrite, seq.mmapWriteUnlock},
		"vmarefcnt": {ref, ref.vmaStartWrite, func(t *mm.Task) {
			ref.mm.LockSeq.Add(1)
			mmapWriteUnlock(t, ref.mm)
		}},
		"vmawait": {wait, wait.vmaStartWrite, func(t *mm.Task) {
			wait.mm.LockSeq.Add(1)
			mmapWriteUnlock(t, wait.mm)
		}},
	}
	for name, d := range designs {
		t.Run(name, func(t *testing.T) {
			m := d.s.MM()
			mustSetup(t, m, mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 4 * pg, Prot: mm.ProtRead})
			reader, writer := mm.NewTask(m, 0, 0), mm.NewTask(m, 1, 0)
			if err := d.s.Fault(reader, 16*pg); err != nil { // prepare anon_vma
				t.Fatal(err)
			}
			reader.Stats = mm.Stats{}

			mmapWriteLock(writer, m)
			if name != "vmaseq" {
				m.LockSeq.Add(1) // mm_lock_seqcount_begin()
			}
			d.startWrite(writer, m.FindVMA(16*pg))
			done := make(chan error)
			go func() { done <- d.s.Fault(reader, 17*pg) }()
			select {
			case err := <-done:
				t.Fatalf("fault on a write-locked VMA completed (%v) while the writer held it", err)
			case <-time.After(20 * time.Millisecond):
			}
			d.end(writer)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if st := reader.Stats; st.VMALockAbort != 1 || st.VMALockSuccess != 0 {
				t.Errorf("abort, success = %d, %d; want 1, 0", st.VMALockAbort, st.VMALockSuccess)
			}
		})
	}
}

// TestVMAWaitLookupWaitsForWriter: vmawait's Lookup on a write-locked VMA
// does not fail; it waits for the writer and returns the VMA read-locked,
// with mmap_lock dropped.
func TestVMAWaitLookupWaitsForWriter(t *testing.T) {
	s := &VMAWait{newVMARefcnt(mm.Config{})}
	mustSetup(t, s.mm, mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 4 * pg, Prot: mm.ProtRead})
	reader, writer := mm.NewTask(s.mm, 0, 0), mm.NewTask(s.mm, 1, 0)
	mmapWriteLock(writer, s.mm)
	s.mm.LockSeq.Add(1)
	s.vmaStartWrite(writer, s.mm.FindVMA(16*pg))
	type result struct {
		r   Ref
		err error
	}
	done := make(chan result)
	go func() {
		r, err := s.Lookup(reader, 17*pg)
		done <- result{r, err}
	}()
	time.Sleep(20 * time.Millisecond)
	s.mm.LockSeq.Add(1)
	mmapWriteUnlock(writer, s.mm)
	res := <-done
	if res.err != nil || res.r.MmapLocked {
		t.Fatalf("Lookup = %+v, %v; want a read-locked VMA without mmap_lock", res.r, res.err)
	}
	if got := res.r.VMA.Refcnt.Load(); got != 2 {
		t.Errorf("vm_refcnt = %d, want 2 (attached + one reader)", got)
	}
	if !s.mm.MmapLock.Idle() {
		t.Fatalf("mmap_lock still held after Lookup returned: count %#x", s.mm.MmapLock.Count())
	}
	s.Release(reader, res.r)
	if _, err := s.Lookup(reader, 99*pg); err != mm.ErrNoVMA {
		t.Errorf("Lookup of an unmapped address = %v, want ErrNoVMA", err)
	}
}

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range List() {
		if !validName(s.Name) || seen[s.Name] || s.Description == "" {
			t.Errorf("bad registry entry %+v", s)
		}
		seen[s.Name] = true
	}
	_, err := Get("rwsem")
	want := `unknown strategy "rwsem" (valid: mmaplock, vmaseq, vmarefcnt, vmawait, nolock, kernel)`
	if err == nil || err.Error() != want {
		t.Errorf("Get(rwsem) error = %v, want %s", err, want)
	}
}

// validName reports whether s is a registry name: [a-z0-9-]+.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
