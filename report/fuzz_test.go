package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"vmabench/runner"
)

// FuzzRead feeds the results reader what people and tools may leave in a
// results file: it must never panic, every cell it returns must be one the
// writer can name, and every OK cell it returns must write and read back as
// the same cell, operations and metrics. The seeds are the files under
// testdata.
func FuzzRead(f *testing.F) {
	for _, pattern := range []string{"*.txt", "*.golden"} {
		files, _ := filepath.Glob(filepath.Join("testdata", pattern))
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("# deadlock BenchmarkVMA/workload=faults/strategy=vmaseq/threads=2-2 after 1s: x\n#\ty\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(bytes.NewReader(data), "fuzz.txt")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ParseError", err)
			}
			return
		}
		for i := range file.Results {
			r := &file.Results[i]
			if _, err := benchName(r); err != nil {
				t.Fatalf("cell %d: read a cell the writer cannot name: %v", i, err)
			}
			if r.Status != runner.StatusOK {
				continue
			}
			var buf bytes.Buffer
			if err := NewWriter(&buf).WriteResult(r); err != nil {
				continue // a value the writer refuses, such as NaN: fine to read, not to write
			}
			back, err := Read(&buf, "back.txt")
			if err != nil {
				t.Fatalf("cell %d: written as\n%s\ndoes not read back: %v", i, buf.Bytes(), err)
			}
			if len(back.Results) != 1 {
				t.Fatalf("cell %d: written as\n%s\nreads back as %d cells", i, buf.Bytes(), len(back.Results))
			}
			b := &back.Results[0]
			if b.Cell != r.Cell || b.Ops != r.Ops || b.IsUnsafe() != r.IsUnsafe() ||
				!slices.EqualFunc(b.Metrics, r.Metrics, func(x, y runner.Metric) bool { return x.Unit == y.Unit && x.Value == y.Value }) {
				t.Fatalf("cell %d: %+v\nwritten as\n%s\nreads back as %+v", i, *r, buf.Bytes(), *b)
			}
		}
	})
}
