package explore

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"vmabench/mm"
	"vmabench/sim"
	"vmabench/strategies"
)

// Pages is the size of every scenario's address space: small, so a fault
// of the checker's end-of-run pass is cheap and addresses read as pages.
const Pages = 64

// MaxSteps bounds one run: a run that takes more scheduling points than
// this is reported as a livelock (a spin that never ends), not waited for.
const MaxSteps = 200_000

// accessCost is what every access costs in an exploration's virtual time:
// 1 µs, so the kernel's time bounds (a writer's spin on a reader-owned
// lock, 10-25 µs; need_resched() after 1 ms of spinning; the handoff after
// 4 ms of waiting) come after tens to thousands of steps, not millions, and
// a run that reaches them stays short enough to explore.
const accessCost = 1_000_000 // ps

// holdSteps is how many accesses a thread of a bare rw-semaphore's
// scenario makes inside its critical section: more than a writer's spin on
// a reader-owned lock lets the readers make beside it before it gives up.
const holdSteps = 40

// exploreModel is the cost model of an exploration: every access costs
// accessCost, a wake-up nothing.
type exploreModel struct{}

func (exploreModel) Access(int, int64, uintptr, sim.Kind) int64 { return accessCost }
func (exploreModel) Wake(int64) (int64, int64)                  { return 0, 0 }

// recorder wraps a policy: it records each choice as a Step, labelled (when
// traced) with the function at whose access the chosen CPU stands, and
// makes a spinning CPU yield. At a cpu_relax() point (sim.Pause) the next
// runnable CPU in turn runs one step, then the spinner goes on: so a
// spinner never starves the thread it waits for (a wait_lock holder, an
// owner), and the others advance one step per spin iteration, as they would
// beside it on a machine, while the spin still times out (a writer's spin
// on readers) if they hold the lock long enough. These switches are no
// choice of the policy and no preemption; the policy is not asked at them.
type recorder struct {
	p      sim.Policy
	yield  bool // make spinners yield; off for a Replay, which has the yields recorded
	steps  []Step
	trace  bool
	at     [][6]uintptr // at[cpu]: where the CPU stands, from the trace
	labels map[[6]uintptr]string
	// back is the spinner to return to after a yield's one step, or -1;
	// yieldedTo[c] is whom c last yielded to, so its yields go round.
	back      int
	yieldedTo map[int]int
}

func (r *recorder) Next(runnable []int, cur int) int {
	id := -1
	if r.yield {
		id = r.spin(runnable, cur)
	}
	if id < 0 {
		id = r.p.Next(runnable, cur)
	}
	st := Step{CPU: id}
	if r.trace {
		st.Label = r.label(id)
	}
	r.steps = append(r.steps, st)
	return id
}

// spin returns the CPU a yield runs, or -1 where the policy decides.
func (r *recorder) spin(runnable []int, cur int) int {
	if b := r.back; b >= 0 {
		r.back = -1
		if slices.Contains(runnable, b) {
			return b
		}
	}
	if cur < 0 || len(runnable) < 2 || sim.Current() == nil || sim.Current().LastKind() != sim.Pause {
		return -1
	}
	if r.yieldedTo == nil {
		r.yieldedTo = map[int]int{}
	}
	last, ok := r.yieldedTo[cur]
	if !ok {
		last = cur
	}
	// The next runnable CPU after the last one cur yielded to, not cur.
	i, _ := slices.BinarySearch(runnable, last+1)
	id := runnable[i%len(runnable)]
	if id == cur {
		id = runnable[(i+1)%len(runnable)]
	}
	r.yieldedTo[cur], r.back = id, cur
	return id
}

// event is the trace hook: it notes where each CPU stands.
func (r *recorder) event(ev sim.Event) {
	for len(r.at) <= ev.CPU {
		r.at = append(r.at, [6]uintptr{})
	}
	r.at[ev.CPU] = ev.PCs
	if ev.Kind == sim.Block {
		r.at[ev.CPU][5] = 1 // marks "blocked here"; never a real return address
	}
}

func (r *recorder) label(cpu int) string {
	if cpu >= len(r.at) || r.at[cpu][0] == 0 {
		return "(start)"
	}
	pcs := r.at[cpu]
	if l, ok := r.labels[pcs]; ok {
		return l
	}
	blocked := pcs[5] == 1
	ev := sim.Event{PCs: pcs}
	if blocked {
		ev.PCs[5] = 0
	}
	l := kernelLabel(ev.Label())
	if blocked {
		l += " (woken)"
	}
	if r.labels == nil {
		r.labels = map[[6]uintptr]string{}
	}
	r.labels[pcs] = l
	return l
}

