package mm

import (
	"unsafe"

	"vmabench/sim"
)

// Entry is one VMA in a Tree, with the range it had when the tree version
// was made. The VMA's own fields may have changed since; the entry never
// does, so the tree's order stays consistent for readers of old versions.
type Entry struct {
	Start, End uint64
	VMA        *VMA
}

// Tree models the maple tree of an MM: an ordered map from address to VMA
// that readers search without any lock. A Tree is immutable once published:
// a writer changes a clone and publishes it atomically, so a reader keeps a
// consistent version for as long as it looks, as an RCU reader of the
// maple tree does.
//
// It is a B+tree of its own, not a library's, for what a change shares
// between CPUs. A change copies the nodes on its path (a leaf, for the
// few VMAs of the field's shapes), each once, as the maple tree's RCU mode
// writes a new node in place of each one it changes (mas_wr_node_store()
// and the rest); nothing else. Until 2026-12-03 the model used
// github.com/google/btree, whose clone allocates two copy-on-write
// contexts and whose node allocation takes a free-list mutex that every
// clone of a tree shares: lines the kernel's change does not write, which
// two writers on two CPUs passed back and forth. In a microbenchmark of a
// 3-entry tree (an insert and a delete per pair, two pinned CPUs taking
// turns) a change took about 1000 ns with it and 650 with this layout,
// 150 and 70 ns on one CPU.
//
// A node holds up to nodeCap entries (a leaf) or children (an internal
// node), 264 bytes, near the maple tree's 256-byte maple_node of 16 slots
// (a maple leaf keeps pivots and pointers, 16 bytes a slot; an Entry is
// 24). Departure: a node left underfull by deletes is not merged with a
// neighbour, as mas_rebalance() merges the maple tree's; only an empty
// one is removed. The model's address spaces hold tens of VMAs, so this
// changes how many nodes a walk passes (at most one level more), not what
// a change copies.
//
// In a projection a walk's reads of a node and a change's copy of it are
// charged by line (sim.Touch), as the maple tree's are in the kernel: a
// reader's mas_walk() reads the node's pivots up to its slot and the
// slot, and a node a writer has just made is in that writer's cache, so
// every CPU's next walk through a changed path fetches its lines from it.
// A node takes five whole lines of its own (tnode is padded to 320 bytes,
// a Go size class, so no two nodes share a line; the kernel's maple_node
// is 256 bytes in a cache of 256-byte alignment). The nodes are written
// only before they are published, so an exploration does not stop at
// them.
type Tree struct {
	root *tnode
	n    int
}

// nodeCap is a node's capacity: 10 entries of 24 bytes fill the 240 bytes
// of a maple leaf's slots and pivots.
const nodeCap = 10

// tnode is a Tree's node. In a leaf, ents are the entries in address
// order. In an internal node, kids are the children, and ents[i].Start is
// the least Start under kids[i] (its other fields are unused). owner is
// the Tree that may change the node in place: the clone that copied it,
// before that clone is published. The header (owner, kids, n) is on the
// line of the first entry, as a maple node's type is in the pointer to
// it and its first pivots on its first line.
type tnode struct {
	owner *Tree
	kids  *[nodeCap]*tnode // nil for a leaf
	n     int
	ents  [nodeCap]Entry
	_     [tnodePad]byte
}

// tnodePad pads a tnode to tnodeSize.
const tnodePad = tnodeSize - 3*8 - nodeCap*24

// tnodeSize is a tnode's size: 5 cache lines, and a size class of the Go
// allocator, whose objects of one class lie at multiples of it from a
// page, so each node has whole lines of its own.
const tnodeSize = 320

// newKids allocates an internal node's children on two cache lines of
// their own (kidsBlock), so that in a projection, where every virtual
// CPU allocates from one Go heap, no two CPUs' arrays share a line that
// two real CPUs' would not.
func newKids() *[nodeCap]*tnode { return &new(kidsBlock).k }

// kidsBlock is a children array padded to 128 bytes, a size class whose
// objects lie on whole lines.
type kidsBlock struct {
	k [nodeCap]*tnode
	_ [128 - nodeCap*8]byte
}

// read charges a projection the lines of n's header and of its first k
// entries: what a walk that stops at entry k-1 reads (mas_walk()'s
// pivots and slot).
func (n *tnode) read(k int) {
	if sim.On() {
		touchLines(unsafe.Pointer(n), unsafe.Offsetof(n.ents)+uintptr(k)*unsafe.Sizeof(Entry{}), sim.Load)
	}
}

// kid returns n's child i, charging a projection the child pointer's line.
func (n *tnode) kid(i int) *tnode {
	if sim.On() {
		sim.Touch(uintptr(unsafe.Pointer(&n.kids[i])), sim.Load)
	}
	return n.kids[i]
}

