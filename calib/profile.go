// Package calib calibrates the models' costs against the live kernel: it
// measures what one anonymous page fault, one mmap and munmap, one mprotect
// split or merge and one mincore() cost on this machine (Measure), keeps
// them in a small profile file per machine (Write, Load), and turns a
// profile into the work each model does under and around its locks
// (Derive), so that a model operation takes the kernel's time and holds its
// lock for as long as the kernel does.
//
// A profile is text in the benchfmt configuration syntax, one "key: value"
// line each, with the machine, the CPU, the kernel release and the date it
// was made, and each cost in ns:
//
//	machine: build-7
//	cpu: AMD EPYC 7B13
//	kernel: 6.18.44
//	date: 2026-12-01T05:40:00Z
//	load: 0.12
//	pcp-high: 3378
//	pcp-batch: 63
//	fault-ns: 1612
//	...
//
// The load is the one-minute load average the profile was measured under:
// a profile made on a busy machine runs slow, and Resolve checks a cached
// profile against a few fresh rounds before it trusts it.
package calib

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"vmabench/internal/atomicfile"
	"vmabench/internal/machine"
)

// Profile is the live kernel's cost of each operation the models calibrate,
// measured on one machine, in ns per operation.
type Profile struct {
	Machine string    // the host name
	CPU     string    // the CPU model, as /proc/cpuinfo names it
	Kernel  string    // the kernel release, uname -r
	Date    time.Time // when it was measured
	// Load is the one-minute load average when it was measured
	// (/proc/loadavg).
	Load float64
	// PCPHigh and PCPBatch are the page allocator's per-CPU list high and
	// batch of the zone anonymous pages come from, in pages, as
	// /proc/zoneinfo showed them (kernel.ReadPCP); 0 where unreadable.
	PCPHigh, PCPBatch int

	// Fault is one anonymous page fault, write to an untouched page of a
	// private mapping (do_anonymous_page()), from user space: trap, fault
	// handling and return.
	Fault float64
	// DontNeed is one madvise(MADV_DONTNEED) of a 64-page VMA whose pages
	// are all present: how a faults pass resets its VMA.
	DontNeed float64
	// Mmap and Munmap are one mmap(2) of a 64-page private anonymous
	// region and its munmap(2); the pair is mmap-churn's operation.
	Mmap, Munmap float64
	// Mprotect is one mprotect(2) of one page inside a 64-page VMA whose
	// pages are present: a split into three or the merge back, on average.
	Mprotect float64
	// Mincore is one mincore(2) of a 64-page VMA: one mmap_read_lock round
	// trip. MincoreEmpty is mincore() of length 0: everything but the lock
	// and the walk.
	Mincore, MincoreEmpty float64
	// Syscall is the cheapest system call (getppid) through Go's wrapper;
	// Trap the same without the wrapper, the stand-in for a fault's
	// exception entry and exit.
	Syscall, Trap float64
	// Yield is one sched_yield(2) with nothing else runnable on the CPU:
	// the system call and a pass through schedule(). A thread that waits
	// without a lock to sleep on (nolock's writers on each other, pft's
	// barrier) pays it per look, so it sets how often such a thread
	// looks.
	Yield float64
	// FaultHold is how long an anonymous fault's handler holds its lock:
	// from mmap_lock_acquire_returned to mmap_lock_released, in the
	// kernel's own tracepoints, around faults taken in kernel mode (a
	// read() of /dev/zero into a zapped page, whose copy faults the page
	// in under mmap_read_lock(), do_user_addr_fault()'s path for a fault
	// without FAULT_FLAG_USER) on the same VMA as Fault's. What Fault
	// spends beyond Trap and FaultHold is the exception's rest, after the
	// lock (mm.Work.FaultExit). 0 where the kernel cannot be traced (no
	// tracefs, not root): then the whole fault counts as under its lock.
	FaultHold float64
	// IPISend is what mprotect's TLB flush adds to it when another thread
	// of the process runs on another CPU (flush_tlb_mm_range() sending an
	// IPI and waiting for it); IPIRecv is the CPU time that thread loses to
	// each such flush. Both are 0 where only one CPU is allowed.
	IPISend, IPIRecv float64
	// TLBLazy is what a wake-up costs the woken thread more when, while it
	// slept, another thread of its process flushed the TLB: its idle CPU,
	// in lazy TLB mode, got no IPI and flushes the whole TLB for itself on
	// the switch back (switch_mm_irqs_off()). Measured on a 2-CPU VM
	// (nested paging, no PCID): 22-31 µs over a 10 µs wake-up. 0 where
	// only one CPU is allowed.
	TLBLazy float64
	// MapsVMA is what one more VMA adds to a read of /proc/self/maps:
	// show_map_vma() and its share of the page of output (the slope of
	// the read's time over two VMA counts).
	MapsVMA float64

	// The field's shapes (page_fault1-3, mmap2), each timed over a 2 MiB
	// mapping (one page-table page) in a steady state, the page cache of
	// the file warm, as the peer's testcase is after its first pass:
	//
	// FaultFresh is one write fault in a fresh anonymous mapping
	// (page_fault1's): the page-table page allocated once per 512 faults,
	// the page from the allocator rather than from a just-zapped one.
	// ZapAnon is what munmap adds per anonymous page present (unmapped
	// and freed), over munmap of an untouched mapping.
	FaultFresh, ZapAnon float64
	// FaultFreshLarge is FaultFresh over a mapping of mm.ColdBytes
	// (64 MiB), past the caches: the pages a pass zeroes, their struct
	// pages and page tables no longer fit, so each fault costs more than
	// in the 2 MiB pass, whose pages come back hot from the last one.
	// Measured on a 2-CPU VM (2026-12-07, one thread, the median of a
	// size's passes): 7.8-8.1 µs a fault at 2 MiB, 8.0-8.5 at 8, 8.6-9.0
	// at 32, 8.9-9.2 at 64 and 8.9-9.4 at 128.
	FaultFreshLarge float64
	// FaultCOW is one write fault on a private mapping of a file whose
	// page is in the page cache (do_cow_fault()); FaultShared one on a
	// shared mapping (do_shared_fault()), of a page already dirty, on the
	// file system of the temporary directory; ZapShared what munmap adds
	// per shared file page present. SharedFaultPages is how many pages
	// one shared write fault maps (a count, not a cost): from v6.18,
	// finish_fault() maps a large folio of the page cache whole, and
	// ext4's are large (v6.16), so one fault serves several touches.
	FaultCOW, FaultShared, ZapShared, SharedFaultPages float64
	// MmapFile and MunmapFile are one mmap(2) of a 2 MiB private mapping of
	// a file and its munmap(2), untouched (mmap2's pair).
	MmapFile, MunmapFile float64

	// PairP10, PairP50, PairP90, PairP99 and PairP999 are percentiles of
	// one mmap(2) and munmap(2) pair (Mmap's) timed on its own, many
	// times: how much the same kernel work varies from one time to the
	// next on this machine, tail included. A projection draws each piece
	// of its calibrated work from their ratios (Spread), so that threads
	// doing the same work drift apart as real ones do instead of staying
	// in lockstep.
	PairP10, PairP50, PairP90, PairP99, PairP999 float64

	// The coherence costs a projection charges (package sim's Coherence
	// model), measured by pinned threads (coherence.go): Hit is a load of
	// a line the CPU holds; RMW an uncontended atomic add; LineTransfer a
	// cache line's move between two CPUs (half a ping-pong's round trip);
	// ContendedRMW an atomic add of one line two CPUs add to at once (the
	// total time over the total adds); Pause one cpu_relax(); Wakeup a
	// futex wake-up of a thread asleep on another CPU, idle for 200 µs,
	// to it running (the median).
	Hit, RMW, LineTransfer, ContendedRMW, Pause, Wakeup float64
	// WakeupAfter is Wakeup for a CPU idle for only WakeIdles[i]: the
	// shallower idle state a short idle leaves a CPU in (cpuidle's
	// governor; a VM's guest halt-polling) is left faster. Measured on a
	// 2-CPU VM: 12-15 µs after 2 µs idle against 34-67 µs after 200 µs.
	WakeupAfter [len(WakeIdles)]float64
	// WakeupP10 and WakeupP90 are the 10th and 90th percentiles of the
	// same wake-ups, WakeIdles' then Wakeup's: the spread a projection
	// draws each wake-up from (sim.WakePoint).
	WakeupP10, WakeupP90 [len(WakeIdles) + 1]float64
	// WakeupSend is what each of those wake-ups cost the waker, its
	// FUTEX_WAKE (the mean, sendCost): the IPI to the idle CPU, on a VM
	// an exit to the host, or none to a CPU still polling in its idle
	// loop. Measured on a 2-CPU VM: 5-8 µs (medians); on another, sends
	// of 1.4 µs or 10-12 µs, means of 2.8-10.4 µs.
	WakeupSend [len(WakeIdles) + 1]float64
}

