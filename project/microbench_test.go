package project

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"

	"vmabench/calib"
	"vmabench/mm"
	"vmabench/sim"
)

// paddedCounter is a counter on a cache line of its own.
type paddedCounter struct {
	_ cpu.CacheLinePad
	v mm.Int64
	_ cpu.CacheLinePad
}

// rwReaderCount models sync.RWMutex's reader side as Go 1.26 has it:
// RLock is readerCount.Add(1) (and a wait if it went negative, for a
// writer), RUnlock readerCount.Add(-1) (and the slow path if negative).
type rwReaderCount struct {
	_           cpu.CacheLinePad
	w           mm.Int32 // writerSem's place: untouched by readers
	readerCount mm.Int32
	_           cpu.CacheLinePad
}

func (rw *rwReaderCount) RLock() {
	if rw.readerCount.Add(1) < 0 {
		panic("no writer in this benchmark")
	}
}

func (rw *rwReaderCount) RUnlock() {
	if rw.readerCount.Add(-1) < 0 {
		panic("no writer in this benchmark")
	}
}

// microbench runs one of xeon-16's microbenchmarks on threads virtual CPUs
// of target for d ps of virtual time and returns its total ops/s.
func microbench(t *testing.T, name string, threads int, costs sim.Costs, d int64) float64 {
	t.Helper()
	var shared paddedCounter
	var rw rwReaderCount
	private := make([]paddedCounter, threads)
	counts := make([]int64, threads)
	e := sim.New(sim.Config{Model: sim.NewCoherence(costs, 1), Until: d})
	for i := range threads {
		e.Go(func(*sim.CPU) {
			for {
				switch name {
				case "private-atomic":
					private[i].v.Add(1)
					private[i].v.Add(-1)
				case "shared-atomic":
					shared.v.Add(1)
					shared.v.Add(-1)
				case "rwmutex-rlock":
					rw.RLock()
					rw.RUnlock()
				}
				counts[i]++
			}
		})
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c
	}
	return float64(n) / (float64(d) / 1e12)
}

type measured struct {
	bench   string
	threads int
	opsPerS float64
	noise   bool
}

func readMeasured(t *testing.T, path string) []measured {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []measured
	s := bufio.NewScanner(f)
	for s.Scan() {
		fs := strings.Fields(s.Text())
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		n, err1 := strconv.Atoi(fs[1])
		v, err2 := strconv.ParseFloat(fs[2], 64)
		if len(fs) < 3 || err1 != nil || err2 != nil {
			t.Fatalf("%s: bad line %q", path, s.Text())
		}
		out = append(out, measured{fs[0], n, v, len(fs) > 3 && fs[3] == "*"})
	}
	return out
}

// TestXeon16Microbenchmarks projects the microbenchmarks xeon-16's profile
// was built from, modelled with the mm types, on that profile, and holds
// the projected curves to the measured ones within 25% at 1 to 16 threads.
func TestXeon16Microbenchmarks(t *testing.T) {
	tg, err := calib.LoadTarget("xeon-16")
	if err != nil {
		t.Fatal(err)
	}
	costs := FromCalib(tg, true).Costs
	for _, m := range readMeasured(t, "testdata/xeon-16.txt") {
		got := microbench(t, m.bench, m.threads, costs, 20_000_000) // 20 µs
		ratio := got / m.opsPerS
		t.Logf("%-15s %2d threads: measured %6.1fM ops/s, projected %6.1fM (%.2fx)%s", m.bench, m.threads, m.opsPerS/1e6, got/1e6, ratio, map[bool]string{true: "  (noise point)"}[m.noise])
		if !m.noise && math.Abs(math.Log(ratio)) > math.Log(1.25) {
			t.Errorf("%s at %d threads: projected %.1fM ops/s, measured %.1fM: %.2fx, outside 1.25x", m.bench, m.threads, got/1e6, m.opsPerS/1e6, ratio)
		}
	}
}
