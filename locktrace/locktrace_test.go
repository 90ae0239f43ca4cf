package locktrace

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"vmabench/kernel"
)

// TestLive traces this thread's own mincore() calls and mmaps on the live
// kernel: every mincore() is one mmap_read_lock(), so the trace must hold
// at least as many acquisitions, each with a hold. It is skipped, with the
// reason, where the process cannot trace.
func TestLive(t *testing.T) {
	if why := Probe(); why != "" {
		t.Skip(why)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 2000
	mem, err := unix.Mmap(-1, 0, 16<<12, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	vec := make([]byte, 16)
	s, err := Start([]int{unix.Gettid()})
	if err != nil {
		t.Fatal(err)
	}
	// A second Start in the same process takes the instance over.
	if err := s.On(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := kernel.Mincore(mem, vec); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ {
		m, err := unix.Mmap(-1, 0, 1<<12, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			t.Fatal(err)
		}
		unix.Munmap(m)
	}
	f, err := s.Close()
	if err != nil {
		t.Fatal(err)
	}
	th := f.Threads[0]
	t.Logf("acquisitions %d, wait %d ns, hold %d ns, sleep %d ns, lost %d, bad %d", th.Acquisitions, th.Wait, th.Hold, th.Sleep, f.Lost, f.Bad)
	if f.Lost != 0 || f.Bad != 0 {
		t.Errorf("lost %d events, %d bad records, want none", f.Lost, f.Bad)
	}
	if th.Acquisitions < n+40 {
		t.Errorf("%d mmap_lock acquisitions traced, want at least %d (mincore and mmap/munmap)", th.Acquisitions, n+40)
	}
	if th.Hold <= 0 || th.Wait <= 0 {
		t.Errorf("hold %d ns, wait %d ns: want both positive", th.Hold, th.Wait)
	}
	if got := th.Hist.TotalCount(); got != int64(th.Acquisitions) {
		t.Errorf("histogram holds %d waits, want %d", got, th.Acquisitions)
	}
}

// TestStaleInstance: an instance of the same name left behind (a killed
// run whose pid this process now has) is taken over, not an error.
func TestStaleInstance(t *testing.T) {
	if why := Probe(); why != "" {
		t.Skip(why)
	}
	s1, err := Start([]int{unix.Gettid()})
	if err != nil {
		t.Fatal(err)
	}
	// Leave s1 as a killed run would: instance in place, events on.
	close(s1.stop)
	<-s1.done
	s1.closeFDs()
	s2, err := Start([]int{unix.Gettid()})
	if err != nil {
		t.Fatalf("Start over a stale instance: %v", err)
	}
	if _, err := s2.Close(); err != nil {
		t.Fatal(err)
	}
}