// WakeIdles are the idle times, in µs, of Profile.WakeupAfter's points;
// Wakeup is the point at WakeIdleLong.
//
// The first, 0.5 µs, is a sleeper woken as it goes to sleep, the case that
// decides a reader beside a writer: in the real model's lookups-mmap on a
// 2-CPU VM (AMD EPYC, kernel 6.18; 2026-12-06), timed in wakeUpProcess(),
// 70 to 80% of the FUTEX_WAKEs came under 1 µs after the sleeper's last
// step before FUTEX_WAIT, and cost the waker 3.8 to 4.4 µs each, where
// the curve's first point then was 2 µs of idle at 2.4 µs a send, which a
// projection charged every shorter idle too (its mean send 2.9 µs, its
// sleepers' mean idle 1.8 µs; the writer's lock hold, which a send to a
// reader lies inside, 3.5 µs a write against the real model's 5.6 to 6.6).
//
// The second, 1 µs, is where that case ends: a sleeper still on its way
// into FUTEX_WAIT is woken at once, one already off its CPU needs the
// IPI. Timed in the real model's lookups-mmap on a 2-CPU VM of another
// kind (AMD EPYC, a system call 1.06 µs; 2026-12-07), its wake-ups cost
// 1.1 to 1.2 µs (medians) at idles under 1 µs and 9.0 µs from 1 to 2 µs,
// where half of them fell; with points at 0.5 and 2 µs alone a projection
// drew that step as a slope (3.8 µs from 0.5 to 1 µs, 10.2 from 1 to 2).
var WakeIdles = [...]float64{0.5, 1, 2, 10, 30, 100}

