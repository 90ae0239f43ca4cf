package mm

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"vmabench/internal/btf"
)

// kernelLayout is where a kernel release puts the words the model keeps:
// byte offsets on x86-64, read from include/linux/mm_types.h and
// include/linux/rwsem.h of that release. The mm_struct offsets depend on the
// configuration (CONFIG_MEMBARRIER, CONFIG_HAVE_ARCH_COMPAT_MMAP_BASES and
// others before mmap_lock); v6.18's are this machine's 6.18.44 kernel's, read
// from its BTF, which TestLayoutBTF compares again where it can.
type kernelLayout struct {
	release string
	structs map[string]map[string]uintptr // struct -> member -> offset; "sizeof" is the size
}

var kernelLayouts = []kernelLayout{
	{"v6.18", map[string]map[string]uintptr{
		"vm_area_struct": {"vm_start": 0, "vm_end": 8, "vm_mm": 16, "vm_page_prot": 24, "vm_flags": 32,
			"vm_lock_seq": 40, "anon_vma": 64, "vm_pgoff": 80, "vm_file": 88, "vm_refcnt": 128, "sizeof": 192},
		"mm_struct":    {"mm_mt": 64, "mmap_lock": 184, "vma_writer_wait": 240, "mm_lock_seq": 248},
		"rw_semaphore": {"count": 0, "owner": 8, "osq": 16, "wait_lock": 20, "wait_list": 24, "sizeof": 40},
	}},
	{"v6.4", map[string]map[string]uintptr{
		"vm_area_struct": {"vm_start": 0, "vm_end": 8, "vm_mm": 16, "vm_page_prot": 24, "vm_flags": 32,
			"vm_lock_seq": 40, "vm_lock": 48, "detached": 56, "anon_vma": 80, "vm_pgoff": 96, "vm_file": 104},
		// struct vma_lock { struct rw_semaphore lock; }, from a slab
		// without SLAB_HWCACHE_ALIGN: objects at a 40-byte stride.
		"vma_lock":     {"lock": 0, "sizeof": 40},
		"rw_semaphore": {"count": 0, "owner": 8, "osq": 16, "wait_lock": 20, "wait_list": 24, "sizeof": 40},
	}},
}

// modelWord is one word of the model beside the kernel word it stands for.
type modelWord struct {
	kstruct, kfield string // the kernel's; kfield "" for the model's own
	name            string // the model's
	off             uintptr
	// checker marks a field the model adds for its own checking.
	checker bool
}

// modelWords returns the model's words and their offsets.
func modelWords() map[string][]modelWord {
	var v VMA
	var m MM
	var s RWSem
	lock := unsafe.Offsetof(m.MmapLock)
	return map[string][]modelWord{
		"VMA": {
			{"vm_area_struct", "vm_start", "start", unsafe.Offsetof(v.start), false},
			{"vm_area_struct", "vm_end", "end", unsafe.Offsetof(v.end), false},
			{"vm_area_struct", "vm_mm", "mm", unsafe.Offsetof(v.mm), false},
			{"vm_area_struct", "vm_page_prot", "prot", unsafe.Offsetof(v.prot), false},
			{"vm_area_struct", "vm_lock_seq", "LockSeq", unsafe.Offsetof(v.LockSeq), false},
			{"vm_area_struct", "vm_lock", "Lock", unsafe.Offsetof(v.Lock), false},
			{"vm_area_struct", "detached", "Detached", unsafe.Offsetof(v.Detached), false},
			{"vm_area_struct", "anon_vma", "anonVMA", unsafe.Offsetof(v.anonVMA), false},
			{"vm_area_struct", "vm_pgoff", "pgoff", unsafe.Offsetof(v.pgoff), false},
			{"vm_area_struct", "vm_file", "file", unsafe.Offsetof(v.file), false},
			{"vm_area_struct", "vm_refcnt", "Refcnt", unsafe.Offsetof(v.Refcnt), false},
			{"", "", "changing", unsafe.Offsetof(v.changing), true},
			{"", "", "gen", unsafe.Offsetof(v.gen), true},
			{"", "", "freed", unsafe.Offsetof(v.freed), true},
		},
		"MM": {
			{"mm_struct", "mm_mt", "tree", unsafe.Offsetof(m.tree), false},
			{"mm_struct", "mmap_lock", "MmapLock", lock, false},
			{"mm_struct", "vma_writer_wait", "writerWait", unsafe.Offsetof(m.writerWait), false},
			{"mm_struct", "mm_lock_seq", "LockSeq", unsafe.Offsetof(m.LockSeq), false},
			{"", "", "writing", unsafe.Offsetof(m.writing), true},
			{"", "", "cache", unsafe.Offsetof(m.cache), false},
			{"", "", "shootdowns", unsafe.Offsetof(m.shootdowns), false},
			{"", "", "sleepers", unsafe.Offsetof(m.sleepers), false},
		},
		"RWSem": {
			{"rw_semaphore", "count", "count", unsafe.Offsetof(s.count), false},
			{"rw_semaphore", "owner", "owner", unsafe.Offsetof(s.owner), false},
			{"rw_semaphore", "osq", "osq", unsafe.Offsetof(s.osq), false},
			{"rw_semaphore", "wait_lock", "waitLock", unsafe.Offsetof(s.waitLock), false},
			{"rw_semaphore", "wait_list", "waitHead", unsafe.Offsetof(s.waitHead), false},
		},
	}
}

