package mm

import "vmabench/sim"

// cpuRelax models cpu_relax() on x86-64, rep_nop(): one PAUSE instruction
// (relax_amd64.s), which every spin loop of the model runs once per look
// at the word it waits on, as the kernel's do. PAUSE tells the core the
// loop spins: it yields the pipeline to an SMT sibling, keeps the loop from
// flooding the line with loads, and avoids the memory-order machine clear
// when the line changes. BenchmarkCPURelax measures one call on this
// machine; a projection charges each call as one PAUSE (sim.Relax), a
// scheduling point of its own.
func cpuRelax() {
	if sim.On() {
		sim.Relax()
		return
	}
	pause()
}

// pause is one PAUSE instruction (relax_amd64.s).
//
//go:noescape
func pause()
