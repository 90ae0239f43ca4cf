package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vmabench/cell"
	"vmabench/runner"
	"vmabench/validate"
)

func TestNightlyBadInput(t *testing.T) {
	hint := "Run 'vmabench nightly -h' for usage.\n"
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown flag", []string{"-frob"}, "vmabench nightly: flag provided but not defined: -frob\n"},
		{"argument", []string{"results"}, `vmabench nightly: unexpected argument "results": nightly takes only flags` + "\n"},
		{"unknown strategy", []string{"-strategy", "vmafoo"},
			`vmabench nightly: -strategy: unknown strategy "vmafoo" (valid: mmaplock, vmaseq, vmarefcnt, vmawait, nolock, kernel)` + "\n"},
		{"unknown workload", []string{"-workload", "fault"},
			`vmabench nightly: -workload: unknown workload "fault" (valid: faults, faults-shared, faults-mmap, faults-mprotect, mmap-churn, maps-walk, lookups, lookups-mmap, nested-fault, page_fault1, page_fault2, page_fault3, mmap1, mmap2, pft, zerocopy)` + "\n"},
		{"zero count", []string{"-count", "0"}, "vmabench nightly: count 0: want at least 1\n"},
		{"negative threshold", []string{"-threshold", "-0.1"}, "vmabench nightly: threshold -0.1: must not be negative\n"},
		{"bad duration", []string{"-duration", "fast"},
			`vmabench nightly: invalid value "fast" for flag -duration: not a duration (want e.g. 300ms, 2s, 1m)` + "\n"},
		{"nothing to run", []string{"-workload", "faults-mmap", "-threads", "1"},
			"vmabench nightly: no cell to run with threads [1]: faults-mmap needs 2\n"},
		{"bad machine", []string{"-machine", "Build_01"},
			`vmabench nightly: machine name "Build_01": want 1 to 63 lower-case letters, digits and inner hyphens, such as ci-epyc-2` + "\n"},
		{"negative window", []string{"-window", "-1"}, "vmabench nightly: window -1: must not be negative\n"},
		{"same directories", []string{"-results", "out", "-plots", "out/"},
			"vmabench nightly: results and plots directory out: must differ\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := vmabench(t, append([]string{"nightly"}, tt.args...)...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if want := tt.stderr + hint; stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout: %q, want none", stdout)
			}
		})
	}
}

