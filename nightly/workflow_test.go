package nightly

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// The fleet's CI workflow and actionlint's configuration, from this
// package's directory.
var (
	workflowFile   = filepath.Join("..", ".github", "workflows", "nightly.yml")
	actionlintFile = filepath.Join("..", ".github", "actionlint.yaml")
)

// lint runs actionlint (the version of the go.mod tool block, as a
// library) on a workflow file.
func lint(t *testing.T, path string) []*actionlint.Error {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{ConfigFile: actionlintFile})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// TestWorkflow checks the nightly workflow with actionlint (syntax,
// expressions, action inputs, runner labels) and what the fleet depends on:
// every machine of the matrix has a valid machine name and a runner label
// of its own that actionlint knows, runs vmabench nightly under that name
// and commits its own folder of the results tree.
func TestWorkflow(t *testing.T) {
	for _, e := range lint(t, workflowFile) {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", workflowFile, e.Line, e.Column, e.Message, e.Kind)
	}
	src, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	wf, errs := actionlint.Parse(src)
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs[0])
	}
	cfgSrc, err := os.ReadFile(actionlintFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := actionlint.ParseConfig(cfgSrc)
	if err != nil {
		t.Fatal(err)
	}
	job := wf.Jobs["nightly"]
	if job == nil || job.Strategy == nil || job.Strategy.Matrix == nil || job.Strategy.Matrix.Rows["machine"] == nil {
		t.Fatal("no nightly job with a matrix of machines")
	}
	var machines []string
	for _, v := range job.Strategy.Matrix.Rows["machine"].Values {
		s, ok := v.(*actionlint.RawYAMLString)
		if !ok {
			t.Fatalf("matrix value %v is not a string", v)
		}
		machines = append(machines, s.Value)
	}
	if len(machines) == 0 {
		t.Error("the matrix has no machine")
	}
	for _, m := range machines {
		if err := CheckMachine(m); err != nil {
			t.Error(err)
		}
		if !slices.Contains(cfg.SelfHostedRunner.Labels, "vmabench-"+m) {
			t.Errorf("machine %s: no runner label vmabench-%s in %s", m, m, actionlintFile)
		}
	}
	var runs []string
	for _, st := range job.Steps {
		if ex, ok := st.Exec.(*actionlint.ExecRun); ok && ex.Run != nil {
			runs = append(runs, ex.Run.Value)
		}
	}
	script := strings.Join(runs, "\n")
	for _, want := range []string{`vmabench nightly -machine "$MACHINE"`, `git add "results/$MACHINE"`, "git push"} {
		if !strings.Contains(script, want) {
			t.Errorf("the nightly job's steps lack %q", want)
		}
	}
}

// TestWorkflowLintCatches shows that the check fails where it should: a
// runner label no machine has and a misspelt expression are both found.
func TestWorkflowLintCatches(t *testing.T) {
	src, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), `"vmabench-${{ matrix.machine }}"`, "vmabench-nowhere", 1)
	bad = strings.Replace(bad, "steps.nightly.outcome", "steps.nightyl.outcome", 1)
	if bad == string(src) {
		t.Fatal("the workflow changed: update the faults this test plants")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "nightly.yml")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range lint(t, path) {
		msgs = append(msgs, e.Message)
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{`label "vmabench-nowhere" is unknown`, `property "nightyl" is not defined`} {
		if !strings.Contains(joined, want) {
			t.Errorf("actionlint did not report %q; it reported:\n%s", want, joined)
		}
	}
}
