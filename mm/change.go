package mm

import "fmt"

// OpKind is the kind of address-space change.
type OpKind uint8

// The address-space changes a writer makes.
const (
	// OpMmap maps [Start, Start+Len) with Prot, failing with ErrExist if
	// any of it is mapped (mmap with MAP_FIXED_NOREPLACE).
	OpMmap OpKind = iota + 1
	// OpMunmap unmaps [Start, Start+Len), splitting VMAs at the edges.
	OpMunmap
	// OpMprotect sets Prot on the mapped parts of [Start, Start+Len),
	// splitting VMAs at the edges and merging neighbours that end up with
	// the same protection, as mprotect(2) does through vma_modify().
	OpMprotect
)

func (k OpKind) String() string {
	switch k {
	case OpMmap:
		return "mmap"
	case OpMunmap:
		return "munmap"
	case OpMprotect:
		return "mprotect"
	}
	return fmt.Sprintf("OpKind(%d)", k)
}

// Op is one address-space change.
type Op struct {
	Kind       OpKind
	Start, Len uint64
	Prot       Prot
	// File, for OpMmap, maps the file from its first page instead of
	// anonymous memory; Shared makes it MAP_SHARED (else MAP_PRIVATE).
	File   *File
	Shared bool
}

func (o Op) String() string {
	return fmt.Sprintf("%v [%#x, %#x) %v", o.Kind, o.Start, o.Start+o.Len, o.Prot)
}

// Change is an address-space change prepared under mmap_write_lock, in the
// two steps that let a per-VMA design lock what it touches in between:
//
//	c, err := m.Prepare(t, op)  // find what changes; nothing is changed yet
//	for _, v := range c.Touched { vma_start_write(v) }
//	for _, v := range c.New { vma_start_write(v) }
//	m.Commit(t, c)              // change VMAs, publish the new tree
//	for _, v := range c.Removed { vma_mark_detached(v); m.Cache().Free(t, v) }
//
// This is the shape of the kernel's vma_prepare()/vma_complete() and of
// vms_gather_munmap_vmas()/vms_complete_munmap_vmas().
type Change struct {
	Op Op
	// Touched are the VMAs in the tree that the change modifies or removes.
	Touched []*VMA
	// New are fresh, detached VMAs the change inserts (a new mapping, or
	// the second half of a split). Nothing can reach them before Commit.
	New []*VMA
	// Removed are the Touched VMAs that leave the tree (unmapped, or merged
	// into a neighbour). After Commit the caller detaches and frees them.
	Removed []*VMA

	old  []Entry   // the tree entries of the window being rewritten
	segs []segment // the window's new layout
	ov   []Entry   // Prepare's scratch: the entries op overlaps
	kept []bool    // assign's scratch: which of old keeps a segment
}

// newChange returns t's Change for op, emptied, with the capacity of its
// slices kept (see Task.change). A Change lives from Prepare to the end of
// the write that made it; the next Prepare on t reuses it.
func (t *Task) newChange(op Op) *Change {
	c := &t.change
	clear(c.Touched)
	clear(c.New)
	clear(c.Removed)
	clear(c.old)
	clear(c.segs)
	clear(c.ov)
	*c = Change{Op: op, Touched: c.Touched[:0], New: c.New[:0], Removed: c.Removed[:0],
		old: c.old[:0], segs: c.segs[:0], ov: c.ov[:0], kept: c.kept[:0]}
	return c
}

type segment struct {
	start, end uint64
	prot       Prot
	anon       bool
	file       *File
	pgoff      uint64
	shared     bool
	vma        *VMA // the VMA that will cover it: an old one kept, or a new one
}

// segOf returns the part [start, end) of the VMA v, with its protection,
// anon_vma, file and the file offset of start.
func segOf(v *VMA, vstart, start, end uint64, prot Prot) segment {
	s := segment{start: start, end: end, prot: prot, anon: v.HasAnonVMA(), file: v.File(), shared: v.Shared()}
	if s.file != nil {
		s.pgoff = v.pgoff.Load() + (start-vstart)/PageSize
	}
	return s
}

