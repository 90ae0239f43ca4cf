package explore

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// policy is what the fake scheduler asks; sim.Policy has the same method.
type policy interface {
	Next(runnable []int, cur int) int
}

// fake is a tiny stand-in for sim's scheduler: thread i has steps[i]
// steps; a thread whose next step waits on another thread's progress
// (waits) is blocked until then. It returns the run's steps, labelled
// "t<i>.<step>".
type fake struct {
	steps []int
	// waits[i][s] = (j, m): thread i's step s waits until thread j has
	// done m steps.
	waits map[[2]int][2]int
}

func (f fake) run(p policy) []Step {
	done := make([]int, len(f.steps))
	var out []Step
	cur := -1
	for {
		var runnable []int
		for i, n := range f.steps {
			if done[i] == n {
				continue
			}
			if w, ok := f.waits[[2]int{i, done[i]}]; ok && done[w[0]] < w[1] {
				continue
			}
			runnable = append(runnable, i)
		}
		if len(runnable) == 0 {
			return out
		}
		if cur >= 0 && !slices.Contains(runnable, cur) {
			cur = -1 // blocked or finished
		}
		id := p.Next(runnable, cur)
		if !slices.Contains(runnable, id) {
			panic(fmt.Sprintf("policy chose %d, not in %v", id, runnable))
		}
		out = append(out, Step{CPU: id, Label: fmt.Sprintf("t%d.%d", id, done[id])})
		done[id]++
		cur = id
	}
}

// preemptions counts a schedule's switches away from a thread that could
// have gone on, as DFS does (the fake has no blocking here).
func preemptions(f fake, order []int) int {
	done := make([]int, len(f.steps))
	n := 0
	for i, id := range order {
		if i > 0 && order[i-1] != id && done[order[i-1]] < f.steps[order[i-1]] {
			n++
		}
		done[id]++
	}
	return n
}

// all enumerates every interleaving of f (no waits).
func all(f fake) [][]int {
	var out [][]int
	left := slices.Clone(f.steps)
	var rec func(prefix []int)
	rec = func(prefix []int) {
		any := false
		for i := range left {
			if left[i] > 0 {
				any = true
				left[i]--
				rec(append(slices.Clone(prefix), i))
				left[i]++
			}
		}
		if !any {
			out = append(out, prefix)
		}
	}
	rec(nil)
	return out
}

func cpus(steps []Step) []int {
	out := make([]int, len(steps))
	for i, s := range steps {
		out[i] = s.CPU
	}
	return out
}

// TestDFSVisitsEachBoundedScheduleOnce: for each bound, the search runs
// exactly the schedules with at most that many preemptions, each once.
func TestDFSVisitsEachBoundedScheduleOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []int
	}{
		{"2x3", []int{3, 3}},
		{"3x2", []int{2, 2, 2}},
		{"1x4+2", []int{4, 2}},
	} {
		for bound := 0; bound <= 3; bound++ {
			t.Run(fmt.Sprintf("%s/bound=%d", tc.name, bound), func(t *testing.T) {
				f := fake{steps: tc.steps}
				want := map[string]bool{}
				for _, o := range all(f) {
					if preemptions(f, o) <= bound {
						want[fmt.Sprint(o)] = true
					}
				}
				got := map[string]bool{}
				d := NewDFS(bound)
				for {
					k := fmt.Sprint(cpus(f.run(d)))
					if got[k] {
						t.Fatalf("schedule %s run twice", k)
					}
					got[k] = true
					if !d.Advance() {
						break
					}
				}
				if err := d.Err(); err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) || d.Runs() != len(want) {
					t.Fatalf("ran %d schedules (%d runs), want the %d with <= %d preemptions", len(got), d.Runs(), len(want), bound)
				}
				for k := range want {
					if !got[k] {
						t.Errorf("schedule %s not run", k)
					}
				}
			})
		}
	}
}

// TestDFSBlockingIsFree: a switch because the running thread blocked costs
// no preemption, so with bound 0 the search still finds the order in which
// thread 0 waits for thread 1.
func TestDFSBlockingIsFree(t *testing.T) {
	// Thread 0's step 1 waits for thread 1's 2 steps.
	f := fake{steps: []int{3, 2}, waits: map[[2]int][2]int{{0, 1}: {1, 2}}}
	d := NewDFS(0)
	var seen []string
	for {
		seen = append(seen, fmt.Sprint(cpus(f.run(d))))
		if !d.Advance() {
			break
		}
	}
	want := []string{"[0 1 1 0 0]", "[1 1 0 0 0]"}
	if !slices.Equal(seen, want) {
		t.Errorf("schedules %v, want %v", seen, want)
	}
}

// TestDFSNotDeterministic: a model whose runnable set changes between runs
// is reported, not explored silently.
func TestDFSNotDeterministic(t *testing.T) {
	d := NewDFS(1)
	fake{steps: []int{2, 2}}.run(d)
	d.Advance()
	fake{steps: []int{1, 2}}.run(d)
	d.Advance()
	if err := d.Err(); err == nil || !strings.Contains(err.Error(), "not deterministic") {
		t.Errorf("Err = %v, want a report that the model is not deterministic", err)
	}
}

