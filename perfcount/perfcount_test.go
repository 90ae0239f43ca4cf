package perfcount

import (
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"vmabench/units"
)

// fake is a kernel whose perf_event_open fails by event type as told, and
// whose group reads return count i+1 for the group's i-th event, with
// running half of enabled (a multiplexed group: counts scale by 2).
type fake struct {
	fail    map[uint32]error // by attr.Type
	exclErr error            // returned unless exclude_kernel is set
	attrs   map[int]unix.PerfEventAttr
	members map[int]int // leader fd -> events in its group
	next    int
	open    int
}

func newFake() *fake {
	return &fake{fail: map[uint32]error{}, attrs: map[int]unix.PerfEventAttr{}, members: map[int]int{}, next: 3}
}

func (f *fake) sys() Sys {
	return Sys{
		Open: func(attr *unix.PerfEventAttr, pid, cpu, group, flags int) (int, error) {
			if err := f.fail[attr.Type]; err != nil {
				return -1, err
			}
			if f.exclErr != nil && attr.Bits&unix.PerfBitExcludeKernel == 0 {
				return -1, f.exclErr
			}
			fd := f.next
			f.next++
			f.open++
			f.attrs[fd] = *attr
			if group == -1 {
				f.members[fd] = 1
			} else {
				f.members[group]++
			}
			return fd, nil
		},
		Ioctl: func(fd int, req uint, arg int) error { return nil },
		Read: func(fd int, p []byte) (int, error) {
			n := f.members[fd]
			binary.LittleEndian.PutUint64(p, uint64(n))
			binary.LittleEndian.PutUint64(p[8:], 200)
			binary.LittleEndian.PutUint64(p[16:], 100)
			for i := 0; i < n; i++ {
				binary.LittleEndian.PutUint64(p[24+8*i:], uint64(i+1))
			}
			return 24 + 8*n, nil
		},
		Close:    func(fd int) error { f.open--; return nil },
		Paranoid: func() string { return "2" },
	}
}

func TestOpen(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(*fake)
		wantUnits []string
		wantNote  string // a substring; "" for no note
		wantErr   string
	}{
		{"pmu", func(*fake) {}, Units(), "", ""},
		{"no-pmu", func(f *fake) {
			f.fail[unix.PERF_TYPE_HARDWARE] = unix.ENOENT
		}, []string{units.TaskClock, units.CtxSwitches, units.CPUMigrations, units.PageFaults}, "hardware counters absent: perf_event_open(cycles): no such file or directory", ""},
		{"paranoid", func(f *fake) {
			f.exclErr = unix.EACCES
			f.fail[unix.PERF_TYPE_HARDWARE] = unix.ENOENT
		}, []string{units.TaskClock, units.PageFaults}, "kernel.perf_event_paranoid is 2, counting kernel events needs 1 or less", ""},
		{"refused", func(f *fake) {
			f.fail[unix.PERF_TYPE_SOFTWARE] = unix.EACCES
		}, nil, "", "kernel.perf_event_paranoid is 2, per-thread counting needs 2 or less"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			tc.setup(f)
			th, note, err := Open(f.sys(), 42)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open: %v, want an error with %q", err, tc.wantErr)
				}
				if f.open != 0 {
					t.Errorf("%d fds left open after a failed Open", f.open)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tc.wantNote == "") != (note == "") || !strings.Contains(note, tc.wantNote) {
				t.Errorf("note %q, want one with %q", note, tc.wantNote)
			}
			got, err := th.Read()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.wantUnits) {
				t.Errorf("read %d counters %v, want %v", len(got), got, tc.wantUnits)
			}
			// The i-th event of a group counted i+1, running half
			// the time: scaled, 2(i+1).
			for _, u := range tc.wantUnits {
				if _, ok := got[u]; !ok {
					t.Errorf("no %s", u)
				}
			}
			if got[units.TaskClock] != 2 || got[units.PageFaults] != 8 {
				t.Errorf("task-clock %v, page-faults %v: want 2 and 8 (scaled by enabled/running)", got[units.TaskClock], got[units.PageFaults])
			}
			th.Close()
			if f.open != 0 {
				t.Errorf("%d fds left open after Close", f.open)
			}
		})
	}
}

