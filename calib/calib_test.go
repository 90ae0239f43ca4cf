package calib

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vmabench/cell"
	"vmabench/internal/golden"
	"vmabench/mm"
)

// sample is a profile with every field set.
var sample = Profile{
	Machine: "build-7", CPU: "AMD EPYC 7B13", Kernel: "6.18.44",
	Date: time.Date(2026, 12, 1, 5, 40, 0, 0, time.UTC),
	Load: 1.52, PCPHigh: 3378, PCPBatch: 63,
	Fault: 1600, DontNeed: 15000, Mmap: 1400, Munmap: 1250, Mprotect: 3000,
	Mincore: 1500, MincoreEmpty: 320, Syscall: 180, Trap: 150, Yield: 320, FaultHold: 900,
	IPISend: 9000, IPIRecv: 5000, TLBLazy: 22000, MapsVMA: 35,
	FaultFresh: 1900, FaultFreshLarge: 2300, ZapAnon: 120, FaultCOW: 2100, FaultShared: 9000, ZapShared: 80,
	MmapFile: 2000, MunmapFile: 1800, SharedFaultPages: 3,
	Hit: 0.5, RMW: 8.6, LineTransfer: 40, ContendedRMW: 45, Pause: 30, Wakeup: 25000,
	PairP10: 2500, PairP50: 2600, PairP90: 3000, PairP99: 6000, PairP999: 30000,
	WakeupAfter: [6]float64{2000, 2500, 3000, 8000, 15000, 20000},
	WakeupP10:   [7]float64{800, 900, 1000, 4000, 9000, 12000, 15000},
	WakeupP90:   [7]float64{7000, 8000, 9000, 20000, 30000, 40000, 60000},
	WakeupSend:  [7]float64{3500, 2500, 2000, 3000, 4000, 4000, 4000},
}

// TestWriteGolden: a profile's text is stable (testdata/profile.golden) and
// parses back to the same profile.
func TestWriteGolden(t *testing.T) {
	var b bytes.Buffer
	if err := sample.Write(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "profile.golden"), b.Bytes())
	p, err := Parse(&b, "profile")
	if err != nil {
		t.Fatal(err)
	}
	if p != sample {
		t.Errorf("parsed back as %+v, want %+v", p, sample)
	}
}

