package mm

// PTEsPerTable is the entries of one page-table page: 512 on x86-64, so one
// table maps 2 MiB (PMD_SIZE) of address space.
const PTEsPerTable = 512

// pteTable is one page-table page: its entries, 1 where a page is mapped.
type pteTable [PTEsPerTable]Uint32

// pageTable is the MM's page table, two levels as the kernel's last two
// (PMD -> PTE page): a directory with one slot per 2 MiB of address space,
// and a pteTable allocated the first time a fault maps a page in its range,
// as __pte_alloc() does. An address space of 128 MiB per thread costs 8
// bytes per 2 MiB until it is touched, not 4 bytes per page, so a cell of
// the field's shapes (will-it-scale's 128 MiB per thread) needs no dense
// array, and a fault pays one more load than a flat array.
//
// munmap frees the tables its range covers whole (free_pgtables()), so the
// next mapping there allocates them again; madvise(MADV_DONTNEED) keeps
// them, as zap_page_range_single() does.
type pageTable struct {
	dir []Pointer[pteTable]
	// desc are the page-table pages' descriptors, one per directory
	// slot, each with its split PTE lock (ptdesc): 64 bytes per 2 MiB.
	desc  []ptdesc
	pages uint64
}

func newPageTable(pages int) pageTable {
	n := (pages + PTEsPerTable - 1) / PTEsPerTable
	return pageTable{dir: make([]Pointer[pteTable], n), desc: make([]ptdesc, n), pages: uint64(pages)}
}

// lookup returns the entry of page i, or nil if its table was never
// allocated (or i is past the end).
func (pt *pageTable) lookup(i uint64) *Uint32 {
	if i >= pt.pages {
		return nil
	}
	if tb := pt.dir[i/PTEsPerTable].Load(); tb != nil {
		return &tb[i%PTEsPerTable]
	}
	return nil
}

// alloc returns the entry of page i, allocating its table if need be: the
// model of pte_alloc(), where racing faults install one table (pmd_install()
// under the page_table_lock; here a compare-and-swap) and the loser frees
// its own. fresh reports that this call installed the table. It returns
// nil past the end.
func (pt *pageTable) alloc(i uint64) (e *Uint32, fresh bool) {
	if i >= pt.pages {
		return nil, false
	}
	slot := &pt.dir[i/PTEsPerTable]
	tb := slot.Load()
	if tb == nil {
		nt := new(pteTable)
		if slot.CompareAndSwap(nil, nt) {
			tb, fresh = nt, true
		} else {
			tb = slot.Load()
		}
	}
	return &tb[i%PTEsPerTable], fresh
}

// clear unmaps the pages [from, to) and returns how many were mapped,
// skipping ranges with no table; it holds each table's PTE lock while it
// clears its entries, as zap_pte_range() does. With free, it also frees
// each table whose whole range lies in [from, to) (free_pgtables(): only
// munmap frees, and it holds every VMA of the range write-locked, so no
// fault is using one).
func (pt *pageTable) clear(from, to uint64, free bool) int {
	to = min(to, pt.pages)
	n := 0
	for i := from; i < to; {
		slot := &pt.dir[i/PTEsPerTable]
		tb := slot.Load()
		end := min((i/PTEsPerTable+1)*PTEsPerTable, to)
		if tb == nil {
			i = end
			continue
		}
		d := pt.pteLock(i)
		if free && i%PTEsPerTable == 0 && end-i == PTEsPerTable {
			slot.Store(nil)
		}
		for ; i < end; i++ {
			if e := &tb[i%PTEsPerTable]; e.Load() != 0 {
				e.Store(0)
				n++
			}
		}
		d.pteUnlock()
	}
	return n
}

// anyPresent reports whether a page of [from, to) is mapped. It models
// change_protection()'s walk for mprotect_fixup(): change_pte_range()
// takes each table's PTE lock and rewrites the present entries (the model
// only looks at them), and a present one makes the change flush the TLB.
func (pt *pageTable) anyPresent(from, to uint64) bool {
	to = min(to, pt.pages)
	for i := from; i < to; {
		tb := pt.dir[i/PTEsPerTable].Load()
		end := min((i/PTEsPerTable+1)*PTEsPerTable, to)
		if tb == nil {
			i = end
			continue
		}
		d := pt.pteLock(i)
		present := false
		for ; i < end; i++ {
			if tb[i%PTEsPerTable].Load() != 0 {
				present = true // ptep_modify_prot_start()/_commit()
			}
		}
		d.pteUnlock()
		if present {
			return true
		}
	}
	return false
}
