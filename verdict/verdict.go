// Package verdict is the one place vmabench decides what a comparison says:
// better, worse, the same, or that it cannot tell. `vmabench compare`, its
// -gate, the nightly gate and `vmabench validate` all judge through it, so
// a verdict reads alike wherever it is given and none is silent when the
// data cannot decide it.
//
// A comparison of two samples (each cell's repetitions, old and new) is
// judged on two things: the Mann-Whitney U test of the samples (benchmath,
// assuming nothing, as benchstat does) and a bootstrap confidence interval
// of the ratio of their medians. With a threshold t (0.05 is 5%):
//
//   - Worse or Better: the test rejects "same distribution" at alpha and
//     the whole interval lies beyond a factor 1+t in that direction;
//   - Same: the whole interval lies within [1/(1+t), 1+t] (±t, near
//     enough, for a small t; a factor either way, so that a rate that
//     halves is as far out as a time that doubles);
//   - CannotTell: anything else, the interval straddling ±t, or too few
//     samples for the test ever to reach alpha (at 3 against 3 the
//     smallest possible p is 0.1). Judgement.Need then says how many
//     repetitions a side would decide it.
//
// A ratio against a tolerance (validate's model/kernel figures) is judged
// the same way by JudgeRatio: within the band [1/tol, tol], outside it, or
// straddling it.
package verdict

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"golang.org/x/perf/benchmath"
)

// Outcome is a three-way verdict (with its direction where it is not the
// same).
type Outcome int

// The outcomes. The zero value is CannotTell: a judgement that was never
// made cannot pass for "same".
const (
	CannotTell Outcome = iota
	Same
	Better
	Worse
)

// String returns the outcome's words, the same in every command: "cannot
// tell", "same", "better", "worse".
func (o Outcome) String() string {
	switch o {
	case Same:
		return "same"
	case Better:
		return "better"
	case Worse:
		return "worse"
	}
	return "cannot tell"
}

// Confidence is the level of every interval a verdict is judged on.
const Confidence = 0.95

// Resamples is the number of bootstrap resamples of an interval.
const Resamples = 2000

// Seed seeds every bootstrap, so a file judged twice is judged alike.
const Seed = 0x766d6162656e6368 // "vmabench"

// MaxNeed caps Judgement.Need: a change that sits on the threshold itself
// needs more repetitions than anyone will run.
const MaxNeed = 1000

// A Judgement is a verdict with what it was judged on.
type Judgement struct {
	Outcome Outcome
	// Ratio is the ratio of the medians (new/old, or model/kernel) and
	// Lo, Hi its bootstrap interval at Confidence.
	Ratio, Lo, Hi float64
	// P is the U test's p-value and Alpha the level it was held to; both
	// zero where no test was made (JudgeRatio).
	P, Alpha float64
	// N is the number of samples on the smaller side.
	N int
	// Need is, for CannotTell, the repetitions per side that would decide
	// it: the smallest count at which the test can reach Alpha, and, from
	// the spread seen, the count at which the interval would clear the
	// threshold; MaxNeed where the figure sits on the threshold. Zero
	// otherwise.
	Need int
	// Why says in a few words why the judgement is what it is.
	Why string
}

// MinP returns the smallest two-sided p-value the Mann-Whitney U test can
// give samples of n1 and n2 values: both orders of complete separation, out
// of (n1+n2 choose n1) equally likely rankings.
func MinP(n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return 1
	}
	choose := 1.0
	for i := 1; i <= n1; i++ {
		choose = choose * float64(n2+i) / float64(i)
	}
	return min(1, 2/choose)
}

// MinN returns the smallest number of repetitions per side at which the U
// test can reach alpha: 4 at 0.05 (p = 0.029), where 3 reaches only 0.1.
func MinN(alpha float64) int {
	for n := 1; n < MaxNeed; n++ {
		if MinP(n, n) <= alpha {
			return n
		}
	}
	return MaxNeed
}

// Direction says which way a figure improves.
type Direction int

