package main

import (
	"strings"
	"testing"
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