// TestLayout prints each model word's offset and cache line beside the
// kernel's, for every release tabulated, and fails where a word the model
// mirrors is not on the kernel's line (v6.18 for VMA and MM: the model's
// offsets are v6.18's; v6.4's vm_lock and detached, which v6.18 does not
// have, against v6.4), where a checker field shares a line with a word
// readers write (the VMA's vm_refcnt; mmap_lock's count and owner, which
// every down_read() writes), or where the allocator does not put a VMA or
// an MM on a line boundary, which every line number here assumes.
func TestLayout(t *testing.T) {
	v618, v64 := kernelLayouts[0].structs, kernelLayouts[1].structs
	words := modelWords()
	var b strings.Builder
	fmt.Fprintf(&b, "%-6s %-10s %8s  %-32s %10s %10s\n", "model", "word", "offset", "kernel", "v6.18", "v6.4")
	for _, st := range []string{"VMA", "MM", "RWSem"} {
		for _, w := range words[st] {
			k, k18, k4 := "(the model's own)", "-", "-"
			if w.kfield != "" {
				k = w.kstruct + "." + w.kfield
				if o, ok := v618[w.kstruct][w.kfield]; ok {
					k18 = fmt.Sprintf("%d:%d", o, o/cacheLine)
				}
				if o, ok := v64[w.kstruct][w.kfield]; ok {
					k4 = fmt.Sprintf("%d:%d", o, o/cacheLine)
				}
			}
			fmt.Fprintf(&b, "%-6s %-10s %5d:%d  %-32s %10s %10s\n", st, w.name, w.off, w.off/cacheLine, k, k18, k4)
		}
	}
	t.Logf("offset:line, model beside kernel (x86-64)\n%s", b.String())

	// The VMA's and the rw_semaphore's words, at the kernel's offsets.
	for _, st := range []string{"VMA", "RWSem"} {
		for _, w := range words[st] {
			if w.kfield == "" {
				continue
			}
			want, ok := v618[w.kstruct][w.kfield]
			if !ok {
				want, ok = v64[w.kstruct][w.kfield]
			}
			// v6.4's vm_lock and detached push what follows them (by
			// 16 bytes, onto the same line): the model has v6.18's.
			if ok && w.off != want {
				t.Errorf("%s.%s at %d, want %s.%s's %d", st, w.name, w.off, w.kstruct, w.kfield, want)
			}
		}
	}
	// The MM's words on v6.18's lines, and mmap_lock's count and owner on
	// two lines, as in v6.18's mm_struct.
	for _, w := range words["MM"] {
		if w.kfield == "" {
			continue
		}
		if want := v618[w.kstruct][w.kfield]; w.off/cacheLine != want/cacheLine {
			t.Errorf("MM.%s on line %d, want %s.%s's line %d", w.name, w.off/cacheLine, w.kstruct, w.kfield, want/cacheLine)
		}
	}
	var m MM
	count := unsafe.Offsetof(m.MmapLock) + unsafe.Offsetof(m.MmapLock.count)
	owner := unsafe.Offsetof(m.MmapLock) + unsafe.Offsetof(m.MmapLock.owner)
	kc := v618["mm_struct"]["mmap_lock"] + v618["rw_semaphore"]["count"]
	ko := v618["mm_struct"]["mmap_lock"] + v618["rw_semaphore"]["owner"]
	if count/cacheLine != kc/cacheLine || owner/cacheLine != ko/cacheLine {
		t.Errorf("mmap_lock count and owner on lines %d and %d, want v6.18's %d and %d", count/cacheLine, owner/cacheLine, kc/cacheLine, ko/cacheLine)
	}

	// No checker field on a line a reader writes.
	var v VMA
	readerWritten := map[string][]uintptr{
		"VMA": {unsafe.Offsetof(v.Refcnt)},
		"MM":  {count, owner},
	}
	for st, offs := range readerWritten {
		for _, w := range words[st] {
			for _, o := range offs {
				if w.checker && w.off/cacheLine == o/cacheLine {
					t.Errorf("checker field %s.%s on line %d, which readers write (offset %d)", st, w.name, w.off/cacheLine, o)
				}
			}
		}
	}

	// Sizes, and where the allocator puts the objects.
	if got, want := unsafe.Sizeof(v), v618["vm_area_struct"]["sizeof"]; got != want {
		t.Errorf("sizeof(VMA) = %d, want vm_area_struct's %d", got, want)
	}
	if got := unsafe.Sizeof(m); got%cacheLine != 0 {
		t.Errorf("sizeof(MM) = %d, not a multiple of the %d-byte line", got, cacheLine)
	}
	c := NewCache(false)
	mm := New(Config{Pages: 16, Cache: c})
	for i := range 8 {
		a := c.alloc(NewTask(nil, 0, 0))
		if p := uintptr(unsafe.Pointer(a)); p%cacheLine != 0 {
			t.Errorf("VMA %d at %#x, not on a line boundary", i, p)
		}
	}
	if p := uintptr(unsafe.Pointer(mm)); p%cacheLine != 0 {
		t.Errorf("MM at %#x, not on a line boundary", p)
	}
}

