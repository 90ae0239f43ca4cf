package units

import "testing"

func TestBetterOf(t *testing.T) {
	tests := []struct {
		unit string
		want Better
	}{
		{"ns/op", Lower},
		{"sec/op", Lower},
		{"p99-ns", Lower},
		{"p99.9-ns", Lower},
		{"writer-p99-ns", Lower},
		{"fallbacks/op", Lower},
		{"retries/op", Lower},
		{"misses/op", Lower},
		{"B/op", Lower},
		{"faults/s", Higher},
		{"lookups/s", Higher},
		{"writes/s", Higher},
		{"ops/s", Higher},
		{"faults/op", Unknown},
		{"violations", Unknown},
		{"vmas", Unknown},
	}
	for _, tt := range tests {
		if got := BetterOf(tt.unit); got != tt.want {
			t.Errorf("BetterOf(%q) = %v, want %v", tt.unit, got, tt.want)
		}
	}
}

// TestTable checks the table's own consistency: names unique, rates higher
// is better and in the throughput chart, and every charted unit labelled.
func TestTable(t *testing.T) {
	seen := make(map[string]bool)
	for _, u := range Table {
		if u.Name == "" || seen[u.Name] {
			t.Errorf("unit %q is empty or repeats", u.Name)
		}
		seen[u.Name] = true
		if u.Counts == "" {
			t.Errorf("%s: says not what it counts", u.Name)
		}
		if u.Rate && (u.Better != Higher || u.Chart != Throughput) {
			t.Errorf("%s: a rate must be better higher and in the throughput chart", u.Name)
		}
		if u.Chart != NoChart && u.Label == "" {
			t.Errorf("%s: charted without a label", u.Name)
		}
	}
	if got := Gated(); len(got) != 3 || got[0] != FaultsPerS || got[1] != LookupsPerS || got[2] != WritesPerS {
		t.Errorf("Gated() = %v, want the readers' and the writer's rates", got)
	}
	if got := ReaderRate("fault"); got != FaultsPerS {
		t.Errorf("ReaderRate(fault) = %q", got)
	}
}
