package mm

import (
	"testing"
	"time"
	"unsafe"
)

// TestPCPBatches: a CPU's page list refills from the zone in batches that
// double on consecutive refills up to batch << PCPBatchScaleMax, capped by
// high (nr_pcp_alloc()), and drains to the zone once it reaches high
// (free_frozen_page_commit()); a fault-and-zap cycle smaller than the list
// never takes the zone lock once warm, as page_fault1's 128 MiB does on
// every few thousand pages; every FolioBatchSize new pages take the lruvec
// lock once.
func TestPCPBatches(t *testing.T) {
	tests := []struct {
		name        string
		high, batch int
		alloc, free int // pages allocated, then freed, in one pass
		passes      int
		zoneLocks   uint64 // over all passes
		wantCount   int    // the CPU's list at the end
	}{
		// 63+126+252+504+1008 = 1953, then 2016 at a time: 1953+16*2016 >= 32768.
		{"page_fault1 alloc", 3409, 63, 32768, 0, 1, 21, 1953 + 16*2016 - 32768},
		// One refill of 63, then the 64th page refills 126 more; the
		// frees return them and never reach high.
		{"faults pass", 3409, 63, 64, 64, 100, 2, 63 + 126},
		// Boot pageset: high < batch, one page per refill.
		{"disabled", 1, 63, 10, 0, 1, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{Pages: 64})
			task := NewTask(m, 0, 0)
			task.Work.PCPHigh, task.Work.PCPBatch = tt.high, tt.batch
			for range tt.passes {
				for range tt.alloc {
					task.allocPage()
				}
				for range tt.free {
					task.freePCPPage()
				}
			}
			if task.Stats.ZoneLocks != tt.zoneLocks {
				t.Errorf("zone lock taken %d times, want %d", task.Stats.ZoneLocks, tt.zoneLocks)
			}
			if task.pcp.count != tt.wantCount {
				t.Errorf("pcp count %d, want %d", task.pcp.count, tt.wantCount)
			}
			// Conservation: what left the zone is on the list or in use.
			inUse := tt.passes * (tt.alloc - tt.free)
			if got := -m.pages.zone.free; got != int64(task.pcp.count+inUse) {
				t.Errorf("zone gave out %d pages, want %d on the list + %d in use", got, task.pcp.count, inUse)
			}
		})
	}
}

// TestPCPDrain: freeing a large range drains the list to the zone in
// nr_pcp_free() batches whenever it reaches high, leaving it below high.
func TestPCPDrain(t *testing.T) {
	m := New(Config{Pages: 64})
	task := NewTask(m, 0, 0)
	task.Work.PCPHigh, task.Work.PCPBatch = 1000, 63
	for range 10000 {
		task.freePCPPage()
	}
	if task.pcp.count >= 1000 {
		t.Errorf("pcp count %d, want below high 1000", task.pcp.count)
	}
	if drained := m.pages.zone.free; drained != int64(10000-task.pcp.count) {
		t.Errorf("zone got %d pages back, want %d", drained, 10000-task.pcp.count)
	}
	// Each drain frees free_count clamped to [batch, high-batch]: 937
	// once the run of frees is long, so about 10000/937 drains.
	if n := task.Stats.ZoneLocks; n < 9 || n > 12 {
		t.Errorf("%d drains, want 9-12 of at most 937 pages", n)
	}
}

// TestFaultZapBatches: faults add their pages to the LRU a batch of
// FolioBatchSize at a time under the lruvec lock; a zap frees them off the
// LRU in batches of as many; a page table is allocated only where a fault
// mapped a page.
func TestFaultZapBatches(t *testing.T) {
	const pages = 2 * PTEsPerTable
	m := New(Config{Pages: 4 * PTEsPerTable})
	if err := m.Setup(Op{Kind: OpMmap, Start: 0, Len: 4 * PTEsPerTable * PageSize, Prot: ProtRead | ProtWrite}); err != nil {
		t.Fatal(err)
	}
	task := NewTask(m, 0, 0)
	v := m.FindVMA(0)
	for p := range uint64(pages) {
		HandleFault(task, v, p*PageSize, 0)
	}
	if task.Stats.Faults != pages {
		t.Fatalf("%d faults, want %d", task.Stats.Faults, pages)
	}
	if want := uint64(pages / FolioBatchSize); task.Stats.LRULocks != want {
		t.Errorf("faults took the lruvec lock %d times, want %d", task.Stats.LRULocks, want)
	}
	if m.pt.dir[2].Load() != nil || m.pt.dir[1].Load() == nil {
		t.Errorf("page tables: %v %v %v, want the first two only", m.pt.dir[0].Load() != nil, m.pt.dir[1].Load() != nil, m.pt.dir[2].Load() != nil)
	}
	before := task.Stats.LRULocks
	m.Zap(task, 0, 4*PTEsPerTable*PageSize)
	// 1024 pages: 34 batches of up to 31 pages.
	if got, want := task.Stats.LRULocks-before, uint64(34); got != want {
		t.Errorf("zap took the lruvec lock %d times, want %d", got, want)
	}
	if got := m.pages.lruvec.pages; got != -int64(pages%FolioBatchSize) {
		t.Errorf("LRU holds %d folios, want %d: the last partial batch never reached it", got, -int64(pages%FolioBatchSize))
	}
	for p := range uint64(pages) {
		if m.PagePresent(p * PageSize) {
			t.Fatalf("page %d present after the zap", p)
		}
	}
}

