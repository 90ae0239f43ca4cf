// Package workloads holds the loads vmabench puts on every strategy: page
// fault storms, address-space churn, mprotect splits, /proc/pid/maps walks
// and the nested fault of the 2026 thread.
//
// A workload sets up the same initial address space for every strategy and
// runs one loop per thread. Threads count their operations per class
// (faults, lookups, writes) and sample latencies in a Thread of their own,
// so measuring writes nothing shared on the hot path.
package workloads

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vmabench/cell"
	"vmabench/mm"
	"vmabench/strategies"
)

// Workload is one load. A Workload is made for one cell and used once:
// Setup, then Run on every thread at the same time.
type Workload interface {
	// Setup builds the initial address space in m for threads threads.
	Setup(m *mm.MM, threads int) error
	// Run is the loop of one thread; it returns when th.Running reports
	// false or the thread hits an error (recorded with th.Fail).
	Run(th *Thread)
}

// Info describes a registered workload.
type Info struct {
	// Name is the registry name, in [a-z0-9_-]+ (cell.ValidName): a
	// peer's shape keeps the peer's name, underscore and all.
	Name string
	// Description is one line for `vmabench list`.
	Description string
	// New returns a fresh instance for one cell.
	New func(cfg Config) Workload
	// Writer is set when some thread changes the address space while
	// others run: a strategy that does not exclude writers (nolock) is
	// unsafe under it.
	Writer bool
	// Changes is set when every thread changes the address space beside
	// its own operations (page_fault1 maps and unmaps its region around
	// its faults), with no writer thread of its own: a strategy that does
	// not exclude writers is unsafe under it too, but there is no
	// writer's rate to report.
	Changes bool
	// MinThreads is the fewest threads it runs with: 2 where the last
	// thread is a dedicated writer.
	MinThreads int
	// Reader is the class of operation a reader thread does, the one
	// faults/s or lookups/s and the percentiles report.
	Reader Class
	// NewLive returns the workload's form on the live kernel (the kernel
	// strategy) for one cell: the same threads and operations as real
	// system calls and page faults. It is nil where there is none, and
	// LiveSkip says why.
	NewLive func(cfg Config) Live
	// LiveSkip is why the workload has no live form, or "".
	LiveSkip string
	// Peer names the benchmark of the field whose shape the workload
	// follows (will-it-scale's tests/page_fault1.c), or "".
	Peer string
	// Calls are the Strategy entry points the workload's threads call
	// (a test holds it to what they do): with the registry's
	// strategies.Info.SameAs, they say which designs run the same code
	// under it (strategies.SameCode), so a table need not show a second,
	// noisy figure of the same code. None (lookups) means no design's
	// code at all: the threads take mm's locks themselves, as mincore()
	// takes mmap_read_lock() whatever the design.
	Calls strategies.Calls
	// Resident is how many times Config.Size per thread a cell keeps in
	// memory at most (anonymous pages, private copies, page cache); 0 for
	// workloads that do not use Size. CheckMemory holds it to the machine.
	Resident int
}

