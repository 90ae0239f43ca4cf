package strategytest

import (
	"testing"
	"time"

	"vmabench/mm"
	"vmabench/strategies"
)

// Run is the conformance suite for one registered model: it runs each check
// as a subtest of t and holds the design to what its registry row declares
// (info.Unsafe and info.Expect). A new design passes it with no test code of
// its own: one file and one registry row.
func Run(t *testing.T, info strategies.Info) {
	t.Helper()
	if info.New == nil {
		t.Fatalf("%s is not a model (no New): the conformance suite runs models only", info.Name)
	}
	t.Run("Idle", func(t *testing.T) { testIdle(t, info) })
	t.Run("Stress", func(t *testing.T) { testStress(t, info) })
	t.Run("NoWriterNoAbort", func(t *testing.T) { testNoWriterNoAbort(t, info) })
	t.Run("NestedFault", func(t *testing.T) { testNestedFault(t, info) })
	t.Run("FaultDoesNotAllocate", func(t *testing.T) { testFaultDoesNotAllocate(t, info) })
}

// testIdle: a fresh address space, changed once by each kind of write,
// passes the design's end-of-run check.
func testIdle(t *testing.T, info strategies.Info) {
	s := info.New(mm.Config{})
	c, ok := s.(strategies.Checker)
	if !ok {
		if !info.Unsafe {
			t.Fatalf("%s excludes writers but has no end-of-run check (strategies.Checker)", info.Name)
		}
		t.Skip("no lock state to check")
	}
	m := s.MM()
	task := mm.NewTask(m, 0, 0)
	for _, op := range []mm.Op{
		{Kind: mm.OpMmap, Start: 16 * page, Len: 8 * page, Prot: mm.ProtRead | mm.ProtWrite},
		{Kind: mm.OpMmap, Start: 32 * page, Len: 8 * page, Prot: mm.ProtRead | mm.ProtWrite},
		{Kind: mm.OpMprotect, Start: 18 * page, Len: 2 * page, Prot: mm.ProtRead},
		{Kind: mm.OpMunmap, Start: 32 * page, Len: 8 * page},
	} {
		if err := s.Write(task, op); err != nil {
			t.Fatalf("%v: %v", op, err)
		}
		if err := c.CheckIdle(); err != nil {
			t.Fatalf("after %v: %v", op, err)
		}
	}
}

// testStress is the stability check: readers must never hold a VMA a writer
// is changing, the locks must be idle once the threads stop, and an unsafe
// design must be caught.
func testStress(t *testing.T, info strategies.Info) {
	cfg := DefaultStressConfig()
	if testing.Short() {
		cfg.OpsPerReader /= 10
	}
	rep := Stress(info.New(mm.Config{}), cfg)
	if rep.Err != nil {
		t.Fatalf("seed %d: %v", cfg.Seed, rep.Err)
	}
	want := info.Expect
	t.Logf("seed %d: %d violations, %d writes, %d lookups (%d under mmap_lock), %d VMAs reused; %+v",
		cfg.Seed, rep.Violations, rep.Writes, rep.Lookups, rep.MmapFallbacks, rep.CacheReuses, rep.Stats)
	switch {
	case info.Unsafe && rep.Violations == 0:
		t.Errorf("seed %d: the checker caught no violation of %s under writers", cfg.Seed, info.Name)
	case !info.Unsafe && rep.Violations > 0:
		t.Errorf("seed %d: %d violations; first: %s; at rest: %v", cfg.Seed, rep.Violations, rep.FirstViolation, rep.Idle)
	}
	if rep.Writes == 0 {
		t.Errorf("no write succeeded: the stress did not stress")
	}
	if want.LookupNeverFallsBack && rep.MmapFallbacks > 0 {
		t.Errorf("%d lookups returned holding mmap_lock", rep.MmapFallbacks)
	}
	if want.ReusesVMAs && rep.CacheReuses == 0 {
		t.Errorf("no VMA was reused: type-safe reuse not exercised")
	}
	if !want.ReusesVMAs && rep.CacheReuses != 0 {
		t.Errorf("%d VMAs reused by a design that frees them through call_rcu", rep.CacheReuses)
	}
	st := rep.Stats
	if want.PerVMA && st.VMALockAbort == 0 {
		t.Errorf("no vma_lock_abort while a writer mprotects the faulted VMAs")
	}
	if want.PerVMA && st.VMALockSuccess == 0 {
		t.Errorf("no vma_lock_success: the per-VMA path never completed a fault")
	}
	if !want.PerVMA && st.VMALockSuccess+st.VMALockAbort+st.VMALockMiss+st.VMALockRetry != 0 {
		t.Errorf("a design without per-VMA locks counted vma_lock events: %+v", st)
	}
}

