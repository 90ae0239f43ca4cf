package chart

import (
	"errors"
	"flag"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"

	"vmabench/cell"
	"vmabench/runner"
)

// chartDir, if set, makes the Realistic tests save their charts there for a
// person to look at: go test ./chart -run Realistic -chartdir /tmp/chartcheck
var chartDir = flag.String("chartdir", "", "save the realistic charts to this directory")

const machine = "AMD EPYC 7B13 (2 CPUs)"

// plotters returns the plotters added to p. plot.Plot keeps them unexported
// and has no accessor, so the test reads the field; if gonum renames it this
// fails loudly rather than passing.
func plotters(t *testing.T, p *plot.Plot) []plot.Plotter {
	t.Helper()
	f := reflect.ValueOf(p).Elem().FieldByName("plotters")
	if !f.IsValid() {
		t.Fatal("plot.Plot has no field plotters: update the test for this gonum version")
	}
	return *(*[]plot.Plotter)(unsafe.Pointer(f.UnsafeAddr()))
}

// ofType returns the plotters of p of type T, in the order added.
func ofType[T plot.Plotter](t *testing.T, p *plot.Plot) []T {
	t.Helper()
	var out []T
	for _, pl := range plotters(t, p) {
		if v, ok := pl.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// legend returns the legend entries of p, read back by drawing the legend on
// a recording canvas.
func legend(p *plot.Plot) []string {
	var rec recorder.Canvas
	p.Legend.Draw(draw.NewCanvas(&rec, 4*vg.Inch, 4*vg.Inch))
	var out []string
	for _, a := range rec.Actions {
		if fs, ok := a.(*recorder.FillString); ok {
			out = append(out, fs.String)
		}
	}
	return out
}

// tickLabels returns the labels of the major ticks of axis a over its range.
func tickLabels(a plot.Axis) []string {
	var out []string
	for _, tk := range a.Tick.Marker.Ticks(a.Min, a.Max) {
		if tk.Label != "" {
			out = append(out, tk.Label)
		}
	}
	return out
}

func byName(t *testing.T, charts []Chart, name string) *plot.Plot {
	t.Helper()
	for _, c := range charts {
		if c.Name == name {
			return c.Plot
		}
	}
	t.Fatalf("no chart %q among %v", name, names(charts))
	return nil
}

func names(charts []Chart) []string {
	var out []string
	for _, c := range charts {
		out = append(out, c.Name)
	}
	return out
}

// reps returns one result per throughput in ops, with the given metrics.
func reps(w, s string, t int, ops []float64, metrics ...any) []runner.Result {
	var rs []runner.Result
	for _, o := range ops {
		rs = append(rs, res(w, s, t, o, metrics...))
	}
	return rs
}

func TestThroughputChart(t *testing.T) {
	var rs []runner.Result
	rs = append(rs, reps("faults", "mmaplock", 1, []float64{1e6, 3e6, 2e6})...)
	rs = append(rs, reps("faults", "mmaplock", 4, []float64{4e6})...)
	rs = append(rs, reps("faults", "nolock", 1, []float64{6e5, 6e5})...)
	unsafeRs := reps("faults", "nolock", 4, []float64{9e6, 9e6})
	unsafeRs[1].Unsafe = true
	rs = append(rs, unsafeRs...)
	rs = append(rs, runner.Result{Cell: cell.Cell{Workload: "faults", Strategy: "vmaseq", Threads: 4}, Status: runner.StatusTimeout})

	charts, err := Charts(rs, Options{Machine: machine})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(charts), []string{"faults-throughput"}; !slices.Equal(got, want) {
		t.Fatalf("charts = %v, want %v", got, want)
	}
	p := charts[0].Plot
	if want := "faults — throughput — " + machine; p.Title.Text != want {
		t.Errorf("title = %q, want %q", p.Title.Text, want)
	}
	if p.X.Label.Text != "threads" || p.Y.Label.Text != "faults/s (readers)" {
		t.Errorf("axis labels = %q, %q; want threads, the readers' faults/s", p.X.Label.Text, p.Y.Label.Text)
	}
	if got, want := legend(p), []string{"mmaplock", "nolock (unsafe)"}; !slices.Equal(got, want) {
		t.Errorf("legend = %q, want %q (timed-out vmaseq left out)", got, want)
	}

	lines := ofType[*plotter.Line](t, p)
	wantXYs := []plotter.XYs{
		{{X: 1, Y: 2e6}, {X: 4, Y: 4e6}},
		{{X: 1, Y: 6e5}, {X: 4, Y: 9e6}},
	}
	if len(lines) != len(wantXYs) {
		t.Fatalf("%d lines, want %d", len(lines), len(wantXYs))
	}
	for i, l := range lines {
		if !slices.Equal(l.XYs, wantXYs[i]) {
			t.Errorf("line %d = %v, want medians %v", i, l.XYs, wantXYs[i])
		}
	}
	if lines[0].Dashes != nil || lines[1].Dashes == nil {
		t.Errorf("dashes = %v, %v; want only the unsafe line dashed", lines[0].Dashes, lines[1].Dashes)
	}
	if lines[0].Color == lines[1].Color {
		t.Errorf("both lines are %v", lines[0].Color)
	}

	// Only mmaplock's repetitions spread; nolock's error bars would be empty.
	ebs := ofType[*plotter.YErrorBars](t, p)
	if len(ebs) != 1 {
		t.Fatalf("%d error bar sets, want 1", len(ebs))
	}
	if got, want := ebs[0].YErrors, (plotter.YErrors{{Low: 1e6, High: 1e6}, {}}); !slices.Equal(got, want) {
		t.Errorf("error bars = %v, want %v (median to min and max)", got, want)
	}

	if _, ok := p.X.Scale.(plot.LogScale); !ok {
		t.Errorf("x scale = %T, want log (thread counts double)", p.X.Scale)
	}
	if got, want := tickLabels(p.X), []string{"1", "4"}; !slices.Equal(got, want) {
		t.Errorf("x ticks = %q, want %q", got, want)
	}
	if p.Y.Min != 0 {
		t.Errorf("y min = %v, want 0", p.Y.Min)
	}
	if got, want := tickLabels(p.Y), []string{"0", "1M", "2M", "3M", "4M", "5M", "6M", "7M", "8M", "9M"}; !slices.Equal(got, want) {
		t.Errorf("y ticks = %q, want SI labels %q", got, want)
	}
}

func TestLatencyChart(t *testing.T) {
	var rs []runner.Result
	// At 1 thread: ignored, the chart is at the highest count.
	rs = append(rs, res("faults", "vmaseq", 1, 1e6, "p50-ns", 1.0, "p99-ns", 1.0))
	rs = append(rs, res("faults", "vmaseq", 8, 1e6, "p50-ns", 300.0, "p99-ns", 2000.0, "p99.9-ns", 9000.0))
	rs = append(rs, res("faults", "vmaseq", 8, 1e6, "p50-ns", 500.0, "p99-ns", 4000.0, "p99.9-ns", 11000.0))
	rs = append(rs, res("faults", "vmaseq", 8, 1e6, "p50-ns", 400.0, "p99-ns", 3000.0, "p99.9-ns", 10000.0))
	rs = append(rs, res("faults", "mmaplock", 8, 1e6, "p50-ns", 700.0)) // no tail
	rs = append(rs, res("faults", "nolock", 8, 1e6))                    // no percentiles: no bars

	charts, err := Charts(rs, Options{Machine: machine})
	if err != nil {
		t.Fatal(err)
	}
	p := byName(t, charts, "faults-latency")
	if want := "faults — readers' latency at 8 threads — " + machine; p.Title.Text != want {
		t.Errorf("title = %q, want %q", p.Title.Text, want)
	}
	if !strings.Contains(p.Y.Label.Text, "ns") {
		t.Errorf("y label = %q, want the unit ns", p.Y.Label.Text)
	}
	if got, want := tickLabels(p.X), []string{"p50", "p99", "p99.9"}; !slices.Equal(got, want) {
		t.Errorf("columns = %q, want %q (the writer's on a panel of its own)", got, want)
	}
	if got, want := legend(p), []string{"vmaseq", "mmaplock"}; !slices.Equal(got, want) {
		t.Errorf("legend = %q, want %q", got, want)
	}
	if bars := ofType[*plotter.BarChart](t, p); len(bars) != 0 {
		t.Errorf("%d bar charts on a log axis, want points", len(bars))
	}
	points := ofType[*plotter.Scatter](t, p)
	errs := ofType[*plotter.YErrorBars](t, p)
	if len(points) != 2 || len(errs) != 2 {
		t.Fatalf("%d point series and %d error bars, want 2 and 2", len(points), len(errs))
	}
	// vmaseq at the medians, its bars spanning its three repetitions.
	var ys []float64
	for _, xy := range points[0].XYs {
		ys = append(ys, xy.Y)
	}
	if !slices.Equal(ys, []float64{400, 3000, 10000}) {
		t.Errorf("vmaseq's points at %v, want the medians 400, 3000, 10000", ys)
	}
	if e := errs[0].YErrors[1]; e.Low != 1000 || e.High != 1000 {
		t.Errorf("vmaseq's p99 bar %+v, want the range 2000-4000 about 3000", e)
	}
	if points[0].XYs[0].X == points[1].XYs[0].X {
		t.Errorf("the strategies' p50 points share x %v, want side by side", points[0].XYs[0].X)
	}
	if _, ok := p.Y.Scale.(plot.LogScale); !ok || p.Y.Min != 100 || p.Y.Max != 1e5 {
		t.Errorf("y = %T [%v, %v], want log [100, 1e5] (powers of ten around the bars, none clipped)", p.Y.Scale, p.Y.Min, p.Y.Max)
	}
	for _, c := range charts {
		if c.Name == "faults-writer-latency" {
			t.Errorf("a writer latency chart with no writer percentile")
		}
	}
}

// TestWriterLatencyChart: the writer's p99 on a panel of its own, apart
// from the readers' percentiles.
func TestWriterLatencyChart(t *testing.T) {
	rs := []runner.Result{
		res("faults-mmap", "vmaseq", 2, 1e6, "p50-ns", 300.0, "p99-ns", 2000.0, "writer-p99-ns", 50000.0),
		res("faults-mmap", "vmarefcnt", 2, 1e6, "p50-ns", 250.0, "p99-ns", 1800.0, "writer-p99-ns", 80000.0),
	}
	charts, err := Charts(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tickLabels(byName(t, charts, "faults-mmap-latency").X); !slices.Equal(got, []string{"p50", "p99", "p99.9"}) {
		t.Errorf("readers' columns %q", got)
	}
	w := byName(t, charts, "faults-mmap-writer-latency")
	if got := tickLabels(w.X); !slices.Equal(got, []string{"writer p99"}) {
		t.Errorf("writer's columns %q, want writer p99 alone", got)
	}
	if pts := ofType[*plotter.Scatter](t, w); len(pts) != 2 || pts[1].XYs[0].Y != 80000 {
		t.Errorf("writer's points %v", pts)
	}
}

func TestRatesChart(t *testing.T) {
	var rs []runner.Result
	rs = append(rs, reps("faults-mmap", "vmaseq", 1, []float64{1e6}, "fallbacks/op", 0.0, "retries/op", 0.0)...)
	rs = append(rs, reps("faults-mmap", "vmaseq", 4, []float64{1e6}, "fallbacks/op", 0.25, "retries/op", 0.0)...)
	rs = append(rs, reps("faults-mmap", "vmarefcnt", 4, []float64{1e6}, "fallbacks/op", 0.0, "misses/op", 0.5)...)
	rs = append(rs, reps("faults-mmap", "mmaplock", 4, []float64{1e6}, "fallbacks/op", 0.0)...)

	charts, err := Charts(rs, Options{Machine: machine})
	if err != nil {
		t.Fatal(err)
	}
	p := byName(t, charts, "faults-mmap-rates")
	if !strings.HasPrefix(p.Title.Text, "faults-mmap — ") || !strings.HasSuffix(p.Title.Text, machine) {
		t.Errorf("title = %q, want workload and machine", p.Title.Text)
	}
	if p.X.Label.Text != "threads" || !strings.Contains(p.Y.Label.Text, "per operation") {
		t.Errorf("axis labels = %q, %q", p.X.Label.Text, p.Y.Label.Text)
	}
	if got, want := legend(p), []string{"vmaseq fallbacks/op", "vmarefcnt misses/op"}; !slices.Equal(got, want) {
		t.Errorf("legend = %q, want %q (all-zero series left out)", got, want)
	}
	lines := ofType[*plotter.Line](t, p)
	if len(lines) != 2 || !slices.Equal(lines[0].XYs, plotter.XYs{{X: 1, Y: 0}, {X: 4, Y: 0.25}}) {
		t.Errorf("lines = %v, want vmaseq fallbacks (1,0) (4,0.25) first", lines)
	}
}

func TestCharts(t *testing.T) {
	lat := []any{"p50-ns", 100.0, "p99-ns", 900.0}
	tests := []struct {
		name    string
		results []runner.Result
		want    []string
		wantErr string // substring; "" means no error
		is      error
	}{
		{
			name:    "throughput only",
			results: reps("faults", "vmaseq", 1, []float64{1e6}),
			want:    []string{"faults-throughput"},
		},
		{
			name: "all three, workloads in order of appearance",
			results: slices.Concat(
				reps("mmap-churn", "vmaseq", 2, []float64{1e6}, lat...),
				reps("faults", "vmaseq", 2, []float64{1e6}, append(lat, "retries/op", 0.1)...),
			),
			want: []string{"mmap-churn-throughput", "mmap-churn-latency", "faults-throughput", "faults-latency", "faults-rates"},
		},
		{
			name:    "zero rates draw no rates chart",
			results: reps("faults", "vmaseq", 2, []float64{1e6}, "fallbacks/op", 0.0),
			want:    []string{"faults-throughput"},
		},
		{
			name:    "names are made file-safe",
			results: reps("odd/name x", "vmaseq", 2, []float64{1e6}),
			want:    []string{"odd-name-x-throughput"},
		},
		{
			name:    "nothing ok",
			results: []runner.Result{{Cell: cell.Cell{Workload: "faults", Strategy: "vmaseq", Threads: 1}, Status: runner.StatusDeadlock}},
			is:      ErrNoData,
			wantErr: "no results",
		},
		{
			name:    "ok without operations",
			results: []runner.Result{{Cell: cell.Cell{Workload: "faults", Strategy: "vmaseq", Threads: 1}, Status: runner.StatusOK}},
			wantErr: "VMA/workload=faults/strategy=vmaseq/threads=1: status ok but no operations",
		},
		{
			name:    "metric not a number",
			results: reps("faults", "vmaseq", 1, []float64{1e6}, "p99-ns", math.NaN()),
			wantErr: "metric p99-ns is NaN",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			charts, err := Charts(tt.results, Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Errorf("error %v is not %v", err, tt.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(charts); !slices.Equal(got, tt.want) {
				t.Errorf("charts = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestColours checks that a strategy keeps its colour across workloads
// whichever strategies each workload has, and Options.Strategies fixes it.
func TestColours(t *testing.T) {
	rs := slices.Concat(
		reps("faults", "vmaseq", 1, []float64{1e6}),
		reps("faults", "vmarefcnt", 1, []float64{1e6}),
		reps("mmap-churn", "vmarefcnt", 1, []float64{1e6}),
	)
	charts, err := Charts(rs, Options{Strategies: []string{"mmaplock", "vmaseq", "vmarefcnt"}})
	if err != nil {
		t.Fatal(err)
	}
	a := ofType[*plotter.Line](t, byName(t, charts, "faults-throughput"))[1]
	b := ofType[*plotter.Line](t, byName(t, charts, "mmap-churn-throughput"))[0]
	if a.Color != b.Color || a.Color != palette[2] {
		t.Errorf("vmarefcnt is %v and %v, want %v in both", a.Color, b.Color, palette[2])
	}
}

func TestSI(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{0.25, "0.25"},
		{0.30000000000000004, "0.3"},
		{500, "500"},
		{1000, "1k"},
		{1200000, "1.2M"},
		{1234567, "1.23M"},
		{999999.9, "1M"},
		{2.5e9, "2.5G"},
		{-3000, "-3k"},
	}
	for _, tt := range tests {
		if got := si(tt.in); got != tt.want {
			t.Errorf("si(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFileSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"faults-throughput", "faults-throughput"},
		{"a/b c", "a-b-c"},
		{"../x", "..-x"},
		{"  p99.9  ", "p99.9"},
	}
	for _, tt := range tests {
		if got := fileSafe(tt.in); got != tt.want {
			t.Errorf("fileSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRealisticCharts(t *testing.T) {
	const seed = 1
	charts, err := Charts(realistic(seed), Options{Machine: "AMD EPYC 7B13 64-Core Processor (16 CPUs)", Strategies: []string{"mmaplock", "vmaseq", "vmarefcnt", "vmawait", "nolock"}})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	if len(charts) != 14 {
		t.Errorf("seed %d: %d charts, want 14: %v", seed, len(charts), names(charts))
	}
	if *chartDir == "" {
		return
	}
	if _, err := Save(charts, *chartDir); err != nil {
		t.Fatal(err)
	}
}

func TestLinearTicks(t *testing.T) {
	tests := []struct {
		min, max float64
		want     string
	}{
		{0, 28e6, "0 5M 10M 15M 20M 25M"},
		{0, 1, "0 0.2 0.4 0.6 0.8 1"},
		{0, 0.003, "0 0.0005 0.001 0.0015 0.002 0.0025 0.003"},
		{1.2e6, 2.9e6, "1.2M 1.4M 1.6M 1.8M 2M 2.2M 2.4M 2.6M 2.8M"},
	}
	for _, tt := range tests {
		var labels []string
		for _, tk := range (siTicks{linearTicks{}}).Ticks(tt.min, tt.max) {
			labels = append(labels, tk.Label)
		}
		if got := strings.Join(labels, " "); got != tt.want {
			t.Errorf("ticks over [%v, %v] = %q, want %q", tt.min, tt.max, got, tt.want)
		}
	}
}

// TestReadersAndWriter checks that the throughput chart draws the readers'
// rate, not all threads' operations (1e9/ns-per-op), and that the writer's
// rate is drawn apart, in a chart of its own.
func TestReadersAndWriter(t *testing.T) {
	var rs []runner.Result
	for _, n := range []int{2, 4} {
		// 1e6 operations a second in all, of which the readers' faults
		// are 7e5*n/2 and the writer's changes 3e3*n.
		rs = append(rs, res("faults-mmap", "vmaseq", n, 1e6, "faults/s", 7e5*float64(n)/2, "writes/s", 3e3*float64(n)))
	}
	rs = append(rs, res("mmap-churn", "vmaseq", 2, 1e6, "writes/s", 9e5))
	charts, err := Charts(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(charts), []string{"faults-mmap-throughput", "faults-mmap-writes", "mmap-churn-throughput"}; !slices.Equal(got, want) {
		t.Fatalf("charts = %v, want %v (mmap-churn's writes/s is its readers' rate)", got, want)
	}
	tests := []struct {
		chart, label string
		want         plotter.XYs
	}{
		{"faults-mmap-throughput", "faults/s (readers)", plotter.XYs{{X: 2, Y: 7e5}, {X: 4, Y: 1.4e6}}},
		{"faults-mmap-writes", "writes/s (writer)", plotter.XYs{{X: 2, Y: 6e3}, {X: 4, Y: 1.2e4}}},
		{"mmap-churn-throughput", "writes/s (every thread writes)", plotter.XYs{{X: 2, Y: 9e5}}},
	}
	for _, tt := range tests {
		p := byName(t, charts, tt.chart)
		if p.Y.Label.Text != tt.label {
			t.Errorf("%s: y label %q, want %q", tt.chart, p.Y.Label.Text, tt.label)
		}
		lines := ofType[*plotter.Line](t, p)
		if len(lines) != 1 || !slices.Equal(lines[0].XYs, tt.want) {
			t.Errorf("%s: lines %v, want one through %v", tt.chart, lines, tt.want)
		}
	}
}

// TestMarkedFigures: a projection's figures ("mode: projected") and a
// model's uncalibrated ones ("calibration: none") are named so in every
// legend; a calibrated measurement and the live kernel are not.
func TestMarkedFigures(t *testing.T) {
	with := func(r runner.Result, kv ...string) runner.Result {
		for i := 0; i < len(kv); i += 2 {
			r.Config = append(r.Config, cell.KV{Key: kv[i], Value: kv[i+1]})
		}
		return r
	}
	rs := []runner.Result{
		with(res("faults", "vmaseq", 2, 1e6, "p50-ns", 300.0), "calibration", "none"),
		with(res("faults", "vmarefcnt", 2, 2e6, "p50-ns", 250.0), "calibration", "/x/calibration.txt", "mode", "projected"),
		with(res("faults", "mmaplock", 2, 3e6, "p50-ns", 400.0), "calibration", "/x/calibration.txt"),
		with(res("faults", "kernel", 2, 4e6, "p50-ns", 900.0), "calibration", "none"),
	}
	charts, err := Charts(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"vmaseq [uncalibrated]", "vmarefcnt [projected]", "mmaplock", "kernel"}
	for _, name := range []string{"faults-throughput", "faults-latency"} {
		if got := legend(byName(t, charts, name)); !slices.Equal(got, want) {
			t.Errorf("%s legend %q, want %q", name, got, want)
		}
	}
	trends, err := Trends([]Night{{Date: day(1), Results: rs}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := legend(trends[0].Plot); !slices.Equal(got, want) {
		t.Errorf("trend legend %q, want %q", got, want)
	}
}

// TestProjectedOverlay: where one strategy's results hold both a projection
// and measurements, the throughput chart draws the projection as its line
// and the measurements apart, as points over it with a legend entry of
// their own; neither is mixed into the other's medians. A strategy with
// measurements only keeps its ordinary line.
func TestProjectedOverlay(t *testing.T) {
	proj := func(r runner.Result) runner.Result {
		r.Config = append(r.Config, cell.KV{Key: "mode", Value: "projected"})
		return r
	}
	rs := []runner.Result{
		proj(res("faults", "vmarefcnt", 1, 1e6)),
		proj(res("faults", "vmarefcnt", 2, 2e6)),
		proj(res("faults", "vmarefcnt", 8, 8e6)),
		res("faults", "vmarefcnt", 1, 0.9e6),
		res("faults", "vmarefcnt", 2, 1.5e6),
		res("faults", "vmarefcnt", 4, 3e6), // a thread count the projection lacks
		res("faults", "mmaplock", 1, 0.5e6),
		res("faults", "mmaplock", 2, 0.7e6),
	}
	charts, err := Charts(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := byName(t, charts, "faults-throughput")
	if got, want := legend(p), []string{"vmarefcnt [projected]", "vmarefcnt (measured)", "mmaplock"}; !slices.Equal(got, want) {
		t.Errorf("legend %q, want %q", got, want)
	}
	lines := ofType[*plotter.Line](t, p)
	wantLines := []plotter.XYs{{{X: 1, Y: 1e6}, {X: 2, Y: 2e6}, {X: 8, Y: 8e6}}, {{X: 1, Y: 0.5e6}, {X: 2, Y: 0.7e6}}}
	if len(lines) != len(wantLines) {
		t.Fatalf("%d lines, want %d", len(lines), len(wantLines))
	}
	for i, l := range lines {
		if !slices.Equal(l.XYs, wantLines[i]) {
			t.Errorf("line %d through %v, want %v", i, l.XYs, wantLines[i])
		}
	}
	var measured plotter.XYs
	for _, sc := range ofType[*plotter.Scatter](t, p) {
		if _, ring := sc.GlyphStyle.Shape.(draw.RingGlyph); ring && sc.GlyphStyle.Radius == vg.Points(5) {
			measured = append(measured, sc.XYs...)
		}
	}
	if want := (plotter.XYs{{X: 1, Y: 0.9e6}, {X: 2, Y: 1.5e6}, {X: 4, Y: 3e6}}); !slices.Equal(measured, want) {
		t.Errorf("measured points %v, want %v", measured, want)
	}
	if got, want := tickLabels(p.X), []string{"1", "2", "4", "8"}; !slices.Equal(got, want) {
		t.Errorf("thread ticks %q, want %q", got, want)
	}
}

// TestSameCodeOneLine: a design that runs another's code under a
// workload (vmawait under faults, which never calls Lookup) is one line
// with it, named "vmarefcnt = vmawait", in every chart that draws
// strategies, as the table writes "same as"; where the workload calls the
// entry point they differ in (zerocopy's Lookup), each has its own line.
func TestSameCodeOneLine(t *testing.T) {
	var rs []runner.Result
	for _, w := range []string{"faults", "zerocopy"} {
		for _, th := range []int{1, 2} {
			rs = append(rs,
				res(w, "mmaplock", th, 1e6*float64(th), "p50-ns", 400.0, "fallbacks/op", 0.1),
				res(w, "vmarefcnt", th, 2e6*float64(th), "p50-ns", 300.0, "fallbacks/op", 0.1),
				res(w, "vmawait", th, 2.2e6*float64(th), "p50-ns", 290.0, "fallbacks/op", 0.1))
		}
	}
	charts, err := Charts(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		chart string
		want  []string
	}{
		{"faults-throughput", []string{"mmaplock", "vmarefcnt = vmawait"}},
		{"faults-latency", []string{"mmaplock", "vmarefcnt = vmawait"}},
		{"zerocopy-throughput", []string{"mmaplock", "vmarefcnt", "vmawait"}},
	} {
		if got := legend(byName(t, charts, tt.chart)); !slices.Equal(got, tt.want) {
			t.Errorf("%s legend %q, want %q", tt.chart, got, tt.want)
		}
	}
	if n := len(ofType[*plotter.Line](t, byName(t, charts, "faults-throughput"))); n != 2 {
		t.Errorf("faults-throughput: %d lines, want 2 (vmawait's is vmarefcnt's)", n)
	}
	trends, err := Trends([]Night{{Date: day(1), Results: rs}, {Date: day(2), Results: rs}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := legend(byName(t, trends, "faults-trend")), []string{"mmaplock", "vmarefcnt = vmawait"}; !slices.Equal(got, want) {
		t.Errorf("faults trend legend %q, want %q", got, want)
	}
}