var registry = []Info{
	{Name: "faults", Description: "each thread faults every page of its own VMA, resets it (MADV_DONTNEED), repeats", New: newFaults, Calls: strategies.CallFault | strategies.CallMadvise, MinThreads: 1, Reader: ClassFault, NewLive: newLiveFaults},
	{Name: "faults-shared", Description: "threads fault random pages of one shared VMA and reset random windows of it", New: newFaultsShared, Calls: strategies.CallFault | strategies.CallMadvise, MinThreads: 1, Reader: ClassFault, NewLive: newLiveFaultsShared},
	{Name: "faults-mmap", Description: "T-1 threads as faults; one thread mmaps and munmaps unrelated regions", New: newFaultsMmap, Calls: strategies.CallFault | strategies.CallMadvise | strategies.CallWrite, Writer: true, MinThreads: 2, Reader: ClassFault, NewLive: newLiveFaultsMmap},
	{Name: "faults-mprotect", Description: "T-1 threads as faults; one thread mprotects pages of their VMAs (split, merge back)", New: newFaultsMprotect, Calls: strategies.CallFault | strategies.CallMadvise | strategies.CallWrite, Writer: true, MinThreads: 2, Reader: ClassFault, NewLive: newLiveFaultsMprotect},
	{Name: "mmap-churn", Description: "each thread mmaps then munmaps a region of its own: the writer-only cost", New: newMmapChurn, Calls: strategies.CallWrite, Writer: true, MinThreads: 1, Reader: ClassWrite, NewLive: newLiveMmapChurn},
	{Name: "maps-walk", Description: "T-1 threads walk every VMA as /proc/pid/maps does; one thread mmaps and munmaps", New: newMapsWalk, Calls: strategies.CallReadMaps | strategies.CallWrite, Writer: true, MinThreads: 2, Reader: ClassLookup, NewLive: newLiveMapsWalk},
	{Name: "lookups", Description: "each thread looks up and walks its own VMA under mmap_read_lock, as mincore() does", New: newLookups, MinThreads: 1, Reader: ClassLookup, NewLive: newLiveLookups},
	{Name: "lookups-mmap", Description: "T-1 threads as lookups; one thread mmaps and munmaps unrelated regions", New: newLookupsMmap, Calls: strategies.CallWrite, Writer: true, MinThreads: 2, Reader: ClassLookup, NewLive: newLiveLookupsMmap},
	{Name: "nested-fault", Description: "T-1 threads hold a VMA (Lookup) and fault another inside it while one thread mprotects", New: newNestedFault, Calls: strategies.CallFault | strategies.CallFaultKernel | strategies.CallLookup | strategies.CallWrite, Writer: true, MinThreads: 2, Reader: ClassLookup, LiveSkip: nestedFaultLiveSkip},
	{Name: "page_fault1", Description: "each thread maps -size bytes of anonymous memory, writes a byte to each page, unmaps them (will-it-scale)", New: newPageFault(anonymous), Calls: strategies.CallFault | strategies.CallWrite, Changes: true, MinThreads: 1, Reader: ClassFault, NewLive: newLivePageFault(anonymous), Peer: "will-it-scale tests/page_fault1.c", Resident: 1},
	{Name: "page_fault2", Description: "page_fault1 over a private mapping of the thread's own file: each write copies a page-cache page", New: newPageFault(privateFile), Calls: strategies.CallFault | strategies.CallWrite, Changes: true, MinThreads: 1, Reader: ClassFault, NewLive: newLivePageFault(privateFile), Peer: "will-it-scale tests/page_fault2.c", Resident: 2},
	{Name: "page_fault3", Description: "page_fault1 over a shared mapping of the thread's own file: each write dirties a page-cache page", New: newPageFault(sharedFile), Calls: strategies.CallFault | strategies.CallWrite, Changes: true, MinThreads: 1, Reader: ClassFault, NewLive: newLivePageFault(sharedFile), Peer: "will-it-scale tests/page_fault3.c", Resident: 1},
	{Name: "mmap1", Description: "each thread maps -size bytes of anonymous memory and unmaps them, untouched (will-it-scale)", New: newPeerMmap(anonymous), Calls: strategies.CallWrite, Writer: true, MinThreads: 1, Reader: ClassWrite, NewLive: newLiveMmapPeer(anonymous), Peer: "will-it-scale tests/mmap1.c"},
	{Name: "mmap2", Description: "mmap1 over a private mapping of the thread's own file", New: newPeerMmap(privateFile), Calls: strategies.CallWrite, Writer: true, MinThreads: 1, Reader: ClassWrite, NewLive: newLiveMmapPeer(privateFile), Peer: "will-it-scale tests/mmap2.c"},
	{Name: "pft", Description: "one anonymous mapping of -size bytes per thread; each thread faults its own part; the last one done remaps it (mmtests pft-threads)", New: newPft, Calls: strategies.CallFault | strategies.CallWrite, MinThreads: 1, Reader: ClassFault, NewLive: newLivePft, Peer: "mmtests pft-threads", Resident: 1},
	{Name: "zerocopy", Description: "T-1 threads Lookup their receive buffer's VMA and map a batch of pages into it (tcp zerocopy); one thread mprotects parts of the buffers", New: newZerocopy, Calls: strategies.CallLookup | strategies.CallWrite, Writer: true, MinThreads: 2, Reader: ClassLookup, LiveSkip: zerocopyLiveSkip, Peer: "the 2026 helper's callers: tcp_zerocopy_receive(), binder"},
}