// Prepare plans op. The caller holds mmap_lock for writing. It returns
// ErrConcurrentWriter, and counts a violation, if another writer is between
// Prepare and Commit: that is only possible without mmap_lock.
func (m *MM) Prepare(t *Task, op Op) (*Change, error) {
	end := op.Start + op.Len
	if op.Len == 0 || op.Start%PageSize != 0 || op.Len%PageSize != 0 || end > m.Size() || end < op.Start {
		return nil, fmt.Errorf("%v: %w", op, ErrRange)
	}
	if !m.writing.CompareAndSwap(0, 1) {
		t.violation("writer %d: %v while another writer changes the address space", t.ID, op)
		return nil, ErrConcurrentWriter
	}
	c := t.newChange(op)
	tree := m.tree.Load()
	ov := tree.appendOverlapping(c.ov, op.Start, end)
	c.ov = ov
	switch op.Kind {
	case OpMmap:
		if len(ov) > 0 {
			m.writing.Store(0)
			return nil, fmt.Errorf("%v: %w", op, ErrExist)
		}
		if op.File != nil && op.Len/PageSize > uint64(op.File.Pages()) {
			m.writing.Store(0)
			return nil, fmt.Errorf("%v: %d pages past a file of %d: %w", op, op.Len/PageSize, op.File.Pages(), ErrRange)
		}
		c.segs = append(c.segs, segment{start: op.Start, end: end, prot: op.Prot, file: op.File, shared: op.File != nil && op.Shared})
	case OpMunmap:
		c.old = append(c.old, ov...)
		for _, e := range ov {
			if e.Start < op.Start {
				c.segs = append(c.segs, segOf(e.VMA, e.Start, e.Start, op.Start, e.VMA.Prot()))
			}
			if e.End > end {
				c.segs = append(c.segs, segOf(e.VMA, e.Start, end, e.End, e.VMA.Prot()))
			}
		}
	case OpMprotect:
		if len(ov) == 0 {
			break
		}
		// The window is the overlapped VMAs and the neighbours touching
		// them, which may merge (vma_merge_existing_range()).
		if p, ok := tree.before(ov[0].Start); ok && p.End == ov[0].Start {
			c.old = append(c.old, p)
			c.segs = append(c.segs, segOf(p.VMA, p.Start, p.Start, p.End, p.VMA.Prot()))
		}
		for _, e := range ov {
			c.old = append(c.old, e)
			p := e.VMA.Prot()
			lo, hi := max(e.Start, op.Start), min(e.End, end)
			if e.Start < lo {
				c.segs = append(c.segs, segOf(e.VMA, e.Start, e.Start, lo, p))
			}
			c.segs = append(c.segs, segOf(e.VMA, e.Start, lo, hi, op.Prot))
			if hi < e.End {
				c.segs = append(c.segs, segOf(e.VMA, e.Start, hi, e.End, p))
			}
		}
		last := ov[len(ov)-1]
		if n, ok := tree.entryAt(last.End); ok {
			c.old = append(c.old, n)
			c.segs = append(c.segs, segOf(n.VMA, n.Start, n.Start, n.End, n.VMA.Prot()))
		}
		c.segs = mergeSegments(c.segs)
	default:
		m.writing.Store(0)
		return nil, fmt.Errorf("unknown op kind %d", op.Kind)
	}
	c.assign(m, t)
	return c, nil
}

