package mm

import (
	"testing"

	"vmabench/sim"
)

// TestPageTableSparse: an address space of many GiB costs a directory
// slot per 2 MiB; a table appears on the first fault of its range, and
// clearing reports the pages that were mapped, across tables.
func TestPageTableSparse(t *testing.T) {
	const pages = 16 << 20 // 64 GiB
	pt := newPageTable(pages)
	if got, want := len(pt.dir), pages/PTEsPerTable; got != want {
		t.Fatalf("directory of %d slots, want %d", got, want)
	}
	if pt.lookup(1000) != nil {
		t.Fatal("an untouched page has an entry")
	}
	for _, i := range []uint64{511, 512, 1 << 23, pages - 1} {
		e, fresh := pt.alloc(i)
		if !fresh {
			t.Errorf("page %d: its table was there before its first fault", i)
		}
		e.Store(1)
	}
	if _, fresh := pt.alloc(513); fresh {
		t.Error("page 513: a second table for its 2 MiB")
	}
	if e, _ := pt.alloc(pages); e != nil || pt.lookup(pages) != nil {
		t.Error("an entry past the end")
	}
	if !pt.anyPresent(500, 600) || pt.anyPresent(0, 511) {
		t.Error("anyPresent wrong around the first table's end")
	}
	if n := pt.clear(0, 1024, false); n != 2 || pt.dir[0].Load() == nil {
		t.Errorf("a zap of 4 MiB cleared %d pages (want 2) or freed a table", n)
	}
	if e, _ := pt.alloc(600); e != nil {
		e.Store(1)
	}
	if n := pt.clear(256, pages, true); n != 3 {
		t.Errorf("clear = %d pages, want 3", n)
	}
	if pt.dir[0].Load() == nil || pt.dir[1].Load() != nil {
		t.Error("munmap freed a table it covers in part, or kept one it covers whole")
	}
	if pt.anyPresent(0, pages) {
		t.Error("pages left after clear")
	}
}

// TestFileFaults: the three file faults of do_fault() on a file mapping,
// each at the file page its VMA maps, with the page cache and the i_mmap
// tree as the kernel leaves them.
func TestFileFaults(t *testing.T) {
	tests := []struct {
		name                string
		shared              bool
		prot                Prot
		fs                  FileSystem
		wantAnon            bool // the fault prepared an anon_vma
		wantCached, wantDty int
	}{
		{name: "cow", prot: ProtRead | ProtWrite, fs: DiskFS, wantAnon: true, wantCached: 2},
		{name: "shared disk", shared: true, prot: ProtRead | ProtWrite, fs: DiskFS, wantCached: 2, wantDty: 2},
		{name: "shared tmpfs", shared: true, prot: ProtRead | ProtWrite, fs: Tmpfs, wantCached: 2, wantDty: 2},
		{name: "read", prot: ProtRead, fs: DiskFS, wantCached: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{Pages: 1024})
			f := NewFile(16, tt.fs)
			if err := m.Setup(Op{Kind: OpMmap, Start: 64 * P, Len: 16 * P, Prot: tt.prot, File: f, Shared: tt.shared}); err != nil {
				t.Fatal(err)
			}
			if f.Mapped() != 1 {
				t.Fatalf("i_mmap holds %d VMAs, want 1", f.Mapped())
			}
			// Split the VMA: the second half maps the file from page 8.
			if err := m.Setup(Op{Kind: OpMprotect, Start: 72 * P, Len: 8 * P, Prot: ProtExec}); err != nil {
				t.Fatal(err)
			}
			if f.Mapped() != 2 {
				t.Fatalf("after a split, i_mmap holds %d VMAs, want 2", f.Mapped())
			}
			if err := m.Setup(Op{Kind: OpMprotect, Start: 72 * P, Len: 8 * P, Prot: tt.prot}); err != nil {
				t.Fatal(err)
			}
			if f.Mapped() != 1 || len(m.Tree().Overlapping(64*P, 80*P)) != 1 {
				t.Fatalf("after the merge back, i_mmap holds %d VMAs, want 1 (tree %s)", f.Mapped(), layout(m))
			}
			task := NewTask(m, 0, 64)
			for _, a := range []uint64{65 * P, 74 * P} {
				if r := HandleFault(task, m.FindVMA(a), a, 0); r != FaultDone {
					t.Fatalf("fault at page %d: %v", a/P, r)
				}
			}
			if task.Stats.Faults != 2 || task.Stats.Violations != 0 {
				t.Errorf("stats %+v, want 2 faults", task.Stats)
			}
			if got := m.FindVMA(65 * P).HasAnonVMA(); got != tt.wantAnon {
				t.Errorf("anon_vma %v, want %v", got, tt.wantAnon)
			}
			cached, dirty := f.Cached()
			if cached != tt.wantCached || dirty != tt.wantDty {
				t.Errorf("page cache %d cached, %d dirty, want %d, %d", cached, dirty, tt.wantCached, tt.wantDty)
			}
			for i, want := range map[uint64]bool{1: true, 10: true, 2: false} {
				if got := f.pages[i].Load()&pcCached != 0; got != want {
					t.Errorf("file page %d cached %v, want %v", i, got, want)
				}
			}
			if e := f.pages[1].Load(); e&pcLocked != 0 {
				t.Error("folio left locked")
			}
			if err := m.Setup(Op{Kind: OpMunmap, Start: 64 * P, Len: 16 * P}); err != nil {
				t.Fatal(err)
			}
			if f.Mapped() != 0 || m.PagePresent(65*P) {
				t.Errorf("after munmap: i_mmap %d VMAs, page present %v", f.Mapped(), m.PagePresent(65*P))
			}
			if c, _ := f.Cached(); c != tt.wantCached {
				t.Errorf("after munmap the page cache holds %d pages, want %d", c, tt.wantCached)
			}
			if task.zapAnon != 0 || task.zapShared != 0 {
				t.Error("the setup task's munmap charged the fault task")
			}
		})
	}
}

