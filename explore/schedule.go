package explore

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// Step is one scheduling point of a run: the CPU chosen to run from it,
// and the label of the access it made there (the kernel function the
// access site models), "" where the scheduler gives none.
type Step struct {
	CPU   int
	Label string
}

// Schedule is a run's choices, compressed into segments: CPU ran N
// consecutive steps. Each segment may carry a hash of its steps' labels, so
// that a replay can say where the code it runs has changed since.
//
// Its text form, which Parse reads back, is the segments joined by ".",
// each "CPU*N" with ":hash" (4 hex digits) when labelled, e.g.
// "0*37:1a2b.1*120:03ff.0*5:beef".
type Schedule struct {
	Segs []Seg
}

// Seg is one segment of a Schedule.
type Seg struct {
	CPU, N int
	// Hash is the FNV-1a hash of the segment's labels, folded to 16 bits;
	// Labelled says it is set.
	Hash     uint16
	Labelled bool
}

// ScheduleOf compresses a run's steps.
func ScheduleOf(steps []Step) Schedule {
	var s Schedule
	labelled := false
	for _, st := range steps {
		labelled = labelled || st.Label != ""
	}
	for i := 0; i < len(steps); {
		j := i + 1
		for j < len(steps) && steps[j].CPU == steps[i].CPU {
			j++
		}
		seg := Seg{CPU: steps[i].CPU, N: j - i}
		if labelled {
			seg.Hash, seg.Labelled = labelHash(steps[i:j]), true
		}
		s.Segs = append(s.Segs, seg)
		i = j
	}
	return s
}

func labelHash(steps []Step) uint16 {
	h := fnv.New32a()
	for _, st := range steps {
		h.Write([]byte(st.Label))
		h.Write([]byte{0})
	}
	x := h.Sum32()
	return uint16(x ^ x>>16)
}

// Len returns the number of steps.
func (s Schedule) Len() int {
	n := 0
	for _, g := range s.Segs {
		n += g.N
	}
	return n
}

// Switches returns how many times the running CPU changes.
func (s Schedule) Switches() int { return max(len(s.Segs)-1, 0) }

// String returns the text form; see Schedule.
func (s Schedule) String() string {
	var b strings.Builder
	for i, g := range s.Segs {
		if i > 0 {
			b.WriteByte('.')
		}
		fmt.Fprintf(&b, "%d*%d", g.CPU, g.N)
		if g.Labelled {
			fmt.Fprintf(&b, ":%04x", g.Hash)
		}
	}
	return b.String()
}

// ErrSchedule is wrapped by every error about a schedule's text.
var ErrSchedule = errors.New("bad schedule")

// ParseSchedule reads a Schedule's text form.
func ParseSchedule(text string) (Schedule, error) {
	var s Schedule
	if text == "" {
		return s, fmt.Errorf("%w: empty", ErrSchedule)
	}
	for i, part := range strings.Split(text, ".") {
		body, hash, labelled := strings.Cut(part, ":")
		cpu, n, ok := strings.Cut(body, "*")
		c, err1 := strconv.Atoi(cpu)
		k, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || c < 0 || k <= 0 {
			return Schedule{}, fmt.Errorf("%w: segment %d %q: want CPU*STEPS[:HASH], e.g. 0*37:1a2b", ErrSchedule, i+1, part)
		}
		g := Seg{CPU: c, N: k}
		if labelled {
			h, err := strconv.ParseUint(hash, 16, 16)
			if err != nil || len(hash) != 4 {
				return Schedule{}, fmt.Errorf("%w: segment %d %q: the hash must be 4 hex digits", ErrSchedule, i+1, part)
			}
			g.Hash, g.Labelled = uint16(h), true
		}
		s.Segs = append(s.Segs, g)
	}
	return s, nil
}

// Replay is the policy that follows a Schedule. Where the run departs from
// it (the schedule's CPU is not runnable, the run is longer or shorter, or a
// segment's labels differ), Err says at which step; from there on it runs
// the default choice (the running CPU, else the lowest runnable), so the
// run still ends.
type Replay struct {
	s          Schedule
	seg, off   int // position in s
	step       int
	err        error
	defaulting bool
}

// NewReplay returns a policy that replays s.
func NewReplay(s Schedule) *Replay { return &Replay{s: s} }

// Next returns the schedule's CPU for this step.
func (r *Replay) Next(runnable []int, cur int) int {
	i := r.step
	r.step++
	def := runnable[0]
	if cur >= 0 && slices.Contains(runnable, cur) {
		def = cur
	}
	if r.defaulting {
		return def
	}
	if r.seg >= len(r.s.Segs) {
		r.diverge(fmt.Errorf("step %d: the run goes on past the schedule's last step (%d)", i, r.s.Len()-1))
		return def
	}
	id := r.s.Segs[r.seg].CPU
	if r.off++; r.off == r.s.Segs[r.seg].N {
		r.seg, r.off = r.seg+1, 0
	}
	if !slices.Contains(runnable, id) {
		r.diverge(fmt.Errorf("step %d: the schedule runs CPU %d, which is not runnable here (runnable: %v)", i, id, runnable))
		return def
	}
	return id
}

func (r *Replay) diverge(err error) {
	if r.err == nil {
		r.err = err
	}
	r.defaulting = true
}

// Finish checks the run as a whole against the schedule, given its steps
// (with labels, if the scheduler gave them): same length, and in each
// labelled segment the same labels. It returns Err, or the first such
// difference, naming the steps.
func (r *Replay) Finish(steps []Step) error {
	if r.err != nil {
		return r.err
	}
	if r.step < r.s.Len() {
		return fmt.Errorf("the run ended after %d steps, before the schedule's %d", r.step, r.s.Len())
	}
	at := 0
	for _, g := range r.s.Segs {
		if g.Labelled && at+g.N <= len(steps) {
			if h := labelHash(steps[at : at+g.N]); h != g.Hash {
				return fmt.Errorf("steps %d-%d (CPU %d): the run's accesses are not the recorded ones (labels hash %04x, recorded %04x); they start %s",
					at, at+g.N-1, g.CPU, h, g.Hash, firstLabels(steps[at:at+g.N], 3))
			}
		}
		at += g.N
	}
	return nil
}

func firstLabels(steps []Step, n int) string {
	var out []string
	for _, st := range steps[:min(n, len(steps))] {
		out = append(out, st.Label)
	}
	return strings.Join(out, ", ")
}

// Err returns the first step at which the run departed from the schedule.
func (r *Replay) Err() error { return r.err }

// Interleaving formats a run's steps for a reader: one line per run of
// consecutive steps of one CPU at one label, "step[-last]  CPU c  label",
// with "×n" for repeats; at most limit lines (0: all), the rest counted.
func Interleaving(steps []Step, limit int) string {
	var b strings.Builder
	lines := 0
	for i := 0; i < len(steps); {
		j := i + 1
		for j < len(steps) && steps[j] == steps[i] {
			j++
		}
		if limit > 0 && lines == limit {
			fmt.Fprintf(&b, "  ... %d more steps\n", len(steps)-i)
			break
		}
		label := steps[i].Label
		if label == "" {
			label = "(unlabelled)"
		}
		span := strconv.Itoa(i)
		if j-i > 1 {
			span = fmt.Sprintf("%d-%d", i, j-1)
			label += fmt.Sprintf(" ×%d", j-i)
		}
		fmt.Fprintf(&b, "  %-11s CPU %d  %s\n", span, steps[i].CPU, label)
		lines++
		i = j
	}
	return b.String()
}
