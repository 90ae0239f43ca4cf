package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"vmabench/strategies"
	"vmabench/workloads"
)

const listUsage = `Usage: vmabench list

List prints the strategies and the workloads, in report order, with a
line on each. A workload that needs a writer thread beside its readers
runs with at least 2 threads.

Example:

	vmabench list
`

// listCmd is `vmabench list`.
func listCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	if err := parseFlags(fs, args, listUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("list", "unexpected argument %q", fs.Arg(0))
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STRATEGY\tDESCRIPTION")
	for _, s := range strategies.List() {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(tw, "WORKLOAD\tMIN THREADS\tDESCRIPTION")
	for _, w := range workloads.List() {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", w.Name, w.MinThreads, w.Description)
	}
	return tw.Flush()
}
