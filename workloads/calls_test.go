package workloads

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vmabench/mm"
	"vmabench/strategies"
)

// recorder is a Strategy that records which entry points its callers use,
// and runs a real design for them.
type recorder struct {
	strategies.Strategy
	calls atomic.Uint32
}

func (r *recorder) add(c strategies.Calls) { r.calls.Or(uint32(c)) }

func (r *recorder) Fault(t *mm.Task, addr uint64) error {
	r.add(strategies.CallFault)
	return r.Strategy.Fault(t, addr)
}

func (r *recorder) FaultKernel(t *mm.Task, addr uint64) error {
	r.add(strategies.CallFaultKernel)
	return r.Strategy.FaultKernel(t, addr)
}

func (r *recorder) Lookup(t *mm.Task, addr uint64) (strategies.Ref, error) {
	r.add(strategies.CallLookup)
	return r.Strategy.Lookup(t, addr)
}

func (r *recorder) Release(t *mm.Task, ref strategies.Ref) {
	r.add(strategies.CallLookup)
	r.Strategy.Release(t, ref)
}

func (r *recorder) Madvise(t *mm.Task, start, end uint64) error {
	r.add(strategies.CallMadvise)
	return r.Strategy.Madvise(t, start, end)
}

func (r *recorder) ReadMaps(t *mm.Task) (int, error) {
	r.add(strategies.CallReadMaps)
	return r.Strategy.ReadMaps(t)
}

func (r *recorder) Write(t *mm.Task, op mm.Op) error {
	r.add(strategies.CallWrite)
	return r.Strategy.Write(t, op)
}

// TestCalls runs every workload for a moment over a recorder and holds
// its registry row's Calls to the entry points its threads called, so the
// tables' "same as" (strategies.SameCode) rests on what the code does.
func TestCalls(t *testing.T) {
	for _, info := range List() {
		t.Run(info.Name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Size = 2 * PMDSize
			cfg.TempDir = t.TempDir()
			threads := max(2, info.MinThreads)
			rec := &recorder{Strategy: strategies.NewVMARefcnt(mm.Config{Pages: cfg.AddressSpacePages(threads)})}
			w := info.New(cfg)
			if err := w.Setup(rec.MM(), threads); err != nil {
				t.Fatal(err)
			}
			ctl := new(Control)
			ctl.SetPhase(PhaseMeasure)
			var wg sync.WaitGroup
			ths := make([]*Thread, threads)
			for i := range ths {
				ths[i] = NewThread(i, threads, rec, cfg, ctl)
				wg.Add(1)
				go func(th *Thread) {
					defer wg.Done()
					w.Run(th)
				}(ths[i])
			}
			// Every thread must have made progress, and the calls its
			// row names must have been made (a faulting thread publishes
			// progress every few pages, long before its pass ends in a
			// munmap): a row that names a call never made fails at the
			// deadline, and one that leaves out a call made fails below.
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				done := strategies.Calls(rec.calls.Load())&info.Calls == info.Calls
				for _, th := range ths {
					done = done && th.Task.Progress() >= 2
				}
				if done {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			ctl.SetPhase(PhaseStop)
			wg.Wait()
			for _, th := range ths {
				if th.Err != nil {
					t.Fatal(th.Err)
				}
			}
			if got := strategies.Calls(rec.calls.Load()); got != info.Calls {
				t.Errorf("%s calls %v; its registry row says %v", info.Name, got, info.Calls)
			}
		})
	}
}
