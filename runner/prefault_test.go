package runner

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// heapFree returns the heap's free bytes the runtime has not given back to
// the OS (pages already faulted in) and those it has (released).
func heapFree() (free, released uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// TestPrefault: with the collector off, as in a window, prefault leaves
// the reserve it was asked for in the heap as free pages that stay with
// the process (not released by the scavenger while the window runs), and
// the window's allocations then take them instead of new memory. A cell
// that allocated nothing in its warm-up gets no reserve.
func TestPrefault(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(softMemoryLimit))
	runtime.GC()

	f0, _ := heapFree()
	prefault(0, time.Second, time.Second)
	if f, _ := heapFree(); f > f0+8<<20 {
		t.Errorf("prefault of a cell that allocated nothing: heap free %d MiB, was %d MiB", f>>20, f0>>20)
	}

	const want = 64 << 20
	// 32 MiB in 10 ms, for the 16 ms ahead, a quarter more: 64 MiB.
	prefault(32<<20, 10*time.Millisecond, 16*time.Millisecond)
	free, rel := heapFree()
	if free < want*9/10 {
		t.Fatalf("after prefault of %d MiB the heap holds %d MiB free and faulted in (%d MiB released)", want>>20, free>>20, rel>>20)
	}
	time.Sleep(200 * time.Millisecond) // the scavenger's time to act
	if free2, rel2 := heapFree(); free2 < want*9/10 {
		t.Errorf("200 ms later the scavenger gave back %d MiB of the reserve: %d MiB free, %d MiB released", (free-free2)>>20, free2>>20, rel2>>20)
	}

	// A window's small objects take the reserve's pages.
	before := heapMapped()
	keep := make([][]byte, 0, 1<<16)
	for range 1 << 16 {
		keep = append(keep, make([]byte, 512)) // 32 MiB
	}
	t.Logf("grew %d KiB", (heapMapped()-before)>>10)
	if grew := heapMapped() - before; grew > 8<<20 {
		t.Errorf("32 MiB of 512-byte objects after prefault grew the heap's mapped memory by %d MiB: the reserve was not reused", grew>>20)
	}
	runtime.KeepAlive(keep)
}

// heapMapped returns the heap memory the process holds from the OS, less
// what it has released.
func heapMapped() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64() + s[2].Value.Uint64()
}
