// Package locktrace times the live kernel's mmap_lock, per thread, from the
// kernel's own tracepoints: mmap_lock:mmap_lock_start_locking,
// mmap_lock_acquire_returned and mmap_lock_released (the three that
// include/linux/mmap_lock.h fires around every mmap_read_lock(),
// mmap_write_lock(), trylock and unlock), and lock:contention_begin and
// contention_end, which kernel/locking/rwsem.c fires around a waiter's
// sleep on the wait list. It is the kernel side of the lock wait and hold
// figures the models report from their own locks (mm.LockTime).
//
// A Session traces into a tracefs instance of its own,
// instances/vmabench-<pid>, so another user of tracing (the top-level
// buffer, perf, another instance) is not disturbed, and it traces only the
// cell's threads (set_event_pid). It reads each CPU's trace_pipe_raw, the
// ring buffer's binary sub-buffers, while the cell runs: no text is
// formatted in the kernel, timestamps are whole nanoseconds (the text
// `trace` file prints microseconds), and a reader that keeps up needs only
// a small buffer. Parsing follows the running kernel's format files.
//
// The per-VMA locks have no tracepoint of their own: a reader's
// lock_vma_under_rcu() never waits (it takes the VMA's reference or
// falls back to mmap_lock, which is traced), and a writer's wait for a
// VMA's readers (__vma_enter_locked()'s rcuwait) lies inside its
// mmap_lock hold. So the kernel's lock figures are mmap_lock's alone, and
// a writer's hold includes any wait for VMA readers; the unit table says so.
package locktrace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Root is where tracefs is mounted, or mounted by Probe if missing.
const Root = "/sys/kernel/tracing"

// bufferKB is each CPU's ring buffer in the instance: about 80 ms of a
// lookups cell's three events per mincore() at 1M mincore() a second,
// which the reader, polling every pollEvery, keeps well ahead of unless
// it is starved of a CPU that long (a trace that lost events is reported
// as such, its figures left out).
const bufferKB = 8192

// pollEvery is how often the reader looks for full sub-buffers.
const pollEvery = 2 * time.Millisecond

var (
	probeOnce sync.Once
	probeWhy  string
)

// Probe reports why this process cannot trace the kernel's mmap_lock, or ""
// if it can: tracefs mounted (Probe mounts it at Root if it is missing and
// the process may), the events present, an instance creatable. The answer
// is found once per process.
func Probe() string {
	probeOnce.Do(func() { probeWhy = probe(Root) })
	return probeWhy
}

func probe(root string) string {
	if _, err := os.Stat(filepath.Join(root, "instances")); err != nil {
		if os.Geteuid() != 0 {
			return fmt.Sprintf("tracefs is not mounted at %s and the process is not root (uid %d) to mount it", root, os.Geteuid())
		}
		if err := unix.Mount("nodev", root, "tracefs", 0, ""); err != nil {
			return fmt.Sprintf("tracefs is not mounted at %s, and mounting it failed: %v", root, err)
		}
		if _, err := os.Stat(filepath.Join(root, "instances")); err != nil {
			return fmt.Sprintf("tracefs mounted at %s has no instances directory: %v", root, err)
		}
	}
	if _, err := readFormats(filepath.Join(root, "events")); err != nil {
		return fmt.Sprintf("the kernel lacks a traced event (CONFIG_TRACING and the mmap_lock and lock events): %v", err)
	}
	if unix.Access(filepath.Join(root, "instances"), unix.W_OK) != nil {
		return fmt.Sprintf("%s/instances is not writable by uid %d (tracing needs root)", root, os.Geteuid())
	}
	return ""
}

// Session is the tracing of one cell's threads, from Start to Close.
type Session struct {
	dir  string
	cpus []int
	sub  int // sub-buffer size in bytes
	p    parser
	mu   sync.Mutex // guards p against the reader and Close

	stop chan struct{}
	done chan struct{}
	fds  []int
	lost uint64 // dropped events and overruns, at Close
}

