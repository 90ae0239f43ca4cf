package nightly

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"vmabench/runner"
)

// seq returns n values from start, step apart.
func seq(start, step float64, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = start + float64(i)*step
	}
	return vs
}

func scale(vs []float64, f float64) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = v * f
	}
	return out
}

func TestGate(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	const w, s = "faults", "vmaseq"
	base := jitter(rng, 100, 0.02, 6)
	tests := []struct {
		name      string
		old, new  []runner.Result
		opts      GateOptions
		wantRegr  []string // Regression.String prefixes
		wantImpr  []string // cells
		wantStill []string // cells of Failing
		unsure    int      // cells it cannot tell
		nothing   bool     // no cell in common: fails, judging nothing
	}{
		{
			name:     "2x slower",
			old:      reps(w, s, 2, base...),
			new:      reps(w, s, 2, scale(jitter(rng, 100, 0.02, 6), 2)...),
			opts:     GateOptions{Threshold: 0.05},
			wantRegr: []string{"workload=faults/strategy=vmaseq/threads=2 faults/s -"},
		},
		{
			name: "same distribution",
			old:  slices.Concat(reps(w, s, 1, base...), reps(w, s, 2, jitter(rng, 50, 0.02, 6)...)),
			new:  slices.Concat(reps(w, s, 1, jitter(rng, 100, 0.02, 6)...), reps(w, s, 2, jitter(rng, 50, 0.02, 6)...)),
			opts: GateOptions{Threshold: 0.05},
		},
		{
			name:     "2x faster",
			old:      reps(w, s, 2, base...),
			new:      reps(w, s, 2, scale(jitter(rng, 100, 0.02, 6), 0.5)...),
			opts:     GateOptions{Threshold: 0.05},
			wantImpr: []string{"workload=faults/strategy=vmaseq/threads=2"},
		},
		{
			// The interval [0.947, 0.995] of the ratio straddles 0.95:
			// the spread of 5% cannot rule out a 5% change.
			name:   "3% slower: significant, but the interval straddles the threshold",
			old:    reps(w, s, 2, seq(100, 1, 6)...),
			new:    reps(w, s, 2, scale(seq(100, 1, 6), 1.03)...),
			opts:   GateOptions{Threshold: 0.05},
			unsure: 1,
		},
		{
			name: "3% slower: significant, within a 10% threshold",
			old:  reps(w, s, 2, seq(100, 1, 6)...),
			new:  reps(w, s, 2, scale(seq(100, 1, 6), 1.03)...),
			opts: GateOptions{Threshold: 0.10},
		},
		{
			name:     "3% slower at threshold 0",
			old:      reps(w, s, 2, seq(100, 1, 6)...),
			new:      reps(w, s, 2, scale(seq(100, 1, 6), 1.03)...),
			opts:     GateOptions{Threshold: 0},
			wantRegr: []string{"workload=faults/strategy=vmaseq/threads=2 faults/s -2.91%"},
		},
		{
			name:   "2x slower with 3 samples: the test cannot reach 0.05, so cannot tell, never a pass",
			old:    reps(w, s, 2, seq(100, 1, 3)...),
			new:    reps(w, s, 2, seq(200, 1, 3)...),
			opts:   GateOptions{Threshold: 0.05},
			unsure: 1,
		},
		{
			name:     "gated on faults/s",
			old:      reps(w, s, 2, seq(100, 1, 6)...),
			new:      reps(w, s, 2, seq(200, 1, 6)...),
			opts:     GateOptions{Threshold: 0.05, Units: []string{"faults/s"}},
			wantRegr: []string{"workload=faults/strategy=vmaseq/threads=2 faults/s -49.38% (9.756M -> 4.938M faults/s, p=0.002 n=6+6, ratio 0.506 ["},
		},
		{
			name:     "deadlock where the baseline finished",
			old:      reps(w, s, 2, base...),
			new:      append(reps(w, s, 2, base[:5]...), failed(w, s, 2, runner.StatusDeadlock)),
			opts:     GateOptions{Threshold: 0.05},
			wantRegr: []string{"workload=faults/strategy=vmaseq/threads=2 deadlock (ok in the baseline): no progress"},
		},
		{
			name:     "timeout and error where the baseline finished",
			old:      slices.Concat(reps(w, s, 1, base...), reps(w, s, 2, base...)),
			new:      []runner.Result{failed(w, s, 1, runner.StatusTimeout), failed(w, s, 2, runner.StatusError)},
			opts:     GateOptions{Threshold: 0.05},
			wantRegr: []string{"workload=faults/strategy=vmaseq/threads=1 timeout", "workload=faults/strategy=vmaseq/threads=2 error"},
		},
		{
			name:      "deadlock in both",
			old:       append(reps(w, s, 2, base[:5]...), failed(w, s, 2, runner.StatusDeadlock)),
			new:       append(reps(w, s, 2, base[:5]...), failed(w, s, 2, runner.StatusDeadlock)),
			opts:      GateOptions{Threshold: 0.05},
			wantStill: []string{"workload=faults/strategy=vmaseq/threads=2"},
		},
		{
			name:      "deadlock in a cell the baseline did not run",
			old:       reps(w, s, 1, base...),
			new:       slices.Concat(reps(w, s, 1, base...), []runner.Result{failed(w, s, 2, runner.StatusDeadlock)}),
			opts:      GateOptions{Threshold: 0.05},
			wantStill: []string{"workload=faults/strategy=vmaseq/threads=2"},
		},
		{
			name:    "no cell in common: not a pass",
			old:     reps(w, s, 1, base...),
			new:     reps("lookups", s, 1, base...),
			opts:    GateOptions{Threshold: 0.05},
			nothing: true,
		},
		{
			name: "skipped is not a failure",
			old:  slices.Concat(reps(w, s, 1, base...), reps(w, s, 2, base...)),
			new:  append(reps(w, s, 1, base...), failed(w, s, 2, runner.StatusSkipped)),
			opts: GateOptions{Threshold: 0.05},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Gate(tt.old, tt.new, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Regressions) != len(tt.wantRegr) {
				t.Fatalf("seed %d: regressions = %q, want %q", seed, v.Regressions, tt.wantRegr)
			}
			for i, r := range v.Regressions {
				if !strings.HasPrefix(r.String(), tt.wantRegr[i]) {
					t.Errorf("seed %d: regression %d = %q, want prefix %q", seed, i, r, tt.wantRegr[i])
				}
			}
			if len(v.Inconclusive) != tt.unsure {
				t.Errorf("seed %d: %d cells it cannot tell, want %d", seed, len(v.Inconclusive), tt.unsure)
			}
			for _, d := range v.Inconclusive {
				if d.Delta.Verdict.Need <= d.Delta.OldN {
					t.Errorf("cannot tell %s: needs -count %d, want more than the %d run", d.Delta.Cell, d.Delta.Verdict.Need, d.Delta.OldN)
				}
			}
			if v.Failed() != (len(tt.wantRegr) > 0 || tt.unsure > 0 || tt.nothing) {
				t.Errorf("Failed() = %v with %d regressions, %d cannot tell", v.Failed(), len(v.Regressions), len(v.Inconclusive))
			}
			if tt.nothing && State(v) != "FAIL: nothing in common with the baseline to judge" {
				t.Errorf("State = %q", State(v))
			}
			if tt.unsure > 0 {
				o := tt.opts
				o.AllowInconclusive = true
				if v, _ := Gate(tt.old, tt.new, o); v.Failed() != (len(tt.wantRegr) > 0) {
					t.Errorf("AllowInconclusive: Failed() = %v with %d regressions", v.Failed(), len(v.Regressions))
				}
			}
			var impr, still []string
			for _, d := range v.Improvements {
				impr = append(impr, d.Cell.String())
			}
			for _, r := range v.Failing {
				still = append(still, r.Key().String())
			}
			if !slices.Equal(impr, tt.wantImpr) {
				t.Errorf("seed %d: improvements = %q, want %q", seed, impr, tt.wantImpr)
			}
			if !slices.Equal(still, tt.wantStill) {
				t.Errorf("still failing = %q, want %q", still, tt.wantStill)
			}
		})
	}
}

