package project

import (
	"cmp"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"vmabench/sim"
)

// siteModel wraps a projection's cost model to say where its time goes:
// every access the inner model charges more than a hit (a line transfer,
// or a wait for a busy line) is added to its call site, the first frame
// outside the engine and mm's shared-word types (the function that loaded
// or stored the word, and its line), and to the kind of the access. A
// kernel developer reads it as perf c2c's view of the model: which words
// the designs fight over, and who touches them. The stack walk per
// transfer makes a projection several times slower, so it is opt-in
// (Config.Lines).
type siteModel struct {
	inner sim.Model
	hit   int64
	sites map[siteKey]*siteCost
	names map[[siteDepth]uintptr]string // a stack's site, named once
	pcs   [siteDepth]uintptr
}

// siteDepth is how many return addresses identify a site: enough to get
// past the engine's and the word's frames (inlined frames share one).
const siteDepth = 6

type siteKey struct {
	name string
	kind sim.Kind
}

type siteCost struct {
	ps, transfers int64
}

func newSiteModel(inner sim.Model, hit int64) *siteModel {
	return &siteModel{inner: inner, hit: hit, sites: map[siteKey]*siteCost{}, names: map[[siteDepth]uintptr]string{}}
}

// Access implements sim.Model.
func (m *siteModel) Access(cpu int, now int64, addr uintptr, k sim.Kind) int64 {
	d := m.inner.Access(cpu, now, addr, k)
	if k == sim.Pause || d <= m.hit {
		return d
	}
	m.pcs = [siteDepth]uintptr{}
	runtime.Callers(2, m.pcs[:])
	name, ok := m.names[m.pcs]
	if !ok {
		name = siteOf(m.pcs[:])
		m.names[m.pcs] = name
	}
	key := siteKey{name, k}
	c := m.sites[key]
	if c == nil {
		c = new(siteCost)
		m.sites[key] = c
	}
	c.ps += d - m.hit
	c.transfers++
	return d
}

// Wake implements sim.Model.
func (m *siteModel) Wake(idle int64) (latency, send int64) { return m.inner.Wake(idle) }

// siteOf names the first frame of pcs outside the engine and the shared
// words: its function, without the module path, and its file and line.
func siteOf(pcs []uintptr) string {
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if f.PC != 0 && !innerFrame(f.File) {
			fn := f.Function
			if i := strings.LastIndex(fn, "/"); i >= 0 {
				fn = fn[i+1:]
			}
			return fmt.Sprintf("%s (%s:%d)", fn, filepath.Base(filepath.Dir(f.File))+"/"+filepath.Base(f.File), f.Line)
		}
		if !more {
			return "(unknown)"
		}
	}
}

// innerFrame reports whether a frame of file is the engine's, one of mm's
// shared-word methods or the sync/atomic operation inside one, which every
// access passes through.
func innerFrame(file string) bool {
	dir, base := filepath.Split(file)
	return strings.HasSuffix(dir, "/sim/") || strings.HasSuffix(dir, "/sync/atomic/") || strings.HasSuffix(dir, "/mm/") && base == "word.go"
}

// notes returns the n costliest sites as result notes: each one's share
// of cpuTime (the virtual CPUs' clocks summed, warm-up included), its
// transfers, the kind of access and the function and line, after a line
// with the total.
func (m *siteModel) notes(n int, cpuTime int64) []string {
	type row struct {
		siteKey
		siteCost
	}
	var rows []row
	var total, transfers int64
	for k, c := range m.sites {
		rows = append(rows, row{k, *c})
		total += c.ps
		transfers += c.transfers
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := cmp.Compare(b.ps, a.ps); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name) // deterministic among equals
	})
	share := func(ps int64) float64 { return 100 * float64(ps) / float64(max(cpuTime, 1)) }
	out := []string{fmt.Sprintf("where the time goes: line transfers take %.1f%% of the virtual CPUs' time (%d transfers); the %d costliest sites:", share(total), transfers, min(n, len(rows)))}
	for _, r := range rows[:min(n, len(rows))] {
		out = append(out, fmt.Sprintf("  %5.1f%%  %8d %-5v %s", share(r.ps), r.transfers, r.kind, r.name))
	}
	return out
}
