// Package perfcount counts a thread's CPU events with perf_event_open(2):
// the software events the kernel always has (task clock, context switches,
// CPU migrations, page faults) and, where the machine exposes a PMU, the
// hardware ones (cycles, instructions, cache misses, last-level cache read
// misses), as `perf stat -t TID` does.
//
// It calls golang.org/x/sys/unix's PerfEventOpen directly rather than a
// library: vmabench needs eight counting events in two groups, opened
// disabled, enabled and disabled once around a window and read once, which
// is fifty lines over a package the module already depends on; the
// libraries (elastic/go-perf, hodgesds/perf-utils) add sampling, ring
// buffers and a dependency that nothing else here needs.
//
// Each group is read in one read(2) (PERF_FORMAT_GROUP) with its enabled and
// running times, so a group the kernel multiplexed is scaled as perf stat
// scales it.
package perfcount

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"vmabench/units"
)

// Sys is the system calls the package makes, so a test can stand in for a
// kernel with or without a PMU.
type Sys struct {
	Open  func(attr *unix.PerfEventAttr, pid, cpu, groupFd, flags int) (int, error)
	Ioctl func(fd int, req uint, arg int) error
	Read  func(fd int, p []byte) (int, error)
	Close func(fd int) error
	// Paranoid returns kernel.perf_event_paranoid, for a note.
	Paranoid func() string
}

// Real is the running kernel's.
var Real = Sys{
	Open:  unix.PerfEventOpen,
	Ioctl: unix.IoctlSetInt,
	Read:  unix.Read,
	Close: unix.Close,
	Paranoid: func() string {
		b, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
		if err != nil {
			return "unknown"
		}
		return strings.TrimSpace(string(b))
	},
}

// event is one counter and the unit its value per operation is reported in.
type event struct {
	unit   string
	typ    uint32
	config uint64
}

var (
	software = []event{
		{units.TaskClock, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_TASK_CLOCK},
		{units.CtxSwitches, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES},
		{units.CPUMigrations, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_MIGRATIONS},
		{units.PageFaults, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS},
	}
	hardware = []event{
		{units.Cycles, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CPU_CYCLES},
		{units.Instructions, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_INSTRUCTIONS},
		{units.CacheMisses, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CACHE_MISSES},
		{units.LLCReadMisses, unix.PERF_TYPE_HW_CACHE, unix.PERF_COUNT_HW_CACHE_LL |
			unix.PERF_COUNT_HW_CACHE_OP_READ<<8 | unix.PERF_COUNT_HW_CACHE_RESULT_MISS<<16},
	}
)

// Units returns the units of the counters, software then hardware.
func Units() []string {
	var out []string
	for _, e := range append(append([]event{}, software...), hardware...) {
		out = append(out, e.unit)
	}
	return out
}

type group struct {
	events []event
	fds    []int // fds[0] is the leader
}

// Thread is the open counters of one thread.
type Thread struct {
	sys    Sys
	groups []group
	// exclKernel: the counts leave the kernel out, and so the context
	// switches and migrations, which happen in the kernel, read 0: Read
	// leaves them out rather than report a false zero.
	exclKernel bool
}

// Open opens the counters of thread tid (0: the calling thread), disabled.
// The software group must open; the hardware group is left out where it
// cannot, and note says why (no PMU, perf_event_paranoid). A note also
// says when the counts leave the kernel out.
func Open(sys Sys, tid int) (t *Thread, note string, err error) {
	t = &Thread{sys: sys}
	exclKernel := false
	g, err := t.open(software, tid, false)
	if isPerm(err) {
		// perf_event_paranoid >= 2 without CAP_PERFMON: user-space
		// counts only.
		exclKernel = true
		g, err = t.open(software, tid, true)
		t.exclKernel = true
		note = fmt.Sprintf("counts exclude the kernel (no ctx-switches/op, cpu-migrations/op, which it counts): kernel.perf_event_paranoid is %s, counting kernel events needs 1 or less (or CAP_PERFMON)", sys.Paranoid())
	}
	if err != nil {
		if isPerm(err) {
			return nil, "", fmt.Errorf("perf_event_open(task-clock, tid %d): %w: kernel.perf_event_paranoid is %s, per-thread counting needs 2 or less (or CAP_PERFMON)", tid, err, sys.Paranoid())
		}
		return nil, "", fmt.Errorf("perf_event_open(task-clock, tid %d): %w", tid, err)
	}
	t.groups = append(t.groups, g)
	hw, herr := t.open(hardware, tid, exclKernel)
	switch {
	case herr == nil:
		t.groups = append(t.groups, hw)
	case isPerm(herr):
		note = join(note, fmt.Sprintf("hardware counters refused (%v): kernel.perf_event_paranoid is %s, they need 1 or less (or CAP_PERFMON)", herr, sys.Paranoid()))
	default:
		note = join(note, fmt.Sprintf("hardware counters absent: perf_event_open(cycles): %v (no PMU exposed to this machine)", herr))
	}
	return t, note, nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func isPerm(err error) bool { return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) }

