// Package mm is the simulated address space every strategy runs over: VMAs, the
// MM that owns them, the VMA tree that readers search without a lock, the VMA
// cache with type-safe reuse, and a page table.
//
// The package takes no lock of its own. Locking is what the strategies compare,
// so every primitive here documents which lock its caller must hold, in the
// kernel's terms, and leaves taking it to the caller.
//
// Fields that a racing reader may load (a reader that found a VMA under "RCU"
// but has not locked it yet, or the nolock baseline) are atomics, as the kernel
// reads them with READ_ONCE. That keeps the race detector quiet about the races
// the kernel tolerates by design, so it still reports the ones it does not.
package mm

import (
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// PageShift and PageSize describe the simulated page: 4 KiB, as on x86-64.
const (
	PageShift = 12
	PageSize  = 1 << PageShift
)

// Prot is a VMA's protection, as the PROT_* flags of mmap(2).
type Prot uint32

// Protection bits.
const (
	ProtRead Prot = 1 << iota
	ProtWrite
	ProtExec
)

// String returns the protection as /proc/pid/maps prints it, e.g. "rw-".
func (p Prot) String() string {
	b := []byte("---")
	if p&ProtRead != 0 {
		b[0] = 'r'
	}
	if p&ProtWrite != 0 {
		b[1] = 'w'
	}
	if p&ProtExec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// VMA models struct vm_area_struct: the range [Start, End) of an MM with one
// protection, plus the lock fields of every design.
//
// Each strategy uses only its own lock fields:
//   - Lock and Detached are the 2023 design's per-VMA rw-semaphore and
//     detached flag (vmaseq);
//   - Refcnt is the 2024+ vm_refcnt (vmarefcnt, vmawait): 0 detached,
//     1 attached, 1+n with n readers, plus RefcntExcludeReaders while a
//     writer excludes readers;
//   - LockSeq is vm_lock_seq, compared with the MM's LockSeq (mm_lock_seq)
//     by both per-VMA designs.
//
// A VMA must not be copied. The trailing pad keeps two VMAs' lock words off
// one cache line, so per-VMA designs do not share lines by accident.
type VMA struct {
	Lock     RWSem        // vma->vm_lock->lock (v6.4 rwsem)
	LockSeq  atomic.Int64 // vma->vm_lock_seq
	Refcnt   atomic.Int32 // vma->vm_refcnt (v6.15+)
	Detached atomic.Bool  // vma->detached (v6.4)

	mm      atomic.Pointer[MM]   // vma->vm_mm: re-checked after type-safe reuse
	start   atomic.Uint64        // vma->vm_start
	end     atomic.Uint64        // vma->vm_end
	prot    atomic.Uint32        // vma->vm_page_prot
	anonVMA atomic.Bool          // vma->anon_vma != NULL
	file    atomic.Pointer[File] // vma->vm_file; nil for anonymous memory
	pgoff   atomic.Uint64        // vma->vm_pgoff: the file page at vm_start
	shared  atomic.Bool          // VM_SHARED: a MAP_SHARED file mapping

	// Checker state: writers mark a VMA while they change it and bump gen;
	// readers assert the mark is clear and gen unchanged while they hold it.
	changing atomic.Int32
	gen      atomic.Uint64
	// freed is the checker's mark that the VMA went back to the cache
	// (vm_area_free()) and has not been handed out again.
	freed atomic.Bool

	_ cpu.CacheLinePad
}

// Start returns vm_start.
func (v *VMA) Start() uint64 { return v.start.Load() }

// End returns vm_end.
func (v *VMA) End() uint64 { return v.end.Load() }

// Prot returns the protection.
func (v *VMA) Prot() Prot { return Prot(v.prot.Load()) }

// MM returns vm_mm: the address space the VMA belongs to now. After type-safe
// reuse it can differ from the MM in whose tree a racing reader found it.
func (v *VMA) MM() *MM { return v.mm.Load() }

// Contains reports whether addr lies in [vm_start, vm_end).
func (v *VMA) Contains(addr uint64) bool {
	return addr >= v.start.Load() && addr < v.end.Load()
}

// File returns vm_file, or nil for an anonymous VMA.
func (v *VMA) File() *File { return v.file.Load() }

// IsAnonymous models vma_is_anonymous(): no vm_ops, no file.
func (v *VMA) IsAnonymous() bool { return v.file.Load() == nil }

// Shared reports VM_SHARED.
func (v *VMA) Shared() bool { return v.shared.Load() }

// HasAnonVMA reports whether anon_vma is prepared (see HandleFault).
func (v *VMA) HasAnonVMA() bool { return v.anonVMA.Load() }