// TestFaultTakesPTELock: a fault sets its PTE only under the range's split
// PTE lock, and a fault in another 2 MiB range does not wait for it.
func TestFaultTakesPTELock(t *testing.T) {
	m := New(Config{Pages: 2 * PTEsPerTable})
	if err := m.Setup(Op{Kind: OpMmap, Start: 0, Len: 2 * PTEsPerTable * PageSize, Prot: ProtRead | ProtWrite}); err != nil {
		t.Fatal(err)
	}
	v := m.FindVMA(0)
	other := uint64(PTEsPerTable * PageSize)
	HandleFault(NewTask(m, 1, 0), v, other, 0) // the other range's table
	d := m.pt.pteLock(0)
	done := make(chan struct{})
	go func() {
		HandleFault(NewTask(m, 0, 0), v, PageSize, 0)
		close(done)
	}()
	HandleFault(NewTask(m, 2, 0), v, other+PageSize, 0) // must not wait
	select {
	case <-done:
		t.Fatal("the fault finished while its PTE lock was held")
	case <-time.After(20 * time.Millisecond):
	}
	if m.PagePresent(PageSize) {
		t.Fatal("the PTE was set while its PTE lock was held")
	}
	d.pteUnlock()
	<-done
	if !m.PagePresent(PageSize) || !m.PagePresent(other+PageSize) {
		t.Error("a fault did not map its page")
	}
}

// TestPtdescLayout: one page-table descriptor, with its lock, per 64-byte
// line, as struct page in the vmemmap.
func TestPtdescLayout(t *testing.T) {
	if s := unsafe.Sizeof(ptdesc{}); s != 64 {
		t.Errorf("ptdesc is %d bytes, want 64 (struct page)", s)
	}
	m := New(Config{Pages: 3*PTEsPerTable + 1})
	if len(m.pt.desc) != 4 {
		t.Errorf("%d page-table descriptors for 3 tables and a page, want 4", len(m.pt.desc))
	}
}

// TestTreeNext: Next is find_vma(), the first entry ending above addr, the
// same as the first entry Ascend gives, at every address around three VMAs
// with gaps between them.
func TestTreeNext(t *testing.T) {
	m := New(Config{Pages: 64})
	for _, r := range [][2]uint64{{1, 3}, {5, 6}, {6, 9}, {20, 21}} {
		if err := m.Setup(Op{Kind: OpMmap, Start: r[0] * PageSize, Len: (r[1] - r[0]) * PageSize, Prot: ProtRead | ProtWrite}); err != nil {
			t.Fatal(err)
		}
	}
	tree := m.Tree()
	for addr := uint64(0); addr < 24*PageSize; addr += PageSize / 2 {
		var want Entry
		var wantOK bool
		tree.Ascend(addr, func(e Entry) bool { want, wantOK = e, true; return false })
		got, ok := tree.Next(addr)
		if got != want || ok != wantOK {
			t.Errorf("Next(%#x) = %+v, %v; want %+v, %v", addr, got, ok, want, wantOK)
		}
	}
}

// TestMunmapDrainsLRUAdd: munmap's tail moves the CPU's partial lru_add
// batch onto the LRU (lru_add_drain()) before it frees the unmapped pages
// off it, so the LRU ends empty; a zap alone leaves the batch where it is.
func TestMunmapDrainsLRUAdd(t *testing.T) {
	m := New(Config{Pages: PTEsPerTable})
	if err := m.Setup(Op{Kind: OpMmap, Start: 0, Len: 40 * PageSize, Prot: ProtRead | ProtWrite}); err != nil {
		t.Fatal(err)
	}
	task := NewTask(m, 0, 0)
	v := m.FindVMA(0)
	for p := range uint64(40) {
		HandleFault(task, v, p*PageSize, 0)
	}
	if task.pcp.lruAdd != 40-FolioBatchSize || m.pages.lruvec.pages != FolioBatchSize {
		t.Fatalf("after 40 faults: batch %d, LRU %d; want %d, %d", task.pcp.lruAdd, m.pages.lruvec.pages, 40-FolioBatchSize, FolioBatchSize)
	}
	c, err := m.Prepare(task, Op{Kind: OpMunmap, Start: 0, Len: 40 * PageSize})
	if err != nil {
		t.Fatal(err)
	}
	m.Commit(task, c)
	task.MunmapTail()
	if task.pcp.lruAdd != 0 || m.pages.lruvec.pages != 0 {
		t.Errorf("after munmap: batch %d, LRU %d; want both 0", task.pcp.lruAdd, m.pages.lruvec.pages)
	}
}
