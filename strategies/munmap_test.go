package strategies

import (
	"testing"

	"vmabench/mm"
)

// TestMunmapTailUnderDowngradedLock: munmap's tail (the page-table
// teardown and remove_vma()) runs with mmap_lock downgraded to a read lock,
// as vms_complete_munmap_vmas() runs it after mmap_write_downgrade(): while
// the writer is parked there, the count holds one reader and no writer,
// readers fault beside it, a second writer cannot get the lock, and the
// per-VMA designs' write locks have already ended (vma_end_write_all()).
func TestMunmapTailUnderDowngradedLock(t *testing.T) {
	designs := []struct {
		name   string
		s      Strategy
		refcnt bool
	}{{"mmaplock", NewMmapLock(mm.Config{}), false}}
	for _, d := range perVMADesigns(nil) {
		designs = append(designs, struct {
			name   string
			s      Strategy
			refcnt bool
		}{d.name, d.s, d.refcnt})
	}
	for _, d := range designs {
		t.Run(d.name, func(t *testing.T) {
			s, m := d.s, d.s.MM()
			reader, writer, _ := rwVMA(t, s)
			other := mm.NewTask(m, 2, 0)
			unmap := mm.Op{Kind: mm.OpMunmap, Start: 32 * pg, Len: 4 * pg}
			mustSetup(t, m, mm.Op{Kind: mm.OpMmap, Start: unmap.Start, Len: unmap.Len, Prot: mm.ProtRead | mm.ProtWrite})
			tail := newGate(mm.PointMunmapTail, nil)
			hooks(t, []*gate{tail}, nil)
			done := async(func() error { return s.Write(writer, unmap) })

			tail.reached(t)
			if c := m.MmapLock.Count(); c&mm.RWSemWriterLocked != 0 || c>>mm.RWSemReaderShift != 1 {
				t.Errorf("mmap_lock count in the munmap tail = %#x, want one reader and no writer (downgraded)", c)
			}
			if d.refcnt && m.LockSeq.Load()%2 != 0 {
				t.Errorf("mm_lock_seq = %d in the munmap tail: the seqcount must have ended before the downgrade", m.LockSeq.Load())
			}
			if m.FindVMA(unmap.Start) != nil {
				t.Error("the unmapped VMA is still in the tree in the tail")
			}
			if err := s.Fault(reader, 17*pg); err != nil {
				t.Errorf("a fault beside the munmap tail: %v", err)
			}
			if reader.Stats.VMALockAbort != 0 || reader.Stats.VMALockRetry != 0 {
				t.Errorf("a fault beside the tail left the per-VMA path: %+v", reader.Stats)
			}
			if m.MmapLock.DownWriteTrylock(other) {
				m.MmapLock.UpWrite(other)
				t.Error("a second writer took mmap_lock during the first one's munmap tail")
			}
			tail.open()
			if err := finish(t, "writer", done); err != nil {
				t.Fatal(err)
			}
			if !m.MmapLock.Idle() {
				t.Errorf("mmap_lock count after munmap = %#x, want 0", m.MmapLock.Count())
			}
		})
	}
}
