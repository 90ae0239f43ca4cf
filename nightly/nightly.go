// Package nightly runs vmabench as a nightly job: it runs the standard
// matrix, adds the results to a history of dated files, compares them with
// the previous night and gates on regressions, and draws the history as trend
// charts in a static HTML report.
//
// A results directory is a tree with a folder per machine, and each folder
// holds one file per run of that machine, "<YYYY-MM-DD>-<commit>.txt" (see
// FileName), each an ordinary vmabench results file that benchstat reads,
// whose config lines name the machine, its CPU model and count and its
// kernel. A machine is only ever compared with itself. A file that cannot
// be read or parsed, or that does not belong where it was found (another
// machine's, a truncated one, a copy of another night), is reported by name
// and left out, never fatal: the other nights still make the trends, and
// the comparison uses the newest good file before the new one.
package nightly

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"vmabench/cell"
	"vmabench/changepoint"
	"vmabench/internal/atomicfile"
	"vmabench/report"
	"vmabench/runner"
	"vmabench/strategies"
	"vmabench/units"
	"vmabench/verdict"
	"vmabench/workloads"
)

// DefaultWorkloads are the workloads of the standard nightly matrix: faults
// alone, under an mmap writer and under an mprotect writer, where the
// designs differ most.
var DefaultWorkloads = []string{"faults", "faults-mmap", "faults-mprotect"}

// DefaultPlan returns the standard nightly matrix: every strategy, the
// live kernel included (its trend says what the host did that night),
// under DefaultWorkloads at 1 and 2 threads, each cell for 500ms after
// runner.DefaultWarmup, each in a process of its own. Half-second windows
// make a busy machine's hiccups (a thread not scheduled for a while) a
// smaller part of each cell.
//
// The count is the least at which the gate can find a cell worse at all:
// with Holm over m gated figures (each cell's readers' rate, and its
// writer's where it has one) the most significant must reach 0.05/m, and
// the Mann-Whitney U test of n against n repetitions reaches 2/C(2n, n)
// at best; fewer repetitions would make every cell "cannot tell" (see
// CountFor).
func DefaultPlan() runner.Plan {
	base := runner.DefaultConfig()
	base.Duration = 500 * time.Millisecond
	p := runner.Plan{
		Strategies: strategies.Names(),
		Workloads:  slices.Clone(DefaultWorkloads),
		Threads:    []int{1, 2},
		Base:       base,
	}
	p.Count = CountFor(p, DefaultUnits, report.DefaultCompareOptions().Alpha)
	return p
}

// GatedFigures returns how many figures the gate judges in a run of p, in
// gated: a cell's readers' rate and, for a workload with a writer, its
// writer's rate, where gated has them.
func GatedFigures(p runner.Plan, gated []string) int {
	n := 0
	for _, c := range p.Cells() {
		info, err := workloads.Get(c.Workload)
		if err != nil {
			continue
		}
		us := []string{units.ReaderRate(info.Reader.String())}
		if info.Writer && !slices.Contains(us, units.WritesPerS) {
			us = append(us, units.WritesPerS)
		}
		for _, u := range us {
			if slices.Contains(gated, u) {
				n++
			}
		}
	}
	return n / max(p.Count, 1)
}

// CountFor returns the fewest repetitions per cell at which, with Holm over
// every figure the gate judges in p, the U test can reach alpha: the
// count a nightly needs for the gate to be able to fail a cell.
func CountFor(p runner.Plan, gated []string, alpha float64) int {
	p.Count = 1
	return verdict.MinN(alpha / float64(max(GatedFigures(p, gated), 1)))
}

// Config is one nightly run.
type Config struct {
	// Plan is the matrix to run; it must be valid (see runner.Plan).
	Plan runner.Plan
	// ResultsDir is the results tree: the history of Machine is its
	// folder ResultsDir/<Machine>, which receives the new file; both are
	// created if needed. Empty means "results".
	ResultsDir string
	// Machine names the machine the run is filed under (see
	// CheckMachine). Empty means the host's name (HostMachine).
	Machine string
	// PlotsDir receives the trend charts, the new run's charts and
	// index.html; it is created if needed. Empty means "plots".
	PlotsDir string
	// Baseline is a results file to compare with instead of the previous
	// nightly file. Empty means the newest readable file in ResultsDir
	// before the new one.
	Baseline string
	// Gate judges the comparison (see GateOptions).
	Gate GateOptions
	// Commit is the commit being measured, written in the file header and,
	// abbreviated, in the file name. Empty means "unknown".
	Commit string
	// Date is the night the run is filed under (its UTC date). Zero means
	// now.
	Date time.Time
	// Progress, if set, is told of each finished cell.
	Progress runner.Progress
	// Validation, if set, is run after the matrix (see Validation): its
	// table is kept beside the night's file, in the machine's folder
	// "validate", and shown in the report with its drifts. vmabench
	// validate provides it.
	Validation Validation
	// ChangePoints configures the search for change points over the
	// machine's history, in the gated units. Zero values mean
	// changepoint.DefaultOptions.
	ChangePoints changepoint.Options
}

