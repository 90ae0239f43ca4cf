package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"vmabench/validate"
)

// The compare testdata: run-base.txt is a real run of this project
// (vmabench run -workload faults,faults-mmap -strategy
// mmaplock,vmarefcnt,vmawait -threads 1,2 -duration 200ms, at the default
// count of 4, on a 2-CPU VM under a load of 14); run-slow.txt is the same
// file doctored: faults at 2 threads under vmarefcnt 2x slower in every
// repetition (ns/op and the percentiles doubled, faults/s halved). The -3
// files hold the first three repetitions of each cell.

// TestCompareGateDoctored is the gate's target: a cell 2x slower in every
// repetition is never a silent pass. At the default count it is worse, or
// cannot be told, saying how many repetitions would tell it; at a count
// of 3 it cannot be told, since the U test cannot reach 0.05.
func TestCompareGateDoctored(t *testing.T) {
	const cell = "workload=faults/strategy=vmarefcnt/threads=2 faults/s"
	need := regexp.MustCompile(`needs -count (\d+)`)
	for _, tt := range []struct{ name, old, new string }{
		{"default count", "run-base.txt", "run-slow.txt"},
		{"count 3", "run-base-3.txt", "run-slow-3.txt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := vmabench(t, "compare", "-gate", filepath.Join("testdata", tt.old), filepath.Join("testdata", tt.new))
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			var line string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, cell+":") {
					line = l
				}
			}
			switch {
			case strings.HasPrefix(line, "vmabench: worse: "):
			case strings.HasPrefix(line, "vmabench: cannot tell: "):
				m := need.FindStringSubmatch(line)
				if m == nil {
					t.Fatalf("cannot tell without the count that would tell it: %q", line)
				}
				if n, _ := strconv.Atoi(m[1]); n <= 3 {
					t.Errorf("needs -count %d: no more than it ran", n)
				}
			default:
				t.Fatalf("stderr has no verdict on %s:\n%s", cell, stderr)
			}
			if tt.name == "count 3" && !strings.Contains(line, "the U test cannot reach p <= 0.05 below n=4 (its smallest p here is 0.1)") {
				t.Errorf("at n=3, %q does not say the test cannot reach 0.05", line)
			}
			if !strings.Contains(stderr, "vmabench: compare: FAIL: ") {
				t.Errorf("stderr lacks the FAIL line:\n%s", stderr)
			}
		})
	}
	// -allow-inconclusive passes what cannot be told, never what is worse.
	code, _, stderr := vmabench(t, "compare", "-gate", "-allow-inconclusive", "testdata/run-base-3.txt", "testdata/run-slow-3.txt")
	if code != 0 || !strings.Contains(stderr, "passed by -allow-inconclusive") {
		t.Errorf("-allow-inconclusive at n=3: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestCompareBadFiles: files that cannot be compared are named with the
// line, exit 1.
func TestCompareBadFiles(t *testing.T) {
	base := "testdata/run-base.txt"
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(data), "\n")
	empty := writeFile(t, "empty.txt", "")
	truncated := writeFile(t, "truncated.txt", string(data[:len(data)-40]))
	foreign := writeFile(t, "foreign.txt", "goos: linux\nBenchmarkSort/n=100-8 1000 1234 ns/op\n")
	logOnly := writeFile(t, "log.txt", "PASS\nok vmabench 1.2s\n")
	disjoint := writeFile(t, "disjoint.txt", "BenchmarkVMA/workload=lookups/strategy=vmaseq/threads=1-2 100 50 ns/op 2e7 lookups/s\n")
	tests := []struct {
		name, old, new, want string
	}{
		{"/dev/null as NEW", base, "/dev/null", "/dev/null:1: empty: no results to compare\n"},
		{"empty OLD", empty, base, empty + ":1: empty: no results to compare\n"},
		{"truncated NEW", base, truncated, truncated + ":" + strconv.Itoa(lines) + ": truncated: the last line ends without a newline (a run cut short while writing?)\n"},
		{"another tool's file", foreign, base, foreign + ":2: BenchmarkSort/n=100-8: "},
		{"a log with no result", base, logOnly, logOnly + ":2: no results: not one Benchmark line of a vmabench cell in the file\n"},
		{"disjoint", base, disjoint, "vmabench: compare: " + base + " and " + disjoint + " have no cell in common"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, args := range [][]string{{"compare", tt.old, tt.new}, {"compare", "-gate", tt.old, tt.new}} {
				code, _, stderr := vmabench(t, args...)
				if code != 1 || !strings.HasPrefix(stderr, tt.want) {
					t.Errorf("%q: exit %d, stderr %q; want 1, %q", args, code, stderr, tt.want)
				}
			}
		})
	}
}

