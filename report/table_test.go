package report

import (
	"bytes"
	"testing"
	"time"

	"vmabench/cell"
	"vmabench/runner"
)

func TestWriteTable(t *testing.T) {
	rs := fixture()
	// A second repetition of one cell: the table shows the median.
	rs = append(rs, rs[1])
	rs[len(rs)-1].Elapsed *= 2
	var buf bytes.Buffer
	if err := WriteTable(&buf, rs); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "table.golden", buf.Bytes())
}

// TestWriteTableReadersWriter checks that a workload with a writer gets
// the readers' rate and the writer's rate on rows of their own, each with
// the median of its repetitions, and that ns/op is not shown where a rate
// is.
func TestWriteTableReadersWriter(t *testing.T) {
	res := func(w, s string, readers, writes float64, readUnit string) runner.Result {
		r := runner.Result{Cell: cell.Cell{Workload: w, Strategy: s, Threads: 2, Procs: 2},
			Status: runner.StatusOK, Ops: 1000, Elapsed: time.Millisecond,
			Metrics: []runner.Metric{{Value: readers, Unit: readUnit}}}
		if writes > 0 {
			r.Metrics = append(r.Metrics, runner.Metric{Value: writes, Unit: "writes/s"})
		}
		return r
	}
	rs := []runner.Result{
		res("maps-walk", "vmaseq", 120e3, 250e3, "lookups/s"),
		res("maps-walk", "kernel", 100e3, 900e3, "lookups/s"),
		res("maps-walk", "vmaseq", 140e3, 260e3, "lookups/s"),
		res("maps-walk", "vmaseq", 130e3, 270e3, "lookups/s"),
		res("mmap-churn", "vmaseq", 0, 0, "writes/s"),
		res("mmap-churn", "kernel", 0, 0, "writes/s"),
	}
	rs[4].Metrics[0].Value, rs[5].Metrics[0].Value = 1.5e6, 2e5
	var buf bytes.Buffer
	if err := WriteTable(&buf, rs); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "table-writer.golden", buf.Bytes())
}

// TestWriteTableSameCode: vmawait runs vmarefcnt's code for every entry
// point but Lookup, so under faults (Fault, Madvise) and lookups-mmap
// (Write) it is shown as "same as vmarefcnt", under nested-fault (Lookup)
// with its own figure; under lookups, which calls no design's code, every
// model after the first is the same as the first.
func TestWriteTableSameCode(t *testing.T) {
	res := func(w, s string, rate float64, unit string) runner.Result {
		return runner.Result{Cell: cell.Cell{Workload: w, Strategy: s, Threads: 2, Procs: 2},
			Status: runner.StatusOK, Ops: 1000, Elapsed: time.Millisecond,
			Metrics: []runner.Metric{{Value: rate, Unit: unit}}}
	}
	var rs []runner.Result
	for i, s := range []string{"mmaplock", "vmarefcnt", "vmawait", "kernel"} {
		f := float64(i + 1)
		rs = append(rs, res("faults", s, 100e3*f, "faults/s"), res("faults", s, 110e3*f, "faults/s"),
			res("lookups", s, 200e3*f, "lookups/s"), res("lookups-mmap", s, 50e3*f, "lookups/s"),
			res("nested-fault", s, 10e3*f, "lookups/s"))
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, rs); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "table-same.golden", buf.Bytes())
}
