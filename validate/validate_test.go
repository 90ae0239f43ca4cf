package validate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"vmabench/calib"
	"vmabench/cell"
	"vmabench/internal/golden"
	"vmabench/mm"
	"vmabench/runner"
	"vmabench/units"
	"vmabench/verdict"
)

// fakeCell returns a fake OK result: reader is the reader class's rate
// (faults/s or lookups/s), writes the writer's (writes/s, also the reader
// class of mmap-churn), over a 1s window with ops operations.
func fakeCell(strategy, workload string, threads int, rate, writes float64, ops uint64) runner.Result {
	r := runner.Result{Cell: cell.Cell{Strategy: strategy, Workload: workload, Threads: threads, Procs: 2},
		Status: runner.StatusOK, Ops: ops, Elapsed: time.Second}
	switch workload {
	case "faults", "faults-mmap", "faults-mprotect", "faults-shared", "page_fault1", "page_fault2", "page_fault3", "pft":
		r.Metrics = append(r.Metrics, runner.Metric{Value: rate, Unit: "faults/s"})
	case "lookups", "lookups-mmap":
		r.Metrics = append(r.Metrics, runner.Metric{Value: rate, Unit: "lookups/s"})
	}
	if writes > 0 {
		r.Metrics = append(r.Metrics, runner.Metric{Value: writes, Unit: "writes/s"})
	}
	if workload == "lookups-mmap" {
		// The sleeps: the live kernel reports no lock events.
		r.Metrics = append(r.Metrics, runner.Metric{Value: 0.1, Unit: units.ReaderSleeps}, runner.Metric{Value: 0.25, Unit: units.WriterSleeps})
		if strategy != "kernel" {
			r.Metrics = append(r.Metrics, runner.Metric{Value: 0, Unit: units.WriterSpinTimeouts}, runner.Metric{Value: 0.5, Unit: units.ReaderSteals})
		}
	}
	return r
}

// fakeRun returns the cells of a validation of vmarefcnt, count times, with
// the model's figures scaled by the factors in skew (by experiment input)
// and a little spread between repetitions, so the medians matter.
func fakeRun(count int, skew map[string]float64) []runner.Result {
	return fakeRunLocks(count, skew, true)
}

// fakeRunLocks is fakeRun (which leaves the lock rows' figures out), with
// them unless skipLocks.
func fakeRunLocks(count int, skew map[string]float64, skipLocks bool) []runner.Result {
	f := func(k string) float64 {
		if v, ok := skew[k]; ok {
			return v
		}
		return 1
	}
	var out []runner.Result
	for rep := range count {
		j := 1 + 0.01*float64(rep-count/2) // 0.99, 1, 1.01: the median is the middle one
		for _, s := range []string{"kernel", "mmaplock", "vmarefcnt"} {
			m := func(k string) float64 {
				if s == "kernel" {
					return j
				}
				return j * f(s+"/"+k)
			}
			if s != "vmarefcnt" {
				out = append(out,
					fakeCell(s, "lookups", 1, 700e3*m("lookups"), 0, 700e3),
					fakeCell(s, "lookups-mmap", 2, 150e3*m("lookups-mmap"), 40e3*m("lookups-mmap-w"), 190e3))
			}
			if s != "vmarefcnt" && !skipLocks {
				// The lock rows' cells: the kernel's traced (and slowed
				// by its tracepoints, which the rate rows must not see),
				// the model's own lock times.
				rate := 150e3 * m("lookups-mmap")
				if s == "kernel" {
					rate /= 2
					out = append(out, fakeCell(s, "lookups-mmap", 2, rate, 20e3*m("lookups-mmap-w"), 170e3))
				}
				r := &out[len(out)-1]
				r.Metrics = append(r.Metrics,
					runner.Metric{Value: 400 * m("lock-wait"), Unit: units.LockWait},
					runner.Metric{Value: 400 * m("lock-wait"), Unit: units.MmapLockWait},
					runner.Metric{Value: 10e3 * m("writer-wait"), Unit: units.WriterLockWait})
			}
			// mmap-churn: 3µs a pair (333e3 writes/s, one op a pair)
			out = append(out, fakeCell(s, "mmap-churn", 1, 0, 333e3*m("mmap-churn"), uint64(333e3*m("mmap-churn"))))
			if s != "mmaplock" {
				out = append(out,
					fakeCell(s, "faults", 1, 620e3*m("faults"), 0, 620e3),
					fakeCell(s, "faults-mmap", 2, 400e3*m("faults-mmap"), 30e3, 430e3),
					fakeCell(s, "faults-mprotect", 2, 100e3*m("faults-mprotect"), 20e3, 120e3))
				// The field's shapes: each at 1 thread, and the scaling
				// ones at 2 (testConfig's ScalingThreads), 1.8x (mmap1
				// 1.1x) as fast, times the skew of "<workload>@2".
				for _, w := range []string{"page_fault1", "page_fault2", "page_fault3", "pft", "faults-shared"} {
					out = append(out, fakeCell(s, w, 1, 300e3*m(w), 0, 300e3))
				}
				for _, w := range []string{"mmap1", "mmap2"} {
					out = append(out, fakeCell(s, w, 1, 0, 200e3*m(w), 200e3))
				}
				for _, w := range []string{"page_fault1", "page_fault3", "pft"} {
					out = append(out, fakeCell(s, w, 2, 1.8*300e3*m(w)*f(s+"/"+w+"@2"), 0, 540e3))
				}
				out = append(out, fakeCell(s, "mmap1", 2, 0, 1.1*200e3*m("mmap1")*f(s+"/mmap1@2"), 220e3))
				// The processes rows' pairs: each scaling shape in two
				// processes side by side, 0.85x as fast each (1.7x in
				// all), times the skew of "<workload>-processes".
				for _, w := range []string{"page_fault1", "mmap1", "pft", "page_fault3"} {
					for range 2 {
						rate, writes := 0.85*300e3*m(w)*f(s+"/"+w+"-processes"), 0.0
						if w == "mmap1" {
							rate, writes = 0, 0.85*200e3*m(w)*f(s+"/"+w+"-processes")
						}
						r := fakeCell(s, w, 1, rate, writes, 255e3)
						r.Config = append(r.Config, cell.KV{Key: processesKey, Value: "2"})
						out = append(out, r)
					}
				}
			}
		}
	}
	return out
}

