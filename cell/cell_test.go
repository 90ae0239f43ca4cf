package cell

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNameParse(t *testing.T) {
	tests := []struct {
		name string
		cell Cell
		want string
	}{
		{"procs", Cell{"faults", "vmarefcnt", 8, 8}, "VMA/workload=faults/strategy=vmarefcnt/threads=8-8"},
		{"procs 1 has no suffix", Cell{"maps-walk", "kernel", 2, 1}, "VMA/workload=maps-walk/strategy=kernel/threads=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cell.Name(); got != tt.want {
				t.Fatalf("Name() = %q, want %q", got, tt.want)
			}
			got, err := Parse(tt.want)
			if err != nil || got != tt.cell {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.want, got, err, tt.cell)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"other benchmark", "Other-2", ErrName.Error()},
		{"no strategy", "VMA/workload=faults/threads=2-2", ErrName.Error()},
		{"extra key", "VMA/workload=faults/strategy=vmaseq/threads=2/size=4-2", ErrName.Error()},
		{"repeated key", "VMA/workload=faults/workload=faults/strategy=vmaseq/threads=2", ErrName.Error()},
		{"bad threads", "VMA/workload=faults/strategy=vmaseq/threads=x", `threads "x" is not a positive integer`},
		{"zero threads", "VMA/workload=faults/strategy=vmaseq/threads=0", `threads "0" is not a positive integer`},
		{"upper-case name", "VMA/workload=Faults/strategy=vmaseq/threads=1", ErrName.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q) error %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}

// TestParseAnyOrder checks that the keys may come in any order, as
// benchstat's name filters allow.
func TestParseAnyOrder(t *testing.T) {
	got, err := Parse("VMA/threads=2/strategy=vmaseq/workload=faults-4")
	want := Cell{"faults", "vmaseq", 2, 4}
	if err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
}

// FuzzParseName checks that whatever Parse accepts is a valid cell whose
// Name parses back to the same cell. The seeds are the names in the
// results files under ../report/testdata, as people edit them.
func FuzzParseName(f *testing.F) {
	f.Add("VMA/workload=faults/strategy=vmarefcnt/threads=8-8")
	f.Add("VMA/threads=2/strategy=vmaseq/workload=faults")
	txt, _ := filepath.Glob(filepath.Join("..", "report", "testdata", "*.txt"))
	golden, _ := filepath.Glob(filepath.Join("..", "report", "testdata", "*.golden"))
	for _, path := range append(txt, golden...) {
		file, err := os.Open(path)
		if err != nil {
			f.Fatal(err)
		}
		s := bufio.NewScanner(file)
		for s.Scan() {
			line := strings.TrimPrefix(strings.TrimPrefix(s.Text(), "# deadlock "), "# timeout ")
			if name, ok := strings.CutPrefix(line, "Benchmark"); ok {
				f.Add(strings.Fields(name + " ")[0])
			}
		}
		file.Close()
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, err := Parse(name)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse(%q) = %+v, which does not validate: %v", name, c, err)
		}
		back, err := Parse(c.Name())
		if err != nil || back != c {
			t.Fatalf("Parse(%q) = %+v; its Name %q parses as %+v, %v", name, c, c.Name(), back, err)
		}
	})
}
