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
	"vmabench/sim"
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
// A VMA must not be copied.
//
// # Layout
//
// The fields lie on the cache lines include/linux/mm_types.h puts them on
// (x86-64; layout_test.go prints both and fails if they drift), and a VMA
// is 192 bytes, three lines, a size Go allocates on a line boundary, as the
// vm_area_struct slab (SLAB_HWCACHE_ALIGN) does:
//
//   - line 0, which every fault and lookup reads: vm_start, vm_end, vm_mm,
//     vm_page_prot and vm_lock_seq at their v6.18 offsets; v6.4's vm_lock
//     pointer and detached flag at theirs (v6.18 has anon_vma_chain there).
//     Writers write this line too (the range, vm_lock_seq), in the kernel
//     as here, so the checker's fields (changing, gen in vm_flags' place,
//     freed) sit on it, where writing them costs no line transfer the
//     kernel's writer does not make.
//   - line 1: anon_vma, vm_pgoff and vm_file, read by a fault (and the
//     model's VM_SHARED flag, a vm_flags bit on line 0 in the kernel).
//   - line 2: vm_refcnt (v6.15+), ____cacheline_aligned_in_smp: the one
//     word readers write, alone on its line.
//
// Lock is v6.4's vm_lock: a pointer to an rw_semaphore in a separate slab
// object (kmem_cache "vma_lock"), packed so that neighbouring VMAs' locks
// share lines (see vmaLockSlab).
type VMA struct {
	// Line 0.
	start    Uint64      // 0: vma->vm_start
	end      Uint64      // 8: vma->vm_end
	mm       Pointer[MM] // 16: vma->vm_mm: re-checked after type-safe reuse
	prot     Uint32      // 24: vma->vm_page_prot
	changing checkInt32  // 28: checker: writers mark a VMA while they change it
	gen      checkUint64 // 32: checker: bumped by each change (where vm_flags lies)
	LockSeq  Int64       // 40: vma->vm_lock_seq
	Lock     *RWSem      // 48: vma->vm_lock (v6.4): &vma->vm_lock->lock
	Detached Bool        // 56: vma->detached (v6.4)
	// freed is the checker's mark that the VMA went back to the cache
	// (vm_area_free()) and has not been handed out again.
	freed checkBool // 60

	// Line 1.
	anonVMA Bool          // 64: vma->anon_vma != NULL
	shared  Bool          // 68: VM_SHARED (a vm_flags bit, line 0): a MAP_SHARED file mapping
	_       [8]byte       // 72: vm_ops
	pgoff   Uint64        // 80: vma->vm_pgoff: the file page at vm_start
	file    Pointer[File] // 88: vma->vm_file; nil for anonymous memory
	_       [cacheLine - 32]byte

	// Line 2.
	Refcnt Int32 // 128: vma->vm_refcnt (v6.15+), ____cacheline_aligned_in_smp
	_      [cacheLine - 4]byte
}

// cacheLine is x86-64's cache line, L1_CACHE_BYTES.
const cacheLine = 64

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
//
// It tests sim.On() once and then loads the words directly, which keeps a
// real run's cost of two loads; containsSim makes the same loads as
// scheduling points.
func (v *VMA) Contains(addr uint64) bool {
	if sim.On() {
		return v.containsSim(addr)
	}
	return addr >= v.start.v.Load() && addr < v.end.v.Load()
}

//go:noinline
func (v *VMA) containsSim(addr uint64) bool {
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
