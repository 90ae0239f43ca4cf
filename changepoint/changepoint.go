// Package changepoint finds the points where a series of measurements
// changes level: E-Divisive Means (Matteson and James, "A Nonparametric
// Approach for Multiple Change Point Analysis of Multivariate Data", JASA
// 2014), the method MongoDB's performance CI uses over each test's history
// (Daly et al., "Change Point Detection in Software Performance Testing",
// ICPE 2020) and that Hunter (now Apache Otava) took from it.
//
// A night-to-night comparison asks whether tonight differs from last night;
// a change point asks where, over the whole history, the series stepped. A
// step found this way names the two nights it falls between, and so the
// commit range to bisect, and a one-night outlier does not make one: a
// segment must hold MinSize points on each side.
//
// The method, for the exponent 1 the paper recommends and MongoDB uses:
// for every split of a segment into a left part X (τ points) and a right
// part Y (m points) it computes the energy statistic
//
//	q̂(τ) = τm/(τ+m) · (2/(τm) Σ|x-y| − Σ_{pairs in X}|x-x'|/C(τ,2) − Σ_{pairs in Y}|y-y'|/C(m,2))
//
// which is large where the two parts' values are far apart relative to
// their spread within. The best split of the best segment is then tested
// by permutation: the segment's values are shuffled Permutations times
// (seeded, so a report is reproducible) and the split is significant if at
// most a fraction Alpha of the shuffles (counting the observed order) reach
// its q̂. A significant split is kept and both halves are searched again; the
// first split that is not significant ends the search (the hierarchical
// procedure of the paper).
package changepoint

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/montanaflynn/stats"
)

// Options configures EDivisive.
type Options struct {
	// Alpha is the significance level of the permutation test: a split is
	// kept if its p-value is at most Alpha. Zero means 0.01.
	Alpha float64
	// Permutations is the number of shuffles the test makes; the smallest
	// p-value it can give is 1/(Permutations+1). Zero means 199 (p down to
	// 0.005).
	Permutations int
	// MinSize is the fewest points a segment may have on either side of a
	// split, at least 2 (the spread within a part needs a pair). Zero means
	// 3: a one- or two-night outlier is not a step.
	MinSize int
	// Seed seeds the shuffles. The same series and options always give the
	// same change points.
	Seed uint64
}

// DefaultOptions returns the options zero values stand for: Alpha 0.01, 199
// permutations, segments of at least 3 points, seed 1.
//
// Alpha is 0.01 rather than the paper's 0.05 because a report tests one
// series per cell and unit, some tens of them: at 0.05 a flat history would
// show a false step in one series of twenty. The price is length: a step is
// significant only where few shuffles of the series put its two levels
// apart as cleanly, so a series needs about a dozen points (nights) before
// the cleanest step can reach 0.01; nine points with a step after the
// fourth reach about 0.013.
func DefaultOptions() Options {
	return Options{Alpha: 0.01, Permutations: 199, MinSize: 3, Seed: 1}
}

// withDefaults fills in zero fields.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Alpha == 0 {
		o.Alpha = d.Alpha
	}
	if o.Permutations == 0 {
		o.Permutations = d.Permutations
	}
	if o.MinSize == 0 {
		o.MinSize = d.MinSize
	}
	return o
}

// Validate reports a bad option, naming it and its valid range.
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case !(o.Alpha > 0 && o.Alpha < 1):
		return fmt.Errorf("changepoint: alpha %v: want 0 < alpha < 1", o.Alpha)
	case o.Permutations < 1:
		return fmt.Errorf("changepoint: permutations %d: want at least 1", o.Permutations)
	case o.MinSize < 2:
		return fmt.Errorf("changepoint: min size %d: want at least 2", o.MinSize)
	}
	return nil
}

// A Point is a change point: the series steps between Index-1 and Index.
type Point struct {
	// Index is the first point after the change.
	Index int
	// P is the permutation test's p-value, and Q the split's energy
	// statistic q̂.
	P, Q float64
	// Before and After are the means of the segments on either side, as
	// the search left them (bounded by the neighbouring change points).
	Before, After float64
}

// Change returns the relative step, (After-Before)/Before.
func (p Point) Change() float64 { return (p.After - p.Before) / p.Before }

