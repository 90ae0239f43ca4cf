// Package kernel is vmabench's thin layer over the host kernel, for the
// kernel strategy: private anonymous memory mapped, unmapped, protected and
// reset with real system calls, a thread's own page-fault count, and what
// the running kernel is (its release, CONFIG_PER_VMA_LOCK, the vma_lock_*
// counters of /proc/vmstat).
//
// The calls a timed window makes (Mmap, Munmap, Mprotect, DontNeed,
// ThreadFaults.Minor, ProcFile.ReadAll) allocate nothing on success, and
// enter the kernel without Go's system-call wrapper (raw.go): they
// take and return addresses and slices the caller set up beforehand, so the
// Go runtime neither collects nor maps memory of its own while they run.
//
// Only memory this package mapped is ever changed: Region hands out
// MAP_FIXED mappings only inside a PROT_NONE reservation it made itself, and
// Mmap passes its address as a hint, never with MAP_FIXED, so it cannot
// replace a mapping of the Go runtime's.
package kernel

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Prot is a protection of mmap(2) and mprotect(2), a set of PROT_* bits.
type Prot int

// Protections.
const (
	ProtNone  Prot = unix.PROT_NONE
	ProtRead  Prot = unix.PROT_READ
	ProtWrite Prot = unix.PROT_WRITE
	ProtExec  Prot = unix.PROT_EXEC
)

// anon are the flags of every mapping made here: private anonymous memory,
// what an anonymous page fault (do_anonymous_page()) serves.
const anon = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS

// PageSize returns the host's page size.
func PageSize() int { return os.Getpagesize() }

// Region is address space reserved with Reserve: one PROT_NONE mapping
// (with MAP_NORESERVE, so it costs no memory) at an address the kernel
// chose. Map places real mappings at chosen offsets inside it with
// MAP_FIXED, which is safe there and only there: the range still belongs to
// the reservation, so nothing of the Go runtime's can be replaced. Trim then
// unmaps what is left of the reservation, so the address space holds the
// mappings alone, laid out as the caller chose.
//
// A guard page of the reservation stays on either side until Close: the
// kernel merges an anonymous mapping with a compatible neighbour
// (vma_merge_new_range()), and the guards keep the region's first and last
// mappings from merging with whatever the kernel places next to it.
//
// Reserve also leaves Headroom bytes free on either side of the region. The
// kernel puts a mapping made without an address in the highest free gap
// that fits (unmapped_area_topdown(); the lowest, bottom-up, in the legacy
// layout), so the mappings the Go runtime makes later, for its heap's
// metadata, land in the headroom rather than in the gaps Trim frees inside
// the region.
//
// A Region is not safe for concurrent use; set it up, then hand out its
// mappings.
type Region struct {
	base    unsafe.Pointer // offset 0, after the lower guard page
	size    uintptr
	guard   uintptr
	maps    []span // handed out by Map, sorted by offset
	trimmed bool
	closed  bool
}

type span struct{ off, n uintptr }

// Headroom is the free address space Reserve leaves on either side of a
// region: 1 GiB, address space only.
const Headroom = 1 << 30

// Reserve reserves size bytes of address space, a multiple of the page
// size, where the kernel finds room.
func Reserve(size uintptr) (*Region, error) {
	if size == 0 || size%uintptr(PageSize()) != 0 {
		return nil, fmt.Errorf("reserve %d bytes: not a positive multiple of the page size", size)
	}
	g := uintptr(PageSize())
	total := Headroom + g + size + g + Headroom
	p, err := unix.MmapPtr(-1, 0, nil, total, unix.PROT_NONE, anon|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("mmap(PROT_NONE, %d bytes): %w", total, err)
	}
	// Once a headroom is unmapped it is no longer ours: on an error, undo
	// only what is still ours.
	if err := unix.MunmapPtr(p, Headroom); err != nil {
		unix.MunmapPtr(p, total)
		return nil, fmt.Errorf("munmap the headroom below a reservation: %w", err)
	}
	if err := unix.MunmapPtr(unsafe.Add(p, total-Headroom), Headroom); err != nil {
		unix.MunmapPtr(unsafe.Add(p, Headroom), total-Headroom)
		return nil, fmt.Errorf("munmap the headroom above a reservation: %w", err)
	}
	return &Region{base: unsafe.Add(p, Headroom+g), size: size, guard: g}, nil
}

// Size returns the size of the region in bytes.
func (r *Region) Size() uintptr { return r.size }

// At returns the address at offset off in the region, as a hint for Mmap.
// It points to memory the caller must not touch unless it mapped it.
func (r *Region) At(off uintptr) unsafe.Pointer { return unsafe.Add(r.base, off) }

// Map replaces [off, off+n) of the reservation with private anonymous
// memory of protection prot (mmap with MAP_FIXED) and returns it. The range
// must lie inside the region, be page-aligned and not overlap an earlier
// Map; Map fails once the region is trimmed, since the rest of the range is
// then no longer the region's to replace.
func (r *Region) Map(off, n uintptr, prot Prot) ([]byte, error) {
	ps := uintptr(PageSize())
	switch {
	case r.trimmed || r.closed:
		return nil, errors.New("map: region already trimmed")
	case n == 0 || off%ps != 0 || n%ps != 0 || off+n > r.size || off+n < off:
		return nil, fmt.Errorf("map [%#x, %#x): not page-aligned inside the %#x-byte region", off, off+n, r.size)
	}
	i := 0
	for i < len(r.maps) && r.maps[i].off < off {
		i++
	}
	if i > 0 && r.maps[i-1].off+r.maps[i-1].n > off || i < len(r.maps) && off+n > r.maps[i].off {
		return nil, fmt.Errorf("map [%#x, %#x): overlaps an earlier mapping", off, off+n)
	}
	p, err := unix.MmapPtr(-1, 0, r.At(off), n, int(prot), anon|unix.MAP_FIXED)
	if err != nil {
		return nil, fmt.Errorf("mmap(MAP_FIXED, [%#x, %#x) of the region): %w", off, off+n, err)
	}
	r.maps = append(r.maps, span{})
	copy(r.maps[i+1:], r.maps[i:])
	r.maps[i] = span{off, n}
	return unsafe.Slice((*byte)(p), n), nil
}

