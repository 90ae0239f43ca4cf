package mm

import (
	"sync/atomic"

	"vmabench/sim"
)

// The checker's words: the marks by which the model sees its own
// protocols break (a writer inside a VMA or the address space, a VMA's
// generation, a VMA freed to the cache), which the kernel does not have.
// In a real run each is its sync/atomic word and costs what it costs
// there (the README's trust section says what that is). In a projection
// each access is first a sim.Order and is charged nothing: it takes effect
// at its CPU's virtual time, after the calibrated work before it, as the
// shared-word types' accesses do, but adds no line transfer to a
// projection of the kernel, which has no such word. An exploration does
// not stop at them, so its schedules do not change with them.

// order is a checker word's access's sim.Order, in a projection only.
func order() {
	if sim.On() {
		sim.Order()
	}
}

// checkInt32 is a checker's int32.
type checkInt32 struct{ v atomic.Int32 }

func (w *checkInt32) Load() int32 {
	order()
	return w.v.Load()
}

func (w *checkInt32) Store(x int32) {
	order()
	w.v.Store(x)
}

func (w *checkInt32) Add(delta int32) int32 {
	order()
	return w.v.Add(delta)
}

func (w *checkInt32) CompareAndSwap(old, new int32) bool {
	order()
	return w.v.CompareAndSwap(old, new)
}

// checkUint64 is a checker's uint64.
type checkUint64 struct{ v atomic.Uint64 }

func (w *checkUint64) Load() uint64 {
	order()
	return w.v.Load()
}

func (w *checkUint64) Add(delta uint64) uint64 {
	order()
	return w.v.Add(delta)
}

// checkBool is a checker's bool.
type checkBool struct{ v atomic.Bool }

func (w *checkBool) Load() bool {
	order()
	return w.v.Load()
}

func (w *checkBool) Store(x bool) {
	order()
	w.v.Store(x)
}
