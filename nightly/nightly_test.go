package nightly

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"vmabench/report"
	"vmabench/runner"
)

// tinyConfig is a nightly job small enough for a unit test: faults at one
// thread under vmaseq and nolock, twice, 20ms each, in this process.
func tinyConfig(dir string, night time.Time) Config {
	c := DefaultConfig()
	c.ResultsDir, c.PlotsDir = filepath.Join(dir, "results"), filepath.Join(dir, "plots")
	c.Plan.Strategies = []string{"vmaseq", "nolock"}
	c.Plan.Workloads = []string{"faults"}
	c.Plan.Threads = []int{1}
	c.Plan.Count = 2
	c.Plan.Base.Duration = 20 * time.Millisecond
	c.Plan.Base.Warmup = 5 * time.Millisecond
	c.Plan.InProcess = true
	c.Machine = testMachine
	c.Commit = "0123456789abcdef0123456789abcdef01234567"
	c.Date = night
	return c
}

func run(t *testing.T, c Config) (*Outcome, string) {
	t.Helper()
	o, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := o.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return o, b.String()
}

func names(paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, filepath.Base(p))
	}
	return out
}

func TestDefaultPlan(t *testing.T) {
	p := DefaultPlan()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Strategies, "kernel") || !slices.Contains(p.Strategies, "nolock") {
		t.Errorf("strategies %v: want every one, the live kernel and nolock included", p.Strategies)
	}
	if !slices.Contains(p.Workloads, "faults-mprotect") {
		t.Errorf("workloads %v: want faults-mprotect among them", p.Workloads)
	}
	// The count must let Holm's most significant p-value over every
	// gated figure reach 0.05: 36 figures (24 cells' readers' rates, 12
	// writers') need 0.05/36 = 0.0014, which 6 against 6 (0.0022) miss.
	if m := GatedFigures(p, DefaultUnits); m != 36 || p.Count != 7 || p.InProcess {
		t.Errorf("%d gated figures, count %d, in process %v: want 36, 7 repetitions, each isolated", m, p.Count, p.InProcess)
	}
	if got := minP(p.Count, p.Count); got > 0.05/36 {
		t.Errorf("count %d reaches p = %v at best, above 0.05/36", p.Count, got)
	}
	// About two minutes on two cores.
	if est := time.Duration(len(p.Cells())) * (p.Base.Warmup + p.Base.Duration); est > 150*time.Second {
		t.Errorf("estimate %v: the nightly matrix should stay near 2 minutes", est)
	}
	for _, c := range p.Cells() {
		if c.Workload == "faults-mmap" && c.Threads < 2 {
			t.Errorf("cell %+v cannot run: faults-mmap needs 2 threads", c)
		}
	}
}

// TestRunTwice runs two consecutive nightly jobs: two files, the second
// compared with the first, trend charts and the report.
func TestRunTwice(t *testing.T) {
	tests := []struct {
		name       string
		first      time.Time
		second     time.Time
		wantFiles  []string
		wantNights int
	}{
		{"two nights", date(2026, 1, 5), date(2026, 1, 6),
			[]string{"2026-01-05-0123456.txt", "2026-01-06-0123456.txt"}, 2},
		{"twice the same night", date(2026, 1, 5), date(2026, 1, 5).Add(3 * time.Hour),
			[]string{"2026-01-05-0123456.txt", "2026-01-05-0123456-2.txt"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o1, out1 := run(t, tinyConfig(dir, tt.first))
			if o1.Verdict != nil || o1.Baseline != "" || !strings.Contains(out1, "baseline: none") {
				t.Errorf("first run compared with %q:\n%s", o1.Baseline, out1)
			}
			// A machine's first night is said not to be gated, and is not
			// called a pass.
			if !strings.Contains(out1, "NOT GATED: no earlier night of test-vm to judge it against; it is not a pass") || strings.Contains(out1, "PASS") {
				t.Errorf("first night's output does not say it is not gated:\n%s", out1)
			}
			if html, err := os.ReadFile(o1.Index); err != nil || !bytes.Contains(html, []byte("Summary: NOT GATED")) {
				t.Errorf("first night's report does not say it is not gated (%v)", err)
			}
			o2, out2 := run(t, tinyConfig(dir, tt.second))
			es, err := List(filepath.Join(dir, "results", testMachine))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Name())
			}
			if !slices.Equal(got, tt.wantFiles) {
				t.Errorf("history = %q, want %q", got, tt.wantFiles)
			}
			if o2.Baseline != o1.Path || o2.Verdict == nil {
				t.Fatalf("second run compared with %q, want %q", o2.Baseline, o1.Path)
			}
			for _, want := range []string{
				"results: " + o2.Path + " (4 cells: 4 ok)",
				"baseline: " + o1.Path + " (the previous nightly)",
				"workload=faults/strategy=vmaseq/threads=1",
				"report: " + filepath.Join(dir, "plots", "index.html"),
			} {
				if !strings.Contains(out2, want) {
					t.Errorf("output lacks %q:\n%s", want, out2)
				}
			}
			if o2.Nights != tt.wantNights {
				t.Errorf("trends over %d nights, want %d", o2.Nights, tt.wantNights)
			}
			if want := []string{"faults-trend.svg", "faults-trend.png", "faults-throughput.svg", "faults-throughput.png"}; !slices.Equal(names(o2.Charts)[:4], want) {
				t.Errorf("charts = %q, want to start %q", names(o2.Charts), want)
			}
			checkIndex(t, o2)
			// Two runs of one configuration: nothing differs but the
			// time they started, which is not configuration.
			if len(o2.ConfigDiffs) != 0 || strings.Contains(out2, "configuration differs") {
				t.Errorf("configuration differs between two runs of one config: %v", o2.ConfigDiffs)
			}
			// The report of the same tree gives the same night the same
			// verdict, in the same words, against the same baseline
			// (twice the same night included).
			site, err := WriteSite(filepath.Join(dir, "results"), filepath.Join(dir, "site"), DefaultSiteOptions())
			if err != nil {
				t.Fatal(err)
			}
			if len(site.Machines) != 1 || State(site.Machines[0].Verdict) != State(o2.Verdict) || site.Machines[0].Verdict == nil {
				t.Errorf("report's verdict %q, nightly's %q", State(site.Machines[0].Verdict), State(o2.Verdict))
			}
			if html, err := os.ReadFile(o2.Index); err != nil || !bytes.Contains(html, []byte("Summary: "+State(o2.Verdict))) {
				t.Errorf("the night's page does not sum it up as %q (%v)", State(o2.Verdict), err)
			}
		})
	}
}

