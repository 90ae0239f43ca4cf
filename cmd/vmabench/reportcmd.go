package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"vmabench/nightly"
)

const reportUsage = `Usage: vmabench report [-o DIR] RESULTS

Report builds one static site from a results tree that many machines fill,
RESULTS/<machine>/<YYYY-MM-DD>-<commit>.txt as 'vmabench nightly' writes
it: DIR/index.html with a section per machine, each with its newest night
judged against the night before and its own history (as the nightly gate
does), its change points with the commit range to bisect, the files left
out and why, and its own trend charts. A machine is only ever compared
with itself. Open DIR/index.html in a browser; no server is needed.

It prints the page's path and one line per machine, and fails (exit status
1) only if the site cannot be built: a machine's failing verdict is on the
page, not in the exit status (the nightly run that filed it failed then).

Examples:

	vmabench report results
	vmabench report -o /srv/www/vmabench results
`

// reportCmd is `vmabench report`.
func reportCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	dir := fs.String("o", "plots/site", "write the site to `DIR`")
	if err := parseFlags(fs, args, reportUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("report", "want one results tree, got %d arguments", fs.NArg())
	}
	site, err := nightly.WriteSite(fs.Arg(0), *dir, nightly.DefaultSiteOptions())
	if err != nil {
		return err
	}
	for _, p := range site.Problems {
		fmt.Fprintf(stderr, "vmabench report: warning: %v\n", p)
	}
	for _, m := range site.Machines {
		for _, p := range m.Problems {
			fmt.Fprintf(stderr, "vmabench report: warning: %v\n", p)
		}
		state := nightly.State(m.Verdict)
		fmt.Fprintf(stdout, "%s: %s, %s, newest night %s\n", m.Name, count(len(m.Nights), "night"), count(len(m.Changes), "change point"), state)
	}
	fmt.Fprintf(stdout, "report: %s\n", site.Index)
	return nil
}

// count returns "1 night", "2 nights".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