// mergeSegments joins adjacent segments with the same protection and the
// same backing: anonymous both, or the same file, sharing and contiguous
// file offsets (is_mergeable_vma()'s vm_file check and the pgoff check of
// can_vma_merge_after()).
func mergeSegments(segs []segment) []segment {
	out := segs[:0]
	for _, s := range segs {
		if n := len(out); n > 0 && out[n-1].end == s.start && out[n-1].prot == s.prot && sameBacking(out[n-1], s) {
			out[n-1].end = s.end
			out[n-1].anon = out[n-1].anon || s.anon
			continue
		}
		out = append(out, s)
	}
	return out
}

// sameBacking reports whether b continues a's backing where a ends.
func sameBacking(a, b segment) bool {
	if a.file != b.file || a.shared != b.shared {
		return false
	}
	return a.file == nil || a.pgoff+(a.end-a.start)/PageSize == b.pgoff
}

// assign gives each new segment a VMA. As in __split_vma() and vma_merge(),
// an old VMA keeps the segment that starts where it starts; other segments
// get a fresh VMA from the cache; old VMAs left without a segment are
// removed. Old VMAs whose range and protection do not change are not
// touched.
//
// c.old and c.segs are both in address order, so one merge walk pairs
// them, with nothing allocated: a map per change had cost the writer two
// heap allocations under mmap_write_lock, which the kernel's vma_prepare()
// does not make.
func (c *Change) assign(m *MM, t *Task) {
	c.kept = append(c.kept[:0], make([]bool, len(c.old))...)
	j := 0
	for i := range c.segs {
		s := &c.segs[i]
		for j < len(c.old) && c.old[j].Start < s.start {
			j++
		}
		if j < len(c.old) && c.old[j].Start == s.start {
			e := c.old[j]
			s.vma = e.VMA
			c.kept[j] = true
			if e.End != s.end || e.VMA.Prot() != s.prot || e.VMA.File() != s.file {
				c.Touched = append(c.Touched, e.VMA)
			}
			continue
		}
		s.vma = m.cache.alloc(t)
		c.New = append(c.New, s.vma)
	}
	for j, e := range c.old {
		if !c.kept[j] {
			c.Touched = append(c.Touched, e.VMA)
			c.Removed = append(c.Removed, e.VMA)
		}
	}
}