// DefaultConfig returns the standard nightly job: DefaultPlan, the
// "results" and "plots" directories, the previous nightly as baseline, and
// a gate on ns/op at a 5% threshold.
func DefaultConfig() Config {
	return Config{
		Plan:       DefaultPlan(),
		ResultsDir: "results",
		PlotsDir:   "plots",
		Gate: GateOptions{Threshold: 0.05, Holm: true,
			History: HistoryOptions{Window: 14, MinNights: 5, K: 2, ColdThreshold: 0.5}},
	}
}

// Validate checks the configuration without side effects.
func (c Config) Validate() error {
	if err := c.Plan.Validate(); err != nil {
		return err
	}
	if !(c.Gate.Threshold >= 0) {
		return fmt.Errorf("threshold %v: must not be negative", c.Gate.Threshold)
	}
	if err := c.ChangePoints.Validate(); err != nil {
		return err
	}
	if err := c.Gate.History.Validate(); err != nil {
		return err
	}
	if err := c.Gate.Compare.Validate(); err != nil {
		return err
	}
	if c.Machine != "" {
		if err := CheckMachine(c.Machine); err != nil {
			return err
		}
	}
	if c.ResultsDir != "" && c.PlotsDir != "" && filepath.Clean(c.ResultsDir) == filepath.Clean(c.PlotsDir) {
		return fmt.Errorf("results and plots directory %s: must differ", c.ResultsDir)
	}
	return nil
}

// An Outcome is what a nightly run did. Run returns the part it got to
// alongside any error, so that a caller can still show it.
type Outcome struct {
	// Path is the new results file, and Results what it holds, read back.
	Path    string
	Results []runner.Result
	// Header is the new file's machine configuration.
	Header []cell.KV
	// Machine is the machine the run was filed under.
	Machine string
	// History is every nightly file found in the machine's folder before
	// the run, oldest first.
	History []Entry
	// Problems are the history files that could not be used (and stray
	// files in the results tree), as "file:line: message" or
	// "file: message". (A Config.Baseline that
	// cannot be used is an error: Run stops before running anything.)
	Problems []error
	// Baseline is the file the run was compared with; empty if none.
	// Explicit reports whether it came from Config.Baseline; Skipped are
	// the newer history files passed over because they were unusable.
	Baseline string
	Explicit bool
	Skipped  []string
	// Verdict is the comparison and its judgement; nil without a baseline.
	Verdict *Verdict
	// ConfigDiffs are the configuration lines that differ between the
	// baseline and the new file (report.DiffConfig): a recalibration, a
	// new kernel, another warm-up, listed above the verdict so a change
	// they explain is not read as the code's.
	ConfigDiffs []report.ConfigDiff
	// Nights is the number of nights the trend charts cover.
	Nights int
	// Changes are the change points over those nights, in the gated
	// units, oldest first.
	Changes []Change
	// Validation is the night's validate table ("" if none was made) and
	// ValidationErr what went wrong making it, or validate's verdict (a
	// row out of tolerance); Drifts are the change points of the validate
	// tables over the history.
	Validation    string
	ValidationErr error
	Drifts        []Drift
	validated     []validatedNight
	// units and changeOpts are what the change points were searched in
	// and with.
	units      []string
	changeOpts changepoint.Options
	// Charts are the chart files written, and Index the HTML report.
	Charts []string
	Index  string
}

// Failed reports whether the gate found a regression.
func (o *Outcome) Failed() bool { return o.Verdict != nil && o.Verdict.Failed() }

