package golden

import "testing"

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"same", "x\ny\n", "x\ny\n", "  x\n  y\n"},
		{"changed line", "x\ny\nz\n", "x\nY\nz\n", "  x\n- y\n+ Y\n  z\n"},
		{"added at end", "x\n", "x\ny\n", "  x\n+ y\n"},
		{"removed at start", "x\ny\n", "y\n", "- x\n  y\n"},
		{"empty", "", "", ""},
		{"no final newline", "x", "y", "- x+ y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diff(tc.a, tc.b); got != tc.want {
				t.Errorf("Diff(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
