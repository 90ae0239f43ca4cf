package mutants

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Config says how to run the mutants.
type Config struct {
	// Root is the module root (default ".").
	Root string
	// Packages are the packages whose tests must catch each mutant
	// (default: the conformance suite and the models, DefaultPackages).
	Packages []string
	// Match selects the mutants to run by name (a regexp; "" for all).
	Match string
	// Race runs the tests under the race detector (slower; the default
	// runs without it, and every mutant is caught there).
	Race bool
	// Timeout bounds each mutant's test run (default 30s): a mutant that
	// makes a test hang counts as caught when it runs out.
	Timeout time.Duration
	// ExploreTimeout bounds the exploration's run on each mutant (default
	// 10m: the whole sweep when nothing fails takes about a minute of CPU).
	ExploreTimeout time.Duration
	// Go is the go command (default "go").
	Go string
	// Explore judges each mutant by the exploration of interleavings
	// first (package explore's TestMutant, which stops at the first
	// failing schedule and prints how many schedules it ran), and only
	// if that misses it by Packages. Off, only Packages judge.
	Explore bool
	// Budget is the most schedules the exploration may run per mutant
	// (0: the exploration's own default sweep).
	Budget int
	// Suite runs Packages on a mutant the exploration missed (or on every
	// mutant, without Explore). Off, a mutant the exploration misses
	// counts as slipped: a measure of the exploration alone.
	Suite bool
	// ExploreArgs are more flags for the exploration's test binary, such
	// as -vmabench.scenario=REGEXP to explore some scenarios only.
	ExploreArgs []string
}

// DefaultPackages are the tests that judge a mutant.
var DefaultPackages = []string{"./mm/", "./strategies/..."}

// ExplorePackage is the exploration's package, run with -run ExploreTest.
const (
	ExplorePackage = "./explore/"
	ExploreTest    = "^TestMutant$"
)

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Root: ".", Packages: DefaultPackages, Timeout: 30 * time.Second, ExploreTimeout: 10 * time.Minute, Go: "go", Explore: true, Suite: true}
}

// Validate checks the configuration, naming a bad value.
func (c Config) Validate() error {
	if _, err := regexp.Compile(c.Match); err != nil {
		return fmt.Errorf("match %q: %w", c.Match, err)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("timeout %v: must be positive", c.Timeout)
	}
	if c.Explore && c.ExploreTimeout <= 0 {
		return fmt.Errorf("explore timeout %v: must be positive", c.ExploreTimeout)
	}
	if len(c.Packages) == 0 {
		return errors.New("packages: none given")
	}
	if !c.Explore && !c.Suite {
		return errors.New("neither the exploration nor the suite judges the mutants")
	}
	if c.Budget < 0 {
		return fmt.Errorf("budget %d: must not be negative", c.Budget)
	}
	return nil
}

// Outcome is what one mutant did to the tests.
type Outcome struct {
	Mutant Mutant
	// Caught is set when the tests failed (or did not build, or hung).
	Caught bool
	// By is the first failing test or error line, when caught.
	By string
	// Explored is set when the exploration caught it, after Schedules
	// schedules in all (every scenario explored before the failing one
	// counts in full). Schedules is what the exploration ran when it did
	// not catch it.
	Explored  bool
	Schedules int
	// TimedOut is set when a test run ran out of time: a mutant caught
	// only so has made something hang that no check names.
	TimedOut bool
	Elapsed  time.Duration
}

// Summary is the result of a run.
type Summary struct {
	Outcomes []Outcome
}

// Caught returns how many mutants were caught, of how many; equivalent
// mutants (Mutant.Equivalent) are not bugs and count in neither.
func (s Summary) Caught() (caught, total int) {
	for _, o := range s.Outcomes {
		if o.Mutant.Equivalent != "" {
			continue
		}
		total++
		if o.Caught {
			caught++
		}
	}
	return caught, total
}

// Slipped returns the names of the mutants that were not caught.
func (s Summary) Slipped() []string {
	var out []string
	for _, o := range s.Outcomes {
		if !o.Caught && o.Mutant.Equivalent == "" {
			out = append(out, o.Mutant.Name)
		}
	}
	return out
}