// Start prepares an instance named vmabench-<pid> for the threads tids,
// with the events enabled and tracing off (On turns it on), and starts
// reading it. An instance of that name left by a killed run (its pid
// reused) is taken over and reset, never an error.
func Start(tids []int) (*Session, error) {
	if why := Probe(); why != "" {
		return nil, errors.New(why)
	}
	dir := filepath.Join(Root, "instances", "vmabench-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("creating tracefs instance: %w", err)
	}
	s := &Session{dir: dir, stop: make(chan struct{}), done: make(chan struct{})}
	f, err := readFormats(filepath.Join(dir, "events"))
	if err != nil {
		s.remove()
		return nil, err
	}
	s.p.f = f
	for _, tid := range tids {
		s.p.threads = append(s.p.threads, newThread(tid))
	}
	pids := make([]string, len(tids))
	for i, tid := range tids {
		pids[i] = strconv.Itoa(tid)
	}
	steps := []struct{ file, value string }{
		{"tracing_on", "0"},
		{"events/enable", "0"}, // a stale instance's events
		{"trace", ""},          // and its buffer's contents
		{"set_event_pid", strings.Join(pids, " ")},
		{"options/overwrite", "0"}, // a full buffer drops new events, counted, rather than overwrite old ones
		{"buffer_size_kb", strconv.Itoa(bufferKB)},
		{"events/mmap_lock/enable", "1"},
		{"events/lock/contention_begin/enable", "1"},
		{"events/lock/contention_end/enable", "1"},
	}
	for _, st := range steps {
		if err := s.write(st.file, st.value); err != nil {
			s.remove()
			return nil, err
		}
	}
	s.sub = os.Getpagesize()
	if b, err := os.ReadFile(filepath.Join(dir, "buffer_subbuf_size_kb")); err == nil {
		if kb, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && kb > 0 {
			s.sub = kb << 10
		}
	}
	for cpu := 0; cpu < runtime.NumCPU(); cpu++ {
		fd, err := unix.Open(filepath.Join(dir, "per_cpu", "cpu"+strconv.Itoa(cpu), "trace_pipe_raw"), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			continue // a CPU not possible on this machine
		}
		if err != nil {
			s.closeFDs()
			s.remove()
			return nil, fmt.Errorf("opening cpu%d trace_pipe_raw: %w", cpu, err)
		}
		s.fds = append(s.fds, fd)
		s.cpus = append(s.cpus, cpu)
	}
	go s.read()
	return s, nil
}

func (s *Session) write(file, value string) error {
	flag := os.O_WRONLY
	if value == "" {
		flag |= os.O_TRUNC
	}
	f, err := os.OpenFile(filepath.Join(s.dir, file), flag, 0)
	if err != nil {
		return fmt.Errorf("tracefs %s: %w", file, err)
	}
	if value != "" {
		_, err = f.WriteString(value)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("tracefs %s = %q: %w", file, value, err)
	}
	return nil
}

// On starts tracing (the window opens).
func (s *Session) On() error { return s.write("tracing_on", "1") }

// Off stops tracing (the window closes).
func (s *Session) Off() error { return s.write("tracing_on", "0") }

// read polls each CPU's buffer until Close.
func (s *Session) read() {
	defer close(s.done)
	buf := make([]byte, s.sub)
	for {
		s.drain(buf)
		select {
		case <-s.stop:
			s.drain(buf)
			return
		case <-time.After(pollEvery):
		}
	}
}

// drain reads every CPU's buffer until it has nothing more.
func (s *Session) drain(buf []byte) {
	for _, fd := range s.fds {
		for {
			n, err := unix.Read(fd, buf)
			if err != nil || n <= 0 {
				break
			}
			s.mu.Lock()
			s.p.page(buf[:n])
			s.mu.Unlock()
		}
	}
}

// Figures are a Session's results.
type Figures struct {
	// Threads are the traced threads' figures, in Start's order.
	Threads []*Thread
	// Lost is the events the ring buffer dropped, and sub-buffers that
	// followed lost events; figures with any are incomplete.
	Lost uint64
	// Bad counts records too short for their format (none in a sound
	// trace).
	Bad int
}

// Close stops tracing, reads what is left, removes the instance and
// returns the figures.
func (s *Session) Close() (Figures, error) {
	errOff := s.Off()
	close(s.stop)
	<-s.done
	lost := s.lostEvents()
	s.closeFDs()
	errRm := s.remove()
	s.mu.Lock()
	defer s.mu.Unlock()
	return Figures{Threads: s.p.threads, Lost: lost + uint64(s.p.missed), Bad: s.p.bad}, errors.Join(errOff, errRm)
}

// lostEvents sums each CPU's "dropped events" and "overrun" (per_cpu/cpuN/stats).
func (s *Session) lostEvents() uint64 {
	var n uint64
	for _, cpu := range s.cpus {
		b, err := os.ReadFile(filepath.Join(s.dir, "per_cpu", "cpu"+strconv.Itoa(cpu), "stats"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok || (k != "dropped events" && k != "overrun") {
				continue
			}
			if x, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
				n += x
			}
		}
	}
	return n
}

func (s *Session) closeFDs() {
	for _, fd := range s.fds {
		unix.Close(fd)
	}
	s.fds = nil
}

// remove disables the instance's events and removes it.
func (s *Session) remove() error {
	_ = s.write("events/enable", "0")
	if err := unix.Rmdir(s.dir); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing tracefs instance %s: %w", s.dir, err)
	}
	return nil
}
