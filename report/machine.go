package report

import (
	"bufio"
	"os"
	"os/exec"
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

// Commit returns the commit under measurement: the binary's VCS stamp
// (BuildCommit) or, where there is none (go run, test binaries), what git
// says of the working directory, with "-dirty" for uncommitted changes to
// tracked files; "" outside a git checkout.
func Commit() string {
	if c := BuildCommit(); c != "" {
		return c
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(rev))
	// --no-optional-locks: a read-only look that does not refresh the index.
	st, err := exec.Command("git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no").Output()
	if err == nil && len(st) > 0 {
		c += "-dirty"
	}
	return c
}

// MachineName names the machine of a file header for chart titles: the CPU
// model and GOMAXPROCS, e.g. "AMD EPYC (2 CPUs)"; "" if the header has no
// CPU model.
func MachineName(header []runner.KV) string {
	var cpu, procs string
	for _, kv := range header {
		switch kv.Key {
		case "cpu":
			cpu = kv.Value
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
