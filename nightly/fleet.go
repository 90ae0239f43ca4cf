package nightly

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"vmabench/changepoint"
	"vmabench/chart"
	"vmabench/report"
	"vmabench/strategies"
)

// SiteOptions configures WriteSite.
type SiteOptions struct {
	// Gate judges each machine's newest night against its history, as the
	// nightly job does.
	Gate GateOptions
	// ChangePoints configures the search for change points in the gated
	// units. Zero values mean changepoint.DefaultOptions.
	ChangePoints changepoint.Options
	// Now stamps the page; zero means time.Now.
	Now time.Time
}

// DefaultSiteOptions returns the nightly job's gate and change-point
// settings.
func DefaultSiteOptions() SiteOptions {
	c := DefaultConfig()
	return SiteOptions{Gate: c.Gate, ChangePoints: c.ChangePoints}
}

// A MachineReport is one machine's part of a site.
type MachineReport struct {
	Name string
	// Nights are its usable nights, one per date (a re-run replaces the
	// first run of its night), oldest first; Newest is the newest file.
	Nights []chart.Night
	Newest string
	// Verdict is the newest night judged against the one before and the
	// history; nil if the machine has a single night.
	Verdict *Verdict
	// Changes are the change points over Nights.
	Changes []Change
	// Drifts are the change points of its validate tables.
	Drifts []Drift
	// Problems are its files left out, each named.
	Problems []error
}

// A Site is what WriteSite wrote.
type Site struct {
	Machines []MachineReport
	// Problems are what the tree held outside any machine's folder.
	Problems []error
	Charts   []string
	Index    string
}

// WriteSite builds one static site from a results tree that many machines
// fill (see ReadTree): dir/index.html with a section per machine, each with
// its newest night's verdict, its change points with the commit ranges to
// bisect, its unusable files and its own trend charts, which are written
// beside the page as "<machine>-<workload>-trend.png" (and .svg). Each
// machine is judged against itself only.
func WriteSite(resultsDir, dir string, opts SiteOptions) (*Site, error) {
	tree, err := ReadTree(resultsDir)
	if err != nil {
		return nil, err
	}
	if len(tree.Machines) == 0 {
		return nil, fmt.Errorf("nightly: %s: no machine folders (want %s/<machine>/<date>-<commit>.txt)", resultsDir, resultsDir)
	}
	unitNames := opts.Gate.Units
	if unitNames == nil {
		unitNames = DefaultUnits
	}
	site := &Site{Problems: tree.Problems}
	page := Page{Title: "vmabench nightly: " + plural(len(tree.Machines), "machine"), Generated: cmp.Or(opts.Now, time.Now())}
	for _, m := range tree.Machines {
		mr, sec, charts, err := machineSection(resultsDir, m, unitNames, opts)
		if err != nil {
			return nil, err
		}
		site.Machines = append(site.Machines, mr)
		paths, err := chart.Save(charts, dir)
		site.Charts = append(site.Charts, paths...)
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			if filepath.Ext(p) == ".png" {
				sec.Images = append(sec.Images, filepath.Base(p))
			}
		}
		page.Sections = append(page.Sections, sec)
	}
	var b bytes.Buffer
	for _, mr := range site.Machines {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", mr.Name, plural(len(mr.Nights), "night"), verdictWord(mr))
	}
	for _, p := range site.Problems {
		fmt.Fprintf(&b, "left out: %v\n", p)
	}
	page.Tables = append(page.Tables, Table{Title: "Machines", Text: b.String()})
	var html bytes.Buffer
	if err := WriteHTML(&html, page); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("nightly: %w", err)
	}
	site.Index = filepath.Join(dir, "index.html")
	return site, writeFileAtomic(site.Index, html.Bytes())
}

// verdictWord sums up a machine's newest night in a word or two.
func verdictWord(mr MachineReport) string {
	switch {
	case len(mr.Nights) == 0:
		return "no usable night"
	}
	return State(mr.Verdict)
}