// WakeIdleLong is Wakeup's idle time, in µs.
const WakeIdleLong = 200

// WakePoint is one point of a profile's wake-up curve: the idle time
// before the wake, in µs, and the profile's fields of its median latency,
// 10th and 90th percentiles and the waker's send, in ns.
type WakePoint struct {
	Idle                   float64
	Median, P10, P90, Send *float64
}

// WakeCurve returns p's wake-up curve, the points of WakeIdles and then
// WakeIdleLong's, whose median is Wakeup: the one list its calibration
// fills, its file's keys name and a projection reads.
func (p *Profile) WakeCurve() []WakePoint {
	out := make([]WakePoint, 0, len(WakeIdles)+1)
	for i, idle := range WakeIdles {
		out = append(out, WakePoint{idle, &p.WakeupAfter[i], &p.WakeupP10[i], &p.WakeupP90[i], &p.WakeupSend[i]})
	}
	n := len(WakeIdles)
	return append(out, WakePoint{WakeIdleLong, &p.Wakeup, &p.WakeupP10[n], &p.WakeupP90[n], &p.WakeupSend[n]})
}

// kv is a cost key of a profile file and its field.
type kv struct {
	key string
	v   *float64
}

// costs lists the cost keys of a profile file in order, with their fields.
func (p *Profile) costs() []kv {
	out := []kv{
		{"fault-ns", &p.Fault},
		{"dontneed-ns", &p.DontNeed},
		{"mmap-ns", &p.Mmap},
		{"munmap-ns", &p.Munmap},
		{"mprotect-ns", &p.Mprotect},
		{"mincore-ns", &p.Mincore},
		{"mincore-empty-ns", &p.MincoreEmpty},
		{"syscall-ns", &p.Syscall},
		{"trap-ns", &p.Trap},
		{"yield-ns", &p.Yield},
		{"fault-hold-ns", &p.FaultHold},
		{"ipi-send-ns", &p.IPISend},
		{"ipi-recv-ns", &p.IPIRecv},
		{"tlb-lazy-ns", &p.TLBLazy},
		{"maps-vma-ns", &p.MapsVMA},
		{"fault-fresh-ns", &p.FaultFresh},
		{"fault-fresh-large-ns", &p.FaultFreshLarge},
		{"zap-anon-ns", &p.ZapAnon},
		{"fault-cow-ns", &p.FaultCOW},
		{"fault-shared-ns", &p.FaultShared},
		{"zap-shared-ns", &p.ZapShared},
		{"shared-fault-pages", &p.SharedFaultPages},
		{"mmap-file-ns", &p.MmapFile},
		{"munmap-file-ns", &p.MunmapFile},
		{"hit-ns", &p.Hit},
		{"rmw-ns", &p.RMW},
		{"line-transfer-ns", &p.LineTransfer},
		{"contended-rmw-ns", &p.ContendedRMW},
		{"pause-ns", &p.Pause},
		{"pair-p10-ns", &p.PairP10},
		{"pair-p50-ns", &p.PairP50},
		{"pair-p90-ns", &p.PairP90},
		{"pair-p99-ns", &p.PairP99},
		{"pair-p999-ns", &p.PairP999},
	}
	// The wake-up curve: each short idle's median and spread, the long
	// idle's spread, every point's send, and the long idle's median,
	// wakeup-ns, last (the key of the profiles before the curve).
	curve := p.WakeCurve()
	long := curve[len(curve)-1]
	for _, w := range curve[:len(curve)-1] {
		at := fmt.Sprintf("wakeup-%gus", w.Idle)
		out = append(out, kv{at + "-ns", w.Median}, kv{at + "-p10-ns", w.P10}, kv{at + "-p90-ns", w.P90})
	}
	out = append(out, kv{"wakeup-p10-ns", long.P10}, kv{"wakeup-p90-ns", long.P90})
	for _, w := range curve[:len(curve)-1] {
		out = append(out, kv{fmt.Sprintf("wakeup-%gus-send-ns", w.Idle), w.Send})
	}
	return append(out, kv{"wakeup-send-ns", long.Send}, kv{"wakeup-ns", long.Median})
}

