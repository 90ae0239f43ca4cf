//go:build amd64 && !race

package mm

// plainStore says that the shared-word types' Store is a plain MOV, as the
// kernel's WRITE_ONCE(), atomic_set() and smp_store_release() are on
// x86-64, not sync/atomic's Store, which Go compiles to XCHG there: a
// locked instruction that drains the store buffer and waits for the line,
// a full barrier the kernel's stores do not have. On x86-64's total store
// order a MOV is already a release store, and an aligned word's MOV is
// not torn; Go's compiler keeps a store in program order with the loads,
// stores and atomics around it, and the collector's write barrier still
// runs for a pointer. Under the race detector (store_atomic.go) the
// stores stay atomic, whose happens-before edges the detector needs, as
// they do on other architectures, whose plain stores are not release
// stores.
const plainStore = true

// lockedAdd is smp_mb()'s instruction on x86-64 (see mb): LOCK ORL $0 on
// the stack (barrier_amd64.s), as the kernel's `lock; addl $0,-4(%rsp)`.
//
//go:noescape
func lockedAdd()
