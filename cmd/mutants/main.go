// Command mutants runs the mutation check of the models: each single-step
// bug of package mutants applied in turn, the conformance suite run on it,
// and "caught N of M" with the names of any that slipped through. It exits
// 1 if any slipped.
//
// Example:
//
//	go run ./cmd/mutants                 # all mutants
//	go run ./cmd/mutants -run '^refcnt-' # the refcount design's only
//	go run ./cmd/mutants -explore=false  # judged by the tests of mm and strategies alone
//
// With -explore (the default) each mutant is judged first by the
// exploration of interleavings (package explore), which reports how many
// schedules it ran to catch it; the summary gives "exploration: caught N
// of M, median S schedules to catch".
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
	fs.DurationVar(&cfg.ExploreTimeout, "explore-timeout", cfg.ExploreTimeout, "limit on the exploration's run on each mutant")
	fs.BoolVar(&cfg.Explore, "explore", cfg.Explore, "judge each mutant by the exploration of interleavings first, counting the schedules it takes; the tests only if it misses")
	fs.BoolVar(&cfg.Suite, "suite", cfg.Suite, "run the tests of mm and strategies on a mutant the exploration missed; -suite=false measures the exploration alone")
	fs.IntVar(&cfg.Budget, "budget", cfg.Budget, "most schedules the exploration may run per mutant (0: its default sweep)")
	exploreArgs := fs.String("explore-args", "", "more flags for the exploration, space-separated, e.g. '-vmabench.scenario=^maps-'")
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
	cfg.ExploreArgs = strings.Fields(*exploreArgs)
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
	if cfg.Explore {
		e, t, med := sum.Explored()
		fmt.Fprintf(stdout, "exploration: caught %d of %d, median %d schedules to catch\n", e, t, med)
		if s := sum.NotExplored(); len(s) > 0 {
			fmt.Fprintf(stdout, "not caught by the exploration: %s\n", strings.Join(s, ", "))
		}
	}
	if s := sum.TimedOut(); len(s) > 0 {
		fmt.Fprintf(stdout, "caught only by a time-out: %s\n", strings.Join(s, ", "))
	}
	if s := sum.Slipped(); len(s) > 0 {
		return fmt.Errorf("slipped through: %s", strings.Join(s, ", "))
	}
	if s := sum.FalseAlarms(); len(s) > 0 {
		return fmt.Errorf("equivalent mutants caught (a false alarm, or a wrong argument that they are no bug): %s", strings.Join(s, ", "))
	}
	return nil
}
