package mm

import (
	"golang.org/x/sys/cpu"
)

// FileSystem is what a File's file system does on the fault paths the
// model distinguishes.
type FileSystem uint8

// File systems.
const (
	// Tmpfs is shmem: no ->page_mkwrite, a hole's page is allocated and
	// added to the page cache by shmem_get_folio() on the first fault.
	Tmpfs FileSystem = iota
	// DiskFS is a block file system such as ext4: a hole's page is added
	// to the page cache zeroed by filemap_fault()'s read-ahead, and a
	// write fault on a shared mapping calls ->page_mkwrite()
	// (ext4_page_mkwrite(): the delayed-allocation reservation and
	// file_update_time()) before it dirties the folio.
	DiskFS
)

func (fs FileSystem) String() string {
	if fs == Tmpfs {
		return "tmpfs"
	}
	return "disk"
}

// Page-cache entry bits of a File page.
const (
	pcCached uint32 = 1 << iota // a folio is in the page cache
	pcDirty                     // PG_dirty
	pcLocked                    // PG_locked: folio_lock()
)

// File models what a file mapping reaches of struct file and its
// address_space: the page cache (which of the file's pages have a folio,
// which are dirty), i_mmap_rwsem, which mmap and munmap take for writing to
// link and unlink a VMA (vma_link_file(), unlink_file_vma()), the dirty
// accounting of a shared write fault, and the file system's hooks. The zero
// value is not usable; call NewFile. A File may be mapped by any number of
// VMAs of any MMs.
type File struct {
	// IMmap is mapping->i_mmap_rwsem.
	IMmap RWSem

	_ cpu.CacheLinePad
	// FS is the file system the file lives on.
	FS FileSystem
	// FolioPages is the pages of each of its page-cache folios, aligned in
	// the file: a shared write fault maps the folio whole (v6.18's
	// finish_fault()); 0 or 1 is base pages. Set it before mapping.
	FolioPages int
	// pages is the page cache, one entry per page of the file: the
	// mapping's xarray of folios, reduced to the bits above.
	pages []Uint32
	// mapped is the number of VMAs in the i_mmap tree, changed only
	// under IMmap held for writing.
	mapped Int32
	// dirty is the dirty-page accounting (NR_FILE_DIRTY, the memcg and
	// wb counters folio_account_dirtied() updates).
	dirty Int64
	_     cpu.CacheLinePad
}

// NewFile returns a file of pages pages on fs with an empty page cache, as
// ftruncate() of a new file leaves it: all holes.
func NewFile(pages int, fs FileSystem) *File {
	return &File{FS: fs, pages: make([]Uint32, pages)}
}

// Pages returns the file's size in pages.
func (f *File) Pages() int { return len(f.pages) }

// Cached returns how many of the file's pages have a folio in the page
// cache, and how many of those are dirty.
func (f *File) Cached() (cached, dirty int) {
	for i := range f.pages {
		e := f.pages[i].Load()
		if e&pcCached != 0 {
			cached++
		}
		if e&pcDirty != 0 {
			dirty++
		}
	}
	return cached, dirty
}

// Mapped returns how many VMAs map the file (its i_mmap tree's size).
func (f *File) Mapped() int { return int(f.mapped.Load()) }

// linkVMA models vma_link_file(): i_mmap_lock_write(), insert the VMA into
// the i_mmap tree, i_mmap_unlock_write().
func (f *File) linkVMA(t *Task) {
	f.IMmap.DownWrite(t)
	f.mapped.Add(1)
	f.IMmap.UpWrite(t)
}

// unlinkVMA models unlink_file_vma(): the same lock, the VMA removed.
func (f *File) unlinkVMA(t *Task) {
	f.IMmap.DownWrite(t)
	f.mapped.Add(-1)
	f.IMmap.UpWrite(t)
}

// getFolio models the page-cache side of __do_fault() -> ->fault()
// (filemap_fault() or shmem_fault()): find the folio of page index i and,
// on a miss (a hole of a new file), add a zeroed one (filemap_add_folio()
// under the xarray lock, here a compare-and-swap). It reports whether the
// folio was added now. An index past the end is SIGBUS in the kernel; the
// callers map only inside the file.
func (f *File) getFolio(t *Task, i uint64) (added bool) {
	e := &f.pages[i]
	for {
		old := e.Load()
		if old&pcCached != 0 {
			return false
		}
		if e.CompareAndSwap(old, old|pcCached) {
			clear(t.scratch[:t.FaultWork]) // the new folio is zeroed
			return true
		}
	}
}

// lockFolio models folio_lock(): it takes PG_locked, waiting while another
// thread holds it. The kernel sleeps on the folio's wait queue; the model
// yields (no workload shares a file between threads, so it never waits).
func (f *File) lockFolio(t *Task, i uint64) {
	e := &f.pages[i]
	for {
		old := e.Load()
		if old&pcLocked == 0 && e.CompareAndSwap(old, old|pcLocked) {
			return
		}
		t.Yield()
	}
}

// unlockFolio models folio_unlock().
func (f *File) unlockFolio(i uint64) {
	e := &f.pages[i]
	for {
		old := e.Load()
		if e.CompareAndSwap(old, old&^pcLocked) {
			return
		}
	}
}

// markDirty models folio_mark_dirty() on a locked folio: set PG_dirty and,
// if it was clean, account it (folio_account_dirtied()). It reports whether
// the folio was clean. Writeback, which would clean it again, is not
// modelled: after the first pass every page stays dirty.
func (f *File) markDirty(i uint64) bool {
	e := &f.pages[i]
	for {
		old := e.Load()
		if old&pcDirty != 0 {
			return false
		}
		if e.CompareAndSwap(old, old|pcDirty) {
			f.dirty.Add(1)
			return true
		}
	}
}

// InsertPages models vm_insert_pages() for a VMA the caller holds (its VMA
// lock, or mmap_lock for reading): it maps n pages from start, each under
// the page-table lock (insert_pages(): set_pte_at() on an empty entry).
// The pages are the caller's (a socket's receive queue), not faulted, so no
// fault is counted. It asserts, as a fault does, that v is stable meanwhile,
// and returns how many entries it filled.
func InsertPages(t *Task, v *VMA, start uint64, n int) int {
	gen := t.AssertStable(v, start)
	filled := 0
	first, last := start>>PageShift, start>>PageShift+uint64(n)
	for i := first; i < last; {
		if e, _ := t.MM.pt.alloc(i); e == nil {
			break
		}
		// insert_pages(): one PTE lock per page table of the batch.
		d := t.MM.pt.pteLockBy(t, i)
		for end := min((i/PTEsPerTable+1)*PTEsPerTable, last); i < end; i++ {
			if pte := t.MM.pt.lookup(i); pte != nil && pte.Load() == 0 {
				pte.Store(1)
				filled++
			}
		}
		d.pteUnlock()
	}
	t.AssertUnchanged(v, gen)
	return filled
}
