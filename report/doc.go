// Package report turns runner results into files and tables people and
// tools can read.
//
// Results are stored in the Go benchmark format, written only through
// golang.org/x/perf/benchfmt and read back with its Reader, so that benchstat
// and our own comparison read the same files:
//
//	Unit faults/s better=higher
//	goos: linux
//	kernel: 6.18.44
//	vmas: 16
//
//	BenchmarkVMA/workload=faults/strategy=vmarefcnt/threads=2-2 1000 812.5 ns/op 2.1 fallbacks/op
//	# deadlock BenchmarkVMA/workload=nested-fault/strategy=mmaplock/threads=2-2 after 2s: thread 0 holds ...
//
// A cell that did not end OK is a comment line starting with "# ", which
// benchfmt ignores and which can never be read as a "key: value"
// configuration line, so it never splits benchstat's tables.
//
// The Unit lines give each unit's better direction from package units, the
// one table of units. Cell names are package cell's.
//
// Compare summarizes and tests two runs with benchmath (medians and the
// Mann-Whitney U test, as benchstat does, through internal/stats), and
// WriteTable prints one run: the readers' and the writer's rates apart.
package report
