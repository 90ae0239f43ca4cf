package nightly

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"vmabench/cell"
	"vmabench/chart"
	"vmabench/internal/atomicfile"
	"vmabench/report"
	"vmabench/strategies"
)

// trendNights returns one chart.Night per date, the last run of each (the
// night's final word: a second run of a night is a re-run), in date order.
// nights must be in history order.
func trendNights(nights []Night) []chart.Night {
	var out []chart.Night
	for _, n := range nights {
		cn := chart.Night{Date: n.Date, Commit: n.Commit, Results: n.File.Results}
		if c := headerValue(n.File.Header, "vmabench-commit"); c != "" && c != "unknown" {
			cn.Commit = c
		}
		if len(out) > 0 && out[len(out)-1].Date.Equal(n.Date) {
			out[len(out)-1] = cn
			continue
		}
		out = append(out, cn)
	}
	return out
}

// runNights returns one chart.Night per run, every run of a night kept,
// each at the time it started (its "nightly-started" line; for a file
// from before that line, its night plus an hour per run of the night), so
// a trend chart gives each run an x of its own.
func runNights(nights []Night) []chart.Night {
	var out []chart.Night
	for i, n := range nights {
		cn := chart.Night{Date: n.Date, Commit: n.Commit, Results: n.File.Results}
		if c := headerValue(n.File.Header, "vmabench-commit"); c != "" && c != "unknown" {
			cn.Commit = c
		}
		if t, err := time.Parse(time.RFC3339, headerValue(n.File.Header, keyStarted)); err == nil {
			cn.Time = t.UTC()
		} else {
			k := 0
			for j := range nights[:i] {
				if nights[j].Date.Equal(n.Date) {
					k++
				}
			}
			cn.Time = n.Date.Add(time.Duration(k) * time.Hour)
		}
		out = append(out, cn)
	}
	return out
}

// headerValue returns the value of key in h, or "".
func headerValue(h []cell.KV, key string) string {
	for _, kv := range h {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// writeReport draws the trends over nights (in history order, the new run,
// self, among them) and the new run's charts into dir, and writes
// dir/index.html around them, recording what it wrote in o.
func writeReport(o *Outcome, nights []Night, self Entry, dir string) error {
	opts := chart.Options{Machine: report.MachineName(o.Header), Strategies: strategies.Names()}
	switch {
	case o.Machine != "" && opts.Machine != "":
		opts.Machine = o.Machine + ": " + opts.Machine
	case o.Machine != "":
		opts.Machine = o.Machine
	}
	tn := trendNights(nights)
	o.Nights = len(tn)
	changes, err := ChangePoints(tn, o.units, o.changeOpts)
	if err != nil {
		return err
	}
	o.Changes = changes
	vn, vproblems := validateHistory(nights)
	o.Problems = append(o.Problems, vproblems...)
	if o.Drifts, err = drifts(vn, o.changeOpts); err != nil {
		return err
	}
	o.validated = vn
	topts := opts
	topts.ChangePoints = marks(changes)
	trends, err := chart.Trends(runNights(nights), topts)
	if err != nil && !errors.Is(err, chart.ErrNoData) {
		return err
	}
	latest, err := chart.Charts(o.Results, opts)
	if err != nil && !errors.Is(err, chart.ErrNoData) {
		return err
	}
	paths, err := chart.Save(append(trends, latest...), dir)
	o.Charts = paths
	if err != nil {
		return err
	}

	page, err := newPage(o, nights, self)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if filepath.Ext(p) == ".png" {
			page.Images = append(page.Images, filepath.Base(p))
		}
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, page); err != nil {
		return err
	}
	index := filepath.Join(dir, "index.html")
	if err := writeFileAtomic(index, html.Bytes()); err != nil {
		return err
	}
	o.Index = index
	return nil
}

// newPage returns the report page without its images: the run's summary
// with the comparison of the gated units and the verdict, the results table
// and the history. The tables stay short, so the charts start within the
// first screen; the comparison of every unit is for benchstat or
// vmabench compare.
func newPage(o *Outcome, nights []Night, self Entry) (Page, error) {
	page := Page{
		Title:     fmt.Sprintf("vmabench nightly %s, commit %s", self.Date.Format(dateLayout), self.Commit),
		Generated: time.Now(),
	}
	add := func(title string, write func(*bytes.Buffer) error) error {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return err
		}
		page.Tables = append(page.Tables, Table{Title: title, Text: b.String()})
		return nil
	}
	verdict := "Summary: " + State(o.Verdict)
	err := errors.Join(
		add(verdict, func(b *bytes.Buffer) error { return o.WriteText(b) }),
		add("Change points", func(b *bytes.Buffer) error { return writeChanges(b, o.Changes, o.Nights, o.changeOpts) }),
		add("Model against the kernel (vmabench validate)", func(b *bytes.Buffer) error { return writeValidate(b, o.validated, o.Drifts) }),
		add("Results: medians, "+self.Name(), func(b *bytes.Buffer) error {
			return report.WriteTable(b, o.Results)
		}),
		add("History", func(b *bytes.Buffer) error { return writeHistory(b, o, nights, self) }),
	)
	return page, err
}

// historyRows is how many of the newest nightly files the report lists;
// older unusable ones are listed too.
const historyRows = 10

// writeHistory lists the newest nightly files, newest first, and what
// became of each: the baseline, a trend point, a first run superseded by a
// re-run of its night, or unusable and why.
func writeHistory(b *bytes.Buffer, o *Outcome, nights []Night, self Entry) error {
	why := make(map[string]string)
	for _, p := range o.Problems {
		msg := p.Error()
		for _, e := range o.History {
			if strings.HasPrefix(msg, e.Path+":") {
				why[e.Path] = "unusable: " + msg
			}
		}
	}
	use := make(map[string]string)
	for i, n := range nights {
		use[n.Path] = "trend point"
		if i+1 < len(nights) && nights[i+1].Date.Equal(n.Date) {
			use[n.Path] = "superseded by a later run of the night"
		}
	}
	use[o.Path] = "this run; " + use[o.Path]
	if !o.Explicit && o.Baseline != "" {
		use[o.Baseline] = "baseline; " + use[o.Baseline]
	}
	entries := slices.Concat(o.History, []Entry{self})
	slices.SortStableFunc(entries, Entry.Compare)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "night\trun\tcommit\tfile\tuse")
	older := 0
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if len(entries)-i > historyRows && why[e.Path] == "" {
			older++
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", e.Date.Format(dateLayout), e.Seq, e.Commit, e.Name(), cmp.Or(why[e.Path], use[e.Path]))
	}
	if older > 0 {
		fmt.Fprintf(tw, "and %d older nightly files, all usable\n", older)
	}
	if o.Explicit {
		fmt.Fprintf(tw, "baseline given: %s\n", o.Baseline)
	}
	return tw.Flush()
}

// writeFileAtomic writes data to path atomically, so a browser refreshing
// the report never reads half.
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data); err != nil {
		return fmt.Errorf("nightly: %w", err)
	}
	return nil
}