// TestVMALockSlabPacking: v6.4's vma_lock objects come packed from the
// slab, so consecutive VMAs' locks lie at the object stride and share cache
// lines, where each VMA's own lock would have lines to itself.
func TestVMALockSlabPacking(t *testing.T) {
	c := NewCache(false)
	c.UseVMALocks()
	t0 := NewTask(nil, 0, 0)
	a, b := c.alloc(t0), c.alloc(t0)
	stride := uintptr(unsafe.Pointer(b.Lock)) - uintptr(unsafe.Pointer(a.Lock))
	if want := unsafe.Sizeof(RWSem{}); stride != want {
		t.Fatalf("vma_lock objects %d bytes apart, want the object size %d (packed)", stride, want)
	}
	pa, pb := uintptr(unsafe.Pointer(a.Lock)), uintptr(unsafe.Pointer(b.Lock))
	if (pa+stride-1)/cacheLine != pb/cacheLine {
		t.Errorf("the first lock's end (%#x) and the second's start (%#x) on different lines: no sharing", pa+stride-1, pb)
	}
	t.Logf("vma_lock stride: model %d B, v6.4 %d B (%d objects per 4 KiB page; the kernel's %d)",
		stride, kernelLayouts[1].structs["vma_lock"]["sizeof"], vmaLocksPerPage, 4096/kernelLayouts[1].structs["vma_lock"]["sizeof"])
}

// TestLayoutBTF reads the running kernel's own layout from its BTF and holds
// the table for its release to it, where the running kernel is one of the
// releases tabulated; it prints every offset it read.
func TestLayoutBTF(t *testing.T) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Skipf("uname: %v", err)
	}
	release := unix.ByteSliceToString(u.Release[:])
	var kl *kernelLayout
	for i := range kernelLayouts {
		if strings.HasPrefix(release, strings.TrimPrefix(kernelLayouts[i].release, "v")+".") {
			kl = &kernelLayouts[i]
		}
	}
	if kl == nil {
		t.Skipf("kernel %s is none of the releases tabulated", release)
	}
	spec, err := btf.Load(btf.VmlinuxPath)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		t.Skipf("no BTF to read (%v): a kernel without CONFIG_DEBUG_INFO_BTF, or no /sys", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for st, fields := range kl.structs {
		if st == "vma_lock" {
			continue // a slab's stride, not a struct BTF could check further
		}
		s, err := spec.Struct(st)
		if err != nil {
			t.Errorf("%s: %v", release, err)
			continue
		}
		for f, want := range fields {
			got, ok := uintptr(s.Size), true
			if f != "sizeof" {
				var o uint64
				o, ok = s.Offsets[f]
				got = uintptr(o)
			}
			t.Logf("%s %s.%s: BTF %d, table %d", release, st, f, got, want)
			if !ok {
				t.Errorf("%s: BTF has no %s.%s", release, st, f)
			} else if got != want {
				t.Errorf("%s: %s.%s is at %d in the running kernel's BTF, %d in the table", release, st, f, got, want)
			}
		}
	}
}
