package workloads

import (
	"strings"
	"sync"
	"testing"
	"time"

	"vmabench/mm"
	"vmabench/strategies"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"128MiB", 128 << 20, false},
		{"4KiB", 4096, false},
		{"1GiB", 1 << 30, false},
		{"65536", 65536, false},
		{"12k", 0, true},
		{"MiB", 0, true},
		{"-1", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			if back, _ := ParseSize(FormatSize(got)); back != got {
				t.Errorf("FormatSize(%d) = %q reads back as %d", got, FormatSize(got), back)
			}
		}
	}
}

// TestSizeBadInput: a size that is not a multiple of the page size, or is
// out of range, or does not fit in memory, is refused with the size and
// the limit named.
func TestSizeBadInput(t *testing.T) {
	for _, tt := range []struct {
		size uint64
		want string
	}{
		{128<<20 + 1, "size 134217729: want a multiple of the page size (4096 bytes)"},
		{mm.PageSize, "size 4096: want a multiple of the page size (4096 bytes) from 8192"},
		{MaxSize + mm.PageSize, "to 68719476736 (64 GiB)"},
	} {
		c := DefaultConfig()
		c.Size = tt.size
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("size %d: Validate() = %v, want %q", tt.size, err, tt.want)
		}
	}
	pf1, _ := Get("page_fault1")
	c := DefaultConfig()
	c.Size = 1 << 30
	err := pf1.CheckMemory(c, 4, 6<<30)
	if err == nil || !strings.Contains(err.Error(), "size 1GiB: page_fault1 at 4 threads keeps 4096 MiB in memory, more than half of this machine's 6144 MiB (limit 3072 MiB)") {
		t.Errorf("CheckMemory = %v", err)
	}
	if err := pf1.CheckMemory(c, 2, 6<<30); err != nil {
		t.Errorf("2 GiB of 6: %v", err)
	}
	mmap1, _ := Get("mmap1")
	if err := mmap1.CheckMemory(c, 64, 6<<30); err != nil {
		t.Errorf("mmap1 keeps nothing resident: %v", err)
	}
}

// TestPeerShapes runs each of the field's shapes for a few passes on a
// model and checks what the peer's testcase does: page_fault1-3 and pft
// count one operation per page touched, each touch one fault; mmap1-2
// count pairs and fault nothing; and between passes the mappings go (the
// model's page table is empty once the threads stop, but for pft's mapping
// and each thread's last pass).
func TestPeerShapes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Size = 2 * PMDSize
	cfg.TempDir = t.TempDir()
	pages := uint64(cfg.Size / mm.PageSize)
	for _, name := range []string{"page_fault1", "page_fault2", "page_fault3", "mmap1", "mmap2", "pft"} {
		t.Run(name, func(t *testing.T) {
			info, _ := Get(name)
			const threads = 2
			s := strategies.NewVMARefcnt(mm.Config{Pages: cfg.AddressSpacePages(threads)})
			w := info.New(cfg)
			if err := w.Setup(s.MM(), threads); err != nil {
				t.Fatal(err)
			}
			ctl := new(Control)
			ctl.SetPhase(PhaseMeasure)
			var wg sync.WaitGroup
			ths := make([]*Thread, threads)
			for i := range ths {
				ths[i] = NewThread(i, threads, s, cfg, ctl)
				wg.Add(1)
				go func(th *Thread) {
					defer wg.Done()
					w.Run(th)
				}(ths[i])
			}
			// Let each thread do at least three passes' worth (read
			// racily: it only decides when to stop).
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				n := uint64(0)
				for _, th := range ths {
					n += progress(th)
				}
				if n >= 3*threads*pages/uint64(max(1, perOp(info))) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			ctl.SetPhase(PhaseStop)
			wg.Wait()
			var ops, faults uint64
			for _, th := range ths {
				if th.Err != nil {
					t.Fatal(th.Err)
				}
				ops += th.Ops[info.Reader]
				faults += th.Task.Stats.Faults
				if th.Task.Stats.Violations != 0 {
					t.Error(th.Task.FirstViolation())
				}
			}
			if ops == 0 {
				t.Fatal("no operation done")
			}
			// pft times its whole passes as the peer does; no other
			// shape has passes.
			var passFaults uint64
			var passNs int64
			for _, th := range ths {
				passFaults, passNs = passFaults+th.PassFaults, passNs+th.PassNs
			}
			if name == "pft" {
				if passFaults == 0 || passFaults%(threads*pages) != 0 || passNs <= 0 {
					t.Errorf("pft's passes: %d faults in %d ns, want whole passes of %d faults", passFaults, passNs, threads*pages)
				}
			} else if passFaults != 0 || passNs != 0 {
				t.Errorf("passes timed (%d faults, %d ns), want none outside pft", passFaults, passNs)
			}
			switch info.Reader {
			case ClassFault:
				if faults != ops {
					t.Errorf("%d faults for %d touches, want one each", faults, ops)
				}
			default:
				if faults != 0 {
					t.Errorf("%d faults, want none", faults)
				}
			}
		})
	}
}

// progress is th's published operation count.
func progress(th *Thread) uint64 { return th.Task.Progress() }

// perOp is the pages one operation of info stands for: 1 for a fault, the
// whole mapping for a mapping pair (so the loop waits for a few pairs).
func perOp(info Info) int {
	if info.Reader == ClassWrite {
		return int(2 * PMDSize / mm.PageSize)
	}
	return 1
}

// TestBarrierPassTime: the last thread to arrive adds a pass's faults and
// its wall time, the first start to the last end, unless a thread ran any
// of it outside the measured phase (a slot of -1).
func TestBarrierPassTime(t *testing.T) {
	tests := []struct {
		name       string
		slots      []passSlot
		wantFaults uint64
		wantNs     int64
	}{
		{"one thread", []passSlot{{start: 100, end: 350}}, 64, 250},
		{"first start to last end", []passSlot{{start: 100, end: 300}, {start: 120, end: 420}}, 64, 320},
		{"a start before the window", []passSlot{{start: -1, end: 300}, {start: 120, end: 420}}, 0, 0},
		{"an end after it", []passSlot{{start: 100, end: 300}, {start: 120, end: -1}}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := barrier{slots: tt.slots}
			th := NewThread(0, len(tt.slots), nil, DefaultConfig(), new(Control))
			b.done(th, 64)
			if th.PassFaults != tt.wantFaults || th.PassNs != tt.wantNs {
				t.Errorf("done: %d faults in %d ns, want %d in %d", th.PassFaults, th.PassNs, tt.wantFaults, tt.wantNs)
			}
		})
	}
}
