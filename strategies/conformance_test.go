package strategies_test

import (
	"testing"
	"time"

	"vmabench/mm"
	"vmabench/strategies"
	"vmabench/strategies/strategytest"
)

// expect is what the conformance suite must see for each model. Every
// registered model needs a row, so a new design states its expectations.
var expect = map[string]struct {
	violations bool // the checker must catch it (nolock)
	// Nested fault: whether a Lookup holder that faults deadlocks with an
	// unrelated writer queued, and with a writer that write-locked the
	// faulted VMA and waits for the held one.
	deadlockUnrelated, deadlockTouchHeld bool
	perVMA                               bool // keeps vma_lock_* counters
	lookupNeverFallsBack                 bool // vmawait's promise
	// v6.4: lock_vma_under_rcu() refuses a VMA with no anon_vma, so the
	// first fault of each VMA aborts to mmap_lock.
	abortsWithoutAnonVMA bool
}{
	"mmaplock":  {deadlockUnrelated: true, deadlockTouchHeld: true},
	"vmaseq":    {deadlockTouchHeld: true, perVMA: true, abortsWithoutAnonVMA: true},
	"vmarefcnt": {deadlockTouchHeld: true, perVMA: true},
	"vmawait":   {deadlockTouchHeld: true, perVMA: true, lookupNeverFallsBack: true},
	"nolock":    {violations: true},
}

func models(t *testing.T) []strategies.Info {
	var out []strategies.Info
	for _, info := range strategies.List() {
		if info.New == nil {
			continue
		}
		if _, ok := expect[info.Name]; !ok {
			t.Fatalf("strategy %q has no row in expect", info.Name)
		}
		out = append(out, info)
	}
	return out
}

// TestStress is the stability check: readers must never hold a VMA a writer
// is changing, and nolock must be caught doing exactly that.
func TestStress(t *testing.T) {
	for _, info := range models(t) {
		t.Run(info.Name, func(t *testing.T) {
			cfg := strategytest.DefaultStressConfig()
			if testing.Short() {
				cfg.OpsPerReader /= 10
			}
			rep := strategytest.Stress(info.New(mm.Config{}), cfg)
			if rep.Err != nil {
				t.Fatalf("seed %d: %v", cfg.Seed, rep.Err)
			}
			want := expect[info.Name]
			t.Logf("seed %d: %d violations, %d writes, %d lookups (%d under mmap_lock), %d VMAs reused; %+v",
				cfg.Seed, rep.Violations, rep.Writes, rep.Lookups, rep.MmapFallbacks, rep.CacheReuses, rep.Stats)
			switch {
			case want.violations && rep.Violations == 0:
				t.Errorf("seed %d: the checker caught no violation of %s under writers", cfg.Seed, info.Name)
			case !want.violations && rep.Violations > 0:
				t.Errorf("seed %d: %d violations; first: %s", cfg.Seed, rep.Violations, rep.FirstViolation)
			}
			if rep.Writes == 0 {
				t.Errorf("no write succeeded: the stress did not stress")
			}
			if want.lookupNeverFallsBack && rep.MmapFallbacks > 0 {
				t.Errorf("%d lookups returned holding mmap_lock", rep.MmapFallbacks)
			}
			if (info.Name == "vmarefcnt" || info.Name == "vmawait") && rep.CacheReuses == 0 {
				t.Errorf("no VMA was reused: type-safe reuse not exercised")
			}
			if want.perVMA && rep.Stats.VMALockAbort == 0 {
				t.Errorf("no vma_lock_abort while a writer mprotects the faulted VMAs")
			}
			if !want.perVMA && rep.Stats.VMALockSuccess+rep.Stats.VMALockAbort+rep.Stats.VMALockMiss+rep.Stats.VMALockRetry != 0 {
				t.Errorf("a design without per-VMA locks counted vma_lock events: %+v", rep.Stats)
			}
		})
	}
}

