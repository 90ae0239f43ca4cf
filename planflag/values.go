package planflag

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vmabench/runner"
	"vmabench/strategies"
	"vmabench/workloads"
)

// namesFlag is a comma-separated list of registry names, or "all". It is
// resolved against its registry after parsing, so the error names the bad
// value and lists the valid ones, as the registry's Get does.
type namesFlag struct {
	list []string
}

func (f *namesFlag) String() string { return strings.Join(f.list, ",") }

func (f *namesFlag) Set(s string) error {
	var list []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n == "" {
			return fmt.Errorf("empty name in list %q", s)
		}
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	f.list = list
	return nil
}

// resolve returns the names the list stands for: all of them (in registry
// order) for "all", else the list, each checked with get.
func (f *namesFlag) resolve(all []string, get func(string) error) ([]string, error) {
	if slices.Contains(f.list, "all") {
		if len(f.list) > 1 {
			return nil, fmt.Errorf("%q: \"all\" cannot be combined with names", f.String())
		}
		return all, nil
	}
	for _, n := range f.list {
		if err := get(n); err != nil {
			return nil, err
		}
	}
	return f.list, nil
}

func strategyNames(f *namesFlag) ([]string, error) {
	return f.resolve(strategies.Names(), func(n string) error { _, err := strategies.Get(n); return err })
}

func workloadNames(f *namesFlag) ([]string, error) {
	return f.resolve(workloads.Names(), func(n string) error { _, err := workloads.Get(n); return err })
}

// threadsFlag is a comma-separated list of thread counts, "1,2,4".
type threadsFlag struct {
	list []int
}

func (f *threadsFlag) String() string {
	s := make([]string, len(f.list))
	for i, n := range f.list {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func (f *threadsFlag) Set(s string) error {
	var list []int
	for _, field := range strings.Split(s, ",") {
		field = strings.TrimSpace(field)
		n, err := strconv.Atoi(field)
		switch {
		case err != nil:
			return fmt.Errorf("%q is not a whole number", field)
		case n < 1 || n > workloads.MaxThreads:
			return fmt.Errorf("%d threads: want 1..%d", n, workloads.MaxThreads)
		}
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	slices.Sort(list)
	f.list = list
	return nil
}

// durationFlag is a time.Duration flag that is never negative and says
// why a value does not parse.
type durationFlag struct {
	d *time.Duration
}

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("not a duration (want e.g. 300ms, 2s, 1m)")
	}
	if d < 0 {
		return fmt.Errorf("must not be negative")
	}
	*f.d = d
	return nil
}

// sizeFlag is a size in bytes, given as bytes or with a KiB, MiB or GiB
// suffix (workloads.ParseSize). Whether it is a multiple of the page size
// and within range is the workload configuration's check.
type sizeFlag struct{ p *uint64 }

func (f sizeFlag) String() string {
	if f.p == nil {
		return ""
	}
	return workloads.FormatSize(*f.p)
}

func (f sizeFlag) Set(s string) error {
	n, err := workloads.ParseSize(s)
	if err != nil {
		return err
	}
	*f.p = n
	return nil
}

// locksFlag is -locks: auto, on or off (runner.Locks).
type locksFlag struct{ l *runner.Locks }

func (f locksFlag) String() string {
	if f.l == nil || *f.l == "" {
		return string(runner.LocksAuto)
	}
	return string(*f.l)
}

func (f locksFlag) Set(s string) error {
	l := runner.Locks(s)
	if err := l.Check(); err != nil {
		return err
	}
	*f.l = l
	return nil
}
