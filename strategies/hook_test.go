package strategies

import (
	"sync/atomic"
	"testing"
	"time"

	"vmabench/mm"
)

// A gate parks the first thread that reaches its point (on its VMA, if
// set) until the test opens it: how the interleaving tests force a race
// window open.
type gate struct {
	point   mm.Point
	vma     *mm.VMA // nil: any VMA
	armed   atomic.Bool
	arrived chan struct{}
	release chan struct{}
}

func newGate(p mm.Point, v *mm.VMA) *gate {
	g := &gate{point: p, vma: v, arrived: make(chan struct{}), release: make(chan struct{})}
	g.armed.Store(true)
	return g
}

// stall is how long a test waits for something that must happen before it
// declares the model stuck. Only a broken model ever waits that long.
const stall = 10 * time.Second

// reached waits until a thread is parked at the gate.
func (g *gate) reached(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(stall):
		t.Fatalf("no thread reached point %d within %v", g.point, stall)
	}
}

// open lets the parked thread go on.
func (g *gate) open() { close(g.release) }

// hooks installs the gates and, for every point reached, watch, for the
// rest of the test (or until the next call). A thread parks at the first
// armed gate of its point, at most one.
func hooks(t *testing.T, gates []*gate, watch func(p mm.Point, task *mm.Task, v *mm.VMA)) {
	mm.SetHook(func(p mm.Point, task *mm.Task, v *mm.VMA) {
		if watch != nil {
			watch(p, task, v)
		}
		for _, g := range gates {
			if g.point == p && (g.vma == nil || g.vma == v) && g.armed.CompareAndSwap(true, false) {
				close(g.arrived)
				<-g.release
				return
			}
		}
	})
	t.Cleanup(func() { mm.SetHook(nil) })
}

// eventually polls cond until it holds, failing the test after stall.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(stall)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, stall)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// finish waits for a goroutine's done channel, failing after stall: a
// writer that waits for a wake-up that never comes.
func finish[T any](t *testing.T, what string, done <-chan T) T {
	t.Helper()
	select {
	case v := <-done:
		return v
	case <-time.After(stall):
		t.Fatalf("%s: still blocked after %v", what, stall)
	}
	panic("unreachable")
}

// perVMA is what the interleaving tests use of a per-VMA design.
type perVMA interface {
	Strategy
	lockVMAUnderRCU(t *mm.Task, addr uint64) *mm.VMA
	vmaEndRead(v *mm.VMA)
}

func (s *VMARefcnt) vmaEndRead(v *mm.VMA) { vmaRefcountPut(v) }

// perVMADesigns returns a fresh instance of each per-VMA design; refcnt is
// set for the refcount designs. A nil cache gets each design's own.
func perVMADesigns(cache *mm.Cache) []struct {
	name   string
	s      perVMA
	refcnt bool
} {
	return []struct {
		name   string
		s      perVMA
		refcnt bool
	}{
		{"vmaseq", NewVMASeq(mm.Config{Cache: cache}).(*VMASeq), false},
		{"vmarefcnt", newVMARefcnt(mm.Config{Cache: cache}), true},
		{"vmawait", &VMAWait{newVMARefcnt(mm.Config{Cache: cache})}, true},
	}
}

// async runs f in a goroutine and returns a channel with its result.
func async[T any](f func() T) <-chan T {
	c := make(chan T, 1)
	go func() { c <- f() }()
	return c
}

// isDone reports whether c has a value ready, without taking it.
func isDone[T any](c <-chan T) bool { return len(c) > 0 }