// touchLines charges a projection one access of kind k to each cache line
// of [p, p+size) (sim.Touch).
func touchLines(p unsafe.Pointer, size uintptr, k sim.Kind) {
	end := uintptr(p) + size
	for a := uintptr(p) &^ (sim.LineSize - 1); a < end; a += sim.LineSize {
		sim.Touch(a, k)
	}
}

func newTree() *Tree { return &Tree{} }

// Len returns the number of VMAs.
func (t *Tree) Len() int { return t.n }

// upper returns how many of n's entries start at or below key.
func (n *tnode) upper(key uint64) int {
	i := 0
	for i < n.n && n.ents[i].Start <= key {
		i++
	}
	n.read(min(i+1, n.n))
	return i
}

// floor returns the entry with the greatest Start at or below key.
func (t *Tree) floor(key uint64) (Entry, bool) {
	n := t.root
	for n != nil {
		i := n.upper(key) - 1
		if i < 0 {
			break
		}
		if n.kids == nil {
			return n.ents[i], true
		}
		n = n.kid(i)
	}
	return Entry{}, false
}

// ceil returns the entry with the least Start at or above key.
func (n *tnode) ceil(key uint64) (Entry, bool) {
	if n == nil {
		return Entry{}, false
	}
	if n.kids == nil {
		for i := range n.n {
			if n.ents[i].Start >= key {
				n.read(i + 1)
				return n.ents[i], true
			}
		}
		n.read(n.n)
		return Entry{}, false
	}
	for i := max(n.upper(key)-1, 0); i < n.n; i++ {
		if e, ok := n.kid(i).ceil(key); ok {
			return e, true
		}
	}
	return Entry{}, false
}

// ascend calls f for each entry under n whose Start is at least from, in
// order, until f returns false; it reports whether f never did.
func (n *tnode) ascend(from uint64, f func(Entry) bool) bool {
	if n.kids == nil {
		for i := range n.n {
			if n.ents[i].Start >= from && !f(n.ents[i]) {
				n.read(i + 1)
				return false
			}
		}
		n.read(n.n)
		return true
	}
	for i := max(n.upper(from)-1, 0); i < n.n; i++ {
		if !n.kid(i).ascend(from, f) {
			return false
		}
	}
	return true
}

// Lookup returns the VMA whose entry covers addr, or nil: mas_walk().
func (t *Tree) Lookup(addr uint64) *VMA {
	if e, ok := t.floor(addr); ok && addr < e.End {
		return e.VMA
	}
	return nil
}

// Ascend calls f for each entry whose End is above from, in address order,
// until f returns false: the VMA iterator a /proc/pid/maps reader uses.
func (t *Tree) Ascend(from uint64, f func(Entry) bool) {
	if t.root == nil {
		return
	}
	if e, ok := t.floor(from); ok && from < e.End {
		from = e.Start // start at the VMA covering from
	}
	t.root.ascend(from, f)
}

// Next returns the first entry that ends above addr: find_vma(). ok is false
// if there is none. It is the per-VMA step of a /proc/pid/maps reader: the
// entry at or below addr, else the first above it.
func (t *Tree) Next(addr uint64) (e Entry, ok bool) {
	if e, ok := t.floor(addr); ok && addr < e.End {
		return e, true
	}
	if addr == ^uint64(0) {
		return Entry{}, false
	}
	return t.root.ceil(addr + 1)
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
	if e, ok := t.floor(start); ok && e.Start == start {
		return e, true
	}
	return Entry{}, false
}

// before returns the entry just below start, if any.
func (t *Tree) before(start uint64) (e Entry, ok bool) {
	if start == 0 {
		return Entry{}, false
	}
	return t.floor(start - 1)
}

// clone returns a copy-on-write clone for a writer to change: it shares
// every node with t until it changes one (mutable).
func (t *Tree) clone() *Tree { return &Tree{root: t.root, n: t.n} }

// mutable returns n if t may change it in place, else t's copy of it.
//
// In a projection the copy reads n's lines and stores the copy's, as
// the maple tree's writer in RCU mode reads the node it replaces and
// fills a new one (mas_wr_node_store()).
func (t *Tree) mutable(n *tnode) *tnode {
	if n.owner == t {
		return n
	}
	c := new(tnode)
	*c = *n
	c.owner = t
	if n.kids != nil {
		c.kids = newKids()
		*c.kids = *n.kids
	}
	if sim.On() {
		used := unsafe.Offsetof(n.ents) + uintptr(n.n)*unsafe.Sizeof(Entry{})
		touchLines(unsafe.Pointer(n), used, sim.Load)
		touchLines(unsafe.Pointer(c), used, sim.Store)
		if n.kids != nil {
			size := uintptr(n.n) * unsafe.Sizeof(n)
			touchLines(unsafe.Pointer(n.kids), size, sim.Load)
			touchLines(unsafe.Pointer(c.kids), size, sim.Store)
		}
	}
	return c
}

