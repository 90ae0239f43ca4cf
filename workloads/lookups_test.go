package workloads

import (
	"runtime"
	"testing"

	"vmabench/mm"
	"vmabench/strategies"
)

// TestMincore: the model's mincore() takes mmap_lock for reading whatever
// the design (a writer holding it would block it), walks only its VMA,
// counts no per-VMA lock event, allocates nothing, and fails on an address
// no VMA covers.
func TestMincore(t *testing.T) {
	cfg := DefaultConfig()
	for _, name := range []string{"mmaplock", "vmaseq", "vmarefcnt", "vmawait"} {
		t.Run(name, func(t *testing.T) {
			info, err := strategies.Get(name)
			if err != nil {
				t.Fatal(err)
			}
			s := info.New(mm.Config{Pages: cfg.AddressSpacePages(2)})
			w := newLookups(cfg).(*lookups)
			if err := w.Setup(s.MM(), 2); err != nil {
				t.Fatal(err)
			}
			th := NewThread(0, 2, s, cfg, new(Control))
			base := w.l.at(regionBase, 0)
			if err := Mincore(th.Task, base, w.l.span); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(100, func() { Mincore(th.Task, base, w.l.span) }); n != 0 {
				t.Errorf("allocates %v times", n)
			}
			if st := th.Task.Stats; st != (mm.Stats{}) {
				t.Errorf("counted %+v, want no per-VMA lock events: mincore() takes mmap_lock", st)
			}
			if held, _ := th.Task.LockInfo(); held != 0 {
				t.Errorf("still holds %v", held)
			}
			// mmap_lock held for writing: mincore must wait for it, and
			// say so to the watchdog.
			wt := mm.NewTask(s.MM(), 1, 0)
			s.MM().MmapLock.DownWrite(wt)
			done := make(chan error, 1)
			go func() { done <- Mincore(th.Task, base, w.l.span) }()
			for {
				if _, waiting := th.Task.LockInfo(); waiting == mm.MmapRead {
					break
				}
				select {
				case err := <-done:
					t.Fatalf("mincore returned (%v) while a writer held mmap_lock", err)
				default:
					runtime.Gosched()
				}
			}
			s.MM().MmapLock.UpWrite(wt)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if err := Mincore(th.Task, regionBase-mm.PageSize*8, mm.PageSize); err == nil {
				t.Error("mincore of an unmapped address succeeded")
			}
		})
	}
}