func testConfig() Config {
	c := DefaultConfig()
	c.Release, c.Design = "6.18.44", "vmarefcnt"
	c.ScalingThreads = []int{2}
	c.Processes = true // as on two CPUs or more, wherever the test runs
	return c
}

// TestCompute: the rows from injected cell results, for a model that
// agrees with the kernel, and for one whose reader suffers twice the
// kernel's penalty under the writer and whose faults run 1.6x slower.
func TestCompute(t *testing.T) {
	tests := []struct {
		name   string
		skew   map[string]float64
		single Single
		failed []string
		ratios map[string]float64
	}{
		{"agrees", nil, Single{3000, 2900}, nil, map[string]float64{
			"reader-penalty": 1, "writer-penalty": 1, "fault-mmap-penalty": 1, "fault-mprotect-penalty": 1,
			"fault-ns": 1, "mmap-munmap-ns": 1, "mprotect-ns": 2900.0 / 3000, "round-trip-ns": 1,
		}},
		{"disagrees", map[string]float64{"mmaplock/lookups-mmap": 0.5, "vmarefcnt/faults": 1 / 1.6, "vmarefcnt/faults-mmap": 1 / 1.6, "mmaplock/lookups-mmap-w": 1 / 2.5},
			Single{3000, 4600}, []string{"reader-penalty", "writer-penalty", "fault-mprotect-penalty", "fault-ns", "mprotect-ns", "round-trip-ns"},
			map[string]float64{"reader-penalty": 2, "writer-penalty": 2.5, "fault-mmap-penalty": 1, "fault-mprotect-penalty": 1 / 1.6, "fault-ns": 1.6, "round-trip-ns": 2.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Compute(testConfig(), fakeRun(3, tt.skew), tt.single)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, row := range rep.Rows {
				if !row.OK {
					failed = append(failed, row.Name)
				}
				if want, ok := tt.ratios[row.Name]; ok && (row.Ratio < want*0.999 || row.Ratio > want*1.001) {
					t.Errorf("%s: ratio %v, want %v (kernel %v, model %v)", row.Name, row.Ratio, want, row.KernelValue, row.ModelValue)
				}
			}
			if strings.Join(failed, ",") != strings.Join(tt.failed, ",") {
				t.Errorf("rows out of tolerance %v, want %v", failed, tt.failed)
			}
			err = rep.Err()
			switch {
			case len(tt.failed) == 0 && err != nil:
				t.Errorf("Err() = %v, want nil", err)
			case len(tt.failed) > 0 && (err == nil || err.Error() != fmt.Sprintf("%d of %d rows: %d disagree (%s)", len(tt.failed), len(rep.Rows), len(tt.failed), strings.Join(tt.failed, ", "))):
				t.Errorf("Err() = %v, want the %d rows %v named", err, len(tt.failed), tt.failed)
			}
		})
	}
}

// TestComputeFigures: the figures themselves, from the medians: penalties
// are rate alone over rate beside, costs ns per operation.
func TestComputeFigures(t *testing.T) {
	rep, err := Compute(testConfig(), fakeRun(3, nil), Single{3000, 3000})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"reader-penalty":         700e3 / 150e3,
		"writer-penalty":         2 * 333e3 / 40e3,
		"fault-mmap-penalty":     620e3 / 400e3,
		"fault-mprotect-penalty": 620e3 / 100e3,
		"fault-ns":               1e9 / 620e3,
		"mmap-munmap-ns":         1e9 / 333e3,
		"mprotect-ns":            3000,
		"round-trip-ns":          1e9 / 40e3,
		"page_fault1-ns":         1e9 / 300e3,
		"page_fault2-ns":         1e9 / 300e3,
		"page_fault3-ns":         1e9 / 300e3,
		"mmap1-ns":               1e9 / 200e3,
		"mmap2-ns":               1e9 / 200e3,
		"pft-ns":                 1e9 / 300e3,
		"faults-shared-ns":       1e9 / 300e3,
		"page_fault1-scaling":    1.8,
		"mmap1-scaling":          1.1,
		"pft-scaling":            1.8,
		"page_fault3-scaling":    1.8,
		// Two processes at 0.85x each: and page_fault1-ns above is
		// the cell alone's, not theirs.
		"page_fault1-processes": 1.7,
		"page_fault1-mm-share":  1.8 / 1.7,
		"mmap1-processes":       1.7,
		"mmap1-mm-share":        1.1 / 1.7,
		"pft-processes":         1.7,
		"pft-mm-share":          1.8 / 1.7,
		"page_fault3-processes": 1.7,
		"page_fault3-mm-share":  1.8 / 1.7,
	}
	for _, row := range rep.Rows {
		if w := want[row.Name]; row.KernelValue < w*0.999 || row.KernelValue > w*1.001 {
			t.Errorf("%s: kernel %v, want %v", row.Name, row.KernelValue, w)
		}
	}
	if len(rep.Rows) != len(want) {
		t.Errorf("%d rows, want %d", len(rep.Rows), len(want))
	}
}

