package project

import (
	"vmabench/calib"
	"vmabench/cell"
	"vmabench/mm"
	"vmabench/sim"
)

// ps converts ns to ps, at least 1.
func ps(ns float64) int64 { return max(int64(ns*1000+0.5), 1) }

// FromCalib makes a Target of t: the coherence costs from its coherence
// keys, the kernel's work beside the model's steps from its kernel costs
// (calib.Derive with no bare cost to take off: the model's own steps cost
// virtual time only by their accesses, which the coherence model charges),
// the spread of that work (sim.WorkSpread) from its pair-p10-ns,
// pair-p50-ns, pair-p90-ns, pair-p99-ns and pair-p999-ns, and the configuration lines of every key,
// prefixed "target-". A calibrated work of zero (raw lock costs) is
// rawLocks, with no spread: raw costs compare lock traffic alone.
func FromCalib(t calib.Target, rawLocks bool) Target {
	tg := Target{
		Name: t.Name,
		Costs: sim.Costs{
			CPUs: t.CPUs, Sockets: t.Sockets,
			Hit: ps(t.Hit), RMW: ps(t.RMW),
			Transfer: ps(t.LineTransfer), RMWTransfer: ps(t.ContendedRMW), Remote: ps(t.RemoteTransfer),
			Pause: ps(t.Pause), Wake: ps(t.Wakeup),
		},
	}
	for _, w := range t.Profile.WakeCurve() {
		// A profile's rounding may put a percentile a hair past the
		// median; the spread is clamped to it.
		med := *w.Median
		lo, hi := min(*w.P10, med), max(*w.P90, med)
		tg.Costs.WakeCurve = append(tg.Costs.WakeCurve, sim.WakePoint{Idle: ps(w.Idle * 1000), Latency: ps(med), Lo: ps(lo), Hi: ps(hi), Send: ps(*w.Send)})
	}
	if !rawLocks {
		tg.Work = calib.Derive(t.Profile, calib.Bare{}, mm.ProjectionRate)
		// The spread of the same work, from the pair's percentiles;
		// rounding may put one a hair past the median, and it is clamped
		// to it as the wake-up curve's are.
		if p := t.Profile; p.PairP50 > 0 {
			hi := max(p.PairP90/p.PairP50, 1)
			p99 := max(p.PairP99/p.PairP50, hi)
			tg.Spread = sim.WorkSpread{Lo: min(p.PairP10/p.PairP50, 1), Hi: hi, P99: p99, P999: max(p.PairP999/p.PairP50, p99), Ns: p.PairP50}
		}
	}
	for _, kv := range t.Pairs() {
		tg.Pairs = append(tg.Pairs, cell.KV{Key: "target-" + kv[0], Value: kv[1]})
	}
	if rawLocks {
		tg.Pairs = append(tg.Pairs, cell.KV{Key: "calibration", Value: calib.None})
	}
	return tg
}
