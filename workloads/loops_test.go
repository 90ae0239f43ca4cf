package workloads

import (
	"testing"

	"vmabench/mm"
	"vmabench/sim"
	"vmabench/strategies"
)

// TestFaultExitOutsideLock holds trap() to where the kernel spends a
// fault's time: the rest of the exception after the handler
// (Work.FaultExit) comes once the fault has dropped its lock, so a writer
// that wants mmap_lock while an mmaplock fault runs has it as soon as the
// handler is done. The same time charged in the handler (Work.Fault) makes
// the writer wait for all of it: the case the test must tell apart.
func TestFaultExitOutsideLock(t *testing.T) {
	const long = 1_000_000 // ns, far above everything else either thread does
	tests := []struct {
		name      string
		fault     int64 // Work.Fault, under the lock
		exit      int64 // Work.FaultExit, after it
		wantWaits bool
	}{
		{"exit after the handler", 0, long, false},
		{"the same in the handler", long, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := strategies.NewMmapLock(mm.Config{Pages: 1024})
			m := s.MM()
			if err := m.Setup(mm.Op{Kind: mm.OpMmap, Start: 64 * mm.PageSize, Len: 16 * mm.PageSize, Prot: rw}); err != nil {
				t.Fatal(err)
			}
			reader, writer := mm.NewTask(m, 0, 0), mm.NewTask(m, 1, 0)
			reader.Work.Fault, reader.Work.FaultExit = tt.fault, tt.exit
			th := &Thread{ID: 0, Threads: 2, Task: reader, Strategy: s}
			e := sim.New(sim.Config{})
			var faultErr, writeErr error
			var wrote int64 // ns: when the writer's mprotect returned
			rc := e.Go(func(*sim.CPU) { faultErr = trap(th, 65*mm.PageSize) })
			wc := e.Go(func(*sim.CPU) {
				writer.Spin(100) // let the fault take mmap_lock first
				writeErr = s.Write(writer, mm.Op{Kind: mm.OpMprotect, Start: 70 * mm.PageSize, Len: mm.PageSize, Prot: mm.ProtRead})
				wrote = sim.Now() / 1000
			})
			reader.SetCPU(rc)
			writer.SetCPU(wc)
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			if faultErr != nil || writeErr != nil {
				t.Fatalf("fault: %v, mprotect: %v", faultErr, writeErr)
			}
			if rc.Clock()/1000 < long {
				t.Fatalf("the fault took %d ns, want its %d ns charged", rc.Clock()/1000, long)
			}
			if waited := wrote >= long; waited != tt.wantWaits {
				t.Errorf("the writer's mprotect returned at %d ns: waited for the %d ns, %v, want %v", wrote, long, waited, tt.wantWaits)
			}
		})
	}
}
