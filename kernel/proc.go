package kernel

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"vmabench/cell"
)

// ProcFile is a file of /proc opened once and read whole again and again
// into one buffer, as a monitoring tool rereads /proc/self/maps or
// /proc/vmstat: each ReadAll starts again at offset 0, so the kernel
// generates the text afresh (seq_read_iter() restarts its walk at a new
// position).
type ProcFile struct {
	fd  int
	buf []byte
}

// OpenProc opens path for reading, with a buffer of bufSize bytes.
func OpenProc(path string, bufSize int) (*ProcFile, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &ProcFile{fd: fd, buf: make([]byte, bufSize)}, nil
}

// ReadAll reads the whole file from offset 0 and returns its length. The
// text is in Bytes if it fitted in the buffer (n <= len(Bytes())); a longer
// file is read to its end all the same, overwriting the buffer, so one call
// is one full read either way.
func (f *ProcFile) ReadAll() (n int, err error) {
	for {
		at := n
		if at >= len(f.buf) {
			at = 0
		}
		// pread(2), raw (raw.go).
		r, _, e := unix.RawSyscall6(unix.SYS_PREAD64, uintptr(f.fd), sliceAddr(f.buf[at:]), uintptr(len(f.buf)-at), uintptr(n), 0, 0)
		if e != 0 {
			return n, e
		}
		k := int(r)
		if k == 0 {
			return n, nil
		}
		n += k
	}
}

// Bytes returns the buffer ReadAll reads into.
func (f *ProcFile) Bytes() []byte { return f.buf }

// Close closes the file.
func (f *ProcFile) Close() error { return unix.Close(f.fd) }

// Release returns the running kernel's release (uname -r), or "" if it
// cannot be read.
func Release() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// PerVMALock reports whether the running kernel was built with
// CONFIG_PER_VMA_LOCK, which makes page faults take the VMA's lock instead
// of mmap_lock (lock_vma_under_rcu()): "y", "n", or "unknown" when neither
// /proc/config.gz nor /boot/config-<release> can be read.
func PerVMALock() string {
	v, ok := kernelConfig("CONFIG_PER_VMA_LOCK")
	switch {
	case !ok:
		return "unknown"
	case v == "y":
		return "y"
	}
	return "n"
}

// CPUIdle names how this machine's idle CPUs wait for work, for a report
// header: the cpuidle governor ("menu", "teo", "ladder", "haltpoll"), and
// under the haltpoll governor of a KVM guest its polling window,
// "haltpoll,halt-poll-ns=200000"; "none" where cpuidle is off (the
// architecture's default idle), "unknown" where sysfs cannot be read.
//
// It belongs beside every figure in which a thread sleeps on a lock. A
// thread woken on an idle CPU that is still polling runs within a few
// microseconds; one woken on a CPU that halted must first be sent an IPI
// (a reschedule or call-function interrupt), which a VM pays as an exit on
// the sender and an injection on the target: about 10 µs on the 2-CPU VM
// the README measures, where a halt-poll window of 200 µs took the model's
// rwsem round trip from 22-26 µs to 7.3 µs and left the kernel's at 15 µs.
func CPUIdle() string {
	const sys = "/sys/devices/system/cpu/cpuidle/"
	read := func(path string) (string, bool) {
		b, err := os.ReadFile(path)
		v := strings.TrimSpace(string(b))
		return v, err == nil && v != ""
	}
	if d, ok := read(sys + "current_driver"); ok && d == "none" {
		return "none"
	}
	gov, ok := read(sys + "current_governor")
	if !ok {
		if gov, ok = read(sys + "current_governor_ro"); !ok {
			if _, err := os.Stat(sys); errors.Is(err, os.ErrNotExist) {
				return "none"
			}
			return "unknown"
		}
	}
	if gov == "haltpoll" {
		if ns, ok := read("/sys/module/haltpoll/parameters/guest_halt_poll_ns"); ok {
			return gov + ",halt-poll-ns=" + ns
		}
	}
	return strings.Join(strings.Fields(gov), ",")
}

// kernelConfig returns the value of option name in the running kernel's
// configuration ("" for "# name is not set"), and whether a configuration
// was found at all.
func kernelConfig(name string) (string, bool) {
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		if z, err := gzip.NewReader(f); err == nil {
			if v, err := configValue(z, name); err == nil {
				return v, true
			}
		}
	}
	if f, err := os.Open("/boot/config-" + Release()); err == nil {
		defer f.Close()
		if v, err := configValue(f, name); err == nil {
			return v, true
		}
	}
	return "", false
}

// configValue scans a kernel .config for option name: its value, or "" if
// it is not set (an absent option is not set, as Kconfig reads it).
func configValue(r io.Reader, name string) (string, error) {
	s := bufio.NewScanner(r)
	prefix := []byte(name + "=")
	for s.Scan() {
		if v, ok := bytes.CutPrefix(s.Bytes(), prefix); ok {
			return string(v), nil
		}
	}
	return "", s.Err()
}

