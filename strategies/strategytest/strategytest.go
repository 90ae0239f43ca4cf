// Package strategytest is the conformance suite every strategy runs: a stress
// of faulting and looking-up readers against writers that checks no reader
// ever holds a VMA a writer is changing, and the nested-fault scenario of the
// 2026 thread, with a watchdog so a deadlock is reported, not hung on.
//
// Stress and NestedFault return what they saw rather than judge it, because
// the expected outcome differs by design (nolock must be caught; mmaplock
// must deadlock). Run judges it against the expectations the design
// declares in its registry row, in the shape of testing/slogtest:
//
//	for _, info := range strategies.List() {
//		t.Run(info.Name, func(t *testing.T) { strategytest.Run(t, info) })
//	}
package strategytest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"vmabench/mm"
	"vmabench/strategies"
)

const page = mm.PageSize

// StressConfig sizes a Stress run.
type StressConfig struct {
	Readers      int    // faulting and looking-up threads
	OpsPerReader int    // operations each reader does
	VMAs         int    // VMAs the readers use and the mprotect writer splits
	Pages        int    // pages per VMA
	Seed         uint64 // seeds every thread's RNG (thread i uses Seed+i)
	// MinWrites is how many writes each writer must have made before the
	// readers stop, whatever their count: on a loaded machine the
	// writers may otherwise barely run while the readers do their
	// operations (6 writes in all, and no VMA reused, in one run with
	// three busy loops beside it), and the run stresses nothing. The
	// readers stop regardless after stressDeadline.
	MinWrites int
}

// stressDeadline bounds a Stress run's readers when the writers do not
// reach MinWrites (a design whose writers cannot progress).
const stressDeadline = 20 * time.Second

// DefaultStressConfig returns a configuration that finishes in about a
// second under the race detector on two cores.
func DefaultStressConfig() StressConfig {
	return StressConfig{Readers: 4, OpsPerReader: 20000, VMAs: 8, Pages: 16, Seed: 1, MinWrites: 50}
}

// StressReport is what a Stress run saw.
type StressReport struct {
	Violations     uint64 // checker violations, readers and writers
	FirstViolation string
	Stats          mm.Stats // all threads' counters
	Lookups        uint64   // successful Lookups
	MmapFallbacks  uint64   // Lookups that returned with mmap_lock held
	Writes         uint64   // successful writes
	CacheReuses    uint64   // VMAs handed out again by the cache
	// Idle is what the strategy's end-of-run check (strategies.Checker)
	// found once the threads stopped; each broken invariant also counts
	// as a violation.
	Idle error
	Err  error // an unexpected error from the strategy
}

// layout of a stress MM: the readers' VMAs from readBase, each pages long with
// a gap of the same size; the churn writer's region from churnBase.
const (
	readBase   = 1 << 20
	churnBase  = 64 << 20
	churnSlots = 8
)

