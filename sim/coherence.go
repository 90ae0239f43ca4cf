package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// LineSize is the cache line the Coherence model tracks: x86-64's 64 bytes.
const LineSize = 64

// Costs are a machine's coherence costs, in ps, and its shape: what a
// Coherence model charges. Package project fills them from a profile.
type Costs struct {
	CPUs    int // virtual CPUs the machine has
	Sockets int // sockets the CPUs are spread over, CPUs/Sockets each (1 or more)

	// Hit is a load or store of a line the CPU holds (an L1 hit), and
	// the least any access costs.
	Hit int64
	// RMW is a locked read-modify-write of a line the CPU holds
	// exclusively: an uncontended atomic.
	RMW int64
	// Transfer is moving a line from another CPU's cache on the same
	// socket, the access included: what each access to a contended line
	// costs, and what bounds a contended line's throughput (the transfers
	// of one line are serialized).
	Transfer int64
	// RMWTransfer is Transfer for a read-modify-write: a contended
	// atomic's cost per operation, the locked instruction included.
	RMWTransfer int64
	// Remote is Transfer from a CPU on another socket.
	Remote int64
	// Pause is one iteration of a spin loop: cpu_relax(), PAUSE.
	Pause int64
	// Wake is the latency from wake_up_process() to the woken CPU running
	// (an idle CPU's wake-up: the IPI and the exit from idle) where
	// WakeCurve is empty.
	Wake int64
	// WakeCurve is the wake-up latency of a CPU by how long it has been
	// idle, ascending in Idle: a CPU's idle state deepens the longer it
	// idles (cpuidle's governor picks a deeper C-state for a longer
	// predicted idle; a VM's guest halt-polls, then halts its vCPU), and
	// the deeper the state, the slower its exit. Between points the
	// latency is interpolated linearly; below the first it is the first,
	// beyond the last the last.
	WakeCurve []WakePoint
}

// WakePoint is one point of Costs.WakeCurve, in ps: the wake-up latency
// after Idle, its median Latency and, where measured, its 10th and 90th
// percentiles Lo and Hi (0: none). A wake-up's latency is drawn from that
// spread, not charged at the median, because what a wake-up decides is
// often a threshold (a writer that spins 10.5 µs on a lock granted to a
// reader it woke, rwsem_rspin_threshold()), and a median on one side of it
// would put every wake-up there.
//
// Send is what the wake-up costs the waker (its IPI to the idle CPU).
type WakePoint struct{ Idle, Latency, Lo, Hi, Send int64 }

// Validate reports costs a Coherence model cannot use.
func (c Costs) Validate() error {
	switch {
	case c.CPUs < 1 || c.CPUs > MaxCPUs:
		return fmt.Errorf("cpus %d: want 1..%d", c.CPUs, MaxCPUs)
	case c.Sockets < 1 || c.Sockets > c.CPUs:
		return fmt.Errorf("sockets %d: want 1..cpus (%d)", c.Sockets, c.CPUs)
	case c.Hit <= 0 || c.RMW <= 0 || c.Transfer <= 0 || c.RMWTransfer <= 0 || c.Remote <= 0 || c.Pause <= 0 || c.Wake < 0:
		return fmt.Errorf("costs %+v: every cost must be positive (wake 0 or more)", c)
	}
	for i, p := range c.WakeCurve {
		if p.Idle <= 0 || p.Latency < 0 || i > 0 && p.Idle <= c.WakeCurve[i-1].Idle ||
			(p.Lo != 0 || p.Hi != 0) && !(p.Lo <= p.Latency && p.Latency <= p.Hi) || p.Send < 0 {
			return fmt.Errorf("wake curve %v: want idle times positive and ascending, latencies and sends 0 or more, each 10th percentile <= median <= 90th", c.WakeCurve)
		}
	}
	return nil
}

// MaxCPUs bounds the CPUs a Coherence model tracks (a line's sharers are a
// bit set of this size).
const MaxCPUs = 256

// line is one cache line's state: held modified by one CPU (owner >= 0,
// no sharers), or shared by the CPUs in sharers (owner -1), or by nobody
// (fresh: in memory). busy is when its latest transfer completes.
type line struct {
	owner   int32
	nshare  int32
	sharers [MaxCPUs / 64]uint64
	busy    int64
}

func (l *line) has(cpu int) bool { return l.sharers[cpu>>6]&(1<<(cpu&63)) != 0 }

