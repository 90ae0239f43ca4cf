package mm

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const P = PageSize

// layout prints the tree as "[start,end)prot ..." in pages.
func layout(m *MM) string {
	var b strings.Builder
	m.Tree().Ascend(0, func(e Entry) bool {
		fmt.Fprintf(&b, "[%d,%d)%v ", e.Start/P, e.End/P, e.VMA.Prot())
		return true
	})
	return strings.TrimSpace(b.String())
}

func TestChanges(t *testing.T) {
	rw, r := ProtRead|ProtWrite, ProtRead
	tests := []struct {
		name    string
		setup   []Op
		op      Op
		want    string
		touched int
		new     int
		removed int
		err     error
	}{
		{
			name: "mmap into empty",
			op:   Op{Kind: OpMmap, Start: 10 * P, Len: 4 * P, Prot: rw},
			want: "[10,14)rw-", new: 1,
		},
		{
			name:  "mmap over mapping",
			setup: []Op{{Kind: OpMmap, Start: 10 * P, Len: 4 * P, Prot: rw}},
			op:    Op{Kind: OpMmap, Start: 12 * P, Len: 4 * P, Prot: rw},
			err:   ErrExist,
		},
		{
			name: "mmap unaligned",
			op:   Op{Kind: OpMmap, Start: 10*P + 1, Len: 4 * P, Prot: rw},
			err:  ErrRange,
		},
		{
			name:  "munmap whole",
			setup: []Op{{Kind: OpMmap, Start: 10 * P, Len: 4 * P, Prot: rw}, {Kind: OpMmap, Start: 20 * P, Len: 4 * P, Prot: rw}},
			op:    Op{Kind: OpMunmap, Start: 10 * P, Len: 4 * P, Prot: 0},
			want:  "[20,24)rw-", touched: 1, removed: 1,
		},
		{
			name:  "munmap middle splits",
			setup: []Op{{Kind: OpMmap, Start: 10 * P, Len: 10 * P, Prot: rw}},
			op:    Op{Kind: OpMunmap, Start: 12 * P, Len: 2 * P, Prot: 0},
			want:  "[10,12)rw- [14,20)rw-", touched: 1, new: 1,
		},
		{
			name:  "munmap spanning two",
			setup: []Op{{Kind: OpMmap, Start: 10 * P, Len: 4 * P, Prot: rw}, {Kind: OpMmap, Start: 20 * P, Len: 4 * P, Prot: rw}},
			op:    Op{Kind: OpMunmap, Start: 12 * P, Len: 10 * P, Prot: 0},
			want:  "[10,12)rw- [22,24)rw-", touched: 2, new: 1, removed: 1,
		},
		{
			name:  "munmap hole",
			setup: []Op{{Kind: OpMmap, Start: 10 * P, Len: 4 * P, Prot: rw}},
			op:    Op{Kind: OpMunmap, Start: 30 * P, Len: 4 * P, Prot: 0},
			want:  "[10,14)rw-",
		},
		{
			name:  "mprotect middle splits in three",
			setup: []Op{{Kind: OpMmap, Start: 10 * P, Len: 10 * P, Prot: rw}},
			op:    Op{Kind: OpMprotect, Start: 12 * P, Len: 2 * P, Prot: r},
			want:  "[10,12)rw- [12,14)r-- [14,20)rw-", touched: 1, new: 2,
		},
		{
			name:  "mprotect back merges",
			setup: []Op{{Kind: OpMmap, Start: 10 * P, Len: 10 * P, Prot: rw}, {Kind: OpMprotect, Start: 12 * P, Len: 2 * P, Prot: r}},
			op:    Op{Kind: OpMprotect, Start: 12 * P, Len: 2 * P, Prot: rw},
			want:  "[10,20)rw-", touched: 3, removed: 2,
		},
		{
			name:  "mprotect same prot is no change",
			setup: []Op{{Kind: OpMmap, Start: 10 * P, Len: 10 * P, Prot: rw}},
			op:    Op{Kind: OpMprotect, Start: 12 * P, Len: 2 * P, Prot: rw},
			want:  "[10,20)rw-",
		},
		{
			name:  "mprotect head merges into prev",
			setup: []Op{{Kind: OpMmap, Start: 10 * P, Len: 4 * P, Prot: r}, {Kind: OpMmap, Start: 14 * P, Len: 4 * P, Prot: rw}},
			op:    Op{Kind: OpMprotect, Start: 14 * P, Len: 2 * P, Prot: r},
			want:  "[10,16)r-- [16,18)rw-", touched: 2, new: 1, removed: 1,
		},
		{
			name: "mprotect beyond the address space",
			op:   Op{Kind: OpMprotect, Start: 1 << 40, Len: P, Prot: r},
			err:  ErrRange,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{Pages: 1 << 12})
			for _, op := range tt.setup {
				if err := m.Setup(op); err != nil {
					t.Fatalf("setup %v: %v", op, err)
				}
			}
			task := NewTask(m, 0, 0)
			c, err := m.Prepare(task, tt.op)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Prepare(%v) error = %v, want %v", tt.op, err, tt.err)
			}
			if err != nil {
				// A refused change leaves the writer mark clear.
				if _, err := m.Prepare(task, Op{Kind: OpMmap, Start: 0, Len: P, Prot: ProtRead}); err != nil {
					t.Fatalf("Prepare after a refused change: %v", err)
				}
				return
			}
			if len(c.Touched) != tt.touched || len(c.New) != tt.new || len(c.Removed) != tt.removed {
				t.Errorf("touched, new, removed = %d, %d, %d; want %d, %d, %d",
					len(c.Touched), len(c.New), len(c.Removed), tt.touched, tt.new, tt.removed)
			}
			m.Commit(task, c)
			if got := layout(m); got != tt.want {
				t.Errorf("layout = %q, want %q", got, tt.want)
			}
			if err := m.Validate(); err != nil {
				t.Error(err)
			}
			for _, v := range c.New {
				if v.Refcnt.Load() != 1 || v.Detached.Load() {
					t.Errorf("new VMA [%#x, %#x) not attached", v.Start(), v.End())
				}
			}
		})
	}
}