// Stress runs cfg.Readers readers against two writers on a fresh instance of
// s. Readers fault random pages of the shared VMAs, or Lookup one and hold it
// across a reschedule, or look up an address in the churn region, where VMAs
// are unmapped, freed and (with type-safe reuse) handed out again. One writer
// mprotects random parts of the readers' VMAs (split, then merge back); the
// other maps and unmaps in the churn region. The writers stop when the
// readers are done.
func Stress(s strategies.Strategy, cfg StressConfig) StressReport {
	m := s.MM()
	span := uint64(cfg.Pages) * page
	for i := 0; i < cfg.VMAs; i++ {
		if err := m.Setup(mm.Op{Kind: mm.OpMmap, Start: readBase + uint64(i)*2*span, Len: span, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
			return StressReport{Err: err}
		}
	}
	var (
		wg      sync.WaitGroup
		done    mm.Bool
		mu      sync.Mutex
		rep     StressReport
		readers sync.WaitGroup
		// written[i] is writer i's writes so far, which the readers watch.
		written  [2]atomic.Int64
		deadline = time.Now().Add(stressDeadline)
	)
	more := func(op int) bool {
		if op < cfg.OpsPerReader {
			return true
		}
		return (written[0].Load() < int64(cfg.MinWrites) || written[1].Load() < int64(cfg.MinWrites)) && time.Now().Before(deadline)
	}
	finish := func(t *mm.Task, lookups, fallbacks, writes uint64, err error) {
		mu.Lock()
		defer mu.Unlock()
		rep.Stats.Add(t.Stats)
		if rep.FirstViolation == "" {
			rep.FirstViolation = t.FirstViolation()
		}
		rep.Lookups += lookups
		rep.MmapFallbacks += fallbacks
		rep.Writes += writes
		if err != nil && rep.Err == nil {
			rep.Err = err
		}
	}
	for i := 0; i < cfg.Readers; i++ {
		wg.Add(1)
		readers.Add(1)
		go func(id int) {
			defer wg.Done()
			defer readers.Done()
			t := mm.NewTask(m, id, 256)
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(id)))
			var lookups, fallbacks uint64
			var err error
			for op := 0; more(op) && err == nil; op++ {
				vma := uint64(rng.IntN(cfg.VMAs))
				addr := readBase + vma*2*span + uint64(rng.IntN(cfg.Pages))*page
				switch rng.IntN(4) {
				case 0, 1:
					if e := s.Fault(t, addr); e != nil {
						err = fmt.Errorf("reader %d: fault at %#x: %w", id, addr, e)
					}
				case 2:
					ok, fb, e := hold(s, t, addr)
					if e != nil || !ok {
						err = fmt.Errorf("reader %d: lookup at %#x: %v", id, addr, e)
					}
					lookups++
					if fb {
						fallbacks++
					}
				case 3:
					addr = churnBase + uint64(rng.IntN(churnSlots))*2*span + uint64(rng.IntN(cfg.Pages))*page
					ok, fb, e := hold(s, t, addr)
					if e != nil && !errors.Is(e, mm.ErrNoVMA) {
						err = fmt.Errorf("reader %d: lookup at %#x: %w", id, addr, e)
					}
					if ok {
						lookups++
						if fb {
							fallbacks++
						}
					}
				}
			}
			finish(t, lookups, fallbacks, 0, err)
		}(i)
	}
	writer := func(id int, next func(rng *rand.Rand) mm.Op) {
		defer wg.Done()
		writes := &written[id-cfg.Readers]
		t := mm.NewTask(m, id, 0)
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(id)))
		var err error
		for !done.Load() && err == nil {
			switch e := s.Write(t, next(rng)); {
			case e == nil:
				writes.Add(1)
			case errors.Is(e, mm.ErrExist), errors.Is(e, mm.ErrConcurrentWriter):
				// A slot already mapped; or nolock's writers met, which
				// the checker counted.
			default:
				err = fmt.Errorf("writer %d: %w", id, e)
			}
			runtime.Gosched()
		}
		finish(t, 0, 0, uint64(writes.Load()), err)
	}
	wg.Add(2)
	var split bool
	var at uint64
	go writer(cfg.Readers, func(rng *rand.Rand) mm.Op {
		// Split a random range to read-only, then merge it back.
		split = !split
		if split {
			at = readBase + uint64(rng.IntN(cfg.VMAs))*2*span + uint64(rng.IntN(cfg.Pages-1))*page
			return mm.Op{Kind: mm.OpMprotect, Start: at, Len: page, Prot: mm.ProtRead}
		}
		return mm.Op{Kind: mm.OpMprotect, Start: at, Len: page, Prot: mm.ProtRead | mm.ProtWrite}
	})
	go writer(cfg.Readers+1, func(rng *rand.Rand) mm.Op {
		slot := churnBase + uint64(rng.IntN(churnSlots))*2*span
		if m.FindVMA(slot) != nil {
			return mm.Op{Kind: mm.OpMunmap, Start: slot, Len: span}
		}
		return mm.Op{Kind: mm.OpMmap, Start: slot, Len: span, Prot: mm.ProtRead | mm.ProtWrite}
	})
	readers.Wait()
	done.Store(true)
	wg.Wait()
	rep.Violations = rep.Stats.Violations
	if c, ok := s.(strategies.Checker); ok {
		rep.Idle = c.CheckIdle()
		rep.Violations += CountErrors(rep.Idle)
	}
	_, rep.CacheReuses = m.Cache().Stats()
	return rep
}

// hold looks addr up, asserts the VMA is stable, yields the processor while
// holding it (a syscall that sleeps), asserts nothing changed, and releases.
func hold(s strategies.Strategy, t *mm.Task, addr uint64) (ok, fallback bool, err error) {
	r, err := s.Lookup(t, addr)
	if err != nil {
		return false, false, err
	}
	gen := t.AssertStable(r.VMA, addr)
	runtime.Gosched()
	t.AssertUnchanged(r.VMA, gen)
	s.Release(t, r)
	return true, r.MmapLocked, nil
}

// NestedResult is what NestedFault saw.
type NestedResult struct {
	// Deadlocked is set when the reader made no progress for the
	// watchdog's quiet period while blocked on a lock.
	Deadlocked bool
	// Detected is how long after the nested fault began the watchdog
	// declared the deadlock (or the fault took to finish).
	Detected time.Duration
	// Reader and Writer say what each thread held and waited for when the
	// watchdog looked last, e.g. "holds mmap_lock(read), waits for
	// mmap_lock(read)".
	Reader, Writer string
	// Violations counts checker violations (only nolock has any).
	Violations uint64
}

