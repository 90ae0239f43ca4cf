package report

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"vmabench/cell"
	"vmabench/runner"
)

// testHeader is a fixed machine header, so golden files do not depend on
// the machine that runs the tests.
var testHeader = []cell.KV{
	{Key: "goos", Value: "linux"},
	{Key: "goarch", Value: "amd64"},
	{Key: "pkg", Value: "vmabench"},
	{Key: "cpu", Value: "Test CPU @ 3.00GHz"},
	{Key: "kernel", Value: "6.18.44"},
	{Key: "gomaxprocs", Value: "2"},
	{Key: "vmabench-commit", Value: "unknown"},
}

// fixture returns one run with every kind of cell: two workloads with
// different configurations, an unsafe cell, GOMAXPROCS 1, and cells that
// deadlocked (with a multi-line detail full of colons), timed out and were
// skipped.
func fixture() []runner.Result {
	faults := []cell.KV{{Key: "vmas", Value: "16"}, {Key: "touch-bytes", Value: "64"}}
	churn := []cell.KV{{Key: "vmas", Value: "16"}, {Key: "region-pages", Value: "8"}}
	ok := func(w, s string, threads int, cfg []cell.KV, ops uint64, elapsed time.Duration, m ...runner.Metric) runner.Result {
		return runner.Result{Cell: cell.Cell{Workload: w, Strategy: s, Threads: threads, Procs: 2}, Config: cfg,
			Status: runner.StatusOK, Ops: ops, Elapsed: elapsed, Metrics: m}
	}
	unsafe := ok("faults-mmap", "nolock", 2, faults, 4000000, 1500*time.Millisecond, runner.Metric{Value: 2.5e6, Unit: "faults/s"})
	unsafe.Unsafe, unsafe.Violations = true, 17
	single := ok("faults", "mmaplock", 1, faults, 999, 1234567*time.Nanosecond)
	single.Procs = 1
	return []runner.Result{
		single,
		ok("faults", "vmarefcnt", 2, faults, 1000003, 1234567891*time.Nanosecond,
			runner.Metric{Value: 810000.5, Unit: "faults/s"}, runner.Metric{Value: 0.125, Unit: "fallbacks/op"},
			runner.Metric{Value: 950, Unit: "p99-ns"}, runner.Metric{Value: 12000, Unit: "writer-p99-ns"}),
		unsafe,
		{Cell: cell.Cell{Workload: "nested-fault", Strategy: "mmaplock", Threads: 2, Procs: 2}, Status: runner.StatusDeadlock,
			Elapsed: 2 * time.Second, Detail: "thread 0: holds vma 0x1000: read; waits mmap_lock: read\nthread 1: holds nothing; waits mmap_lock: write"},
		ok("mmap-churn", "vmaseq", 2, churn, 5000, 10*time.Millisecond),
		{Cell: cell.Cell{Workload: "nested-fault", Strategy: "kernel", Threads: 2, Procs: 2}, Status: runner.StatusSkipped,
			Detail: "nested-fault cannot run on the live kernel"},
		{Cell: cell.Cell{Workload: "maps-walk", Strategy: "vmawait", Threads: 2, Procs: 2}, Status: runner.StatusTimeout,
			Elapsed: 90 * time.Second},
		ok("mmap-churn", "vmaseq", 2, churn, 5000, 11*time.Millisecond),
	}
}