// VMALockStats are the kernel's per-VMA lock events, from /proc/vmstat
// when the kernel is built with CONFIG_PER_VMA_LOCK_STATS; the models keep
// the same counters under the same names (mm.Stats).
type VMALockStats struct {
	Success uint64 // vma_lock_success: fault handled under the VMA lock
	Abort   uint64 // vma_lock_abort: VMA lock not taken, fell back to mmap_lock
	Retry   uint64 // vma_lock_retry: the fault asked to be retried under mmap_lock
	Miss    uint64 // vma_lock_miss: the VMA found under RCU was detached
}

// Sub returns s - o, the events between two readings.
func (s VMALockStats) Sub(o VMALockStats) VMALockStats {
	return VMALockStats{s.Success - o.Success, s.Abort - o.Abort, s.Retry - o.Retry, s.Miss - o.Miss}
}

// ParseVMStat returns the vma_lock_* counters of a /proc/vmstat text, and
// false unless all four are present. It allocates nothing.
func ParseVMStat(text []byte) (VMALockStats, bool) {
	var s VMALockStats
	var found int
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		name, val, ok := bytes.Cut(line, []byte{' '})
		if !ok || !bytes.HasPrefix(name, []byte("vma_lock_")) {
			continue
		}
		var dst *uint64
		switch string(name[len("vma_lock_"):]) {
		case "success":
			dst = &s.Success
		case "abort":
			dst = &s.Abort
		case "retry":
			dst = &s.Retry
		case "miss":
			dst = &s.Miss
		default:
			continue
		}
		n, ok := parseUint(val)
		if !ok {
			continue
		}
		*dst = n
		found++
	}
	return s, found == 4
}

// parseUint parses decimal digits without allocating.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// vmstatSize is ample for /proc/vmstat (about 8 KiB on 6.18).
const vmstatSize = 64 << 10

// ErrNoVMALockStats is returned by OpenVMStat on a kernel without
// CONFIG_PER_VMA_LOCK_STATS: its /proc/vmstat has no vma_lock_* lines.
var ErrNoVMALockStats = errors.New("/proc/vmstat has no vma_lock_* counters (CONFIG_PER_VMA_LOCK_STATS is not set)")

// VMStat reads the vma_lock_* counters of /proc/vmstat. They count events
// of the whole system, not of this process: another process's page faults
// add to them.
type VMStat struct{ f *ProcFile }

// OpenVMStat opens /proc/vmstat, or returns ErrNoVMALockStats if it has no
// vma_lock_* counters.
func OpenVMStat() (*VMStat, error) { return openVMStat("/proc/vmstat") }

func openVMStat(path string) (*VMStat, error) {
	f, err := OpenProc(path, vmstatSize)
	if err != nil {
		return nil, err
	}
	v := &VMStat{f}
	if _, err := v.Read(); err != nil {
		f.Close()
		return nil, err
	}
	return v, nil
}

// Read returns the counters now. It allocates nothing.
func (v *VMStat) Read() (VMALockStats, error) {
	n, err := v.f.ReadAll()
	if err != nil {
		return VMALockStats{}, fmt.Errorf("read vmstat: %w", err)
	}
	if n > len(v.f.buf) {
		return VMALockStats{}, fmt.Errorf("read vmstat: %d bytes, more than %d", n, len(v.f.buf))
	}
	s, ok := ParseVMStat(v.f.buf[:n])
	if !ok {
		return VMALockStats{}, ErrNoVMALockStats
	}
	return s, nil
}

// Close closes /proc/vmstat.
func (v *VMStat) Close() error { return v.f.Close() }

// HasVMALockStats reports whether /proc/vmstat has the vma_lock_* counters.
// The answer is read once and kept: a kernel does not change its
// configuration while it runs.
var HasVMALockStats = sync.OnceValue(func() bool {
	v, err := OpenVMStat()
	if err != nil {
		return false
	}
	v.Close()
	return true
})

// Facts describes the running kernel for a report header, as key/value
// pairs in report order: whether per-VMA locks are configured
// ("per-vma-lock": y, n or unknown), whether /proc/vmstat counts their
// events ("vma-lock-stats": available or unavailable) and how idle CPUs
// wait ("cpuidle", CPUIdle). The release is not among them: a report's
// header has it as "kernel".
func Facts() []cell.KV {
	stats := "unavailable"
	if HasVMALockStats() {
		stats = "available"
	}
	return []cell.KV{
		{Key: "per-vma-lock", Value: PerVMALock()},
		{Key: "vma-lock-stats", Value: stats},
		{Key: "cpuidle", Value: CPUIdle()},
	}
}

// Mapping is one line of /proc/self/maps: the range [Start, End) and its
// permissions, e.g. "rw-p".
type Mapping struct {
	Start, End uint64
	Perms      string
}

// SelfMaps returns the mappings of /proc/self/maps that overlap [lo, hi), in
// address order, as show_map_vma() prints them.
func SelfMaps(lo, hi uint64) ([]Mapping, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Mapping
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		a, b, _ := strings.Cut(fields[0], "-")
		from, err1 := strconv.ParseUint(a, 16, 64)
		to, err2 := strconv.ParseUint(b, 16, 64)
		if err1 != nil || err2 != nil || len(fields) < 2 {
			return nil, fmt.Errorf("/proc/self/maps: bad line %q", s.Text())
		}
		if to > lo && from < hi {
			out = append(out, Mapping{Start: from, End: to, Perms: fields[1]})
		}
	}
	return out, s.Err()
}
