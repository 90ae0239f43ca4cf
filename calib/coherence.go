//go:build linux

package calib

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"

	"vmabench/internal/machine"
	"vmabench/mm"
)

// The coherence costs a projection's cost model charges (package sim's
// Coherence), measured on this machine by Go threads pinned to CPUs: what
// a load of a line the CPU holds costs, an uncontended atomic RMW, a cache
// line's transfer between two CPUs, an RMW of one line contended by two
// CPUs, a PAUSE, and the wake-up of a thread sleeping on an idle CPU.
// Each is the fastest of a few rounds (a preempted round is slower, never
// faster), but the wake-up, whose spread is the point, is the median.

// errOneCPU is a machine with one CPU: nothing to transfer a line to.
var errOneCPU = errors.New("one CPU: no line transfer to measure")

// padded is a counter on a cache line of its own.
type padded struct {
	_ cpu.CacheLinePad
	v atomic.Int64
	_ cpu.CacheLinePad
}

func measureCoherence(ctx context.Context, p *Profile) error {
	p.Hit = fastestNs(8, func() (time.Duration, int) {
		var w padded
		const n = 1 << 16
		var s int64
		t0 := time.Now()
		for range n {
			s += w.v.Load()
		}
		d := time.Since(t0)
		coherenceSink = s
		return d, n
	})
	p.RMW = fastestNs(8, func() (time.Duration, int) {
		var w padded
		const n = 1 << 16
		t0 := time.Now()
		for range n {
			w.v.Add(1)
		}
		return time.Since(t0), n
	})
	p.Pause = mm.PauseNs()
	cpus := machine.CPUs()
	if len(cpus) < 2 {
		return errOneCPU
	}
	a, b := cpus[0], cpus[1]
	var err error
	if p.LineTransfer, err = pingPong(ctx, a, b); err != nil {
		return fmt.Errorf("line transfer: %w", err)
	}
	if p.ContendedRMW, err = contendedRMW(ctx, a, b); err != nil {
		return fmt.Errorf("contended RMW: %w", err)
	}
	curve := p.WakeCurve()
	idles := make([]time.Duration, len(curve))
	for i, w := range curve {
		idles[i] = time.Duration(w.Idle * 1000)
	}
	qs, err := wakeups(ctx, a, b, idles)
	if err != nil {
		return fmt.Errorf("wake-ups: %w", err)
	}
	for i, w := range curve {
		q := qs[i]
		*w.P10, *w.Median, *w.P90, *w.Send = q[0], q[1], q[2], q[3]
	}
	return nil
}

var coherenceSink int64

// spinUntil spins until cond holds, yielding the OS thread every 256
// looks: on a machine whose CPUs other processes share, the thread being
// waited for may need this one's CPU. A round in which that happened is
// slow, and the fastest round wins.
func spinUntil(cond func() bool) {
	for i := 0; !cond(); i++ {
		if i&255 == 255 {
			unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
		}
	}
}

// coherenceBudget bounds each pinned measurement's rounds: past it, the
// rounds done so far decide, so a machine whose CPUs are busy elsewhere
// does not hold calibration up.
const coherenceBudget = 300 * time.Millisecond

// fastestNs runs f rounds times and returns the fastest round's time per
// operation, in ns.
func fastestNs(rounds int, f func() (time.Duration, int)) float64 {
	best := 0.0
	for i := range rounds {
		d, n := f()
		if v := float64(d) / float64(n); i == 0 || v < best {
			best = v
		}
	}
	return best
}

// onCPUs runs body(0) on CPU a and body(1) on CPU b, each on a locked,
// pinned thread, started together, and waits for both.
func onCPUs(a, b int, body func(i int)) error {
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 2)
	for i, c := range []int{a, b} {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			// Back to the process's CPUs before Go may hand the thread to
			// another goroutine: the drift check runs this at every start.
			defer machine.Unpin()
			errs[i] = machine.Pin(c)
			ready.Done()
			<-start
			if errs[0] == nil && errs[1] == nil {
				body(i)
			}
		}()
	}
	ready.Wait()
	close(start)
	wg.Wait()
	return errors.Join(errs...)
}

