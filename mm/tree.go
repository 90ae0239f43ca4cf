package mm

import "github.com/google/btree"

// Entry is one VMA in a Tree, with the range it had when the tree version
// was made. The VMA's own fields may have changed since; the entry never
// does, so the tree's order stays consistent for readers of old versions.
type Entry struct {
	Start, End uint64
	VMA        *VMA
}

// Tree models the maple tree of an MM: an ordered map from address to VMA
// that readers search without any lock. A Tree is immutable once published:
// writers change a clone (a copy-on-write B-tree) and publish it atomically,
// so a reader keeps a consistent version for as long as it looks, as an RCU
// reader of the maple tree does.
type Tree struct {
	bt *btree.BTreeG[Entry]
}

// treeDegree is the B-tree's minimum degree: 16 keys per node is close to the
// maple tree's 16-slot nodes.
const treeDegree = 8

func entryLess(a, b Entry) bool { return a.Start < b.Start }

func newTree() *Tree { return &Tree{bt: btree.NewG(treeDegree, entryLess)} }

// Len returns the number of VMAs.
func (t *Tree) Len() int { return t.bt.Len() }

// Lookup returns the VMA whose entry covers addr, or nil: mas_walk().
func (t *Tree) Lookup(addr uint64) *VMA {
	var found *VMA
	t.bt.DescendLessOrEqual(Entry{Start: addr}, func(e Entry) bool {
		if addr < e.End {
			found = e.VMA
		}
		return false
	})
	return found
}

// Ascend calls f for each entry whose End is above from, in address order,
// until f returns false: the VMA iterator a /proc/pid/maps reader uses.
func (t *Tree) Ascend(from uint64, f func(Entry) bool) {
	if v := t.Lookup(from); v != nil {
		// Start at the VMA covering from, found by its entry.
		t.bt.DescendLessOrEqual(Entry{Start: from}, func(e Entry) bool {
			from = e.Start
			return false
		})
	}
	t.bt.AscendGreaterOrEqual(Entry{Start: from}, f)
}

// Next returns the first entry that ends above addr: find_vma(). ok is false
// if there is none. It is the per-VMA step of a /proc/pid/maps reader, so it
// walks the tree at most twice (the entry at or below addr, then the first
// above it), where Ascend's general start takes three walks.
func (t *Tree) Next(addr uint64) (e Entry, ok bool) {
	t.bt.DescendLessOrEqual(Entry{Start: addr}, func(x Entry) bool {
		if addr < x.End {
			e, ok = x, true
		}
		return false
	})
	if ok || addr == ^uint64(0) {
		return e, ok
	}
	t.bt.AscendGreaterOrEqual(Entry{Start: addr + 1}, func(x Entry) bool {
		e, ok = x, true
		return false
	})
	return e, ok
}

// Overlapping returns the entries that intersect [start, end), in order.
func (t *Tree) Overlapping(start, end uint64) []Entry {
	return t.appendOverlapping(nil, start, end)
}

// appendOverlapping appends to out the entries that intersect [start,
// end), in order, and returns it.
func (t *Tree) appendOverlapping(out []Entry, start, end uint64) []Entry {
	t.Ascend(start, func(e Entry) bool {
		if e.Start >= end {
			return false
		}
		if e.End > start {
			out = append(out, e)
		}
		return true
	})
	return out
}

// entryAt returns the entry starting exactly at start.
func (t *Tree) entryAt(start uint64) (Entry, bool) {
	return t.bt.Get(Entry{Start: start})
}

// before returns the entry just below start, if any.
func (t *Tree) before(start uint64) (e Entry, ok bool) {
	t.bt.DescendLessOrEqual(Entry{Start: start - 1}, func(x Entry) bool {
		e, ok = x, true
		return false
	})
	if start == 0 {
		return Entry{}, false
	}
	return e, ok
}

// clone returns a copy-on-write clone for a writer to change.
func (t *Tree) clone() *Tree { return &Tree{bt: t.bt.Clone()} }