// open opens events as one group on tid, the first its leader.
func (t *Thread) open(events []event, tid int, exclKernel bool) (group, error) {
	g := group{events: events}
	for i, e := range events {
		attr := unix.PerfEventAttr{
			Type:        e.typ,
			Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
			Config:      e.config,
			Read_format: unix.PERF_FORMAT_GROUP | unix.PERF_FORMAT_TOTAL_TIME_ENABLED | unix.PERF_FORMAT_TOTAL_TIME_RUNNING,
		}
		if i == 0 {
			attr.Bits |= unix.PerfBitDisabled
		}
		if exclKernel {
			attr.Bits |= unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv
		}
		leader := -1
		if i > 0 {
			leader = g.fds[0]
		}
		fd, err := t.sys.Open(&attr, tid, -1, leader, unix.PERF_FLAG_FD_CLOEXEC)
		if err != nil {
			for _, fd := range g.fds {
				t.sys.Close(fd)
			}
			return group{}, err
		}
		g.fds = append(g.fds, fd)
	}
	return g, nil
}

// Enable starts counting.
func (t *Thread) Enable() error { return t.ioctl(unix.PERF_EVENT_IOC_ENABLE) }

// Disable stops counting.
func (t *Thread) Disable() error { return t.ioctl(unix.PERF_EVENT_IOC_DISABLE) }

func (t *Thread) ioctl(req uint) error {
	var errs []error
	for _, g := range t.groups {
		errs = append(errs, t.sys.Ioctl(g.fds[0], req, unix.PERF_IOC_FLAG_GROUP))
	}
	return errors.Join(errs...)
}

// Read returns the counts by unit, each scaled by its group's enabled over
// running time where the kernel multiplexed it.
func (t *Thread) Read() (map[string]float64, error) {
	out := make(map[string]float64)
	for _, g := range t.groups {
		b := make([]byte, 8*(3+len(g.events)))
		n, err := t.sys.Read(g.fds[0], b)
		if err != nil {
			return nil, fmt.Errorf("reading perf counters: %w", err)
		}
		if n != len(b) || binary.LittleEndian.Uint64(b) != uint64(len(g.events)) {
			return nil, fmt.Errorf("reading perf counters: %d bytes, %d events; want %d bytes, %d", n, binary.LittleEndian.Uint64(b), len(b), len(g.events))
		}
		enabled, running := binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])
		scale := 1.0
		if running > 0 && running < enabled {
			scale = float64(enabled) / float64(running)
		}
		for i, e := range g.events {
			if t.exclKernel && (e.unit == units.CtxSwitches || e.unit == units.CPUMigrations) {
				continue
			}
			out[e.unit] = float64(binary.LittleEndian.Uint64(b[24+8*i:])) * scale
		}
	}
	return out, nil
}

// Close closes the counters.
func (t *Thread) Close() {
	for _, g := range t.groups {
		for _, fd := range g.fds {
			t.sys.Close(fd)
		}
	}
	t.groups = nil
}

// Probe opens the counters of the calling thread and describes what
// counts here, for a results file's header: "software and hardware", or
// "software; hardware counters absent: ...", or "unavailable: ...".
//
// An error other than a refusal (EACCES, EPERM) is tried again, up to
// probeTries times in all: a CI host was seen to fail one perf_event_open
// of task-clock with EINVAL and open the same event a few seconds later in
// the same process, which split one configuration's two nights.
func Probe(sys Sys) string {
	var err error
	for try := 0; try < probeTries; try++ {
		if try > 0 {
			time.Sleep(probePause)
		}
		var t *Thread
		var note string
		t, note, err = Open(sys, 0)
		if err != nil {
			if isPerm(err) {
				break
			}
			continue
		}
		defer t.Close()
		what := "software"
		if len(t.groups) == 2 {
			what = "software and hardware"
		}
		if note != "" {
			return what + "; " + note
		}
		return what
	}
	return "unavailable: " + err.Error()
}

// probeTries and probePause bound Probe's retries of a transient error.
const (
	probeTries = 3
	probePause = 20 * time.Millisecond
)
