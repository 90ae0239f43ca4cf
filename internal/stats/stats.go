// Package stats is the one place vmabench summarizes repetitions: the
// comparison (report.Compare), the summary table (report.WriteTable) and the
// charts all take a cell's median and its confidence interval from here, as
// benchstat does (golang.org/x/perf/benchmath, assuming nothing about the
// distribution), so a chart point is the figure the comparison prints.
package stats

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// Assumption is the statistical assumption of every summary and test:
// none (the median, its order-statistic interval, the Mann-Whitney U
// test), benchstat's default.
var Assumption = benchmath.AssumeNothing

// Confidence is the level of the intervals the table and the charts draw,
// and the comparison's default.
const Confidence = 0.95

// Summarize returns the median of s and its confidence interval at level
// confidence. With too few values for the level (fewer than 6 at 0.95),
// the interval is infinite.
func Summarize(s *benchmath.Sample, confidence float64) benchmath.Summary {
	return Assumption.Summary(s, confidence)
}

// sample returns vs as a benchmath sample, leaving vs as it is
// (benchmath.NewSample sorts its argument in place).
func sample(vs []float64) *benchmath.Sample {
	return benchmath.NewSample(slices.Clone(vs), &benchmath.DefaultThresholds)
}

// Median returns the median of vs, which must not be empty.
func Median(vs []float64) float64 {
	return Summarize(sample(vs), Confidence).Center
}

// Interval returns the median of vs, which must not be empty, and its
// interval for a chart's error bar: the confidence interval at Confidence,
// or, where there are too few values for one, the range of the values
// (min to max), which then says how far the repetitions spread.
func Interval(vs []float64) (median, lo, hi float64) {
	s := sample(vs)
	sum := Summarize(s, Confidence)
	if math.IsInf(sum.Lo, 0) || math.IsInf(sum.Hi, 0) {
		return sum.Center, s.Values[0], s.Values[len(s.Values)-1]
	}
	return sum.Center, sum.Lo, sum.Hi
}
