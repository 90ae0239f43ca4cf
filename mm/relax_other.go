//go:build !amd64

package mm

import "vmabench/sim"

// cpuRelax models cpu_relax(). Only amd64 has the assembly PAUSE
// (relax_amd64.s); elsewhere it is a function call that does nothing, a
// compiler barrier like the kernel's, so the spin loops still re-load the
// words they wait on (they load them with atomics anyway).
//
// A projection charges each call as one PAUSE (sim.Relax).
//
//go:noinline
func cpuRelax() {
	if sim.On() {
		sim.Relax()
	}
}
