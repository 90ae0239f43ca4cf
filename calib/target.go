package calib

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Target is a machine a projection runs on: a calibration profile (the
// kernel's costs and the coherence costs) and the machine's shape. A target
// file has the keys of a profile file plus cpus, sockets and
// remote-transfer-ns (a line transfer between sockets); every key must be
// present once.
type Target struct {
	Profile
	// Name is the built-in target's name, or the file's path.
	Name string
	// CPUs and Sockets are the machine's CPU and socket counts; the CPUs
	// are spread evenly over the sockets.
	CPUs, Sockets int
	// RemoteTransfer is LineTransfer between CPUs of two sockets, in ns.
	RemoteTransfer float64
}

// targetKeys are the keys a target file has beyond a profile's.
var targetKeys = []string{"cpus", "sockets", "remote-transfer-ns"}

//go:embed targets/*.txt
var builtinTargets embed.FS

// TargetNames returns the built-in targets' names, sorted.
func TargetNames() []string {
	ents, _ := fs.ReadDir(builtinTargets, "targets")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".txt"))
	}
	slices.Sort(names)
	return names
}

// ErrUnknownTarget is a -target that is neither a built-in name nor a
// file.
var ErrUnknownTarget = errors.New("unknown target")

// LoadTarget returns the built-in target called name, or else the target
// file at path name.
func LoadTarget(name string) (Target, error) {
	if slices.Contains(TargetNames(), name) {
		f, err := builtinTargets.Open(path.Join("targets", name+".txt"))
		if err != nil {
			return Target{}, err
		}
		defer f.Close()
		t, err := ParseTarget(f, name+".txt")
		t.Name = name
		return t, err
	}
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return Target{}, fmt.Errorf("%w %q: no such file, and not a built-in target (valid: %s, or a file)", ErrUnknownTarget, name, strings.Join(TargetNames(), ", "))
	}
	if err != nil {
		return Target{}, fmt.Errorf("target: %w", err)
	}
	defer f.Close()
	t, err := ParseTarget(f, name)
	t.Name = name
	return t, err
}

// ParseTarget reads a target file; name is the file it came from, for
// errors, which name the file and line of a malformed or unknown key and
// every missing key.
func ParseTarget(r io.Reader, name string) (Target, error) {
	var t Target
	var rest strings.Builder
	seen := map[string]bool{}
	s := bufio.NewScanner(r)
	line := 0
	for s.Scan() {
		line++
		text := s.Text()
		key, val, ok := strings.Cut(strings.TrimSpace(text), ":")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || !slices.Contains(targetKeys, key) {
			rest.WriteString(text + "\n")
			continue
		}
		rest.WriteString("\n") // keep the profile's line numbers
		if seen[key] {
			return Target{}, fmt.Errorf("%w: %s:%d: %s given twice", ErrFormat, name, line, key)
		}
		seen[key] = true
		switch key {
		case "cpus", "sockets":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return Target{}, fmt.Errorf("%w: %s:%d: %s %q: want a whole number, 1 or more", ErrFormat, name, line, key, val)
			}
			if key == "cpus" {
				t.CPUs = n
			} else {
				t.Sockets = n
			}
		case "remote-transfer-ns":
			f, err := strconv.ParseFloat(val, 64)
			if err != nil || !(f > 0) || math.IsInf(f, 0) {
				return Target{}, fmt.Errorf("%w: %s:%d: %s %q: want a positive number of ns", ErrFormat, name, line, key, val)
			}
			t.RemoteTransfer = f
		}
	}
	if err := s.Err(); err != nil {
		return Target{}, fmt.Errorf("reading %s: %w", name, err)
	}
	p, err := Parse(strings.NewReader(rest.String()), name)
	var missing []string
	for _, k := range targetKeys {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	switch {
	case err != nil && errors.Is(err, ErrMissing) && len(missing) > 0:
		return Target{}, fmt.Errorf("%w, %s", err, strings.Join(missing, ", "))
	case err != nil:
		return Target{}, err
	case len(missing) > 0:
		return Target{}, fmt.Errorf("%w: %w: %s: missing %s", ErrFormat, ErrMissing, name, strings.Join(missing, ", "))
	case t.Sockets > t.CPUs:
		return Target{}, fmt.Errorf("%w: %s: sockets %d: more than cpus (%d)", ErrFormat, name, t.Sockets, t.CPUs)
	}
	t.Profile = p
	return t, nil
}

// LocalTarget is this machine as a target: its calibration profile p, its
// CPUs, one socket (a cross-socket transfer is then never charged, and is
// given as the line transfer).
func LocalTarget(p Profile, path string, cpus int) Target {
	return Target{Profile: p, Name: path, CPUs: cpus, Sockets: 1, RemoteTransfer: p.LineTransfer}
}

// Pairs returns the target's keys and values, in file order, for a
// projection's configuration lines.
func (t Target) Pairs() [][2]string {
	out := [][2]string{
		{"cpus", strconv.Itoa(t.CPUs)},
		{"sockets", strconv.Itoa(t.Sockets)},
		{"remote-transfer-ns", strconv.FormatFloat(math.Round(t.RemoteTransfer*10)/10, 'f', -1, 64)},
	}
	return append(out, t.Profile.Pairs()...)
}