// kernelLabel shortens a model function's name and adds the kernel
// function it models, where the table knows it.
func kernelLabel(fn string) string {
	fn = strings.TrimPrefix(fn, "vmabench/")
	base := fn
	for { // a closure, fn.func1, is in its function
		i := strings.LastIndex(base, ".func")
		if i < 0 {
			break
		}
		base = base[:i]
	}
	if k, ok := kernelFuncs[base]; ok {
		return fn + " [" + k + "]"
	}
	return fn
}

// runOnce runs sc on a fresh instance of the design info under policy p
// (traced: with labels) and judges it with every oracle. It returns the
// run's steps and the first oracle failure, or nil.
func runOnce(info strategies.Info, sc Scenario, p sim.Policy, traced bool) ([]Step, error) {
	_, replay := p.(*Replay)
	rec := &recorder{p: p, trace: traced, yield: !replay, back: -1}
	h, err := newHarness(info, sc)
	if err != nil {
		return nil, err
	}
	mm.SetHook(h.point)
	defer mm.SetHook(nil)
	cfg := sim.Config{Policy: rec, Model: exploreModel{}, MaxSteps: MaxSteps, Check: h.check}
	if traced {
		cfg.Trace = rec.event
	}
	e := sim.New(cfg)
	for i, calls := range sc.Threads {
		t := mm.NewTask(h.mms[h.threadMM[i]], i, 0)
		t.Shown = func(v *mm.VMA, start, end uint64) { h.shown(t, v, start, end) }
		h.tasks = append(h.tasks, t)
		cpu := e.Go(func(*sim.CPU) {
			for _, c := range calls {
				if err := h.call(t, c); err != nil {
					h.fail(err)
					return
				}
			}
		})
		t.SetCPU(cpu)
		h.cpus = append(h.cpus, cpu)
	}
	runErr := e.Run()
	for _, t := range h.tasks {
		t.ReleaseOSQ() // the run's semaphores are done with
	}
	var dl *sim.DeadlockError
	switch {
	case errors.As(runErr, &dl):
		return rec.steps, fmt.Errorf("deadlock, or a lost wake-up: every unfinished thread sleeps and none can wake it: %w", runErr)
	case errors.Is(runErr, sim.ErrStepLimit):
		return rec.steps, fmt.Errorf("livelock: the run passed %d scheduling points without ending", MaxSteps)
	case runErr != nil: // the step oracle's (h.check), or the engine's
		return rec.steps, runErr
	}
	if h.err != nil {
		return rec.steps, h.err
	}
	return rec.steps, h.atRest()
}

// harness is one run's state: the design's instances (one per MM), the
// threads' tasks, the explicit oracles' state, and the first failure.
type harness struct {
	info     strategies.Info
	sc       Scenario
	designs  []strategies.Strategy
	mms      []*mm.MM
	threadMM []int
	tasks    []*mm.Task
	excl     excl
	// held[i] is the VMA thread i holds through Lookup, between the
	// Lookup's return and its Release, or nil.
	held []*heldVMA
	// fallbacks[i] counts thread i's faults that took mmap_lock
	// (mm.PointFaultLocked).
	fallbacks []int
	// maps[i] is thread i's maps read in progress, or nil.
	maps []*mapsRead
	// cpus[i] is thread i's virtual CPU, whom a point with no task
	// belongs to; walked[i] is what thread i's last walk found.
	cpus   []*sim.CPU
	walked []walk
	err    error
}

// walk is a reader's walk that found v (mm.PointWalked): the VMA's
// vm_lock_seq and the MM's mm_lock_seq at that step.
type walk struct {
	v          *mm.VMA
	vseq, mseq int64
}

// mapsRead is the oracle's state of one read of /proc/pid/maps: the
// position it has shown up to, and each VMA, with its range, that was the
// first VMA ending above that position at some step since the last line.
// A line must be one of them: lock_next_vma()'s promise, that each VMA it
// shows was, as shown, the next one at some instant (its range and gap
// re-checks keep it from showing a VMA reused behind the position, or one
// that moved up past a VMA installed before it).
type mapsRead struct {
	m    *mm.MM
	from uint64
	seen []mapsKey
}

type mapsKey struct {
	v          *mm.VMA
	start, end uint64
}