// zerocopyLiveSkip is why zerocopy has no live form (yet).
const zerocopyLiveSkip = "not built yet: getsockopt(TCP_ZEROCOPY_RECEIVE) on a loopback TCP socket the receiver has mmapped takes " +
	"the kernel's per-VMA path (find_tcp_vma(): lock_vma_under_rcu(), mmap_read_lock() as the fallback), but it maps only " +
	"whole pages of the receive queue and copies the rest, so a live form must check that pages were mapped (zc.length) " +
	"to measure what it claims; that form is left for later"

// CheckMemory returns an error, naming the size and the limit, if a cell
// of w with c at threads threads would keep more memory resident than half
// of memTotal bytes (0: unknown, no check).
func (w Info) CheckMemory(c Config, threads int, memTotal uint64) error {
	if w.Resident == 0 || memTotal == 0 {
		return nil
	}
	need := c.Size * uint64(threads) * uint64(w.Resident)
	if limit := memTotal / 2; need > limit {
		th := "threads"
		if threads == 1 {
			th = "thread"
		}
		return fmt.Errorf("size %s: %s at %d %s keeps %d MiB in memory, more than half of this machine's %d MiB (limit %d MiB)",
			FormatSize(c.Size), w.Name, threads, th, need>>20, memTotal>>20, limit>>20)
	}
	return nil
}

// List returns every registered workload, in report order.
func List() []Info { return append([]Info(nil), registry...) }

// Names returns the registered names, in report order.
func Names() []string {
	names := make([]string, len(registry))
	for i, w := range registry {
		names[i] = w.Name
	}
	return names
}

// ErrUnknown is wrapped by Get's error for a name that is not registered.
var ErrUnknown = errors.New("unknown workload")

