package mm

import (
	"testing"

	"vmabench/sim"
)

// TestSpins: calibrated ns become spin iterations at the given rate, half
// of each entry/exit cost on either side of the lock; without a rate
// (uncalibrated) every count is 0.
func TestSpins(t *testing.T) {
	w := Work{Trap: 100, Fault: 1000, Syscall: 200, Zap: 50, Mmap: 300, Munmap: 60, MunmapTail: 40, Mprotect: 700, Mincore: 900, MincoreOut: 150}
	tests := []struct {
		name string
		rate float64
		want Spins
	}{
		{"uncalibrated", 0, Spins{}},
		{"1 per ns", 1, Spins{TrapHalf: 50, Fault: 1000, SyscallHalf: 100, Zap: 50, Mmap: 300, Munmap: 60, MunmapTail: 40, Mprotect: 700, Mincore: 900, MincoreOutHalf: 75}},
		{"2.5 per ns", 2.5, Spins{TrapHalf: 125, Fault: 2500, SyscallHalf: 250, Zap: 125, Mmap: 750, Munmap: 150, MunmapTail: 100, Mprotect: 1750, Mincore: 2250, MincoreOutHalf: 188}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := w
			w.IterPerNs = tt.rate
			if got := w.Spins(); got != tt.want {
				t.Errorf("Spins() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSpin: the spin's result depends on every iteration (so the compiler
// cannot drop the loop), and no iterations leave the seed as it is.
func TestSpin(t *testing.T) {
	if Spin(0, 7) != 7 {
		t.Error("Spin(0) changed its seed")
	}
	a, b := Spin(1000, 7), Spin(1001, 7)
	if a == b || a == 7 {
		t.Errorf("Spin(1000) = %d, Spin(1001) = %d: want distinct results", a, b)
	}
	if r := SpinRate(); !(r > 0) {
		t.Errorf("SpinRate() = %v, want a positive rate", r)
	}
}

// TestShootdown: a flush interrupts the MM's other threads once each, not
// the flusher; a thread that slept on a lock forgets the flushes it missed;
// alone in its MM, or uncalibrated, a thread sends none.
func TestShootdown(t *testing.T) {
	w := Work{IPISend: 10, IPIRecv: 5, IterPerNs: 1}
	m := New(Config{Pages: 64})
	a, b := NewTask(m, 0, 0), NewTask(m, 1, 0)
	a.Work, b.Work = w.Spins(), w.Spins()
	a.Shootdown()
	a.Shootdown()
	if got := m.shootdowns.Load(); got != 2 {
		t.Fatalf("shootdowns = %d, want 2", got)
	}
	if a.shootSeen != 2 {
		t.Errorf("the flusher has seen %d of its own flushes, want 2: it does not interrupt itself", a.shootSeen)
	}
	b.Interrupts()
	if b.shootSeen != 2 {
		t.Errorf("the other thread took %d interrupts, want 2", b.shootSeen)
	}
	a.Shootdown()
	b.Waited() // it slept meanwhile
	if b.shootSeen != 3 {
		t.Errorf("after sleeping the thread owes %d interrupts, want none", 3-b.shootSeen)
	}

	alone := New(Config{Pages: 64})
	c := NewTask(alone, 0, 0)
	c.Work = w.Spins()
	c.Shootdown()
	if alone.shootdowns.Load() != 0 {
		t.Error("a thread alone in its MM sent a shoot-down")
	}
	d := NewTask(m, 2, 0) // uncalibrated
	d.Shootdown()
	if m.shootdowns.Load() != 3 {
		t.Error("an uncalibrated thread sent a shoot-down")
	}
}

// TestShootdownSkipsSleepers: a flush sends its IPI only to a thread that
// runs; one asleep in schedule() is in lazy TLB mode, which
// native_flush_tlb_multi() skips for a flush that freed no page tables.
// The send is read off a virtual CPU's clock.
func TestShootdownSkipsSleepers(t *testing.T) {
	const send = 1_000_000 // ns
	for _, tt := range []struct {
		name     string
		sleeping int32 // of the flusher's two siblings
		want     int64 // ns the flusher spins
	}{
		{"both run", 0, 2 * send},
		{"one asleep", 1, send},
		{"both asleep", 2, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{Pages: 64})
			a := NewTask(m, 0, 0)
			NewTask(m, 1, 0)
			NewTask(m, 2, 0)
			a.Work = Work{IPISend: send, IPIRecv: 1, IterPerNs: 1}.Spins()
			m.sleepers.Store(tt.sleeping)
			e := sim.New(sim.Config{})
			var start int64
			c := e.Go(func(*sim.CPU) { start = sim.Now(); a.Shootdown() })
			a.SetCPU(c)
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			if got := (c.Clock() - start) / 1000; got < tt.want || got > tt.want+1000 {
				t.Errorf("the flusher spun %d ns, want %d", got, tt.want)
			}
			if m.shootdowns.Load() != 1 {
				t.Errorf("shootdowns = %d, want 1 (a flush without IPIs is still a flush)", m.shootdowns.Load())
			}
		})
	}
}

// TestMprotectFlush: an mprotect that changes present pages flushes the
// TLB; one over pages never faulted has nothing to flush.
func TestMprotectFlush(t *testing.T) {
	m := New(Config{Pages: 1 << 12})
	const base = 1 << 20
	if err := m.Setup(Op{Kind: OpMmap, Start: base, Len: 8 * PageSize, Prot: ProtRead | ProtWrite}); err != nil {
		t.Fatal(err)
	}
	w, r := NewTask(m, 0, 0), NewTask(m, 1, 0)
	w.Work = Work{IPISend: 1, IPIRecv: 1, IterPerNs: 1}.Spins()
	v := m.FindVMA(base)
	HandleFault(r, v, base+2*PageSize, 0)
	for _, tt := range []struct {
		page  uint64
		flush uint64
	}{{1, 0}, {2, 1}} {
		before := m.shootdowns.Load()
		for _, p := range []Prot{ProtRead, ProtRead | ProtWrite} {
			c, err := m.Prepare(w, Op{Kind: OpMprotect, Start: base + tt.page*PageSize, Len: PageSize, Prot: p})
			if err != nil {
				t.Fatal(err)
			}
			m.Commit(w, c)
		}
		if got := m.shootdowns.Load() - before; got != 2*tt.flush {
			t.Errorf("mprotect of page %d back and forth: %d flushes, want %d", tt.page, got, 2*tt.flush)
		}
	}
}

// TestNeedReschedFreeOnVirtualCPUs: need_resched() tests the spinner's own
// TIF_NEED_RESCHED, no shared line, so on a virtual CPU the model's look at
// the MM's run counts must neither cost the CPU a line transfer nor be a
// scheduling point, even when another CPU wrote those counts last.
func TestNeedReschedFreeOnVirtualCPUs(t *testing.T) {
	m := New(Config{Pages: 16, SimCPUs: 1})
	a := NewTask(m, 0, 0)
	NewTask(m, 1, 0)
	var before, after int64
	e := sim.New(sim.Config{Model: sim.NewCoherence(sim.Costs{CPUs: 2, Sockets: 1, Transfer: 100_000, RMWTransfer: 100_000, RMW: 1_000, Pause: 1}, 1)})
	e.Go(func(*sim.CPU) {
		m.sleepers.Store(0) // the line is this CPU's; the spinner must pull it to load it
	})
	c := e.Go(func(*sim.CPU) {
		sim.Advance(1_000_000)
		before = sim.Now()
		a.needResched(before, 16)
		after = sim.Now()
	})
	a.SetCPU(c)
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("needResched cost the spinner %d ps, want 0", after-before)
	}
}

// TestLazyFlushOnWake: a thread that slept through a TLB flush of its MM,
// or went to sleep while one was in flight, pays TLBLazy when it wakes (its
// lazy CPU flushes on the switch back), and pays it at its next operation
// (Interrupts), back in user space, not in schedule(), where it may hold
// the lock it was woken with; one whose sleep saw no flush pays nothing. The cost is read off the virtual
// clocks: from the waker's wake_up_process() to the sleeper running again.
func TestLazyFlushOnWake(t *testing.T) {
	const lazy = 1_000_000 // ns
	for _, tt := range []struct {
		name     string
		flush    bool  // while the sleeper sleeps
		inFlight bool  // begun while it ran, its IPI answered once it sleeps
		want     int64 // ns the sleeper spins on waking
	}{
		{"flush while asleep", true, false, lazy},
		{"flush in flight when it slept", false, true, lazy},
		{"no flush", false, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{Pages: 64})
			sleeper, flusher := NewTask(m, 0, 0), NewTask(m, 1, 0)
			w := Work{IPISend: 1, IPIRecv: 1, TLBLazy: lazy, IterPerNs: 1}.Spins()
			sleeper.Work, flusher.Work = w, w
			e := sim.New(sim.Config{})
			var woken, back, running int64 // ps
			if tt.inFlight {
				flusher.Work.IPISend = 2 * lazy // the sleeper runs when it begins
			}
			cs := e.Go(func(*sim.CPU) {
				sim.Advance(1_000_000)
				sleeper.setCurrentState()
				sleeper.schedule()
				back = sim.Now()
				sleeper.Interrupts()
				running = sim.Now()
			})
			cf := e.Go(func(*sim.CPU) {
				if tt.inFlight {
					flusher.Shootdown()
				}
				sim.Advance(2_000_000)
				if tt.flush {
					flusher.Shootdown()
				}
				woken = sim.Now()
				wakeUpProcess(sleeper)
			})
			sleeper.SetCPU(cs)
			flusher.SetCPU(cf)
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			// A few loads and the wake-up's own cost come on top.
			if got := (back - woken) / 1000; got > 100 {
				t.Errorf("schedule() returned %d ns after the wake-up, want under 100: the refill is owed to user space", got)
			}
			if got := (running - back) / 1000; got < tt.want || got > tt.want+100 {
				t.Errorf("the next operation paid %d ns on waking, want %d", got, tt.want)
			}
		})
	}
}

// TestColdSpins: a mapping's share of FaultColdLarge grows with the
// logarithm of its size from ColdFromBytes (none) to ColdBytes (all), and
// stays whole past it.
func TestColdSpins(t *testing.T) {
	w := Work{FaultColdLarge: 1000, IterPerNs: 2}
	for _, tc := range []struct {
		bytes uint64
		want  int64
	}{
		{0, 0},
		{1 << 20, 0},
		{ColdFromBytes, 0},
		{8 << 20, 800},   // 2 of 5 doublings: 400 ns
		{32 << 20, 1600}, // 4 of 5: 800 ns
		{ColdBytes, 2000},
		{128 << 20, 2000},
	} {
		if got := w.ColdSpins(tc.bytes); got != tc.want {
			t.Errorf("ColdSpins(%d) = %d, want %d", tc.bytes, got, tc.want)
		}
	}
	if got := (Work{FaultColdLarge: 1000}).ColdSpins(ColdBytes); got != 0 {
		t.Errorf("with no spin rate: ColdSpins = %d, want 0", got)
	}
}
