package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"vmabench/calib"
	"vmabench/chart"
	"vmabench/report"
	"vmabench/runner"
	"vmabench/strategies"
	"vmabench/workloads"
)

// quickWorkloads are the workloads of the quick default matrix: faults
// alone, under an mmap writer, under an mprotect writer, and the writers'
// own cost.
var quickWorkloads = []string{"faults", "faults-mmap", "faults-mprotect", "mmap-churn"}

// quickPlan returns the quick default matrix: every strategy under
// quickWorkloads at 1, 2 and all CPUs, twice, with short windows, so that
// it takes under a minute on 2 CPUs and still shows the spread of two
// repetitions.
func quickPlan() runner.Plan {
	base := runner.DefaultConfig()
	base.Duration = 300 * time.Millisecond
	threads := []int{1, 2}
	if n := min(runtime.NumCPU(), workloads.MaxThreads); n > 2 {
		threads = append(threads, n)
	}
	return runner.Plan{
		Strategies: strategies.Names(),
		Workloads:  quickWorkloads,
		Threads:    threads,
		Count:      2,
		Base:       base,
		Child:      cellCommand(),
	}
}

// quickCmd is vmabench without arguments: the quick matrix, its table on
// stdout, its results under results/ and its charts under plots/.
func quickCmd(ctx context.Context, stdout, stderr io.Writer) error {
	stamp := "quick-" + time.Now().Format("20060102-150405")
	path := filepath.Join("results", stamp+".txt")
	plan := quickPlan()
	m := &matrix{plan: plan, hdr: append(header(), plan.Base.Locks.KV()), stderr: stderr, progress: isTerminal(stderr)}
	if err := m.check(); err != nil {
		return err
	}
	if _, err := applyCalibration(ctx, calib.Auto, &m.plan.Base.Load, stderr); err != nil {
		return err
	}
	n := len(m.plan.Cells())
	fmt.Fprintf(stderr, "vmabench: quick matrix, %d cells, about %v (vmabench -h for more)\n",
		n, (time.Duration(n) * (m.plan.Base.Warmup + m.plan.Base.Duration + 50*time.Millisecond)).Round(time.Second))
	results, err := execute(ctx, m, path, stdout)
	reportSkipped(stderr, results)
	if len(results) > 0 {
		if terr := report.WriteTable(stdout, tableResults(results)); terr != nil && err == nil {
			err = terr
		}
	}
	if err != nil {
		return err
	}
	charts, err := chart.Charts(results, chart.Options{
		Machine:    report.MachineName(m.hdr),
		Strategies: strategies.Names(),
	})
	if err != nil {
		return err
	}
	dir := filepath.Join("plots", stamp)
	paths, err := chart.Save(charts, dir)
	if err != nil {
		return err
	}
	var pngs []string
	for _, p := range paths {
		if strings.HasSuffix(p, ".png") {
			pngs = append(pngs, filepath.Base(p))
		}
	}
	fmt.Fprintf(stdout, "\nresults: %s\ncharts:  %s/ (SVG and PNG): %s\n", path, dir, strings.Join(pngs, " "))
	fmt.Fprintf(stdout, "compare: go tool benchstat -col /strategy %s\n", path)
	return nil
}

// tableResults returns the results a table shows: all but the skipped
// cells, which reportSkipped summarizes instead of a column of "skipped".
func tableResults(results []runner.Result) []runner.Result {
	return slices.DeleteFunc(slices.Clone(results), func(r runner.Result) bool {
		return r.Status == runner.StatusSkipped
	})
}
