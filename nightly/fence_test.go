package nightly

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"vmabench/runner"
)

// fleetCells are the cells of the generated nights: the standard matrix's
// shape, five strategies under two workloads at two thread counts.
var fleetCells = func() (cells []struct {
	w, s string
	t    int
	ns   float64
}) {
	for i, s := range []string{"mmaplock", "vmaseq", "vmarefcnt", "vmawait", "nolock"} {
		for _, w := range []string{"faults", "faults-mmap"} {
			for _, t := range []int{1, 2} {
				cells = append(cells, struct {
					w, s string
					t    int
					ns   float64
				}{w, s, t, float64(100 + 40*i + 25*t)})
			}
		}
	}
	return cells
}()

// sharedNight returns a night of unchanged code on a shared 2-CPU machine:
// each cell's level moves uniformly within ±15% from night to night (a 30%
// spread, as the quick matrix moves between two runs there), and its six
// repetitions within ±5% of that level. slow multiplies the time of the
// cells whose strategy it names.
func sharedNight(rng *rand.Rand, slow map[string]float64) []runner.Result {
	var rs []runner.Result
	for _, c := range fleetCells {
		level := c.ns * (1 + 0.15*(2*rng.Float64()-1))
		if f, ok := slow[c.s]; ok {
			level *= f
		}
		rs = append(rs, reps(c.w, c.s, c.t, jitter(rng, level, 0.05, 6)...)...)
	}
	return rs
}

// pasts returns the nights as a history, one a day from 2026-01-01.
func pasts(nights [][]runner.Result) []Past {
	out := make([]Past, len(nights))
	for i, rs := range nights {
		out[i] = Past{Date: date(2026, 1, 1+i), Commit: fmt.Sprintf("%07x", 0xabc000+i), Results: rs}
	}
	return out
}

func gateText(t *testing.T, v *Verdict) string {
	t.Helper()
	var b bytes.Buffer
	if err := v.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestGateHistoryUnchanged gates each of ten nights of unchanged code,
// noisy as a shared 2-CPU machine is, against the night before and the
// nights before that, with the default settings: none fails, though the U
// test against the previous night alone finds many of them different.
func TestGateHistoryUnchanged(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10} {
		rng := rand.New(rand.NewPCG(seed, 11))
		var nights [][]runner.Result
		for range 10 {
			nights = append(nights, sharedNight(rng, nil))
		}
		history := pasts(nights)
		dismissed := 0
		for k := 1; k < len(nights); k++ {
			v, err := GateHistory(nights[k-1], nights[k], history[:k], DefaultConfig().Gate)
			if err != nil {
				t.Fatal(err)
			}
			if v.Failed() {
				t.Errorf("seed %d, night %d of unchanged code failed the gate:\n%s", seed, k+1, gateText(t, v))
			}
			dismissed += len(v.Dismissed)
		}
		// The history is what passes them: the U test alone would not.
		if dismissed == 0 {
			t.Errorf("seed %d: no night differed from the one before by the U test; the noise is too small to test the history", seed)
		}
		t.Logf("seed %d: %d changes significant against the previous night dismissed as noise", seed, dismissed)
	}
}

// TestGateHistoryRegression checks that the history does not hide a real
// regression: one strategy 2x slower tonight fails against a steady
// history, naming the band; against a baseline doctored to be 2x faster,
// with no history, it fails too.
func TestGateHistoryRegression(t *testing.T) {
	const seed = 42
	rng := rand.New(rand.NewPCG(seed, 12))
	var nights [][]runner.Result
	for range 14 {
		nights = append(nights, sharedNight(rng, nil))
	}
	history := pasts(nights)
	tonight := sharedNight(rng, map[string]float64{"vmaseq": 2})
	tests := []struct {
		name    string
		old     []runner.Result
		history []Past
		new     []runner.Result
		regress int
		want    []string
	}{
		// Three of vmaseq's four cells; the fourth (faults-mmap at one
		// thread, 5.5M -> 3.2M faults/s) falls inside its own band, which
		// the history's ±15% nightly levels make 3.1M to 9.1M.
		{"2x slower, steady history", nights[13], history, tonight, 3, []string{
			"history: 14 nights, 2026-01-01 (0abc000) to 2026-01-14 (0abc00d)",
			"regression: workload=faults/strategy=vmaseq/threads=1 faults/s -",
			" against the band [",
			"FAIL: 3 worse",
		}},
		{"2x faster baseline, no history", sharedNight(rng, map[string]float64{"vmaseq": 0.5, "nolock": 0.5}), nil, tonight, 8, []string{
			"history: none: no earlier night of this machine, so no noise band; a change must be worse than 50% to fail",
			"regression: workload=faults/strategy=nolock/threads=2 faults/s -",
			" with no band (0 nights of history)",
			"FAIL: 8 worse",
		}},
		{"unchanged, no history", nights[12], nil, nights[13], 0, []string{
			"history: none",
			"PASS (of the gated cells: ",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := GateHistory(tt.old, tt.new, tt.history, DefaultConfig().Gate)
			if err != nil {
				t.Fatal(err)
			}
			out := gateText(t, v)
			if len(v.Regressions) != tt.regress {
				t.Errorf("seed %d: %d regressions, want %d:\n%s", seed, len(v.Regressions), tt.regress, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("seed %d: verdict lacks %q:\n%s", seed, w, out)
				}
			}
		})
	}
}