// TestMunmapTailCharges: munmap's tail is charged per page it unmapped, by
// kind, and forgets them once done.
func TestMunmapTailCharges(t *testing.T) {
	for _, shared := range []bool{false, true} {
		m := New(Config{Pages: 1024})
		f := NewFile(8, DiskFS)
		task := NewTask(m, 0, 0)
		if err := m.Setup(Op{Kind: OpMmap, Start: 64 * P, Len: 8 * P, Prot: ProtRead | ProtWrite, File: f, Shared: shared}); err != nil {
			t.Fatal(err)
		}
		for a := uint64(64 * P); a < 72*P; a += 2 * P {
			HandleFault(task, m.FindVMA(a), a, 0)
		}
		c, err := m.Prepare(task, Op{Kind: OpMunmap, Start: 64 * P, Len: 8 * P})
		if err != nil {
			t.Fatal(err)
		}
		m.Commit(task, c)
		anon, sh := int64(4), int64(0)
		if shared {
			anon, sh = 0, 4
		}
		if task.zapAnon != anon || task.zapShared != sh {
			t.Errorf("shared %v: tail owes %d anonymous, %d shared pages, want %d, %d", shared, task.zapAnon, task.zapShared, anon, sh)
		}
		task.MunmapTail()
		if task.zapAnon != 0 || task.zapShared != 0 {
			t.Errorf("shared %v: MunmapTail kept its pages", shared)
		}
	}
}

// TestPTEAllocOnlyAnonymous: a fault that allocates its page table charges
// Work.PTEAlloc when it is anonymous, and not when it is a file fault,
// whose calibrated cost (FaultCOW, FaultShared), timed over fresh
// mappings, already holds the table's share: charging it there too
// counted it twice. Each fault runs on a virtual CPU, whose clock is the
// work it was charged.
func TestPTEAllocOnlyAnonymous(t *testing.T) {
	const ptAlloc = 1_000_000 // ns: far above everything else a fault does
	tests := []struct {
		name     string
		file     bool
		shared   bool
		wantPTEs bool
	}{
		{name: "anonymous", wantPTEs: true},
		{name: "cow", file: true},
		{name: "shared", file: true, shared: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{Pages: 1024})
			op := Op{Kind: OpMmap, Start: 64 * P, Len: 16 * P, Prot: ProtRead | ProtWrite}
			if tt.file {
				op.File, op.Shared = NewFile(16, DiskFS), tt.shared
			}
			if err := m.Setup(op); err != nil {
				t.Fatal(err)
			}
			task := NewTask(m, 0, 0)
			task.Work.PTEAlloc = ptAlloc
			e := sim.New(sim.Config{})
			var r FaultResult
			c := e.Go(func(*sim.CPU) { r = HandleFault(task, m.FindVMA(65*P), 65*P, 0) })
			task.SetCPU(c)
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			if r != FaultDone || !m.PagePresent(65*P) {
				t.Fatalf("fault %v, page present %v", r, m.PagePresent(65*P))
			}
			if got := c.Clock()/1000 >= ptAlloc; got != tt.wantPTEs {
				t.Errorf("charged %d ns: PTEAlloc charged %v, want %v", c.Clock()/1000, got, tt.wantPTEs)
			}
		})
	}
}