// testNoWriterNoAbort: with no writer, per-VMA designs never abort or retry:
// even the first fault of each VMA, which prepares its anon_vma, gets
// mmap_lock by trylock under the VMA lock (__vmf_anon_prepare(), v6.8+).
// The exception is v6.4 (AbortsWithoutAnonVMA), whose lock_vma_under_rcu()
// aborts once per VMA, on its first fault.
func testNoWriterNoAbort(t *testing.T, info strategies.Info) {
	s := info.New(mm.Config{})
	m := s.MM()
	const vmas, pages = 4, 8
	for i := uint64(0); i < vmas; i++ {
		if err := m.Setup(mm.Op{Kind: mm.OpMmap, Start: (1 + 2*i) * pages * page, Len: pages * page, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
			t.Fatal(err)
		}
	}
	task := mm.NewTask(m, 0, 0)
	for round := 0; round < 3; round++ {
		for i := uint64(0); i < vmas; i++ {
			for p := uint64(0); p < pages; p++ {
				if err := s.Fault(task, (1+2*i)*pages*page+p*page); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	st := task.Stats
	if st.Faults != vmas*pages {
		t.Errorf("faults = %d, want %d pages installed", st.Faults, vmas*pages)
	}
	if st.Violations != 0 {
		t.Errorf("%d violations with no writer: %s", st.Violations, task.FirstViolation())
	}
	var aborts uint64
	if info.Expect.AbortsWithoutAnonVMA {
		aborts = vmas
	}
	if st.VMALockAbort != aborts || st.VMALockMiss != 0 {
		t.Errorf("aborts, misses = %d, %d with no writer; want %d, 0", st.VMALockAbort, st.VMALockMiss, aborts)
	}
	if info.Expect.PerVMA {
		if st.VMALockRetry != 0 {
			t.Errorf("retries = %d with mmap_lock free, want 0", st.VMALockRetry)
		}
		if want := 3*vmas*pages - aborts; st.VMALockSuccess != want {
			t.Errorf("successes = %d, want %d", st.VMALockSuccess, want)
		}
	}
}

// testNestedFault is the deadlock of the 2026 thread: a Lookup holder faults
// while a writer queues. The watchdog must report the deadlocks the registry
// row declares, quickly, and the design must finish where it declares none.
func testNestedFault(t *testing.T, info strategies.Info) {
	const quiet = 200 * time.Millisecond
	for _, touchHeld := range []bool{false, true} {
		name := "writer=unrelated"
		if touchHeld {
			name = "writer=touches-held"
		}
		t.Run(name, func(t *testing.T) {
			why := info.DeadlocksUnder("nested-fault", touchHeld)
			res := NestedFault(info.New(mm.Config{}), touchHeld, quiet)
			t.Logf("deadlocked=%v after %v; reader %s; writer %s", res.Deadlocked, res.Detected.Round(time.Millisecond), res.Reader, res.Writer)
			if want := why != ""; res.Deadlocked != want {
				t.Errorf("deadlocked = %v, want %v (%q) (reader %s; writer %s)", res.Deadlocked, want, why, res.Reader, res.Writer)
			}
			if res.Deadlocked && res.Detected > 5*quiet {
				t.Errorf("deadlock detected after %v, want within %v", res.Detected, 5*quiet)
			}
		})
	}
}

// testFaultDoesNotAllocate: the read path allocates nothing, so the garbage
// collector has no work from readers during a window.
func testFaultDoesNotAllocate(t *testing.T, info strategies.Info) {
	s := info.New(mm.Config{Pages: 1 << 12})
	if err := s.MM().Setup(mm.Op{Kind: mm.OpMmap, Start: 64 * page, Len: 16 * page, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
		t.Fatal(err)
	}
	task := mm.NewTask(s.MM(), 0, page)
	addr := uint64(70 * page)
	if err := s.Fault(task, addr); err != nil { // prepare anon_vma
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		_ = s.Fault(task, addr)
		r, err := s.Lookup(task, addr)
		if err == nil {
			s.Release(task, r)
		}
	})
	if allocs != 0 {
		t.Errorf("Fault+Lookup allocate %v times per call, want 0", allocs)
	}
}