// Run runs a nightly job: it runs c.Plan, writes the results to a new file
// in c.ResultsDir, compares them with the baseline and judges the
// comparison, and writes the trend charts, the new run's charts and
// index.html to c.PlotsDir. A gate that fails is not an error: see
// Outcome.Failed.
//
// The results go to a hidden temporary file as each cell finishes and take
// their name only once every cell has run, so a run that is interrupted
// (ctx cancelled) or fails leaves no nightly file to be mistaken for a
// whole night. The name is taken without replacing any file (see
// FileName): a second run of the same night is numbered, never
// overwriting the first.
func Run(ctx context.Context, c Config) (*Outcome, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	resultsDir, plotsDir := cmp.Or(c.ResultsDir, "results"), cmp.Or(c.PlotsDir, "plots")
	o := &Outcome{units: c.Gate.Units, changeOpts: c.ChangePoints}
	if o.units == nil {
		o.units = DefaultUnits
	}

	// Read the baseline and the history first: a bad -baseline should not
	// cost a whole run to find out.
	var base *report.File
	machine := c.Machine
	if machine == "" {
		var err error
		if machine, err = HostMachine(); err != nil {
			return nil, err
		}
	}
	o.Machine = machine
	if c.Baseline != "" {
		n, err := load(Entry{Path: c.Baseline})
		if err != nil {
			return nil, fmt.Errorf("baseline %w", err)
		}
		// A machine is only compared with itself. A file that names no
		// machine (vmabench run's) is taken as given, and said so.
		if m, ok := header(n.File.Header, keyMachine); ok && m != machine {
			return nil, fmt.Errorf("baseline %s: a file of machine %q, not %q: a machine is only compared with itself", c.Baseline, m, machine)
		}
		base, o.Baseline, o.Explicit = n.File, c.Baseline, true
	}
	tree, err := ReadTree(resultsDir)
	if err != nil {
		return nil, err
	}
	machineDir := filepath.Join(resultsDir, machine)
	history, err := List(machineDir)
	if err != nil {
		return nil, err
	}
	o.History = history
	nights, problems := LoadMachine(machine, history)
	o.Problems = append(tree.Problems, problems...)

	commit := cmp.Or(c.Commit, "unknown")
	date := c.Date
	if date.IsZero() {
		date = time.Now()
	}
	started := date.UTC()
	date = date.UTC().Truncate(24 * time.Hour)
	path, err := runToFile(ctx, c, machineDir, machine, date, started, commit, history)
	if err != nil {
		return nil, err
	}
	o.Path = path
	if c.Validation != nil {
		o.Validation, o.ValidationErr = runValidation(ctx, c.Validation, path)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		return o, fmt.Errorf("reading back the new results: %w", err)
	}
	o.Results, o.Header = f.Results, f.Header
	self, _ := ParseName(filepath.Base(path))

	var past []Past
	for _, n := range trendNights(nights) {
		if n.Date.Before(self.Date) {
			past = append(past, Past{Date: n.Date, Commit: n.Commit, Results: n.Results})
		}
	}
	if base == nil {
		for i := len(nights) - 1; i >= 0; i-- {
			if nights[i].Compare(self) < 0 {
				base, o.Baseline = nights[i].File, nights[i].Path
				o.Skipped = skipped(history, nights[i].Entry, self, nights)
				break
			}
		}
	}
	if base != nil {
		opts := c.Gate
		// The files are named on the lines above the tables; their
		// names would make the tables too wide to read.
		opts.Compare.OldLabel = cmp.Or(opts.Compare.OldLabel, "baseline")
		opts.Compare.NewLabel = cmp.Or(opts.Compare.NewLabel, "new")
		if o.Verdict, err = GateHistory(base.Results, o.Results, past, opts); err != nil {
			return o, err
		}
		o.ConfigDiffs = report.DiffConfig(base, f)
	}

	// History may hold nights after this one (a clock set back, files
	// copied in): keep the nights in order.
	self.Path = path
	nights = append(nights, Night{Entry: self, File: f})
	slices.SortStableFunc(nights, func(a, b Night) int { return a.Compare(b.Entry) })
	if err := writeReport(o, nights, self, plotsDir); err != nil {
		return o, err
	}
	return o, nil
}

// skipped returns the history entries after base and before self that
// could not be used (they are not among nights).
func skipped(history []Entry, base, self Entry, nights []Night) []string {
	var out []string
	for _, e := range history {
		if e.Compare(base) > 0 && e.Compare(self) < 0 &&
			!slices.ContainsFunc(nights, func(n Night) bool { return n.Path == e.Path }) {
			out = append(out, e.Path)
		}
	}
	return out
}

