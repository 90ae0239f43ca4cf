// Package explore checks the models' correctness by exploring the
// interleavings of their threads on package sim's deterministic scheduler,
// where every access to shared model state is a scheduling point: it runs 2
// and 3 threads through short sequences of each design's callers, chooses at
// each point which thread goes on with a policy, and judges every run with
// the checker's oracles. A failing run is printed as a schedule that
// replays it exactly.
//
// The policies, each a sim.Policy:
//
//   - PCT, probabilistic concurrency testing (Burckhardt, Kothari,
//     Musuvathi and Nagarakatte, ASPLOS 2010), which gives a stated bound:
//     every run finds a given bug of depth d with probability at least
//     1/(n·k^(d-1)) for n threads and k steps;
//   - DFS, exhaustive search of every schedule with at most a given number
//     of preemptions (CHESS's iterative context bounding, Musuvathi and
//     Qadeer, PLDI 2007);
//   - Replay, which follows a recorded Schedule and says where a run
//     departs from it.
package explore

import (
	"math"
	"math/rand/v2"
	"slices"
)

// PCT is the PCT scheduler for one run. Every thread gets a distinct
// random priority from d to d+n-1, and d-1 change points are chosen
// uniformly among the steps 1..k; at each step the runnable thread with the
// highest priority runs, and at the i-th change point the running thread's
// priority drops to i, below every initial one. A bug of depth d (one
// that needs d ordering constraints between steps) is then found with
// probability at least 1/(n·k^(d-1)) (the paper's Theorem 9), provided no
// run takes more than k steps.
//
// Threads are the CPU ids the scheduler passes, 0 to n-1; an id beyond
// gets the lowest of the initial priorities' ranks, after the others.
type PCT struct {
	prio   []int // prio[id]: higher runs first
	change []int // the change points' steps, ascending
	value  []int // value[i]: the priority the change at change[i] gives
	step   int   // scheduling points seen so far
	n, d   int
}

// NewPCT returns the scheduler of one run, its random choices drawn from
// seed: n threads, at most k steps, depth d (at least 1).
func NewPCT(seed uint64, n, k, d int) *PCT {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	p := &PCT{n: n, d: d, prio: make([]int, n)}
	for i, id := range rng.Perm(n) {
		p.prio[id] = d + i
	}
	// d-1 distinct change points in [1, k]; change point i gets
	// priority i (1-based), in the order they are drawn.
	seen := map[int]bool{}
	type cp struct{ step, value int }
	var cps []cp
	for i := 1; i < d && len(seen) < k; i++ {
		s := 1 + rng.IntN(max(k, 1))
		for seen[s] {
			s = 1 + rng.IntN(k)
		}
		seen[s] = true
		cps = append(cps, cp{s, i})
	}
	slices.SortFunc(cps, func(a, b cp) int { return a.step - b.step })
	for _, c := range cps {
		p.change = append(p.change, c.step)
		p.value = append(p.value, c.value)
	}
	return p
}

func (p *PCT) priority(id int) int {
	for id >= len(p.prio) {
		p.prio = append(p.prio, -len(p.prio)) // below everything, in id order
	}
	return p.prio[id]
}

// Next runs the runnable thread of highest priority, first lowering the
// running thread's priority if this step is a change point.
func (p *PCT) Next(runnable []int, cur int) int {
	p.step++
	best := p.highest(runnable)
	for len(p.change) > 0 && p.change[0] <= p.step {
		// The running thread is the one that reached the point, or, if
		// it blocked, the one that would run now.
		running := best
		if cur >= 0 && slices.Contains(runnable, cur) {
			running = cur
		}
		p.priority(running)
		p.prio[running] = p.value[0]
		p.change, p.value = p.change[1:], p.value[1:]
		best = p.highest(runnable)
	}
	return best
}

func (p *PCT) highest(runnable []int) int {
	best := runnable[0]
	for _, id := range runnable[1:] {
		if p.priority(id) > p.priority(best) {
			best = id
		}
	}
	return best
}

// Steps returns how many scheduling points the run has passed.
func (p *PCT) Steps() int { return p.step }

// PCTProbability is PCT's lower bound on the chance that one run finds a
// given bug of depth d, with n threads and at most k steps: 1/(n·k^(d-1)).
func PCTProbability(n, k, d int) float64 {
	return 1 / (float64(n) * math.Pow(float64(k), float64(d-1)))
}

// Missed is the chance that runs independent runs, each finding a bug with
// probability at least p, all missed it: at most (1-p)^runs.
func Missed(p float64, runs int) float64 {
	return math.Exp(float64(runs) * math.Log1p(-p))
}
