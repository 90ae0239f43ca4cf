package explore

import (
	"fmt"
	"slices"
	"strings"

	"vmabench/strategies"
)

// Oracle is one of the checker's assertions, known by the text of the
// failure it reports.
type Oracle struct {
	Name string // the assertion, e.g. "AssertStable: detached"
	Text string // a part of its failure's text
	// Scenario is where nolock trips it soonest.
	Scenario string
}

// Oracles are the assertions the exploration judges designs by, each of
// which the nolock baseline, unsafe under writers, must trip somewhere in
// the scenarios: a checker shown to catch a real fault, and one that a
// change to the checker itself cannot silently blind.
var Oracles = []Oracle{
	{"AssertStable: a writer's mark (Commit)", ": holds VMA [%x, %x) for %x while a writer changes it", "fault-split"},
	{"AssertStable: range", "which does not cover", "fault-split"},
	{"AssertUnchanged: a writer inside the VMA (its mark)", "changed while held: a writer is inside it", "fault-split"},
	// A's range after the split: the VMA the writer modifies (Commit's
	// Touched), whose generation alone shows a change made and finished
	// while a fault held it.
	{"AssertUnchanged: a change begun and finished while held (the generation)", "VMA [0x4000, 0x8000) changed while held: generation", "fault-split"},
	{"step check: a Lookup's VMA changed or left the tree", "step check: thread", "lookup-split"},
	{"step check: a writer's mark on a VMA a Lookup holds (Commit)", "while a writer is inside it", "lookup-split"},
	{"AssertStable: detached or freed", "while it is detached", "fault-munmap"},
	{"Prepare: a second writer", "while another writer changes the address space", "two-writers-fault"},
	{"AssertStable: another MM (type-safe reuse)", "holds a VMA of another MM", "cross-mm-reuse"},
}

// matches reports whether a failure's text is o's. Text may hold %x for a
// hex number.
func (o Oracle) matches(msg string) bool {
	parts := strings.Split(o.Text, "%x")
	if len(parts) == 1 {
		return strings.Contains(msg, o.Text)
	}
	for i := 0; ; {
		j := strings.Index(msg[i:], parts[0])
		if j < 0 {
			return false
		}
		at, ok := i+j+len(parts[0]), true
		for _, p := range parts[1:] {
			for at < len(msg) && strings.ContainsRune("0123456789abcdefx", rune(msg[at])) {
				at++
			}
			if !strings.HasPrefix(msg[at:], p) {
				ok = false
				break
			}
			at += len(p)
		}
		if ok {
			return true
		}
		i += j + 1
	}
}

// CheckOracles explores the nolock baseline on the oracles' scenarios,
// DFS with at most two preemptions up to limit schedules each, then PCT,
// until every oracle has reported a failure; it returns the oracles that
// never did and the schedules it ran.
func CheckOracles(limit int) (missing []Oracle, schedules int, err error) {
	info, err := strategies.Get("nolock")
	if err != nil {
		return nil, 0, err
	}
	left := append([]Oracle(nil), Oracles...)
	var order []string
	for _, o := range Oracles {
		if !slices.Contains(order, o.Scenario) {
			order = append(order, o.Scenario)
		}
	}
	for _, name := range order {
		if len(left) == 0 {
			break
		}
		sc, err := ScenarioNamed(name)
		if err != nil {
			return nil, schedules, err
		}
		// PCT first, which varies the early choices DFS leaves for last,
		// then DFS.
		r := ExplorePCT(info, sc, PCTConfig{Runs: limit / 5, Depth: 2, Seed: 1, KeepGoing: func(err error) bool {
			left = slices.DeleteFunc(left, func(o Oracle) bool { return o.matches(err.Error()) })
			return len(left) > 0
		}})
		schedules += r.Runs
		d := NewDFS(2)
		for n := 0; n < limit && len(left) > 0; n++ {
			_, runErr := runOnce(info, sc, d, false)
			schedules++
			if runErr != nil {
				left = slices.DeleteFunc(left, func(o Oracle) bool { return o.matches(runErr.Error()) })
			}
			if !d.Advance() {
				break
			}
		}
	}
	return left, schedules, nil
}

func oracleNames(os []Oracle) string {
	var out []string
	for _, o := range os {
		out = append(out, fmt.Sprintf("%s (%q)", o.Name, o.Text))
	}
	return strings.Join(out, ", ")
}