// TestNoWriterNoAbort: with no writer, per-VMA designs never abort or retry:
// even the first fault of each VMA, which prepares its anon_vma, gets
// mmap_lock by trylock under the VMA lock (__vmf_anon_prepare(), v6.8+).
// The exception is v6.4 (vmaseq), whose lock_vma_under_rcu() aborts once per
// VMA, on its first fault.
func TestNoWriterNoAbort(t *testing.T) {
	for _, info := range models(t) {
		t.Run(info.Name, func(t *testing.T) {
			s := info.New(mm.Config{})
			m := s.MM()
			const vmas, pages = 4, 8
			for i := uint64(0); i < vmas; i++ {
				if err := m.Setup(mm.Op{Kind: mm.OpMmap, Start: (1 + 2*i) * pages * mm.PageSize, Len: pages * mm.PageSize, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
					t.Fatal(err)
				}
			}
			task := mm.NewTask(m, 0, 0)
			for round := 0; round < 3; round++ {
				for i := uint64(0); i < vmas; i++ {
					for p := uint64(0); p < pages; p++ {
						if err := s.Fault(task, (1+2*i)*pages*mm.PageSize+p*mm.PageSize); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			st := task.Stats
			if st.Faults != vmas*pages {
				t.Errorf("faults = %d, want %d pages installed", st.Faults, vmas*pages)
			}
			var aborts uint64
			if expect[info.Name].abortsWithoutAnonVMA {
				aborts = vmas
			}
			if st.VMALockAbort != aborts || st.VMALockMiss != 0 {
				t.Errorf("aborts, misses = %d, %d with no writer; want %d, 0", st.VMALockAbort, st.VMALockMiss, aborts)
			}
			if expect[info.Name].perVMA {
				if st.VMALockRetry != 0 {
					t.Errorf("retries = %d with mmap_lock free, want 0", st.VMALockRetry)
				}
				if want := 3*vmas*pages - aborts; st.VMALockSuccess != want {
					t.Errorf("successes = %d, want %d", st.VMALockSuccess, want)
				}
			}
		})
	}
}

// TestNestedFault is the deadlock of the 2026 thread: a Lookup holder faults
// while a writer queues. The watchdog must report the deadlocks, quickly, and
// the designs that avoid them must finish.
func TestNestedFault(t *testing.T) {
	const quiet = 200 * time.Millisecond
	for _, info := range models(t) {
		for _, touchHeld := range []bool{false, true} {
			name := info.Name + "/writer=unrelated"
			want := expect[info.Name].deadlockUnrelated
			if touchHeld {
				name = info.Name + "/writer=touches-held"
				want = expect[info.Name].deadlockTouchHeld
			}
			t.Run(name, func(t *testing.T) {
				res := strategytest.NestedFault(info.New(mm.Config{}), touchHeld, quiet)
				t.Logf("deadlocked=%v after %v; reader %s; writer %s", res.Deadlocked, res.Detected.Round(time.Millisecond), res.Reader, res.Writer)
				if res.Deadlocked != want {
					t.Errorf("deadlocked = %v, want %v (reader %s; writer %s)", res.Deadlocked, want, res.Reader, res.Writer)
				}
				if res.Deadlocked && res.Detected > 5*quiet {
					t.Errorf("deadlock detected after %v, want within %v", res.Detected, 5*quiet)
				}
			})
		}
	}
}

// TestFaultDoesNotAllocate: the read path allocates nothing, in any model,
// so the garbage collector has no work from readers during a window.
func TestFaultDoesNotAllocate(t *testing.T) {
	for _, info := range models(t) {
		t.Run(info.Name, func(t *testing.T) {
			s := info.New(mm.Config{Pages: 1 << 12})
			if err := s.MM().Setup(mm.Op{Kind: mm.OpMmap, Start: 64 * mm.PageSize, Len: 16 * mm.PageSize, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
				t.Fatal(err)
			}
			task := mm.NewTask(s.MM(), 0, mm.PageSize)
			addr := uint64(70 * mm.PageSize)
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
		})
	}
}