func writeAll(t *testing.T, header []cell.KV, rs []runner.Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteHeader(header); err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		if err := w.WriteResult(&rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestWriterGolden(t *testing.T) {
	checkGolden(t, "write.golden", writeAll(t, testHeader, fixture()))
}

// TestWriterBenchfmt reads the Writer's output with benchfmt, as benchstat
// does: no syntax errors, a result per OK cell, and no configuration but
// the header and each workload's keys, so status lines split no tables.
func TestWriterBenchfmt(t *testing.T) {
	rs := fixture()
	r := benchfmt.NewReader(bytes.NewReader(writeAll(t, testHeader, rs)), "write")
	var i int
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatal(rec)
		case *benchfmt.Result:
			for rs[i].Status != runner.StatusOK {
				i++
			}
			var want []string
			for _, kv := range append(slices.Clone(testHeader), rs[i].Config...) {
				want = append(want, kv.Key+": "+kv.Value)
			}
			var got []string
			for _, c := range rec.Config {
				got = append(got, c.Key+": "+string(c.Value))
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: config\n%q, want\n%q", rec.Name, got, want)
			}
			i++
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestWriterErrors(t *testing.T) {
	good := func() runner.Result {
		return runner.Result{Cell: cell.Cell{Workload: "faults", Strategy: "vmaseq", Threads: 2, Procs: 2}, Status: runner.StatusOK, Ops: 1, Elapsed: 1}
	}
	tests := []struct {
		name   string
		header []cell.KV
		edit   func(*runner.Result)
		want   string
	}{
		{"workload", nil, func(r *runner.Result) { r.Workload = "Faults" }, `report: workload "Faults" is not in [a-z0-9_-]+`},
		{"strategy", nil, func(r *runner.Result) { r.Strategy = "" }, `report: strategy "" is not in [a-z0-9_-]+`},
		{"threads", nil, func(r *runner.Result) { r.Threads = 0 }, `report: VMA/workload=faults/strategy=vmaseq/threads=0: threads 0 < 1`},
		{"gomaxprocs", nil, func(r *runner.Result) { r.Procs = 0 }, `report: VMA/workload=faults/strategy=vmaseq/threads=2: GOMAXPROCS 0 < 1`},
		{"status", nil, func(r *runner.Result) { r.Status = "" }, `report: VMA/workload=faults/strategy=vmaseq/threads=2-2: unknown status ""`},
		{"config key", nil, func(r *runner.Result) { r.Config = []cell.KV{{Key: "Vmas", Value: "1"}} },
			`report: VMA/workload=faults/strategy=vmaseq/threads=2-2: config key "Vmas" is not a lower-case word`},
		{"config colon", nil, func(r *runner.Result) { r.Config = []cell.KV{{Key: "a:b", Value: "1"}} },
			`report: VMA/workload=faults/strategy=vmaseq/threads=2-2: config key "a:b" is not a lower-case word`},
		{"config value", nil, func(r *runner.Result) { r.Config = []cell.KV{{Key: "vmas", Value: ""}} },
			`report: VMA/workload=faults/strategy=vmaseq/threads=2-2: config vmas: value "" is empty, padded or holds a newline`},
		{"config clash", testHeader, func(r *runner.Result) { r.Config = []cell.KV{{Key: "kernel", Value: "6"}} },
			`report: VMA/workload=faults/strategy=vmaseq/threads=2-2: config key "kernel" repeats`},
		{"unit", nil, func(r *runner.Result) { r.Metrics = []runner.Metric{{Value: 1, Unit: "faults per s"}} },
			`report: VMA/workload=faults/strategy=vmaseq/threads=2-2: metric unit "faults per s" is empty or holds a space`},
		{"reserved", nil, func(r *runner.Result) { r.Metrics = []runner.Metric{{Value: 1, Unit: "violations"}} },
			`report: VMA/workload=faults/strategy=vmaseq/threads=2-2: metric unit "violations" is reserved`},
		{"header", []cell.KV{{Key: "goos", Value: "linux"}, {Key: "goos", Value: "linux"}}, nil,
			`report: header: config key "goos" repeats`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWriter(new(bytes.Buffer))
			err := w.WriteHeader(tt.header)
			if err == nil {
				r := good()
				tt.edit(&r)
				err = w.WriteResult(&r)
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v, want %s", err, tt.want)
			}
		})
	}
}

func TestWriteHeaderTwice(t *testing.T) {
	w := NewWriter(new(bytes.Buffer))
	if err := w.WriteHeader(testHeader); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(testHeader); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("second WriteHeader: got %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterIOError(t *testing.T) {
	for _, r := range fixture()[2:4] {
		if err := NewWriter(failWriter{}).WriteResult(&r); err == nil || err.Error() != "report: disk full" {
			t.Errorf("%s %s: got %v, want report: disk full", r.Name(), r.Status, err)
		}
	}
}
