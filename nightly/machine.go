package nightly

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"vmabench/cell"
)

// Header keys a nightly file adds to the machine configuration: the
// machine's name (its folder in the results tree), its CPU count, the night
// it is filed under and the number of cells it holds, which tells a whole
// file from a truncated one.
const (
	keyMachine = "machine"
	keyCPUs    = "cpus"
	keyNight   = "nightly-date"
	keyCells   = "nightly-cells"
	// keyStarted is when the run started, RFC 3339 in UTC: the x of the
	// run on the trend charts, so two runs of one night are two points.
	keyStarted = "nightly-started"
)

// CheckMachine reports whether name can name a machine: 1 to 63 lower-case
// letters, digits and inner hyphens, as a host name's first label ("ci-epyc-2"),
// so that it is a folder name on every system and a URL fragment as is.
func CheckMachine(name string) error {
	ok := name != "" && len(name) <= 63 && name[0] != '-' && name[len(name)-1] != '-' &&
		strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
	if !ok {
		return fmt.Errorf("machine name %q: want 1 to 63 lower-case letters, digits and inner hyphens, such as ci-epyc-2", name)
	}
	return nil
}

// HostMachine returns this host's machine name: the first label of its host
// name, in lower case ("Build-01.example.com" is "build-01"). It is an error
// if that is not a valid name (see CheckMachine): give one instead.
func HostMachine() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("nightly: host name: %w; name the machine instead", err)
	}
	name, _, _ := strings.Cut(strings.ToLower(host), ".")
	if err := CheckMachine(name); err != nil {
		return "", fmt.Errorf("nightly: host name %q is not a machine name: %w; name the machine instead", host, err)
	}
	return name, nil
}

// nightHeader returns the keys a nightly file adds to the machine
// configuration.
func nightHeader(machine string, date time.Time, cells int, started time.Time) []cell.KV {
	return []cell.KV{
		{Key: keyMachine, Value: machine},
		{Key: keyCPUs, Value: strconv.Itoa(runtime.NumCPU())},
		{Key: keyNight, Value: date.Format(dateLayout)},
		{Key: keyCells, Value: strconv.Itoa(cells)},
		{Key: keyStarted, Value: started.UTC().Format(time.RFC3339)},
	}
}

// A Tree is a results tree: a folder per machine, each holding that
// machine's nightly files (results/<machine>/<date>-<commit>.txt).
type Tree struct {
	// Root is the tree's directory.
	Root string
	// Machines are the machine folders, sorted.
	Machines []string
	// Problems are what was found in the tree and left out: a nightly
	// file outside any machine folder (the layout before machines), a
	// folder whose name is not a machine name.
	Problems []error
}

// ReadTree lists the machine folders of the results tree at root. A root
// that does not exist is an empty tree.
func ReadTree(root string) (*Tree, error) {
	t := &Tree{Root: root}
	des, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nightly: %w", err)
	}
	for _, de := range des {
		name := de.Name()
		path := filepath.Join(root, name)
		switch {
		case strings.HasPrefix(name, "."):
		case de.IsDir() && CheckMachine(name) == nil:
			t.Machines = append(t.Machines, name)
		case de.IsDir():
			t.Problems = append(t.Problems, fmt.Errorf("%s: folder left out: %w", path, CheckMachine(name)))
		default:
			if _, ok := ParseName(name); ok {
				t.Problems = append(t.Problems, fmt.Errorf("%s: a nightly file outside any machine folder, left out: move it to %s/<machine>/ (git mv keeps its history)", path, root))
			}
		}
	}
	slices.Sort(t.Machines)
	return t, nil
}

// checkNight checks what a night's header says against where it was found:
// its machine is the folder's, its night the name's, and it holds the
// cells it says. It names the file in every error.
func checkNight(n Night, machine string) error {
	got, ok := header(n.File.Header, keyMachine)
	switch {
	case !ok:
		return fmt.Errorf("%s: no machine (no %q config line): not a nightly file of a machine, or one from before machines", n.Path, keyMachine)
	case got != machine:
		return fmt.Errorf("%s: a file of machine %q in the folder of %q: move it to its own machine's folder", n.Path, got, machine)
	}
	if d, ok := header(n.File.Header, keyNight); ok && d != n.Date.Format(dateLayout) {
		return fmt.Errorf("%s: named for the night of %s but made on the night of %s", n.Path, n.Date.Format(dateLayout), d)
	}
	if c, ok := header(n.File.Header, keyCells); ok {
		want, err := strconv.Atoi(c)
		if err != nil {
			return fmt.Errorf("%s: %s %q: not a number", n.Path, keyCells, c)
		}
		if got := len(n.File.Results); got != want {
			return fmt.Errorf("%s: truncated: %d of the %d cells it was to hold", n.Path, got, want)
		}
	}
	return nil
}

// header returns the value of key in h.
func header(h []cell.KV, key string) (string, bool) {
	for _, kv := range h {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// dedupe drops the nights that claim the same night, commit and run as an
// earlier one (a copy under another name: a full commit hash where the
// other has an abbreviation), naming both.
func dedupe(nights []Night) ([]Night, []error) {
	type claim struct {
		date   time.Time
		commit string
		seq    int
	}
	seen := make(map[claim]string)
	var out []Night
	var problems []error
	for _, n := range nights {
		commit, _ := header(n.File.Header, "vmabench-commit")
		if commit == "" || commit == "unknown" {
			commit = n.Commit
		}
		k := claim{n.Date, commit, n.Seq}
		if first, dup := seen[k]; dup {
			problems = append(problems, fmt.Errorf("%s: claims the same night, commit and run as %s (a copy?), left out", n.Path, first))
			continue
		}
		seen[k] = n.Path
		out = append(out, n)
	}
	return out, problems
}

// LoadMachine reads the nightly files of one machine (entries, from its
// folder): Load, then every night's header must name the machine, match
// its name's night and hold the cells it says (see Night), and no two may
// claim the same night, commit and run. Each file that fails is a problem,
// named, and left out.
func LoadMachine(machine string, entries []Entry) (nights []Night, problems []error) {
	all, problems := Load(entries)
	for _, n := range all {
		if err := checkNight(n, machine); err != nil {
			problems = append(problems, err)
			continue
		}
		nights = append(nights, n)
	}
	nights, dups := dedupe(nights)
	return nights, append(problems, dups...)
}