func TestMunmapZapsPages(t *testing.T) {
	m := New(Config{Pages: 64})
	if err := m.Setup(Op{Kind: OpMmap, Start: 0, Len: 8 * P, Prot: ProtRead}); err != nil {
		t.Fatal(err)
	}
	task := NewTask(m, 0, 64)
	for a := uint64(0); a < 8*P; a += P {
		HandleFault(task, m.FindVMA(a), a, 0)
	}
	if task.Stats.Faults != 8 {
		t.Fatalf("faults = %d, want 8", task.Stats.Faults)
	}
	if err := m.Setup(Op{Kind: OpMunmap, Start: 2 * P, Len: 2 * P, Prot: 0}); err != nil {
		t.Fatal(err)
	}
	for a, want := range []bool{true, true, false, false, true, true, true, true} {
		if got := m.PagePresent(uint64(a) * P); got != want {
			t.Errorf("page %d present = %v, want %v", a, got, want)
		}
	}
}

func TestCacheReuse(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reuse=%v", reuse), func(t *testing.T) {
			c := NewCache(reuse)
			m := New(Config{Pages: 64, Cache: c})
			if err := m.Setup(Op{Kind: OpMmap, Start: 0, Len: 4 * P, Prot: ProtRead}); err != nil {
				t.Fatal(err)
			}
			old := m.FindVMA(0)
			if err := m.Setup(Op{Kind: OpMunmap, Start: 0, Len: 4 * P, Prot: 0}); err != nil {
				t.Fatal(err)
			}
			if err := m.Setup(Op{Kind: OpMmap, Start: 8 * P, Len: 4 * P, Prot: ProtRead}); err != nil {
				t.Fatal(err)
			}
			if got := m.FindVMA(8*P) == old; got != reuse {
				t.Errorf("freed VMA reused = %v, want %v", got, reuse)
			}
			if _, reuses := c.Stats(); (reuses > 0) != reuse {
				t.Errorf("cache reuses = %d", reuses)
			}
		})
	}
}