// TestCompareConfigDiff: two runs under another calibration or warm-up
// are listed before the tables, and the gate refuses them unless
// -allow-config-diff; a differing commit is listed, and refuses nothing.
func TestCompareConfigDiff(t *testing.T) {
	data, err := os.ReadFile("testdata/run-base.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	cal := regexp.MustCompile(`(?m)^calibration: .*$`).FindString(s)
	other := strings.NewReplacer(cal, "calibration: none", "warmup: 100ms", "warmup: 200ms", "kernel: 6.18.44-fc-v1045", "kernel: 6.19.0").Replace(s)
	otherPath := writeFile(t, "other.txt", other)
	code, stdout, stderr := vmabench(t, "compare", "-gate", "-allow-inconclusive", "testdata/run-base.txt", otherPath)
	for _, want := range []string{
		"configuration differs between run-base.txt and other.txt:\n",
		"  kernel: 6.18.44-fc-v1045 -> 6.19.0\n",
		"  " + cal + " -> none\n",
		"  warmup: 100ms -> 200ms\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if i, j := strings.Index(stdout, "configuration differs"), strings.Index(stdout, "faults/s "); i < 0 || j < i {
		t.Errorf("the differences do not come before the tables:\n%s", stdout)
	}
	if code != 1 || !strings.Contains(stderr, "configuration differs (kernel, calibration, ") {
		t.Errorf("gate: exit %d, stderr:\n%s\nwant 1 naming the keys", code, stderr)
	}
	if code, _, stderr := vmabench(t, "compare", "-gate", "-allow-inconclusive", "-allow-config-diff", "testdata/run-base.txt", otherPath); code != 0 {
		t.Errorf("-allow-config-diff: exit %d, stderr:\n%s", code, stderr)
	}
	commit := writeFile(t, "commit.txt", strings.Replace(s, "vmabench-commit: unknown", "vmabench-commit: 0123456", 1))
	code, stdout, _ = vmabench(t, "compare", "-gate", "-allow-inconclusive", "testdata/run-base.txt", commit)
	if code != 0 || !strings.Contains(stdout, "  vmabench-commit: unknown -> 0123456 (the code compared: not a configuration difference)\n") {
		t.Errorf("another commit: exit %d, stdout:\n%s", code, stdout)
	}
}

// TestCompareUnits: the default tables are the rates and percentiles;
// -unit picks units as benchstat's -filter .unit: does.
func TestCompareUnits(t *testing.T) {
	tables := func(stdout string) []string {
		var out []string
		for _, l := range strings.Split(stdout, "\n") {
			if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(l, f[0]) && len(l) > 0 && l[0] != ' ' &&
				!strings.HasPrefix(l, "workload=") && !strings.HasPrefix(l, "note:") && !strings.HasPrefix(l, "configuration") {
				out = append(out, f[0])
			}
		}
		return out
	}
	tests := []struct {
		args []string
		want string
	}{
		{nil, "faults/s lookups/s writes/s p50-sec p99-sec p99.9-sec writer-p99-sec"},
		{[]string{"-unit", "writes/s,p99-ns"}, "writes/s p99-sec"},
		{[]string{"-unit", "p99-ns,writes/s"}, "p99-sec writes/s"},
		{[]string{"-unit", "all"}, "sec/op faults/s fallbacks/op retries/op misses/op p50-sec p99-sec p99.9-sec writes/s writer-p99-sec reader-sleeps/op writer-sleeps/op writer-nospin/op reader-steals/op"},
	}
	for _, tt := range tests {
		args := append(append([]string{"compare"}, tt.args...), "testdata/run-base.txt", "testdata/run-slow.txt")
		code, stdout, stderr := vmabench(t, args...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr)
		}
		// lookups/s has no cell in these files: it is not shown.
		want := strings.Fields(strings.ReplaceAll(tt.want, "lookups/s ", ""))
		if got := tables(stdout); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%q: tables %q, want %q", args, got, want)
		}
	}
	if code, _, stderr := vmabench(t, "compare", "-unit", "furlongs/s", "testdata/run-base.txt", "testdata/run-slow.txt"); code != 2 || !strings.Contains(stderr, `-unit: unknown unit "furlongs/s" (valid: ns/op, faults/s,`) {
		t.Errorf("bad -unit: exit %d, stderr %q", code, stderr)
	}
}

// TestBenchstatReads runs the pinned benchstat over the files vmabench
// writes and reads: it must read every one unchanged, with no parse error.
func TestBenchstatReads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds benchstat")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	files, _ := filepath.Glob("testdata/run-*.txt")
	more, _ := filepath.Glob("../../report/testdata/*.golden")
	files = append(files, more...)
	// A validate file (its cells faked) and a real nightly file.
	dir := t.TempDir()
	vc := validate.DefaultConfig()
	vc.Count, vc.RunCell = 2, fakeValidateCell
	var vb bytes.Buffer
	_ = validation(vc)(context.Background(), &vb) // its verdict does not matter here
	files = append(files, writeFile(t, "validate.txt", vb.String()))
	if code, _, stderr := vmabench(t, "nightly", "-workload", "faults", "-strategy", "nolock", "-threads", "1",
		"-duration", "20ms", "-count", "2", "-calibration", "none", "-results", filepath.Join(dir, "results"),
		"-plots", filepath.Join(dir, "plots"), "-machine", "test-box"); code != 0 {
		t.Fatalf("nightly: exit %d: %s", code, stderr)
	}
	nights, _ := filepath.Glob(filepath.Join(dir, "results", "test-box", "*.txt"))
	if len(nights) != 1 {
		t.Fatalf("nightly files %v, want one", nights)
	}
	files = append(files, nights...)
	// benchstat reports a line it cannot read as "file:line: message" and
	// goes on, exit 0: the check looks for that, and is shown to see it.
	unread := func(f string) (bool, string) {
		out, err := exec.Command(goBin, "tool", "benchstat", f).CombinedOutput()
		return err != nil || strings.Contains(string(out), f+":"), string(out)
	}
	if bad, out := unread(writeFile(t, "bad.txt", "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=1 100 abc ns/op\n")); !bad {
		t.Fatalf("the check does not see benchstat fail to read a bad line:\n%s", out)
	}
	for _, f := range files {
		if data, _ := os.ReadFile(f); !strings.Contains(string(data), "\nBenchmark") && !strings.HasPrefix(string(data), "Benchmark") {
			continue
		}
		if bad, out := unread(f); bad {
			t.Errorf("benchstat cannot read %s:\n%s", f, out)
		}
	}
}