// TestParseErrors: every bad profile is an ErrFormat naming the file and,
// where there is one, the line.
func TestParseErrors(t *testing.T) {
	var good bytes.Buffer
	sample.Write(&good)
	lines := strings.Split(strings.TrimSuffix(good.String(), "\n"), "\n")
	with := func(i int, line string) string { // line i replaced (1-based)
		l := append([]string(nil), lines...)
		l[i-1] = line
		return strings.Join(l, "\n") + "\n"
	}
	tests := []struct {
		name, text, want string
	}{
		{"not key value", with(9, "fault-ns 1600"), `p.txt:9: "fault-ns 1600" is not a "key: value" line`},
		{"unknown key", with(9, "faults-ns: 1600"), `p.txt:9: unknown key "faults-ns" (valid: machine, cpu, kernel, date, load, pcp-high, pcp-batch, fault-ns,`},
		{"bad number", with(10, "dontneed-ns: fast"), `p.txt:10: dontneed-ns "fast": want a positive number of ns`},
		{"zero cost", with(11, "mmap-ns: 0"), `p.txt:11: mmap-ns "0": want a positive number of ns`},
		{"negative cost", with(12, "munmap-ns: -3"), `p.txt:12: munmap-ns "-3": want a positive number of ns`},
		{"bad date", with(5, "date: yesterday"), `p.txt:5: date "yesterday": want RFC 3339`},
		{"bad load", with(6, "load: high"), `p.txt:6: load "high": want a load average, 0 or more`},
		{"negative pcp", with(7, "pcp-high: -1"), `p.txt:7: pcp-high "-1": want a number of pages, 0 or more`},
		{"zero pcp", with(8, "pcp-batch: 0"), ""},
		{"twice", good.String() + "trap-ns: 5\n", `p.txt:71: trap-ns given twice`},
		{"missing", strings.Join(lines[:len(lines)-2], "\n"), `keys missing: p.txt: missing wakeup-send-ns, wakeup-ns`},
		{"zero zap", with(26, "zap-anon-ns: 0"), ""},
		{"zero lazy flush", with(22, "tlb-lazy-ns: 0"), ""},
		{"negative ipi", with(20, "ipi-send-ns: -1"), `p.txt:20: ipi-send-ns "-1": want a number of ns, 0 or more`},
		{"zero ipi", with(20, "ipi-send-ns: 0"), ""},
		{"empty", "", `p.txt: missing machine, cpu, kernel, date, load, pcp-high, pcp-batch, fault-ns`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.text), "p.txt")
			if tt.want == "" {
				if err != nil {
					t.Errorf("Parse: %v, want no error", err)
				}
				return
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: %v\nwant an ErrFormat containing %q", err, tt.want)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestDriftNote: a check more than DriftBound from the cached profile,
// either way, on fault-ns or mmap-ns, or more than TransferDriftBound on
// line-transfer-ns, is a drift; the note gives both figures and both
// loads. A check without a transfer (one CPU) judges none.
func TestDriftNote(t *testing.T) {
	tests := []struct {
		name        string
		fault, mmap float64
		drifted     bool
		note        string
	}{
		{"same", 1600, 1400, false, "fault-ns 1600 cached, 1600 checked (+0%), mmap-ns 1400 cached, 1400 checked (+0%)"},
		{"within", 1700, 1300, false, "fault-ns 1600 cached, 1700 checked (+6%)"},
		{"quieter", 1400, 1400, true, "fault-ns 1600 cached, 1400 checked (-12%)"},
		{"busier mmap", 1600, 1600, true, "mmap-ns 1400 cached, 1600 checked (+14%)"},
		{"transfer within", 1600, 1400, false, "line-transfer-ns 40 cached, 48 checked (+20%)"},
		{"vCPUs moved", 1600, 1400, true, "line-transfer-ns 40 cached, 180 checked (+350%)"},
		{"one CPU", 1600, 1400, false, "mmap-ns 1400 cached, 1400 checked (+0%); cached"},
	}
	transfer := map[string]float64{"transfer within": 48, "vCPUs moved": 180, "one CPU": 0}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lt, ok := transfer[tt.name]
			if !ok {
				lt = sample.LineTransfer
			}
			note, drifted := driftNote(sample, Profile{Fault: tt.fault, Mmap: tt.mmap, LineTransfer: lt, Load: 0.1})
			if drifted != tt.drifted || !strings.Contains(note, tt.note) || !strings.Contains(note, "cached at load 1.52 on 2026-12-01T05:40:00Z, checked at load 0.10") {
				t.Errorf("driftNote = %q, %v; want %v and a note containing %q", note, drifted, tt.drifted, tt.note)
			}
		})
	}
}

func TestDesignFor(t *testing.T) {
	tests := []struct{ release, want string }{
		{"6.18.44-fc-v657", "vmarefcnt"},
		{"6.15.0", "vmarefcnt"},
		{"6.14.11-300.fc42.x86_64", "vmaseq"},
		{"6.4.0", "vmaseq"},
		{"6.3.13", "mmaplock"},
		{"5.15.0-105-generic", "mmaplock"},
		{"7.0.1", "vmarefcnt"},
		{"unknown", "vmarefcnt"},
	}
	for _, tt := range tests {
		if got := DesignFor(tt.release); got != tt.want {
			t.Errorf("DesignFor(%q) = %s, want %s", tt.release, got, tt.want)
		}
	}
}

