package machine

import (
	"bytes"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// childCPUs starts `grep Cpus_allowed_list /proc/self/status` with start
// (cmd.Start, or cmd.Start through StartUnpinned) and returns the child's
// CPU list as the kernel prints it, e.g. "0-1".
func childCPUs(t *testing.T, start func(*exec.Cmd) error) string {
	t.Helper()
	cmd := exec.Command("grep", "Cpus_allowed_list", "/proc/self/status")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	_, list, _ := strings.Cut(out.String(), ":")
	return strings.TrimSpace(list)
}

// TestStartUnpinned: a child forked from a thread pinned to one CPU
// inherits that one CPU (the fault: a cell's child process running both
// its threads there); forked through StartUnpinned from the same thread, it
// gets every CPU of the process. CPUs is the process's set on any thread.
func TestStartUnpinned(t *testing.T) {
	cpus := CPUs()
	if len(cpus) < 2 {
		t.Skipf("%d CPUs: a pinned thread's mask is the process's", len(cpus))
	}
	if _, err := exec.LookPath("grep"); err != nil {
		t.Skip("no grep to read a child's /proc/self/status")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer Unpin()
	if err := Pin(cpus[1]); err != nil {
		t.Fatal(err)
	}

	if got, want := childCPUs(t, (*exec.Cmd).Start), strconv.Itoa(cpus[1]); got != want {
		t.Fatalf("child of a thread pinned to CPU %d runs on %q: the test cannot see the fault", cpus[1], got)
	}
	whole := childCPUs(t, func(c *exec.Cmd) error { return StartUnpinned(c.Start) })
	if whole == strconv.Itoa(cpus[1]) {
		t.Errorf("child started through StartUnpinned runs on %q only, want the process's %v", whole, cpus)
	}
	if got := CPUs(); len(got) != len(cpus) {
		t.Errorf("CPUs() on a pinned thread = %v, want the process's %v", got, cpus)
	}
}
