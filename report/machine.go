package report

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vmabench/runner"
)

// machineKeys are the header keys MachineConfig returns. A reader keeps them
// out of each Result's Config, which holds only the workload's
// configuration.
var machineKeys = map[string]bool{
	"goos": true, "goarch": true, "pkg": true, "cpu": true,
	"kernel": true, "gomaxprocs": true, "vmabench-commit": true,
	"per-vma-lock": true, "vma-lock-stats": true,
}

// MachineConfig returns the file header describing this machine and build,
// in the order go test writes the first keys: goos, goarch, pkg (vmabench),
// cpu, kernel, gomaxprocs and vmabench-commit. An empty commit, or a value
// that cannot be found, is "unknown", so every file has every key and
// benchstat never splits tables over a missing one. The host kernel's
// per-VMA lock facts (runner.LiveFacts) follow, in every file, so a kernel
// cell's numbers can be read against them.
func MachineConfig(commit string) []runner.KV {
	return append([]runner.KV{
		{Key: "goos", Value: runtime.GOOS},
		{Key: "goarch", Value: runtime.GOARCH},
		{Key: "pkg", Value: "vmabench"},
		{Key: "cpu", Value: orUnknown(cpuModel())},
		{Key: "kernel", Value: orUnknown(kernelRelease())},
		{Key: "gomaxprocs", Value: strconv.Itoa(runtime.GOMAXPROCS(0))},
		{Key: "vmabench-commit", Value: orUnknown(commit)},
	}, runner.LiveFacts()...)
}

// BuildCommit returns the VCS revision the running binary was built from,
// with "-dirty" appended if the tree had changes, or "" if the build did not
// record one (go run, -buildvcs=false).
func BuildCommit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

func orUnknown(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return "unknown"
	}
	return s
}

// cpuModel returns the first "model name" of /proc/cpuinfo, as the testing
// package's cpu line does on Linux, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		key, val, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(val)
		}
	}
	return ""
}

// kernelRelease returns uname -r, or "".
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