// bugFound reports whether a run hit the fake's depth-2 bug: thread 1's
// step 1 runs between thread 0's steps 2 and 3 (two ordering constraints).
func bugFound(steps []Step) bool {
	at := map[string]int{}
	for i, s := range steps {
		at[s.Label] = i
	}
	return at["t0.2"] < at["t1.1"] && at["t1.1"] < at["t0.3"]
}

// TestPCTBound: over many seeds, PCT with d=2 finds the depth-2 bug at
// least as often as its bound 1/(n·k) promises (the runs are seeded, so
// the figure is fixed).
func TestPCTBound(t *testing.T) {
	f := fake{steps: []int{6, 4}}
	k := 10
	const runs = 4000
	found := 0
	for seed := range uint64(runs) {
		if bugFound(f.run(NewPCT(seed, 2, k, 2))) {
			found++
		}
	}
	p := PCTProbability(2, k, 2)
	if rate := float64(found) / runs; rate < p {
		t.Errorf("found the depth-2 bug in %.4f of runs, below the bound %.4f", rate, p)
	}
	// d=1 (no change point) runs one thread to the end first: never.
	for seed := range uint64(100) {
		if bugFound(f.run(NewPCT(seed, 2, k, 1))) {
			t.Fatalf("seed %d: d=1 found a depth-2 bug", seed)
		}
	}
}

func TestPCTDeterministic(t *testing.T) {
	f := fake{steps: []int{5, 5, 5}}
	a, b := f.run(NewPCT(7, 3, 15, 3)), f.run(NewPCT(7, 3, 15, 3))
	if !slices.Equal(a, b) {
		t.Errorf("seed 7 ran %v then %v", cpus(a), cpus(b))
	}
}

func TestBound(t *testing.T) {
	for _, tc := range []struct {
		n, k, d int
		want    float64
	}{
		{2, 100, 1, 0.5},
		{2, 100, 2, 0.005},
		{3, 100, 3, 1.0 / 30000},
	} {
		if got := PCTProbability(tc.n, tc.k, tc.d); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("PCTProbability(%d, %d, %d) = %g, want %g", tc.n, tc.k, tc.d, got, tc.want)
		}
	}
	if got, want := Missed(0.005, 1000), math.Pow(0.995, 1000); math.Abs(got-want) > 1e-12 {
		t.Errorf("Missed = %g, want %g", got, want)
	}
}

// TestReplayPolicy: a recorded run replays exactly through its text form; a
// changed model is reported at the step where it departs.
func TestReplayPolicy(t *testing.T) {
	f := fake{steps: []int{5, 4, 3}}
	rec := f.run(NewPCT(3, 3, 12, 3))
	s, err := ParseSchedule(ScheduleOf(rec).String())
	if err != nil {
		t.Fatal(err)
	}
	r := NewReplay(s)
	again := f.run(r)
	if err := r.Finish(again); err != nil || !slices.Equal(again, rec) {
		t.Fatalf("replay: %v, ran %v, want %v", err, cpus(again), cpus(rec))
	}

	for _, tc := range []struct {
		name string
		f    fake
		want string
	}{
		{"shorter thread", fake{steps: []int{5, 4, 2}}, "not runnable"},
		{"longer thread", fake{steps: []int{5, 4, 4}}, "past the schedule's last step"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReplay(s)
			steps := tc.f.run(r)
			if err := r.Finish(steps); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "step") {
				t.Errorf("Finish = %v, want an error naming the step, with %q", err, tc.want)
			}
		})
	}
	t.Run("changed labels", func(t *testing.T) {
		r := NewReplay(s)
		steps := f.run(r)
		steps[2].Label = "renamed()"
		if err := r.Finish(steps); err == nil || !strings.Contains(err.Error(), "not the recorded ones") {
			t.Errorf("Finish = %v, want the segment whose accesses changed", err)
		}
	})
}

func TestParseSchedule(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"0*37:1a2b.1*120:03ff.0*5:beef", ""},
		{"0*3.1*2", ""},
		{"", "empty"},
		{"0*0", "segment 1"},
		{"0*3.x*2", "segment 2"},
		{"0*3:12", "4 hex digits"},
	} {
		s, err := ParseSchedule(tc.in)
		switch {
		case tc.err == "" && (err != nil || s.String() != tc.in):
			t.Errorf("ParseSchedule(%q) = %v, %v; want it back", tc.in, s, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseSchedule(%q) error = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestInterleaving(t *testing.T) {
	steps := []Step{{0, "a"}, {0, "a"}, {1, "b"}, {0, "c"}}
	want := "  0-1         CPU 0  a ×2\n  2           CPU 1  b\n  3           CPU 0  c\n"
	if got := Interleaving(steps, 0); got != want {
		t.Errorf("Interleaving =\n%s\nwant\n%s", got, want)
	}
	if got := Interleaving(steps, 1); !strings.Contains(got, "2 more steps") {
		t.Errorf("Interleaving with limit 1 =\n%s", got)
	}
}