// Pairs returns the profile as key/value pairs, in file order.
func (p Profile) Pairs() [][2]string {
	out := [][2]string{
		{"machine", p.Machine},
		{"cpu", p.CPU},
		{"kernel", p.Kernel},
		{"date", p.Date.UTC().Format(time.RFC3339)},
		{"load", strconv.FormatFloat(p.Load, 'f', 2, 64)},
		{"pcp-high", strconv.Itoa(p.PCPHigh)},
		{"pcp-batch", strconv.Itoa(p.PCPBatch)},
	}
	for _, c := range p.costs() {
		out = append(out, [2]string{c.key, strconv.FormatFloat(math.Round(*c.v*10)/10, 'f', -1, 64)})
	}
	return out
}

// Write writes p in the profile format.
func (p Profile) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# vmabench calibration: the live kernel's cost of each operation on this machine, in ns\n")
	for _, kv := range p.Pairs() {
		fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteFile writes p to path, creating its directory, atomically, so a
// reader never sees half a profile.
func (p Profile) WriteFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, p.Write)
}

// ErrFormat is wrapped by Parse's errors: the text is not a valid profile.
var ErrFormat = errors.New("bad calibration profile")

// ErrMissing is wrapped, beside ErrFormat, by Parse's error for a profile
// that lacks keys: one written by an older vmabench, which Resolve
// measures afresh rather than refusing.
var ErrMissing = errors.New("keys missing")

