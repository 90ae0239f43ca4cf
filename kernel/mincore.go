package kernel

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Mincore reports which pages of b, memory mapped here, are resident, one
// byte of vec per page (mincore(2)). vec must hold a byte per page of b. The
// kernel takes mmap_read_lock around its walk of b's VMA (do_mincore()), so
// every call is one mmap_lock read round trip; it allocates nothing.
func Mincore(b, vec []byte) error {
	if len(b) == 0 || len(vec) < (len(b)+PageSize()-1)/PageSize() {
		return unix.EINVAL
	}
	_, _, e := unix.RawSyscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	return rawErr(e)
}

// MincoreEmpty calls mincore() with a length of 0: the syscall's entry and
// exit and its page buffer (__get_free_page(), free_page()), but no
// mmap_read_lock, since there is no page to walk.
func MincoreEmpty(b, vec []byte) error {
	_, _, e := unix.RawSyscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), 0, uintptr(unsafe.Pointer(&vec[0])))
	return rawErr(e)
}

// NullSyscall makes the cheapest system call there is, getppid(2), as every
// call of the timed windows is made (raw, without Go's wrapper: raw.go): the
// kernel's entry and exit alone, which every system call pays outside any
// lock, and the stand-in for a page fault's exception entry and exit, which
// user space cannot time apart from the fault.
func NullSyscall() { unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0) }

// SchedYield makes sched_yield(2), raw as NullSyscall: with nothing else
// runnable on the CPU, the system call and one pass through schedule()
// that picks the caller again.
func SchedYield() { unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }
