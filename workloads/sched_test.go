package workloads

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadSchedStats: a thread that sleeps n times in the kernel counts at
// least n voluntary context switches, and Sub takes one reading from the next.
func TestReadSchedStats(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := readSchedStats()
	if !before.OK {
		t.Skip("no /proc/thread-self/status and schedstat here")
	}
	const n = 3
	for range n {
		ts := unix.NsecToTimespec(100_000)
		if err := unix.Nanosleep(&ts, nil); err != nil {
			t.Fatal(err)
		}
	}
	d := readSchedStats().Sub(before)
	if !d.OK || d.Voluntary < n || d.RunNs == 0 {
		t.Errorf("after %d sleeps: %+v, want OK, at least %d voluntary switches, some run time", n, d, n)
	}
}

func TestSchedStatsSub(t *testing.T) {
	a := SchedStats{Voluntary: 10, Involuntary: 5, RunNs: 1000, WaitNs: 300, Slices: 15, OK: true}
	b := SchedStats{Voluntary: 4, Involuntary: 1, RunNs: 400, WaitNs: 100, Slices: 5, OK: true}
	want := SchedStats{Voluntary: 6, Involuntary: 4, RunNs: 600, WaitNs: 200, Slices: 10, OK: true}
	if got := a.Sub(b); got != want {
		t.Errorf("Sub = %+v, want %+v", got, want)
	}
	if b.OK = false; a.Sub(b).OK {
		t.Error("Sub of a failed reading is OK")
	}
}