// TestNightlyFastBaseline runs a real nightly job, each cell in a child
// process, against a doctored baseline twice as fast as anything: the gate
// fails, naming the cell and its change on a "regression:" line.
func TestNightlyFastBaseline(t *testing.T) {
	dir := t.TempDir()
	var fast strings.Builder
	for i := range 6 {
		fmt.Fprintf(&fast, "BenchmarkVMA/workload=faults/strategy=nolock/threads=1-2 1000000 %.2f ns/op\n", 1+0.01*float64(i))
	}
	baseline := filepath.Join(dir, "fast.txt")
	if err := os.WriteFile(baseline, []byte(fast.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	results, plots := filepath.Join(dir, "results"), filepath.Join(dir, "plots")
	code, stdout, stderr := vmabench(t, "nightly", "-workload", "faults", "-strategy", "nolock", "-threads", "1",
		"-duration", "20ms", "-warmup", "20ms", "-count", "5", "-calibration", "none",
		"-results", results, "-plots", plots, "-baseline", baseline, "-machine", "test-box")
	if code != 1 {
		t.Errorf("exit status %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"baseline: " + baseline + " (given)",
		// Under load a cell may also fail to finish: a regression too.
		"\nregression: workload=faults/strategy=nolock/threads=1 ",
		"\nFAIL: ",
		"report: " + filepath.Join(plots, "index.html"),
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	last := strings.TrimSuffix(stderr, "\n")
	last = last[strings.LastIndexByte(last, '\n')+1:]
	if !strings.HasPrefix(last, "vmabench: nightly: FAIL: ") || !strings.Contains(last, " worse") ||
		!strings.HasSuffix(last, " against "+baseline) {
		t.Errorf("stderr:\n%s\nwant it to end \"vmabench: nightly: FAIL: N worse against %s\"", stderr, baseline)
	}
	files, err := filepath.Glob(filepath.Join(results, "test-box", "*-*.txt"))
	if err != nil || len(files) != 1 {
		t.Errorf("results files %v (%v), want one", files, err)
	}
	if _, err := os.Stat(filepath.Join(plots, "index.html")); err != nil {
		t.Error(err)
	}
}

// TestNightlyHelpFlags checks that nightly offers every plan flag of run
// (its usage says so), -inprocess aside.
func TestNightlyHelpFlags(t *testing.T) {
	flags := func(cmd string) map[string]bool {
		_, stdout, _ := vmabench(t, cmd, "-h")
		m := make(map[string]bool)
		for _, line := range strings.Split(stdout, "\n") {
			if f, ok := strings.CutPrefix(line, "  -"); ok {
				m[strings.Fields(f)[0]] = true
			}
		}
		return m
	}
	run, nightly := flags("run"), flags("nightly")
	for f := range run {
		switch f {
		case "o", "fail-on-deadlock", "inprocess":
			continue
		}
		if !nightly[f] {
			t.Errorf("nightly -h lacks run's plan flag -%s", f)
		}
	}
	_, usage, _ := vmabench(t, "nightly", "-h")
	for _, f := range strings.Fields("-strategy -workload -threads -count -duration -warmup -timeout -stall -seed -pages -fault-work -maps-vmas -writer-pause -touch-held -nopin") {
		if !nightly[f[1:]] {
			t.Errorf("nightly's usage names %s, which it lacks", f)
		}
		if !strings.Contains(usage, f) {
			t.Errorf("nightly's usage does not name %s", f)
		}
	}
}

func TestReportBadInput(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no tree", nil, 2, "vmabench report: want one results tree, got 0 arguments\nRun 'vmabench report -h' for usage.\n"},
		{"two trees", []string{"a", "b"}, 2, "vmabench report: want one results tree, got 2 arguments\nRun 'vmabench report -h' for usage.\n"},
		{"no machines", []string{"-o", filepath.Join(empty, "site"), empty}, 1,
			fmt.Sprintf("vmabench: nightly: %s: no machine folders (want %s/<machine>/<date>-<commit>.txt)\n", empty, empty)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := vmabench(t, append([]string{"report"}, tt.args...)...)
			if code != tt.code || stderr != tt.stderr {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", code, stderr, tt.code, tt.stderr)
			}
		})
	}
}

// TestReport builds a site from a tree of two machines, one with a file of
// the other misfiled in its folder: each machine has its section, and the
// misfiled file is named on a warning.
func TestReport(t *testing.T) {
	root := t.TempDir()
	night := func(machine, dir, name string, ns float64) {
		t.Helper()
		var b strings.Builder
		fmt.Fprintf(&b, "machine: %s\ncpu: Test CPU\ngomaxprocs: 2\nkernel: 6.18.0\n\n", machine)
		for i := range 6 {
			fmt.Fprintf(&b, "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=1-2 1000000 %.2f ns/op %.4g faults/s\n", ns+float64(i), 1e9/(ns+float64(i)))
		}
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	night("ci-epyc", "ci-epyc", "2026-01-01-aaaaaaa.txt", 100)
	night("ci-epyc", "ci-epyc", "2026-01-02-bbbbbbb.txt", 101)
	night("arm-box", "arm-box", "2026-01-02-ccccccc.txt", 300)
	night("ci-epyc", "arm-box", "2026-01-03-ddddddd.txt", 100)
	site := filepath.Join(t.TempDir(), "site")
	code, stdout, stderr := vmabench(t, "report", "-o", site, root)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"arm-box: 1 night, 0 change points, newest night NOT GATED\n",
		"ci-epyc: 2 nights, 0 change points, newest night PASS\n",
		"report: " + filepath.Join(site, "index.html") + "\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if want := `vmabench report: warning: ` + filepath.Join(root, "arm-box", "2026-01-03-ddddddd.txt") + `: a file of machine "ci-epyc" in the folder of "arm-box"`; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

// TestNightlyValidation runs nightly -validate's validation with validate's
// cells faked (the same figures for the kernel and the models): it writes
// validate's rows in the Go benchmark format for the night's table, and
// names any row out of tolerance in its error.
func TestNightlyValidation(t *testing.T) {
	vc := validate.DefaultConfig()
	vc.Count = 2
	vc.RunCell = fakeValidateCell
	var b bytes.Buffer
	err := validation(vc)(context.Background(), &b)
	// The faked rows agree; mprotect-ns, timed in this process, may not.
	if err != nil && (!strings.Contains(err.Error(), " rows: ") || strings.Contains(err.Error(), "reader-penalty")) {
		t.Fatalf("validation: %v", err)
	}
	out := b.String()
	for _, want := range []string{"\nBenchmarkValidate/experiment=reader-penalty/model=mmaplock ", " ratio ", "\nvalidate-tolerance: 1.25\n", " verdict"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate table lacks %q:\n%s", want, out)
		}
	}
}

// fakeValidateCell stands in for validate's cells: the same figures for the
// kernel and the models.
func fakeValidateCell(_ context.Context, rc runner.Config) (runner.Result, error) {
	r := runner.Result{Cell: cell.Cell{Strategy: rc.Strategy, Workload: rc.Workload, Threads: rc.Threads, Procs: 2},
		Status: runner.StatusOK, Ops: 1e6, Elapsed: time.Second}
	switch {
	case strings.HasPrefix(rc.Workload, "faults"), strings.HasPrefix(rc.Workload, "page_fault"), rc.Workload == "pft":
		r.Metrics = append(r.Metrics, runner.Metric{Value: 1e6, Unit: "faults/s"})
	case strings.HasPrefix(rc.Workload, "lookups"):
		r.Metrics = append(r.Metrics, runner.Metric{Value: 1e6, Unit: "lookups/s"})
	}
	if rc.Threads > 1 || rc.Workload == "mmap-churn" || strings.HasPrefix(rc.Workload, "mmap") {
		r.Metrics = append(r.Metrics, runner.Metric{Value: 1e5, Unit: "writes/s"})
	}
	return r, nil
}