// Explored returns how many mutants (not equivalent) the exploration
// caught, of how many, and the median of the schedules it took to catch
// each of those it caught.
func (s Summary) Explored() (caught, total, median int) {
	var n []int
	for _, o := range s.Outcomes {
		if o.Mutant.Equivalent != "" {
			continue
		}
		total++
		if o.Explored {
			caught++
			n = append(n, o.Schedules)
		}
	}
	slices.Sort(n)
	if len(n) > 0 {
		median = n[len(n)/2]
		if len(n)%2 == 0 {
			median = (n[len(n)/2-1] + n[len(n)/2]) / 2
		}
	}
	return caught, total, median
}

// NotExplored returns the names of the mutants (not equivalent) the
// exploration did not catch.
func (s Summary) NotExplored() []string {
	var out []string
	for _, o := range s.Outcomes {
		if !o.Explored && o.Mutant.Equivalent == "" {
			out = append(out, o.Mutant.Name)
		}
	}
	return out
}

// TimedOut returns the names of the mutants caught only by a test's time
// limit.
func (s Summary) TimedOut() []string {
	var out []string
	for _, o := range s.Outcomes {
		if o.TimedOut {
			out = append(out, o.Mutant.Name)
		}
	}
	return out
}

// FalseAlarms returns the names of the equivalent mutants that were
// caught: either the argument that they are no bug is wrong, or a check
// fails on a correct design.
func (s Summary) FalseAlarms() []string {
	var out []string
	for _, o := range s.Outcomes {
		if o.Caught && o.Mutant.Equivalent != "" {
			out = append(out, o.Mutant.Name)
		}
	}
	return out
}

// Run applies each selected mutant of list in turn, through a build overlay
// so the tree is never written, runs the tests on it, and writes one line
// per mutant to w as it goes. It returns an error only if a mutant no
// longer applies or the tests could not be started.
func Run(ctx context.Context, c Config, list []Mutant, w io.Writer) (Summary, error) {
	if err := c.Validate(); err != nil {
		return Summary{}, err
	}
	root, err := filepath.Abs(c.Root)
	if err != nil {
		return Summary{}, err
	}
	match := regexp.MustCompile(c.Match)
	dir, err := os.MkdirTemp("", "vmabench-mutants-")
	if err != nil {
		return Summary{}, err
	}
	defer os.RemoveAll(dir)
	var sum Summary
	for _, m := range list {
		if !match.MatchString(m.Name) {
			continue
		}
		o, err := runOne(ctx, c, root, dir, m)
		if err != nil {
			return sum, err
		}
		sum.Outcomes = append(sum.Outcomes, o)
		verdict := "caught "
		switch {
		case o.Mutant.Equivalent != "" && o.Caught:
			verdict = "ALARM  " // an equivalent mutant failed the tests
		case o.Mutant.Equivalent != "":
			verdict = "same   " // an equivalent mutant survived, as argued
		case !o.Caught:
			verdict = "SLIPPED"
		}
		how := o.By
		switch {
		case o.Explored:
			how = fmt.Sprintf("explore, %d schedules: %s", o.Schedules, o.By)
		case c.Explore && o.Caught:
			how = fmt.Sprintf("not by explore (%d schedules); by %s", o.Schedules, o.By)
		case c.Explore:
			how = fmt.Sprintf("explore ran %d schedules", o.Schedules)
		}
		if o.TimedOut {
			how += " (a time-out)"
		}
		fmt.Fprintf(w, "%s %-42s %5.1fs  %s\n", verdict, m.Name, o.Elapsed.Seconds(), how)
	}
	return sum, nil
}

