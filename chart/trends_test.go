package chart

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"vmabench/cell"
	"vmabench/runner"
)

func day(d int) time.Time { return time.Date(2026, 1, d, 2, 30, 0, 0, time.UTC) }

func TestTrends(t *testing.T) {
	ns := []Night{
		{Date: day(3), Commit: "cccccccccccccccccccc", Results: slices.Concat(
			reps("faults", "vmaseq", 8, []float64{3e6, 5e6, 4e6}),
			reps("faults", "vmaseq", 1, []float64{1e6}), // not the highest count: not drawn
			reps("faults", "nolock", 8, []float64{9e6}),
		)},
		{Date: day(1), Commit: "aaaa", Results: slices.Concat(
			reps("faults", "vmaseq", 8, []float64{2e6}),
			reps("faults", "nolock", 8, []float64{9e6}),
		)},
		{Date: day(2), Commit: "bbbb", Results: slices.Concat(
			reps("faults", "vmaseq", 4, []float64{7e6}), // no 8-thread run this night
			[]runner.Result{{Cell: cell.Cell{Workload: "faults", Strategy: "nolock", Threads: 8}, Status: runner.StatusError}},
		)},
	}
	ns[0].Results[len(ns[0].Results)-1].Unsafe = true

	charts, err := Trends(ns, Options{Machine: machine})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(charts), []string{"faults-trend"}; !slices.Equal(got, want) {
		t.Fatalf("charts = %v, want %v", got, want)
	}
	p := charts[0].Plot
	if want := "faults — nightly throughput at 8 threads — " + machine; p.Title.Text != want {
		t.Errorf("title = %q, want %q", p.Title.Text, want)
	}
	if !strings.Contains(p.X.Label.Text, "cccccccccccc") || strings.Contains(p.X.Label.Text, "ccccccccccccc") {
		t.Errorf("x label = %q, want the last night's commit, abbreviated to 12", p.X.Label.Text)
	}
	if p.Y.Label.Text != "faults/s (readers)" {
		t.Errorf("y label = %q, want the readers' faults/s", p.Y.Label.Text)
	}
	if _, ok := p.X.Tick.Marker.(plot.TimeTicks); !ok {
		t.Errorf("x ticks = %T, want plot.TimeTicks", p.X.Tick.Marker)
	}
	if got, want := legend(p), []string{"vmaseq", "nolock (unsafe)"}; !slices.Equal(got, want) {
		t.Errorf("legend = %q, want %q", got, want)
	}
	d1, d3 := float64(day(1).Unix()), float64(day(3).Unix())
	want := []plotter.XYs{
		{{X: d1, Y: 2e6}, {X: d3, Y: 4e6}},
		{{X: d1, Y: 9e6}, {X: d3, Y: 9e6}},
	}
	lines := ofType[*plotter.Line](t, p)
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		if !slices.Equal(l.XYs, want[i]) {
			t.Errorf("line %d = %v, want %v (date order, medians, night 2 has no 8-thread point)", i, l.XYs, want[i])
		}
	}
	ebs := ofType[*plotter.YErrorBars](t, p)
	if len(ebs) != 1 || !slices.Equal(ebs[0].YErrors, plotter.YErrors{{}, {Low: 1e6, High: 1e6}}) {
		t.Errorf("error bars = %v, want vmaseq's spread on night 3 only", ebs)
	}
}

func TestTrendsOneNight(t *testing.T) {
	charts, err := Trends([]Night{{Date: day(1), Results: reps("faults", "vmaseq", 2, []float64{1e6})}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := charts[0].Plot
	if p.X.Max-p.X.Min != 24*3600 {
		t.Errorf("x range = [%v, %v], want a day around the night", p.X.Min, p.X.Max)
	}
	if got := tickLabels(p.X); !slices.Equal(got, []string{"2026-01-01"}) {
		t.Errorf("x ticks = %q, want the night's date", got)
	}
}

func TestTrendsNoData(t *testing.T) {
	for _, ns := range [][]Night{nil, {{Date: day(1)}}} {
		if _, err := Trends(ns, Options{}); !errors.Is(err, ErrNoData) {
			t.Errorf("Trends(%v) error = %v, want ErrNoData", ns, err)
		}
	}
}

func TestDayTicks(t *testing.T) {
	tests := []struct {
		name       string
		days       int
		wantLabels int
	}{
		{"two days", 2, 2},
		{"a week", 7, 4},
		{"two weeks", 14, 2},
		{"a quarter", 91, 4},
		{"two years", 730, 5},
	}
	const dayS = 24 * 3600
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			min := float64(day(1).Unix())
			max := min + float64(tt.days*dayS)
			var labels []string
			for _, tk := range (plot.TimeTicks{Ticker: dayTicks{}, Format: time.DateOnly}).Ticks(min, max) {
				if int64(tk.Value)%dayS != 0 {
					t.Errorf("tick at %v is not a midnight", tk.Value)
				}
				if tk.Label != "" {
					labels = append(labels, tk.Label)
				}
			}
			if len(labels) != tt.wantLabels {
				t.Errorf("labels %q, want %d", labels, tt.wantLabels)
			}
		})
	}
}

