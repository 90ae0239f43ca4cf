package kernel

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The calls a timed window makes (Mmap, MmapFile, Munmap, Mprotect,
// DontNeed, Mincore, MincoreEmpty, ProcFile.ReadAll, NullSyscall) enter the
// kernel raw (unix.RawSyscall), as the C peers' libc calls do, not through
// Go's wrapper (unix.Syscall). The wrapper's entersyscall and exitsyscall
// touch the goroutine's, the thread's and the P's state around every call,
// and where every system call flushes the TLB (a guest without PCID) each
// page touched between two calls costs a page walk. On the 2-CPU VM this
// was measured on, a loop of 128 MiB mmap and munmap pairs ran at 0.93 of
// will-it-scale's mmap1 through the wrapper, and the kernel cell (the
// wrapper and a clock read around every pair) at 0.85; raw, with a sampled
// clock, the cell ran at 0.92-0.94 (three runs back to back).
//
// A raw call keeps its P while it sleeps in the kernel (on mmap_lock, say),
// which is safe here: the runner gives every worker thread a P of its own
// (GOMAXPROCS is the thread count plus one), so no goroutine waits for that
// P, and the collector is off during a window. Go's scheduler only lends a
// blocked call's P to others, which the workers never need.

// rawErr turns a raw call's errno into an error, nil for success.
func rawErr(e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// rawMmap is mmap(2) made raw.
func rawMmap(hint unsafe.Pointer, n uintptr, prot Prot, flags, fd int) (unsafe.Pointer, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_MMAP, uintptr(hint), n, uintptr(prot), uintptr(flags), uintptr(fd), 0)
	if e != 0 {
		return nil, e
	}
	// The kernel's address, not a Go pointer: read as one without the
	// conversion vet rightly flags for Go memory.
	return *(*unsafe.Pointer)(unsafe.Pointer(&r)), nil
}