// TestDerive: each kernel cost less what lies outside the lock and less the
// model's own cost is done under the lock, the rest outside, so the parts
// add up to the kernel's cost; a model already slower than the kernel adds
// nothing, rather than negative work.
func TestDerive(t *testing.T) {
	bare := Bare{Fault: 100, Zap: 400, Mmap: 400, Munmap: 450, Mprotect: 800, Mincore: 50, MapsVMA: 5}
	w := Derive(sample, bare, 1.5)
	want := mm.Work{
		MapsVMA:   35 - 5,
		ZoneAlloc: AssumedZoneAllocNs, ZoneFree: AssumedZoneFreeNs, LRUAdd: AssumedLRUAddNs, LRUDel: AssumedLRUDelNs,
		PCPHigh: 3378, PCPBatch: 63,
		// The fault's handler holds its lock 900 ns (FaultHold); the
		// rest of the exception comes after it.
		Trap: 150, Fault: 900 - 100, FaultExit: 1600 - 150 - 900,
		Syscall: 180, Yield: 320, Zap: 15000 - 180 - 400,
		Mmap:       1400 - 180 - 400,
		Munmap:     (1250 - 180 - 450) * (1 - MunmapTailShare),
		MunmapTail: (1250 - 180 - 450) * MunmapTailShare,
		Mprotect:   3000 - 180 - 800,
		Mincore:    1500 - 320 - 50, MincoreOut: 320 - 180,
		IPISend: 9000, IPIRecv: 5000, TLBLazy: 22000,
		// The large mapping's fault beyond the 2 MiB one's, whole.
		FaultColdLarge: 2300 - 1900,
		PTEAlloc:       (1900 - 1600) * 512, FaultCOW: 2100 - 150 - 550 - 100, FaultShared: 9000.0/3*4 - 150 - 550 - 100, FolioPages: 4,
		ZapAnon: 120, ZapShared: 80,
		MmapFile: 2000 - 180 - 400, MunmapFile: 1800 - 180 - 450 - (1250-180-450)*MunmapTailShare,
		IterPerNs: 1.5,
	}
	if w != want {
		t.Errorf("Derive = %+v\nwant     %+v", w, want)
	}
	// The model's single-thread cost comes out at the kernel's.
	for _, c := range []struct {
		name        string
		model, kern float64
	}{
		{"fault", bare.Fault + w.Fault + w.Trap + w.FaultExit, sample.Fault},
		{"mmap+munmap", bare.Mmap + bare.Munmap + w.Mmap + w.Munmap + w.MunmapTail + 2*w.Syscall, sample.Mmap + sample.Munmap},
		{"mincore", bare.Mincore + w.Mincore + w.MincoreOut + w.Syscall, sample.Mincore},
		{"fresh fault", bare.Fault + w.Fault + w.Trap + w.FaultExit + w.PTEAlloc/512, sample.FaultFresh},
		{"cow fault", bare.Fault + w.FaultCOW + w.Trap + w.FaultExit, sample.FaultCOW},
		{"shared fault per touch", (bare.Fault + w.FaultShared + w.Trap + w.FaultExit) / w.FolioPages, sample.FaultShared / sample.SharedFaultPages},
		{"file mmap+munmap", bare.Mmap + bare.Munmap + w.MmapFile + w.MunmapFile + w.MunmapTail + 2*w.Syscall, sample.MmapFile + sample.MunmapFile},
	} {
		if d := c.model - c.kern; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: model %v ns, kernel %v ns", c.name, c.model, c.kern)
		}
	}
	// Without a traced hold, the whole fault is under its lock.
	untraced := sample
	untraced.FaultHold = 0
	if u := Derive(untraced, bare, 1.5); u.FaultExit != 0 || u.Fault != 1600-150-100 || u.FaultCOW != 2100-150-100 {
		t.Errorf("untraced: fault %v, exit %v, cow %v; want 1350, 0, 1850", u.Fault, u.FaultExit, u.FaultCOW)
	}
	// A hold longer than the fault leaves nothing after it.
	long := sample
	long.FaultHold = 5000
	if l := Derive(long, bare, 1.5); l.FaultExit != 0 || l.Fault != 1600-150-100 {
		t.Errorf("hold past the fault: fault %v, exit %v; want 1350, 0", l.Fault, l.FaultExit)
	}
	slow := Derive(sample, Bare{Fault: 5000, Mprotect: 9000}, 1)
	if slow.Fault != 0 || slow.Mprotect != 0 {
		t.Errorf("a model slower than the kernel got work: fault %v, mprotect %v", slow.Fault, slow.Mprotect)
	}
	// Clamped names exactly the operations Derive gave no work.
	if c := Clamped(sample, bare); c != nil {
		t.Errorf("Clamped with a model cheaper than the kernel = %v, want none", c)
	}
	c := Clamped(sample, Bare{Fault: 5000, Mprotect: 9000})
	if len(c) != 2 || c[0].Op != "fault" || c[0].Own != 5000 || c[0].Kernel != 1600-150-550 || c[1].Op != "mprotect" || c[1].Kernel != 3000-180 {
		t.Errorf("Clamped = %v, want fault (own 5000, kernel 900) and mprotect (own 9000, kernel 2820)", c)
	}
	if n := ClampNote(c); !strings.Contains(n, "fault (the model's own 5000 ns, the kernel's 900 ns), mprotect") {
		t.Errorf("ClampNote = %q, want both operations with their costs", n)
	}
	if n := ClampNote(nil); n != "" {
		t.Errorf("ClampNote(nil) = %q, want none", n)
	}
}

