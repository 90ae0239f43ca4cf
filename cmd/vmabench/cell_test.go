package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"vmabench/runner"
)

// TestCellCmd runs the hidden "vmabench cell" command as RunIsolated's
// child does: a cell on stdin, its result as JSON on stdout; bad input is
// an error, not an exit.
func TestCellCmd(t *testing.T) {
	c := runner.DefaultConfig()
	c.Strategy, c.Workload = "vmaseq", "faults"
	c.Warmup, c.Duration = 5*time.Millisecond, 20*time.Millisecond
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in string
		args     []string
		code     int
	}{
		{"a cell", string(js), nil, 0},
		{"not json", "{", nil, 1},
		{"a bad cell", `{"Strategy":"nope"}`, nil, 1},
		{"an argument", string(js), []string{"x"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin = strings.NewReader(tt.in)
			defer func() { stdin = os.Stdin }()
			code, stdout, stderr := vmabench(t, append([]string{"cell"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if code != 0 {
				return
			}
			var r runner.Result
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("stdout is not a result: %v\n%s", err, stdout)
			}
			if r.Status != runner.StatusOK || r.Ops == 0 || r.Strategy != "vmaseq" {
				t.Errorf("result %+v, want an OK vmaseq cell with operations", r)
			}
		})
	}
}

// TestCellHidden checks that the usage text does not offer the cell
// command to people.
func TestCellHidden(t *testing.T) {
	_, stdout, _ := vmabench(t, "-h")
	if strings.Contains(stdout, "\tcell") {
		t.Errorf("usage lists the hidden cell command:\n%s", stdout)
	}
}
