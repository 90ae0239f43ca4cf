package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"vmabench/cell"
)

// childEnv carries a cell's Config, as JSON, to a child process.
const childEnv = "VMABENCH_CELL"

// MaybeChild runs a cell and exits if this process was started by
// RunIsolated; otherwise it returns at once. Call it first in main, and in
// TestMain of a test binary that calls RunIsolated, before flags are parsed.
func MaybeChild() {
	js, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	var c Config
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		fmt.Fprintf(os.Stderr, "vmabench cell: bad %s: %v\n", childEnv, err)
		os.Exit(2)
	}
	r, err := Run(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmabench cell: %v\n", err)
		os.Exit(2)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(1)
	}
	// Exit at once: a deadlocked cell's threads are still blocked.
	os.Exit(0)
}

// killGrace is how long past its own Timeout a child may run before the
// parent kills it: the child's watchdog should always report first.
const killGrace = 5 * time.Second

// RunIsolated runs one cell in a child process (this executable, re-run with
// the cell in its environment; see MaybeChild), so a deadlocked cell can be
// killed and the next cell starts with a clean heap and no stuck threads.
// A child that hangs past c.Timeout is killed and reported as a timeout.
func RunIsolated(ctx context.Context, c Config) (Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	exe, err := os.Executable()
	if err != nil {
		return Result{}, fmt.Errorf("finding this executable: %w", err)
	}
	js, err := json.Marshal(c)
	if err != nil {
		return Result{}, err
	}
	cellCtx, cancel := context.WithTimeout(ctx, c.Timeout+killGrace)
	defer cancel()
	cmd := exec.CommandContext(cellCtx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	failed := Result{Cell: cell.Cell{Workload: c.Workload, Strategy: c.Strategy, Threads: c.Threads}, Config: configKVs(c)}
	if err := ctx.Err(); err != nil { // the caller gave up (SIGINT)
		return Result{}, err
	}
	if cellCtx.Err() != nil {
		failed.Status = StatusTimeout
		failed.Detail = fmt.Sprintf("child process still running after %v; killed", c.Timeout+killGrace)
		return failed, nil
	}
	var r Result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || runErr != nil {
		failed.Status = StatusError
		failed.Detail = fmt.Sprintf("child process: %v; %s", errors.Join(runErr, err), lastLine(stderr.String()))
		return failed, nil
	}
	return r, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "no output"
	}
	return s
}
