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
	// Go is the go command (default "go").
	Go string
}

// DefaultPackages are the tests that judge a mutant.
var DefaultPackages = []string{"./mm/", "./strategies/..."}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Root: ".", Packages: DefaultPackages, Timeout: 30 * time.Second, Go: "go"}
}

// Validate checks the configuration, naming a bad value.
func (c Config) Validate() error {
	if _, err := regexp.Compile(c.Match); err != nil {
		return fmt.Errorf("match %q: %w", c.Match, err)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("timeout %v: must be positive", c.Timeout)
	}
	if len(c.Packages) == 0 {
		return errors.New("packages: none given")
	}
	return nil
}

// Outcome is what one mutant did to the tests.
type Outcome struct {
	Mutant Mutant
	// Caught is set when the tests failed (or did not build, or hung).
	Caught bool
	// By is the first failing test or error line, when caught.
	By      string
	Elapsed time.Duration
}

// Summary is the result of a run.
type Summary struct {
	Outcomes []Outcome
}

// Caught returns how many mutants were caught, of how many.
func (s Summary) Caught() (caught, total int) {
	for _, o := range s.Outcomes {
		if o.Caught {
			caught++
		}
	}
	return caught, len(s.Outcomes)
}

// Slipped returns the names of the mutants that were not caught.
func (s Summary) Slipped() []string {
	var out []string
	for _, o := range s.Outcomes {
		if !o.Caught {
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
		if !o.Caught {
			verdict = "SLIPPED"
		}
		fmt.Fprintf(w, "%s %-36s %5.1fs  %s\n", verdict, m.Name, o.Elapsed.Seconds(), o.By)
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
	args := []string{"test", "-count=1", "-short", "-overlay", ofile, "-timeout", c.Timeout.String()}
	if c.Race {
		args = append(args, "-race")
	}
	args = append(args, c.Packages...)
	ctx, cancel := context.WithTimeout(ctx, c.Timeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Go, args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	runErr := cmd.Run()
	o := Outcome{Mutant: m, Elapsed: time.Since(start)}
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return o, ctx.Err()
	}
	if bytes.Contains(out.Bytes(), []byte("[build failed]")) || bytes.Contains(out.Bytes(), []byte("[setup failed]")) {
		return o, fmt.Errorf("mutant %s does not build, so it tests nothing: %s", m.Name, firstFailure(out.Bytes()))
	}
	var exit *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exit) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		o.Caught, o.By = true, firstFailure(out.Bytes())
	default:
		return o, fmt.Errorf("mutant %s: %s: %w", m.Name, c.Go, runErr)
	}
	return o, nil
}

// firstFailure returns the line of go test's output that best says what
// caught the mutant: the first failing test, else the first error.
func firstFailure(out []byte) string {
	var first string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "--- FAIL:"):
			return strings.Fields(line)[2]
		case first == "" && (strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") || strings.Contains(line, ".go:")):
			first = line
		}
	}
	if first == "" {
		return "the tests failed"
	}
	return first
}
