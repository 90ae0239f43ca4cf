package nightly

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vmabench/report"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestFileName(t *testing.T) {
	day := time.Date(2026, 1, 5, 23, 30, 0, 0, time.FixedZone("UTC+2", 2*3600)) // 21:30 UTC
	tests := []struct {
		name   string
		commit string
		seq    int
		want   string
	}{
		{"first run", "abc1234", 1, "2026-01-05-abc1234.txt"},
		{"second run", "abc1234", 2, "2026-01-05-abc1234-2.txt"},
		{"tenth run", "abc1234", 10, "2026-01-05-abc1234-10.txt"},
		{"dirty", "abc1234-dirty", 1, "2026-01-05-abc1234-dirty.txt"},
		{"dirty, second run", "abc1234-dirty", 2, "2026-01-05-abc1234-dirty-2.txt"},
		{"empty commit", "", 1, "2026-01-05-unknown.txt"},
		{"unsafe characters", "feature/x y", 1, "2026-01-05-feature-x-y.txt"},
		{"digits that would read as a seq", "v1-2", 1, "2026-01-05-v1_2.txt"},
		{"all digits", "1234567", 1, "2026-01-05-1234567.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FileName(day, tt.commit, tt.seq)
			if got != tt.want {
				t.Fatalf("FileName(%q, %d) = %q, want %q", tt.commit, tt.seq, got, tt.want)
			}
			e, ok := ParseName(got)
			if !ok {
				t.Fatalf("ParseName(%q) failed", got)
			}
			if !e.Date.Equal(date(2026, 1, 5)) || e.Seq != tt.seq || e.Commit != safeCommit(tt.commit) {
				t.Errorf("ParseName(%q) = %+v, want date 2026-01-05, seq %d, commit %q", got, e, tt.seq, safeCommit(tt.commit))
			}
		})
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		name   string
		ok     bool
		commit string
		seq    int
	}{
		{"2026-01-05-abc1234.txt", true, "abc1234", 1},
		{"2026-01-05-abc1234-3.txt", true, "abc1234", 3},
		{"2026-01-05-abc1234-dirty-2.txt", true, "abc1234-dirty", 2},
		{"2026-01-05-1234567.txt", true, "1234567", 1},
		{"2026-01-05-1234567-2.txt", true, "1234567", 2},
		{"2026-01-05-abc-1.txt", true, "abc-1", 1},   // -1 is not a seq: FileName never writes it
		{"2026-01-05-abc-02.txt", true, "abc-02", 1}, // nor a leading zero
		{"2026-01-05.txt", false, "", 0},
		{"2026-01-05-.txt", false, "", 0},
		{"2026-01-05--2.txt", false, "", 0},
		{"2026-01-05-abc-.txt", false, "", 0},
		{"2026-13-05-abc.txt", false, "", 0},
		{"2026-1-5-abc.txt", false, "", 0},
		{"2026-01-05-abc.txt.bak", false, "", 0},
		{"2026-01-05-abc.csv", false, "", 0},
		{"2026-01-05-a b.txt", false, "", 0},
		{".nightly-123.tmp", false, "", 0},
		{"README.md", false, "", 0},
		{"new.txt", false, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := ParseName(tt.name)
			if ok != tt.ok {
				t.Fatalf("ParseName(%q) ok = %v, want %v", tt.name, ok, tt.ok)
			}
			if ok && (e.Commit != tt.commit || e.Seq != tt.seq || e.Path != tt.name) {
				t.Errorf("ParseName(%q) = %+v, want commit %q seq %d", tt.name, e, tt.commit, tt.seq)
			}
		})
	}
}

