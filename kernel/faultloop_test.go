package kernel_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"vmabench/runner"
)

// TestFaultLoop holds the kernel strategy's faults workload at one thread
// against testdata/faultloop.c, the same touch-and-MADV_DONTNEED cycle as a
// plain C loop, on the same number of pages. It logs both ns/fault figures
// side by side; it asserts only that the Go harness measures real faults,
// one per operation, since a timing ratio depends on the machine's load.
func TestFaultLoop(t *testing.T) {
	window := time.Second
	if testing.Short() {
		window = 200 * time.Millisecond
	}
	c := runner.DefaultConfig()
	c.Strategy, c.Workload, c.Threads = "kernel", "faults", 1
	c.Duration = window
	r, err := runner.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != runner.StatusOK {
		t.Fatalf("kernel/faults: %s: %s", r.Status, r.Detail)
	}
	perOp, ok := r.Metric("faults/op")
	if !ok || perOp < 0.9 || perOp > 1.1 {
		t.Errorf("kernel/faults: faults/op = %v (reported %v), want 0.9..1.1: one operation, one page fault", perOp, ok)
	}
	t.Logf("go   kernel/faults threads=1 pages=%d: %.1f ns/fault, %.3f faults/op", c.Load.Pages, r.NsPerOp(), perOp)

	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no cc on PATH: the C loop is not run")
	}
	bin := filepath.Join(t.TempDir(), "faultloop")
	if out, err := exec.Command(cc, "-O2", "-pthread", "-o", bin, filepath.Join("testdata", "faultloop.c")).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, strconv.Itoa(c.Load.Pages), strconv.FormatFloat(window.Seconds(), 'f', -1, 64)).Output()
	if err != nil {
		t.Fatalf("faultloop: %v", err)
	}
	m := regexp.MustCompile(`ns/fault=([0-9.]+) minflt/fault=([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("faultloop printed %q", out)
	}
	ns, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("C    faultloop            pages=%d: %.1f ns/fault, %s faults/op", c.Load.Pages, ns, m[2])
	t.Logf("go/C = %.3f", r.NsPerOp()/ns)
}
