package mm

import (
	"sync/atomic"
	"unsafe"

	"vmabench/sim"
)

// The shared-word types: every word of shared model state that threads
// read and write concurrently (lock words, reference counts, sequence
// counts, the tree root, page-table entries, a VMA's fields, the harness's
// own phase and progress words) is one of these, with sync/atomic's method
// set (and StoreMB). In a real run each method is the sync/atomic
// operation behind one branch on a flag that is false (sim.On), which the
// CPU predicts, except Store, which is the kernel's plain store on amd64
// (see Int32.Store); while a
// projection or an exploration runs (package sim), each access is first a
// scheduling point of the virtual CPU that makes it, charged by the
// engine's cost model from the word's address and the access's kind. So
// there is one description of each protocol, the model code, and a
// projection runs it unchanged.
//
// A word's address is its cache line's: the Go heap does not move
// objects, so the layout of a struct (its pads, which fields share a line)
// is what the cost model sees, as the kernel's layout is what its CPUs see.
// Like sync/atomic's types, a word must not be copied after first use.

// Int32 is a shared int32 with the methods of atomic.Int32; see the note above.
type Int32 struct{ v atomic.Int32 }

// Load atomically loads and returns the value.
func (w *Int32) Load() int32 {
	if sim.On() {
		sim.LoadAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Load()
}

// Peek loads the value with no scheduling point and no charge: a look at
// state the kernel keeps off any shared line (see needResched).
func (w *Int32) Peek() int32 { return w.v.Load() }

// Store stores x as the kernel's WRITE_ONCE(), atomic_set() and
// smp_store_release() do on x86-64: a plain MOV (see plainStore), which
// the CPU's store buffer holds until the line arrives, so a store to a
// contended line costs the storing CPU nothing until its next locked
// instruction (sim.Coherence charges it so). Where the kernel needs the
// store ordered before a later load it says so (smp_store_mb(), smp_mb()),
// and so must the model: StoreMB, or mb(). The same holds for every Store
// below.
func (w *Int32) Store(x int32) {
	if sim.On() {
		sim.StoreAt(uintptr(unsafe.Pointer(w)))
	}
	if plainStore {
		*(*int32)(unsafe.Pointer(&w.v)) = x
		return
	}
	w.v.Store(x)
}

// Swap atomically stores x and returns the previous value.
func (w *Int32) Swap(x int32) int32 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Swap(x)
}

// CompareAndSwap executes the compare-and-swap operation for the value.
func (w *Int32) CompareAndSwap(old, new int32) bool {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.CompareAndSwap(old, new)
}

// TryCmpxchg models atomic_try_cmpxchg(): if the value is *old, store
// new and report true; if not, set *old to the value and report false.
// One locked instruction: x86's LOCK CMPXCHG leaves the value it found in
// EAX, so a kernel loop that retries on it reads the line once per try
// and a projection charges one RMW, no load. sync/atomic has no such
// compare-and-swap, so a real run loads the value again after a failure
// (a load of the line the failed CAS just brought, uncharged in a
// projection, which runs no other CPU between the two).
func (w *Int32) TryCmpxchg(old *int32, new int32) bool {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	if w.v.CompareAndSwap(*old, new) {
		return true
	}
	*old = w.v.Load()
	return false
}

// Add atomically adds delta and returns the new value.
func (w *Int32) Add(delta int32) int32 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Add(delta)
}

// And atomically ANDs mask into the value and returns the old value.
func (w *Int32) And(mask int32) int32 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.And(mask)
}

// Or atomically ORs mask into the value and returns the old value.
func (w *Int32) Or(mask int32) int32 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Or(mask)
}

// Uint32 is a shared uint32 with the methods of atomic.Uint32; see the note above.
type Uint32 struct{ v atomic.Uint32 }

// Load atomically loads and returns the value.
func (w *Uint32) Load() uint32 {
	if sim.On() {
		sim.LoadAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Load()
}

// Store stores x with a plain store; see Int32.Store.
func (w *Uint32) Store(x uint32) {
	if sim.On() {
		sim.StoreAt(uintptr(unsafe.Pointer(w)))
	}
	if plainStore {
		*(*uint32)(unsafe.Pointer(&w.v)) = x
		return
	}
	w.v.Store(x)
}

// StoreMB models smp_store_mb(): a store followed by a full barrier,
// which x86-64 does as one XCHG, so a load that follows cannot be done
// before the store is visible (set_current_state()). It is charged as the
// locked instruction it is.
func (w *Uint32) StoreMB(x uint32) {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	w.v.Swap(x)
}

// Swap atomically stores x and returns the previous value.
func (w *Uint32) Swap(x uint32) uint32 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Swap(x)
}

// CompareAndSwap executes the compare-and-swap operation for the value.
func (w *Uint32) CompareAndSwap(old, new uint32) bool {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.CompareAndSwap(old, new)
}

// Add atomically adds delta and returns the new value.
func (w *Uint32) Add(delta uint32) uint32 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Add(delta)
}

// And atomically ANDs mask into the value and returns the old value.
func (w *Uint32) And(mask uint32) uint32 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.And(mask)
}

// Or atomically ORs mask into the value and returns the old value.
func (w *Uint32) Or(mask uint32) uint32 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Or(mask)
}

// Int64 is a shared int64 with the methods of atomic.Int64; see the note above.
type Int64 struct{ v atomic.Int64 }

