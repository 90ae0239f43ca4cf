package runner

import "vmabench/workloads"

// runLive runs a cell of the kernel strategy: the workload as real system
// calls on the host kernel.
func runLive(c Config, res Result, w workloads.Info) (Result, error) {
	res.Status = StatusSkipped
	res.Detail = "the kernel strategy is not implemented yet"
	return res, nil
}