// point is the hook (mm.SetHook) of a run: it counts each thread's faults
// under mmap_lock, and is the early check's oracle.
//
// The early check: vma_start_read() compares vm_lock_seq with mm_lock_seq
// before it touches the VMA's lock or reference count, and refuses a VMA
// write-locked in the current write section without touching it, so that
// readers do not bounce the lock's line of a VMA a writer holds (the
// kernel's comment calls it a check whose result nothing relies on, and
// the re-check after the lock keeps the result right without it). A race
// may let a reader past it (the two loads straddle the writer's
// vma_start_write()); but if the VMA was write-locked when the reader's
// walk found it, and both sequences are unchanged when the reader passes
// the check (mm.PointSeqChecked), every load in between saw them equal,
// and the check must have refused it. Neither word goes back to a value it
// had within a write section, so unchanged means unchanged throughout.
// The nolock baseline has no early check to trip: the mutants
// vmaseq-no-early-check and refcnt-no-early-check are the real faults this
// oracle is shown on (make mutants).
func (h *harness) point(p mm.Point, t *mm.Task, v *mm.VMA) {
	switch p {
	case mm.PointFaultLocked:
		if t != nil && t.ID >= 0 && t.ID < len(h.fallbacks) {
			h.fallbacks[t.ID]++
		}
	case mm.PointWalked:
		if i := h.thread(); i >= 0 && v != nil {
			h.walked[i] = walk{v: v, vseq: v.LockSeq.Peek(), mseq: h.mms[h.threadMM[i]].LockSeq.Peek()}
		}
	case mm.PointSeqChecked:
		i := h.thread()
		if i < 0 {
			return
		}
		w := h.walked[i]
		h.walked[i] = walk{}
		if w.v == v && w.vseq == w.mseq && v.LockSeq.Peek() == w.vseq && h.mms[h.threadMM[i]].LockSeq.Peek() == w.mseq {
			h.fail(fmt.Errorf("thread %d: vma_start_read() passed its early check on VMA [%#x, %#x), write-locked (vm_lock_seq %d == mm_lock_seq) from its walk to the check: the lockless check must refuse it before the lock or the reference is touched", i, v.Start(), v.End(), w.vseq))
		}
	}
}

// thread returns the index of the thread running now, or -1 outside the
// run's threads (a scenario's set-up).
func (h *harness) thread() int {
	if !sim.On() {
		return -1
	}
	if c := sim.Current(); c != nil {
		for i, x := range h.cpus {
			if x == c {
				return i
			}
		}
	}
	return -1
}

// shown is a maps read's line (mm.Task.Shown): it must be a VMA seen next
// after the read's position since its last line.
func (h *harness) shown(t *mm.Task, v *mm.VMA, start, end uint64) {
	mr := h.maps[t.ID]
	if mr == nil {
		return
	}
	if !slices.Contains(mr.seen, mapsKey{v, start, end}) {
		h.fail(fmt.Errorf("thread %d: a maps read past %#x shows [%#x, %#x), which was at no step the next VMA there (lock_next_vma())", t.ID, mr.from, start, end))
	}
	mr.from, mr.seen = max(end, start+pg), mr.seen[:0]
}

// heldVMA is a VMA a Lookup holds, as it was when the Lookup returned.
type heldVMA struct {
	v          *mm.VMA
	m          *mm.MM
	addr       uint64
	start, end uint64
	prot       mm.Prot
}

