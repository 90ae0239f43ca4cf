package nightly

import (
	"bytes"
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
