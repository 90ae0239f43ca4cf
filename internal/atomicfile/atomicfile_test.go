package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name    string
		write   func(io.Writer) error
		wantErr bool
		want    string // the destination's content afterwards
	}{
		{"ok", func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }, false, "new\n"},
		{"failed write keeps the old file", func(w io.Writer) error {
			io.WriteString(w, "half")
			return errors.New("boom")
		}, true, "old\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.txt")
			if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := Write(path, tt.write)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Write: err %v, want error %v", err, tt.wantErr)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != tt.want {
				t.Errorf("content %q (%v), want %q", got, err, tt.want)
			}
			if !tt.wantErr {
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
					t.Errorf("mode %v, want 0644", fi.Mode().Perm())
				}
			}
			if tmp, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
		})
	}
}

// TestCreateHidesTemp checks that the file is invisible under its name until
// Commit.
func TestCreateHidesTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("x")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("destination exists before Commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "x" {
		t.Errorf("content %q, want x", got)
	}
}
