package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"

	"vmabench/runner"
)

// A Cell names one cell of the benchmark matrix. Repeated runs of a cell are
// the samples that Compare tests; GOMAXPROCS and the workload configuration
// are not part of it.
type Cell struct {
	Workload, Strategy string
	Threads            int
}

// CellOf returns the cell that r measured.
func CellOf(r *runner.Result) Cell {
	return Cell{r.Workload, r.Strategy, r.Threads}
}

// String returns c as the sub-benchmark part of its name,
// "workload=faults/strategy=vmarefcnt/threads=8", the keys benchstat's
// -row and -col flags select.
func (c Cell) String() string {
	return fmt.Sprintf("workload=%s/strategy=%s/threads=%d", c.Workload, c.Strategy, c.Threads)
}

// benchName returns r's benchfmt name, without the "Benchmark" prefix:
// r.Name() followed by "-GOMAXPROCS", which is left off when GOMAXPROCS is 1
// as the testing package does. It rejects names that would not read back.
func benchName(r *runner.Result) (string, error) {
	switch {
	case !validName(r.Workload):
		return "", fmt.Errorf("workload %q is not in [a-z0-9-]+", r.Workload)
	case !validName(r.Strategy):
		return "", fmt.Errorf("strategy %q is not in [a-z0-9-]+", r.Strategy)
	case r.Threads < 1:
		return "", fmt.Errorf("%s: threads %d < 1", r.Name(), r.Threads)
	case r.GOMAXPROCS < 1:
		return "", fmt.Errorf("%s: GOMAXPROCS %d < 1", r.Name(), r.GOMAXPROCS)
	case r.GOMAXPROCS == 1:
		return r.Name(), nil
	}
	return fmt.Sprintf("%s-%d", r.Name(), r.GOMAXPROCS), nil
}

// validName reports whether s is a registry name, [a-z0-9-]+.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// errName explains the only name shape vmabench reads.
var errName = errors.New("want VMA/workload=W/strategy=S/threads=N[-GOMAXPROCS]")

// parseName parses a benchfmt name without its "Benchmark" prefix, as
// benchName writes it. The sub-benchmark keys may come in any order; a
// missing GOMAXPROCS suffix means 1.
func parseName(name benchfmt.Name) (c Cell, gomaxprocs int, err error) {
	base, parts := name.Parts()
	if string(base) != "VMA" {
		return Cell{}, 0, errName
	}
	gomaxprocs = 1
	seen := make(map[string]bool)
	for _, p := range parts {
		if p[0] == '-' {
			if gomaxprocs, err = strconv.Atoi(string(p[1:])); err != nil || gomaxprocs < 1 {
				return Cell{}, 0, errName
			}
			continue
		}
		key, val, ok := strings.Cut(string(p[1:]), "=")
		if !ok || seen[key] {
			return Cell{}, 0, errName
		}
		seen[key] = true
		switch key {
		case "workload":
			c.Workload = val
		case "strategy":
			c.Strategy = val
		case "threads":
			c.Threads, err = strconv.Atoi(val)
			if err != nil || c.Threads < 1 {
				return Cell{}, 0, fmt.Errorf("threads %q is not a positive integer", val)
			}
		default:
			return Cell{}, 0, errName
		}
	}
	if !validName(c.Workload) || !validName(c.Strategy) || c.Threads == 0 {
		return Cell{}, 0, errName
	}
	return c, gomaxprocs, nil
}
