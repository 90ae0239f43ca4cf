package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"vmabench/cell"
	"vmabench/internal/machine"
)

// ServeCell is the child's side of RunIsolated, the body of the hidden
// command "vmabench cell": it reads one cell's Config, as JSON, from r,
// runs the cell in this process (Run) and writes its Result, as JSON, to w.
// The caller must exit once ServeCell returns, whatever it returns: a
// deadlocked cell leaves its threads blocked in this process.
func ServeCell(r io.Reader, w io.Writer) error {
	var c Config
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return fmt.Errorf("reading the cell: %w", err)
	}
	res, err := Run(c)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(w).Encode(res); err != nil {
		return fmt.Errorf("writing the result: %w", err)
	}
	return nil
}

// killGrace is how long past its own Timeout a child may run before the
// parent kills it: the child's watchdog should always report first.
const killGrace = 5 * time.Second

// RunIsolated runs one cell in a child process, so a deadlocked cell can be
// killed and the next cell starts with a clean heap and no stuck threads.
// child is the child's command line, program and arguments, a command that
// calls ServeCell: for vmabench, its own executable and "cell". The cell
// goes to the child's stdin and its Result comes back on its stdout. A
// child that hangs past c.Timeout is killed and reported as a timeout.
func RunIsolated(ctx context.Context, c Config, child []string) (Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	if len(child) == 0 {
		return Result{}, errors.New("runner: no child command to run the cell in")
	}
	js, err := json.Marshal(c)
	if err != nil {
		return Result{}, err
	}
	cellCtx, cancel := context.WithTimeout(ctx, c.Timeout+killGrace)
	defer cancel()
	cmd := exec.CommandContext(cellCtx, child[0], child[1:]...)
	cmd.Stdin = bytes.NewReader(js)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A thread of this process pinned to one CPU and handed back to Go's
	// pool (as the calibration's IPI measurement once left one) would pass
	// its mask to a child forked from it, which inherits the forking
	// thread's affinity and would run all its threads on that CPU. Fork
	// from a thread set back to the process's CPUs.
	runErr := machine.StartUnpinned(cmd.Start)
	if runErr == nil {
		runErr = cmd.Wait()
	}
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