// runToFile runs c.Plan into a temporary file in dir and gives it the
// night's next free name, which it returns.
func runToFile(ctx context.Context, c Config, dir, machine string, date, started time.Time, commit string, history []Entry) (path string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("nightly: %w", err)
	}
	tmp, err := atomicfile.CreateTemp(dir, ".nightly-*.tmp")
	if err != nil {
		return "", fmt.Errorf("nightly: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	w := report.NewWriter(tmp)
	if err := w.WriteHeader(append(report.MachineConfig(commit), append(nightHeader(machine, date, len(c.Plan.Cells()), started), c.Plan.Base.Locks.KV())...)); err != nil {
		return "", err
	}
	err = runner.RunPlan(ctx, c.Plan, func(i, n int, r runner.Result) error {
		if err := w.WriteResult(&r); err != nil {
			return err
		}
		if c.Progress != nil {
			return c.Progress(i, n, r)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if err := tmp.Settle(); err != nil {
		return "", fmt.Errorf("nightly: %w", err)
	}
	path, err = claim(tmp.Name(), dir, date, ShortCommit(commit), nextSeq(history, date))
	if err == nil {
		atomicfile.SyncDir(dir)
	}
	return path, err
}

// claim gives the file at tmp the first free name of the night from seq
// on. A hard link fails rather than replace a file, so two runs racing for a
// name cannot overwrite each other.
func claim(tmp, dir string, date time.Time, commit string, seq int) (string, error) {
	for ; seq < 1000; seq++ {
		path := filepath.Join(dir, FileName(date, commit, seq))
		err := os.Link(tmp, path)
		if err == nil {
			return path, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("nightly: %w", err)
		}
	}
	return "", fmt.Errorf("nightly: %s: no free name for the night", dir)
}

// ShortCommit abbreviates a commit for a file name as git does, to 7 hex
// digits, keeping any suffix: "0123456789ab...-dirty" is "0123456-dirty".
func ShortCommit(commit string) string {
	n := 0
	for n < len(commit) && strings.IndexByte("0123456789abcdef", commit[n]) >= 0 {
		n++
	}
	if n > 7 {
		return commit[:7] + commit[n:]
	}
	return commit
}

// WriteText writes the outcome for a log: the new file, history problems,
// the baseline, the comparison and verdict (see Verdict.WriteText) and the
// report written.
func (o *Outcome) WriteText(w io.Writer) error {
	var b bytes.Buffer
	if o.Path != "" {
		fmt.Fprintf(&b, "results: %s (%s)\n", o.Path, countStatuses(o.Results))
	}
	if o.Machine != "" {
		fmt.Fprintf(&b, "machine: %s (%s)\n", o.Machine, cmp.Or(report.MachineName(o.Header), "unknown CPU"))
	}
	if len(o.Problems) > 0 {
		fmt.Fprintf(&b, "history: %d files unusable, left out:\n", len(o.Problems))
		for _, p := range o.Problems {
			fmt.Fprintf(&b, "  %v\n", p)
		}
	}
	switch {
	case o.Baseline == "":
		fmt.Fprintf(&b, "baseline: none: no earlier nightly file of machine %s to compare with; the next run compares with this one\n", o.Machine)
		fmt.Fprintf(&b, "%s: no earlier night of %s to judge it against; it is not a pass\n", NotGated, o.Machine)
	case o.Explicit:
		fmt.Fprintf(&b, "baseline: %s (given)\n", o.Baseline)
	case len(o.Skipped) > 0:
		fmt.Fprintf(&b, "baseline: %s (the newest usable nightly before this one; passed over %s)\n", o.Baseline, strings.Join(o.Skipped, ", "))
	default:
		fmt.Fprintf(&b, "baseline: %s (the previous nightly)\n", o.Baseline)
	}
	switch {
	case o.ValidationErr != nil && o.Validation != "":
		fmt.Fprintf(&b, "validate: %s: %v\n", o.Validation, o.ValidationErr)
	case o.ValidationErr != nil:
		fmt.Fprintf(&b, "validate: no table: %v\n", o.ValidationErr)
	case o.Validation != "":
		fmt.Fprintf(&b, "validate: %s\n", o.Validation)
	}
	if len(o.ConfigDiffs) > 0 {
		b.WriteByte('\n')
		if err := report.WriteConfigDiff(&b, "the baseline", "this night", o.ConfigDiffs); err != nil {
			return err
		}
	}
	if o.Verdict != nil {
		b.WriteByte('\n')
		if err := o.Verdict.WriteText(&b); err != nil {
			return err
		}
	}
	if o.Nights > 0 {
		fmt.Fprintf(&b, "\nchange points: %d over %s of %s", len(o.Changes), plural(o.Nights, "night"), o.Machine)
		if n := len(o.Changes); n > 0 {
			c := o.Changes[n-1]
			fmt.Fprintf(&b, "; newest: %s %s %+.1f%% first on %s, bisect %s", c.Cell, c.Unit, 100*c.Point.Change(), c.After.Date.Format(dateLayout), c.Range())
		}
		b.WriteByte('\n')
	}
	if o.Index != "" {
		nights := "nights"
		if o.Nights == 1 {
			nights = "night"
		}
		fmt.Fprintf(&b, "\nreport: %s (%d charts, trends over %d %s)\n", o.Index, len(o.Charts)/2, o.Nights, nights)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("nightly: %w", err)
	}
	return nil
}

// countStatuses summarizes the cells by status: "120 cells: 90 ok, 30 skipped".
func countStatuses(rs []runner.Result) string {
	var order []runner.Status
	n := make(map[runner.Status]int)
	for _, r := range rs {
		if n[r.Status] == 0 {
			order = append(order, r.Status)
		}
		n[r.Status]++
	}
	parts := make([]string, len(order))
	for i, s := range order {
		parts[i] = fmt.Sprintf("%d %s", n[s], s)
	}
	return fmt.Sprintf("%d cells: %s", len(rs), strings.Join(parts, ", "))
}
