package sim_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"vmabench/sim"
)

// word is a shared counter whose accesses are scheduling points, as the
// mm types' are (sim cannot import mm).
type word struct{ v int64 }

func (w *word) addr() uintptr { return uintptr(unsafe.Pointer(w)) }

func (w *word) load() int64 {
	if sim.On() {
		sim.LoadAt(w.addr())
	}
	return w.v
}

func (w *word) store(x int64) {
	if sim.On() {
		sim.StoreAt(w.addr())
	}
	w.v = x
}

// racyInc is a load then a store: the lost update a scheduler must be able
// to produce.
func (w *word) racyInc() { w.store(w.load() + 1) }

// roundRobin hands off at every point to the next runnable id after cur.
type roundRobin struct{ last int }

func (p *roundRobin) Next(runnable []int, cur int) int {
	if !slices.IsSorted(runnable) || len(runnable) == 0 {
		panic(fmt.Sprintf("runnable %v not ascending and non-empty", runnable))
	}
	for _, id := range runnable {
		if id > p.last {
			p.last = id
			return id
		}
	}
	p.last = runnable[0]
	return runnable[0]
}

// stayPolicy never preempts: it runs cur while it can.
type stayPolicy struct{}

func (stayPolicy) Next(runnable []int, cur int) int {
	if slices.Contains(runnable, cur) {
		return cur
	}
	return runnable[0]
}

func TestPolicyDecidesInterleaving(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy sim.Policy
		want   int64
	}{
		// Never preempted, each load-store pair is atomic: no update lost.
		{"serial", stayPolicy{}, 6},
		// Alternating at every access, both CPUs load before either stores:
		// every second update is lost.
		{"alternate", &roundRobin{last: -1}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w word
			e := sim.New(sim.Config{Policy: tc.policy})
			for range 2 {
				e.Go(func(*sim.CPU) {
					for range 3 {
						w.racyInc()
					}
				})
			}
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			if w.v != tc.want {
				t.Errorf("counter = %d, want %d", w.v, tc.want)
			}
		})
	}
}

