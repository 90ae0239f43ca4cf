package mutants

import (
	"slices"
	"testing"
)

// TestSchedulesRun: the runner reads the exploration's last count, and its
// account of the failure.
func TestSchedulesRun(t *testing.T) {
	out := []byte("=== RUN   TestMutant\nexplore: caught vmaseq/fault-split after 381 schedules in all: thread 0: boom\n--- FAIL: TestMutant\nexplore: 381 schedules\nFAIL\n")
	if n := schedulesRun(out); n != 381 {
		t.Errorf("schedulesRun = %d, want 381", n)
	}
	if got, want := exploreFailure(out), "vmaseq/fault-split after 381 schedules in all: thread 0: boom"; got != want {
		t.Errorf("exploreFailure = %q, want %q", got, want)
	}
	if n := schedulesRun([]byte("panic: test timed out after 10m0s\n")); n != 0 {
		t.Errorf("schedulesRun of a run that never reported = %d, want 0", n)
	}
}

// TestSummary: equivalent mutants count in neither total; the median is
// over the mutants the exploration caught.
func TestSummary(t *testing.T) {
	m := func(name string, equiv bool) Mutant {
		mu := Mutant{Name: name}
		if equiv {
			mu.Equivalent = "no bug"
		}
		return mu
	}
	s := Summary{Outcomes: []Outcome{
		{Mutant: m("mm-a", false), Caught: true, Explored: true, Schedules: 10},
		{Mutant: m("mm-b", false), Caught: true, Explored: true, Schedules: 30},
		{Mutant: m("mm-c", false), Caught: true, Schedules: 900, TimedOut: true},
		{Mutant: m("mm-d", false)},
		{Mutant: m("mm-e", true)},
		{Mutant: m("mm-f", true), Caught: true},
	}}
	if c, n := s.Caught(); c != 3 || n != 4 {
		t.Errorf("Caught = %d of %d, want 3 of 4", c, n)
	}
	if c, n, med := s.Explored(); c != 2 || n != 4 || med != 20 {
		t.Errorf("Explored = %d of %d, median %d; want 2 of 4, median 20", c, n, med)
	}
	for _, tc := range []struct {
		got, want []string
	}{
		{s.Slipped(), []string{"mm-d"}},
		{s.NotExplored(), []string{"mm-c", "mm-d"}},
		{s.TimedOut(), []string{"mm-c"}},
		{s.FalseAlarms(), []string{"mm-f"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("got %v, want %v", tc.got, tc.want)
		}
	}
}

// TestFirstFailure: the first failed test, with the message it logged
// (a subtest's where that is where it failed), or the first panic or
// file:line line when no test says FAIL.
func TestFirstFailure(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"--- FAIL: TestA (0.01s)\n    a_test.go:10: two heads at once\nFAIL\n", "TestA: a_test.go:10: two heads at once"},
		{"--- FAIL: TestB (0.01s)\n    --- FAIL: TestB/seed2 (0.00s)\n        b_test.go:7: no spinner unqueued\nFAIL\n", "TestB: b_test.go:7: no spinner unqueued"},
		{"--- FAIL: TestC (0.00s)\nFAIL\nok  \tvmabench/x\n", "TestC"},
		{"--- FAIL: TestD (0.00s)\n", "TestD"},
		{"panic: boom\n\ngoroutine 1 [running]:\nx.go:3 +0x1\n", "panic: boom"},
		{"", "the tests failed"},
	} {
		if got := firstFailure([]byte(tc.out)); got != tc.want {
			t.Errorf("firstFailure(%q) = %q, want %q", tc.out, got, tc.want)
		}
	}
}