// Commit makes the change planned by Prepare: it updates the VMAs, attaches
// the new ones (vma_mark_attached()), publishes the new tree and, for munmap,
// unmaps the pages. The caller still holds mmap_lock for writing and has
// write-locked c.Touched and c.New as its design requires.
//
// For the checker, Commit marks every VMA it changes for the whole time it
// works on it; a reader that finds the mark, or finds a VMA's generation
// moved while it held the VMA, counts a violation.
func (m *MM) Commit(t *Task, c *Change) {
	defer m.writing.Store(0)
	for _, v := range c.Touched {
		if v.changing.Add(1) != 1 {
			t.violation("writer %d: changes VMA [%#x, %#x) while another writer is inside it", t.ID, v.Start(), v.End())
		}
		v.gen.Add(1)
	}
	for _, v := range c.New {
		if v.changing.Add(1) != 1 {
			t.violation("writer %d: changes a new VMA while another writer is inside it", t.ID)
		}
		v.gen.Add(1)
	}
	At(PointCommit, t, nil)
	for _, s := range c.segs {
		v := s.vma
		v.mm.Store(m)
		v.start.Store(s.start)
		v.end.Store(s.end)
		v.prot.Store(uint32(s.prot))
		v.anonVMA.Store(s.anon)
		v.file.Store(s.file)
		v.pgoff.Store(s.pgoff)
		v.shared.Store(s.shared)
	}
	// The i_mmap tree of each file mapped or unmapped: vma_link_file()
	// for a new VMA of a file (a split's second half too, through
	// vma_prepare()), unlink_file_vma() for a removed one, each under
	// i_mmap_lock_write(). The kernel unlinks an unmapped VMA in
	// free_pgtables(), after munmap's mmap_write_downgrade(); the model
	// does it here, under the write lock (see README, trust).
	for _, v := range c.New {
		if f := v.file.Load(); f != nil {
			f.linkVMA(t)
		}
	}
	for _, v := range c.Removed {
		if f := v.file.Load(); f != nil {
			f.unlinkVMA(t)
		}
	}
	for _, v := range c.New {
		// vma_mark_attached(): vm_refcnt 0 -> 1, and the v6.4 flag.
		v.Detached.Store(false)
		v.Refcnt.Store(1)
	}
	if len(c.old) > 0 || len(c.segs) > 0 {
		nt := m.tree.Load().clone()
		for _, e := range c.old {
			nt.delete(e.Start)
		}
		for _, s := range c.segs {
			nt.replaceOrInsert(Entry{Start: s.start, End: s.end, VMA: s.vma})
		}
		m.tree.Store(nt)
	}
	var file, shared bool // a file VMA was unmapped; a MAP_SHARED one
	if c.Op.Kind == OpMunmap {
		for _, v := range c.Touched {
			if v.file.Load() != nil {
				file, shared = true, shared || v.shared.Load()
			}
		}
		// unmap_region()'s page-table teardown: its cost per page
		// mapped is in the tail (Task.MunmapTail).
		n := int64(m.pt.clear(c.Op.Start>>PageShift, (c.Op.Start+c.Op.Len)>>PageShift, true))
		if shared {
			t.zapShared += n
		} else {
			t.zapAnon += n
		}
	}
	// The calibrated work the kernel does under mmap_write_lock for the
	// change: do_mmap()'s, munmap's up to mmap_write_downgrade(), or
	// mprotect_fixup()'s with change_protection() and its TLB flush.
	switch c.Op.Kind {
	case OpMmap:
		if c.Op.File != nil {
			t.Spin(t.Work.MmapFile)
		} else {
			t.Spin(t.Work.Mmap)
		}
	case OpMunmap:
		if file {
			t.Spin(t.Work.MunmapFile)
		} else {
			t.Spin(t.Work.Munmap)
		}
	case OpMprotect:
		t.Spin(t.Work.Mprotect)
		// change_protection() changed present PTEs: flush_tlb_range().
		if m.pt.anyPresent(c.Op.Start>>PageShift, (c.Op.Start+c.Op.Len)>>PageShift) {
			t.Shootdown()
		}
	}
	for _, v := range c.Touched {
		v.changing.Add(-1)
	}
	for _, v := range c.New {
		v.changing.Add(-1)
	}
}

// CompleteMunmap models the part of a munmap() that the kernel does after
// mmap_write_downgrade(), under mmap_lock held for reading, in
// vms_complete_munmap_vmas() (do_vmi_align_munmap() of v6.4 has the same
// steps): vms_clear_ptes() (unmap_region(): the page-table teardown, the
// unmapped pages' freeing, the TLB flush) with its calibrated work
// (Task.MunmapTail), and remove_vma() of each VMA the change removed
// (vm_area_free()). The caller made c with Commit and has since downgraded
// its write lock (a design without mmap_lock holds nothing). Readers
// overlap it; the next writer waits for it. (Commit has already cleared the
// model's page-table entries, a bookkeeping step no reader can see: the
// range's VMAs are out of the tree.)
func (m *MM) CompleteMunmap(t *Task, c *Change) {
	At(PointMunmapTail, t, nil)
	t.MunmapTail()
	for _, v := range c.Removed {
		m.cache.Free(t, v)
	}
}

// Setup maps op's range during set-up, before any other thread runs: no
// locks, no checker. It is how workloads build the same initial address
// space for every strategy.
func (m *MM) Setup(op Op) error {
	t := NewTask(m, -1, 0)
	c, err := m.Prepare(t, op)
	if err != nil {
		return err
	}
	m.Commit(t, c)
	for _, v := range c.Removed {
		v.Detached.Store(true)
		v.Refcnt.Store(0)
		m.cache.Free(t, v)
	}
	return nil
}