// The directions: Lower for a time or cost, Higher for a rate.
const (
	Lower Direction = iota
	Higher
)

// Compare judges new against old, two independent samples of a figure
// that improves in direction dir, at threshold (a fraction: 0.05 is 5%) and
// significance level alpha. The interval is a bootstrap of the ratio of the
// medians, each side resampled on its own.
func Compare(old, new []float64, dir Direction, threshold, alpha float64) Judgement {
	j := Judgement{Alpha: alpha, N: min(len(old), len(new)), Ratio: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	if len(old) == 0 || len(new) == 0 {
		j.Why = "a side has no samples"
		return j
	}
	mo, mn := median(old), median(new)
	if !(mo > 0) || !(mn >= 0) {
		j.Why = "the old median is not above zero"
		return j
	}
	j.Ratio = mn / mo
	j.Lo, j.Hi = bootstrap(old, new, false, func(o, n []float64) float64 { return median(n) / median(o) })
	so := benchmath.NewSample(slices.Clone(old), &benchmath.DefaultThresholds)
	sn := benchmath.NewSample(slices.Clone(new), &benchmath.DefaultThresholds)
	j.P = benchmath.AssumeNothing.Compare(so, sn).P
	// The band of "same", as ratios: a factor of 1+threshold either way,
	// so a rate that halves is as far out as a time that doubles.
	lo, hi := 1/(1+threshold), 1+threshold
	minN := MinN(alpha)
	significant := j.P <= alpha
	worse := func(r float64) bool {
		if dir == Lower {
			return r > hi
		}
		return r < lo
	}
	better := func(r float64) bool {
		if dir == Lower {
			return r < lo
		}
		return r > hi
	}
	switch {
	case MinP(len(old), len(new)) > alpha:
		j.Need = max(minN, need(j, lo, hi))
		j.Why = fmt.Sprintf("n=%d: the U test cannot reach p <= %g below n=%d (its smallest p here is %.3g)", j.N, alpha, minN, MinP(len(old), len(new)))
	case worse(j.Lo) && worse(j.Hi) && significant:
		j.Outcome = Worse
	case better(j.Lo) && better(j.Hi) && significant:
		j.Outcome = Better
	case j.Lo >= lo && j.Hi <= hi:
		j.Outcome = Same
	case (worse(j.Lo) && worse(j.Hi)) || (better(j.Lo) && better(j.Hi)):
		j.Need = min(MaxNeed, 2*j.N)
		j.Why = fmt.Sprintf("the interval is beyond ±%g%% but p=%.3g > %g", 100*threshold, j.P, alpha)
	default:
		j.Need = max(j.N+1, need(j, lo, hi))
		j.Why = fmt.Sprintf("the interval [%.3f, %.3f] straddles ±%g%%", j.Lo, j.Hi, 100*threshold)
	}
	return j
}

// JudgeRatio judges a ratio of two figures measured in the same
// repetitions (pairs[i] = the i-th repetition's model and kernel figure)
// against a tolerance tol > 1: the ratio is ratio(model medians / kernel
// medians) and its interval a bootstrap over the paired repetitions. Same
// means the interval lies within [1/tol, tol] (the model agrees), Worse
// that it lies wholly outside (disagrees), CannotTell that it straddles a
// bound, or that there are fewer than two pairs.
func JudgeRatio(kernel, model []float64, tol float64) Judgement {
	n := min(len(kernel), len(model))
	j := Judgement{N: n, Ratio: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	if n == 0 {
		j.Why = "no repetitions"
		return j
	}
	kernel, model = kernel[:n], model[:n]
	j.Ratio = median(model) / median(kernel)
	lo, hi := 1/tol, tol
	if n < 2 {
		j.Lo, j.Hi = j.Ratio, j.Ratio
		j.Need = 5
		j.Why = "one repetition: no interval"
		return j
	}
	j.Lo, j.Hi = bootstrap(kernel, model, true, func(k, m []float64) float64 { return median(m) / median(k) })
	switch {
	case j.Lo >= lo && j.Hi <= hi:
		j.Outcome = Same
	case j.Hi < lo || j.Lo > hi:
		j.Outcome = Worse
	default:
		j.Need = max(n+1, needLog(j, lo, hi))
		j.Why = fmt.Sprintf("the interval [%.3g, %.3g] straddles %.3g or %.3g", j.Lo, j.Hi, lo, hi)
	}
	return j
}

// need estimates from the interval's half-width how many repetitions per
// side would shrink it clear of the nearer bound of [lo, hi]: the width
// falls as 1/sqrt(n).
func need(j Judgement, lo, hi float64) int {
	h := max(j.Ratio-j.Lo, j.Hi-j.Ratio)
	d := min(math.Abs(j.Ratio-lo), math.Abs(j.Ratio-hi))
	return scale(j.N, h, d)
}

// needLog is need on a log scale, for a ratio judged against a factor.
func needLog(j Judgement, lo, hi float64) int {
	r := math.Log(j.Ratio)
	h := max(r-math.Log(j.Lo), math.Log(j.Hi)-r)
	d := min(math.Abs(r-math.Log(lo)), math.Abs(r-math.Log(hi)))
	return scale(j.N, h, d)
}

func scale(n int, h, d float64) int {
	if !(d > 0) || math.IsNaN(h) {
		return MaxNeed
	}
	k := float64(n) * (h / d) * (h / d)
	if !(k < MaxNeed) {
		return MaxNeed
	}
	return max(n, int(math.Ceil(k)))
}

// bootstrap returns the percentile interval at Confidence of stat over
// Resamples resamples of a and b: each resampled on its own, or, if
// paired, by the same indices.
func bootstrap(a, b []float64, paired bool, stat func(a, b []float64) float64) (lo, hi float64) {
	rng := rand.New(rand.NewPCG(Seed, uint64(len(a))<<32|uint64(len(b))))
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	stats := make([]float64, 0, Resamples)
	for range Resamples {
		for i := range ra {
			ra[i] = a[rng.IntN(len(a))]
		}
		for i := range rb {
			k := rng.IntN(len(b))
			if paired {
				// The same repetition on both sides.
				ra[i] = a[k]
			}
			rb[i] = b[k]
		}
		if v := stat(ra, rb); !math.IsNaN(v) && !math.IsInf(v, 0) {
			stats = append(stats, v)
		}
	}
	if len(stats) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(stats)
	q := (1 - Confidence) / 2
	return quantile(stats, q), quantile(stats, 1-q)
}

// quantile returns the q-quantile of sorted xs, interpolating.
func quantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	f := pos - float64(i)
	return xs[i]*(1-f) + xs[i+1]*f
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// String formats j on one line: "worse: ×2.00 [1.90, 2.10], p=0.029 n=4",
// "cannot tell: ×1.08 [0.97, 1.21] ... needs n=9".
func (j Judgement) String() string {
	s := j.Outcome.String()
	if !math.IsNaN(j.Ratio) {
		s += fmt.Sprintf(": ×%.3g [%.3g, %.3g]", j.Ratio, j.Lo, j.Hi)
	}
	if j.Alpha > 0 {
		s += fmt.Sprintf(" p=%.3g", j.P)
	}
	s += fmt.Sprintf(" n=%d", j.N)
	if j.Outcome == CannotTell {
		if j.Why != "" {
			s += "; " + j.Why
		}
		s += "; " + j.NeedString()
	}
	return s
}

// NeedString says how many repetitions would decide a CannotTell: "needs
// -count 9", or "needs more than 1000 repetitions (it sits on the
// threshold)".
func (j Judgement) NeedString() string {
	switch {
	case j.Need >= MaxNeed:
		return fmt.Sprintf("needs more than %d repetitions a side at this spread", MaxNeed)
	case j.Need > 0:
		return fmt.Sprintf("needs -count %d", j.Need)
	}
	return ""
}
