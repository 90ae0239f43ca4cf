package main

import (
	"testing"

	"vmabench/cell"
	"vmabench/report"
	"vmabench/runner"
)

// TestFilesMachine: a chart's title names the machine a file was measured
// on, or for a projection the target it was projected on, never the host
// that ran the projection; files of two machines name both.
func TestFilesMachine(t *testing.T) {
	hdr := []cell.KV{{Key: "cpu", Value: "AMD EPYC"}, {Key: "gomaxprocs", Value: "2"}}
	measured := &report.File{Header: hdr, Results: []runner.Result{{}}}
	projected := &report.File{Header: hdr, Results: []runner.Result{{Config: []cell.KV{
		{Key: "mode", Value: "projected"}, {Key: "target", Value: "xeon-16"}, {Key: "target-cpus", Value: "16"}}}}}
	for _, tc := range []struct {
		name  string
		files []*report.File
		want  string
	}{
		{"measured", []*report.File{measured}, "AMD EPYC (2 CPUs)"},
		{"projected", []*report.File{projected}, "xeon-16 (16 CPUs, projected)"},
		{"both", []*report.File{projected, measured}, "xeon-16 (16 CPUs, projected) and AMD EPYC (2 CPUs)"},
		{"twice one machine", []*report.File{measured, measured}, "AMD EPYC (2 CPUs)"},
		{"unknown", []*report.File{{Header: []cell.KV{{Key: "cpu", Value: "unknown"}}}, measured}, ""},
	} {
		if got := filesMachine(tc.files); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
