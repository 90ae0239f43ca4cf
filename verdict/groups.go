package verdict

import (
	"fmt"
	"math"
	"slices"
)

// Groups is one side's repetitions split in two modes (SplitGroups):
// each group's smallest and largest figure and count, and Apart, the
// upper group's median over the lower group's.
type Groups struct {
	LoMin, LoMax, HiMin, HiMax float64
	LoN, HiN                   int
	Apart                      float64
}

// Split reports whether the repetitions fell in two groups.
func (g Groups) Split() bool { return g.LoN > 0 && g.HiN > 0 }

// Note says, for the line under a table that names side's split, where
// the groups lie, with figure formatting a figure as the table does and
// tol the row's tolerance as the table prints it: "the kernel's
// repetitions fell in two groups, 5.20µs-5.61µs (3) and 7.90µs-8.40µs (3),
// their medians 1.50x apart, more than the 1.25x tolerance: ...".
func (g Groups) Note(side string, figure func(float64) string, tol string) string {
	span := func(lo, hi float64) string {
		if a, b := figure(lo), figure(hi); a != b {
			return a + "-" + b
		}
		return figure(lo)
	}
	return fmt.Sprintf("the %s's repetitions fell in two groups, %s (%d) and %s (%d), their medians %.2fx apart,"+
		" more than the %sx tolerance: the ratio weighs how often each side ran in each mode",
		side, span(g.LoMin, g.LoMax), g.LoN, span(g.HiMin, g.HiMax), g.HiN, g.Apart, tol)
}

// MinGroup is the fewest repetitions SplitGroups puts in either group:
// one or two repetitions apart from the rest are outliers, not a mode,
// and the spread of two says too little of the mode's width.
const MinGroup = 3

// MinSeparation is the separation (Ashman's D) two groups must have for
// SplitGroups to call them two modes: how far apart their means lie
// against their spreads, sqrt(2)|m1-m2|/sqrt(s1^2+s2^2), of the figures'
// logarithms. A mixture of two normal modes is bimodal from D = 2, but
// the best split of a few draws of one mode is well separated by chance,
// so the bound is set by simulation: of 4000 sets of draws of one
// log-normal mode (sd 0.2), at most 3.6% split at D >= 6 at any count
// from 6 to 29 (none below 6), against 27% to 44% at D >= 4 with groups
// of two allowed, as five repetitions first had it; a 60/40 mixture of two
// modes 1.5x apart (sd 0.05 each) splits in 62% of sets of 8, 81% of 10
// and 95% of 15. Twenty figures spread evenly over a factor of 2 split at
// D = 3.4; the kernel writer's two modes below (SplitGroups) at D = 9.
const MinSeparation = 6

// SplitGroups splits xs in two modes, if they have two: it splits the
// sorted figures' logarithms where the two groups' means lie furthest
// apart for their sizes (Otsu's split: the most variance between the
// groups), with at least MinGroup figures in each, and calls them two
// modes if they are separated by MinSeparation and their medians lie
// more than tol (a ratio, the row's tolerance) apart. Otherwise it
// returns no split, as it does for fewer than 2*MinGroup figures, which
// cannot tell two modes from one wide one (five repetitions, validate's
// default, never split). A side that ran in two modes has a median that
// depends on how many repetitions fell in each, and so has the row's
// ratio: the kernel's own writer beside a mincore() reader (lookups-mmap,
// 2 threads, the 2-CPU VM) ran 119k-125k writes/s in 8 of 20 repetitions
// of one run and 179k-194k in 11, one at 153k between them. Figures
// must be positive.
func SplitGroups(xs []float64, tol float64) Groups {
	n := len(xs)
	if n < 2*MinGroup {
		return Groups{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if s[0] <= 0 {
		return Groups{}
	}
	l := make([]float64, n)
	for i, x := range s {
		l[i] = math.Log(x)
	}
	meanVar := func(v []float64) (m, sq float64) {
		for _, x := range v {
			m += x
		}
		m /= float64(len(v))
		for _, x := range v {
			sq += (x - m) * (x - m)
		}
		return m, sq / float64(len(v))
	}
	best, between := -1, -1.0
	for k := MinGroup; k <= n-MinGroup; k++ { // lower group l[:k]
		m0, _ := meanVar(l[:k])
		m1, _ := meanVar(l[k:])
		w0, w1 := float64(k)/float64(n), float64(n-k)/float64(n)
		if b := w0 * w1 * (m1 - m0) * (m1 - m0); b > between {
			best, between = k, b
		}
	}
	lo, hi := s[:best], s[best:]
	m0, v0 := meanVar(l[:best])
	m1, v1 := meanVar(l[best:])
	d := math.Inf(1)
	if v0+v1 > 0 {
		d = math.Sqrt2 * (m1 - m0) / math.Sqrt(v0+v1)
	}
	apart := median(hi) / median(lo)
	if d < MinSeparation || apart <= tol {
		return Groups{}
	}
	return Groups{LoMin: lo[0], LoMax: lo[len(lo)-1], HiMin: hi[0], HiMax: hi[len(hi)-1], LoN: len(lo), HiN: len(hi), Apart: apart}
}
