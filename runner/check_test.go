package runner

import (
	"errors"
	"strings"
	"testing"

	"vmabench/mm"
	"vmabench/strategies"
)

// broken is a strategy whose end-of-run check fails twice.
type broken struct{ strategies.Strategy }

func (broken) CheckIdle() error {
	return errors.Join(errors.New("VMA left write-locked"), errors.New("mm_lock_seq odd"))
}

// TestCheckIdle: each invariant a model breaks at the end of a cell counts
// as a violation; a model at rest, and a strategy with no check, count none.
func TestCheckIdle(t *testing.T) {
	var r Result
	checkIdle(&r, broken{})
	if r.Violations != 2 || !strings.Contains(r.Detail, "left write-locked") {
		t.Errorf("broken model: %d violations (%q), want 2", r.Violations, r.Detail)
	}
	for _, name := range []string{"vmarefcnt", "nolock"} {
		info, err := strategies.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		s := info.New(mm.Config{})
		if err := s.MM().Setup(mm.Op{Kind: mm.OpMmap, Start: 16 * mm.PageSize, Len: 4 * mm.PageSize, Prot: mm.ProtRead}); err != nil {
			t.Fatal(err)
		}
		var r Result
		checkIdle(&r, s)
		if r.Violations != 0 {
			t.Errorf("%s at rest: %d violations: %s", name, r.Violations, r.Detail)
		}
	}
}