// spinFor keeps the CPU busy for d: a waker's idle time that its own CPU
// spends running, as a lock holder's does.
func spinFor(d time.Duration) {
	for t0 := time.Now(); time.Since(t0) < d; {
	}
}

// TransferMoved reports how far apart two line transfers measured on this
// machine are (the larger over the smaller) and whether that is past
// TransferDriftBound: the host has moved the vCPUs between them.
func TransferMoved(a, b float64) (factor float64, moved bool) {
	factor = max(a/b, b/a)
	return factor, factor > 1+TransferDriftBound
}

// LineTransfer measures Profile.LineTransfer now, between the process's
// first two CPUs, as Measure does: on a VM it moves with where the host
// places the vCPUs (47 to 808 ns in six calibrations of one 2-CPU VM on
// 2026-12-03), so a check against real runs measures it beside them.
func LineTransfer(ctx context.Context) (float64, error) {
	cpus := machine.CPUs()
	if len(cpus) < 2 {
		return 0, errOneCPU
	}
	return pingPong(ctx, cpus[0], cpus[1])
}

// pingPong measures a line transfer: two pinned threads pass a counter
// back and forth, each waiting for the other's store, so every step moves
// the line once. It returns ns per step, the fastest of up to 100 short
// rounds (about 50 µs each, so that many run without either thread
// preempted) within coherenceBudget.
func pingPong(ctx context.Context, a, b int) (float64, error) {
	const n, rounds = 500, 100
	var w padded
	var ds []time.Duration
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(coherenceBudget)
	err := onCPUs(a, b, func(i int) {
		k := int64(i)
		for range rounds {
			if i == 0 && time.Now().After(deadline) && len(ds) > 0 {
				w.v.Store(-1) // the other thread stops at its next look
				return
			}
			t0 := time.Now()
			for end := k + 2*n; k < end; k += 2 {
				stopped := false
				spinUntil(func() bool {
					v := w.v.Load()
					stopped = v < 0
					return v == k || stopped
				})
				if stopped {
					return
				}
				w.v.Store(k + 1)
			}
			if i == 0 {
				ds = append(ds, time.Since(t0))
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return float64(slices.Min(ds)) / (2 * n), nil
}

// contendedRMW measures an RMW of one line two CPUs add to at once: in
// windows of 2 ms, the window over the adds both threads made in it. A
// round in which one thread was preempted has fewer transfers (the other
// adds to a line it holds), so it comes out faster, never slower: the
// slowest of 7 rounds is the nearest to two CPUs adding all the time.
func contendedRMW(ctx context.Context, a, b int) (float64, error) {
	const window = 2 * time.Millisecond
	worst := 0.0
	for range 7 {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		var w padded
		var stop atomic.Bool
		var counts [2]int64
		var took [2]time.Duration
		var started atomic.Int32
		err := onCPUs(a, b, func(i int) {
			started.Add(1)
			spinUntil(func() bool { return started.Load() == 2 })
			if i == 0 {
				go func() { time.Sleep(window); stop.Store(true) }()
			}
			n := int64(0)
			t0 := time.Now()
			for !stop.Load() {
				w.v.Add(1)
				n++
			}
			counts[i], took[i] = n, time.Since(t0)
		})
		if err != nil {
			return 0, err
		}
		if total := counts[0] + counts[1]; total > 0 {
			worst = max(worst, float64(max(took[0], took[1]))/float64(total))
		}
	}
	return worst, nil
}

// WakeRounds is how many wake-ups wakeups times after each idle time.
const WakeRounds = 200

// wakeups measures the wake-up of a thread sleeping in futex(2) on CPU b
// by a thread on CPU a after each of idles: from just before FUTEX_WAKE to
// the sleeper running again, the 10th, 50th and 90th percentiles of
// WakeRounds, and the mean time the FUTEX_WAKE took the waker (sendCost).
// The waker spins through an idle shorter than WakeIdleLong (its own CPU
// stays busy, as a lock holder's does) and sleeps through a longer one.
// After a short idle the wake may come before the sleeper is in the futex
// at all (FUTEX_WAIT then returns at once), as it can in the model
// (schedule() finding TASK_RUNNING).
//
// The rounds of every idle time are interleaved, in one fixed shuffled
// order, and not run 200 of one idle time in a row: the cost of a wake-up
// depends on more than the idle before it. A VM's host halt-polls a halted
// vCPU for a window it grows while the polls succeed and shrinks while
// they fail (KVM's halt_poll_ns), and a wake-up inside the window is
// cheap for both sides. Measured on a 2-CPU VM (AMD EPYC, kernel 6.18)
// with the rounds in a row, the mean send after 2 µs of idle came out 0.6,
// 1.5 and 6.1 µs in three calibrations within minutes: the window the run
// before had left. A workload mixes short and long sleeps, and so does
// this order.
func wakeups(ctx context.Context, a, b int, idles []time.Duration) ([][4]float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	order := make([]int, len(idles)*WakeRounds)
	for k := range order {
		order[k] = k % len(idles)
	}
	rand.New(rand.NewPCG(3, 7)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	lat, send, err := futexRounds(a, b, len(order), func(k int) {
		idle := idles[order[k]]
		if idle < WakeIdleLong*time.Microsecond {
			spinFor(idle)
		} else {
			time.Sleep(idle) // let it reach the futex and the CPU idle
		}
	})
	if err != nil {
		return nil, err
	}
	lats, sends := make([][]float64, len(idles)), make([][]float64, len(idles))
	for k, i := range order {
		lats[i], sends[i] = append(lats[i], lat[k]), append(sends[i], send[k])
	}
	out := make([][4]float64, len(idles))
	for i, l := range lats {
		slices.Sort(l)
		m := len(l)
		out[i] = [4]float64{l[m/10], l[m/2], l[m*9/10], sendCost(sends[i])}
	}
	return out, nil
}

// sendCost is what a wake-up costs its waker, from the FUTEX_WAKEs of
// wakeups' rounds: their mean. A projection charges one figure per
// wake-up (sim.WakePoint's Send), and what that figure must get right is
// the waker's time in total, which is the mean's. The median would not do:
// the cost is bimodal. try_to_wake_up() sends no IPI to a CPU polling in
// its idle loop (set_nr_if_polling()), and one to a CPU that has halted,
// which on a VM is an exit to the host, cheaper while the host still
// polls the halted vCPU than once it has put it to sleep. Measured on
// a 2-CPU VM (AMD EPYC, kernel 6.18, 400 rounds a point), the sends were
// about 1.4 µs or 10-12 µs: after 2 µs of idle a median of 1.45 µs and a
// mean of 2.8 µs, after 5 µs 1.5 µs and 5.2 µs. The model's own real run
// of lookups-mmap there, timed in wakeUpProcess(), paid a mean of 5.5-5.8
// µs a FUTEX_WAKE, most of them to a sleeper idle under 2 µs.
//
// The mean leaves out rounds over sendPreempted: a waker preempted in its
// system call (by a host's other guest, or this machine's other
// processes) takes a scheduler tick, a millisecond or more, which is not
// the wake-up's cost, and one such round in 200 would add 5 µs to the
// mean. If every round is over it, their mean is all there is.
func sendCost(sends []float64) float64 {
	var sum, all float64
	n := 0
	for _, v := range sends {
		all += v
		if v <= sendPreempted {
			sum += v
			n++
		}
	}
	switch {
	case n > 0:
		return sum / float64(n)
	case len(sends) > 0:
		return all / float64(len(sends))
	}
	return 0
}

// sendPreempted is the FUTEX_WAKE, in ns, beyond which sendCost takes the
// waker for preempted: ten times the costliest send measured (an IPI that
// exits a VM to its host, 10-12 µs).
const sendPreempted = 100e3

// futexRounds runs n futex(2) wake-ups of a thread asleep on CPU b by one
// on CPU a. In round k, once the sleeper is on its way to sleep, the
// waker calls prepare(k) (its idle time, and whatever it changes before
// the wake), then wakes it. It returns each round's latency, from just
// before FUTEX_WAKE to the sleeper running again, and what each
// FUTEX_WAKE took the waker, in ns, in round order.
func futexRounds(a, b, n int, prepare func(k int)) (lat, send []float64, err error) {
	var word atomic.Uint32 // 0: sleep; 1: wake
	var woke atomic.Int64  // the sleeper's time once running
	var sent atomic.Int64  // the waker's time before the wake
	var asleep atomic.Uint32
	lat, send = make([]float64, 0, n), make([]float64, 0, n)
	base := time.Now()
	err = onCPUs(a, b, func(i int) {
		for k := range n {
			if i == 1 { // the sleeper
				asleep.Store(uint32(k + 1))
				for word.Load() == 0 {
					unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&word)), 0|128, 0, 0, 0, 0)
				}
				woke.Store(int64(time.Since(base)))
				word.Store(0)
				spinUntil(func() bool { return asleep.Load() == 0 }) // the waker has read woke
				continue
			}
			spinUntil(func() bool { return asleep.Load() == uint32(k+1) })
			prepare(k)
			sent.Store(int64(time.Since(base)))
			word.Store(1)
			t0 := time.Now()
			unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&word)), 1|128, 1, 0, 0, 0)
			send = append(send, float64(time.Since(t0)))
			spinUntil(func() bool { return woke.Load() >= sent.Load() })
			lat = append(lat, float64(woke.Load()-sent.Load()))
			asleep.Store(0)
		}
	})
	return lat, send, err
}

