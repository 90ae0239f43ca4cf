package runner

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"vmabench/internal/machine"
	"vmabench/mm"
	"vmabench/strategies"
	"vmabench/units"
	"vmabench/workloads"
)

// child makes this test binary a cell's child process, as "vmabench
// cell" is one: RunIsolated starts it with the argument "cell".
var child = []string{os.Args[0], "cell"}

func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == "cell" {
		if err := ServeCell(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func quick(strategy, workload string, threads int) Config {
	c := DefaultConfig()
	c.Strategy, c.Workload, c.Threads = strategy, workload, threads
	c.Warmup, c.Duration, c.Stall, c.Timeout = 20*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond, 5*time.Second
	return c
}

// TestAccounting runs a synthetic operation with known counts through the
// runner's measurement and summary: warm-up operations must not count, every
// measured one must, and the per-op metrics must be exact ratios.
func TestAccounting(t *testing.T) {
	const threads, perThread = 3, 1000
	c := quick("nolock", "faults", threads)
	s := strategies.NewNoLock(mm.Config{Pages: 16})
	ctl := new(workloads.Control)
	ths := make([]*workloads.Thread, threads)
	for i := range ths {
		ths[i] = workloads.NewThread(i, threads, s, c.Load, ctl)
	}
	run := func(th *workloads.Thread) {
		for th.Running() && !th.Measured() { // warm-up: counted, then discarded
			st := th.Begin()
			th.Task.Stats.VMALockAbort++
			th.End(workloads.ClassFault, st)
			time.Sleep(time.Millisecond)
		}
		for i := 0; i < perThread; i++ {
			st := th.Begin()
			if i%4 == 0 {
				th.Task.Stats.VMALockAbort++
			}
			th.End(workloads.ClassFault, st)
		}
		for th.Running() {
			time.Sleep(time.Millisecond)
		}
	}
	m := measure(c, ctl, ths, run, false)
	if m.status != StatusOK {
		t.Fatalf("status %v: %s", m.status, m.detail)
	}
	var r Result
	summarize(&r, workloads.Info{Reader: workloads.ClassFault}, ths, m.elapsed)
	if r.Ops != threads*perThread {
		t.Errorf("ops = %d, want %d: warm-up counted or measured ops lost", r.Ops, threads*perThread)
	}
	if m.elapsed < c.Duration {
		t.Errorf("elapsed %v shorter than the window %v", m.elapsed, c.Duration)
	}
	want := map[string]float64{
		"faults/s":     float64(threads*perThread) / m.elapsed.Seconds(),
		"fallbacks/op": 0.25,
		"retries/op":   0,
		"misses/op":    0,
	}
	for unit, w := range want {
		if got, ok := r.Metric(unit); !ok || got != w {
			t.Errorf("%s = %v (reported %v), want %v", unit, got, ok, w)
		}
	}
	// Every unit the runner writes is one of the units table, so the
	// writer, the comparison and the charts know it.
	var w2 Result
	summarize(&w2, workloads.Info{Reader: workloads.ClassFault, Writer: true}, ths, m.elapsed)
	for _, m := range append(r.Metrics, w2.Metrics...) {
		if _, ok := units.Lookup(m.Unit); !ok {
			t.Errorf("metric unit %q is not in the units table", m.Unit)
		}
	}
	if got, want := r.NsPerOp(), float64(m.elapsed.Nanoseconds())/float64(threads*perThread); got != want {
		t.Errorf("ns/op = %v, want %v", got, want)
	}
	var samples int64
	for _, th := range ths {
		samples += th.Lat[workloads.ClassFault].TotalCount()
	}
	// One in SampleEvery on average, at random gaps: about 47 of 3000,
	// with a standard deviation of about 4.
	if want := int64(threads * perThread / workloads.SampleEvery); samples < want*6/10 || samples > want*14/10 {
		t.Errorf("latency samples = %d, want about %d (one in %d)", samples, want, workloads.SampleEvery)
	}
}

// TestStarvedThread: a thread that never sees the timed window (blocked or
// starved for all of it, longer than the runner waits for it to join)
// counts zero operations; its warm-up work is not counted, and the cell is
// still a measurement of the threads that ran.
func TestStarvedThread(t *testing.T) {
	c := quick("nolock", "faults", 2)
	s := strategies.NewNoLock(mm.Config{Pages: 16})
	ctl := new(workloads.Control)
	ths := []*workloads.Thread{
		workloads.NewThread(0, 2, s, c.Load, ctl),
		workloads.NewThread(1, 2, s, c.Load, ctl),
	}
	release := make(chan struct{})
	run := func(th *workloads.Thread) {
		if th.ID == 1 {
			th.Running()
			th.End(workloads.ClassFault, th.Begin()) // a warm-up op
			<-release                                // starved until the window is over
			return
		}
		for th.Running() {
			th.End(workloads.ClassFault, th.BeginSlow())
			time.Sleep(time.Millisecond)
		}
		close(release)
	}
	m := measure(c, ctl, ths, run, false)
	if m.status != StatusOK {
		t.Fatalf("status %v: %s", m.status, m.detail)
	}
	var r Result
	summarize(&r, workloads.Info{Reader: workloads.ClassFault}, ths, m.elapsed)
	if want := ths[0].Ops[workloads.ClassFault]; r.Ops != want || want == 0 {
		t.Errorf("ops = %d, want thread 0's %d alone", r.Ops, want)
	}
}

// TestLateThreadJoins: a thread blocked when the timed window opens, and
// released only long after the window would have ended, is waited for:
// the window runs until every thread has joined it, so the late thread's
// operations count, and the window timed covers the wait (t0 is taken
// before it), so no operation counted falls outside it.
func TestLateThreadJoins(t *testing.T) {
	const hold = 20 * time.Millisecond // 20 windows
	c := quick("nolock", "faults", 2)
	c.Duration, c.Stall, c.Timeout = time.Millisecond, time.Minute, 2*time.Minute
	s := strategies.NewNoLock(mm.Config{Pages: 16})
	ctl := new(workloads.Control)
	ths := []*workloads.Thread{
		workloads.NewThread(0, 2, s, c.Load, ctl),
		workloads.NewThread(1, 2, s, c.Load, ctl),
	}
	release := make(chan struct{})
	run := func(th *workloads.Thread) {
		if th.ID == 1 {
			th.Running()
			th.End(workloads.ClassFault, th.Begin()) // a warm-up op
			<-release                                // blocked as the window opens
		}
		released := th.ID != 0
		for th.Running() {
			if !released && th.Measured() {
				time.Sleep(hold)
				close(release)
				released = true
			}
			th.End(workloads.ClassFault, th.BeginSlow())
			time.Sleep(time.Millisecond)
		}
	}
	m := measure(c, ctl, ths, run, false)
	if m.status != StatusOK {
		t.Fatalf("status %v: %s", m.status, m.detail)
	}
	if !ths[1].Measured() || ths[1].Ops[workloads.ClassFault] == 0 {
		t.Fatalf("late thread: measured %v, %d ops; want it to have joined the window", ths[1].Measured(), ths[1].Ops[workloads.ClassFault])
	}
	var r Result
	summarize(&r, workloads.Info{Reader: workloads.ClassFault}, ths, m.elapsed)
	if want := ths[0].Ops[workloads.ClassFault] + ths[1].Ops[workloads.ClassFault]; r.Status != "" || r.Ops != want {
		t.Errorf("status %q, ops = %d, want both threads' %d", r.Status, r.Ops, want)
	}
	if m.elapsed < hold {
		t.Errorf("elapsed %v shorter than the wait for the late thread (%v): operations counted before the window was timed", m.elapsed, hold)
	}
}

// TestStarvedCell: a cell that times no operation at all is not reported
// as OK with no operations, but as an error that says it was starved and
// how many threads joined the window.
func TestStarvedCell(t *testing.T) {
	const threads = 3
	for _, tc := range []struct {
		name string
		// run is the workload; stop closes when the last thread to
		// notice the window's end has returned.
		run    func(th *workloads.Thread, release chan struct{})
		joined string
	}{
		{
			// Threads 0 and 1 are blocked past the runner's wait and
			// the whole window; thread 2, which finishes no operation,
			// releases them once the window is over.
			name: "no thread ran in the window",
			run: func(th *workloads.Thread, release chan struct{}) {
				if th.ID < 2 {
					th.Running()
					th.End(workloads.ClassFault, th.Begin()) // a warm-up op
					<-release
					th.Running()
					return
				}
				for th.Running() {
					time.Sleep(time.Millisecond)
				}
				close(release)
			},
			joined: "(1 of 3 threads joined it)",
		},
		{
			name: "threads ran but finished no operation",
			run: func(th *workloads.Thread, release chan struct{}) {
				for th.Running() {
					time.Sleep(time.Millisecond)
				}
			},
			joined: "(3 of 3 threads joined it)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := quick("nolock", "faults", threads)
			c.Duration, c.Stall = 10*time.Millisecond, 50*time.Millisecond
			s := strategies.NewNoLock(mm.Config{Pages: 16})
			ctl := new(workloads.Control)
			ths := make([]*workloads.Thread, threads)
			for i := range ths {
				ths[i] = workloads.NewThread(i, threads, s, c.Load, ctl)
			}
			release := make(chan struct{})
			m := measure(c, ctl, ths, func(th *workloads.Thread) { tc.run(th, release) }, false)
			if m.status != StatusOK {
				t.Fatalf("measure: status %v: %s", m.status, m.detail)
			}
			r := Result{Status: m.status}
			summarize(&r, workloads.Info{Reader: workloads.ClassFault}, ths, m.elapsed)
			if r.Status != StatusError || !strings.HasPrefix(r.Detail, "starved: ") || !strings.HasSuffix(r.Detail, tc.joined) {
				t.Errorf("status %q (%s), want error: starved ... %s", r.Status, r.Detail, tc.joined)
			}
			if r.Ops != 0 || len(r.Metrics) != 0 || r.Elapsed != m.elapsed {
				t.Errorf("ops %d, metrics %v, elapsed %v: want 0 ops, no metrics and the window's %v", r.Ops, r.Metrics, r.Elapsed, m.elapsed)
			}
		})
	}
}

// TestWatchdogDeadlock: nested-fault under mmaplock deadlocks; the runner
// must say so, naming what the stuck threads hold and wait for, instead of
// hanging. In-process, the stuck threads are left behind.
func TestWatchdogDeadlock(t *testing.T) {
	r, err := Run(quick("mmaplock", "nested-fault", 2))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusDeadlock {
		t.Fatalf("status = %v (%s), want deadlock", r.Status, r.Detail)
	}
	for _, want := range []string{"holds mmap_lock(read), waits for mmap_lock(read)", "waits for mmap_lock(write)"} {
		if !strings.Contains(r.Detail, want) {
			t.Errorf("detail %q lacks %q", r.Detail, want)
		}
	}
}

// TestWatchdogTimeout: threads that keep working but never stop make the
// cell a timeout, not a hang.
func TestWatchdogTimeout(t *testing.T) {
	c := quick("nolock", "faults", 1)
	c.Timeout = 300 * time.Millisecond
	s := strategies.NewNoLock(mm.Config{Pages: 16})
	ctl := new(workloads.Control)
	th := workloads.NewThread(0, 1, s, c.Load, ctl)
	stop := make(chan struct{})
	defer close(stop)
	run := func(th *workloads.Thread) {
		for {
			select {
			case <-stop:
				return
			default:
			}
			th.End(workloads.ClassFault, th.Begin())
			time.Sleep(time.Millisecond)
		}
	}
	if m := measure(c, ctl, []*workloads.Thread{th}, run, false); m.status != StatusTimeout {
		t.Fatalf("status = %v (%s), want timeout", m.status, m.detail)
	}
}

func TestSkipped(t *testing.T) {
	r, err := Run(quick("vmarefcnt", "faults-mmap", 1))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusSkipped || !strings.Contains(r.Detail, "at least 2 threads") {
		t.Errorf("status %v (%s), want skipped for want of a writer thread", r.Status, r.Detail)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"strategy", func(c *Config) { c.Strategy = "rwsem" }, `unknown strategy "rwsem" (valid: mmaplock, vmaseq, vmarefcnt, vmawait, nolock, kernel)`},
		{"workload", func(c *Config) { c.Workload = "fault" }, `unknown workload "fault" (valid: faults, faults-shared,`},
		{"threads", func(c *Config) { c.Threads = 0 }, "threads 0: want 1..256"},
		{"duration", func(c *Config) { c.Duration = 0 }, "duration 0s: must be positive"},
		{"timeout", func(c *Config) { c.Timeout = c.Duration }, "timeout 100ms: must exceed warmup+duration (120ms)"},
		{"pages", func(c *Config) { c.Load.Pages = 1 }, "pages 1: want 2..4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := quick("nolock", "faults", 1)
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

// TestIsolated runs cells in child processes: a deadlocked one is reported
// and killed, and the next one runs clean.
func TestIsolated(t *testing.T) {
	ctx := context.Background()
	r, err := RunIsolated(ctx, quick("mmaplock", "nested-fault", 2), child)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusDeadlock {
		t.Fatalf("isolated nested-fault/mmaplock: status %v (%s), want deadlock", r.Status, r.Detail)
	}
	r, err = RunIsolated(ctx, quick("vmawait", "nested-fault", 2), child)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusOK || r.Ops == 0 || r.Violations != 0 {
		t.Fatalf("isolated nested-fault/vmawait with an unrelated writer: %v (%s), %d ops, %d violations", r.Status, r.Detail, r.Ops, r.Violations)
	}
}

func TestPlanOrder(t *testing.T) {
	p := Plan{Strategies: []string{"a", "b"}, Workloads: []string{"w"}, Threads: []int{1, 2}, Count: 2}
	var got []string
	for _, c := range p.Cells() {
		got = append(got, c.Strategy+string(rune('0'+c.Threads)))
	}
	if want := "a1 b1 a2 b2 a1 b1 a2 b2"; strings.Join(got, " ") != want {
		t.Errorf("cells = %v, want %s", got, want)
	}
}

// TestFirstCPU checks that Config.FirstCPU moves where the threads are
// pinned: thread i on the (FirstCPU+i)-th CPU, modulo their number, so two
// one-thread cells side by side (validate's processes row) run on two CPUs.
func TestFirstCPU(t *testing.T) {
	cpus := machine.CPUs()
	if len(cpus) < 2 {
		t.Skip("needs two CPUs")
	}
	for _, first := range []int{0, 1, len(cpus) + 1} {
		const threads = 2
		c := quick("nolock", "faults", threads)
		c.FirstCPU = first
		s := strategies.NewNoLock(mm.Config{Pages: 16})
		ctl := new(workloads.Control)
		ths := make([]*workloads.Thread, threads)
		for i := range ths {
			ths[i] = workloads.NewThread(i, threads, s, c.Load, ctl)
		}
		got := make([]int, threads)
		run := func(th *workloads.Thread) {
			var set unix.CPUSet
			if err := unix.SchedGetaffinity(0, &set); err != nil || set.Count() != 1 {
				got[th.ID] = -1
			} else {
				for cpu := range 1024 {
					if set.IsSet(cpu) {
						got[th.ID] = cpu
					}
				}
			}
			for th.Running() {
				st := th.Begin()
				th.End(workloads.ClassFault, st)
				time.Sleep(time.Millisecond)
			}
		}
		if m := measure(c, ctl, ths, run, false); m.status != StatusOK {
			t.Fatalf("FirstCPU %d: status %v: %s", first, m.status, m.detail)
		}
		for i, cpu := range got {
			if want := cpus[(first+i)%len(cpus)]; cpu != want {
				t.Errorf("FirstCPU %d: thread %d pinned to %d, want CPU %d alone", first, i, cpu, want)
			}
		}
	}
	c := quick("nolock", "faults", 1)
	c.FirstCPU = -1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "first CPU -1") {
		t.Errorf("FirstCPU -1: Validate = %v, want an error naming it", err)
	}
}
