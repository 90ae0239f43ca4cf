package nightly

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
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

// chromiumFlags are the flags every headless run here takes: no sandbox
// (CI containers run as root), no GPU, and nothing fetched from the network
// (no first-run, sync, component updates or QUIC).
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu",
	"--disable-quic", "--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync"}

// needChromium returns chromium's path, or skips the test without it;
// with VMABENCH_BROWSER=required (as .ci/run sets, having installed it) it
// fails instead, so CI never skips the browser in silence.
func needChromium(t *testing.T) string {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("VMABENCH_BROWSER") == "required" {
			t.Fatal("no chromium on PATH, and VMABENCH_BROWSER=required")
		}
		t.Skip("no chromium on PATH (Debian's chromium package; .ci/run installs it)")
	}
	return chromium
}

// probeScript is appended to a copy of a page before it is loaded: once the
// page has loaded, it logs a console error for each image that did not
// load, and adds an element saying how many did. The report itself has no
// script; the copy sits beside it so that its relative paths resolve.
const probeScript = `<script>
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
    else console.error("image did not load: " + imgs[i].getAttribute("src"));
  }
  var p = document.createElement("pre");
  p.id = "probe";
  p.textContent = "images loaded: " + ok + " of " + imgs.length;
  document.body.appendChild(p);
});
</script>`

// browse loads the page at path in headless chromium from a file:// URL,
// as a reader opening it from disk or a CI artifact would, and returns the
// DOM after load, the console messages (chromium logs them to stderr as
// "CONSOLE"), and the numbers of images loaded and on the page.
func browse(t *testing.T, chromium, path string) (dom string, console []string, loaded, images int) {
	t.Helper()
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(filepath.Dir(path), ".probe-"+filepath.Base(path))
	i := bytes.LastIndex(page, []byte("</body>"))
	if i < 0 {
		t.Fatalf("%s has no </body>", path)
	}
	if err := os.WriteFile(probe, slices.Concat(page[:i], []byte(probeScript), page[i:]), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(probe)
	abs, err := filepath.Abs(probe)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, chromium, append(slices.Clone(chromiumFlags),
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--log-level=0",
		"--dump-dom", "file://"+abs)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") {
			console = append(console, line)
		}
	}
	dom = stdout.String()
	m := regexp.MustCompile(`<pre id="probe">images loaded: (\d+) of (\d+)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run: no result in the DOM:\n%s", dom)
	}
	loaded, _ = strconv.Atoi(m[1])
	images, _ = strconv.Atoi(m[2])
	return dom, console, loaded, images
}

// checkPage loads a page and fails the test on a console message, an image
// that did not load, or a missing text.
func checkPage(t *testing.T, chromium, path string, wantImages int, want ...string) {
	t.Helper()
	dom, console, loaded, images := browse(t, chromium, path)
	if len(console) > 0 {
		t.Errorf("console messages loading %s:\n%s", path, strings.Join(console, "\n"))
	}
	if loaded != images || images < wantImages {
		t.Errorf("%s: %d of %d images loaded, want all of at least %d", path, loaded, images, wantImages)
	}
	for _, w := range want {
		if !strings.Contains(dom, w) {
			t.Errorf("%s: page lacks %q", path, w)
		}
	}
}

// TestBrowseCatchesFaults shows that the browser check fails where it
// should: an image that does not exist and a script error are both seen.
func TestBrowseCatchesFaults(t *testing.T) {
	chromium := needChromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "index.html")
	var b bytes.Buffer
	if err := WriteHTML(&b, Page{Title: "broken", Images: []string{"missing.png"}}); err != nil {
		t.Fatal(err)
	}
	html := strings.Replace(b.String(), "</body>", "<script>undefinedFunction()</script></body>", 1)
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	_, console, loaded, images := browse(t, chromium, page)
	if loaded != 0 || images != 1 {
		t.Errorf("%d of %d images loaded, want 0 of 1", loaded, images)
	}
	joined := strings.Join(console, "\n")
	for _, want := range []string{"image did not load: missing.png", "undefinedFunction is not defined"} {
		if !strings.Contains(joined, want) {
			t.Errorf("console lacks %q:\n%s", want, joined)
		}
	}
}

// TestReportInBrowser renders the report of a nightly run over a history in
// headless Chromium: no console message, every chart loads, the verdict and
// the change points are on the page, and a screenshot shows a chart in the
// first screen, not a blank or error page. NIGHTLY_SCREENSHOT=file.png
// keeps the screenshot.
func TestReportInBrowser(t *testing.T) {
	chromium := needChromium(t)
	dir := t.TempDir()
	history := filepath.Join(dir, "results", testMachine)
	if err := os.MkdirAll(history, 0o755); err != nil {
		t.Fatal(err)
	}
	writeNight(t, history, "2026-01-03-aaaaaaa.txt", nightResults(3, 120))
	run(t, tinyConfig(dir, date(2026, 1, 4)))
	o, _ := run(t, tinyConfig(dir, date(2026, 1, 5)))
	checkPage(t, chromium, o.Index, 2, "Summary: ", "Change points", "history: 2 nights", "machine: "+testMachine)

	const width, height = 1200, 1600
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	abs, err := filepath.Abs(o.Index)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, chromium, append(slices.Clone(chromiumFlags),
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot,
		"--window-size=1200,1600", "file://"+abs)...)
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

// TestSiteInBrowser renders a fleet's site: every machine's charts load,
// with no console message, and the change point's commit range and each
// machine's verdict are on the page.
func TestSiteInBrowser(t *testing.T) {
	chromium := needChromium(t)
	site, err := WriteSite(fleetTree(t), filepath.Join(t.TempDir(), "site"), DefaultSiteOptions())
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, chromium, site.Index, 2, "0000005..0000006", "WORSE", "Newest night: PASS", `id="machine-arm-box"`, `id="machine-ci-epyc"`)
}

func near(v, want uint32) bool { return v+16 >= want && v <= want+16 }
