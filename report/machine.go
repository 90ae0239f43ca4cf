package report

import (
	"runtime"
	"strconv"
	"strings"

	"vmabench/cell"
	"vmabench/internal/machine"
	"vmabench/kernel"
	"vmabench/runner"
)

// machineKeys are the header keys MachineConfig returns. A reader keeps them
// out of each Result's Config, which holds only the workload's
// configuration.
var machineKeys = map[string]bool{
	"goos": true, "goarch": true, "pkg": true, "cpu": true,
	"kernel": true, "gomaxprocs": true, "vmabench-commit": true,
	"per-vma-lock": true, "vma-lock-stats": true, "cpuidle": true,
	"lock-trace": true, "perf-counters": true, "lock-attribution": true,
	// The nightly job's: the machine's name and CPU count, the night and
	// the number of cells of the file.
	"machine": true, "cpus": true, "nightly-date": true, "nightly-cells": true, "nightly-started": true,
}

// MachineConfig returns the file header describing this machine and build
// (from package machine and kernel.Release),
// in the order go test writes the first keys: goos, goarch, pkg (vmabench),
// cpu, kernel, gomaxprocs and vmabench-commit. An empty commit, or a value
// that cannot be found, is "unknown", so every file has every key and
// benchstat never splits tables over a missing one. The host kernel's
// per-VMA lock facts (runner.LiveFacts) follow, in every file, so a kernel
// cell's numbers can be read against them, then what the lock and counter
// units can come from here (runner.LockFacts).
func MachineConfig(commit string) []cell.KV {
	return append([]cell.KV{
		{Key: "goos", Value: runtime.GOOS},
		{Key: "goarch", Value: runtime.GOARCH},
		{Key: "pkg", Value: "vmabench"},
		{Key: "cpu", Value: orUnknown(machine.CPUModel())},
		{Key: "kernel", Value: orUnknown(kernel.Release())},
		{Key: "gomaxprocs", Value: strconv.Itoa(runtime.GOMAXPROCS(0))},
		{Key: "vmabench-commit", Value: orUnknown(commit)},
	}, append(runner.LiveFacts(), runner.LockFacts()...)...)
}

// MachineName names the machine of a file header for chart titles: the CPU
// model and GOMAXPROCS, e.g. "AMD EPYC (2 CPUs)"; "" if the header has no
// CPU model. The model is trimmed: go test's cpu line is the CPUID brand
// string, which some CPUs pad with spaces to its 48 bytes.
func MachineName(header []cell.KV) string {
	var cpu, procs string
	for _, kv := range header {
		switch kv.Key {
		case "cpu":
			cpu = strings.TrimSpace(kv.Value)
		case "gomaxprocs":
			procs = kv.Value
		}
	}
	switch {
	case cpu == "" || cpu == "unknown":
		return ""
	case procs == "1":
		return cpu + " (1 CPU)"
	case procs != "":
		return cpu + " (" + procs + " CPUs)"
	}
	return cpu
}

func orUnknown(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return "unknown"
	}
	return s
}
