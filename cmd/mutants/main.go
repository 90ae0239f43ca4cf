// Command mutants runs the mutation check of the models: each single-step
// bug of package mutants applied in turn, the conformance suite run on it,
// and "caught N of M" with the names of any that slipped through. It exits
// 1 if any slipped.
//
// Example:
//
//	go run ./cmd/mutants                 # all mutants, about 5s each
//	go run ./cmd/mutants -run '^refcnt-' # the refcount design's only
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

	"vmabench/mutants"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "mutants:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := mutants.DefaultConfig()
	fs := flag.NewFlagSet("mutants", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Match, "run", "", "run only the mutants whose name matches this regexp, e.g. '^vmaseq-'")
	fs.BoolVar(&cfg.Race, "race", false, "run the tests under the race detector")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "limit on each mutant's test run; a hang counts as caught")
	list := fs.Bool("list", false, "list the mutants and the bug each makes, and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mutants [flags]\n\nApplies each mutant to the models and runs %s on it.\n\nexample: go run ./cmd/mutants -run '^refcnt-'\n\n", strings.Join(cfg.Packages, " "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mutants: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *list {
		for _, m := range mutants.List {
			fmt.Fprintf(stdout, "%-36s %s\n", m.Name, m.Bug)
		}
		return nil
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "mutants:", err)
		return errUsage
	}
	sum, err := mutants.Run(ctx, cfg, mutants.List, stdout)
	if err != nil {
		return err
	}
	caught, total := sum.Caught()
	fmt.Fprintf(stdout, "caught %d of %d\n", caught, total)
	if s := sum.Slipped(); len(s) > 0 {
		return fmt.Errorf("slipped through: %s", strings.Join(s, ", "))
	}
	return nil
}
