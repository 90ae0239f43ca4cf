//go:build !amd64 || race

package mm

import "vmabench/sim"

// plainStore is false: the shared-word types' Store is sync/atomic's,
// sequentially consistent, which the race detector needs for its
// happens-before edges and which other architectures need for a store to
// be a release (see store_plain.go).
const plainStore = false

// mb models smp_mb(). With every access a sequentially consistent atomic,
// nothing needs ordering; a projection still charges it (sim.Barrier).
func mb() {
	if sim.On() {
		sim.Barrier()
	}
}