// checkIndex checks that the report shows every PNG chart written, by a
// relative path to a file that exists, and the tables.
func checkIndex(t *testing.T, o *Outcome) {
	t.Helper()
	html, err := os.ReadFile(o.Index)
	if err != nil {
		t.Fatal(err)
	}
	imgs := regexp.MustCompile(`<img src="([^"]*)"`).FindAllStringSubmatch(string(html), -1)
	var srcs []string
	for _, m := range imgs {
		srcs = append(srcs, m[1])
		if _, err := os.Stat(filepath.Join(filepath.Dir(o.Index), m[1])); err != nil {
			t.Errorf("index.html shows %q: %v", m[1], err)
		}
	}
	var pngs []string
	for _, p := range o.Charts {
		if filepath.Ext(p) == ".png" {
			pngs = append(pngs, filepath.Base(p))
		}
	}
	if !slices.Equal(srcs, pngs) {
		t.Errorf("index.html images %q, want %q", srcs, pngs)
	}
	for _, want := range []string{"Summary", "Results: medians", "History", "workload  threads"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}

// TestRunBadHistory runs with a history whose newer files are malformed,
// empty or gone: each is reported as file:line or file, and the comparison
// and the trends use the good nights.
func TestRunBadHistory(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results", testMachine)
	if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	good1 := writeNight(t, results, "2026-01-01-aaaaaaa.txt", nightResults(1, 100))
	good2 := writeNight(t, results, "2026-01-02-bbbbbbb.txt", nightResults(2, 100))
	bad := filepath.Join(results, "2026-01-03-ccccccc.txt")
	if err := os.WriteFile(bad, []byte("goos: linux\n\nBenchmarkVMA/workload=faults/strategy=vmaseq/threads=1 100 12 ns/op\nBenchmarkVMA/workload=faults/threads=1 100 12 ns/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(results, "2026-01-04-ddddddd.txt")
	touch(t, results, filepath.Base(empty))
	gone := filepath.Join(results, "2026-01-04-eeeeeee-2.txt")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), gone); err != nil {
		t.Fatal(err)
	}

	o, out := run(t, tinyConfig(dir, date(2026, 1, 5)))
	wantProblems := []string{bad + ":4: ", empty + ": no results", gone + ": no such file"}
	if len(o.Problems) != len(wantProblems) {
		t.Fatalf("problems = %q, want %d", o.Problems, len(wantProblems))
	}
	for i, p := range o.Problems {
		if !strings.HasPrefix(p.Error(), wantProblems[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, p, wantProblems[i])
		}
		if !strings.Contains(out, "  "+wantProblems[i]) {
			t.Errorf("output lacks problem %q:\n%s", wantProblems[i], out)
		}
	}
	if !errors.As(o.Problems[0], new(*report.ParseError)) {
		t.Errorf("problem %q is %T, want a *report.ParseError", o.Problems[0], o.Problems[0])
	}
	if o.Baseline != good2 {
		t.Errorf("baseline %q, want the newest good night %q", o.Baseline, good2)
	}
	if want := []string{bad, empty, gone}; !slices.Equal(o.Skipped, want) {
		t.Errorf("skipped %q, want %q", o.Skipped, want)
	}
	for _, want := range []string{
		"history: 3 files unusable, left out:",
		"baseline: " + good2 + " (the newest usable nightly before this one; passed over " + bad + ", " + empty + ", " + gone + ")",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if o.Nights != 3 {
		t.Errorf("trends over %d nights, want 3 (%s, %s and the new one)", o.Nights, good1, good2)
	}
	html, err := os.ReadFile(o.Index)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte("unusable: "+bad+":4: ")) {
		t.Errorf("index.html does not report %s:4", bad)
	}
}

// TestRunFastBaseline gates a real run against a doctored baseline twice as
// fast as anything can be: every cell is a regression.
func TestRunFastBaseline(t *testing.T) {
	dir := t.TempDir()
	c := tinyConfig(dir, date(2026, 1, 5))
	c.Plan.Count = 4 // the least with which 4 against 6 can reach p <= 0.05
	fast := slices.Concat(reps("faults", "vmaseq", 1, seq(1, 0.01, 6)...), reps("faults", "nolock", 1, seq(1, 0.01, 6)...))
	c.Baseline = writeNight(t, dir, "fast.txt", fast)
	o, out := run(t, c)
	if !o.Failed() {
		t.Fatalf("gate passed against a fast baseline:\n%s", out)
	}
	for _, want := range []string{
		"baseline: " + c.Baseline + " (given)",
		// The doctored baseline names another CPU and kernel: listed.
		"\nconfiguration differs between the baseline and this night:\n",
		"\n  kernel: 6.18.0 -> ",
		"\nregression: workload=faults/strategy=vmaseq/threads=1 faults/s -",
		"\nregression: workload=faults/strategy=nolock/threads=1 faults/s -",
		"\nFAIL: 2 worse",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunBadBaseline(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("BenchmarkVMA/workload=faults 1 2 ns/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := writeFile(t, dir, "other.txt", withKV("machine", "ci-epyc"), nightResults(1, 100))
	tests := []struct {
		name, baseline, want string
	}{
		{"malformed", bad, "baseline " + bad + ":1: "},
		{"another machine's", other, "baseline " + other + `: a file of machine "ci-epyc", not "test-vm": a machine is only compared with itself`},
		{"missing", filepath.Join(dir, "none.txt"), "baseline " + filepath.Join(dir, "none.txt") + ": no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tinyConfig(dir, date(2026, 1, 5))
			c.Baseline = tt.baseline
			o, err := Run(context.Background(), c)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Run = %v, want error %q...", err, tt.want)
			}
			if o != nil {
				t.Errorf("Run returned an outcome %+v", o)
			}
			if es, _ := List(filepath.Join(c.ResultsDir, testMachine)); len(es) != 0 {
				t.Errorf("a nightly file was written before the baseline was checked: %v", es)
			}
		})
	}
}

// TestRunInterrupted cancels the run after its first cell: no nightly file
// is left to be taken for a whole night.
func TestRunInterrupted(t *testing.T) {
	dir := t.TempDir()
	c := tinyConfig(dir, date(2026, 1, 5))
	ctx, cancel := context.WithCancel(context.Background())
	c.Progress = func(i, n int, r runner.Result) error { cancel(); return nil }
	if _, err := Run(ctx, c); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	left, err := os.ReadDir(filepath.Join(c.ResultsDir, testMachine))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("results directory holds %v, want nothing", left)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"default", func(*Config) {}, ""},
		{"negative threshold", func(c *Config) { c.Gate.Threshold = -0.01 }, "threshold -0.01: must not be negative"},
		{"unknown strategy", func(c *Config) { c.Plan.Strategies = []string{"bogus"} }, `unknown strategy "bogus"`},
		{"nothing runnable", func(c *Config) { c.Plan.Workloads, c.Plan.Threads = []string{"faults-mmap"}, []int{1} }, "no cell to run with threads [1]: faults-mmap needs 2"},
		{"same directories", func(c *Config) { c.PlotsDir = "results/" }, "results and plots directory results: must differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.modify(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRunLaterNight runs with a history that holds a night after this one
// (a clock set back, or files copied in): the baseline is the night before
// this one, and the trends still cover every night, in date order.
func TestRunLaterNight(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results", testMachine)
	if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	before := writeNight(t, results, "2026-01-04-aaaaaaa.txt", nightResults(1, 100))
	writeNight(t, results, "2026-01-10-bbbbbbb.txt", nightResults(2, 100))
	o, out := run(t, tinyConfig(dir, date(2026, 1, 5)))
	if o.Baseline != before {
		t.Errorf("baseline %q, want the night before, %q:\n%s", o.Baseline, before, out)
	}
	if o.Nights != 3 {
		t.Errorf("trends over %d nights, want 3", o.Nights)
	}
}
