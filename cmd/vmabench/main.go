// Command vmabench compares Linux kernel VMA locking designs: the userspace
// models of package strategies and the live kernel, under the workloads of
// package workloads, measured by package runner and reported in the Go
// benchmark format that benchstat reads.
//
// Usage:
//
//	vmabench                        quick default matrix: table, results/ and plots/
//	vmabench list                   strategies and workloads
//	vmabench run [flags]            run a matrix, write a results file
//	vmabench compare OLD NEW        compare two results files
//	vmabench plot [-o DIR] FILE...  draw charts from results files
//	vmabench nightly [flags]        the nightly job: run, keep, compare, chart
//	vmabench calibrate [-o FILE]    measure the live kernel's costs for the models
//	vmabench validate [flags]       the models against the live kernel, in one table
//	vmabench report [-o DIR] RESULTS one site from a many-machine results tree
//
// Exit status: 0 on success, 1 on failure, 2 on a usage error, 130 when a
// run was interrupted (its finished cells are kept).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"vmabench/report"
)

// main is the only place vmabench exits, with the status of run, for the
// child process of a cell (vmabench cell) as for every other command.
func main() {
	os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr)))
}

// A usageError is bad input on the command line: exit status 2.
type usageError struct {
	cmd string // the subcommand, "" for vmabench itself
	msg string
}

func (e *usageError) Error() string { return e.msg }

// usagef returns a usage error of subcommand cmd.
func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// errInterrupted is returned when SIGINT stopped a run; what finished was
// kept.
var errInterrupted = errors.New("interrupted")

// exitCode maps run's error to the exit status: 0, 1 for a failure, 2 for a
// usage error and 130 (128+SIGINT) for an interrupted run.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	case errors.Is(err, errInterrupted):
		return 130
	}
	return 1
}

// run runs vmabench with args (without the program name), stopping at
// SIGINT, and prints any error to stderr. Its signal handler is the only
// one: every command gets its context.
func run(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := dispatch(ctx, args, stdout, stderr)
	printError(stderr, err)
	return err
}

// printError prints err as "vmabench[ cmd]: message", with a hint at the
// usage text for a usage error.
func printError(stderr io.Writer, err error) {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	var ue *usageError
	var pe *report.ParseError
	switch {
	case errors.As(err, &pe):
		// file:line: message, as compilers and benchfmt print it.
		fmt.Fprintln(stderr, err)
		return
	case !errors.As(err, &ue):
		fmt.Fprintf(stderr, "vmabench: %v\n", err)
		return
	}
	prog := strings.TrimSpace("vmabench " + ue.cmd)
	fmt.Fprintf(stderr, "%s: %v\nRun '%s -h' for usage.\n", prog, err, prog)
}

// commands are the subcommands, in the order the usage text lists them.
var commands = []struct {
	name, args, summary string
	run                 func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}{
	{"list", "", "list the strategies and workloads", listCmd},
	{"run", "[flags]", "run a matrix of cells and write a results file", runCmd},
	{"project", "[flags]", "run cells on virtual CPUs of a target machine, in virtual time", projectCmd},
	{"compare", "[flags] OLD NEW", "compare two results files, with significance", compareCmd},
	{"plot", "[-o DIR] FILE...", "draw charts (SVG and PNG) from results files", plotCmd},
	{"nightly", "[flags]", "the nightly job: run, keep the history, gate, chart", nightlyCmd},
	{"calibrate", "[-o FILE]", "measure the live kernel's costs the models are calibrated from", calibrateCmd},
	{"validate", "[flags]", "hold the models against the live kernel, one row per experiment", validateCmd},
	{"report", "[-o DIR] RESULTS", "one site from a results tree that many machines fill", reportCmd},
}

const usageText = `vmabench compares Linux kernel VMA locking designs (simulated models and the
live kernel) under identical multi-core workloads.

Usage:

	vmabench                  run the quick default matrix on this machine
	vmabench <command> [arguments]

Commands:

%s
Run 'vmabench <command> -h' for a command's flags and examples.

Examples:

	vmabench
	vmabench list
	vmabench run -workload faults,faults-mprotect -threads 1,2 -count 5 -o results/new.txt
	vmabench compare results/old.txt results/new.txt
	vmabench plot -o plots results/new.txt
	vmabench calibrate
	vmabench validate -count 3 -o results/validate.txt
	vmabench project -target xeon-16 -workload page_fault1 -threads 1,2,4,8,16 -duration 500ms -warmup 250ms -o results/xeon-16.txt
	vmabench project -check
	go tool benchstat -col /strategy results/new.txt
`

// topUsage writes vmabench's usage text.
func topUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&b, "\t%-9s %-18s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintf(w, usageText, b.String())
}

// dispatch runs the command args name.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return quickCmd(ctx, stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		topUsage(stdout)
		return nil
	case cellName: // hidden: the child process of one cell
		return cellCmd(args[1:], stdout)
	case projectCellName: // hidden: the child process of one projected cell
		return projectCellCmd(args[1:], stdout)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return usagef("", "unknown command %q (valid: %s)", args[0], strings.Join(names, ", "))
}

// parseFlags parses args into fs, whose usage text is usage. Help (-h)
// writes the usage text and the flags to stdout and returns flag.ErrHelp
// (exit status 0); a bad flag is a usage error naming it.
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, usage)
		if hasFlags(fs) {
			fmt.Fprintln(stdout, "\nFlags:")
			fs.PrintDefaults()
		}
		return err
	}
	if err != nil {
		return usagef(fs.Name(), "%v", err)
	}
	return nil
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}