// runOne runs the tests on one mutant.
func runOne(ctx context.Context, c Config, root, dir string, m Mutant) (Outcome, error) {
	files, err := m.Apply(root)
	if err != nil {
		return Outcome{}, err
	}
	overlay := struct{ Replace map[string]string }{Replace: map[string]string{}}
	for file, src := range files {
		tmp := filepath.Join(dir, m.Name+"-"+strings.ReplaceAll(file, "/", "_"))
		if err := os.WriteFile(tmp, src, 0o644); err != nil {
			return Outcome{}, err
		}
		overlay.Replace[filepath.Join(root, filepath.FromSlash(file))] = tmp
	}
	ob, err := json.Marshal(overlay)
	if err != nil {
		return Outcome{}, err
	}
	ofile := filepath.Join(dir, m.Name+".json")
	if err := os.WriteFile(ofile, ob, 0o644); err != nil {
		return Outcome{}, err
	}
	start := time.Now()
	o := Outcome{Mutant: m}
	if c.Explore {
		args := []string{"-run", ExploreTest, "-v", "-args", "-vmabench.mutant"}
		if c.Budget > 0 {
			args = append(args, fmt.Sprintf("-vmabench.budget=%d", c.Budget))
		}
		args = append(args, c.ExploreArgs...)
		caught, out, timedOut, err := goTest(ctx, c, root, ofile, m, false, c.ExploreTimeout, []string{ExplorePackage}, args)
		if err != nil {
			return o, err
		}
		o.Schedules = schedulesRun(out)
		if caught && !timedOut && o.Schedules > 0 {
			o.Caught, o.Explored, o.By = true, true, exploreFailure(out)
		}
	}
	if !o.Caught && c.Suite {
		caught, out, timedOut, err := goTest(ctx, c, root, ofile, m, true, c.Timeout, c.Packages, nil)
		if err != nil {
			return o, err
		}
		if caught {
			o.Caught, o.By, o.TimedOut = true, firstFailure(out), timedOut
		}
	}
	o.Elapsed = time.Since(start)
	return o, nil
}

// goTest runs go test (-short if short) on pkgs with the mutant's overlay;
// caught reports that the tests failed (timedOut: by running out of time).
// The exploration runs without -short: its sweep is its budget.
func goTest(ctx context.Context, c Config, root, overlay string, m Mutant, short bool, timeout time.Duration, pkgs, extra []string) (caught bool, out []byte, timedOut bool, err error) {
	args := []string{"test", "-count=1", "-overlay", overlay, "-timeout", timeout.String()}
	if short {
		args = append(args, "-short")
	}
	if c.Race {
		args = append(args, "-race")
	}
	args = append(args, pkgs...)
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(ctx, timeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Go, args...)
	cmd.Dir = root
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	runErr := cmd.Run()
	out = buf.Bytes()
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return false, out, false, ctx.Err()
	}
	if bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")) {
		return false, out, false, fmt.Errorf("mutant %s does not build, so it tests nothing: %s", m.Name, firstFailure(out))
	}
	timedOut = errors.Is(ctx.Err(), context.DeadlineExceeded) || bytes.Contains(out, []byte("panic: test timed out"))
	var exit *exec.ExitError
	switch {
	case runErr == nil:
		return false, out, false, nil
	case errors.As(runErr, &exit) || timedOut:
		return true, out, timedOut, nil
	}
	return false, out, false, fmt.Errorf("mutant %s: %s: %w", m.Name, c.Go, runErr)
}

// schedulesLine is what the exploration's TestMutant prints last: how
// many schedules it ran in all, and whether one failed.
var schedulesLine = regexp.MustCompile(`explore: (\d+) schedules`)

// schedulesRun returns the schedules the exploration reported, 0 if it
// reported none (it did not get that far).
func schedulesRun(out []byte) int {
	n := 0
	for _, m := range schedulesLine.FindAllSubmatch(out, -1) {
		fmt.Sscan(string(m[1]), &n)
	}
	return n
}

// exploreFailure returns the exploration's one-line account of the
// failing schedule: its "explore: caught" line, less the prefix.
func exploreFailure(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if _, after, ok := strings.Cut(sc.Text(), "explore: caught "); ok {
			return after
		}
	}
	return firstFailure(out)
}

// firstFailure returns the line of go test's output that best says what
// caught the mutant: the first failing test, else the first error.
//
// A failed test is named with the first message it logged after its
// "--- FAIL:" line (in a subtest's, where the failure is), so that a
// caught equivalent mutant (an ALARM) says what failed, and a reader can
// tell a timing test's flake from a real catch.
func firstFailure(out []byte) string {
	var first, failed string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case failed == "" && strings.HasPrefix(line, "--- FAIL:"):
			failed = strings.Fields(line)[2]
		case failed != "" && strings.HasPrefix(line, "--- FAIL:"):
			// a subtest's line; its message follows
		case failed != "" && strings.Contains(line, ".go:"):
			return failed + ": " + line
		case failed != "":
			return failed
		case first == "" && (strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") || strings.Contains(line, ".go:")):
			first = line
		}
	}
	switch {
	case failed != "":
		return failed
	case first == "":
		return "the tests failed"
	}
	return first
}