// Coherence is a MESI-like model of the machine's caches, per 64-byte line
// of the real addresses the model's words have (so a struct's layout, its
// pads and which words share a line, is what it charges for): a line is
// modified by one CPU or shared by many; a load of a line the CPU does not
// hold is a transfer and makes the line shared; a store or RMW of a line
// others hold is a transfer that invalidates every other copy; the
// transfers of one line are serialized (a line is busy until its transfer
// completes), so a contended line saturates at one transfer per Transfer.
// The first touch of a line makes it the touching CPU's, modified, at the
// cost of a hit (an RMW's for an RMW): a line the model has not seen is
// memory just allocated, and the kernel's allocations come hot from the
// allocating CPU's cache (a slab object from its per-CPU freelist, a page
// it has just zeroed). The Go collector is off for a projection, so the
// model's allocations are fresh memory: until 2026-12-06 a first touch was
// a transfer from memory, and with the collector off every tree node a
// writer allocated cost it a transfer: mmap1 on xeon-16 at 1 thread read
// 691k, 651k and 657k writes/s under mmaplock, vmaseq and vmarefcnt,
// against 702k, 673k and 668k with the collector reusing the writer's own
// freed lines, and 702k, 675k and 668k with this charge.
//
// A store (Store, x86's MOV) goes into the CPU's store buffer: it takes
// the line as a store does (the transfer, serialized with the line's
// others) but the CPU goes on at once, as a total store order lets it; the
// store buffer drains when the transfer completes. A locked instruction
// (RMW) or smp_mb() (Fence) first waits for the CPU's store buffer to
// drain, as x86's locked instructions do, so what a store's miss costs the
// CPU is paid where a later RMW of its waits for it. A load of another
// line does not wait (TSO lets loads pass stores), and a load of the
// stored line forwards from the buffer. The model makes the store visible
// to other CPUs at once where the machine makes it visible when it
// drains; the line's busy time delays their next access of it until then.
//
// What it leaves out: memory bandwidth, the caches' capacity (a line,
// once held, stays until invalidated), prefetching, SMT siblings sharing a
// core's caches, and invalidations costing more with more sharers (a
// snoop filter sends them in parallel).
type Coherence struct {
	c         Costs
	perSocket int
	lines     map[uintptr]*line
	// last caches the latest line looked up: a thread's accesses come in
	// runs on one line.
	lastKey  uintptr
	lastLine *line
	rng      *rand.Rand // wake-ups' draws from their spread
	// drain is, per CPU, when its store buffer's latest store completes.
	drain []int64
}

// NewCoherence returns a Coherence model of a machine with costs c, which
// must be valid (Costs.Validate), whose wake-ups draw from their spread
// with seed: a projection passes its own, so that its repetitions (each
// a seed of its own) differ in their wake-ups as in the rest.
func NewCoherence(c Costs, seed uint64) *Coherence {
	return &Coherence{c: c, perSocket: (c.CPUs + c.Sockets - 1) / c.Sockets, lines: map[uintptr]*line{}, lastKey: ^uintptr(0), rng: rand.New(rand.NewPCG(seed, 2)), drain: make([]int64, c.CPUs)}
}

var _ Model = (*Coherence)(nil)

// Costs returns the model's costs.
func (m *Coherence) Costs() Costs { return m.c }

// Wake implements Model: the wake-up after idle ps of idleness, its
// latency drawn from Costs.WakeCurve's spread by the model's own
// generator, whose seed keeps a projection deterministic (the engine
// calls Wake in one order for one run).
func (m *Coherence) Wake(idle int64) (latency, send int64) {
	return m.c.WakeAfter(idle, m.rng.Float64())
}

// WakeAfter returns the wake-up of a CPU idle for idle ps: its latency at
// quantile u in [0, 1) of its spread (see WakeCurve and WakePoint), the
// 10th percentile up to u = 0.1, the 90th from u = 0.9, linear between
// them through the median, the median where the point has no spread; and
// send, what it costs the waker. Without a curve, Wake and no send.
func (c Costs) WakeAfter(idle int64, u float64) (latency, send int64) {
	if len(c.WakeCurve) == 0 {
		return c.Wake, 0
	}
	p := c.wakePoint(idle)
	if p.Lo <= 0 || p.Hi <= 0 {
		return p.Latency, p.Send
	}
	return spreadAt(u, p.Lo, p.Latency, p.Hi), p.Send
}

// spreadAt is the quantile u in [0, 1) of a spread given by its 10th
// percentile lo, median med and 90th percentile hi: lo up to u = 0.1, hi
// from u = 0.9, linear between them through the median. A wake-up's
// latency (WakeAfter) and a piece of work (WorkSpread) are drawn from it.
func spreadAt(u float64, lo, med, hi int64) int64 {
	switch {
	case u <= 0.1:
		return lo
	case u >= 0.9:
		return hi
	case u < 0.5:
		return lo + int64(math.Round((u-0.1)/0.4*float64(med-lo)))
	}
	return med + int64(math.Round((u-0.5)/0.4*float64(hi-med)))
}

