package mm

import (
	"errors"
	"strings"
	"testing"
)

// TestConcurrentWriterRefused: a second writer between Prepare and Commit
// (possible only without mmap_lock) is refused and counted, and the first
// one's Commit frees the way again.
func TestConcurrentWriterRefused(t *testing.T) {
	m := New(Config{Pages: 64})
	a, b := NewTask(m, 0, 0), NewTask(m, 1, 0)
	c, err := m.Prepare(a, Op{Kind: OpMmap, Start: 0, Len: 4 * P, Prot: ProtRead})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Prepare(b, Op{Kind: OpMmap, Start: 8 * P, Len: 4 * P, Prot: ProtRead}); !errors.Is(err, ErrConcurrentWriter) {
		t.Errorf("second Prepare = %v, want ErrConcurrentWriter", err)
	}
	if b.Stats.Violations != 1 {
		t.Errorf("violations = %d, want 1", b.Stats.Violations)
	}
	m.Commit(a, c)
	if _, err := m.Prepare(b, Op{Kind: OpMmap, Start: 8 * P, Len: 4 * P, Prot: ProtRead}); err != nil {
		t.Errorf("Prepare after Commit = %v", err)
	}
}

// TestAssertStable: the checker's entry assertion catches each way a held
// VMA can be wrong, and only those.
func TestAssertStable(t *testing.T) {
	tests := []struct {
		name  string
		addr  uint64
		other bool       // the holder is a thread of another MM
		spoil func(*VMA) // what went wrong with the VMA
		want  string     // in the violation; "" for none
	}{
		{name: "stable", addr: 2 * P},
		{name: "detached", addr: 2 * P, spoil: func(v *VMA) { v.Detached.Store(true) }, want: "while it is detached"},
		{name: "freed", addr: 2 * P, spoil: func(v *VMA) { v.freed.Store(true) }, want: "while it is detached"},
		{name: "changing", addr: 2 * P, spoil: func(v *VMA) { v.changing.Add(1) }, want: "while a writer changes it"},
		{name: "other-mm", addr: 2 * P, other: true, want: "of another MM"},
		{name: "outside", addr: 6 * P, want: "does not cover"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{Pages: 64})
			if err := m.Setup(Op{Kind: OpMmap, Start: 0, Len: 4 * P, Prot: ProtRead}); err != nil {
				t.Fatal(err)
			}
			v := m.FindVMA(0)
			if tt.spoil != nil {
				tt.spoil(v)
			}
			task := NewTask(m, 0, 0)
			if tt.other {
				task = NewTask(New(Config{Pages: 64}), 0, 0)
			}
			task.AssertStable(v, tt.addr)
			switch got := task.FirstViolation(); {
			case tt.want == "" && got != "":
				t.Errorf("violation %q on a stable VMA", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("violation %q, want one saying %q", got, tt.want)
			}
		})
	}
}

// TestCommitMarks: while Commit changes a VMA, a reader holding it sees the
// writer's mark (HandleFault counts a violation), and a reader that held it
// across the whole change sees its generation moved.
func TestCommitMarks(t *testing.T) {
	m := New(Config{Pages: 64})
	if err := m.Setup(Op{Kind: OpMmap, Start: 0, Len: 8 * P, Prot: ProtRead | ProtWrite}); err != nil {
		t.Fatal(err)
	}
	during, across, writer := NewTask(m, 0, 0), NewTask(m, 1, 0), NewTask(m, 2, 0)
	v := m.FindVMA(0)
	gen := across.AssertStable(v, P)
	SetHook(func(p Point, _ *Task, _ *VMA) {
		if p == PointCommit {
			HandleFault(during, v, P, 0)
		}
	})
	defer SetHook(nil)
	c, err := m.Prepare(writer, Op{Kind: OpMprotect, Start: 4 * P, Len: 4 * P, Prot: ProtRead})
	if err != nil {
		t.Fatal(err)
	}
	m.Commit(writer, c)
	if msg := during.FirstViolation(); !strings.Contains(msg, "while a writer changes it") {
		t.Errorf("fault inside Commit: violation %q, want the writer's mark seen", msg)
	}
	across.AssertUnchanged(v, gen)
	if msg := across.FirstViolation(); !strings.Contains(msg, "changed while held") {
		t.Errorf("held across Commit: violation %q, want the change seen", msg)
	}
	// The mark is cleared after Commit: a new holder is fine.
	after := NewTask(m, 3, 0)
	after.AssertUnchanged(v, after.AssertStable(v, P))
	if after.Stats.Violations != 0 {
		t.Errorf("after Commit: %s", after.FirstViolation())
	}
}