// TestSpread: each side's spread pairs the cells of one repetition, and a
// row whose kernel figure moves by more than the tolerance across the
// repetitions is named under the table, whatever its verdict.
func TestSpread(t *testing.T) {
	results := fakeRun(3, nil)
	// The kernel's reader beside the writer at 150e3, 100e3 and 200e3
	// lookups/s: reader-penalty 4.67x, 7x and 3.5x, a 2x spread, while
	// the medians still agree with the model's.
	rates := []float64{150e3, 100e3, 200e3}
	for n := range rates {
		rates[n] *= 1 + 0.01*float64(n-1)
	}
	setKernelRates(results, "lookups/s", rates)
	rep, err := Compute(testConfig(), results, Single{3000, 3000})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rep.Rows {
		want := 1.0
		switch row.Name {
		case "reader-penalty":
			if row.KernelSpread < 1.99 || row.KernelSpread > 2.01 {
				t.Errorf("reader-penalty: kernel spread %v, want 2", row.KernelSpread)
			}
		case "fault-ns", "mmap-munmap-ns", "round-trip-ns":
			want = 1.01 / 0.99
		case "page_fault1-ns", "page_fault2-ns", "page_fault3-ns", "mmap1-ns", "mmap2-ns", "pft-ns", "faults-shared-ns":
			want = 1.01 / 0.99
		case "mprotect-ns":
			if !math.IsNaN(row.KernelSpread) || !math.IsNaN(row.ModelSpread) {
				t.Errorf("mprotect-ns: spreads %v / %v, want NaN: it is timed once", row.KernelSpread, row.ModelSpread)
			}
			continue
		}
		if row.ModelSpread < want*0.999 || row.ModelSpread > want*1.001 {
			t.Errorf("%s: model spread %v, want %v", row.Name, row.ModelSpread, want)
		}
	}
	var got []string
	for _, row := range rep.Unsteady() {
		got = append(got, row.Name)
	}
	if strings.Join(got, " ") != "reader-penalty" {
		t.Errorf("Unsteady() = %v, want reader-penalty", got)
	}
	table := tableOf(t, rep)
	if !strings.Contains(table, "reader-penalty: the kernel's own figure moved 2.00x across its repetitions") {
		t.Errorf("table does not name the unsteady row:\n%s", table)
	}
}

// TestComputeMissing: a row whose cell is missing or measured nothing is an
// error naming it, never a row of zeros.
func TestComputeMissing(t *testing.T) {
	all := fakeRun(1, nil)
	tests := []struct {
		name string
		drop func(r runner.Result) bool
		zero func(r *runner.Result) bool
		want string
	}{
		{"no kernel lookups", func(r runner.Result) bool { return r.Strategy == "kernel" && r.Workload == "lookups" }, nil,
			"reader-penalty: no lookups/s result of lookups on kernel at 1 threads"},
		{"no model faults-mprotect", func(r runner.Result) bool { return r.Strategy == "vmarefcnt" && r.Workload == "faults-mprotect" }, nil,
			"fault-mprotect-penalty: no faults/s result of faults-mprotect on vmarefcnt at 2 threads"},
		{"zero writes", nil, func(r *runner.Result) bool {
			if r.Strategy == "mmaplock" && r.Workload == "lookups-mmap" {
				r.Metrics[1].Value = 0
				return true
			}
			return false
		}, "writer-penalty: writes/s of lookups-mmap on mmaplock at 2 threads is 0: the cell measured nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rs []runner.Result
			for _, r := range all {
				if tt.drop != nil && tt.drop(r) {
					continue
				}
				r.Metrics = append([]runner.Metric(nil), r.Metrics...)
				if tt.zero != nil {
					tt.zero(&r)
				}
				rs = append(rs, r)
			}
			_, err := Compute(testConfig(), rs, Single{3000, 3000})
			if err == nil || err.Error() != tt.want {
				t.Errorf("Compute: %v\nwant %q", err, tt.want)
			}
		})
	}
	if _, err := Compute(testConfig(), all, Single{}); err == nil || !strings.Contains(err.Error(), "mprotect-ns") {
		t.Errorf("Compute without the mprotect costs: %v", err)
	}
}

// TestTableGolden: the printed table of the disagreeing run, on a busy
// machine, is testdata/table.golden.
func TestTableGolden(t *testing.T) {
	rep, err := Compute(testConfig(), fakeRun(3, map[string]float64{"mmaplock/lookups-mmap": 0.5}), Single{3000, 2900})
	if err != nil {
		t.Fatal(err)
	}
	rep.CPUs, rep.LoadStart, rep.LoadEnd, rep.CPUIdle = 2, 1.5, 2.25, "haltpoll,halt-poll-ns=0"
	rep.Clamped = []calib.Clamp{{Op: "munmap", Own: 1043, Kernel: 666}}
	table := tableOf(t, rep)
	golden.Check(t, filepath.Join("testdata", "table.golden"), []byte(table))
}

// TestLoadLine: the machine is called busy by the load at the start alone,
// since the end's figure counts validate's own threads.
func TestLoadLine(t *testing.T) {
	for _, tt := range []struct {
		start, end float64
		busy       bool
	}{
		{0.1, 1.9, false}, // quiet: the end is validate's own two threads
		{1.0, 2.5, false},
		{1.5, 1.2, true},
		{3.0, 3.0, true},
	} {
		rep := Report{Release: "6.18", Design: "vmarefcnt", CPUs: 2, LoadStart: tt.start, LoadEnd: tt.end}
		table := tableOf(t, rep)
		if got := strings.Contains(table, "a busy machine"); got != tt.busy {
			t.Errorf("load %.2f then %.2f on 2 CPUs: busy %v, want %v:\n%s", tt.start, tt.end, got, tt.busy, table)
		}
	}
}

// TestTransferLine: the table says the line transfer at the start and the
// end, and that the host moved the vCPUs when the two are over 1.25x
// apart; without a measurement (one CPU) it says nothing.
func TestTransferLine(t *testing.T) {
	for _, tt := range []struct {
		start, end float64
		line       string
		moved      bool
	}{
		{54, 48, "line transfer between the first two CPUs 54 ns at the start, 48 ns at the end\n", false},
		{216, 53, "216 ns at the start, 53 ns at the end, 4.1x apart: the host moved the vCPUs", true},
		{0, 0, "", false},
	} {
		rep := Report{Release: "6.18", Design: "vmarefcnt", CPUs: 2, LoadStart: -1, LoadEnd: -1, TransferStart: tt.start, TransferEnd: tt.end}
		table := tableOf(t, rep)
		if tt.line == "" && strings.Contains(table, "line transfer") || !strings.Contains(table, tt.line) || strings.Contains(table, "moved the vCPUs") != tt.moved {
			t.Errorf("transfer %v then %v: table\n%s\nwant a line containing %q (moved %v)", tt.start, tt.end, table, tt.line, tt.moved)
		}
	}
}

