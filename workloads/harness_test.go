package workloads

import (
	"testing"

	"vmabench/mm"
	"vmabench/strategies"
)

// BenchmarkHarnessOverhead measures what the runner's accounting costs a
// fault: the same nolock fault passes (64 faults, then a reset) run bare, and
// through faultPass with the Thread's phase check, per-class counts, progress
// store and one-in-64 timing. The difference is the harness's share of a
// nolock op, the cheapest op there is. Compare the ns/fault of the two.
func BenchmarkHarnessOverhead(b *testing.B) {
	for _, work := range []int{0, mm.PageSize} {
		cfg := DefaultConfig()
		cfg.FaultWork = work
		for _, mode := range []string{"bare", "harness"} {
			b.Run("fault-work="+itoa(work)+"/mode="+mode, func(b *testing.B) {
				s := strategies.NewNoLock(mm.Config{Pages: cfg.AddressSpacePages(1)})
				w := newFaults(cfg).(*faults)
				if err := w.Setup(s.MM(), 1); err != nil {
					b.Fatal(err)
				}
				th := NewThread(0, 1, s, cfg, new(Control))
				base, pages := w.l.at(regionBase, 0), w.l.pages
				b.ResetTimer()
				for b.Loop() {
					if mode == "bare" {
						for p := 0; p < pages; p++ {
							if err := s.Fault(th.Task, base+uint64(p)*mm.PageSize); err != nil {
								b.Fatal(err)
							}
						}
						if err := reset(th, base, base+w.l.span); err != nil {
							b.Fatal(err)
						}
						continue
					}
					if !th.Running() || !faultPass(th, base, pages) {
						b.Fatal(th.Err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages), "ns/fault")
			})
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestFaultPassAccounting: a fault pass counts every fault once and times
// exactly the ones Begin would (one in SampleEvery), across passes of a
// length that does not divide SampleEvery.
func TestFaultPassAccounting(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Pages = 24
	s := strategies.NewNoLock(mm.Config{Pages: cfg.AddressSpacePages(1)})
	w := newFaults(cfg).(*faults)
	if err := w.Setup(s.MM(), 1); err != nil {
		t.Fatal(err)
	}
	th := NewThread(0, 1, s, cfg, new(Control))
	const passes = 16
	for range passes {
		if !faultPass(th, w.l.at(regionBase, 0), cfg.Pages) {
			t.Fatal(th.Err)
		}
	}
	if got, want := th.Ops[ClassFault], uint64(passes*cfg.Pages); got != want {
		t.Errorf("faults counted = %d, want %d", got, want)
	}
	if got, want := th.Lat[ClassFault].TotalCount(), int64(passes*cfg.Pages/SampleEvery); got != want {
		t.Errorf("faults timed = %d, want %d (one in %d)", got, want, SampleEvery)
	}
	if got := th.Task.Stats.Faults; got != passes*uint64(cfg.Pages) {
		t.Errorf("pages installed = %d, want every fault to install one (the reset must zap them)", got)
	}
}

// TestThreadAck: a thread acknowledges a phase only when it notices it in
// Running, which is what the runner waits on before it times the window;
// a thread that returned counts as past every phase.
func TestThreadAck(t *testing.T) {
	ctl := new(Control)
	th := NewThread(0, 1, strategies.NewNoLock(mm.Config{Pages: 16}), DefaultConfig(), ctl)
	steps := []struct {
		name    string
		do      func() bool
		running bool
		acked   uint32
	}{
		{"warm-up", th.Running, true, PhaseWarmup},
		{"window published, not yet noticed", func() bool { ctl.SetPhase(PhaseMeasure); return true }, true, PhaseWarmup},
		{"window noticed", th.Running, true, PhaseMeasure},
		{"window again", th.Running, true, PhaseMeasure},
		{"stop", func() bool { ctl.SetPhase(PhaseStop); return th.Running() }, false, PhaseMeasure},
		{"exited", func() bool { th.Exited(); return false }, false, PhaseStop},
	}
	for _, s := range steps {
		if got := s.do(); got != s.running || th.Acked() != s.acked {
			t.Fatalf("%s: running %v, acked %d; want %v, %d", s.name, got, th.Acked(), s.running, s.acked)
		}
	}
}
