package mm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// spinFor busy-waits for d nanoseconds: the fixed work a lock holder does.
func spinFor(d int64) {
	for start := now(); now()-start < d; {
	}
}

// BenchmarkRWSemReadUncontended is one read lock and unlock with nobody
// else about: RWSem's down_read() fast path (an atomic add and the owner
// store) and up_read(), beside sync.RWMutex's RLock and RUnlock.
func BenchmarkRWSemReadUncontended(b *testing.B) {
	b.Run("lock=rwsem", func(b *testing.B) {
		var s RWSem
		t := NewTask(nil, 0, 0)
		for b.Loop() {
			s.DownRead(t)
			s.UpRead(t)
		}
	})
	b.Run("lock=rwmutex", func(b *testing.B) {
		var mu sync.RWMutex
		for b.Loop() {
			mu.RLock()
			mu.RUnlock()
		}
	})
}

// Times of the contended benchmark: a reader's short operation under the
// lock (a lookup) and a writer's longer one (an mmap or munmap), and the work
// each does between two operations without the lock (the system call's entry
// and exit, the writer's work outside mmap_lock).
const (
	benchReadHold  = 300  // ns
	benchWriteHold = 1500 // ns
	benchReadGap   = 200  // ns
	benchWriteGap  = 500  // ns
)

// BenchmarkRWSemRoundTrip is one reader against one writer, each on its
// own OS thread, as a thread faulting (or calling mincore()) beside one
// calling mmap and munmap: the writer takes the lock for writing, holds it
// benchWriteHold, works benchWriteGap without it, and again; ns/op is the
// time of one reader operation (take the lock for reading, hold it
// benchReadHold, release, benchReadGap without it), which under contention
// is mostly the hand-off from the writer to the reader and back. writes/op
// is how many writes the writer made per reader operation. lock=rwmutex,
// sync.RWMutex, is the model before RWSem; the ratio of the two is what
// RWSem removes from every contended figure.
func BenchmarkRWSemRoundTrip(b *testing.B) {
	b.Run("lock=rwsem", func(b *testing.B) {
		var s RWSem
		r, w := NewTask(nil, 0, 0), NewTask(nil, 1, 0)
		roundTrip(b,
			func() { s.DownRead(r) }, func() { s.UpRead(r) },
			func() { s.DownWrite(w) }, func() { s.UpWrite(w) })
	})
	b.Run("lock=rwmutex", func(b *testing.B) {
		var mu sync.RWMutex
		roundTrip(b, mu.RLock, mu.RUnlock, mu.Lock, mu.Unlock)
	})
}

func roundTrip(b *testing.B, rlock, runlock, wlock, wunlock func()) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS >= 2: the reader and the writer each need a CPU")
	}
	var (
		stop   atomic.Bool
		writes atomic.Int64
		done   = make(chan struct{})
	)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(done)
		var n int64
		for !stop.Load() {
			wlock()
			spinFor(benchWriteHold)
			wunlock()
			spinFor(benchWriteGap)
			n++
		}
		writes.Store(n)
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	for b.Loop() {
		rlock()
		spinFor(benchReadHold)
		runlock()
		spinFor(benchReadGap)
	}
	b.StopTimer()
	stop.Store(true)
	<-done
	b.ReportMetric(float64(writes.Load())/float64(b.N), "writes/op")
}
