package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"vmabench/calib"
	"vmabench/internal/golden"
	"vmabench/kernel"
	"vmabench/report"
	"vmabench/runner"
	"vmabench/strategies"
	"vmabench/workloads"
)

func TestMain(m *testing.M) {
	// vmabench run starts this test binary again for each cell, as
	// "<binary> cell": it then acts as vmabench.
	if len(os.Args) > 1 && (os.Args[1] == cellName || os.Args[1] == projectCellName) {
		os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr)))
	}
	os.Exit(m.Run())
}

// vmabench runs run(args) and returns its exit status and output.
func vmabench(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = exitCode(run(args, &out, &errOut))
	return code, out.String(), errOut.String()
}

// writeFile writes a file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const goodResult = "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=1-2 100 50 ns/op\n"

func TestBadInput(t *testing.T) {
	good := writeFile(t, "good.txt", goodResult)
	bad := writeFile(t, "bad.txt", goodResult+"BenchmarkVMA/workload=faults/strategy=vmaseq/threads=1-2 100 abc ns/op\n")
	foreign := writeFile(t, "foreign.txt", "BenchmarkFoo 100 50 ns/op\n")
	missing := filepath.Join(t.TempDir(), "missing.txt")
	hint := func(cmd string) string { return "Run '" + cmd + " -h' for usage.\n" }
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown command", []string{"frob"}, 2,
			`vmabench: unknown command "frob" (valid: list, run, project, compare, plot, nightly, calibrate, validate, report)` + "\n" + hint("vmabench")},
		{"unknown flag", []string{"run", "-frob"}, 2,
			"vmabench run: flag provided but not defined: -frob\n" + hint("vmabench run")},
		{"unexpected argument", []string{"run", "faults"}, 2,
			`vmabench run: unexpected argument "faults"` + "\n" + hint("vmabench run")},
		{"unknown strategy", []string{"run", "-strategy", "vmaseq,vmafoo"}, 2,
			`vmabench run: -strategy: unknown strategy "vmafoo" (valid: mmaplock, vmaseq, vmarefcnt, vmawait, nolock, kernel)` + "\n" + hint("vmabench run")},
		{"unknown workload", []string{"run", "-workload", "fault"}, 2,
			`vmabench run: -workload: unknown workload "fault" (valid: faults, faults-shared, faults-mmap, faults-mprotect, mmap-churn, maps-walk, lookups, lookups-mmap, nested-fault, page_fault1, page_fault2, page_fault3, mmap1, mmap2, pft, zerocopy)` + "\n" + hint("vmabench run")},
		{"all and a name", []string{"run", "-strategy", "all,vmaseq"}, 2,
			`vmabench run: -strategy: "all,vmaseq": "all" cannot be combined with names` + "\n" + hint("vmabench run")},
		{"empty name", []string{"run", "-workload", "faults,"}, 2,
			`vmabench run: invalid value "faults," for flag -workload: empty name in list "faults,"` + "\n" + hint("vmabench run")},
		{"zero threads", []string{"run", "-threads", "0"}, 2,
			`vmabench run: invalid value "0" for flag -threads: 0 threads: want 1..256` + "\n" + hint("vmabench run")},
		{"negative threads", []string{"run", "-threads", "1,-2"}, 2,
			`vmabench run: invalid value "1,-2" for flag -threads: -2 threads: want 1..256` + "\n" + hint("vmabench run")},
		{"too many threads", []string{"run", "-threads", "257"}, 2,
			`vmabench run: invalid value "257" for flag -threads: 257 threads: want 1..256` + "\n" + hint("vmabench run")},
		{"unparsable threads", []string{"run", "-threads", "two"}, 2,
			`vmabench run: invalid value "two" for flag -threads: "two" is not a whole number` + "\n" + hint("vmabench run")},
		{"bad duration", []string{"run", "-duration", "3x"}, 2,
			`vmabench run: invalid value "3x" for flag -duration: not a duration (want e.g. 300ms, 2s, 1m)` + "\n" + hint("vmabench run")},
		{"duration without unit", []string{"run", "-warmup", "100"}, 2,
			`vmabench run: invalid value "100" for flag -warmup: not a duration (want e.g. 300ms, 2s, 1m)` + "\n" + hint("vmabench run")},
		{"negative duration", []string{"run", "-stall", "-1s"}, 2,
			`vmabench run: invalid value "-1s" for flag -stall: must not be negative` + "\n" + hint("vmabench run")},
		{"zero window", []string{"run", "-duration", "0"}, 2,
			"vmabench run: duration 0s: must be positive\n" + hint("vmabench run")},
		{"short timeout", []string{"run", "-duration", "1s", "-timeout", "1s"}, 2,
			"vmabench run: timeout 1s: must exceed warmup+duration (1.1s)\n" + hint("vmabench run")},
		{"zero count", []string{"run", "-count", "0"}, 2,
			"vmabench run: count 0: want at least 1\n" + hint("vmabench run")},
		{"bad knob", []string{"run", "-pages", "1"}, 2,
			"vmabench run: pages 1: want 2..4096\n" + hint("vmabench run")},
		{"size not a page multiple", []string{"run", "-size", "5000"}, 2,
			"vmabench run: size 5000: want a multiple of the page size (4096 bytes) from 8192 to 68719476736 (64 GiB)\n" + hint("vmabench run")},
		{"size unparsable", []string{"run", "-size", "12k"}, 2,
			`vmabench run: invalid value "12k" for flag -size: size "12k": want bytes or a number with KiB, MiB or GiB (128MiB)` + "\n" + hint("vmabench run")},
		{"size past memory", []string{"run", "-workload", "page_fault1", "-threads", "1", "-size", "64GiB"}, 2,
			fmt.Sprintf("vmabench run: size 64GiB: page_fault1 at 1 thread keeps %d MiB in memory, more than half of this machine's %d MiB (limit %d MiB)\n",
				64<<10, kernel.MemTotal()>>20, kernel.MemTotal()>>21) + hint("vmabench run")},
		{"bad seed", []string{"run", "-seed", "-1"}, 2,
			`vmabench run: invalid value "-1" for flag -seed: parse error` + "\n" + hint("vmabench run")},
		{"no cell", []string{"run", "-workload", "faults-mmap,maps-walk", "-threads", "1"}, 2,
			"vmabench run: no cell to run with threads [1]: faults-mmap needs 2, maps-walk needs 2\n" + hint("vmabench run")},
		{"list argument", []string{"list", "all"}, 2,
			`vmabench list: unexpected argument "all"` + "\n" + hint("vmabench list")},
		{"compare one file", []string{"compare", good}, 2,
			"vmabench compare: want 2 results files, OLD and NEW; got 1\n" + hint("vmabench compare")},
		{"compare bad alpha", []string{"compare", "-alpha", "1", good, good}, 2,
			"vmabench compare: -alpha 1, -threshold 0.05: want levels in [0, 1), 0 for the default\n" + hint("vmabench compare")},
		{"compare malformed", []string{"compare", good, bad}, 1,
			bad + ":2: parsing measurement: invalid syntax\n"},
		{"compare foreign", []string{"compare", foreign, good}, 1,
			foreign + ":1: BenchmarkFoo: want VMA/workload=W/strategy=S/threads=N[-GOMAXPROCS]\n"},
		{"compare missing", []string{"compare", good, missing}, 1,
			"vmabench: report: open " + missing + ": no such file or directory\n"},
		{"validate zero count", []string{"validate", "-count", "0"}, 2,
			"vmabench validate: count 0: want at least 1\n" + hint("vmabench validate")},
		{"validate tolerance below 1", []string{"validate", "-tolerance", "0.5"}, 2,
			"vmabench validate: tolerance 0.5: want a factor above 1, e.g. 1.5\n" + hint("vmabench validate")},
		{"validate kernel as design", []string{"validate", "-design", "kernel"}, 2,
			`vmabench validate: design "kernel": not a model` + "\n" + hint("vmabench validate")},
		{"validate bad profile", []string{"validate", "-calibration", bad}, 1,
			"vmabench: bad calibration profile: " + bad + `:1: "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=1-2 100 50 ns/op" is not a "key: value" line` + "\n"},
		{"run missing profile", []string{"run", "-workload", "faults", "-calibration", missing}, 1,
			"vmabench: calibration profile: open " + missing + ": no such file or directory\n"},
		{"calibrate argument", []string{"calibrate", "now"}, 2,
			`vmabench calibrate: unexpected argument "now"` + "\n" + hint("vmabench calibrate")},
		{"plot nothing", []string{"plot"}, 2,
			"vmabench plot: want at least one results file\n" + hint("vmabench plot")},
		{"plot malformed", []string{"plot", "-o", t.TempDir(), good, bad}, 1,
			bad + ":2: parsing measurement: invalid syntax\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := vmabench(t, tt.args...)
			if code != tt.code || stderr != tt.stderr {
				t.Errorf("vmabench %q: exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", tt.args, code, stderr, tt.code, tt.stderr)
			}
			if stdout != "" {
				t.Errorf("vmabench %q: unexpected stdout:\n%s", tt.args, stdout)
			}
		})
	}
}

