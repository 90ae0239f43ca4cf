package strategies

import (
	"testing"

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
//
// Reuse into another MM at the same range passes every check but vm_mm's.
func TestTypeSafeReuse(t *testing.T) {
	for _, tt := range []struct {
		name    string
		otherMM bool
		at      uint64 // where the freed VMA is mapped again
	}{
		{"same-mm/other-range", false, 64 * pg},
		{"other-mm/other-range", true, 64 * pg},
		{"other-mm/same-range", true, 16 * pg},
	} {
		t.Run(tt.name, func(t *testing.T) {
			otherMM := tt.otherMM
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
			if err := target.Write(tw, mm.Op{Kind: mm.OpMmap, Start: tt.at, Len: 4 * pg, Prot: mm.ProtRead}); err != nil {
				t.Fatal(err)
			}
			if target.mm.FindVMA(tt.at) != stale {
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
