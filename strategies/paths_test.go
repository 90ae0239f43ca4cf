package strategies

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"vmabench/mm"
)

const rw = mm.ProtRead | mm.ProtWrite

// pathModels returns the registered models (strategies with New).
func pathModels() []Info {
	var out []Info
	for _, info := range registry {
		if info.New != nil {
			out = append(out, info)
		}
	}
	return out
}

// setup returns a fresh instance of info with n VMAs of pages pages, each
// followed by a gap, from page 64. With anon, each VMA's anon_vma is
// prepared by a fault (under mmap_lock, so no vma_lock_* event).
func setup(t *testing.T, info Info, n, pages int, anon bool) (Strategy, []uint64) {
	t.Helper()
	s := info.New(mm.Config{Pages: 1 << 14})
	var starts []uint64
	for i := 0; i < n; i++ {
		start := uint64(64+2*i*pages) * mm.PageSize
		if err := s.MM().Setup(mm.Op{Kind: mm.OpMmap, Start: start, Len: uint64(pages) * mm.PageSize, Prot: rw}); err != nil {
			t.Fatal(err)
		}
		if anon {
			if err := faultLocked(mm.NewTask(s.MM(), 99, 0), s.MM(), start); err != nil {
				t.Fatal(err)
			}
		}
		starts = append(starts, start)
	}
	return s, starts
}

// TestFaultKernel: a kernel-mode fault takes mmap_lock in every design and
// counts no vma_lock_* event, even on a VMA whose anon_vma is not prepared.
func TestFaultKernel(t *testing.T) {
	for _, info := range pathModels() {
		t.Run(info.Name, func(t *testing.T) {
			s, starts := setup(t, info, 2, 8, false)
			task := mm.NewTask(s.MM(), 0, 0)
			for _, addr := range []uint64{starts[0], starts[0] + mm.PageSize, starts[1]} {
				if err := s.FaultKernel(task, addr); err != nil {
					t.Fatalf("FaultKernel(%#x): %v", addr, err)
				}
				if !s.MM().PagePresent(addr) {
					t.Errorf("page %#x not mapped after FaultKernel", addr)
				}
			}
			if err := s.FaultKernel(task, 4*mm.PageSize); !errors.Is(err, mm.ErrNoVMA) {
				t.Errorf("FaultKernel on no VMA = %v, want %v", err, mm.ErrNoVMA)
			}
			st := task.Stats
			if st.Faults != 3 {
				t.Errorf("faults = %d, want 3", st.Faults)
			}
			if ev := st.VMALockSuccess + st.VMALockAbort + st.VMALockRetry + st.VMALockMiss; ev != 0 {
				t.Errorf("kernel-mode faults counted vma_lock events: %+v", st)
			}
			for _, addr := range starts {
				if !s.MM().FindVMA(addr).HasAnonVMA() {
					t.Errorf("VMA at %#x has no anon_vma after a kernel-mode fault", addr)
				}
			}
		})
	}
}

// TestFirstFault: the first user-mode fault of a VMA with no anon_vma yet.
// v6.4 (vmaseq) refuses the VMA in lock_vma_under_rcu() (vma_lock_abort)
// and handles the fault under mmap_lock; v6.8+ (vmarefcnt, vmawait) prepares
// it under the VMA lock with a trylock of mmap_lock (vma_lock_success).
func TestFirstFault(t *testing.T) {
	// Each fault is a fresh thread's, whose CPU's page list is empty: it
	// refills it under the zone lock (ZoneLocks).
	want := map[string][2]mm.Stats{ // first fault, second fault
		"mmaplock":  {{Faults: 1, ZoneLocks: 1}, {Faults: 1, ZoneLocks: 1}},
		"vmaseq":    {{Faults: 1, ZoneLocks: 1, VMALockAbort: 1}, {Faults: 1, ZoneLocks: 1, VMALockSuccess: 1}},
		"vmarefcnt": {{Faults: 1, ZoneLocks: 1, VMALockSuccess: 1}, {Faults: 1, ZoneLocks: 1, VMALockSuccess: 1}},
		"vmawait":   {{Faults: 1, ZoneLocks: 1, VMALockSuccess: 1}, {Faults: 1, ZoneLocks: 1, VMALockSuccess: 1}},
		"nolock":    {{Faults: 1, ZoneLocks: 1}, {Faults: 1, ZoneLocks: 1}},
	}
	for _, info := range pathModels() {
		t.Run(info.Name, func(t *testing.T) {
			w, ok := want[info.Name]
			if !ok {
				t.Fatalf("no expectation for %q", info.Name)
			}
			s, starts := setup(t, info, 1, 8, false)
			for i, addr := range []uint64{starts[0], starts[0] + mm.PageSize} {
				task := mm.NewTask(s.MM(), 0, 0)
				if err := s.Fault(task, addr); err != nil {
					t.Fatal(err)
				}
				if task.Stats != w[i] {
					t.Errorf("fault %d: stats %+v, want %+v", i+1, task.Stats, w[i])
				}
				if !s.MM().FindVMA(addr).HasAnonVMA() {
					t.Errorf("fault %d: no anon_vma after it", i+1)
				}
			}
		})
	}
}