// machineSection reads one machine's folder and returns its report, its
// page section (without images) and its trend charts.
func machineSection(root, m string, unitNames []string, opts SiteOptions) (MachineReport, Section, []chart.Chart, error) {
	mr := MachineReport{Name: m}
	sec := Section{ID: "machine-" + m, Title: m}
	entries, err := List(filepath.Join(root, m))
	if err != nil {
		return mr, sec, nil, err
	}
	nights, problems := LoadMachine(m, entries)
	mr.Problems = problems
	mr.Nights = trendNights(nights)
	add := func(title, text string) { sec.Tables = append(sec.Tables, Table{Title: title, Text: text}) }
	var b bytes.Buffer
	if len(nights) == 0 {
		add("No usable night", "")
	} else {
		newest := nights[len(nights)-1]
		mr.Newest = newest.Path
		if name := report.MachineName(newest.File.Header); name != "" {
			sec.Title += ": " + name
		}
		if k, ok := header(newest.File.Header, "kernel"); ok {
			sec.Title += ", kernel " + k
		}
		var past []Past
		var base *Night
		// The baseline is the newest night before, as nightly takes it:
		// an earlier run of the same night counts.
		for i := range nights[:len(nights)-1] {
			n := &nights[i]
			if n.Compare(newest.Entry) < 0 {
				base = n
			}
		}
		for _, n := range mr.Nights {
			if n.Date.Before(newest.Date) {
				past = append(past, Past{Date: n.Date, Commit: n.Commit, Results: n.Results})
			}
		}
		fmt.Fprintf(&b, "newest: %s\n", newest.Path)
		if base == nil {
			fmt.Fprintf(&b, "%s: no earlier night of %s to judge it against; it is not a pass\n", NotGated, m)
		} else {
			fmt.Fprintf(&b, "baseline: %s (the night before)\n", base.Path)
			v, err := GateHistory(base.File.Results, newest.File.Results, past, opts.Gate)
			if err != nil {
				return mr, sec, nil, err
			}
			mr.Verdict = v
			if err := v.WriteSummary(&b); err != nil {
				return mr, sec, nil, err
			}
		}
		add("Newest night: "+verdictWord(mr), b.String())
	}
	changes, err := ChangePoints(mr.Nights, unitNames, opts.ChangePoints)
	if err != nil {
		return mr, sec, nil, err
	}
	mr.Changes = changes
	b.Reset()
	if err := writeChanges(&b, changes, len(mr.Nights), opts.ChangePoints); err != nil {
		return mr, sec, nil, err
	}
	add("Change points", b.String())
	vn, vproblems := validateHistory(nights)
	problems = append(problems, vproblems...)
	mr.Problems = problems
	if len(vn) > 0 {
		ds, err := drifts(vn, opts.ChangePoints)
		if err != nil {
			return mr, sec, nil, err
		}
		mr.Drifts = ds
		b.Reset()
		if err := writeValidate(&b, vn, ds); err != nil {
			return mr, sec, nil, err
		}
		add("Model against the kernel (vmabench validate)", b.String())
	}
	if len(problems) > 0 {
		b.Reset()
		for _, p := range problems {
			fmt.Fprintf(&b, "%v\n", p)
		}
		add("Files left out", b.String())
	}
	if len(mr.Nights) == 0 {
		return mr, sec, nil, nil
	}
	copts := chart.Options{Machine: m, Strategies: strategies.Names(), ChangePoints: marks(changes)}
	charts, err := chart.Trends(runNights(nights), copts)
	if err != nil && !errors.Is(err, chart.ErrNoData) {
		// One machine's bad file must not take the fleet's site down:
		// say so in its section, and draw the others.
		mr.Problems = append(mr.Problems, fmt.Errorf("%s: trend charts not drawn: %w", m, err))
		add("Trend charts not drawn", err.Error())
		return mr, sec, nil, nil
	}
	for i := range charts {
		charts[i].Name = m + "-" + charts[i].Name
	}
	return mr, sec, charts, nil
}

// plural returns "1 night", "2 nights".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