// Get returns the workload registered as name.
func Get(name string) (Info, error) {
	for _, w := range registry {
		if w.Name == name {
			return w, nil
		}
	}
	return Info{}, fmt.Errorf("%w %q (valid: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// SameAs returns the column among cols whose code strategy s runs under
// workload w, or "": the design SameAs names where w calls none of the
// entry points where the two differ, or, for a workload that calls no
// design's code at all, the first model column before s. Strategies and
// workloads outside the registries are never the same as anything. The
// table and the charts both ask it, so that a design that runs another's
// code shows as that design's figure, never as a second, noisy one.
func SameAs(s, w string, cols []string) string {
	sinfo, err := strategies.Get(s)
	if err != nil || sinfo.New == nil {
		return ""
	}
	winfo, err := Get(w)
	if err != nil {
		return ""
	}
	i := slices.Index(cols, s)
	if i < 0 {
		i = len(cols)
	}
	if winfo.Calls == 0 {
		for _, c := range cols[:i] {
			if ci, err := strategies.Get(c); err == nil && ci.New != nil {
				return c
			}
		}
		return ""
	}
	if b, ok := strategies.SameCode(sinfo, winfo.Calls); ok && slices.Contains(cols, b) && b != s {
		// The column it is the same as may itself be the same as an
		// earlier one.
		if bb := SameAs(b, w, cols); bb != "" {
			return bb
		}
		return b
	}
	return ""
}

// Unsafe reports whether strategy s is unsafe under this workload at
// threads threads: it does not exclude writers, and a writer runs beside
// other threads.
func (w Info) Unsafe(s strategies.Info, threads int) bool {
	return s.Unsafe && (w.Writer || w.Changes) && threads > 1
}

// Deadlocks returns why strategy s deadlocks under this workload with cfg, or
// "" if it does not, as the strategy's registry row declares it. Such cells
// are only run in a child process under a watchdog, never inside `go test
// -bench`.
func (w Info) Deadlocks(s strategies.Info, cfg Config) string {
	return s.DeadlocksUnder(w.Name, cfg.TouchHeld)
}

// Config is the workload configuration, the same for every strategy in a
// run. Every field is reported as a configuration line, for every workload,
// so benchstat never splits its tables on keys one workload lacks. Its
// zero value is not valid (Pages and MapsVMAs must be set): start from
// DefaultConfig, whose values the comments give.
type Config struct {
	// Pages is the number of pages in each thread's VMA, 2..MaxPages
	// (default 64).
	Pages int
	// FaultWork is how many bytes a fault clears under its lock, modelling
	// clear_page() of a new anonymous page (default 4096; 0 for none).
	FaultWork int
	// MapsVMAs is the number of VMAs maps-walk sets up to walk,
	// 1..MaxMapsVMAs (default 64).
	MapsVMAs int
	// WriterPause is the writer thread's pause between changes; 0 means
	// back to back.
	WriterPause time.Duration
	// Size is the bytes each thread of the field's shapes (page_fault1-3,
	// mmap1-2, pft) maps, a multiple of the page size, 2 pages to MaxSize
	// (default the peers' 128 MiB).
	Size uint64
	// TempDir is where page_fault2, page_fault3 and mmap2 create each
	// thread's file; "" means os.TempDir() ($TMPDIR, else /tmp, where
	// will-it-scale creates them). The models model its file system.
	TempDir string
	// TouchHeld makes nested-fault's writer change the VMAs the readers
	// hold and fault (the deadlock vmawait does not avoid); otherwise it
	// changes an unrelated VMA.
	TouchHeld bool
	// Seed seeds every thread's RNG; thread i uses (Seed, i).
	Seed uint64
	// Work is the calibrated work the models do under and around their
	// locks (package calib); the zero value is none. The live kernel does
	// its own.
	Work mm.Work
	// Calibration are the configuration lines that say where Work came
	// from (calib.Resolved.Pairs); none means "calibration: none".
	Calibration []cell.KV `json:",omitempty"`
}

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{Pages: 64, FaultWork: mm.PageSize, MapsVMAs: 64, Size: DefaultSize, Seed: 1}
}

// Limits of Config fields.
const (
	MaxPages     = 4096
	MaxFaultWork = 1 << 20
	MaxMapsVMAs  = 4096
	MaxThreads   = 256
	// DefaultSize is will-it-scale's MEMSIZE, 128 MiB.
	DefaultSize = 128 << 20
	// MaxSize is the most one thread of a field's shape maps: 64 GiB.
	MaxSize = 64 << 30
)

// Validate reports the first bad field, naming it and its valid range.
func (c Config) Validate() error {
	switch {
	case c.Pages < 2 || c.Pages > MaxPages:
		return fmt.Errorf("pages %d: want 2..%d", c.Pages, MaxPages)
	case c.FaultWork < 0 || c.FaultWork > MaxFaultWork:
		return fmt.Errorf("fault-work %d: want 0..%d bytes", c.FaultWork, MaxFaultWork)
	case c.MapsVMAs < 1 || c.MapsVMAs > MaxMapsVMAs:
		return fmt.Errorf("maps-vmas %d: want 1..%d", c.MapsVMAs, MaxMapsVMAs)
	case c.Size < 2*mm.PageSize || c.Size > MaxSize || c.Size%mm.PageSize != 0:
		return fmt.Errorf("size %d: want a multiple of the page size (%d bytes) from %d to %d (64 GiB)", c.Size, mm.PageSize, 2*mm.PageSize, uint64(MaxSize))
	case c.WriterPause < 0:
		return fmt.Errorf("writer-pause %v: must not be negative", c.WriterPause)
	}
	return nil
}

// Pairs returns the configuration as key/value pairs, in report order.
func (c Config) Pairs() []cell.KV {
	p := []cell.KV{
		{Key: "pages", Value: strconv.Itoa(c.Pages)},
		{Key: "fault-work", Value: strconv.Itoa(c.FaultWork) + "B"},
		{Key: "maps-vmas", Value: strconv.Itoa(c.MapsVMAs)},
		{Key: "size", Value: FormatSize(c.Size)},
		{Key: "writer-pause", Value: c.WriterPause.String()},
		{Key: "touch-held", Value: strconv.FormatBool(c.TouchHeld)},
		{Key: "seed", Value: strconv.FormatUint(c.Seed, 10)},
	}
	if len(c.Calibration) == 0 {
		return append(p, cell.KV{Key: "calibration", Value: "none"})
	}
	return append(p, c.Calibration...)
}

// layout places thread i's VMA: each VMA starts on a 64-page boundary with a
// gap after it, so neighbours never merge and their page-table entries never
// share a cache line.
type layout struct {
	pages int
	span  uint64 // bytes in a VMA
	slot  uint64 // bytes from one VMA's start to the next
}

func newLayout(pages int) layout {
	span := uint64(pages) * mm.PageSize
	slot := (span + 16*mm.PageSize + 64*mm.PageSize - 1) / (64 * mm.PageSize) * (64 * mm.PageSize)
	return layout{pages: pages, span: span, slot: slot}
}

// regionBase is where workloads start placing VMAs: above page 0, as user
// space starts above mmap_min_addr.
const regionBase = 1 << 24

// at returns the start of VMA i of the region that begins at region.
func (l layout) at(region uint64, i int) uint64 { return region + uint64(i)*l.slot }

// mapAll sets up n VMAs of l from region with prot.
func (l layout) mapAll(m *mm.MM, region uint64, n int, prot mm.Prot) error {
	for i := 0; i < n; i++ {
		if err := m.Setup(mm.Op{Kind: mm.OpMmap, Start: l.at(region, i), Len: l.span, Prot: prot}); err != nil {
			return fmt.Errorf("setting up VMA %d: %w", i, err)
		}
	}
	return nil
}

// pagesNeeded returns the address-space size, in pages, for a workload
// that places n VMAs of l from regionBase plus one more region of n.
func (l layout) pagesNeeded(n int) int {
	return int((regionBase + 3*uint64(n+1)*l.slot) / mm.PageSize)
}

// AddressSpacePages returns the address-space size a cell of this
// configuration needs, in pages: enough for the VMAs of Pages pages of
// every workload and for the field's shapes at Size per thread. (The
// model's page table costs 8 bytes per 2 MiB of it until touched.)
func (c Config) AddressSpacePages(threads int) int {
	n := max(threads, c.MapsVMAs, 2*threads+2)
	return max(newLayout(c.Pages).pagesNeeded(n), newPeerLayout(c.Size).pagesNeeded(threads))
}

// FormatSize prints a size in bytes as ParseSize reads it back: "128MiB",
// "4KiB", or bytes.
func FormatSize(n uint64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatUint(n>>30, 10) + "GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatUint(n>>20, 10) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatUint(n>>10, 10) + "KiB"
	}
	return strconv.FormatUint(n, 10)
}

// ParseSize reads a size as -size takes it: bytes, or a number with a
// KiB, MiB or GiB suffix ("128MiB").
func ParseSize(s string) (uint64, error) {
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > (1<<63)/mult {
		return 0, fmt.Errorf("size %q: want bytes or a number with KiB, MiB or GiB (128MiB)", s)
	}
	return n * mult, nil
}

const rw = mm.ProtRead | mm.ProtWrite