// EDivisive returns the change points of series in index order. A series
// too short to split (fewer than 2·MinSize points) has none. A value that
// is NaN or infinite is an error.
func EDivisive(series []float64, opts Options) ([]Point, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	for i, v := range series {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("changepoint: value %d is %v", i, v)
		}
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	cuts := []int{0, len(series)} // segment boundaries, sorted
	var points []Point
	scratch := make([]float64, len(series))
	for {
		// The best split over every segment.
		best, bestQ, lo, hi := -1, math.Inf(-1), 0, 0
		for k := 0; k+1 < len(cuts); k++ {
			tau, q := bestSplit(series[cuts[k]:cuts[k+1]], opts.MinSize)
			if tau >= 0 && q > bestQ {
				best, bestQ, lo, hi = cuts[k]+tau, q, cuts[k], cuts[k+1]
			}
		}
		if best < 0 {
			break
		}
		// Permutation test within that segment.
		seg := scratch[:hi-lo]
		copy(seg, series[lo:hi])
		reach := 1 // the observed order
		for range opts.Permutations {
			rng.Shuffle(len(seg), func(i, j int) { seg[i], seg[j] = seg[j], seg[i] })
			if _, q := bestSplit(seg, opts.MinSize); q >= bestQ {
				reach++
			}
		}
		p := float64(reach) / float64(opts.Permutations+1)
		if p > opts.Alpha {
			break
		}
		points = append(points, Point{Index: best, P: p, Q: bestQ})
		i, _ := slices.BinarySearch(cuts, best)
		cuts = slices.Insert(cuts, i, best)
	}
	slices.SortFunc(points, func(a, b Point) int { return cmp.Compare(a.Index, b.Index) })
	for i := range points {
		i0 := 0
		if i > 0 {
			i0 = points[i-1].Index
		}
		i1 := len(series)
		if i+1 < len(points) {
			i1 = points[i+1].Index
		}
		// Mean cannot fail: every segment holds at least MinSize points.
		points[i].Before, _ = stats.Mean(series[i0:points[i].Index])
		points[i].After, _ = stats.Mean(series[points[i].Index:i1])
	}
	return points, nil
}

// bestSplit returns the split τ of seg (the left part's size, from minSize
// to len(seg)-minSize) with the largest q̂, and that q̂; τ is -1 if seg is
// too short to split. As in the paper (its κ), the right part Y is
// seg[τ:κ] for the best κ, not always the whole rest: a step that is undone
// later (a regression and its fix) is then found as well as a lasting one.
// It takes O(n²) time: rows of prefix sums of the distances give each part's
// sums in O(1) as κ moves right.
func bestSplit(seg []float64, minSize int) (int, float64) {
	n := len(seg)
	if n < 2*minSize {
		return -1, math.Inf(-1)
	}
	// pre[j*(n+1)+i] = Σ_{i'<i} |seg[j] - seg[i']|.
	pre := make([]float64, n*(n+1))
	for j := 0; j < n; j++ {
		row := pre[j*(n+1) : (j+1)*(n+1)]
		for i := 0; i < n; i++ {
			row[i+1] = row[i] + math.Abs(seg[j]-seg[i])
		}
	}
	at := func(j, i int) float64 { return pre[j*(n+1)+i] }
	bestT, bestQ := -1, math.Inf(-1)
	var withinX float64 // Σ over pairs in seg[:tau]
	for tau := 1; tau <= n-minSize; tau++ {
		withinX += at(tau-1, tau-1)
		if tau < minSize {
			continue
		}
		var withinY, between float64
		for kappa := tau + 1; kappa <= n; kappa++ {
			j := kappa - 1 // the point Y gains
			withinY += at(j, j) - at(j, tau)
			between += at(j, tau)
			m := kappa - tau
			if m < minSize {
				continue
			}
			t, mf := float64(tau), float64(m)
			e := 2*between/(t*mf) - withinX/(t*(t-1)/2) - withinY/(mf*(mf-1)/2)
			if q := t * mf / (t + mf) * e; q > bestQ {
				bestT, bestQ = tau, q
			}
		}
	}
	return bestT, bestQ
}
