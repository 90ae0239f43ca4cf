package chart

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteHTML(t *testing.T) {
	page := Page{
		Title:     `vmabench <script>alert("x")</script>`,
		Generated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)),
		Tables: []Table{{
			Title: "faults & friends",
			Text:  "name      │ vmaseq\nfaults-8  │ 1.2µ ± 3% <b>\n",
		}},
		Images: []string{"faults-throughput.png", "sub dir/faults-latency.svg"},
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, page); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"<!DOCTYPE html>",
		"<title>vmabench &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</title>",
		"Generated 2026-01-02 02:04:05 UTC",
		"<h2>faults &amp; friends</h2>",
		"faults-8  │ 1.2µ ± 3% &lt;b&gt;\n</pre>",
		`<img src="faults-throughput.png" alt="faults-throughput">`,
		`<img src="sub%20dir/faults-latency.svg" alt="faults-latency">`,
		"<style>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("page does not contain %q:\n%s", want, out)
		}
	}
	// Self-contained: no script, nothing fetched or linked from elsewhere.
	for _, bad := range []string{"<script", "<b>", "http:", "https:", "//", "<link", "@import"} {
		if strings.Contains(out, bad) {
			t.Errorf("page contains %q:\n%s", bad, out)
		}
	}
}

func TestWriteHTMLImages(t *testing.T) {
	tests := []struct {
		img     string
		wantErr string
	}{
		{"a.png", ""},
		{"plots/a.SVG", ""},
		{"https://example.com/a.png", "not a relative path"},
		{"//example.com/a.png", "not a relative path"},
		{"/abs/a.png", "not a relative path"},
		{"javascript:alert(1)//.png", "not a relative path"},
		{"a.gif", "not a .png or .svg"},
		{"a.png?x=1#y", ""},
	}
	for _, tt := range tests {
		t.Run(tt.img, func(t *testing.T) {
			err := WriteHTML(&bytes.Buffer{}, Page{Title: "t", Images: []string{tt.img}})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("WriteHTML(image %q) error = %v, want %q", tt.img, err, tt.wantErr)
			}
		})
	}
}

// TestHTMLInBrowser renders a page with one real chart and has headless
// chromium screenshot it from a file:// URL, as a reader opening the report
// from disk would. It needs chromium on PATH and is skipped without it.
func TestHTMLInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on PATH")
	}
	dir := t.TempDir()
	charts, err := Charts(realistic(1), Options{Machine: machine})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := Save(charts[:1], dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	err = WriteHTML(f, Page{
		Title:     "vmabench report",
		Generated: time.Now(),
		Tables:    []Table{{Title: "summary", Text: "workload  threads  vmaseq\nfaults    16       21.1M\n"}},
		Images:    []string{filepath.Base(paths[1])},
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot,
		"--window-size=1200,900", "file://"+filepath.Join(dir, "index.html"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got.X != 1200 || got.Y != 900 {
		t.Errorf("screenshot is %v, want 1200x900", got)
	}
	// A blank or error page has few colours; the chart brings many.
	colours := make(map[[3]uint32]bool)
	for y := 0; y < 900; y += 3 {
		for x := 0; x < 1200; x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
		}
	}
	if len(colours) < 50 {
		t.Errorf("screenshot has %d colours, want a rendered chart", len(colours))
	}
	if keep := os.Getenv("CHART_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