func TestFirstFaultNeedsMmapLock(t *testing.T) {
	m := New(Config{Pages: 64})
	if err := m.Setup(Op{Kind: OpMmap, Start: 0, Len: 4 * P, Prot: ProtRead}); err != nil {
		t.Fatal(err)
	}
	task := NewTask(m, 0, 0)
	v := m.FindVMA(0)
	m.MmapLock.DownWrite(task) // a writer holds mmap_lock: the trylock fails
	if r := HandleFault(task, v, 0, FaultFlagVMALock); r != FaultRetry {
		t.Fatalf("first fault under the VMA lock, mmap_lock taken = %v, want FaultRetry", r)
	}
	m.MmapLock.UpWrite(task)
	if v.HasAnonVMA() {
		t.Fatal("anon_vma prepared without mmap_lock")
	}
	if r := HandleFault(task, v, 0, FaultFlagVMALock); r != FaultDone {
		t.Fatalf("first fault under the VMA lock, mmap_lock free = %v, want FaultDone", r)
	}
	if !v.HasAnonVMA() {
		t.Fatal("anon_vma not prepared")
	}
	if !m.MmapLock.Idle() {
		t.Fatalf("HandleFault left mmap_lock held: count %#x", m.MmapLock.Count())
	}
}

func TestCheckerCatchesChange(t *testing.T) {
	m := New(Config{Pages: 64})
	if err := m.Setup(Op{Kind: OpMmap, Start: 0, Len: 8 * P, Prot: ProtRead | ProtWrite}); err != nil {
		t.Fatal(err)
	}
	reader, writer := NewTask(m, 0, 0), NewTask(m, 1, 0)
	v := m.FindVMA(0)
	gen := reader.AssertStable(v, 0)
	c, err := m.Prepare(writer, Op{Kind: OpMprotect, Start: 0, Len: 4 * P, Prot: ProtRead})
	if err != nil {
		t.Fatal(err)
	}
	m.Commit(writer, c)
	reader.AssertUnchanged(v, gen)
	if reader.Stats.Violations != 1 {
		t.Fatalf("violations = %d, want 1 for a VMA changed while held", reader.Stats.Violations)
	}
	if msg := reader.FirstViolation(); !strings.Contains(msg, "changed while held") {
		t.Errorf("first violation = %q", msg)
	}
	reader.AssertStable(v, 6*P) // v now ends at page 4
	if reader.Stats.Violations != 2 {
		t.Fatalf("violations = %d, want 2 after holding a VMA that does not cover the address", reader.Stats.Violations)
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	m := New(Config{Pages: 1 << 12})
	for i := uint64(0); i < 100; i++ {
		if err := m.Setup(Op{Kind: OpMmap, Start: i * 20 * P, Len: 10 * P, Prot: ProtRead}); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		if m.FindVMA(545*P) == nil {
			t.Fatal("no VMA at page 545")
		}
	})
	if allocs != 0 {
		t.Errorf("FindVMA allocates %v times per call, want 0", allocs)
	}
}

// TestStatsSub: Sub is Add undone, counter for counter, lock events too.
func TestStatsSub(t *testing.T) {
	base := Stats{VMALockSuccess: 1, VMALockAbort: 2, VMALockRetry: 3, VMALockMiss: 4, Faults: 5, Violations: 6,
		Lock: LockEvents{OptLock: 7, OptFail: 8, OptNospin: 9, SleepWriter: 10, WlockHandoff: 11, RlockSteal: 12, SleepReader: 13}}
	delta := Stats{VMALockSuccess: 10, VMALockAbort: 20, VMALockRetry: 30, VMALockMiss: 40, Faults: 50, Violations: 60,
		Lock: LockEvents{OptLock: 70, OptFail: 80, OptNospin: 90, SleepWriter: 100, WlockHandoff: 110, RlockSteal: 120, SleepReader: 130}}
	sum := base
	sum.Add(delta)
	if got := sum.Sub(base); got != delta {
		t.Errorf("(base+delta).Sub(base) = %+v, want %+v", got, delta)
	}
}