// replaceOrInsert puts e in t, replacing an entry with the same Start.
func (t *Tree) replaceOrInsert(e Entry) {
	if t.root == nil {
		t.root = &tnode{owner: t, n: 1}
		t.root.ents[0] = e
		t.n = 1
		return
	}
	t.root = t.mutable(t.root)
	added, right := t.insertAt(t.root, e)
	if added {
		t.n++
	}
	if right != nil { // the root split: a new root above the two halves
		r := &tnode{owner: t, n: 2, kids: newKids()}
		r.ents[0].Start, r.kids[0] = t.root.ents[0].Start, t.root
		r.ents[1].Start, r.kids[1] = right.ents[0].Start, right
		t.root = r
	}
}

// insertAt puts e under n, which t owns. It reports whether e is new and
// returns the right half of n if n split.
func (t *Tree) insertAt(n *tnode, e Entry) (added bool, right *tnode) {
	i := n.upper(e.Start)
	if n.kids == nil {
		if i > 0 && n.ents[i-1].Start == e.Start {
			n.ents[i-1] = e
			return false, nil
		}
		return true, n.insertSlot(t, i, e, nil)
	}
	c := max(i-1, 0)
	k := t.mutable(n.kid(c))
	n.kids[c] = k
	added, r := t.insertAt(k, e)
	n.ents[c].Start = k.ents[0].Start
	if r == nil {
		return added, nil
	}
	return added, n.insertSlot(t, c+1, Entry{Start: r.ents[0].Start}, r)
}

// insertSlot inserts e (and, in an internal node, its child kid) at
// position i of n, which t owns. A full node splits in two halves: n keeps
// the left, and the right, a new node, is returned.
func (n *tnode) insertSlot(t *Tree, i int, e Entry, kid *tnode) *tnode {
	if n.n < nodeCap {
		copy(n.ents[i+1:n.n+1], n.ents[i:n.n])
		n.ents[i] = e
		if n.kids != nil {
			copy(n.kids[i+1:n.n+1], n.kids[i:n.n])
			n.kids[i] = kid
		}
		n.n++
		return nil
	}
	var ents [nodeCap + 1]Entry
	var kids [nodeCap + 1]*tnode
	copy(ents[:i], n.ents[:i])
	ents[i] = e
	copy(ents[i+1:], n.ents[i:])
	if n.kids != nil {
		copy(kids[:i], n.kids[:i])
		kids[i] = kid
		copy(kids[i+1:], n.kids[i:])
	}
	const half = (nodeCap + 1) / 2
	r := &tnode{owner: t, n: nodeCap + 1 - half}
	copy(r.ents[:], ents[half:])
	n.n = half
	copy(n.ents[:], ents[:half])
	clear(n.ents[half:]) // drop the moved entries' VMAs
	if n.kids != nil {
		r.kids = newKids()
		copy(r.kids[:], kids[half:])
		copy(n.kids[:], kids[:half])
		clear(n.kids[half:])
	}
	return r
}

// delete removes the entry starting at start, if there is one.
func (t *Tree) delete(start uint64) {
	if t.root == nil {
		return
	}
	t.root = t.mutable(t.root)
	if !t.deleteAt(t.root, start) {
		return
	}
	t.n--
	for t.root.kids != nil && t.root.n == 1 {
		t.root = t.root.kids[0]
	}
	if t.root.n == 0 {
		t.root = nil
	}
}

// deleteAt removes the entry starting at start under n, which t owns, and
// reports whether there was one. A child left empty is removed.
func (t *Tree) deleteAt(n *tnode, start uint64) bool {
	i := n.upper(start) - 1
	if i < 0 {
		return false
	}
	if n.kids == nil {
		if n.ents[i].Start != start {
			return false
		}
		n.removeSlot(i)
		return true
	}
	k := t.mutable(n.kid(i))
	n.kids[i] = k
	if !t.deleteAt(k, start) {
		return false
	}
	if k.n == 0 {
		n.removeSlot(i)
	} else {
		n.ents[i].Start = k.ents[0].Start
	}
	return true
}

// removeSlot removes position i of n.
func (n *tnode) removeSlot(i int) {
	copy(n.ents[i:n.n], n.ents[i+1:n.n])
	n.ents[n.n-1] = Entry{}
	if n.kids != nil {
		copy(n.kids[i:n.n], n.kids[i+1:n.n])
		n.kids[n.n-1] = nil
	}
	n.n--
}
