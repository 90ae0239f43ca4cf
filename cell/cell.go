// Package cell names the cells of vmabench's matrix: one strategy under one
// workload at one thread count, run with some GOMAXPROCS. A cell's name is
// its Go benchmark name, which every part of vmabench (the runner, the
// results files, the comparison, the charts, the nightly history and
// go test -bench) writes with Name and reads with Parse:
//
//	VMA/workload=faults/strategy=vmarefcnt/threads=8-8
//
// The package also holds KV, the one shape of a configuration line.
package cell

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A Cell is one cell of the benchmark matrix. Procs is the GOMAXPROCS it ran
// with, the name's "-N" suffix; 0 means not known (a cell not yet run) and
// is written as 1 would be, with no suffix. Repeated runs of a cell share
// its Key.
type Cell struct {
	Workload string
	Strategy string
	Threads  int
	Procs    int
}

// Key returns c without Procs: the identity that repeated runs of a cell
// share and that comparisons match, whatever GOMAXPROCS each ran with.
func (c Cell) Key() Cell {
	c.Procs = 0
	return c
}

// String returns the sub-benchmark part of c's name,
// "workload=faults/strategy=vmarefcnt/threads=8", the keys benchstat's -row
// and -col flags select.
func (c Cell) String() string {
	return fmt.Sprintf("workload=%s/strategy=%s/threads=%d", c.Workload, c.Strategy, c.Threads)
}

// Name returns c's benchmark name without the "Benchmark" prefix:
// "VMA/" + c.String(), followed by "-Procs" where Procs is above 1, as the
// testing package leaves the suffix off for GOMAXPROCS 1.
func (c Cell) Name() string {
	if c.Procs > 1 {
		return fmt.Sprintf("VMA/%s-%d", c, c.Procs)
	}
	return "VMA/" + c.String()
}

// Validate reports whether c's name reads back as c: names in [a-z0-9_-]+
// and Threads at least 1.
func (c Cell) Validate() error {
	switch {
	case !ValidName(c.Workload):
		return fmt.Errorf("workload %q is not in [a-z0-9_-]+", c.Workload)
	case !ValidName(c.Strategy):
		return fmt.Errorf("strategy %q is not in [a-z0-9_-]+", c.Strategy)
	case c.Threads < 1:
		return fmt.Errorf("%s: threads %d < 1", c.Key().Name(), c.Threads)
	}
	return nil
}

// ValidName reports whether s can be a workload or strategy name,
// [a-z0-9_-]+: the underscore is for the workloads that keep a peer's own
// name (will-it-scale's page_fault1).
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ErrName explains the only name shape Parse reads.
var ErrName = errors.New("want VMA/workload=W/strategy=S/threads=N[-GOMAXPROCS]")

// Parse parses a benchmark name without its "Benchmark" prefix, as Name
// writes it. The sub-benchmark keys may come in any order; a missing
// GOMAXPROCS suffix means 1.
func Parse(name string) (Cell, error) {
	base, parts := benchfmt.Name(name).Parts()
	if string(base) != "VMA" {
		return Cell{}, ErrName
	}
	c := Cell{Procs: 1}
	seen := make(map[string]bool)
	for _, p := range parts {
		if p[0] == '-' {
			var err error
			if c.Procs, err = strconv.Atoi(string(p[1:])); err != nil || c.Procs < 1 {
				return Cell{}, ErrName
			}
			continue
		}
		key, val, ok := strings.Cut(string(p[1:]), "=")
		if !ok || seen[key] {
			return Cell{}, ErrName
		}
		seen[key] = true
		switch key {
		case "workload":
			c.Workload = val
		case "strategy":
			c.Strategy = val
		case "threads":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return Cell{}, fmt.Errorf("threads %q is not a positive integer", val)
			}
			c.Threads = n
		default:
			return Cell{}, ErrName
		}
	}
	if !ValidName(c.Workload) || !ValidName(c.Strategy) || c.Threads == 0 {
		return Cell{}, ErrName
	}
	return c, nil
}

// KV is one configuration line, a key and its value, as a results file's
// header ("cpu: ...") or a cell's workload configuration ("pages: 64")
// holds it. Lists of KV keep report order. At the benchfmt boundary it
// becomes a benchfmt.Config.
type KV struct {
	Key, Value string
}
