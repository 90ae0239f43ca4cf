package kernel

import (
	"errors"
	"strings"
	"testing"
	"unsafe"
)

// TestTempFile: a file as will-it-scale makes it (sparse, already
// unlinked) that maps shared and private; a directory whose file system
// cannot hold the file is refused before anything is created, naming the
// directory and the sizes.
func TestTempFile(t *testing.T) {
	dir := t.TempDir()
	const size = 1 << 20
	f, err := TempFile(dir, size)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() != size {
		t.Fatalf("stat: %v, %v; want %d bytes", st, err, size)
	}
	if fs, err := StatFS(dir); err != nil || fs.Name == "" {
		t.Fatalf("StatFS(%s) = %+v, %v", dir, fs, err)
	}
	for _, shared := range []bool{false, true} {
		p, err := MmapFile(nil, size, ProtRead|ProtWrite, f, shared)
		if err != nil {
			t.Fatal(err)
		}
		unsafe.Slice((*byte)(p), size)[4096] = 1
		if err := Munmap(p, size); err != nil {
			t.Fatal(err)
		}
	}
	_, err = TempFile(dir, 1<<60)
	if !errors.Is(err, ErrNoRoom) || !strings.Contains(err.Error(), "temp dir "+dir) || !strings.Contains(err.Error(), "a file of 1099511627776 MiB") {
		t.Errorf("TempFile of 1 EiB = %v, want ErrNoRoom naming %s and the size", err, dir)
	}
}