// NestedFault runs the scenario of the 2026 thread on a fresh instance of s:
// a reader looks up VMA A and, while holding it, faults on VMA B in kernel
// mode (copy_from_user(): FaultKernel, under mmap_read_lock() in every
// design), after a writer has queued. With touchHeld the writer
// mprotects B and A together, so it write-locks B and then waits for A's
// readers; otherwise it mprotects an unrelated VMA C.
//
// The watchdog declares a deadlock when the reader is blocked on a lock and
// has made no progress for quiet. Deadlocked goroutines cannot be killed: they
// are left blocked on their own MM, which nothing else uses.
func NestedFault(s strategies.Strategy, touchHeld bool, quiet time.Duration) NestedResult {
	m := s.MM()
	const span = 4 * page
	// B and A adjacent (B below A, so a writer locks B first), C apart.
	b, a, c := uint64(readBase), uint64(readBase+span), uint64(readBase+8*span)
	for _, op := range []mm.Op{
		{Kind: mm.OpMmap, Start: b, Len: span, Prot: mm.ProtRead},
		{Kind: mm.OpMmap, Start: a, Len: span, Prot: mm.ProtRead | mm.ProtWrite},
		{Kind: mm.OpMmap, Start: c, Len: span, Prot: mm.ProtRead | mm.ProtWrite},
	} {
		if err := m.Setup(op); err != nil {
			panic(err)
		}
	}
	reader, writer := mm.NewTask(m, 0, 0), mm.NewTask(m, 1, 0)
	// Prepare anon_vmas, so first faults do not retry under mmap_lock.
	for _, addr := range []uint64{a, b, c} {
		if err := s.Fault(reader, addr); err != nil {
			panic(err)
		}
	}
	op := mm.Op{Kind: mm.OpMprotect, Start: c, Len: page, Prot: mm.ProtRead}
	if touchHeld {
		op = mm.Op{Kind: mm.OpMprotect, Start: b, Len: 2 * span, Prot: mm.ProtRead | mm.ProtExec}
	}

	holding := make(chan struct{})
	queued := make(chan struct{})
	readerDone := make(chan struct{})
	var faultStart atomic.Int64
	go func() {
		defer close(readerDone)
		r, err := s.Lookup(reader, a)
		if err != nil {
			panic(err)
		}
		close(holding)
		<-queued
		faultStart.Store(time.Now().UnixNano())
		_ = s.FaultKernel(reader, b+page) // copy_from_user() on B
		s.Release(reader, r)
	}()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		<-holding
		_ = s.Write(writer, op)
	}()
	// Wait until the writer is blocked: on mmap_lock behind the reader, or
	// on A's readers after write-locking B; or until it is done, where it
	// never blocks (nolock, or an unrelated writer). Not for a fixed time:
	// on a loaded machine the writer's goroutine may not have run at all
	// by then, and a reader that faults before the writer queues is a
	// scenario without the deadlock. writerStart bounds a writer that
	// neither blocks nor finishes (a livelock), which the reader's
	// watchdog below then reports.
	<-holding
	deadline := time.Now().Add(writerStart)
	for time.Now().Before(deadline) && !writerBlocked(m, writer) && !closed(writerDone) {
		time.Sleep(time.Millisecond)
	}
	close(queued)

	var res NestedResult
	last, lastChange := reader.Progress(), time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-readerDone:
			res.Detected = time.Since(time.Unix(0, faultStart.Load()))
			res.Violations = reader.Stats.Violations + writer.Stats.Violations
			res.Reader, res.Writer = describe(reader), describe(writer)
			return res
		case now := <-tick.C:
			if p := reader.Progress(); p != last {
				last, lastChange = p, now
			}
			if _, w := reader.LockInfo(); w != 0 && now.Sub(lastChange) >= quiet && faultStart.Load() != 0 {
				res.Deadlocked = true
				res.Detected = now.Sub(time.Unix(0, faultStart.Load()))
				res.Reader, res.Writer = describe(reader), describe(writer)
				return res
			}
		}
	}
}

// writerStart is how long NestedFault waits for its writer to block or
// finish before the reader faults: far longer than either takes (well
// under a millisecond on an idle machine), so that only a writer that
// does neither reaches it.
const writerStart = 10 * time.Second

// closed reports whether c is closed, without blocking.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// writerBlocked reports whether the writer is blocked where the scenario
// needs it: waiting for a VMA's readers (it has write-locked the VMAs below,
// B among them), or queued on mmap_lock, which the rwsem's count shows (a
// bit of RWSemReadFailedMask turns new readers away), and which a writer
// that just got the lock would no longer claim a millisecond later. A
// strategy whose writer never blocks (nolock, an unrelated writer) leaves
// the caller to its deadline.
func writerBlocked(m *mm.MM, writer *mm.Task) bool {
	switch _, w := writer.LockInfo(); w {
	case mm.VMAWrite:
		return true
	case mm.MmapWrite:
		if m.MmapLock.Count()&mm.RWSemReadFailedMask == 0 {
			return false
		}
		time.Sleep(time.Millisecond)
		held, w := writer.LockInfo()
		return held == 0 && w == mm.MmapWrite
	}
	return false
}

// CountErrors returns how many errors err joins (errors.Join), 1 for a
// single error and 0 for nil.
func CountErrors(err error) uint64 {
	if err == nil {
		return 0
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return uint64(len(j.Unwrap()))
	}
	return 1
}

func describe(t *mm.Task) string {
	held, waiting := t.LockInfo()
	return fmt.Sprintf("holds %v, waits for %v", held, waiting)
}
