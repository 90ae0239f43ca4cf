package explore

import (
	"fmt"
	"slices"
)

// DFS enumerates every schedule with at most Bound preemptions, one run at
// a time, depth first, as CHESS's iterative context bounding does: a
// preemption is a switch away from a thread that could have gone on (cur
// is runnable and another runs); a switch when the running thread blocks
// or finishes is free. The first run takes the default at every point (go
// on with cur, else the lowest runnable id); each later run replays a
// prefix of the previous one and takes the next alternative at its last
// point that has one.
//
// The model must be deterministic: the same choices must meet the same
// scheduling points. A run that does not (a different runnable set at a
// replayed point) is reported by Err.
//
//	d := explore.NewDFS(2)
//	for {
//		run(d) // one run with d as the policy
//		if !d.Advance() {
//			break // every schedule within the bound has run
//		}
//	}
type DFS struct {
	// Bound is the most preemptions a schedule may have.
	Bound int

	stack []frame
	depth int // the next point's index in this run
	err   error
	runs  int
}

// frame is one scheduling point of the current run.
type frame struct {
	runnable []int
	cur      int
	options  []int // choices in the order they are tried: the default first
	choice   int   // index in options
	pre      int   // preemptions before this point
}

// NewDFS returns a search with at most bound preemptions per schedule.
func NewDFS(bound int) *DFS { return &DFS{Bound: bound, runs: 1} }

// preempts reports whether running id at f is a preemption.
func (f *frame) preempts(id int) bool {
	return f.cur >= 0 && id != f.cur && slices.Contains(f.runnable, f.cur)
}

// Next returns the choice at this point of the run.
func (d *DFS) Next(runnable []int, cur int) int {
	i := d.depth
	d.depth++
	if i < len(d.stack) {
		f := &d.stack[i]
		if d.err == nil && (f.cur != cur || !slices.Equal(f.runnable, runnable)) {
			d.err = fmt.Errorf("run %d, step %d: the model is not deterministic: the earlier run had CPU %d at this point with %v runnable, this one CPU %d with %v",
				d.runs, i, f.cur, f.runnable, cur, runnable)
		}
		if id := f.options[f.choice]; slices.Contains(runnable, id) {
			return id
		}
		return runnable[0]
	}
	pre := 0
	if i > 0 {
		p := &d.stack[i-1]
		pre = p.pre
		if p.preempts(p.options[p.choice]) {
			pre++
		}
	}
	f := frame{runnable: slices.Clone(runnable), cur: cur, pre: pre}
	if cur >= 0 && slices.Contains(runnable, cur) {
		f.options = append(f.options, cur)
		if pre < d.Bound {
			for _, id := range runnable {
				if id != cur {
					f.options = append(f.options, id)
				}
			}
		}
	} else {
		f.options = slices.Clone(runnable)
	}
	d.stack = append(d.stack, f)
	return f.options[0]
}

// Advance ends the current run and prepares the next schedule; it reports
// false once every schedule within the bound has run.
func (d *DFS) Advance() bool {
	if d.err == nil && d.depth < len(d.stack) {
		d.err = fmt.Errorf("run %d ended after %d steps, before the %d it replays: the model is not deterministic", d.runs, d.depth, len(d.stack))
	}
	d.depth = 0
	for len(d.stack) > 0 {
		f := &d.stack[len(d.stack)-1]
		if f.choice+1 < len(f.options) {
			f.choice++
			d.runs++
			return true
		}
		d.stack = d.stack[:len(d.stack)-1]
	}
	return false
}

// Runs returns how many runs the search has started.
func (d *DFS) Runs() int { return d.runs }

// Err returns the first sign that the model is not deterministic, or nil.
func (d *DFS) Err() error { return d.err }
