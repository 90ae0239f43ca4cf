package report

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"vmabench/cell"
	"vmabench/runner"
	"vmabench/units"
)

// A ParseError is malformed input at a line of a results file.
type ParseError struct {
	File string
	Line int // 1-based
	Msg  string
}

// Error returns "file:line: message", the form editors and benchfmt use.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// A File is what a results file holds.
type File struct {
	// Header is the machine configuration (the keys MachineConfig returns)
	// in effect at the first result, or nil if there is none.
	Header []cell.KV
	// Results are the cells in file order, status lines included.
	Results []runner.Result
}

// ReadFile reads the results file at path, as written by a Writer or by
// go test -bench; see Read.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return parse(data, path)
}

// Read reads results in the Go benchmark format from r, naming it fileName
// in errors. Every benchmark must be named as a Writer names it; other
// lines that are neither configuration nor status lines are ignored, as
// benchfmt does, so go test output ("PASS", "ok vmabench 1.2s") reads too.
//
// An OK cell's Elapsed is ns/op times its Ops, rounded to the nanosecond;
// its Config is the file configuration less the machine keys, which go to
// File.Header. A status line's cell has no Config. Malformed input is a
// *ParseError at its first bad line.
func Read(r io.Reader, fileName string) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", fileName, err)
	}
	return parse(data, fileName)
}

// lineResult is a result and the line it was read from.
type lineResult struct {
	line int
	res  runner.Result
}

// parse reads data in two passes over the same bytes: benchfmt reads the
// results and configuration, and ignores the status lines, which a second
// scan picks up. The line numbers put them back in file order.
func parse(data []byte, fileName string) (*File, error) {
	f := new(File)
	results, err := readResults(data, fileName, f)
	statuses, serr := readStatuses(data, fileName)
	if err == nil || serr != nil && serr.Line < err.Line {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	all := append(results, statuses...)
	slices.SortStableFunc(all, func(a, b lineResult) int { return cmp.Compare(a.line, b.line) })
	for _, lr := range all {
		f.Results = append(f.Results, lr.res)
	}
	return f, nil
}

// readResults reads the result lines of data with benchfmt, and sets
// f.Header from the first.
func readResults(data []byte, fileName string, f *File) ([]lineResult, *ParseError) {
	var out []lineResult
	br := benchfmt.NewReader(bytes.NewReader(data), fileName)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, &ParseError{rec.FileName, rec.Line, rec.Msg}
		case *benchfmt.Result:
			_, line := rec.Pos()
			r, err := fromBenchfmt(rec)
			if err != nil {
				return nil, &ParseError{fileName, line, err.Error()}
			}
			if out == nil {
				for _, c := range rec.Config {
					if c.File && machineKeys[c.Key] {
						f.Header = append(f.Header, cell.KV{Key: c.Key, Value: string(c.Value)})
					}
				}
			}
			out = append(out, lineResult{line, r})
		}
	}
	if err := br.Err(); err != nil {
		// An I/O error on a byte slice is a line longer than bufio's limit.
		return nil, &ParseError{fileName, 0, err.Error()}
	}
	return out, nil
}

// fromBenchfmt converts a result line back into the OK cell it came from.
func fromBenchfmt(rec *benchfmt.Result) (runner.Result, error) {
	c, err := cell.Parse(string(rec.Name))
	if err != nil {
		return runner.Result{}, fmt.Errorf("Benchmark%s: %w", rec.Name, err)
	}
	if rec.Iters < 0 {
		return runner.Result{}, fmt.Errorf("Benchmark%s: negative iteration count", rec.Name)
	}
	r := runner.Result{
		Cell:   c,
		Status: runner.StatusOK,
		Ops:    uint64(rec.Iters),
	}
	nsPerOp := math.NaN()
	for _, v := range rec.Values {
		// benchfmt tidies ns/op to sec/op and p99-ns to p99-sec; take the
		// value as written.
		val, unit := v.Value, v.Unit
		if v.OrigUnit != "" {
			val, unit = v.OrigValue, v.OrigUnit
		}
		switch unit {
		case units.NsPerOp:
			nsPerOp = val
		case units.Violations:
			if val < 0 || val != math.Trunc(val) {
				return runner.Result{}, fmt.Errorf("Benchmark%s: %v violations is not a count", rec.Name, val)
			}
			r.Unsafe, r.Violations = true, uint64(val)
		default:
			r.Metrics = append(r.Metrics, runner.Metric{Value: val, Unit: unit})
		}
	}
	if math.IsNaN(nsPerOp) {
		return runner.Result{}, fmt.Errorf("Benchmark%s: no ns/op", rec.Name)
	}
	r.Elapsed = time.Duration(math.Round(nsPerOp * float64(r.Ops)))
	for _, cfg := range rec.Config {
		if cfg.File && !machineKeys[cfg.Key] {
			r.Config = append(r.Config, cell.KV{Key: cfg.Key, Value: string(cfg.Value)})
		}
	}
	return r, nil
}

// readStatuses reads the status lines of data, which Writer.writeStatus
// writes and benchfmt ignores. A line is a status line if it starts with
// "# <status> Benchmark"; other comment lines are ignored.
func readStatuses(data []byte, fileName string) ([]lineResult, *ParseError) {
	var out []lineResult
	last := -1 // index in out of the status line that "#\t" lines continue
	s := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; s.Scan(); line++ {
		text := s.Text()
		if more, ok := strings.CutPrefix(text, "#\t"); ok && last >= 0 {
			out[last].res.Detail += "\n" + more
			continue
		}
		last = -1
		r, ok, err := parseStatus(text)
		if err != nil {
			return nil, &ParseError{fileName, line, err.Error()}
		}
		if ok {
			out = append(out, lineResult{line, r})
			last = len(out) - 1
		}
	}
	// readResults reports any scanner error.
	return out, nil
}

// parseStatus parses a status line,
// "# <status> Benchmark<name>[ after <duration>][: <detail>]".
func parseStatus(line string) (r runner.Result, ok bool, err error) {
	rest, ok := strings.CutPrefix(line, "# ")
	if !ok {
		return r, false, nil
	}
	word, rest, _ := strings.Cut(rest, " ")
	if r.Status = runner.Status(word); !failed(r.Status) || !strings.HasPrefix(rest, "Benchmark") {
		return r, false, nil
	}
	head, detail, _ := strings.Cut(rest, ": ")
	f := strings.Split(head, " ")
	if len(f) != 1 && (len(f) != 3 || f[1] != "after") {
		return r, false, fmt.Errorf("%s line: want \"# %s Benchmark<name>[ after <duration>][: <detail>]\"", word, word)
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	c, err := cell.Parse(name)
	if err != nil {
		return r, false, fmt.Errorf("%s: %w", f[0], err)
	}
	if len(f) == 3 {
		if r.Elapsed, err = time.ParseDuration(f[2]); err != nil {
			return r, false, fmt.Errorf("%s line: %w", word, err)
		}
	}
	r.Cell = c
	r.Detail = detail
	return r, true, nil
}
