package mm

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"vmabench/sim"
)

// refTree is TestTreeAgainstReference's model of a Tree: its entries,
// sorted by Start.
type refTree []Entry

func (r refTree) floor(key uint64) (Entry, bool) {
	i, found := slices.BinarySearchFunc(r, key, func(e Entry, k uint64) int { return cmpU64(e.Start, k) })
	if found {
		return r[i], true
	}
	if i == 0 {
		return Entry{}, false
	}
	return r[i-1], true
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkTree compares every query of tr with ref at every address of the
// space, and the node invariants: each internal key is the least Start
// under its child, keys ascend, no node is empty or over capacity.
func checkTree(t *testing.T, tr *Tree, ref refTree, space uint64) {
	t.Helper()
	if tr.Len() != len(ref) {
		t.Fatalf("Len %d, want %d", tr.Len(), len(ref))
	}
	var all []Entry
	tr.Ascend(0, func(e Entry) bool { all = append(all, e); return true })
	if !slices.Equal(all, ref) {
		t.Fatalf("Ascend(0) = %v, want %v", all, ref)
	}
	for a := uint64(0); a <= space; a++ {
		want, wantOK := ref.floor(a)
		var wantVMA *VMA
		if wantOK && a < want.End {
			wantVMA = want.VMA
		}
		if got := tr.Lookup(a); got != wantVMA {
			t.Fatalf("Lookup(%d) = %p, want %p", a, got, wantVMA)
		}
		var next Entry
		var nextOK bool
		for _, e := range ref {
			if e.End > a {
				next, nextOK = e, true
				break
			}
		}
		if got, ok := tr.Next(a); got != next || ok != nextOK {
			t.Fatalf("Next(%d) = %v, %v; want %v, %v", a, got, ok, next, nextOK)
		}
		_, atOK := tr.entryAt(a)
		if atOK != (wantOK && want.Start == a) {
			t.Fatalf("entryAt(%d) = %v", a, atOK)
		}
	}
	var walk func(n *tnode, depth int) (min uint64)
	walk = func(n *tnode, depth int) uint64 {
		if n.n < 1 || n.n > nodeCap {
			t.Fatalf("node of %d entries", n.n)
		}
		for i := 1; i < n.n; i++ {
			if n.ents[i-1].Start >= n.ents[i].Start {
				t.Fatalf("node keys out of order: %v", n.ents[:n.n])
			}
		}
		if n.kids != nil {
			for i := range n.n {
				if m := walk(n.kids[i], depth+1); m != n.ents[i].Start {
					t.Fatalf("internal key %d, child's least %d", n.ents[i].Start, m)
				}
			}
		}
		return n.ents[0].Start
	}
	if tr.root != nil {
		walk(tr.root, 0)
	}
}

// TestTreeAgainstReference: random batches of inserts, replacements and
// deletes on clones, deep enough for internal nodes to split and empty,
// leave every query as a sorted slice answers it; and every published
// version reads as it did when it was published, however its clones
// changed since (the readers' guarantee).
func TestTreeAgainstReference(t *testing.T) {
	const space = 400
	rng := rand.New(rand.NewPCG(1, 2))
	vmas := make([]VMA, space)
	tr := newTree()
	var ref refTree
	type version struct {
		tr  *Tree
		ref refTree
	}
	var versions []version
	for round := range 300 {
		nt := tr.clone()
		nref := slices.Clone(ref)
		for range 1 + rng.IntN(6) {
			s := uint64(rng.IntN(space/2)) * 2
			i, found := slices.BinarySearchFunc(nref, s, func(e Entry, k uint64) int { return cmpU64(e.Start, k) })
			// Grow until half full, then as many deletes as inserts.
			if found && (len(nref) > space/4 || rng.IntN(3) == 0) {
				nt.delete(s)
				nref = slices.Delete(nref, i, i+1)
				continue
			}
			e := Entry{Start: s, End: s + 1 + uint64(rng.IntN(2)), VMA: &vmas[rng.IntN(space)]}
			if found {
				nref[i] = e
			} else {
				nref = slices.Insert(nref, i, e)
			}
			nt.replaceOrInsert(e)
		}
		// Keep entries apart: an entry ends at or before the next's start.
		checkTree(t, nt, nref, space)
		tr, ref = nt, nref
		if round%20 == 0 {
			versions = append(versions, version{tr, ref})
		}
	}
	for _, v := range versions {
		checkTree(t, v.tr, v.ref, space)
	}
	// Empty it.
	nt := tr.clone()
	for _, e := range ref {
		nt.delete(e.Start)
	}
	checkTree(t, nt, nil, space)
	checkTree(t, tr, ref, space)
}

// TestNodeLines: a tree node is tnodeSize bytes, and the allocator puts
// each one on whole cache lines of its own, so a projection that charges
// a node's lines charges no other node's.
func TestNodeLines(t *testing.T) {
	if got := unsafe.Sizeof(tnode{}); got != tnodeSize || tnodeSize%sim.LineSize != 0 {
		t.Fatalf("tnode is %d bytes, want %d, a multiple of %d", got, tnodeSize, sim.LineSize)
	}
	nodes := make([]*tnode, 200) // on the heap, as a tree's are
	for i := range nodes {
		nodes[i] = new(tnode)
		if a := uintptr(unsafe.Pointer(nodes[i])); a%sim.LineSize != 0 {
			t.Fatalf("node %d at %#x: not on a line of its own", i, a)
		}
	}
	nodeSink = nodes
}

// nodeSink keeps TestNodeLines's nodes on the heap.
var nodeSink []*tnode