// TestCPUFactorLine: the table says how far the other CPUs' kernel work
// strayed from the first's over the run, and what that does to the rows
// once it strays past calib.SymmetricWithin; without checks (one CPU) it
// says nothing.
func TestCPUFactorLine(t *testing.T) {
	for _, tt := range []struct {
		lo, hi float64
		checks int
		line   string
		unlike bool
	}{
		{1, 1, 7, "the other CPUs' faults and mmaps took 1.00x to 1.00x the first CPU's in 7 checks (start, each repetition, end)\n", false},
		{0.96, 1.05, 7, "took 0.96x to 1.05x the first CPU's in 7 checks", false},
		{0.72, 1.37, 7, "took 0.72x to 1.37x the first CPU's in 7 checks (start, each repetition, end): the host slowed one vCPU's kernel work at a time", true},
		{1, 1.33, 2, "took 1.00x to 1.33x", true},
		{0, 0, 0, "", false},
	} {
		rep := Report{Release: "6.18", Design: "vmarefcnt", CPUs: 2, LoadStart: -1, LoadEnd: -1, CPUFactorLo: tt.lo, CPUFactorHi: tt.hi, CPUChecks: tt.checks}
		table := tableOf(t, rep)
		if tt.line == "" && strings.Contains(table, "CPUs' faults") || !strings.Contains(table, tt.line) || strings.Contains(table, "slowed one vCPU") != tt.unlike {
			t.Errorf("factors %v to %v: table\n%s\nwant a line containing %q (unlike %v)", tt.lo, tt.hi, table, tt.line, tt.unlike)
		}
	}
}

// TestBenchfmt: the benchfmt file reads back with benchfmt: the cells, then
// one result per row with its four values, its two spreads where it has
// repetitions, and the validate configuration.
func TestBenchfmt(t *testing.T) {
	rep, err := Compute(testConfig(), fakeRun(3, map[string]float64{"mmaplock/lookups-mmap": 0.5}), Single{3000, 2900})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.WriteBenchfmt(&b, []cell.KV{{Key: "goos", Value: "linux"}, {Key: "kernel", Value: "6.18.44"}}); err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(&b, "validate.txt")
	cells, rows := 0, map[string][]benchfmt.Value{}
	for rd.Scan() {
		switch r := rd.Result().(type) {
		case *benchfmt.Result:
			name := string(r.Name)
			if strings.HasPrefix(name, "Validate/") {
				rows[name] = append([]benchfmt.Value(nil), r.Values...)
				if r.GetConfig("validate-design") != "vmarefcnt" || r.GetConfig("validate-tolerance") != "1.25" || r.GetConfig("kernel") != "6.18.44" {
					t.Errorf("%s: configuration %v", name, r.Config)
				}
			} else {
				cells++
			}
		case *benchfmt.SyntaxError:
			t.Fatal(r)
		}
	}
	if cells != len(rep.Results) {
		t.Errorf("%d cells read back, want %d", cells, len(rep.Results))
	}
	v := rows["Validate/experiment=reader-penalty/model=mmaplock"]
	// benchfmt tidies a unit in ns to sec; OrigUnit keeps what was written.
	unit := func(v benchfmt.Value) string {
		if v.OrigUnit != "" {
			return v.OrigUnit
		}
		return v.Unit
	}
	if len(v) != 9 || unit(v[0]) != "kernel-x" || unit(v[1]) != "model-x" || unit(v[2]) != "ratio" || unit(v[3]) != "within" || v[3].Value != 0 ||
		unit(v[4]) != "ratio-lo" || unit(v[5]) != "ratio-hi" || unit(v[6]) != "verdict" || v[6].Value != -1 ||
		unit(v[7]) != "spread-kernel" || unit(v[8]) != "spread-model" || v[7].Value != 1 {
		t.Errorf("reader-penalty values %v", v)
	}
	if v := rows["Validate/experiment=fault-ns/model=vmarefcnt"]; len(v) != 9 || unit(v[0]) != "kernel-ns" || v[0].OrigValue < 1612 || v[0].OrigValue > 1613 || v[3].Value != 1 || v[6].Value != 1 {
		t.Errorf("fault-ns values %v", v)
	}
	if v := rows["Validate/experiment=mprotect-ns/model=vmarefcnt"]; len(v) != 5 {
		t.Errorf("mprotect-ns, timed once, has no interval and no spreads: values %v", v)
	}
	if len(rows) != len(rep.Rows) {
		t.Errorf("%d rows read back, want %d", len(rows), len(rep.Rows))
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"default", func(*Config) {}, ""},
		{"zero count", func(c *Config) { c.Count = 0 }, "count 0: want at least 1"},
		{"tolerance 1", func(c *Config) { c.Tolerance = 1 }, "tolerance 1: want a factor above 1, e.g. 1.5"},
		{"round trip 0.5", func(c *Config) { c.RoundTripTolerance = 0.5 }, "round-trip tolerance 0.5: want a factor above 1, e.g. 2"},
		{"unknown design", func(c *Config) { c.Design = "vmafoo" }, `design: unknown strategy "vmafoo"`},
		{"kernel as design", func(c *Config) { c.Design = "kernel" }, `design "kernel": not a model`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			tt.edit(&c)
			err := c.Validate()
			if (err == nil) != (tt.want == "") || err != nil && !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRunFailures: a kernel cell that cannot run makes Run fail with
// ErrKernel and the cell's reason; a model cell that fails, with its
// reason; neither gives a report.
func TestRunFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the live kernel")
	}
	tests := []struct {
		name     string
		strategy string
		kernel   bool
	}{
		{"kernel cell", "kernel", true},
		{"model cell", "mmaplock", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			c.Count = 1
			c.RunCell = func(_ context.Context, rc runner.Config) (runner.Result, error) {
				r := fakeCell(rc.Strategy, rc.Workload, rc.Threads, 1e6, 1e4, 1e6)
				if rc.Strategy == tt.strategy && rc.Workload == "lookups-mmap" {
					r.Status, r.Detail = runner.StatusError, "setup: mmap: operation not permitted"
				}
				return r, nil
			}
			rep, err := Run(context.Background(), c)
			if err == nil {
				t.Fatalf("Run succeeded: %+v", rep.Rows)
			}
			if errors.Is(err, ErrKernel) != tt.kernel || !strings.Contains(err.Error(), "mmap: operation not permitted") ||
				!strings.Contains(err.Error(), "workload=lookups-mmap/strategy="+tt.strategy) {
				t.Errorf("Run: %v; want the cell and its reason, ErrKernel %v", err, tt.kernel)
			}
		})
	}
}

