package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"

	"golang.org/x/perf/benchfmt"

	"vmabench/cell"
	"vmabench/runner"
	"vmabench/units"
)

// A Writer writes results in the Go benchmark format. Unit metadata lines
// (the units table's directions, "Unit faults/s better=higher"), result
// lines and configuration go through a benchfmt.Writer, so they are exactly
// what benchstat reads; only the status lines of cells that did not end OK,
// which benchfmt has no record for, are written directly.
//
// A Writer does not buffer: each call writes whole lines to the underlying
// io.Writer, so there is nothing to flush.
type Writer struct {
	w       io.Writer
	bw      *benchfmt.Writer
	header  []cell.KV
	started bool // WriteResult was called
	units   bool // the unit metadata lines are written
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, bw: benchfmt.NewWriter(w)}
}

// WriteHeader sets the file configuration that describes the machine and
// build (see MachineConfig). It must be called at most once, before the first
// WriteResult. benchfmt writes configuration only together with a result, so
// the header lines appear just before the first result line: a file whose
// cells all failed has no header.
func (w *Writer) WriteHeader(header []cell.KV) error {
	if w.started || w.header != nil {
		return errors.New("report: WriteHeader called twice or after WriteResult")
	}
	seen := make(map[string]bool)
	for _, kv := range header {
		if err := checkConfig(kv, seen); err != nil {
			return fmt.Errorf("report: header: %w", err)
		}
	}
	w.header = append([]cell.KV{}, header...)
	return nil
}