// check is the oracle of every step (sim.Config.Check): no VMA a Lookup
// holds is being changed, or has changed, or has left the tree, and no two
// writers are inside one VMA.
func (h *harness) check() error {
	for i, hv := range h.held {
		if hv == nil {
			continue
		}
		v := hv.v
		switch {
		case v.Writers() != 0:
			return fmt.Errorf("step check: thread %d holds VMA [%#x, %#x) for %#x while a writer is inside it", i, hv.start, hv.end, hv.addr)
		case v.MM() != hv.m || v.Start() != hv.start || v.End() != hv.end || v.Prot() != hv.prot:
			return fmt.Errorf("step check: thread %d holds VMA [%#x, %#x) %v for %#x; it changed to [%#x, %#x) %v meanwhile", i, hv.start, hv.end, hv.prot, hv.addr, v.Start(), v.End(), v.Prot())
		case hv.m.FindVMA(hv.addr) != v:
			return fmt.Errorf("step check: thread %d holds VMA [%#x, %#x) for %#x, which has left the tree", i, hv.start, hv.end, hv.addr)
		}
	}
	for _, mr := range h.maps {
		if mr == nil {
			continue
		}
		if e, ok := mr.m.Tree().Next(mr.from); ok {
			k := mapsKey{e.VMA, e.VMA.Start(), e.VMA.End()}
			if !slices.Contains(mr.seen, k) {
				mr.seen = append(mr.seen, k)
			}
		}
	}
	// rwsem_optimistic_spin(): only the OSQ's head spins on a
	// semaphore's owner and count.
	for i, t := range h.tasks {
		s := t.SpinningOn()
		if s == nil {
			continue
		}
		for _, o := range h.tasks[i+1:] {
			if o.SpinningOn() == s {
				return fmt.Errorf("step check: threads %d and %d both spin on one rw-semaphore's owner; only the OSQ's head may (rwsem_optimistic_spin())", t.ID, o.ID)
			}
		}
	}
	perVMA, seqcount := h.info.Expect.PerVMA && !h.sc.RWSem, h.info.Expect.ReusesVMAs && !h.sc.RWSem
	for _, m := range h.mms {
		var err error
		seq := m.LockSeq.Load()
		m.Tree().Ascend(0, func(e mm.Entry) bool {
			v := e.VMA
			n := v.Writers()
			switch {
			case n > 1:
				err = fmt.Errorf("step check: %d writers inside VMA [%#x, %#x) at once", n, e.Start, e.End)
			case n != 0 && perVMA && v.LockSeq.Load() != seq:
				// vma_assert_write_locked(): a VMA is changed only
				// write-locked, vm_lock_seq == mm_lock_seq.
				err = fmt.Errorf("step check: VMA [%#x, %#x) is changed while not write-locked: vm_lock_seq %d, mm_lock_seq %d (vma_assert_write_locked())", e.Start, e.End, v.LockSeq.Load(), seq)
			case n != 0 && seqcount && seq&1 == 0:
				// v6.15+: mm_lock_seq is a seqcount, odd from
				// mmap_write_lock() to vma_end_write_all().
				err = fmt.Errorf("step check: VMA [%#x, %#x) is changed while mm_lock_seq %d is even (outside mm_lock_seqcount_begin() and _end())", e.Start, e.End, seq)
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	if seqcount {
		// vm_area_free(): vma_assert_detached(), and no reader can raise
		// a vm_refcnt of 0, so a VMA in the cache has none.
		var err error
		h.mms[0].Cache().EachFree(func(v *mm.VMA) bool {
			if r := v.Refcnt.Load(); r != 0 {
				err = fmt.Errorf("step check: a VMA in the cache (freed, last [%#x, %#x)) has vm_refcnt %#x, want 0 (vma_assert_detached())", v.Start(), v.End(), r)
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func newHarness(info strategies.Info, sc Scenario) (*harness, error) {
	h := &harness{info: info, sc: sc}
	n := max(sc.MMs, 1)
	var cache *mm.Cache
	if n > 1 {
		// One slab for every MM; the unsafe baseline gets type-safe
		// reuse, the worst case, so that a reader of its can meet a VMA
		// of another MM.
		cache = mm.NewCache(info.Expect.ReusesVMAs || info.Unsafe)
	}
	for range n {
		var m *mm.MM
		if sc.RWSem {
			m = mm.New(mm.Config{Pages: Pages, SimCPUs: sc.CPUs})
		} else {
			s := info.New(mm.Config{Pages: Pages, Cache: cache, SimCPUs: sc.CPUs})
			h.designs = append(h.designs, s)
			m = s.MM()
		}
		setup, own := sc.MMSetup[len(h.mms)]
		if !own {
			setup = sc.Setup
		}
		for _, op := range setup {
			if err := m.Setup(op); err != nil {
				return nil, fmt.Errorf("scenario %s: setup %v: %w", sc.Name, op, err)
			}
		}
		if len(sc.Prefault) > 0 && !sc.RWSem {
			// A thread of set-up, before the engine runs (sim is off).
			t := mm.NewTask(m, -1, 0)
			for _, page := range sc.Prefault {
				if own && m.FindVMA(page*pg) == nil {
					continue
				}
				if err := h.designs[len(h.designs)-1].Fault(t, page*pg); err != nil {
					return nil, fmt.Errorf("scenario %s: prefault page %d: %w", sc.Name, page, err)
				}
			}
		}
		h.mms = append(h.mms, m)
	}
	for i, calls := range sc.Threads {
		m := 0
		if len(calls) > 0 {
			m = calls[0].MM
		}
		for _, c := range calls {
			if c.MM != m {
				return nil, fmt.Errorf("scenario %s: thread %d calls into MMs %d and %d: a thread has one MM", sc.Name, i, m, c.MM)
			}
		}
		h.threadMM = append(h.threadMM, m)
	}
	h.held = make([]*heldVMA, len(sc.Threads))
	h.fallbacks = make([]int, len(sc.Threads))
	h.maps = make([]*mapsRead, len(sc.Threads))
	h.walked = make([]walk, len(sc.Threads))
	return h, nil
}

func (h *harness) fail(err error) {
	if h.err == nil {
		h.err = err
	}
}

// call makes one call for t, with the explicit checks of a held VMA.
func (h *harness) call(t *mm.Task, c Call) error {
	m := h.mms[c.MM]
	if h.sc.RWSem {
		return doRWSem(&m.MmapLock, &h.excl, t, c, func() {
			// The work under the lock: long enough that a writer's
			// spin on the readers (rwsem_rspin_threshold()) runs out
			// while they hold it, so it queues and sleeps.
			hold := h.sc.Hold
			if hold == 0 {
				hold = holdSteps
			}
			for range hold {
				_ = m.LockSeq.Load()
			}
		})
	}
	var held error
	if c.Kind == CallReadMaps {
		h.maps[t.ID] = &mapsRead{m: m}
		defer func() { h.maps[t.ID] = nil }()
	}
	err := do(h.designs[c.MM], h.info, h.sc, t, c, &h.fallbacks[t.ID], func(ref strategies.Ref) {
		v := ref.VMA
		h.held[t.ID] = &heldVMA{v: v, m: m, addr: c.Addr, start: v.Start(), end: v.End(), prot: v.Prot()}
		held = checkHeld(t, m, ref, c.Addr)
		h.held[t.ID] = nil
	})
	if err != nil {
		return err
	}
	if held != nil {
		return held
	}
	if t.Stats.Violations != 0 {
		return fmt.Errorf("thread %d: %v: %s", t.ID, c, t.FirstViolation())
	}
	return nil
}

// checkHeld is the explicit mutual-exclusion check of a VMA a Lookup
// holds: across two rounds of scheduling points, no writer is inside it
// (mm.VMA.Writers), its range, protection and MM stay as they were, and it
// is still the VMA the tree has at addr.
func checkHeld(t *mm.Task, m *mm.MM, ref strategies.Ref, addr uint64) error {
	v := ref.VMA
	start, end, prot := v.Start(), v.End(), v.Prot()
	for range 2 {
		switch {
		case v.Writers() != 0:
			return fmt.Errorf("thread %d holds VMA [%#x, %#x) for %#x while a writer changes it", t.ID, start, end, addr)
		case v.MM() != m || v.Start() != start || v.End() != end || v.Prot() != prot:
			return fmt.Errorf("thread %d holds VMA [%#x, %#x) %v for %#x; it changed to [%#x, %#x) %v meanwhile", t.ID, start, end, prot, addr, v.Start(), v.End(), v.Prot())
		case m.FindVMA(addr) != v:
			return fmt.Errorf("thread %d holds VMA [%#x, %#x) for %#x, which has left the tree", t.ID, start, end, addr)
		}
	}
	return nil
}

// atRest is the end-of-run oracle: the design's own invariants
// (strategies.Checker, which validates the tree) in every MM, the tree's
// for a design without that check, and no violation counted by any thread.
func (h *harness) atRest() error {
	var errs []error
	for i, m := range h.mms {
		switch {
		case h.sc.RWSem:
			if !m.MmapLock.Idle() {
				errs = append(errs, fmt.Errorf("the rw-semaphore is not idle at the end: count %#x", m.MmapLock.Count()))
			}
			if m.MmapLock.SpinnersQueued() {
				errs = append(errs, errors.New("the rw-semaphore's OSQ still has a spinner queued at the end, and no thread is left to spin"))
			}
		default:
			if c, ok := h.designs[i].(strategies.Checker); ok {
				if err := c.CheckIdle(); err != nil {
					errs = append(errs, fmt.Errorf("MM %d at rest: %w", i, err))
				}
			} else if err := m.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("MM %d at rest: %w", i, err))
			}
		}
	}
	for _, t := range h.tasks {
		if t.Stats.Violations != 0 {
			errs = append(errs, fmt.Errorf("thread %d: %s", t.ID, t.FirstViolation()))
		}
	}
	return errors.Join(errs...)
}

var (
	_ sim.Policy = (*PCT)(nil)
	_ sim.Policy = (*DFS)(nil)
	_ sim.Policy = (*Replay)(nil)
)