// Parse reads a profile; name is the file it came from, for errors, which
// name the line. Every key must be present, once; blank lines and lines
// starting with # are ignored; costs must be positive numbers of ns.
func Parse(r io.Reader, name string) (Profile, error) {
	var p Profile
	byKey := map[string]*float64{}
	for _, c := range p.costs() {
		byKey[c.key] = c.v
	}
	seen := map[string]bool{}
	s := bufio.NewScanner(r)
	line := 0
	for s.Scan() {
		line++
		text := strings.TrimSpace(s.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, val, ok := strings.Cut(text, ":")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || key == "" {
			return Profile{}, fmt.Errorf("%w: %s:%d: %q is not a \"key: value\" line", ErrFormat, name, line, text)
		}
		if seen[key] {
			return Profile{}, fmt.Errorf("%w: %s:%d: %s given twice", ErrFormat, name, line, key)
		}
		seen[key] = true
		switch key {
		case "machine":
			p.Machine = val
		case "cpu":
			p.CPU = val
		case "kernel":
			p.Kernel = val
		case "date":
			d, err := time.Parse(time.RFC3339, val)
			if err != nil {
				return Profile{}, fmt.Errorf("%w: %s:%d: date %q: want RFC 3339, e.g. 2026-12-01T05:40:00Z", ErrFormat, name, line, val)
			}
			p.Date = d
		case "load":
			f, err := strconv.ParseFloat(val, 64)
			if err != nil || !(f >= 0) || math.IsInf(f, 0) {
				return Profile{}, fmt.Errorf("%w: %s:%d: load %q: want a load average, 0 or more", ErrFormat, name, line, val)
			}
			p.Load = f
		case "pcp-high", "pcp-batch":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return Profile{}, fmt.Errorf("%w: %s:%d: %s %q: want a number of pages, 0 or more", ErrFormat, name, line, key, val)
			}
			if key == "pcp-high" {
				p.PCPHigh = n
			} else {
				p.PCPBatch = n
			}
		default:
			v, ok := byKey[key]
			if !ok {
				return Profile{}, fmt.Errorf("%w: %s:%d: unknown key %q (valid: %s)", ErrFormat, name, line, key, strings.Join(Keys(), ", "))
			}
			f, err := strconv.ParseFloat(val, 64)
			if zeroOK := strings.HasPrefix(key, "ipi-") || key == "tlb-lazy-ns" || strings.HasPrefix(key, "zap-") || key == "fault-hold-ns"; err != nil || math.IsInf(f, 0) || !(f > 0 || zeroOK && f == 0) {
				want := "a positive number of ns"
				if zeroOK {
					want = "a number of ns, 0 or more"
				}
				return Profile{}, fmt.Errorf("%w: %s:%d: %s %q: want %s", ErrFormat, name, line, key, val, want)
			}
			*v = f
		}
	}
	if err := s.Err(); err != nil {
		return Profile{}, fmt.Errorf("reading %s: %w", name, err)
	}
	var missing []string
	for _, k := range Keys() {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return Profile{}, fmt.Errorf("%w: %w: %s: missing %s", ErrFormat, ErrMissing, name, strings.Join(missing, ", "))
	}
	return p, nil
}

// Keys returns every key of a profile file, in file order.
func Keys() []string {
	var p Profile
	keys := []string{"machine", "cpu", "kernel", "date", "load", "pcp-high", "pcp-batch"}
	for _, c := range p.costs() {
		keys = append(keys, c.key)
	}
	return keys
}

// Load reads the profile file at path.
func Load(path string) (Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return Profile{}, fmt.Errorf("calibration profile: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// DefaultPath returns this machine's profile file: one per host name, under
// the user's cache directory (os.UserCacheDir()/vmabench/).
//
// The name carries the format's version (profileVersion), so a vmabench
// that writes keys an older one does not know (which refuses unknown keys,
// as it should a typo) does not break the older one's runs on the same
// machine: each keeps its own file.
func DefaultPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory for the calibration profile: %w", err)
	}
	return filepath.Join(dir, "vmabench", "calibration-"+fileSafe(hostname())+profileVersion+".txt"), nil
}

// profileVersion names the profile format in DefaultPath: "" for the first,
// ".v2" from the one with load, pcp-high, pcp-batch and maps-vma-ns,
// ".v3" from the one with the wake-up curve (wakeup-2us-ns and the rest),
// ".v4" from the one with tlb-lazy-ns, ".v5" from the one whose
// wakeup-*-send-ns are means, not medians (sendCost): the keys are the
// same, but an older file's sends would be taken for means; ".v6" from the
// one with yield-ns, ".v7" from the one with the pair's spread
// (pair-p10-ns and the rest), ".v8" from the one with its tail
// (pair-p99-ns, pair-p999-ns), ".v9" from the one whose curve begins at
// 0.5 µs (wakeup-0.5us-ns and the rest), ".v10" from the one with a point
// at 1 µs (wakeup-1us-ns and the rest).
const profileVersion = ".v10"

// fileSafe keeps a host name usable as part of a file name.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}

// cpuModel returns the CPU model as the testing package's cpu line names
// it, or "unknown".
func cpuModel() string {
	if m := machine.CPUModel(); m != "" {
		return m
	}
	return "unknown"
}