// TestGateText checks the verdict as a log shows it: the regressed cell
// and its change on a "regression:" line and a FAIL line, or a PASS line
// without the word "regression" at all.
func TestGateText(t *testing.T) {
	old := slices.Concat(reps("faults", "vmaseq", 2, seq(100, 1, 6)...), reps("faults", "nolock", 2, seq(50, 0.2, 6)...))
	tests := []struct {
		name    string
		new     []runner.Result
		want    []string
		notWant string
	}{
		{
			name: "2x regression",
			new:  slices.Concat(reps("faults", "vmaseq", 2, seq(200, 2, 6)...), reps("faults", "nolock", 2, seq(25, 0.5, 6)...)),
			want: []string{
				"faults/s", // the comparison table comes first
				"\nhistory: none: no earlier night of this machine, so no noise band; a change must be worse than 5% to fail\n",
				"\nregression: workload=faults/strategy=vmaseq/threads=2 faults/s -50.00% (9.756M -> 4.878M faults/s, p=0.002 n=6+6, ratio 0.5 [0.488, 0.512]) with no band (0 nights of history)\n",
				"\nimprovement: workload=faults/strategy=nolock/threads=2 faults/s +92.40% (19.80M -> 38.10M faults/s, p=0.002 n=6+6, ratio 1.92 [1.86, 2])\n",
				"\nFAIL: 1 worse (of the gated cells: 1 better, 0 same, 0 within noise; each cell's faults/s, lookups/s, writes/s judged three ways: worse when significant at p <= 0.05 and its 95% interval lies beyond 5% (with no band: 5%) and outside the cell's band over the history; same within; cannot tell otherwise; or ok before and not finished now)\n",
			},
			notWant: "PASS",
		},
		{
			name: "quiet",
			new:  slices.Concat(reps("faults", "vmaseq", 2, seq(100.5, 1, 6)...), reps("faults", "nolock", 2, seq(50.1, 0.2, 6)...)),
			want: []string{
				"faults/s",
				"\nPASS (of the gated cells: 0 better, 2 same, 0 within noise; each cell's faults/s",
			},
			notWant: "regression",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Gate(old, tt.new, GateOptions{Threshold: 0.05})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := v.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, tt.notWant) {
				t.Errorf("output holds %q:\n%s", tt.notWant, out)
			}
			if strings.Contains("\n"+out, "\nsec/op ") {
				t.Errorf("output shows an ungated unit:\n%s", out)
			}
		})
	}
}