// LazyRounds is how many wake-ups lazyFlush times of each kind.
const LazyRounds = 200

// lazyFlush measures Profile.TLBLazy: what a futex wake-up of a thread
// asleep on CPU b costs more when, while it slept, the thread on CPU a
// changed a present page of their process (two mprotect(2)s, RW to RWX
// and back, so change_protection() flushes the page), than when the same
// two calls changed a page that is not present (no flush). The sleeper's
// CPU runs the idle task lazily in the process's mm, so the flush sends it
// no IPI (should_flush_tlb()); it flushes for itself when it switches back
// (switch_mm_irqs_off() finds the mm's tlb_gen moved). Rounds alternate
// the two kinds, each woken after 30 µs of idle; the result is the
// difference of their medians, 0 if the flush made no difference.
func lazyFlush(ctx context.Context, a, b int) (float64, error) {
	ps := unix.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 5*ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return 0, fmt.Errorf("mmap: %w", err)
	}
	defer unix.Munmap(mem)
	present, absent := mem[ps:2*ps], mem[3*ps:4*ps]
	present[0] = 1
	rw := unix.PROT_READ | unix.PROT_WRITE
	var merr error
	all, _, err := futexRounds(a, b, 2*LazyRounds, func(k int) {
		spinFor(30 * time.Microsecond)
		page := absent
		if k%2 == 1 {
			page = present
		}
		if merr == nil {
			merr = errors.Join(unix.Mprotect(page, rw|unix.PROT_EXEC), unix.Mprotect(page, rw))
		}
	})
	if err = errors.Join(err, merr); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var lat [2][]float64 // by kind: 0 no flush, 1 flush
	for k, l := range all {
		lat[k%2] = append(lat[k%2], l)
	}
	return max(median(lat[1])-median(lat[0]), 0), nil
}
