package strategies

import (
	"strings"
	"testing"

	"vmabench/mm"
)

// TestCheckIdleCatches: each end-of-run invariant catches the broken state
// it is there for, and a design at rest passes.
func TestCheckIdleCatches(t *testing.T) {
	type spoil func(s Strategy, v *mm.VMA) (undo func())
	probe := mm.NewTask(nil, 99, 0)
	lockHeld := func(s Strategy, v *mm.VMA) func() {
		s.MM().MmapLock.DownRead(probe)
		return func() { s.MM().MmapLock.UpRead(probe) }
	}
	tests := []struct {
		design string
		name   string
		spoil  spoil
		want   string // in the error; "" for none
	}{
		{"mmaplock", "at-rest", nil, ""},
		{"mmaplock", "mmap-lock-held", lockHeld, "mmap_lock held"},
		{"mmaplock", "detached-in-tree", func(_ Strategy, v *mm.VMA) func() { v.Detached.Store(true); return nil }, "is detached"},
		{"vmaseq", "at-rest", nil, ""},
		{"vmaseq", "mmap-lock-held", lockHeld, "mmap_lock held"},
		{"vmaseq", "vma-lock-held", func(_ Strategy, v *mm.VMA) func() { v.Lock.DownRead(probe); return func() { v.Lock.UpRead(probe) } }, "vma->lock held"},
		{"vmaseq", "write-locked", func(s Strategy, v *mm.VMA) func() { v.LockSeq.Store(s.MM().LockSeq.Load()); return nil }, "still write-locked"},
		{"vmaseq", "detached-in-tree", func(_ Strategy, v *mm.VMA) func() { v.Detached.Store(true); return nil }, "is detached"},
		{"vmarefcnt", "at-rest", nil, ""},
		{"vmarefcnt", "reader-left", func(_ Strategy, v *mm.VMA) func() { v.Refcnt.Add(1); return nil }, "vm_refcnt 0x2"},
		{"vmarefcnt", "flag-left", func(_ Strategy, v *mm.VMA) func() { v.Refcnt.Add(RefcntExcludeReaders); return nil }, "vm_refcnt 0x40000001"},
		{"vmarefcnt", "seqcount-odd", func(s Strategy, _ *mm.VMA) func() { s.MM().LockSeq.Add(1); return nil }, "is odd"},
		{"vmarefcnt", "write-locked", func(s Strategy, v *mm.VMA) func() { v.LockSeq.Store(s.MM().LockSeq.Load()); return nil }, "still write-locked"},
		{"vmarefcnt", "freed-attached", func(s Strategy, _ *mm.VMA) func() {
			// A freed VMA whose vm_refcnt was never dropped.
			f := s.MM().FindVMA(48 * pg)
			s.MM().Cache().Free(probe, f)
			f.Refcnt.Store(1)
			return nil
		}, "freed VMA: vm_refcnt 0x1"},
		{"vmawait", "at-rest", nil, ""},
		{"vmawait", "reader-left", func(_ Strategy, v *mm.VMA) func() { v.Refcnt.Add(1); return nil }, "vm_refcnt 0x2"},
	}
	for _, tt := range tests {
		t.Run(tt.design+"/"+tt.name, func(t *testing.T) {
			info, err := Get(tt.design)
			if err != nil {
				t.Fatal(err)
			}
			s := info.New(mm.Config{})
			mustSetup(t, s.MM(),
				mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 8 * pg, Prot: mm.ProtRead | mm.ProtWrite},
				mm.Op{Kind: mm.OpMmap, Start: 48 * pg, Len: 8 * pg, Prot: mm.ProtRead | mm.ProtWrite})
			if tt.spoil != nil {
				if undo := tt.spoil(s, s.MM().FindVMA(16*pg)); undo != nil {
					defer undo()
				}
			}
			err = s.(Checker).CheckIdle()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckIdle at rest = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckIdle = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestCheckIdleFaultFallsBack: the fault at rest must succeed on the
// per-VMA path; one that falls back is reported.
func TestCheckIdleFaultFallsBack(t *testing.T) {
	s := NewVMASeq(mm.Config{}).(*VMASeq)
	mustSetup(t, s.mm, mm.Op{Kind: mm.OpMmap, Start: 16 * pg, Len: 8 * pg, Prot: mm.ProtRead | mm.ProtWrite})
	var e idleErrors
	// vm_lock_seq left equal to mm_lock_seq: every fault falls back.
	s.mm.FindVMA(16 * pg).LockSeq.Store(s.mm.LockSeq.Load())
	checkFaults(&e, s, true)
	if err := e.err(); err == nil || !strings.Contains(err.Error(), "want success 1 only") {
		t.Errorf("checkFaults = %v, want the fallback reported", err)
	}
}