func TestGateBadThreshold(t *testing.T) {
	if _, err := Gate(nil, nil, GateOptions{Threshold: -0.1}); err == nil {
		t.Error("Gate(threshold -0.1) succeeded")
	}
}

// TestGateHolm checks the gate over many cells: per cell, a cell that
// reached p = 0.026 by chance fails it; under Holm it does not, while a 2x
// regression in one cell of 15 still does.
func TestGateHolm(t *testing.T) {
	// 15 cells; cell 0 of the new run is 15% slower with p = 0.026
	// (5 of 6 new values above every old one), the others unchanged.
	var old, same, chance, doubled []runner.Result
	for i := range 15 {
		s := "s" + strconv.Itoa(i)
		old = append(old, reps("faults", s, 1, seq(100, 1, 6)...)...)
		same = append(same, reps("faults", s, 1, seq(100.5, 1, 6)...)...)
		switch i {
		case 0:
			chance = append(chance, reps("faults", s, 1, 100.5, 115, 116, 117, 118, 119)...)
			doubled = append(doubled, reps("faults", s, 1, seq(200, 2, 6)...)...)
		default:
			chance = append(chance, reps("faults", s, 1, seq(100.5, 1, 6)...)...)
			doubled = append(doubled, reps("faults", s, 1, seq(100.5, 1, 6)...)...)
		}
	}
	tests := []struct {
		name     string
		new      []runner.Result
		holm     bool
		wantRegr int
		unsure   int
	}{
		{"unchanged", same, false, 0, 0},
		{"unchanged, Holm", same, true, 0, 0},
		// 15% slower, p = 0.026, interval straddling 5%: never worse
		// (Holm keeps its p from counting), never a pass either.
		{"by chance", chance, false, 0, 1},
		{"by chance, Holm", chance, true, 0, 1},
		{"2x", doubled, false, 1, 0},
		{"2x, Holm", doubled, true, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Gate(old, tt.new, GateOptions{Threshold: 0.05, Holm: tt.holm})
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Regressions) != tt.wantRegr {
				t.Errorf("regressions = %q, want %d", v.Regressions, tt.wantRegr)
			}
			if len(v.Inconclusive) != tt.unsure {
				t.Errorf("%d cannot tell, want %d", len(v.Inconclusive), tt.unsure)
			}
			if tt.holm && v.Tests != 15 {
				t.Errorf("Tests = %d, want 15", v.Tests)
			}
			var b bytes.Buffer
			if err := v.WriteSummary(&b); err != nil {
				t.Fatal(err)
			}
			if want := "at p <= 0.05 over 15 cells (Holm)"; tt.holm != strings.Contains(b.String(), want) {
				t.Errorf("summary %q: want %q iff Holm", b.String(), want)
			}
			if strings.Contains(b.String(), "note:") {
				t.Errorf("summary %q notes a blind gate", b.String())
			}
		})
	}
}

func TestGateHolmBlind(t *testing.T) {
	// 60 cells of 6 samples: Holm needs p <= 0.05/60, 6 against 6 reach
	// 0.0022 at best.
	var old, new []runner.Result
	for i := range 60 {
		s := "s" + strconv.Itoa(i)
		old = append(old, reps("faults", s, 1, seq(100, 1, 6)...)...)
		new = append(new, reps("faults", s, 1, seq(200, 1, 6)...)...)
	}
	v, err := Gate(old, new, GateOptions{Threshold: 0.05, Holm: true})
	if err != nil {
		t.Fatal(err)
	}
	// No cell can be worse, and none passes: each cannot be told, and
	// says the count that would tell it.
	if len(v.Regressions) != 0 || len(v.Inconclusive) != 60 || !v.Failed() {
		t.Errorf("%d regressions, %d cannot tell, failed %v; want 0, 60, true", len(v.Regressions), len(v.Inconclusive), v.Failed())
	}
	var b bytes.Buffer
	if err := v.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"note: over 60 cells a p-value must be at most 0.00083, and the cell with the fewest samples reaches at best 0.0022: it cannot be judged worse, only cannot tell; raise the count to 7\n",
		"\nFAIL: 60 cannot tell (",
		"run with -count 7, or pass them with -allow-inconclusive\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary:\n%s\nwant %q", b.String(), want)
		}
	}
}

func TestMinP(t *testing.T) {
	tests := []struct {
		n1, n2 int
		want   float64
	}{
		{6, 6, 2.0 / 924},
		{4, 6, 2.0 / 210},
		{3, 3, 0.1},
		{1, 1, 1},
	}
	for _, tt := range tests {
		if got := minP(tt.n1, tt.n2); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("minP(%d, %d) = %v, want %v", tt.n1, tt.n2, got, tt.want)
		}
	}
}