// TestCalibrate measures a profile into a file (-o) that parses back, and
// prints it with the models' work.
func TestCalibrate(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the live kernel")
	}
	out := filepath.Join(t.TempDir(), "sub", "profile.txt")
	code, stdout, stderr := vmabench(t, "calibrate", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	p, err := calib.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.Fault <= 0 || p.Kernel == "" {
		t.Errorf("profile %+v", p)
	}
	for _, want := range []string{out + ":\n", "fault-ns: ", "model work per operation", "mincore: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"list", "-h"}, {"run", "-h"}, {"compare", "-h"}, {"plot", "-h"}, {"calibrate", "-h"}, {"validate", "-h"}} {
		code, stdout, stderr := vmabench(t, args...)
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Usage") && !strings.HasPrefix(stdout, "vmabench compares") {
			t.Errorf("vmabench %q: exit %d, stderr %q, stdout:\n%s", args, code, stderr, stdout)
		}
	}
}

// TestList compares vmabench list with testdata/list.golden.
func TestList(t *testing.T) {
	code, stdout, stderr := vmabench(t, "list")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	golden.Check(t, "testdata/list.golden", []byte(stdout))
}

// TestReadmeTables checks that README.md lists the registries as they are.
func TestReadmeTables(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString("| strategy | what it models |\n|---|---|\n")
	for _, s := range strategies.List() {
		want.WriteString("| `" + s.Name + "` | " + s.Description + " |\n")
	}
	want.WriteString("\n| workload | threads | what each thread does |\n|---|---|---|\n")
	for _, w := range workloads.List() {
		want.WriteString("| `" + w.Name + "` | " + strconv.Itoa(w.MinThreads) + "+ | " + w.Description + " |\n")
	}
	if !strings.Contains(string(readme), want.String()) {
		t.Errorf("README.md does not hold the registries' tables; they are now:\n\n%s", want.String())
	}
	var peers strings.Builder
	peers.WriteString("| workload | follows |\n|---|---|\n")
	for _, w := range workloads.List() {
		if w.Peer != "" {
			peers.WriteString("| `" + w.Name + "` | " + w.Peer + " |\n")
		}
	}
	if !strings.Contains(string(readme), peers.String()) {
		t.Errorf("README.md does not hold the table of the workloads that follow a peer; it is now:\n\n%s", peers.String())
	}
}