// TestGateHistoryOutlier: a previous night that was 2x faster by accident
// in an otherwise steady history does not fail tonight, which is like every
// other night; the dismissal is named, not silent.
func TestGateHistoryOutlier(t *testing.T) {
	const seed = 9
	rng := rand.New(rand.NewPCG(seed, 13))
	var nights [][]runner.Result
	for range 13 {
		nights = append(nights, sharedNight(rng, nil))
	}
	nights = append(nights, sharedNight(rng, map[string]float64{"vmaseq": 0.5}))
	v, err := GateHistory(nights[13], sharedNight(rng, nil), pasts(nights), DefaultConfig().Gate)
	if err != nil {
		t.Fatal(err)
	}
	out := gateText(t, v)
	if v.Failed() {
		t.Errorf("seed %d: failed on an outlier baseline:\n%s", seed, out)
	}
	if n := strings.Count(out, "within noise: workload=faults") + strings.Count(out, "within noise: workload=faults-mmap"); n < 2 {
		t.Errorf("seed %d: %d within-noise lines, want the vmaseq cells named:\n%s", seed, n, out)
	}
}

func TestHistoryOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		h    HistoryOptions
		want string
	}{
		{"zero", HistoryOptions{}, ""},
		{"window", HistoryOptions{Window: -1}, "window -1: must not be negative"},
		{"min nights", HistoryOptions{Window: 3, MinNights: 4}, "min nights 4: must be at most the window, 3"},
		{"fence", HistoryOptions{K: -1}, "fence multiplier K -1: must not be negative"},
		{"cold", HistoryOptions{ColdThreshold: -0.5}, "cold threshold -0.5: must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || err.Error() != tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBandFormat(t *testing.T) {
	b := Band{Nights: 14, Median: 101, Lo: 95, Hi: 120}
	if got, want := b.format("ns/op"), "[95.00ns/op, 120.0ns/op] (median 101.0ns/op of 14 nights)"; got != want {
		t.Errorf("ns/op band %q, want %q", got, want)
	}
	b = Band{Nights: 6, Since: date(2026, 1, 8), Median: 1.3e6, Lo: 1.2e6, Hi: 1.5e6}
	if got, want := b.format("faults/s"), "[1.200M faults/s, 1.500M faults/s] (median 1.300M faults/s of 6 nights, since the step on 2026-01-08)"; got != want {
		t.Errorf("faults/s band %q, want %q", got, want)
	}
}

func TestWindow(t *testing.T) {
	var nights [][]runner.Result
	for range 20 {
		nights = append(nights, nil)
	}
	h := pasts(nights)
	slices.Reverse(h)
	w := window(h, HistoryOptions{}.withDefaults())
	if len(w) != 14 || !w[0].Date.Equal(date(2026, 1, 7)) || !w[13].Date.Equal(date(2026, 1, 20)) {
		t.Errorf("window: %d nights from %v to %v, want the newest 14, 2026-01-07 to 2026-01-20", len(w), w[0].Date, w[len(w)-1].Date)
	}
	_ = time.Now
}

// TestGateHistorySinceStep: one strategy stepped 40% slower a week ago and
// stayed there (accepted). Tonight at that level passes; tonight 30% slower
// again fails, judged against the nights since the step, where a band over
// both levels would have hidden it.
func TestGateHistorySinceStep(t *testing.T) {
	const seed = 77
	rng := rand.New(rand.NewPCG(seed, 14))
	var nights [][]runner.Result
	for i := range 14 {
		slow := map[string]float64{}
		if i >= 7 {
			slow["vmaseq"] = 1.4
		}
		nights = append(nights, quietNight(rng, slow))
	}
	history := pasts(nights)
	tests := []struct {
		name    string
		slow    float64
		regress int
	}{
		{"at the new level", 1.4, 0},
		{"30% slower again", 1.4 * 1.3, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := GateHistory(nights[13], quietNight(rng, map[string]float64{"vmaseq": tt.slow}), history, DefaultConfig().Gate)
			if err != nil {
				t.Fatal(err)
			}
			out := gateText(t, v)
			if len(v.Regressions) != tt.regress {
				t.Errorf("seed %d: %d regressions, want %d:\n%s", seed, len(v.Regressions), tt.regress, out)
			}
			for _, r := range v.Regressions {
				if r.Band == nil || !r.Band.Since.Equal(date(2026, 1, 8)) {
					t.Errorf("seed %d: %s judged against %+v, want the band since the step on 2026-01-08", seed, r, r.Band)
				}
			}
			if tt.regress > 0 && !strings.Contains(out, "since the step on 2026-01-08") {
				t.Errorf("seed %d: verdict does not name the step:\n%s", seed, out)
			}
		})
	}
}

// quietNight is sharedNight on a quieter machine: ±3% night to night.
func quietNight(rng *rand.Rand, slow map[string]float64) []runner.Result {
	var rs []runner.Result
	for _, c := range fleetCells {
		level := c.ns * (1 + 0.03*(2*rng.Float64()-1))
		if f, ok := slow[c.s]; ok {
			level *= f
		}
		rs = append(rs, reps(c.w, c.s, c.t, jitter(rng, level, 0.02, 6)...)...)
	}
	return rs
}