// WriteResult writes one cell. An OK cell becomes a result line, preceded by
// any configuration lines that changed since the previous result:
//
//	BenchmarkVMA/workload=faults/strategy=vmarefcnt/threads=2-2 <Ops> <NsPerOp> ns/op <metric> <unit> ...
//
// A cell with violations (or marked Unsafe) gets one more metric,
// "<Violations> violations": it is how a reader knows the numbers are a
// floor, not a result. Any other cell becomes a status line that benchfmt
// ignores, with further lines of r.Detail as "#\t" continuation lines:
//
//	# deadlock BenchmarkVMA/workload=nested-fault/strategy=mmaplock/threads=2-2 after 2s: <Detail>
//
// The configuration of such a cell is not written.
func (w *Writer) WriteResult(r *runner.Result) error {
	w.started = true
	name, err := benchName(r)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if r.Status != runner.StatusOK {
		return w.writeStatus(name, r)
	}
	res := &benchfmt.Result{Name: benchfmt.Name(name)}
	if r.Ops > math.MaxInt {
		return fmt.Errorf("report: %s: %d ops overflow int", name, r.Ops)
	}
	res.Iters = int(r.Ops)
	if res.Config, err = w.config(r); err != nil {
		return fmt.Errorf("report: %s: %w", name, err)
	}
	if res.Values, err = values(r); err != nil {
		return fmt.Errorf("report: %s: %w", name, err)
	}
	if err := w.writeUnits(); err != nil {
		return err
	}
	for _, n := range r.Notes {
		// A comment line, which benchfmt ignores: a configuration
		// line here would split benchstat's tables.
		n = strings.Join(strings.Fields(n), " ")
		if _, err := fmt.Fprintf(w.w, "# note Benchmark%s: %s\n", name, n); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	if err := w.bw.Write(res); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// config returns the file configuration of r: the header, then r.Config.
func (w *Writer) config(r *runner.Result) ([]benchfmt.Config, error) {
	cfg := make([]benchfmt.Config, 0, len(w.header)+len(r.Config))
	seen := make(map[string]bool)
	for _, kv := range w.header {
		seen[kv.Key] = true
		cfg = append(cfg, benchfmt.Config{Key: kv.Key, Value: []byte(kv.Value), File: true})
	}
	for _, kv := range r.Config {
		if err := checkConfig(kv, seen); err != nil {
			return nil, err
		}
		cfg = append(cfg, benchfmt.Config{Key: kv.Key, Value: []byte(kv.Value), File: true})
	}
	return cfg, nil
}

// writeUnits writes the unit metadata lines (WriteUnits) before the first
// result line.
func (w *Writer) writeUnits() error {
	if w.units {
		return nil
	}
	w.units = true
	for _, m := range unitMetadata() {
		if err := w.bw.Write(m); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

// WriteUnits writes a benchfmt unit metadata line for each unit of the units
// table whose better direction is known,
//
//	Unit faults/s better=higher
//
// so that benchstat and other benchfmt readers judge every unit as vmabench
// does. A Writer writes them before its first result; go test -bench
// output gets them from BenchmarkVMA.
func WriteUnits(w io.Writer) error {
	bw := benchfmt.NewWriter(w)
	for _, m := range unitMetadata() {
		if err := bw.Write(m); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

// unitMetadata returns the records WriteUnits writes.
func unitMetadata() []*benchfmt.UnitMetadata {
	var out []*benchfmt.UnitMetadata
	for _, u := range units.Table {
		if u.Better == units.Unknown {
			continue
		}
		out = append(out, &benchfmt.UnitMetadata{
			UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u.Name, Key: "better"},
			OrigUnit:        u.Name,
			Value:           u.Better.String(),
		})
	}
	return out
}

// checkConfig reports whether kv reads back as the same configuration line
// under benchfmt's rule: a key starts with a lower-case letter and holds no
// space, upper-case letter or colon; an empty value would delete the key.
func checkConfig(kv cell.KV, seen map[string]bool) error {
	for i, c := range kv.Key {
		if i == 0 && !unicode.IsLower(c) || unicode.IsSpace(c) || unicode.IsUpper(c) || c == ':' {
			return fmt.Errorf("config key %q is not a lower-case word", kv.Key)
		}
	}
	switch {
	case kv.Key == "":
		return errors.New("empty config key")
	case seen[kv.Key]:
		return fmt.Errorf("config key %q repeats", kv.Key)
	case kv.Value == "" || strings.TrimSpace(kv.Value) != kv.Value || strings.ContainsAny(kv.Value, "\r\n"):
		return fmt.Errorf("config %s: value %q is empty, padded or holds a newline", kv.Key, kv.Value)
	}
	seen[kv.Key] = true
	return nil
}

// values returns r's measurements: ns/op, r.Metrics, then violations.
func values(r *runner.Result) ([]benchfmt.Value, error) {
	vals := []benchfmt.Value{{Value: r.NsPerOp(), Unit: units.NsPerOp}}
	for _, m := range r.Metrics {
		switch {
		case m.Unit == "" || strings.IndexFunc(m.Unit, unicode.IsSpace) >= 0:
			return nil, fmt.Errorf("metric unit %q is empty or holds a space", m.Unit)
		case m.Unit == units.NsPerOp || m.Unit == units.Violations:
			return nil, fmt.Errorf("metric unit %q is reserved", m.Unit)
		case math.IsNaN(m.Value) || math.IsInf(m.Value, 0):
			return nil, fmt.Errorf("metric %s is %v", m.Unit, m.Value)
		}
		vals = append(vals, benchfmt.Value{Value: m.Value, Unit: m.Unit})
	}
	if r.IsUnsafe() {
		vals = append(vals, benchfmt.Value{Value: float64(r.Violations), Unit: units.Violations})
	}
	return vals, nil
}

// failed reports whether s is a status that WriteResult writes as a status
// line.
func failed(s runner.Status) bool {
	switch s {
	case runner.StatusDeadlock, runner.StatusTimeout, runner.StatusSkipped, runner.StatusError:
		return true
	}
	return false
}

// writeStatus writes the status line of a cell that did not end OK. It
// starts with "# ", so benchfmt ignores it and cannot take it for
// configuration, whatever colons the detail holds.
func (w *Writer) writeStatus(name string, r *runner.Result) error {
	if !failed(r.Status) {
		return fmt.Errorf("report: %s: unknown status %q", name, r.Status)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s Benchmark%s", r.Status, name)
	if r.Elapsed != 0 {
		fmt.Fprintf(&b, " after %v", r.Elapsed)
	}
	if r.Detail != "" {
		b.WriteString(": ")
		b.WriteString(strings.ReplaceAll(r.Detail, "\n", "\n#\t"))
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(w.w, b.String()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