// TestRunFresh: with Fresh, each repetition's cells run with work derived
// from the profile measured just before it, and say so; without it, with
// the base's work as given.
func TestRunFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the live kernel")
	}
	for _, fresh := range []bool{false, true} {
		c := testConfig()
		c.Count, c.Fresh = 2, fresh
		c.Base.Load.Work = mm.Work{Fault: 1, IterPerNs: 1}
		given := []calib.Clamp{{Op: "munmap", Own: 900, Kernel: 700}} // the given calibration's clamps
		c.Clamped = given
		seen := map[string]mm.Work{} // the calibration line of each model cell
		var mu sync.Mutex            // the processes row's pair runs at once
		c.RunCell = func(_ context.Context, rc runner.Config) (runner.Result, error) {
			mu.Lock()
			defer mu.Unlock()
			if rc.Strategy != "kernel" {
				line := "none"
				if len(rc.Load.Calibration) > 0 {
					line = rc.Load.Calibration[0].Value
				}
				seen[line] = rc.Load.Work
			}
			return fakeCell(rc.Strategy, rc.Workload, rc.Threads, 1e6, 1e4, 1e6), nil
		}
		rep, err := Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if !fresh {
			if w, ok := seen["none"]; len(seen) != 1 || !ok || w != c.Base.Load.Work {
				t.Errorf("not fresh: cells ran with %v, want the base's work alone", seen)
			}
			if !slices.Equal(rep.Clamped, given) {
				t.Errorf("not fresh: report's clamps %v, want the given calibration's %v", rep.Clamped, given)
			}
			continue
		}
		if slices.ContainsFunc(rep.Clamped, func(x calib.Clamp) bool { return x == given[0] }) {
			t.Errorf("fresh: report's clamps %v name the given calibration's, not the fresh profiles'", rep.Clamped)
		}
		for rep := 1; rep <= 2; rep++ {
			w, ok := seen[fmt.Sprintf("measured by validate before repetition %d", rep)]
			if !ok || w.Syscall <= 0 || w.Trap <= 0 || w.IterPerNs <= 0 { // the kernel's own costs; a model slower than the kernel (under -race) gets 0 work elsewhere
				t.Errorf("fresh: repetition %d's cells ran with %+v (found %v); want work derived from a fresh profile", rep, w, ok)
			}
		}
		if len(seen) != 2 {
			t.Errorf("fresh: %d calibrations among the cells, want one per repetition: %v", len(seen), seen)
		}
	}
}