// wakePoint returns WakeCurve at idle: the first point below it, linear
// between points, the last beyond. The curve must not be empty.
func (c Costs) wakePoint(idle int64) WakePoint {
	pts := c.WakeCurve
	for i, q := range pts {
		if idle > q.Idle {
			continue
		}
		if i == 0 {
			return q
		}
		o := pts[i-1]
		f := float64(idle-o.Idle) / float64(q.Idle-o.Idle)
		lerp := func(a, b int64) int64 { return a + int64(math.Round(f*float64(b-a))) }
		return WakePoint{Idle: idle, Latency: lerp(o.Latency, q.Latency), Lo: lerp(o.Lo, q.Lo), Hi: lerp(o.Hi, q.Hi), Send: lerp(o.Send, q.Send)}
	}
	return pts[len(pts)-1]
}

// Access implements Model.
func (m *Coherence) Access(cpu int, now int64, addr uintptr, k Kind) int64 {
	switch k {
	case Pause:
		return m.c.Pause
	case Fence:
		// smp_mb(): a locked add to the CPU's own stack, after the
		// store buffer drains.
		return max(m.drain[cpu]-now, 0) + m.c.RMW
	case RMW:
		if d := m.drain[cpu]; d > now {
			// A locked instruction waits for the store buffer.
			return d - now + m.access(cpu, d, addr, k)
		}
	}
	return m.access(cpu, now, addr, k)
}

// Holds reports whether cpu holds addr's line, modified or shared: a load
// of it is a hit that changes no line's state. The engine asks it to tell
// a spin loop that only looks (SpinRelax).
func (m *Coherence) Holds(cpu int, addr uintptr) bool {
	key := addr / LineSize
	l := m.lastLine
	if key != m.lastKey {
		l = m.lines[key]
	}
	return l != nil && (l.owner == int32(cpu) || l.owner < 0 && l.has(cpu))
}

// access is Access of a Load, Store or RMW that waits for nothing: the
// line's own cost, with a Store's miss put on the store buffer.
func (m *Coherence) access(cpu int, now int64, addr uintptr, k Kind) int64 {
	key := addr / LineSize
	l := m.lastLine
	if key != m.lastKey {
		l = m.lines[key]
		if l == nil {
			// First touch: memory just allocated, hot in this
			// CPU's cache.
			l = &line{owner: int32(cpu)}
			m.lines[key] = l
		}
		m.lastKey, m.lastLine = key, l
	}
	if l.owner == int32(cpu) {
		if k == RMW {
			return m.c.RMW
		}
		return m.c.Hit
	}
	switch k {
	case Load:
		if l.has(cpu) {
			return m.c.Hit
		}
		d := m.transfer(cpu, now, l, k)
		if l.owner >= 0 {
			l.add(int(l.owner))
			l.owner = -1
		}
		l.add(cpu)
		return d
	default: // Store, RMW
		if l.owner < 0 && l.nshare == 1 && l.has(cpu) {
			// The only copy is ours: upgrade it without a transfer.
			l.clear()
			l.owner = int32(cpu)
			if k == RMW {
				return m.c.RMW
			}
			return m.c.Hit
		}
		d := m.transfer(cpu, now, l, k)
		l.clear()
		l.owner = int32(cpu)
		if k == Store {
			// Into the store buffer: the CPU goes on, the buffer
			// drains when the line arrives.
			m.drain[cpu] = max(m.drain[cpu], now+d)
			return m.c.Hit
		}
		return d
	}
}

// transfer charges moving l to cpu at now for an access of kind k: after
// the line's previous transfer completes, Transfer (RMWTransfer for an RMW;
// Remote from another socket).
func (m *Coherence) transfer(cpu int, now int64, l *line, k Kind) int64 {
	cost := m.c.Transfer
	if k == RMW {
		cost = m.c.RMWTransfer
	}
	if m.c.Sockets > 1 {
		if src := m.source(l); src >= 0 && src/m.perSocket != cpu/m.perSocket {
			cost = m.c.Remote
		}
	}
	start := max(now, l.busy)
	l.busy = start + cost
	return l.busy - now
}

// source returns a CPU that holds l (its owner, or the lowest sharer), or
// -1 if none does.
func (m *Coherence) source(l *line) int {
	if l.owner >= 0 {
		return int(l.owner)
	}
	for i, w := range l.sharers {
		if w != 0 {
			for b := 0; b < 64; b++ {
				if w&(1<<b) != 0 {
					return i*64 + b
				}
			}
		}
	}
	return -1
}

func (l *line) add(cpu int) {
	if !l.has(cpu) {
		l.sharers[cpu>>6] |= 1 << (cpu & 63)
		l.nshare++
	}
}

func (l *line) clear() {
	if l.nshare > 0 {
		l.sharers = [MaxCPUs / 64]uint64{}
		l.nshare = 0
	}
}
