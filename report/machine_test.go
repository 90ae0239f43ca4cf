package report

import (
	"runtime"
	"strconv"
	"testing"

	"vmabench/cell"
)

func TestMachineConfig(t *testing.T) {
	kv := MachineConfig("")
	want := []struct{ key, value string }{
		{"goos", runtime.GOOS},
		{"goarch", runtime.GOARCH},
		{"pkg", "vmabench"},
		{"cpu", ""},
		{"kernel", ""},
		{"gomaxprocs", strconv.Itoa(runtime.GOMAXPROCS(0))},
		{"vmabench-commit", "unknown"},
		{"per-vma-lock", ""},
		{"vma-lock-stats", ""},
		{"cpuidle", ""},
		{"lock-trace", ""},
		{"perf-counters", ""},
	}
	if len(kv) != len(want) {
		t.Fatalf("got %v, want keys %v", kv, want)
	}
	for i, w := range want {
		if kv[i].Key != w.key || kv[i].Value == "" || w.value != "" && kv[i].Value != w.value {
			t.Errorf("key %d: got %s: %q, want %s: %q", i, kv[i].Key, kv[i].Value, w.key, w.value)
		}
		if !machineKeys[kv[i].Key] {
			t.Errorf("%s is not in machineKeys", kv[i].Key)
		}
	}
	// The header must be writable as benchfmt configuration.
	if err := NewWriter(nil).WriteHeader(kv); err != nil {
		t.Error(err)
	}
	t.Logf("%v", kv)
}

func TestMachineName(t *testing.T) {
	tests := []struct {
		header []cell.KV
		want   string
	}{
		{[]cell.KV{{Key: "cpu", Value: "AMD EPYC"}, {Key: "gomaxprocs", Value: "2"}}, "AMD EPYC (2 CPUs)"},
		{[]cell.KV{{Key: "cpu", Value: "AMD EPYC"}, {Key: "gomaxprocs", Value: "1"}}, "AMD EPYC (1 CPU)"},
		{[]cell.KV{{Key: "cpu", Value: "AMD EPYC"}}, "AMD EPYC"},
		// go test's cpu line is the CPUID brand string, padded with spaces.
		{[]cell.KV{{Key: "cpu", Value: "Oxide Virtual Turin-like Processor             "}, {Key: "gomaxprocs", Value: "2"}}, "Oxide Virtual Turin-like Processor (2 CPUs)"},
		{[]cell.KV{{Key: "cpu", Value: "unknown"}, {Key: "gomaxprocs", Value: "2"}}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := MachineName(tt.header); got != tt.want {
			t.Errorf("MachineName(%v) = %q, want %q", tt.header, got, tt.want)
		}
	}
}