// TestResolve: none is no work; a file is used as given, and a bad one is
// an error naming it; the automatic profile is measured when missing or
// made on another machine, with a note saying so, and used as is otherwise.
func TestResolve(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the live kernel")
	}
	ctx := context.Background()
	r, err := Resolve(ctx, None)
	if err != nil || r.Work != (mm.Work{}) || r.Path != "" {
		t.Errorf("Resolve(none) = %+v, %v; want no work", r, err)
	}
	if got := r.Pairs(); len(got) != 1 || got[0] != (cell.KV{Key: "calibration", Value: "none"}) {
		t.Errorf("none's configuration lines %v", got)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "given.txt")
	if err := sample.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	r, err = Resolve(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	// The parts that do not depend on the model's measured bare costs.
	if r.Profile != sample || r.Path != file || r.Work.IterPerNs <= 0 || r.Work.Trap != sample.Trap ||
		r.Work.MincoreOut != sample.MincoreEmpty-sample.Syscall || r.Work.IPISend != sample.IPISend {
		t.Errorf("Resolve(file) = %+v", r)
	}
	if !strings.Contains(r.Note, "was made on build-7 (kernel 6.18.44)") || !strings.Contains(r.Note, "using it as given") {
		t.Errorf("Resolve(another machine's file): note %q, want it named", r.Note)
	}
	if got := r.Pairs(); got[0] != (cell.KV{Key: "calibration", Value: file}) || got[1] != (cell.KV{Key: "calib-fault", Value: "1600ns"}) {
		t.Errorf("configuration lines %v", got)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("machine: x\nfault-ns: soon\n"), 0o644)
	if _, err := Resolve(ctx, bad); err == nil || !strings.Contains(err.Error(), bad+":2:") {
		t.Errorf("Resolve(bad file) = %v, want an error naming %s:2", err, bad)
	}
	if _, err := Resolve(ctx, filepath.Join(dir, "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("Resolve(missing file) = %v, want an error naming it", err)
	}

	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("HOME", dir)
	path, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	r, err = Resolve(ctx, Auto)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Note, "no calibration for this machine") || r.Path != path {
		t.Errorf("first Resolve(auto): note %q, path %s; want a fresh profile in %s", r.Note, r.Path, path)
	}
	// The second finds it, checks it against a few fresh rounds and uses
	// it as is, unless the machine's load moved it past DriftBound
	// meanwhile (TestDriftNote holds that decision to its figures).
	first, err := Load(path) // as written: rounded to 0.1 ns
	if err != nil {
		t.Fatal(err)
	}
	r, err = Resolve(ctx, Auto)
	switch {
	case err != nil || r.Path != path:
		t.Errorf("second Resolve(auto): path %s, %v; want %s", r.Path, err, path)
	case r.Note == "" && r.Profile != first:
		t.Errorf("second Resolve(auto) without a note used %+v, want the cached %+v", r.Profile, first)
	case r.Note != "" && !strings.Contains(r.Note, "drifted past 10%: fault-ns"):
		t.Errorf("second Resolve(auto): note %q, want none or a drift", r.Note)
	}
	old := strings.Join(strings.Split(string(must(os.ReadFile(path))), "\n")[:8], "\n") // no costs: an older vmabench's keys
	os.WriteFile(path, []byte(old+"\nfault-ns: 1600\n"), 0o644)
	r, err = Resolve(ctx, Auto)
	if err != nil || !strings.Contains(r.Note, "lacks keys this vmabench measures") || r.Path != path || r.Profile.MapsVMA <= 0 {
		t.Errorf("Resolve(auto) of an older profile: note %q, %+v, %v; want it measured afresh", r.Note, r.Profile, err)
	}
	other := sample
	other.Machine = "elsewhere"
	if err := other.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	r, err = Resolve(ctx, Auto)
	if err != nil || !strings.Contains(r.Note, "made on elsewhere") || r.Profile.Machine == "elsewhere" {
		t.Errorf("Resolve(auto) of another machine's profile: note %q, machine %q, %v; want a fresh profile", r.Note, r.Profile.Machine, err)
	}
	os.WriteFile(path, []byte("machine: vm\ncpu x\n"), 0o644)
	if _, err := Resolve(ctx, Auto); err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Errorf("Resolve(auto) of a malformed profile = %v, want an error naming %s:2", err, path)
	}
}
