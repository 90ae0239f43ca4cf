package report

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"vmabench/cell"
	"vmabench/runner"
)

// TestRoundTrip writes results and reads them back: the same results, less
// the Config of cells that did not end OK, which the format does not keep.
func TestRoundTrip(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	tests := []struct {
		name string
		rs   []runner.Result
	}{
		{"fixture", fixture()},
		{"random", randomResults(rand.New(rand.NewPCG(seed, 1)), 50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := writeAll(t, testHeader, tt.rs)
			f, err := Read(bytes.NewReader(data), "round-trip")
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			want := tt.rs
			for i := range want {
				if want[i].Status != runner.StatusOK {
					want[i].Config = nil
				}
			}
			if !reflect.DeepEqual(f.Header, testHeader) {
				t.Errorf("header %v, want %v", f.Header, testHeader)
			}
			if len(f.Results) != len(want) {
				t.Fatalf("seed %d: read %d results, want %d", seed, len(f.Results), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(f.Results[i], want[i]) {
					t.Errorf("seed %d: result %d:\n got %+v\nwant %+v", seed, i, f.Results[i], want[i])
				}
			}
		})
	}
}

// randomResults returns n OK cells with arbitrary counts, times and metric
// values, all under the same configuration keys so their order is kept.
func randomResults(rng *rand.Rand, n int) []runner.Result {
	rs := make([]runner.Result, n)
	for i := range rs {
		r := runner.Result{Cell: cell.Cell{Workload: "faults", Strategy: "vmaseq", Threads: 1 + rng.IntN(64), Procs: 1 + rng.IntN(64)},
			Config: []cell.KV{{Key: "vmas", Value: fmt.Sprint(rng.IntN(100) + 1)}},
			Status: runner.StatusOK, Ops: 1 + rng.Uint64N(1<<40), Elapsed: time.Duration(rng.Int64N(int64(100 * time.Hour)))}
		for range rng.IntN(4) {
			r.Metrics = append(r.Metrics, runner.Metric{Value: rng.NormFloat64() * 1e6, Unit: "p99-ns"})
		}
		if rng.IntN(4) == 0 {
			r.Unsafe, r.Violations = true, rng.Uint64N(1<<50)
		}
		rs[i] = r
	}
	return rs
}

func TestReadGoTest(t *testing.T) {
	f, err := ReadFile(filepath.Join("testdata", "gotest.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []runner.Result{
		{Cell: cell.Cell{Workload: "faults", Strategy: "mmaplock", Threads: 2, Procs: 16}, Status: runner.StatusOK,
			Ops: 1000000, Elapsed: 1523 * time.Millisecond, Metrics: []runner.Metric{{Value: 0, Unit: "B/op"}, {Value: 0, Unit: "allocs/op"}}},
		{Cell: cell.Cell{Workload: "faults", Strategy: "vmarefcnt", Threads: 2, Procs: 16}, Status: runner.StatusOK,
			Ops: 2000000, Elapsed: 1025 * time.Millisecond, Metrics: []runner.Metric{{Value: 0.25, Unit: "fallbacks/op"}, {Value: 812, Unit: "p99-ns"}}},
	}
	wantHeader := []cell.KV{{Key: "goos", Value: "linux"}, {Key: "goarch", Value: "amd64"},
		{Key: "pkg", Value: "vmabench"}, {Key: "cpu", Value: "AMD EPYC 9654 96-Core Processor"}}
	if !reflect.DeepEqual(f.Header, wantHeader) {
		t.Errorf("header %v, want %v", f.Header, wantHeader)
	}
	if !reflect.DeepEqual(f.Results, want) {
		t.Errorf("got\n%+v\nwant\n%+v", f.Results, want)
	}
}

func TestReadErrors(t *testing.T) {
	const ok = "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2 10 100 ns/op\n"
	tests := []struct {
		name, in, want string
	}{
		{"iterations", "goos: linux\nBenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2 x 1 ns/op\n",
			`in.txt:2: parsing iteration count: invalid syntax`},
		{"units", ok + "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2 10 100\n",
			`in.txt:2: missing units`},
		{"other benchmark", ok + "BenchmarkOther-2 10 100 ns/op\n",
			`in.txt:2: BenchmarkOther-2: want VMA/workload=W/strategy=S/threads=N[-GOMAXPROCS]`},
		{"missing key", "BenchmarkVMA/workload=faults/threads=2-2 10 100 ns/op\n",
			`in.txt:1: BenchmarkVMA/workload=faults/threads=2-2: want VMA/workload=W/strategy=S/threads=N[-GOMAXPROCS]`},
		{"extra key", "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2/size=4-2 10 100 ns/op\n",
			`in.txt:1: BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2/size=4-2: want VMA/workload=W/strategy=S/threads=N[-GOMAXPROCS]`},
		{"threads", "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=0-2 10 100 ns/op\n",
			`in.txt:1: BenchmarkVMA/workload=faults/strategy=vmaseq/threads=0-2: threads "0" is not a positive integer`},
		{"no ns/op", "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2 10 5 faults/s\n",
			`in.txt:1: BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2: no ns/op`},
		{"negative", "BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2 -10 5 ns/op\n",
			`in.txt:1: BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2: negative iteration count`},
		{"violations", "BenchmarkVMA/workload=faults/strategy=nolock/threads=2-2 10 5 ns/op 1.5 violations\n",
			`in.txt:1: BenchmarkVMA/workload=faults/strategy=nolock/threads=2-2: 1.5 violations is not a count`},
		{"status name", ok + "\n# deadlock BenchmarkVMA/workload=faults-2 after 2s: stuck\n",
			`in.txt:3: BenchmarkVMA/workload=faults-2: want VMA/workload=W/strategy=S/threads=N[-GOMAXPROCS]`},
		{"status shape", "# timeout BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2 for 2s\n",
			`in.txt:1: timeout line: want "# timeout Benchmark<name>[ after <duration>][: <detail>]"`},
		{"status duration", "# timeout BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2 after 2x\n",
			`in.txt:1: timeout line: time: unknown unit "x" in duration "2x"`},
		{"first error wins", "# timeout BenchmarkVMA/x after 2s\nBenchmarkVMA/y 1 1 ns/op\n",
			`in.txt:1: BenchmarkVMA/x: want VMA/workload=W/strategy=S/threads=N[-GOMAXPROCS]`},
		{"first error wins later", "BenchmarkVMA/y 1 1 ns/op\n# timeout BenchmarkVMA/x after 2s\n",
			`in.txt:1: BenchmarkVMA/y: want VMA/workload=W/strategy=S/threads=N[-GOMAXPROCS]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in), "in.txt")
			perr, ok := err.(*ParseError)
			if !ok || perr.Error() != tt.want {
				t.Errorf("got error %#v\nwant *ParseError %s", err, tt.want)
			}
		})
	}
}

// TestReadIgnores checks that lines which only look like status lines, or
// are go test chatter, are not read as results.
func TestReadIgnores(t *testing.T) {
	in := "# vmabench/report\n# note: a person's comment\n#\tnot a continuation\n# ok BenchmarkVMA/x\nPASS\nok  \tvmabench\t1.2s\n"
	f, err := Read(strings.NewReader(in), "in.txt")
	if err != nil || len(f.Results) != 0 || f.Header != nil {
		t.Errorf("got %+v, %v; want nothing", f, err)
	}
}

func TestReadFileMissing(t *testing.T) {
	_, err := ReadFile(filepath.Join(t.TempDir(), "none.txt"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}