// nights returns n synthetic nights of realistic results, one a day from
// 2026-01-01, given newest first; vmarefcnt gets 30% faster from night 6.
func nights(n int) []Night {
	var ns []Night
	for i := range n {
		rs := realistic(uint64(i + 1))
		if i >= 5 {
			for j := range rs {
				if rs[j].Strategy == "vmarefcnt" {
					rs[j].Elapsed = rs[j].Elapsed * 10 / 13
				}
			}
		}
		ns = append([]Night{{Date: day(1 + i), Commit: strings.Repeat(string(rune('a'+i)), 40), Results: rs}}, ns...)
	}
	return ns
}

func TestRealisticTrends(t *testing.T) {
	charts, err := Trends(nights(14), Options{Machine: "AMD EPYC 7B13 64-Core Processor (16 CPUs)"})
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 4 {
		t.Errorf("%d charts, want 4: %v", len(charts), names(charts))
	}
	if *chartDir == "" {
		return
	}
	if _, err := Save(charts, *chartDir); err != nil {
		t.Fatal(err)
	}
}

func TestTrendsChangePoints(t *testing.T) {
	ns := []Night{
		{Date: day(1), Results: reps("faults", "vmaseq", 8, []float64{2e6})},
		{Date: day(2), Results: reps("faults", "vmaseq", 8, []float64{4e6})},
		{Date: day(3), Results: reps("faults", "vmaseq", 8, []float64{4e6})},
	}
	opts := Options{Machine: machine, ChangePoints: []ChangePoint{
		{Workload: "faults", Strategy: "vmaseq", Threads: 8, Date: day(2)},
		{Workload: "faults", Strategy: "vmaseq", Threads: 1, Date: day(3)}, // not drawn: not the highest count
		{Workload: "faults-mmap", Strategy: "vmaseq", Threads: 8, Date: day(3)},
	}}
	charts, err := Trends(ns, opts)
	if err != nil {
		t.Fatal(err)
	}
	p := charts[0].Plot
	if got, want := legend(p), []string{"vmaseq", "change point"}; !slices.Equal(got, want) {
		t.Errorf("legend = %q, want %q", got, want)
	}
	var rings []plotter.XY
	for _, sc := range ofType[*plotter.Scatter](t, p) {
		if sc.GlyphStyle.Radius > 5 {
			rings = append(rings, sc.XYs...)
		}
	}
	if want := []plotter.XY{{X: float64(day(2).Unix()), Y: 4e6}}; !slices.Equal(rings, want) {
		t.Errorf("change point rings at %v, want %v", rings, want)
	}
}

// TestTrendsRunsOfOneNight: two runs of one night are two points, at the
// times they started, and the axes leave room around the outermost
// markers so none is clipped.
func TestTrendsRunsOfOneNight(t *testing.T) {
	t1, t2 := day(1).Add(2*time.Hour), day(1).Add(5*time.Hour)
	charts, err := Trends([]Night{
		{Date: day(1), Time: t2, Results: reps("faults", "vmaseq", 2, []float64{3e6})},
		{Date: day(1), Time: t1, Results: reps("faults", "vmaseq", 2, []float64{1e6})},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := charts[0].Plot
	lines := ofType[*plotter.Line](t, p)
	if len(lines) != 1 || !slices.Equal(lines[0].XYs, plotter.XYs{{X: float64(t1.Unix()), Y: 1e6}, {X: float64(t2.Unix()), Y: 3e6}}) {
		t.Fatalf("lines %v, want one point per run at its time, in time order", lines)
	}
	if p.X.Min >= float64(t1.Unix()) || p.X.Max <= float64(t2.Unix()) || p.Y.Max <= 3e6 {
		t.Errorf("axes x [%v, %v] y max %v: the outermost markers sit on the frame", p.X.Min, p.X.Max, p.Y.Max)
	}
	if got := tickLabels(p.X); len(got) < 2 || len(got[0]) != len("01-01 02:00") || got[0][5] != ' ' || got[0][8] != ':' {
		t.Errorf("x ticks %q, want times of day", got)
	}
}
