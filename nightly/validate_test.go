package nightly

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validateTable is a validate table as vmabench validate writes it: a cell
// and, per experiment, the kernel's and the model's penalty, their ratio and
// whether it is within the tolerance.
func validateTable(rng *rand.Rand, ratio float64) string {
	var b strings.Builder
	b.WriteString("machine: test-vm\n\n")
	// A cell the rows come from: not a row, not searched for drifts.
	fmt.Fprintf(&b, "BenchmarkVMA/workload=faults/strategy=kernel/threads=1-2 1000 %.1f ns/op\n", 1000*(1+0.5*rng.Float64()))
	for _, e := range []string{"reader-penalty/model=mmaplock", "fault-mmap-penalty/model=vmarefcnt"} {
		k := 4 * (1 + 0.03*(2*rng.Float64()-1))
		r := ratio * (1 + 0.03*(2*rng.Float64()-1))
		within := 1
		if r > 1.5 {
			within = 0
		}
		fmt.Fprintf(&b, "BenchmarkValidate/experiment=%s 1 %.4f kernel-x %.4f model-x %.4f ratio %d within\n", e, k, k*r, r, within)
	}
	return b.String()
}

// TestRunValidation runs a night with a validation over a history of 14
// nights whose model drifted from the kernel (ratio 1.0 to 1.6) from the
// seventh on: the night's table is kept beside its file, and the report shows
// the drift with the commit range to bisect.
func TestRunValidation(t *testing.T) {
	const seed = 8
	rng := rand.New(rand.NewPCG(seed, 31))
	dir := t.TempDir()
	machineDir := filepath.Join(dir, "results", testMachine)
	if err := os.MkdirAll(filepath.Join(machineDir, validateDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 14 {
		ratio := 1.0
		if i >= 6 {
			ratio = 1.6
		}
		name := fmt.Sprintf("2026-01-%02d-%07d.txt", i+1, i)
		writeNight(t, machineDir, name, nightResults(uint64(i), 100))
		if err := os.WriteFile(filepath.Join(machineDir, validateDir, name), []byte(validateTable(rng, ratio)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := tinyConfig(dir, date(2026, 1, 15))
	outOfTolerance := errors.New("2 rows out of tolerance")
	c.Validation = func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, validateTable(rng, 1.6))
		return errors.Join(err, outOfTolerance)
	}
	o, out := run(t, c)
	if want := filepath.Join(machineDir, validateDir, filepath.Base(o.Path)); o.Validation != want {
		t.Errorf("validate table %q, want %q", o.Validation, want)
	}
	if !errors.Is(o.ValidationErr, outOfTolerance) || !strings.Contains(out, "validate: "+o.Validation+": 2 rows out of tolerance") {
		t.Errorf("validation error %v not reported:\n%s", o.ValidationErr, out)
	}
	var got []string
	for _, d := range o.Drifts {
		got = append(got, fmt.Sprintf("%s %s %s..%s", d.Name, d.Unit, ShortCommit(d.Before.Commit), ShortCommit(d.After.Commit)))
	}
	// The history's files all say commit 0123456789abcdef in their header.
	for _, want := range []string{"Validate/experiment=reader-penalty/model=mmaplock ratio", "Validate/experiment=fault-mmap-penalty/model=vmarefcnt model-x"} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, want+" ")
		}
		if !found {
			t.Errorf("seed %d: drifts %q lack %q", seed, got, want)
		}
	}
	for _, d := range o.Drifts {
		if !strings.HasPrefix(d.Name, "Validate/") || d.Unit == "within" {
			t.Errorf("drift in %s %s: only the rows' figures are searched", d.Name, d.Unit)
		}
		if !d.After.Date.Equal(date(2026, 1, 7)) {
			t.Errorf("seed %d: drift %s %s first on %s, want 2026-01-07", seed, d.Name, d.Unit, d.After.Date.Format(dateLayout))
		}
	}
	html, err := os.ReadFile(o.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Model against the kernel (vmabench validate)", "Validate/experiment=reader-penalty/model=mmaplock", "bisect "} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}

func TestValidateBadTable(t *testing.T) {
	tests := []struct {
		name, table, want string
	}{
		{"empty", "", "no validate rows (Validate/...): an empty or truncated validate table?"},
		{"malformed", "BenchmarkValidate/experiment=x 1 2\n", "missing units"},
		{"no rows", "BenchmarkVMA/workload=faults/strategy=kernel/threads=1-2 1000 5 ns/op\n", "no validate rows (Validate/...): an empty or truncated validate table?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			n := writeNight(t, dir, "2026-01-01-aaaaaaa.txt", nightResults(1, 100))
			if err := os.MkdirAll(filepath.Join(dir, validateDir), 0o755); err != nil {
				t.Fatal(err)
			}
			bad := validatePath(n)
			if err := os.WriteFile(bad, []byte(tt.table), 0o644); err != nil {
				t.Fatal(err)
			}
			es, _ := List(dir)
			nights, _ := LoadMachine(testMachine, es)
			vn, problems := validateHistory(nights)
			if len(vn) != 0 || len(problems) != 1 || !strings.Contains(problems[0].Error(), bad) || !strings.Contains(problems[0].Error(), tt.want) {
				t.Errorf("tables %d, problems %q; want none and one naming %s: %s", len(vn), problems, bad, tt.want)
			}
		})
	}
}
