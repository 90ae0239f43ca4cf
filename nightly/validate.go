package nightly

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/montanaflynn/stats"
	"golang.org/x/perf/benchfmt"

	"vmabench/changepoint"
	"vmabench/chart"
)

// A Validation holds the model against the live kernel on this machine
// (vmabench validate) and writes its table to w in the Go benchmark format:
// one row per experiment, named "Validate/experiment=<name>/model=<design>",
// with the kernel's and the model's figures and their ratio as units (other
// results, the cells the rows come from, may come with them). The nightly job keeps each night's table beside the
// night's file, so that a drift of the model from the kernel shows in the
// report and as a change point, as a regression does. An error (validate
// exits 1 when a row is out of tolerance) is reported with the night; what
// was written is kept.
type Validation func(ctx context.Context, w io.Writer) error

// validateDir is the folder, in a machine's folder, of the nights'
// validate tables, each named as its night's file.
const validateDir = "validate"

// validatePath returns the path of the validate table of the night at path.
func validatePath(path string) string {
	return filepath.Join(filepath.Dir(path), validateDir, filepath.Base(path))
}

// runValidation runs v into the validate table of the night at path. It
// returns the table's path ("" if v wrote nothing) and v's error.
func runValidation(ctx context.Context, v Validation, path string) (string, error) {
	var b bytes.Buffer
	verr := v(ctx, &b)
	if b.Len() == 0 {
		if verr == nil {
			verr = errors.New("validate wrote no table")
		}
		return "", verr
	}
	out := validatePath(path)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", errors.Join(verr, fmt.Errorf("nightly: %w", err))
	}
	if err := writeFileAtomic(out, b.Bytes()); err != nil {
		return "", errors.Join(verr, err)
	}
	return out, verr
}

// A figureKey is one figure of a validate table: a benchmark and a unit.
type figureKey struct{ name, unit string }

// figures are a benchfmt file's values by benchmark and unit, in file
// order; a benchmark repeated has several values.
type figures struct {
	keys []figureKey
	vals map[figureKey][]float64
}

// validatePrefix begins the name of a validate row:
// "Validate/experiment=reader-penalty/model=mmaplock", whose units are the
// kernel's and the model's figures ("kernel-x", "model-x"), their "ratio"
// and whether it is "within" the tolerance.
const validatePrefix = "Validate/"

// readFigures reads the rows of a validate table, a benchfmt file.
func readFigures(path string) (*figures, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nightly: %w", err)
	}
	defer f.Close()
	figs := &figures{vals: make(map[figureKey][]float64)}
	r := benchfmt.NewReader(f, path)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec
		case *benchfmt.Result:
			// The rows; the cells the rows were computed from are
			// vmabench results as any night's, left to benchstat.
			if !strings.HasPrefix(string(rec.Name.Full()), validatePrefix) {
				continue
			}
			for _, v := range rec.Values {
				// "within" is 1 or 0: the ratio says it, and by how
				// much. The spreads describe one night's repetitions,
				// not a figure to follow from night to night.
				if v.Unit == "within" || v.Unit == "verdict" || strings.HasPrefix(v.Unit, "spread-") || strings.HasPrefix(v.Unit, "ratio-") {
					continue
				}
				k := figureKey{string(rec.Name.Full()), v.Unit}
				if _, ok := figs.vals[k]; !ok {
					figs.keys = append(figs.keys, k)
				}
				figs.vals[k] = append(figs.vals[k], v.Value)
			}
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("nightly: %s: %w", path, err)
	}
	if len(figs.keys) == 0 {
		return nil, fmt.Errorf("%s: no validate rows (%s...): an empty or truncated validate table?", path, validatePrefix)
	}
	return figs, nil
}

// median returns the median of the figure's values.
func (f *figures) median(k figureKey) (float64, bool) {
	vs := f.vals[k]
	if len(vs) == 0 {
		return 0, false
	}
	m, err := stats.Median(vs)
	return m, err == nil
}

// A validatedNight is a night with a validate table.
type validatedNight struct {
	chart.Night
	path string
	figs *figures
}

