package runner

import "testing"

// TestLocksKV: every -locks value writes one header line saying what it
// meant, so that a file with -locks off says why it has no lock units.
func TestLocksKV(t *testing.T) {
	for _, tt := range []struct {
		l    Locks
		want string
	}{
		{"", "auto (on for model cells, off for kernel cells)"},
		{LocksAuto, "auto (on for model cells, off for kernel cells)"},
		{LocksOn, "on"},
		{LocksOff, "off"},
	} {
		kv := tt.l.KV()
		if kv.Key != "lock-attribution" || kv.Value != tt.want {
			t.Errorf("Locks(%q).KV() = %s: %s, want lock-attribution: %s", tt.l, kv.Key, kv.Value, tt.want)
		}
	}
}
