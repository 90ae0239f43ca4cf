package workloads

import (
	"bytes"
	"os"
	"strconv"

	"vmabench/sim"
)

// SchedStats is what the OS scheduler did with one thread, from
// /proc/thread-self/status and /proc/thread-self/schedstat: how often it
// gave up its CPU (to sleep: voluntary; preempted: involuntary), how long it
// ran, and how long it waited runnable for a CPU. The thread reads its own
// at the start and the end of the measured phase (out of the hot path), so
// a cell can say how often a thread slept per operation, on the live kernel
// (in rwsem_down_write_slowpath()'s schedule()) and in a model (in futex(2))
// alike.
type SchedStats struct {
	Voluntary, Involuntary uint64 // voluntary_ctxt_switches, nonvoluntary_ctxt_switches
	RunNs, WaitNs          uint64 // schedstat: time on a CPU, time runnable waiting for one
	Slices                 uint64 // schedstat: timeslices run
	OK                     bool   // the files were read
}

// Sub returns s less o.
func (s SchedStats) Sub(o SchedStats) SchedStats {
	return SchedStats{
		Voluntary: s.Voluntary - o.Voluntary, Involuntary: s.Involuntary - o.Involuntary,
		RunNs: s.RunNs - o.RunNs, WaitNs: s.WaitNs - o.WaitNs, Slices: s.Slices - o.Slices,
		OK: s.OK && o.OK,
	}
}

// readSchedStats reads the calling OS thread's SchedStats; OK is false
// where /proc is missing. The caller must be locked to its OS thread.
func readSchedStats() SchedStats {
	var s SchedStats
	if sim.On() {
		// A projection's threads are virtual CPUs: no such files,
		// but the engine counts each CPU's blocks and sleeps, its
		// voluntary context switches. The rest stays 0.
		return SchedStats{Voluntary: sim.Blocks(), OK: true}
	}
	st, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		return s
	}
	for line := range bytes.Lines(st) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		n, _ := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
		switch string(k) {
		case "voluntary_ctxt_switches":
			s.Voluntary = n
		case "nonvoluntary_ctxt_switches":
			s.Involuntary = n
		}
	}
	ss, err := os.ReadFile("/proc/thread-self/schedstat")
	if err != nil {
		return s
	}
	f := bytes.Fields(ss)
	if len(f) != 3 {
		return s
	}
	s.RunNs, _ = strconv.ParseUint(string(f[0]), 10, 64)
	s.WaitNs, _ = strconv.ParseUint(string(f[1]), 10, 64)
	s.Slices, _ = strconv.ParseUint(string(f[2]), 10, 64)
	s.OK = true
	return s
}
