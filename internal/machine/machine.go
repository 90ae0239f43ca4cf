// Package machine describes the machine and build a run measures: the CPU
// model and the commit of the code under test, which package report writes
// into every results file header (the kernel release comes from
// kernel.Release), and the CPUs the process may use, with the way back to
// all of them for a pinned thread or a child process it forks.
package machine

import (
	"bufio"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
)

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

// CPUModel returns the first "model name" of /proc/cpuinfo, as the testing
// package's cpu line does on Linux, or "".
func CPUModel() string {
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
