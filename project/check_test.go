package project

import (
	"bytes"
	"strings"
	"testing"

	"vmabench/cell"
	"vmabench/runner"
	"vmabench/verdict"
)

func result(workload, strategy string, threads int, status runner.Status, ms ...runner.Metric) runner.Result {
	return runner.Result{Cell: cell.Cell{Workload: workload, Strategy: strategy, Threads: threads, Procs: 2}, Status: status, Metrics: ms}
}

func faults(v float64) runner.Metric { return runner.Metric{Value: v, Unit: "faults/s"} }
func writes(v float64) runner.Metric { return runner.Metric{Value: v, Unit: "writes/s"} }
func nospin(v float64) runner.Metric { return runner.Metric{Value: v, Unit: "writer-nospin/op"} }

// TestCheck: rows pair repetitions by cell and rate, the verdict is three
// ways, and a cell on one side only is named, never dropped in silence.
func TestCheck(t *testing.T) {
	real := []runner.Result{
		result("faults", "vmarefcnt", 1, runner.StatusOK, faults(100), runner.Metric{Value: 3, Unit: "p50-ns"}),
		result("faults", "vmarefcnt", 1, runner.StatusOK, faults(102), nospin(0.5)),
		result("faults", "vmarefcnt", 1, runner.StatusOK, faults(98)),
		result("mmap1", "mmaplock", 2, runner.StatusOK, writes(100), nospin(0.02)),
		result("mmap1", "mmaplock", 2, runner.StatusOK, writes(101), nospin(0.01)),
		result("mmap1", "mmaplock", 2, runner.StatusOK, writes(99), nospin(0.03)),
		result("pft", "vmaseq", 2, runner.StatusOK, faults(100)),
		result("pft", "vmaseq", 2, runner.StatusOK, faults(300)),
		result("pft", "vmaseq", 2, runner.StatusOK, faults(50)),
		result("lookups", "mmaplock", 1, runner.StatusOK, runner.Metric{Value: 5, Unit: "lookups/s"}),
		result("faults", "nolock", 1, runner.StatusDeadlock),
	}
	proj := []runner.Result{
		result("faults", "vmarefcnt", 1, runner.StatusOK, faults(110)),
		result("faults", "vmarefcnt", 1, runner.StatusOK, faults(110)),
		result("faults", "vmarefcnt", 1, runner.StatusOK, faults(110)),
		result("mmap1", "mmaplock", 2, runner.StatusOK, writes(30), nospin(0.002), runner.Metric{Value: 0.25, Unit: "reader-steals/op"}),
		result("mmap1", "mmaplock", 2, runner.StatusOK, writes(30), nospin(0.002)),
		result("mmap1", "mmaplock", 2, runner.StatusOK, writes(30), nospin(0.002)),
		result("pft", "vmaseq", 2, runner.StatusOK, faults(120)),
		result("pft", "vmaseq", 2, runner.StatusOK, faults(120)),
		result("pft", "vmaseq", 2, runner.StatusOK, faults(120)),
		result("page_fault1", "vmaseq", 1, runner.StatusOK, faults(1)),
	}
	rows, missing := Check(real, proj, CheckTolerance)
	want := map[string]verdict.Outcome{
		"workload=faults/strategy=vmarefcnt/threads=1 faults/s": verdict.Same,
		"workload=mmap1/strategy=mmaplock/threads=2 writes/s":   verdict.Worse,
		"workload=pft/strategy=vmaseq/threads=2 faults/s":       verdict.CannotTell,
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for _, r := range rows {
		k := r.Cell.String() + " " + r.Unit
		if o, ok := want[k]; !ok || r.Verdict.Outcome != o {
			t.Errorf("%s: %v (%s), want %v", k, r.Verdict.Outcome, r.Verdict.Why, o)
		}
		if len(r.Real) != 3 || len(r.Projected) != 3 {
			t.Errorf("%s: %d real, %d projected repetitions, want 3 and 3", k, len(r.Real), len(r.Projected))
		}
	}
	wantMissing := []string{
		"workload=lookups/strategy=mmaplock/threads=1 lookups/s: no projection",
		"workload=page_fault1/strategy=vmaseq/threads=1 faults/s: no real run",
	}
	if strings.Join(missing, "\n") != strings.Join(wantMissing, "\n") {
		t.Errorf("missing %q, want %q", missing, wantMissing)
	}
	var b bytes.Buffer
	if err := WriteCheck(&b, rows, missing, CheckTolerance); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{"agrees", "disagrees", "inconclusive (needs", "not compared: workload=lookups", "1 of 3 figures within 1.25x", "1.04 / 1.00", "6.00 / 1.00",
		// The disagreeing cell's lock events, medians, each side's own.
		"  mmap1/mmaplock 2, real / projected: writer-nospin/op 0.02 / 0.002, reader-steals/op - / 0.25\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	// Lock events are not figures: they make no row of their own, and an
	// agreeing cell's are not printed.
	if strings.Contains(out, "faults/vmarefcnt 1, real / projected") || strings.Contains(out, "writer-nospin/op  ") {
		t.Errorf("an agreeing cell's events, or an event as a row:\n%s", out)
	}
	if err := CheckErr(rows); err == nil || !strings.Contains(err.Error(), "1 of 3 figures disagree") {
		t.Errorf("CheckErr: %v", err)
	}
	if err := CheckErr(rows[:1]); err != nil {
		t.Errorf("CheckErr of an agreeing row: %v", err)
	}
}

// TestCheckGroups: a side whose repetitions ran in two modes is named
// under the table with each group's range; a steady side is not.
func TestCheckGroups(t *testing.T) {
	lk := func(v float64) runner.Metric { return runner.Metric{Value: v, Unit: "lookups/s"} }
	var real, proj []runner.Result
	for i, v := range []float64{126e3, 175e3, 130e3, 171e3, 128e3, 173e3} {
		real = append(real, result("lookups-mmap", "mmaplock", 2, runner.StatusOK, lk(150e3+float64(i)*1e3)))
		proj = append(proj, result("lookups-mmap", "mmaplock", 2, runner.StatusOK, lk(v)))
	}
	rows, missing := Check(real, proj, CheckTolerance)
	var b bytes.Buffer
	if err := WriteCheck(&b, rows, missing, CheckTolerance); err != nil {
		t.Fatal(err)
	}
	want := "lookups-mmap/mmaplock 2 lookups/s: the projection's repetitions fell in two groups, 126k-130k (3) and 171k-175k (3), their medians 1.35x apart"
	if !strings.Contains(b.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, b.String())
	}
	if strings.Contains(b.String(), "real run's repetitions fell") {
		t.Errorf("table splits the steady real run:\n%s", b.String())
	}
}