// TestQueuedWriter: which paths take mmap_read_lock in which design. A
// reader holds mmap_lock and a writer queues behind it, so the rwsem turns
// new readers away: a path that takes mmap_read_lock blocks until both are
// gone, one under a per-VMA lock finishes.
func TestQueuedWriter(t *testing.T) {
	type path struct {
		name string
		do   func(s Strategy, task *mm.Task, starts []uint64) error
	}
	paths := []path{
		{"fault", func(s Strategy, task *mm.Task, starts []uint64) error { return s.Fault(task, starts[0]) }},
		{"fault-kernel", func(s Strategy, task *mm.Task, starts []uint64) error { return s.FaultKernel(task, starts[0]) }},
		{"madvise", func(s Strategy, task *mm.Task, starts []uint64) error {
			return s.Madvise(task, starts[0], starts[0]+4*mm.PageSize)
		}},
		{"madvise-two-vmas", func(s Strategy, task *mm.Task, starts []uint64) error {
			return s.Madvise(task, starts[0], starts[1]+4*mm.PageSize)
		}},
		{"maps", func(s Strategy, task *mm.Task, starts []uint64) error {
			n, err := s.ReadMaps(task)
			if err == nil && n != len(starts) {
				err = fmt.Errorf("ReadMaps showed %d VMAs, want %d", n, len(starts))
			}
			return err
		}},
	}
	// blocks lists the paths that take mmap_read_lock in each design.
	blocks := map[string]map[string]bool{
		"mmaplock":  {"fault": true, "fault-kernel": true, "madvise": true, "madvise-two-vmas": true, "maps": true},
		"vmaseq":    {"fault-kernel": true, "madvise": true, "madvise-two-vmas": true, "maps": true},
		"vmarefcnt": {"fault-kernel": true, "madvise-two-vmas": true},
		"vmawait":   {"fault-kernel": true, "madvise-two-vmas": true},
		"nolock":    {},
	}
	for _, info := range pathModels() {
		for _, p := range paths {
			t.Run(info.Name+"/"+p.name, func(t *testing.T) {
				b, ok := blocks[info.Name]
				if !ok {
					t.Fatalf("no expectation for %q", info.Name)
				}
				// The span of a madvise covers the gap between the two
				// VMAs: join them so the range is mapped.
				s, starts := setup(t, info, 2, 8, true)
				if p.name == "madvise-two-vmas" {
					if err := s.MM().Setup(mm.Op{Kind: mm.OpMmap, Start: starts[0] + 8*mm.PageSize, Len: 8 * mm.PageSize, Prot: mm.ProtRead}); err != nil {
						t.Fatal(err)
					}
					starts = append(starts, starts[0]+8*mm.PageSize)
				}
				m := s.MM()
				holder, writer, task := mm.NewTask(m, 0, 0), mm.NewTask(m, 1, 0), mm.NewTask(m, 2, 0)
				mmapReadLock(holder, m)
				writerDone := make(chan struct{})
				go func() {
					defer close(writerDone)
					mmapWriteLock(writer, m)
					mmapWriteUnlock(writer, m)
				}()
				waitFor(t, "the writer to queue", func() bool {
					if _, w := writer.LockInfo(); w != mm.MmapWrite {
						return false
					}
					// A queued writer turns new readers away.
					return m.MmapLock.Count()&mm.RWSemReadFailedMask != 0
				})
				done := make(chan error, 1)
				go func() { done <- p.do(s, task, starts) }()
				var blocked bool
				waitFor(t, p.name+" to finish or block", func() bool {
					select {
					case err := <-done:
						if err != nil {
							t.Error(err)
						}
						return true
					default:
					}
					_, w := task.LockInfo()
					blocked = w == mm.MmapRead
					return blocked
				})
				mmapReadUnlock(holder, m)
				<-writerDone
				if blocked {
					if err := <-done; err != nil {
						t.Error(err)
					}
				}
				if blocked != b[p.name] {
					t.Errorf("blocked behind the queued writer = %v, want %v", blocked, b[p.name])
				}
				if h, _ := task.LockInfo(); h != 0 {
					t.Errorf("still holds %v after the path returned", h)
				}
			})
		}
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestReadMaps: every design shows every VMA once, whether the walk fits one
// page of output or takes many (v6.4 drops mmap_lock between pages).
func TestReadMaps(t *testing.T) {
	for _, info := range pathModels() {
		for _, n := range []int{1, 64, 300} {
			t.Run(fmt.Sprintf("%s/vmas=%d", info.Name, n), func(t *testing.T) {
				s, _ := setup(t, info, n, 2, false)
				task := mm.NewTask(s.MM(), 0, 0)
				got, err := s.ReadMaps(task)
				if err != nil {
					t.Fatal(err)
				}
				if got != n {
					t.Errorf("ReadMaps showed %d VMAs, want %d", got, n)
				}
				if task.Stats.Violations != 0 {
					t.Errorf("violations with no writer: %s", task.FirstViolation())
				}
			})
		}
	}
}

// TestMapsLineLen holds mapsLineLen to the format show_vma_header_prefix()
// prints.
func TestMapsLineLen(t *testing.T) {
	for _, tc := range []struct {
		name       string
		start, end uint64
	}{
		{"short", 0x1000, 0x2000},
		{"eight-digit", 0x10000000, 0x10040000},
		{"user-space", 0x7f3a5c000000, 0x7f3a5c021000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := fmt.Sprintf("%08x-%08x %s %08x %02x:%02x %d \n", tc.start, tc.end, "rw-p", 0, 0, 0, 0)
			if got := mapsLineLen(tc.start, tc.end); got != len(line) {
				t.Errorf("mapsLineLen = %d, want %d (%q)", got, len(line), line)
			}
		})
	}
}

// TestFileFaultPaths: which design handles a file fault under the VMA lock,
// by the release it models: v6.4's lock_vma_under_rcu() refuses every VMA
// that is not anonymous (vma_lock_abort, then mmap_lock), from v6.7 read,
// COW and shared faults run under the VMA lock.
func TestFileFaultPaths(t *testing.T) {
	want := map[string]mm.Stats{
		"mmaplock":  {Faults: 1},
		"vmaseq":    {Faults: 1, VMALockAbort: 1},
		"vmarefcnt": {Faults: 1, VMALockSuccess: 1},
		"vmawait":   {Faults: 1, VMALockSuccess: 1},
		"nolock":    {Faults: 1},
	}
	for _, info := range pathModels() {
		for _, kind := range []struct {
			name   string
			prot   mm.Prot
			shared bool
		}{{"cow", rw, false}, {"shared", rw, true}, {"read", mm.ProtRead, false}} {
			t.Run(info.Name+"/"+kind.name, func(t *testing.T) {
				w, ok := want[info.Name]
				if !ok {
					t.Fatalf("no expectation for %q", info.Name)
				}
				s := info.New(mm.Config{Pages: 1 << 12})
				f := mm.NewFile(8, mm.DiskFS)
				const start = 64 * mm.PageSize
				if err := s.MM().Setup(mm.Op{Kind: mm.OpMmap, Start: start, Len: 8 * mm.PageSize, Prot: kind.prot, File: f, Shared: kind.shared}); err != nil {
					t.Fatal(err)
				}
				for i := range uint64(2) {
					task := mm.NewTask(s.MM(), 0, 0)
					if err := s.Fault(task, start+i*mm.PageSize); err != nil {
						t.Fatal(err)
					}
					want := w
					if kind.name == "cow" {
						// The private copy is a new page from the
						// fresh thread's empty list: a refill under
						// the zone lock.
						want.ZoneLocks = 1
					}
					if task.Stats != want {
						t.Errorf("fault %d: stats %+v, want %+v", i+1, task.Stats, want)
					}
				}
			})
		}
	}
}