// Load atomically loads and returns the value.
func (w *Int64) Load() int64 {
	if sim.On() {
		sim.LoadAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Load()
}

// Peek loads the value with no scheduling point and no charge: the
// checker's look at a word between the model's steps, which the model it
// checks never makes.
func (w *Int64) Peek() int64 { return w.v.Load() }

// Store stores x with a plain store; see Int32.Store.
func (w *Int64) Store(x int64) {
	if sim.On() {
		sim.StoreAt(uintptr(unsafe.Pointer(w)))
	}
	if plainStore {
		*(*int64)(unsafe.Pointer(&w.v)) = x
		return
	}
	w.v.Store(x)
}

// Swap atomically stores x and returns the previous value.
func (w *Int64) Swap(x int64) int64 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Swap(x)
}

// CompareAndSwap executes the compare-and-swap operation for the value.
func (w *Int64) CompareAndSwap(old, new int64) bool {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.CompareAndSwap(old, new)
}

// TryCmpxchg models atomic_try_cmpxchg(): if the value is *old, store
// new and report true; if not, set *old to the value and report false.
// One locked instruction: x86's LOCK CMPXCHG leaves the value it found in
// EAX, so a kernel loop that retries on it reads the line once per try
// and a projection charges one RMW, no load. sync/atomic has no such
// compare-and-swap, so a real run loads the value again after a failure
// (a load of the line the failed CAS just brought, uncharged in a
// projection, which runs no other CPU between the two).
func (w *Int64) TryCmpxchg(old *int64, new int64) bool {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	if w.v.CompareAndSwap(*old, new) {
		return true
	}
	*old = w.v.Load()
	return false
}

// Add atomically adds delta and returns the new value.
func (w *Int64) Add(delta int64) int64 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Add(delta)
}

// And atomically ANDs mask into the value and returns the old value.
func (w *Int64) And(mask int64) int64 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.And(mask)
}

// Or atomically ORs mask into the value and returns the old value.
func (w *Int64) Or(mask int64) int64 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Or(mask)
}

// Uint64 is a shared uint64 with the methods of atomic.Uint64; see the note above.
type Uint64 struct{ v atomic.Uint64 }

// Load atomically loads and returns the value.
func (w *Uint64) Load() uint64 {
	if sim.On() {
		sim.LoadAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Load()
}

// Store stores x with a plain store; see Int32.Store.
func (w *Uint64) Store(x uint64) {
	if sim.On() {
		sim.StoreAt(uintptr(unsafe.Pointer(w)))
	}
	if plainStore {
		*(*uint64)(unsafe.Pointer(&w.v)) = x
		return
	}
	w.v.Store(x)
}

// Swap atomically stores x and returns the previous value.
func (w *Uint64) Swap(x uint64) uint64 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Swap(x)
}

// CompareAndSwap executes the compare-and-swap operation for the value.
func (w *Uint64) CompareAndSwap(old, new uint64) bool {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.CompareAndSwap(old, new)
}

// Add atomically adds delta and returns the new value.
func (w *Uint64) Add(delta uint64) uint64 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Add(delta)
}

// And atomically ANDs mask into the value and returns the old value.
func (w *Uint64) And(mask uint64) uint64 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.And(mask)
}

// Or atomically ORs mask into the value and returns the old value.
func (w *Uint64) Or(mask uint64) uint64 {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Or(mask)
}

// Bool is a shared bool with the methods of atomic.Bool; see the note
// above.
type Bool struct{ v atomic.Bool }

// Load atomically loads and returns the value.
func (w *Bool) Load() bool {
	if sim.On() {
		sim.LoadAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Load()
}

// Store stores x with a plain store; see Int32.Store.
func (w *Bool) Store(x bool) {
	if sim.On() {
		sim.StoreAt(uintptr(unsafe.Pointer(w)))
	}
	if plainStore {
		*(*uint32)(unsafe.Pointer(&w.v)) = b32(x)
		return
	}
	w.v.Store(x)
}

// Swap atomically stores x and returns the previous value.
func (w *Bool) Swap(x bool) bool {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Swap(x)
}

// CompareAndSwap executes the compare-and-swap operation for the value.
func (w *Bool) CompareAndSwap(old, new bool) bool {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.CompareAndSwap(old, new)
}

// Pointer is a shared *T with the methods of atomic.Pointer; see the note
// above.
type Pointer[T any] struct{ v atomic.Pointer[T] }

// Load atomically loads and returns the value.
func (w *Pointer[T]) Load() *T {
	if sim.On() {
		sim.LoadAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Load()
}

// Store stores x with a plain store; see Int32.Store.
func (w *Pointer[T]) Store(x *T) {
	if sim.On() {
		sim.StoreAt(uintptr(unsafe.Pointer(w)))
	}
	if plainStore {
		// A pointer store: the compiler adds the collector's write
		// barrier, as atomic.Pointer's Store has.
		*(*unsafe.Pointer)(unsafe.Pointer(&w.v)) = unsafe.Pointer(x)
		return
	}
	w.v.Store(x)
}

// Swap atomically stores x and returns the previous value.
func (w *Pointer[T]) Swap(x *T) *T {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.Swap(x)
}

// CompareAndSwap executes the compare-and-swap operation for the value.
func (w *Pointer[T]) CompareAndSwap(old, new *T) bool {
	if sim.On() {
		sim.RMWAt(uintptr(unsafe.Pointer(w)))
	}
	return w.v.CompareAndSwap(old, new)
}

// mb models smp_mb(): a locked instruction on the stack that waits for
// the store buffer to drain (lockedAdd), where Store's plain MOVs must be
// ordered before a later load; a projection charges it so (sim.Barrier).
func mb() {
	if sim.On() {
		sim.Barrier()
		return
	}
	lockedAdd()
}

// b32 is atomic.Bool's representation of x.
func b32(x bool) uint32 {
	if x {
		return 1
	}
	return 0
}
