//go:build !amd64 || race

package mm

// plainStore is false: the shared-word types' Store is sync/atomic's,
// sequentially consistent, which the race detector needs for its
// happens-before edges and which other architectures need for a store to
// be a release (see store_plain.go).
const plainStore = false

// lockedAdd is smp_mb()'s instruction (see mb): nothing here, where every
// access is a sequentially consistent atomic and nothing needs ordering.
func lockedAdd() {}
