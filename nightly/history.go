package nightly

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"vmabench/report"
	"vmabench/runner"
)

// An Entry is one nightly results file, named
// "<YYYY-MM-DD>-<commit>.txt" for the first run of a night and
// "<YYYY-MM-DD>-<commit>-<seq>.txt" (seq 2, 3, ...) for later runs of the
// same night, whatever their commit: the date orders the nights and seq the
// runs within a night, so history has one order that does not depend on
// file times, which copying or checking out a results directory loses.
type Entry struct {
	// Path is the file's path: its directory joined with its name.
	Path string
	// Date is the night, midnight UTC.
	Date time.Time
	// Commit is the commit as it appears in the name ("abc1234",
	// "abc1234-dirty", "unknown").
	Commit string
	// Seq is the run's number within its night, from 1.
	Seq int
}

// Name returns e's file name, without its directory.
func (e Entry) Name() string { return filepath.Base(e.Path) }

// Compare orders entries oldest first: by date, then seq, then name (for
// two files of the same date and seq, which only a copy from elsewhere
// makes).
func (e Entry) Compare(f Entry) int {
	return cmp.Or(e.Date.Compare(f.Date), cmp.Compare(e.Seq, f.Seq), cmp.Compare(e.Name(), f.Name()))
}

// dateLayout is the date in a nightly file name.
const dateLayout = time.DateOnly

// FileName returns the name of the seq'th run (from 1) of the night of date
// (taken in UTC) at commit. The commit is reduced to file-safe characters
// ([A-Za-z0-9._-]), empty becomes "unknown", and a last "-<digits>" part,
// which would read back as a seq, becomes "_<digits>".
func FileName(date time.Time, commit string, seq int) string {
	c := safeCommit(commit)
	if seq > 1 {
		c += "-" + strconv.Itoa(seq)
	}
	return date.UTC().Format(dateLayout) + "-" + c + ".txt"
}

// safeCommit returns commit as FileName writes it.
func safeCommit(commit string) string {
	var b strings.Builder
	dash := false
	for _, r := range commit {
		if r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	c := strings.Trim(b.String(), "-")
	if c == "" {
		return "unknown"
	}
	if i := strings.LastIndexByte(c, '-'); i >= 0 {
		if _, ok := parseSeq(c[i+1:]); ok {
			c = c[:i] + "_" + c[i+1:]
		}
	}
	return c
}

// parseSeq parses a seq suffix: a decimal number from 2, no leading zero.
func parseSeq(s string) (int, bool) {
	if s == "" || s[0] == '0' || strings.TrimLeft(s, "0123456789") != "" || len(s) > 6 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 2
}

// ParseName parses the base name of a nightly results file, as FileName
// writes it, into an Entry whose Path is name. It reports false for any
// other name: a bad date, no commit, another extension, a hidden file.
func ParseName(name string) (Entry, bool) {
	rest, ok := strings.CutSuffix(name, ".txt")
	if !ok || len(rest) < len(dateLayout)+2 || rest[len(dateLayout)] != '-' {
		return Entry{}, false
	}
	date, err := time.Parse(dateLayout, rest[:len(dateLayout)])
	if err != nil {
		return Entry{}, false
	}
	commit, seq := rest[len(dateLayout)+1:], 1
	if i := strings.LastIndexByte(commit, '-'); i > 0 {
		if n, ok := parseSeq(commit[i+1:]); ok {
			commit, seq = commit[:i], n
		}
	}
	if commit == "" || commit[0] == '-' || commit[len(commit)-1] == '-' ||
		strings.Trim(commit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
		return Entry{}, false
	}
	return Entry{Path: name, Date: date, Commit: commit, Seq: seq}, true
}

// List returns the nightly results files in dir, oldest first (see
// Entry.Compare). Other names, and directories, are ignored; a directory
// that does not exist is an empty history.
func List(dir string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nightly: %w", err)
	}
	var out []Entry
	for _, de := range des {
		if de.IsDir() {
			continue
		}
		e, ok := ParseName(de.Name())
		if !ok {
			continue
		}
		e.Path = filepath.Join(dir, de.Name())
		out = append(out, e)
	}
	slices.SortFunc(out, Entry.Compare)
	return out, nil
}

// nextSeq returns the seq of a new run of the night of date, after every
// run of that night in history.
func nextSeq(history []Entry, date time.Time) int {
	seq := 1
	for _, e := range history {
		if e.Date.Equal(date) {
			seq = max(seq, e.Seq+1)
		}
	}
	return seq
}

// A Night is a nightly results file that was read, with what it holds.
type Night struct {
	Entry
	File *report.File
}

// OK reports whether the night measured anything: at least one cell ended
// OK. Only such nights can be a baseline or a point on a trend.
func (n *Night) OK() bool {
	return slices.ContainsFunc(n.File.Results, func(r runner.Result) bool { return r.Status == runner.StatusOK })
}

// Load reads every entry. A file that cannot be read, does not parse or
// measured nothing (see Night.OK) is a problem, reported as
// "file:line: message" (a *report.ParseError) or "file: message", and left
// out; the other nights are returned, in the entries' order.
func Load(entries []Entry) (nights []Night, problems []error) {
	for _, e := range entries {
		n, err := load(e)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		nights = append(nights, n)
	}
	return nights, problems
}

// load reads one entry into a Night that measured something.
func load(e Entry) (Night, error) {
	f, err := report.ReadFile(e.Path)
	if err != nil {
		var perr *report.ParseError
		var pathErr *fs.PathError
		switch {
		case errors.As(err, &perr):
			return Night{}, perr
		case errors.As(err, &pathErr):
			return Night{}, fmt.Errorf("%s: %w", e.Path, pathErr.Err)
		}
		return Night{}, fmt.Errorf("%s: %w", e.Path, err)
	}
	n := Night{Entry: e, File: f}
	if !n.OK() {
		if len(f.Results) == 0 {
			return Night{}, fmt.Errorf("%s: no results (an empty or truncated file?)", e.Path)
		}
		return Night{}, fmt.Errorf("%s: no cell ended ok (%d cells, all failed or skipped)", e.Path, len(f.Results))
	}
	return n, nil
}
