package report

import (
	"fmt"

	"vmabench/runner"
)

// benchName returns r's benchfmt name, without the "Benchmark" prefix, as
// cell.Cell.Name writes it. It rejects names that would not read back.
func benchName(r *runner.Result) (string, error) {
	if err := r.Cell.Validate(); err != nil {
		return "", err
	}
	if r.Procs < 1 {
		return "", fmt.Errorf("%s: GOMAXPROCS %d < 1", r.Key().Name(), r.Procs)
	}
	return r.Name(), nil
}
