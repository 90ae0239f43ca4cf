package runner

import (
	"testing"
	"time"

	"vmabench/internal/stats"
	"vmabench/locktrace"
	"vmabench/strategies"
	"vmabench/units"
	"vmabench/workloads"
)

// BenchmarkLockOverhead measures what lock attribution costs a cell: each
// cell runs with -locks off and on, alternately, rounds times, and the
// benchmark reports the median ratio of the readers' rate (and the
// writer's) on to off. autoLocks is set from it: attribution is on by
// default where every ratio stays above 0.95.
//
//	go test -run '^$' -bench LockOverhead -benchtime 1x ./runner
func BenchmarkLockOverhead(b *testing.B) {
	const rounds = 5
	for _, tc := range []struct{ strategy, workload string }{
		{"mmaplock", "lookups-mmap"},
		{"vmarefcnt", "faults"},
		{"vmarefcnt", "faults-mmap"},
		{"kernel", "lookups"},
		{"kernel", "lookups-mmap"},
		{"kernel", "faults"},
		{"kernel", "faults-mmap"},
	} {
		b.Run(tc.strategy+"/"+tc.workload, func(b *testing.B) {
			w, err := workloads.Get(tc.workload)
			if err != nil {
				b.Fatal(err)
			}
			if s, _ := strategies.Get(tc.strategy); s.Live && locktraceMissing() {
				b.Skip("the kernel's mmap_lock cannot be traced here")
			}
			rate := units.ReaderRate(w.Reader.String())
			var rs, ws []float64
			for i := 0; i < b.N; i++ {
				for r := 0; r < rounds; r++ {
					var got [2]Result
					for j, l := range []Locks{LocksOff, LocksOn} {
						c := DefaultConfig()
						c.Strategy, c.Workload, c.Threads = tc.strategy, tc.workload, 2
						c.Warmup, c.Duration = 50*time.Millisecond, 300*time.Millisecond
						c.Locks = l
						res, err := Run(c)
						if err != nil || res.Status != StatusOK {
							b.Fatalf("%v %v: %v %s", l, err, res.Status, res.Detail)
						}
						got[j] = res
					}
					off, _ := got[0].Metric(rate)
					on, _ := got[1].Metric(rate)
					rs = append(rs, on/off)
					if w.Writer && w.Reader != workloads.ClassWrite {
						off, _ := got[0].Metric(units.WritesPerS)
						on, _ := got[1].Metric(units.WritesPerS)
						ws = append(ws, on/off)
					}
				}
			}
			b.ReportMetric(stats.Median(rs), "reader-on/off")
			if len(ws) > 0 {
				b.ReportMetric(stats.Median(ws), "writer-on/off")
			}
		})
	}
}

func locktraceMissing() bool { return locktrace.Probe() != "" }