// quickRun is a small real matrix: two strategies under faults, one
// thread, short windows.
func quickRun(out string, count int) []string {
	return []string{"run", "-strategy", "nolock,vmaseq", "-workload", "faults", "-threads", "1",
		"-duration", "30ms", "-warmup", "10ms", "-count", strconv.Itoa(count), "-calibration", "none", "-o", out}
}

// TestRunOutputFile runs a small matrix into a file that exists, and checks
// that the file is replaced whole: every cell, a header, no temporary file
// left, and the table on stdout.
func TestRunOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(out, []byte("previous\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := vmabench(t, quickRun(out, 1)...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	f, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Results) != 2 || f.Results[0].Strategy != "nolock" || f.Results[1].Strategy != "vmaseq" {
		t.Errorf("got %d results, want nolock and vmaseq: %+v", len(f.Results), f.Results)
	}
	for _, r := range f.Results {
		if r.Status != runner.StatusOK || r.Ops == 0 {
			t.Errorf("%s: %s %s, %d ops", r.Name(), r.Status, r.Detail, r.Ops)
		}
	}
	if len(f.Header) == 0 {
		t.Error("no header")
	}
	assertNoTemp(t, dir)
	if !strings.Contains(stdout, "median of the repetitions") || !strings.Contains(stdout, "vmaseq") {
		t.Errorf("stdout has no table:\n%s", stdout)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	tmp, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// TestRunInterrupted interrupts a run with SIGINT once some cells are in
// its temporary file: the run must exit 130 and keep exactly the finished
// cells, and the destination must not change before that.
func TestRunInterrupted(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(out, []byte("previous\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.code, r.stdout, r.stderr = vmabench(t, quickRun(out, 50)...)
		done <- r
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tmp, _ := filepath.Glob(filepath.Join(dir, ".out.txt.*.tmp"))
		if len(tmp) == 1 {
			data, _ := os.ReadFile(tmp[0])
			if bytes.Count(data, []byte("\nBenchmarkVMA/")) >= 2 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no cell written to the temporary file in 30s")
		}
		if data, _ := os.ReadFile(out); string(data) != "previous\n" {
			t.Fatalf("destination changed before the run ended: %q", data)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 130 {
		t.Errorf("exit %d, want 130; stderr:\n%s", r.code, r.stderr)
	}
	f, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	n := len(f.Results)
	if n < 2 || n >= 100 {
		t.Fatalf("kept %d cells, want the finished ones, 2 to 99", n)
	}
	for _, r := range f.Results {
		if r.Status != runner.StatusOK {
			t.Errorf("%s: %s %s", r.Name(), r.Status, r.Detail)
		}
	}
	want := "vmabench: interrupted after " + strconv.Itoa(n) + " of 100 cells; " + strconv.Itoa(n) + " finished cells kept in " + out + "\n"
	if r.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
	}
	assertNoTemp(t, dir)
}