// TestRunRetriesStarvedCell: a cell starved of its CPUs is run again; one
// starved three times makes Run fail naming it and why.
func TestRunRetriesStarvedCell(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the live kernel")
	}
	for _, tt := range []struct {
		name    string
		starved int // times the kernel lookups cell comes back empty
		wantErr string
	}{
		{"once", 1, ""},
		{"always", 3, "VMA/workload=lookups/strategy=kernel/threads=1-2: starved: no operation finished in the timed window (0 of 1 threads joined it), three times: the machine is too busy to validate on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			c.Count = 1
			starved := tt.starved
			c.RunCell = func(_ context.Context, rc runner.Config) (runner.Result, error) {
				r := fakeCell(rc.Strategy, rc.Workload, rc.Threads, 1e6, 1e4, 1e6)
				if rc.Strategy == "kernel" && rc.Workload == "lookups" && starved > 0 {
					starved--
					r.Ops, r.Metrics = 0, nil
					r.Status, r.Detail = runner.StatusError, "starved: no operation finished in the timed window (0 of 1 threads joined it)"
				}
				return r, nil
			}
			_, err := Run(context.Background(), c)
			if got := fmt.Sprint(err); tt.wantErr == "" && err != nil || tt.wantErr != "" && got != tt.wantErr {
				t.Errorf("Run: %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestLockRows: the lock rows from the traced kernel cell and the model's
// own lock times; the traced cell's slower rates stay out of the rate
// rows; and with no lock figures the rows are left out, saying why.
func TestLockRows(t *testing.T) {
	rep, err := Compute(testConfig(), fakeRunLocks(3, map[string]float64{"mmaplock/lock-wait": 1.2, "mmaplock/writer-wait": 0.5}, false), Single{3000, 2900})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]Row{}
	for _, r := range rep.Rows {
		rows[r.Name] = r
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	if r := rows["mmap-lock-wait-ns"]; !near(r.KernelValue, 400) || !near(r.ModelValue, 480) || !r.OK {
		t.Errorf("mmap-lock-wait-ns: kernel %v model %v ok %v, want 400, 480, within", r.KernelValue, r.ModelValue, r.OK)
	}
	// The kernel's writer: 10 µs a write at 20k writes/s (the traced
	// cell's), 20% of its time; the model's 5 µs at 40k, 20%.
	if r := rows["writer-wait-share"]; !near(r.KernelValue, 0.2) || !near(r.ModelValue, 0.2) {
		t.Errorf("writer-wait-share: kernel %v model %v, want 0.2 and 0.2", r.KernelValue, r.ModelValue)
	}
	if r := rows["reader-penalty"]; !near(r.KernelValue, 700.0/150) {
		t.Errorf("reader-penalty's kernel figure %v, want %v: the traced cell's slower rate must stay out", r.KernelValue, 700.0/150)
	}
	if len(rep.LeftOut) != 0 {
		t.Errorf("left out %v, want nothing", rep.LeftOut)
	}
	for _, name := range []string{"mmap-lock-wait-ns", "writer-wait-share"} {
		if got := rows[name].Tolerance; got != DefaultLockTolerance {
			t.Errorf("%s: tolerance %v, want the lock rows' %v", name, got, DefaultLockTolerance)
		}
	}

	rep, err = Compute(testConfig(), fakeRunLocks(3, nil, true), Single{3000, 2900})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.Name == "mmap-lock-wait-ns" || r.Name == "writer-wait-share" {
			t.Errorf("row %s computed without lock figures", r.Name)
		}
	}
	if len(rep.LeftOut) != 2 || !strings.Contains(rep.LeftOut[0], "no mmap-lock-wait-ns/op result of lookups-mmap on kernel") {
		t.Errorf("left out %q, want the two lock rows and why", rep.LeftOut)
	}
}

// TestComputeInconclusive: a row whose repetitions straddle the tolerance
// is inconclusive, never agree or disagree, and says how many repetitions
// would decide it; Err fails on it unless AllowInconclusive.
func TestComputeInconclusive(t *testing.T) {
	rs := fakeRun(3, nil)
	// The model reader's rate beside the writer, per repetition: its
	// penalty ratio to the kernel's is then 1.43, 1.18, 1.0.
	rep := 0
	for i := range rs {
		if r := &rs[i]; r.Strategy == "mmaplock" && r.Workload == "lookups-mmap" {
			f := []float64{0.7, 0.85, 1}[rep]
			r.Metrics[0].Value *= f
			rep++
		}
	}
	c := testConfig()
	got, err := Compute(c, rs, Single{3000, 2900})
	if err != nil {
		t.Fatal(err)
	}
	row := got.Rows[0]
	if row.Name != "reader-penalty" || row.State() != "inconclusive" || row.Verdict.Need <= 3 {
		t.Fatalf("%s: %s, needs %d (%v); want inconclusive, more than 3", row.Name, row.State(), row.Verdict.Need, row.Verdict)
	}
	if err := got.Err(); err == nil || !strings.Contains(err.Error(), "1 inconclusive (reader-penalty; ") {
		t.Errorf("Err() = %v", err)
	}
	c.AllowInconclusive = true
	if got, _ := Compute(c, rs, Single{3000, 2900}); got.Err() != nil {
		t.Errorf("AllowInconclusive: Err() = %v", got.Err())
	}
}

// TestFieldRows: the field's rows, from injected results: a scaling row is
// the T-thread rate over the 1-thread rate on each side, judged at
// ScalingTolerance, so a model that scales 1.3x worse than the kernel
// disagrees; a cost row is one thread's time per operation.
func TestFieldRows(t *testing.T) {
	skew := map[string]float64{"vmarefcnt/page_fault1@2": 1 / 1.3, "vmarefcnt/mmap2": 1 / 1.1}
	rep, err := Compute(testConfig(), fakeRun(3, skew), Single{3000, 3000})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		ratio, kernel float64
		ok            bool
	}{
		"page_fault1-scaling": {1 / 1.3, 1.8, false},
		"page_fault3-scaling": {1, 1.8, true},
		"mmap1-scaling":       {1, 1.1, true},
		"mmap2-ns":            {1.1, 1e9 / 200e3, true},
		"page_fault2-ns":      {1, 1e9 / 300e3, true},
	}
	seen := 0
	for _, row := range rep.Rows {
		w, ok := want[row.Name]
		if !ok {
			continue
		}
		seen++
		if math.Abs(row.Ratio/w.ratio-1) > 1e-3 || math.Abs(row.KernelValue/w.kernel-1) > 1e-3 || row.OK != w.ok {
			t.Errorf("%s: ratio %v kernel %v ok %v (%+v), want %v %v %v", row.Name, row.Ratio, row.KernelValue, row.OK, row.Verdict, w.ratio, w.kernel, w.ok)
		}
		if strings.HasSuffix(row.Name, "-scaling") && row.Tolerance != 1.25 {
			t.Errorf("%s: tolerance %v, want 1.25", row.Name, row.Tolerance)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d rows found", seen, len(want))
	}
}

// TestRowShowsJudgedRatio: a scaling row shows the medians of each
// repetition's own scaling and their ratio, the figure its verdict judges,
// not the scaling of the cells' medians, which mixes repetitions and may
// lie outside the interval.
func TestRowShowsJudgedRatio(t *testing.T) {
	results := fakeRun(3, nil)
	one, two := []float64{1, 2, 3}, []float64{3.6, 3.0, 3.3} // scaling 3.6, 1.5, 1.1: median 1.5; of the medians 1.65
	var i1, i2 int
	for k := range results {
		r := &results[k]
		if r.Strategy != "kernel" || r.Workload != "page_fault3" || r.ConfigValue(processesKey) != "" {
			continue
		}
		switch r.Threads {
		case 1:
			r.Metrics[0].Value = one[i1] * 300e3
			i1++
		case 2:
			r.Metrics[0].Value = two[i2] * 300e3
			i2++
		}
	}
	rep, err := Compute(testConfig(), results, Single{3000, 3000})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rep.Rows {
		if math.Abs(row.Ratio-row.ModelValue/row.KernelValue) > 1e-9 {
			t.Errorf("%s: ratio %v, but model/kernel %v/%v", row.Name, row.Ratio, row.ModelValue, row.KernelValue)
		}
		if row.Verdict.N > 1 && !(row.Verdict.Lo <= row.Ratio && row.Ratio <= row.Verdict.Hi) {
			t.Errorf("%s: ratio %v outside its interval [%v, %v]", row.Name, row.Ratio, row.Verdict.Lo, row.Verdict.Hi)
		}
		if row.Name == "page_fault3-scaling" && math.Abs(row.KernelValue-1.5) > 1e-9 {
			t.Errorf("page_fault3-scaling: kernel %v, want 1.5 (the median of the repetitions' 3.6, 1.5, 1.1)", row.KernelValue)
		}
	}
}

// TestFileFaultNote: a row of the file shapes says when the running kernel
// and the model take different paths for file faults.
func TestFileFaultNote(t *testing.T) {
	tests := []struct {
		release, design, want string
	}{
		{"6.18.44", "vmarefcnt", ""},
		{"6.8.0", "vmaseq", "the kernel (6.8.0) handles file faults under the VMA lock, which vmaseq does not model (mmap_lock)"},
		{"6.5.1", "vmarefcnt", "the kernel (6.5.1) has no file-fault path under the VMA lock (from v6.7), which vmarefcnt claims: the row compares different paths"},
		{"6.5.1", "vmaseq", ""},
		{"unknown", "vmarefcnt", ""},
	}
	for _, tt := range tests {
		if got := fileFaultNote(tt.release, tt.design); got != tt.want {
			t.Errorf("fileFaultNote(%q, %q) = %q, want %q", tt.release, tt.design, got, tt.want)
		}
	}
}

// TestExtension: the rows an extension is for are the inconclusive ones
// that need at most the max count, extended to the most any of them
// needs; the others are named as beyond it.
func TestExtension(t *testing.T) {
	r := Report{Rows: []Row{
		{Name: "a", Verdict: verdict.Judgement{Outcome: verdict.CannotTell, Need: 12}},
		{Name: "b", Verdict: verdict.Judgement{Outcome: verdict.CannotTell, Need: verdict.MaxNeed}},
		{Name: "c", Verdict: verdict.Judgement{Outcome: verdict.Same}},
		{Name: "d", Verdict: verdict.Judgement{Outcome: verdict.CannotTell, Need: 20}},
		{Name: "e", Verdict: verdict.Judgement{Outcome: verdict.CannotTell}}, // no estimate
	}}
	for _, tt := range []struct {
		max          int
		to           int
		rows, beyond []string
	}{
		{30, 20, []string{"a", "d"}, []string{"b"}},
		{15, 12, []string{"a"}, []string{"b", "d"}},
		{10, 0, nil, []string{"a", "b", "d"}},
	} {
		to, rows, beyond := extension(r, tt.max)
		if to != tt.to || !slices.Equal(rows, tt.rows) || !slices.Equal(beyond, tt.beyond) {
			t.Errorf("extension(max %d) = %d, %v, %v; want %d, %v, %v", tt.max, to, rows, beyond, tt.to, tt.rows, tt.beyond)
		}
	}
}

// TestRunExtends: with MaxCount, a validation whose rows are inconclusive
// after Count repetitions runs every cell up to the count the pilot's
// spread names, judges once on all of them, and says so.
func TestRunExtends(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the live kernel")
	}
	// The model's fault rate, per repetition: fault-ns's ratio
	// model/kernel is then 1.3, 1.02, 1.12, 1.3, ... (median 1.12, within
	// 1.25x), too spread for three repetitions to decide.
	factors := []float64{1 / 1.3, 1 / 1.02, 1 / 1.12}
	var mu sync.Mutex // the processes row's pair runs at once
	fake := func(calls map[string]int) func(context.Context, runner.Config) (runner.Result, error) {
		return func(_ context.Context, rc runner.Config) (runner.Result, error) {
			mu.Lock()
			defer mu.Unlock()
			key := fmt.Sprintf("%s/%s/%d/%s/cpu%d", rc.Strategy, rc.Workload, rc.Threads, rc.Locks, rc.FirstCPU)
			i := calls[key]
			calls[key]++
			r := fakeCell(rc.Strategy, rc.Workload, rc.Threads, 1e6, 1e4, 1e6)
			if rc.Strategy == "vmarefcnt" && rc.Workload == "faults" && rc.Threads == 1 {
				r.Metrics[0].Value *= factors[i%len(factors)]
			}
			return r, nil
		}
	}
	c := testConfig()
	c.Count = 3
	// The pilot's verdict, from the same cells without a run.
	pilotCallsOf := map[string]int{}
	pilotRun, pilotCalls := fake(pilotCallsOf), 0
	var rs []runner.Result
	for range c.Count {
		for _, cl := range c.Cells() {
			rc := c.Base
			rc.Strategy, rc.Workload, rc.Threads, rc.Locks = cl.Strategy, cl.Workload, cl.Threads, cl.Locks
			r, _ := side(context.Background(), pilotRun, rc, cl.Processes)
			rs = append(rs, r...)
			pilotCalls += len(r)
		}
	}
	pilot, err := Compute(c, rs, Single{3000, 3000})
	if err != nil {
		t.Fatal(err)
	}
	row := rowNamed(pilot, "fault-ns")
	if row.Verdict.Outcome != verdict.CannotTell || row.Verdict.Need <= 3 || row.Verdict.Need > 12 {
		t.Fatalf("pilot: fault-ns %q %s, needs %d; want inconclusive, deciding within 12", row.Name, row.State(), row.Verdict.Need)
	}
	need := row.Verdict.Need

	c.MaxCount = 12
	calls := map[string]int{}
	c.RunCell = fake(calls)
	var told []int
	c.Extending = func(from, to int, rows []string) { told = append(told, from, to) }
	got, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	row = rowNamed(got, "fault-ns")
	t.Logf("pilot: fault-ns needs %d; extended to %d, fault-ns now %s", need, got.Repetitions, row.State())
	if got.Pilot != 3 || got.Repetitions < need || !slices.Contains(got.ExtendedFor, "fault-ns") {
		t.Fatalf("extended: %d repetitions from %d for %v; want at least %d from 3 for fault-ns", got.Repetitions, got.Pilot, got.ExtendedFor, need)
	}
	if !slices.Equal(told, []int{3, got.Repetitions}) {
		t.Errorf("Extending told %v, want [3 %d]", told, got.Repetitions)
	}
	total := 0
	for key, n := range calls {
		total += n
		// A key's cells a repetition: page_fault1's first CPU runs alone
		// and beside a second process.
		if want := pilotCallsOf[key] / c.Count * got.Repetitions; n != want {
			t.Errorf("%s ran %d times, want %d", key, n, want)
		}
	}
	if want := pilotCalls / c.Count * got.Repetitions; total != want {
		t.Errorf("%d cells ran, want %d (every cell, %d times)", total, want, got.Repetitions)
	}
	if row.Verdict.N != got.Repetitions {
		t.Errorf("fault-ns judged on %d repetitions, want all %d", row.Verdict.N, got.Repetitions)
	}
	table := tableOf(t, got)
	if want := fmt.Sprintf("repetitions: %d, extended from 3 for ", got.Repetitions); !strings.Contains(table, want) {
		t.Errorf("table lacks %q:\n%s", want, table)
	}
}

// TestRepetitionsLine: the table says how many repetitions ran, and, where
// a max count was set, what was extended and what was not.
func TestRepetitionsLine(t *testing.T) {
	for _, tt := range []struct {
		name string
		r    Report
		want string
	}{
		{"none asked", Report{Repetitions: 5}, ""},
		{"extended", Report{Repetitions: 9, Pilot: 5, MaxCount: 30, ExtendedFor: []string{"fault-ns", "pft-ns"}, Beyond: []string{"mmap1-scaling"}},
			"repetitions: 9, extended from 5 for fault-ns, pft-ns: the first 5 set the count, and every row is judged once, on all 9; not for mmap1-scaling, which would need more than -max-count 30\n"},
		{"beyond", Report{Repetitions: 5, MaxCount: 8, Beyond: []string{"mmap1-scaling"}},
			"repetitions: 5, not extended: mmap1-scaling would need more than -max-count 8 at this spread\n"},
	} {
		table := tableOf(t, tt.r)
		got := ""
		for _, l := range strings.SplitAfter(table, "\n") {
			if strings.HasPrefix(l, "repetitions: ") {
				got = l
			}
		}
		if got != tt.want {
			t.Errorf("%s: repetitions line %q, want %q", tt.name, got, tt.want)
		}
	}
}

// rowNamed returns r's row name, the zero Row if it has none.
func rowNamed(r Report, name string) Row {
	for _, row := range r.Rows {
		if row.Name == name {
			return row
		}
	}
	return Row{}
}

// TestMiddleSpread: the 90th percentile over the 10th by nearest rank,
// the largest over the smallest up to nine values, so that five
// repetitions judge as before; with 29, one outlier at each end no longer
// decides whether a row is called unsteady.
func TestMiddleSpread(t *testing.T) {
	many := make([]float64, 29)
	for i := range many {
		many[i] = 100 + float64(i) // 100..128
	}
	many[0], many[28] = 10, 1000 // one outlier at each end
	for _, tc := range []struct {
		name string
		xs   []float64
		want float64
	}{
		{"one", []float64{5}, math.NaN()},
		{"two", []float64{2, 4}, 2},
		{"five", []float64{3, 1, 2, 5, 4}, 5},
		{"nine", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 9},
		// ranks 3 and 27 of 29: 102 and 126.
		{"29 with outliers", many, 126.0 / 102},
	} {
		got := middleSpread(tc.xs)
		if math.IsNaN(tc.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: middleSpread = %v, want %v", tc.name, got, tc.want)
		}
	}
	if s := spread(many); s != 100 {
		t.Errorf("spread(29 with outliers) = %v, want 100 (the largest over the smallest)", s)
	}
}

// TestGroupsNote: a row whose kernel repetitions ran in two modes says
// so under the table, with each group's range and size; a steady row
// does not.
func TestGroupsNote(t *testing.T) {
	results := fakeRun(6, nil)
	// The kernel's writer beside the reader at 40k writes/s in three
	// repetitions and 60k in three: round-trip-ns 25 µs and 16.7 µs.
	setKernelRates(results, "writes/s", []float64{40e3, 60e3, 40.2e3, 60.5e3, 39.8e3, 59.7e3})
	rep, err := Compute(testConfig(), results, Single{3000, 3000})
	if err != nil {
		t.Fatal(err)
	}
	table := tableOf(t, rep)
	want := "round-trip-ns: the kernel's repetitions fell in two groups, 16.53µs-16.75µs (3) and 24.88µs-25.13µs (3), their medians 1.50x apart"
	if !strings.Contains(table, want) {
		t.Errorf("table does not name the two groups; want a line containing %q:\n%s", want, table)
	}
	if strings.Count(table, "fell in two groups") != 2 {
		t.Errorf("want two rows with two groups (round-trip-ns and writer-penalty), got:\n%s", table)
	}
}

// setKernelRates sets unit of the kernel's lookups-mmap cells of a
// fakeRun (one a repetition) to rates, the n-th cell's to rates[n].
func setKernelRates(results []runner.Result, unit string, rates []float64) {
	n := 0
	for i := range results {
		r := &results[i]
		if r.Strategy == "kernel" && r.Workload == "lookups-mmap" {
			for j := range r.Metrics {
				if r.Metrics[j].Unit == unit {
					r.Metrics[j].Value = rates[n]
				}
			}
			n++
		}
	}
}

// TestMMShare: a host that slows or speeds the kernel's second CPU from
// one repetition to the next moves page_fault1's 2-thread cell and its two
// processes side by side alike; page_fault1-scaling carries that, and
// page_fault1-mm-share, their quotient in each repetition, divides it out.
func TestMMShare(t *testing.T) {
	host := []float64{0.3, 1.7, 0.4, 1.6, 1.0} // the second CPU's speed in each repetition
	results := fakeRun(len(host), nil)
	two, procs := 0, 0
	for i := range results {
		r := &results[i]
		if r.Strategy != "kernel" || r.Workload != "page_fault1" {
			continue
		}
		switch {
		case r.Threads == 2:
			r.Metrics[0].Value *= (1 + host[two]) / 2 // one CPU's rate of two is the host's
			two++
		case r.ConfigValue(processesKey) != "":
			r.Metrics[0].Value *= (1 + host[procs/2]) / 2
			procs++
		}
	}
	rep, err := Compute(testConfig(), results, Single{3000, 3000})
	if err != nil {
		t.Fatal(err)
	}
	if row := rowNamed(rep, "page_fault1-scaling"); row.Verdict.Outcome == verdict.Same {
		t.Errorf("page_fault1-scaling %s %.2f [%.2f, %.2f]: want the host's spread to leave it undecided", row.State(), row.Ratio, row.Verdict.Lo, row.Verdict.Hi)
	}
	row := rowNamed(rep, "page_fault1-mm-share")
	if row.Verdict.Outcome != verdict.Same || math.Abs(row.Ratio-1) > 0.01 || row.KernelSpread > 1.01 {
		t.Errorf("page_fault1-mm-share %s, ratio %.3f, kernel spread %.3f: want it to agree at 1, the host divided out", row.State(), row.Ratio, row.KernelSpread)
	}
}

// tableOf returns r's table as WriteTable writes it, failing t on an
// error.
func tableOf(t *testing.T, r Report) string {
	t.Helper()
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
