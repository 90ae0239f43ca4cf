package nightly

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vmabench/cell"
	"vmabench/runner"
)

func TestCheckMachine(t *testing.T) {
	for _, name := range []string{"a", "ci-epyc-2", "x86", strings.Repeat("a", 63)} {
		if err := CheckMachine(name); err != nil {
			t.Errorf("CheckMachine(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"", "-a", "a-", "CI", "a.b", "a_b", "a/b", "..", strings.Repeat("a", 64)} {
		err := CheckMachine(name)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("machine name %q: want 1 to 63 lower-case letters, digits and inner hyphens", name)) {
			t.Errorf("CheckMachine(%q) = %v, want an error naming it and the valid names", name, err)
		}
	}
}

// writeFile writes a results file with header h and rs at dir/name.
func writeFile(t *testing.T, dir, name string, h []cell.KV, rs []runner.Result) string {
	t.Helper()
	saved := testHeader
	testHeader = h
	defer func() { testHeader = saved }()
	return writeNight(t, dir, name, rs)
}

// withKV returns testHeader with key set to value ("" drops it).
func withKV(key, value string) []cell.KV {
	h := slices.DeleteFunc(slices.Clone(testHeader), func(kv cell.KV) bool { return kv.Key == key })
	if value != "" {
		h = append(h, cell.KV{Key: key, Value: value})
	}
	return h
}

// TestLoadMachineBadInput fills a machine's folder with one good night and
// one bad file per case: the bad file is named in a problem that says what
// is wrong and left out; the good night stays.
func TestLoadMachineBadInput(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		header []cell.KV
		rs     []runner.Result
		want   string
	}{
		{"another machine's file", "2026-01-02-bbbbbbb.txt", withKV("machine", "ci-epyc"), nightResults(2, 100),
			`: a file of machine "ci-epyc" in the folder of "test-vm": move it to its own machine's folder`},
		{"no machine", "2026-01-02-bbbbbbb.txt", withKV("machine", ""), nightResults(2, 100),
			`: no machine (no "machine" config line)`},
		{"truncated", "2026-01-02-bbbbbbb.txt", withKV("nightly-cells", "24"), nightResults(2, 100),
			": truncated: 12 of the 24 cells it was to hold"},
		{"wrong night", "2026-01-02-bbbbbbb.txt", withKV("nightly-date", "2026-01-09"), nightResults(2, 100),
			": named for the night of 2026-01-02 but made on the night of 2026-01-09"},
		{"same night and commit", "2026-01-01-0123456789ab.txt", testHeader, nightResults(2, 100),
			": claims the same night, commit and run as "},
		{"empty", "2026-01-02-bbbbbbb.txt", testHeader, nil, ": no results (an empty or truncated file?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			good := writeNight(t, dir, "2026-01-01-0123456.txt", nightResults(1, 100))
			bad := writeFile(t, dir, tt.file, tt.header, tt.rs)
			es, err := List(dir)
			if err != nil {
				t.Fatal(err)
			}
			nights, problems := LoadMachine(testMachine, es)
			if len(nights) != 1 || nights[0].Path != good {
				var got []string
				for _, n := range nights {
					got = append(got, n.Path)
				}
				t.Errorf("nights %q, want only %s", got, good)
			}
			if len(problems) != 1 || !strings.HasPrefix(problems[0].Error(), bad) || !strings.Contains(problems[0].Error(), tt.want) {
				t.Errorf("problems %q, want one: %s%s", problems, bad, tt.want)
			}
		})
	}
}

func TestReadTree(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"test-vm", "ci-epyc", "Bad_Name", ".git"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeNight(t, root, "2026-01-01-aaaaaaa.txt", nightResults(1, 100))
	touch(t, root, "README.md")
	tree, err := ReadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ci-epyc", "test-vm"}; !slices.Equal(tree.Machines, want) {
		t.Errorf("machines %q, want %q", tree.Machines, want)
	}
	want := []string{
		filepath.Join(root, "2026-01-01-aaaaaaa.txt") + ": a nightly file outside any machine folder, left out: move it to " + root + "/<machine>/ (git mv keeps its history)",
		filepath.Join(root, "Bad_Name") + `: folder left out: machine name "Bad_Name": want`,
	}
	slices.Sort(want)
	var got []string
	for _, p := range tree.Problems {
		got = append(got, p.Error())
	}
	slices.Sort(got)
	if len(got) != len(want) {
		t.Fatalf("problems %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %q, want prefix %q", got[i], want[i])
		}
	}
	if tree, err := ReadTree(filepath.Join(root, "nowhere")); err != nil || len(tree.Machines) != 0 {
		t.Errorf("ReadTree(missing) = %v, %v; want an empty tree", tree, err)
	}
}

// TestRunOwnMachine runs a night of test-vm in a tree where another
// machine, twice as fast, has newer nights: the run compares with its own
// machine's night only, and files itself in its own folder with its
// machine in the header.
func TestRunOwnMachine(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "results", testMachine)
	other := filepath.Join(dir, "results", "fast-box")
	for _, d := range []string{own, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mine := writeNight(t, own, "2026-01-01-aaaaaaa.txt", nightResults(1, 100))
	writeFile(t, other, "2026-01-04-bbbbbbb.txt", withKV("machine", "fast-box"), nightResults(2, 1))
	o, out := run(t, tinyConfig(dir, date(2026, 1, 5)))
	if o.Baseline != mine {
		t.Errorf("baseline %q, want the machine's own night %q:\n%s", o.Baseline, mine, out)
	}
	if filepath.Dir(o.Path) != own {
		t.Errorf("new file %s, want it in %s", o.Path, own)
	}
	for _, key := range []string{"machine", "cpus", "cpu", "kernel", "nightly-date", "nightly-cells"} {
		if v, ok := header(o.Header, key); !ok || v == "" {
			t.Errorf("new file's header has no %q: %v", key, o.Header)
		}
	}
	if v, _ := header(o.Header, "machine"); v != testMachine {
		t.Errorf("machine %q, want %q", v, testMachine)
	}
	if !strings.Contains(out, "machine: "+testMachine+" (") {
		t.Errorf("output does not name the machine:\n%s", out)
	}
}