// TestProbe: a transient error is tried again and does not decide the
// header; a refusal is not; an error that lasts is reported, with no fd
// left open either way.
func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failFor int   // the first failFor opens of task-clock fail
		err     error // with this
		want    string
		opens   int // task-clock opens tried
	}{
		{"works", 0, nil, "software and hardware", 1},
		{"einval-once", 1, unix.EINVAL, "software and hardware", 2},
		{"einval-always", 99, unix.EINVAL, "unavailable: perf_event_open(task-clock, tid 0): invalid argument", probeTries},
		{"refused", 99, unix.EACCES, "unavailable: perf_event_open(task-clock, tid 0): permission denied", 2}, // the second without the kernel
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			sys := f.sys()
			open, tries := sys.Open, 0
			sys.Open = func(attr *unix.PerfEventAttr, pid, cpu, group, flags int) (int, error) {
				if attr.Type == unix.PERF_TYPE_SOFTWARE && attr.Config == unix.PERF_COUNT_SW_TASK_CLOCK {
					if tries++; tries <= tc.failFor {
						return -1, tc.err
					}
				}
				return open(attr, pid, cpu, group, flags)
			}
			if got := Probe(sys); !strings.HasPrefix(got, tc.want) {
				t.Errorf("Probe = %q, want %q", got, tc.want)
			}
			if tries != tc.opens {
				t.Errorf("task-clock opened %d times, want %d", tries, tc.opens)
			}
			if f.open != 0 {
				t.Errorf("%d fds left open", f.open)
			}
		})
	}
}

// TestLive counts this thread's own page faults on the live kernel.
func TestLive(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	th, note, err := Open(Real, 0)
	if err != nil {
		t.Skipf("no perf counters here: %v", err)
	}
	defer th.Close()
	t.Logf("note: %q; probe: %q", note, Probe(Real))
	const pages = 64
	mem, err := unix.Mmap(-1, 0, pages<<12, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	if err := th.Enable(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < pages; i++ {
		mem[i<<12] = 1
	}
	for i := 0; i < 3; i++ { // three sleeps: three switches, counted in the kernel
		unix.Nanosleep(&unix.Timespec{Nsec: 100000}, nil)
	}
	if err := th.Disable(); err != nil {
		t.Fatal(err)
	}
	got, err := th.Read()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v", got)
	if got[units.PageFaults] < pages || got[units.TaskClock] <= 0 {
		t.Errorf("page-faults %v (want >= %d), task-clock %v (want > 0)", got[units.PageFaults], pages, got[units.TaskClock])
	}
}

// BenchmarkFaults measures what the counters cost the thread they count:
// a page fault (the event counted on every one, PERF_COUNT_SW_PAGE_FAULTS)
// with the counters open and enabled, and without.
//
//	go test -run '^$' -bench Faults -count 5 ./perfcount
func BenchmarkFaults(b *testing.B) {
	for _, counted := range []bool{false, true} {
		name := "uncounted"
		if counted {
			name = "counted"
		}
		b.Run(name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if counted {
				th, _, err := Open(Real, 0)
				if err != nil {
					b.Skip(err)
				}
				defer th.Close()
				if err := th.Enable(); err != nil {
					b.Fatal(err)
				}
			}
			const pages = 256
			mem, err := unix.Mmap(-1, 0, pages<<12, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
			if err != nil {
				b.Fatal(err)
			}
			defer unix.Munmap(mem)
			// CPU time, the thread's own (getrusage): on a busy
			// machine, wall time is mostly the other work's.
			cpu := func() int64 {
				var ru unix.Rusage
				_ = unix.Getrusage(unix.RUSAGE_THREAD, &ru)
				return ru.Utime.Nano() + ru.Stime.Nano()
			}
			b.ResetTimer()
			c0 := cpu()
			for i := 0; i < b.N; i++ {
				if i%pages == 0 {
					unix.Madvise(mem, unix.MADV_DONTNEED)
				}
				mem[(i%pages)<<12] = 1
			}
			b.ReportMetric(float64(cpu()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}
