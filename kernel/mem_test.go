package kernel

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"unsafe"
)

// mapping is one line of /proc/self/maps, as offsets from a base.
type mapping struct {
	from, to uintptr
	perms    string
}

func (m mapping) String() string { return fmt.Sprintf("[%#x, %#x) %s", m.from, m.to, m.perms) }

// mapsIn returns the mappings of /proc/self/maps that overlap [lo, hi), as
// offsets from lo.
func mapsIn(t *testing.T, lo, hi uintptr) []mapping {
	t.Helper()
	maps, err := SelfMaps(uint64(lo), uint64(hi))
	if err != nil {
		t.Fatal(err)
	}
	var out []mapping
	for _, m := range maps {
		out = append(out, mapping{uintptr(m.Start) - lo, uintptr(m.End) - lo, m.Perms})
	}
	return out
}

func sameMappings(got, want []mapping) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// TestRegion: Map places mappings where asked inside the reservation, Trim
// leaves only them, Close leaves nothing; misuse is refused.
func TestRegion(t *testing.T) {
	ps := uintptr(PageSize())
	r, err := Reserve(16 * ps)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lo := uintptr(r.At(0))
	// The reservation and its guard pages, as offsets from the lower guard.
	outer := func() []mapping { return mapsIn(t, lo-ps, lo+17*ps) }
	if got, want := outer(), []mapping{{0, 18 * ps, "---p"}}; !sameMappings(got, want) {
		t.Fatalf("after Reserve: %v, want %v", got, want)
	}
	a, err := r.Map(2*ps, 3*ps, ProtRead|ProtWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Map(8*ps, 2*ps, ProtRead); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ off, n uintptr }{{4 * ps, 2 * ps}, {ps, 2 * ps}, {15 * ps, 2 * ps}, {ps + 1, ps}, {12 * ps, 0}} {
		if _, err := r.Map(bad.off, bad.n, ProtRead); err == nil {
			t.Errorf("Map(%#x, %#x) succeeded, want an error", bad.off, bad.n)
		}
	}
	a[0], a[len(a)-1] = 1, 2 // the memory is there and writable
	want := []mapping{{0, 3 * ps, "---p"}, {3 * ps, 6 * ps, "rw-p"}, {6 * ps, 9 * ps, "---p"}, {9 * ps, 11 * ps, "r--p"}, {11 * ps, 18 * ps, "---p"}}
	if got := outer(); !sameMappings(got, want) {
		t.Fatalf("after Map: %v, want %v", got, want)
	}
	if err := r.Trim(); err != nil {
		t.Fatal(err)
	}
	want = []mapping{{0, ps, "---p"}, {3 * ps, 6 * ps, "rw-p"}, {9 * ps, 11 * ps, "r--p"}, {17 * ps, 18 * ps, "---p"}}
	if got := outer(); !sameMappings(got, want) {
		t.Fatalf("after Trim: %v, want %v (with the guard pages)", got, want)
	}
	if _, err := r.Map(12*ps, ps, ProtRead); err == nil {
		t.Error("Map after Trim succeeded, want an error: the range is no longer the region's")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := outer(); len(got) != 0 {
		t.Fatalf("after Close: %v, want nothing", got)
	}
}

// TestMmapHint: a free hint is where Mmap maps, and Munmap undoes it.
func TestMmapHint(t *testing.T) {
	ps := uintptr(PageSize())
	r, err := Reserve(8 * ps)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Trim(); err != nil { // all of it free again
		t.Fatal(err)
	}
	hint := r.At(2 * ps)
	p, err := Mmap(hint, 4*ps, ProtRead|ProtWrite)
	if err != nil {
		t.Fatal(err)
	}
	if p != hint {
		t.Errorf("Mmap at free hint %p mapped at %p", hint, p)
	}
	if err := Munmap(p, 4*ps); err != nil {
		t.Fatal(err)
	}
}

// TestThreadFaults: touching n fresh pages is n minor faults of this
// thread, and releasing them with DontNeed makes them fault again. A round
// is tried up to three times: the Go runtime may fault a page of its own on
// this thread inside the window (a signal's stack, a heap page of the
// collector's work), which adds to the count; a count that is wrong every
// time fails.
func TestThreadFaults(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const pages = 32
	ps := PageSize()
	r, err := Reserve(uintptr(pages * ps))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mem, err := r.Map(0, uintptr(pages*ps), ProtRead|ProtWrite)
	if err != nil {
		t.Fatal(err)
	}
	if err := NoHugePage(mem); err != nil {
		t.Fatal(err)
	}
	var f ThreadFaults
	for round := range 3 {
		var got []uint64
		for range 3 {
			before, err := f.Minor()
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off < len(mem); off += ps {
				mem[off] = 1
			}
			after, _ := f.Minor()
			if err := DontNeed(mem); err != nil {
				t.Fatal(err)
			}
			if got = append(got, after-before); after-before == pages {
				break
			}
		}
		if last := got[len(got)-1]; last != pages {
			t.Errorf("round %d: %v minor faults in %d tries, for %d fresh pages each", round, got, len(got), pages)
		}
	}
	if n := testing.AllocsPerRun(10, func() { f.Minor() }); n != 0 {
		t.Errorf("Minor allocates %v times", n)
	}
}

// TestProtect: Mprotect of one page in the middle splits the VMA in three,
// and setting it back merges them.
func TestProtect(t *testing.T) {
	ps := uintptr(PageSize())
	r, err := Reserve(4 * ps)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mem, err := r.Map(0, 4*ps, ProtRead|ProtWrite)
	if err != nil {
		t.Fatal(err)
	}
	lo := uintptr(unsafe.Pointer(&mem[0]))
	if err := Mprotect(mem[ps:2*ps], ProtRead|ProtWrite|ProtExec); err != nil {
		t.Fatal(err)
	}
	want := []mapping{{0, ps, "rw-p"}, {ps, 2 * ps, "rwxp"}, {2 * ps, 4 * ps, "rw-p"}}
	if got := mapsIn(t, lo, lo+4*ps); !sameMappings(got, want) {
		t.Errorf("after the split: %v, want %v", got, want)
	}
	if err := Mprotect(mem[ps:2*ps], ProtRead|ProtWrite); err != nil {
		t.Fatal(err)
	}
	want = []mapping{{0, 4 * ps, "rw-p"}}
	if got := mapsIn(t, lo, lo+4*ps); !sameMappings(got, want) {
		t.Errorf("after the merge: %v, want %v", got, want)
	}
}

// TestProcFile: ReadAll reads the whole file, also one longer than the
// buffer, and allocates nothing.
func TestProcFile(t *testing.T) {
	want, err := os.ReadFile("/proc/self/stat") // same length while we read it
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{4096, 16} {
		f, err := OpenProc("/proc/self/stat", size)
		if err != nil {
			t.Fatal(err)
		}
		n, err := f.ReadAll()
		if err != nil || n < len(want)-8 || n > len(want)+8 {
			t.Errorf("buffer %d: ReadAll = %d, %v; want about %d bytes", size, n, err, len(want))
		}
		if n := testing.AllocsPerRun(10, func() { f.ReadAll() }); n != 0 {
			t.Errorf("buffer %d: ReadAll allocates %v times", size, n)
		}
		f.Close()
	}
}
