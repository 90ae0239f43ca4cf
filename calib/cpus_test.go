//go:build linux

package calib

import (
	"context"
	"math"
	"reflect"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"vmabench/internal/machine"
)

// TestCPUFactors: each CPU's factor is the geometric mean of its fault's
// and its pair's ratios over the first CPU's, to two decimals, and 1
// within SymmetricWithin, so identical CPUs do not read as unlike.
func TestCPUFactors(t *testing.T) {
	for _, tt := range []struct {
		name        string
		fault, pair []float64
		want        []float64
	}{
		{"alike", []float64{8400, 8400}, []float64{3600, 3600}, []float64{1, 1}},
		{"noise", []float64{8400, 8700}, []float64{3600, 3700}, []float64{1, 1}},
		{"second slower", []float64{8400, 11200}, []float64{3600, 4800}, []float64{1, 1.33}},
		{"second faster", []float64{11200, 8400}, []float64{4800, 3600}, []float64{1, 0.75}},
		{"mixed", []float64{8000, 16000}, []float64{4000, 4000}, []float64{1, 1.41}},
		{"just past the bound", []float64{1000, 1060}, []float64{1000, 1060}, []float64{1, 1.06}},
	} {
		if got := cpuFactors(tt.fault, tt.pair); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: cpuFactors(%v, %v) = %v, want %v", tt.name, tt.fault, tt.pair, got, tt.want)
		}
	}
}

// TestMeasureCPUFactors times this machine's CPUs: one positive, finite
// factor per CPU, the first 1 (no figure is held to a bound: the machine
// is shared), and the calling thread is left on the process's CPUs, not
// pinned to the last one timed, where a child process it forked would
// inherit the pin.
func TestMeasureCPUFactors(t *testing.T) {
	cpus := machine.CPUs()
	if len(cpus) < 2 {
		t.Skip("one CPU: nothing to compare")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fs, err := MeasureCPUFactors(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(cpus) || fs[0] != 1 {
		t.Fatalf("factors %v for CPUs %v: want one per CPU, the first 1", fs, cpus)
	}
	for i, f := range fs {
		if !(f > 0) || math.IsInf(f, 0) {
			t.Errorf("CPU %d: factor %v, want a positive number", cpus[i], f)
		}
	}
	t.Logf("factors %v", fs)
	wantUnpinned(t, "MeasureCPUFactors")
}

// wantUnpinned fails t unless the calling thread may run on every CPU of
// the process, as after is to leave it.
func wantUnpinned(t *testing.T, after string) {
	t.Helper()
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	if n := len(machine.CPUs()); set.Count() != n {
		t.Errorf("after %s the thread may run on %d CPUs, want the process's %d", after, set.Count(), n)
	}
}

// TestCheckUnpins: Check pins itself to the first CPU, where a one-thread
// cell runs, and gives its thread back on the process's CPUs.
func TestCheckUnpins(t *testing.T) {
	if len(machine.CPUs()) < 2 {
		t.Skip("one CPU: nothing to pin")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if _, err := Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantUnpinned(t, "Check")
}
