package strategies_test

import (
	"testing"

	"vmabench/mm"
	"vmabench/strategies"
)

// BenchmarkFault is one thread's read path of each model, uncontended: a
// fault on a mapped page, and a Lookup held and released. It is where the
// hook points (mm.At) sit, so it is the figure that shows what they cost.
func BenchmarkFault(b *testing.B) {
	for _, info := range strategies.List() {
		if info.New == nil {
			continue
		}
		b.Run("strategy="+info.Name, func(b *testing.B) {
			s := info.New(mm.Config{Pages: 1 << 12})
			if err := s.MM().Setup(mm.Op{Kind: mm.OpMmap, Start: 64 * mm.PageSize, Len: 16 * mm.PageSize, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
				b.Fatal(err)
			}
			task := mm.NewTask(s.MM(), 0, 0)
			addr := uint64(70 * mm.PageSize)
			if err := s.Fault(task, addr); err != nil {
				b.Fatal(err)
			}
			b.Run("op=fault", func(b *testing.B) {
				for b.Loop() {
					_ = s.Fault(task, addr)
				}
			})
			b.Run("op=lookup", func(b *testing.B) {
				for b.Loop() {
					if r, err := s.Lookup(task, addr); err == nil {
						s.Release(task, r)
					}
				}
			})
		})
	}
}