func TestTimeOrderRunsEarliestClock(t *testing.T) {
	// CPU 0 works 10 ns between accesses, CPU 1 works 3 ns: in time
	// order CPU 1 makes three accesses for each of CPU 0's.
	var order []int
	var w word
	e := sim.New(sim.Config{Trace: func(ev sim.Event) { order = append(order, ev.CPU) }})
	for _, work := range []int64{10_000, 3_000} {
		e.Go(func(*sim.CPU) {
			for range 4 {
				sim.Advance(work)
				w.load()
			}
		})
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	// Clocks at each access (ns, +1 per access): cpu1 3,7,11,15; cpu0 10,21,...
	want := []int{1, 1, 0, 1, 1, 0, 0, 0}
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

func TestBlockWake(t *testing.T) {
	// CPU 0 blocks until CPU 1 sets the flag and wakes it; the wake-up
	// came after the block (lost otherwise) or before it (kept).
	for _, wakeFirst := range []bool{false, true} {
		t.Run(fmt.Sprint("wakeFirst=", wakeFirst), func(t *testing.T) {
			var flag word
			var c0 *sim.CPU
			woke := int64(-1)
			e := sim.New(sim.Config{Model: fixedModel{wake: 5_000}})
			c0 = e.Go(func(c *sim.CPU) {
				if wakeFirst {
					sim.Advance(100_000)
				}
				for flag.load() == 0 {
					sim.BlockCurrent()
				}
				woke = sim.Now()
			})
			e.Go(func(*sim.CPU) {
				sim.Advance(50_000)
				flag.store(1)
				sim.Wake(c0)
			})
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			if woke < 50_000 {
				t.Errorf("woke at %d ps, before the waker's store at 50000", woke)
			}
			if !wakeFirst && woke < 55_000 {
				t.Errorf("woke at %d ps, sooner than the wake-up latency allows", woke)
			}
		})
	}
}

func TestDeadlockReported(t *testing.T) {
	e := sim.New(sim.Config{})
	for i := range 2 {
		c := e.Go(func(*sim.CPU) { sim.BlockCurrent() })
		c.SetDescribe(func() string { return fmt.Sprintf("thread %d waits for lock %d", i, 1-i) })
	}
	err := e.Run()
	var d *sim.DeadlockError
	if !errors.As(err, &d) {
		t.Fatalf("Run = %v, want a DeadlockError", err)
	}
	if got := err.Error(); !strings.Contains(got, "cpu 0 thread 0 waits for lock 1") || !strings.Contains(got, "cpu 1 thread 1 waits for lock 0") {
		t.Errorf("report %q does not say what each CPU waits for", got)
	}
}

func TestUntilAndTimers(t *testing.T) {
	var w word
	var fired []int64
	var counts [2]int
	e := sim.New(sim.Config{Until: 1_000_000_000})
	for i := range 2 {
		e.Go(func(*sim.CPU) {
			for {
				sim.Advance(999_000)
				w.load() // +1 ns: one access per µs
				counts[i]++
			}
		})
	}
	e.At(500_000_000, func() { fired = append(fired, sim.Now()); w.store(7) })
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	if len(fired) != 1 || fired[0] != 500_000_000 {
		t.Errorf("timer fired at %v, want once at 500000000", fired)
	}
	if w.v != 7 {
		t.Errorf("timer's store lost: %d", w.v)
	}
	for i, n := range counts {
		if n < 999 || n > 1000 {
			t.Errorf("cpu %d made %d accesses in 1 ms at 1 per µs", i, n)
		}
	}
}

func TestStepLimit(t *testing.T) {
	var w word
	e := sim.New(sim.Config{MaxSteps: 100, Policy: &roundRobin{last: -1}})
	e.Go(func(*sim.CPU) {
		for {
			w.load()
		}
	})
	if err := e.Run(); !errors.Is(err, sim.ErrStepLimit) {
		t.Fatalf("Run = %v, want ErrStepLimit", err)
	}
	if e.Steps() != 100 {
		t.Errorf("%d steps, want 100", e.Steps())
	}
}

func TestPanicPropagates(t *testing.T) {
	var w word
	e := sim.New(sim.Config{})
	e.Go(func(*sim.CPU) {
		for {
			w.load()
		}
	})
	e.Go(func(*sim.CPU) {
		w.load()
		panic("model bug")
	})
	defer func() {
		if r := recover(); r != "model bug" {
			t.Errorf("recovered %v, want the CPU's panic", r)
		}
		if sim.On() {
			t.Error("engine still on after the panic")
		}
	}()
	_ = e.Run()
	t.Error("Run returned; want its CPU's panic")
}

func TestTraceLabels(t *testing.T) {
	var labels []string
	var w word
	e := sim.New(sim.Config{Trace: func(ev sim.Event) { labels = append(labels, ev.Label()) }})
	e.Go(func(*sim.CPU) { w.racyInc() })
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	// The word type lives here, not in mm/word.go, so its own methods
	// are what the trace names.
	if len(labels) != 2 || !strings.HasSuffix(labels[0], "(*word).load") || !strings.HasSuffix(labels[1], "(*word).store") {
		t.Errorf("labels %q", labels)
	}
}

func TestOneEngineAtATime(t *testing.T) {
	inner := sim.New(sim.Config{})
	var innerErr error
	e := sim.New(sim.Config{})
	e.Go(func(*sim.CPU) { innerErr = inner.Run() })
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(innerErr, sim.ErrBusy) {
		t.Errorf("nested Run = %v, want ErrBusy", innerErr)
	}
}

// fixedModel charges every access 1 ns and a wake-up wake ps.
type fixedModel struct{ wake int64 }

func (fixedModel) Access(int, int64, uintptr, sim.Kind) int64 { return 1000 }
func (m fixedModel) Wake(int64) (int64, int64)                { return m.wake, 0 }

// BenchmarkEvents measures the engine's scheduling points per second under
// TimeOrder with 8 CPUs that alternate (a hand-off at almost every point),
// the projection's worst case.
func BenchmarkEvents(b *testing.B) {
	for _, n := range []int{1, 8, 256} {
		b.Run(fmt.Sprint("cpus=", n), func(b *testing.B) {
			words := make([]word, n)
			per := b.N/n + 1
			e := sim.New(sim.Config{})
			for i := range n {
				e.Go(func(*sim.CPU) {
					for range per {
						words[i].load()
					}
				})
			}
			b.ResetTimer()
			if err := e.Run(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(e.Steps())/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// TestWakeAfter: the wake-up latency follows the curve by how long the CPU
// idled: the first point below it, linear between points, Wake beyond.
func TestWakeAfter(t *testing.T) {
	c := sim.Costs{Wake: 50_000, WakeCurve: []sim.WakePoint{{Idle: 2_000, Latency: 10_000}, {Idle: 10_000, Latency: 20_000}, {Idle: 100_000, Latency: 30_000, Lo: 10_000, Hi: 70_000}}}
	for _, tc := range []struct {
		idle int64
		u    float64
		want int64
	}{
		{0, 0.5, 10_000}, {2_000, 0.5, 10_000}, {6_000, 0.5, 15_000}, {10_000, 0.99, 20_000}, // no spread: the median
		{55_000, 0.5, 25_000}, {100_000, 0.5, 30_000}, {1e9, 0.5, 30_000},
		{100_000, 0.05, 10_000}, {100_000, 0.3, 20_000}, {100_000, 0.7, 50_000}, {100_000, 0.95, 70_000}, // the spread
	} {
		if got, _ := c.WakeAfter(tc.idle, tc.u); got != tc.want {
			t.Errorf("WakeAfter(%d, %v) = %d, want %d", tc.idle, tc.u, got, tc.want)
		}
	}
	if got, send := (sim.Costs{Wake: 7}).WakeAfter(123, 0.5); got != 7 || send != 0 {
		t.Errorf("no curve: WakeAfter = %d, %d, want Wake (7) and no send", got, send)
	}
	bad := sim.Costs{CPUs: 1, Sockets: 1, Hit: 1, RMW: 1, Transfer: 1, RMWTransfer: 1, Remote: 1, Pause: 1,
		WakeCurve: []sim.WakePoint{{Idle: 10, Latency: 1}, {Idle: 10, Latency: 2}}}
	if err := bad.Validate(); err == nil {
		t.Error("a curve with two points at one idle time validated")
	}
}

// idleModel charges a wake-up the idle time it is given, so a test can
// read what the engine passed.
type idleModel struct{}

func (idleModel) Access(int, int64, uintptr, sim.Kind) int64 { return 1000 }
func (idleModel) Wake(idle int64) (int64, int64)             { return idle, 0 }

// TestWakeIdle: the engine hands the model the time the woken CPU was
// blocked, and counts its blocks (Blocks: its voluntary context switches).
func TestWakeIdle(t *testing.T) {
	var flag word
	var c0 *sim.CPU
	var blockedAt, woke int64
	var blocks uint64
	e := sim.New(sim.Config{Model: idleModel{}})
	c0 = e.Go(func(*sim.CPU) {
		for flag.load() == 0 {
			blockedAt = sim.Now()
			sim.BlockCurrent()
		}
		woke = sim.Now()
		blocks = sim.Blocks()
	})
	var wakeAt int64
	e.Go(func(*sim.CPU) {
		sim.Advance(80_000)
		flag.store(1)
		wakeAt = sim.Now()
		sim.Wake(c0)
	})
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	idle := wakeAt - blockedAt
	if idle <= 0 || woke < wakeAt+idle {
		t.Errorf("blocked at %d, woken at %d, running at %d: want a wake-up latency of the idle time, %d", blockedAt, wakeAt, woke, idle)
	}
	if blocks != 1 {
		t.Errorf("Blocks = %d, want 1", blocks)
	}
}

// TestSleepIdle: a sleep of d ps charges the wake-up of a CPU idle for d.
func TestSleepIdle(t *testing.T) {
	var end int64
	e := sim.New(sim.Config{Model: idleModel{}})
	e.Go(func(*sim.CPU) {
		sim.Sleep(40_000)
		end = sim.Now()
	})
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	if end != 80_000 {
		t.Errorf("a 40000 ps sleep ended at %d ps, want 80000 (the sleep and a wake-up after 40000 ps idle)", end)
	}
}

// TestWakeSend: the waker pays the curve's send for the sleeper's idle
// time; the woken CPU pays the latency.
func TestWakeSend(t *testing.T) {
	costs := sim.Costs{CPUs: 2, Sockets: 1, Hit: 1000, RMW: 1000, Transfer: 1000, RMWTransfer: 1000, Remote: 1000, Pause: 1000,
		WakeCurve: []sim.WakePoint{{Idle: 1, Latency: 7_000, Send: 3_000}}}
	var flag word
	var c0 *sim.CPU
	var before, after int64
	e := sim.New(sim.Config{Model: sim.NewCoherence(costs, 1)})
	c0 = e.Go(func(*sim.CPU) {
		for flag.load() == 0 {
			sim.BlockCurrent()
		}
	})
	e.Go(func(*sim.CPU) {
		sim.Advance(50_000)
		flag.store(1)
		before = sim.Now()
		sim.Wake(c0)
		after = sim.Now()
	})
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	if after-before != 3_000 {
		t.Errorf("the wake cost the waker %d ps, want the curve's send, 3000", after-before)
	}
}

// TestOrder: a plain mark set after calibrated work is seen by another CPU
// only from the mark's virtual time on when an Order comes before it, in
// time order; an exploration's schedule is the same with Order as without.
func TestOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		order bool
		want  []int64 // what CPU 1 sees at 30, 60, 90, 120 and 150 ns
	}{
		{"with-order", true, []int64{0, 0, 0, 1, 1}},
		// The departure Order mends: the mark is set, in real time, as
		// soon as CPU 0's work is added to its clock, 100 ns early.
		{"without-order", false, []int64{1, 1, 1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w word
			var mark int64
			var seen []int64
			e := sim.New(sim.Config{})
			e.Go(func(*sim.CPU) {
				w.load() // at 0: CPU 0 runs first
				sim.Advance(100_000)
				if tc.order {
					sim.Order()
				}
				mark = 1
			})
			e.Go(func(*sim.CPU) {
				for range 5 {
					sim.Advance(30_000)
					sim.Order()
					seen = append(seen, mark)
				}
			})
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seen, tc.want) {
				t.Errorf("CPU 1 saw %v, want %v", seen, tc.want)
			}
		})
	}
	t.Run("exploration", func(t *testing.T) {
		// An Order that were a point would count as a step, and round
		// robin would hand off at it.
		var cpus [2][]string
		for i, order := range []bool{false, true} {
			var w word
			e := sim.New(sim.Config{Policy: &roundRobin{}, Trace: func(ev sim.Event) { cpus[i] = append(cpus[i], fmt.Sprintf("%d@%d", ev.CPU, ev.Step)) }})
			for range 2 {
				e.Go(func(*sim.CPU) {
					for range 3 {
						w.racyInc()
						if order {
							sim.Order()
						}
					}
				})
			}
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(cpus[0], cpus[1]) {
			t.Errorf("an exploration's accesses (CPU@step) were %v with Order, %v without", cpus[1], cpus[0])
		}
	})
}
