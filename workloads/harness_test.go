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
// exactly the ones Begin would, across passes of a length that does not
// divide SampleEvery: the same seed's Begin, called once per fault, times
// as many.
func TestFaultPassAccounting(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Pages = 24
	s := strategies.NewNoLock(mm.Config{Pages: cfg.AddressSpacePages(1)})
	w := newFaults(cfg).(*faults)
	if err := w.Setup(s.MM(), 1); err != nil {
		t.Fatal(err)
	}
	th := NewThread(0, 1, s, cfg, new(Control))
	const passes = 64
	for range passes {
		if !faultPass(th, w.l.at(regionBase, 0), cfg.Pages) {
			t.Fatal(th.Err)
		}
	}
	if got, want := th.Ops[ClassFault], uint64(passes*cfg.Pages); got != want {
		t.Errorf("faults counted = %d, want %d", got, want)
	}
	ref := NewThread(0, 1, nil, cfg, new(Control))
	var want int64
	for range passes * cfg.Pages {
		if ref.Begin() != 0 {
			want++
		}
	}
	if got := th.Lat[ClassFault].TotalCount(); got != want || want == 0 {
		t.Errorf("faults timed = %d, want %d (as Begin times them)", got, want)
	}
	if got := th.Task.Stats.Faults; got != passes*uint64(cfg.Pages) {
		t.Errorf("pages installed = %d, want every fault to install one (the reset must zap them)", got)
	}
}

// TestSamplingSpreadsOverCycles: the operations Begin and BeginSlow time
// fall on every position of a workload's own cycle alike (a writer that
// alternates mmap and munmap, a 64-page faults pass), about one in the mean
// of each; a fixed period that divides the cycle times one position only.
func TestSamplingSpreadsOverCycles(t *testing.T) {
	tests := []struct {
		name  string
		slow  bool
		mean  int
		cycle int
	}{
		{"writes, mmap and munmap", true, SlowSampleEvery, 2},
		{"writes, four slots mapped and unmapped", true, SlowSampleEvery, 8},
		{"faults, a 64-page pass", false, SampleEvery, 64},
		{"faults, 2 MiB of pages", false, SampleEvery, 512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := NewThread(0, 1, nil, DefaultConfig(), new(Control))
			ops := tt.cycle * tt.mean * 400 // 400 samples expected per position
			at := make([]int, tt.cycle)
			for i := range ops {
				var st int64
				if tt.slow {
					st = th.BeginSlow()
				} else {
					st = th.Begin()
				}
				if st != 0 {
					at[i%tt.cycle]++
				}
			}
			total := 0
			for _, n := range at {
				total += n
			}
			if want := ops / tt.mean; total < want*9/10 || total > want*11/10 {
				t.Errorf("%d of %d operations timed, want about %d (one in %d)", total, ops, want, tt.mean)
			}
			for pos, n := range at {
				// 400 expected: a position timed under 300 or over
				// 500 times is 5 standard deviations out.
				if n < 300 || n > 500 {
					t.Errorf("position %d of the %d-operation cycle timed %d times, want about 400", pos, tt.cycle, n)
				}
			}
		})
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
