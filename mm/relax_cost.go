package mm

import "time"

// PauseNs measures what one cpuRelax() costs on this CPU, in ns: the
// fastest of 32 timed runs of 4096 calls, so that a run the thread was
// preempted in does not count. The calibration records it as pause-ns, the
// cost a projection charges each spin iteration.
func PauseNs() float64 {
	const n = 4096
	best := time.Duration(1<<63 - 1)
	for range 32 {
		start := time.Now()
		for range n {
			cpuRelax()
		}
		best = min(best, time.Since(start))
	}
	return float64(best) / n
}
