package runner

import (
	"fmt"
	"math"
	"testing"
	"time"

	"vmabench/locktrace"
	"vmabench/strategies"
	"vmabench/units"
	"vmabench/workloads"
)

// BenchmarkLockOverhead measures what lock attribution costs a cell: each
// cell runs with -locks off and on, alternately, rounds times, and the
// benchmark reports the ratio of the best round's readers' rate (and the
// writer's) on to off, and of the least CPU time per operation
// (cpu-on/off). autoLocks is set from it: attribution is on by default
// where the cost stays under 5%.
//
//	go test -run '^$' -bench LockOverhead -benchtime 1x ./runner
func BenchmarkLockOverhead(b *testing.B) {
	const rounds = 7
	for _, tc := range []struct {
		strategy, workload string
		threads            int
	}{
		{"vmarefcnt", "faults", 1},
		{"mmaplock", "lookups", 1},
		{"vmarefcnt", "mmap-churn", 1},
		{"mmaplock", "lookups-mmap", 2},
		{"vmarefcnt", "faults-mmap", 2},
		{"kernel", "faults", 1},
		{"kernel", "lookups", 1},
		{"kernel", "mmap-churn", 1},
		{"kernel", "lookups-mmap", 2},
		{"kernel", "faults-mmap", 2},
	} {
		b.Run(fmt.Sprintf("%s/%s/%d", tc.strategy, tc.workload, tc.threads), func(b *testing.B) {
			w, err := workloads.Get(tc.workload)
			if err != nil {
				b.Fatal(err)
			}
			if s, _ := strategies.Get(tc.strategy); s.Live && locktraceMissing() {
				b.Skip("the kernel's mmap_lock cannot be traced here")
			}
			rate := units.ReaderRate(w.Reader.String())
			writer := w.Writer && w.Reader != workloads.ClassWrite
			// The best round of each mode is the one the machine's other
			// work disturbed least: on a shared machine the medians'
			// ratio is mostly that work's noise.
			var best [2][2]float64 // [off, on][reader, writer]
			// And the least CPU time per operation (task-clock-ns/op,
			// the threads' own): time another process takes the CPU
			// from them is not in it, so it shows the cost where the
			// rates, on a busy machine, cannot.
			cpu := [2]float64{math.Inf(1), math.Inf(1)}
			for i := 0; i < b.N; i++ {
				for r := 0; r < rounds; r++ {
					for j, l := range []Locks{LocksOff, LocksOn} {
						c := DefaultConfig()
						c.Strategy, c.Workload, c.Threads = tc.strategy, tc.workload, tc.threads
						c.Warmup, c.Duration = 50*time.Millisecond, 200*time.Millisecond
						c.Locks = l
						res, err := Run(c)
						if err != nil || res.Status != StatusOK {
							b.Fatalf("%v %v: %v %s", l, err, res.Status, res.Detail)
						}
						v, _ := res.Metric(rate)
						best[j][0] = max(best[j][0], v)
						if v, ok := res.Metric(units.TaskClock); ok {
							cpu[j] = min(cpu[j], v)
						}
						if writer {
							v, _ := res.Metric(units.WritesPerS)
							best[j][1] = max(best[j][1], v)
						}
					}
				}
			}
			b.ReportMetric(best[1][0]/best[0][0], "reader-on/off")
			if writer {
				b.ReportMetric(best[1][1]/best[0][1], "writer-on/off")
			}
			if !math.IsInf(cpu[0], 0) && !math.IsInf(cpu[1], 0) {
				b.ReportMetric(cpu[1]/cpu[0], "cpu-on/off")
			}
		})
	}
}

func locktraceMissing() bool { return locktrace.Probe() != "" }
