package chart

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSave(t *testing.T) {
	charts, err := Charts(slices.Concat(
		reps("faults", "vmaseq", 1, []float64{1e6, 2e6}, "p99-ns", 100.0),
		reps("faults", "vmaseq", 2, []float64{3e6}, "p99-ns", 100.0),
	), Options{Machine: machine})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "plots", "new")
	paths, err := Save(charts, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"faults-throughput.svg", "faults-throughput.png", "faults-latency.svg", "faults-latency.png"}
	for i := range want {
		want[i] = filepath.Join(dir, want[i])
	}
	if !slices.Equal(paths, want) {
		t.Errorf("paths = %q, want %q", paths, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("dir holds %d files, want %d (no temporary files left)", len(entries), len(want))
	}

	b, err := os.ReadFile(want[1])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got.X != 8*pngDPI || got.Y != 5*pngDPI {
		t.Errorf("png is %v, want 8in x 5in at %d dpi", got, pngDPI)
	}
	svg, err := os.ReadFile(want[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<svg", "faults", "vmaseq"} {
		if !bytes.Contains(svg, []byte(s)) {
			t.Errorf("svg does not contain %q", s)
		}
	}

	// Saving again replaces the files in place.
	if _, err := Save(charts, dir); err != nil {
		t.Fatalf("second Save: %v", err)
	}
}

func TestSaveErrors(t *testing.T) {
	charts, err := Charts(reps("faults", "vmaseq", 1, []float64{1e6}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := charts[0].Plot
	tests := []struct {
		name    string
		charts  []Chart
		wantErr string
	}{
		{"duplicate", []Chart{{"a", p}, {"a", p}}, `duplicate name "a"`},
		{"path", []Chart{{"../a", p}}, `name "../a" is not file-safe`},
		{"hidden", []Chart{{".a", p}}, `name ".a" is not file-safe`},
		{"empty", []Chart{{"", p}}, `name "" is not file-safe`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Save(tt.charts, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Save(charts, filepath.Join(file, "dir")); err == nil {
		t.Error("Save under a regular file succeeded")
	}
}
