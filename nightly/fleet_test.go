package nightly

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vmabench/cell"
	"vmabench/changepoint"
	"vmabench/chart"
	"vmabench/runner"
)

// fleetTree writes a results tree of two machines: "ci-epyc", 12 nights
// whose vmaseq cells step 40% slower from night 7 (commit 0000007) on, and
// "arm-box", 6 steady nights; plus a stray file at the root and a file of
// ci-epyc misfiled in arm-box's folder. It returns the tree's root.
func fleetTree(t *testing.T) string {
	t.Helper()
	const seed = 5
	rng := rand.New(rand.NewPCG(seed, 21))
	root := t.TempDir()
	for m, n := range map[string]int{"ci-epyc": 12, "arm-box": 6} {
		dir := filepath.Join(root, m)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			slow := map[string]float64{}
			if m == "ci-epyc" && i >= 6 {
				slow["vmaseq"] = 1.4
			}
			h := slices.DeleteFunc(withKV("machine", m), func(kv cell.KV) bool { return kv.Key == "vmabench-commit" })
			h = append(h, cell.KV{Key: "vmabench-commit", Value: fmt.Sprintf("%07d%033d", i, 0)})
			writeFile(t, dir, fmt.Sprintf("2026-02-%02d-%07d.txt", i+1, i), h, stepNight(rng, slow))
		}
	}
	writeFile(t, filepath.Join(root, "arm-box"), "2026-02-07-bad0000.txt", withKV("machine", "ci-epyc"), stepNight(rng, nil))
	writeNight(t, root, "2026-01-01-aaaaaaa.txt", nightResults(1, 100))
	return root
}

// stepNight is a night of two strategies at two thread counts, each within
// ±3% of its level from night to night, six repetitions within ±2%.
func stepNight(rng *rand.Rand, slow map[string]float64) []runner.Result {
	var rs []runner.Result
	for _, s := range []string{"vmaseq", "nolock"} {
		for _, th := range []int{1, 2} {
			level := 100 * float64(th) * (1 + 0.03*(2*rng.Float64()-1))
			if f, ok := slow[s]; ok {
				level *= f
			}
			rs = append(rs, reps("faults", s, th, jitter(rng, level, 0.02, 6)...)...)
		}
	}
	return rs
}

func TestChangePointsSeries(t *testing.T) {
	const seed = 3
	rng := rand.New(rand.NewPCG(seed, 22))
	var nights []chart.Night
	for i := range 20 {
		slow := map[string]float64{}
		if i >= 12 {
			slow["vmaseq"] = 1.3
		}
		nights = append(nights, chart.Night{Date: date(2026, 3, 1+i), Commit: fmt.Sprintf("c%06d", i), Results: stepNight(rng, slow)})
	}
	cs, err := ChangePoints(nights, []string{"ns/op", "faults/s"}, changepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, fmt.Sprintf("%s %s %s %v", c.Cell, c.Unit, c.Range(), c.Worse))
	}
	slices.Sort(got)
	want := []string{
		"workload=faults/strategy=vmaseq/threads=1 faults/s c000011..c000012 true",
		"workload=faults/strategy=vmaseq/threads=1 ns/op c000011..c000012 true",
		"workload=faults/strategy=vmaseq/threads=2 faults/s c000011..c000012 true",
		"workload=faults/strategy=vmaseq/threads=2 ns/op c000011..c000012 true",
	}
	if !slices.Equal(got, want) {
		t.Errorf("seed %d: change points\n%s\nwant\n%s", seed, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWriteSite(t *testing.T) {
	root := fleetTree(t)
	out := filepath.Join(t.TempDir(), "site")
	site, err := WriteSite(root, out, DefaultSiteOptions())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range site.Machines {
		names = append(names, m.Name)
	}
	if want := []string{"arm-box", "ci-epyc"}; !slices.Equal(names, want) {
		t.Fatalf("machines %q, want %q", names, want)
	}
	arm, epyc := site.Machines[0], site.Machines[1]
	if len(arm.Nights) != 6 || len(epyc.Nights) != 12 {
		t.Errorf("nights: arm-box %d, ci-epyc %d; want 6 and 12 (the misfiled file left out)", len(arm.Nights), len(epyc.Nights))
	}
	if len(arm.Problems) != 1 || !strings.Contains(arm.Problems[0].Error(), `a file of machine "ci-epyc" in the folder of "arm-box"`) {
		t.Errorf("arm-box problems %q, want the misfiled file named", arm.Problems)
	}
	if len(site.Problems) != 1 || !strings.Contains(site.Problems[0].Error(), "outside any machine folder") {
		t.Errorf("tree problems %q, want the stray file named", site.Problems)
	}
	if len(arm.Changes) != 0 {
		t.Errorf("arm-box change points %+v, want none (steady)", arm.Changes)
	}
	var ranges []string
	for _, c := range epyc.Changes {
		ranges = append(ranges, c.Cell.Strategy+" "+c.Range())
	}
	if want := []string{"vmaseq 0000005..0000006", "vmaseq 0000005..0000006"}; !slices.Equal(ranges, want) {
		t.Errorf("ci-epyc change points %q, want %q", ranges, want)
	}
	if arm.Verdict == nil || arm.Verdict.Failed() {
		t.Errorf("arm-box verdict %+v, want a pass", arm.Verdict)
	}
	html, err := os.ReadFile(site.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<section id="machine-arm-box">`, `<section id="machine-ci-epyc">`,
		"Change points", "0000005..0000006", "WORSE",
		`<img src="ci-epyc-faults-trend.png"`, `<img src="arm-box-faults-trend.png"`,
		"Newest night: PASS",
	} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}

func TestWriteSiteEmpty(t *testing.T) {
	_, err := WriteSite(t.TempDir(), t.TempDir(), DefaultSiteOptions())
	if err == nil || !strings.Contains(err.Error(), "no machine folders") {
		t.Errorf("WriteSite(empty) = %v, want no machine folders", err)
	}
}

// TestWriteSiteBadMachine: a machine whose nights cannot be drawn (an ok
// cell with no readers' rate) gets a section that says so; the other
// machines' sections and charts are still built.
func TestWriteSiteBadMachine(t *testing.T) {
	root := fleetTree(t)
	bad := reps("faults", "vmaseq", 1, 100)
	bad[0].Metrics = nil
	dir := filepath.Join(root, "odd-box")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "2026-02-01-aaaaaaa.txt", withKV("machine", "odd-box"), bad)
	site, err := WriteSite(root, filepath.Join(t.TempDir(), "site"), DefaultSiteOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Machines) != 3 {
		t.Fatalf("%d machines, want 3", len(site.Machines))
	}
	odd := site.Machines[2]
	if odd.Name != "odd-box" || len(odd.Problems) != 1 || !strings.Contains(odd.Problems[0].Error(), "odd-box: trend charts not drawn: ") {
		t.Errorf("odd-box problems %q, want the charts named", odd.Problems)
	}
	html, err := os.ReadFile(site.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Trend charts not drawn", `<img src="ci-epyc-faults-trend.png"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}
