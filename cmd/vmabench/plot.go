package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"vmabench/cell"
	"vmabench/chart"
	"vmabench/report"
	"vmabench/runner"
	"vmabench/strategies"
)

const plotUsage = `Usage: vmabench plot [-o DIR] FILE...

Plot draws charts of the results files (written by vmabench run or by
go test -bench), as SVG and PNG in DIR, and prints their paths. Per
workload: the readers' throughput (faults/s, lookups/s) against threads,
one line per strategy through the median of its repetitions with its
confidence interval; for a workload with a writer, the writer's
throughput (writes/s) the same way; latency percentiles per strategy at
the highest thread count; and fallback, retry and miss rates when there
are any. The results of all files are drawn together.

Examples:

	vmabench plot results/new.txt
	vmabench plot -o /tmp/charts results/a.txt results/b.txt
	go test -run '^$' -bench 'VMA/workload=faults/' -count 3 > bench.txt && vmabench plot bench.txt
`

// plotCmd is `vmabench plot`.
func plotCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	dir := fs.String("o", "plots", "write the charts to `DIR`")
	if err := parseFlags(fs, args, plotUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("plot", "want at least one results file")
	}
	var results []runner.Result
	var files []*report.File
	for _, path := range fs.Args() {
		f, err := report.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, f)
		results = append(results, f.Results...)
	}
	charts, err := chart.Charts(results, chart.Options{
		Machine:    filesMachine(files),
		Strategies: strategies.Names(),
	})
	if errors.Is(err, chart.ErrNoData) {
		return fmt.Errorf("plot: no cell with status ok in %v", fs.Args())
	}
	if err != nil {
		return err
	}
	paths, err := chart.Save(charts, *dir)
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return err
}

// filesMachine names the machine the files were measured on, for chart
// titles: the CPU model and count of their headers; for a projection, the
// target it was projected on, "xeon-16 (16 CPUs, projected)", since its
// header's CPU is only the host's. Files of several machines are named
// together, "A and B". A file from go test -bench has no gomaxprocs line;
// its benchmark names' GOMAXPROCS suffix stands in.
func filesMachine(files []*report.File) string {
	var names []string
	for _, f := range files {
		n := projectedOn(f)
		if n == "" {
			hdr := f.Header
			if !slices.ContainsFunc(hdr, func(kv cell.KV) bool { return kv.Key == "gomaxprocs" }) {
				procs := 0
				for _, r := range f.Results {
					procs = max(procs, r.Procs)
				}
				hdr = append(slices.Clip(hdr), cell.KV{Key: "gomaxprocs", Value: strconv.Itoa(procs)})
			}
			n = report.MachineName(hdr)
		}
		if n == "" {
			return ""
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, " and ")
}

// projectedOn names the target of a file of projections ("mode:
// projected" and "target:" on its first result), or "" for a file of
// measurements.
func projectedOn(f *report.File) string {
	if len(f.Results) == 0 {
		return ""
	}
	r := &f.Results[0]
	target, cpus := r.ConfigValue("target"), r.ConfigValue("target-cpus")
	if r.ConfigValue("mode") != "projected" || target == "" {
		return ""
	}
	if cpus != "" {
		return target + " (" + cpus + " CPUs, projected)"
	}
	return target + " (projected)"
}
