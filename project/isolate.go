package project

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"vmabench/runner"
)

// cellResult is what a child process sends back for one projected cell.
type cellResult struct {
	Result runner.Result
	Stats  Stats
}

// ServeCell reads one projected cell's Config as JSON from r, projects it
// and writes its result to w: the child process's side of RunIsolated.
func ServeCell(r io.Reader, w io.Writer) error {
	var c Config
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return fmt.Errorf("reading the cell: %w", err)
	}
	res, st, err := Run(c)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(w).Encode(cellResult{res, st}); err != nil {
		return fmt.Errorf("writing the result: %w", err)
	}
	return nil
}

// RunIsolated projects c in a child process, the command line child (which
// runs ServeCell), with GOMAXPROCS=1: the engine runs one virtual CPU at a
// time, and one OS thread makes its coroutine switches cheapest. One
// engine runs per process, so cells run in parallel only in children.
func RunIsolated(ctx context.Context, c Config, child []string) (runner.Result, Stats, error) {
	if err := c.Validate(); err != nil {
		return runner.Result{}, Stats{}, err
	}
	if len(child) == 0 {
		return runner.Result{}, Stats{}, errors.New("project: no child command to run the cell in")
	}
	js, err := json.Marshal(c)
	if err != nil {
		return runner.Result{}, Stats{}, err
	}
	cmd := exec.CommandContext(ctx, child[0], child[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stdin = bytes.NewReader(js)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return runner.Result{}, Stats{}, ctx.Err()
		}
		return runner.Result{}, Stats{}, fmt.Errorf("projecting %s/%s/%d: %w: %s", c.Workload, c.Strategy, c.Threads, err, strings.TrimSpace(errb.String()))
	}
	var cr cellResult
	if err := json.Unmarshal(out.Bytes(), &cr); err != nil {
		return runner.Result{}, Stats{}, fmt.Errorf("projecting %s/%s/%d: reading the child's result: %w", c.Workload, c.Strategy, c.Threads, err)
	}
	return cr.Result, cr.Stats, nil
}