// validateHistory reads the validate tables of nights (in history order),
// the last run's of each night; a night without one is left out, and a
// table that cannot be read is a problem, named.
func validateHistory(nights []Night) (out []validatedNight, problems []error) {
	tn := trendNights(nights) // one per date, in the order of nights
	j := 0
	for i, n := range nights {
		if i+1 < len(nights) && nights[i+1].Date.Equal(n.Date) {
			continue // a later run of the night is its last word
		}
		cn := tn[j]
		j++
		path := validatePath(n.Path)
		figs, err := readFigures(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			problems = append(problems, err)
			continue
		}
		out = append(out, validatedNight{Night: cn, path: path, figs: figs})
	}
	return out, problems
}

// A Drift is a change point in one figure of the validate tables.
type Drift struct {
	Name, Unit    string
	Point         changepoint.Point
	Before, After chart.Night
}

// drifts finds the change points of every figure over the validate tables.
func drifts(vn []validatedNight, opts changepoint.Options) ([]Drift, error) {
	var keys []figureKey
	for _, n := range vn {
		for _, k := range n.figs.keys {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	var out []Drift
	for _, k := range keys {
		var series []float64
		var at []int
		for i, n := range vn {
			if m, ok := n.figs.median(k); ok {
				series = append(series, m)
				at = append(at, i)
			}
		}
		ps, err := changepoint.EDivisive(series, opts)
		if err != nil {
			return nil, fmt.Errorf("nightly: change points of %s %s: %w", k.name, k.unit, err)
		}
		for _, p := range ps {
			out = append(out, Drift{Name: k.name, Unit: k.unit, Point: p, Before: vn[at[p.Index-1]].Night, After: vn[at[p.Index]].Night})
		}
	}
	slices.SortStableFunc(out, func(a, b Drift) int { return a.After.Date.Compare(b.After.Date) })
	return out, nil
}

// figure formats a validate figure: a penalty ("x") as "4.30x", a time in
// seconds ("sec") as a duration, "1.61µs"; others as a number and unit.
func figure(v float64, unit string) string {
	switch unit {
	case "x":
		return fmt.Sprintf("%.2fx", v)
	case "sec":
		return time.Duration(v * 1e9).String()
	}
	return fmt.Sprintf("%.4g %s", v, unit)
}

// writeValidate writes the newest validate table and the drifts over all
// of them, each with the commit range to bisect.
func writeValidate(b *bytes.Buffer, vn []validatedNight, ds []Drift) error {
	if len(vn) == 0 {
		fmt.Fprintln(b, "no validate table in this machine's history")
		return nil
	}
	newest := vn[len(vn)-1]
	fmt.Fprintf(b, "newest: %s\n", newest.path)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "experiment\tkernel\tmodel\tmodel/kernel\t")
	var names []string
	for _, k := range newest.figs.keys {
		if !slices.Contains(names, k.name) {
			names = append(names, k.name)
		}
	}
	for _, name := range names {
		var kernel, model, ratio string
		for _, k := range newest.figs.keys {
			if k.name != name {
				continue
			}
			m, _ := newest.figs.median(k)
			switch {
			case k.unit == "ratio":
				ratio = fmt.Sprintf("%.2f", m)
			case strings.HasPrefix(k.unit, "kernel-"):
				kernel = figure(m, strings.TrimPrefix(k.unit, "kernel-"))
			case strings.HasPrefix(k.unit, "model-"):
				model = figure(m, strings.TrimPrefix(k.unit, "model-"))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", strings.TrimPrefix(name, validatePrefix), kernel, model, ratio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nchanges over %d nights:\n", len(vn))
	if len(ds) == 0 {
		fmt.Fprintln(tw, "none")
	}
	for _, d := range slices.Backward(ds) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4g -> %.4g (%+.1f%%)\tp=%.3f\tbisect %s..%s\t\n", d.After.Date.Format(time.DateOnly), d.Name, d.Unit,
			d.Point.Before, d.Point.After, 100*d.Point.Change(), d.Point.P, ShortCommit(d.Before.Commit), ShortCommit(d.After.Commit))
	}
	return tw.Flush()
}