func TestShortCommit(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0123456789abcdef0123456789abcdef01234567", "0123456"},
		{"0123456789abcdef0123456789abcdef01234567-dirty", "0123456-dirty"},
		{"abc1234", "abc1234"},
		{"abc12", "abc12"},
		{"unknown", "unknown"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ShortCommit(tt.in); got != tt.want {
			t.Errorf("ShortCommit(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// touch creates the named files (and directories, named with a trailing
// slash) in dir.
func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(dir, n)
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  []string
	}{
		{
			name:  "by date",
			files: []string{"2026-01-10-ccc.txt", "2025-12-31-aaa.txt", "2026-01-02-bbb.txt"},
			want:  []string{"2025-12-31-aaa.txt", "2026-01-02-bbb.txt", "2026-01-10-ccc.txt"},
		},
		{
			name: "runs of a night by seq, not by name or commit",
			files: []string{"2026-01-02-fff-10.txt", "2026-01-02-fff-2.txt", "2026-01-02-zzz.txt",
				"2026-01-02-aaa-3.txt", "2026-01-01-zzz-2.txt"},
			want: []string{"2026-01-01-zzz-2.txt", "2026-01-02-zzz.txt", "2026-01-02-fff-2.txt",
				"2026-01-02-aaa-3.txt", "2026-01-02-fff-10.txt"},
		},
		{
			name:  "same date and seq by name",
			files: []string{"2026-01-02-bbb.txt", "2026-01-02-aaa.txt"},
			want:  []string{"2026-01-02-aaa.txt", "2026-01-02-bbb.txt"},
		},
		{
			name: "junk ignored",
			files: []string{"README.md", "new.txt", ".nightly-42.tmp", "2026-01-02-aaa.txt.orig",
				"2026-02-30-aaa.txt", "2026-01-03-bbb.txt/", "2026-01-02-aaa.txt", "index.html"},
			want: []string{"2026-01-02-aaa.txt"},
		},
		{
			name:  "empty",
			files: nil,
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			touch(t, dir, tt.files...)
			es, err := List(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				if filepath.Dir(e.Path) != dir {
					t.Errorf("entry path %q is not in %s", e.Path, dir)
				}
				got = append(got, e.Name())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("List = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestListMissingDir(t *testing.T) {
	es, err := List(filepath.Join(t.TempDir(), "none"))
	if err != nil || es != nil {
		t.Errorf("List(missing dir) = %v, %v; want an empty history", es, err)
	}
}

// TestClaim checks that a new run never replaces a file: the night's
// next seq follows every run of that night, whatever its commit, and a name
// taken meanwhile is passed over.
func TestClaim(t *testing.T) {
	tests := []struct {
		name     string
		existing []string
		commit   string
		want     string
	}{
		{"first of the night", []string{"2026-01-04-abc1234.txt"}, "abc1234", "2026-01-05-abc1234.txt"},
		{"same commit again", []string{"2026-01-05-abc1234.txt"}, "abc1234", "2026-01-05-abc1234-2.txt"},
		{"other commit, same night", []string{"2026-01-05-abc1234.txt"}, "def5678", "2026-01-05-def5678-2.txt"},
		{"after the last run", []string{"2026-01-05-abc1234.txt", "2026-01-05-abc1234-4.txt"}, "abc1234", "2026-01-05-abc1234-5.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			touch(t, dir, tt.existing...)
			history, err := List(dir)
			if err != nil {
				t.Fatal(err)
			}
			tmp := filepath.Join(dir, ".new.tmp")
			if err := os.WriteFile(tmp, []byte("new"), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := claim(tmp, dir, date(2026, 1, 5), tt.commit, nextSeq(history, date(2026, 1, 5)))
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tt.want); got != want {
				t.Errorf("claim = %q, want %q", got, want)
			}
			for _, n := range tt.existing {
				if b, err := os.ReadFile(filepath.Join(dir, n)); err != nil || len(b) != 0 {
					t.Errorf("%s was overwritten (%q, %v)", n, b, err)
				}
			}
		})
	}

	// A name taken after the history was listed is passed over.
	dir := t.TempDir()
	touch(t, dir, "2026-01-05-abc1234.txt", "2026-01-05-abc1234-2.txt")
	tmp := filepath.Join(dir, ".new.tmp")
	touch(t, dir, ".new.tmp")
	got, err := claim(tmp, dir, date(2026, 1, 5), "abc1234", 1)
	if want := filepath.Join(dir, "2026-01-05-abc1234-3.txt"); err != nil || got != want {
		t.Errorf("claim over taken names = %q, %v; want %q", got, err, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeNight(t, dir, "2026-01-01-aaa.txt", nightResults(1, 100))
	if err := os.WriteFile(filepath.Join(dir, "2026-01-02-bbb.txt"),
		[]byte("goos: linux\nBenchmarkVMA/workload=faults/strategy=vmaseq/threads=1 100 abc ns/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	touch(t, dir, "2026-01-03-ccc.txt") // empty: a run that died before writing
	writeNight(t, dir, "2026-01-04-ddd.txt", nightResults(1, 100))
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "2026-01-05-eee.txt")); err != nil {
		t.Fatal(err)
	}
	es, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	nights, problems := Load(es)
	var got []string
	for _, n := range nights {
		got = append(got, n.Name())
	}
	if want := []string{"2026-01-01-aaa.txt", "2026-01-04-ddd.txt"}; !slices.Equal(got, want) {
		t.Errorf("nights = %q, want %q", got, want)
	}
	want := []string{
		filepath.Join(dir, "2026-01-02-bbb.txt") + ":2: ",
		filepath.Join(dir, "2026-01-03-ccc.txt") + ": no results",
		filepath.Join(dir, "2026-01-05-eee.txt") + ": no such file or directory",
	}
	if len(problems) != len(want) {
		t.Fatalf("problems = %q, want %d", problems, len(want))
	}
	for i, p := range problems {
		if !strings.HasPrefix(p.Error(), want[i]) {
			t.Errorf("problem %d = %q, want it to start %q", i, p, want[i])
		}
	}
	if !errors.As(problems[0], new(*report.ParseError)) {
		t.Errorf("problem 0 is %T, want *report.ParseError", problems[0])
	}
}
