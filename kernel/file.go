package kernel

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FS describes the file system of a directory, as statfs(2) reports it.
type FS struct {
	// Dir is the directory asked about.
	Dir string
	// Name is "tmpfs" for shmem, else the magic's name where known
	// ("ext4", "xfs", "btrfs") or the magic in hex.
	Name string
	// Tmpfs is set for shmem (tmpfs, /dev/shm): no ->page_mkwrite, pages
	// in memory only.
	Tmpfs bool
	// Free is the bytes an unprivileged writer may still allocate
	// (f_bavail * f_bsize).
	Free uint64
}

// StatFS returns the file system of dir.
func StatFS(dir string) (FS, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return FS{}, fmt.Errorf("statfs %s: %w", dir, err)
	}
	fs := FS{Dir: dir, Free: uint64(st.Bavail) * uint64(st.Bsize)}
	switch st.Type {
	case unix.TMPFS_MAGIC:
		fs.Name, fs.Tmpfs = "tmpfs", true
	case unix.EXT4_SUPER_MAGIC:
		fs.Name = "ext4"
	case unix.XFS_SUPER_MAGIC:
		fs.Name = "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		fs.Name = "btrfs"
	default:
		fs.Name = fmt.Sprintf("fs-%#x", st.Type)
	}
	return fs, nil
}

// ErrNoRoom is wrapped by TempFile's error when the directory's file system
// cannot hold the file.
var ErrNoRoom = errors.New("not enough free space")

// TempFile creates a file of size bytes in dir for a file mapping, as
// will-it-scale's page_fault2, page_fault3 and mmap2 make theirs: mkstemp,
// ftruncate (a sparse file: every page a hole until written) and unlink, so
// it disappears with its descriptor. It first checks that the file system
// has room for all of it (statfs), so that a shared mapping's dirty pages
// can be written back: otherwise a write fault on a hole that the file
// system cannot allocate (ENOSPC in ->page_mkwrite()) is a SIGBUS. The
// caller closes the file.
func TempFile(dir string, size uint64) (*os.File, error) {
	fs, err := StatFS(dir)
	if err != nil {
		return nil, err
	}
	if fs.Free < size {
		return nil, fmt.Errorf("temp dir %s (%s): a file of %d MiB needs %d MiB, %d MiB free: %w (set TMPDIR to another directory)",
			dir, fs.Name, size>>20, size>>20, fs.Free>>20, ErrNoRoom)
	}
	f, err := os.CreateTemp(dir, "vmabench.")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("ftruncate %s to %d bytes: %w", f.Name(), size, err)
	}
	return f, nil
}

// MmapFile maps n bytes of the file f from offset 0 with protection prot,
// MAP_SHARED if shared, else MAP_PRIVATE, at hint if that range is free, as
// Mmap does for anonymous memory.
func MmapFile(hint unsafe.Pointer, n uintptr, prot Prot, f *os.File, shared bool) (unsafe.Pointer, error) {
	flags := unix.MAP_PRIVATE
	if shared {
		flags = unix.MAP_SHARED
	}
	return rawMmap(hint, n, prot, flags, int(f.Fd()))
}

// MemTotal returns the machine's memory in bytes (/proc/meminfo's
// MemTotal), or 0 if it cannot be read. It is read once.
var MemTotal = sync.OnceValue(func() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
})
