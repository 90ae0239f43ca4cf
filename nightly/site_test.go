package nightly

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"vmabench/cell"
	"vmabench/report"
)

func TestTrendNights(t *testing.T) {
	night := func(name string, commit string) Night {
		e, ok := ParseName(name)
		if !ok {
			t.Fatalf("bad name %q", name)
		}
		f := &report.File{Results: reps("faults", "vmaseq", 1, 100)}
		if commit != "" {
			f.Header = []cell.KV{{Key: "vmabench-commit", Value: commit}}
		}
		return Night{Entry: e, File: f}
	}
	nights := []Night{
		night("2026-01-01-aaa.txt", ""),
		night("2026-01-02-bbb.txt", ""),
		night("2026-01-02-ccc-2.txt", "ccc0123456789"), // a re-run: the night's last word
		night("2026-01-04-ddd.txt", "unknown"),
	}
	var got []string
	for _, n := range trendNights(nights) {
		got = append(got, n.Date.Format(time.DateOnly)+" "+n.Commit)
	}
	want := []string{"2026-01-01 aaa", "2026-01-02 ccc0123456789", "2026-01-04 ddd"}
	if !slices.Equal(got, want) {
		t.Errorf("trendNights = %q, want %q", got, want)
	}
}

// TestReportInBrowser renders the report of two nightly runs in headless
// Chromium from a file:// URL, as a reader opening it from disk or a CI
// artifact would, and checks that the screenshot shows charts, not a blank
// or error page. It needs chromium on PATH (Debian's chromium package) and
// is skipped without it. NIGHTLY_SCREENSHOT=file.png keeps the screenshot.
func TestReportInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on PATH")
	}
	dir := t.TempDir()
	history := filepath.Join(dir, "results")
	if err := os.MkdirAll(history, 0o755); err != nil {
		t.Fatal(err)
	}
	writeNight(t, history, "2026-01-03-aaaaaaa.txt", nightResults(3, 120))
	run(t, tinyConfig(dir, date(2026, 1, 4)))
	o, _ := run(t, tinyConfig(dir, date(2026, 1, 5)))

	const width, height = 1200, 1600
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	abs, err := filepath.Abs(o.Index)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot,
		"--window-size=1200,1600", "file://"+abs)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("NIGHTLY_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got.X != width || got.Y != height {
		t.Errorf("screenshot is %v, want %dx%d", got, width, height)
	}
	// The page must show a chart within its first screen: count the
	// pixels in vmaseq's colour (vermillion, #d55e00), which neither text
	// nor links use.
	n := 0
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if near(r>>8, 0xd5) && near(g>>8, 0x5e) && near(b>>8, 0x00) {
				n++
			}
		}
	}
	if n < 200 {
		t.Errorf("screenshot has %d vmaseq-coloured pixels, want a rendered chart", n)
	}
}

func near(v, want uint32) bool { return v+16 >= want && v <= want+16 }
