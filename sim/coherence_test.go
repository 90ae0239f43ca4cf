package sim

import "testing"

// TestStoreBuffer checks the store buffer of Coherence.Access: a store
// that misses costs the CPU a hit and drains when its transfer
// completes; a locked instruction or a fence waits for the drain; a load
// of another line, or of the stored line, does not.
func TestStoreBuffer(t *testing.T) {
	costs := Costs{CPUs: 2, Sockets: 1, Hit: 1, RMW: 10, Transfer: 100, RMWTransfer: 120, Remote: 300, Pause: 5}
	const a, b = 0, 64 // two lines
	type step struct {
		cpu  int
		now  int64
		addr uintptr
		k    Kind
		want int64
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"store-miss-goes-on", []step{
			{1, 0, a, Store, 1},    // first touch: CPU 1's line, a hit
			{0, 1000, a, Store, 1}, // CPU 0's miss: into its buffer, drains at 1100
		}},
		{"rmw-waits-for-drain", []step{
			{1, 0, a, Store, 1},
			{0, 1000, a, Store, 1},     // drains at 1100
			{0, 1010, b, RMW, 90 + 10}, // waits 90, then b's first touch (memory just allocated: an uncontended RMW)
		}},
		{"fence-waits-for-drain", []step{
			{1, 0, a, Store, 1},
			{0, 1000, a, Store, 1},
			{0, 1050, 0, Fence, 50 + 10},
			{0, 2000, 0, Fence, 10}, // drained: only the locked add
		}},
		{"loads-pass-stores", []step{
			{1, 0, a, Store, 1},
			{1, 0, b, Store, 1},
			{0, 1000, a, Store, 1},
			{0, 1010, b, Load, 100}, // another line: no wait for the buffer
			{0, 1020, a, Load, 1},   // the stored line: forwarded
		}},
		{"others-wait-for-the-line", []step{
			{1, 0, a, Store, 1},
			{0, 1000, a, Store, 1},  // the line busy until 1100
			{1, 1010, a, Load, 190}, // after that transfer, its own
		}},
		{"first-touch-is-the-touchers", []step{
			{0, 0, a, Load, 1},     // memory just allocated: CPU 0's line
			{0, 10, a, RMW, 10},    // still its own: an uncontended RMW
			{1, 20, a, Load, 100},  // another CPU's load: a transfer
			{1, 200, b, RMW, 10},   // a new line's first RMW: its own
			{0, 300, b, Load, 100}, // ... and a transfer to another
		}},
		{"stores-drain-in-order", []step{
			{1, 0, a, Store, 1},
			{1, 0, b, Store, 1},
			{0, 1000, a, Store, 1},     // drains at 1100
			{0, 1001, b, Store, 1},     // drains at 1101
			{0, 1002, a, RMW, 99 + 10}, // waits for both, then a hit
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewCoherence(costs, 1)
			for i, s := range tc.steps {
				if got := m.Access(s.cpu, s.now, s.addr, s.k); got != s.want {
					t.Errorf("step %d: CPU %d %v of %#x at %d costs %d, want %d", i, s.cpu, s.k, s.addr, s.now, got, s.want)
				}
			}
		})
	}
}
