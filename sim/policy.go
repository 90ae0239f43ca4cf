package sim

// TimeOrder is the policy of a projection: the runnable CPU with the
// earliest virtual clock runs, ties to the lowest id. Each CPU's accesses
// then happen in the order of virtual time: a conservative discrete-event
// simulation, whose results depend on the Model and the seed, not on the
// host. The engine recognises it and keeps the CPUs in a heap instead of
// calling Next.
type TimeOrder struct{}

// Next implements Policy for a caller outside the engine: it needs the
// clocks, which runnable does not carry, so it returns the lowest id; the
// engine itself never calls it.
func (TimeOrder) Next(runnable []int, cur int) int { return runnable[0] }

var _ Policy = TimeOrder{}

// before orders CPUs for TimeOrder.
func before(a, b *CPU) bool {
	return a.clock < b.clock || a.clock == b.clock && a.id < b.id
}

// cpuHeap is a binary min-heap of CPUs by (clock, id).
type cpuHeap []*CPU

func (h *cpuHeap) push(c *CPU) {
	*h = append(*h, c)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !before(s[i], s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *cpuHeap) pop() *CPU {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = nil
	s = s[:n]
	i := 0
	for {
		l, m := 2*i+1, i
		if l < n && before(s[l], s[m]) {
			m = l
		}
		if r := l + 1; r < n && before(s[r], s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

type timer struct {
	at  int64
	seq int
	f   func()
}

// timerHeap is a min-heap of timers by (at, seq).
type timerHeap []timer

func (h *timerHeap) less(i, j int) bool {
	s := *h
	return s[i].at < s[j].at || s[i].at == s[j].at && s[i].seq < s[j].seq
}

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	i := len(*h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		(*h)[i], (*h)[p] = (*h)[p], (*h)[i]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	*h = s
	i := 0
	for {
		l, m := 2*i+1, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r := l + 1; r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	return top
}