// Trim unmaps every part of the reservation that Map did not replace. The
// freed ranges are the kernel's again: a later Mmap with a hint there gets
// that address if it is still free, and some other address if not.
func (r *Region) Trim() error {
	if r.trimmed || r.closed {
		return nil
	}
	r.trimmed = true
	var errs []error
	unmap := func(from, to uintptr) {
		if from < to {
			if err := unix.MunmapPtr(r.At(from), to-from); err != nil {
				errs = append(errs, fmt.Errorf("munmap [%#x, %#x) of the region: %w", from, to, err))
			}
		}
	}
	at := uintptr(0)
	for _, m := range r.maps {
		unmap(at, m.off)
		at = m.off + m.n
	}
	unmap(at, r.size)
	return errors.Join(errs...)
}

// Close unmaps everything the region still holds: the mappings Map handed
// out, the guard pages and, unless trimmed, the rest of the reservation.
// Slices from Map must not be used afterwards.
func (r *Region) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	all := unsafe.Add(r.base, -int(r.guard))
	if !r.trimmed {
		if err := unix.MunmapPtr(all, r.size+2*r.guard); err != nil {
			return fmt.Errorf("munmap the region: %w", err)
		}
		return nil
	}
	var errs []error
	for _, g := range []unsafe.Pointer{all, r.At(r.size)} {
		if err := unix.MunmapPtr(g, r.guard); err != nil {
			errs = append(errs, fmt.Errorf("munmap a guard page of the region: %w", err))
		}
	}
	for _, m := range r.maps {
		if err := unix.MunmapPtr(r.At(m.off), m.n); err != nil {
			errs = append(errs, fmt.Errorf("munmap [%#x, %#x) of the region: %w", m.off, m.off+m.n, err))
		}
	}
	return errors.Join(errs...)
}

// Mmap maps n bytes of private anonymous memory with protection prot, at
// hint if that range is free and wherever the kernel finds room if not
// (mmap(2) without MAP_FIXED: get_unmapped_area() honours a free hint). It
// returns where the mapping went; the caller owns it and unmaps it with
// Munmap.
func Mmap(hint unsafe.Pointer, n uintptr, prot Prot) (unsafe.Pointer, error) {
	return rawMmap(hint, n, prot, anon, -1)
}

// Munmap unmaps [p, p+n), a mapping made by Mmap.
func Munmap(p unsafe.Pointer, n uintptr) error {
	_, _, e := unix.RawSyscall(unix.SYS_MUNMAP, uintptr(p), n, 0)
	return rawErr(e)
}

// Mprotect sets the protection of b, memory mapped here, to prot. Changing
// part of a mapping splits its VMA, changing it back merges the pieces
// (mprotect_fixup(), vma_modify_flags()).
func Mprotect(b []byte, prot Prot) error {
	_, _, e := unix.RawSyscall(unix.SYS_MPROTECT, sliceAddr(b), uintptr(len(b)), uintptr(prot))
	return rawErr(e)
}

// DontNeed releases the pages of b, memory mapped here, with
// madvise(MADV_DONTNEED) (madvise_dontneed_single_vma() zaps the page
// table entries): the next touch of each page faults in a fresh zeroed
// page. It holds only the VMA's lock or mmap_lock for reading, as a fault
// does, but flushes the TLB of every CPU this process runs on.
func DontNeed(b []byte) error {
	_, _, e := unix.RawSyscall(unix.SYS_MADVISE, sliceAddr(b), uintptr(len(b)), unix.MADV_DONTNEED)
	return rawErr(e)
}

// sliceAddr is the address of b's first byte, 0 for an empty b (which the
// kernel's calls accept with a length of 0).
func sliceAddr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

// NoHugePage asks the kernel to map b with base pages only
// (madvise(MADV_NOHUGEPAGE)), so that every page touched is one page fault
// however the host sets transparent huge pages. A kernel built without
// them (EINVAL) has nothing to turn off.
func NoHugePage(b []byte) error {
	if err := unix.Madvise(b, unix.MADV_NOHUGEPAGE); err != nil && !errors.Is(err, unix.EINVAL) {
		return err
	}
	return nil
}

// ThreadFaults reads the page-fault counts of the calling OS thread with
// getrusage(RUSAGE_THREAD): they are the thread's own (task->min_flt), so
// the Go runtime's other threads do not add to them. The caller must be
// locked to its OS thread (runtime.LockOSThread) between two readings.
//
// The zero value is ready to use; it holds the getrusage buffer, so reading
// allocates nothing.
type ThreadFaults struct {
	ru unix.Rusage
}

// Minor returns the minor page faults the calling thread has taken: faults
// served without I/O, which every anonymous page fault is.
func (f *ThreadFaults) Minor() (uint64, error) {
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &f.ru); err != nil {
		return 0, fmt.Errorf("getrusage(RUSAGE_THREAD): %w", err)
	}
	return uint64(f.ru.Minflt), nil
}
