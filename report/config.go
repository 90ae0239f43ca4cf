package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// A ConfigDiff is a configuration line whose value differs between two
// results files: a machine key of the header (kernel, cpu, gomaxprocs,
// machine, cpus, ...) or a cell's configuration (calibration and its
// costs, warmup, duration, the workload knobs, a projection's mode).
type ConfigDiff struct {
	Key string
	// Old and New are the values on each side, several joined by ", "
	// where the file's cells differ among themselves; "(none)" where the
	// file has no such line.
	Old, New string
	// Code marks the one key that is meant to differ between two runs
	// that a comparison compares, vmabench-commit: the code under test.
	// It is listed, and never refuses a comparison.
	Code bool
}

// noConfigKeys are header keys that say nothing about how a figure was
// measured: the package name and the nightly job's bookkeeping.
var noConfigKeys = map[string]bool{"pkg": true, "nightly-date": true, "nightly-cells": true, "nightly-started": true}

// DiffConfig returns the configuration lines whose values differ between
// old and new, header keys first, in the order old has them: the list
// vmabench compare prints before its tables and refuses a gate on (unless
// told otherwise), since a figure measured under another calibration,
// warm-up, kernel or machine is not the same figure.
func DiffConfig(old, new *File) []ConfigDiff {
	var out []ConfigDiff
	ho, hn := headerValues(old), headerValues(new)
	for _, k := range mergedKeys(ho.keys, hn.keys) {
		if noConfigKeys[k] {
			continue
		}
		if o, n := ho.get(k), hn.get(k); o != n {
			out = append(out, ConfigDiff{Key: k, Old: o, New: n, Code: k == "vmabench-commit"})
		}
	}
	co, cn := cellValues(old), cellValues(new)
	for _, k := range mergedKeys(co.keys, cn.keys) {
		if o, n := co.get(k), cn.get(k); o != n {
			out = append(out, ConfigDiff{Key: k, Old: o, New: n})
		}
	}
	return out
}

// Refusing returns the differences that refuse a comparison: all but the
// commit.
func Refusing(ds []ConfigDiff) []ConfigDiff {
	return slices.DeleteFunc(slices.Clone(ds), func(d ConfigDiff) bool { return d.Code })
}

// WriteConfigDiff lists ds, one line each, under a heading naming the two
// files; nothing if ds is empty.
func WriteConfigDiff(w io.Writer, oldLabel, newLabel string, ds []ConfigDiff) error {
	if len(ds) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "configuration differs between %s and %s:\n", oldLabel, newLabel)
	for _, d := range ds {
		note := ""
		if d.Code {
			note = " (the code compared: not a configuration difference)"
		}
		fmt.Fprintf(&b, "  %s: %s -> %s%s\n", d.Key, d.Old, d.New, note)
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

type cfgValues struct {
	keys []string
	vals map[string][]string
}

func (v *cfgValues) add(k, val string) {
	if v.vals == nil {
		v.vals = make(map[string][]string)
	}
	if _, ok := v.vals[k]; !ok {
		v.keys = append(v.keys, k)
	}
	if !slices.Contains(v.vals[k], val) {
		v.vals[k] = append(v.vals[k], val)
	}
}

func (v *cfgValues) get(k string) string {
	vs, ok := v.vals[k]
	if !ok {
		return "(none)"
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	return strings.Join(s, ", ")
}

func headerValues(f *File) cfgValues {
	var v cfgValues
	for _, kv := range f.Header {
		v.add(kv.Key, kv.Value)
	}
	return v
}

// cellValues collects the configuration of f's cells that ran (status
// lines carry none).
func cellValues(f *File) cfgValues {
	var v cfgValues
	for _, r := range f.Results {
		for _, kv := range r.Config {
			v.add(kv.Key, kv.Value)
		}
	}
	return v
}

func mergedKeys(a, b []string) []string {
	out := slices.Clone(a)
	for _, k := range b {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// ReadComparable reads the results file at path as ReadFile does, and
// refuses one that cannot be compared, naming the file and the line: an
// empty file or one with no result (/dev/null, a log), a file whose last
// line was cut short (a run killed while writing), and, as ReadFile does,
// a benchmark line that is not a vmabench cell (another tool's file).
func ReadComparable(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	lines := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, &ParseError{path, lines + 1, "truncated: the last line ends without a newline (a run cut short while writing?)"}
	}
	f, err := parse(data, path)
	if err != nil {
		return nil, err
	}
	if len(f.Results) == 0 {
		if len(data) == 0 {
			return nil, &ParseError{path, 1, "empty: no results to compare"}
		}
		return nil, &ParseError{path, lines, "no results: not one Benchmark line of a vmabench cell in the file"}
	}
	return f, nil
}
