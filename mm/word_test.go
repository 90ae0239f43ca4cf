package mm

import (
	"testing"
	"unsafe"

	"vmabench/sim"
)

// TestTryCmpxchg: as atomic_try_cmpxchg(), a success stores and leaves
// *old alone, a failure stores nothing and hands back the value found; and
// on a virtual CPU either is one scheduling point, an RMW, with no load
// after it, as x86's LOCK CMPXCHG is one instruction.
func TestTryCmpxchg(t *testing.T) {
	for _, tc := range []struct {
		name           string
		v, old, new    int64
		ok             bool
		wantV, wantOld int64
	}{
		{"success", 5, 5, 7, true, 7, 5},
		{"failure", 6, 5, 7, false, 6, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w64 Int64
			w64.Store(tc.v)
			old := tc.old
			if ok := w64.TryCmpxchg(&old, tc.new); ok != tc.ok || old != tc.wantOld || w64.Load() != tc.wantV {
				t.Errorf("Int64: ok %v, old %d, value %d; want %v, %d, %d", ok, old, w64.Load(), tc.ok, tc.wantOld, tc.wantV)
			}
			var w32 Int32
			w32.Store(int32(tc.v))
			old32 := int32(tc.old)
			if ok := w32.TryCmpxchg(&old32, int32(tc.new)); ok != tc.ok || old32 != int32(tc.wantOld) || w32.Load() != int32(tc.wantV) {
				t.Errorf("Int32: ok %v, old %d, value %d; want %v, %d, %d", ok, old32, w32.Load(), tc.ok, tc.wantOld, tc.wantV)
			}

			var kinds []sim.Kind
			w64.Store(tc.v)
			e := sim.New(sim.Config{Trace: func(ev sim.Event) {
				if ev.Addr == uintptr(unsafe.Pointer(&w64)) {
					kinds = append(kinds, ev.Kind)
				}
			}})
			e.Go(func(*sim.CPU) {
				old := tc.old
				w64.TryCmpxchg(&old, tc.new)
			})
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			if len(kinds) != 1 || kinds[0] != sim.RMW {
				t.Errorf("scheduling points on the word %v, want one RMW", kinds)
			}
		})
	}
}
