package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"vmabench/calib"
	"vmabench/project"
)

func TestProjectCommand(t *testing.T) {
	code, out, errOut := vmabench(t, "project", "-target", "xeon-16", "-strategy", "vmarefcnt", "-workload", "faults", "-threads", "1,2", "-duration", "200us", "-warmup", "50us")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"mode: projected", "target: xeon-16", "target-contended-rmw-ns: 24", "BenchmarkVMA/workload=faults/strategy=vmarefcnt/threads=1-16 ", "BenchmarkVMA/workload=faults/strategy=vmarefcnt/threads=2-16 "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "2/2 cells") {
		t.Errorf("no progress line on stderr: %s", errOut)
	}
}

// TestProjectCountDiffers: -count repetitions of a projected cell are
// seeds of their own, so they differ, and a second run of the same flags
// repeats the first byte for byte.
func TestProjectCountDiffers(t *testing.T) {
	args := []string{"project", "-target", "xeon-16", "-strategy", "mmaplock", "-workload", "lookups-mmap", "-threads", "2", "-duration", "300us", "-warmup", "50us", "-count", "2"}
	var outs []string
	for range 2 {
		code, out, errOut := vmabench(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] {
		t.Errorf("the same flags gave two files:\n%s\n%s", outs[0], outs[1])
	}
	var cells []string
	for _, l := range strings.Split(outs[0], "\n") {
		if strings.HasPrefix(l, "BenchmarkVMA/") {
			cells = append(cells, l)
		}
	}
	if len(cells) != 2 || cells[0] == cells[1] {
		t.Errorf("want 2 repetitions that differ, got %d:\n%s", len(cells), strings.Join(cells, "\n"))
	}
}

func TestProjectBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"threads beyond the target", []string{"-target", "xeon-16", "-threads", "32", "-workload", "faults"}, "-threads 32: the target xeon-16 has 16 CPUs"},
		{"unknown target", []string{"-target", "no-such", "-workload", "faults"}, `unknown target "no-such"`},
		{"check on another target", []string{"-check", "-target", "xeon-16", "-workload", "faults"}, `-check compares with real runs on this machine: it takes no -target (got "xeon-16")`},
		{"negative lines", []string{"-target", "xeon-16", "-lines", "-2", "-workload", "faults"}, "-lines -2: want 0 (none) or more"},
		{"lines with check", []string{"-check", "-lines", "3", "-workload", "faults"}, "-lines 3: -check prints its table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := vmabench(t, append([]string{"project"}, tc.args...)...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

// TestProjectLines: -lines puts where the time goes before the cell's
// line, as comment lines benchstat skips.
func TestProjectLines(t *testing.T) {
	code, out, errOut := vmabench(t, "project", "-target", "xeon-16", "-strategy", "mmaplock", "-workload", "faults-mprotect", "-threads", "2", "-duration", "200us", "-warmup", "50us", "-lines", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	note := strings.Index(out, "where the time goes: line transfers take ")
	cell := strings.Index(out, "BenchmarkVMA/workload=faults-mprotect/strategy=mmaplock/threads=2-16 ")
	if note < 0 || cell < 0 || note > cell || strings.Count(out, "# note") != 3 {
		t.Errorf("want a total and 2 sites as notes before the cell:\n%s", out)
	}
}

// TestTransfersBeside: each real cell's line transfer is the mean of the
// measurements before and after it, one alone where the other failed, and
// the profile's where both did.
func TestTransfersBeside(t *testing.T) {
	for _, tc := range []struct {
		name     string
		measured []float64
		want     []float64
	}{
		{"both sides", []float64{50, 70, 230}, []float64{60, 150}},
		{"one missing", []float64{0, 80, 0}, []float64{80, 80}},
		{"none measured", []float64{0, 0}, []float64{200}},
		{"no cells", []float64{40}, []float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := transfersBeside(tc.measured, 200)
			if !slices.Equal(got, tc.want) {
				t.Errorf("transfersBeside(%v, 200) = %v, want %v", tc.measured, got, tc.want)
			}
		})
	}
}

// TestChargeTransfer: a cell's projection charges the transfer given, and
// its configuration line says so, without touching another cell's lines.
func TestChargeTransfer(t *testing.T) {
	tg, err := calib.LoadTarget("xeon-16")
	if err != nil {
		t.Fatal(err)
	}
	c := project.DefaultConfig()
	c.Target = project.FromCalib(tg, false)
	other := c
	chargeTransfer(&c, 52.04)
	if c.Target.Costs.Transfer != 52040 {
		t.Errorf("Transfer = %d ps, want 52040", c.Target.Costs.Transfer)
	}
	line := func(c project.Config) string {
		for _, kv := range c.Pairs() {
			if kv.Key == "target-line-transfer-ns" {
				return kv.Value
			}
		}
		return ""
	}
	if got := line(c); got != "52" {
		t.Errorf("target-line-transfer-ns: %q, want 52", got)
	}
	if got, want := line(other), strconv.FormatFloat(tg.LineTransfer, 'f', -1, 64); got != want || got == "52" {
		t.Errorf("the other cell's line changed to %q (want %q)", got, want)
	}
}

// TestWriteTransferCheck: the line above the table gives the range and
// median charged and the profile's figure, and says when they are apart.
func TestWriteTransferCheck(t *testing.T) {
	var b strings.Builder
	writeTransferCheck(&b, 230, []float64{52, 60, 48})
	want := "line transfer: each projection charges the one measured beside its real cell, 48 to 60 ns (median 52); the profile has 230 ns, 4.4x from the median: where the host placed the vCPUs moved since calibration\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
	b.Reset()
	writeTransferCheck(&b, 50, []float64{52})
	if strings.Contains(b.String(), "moved") {
		t.Errorf("52 against 50 called moved: %q", b.String())
	}
}

// TestWork: the progress line's time left and the estimate weigh a cell
// by its threads times its virtual time, and a cell the projection skips
// by nothing, so a sweep whose last cells have the most threads is not
// promised seconds for minutes.
func TestWork(t *testing.T) {
	for _, tc := range []struct {
		strategy, workload string
		threads            int
		want               time.Duration
	}{
		{"vmarefcnt", "faults", 1, 12 * time.Millisecond},
		{"vmarefcnt", "faults", 16, 16 * 12 * time.Millisecond},
		{"mmaplock", "mmap1", 4, 4 * 12 * time.Millisecond},
		{"kernel", "faults", 16, 0},         // the live kernel: skipped
		{"vmarefcnt", "nested-fault", 1, 0}, // below its 2 threads: skipped
	} {
		c := project.Config{Strategy: tc.strategy, Workload: tc.workload, Threads: tc.threads, Warmup: 2 * time.Millisecond, Duration: 10 * time.Millisecond}
		if got := work(c); got != float64(tc.want) {
			t.Errorf("work(%s %s %d threads) = %v, want %v", tc.strategy, tc.workload, tc.threads, time.Duration(got), tc.want)
		}
	}
}
