package validate

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"

	"vmabench/calib"
	"vmabench/cell"
	"vmabench/report"
	"vmabench/verdict"
)

// WriteTable prints the report as a table, one row per experiment, then a
// line naming the rows that disagree or are inconclusive, if any:
//
//	experiment      model     kernel  model  ratio  interval      tolerance  verdict  spread
//	reader-penalty  mmaplock  4.30x   4.10x  0.95   [0.90, 1.01]  1.25x      agrees   1.12 / 1.05
//
// The interval is the bootstrap interval of the ratio over the paired
// repetitions; an inconclusive row says the -count that would decide it.
// The spread column is each side's Row.KernelSpread / Row.ModelSpread; a
// line under the table names the rows whose kernel figure moved by more
// than their tolerance across the repetitions.
func (r Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "vmabench validate: kernel %s, its design modelled by %s", r.Release, r.Design)
	if r.CPUIdle != "" {
		fmt.Fprintf(&b, "; idle CPUs: %s", r.CPUIdle)
	}
	b.WriteString("\n")
	if r.LoadStart >= 0 && r.LoadEnd >= 0 {
		fmt.Fprintf(&b, "load average %.2f at the start, %.2f at the end, on %d CPUs", r.LoadStart, r.LoadEnd, r.CPUs)
		// Only the start's figure judges the machine: the end's counts
		// validate's own threads, up to one per CPU, so a quiet machine
		// ends near its CPU count.
		if r.LoadStart > float64(r.CPUs)/2 {
			b.WriteString(": a busy machine, whose other work disturbs every figure")
		}
		b.WriteString("\n")
	}
	if r.TransferStart > 0 && r.TransferEnd > 0 {
		fmt.Fprintf(&b, "line transfer between the first two CPUs %.0f ns at the start, %.0f ns at the end", r.TransferStart, r.TransferEnd)
		if f, moved := calib.TransferMoved(r.TransferStart, r.TransferEnd); moved {
			fmt.Fprintf(&b, ", %.1fx apart: the host moved the vCPUs, and the 2-thread rows of contended cells judge that as much as the model", f)
		}
		b.WriteString("\n")
	}
	if r.CPUChecks > 0 {
		b.WriteString(r.cpuFactorLine())
		b.WriteString("\n")
	}
	switch {
	case r.Pilot > 0:
		fmt.Fprintf(&b, "repetitions: %d, extended from %d for %s: the first %d set the count, and every row is judged once, on all %d",
			r.Repetitions, r.Pilot, strings.Join(r.ExtendedFor, ", "), r.Pilot, r.Repetitions)
		if len(r.Beyond) > 0 {
			fmt.Fprintf(&b, "; not for %s, which would need more than -max-count %d", strings.Join(r.Beyond, ", "), r.MaxCount)
		}
		b.WriteString("\n")
	case r.MaxCount > r.Repetitions && len(r.Beyond) > 0:
		fmt.Fprintf(&b, "repetitions: %d, not extended: %s would need more than -max-count %d at this spread\n",
			r.Repetitions, strings.Join(r.Beyond, ", "), r.MaxCount)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "experiment\tmodel\tkernel\tmodel\tratio\tinterval\ttolerance\tverdict\tspread\t\n")
	for _, row := range r.Rows {
		interval := "-"
		if v := row.Verdict; !math.IsNaN(v.Lo) && v.N >= 2 {
			interval = fmt.Sprintf("[%.2f, %.2f]", v.Lo, v.Hi)
		}
		state := row.State()
		if row.Verdict.Outcome == verdict.CannotTell && row.Verdict.Need > 0 {
			state += " (" + needShort(row.Verdict.Need) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%s\t%sx\t%s\t%s / %s\t\n", row.Name, row.Model,
			figure(row.KernelValue, row.Unit), figure(row.ModelValue, row.Unit), row.Ratio, interval, trim(row.Tolerance), state,
			orDash(row.KernelSpread), orDash(row.ModelSpread))
	}
	tw.Flush()
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "  %s: %s\n", row.Name, row.Detail)
	}
	b.WriteString("  spread: kernel / model, each side's largest repetition over its smallest\n")
	b.WriteString("  interval: 95% bootstrap interval of the ratio over the paired repetitions; a row agrees when it lies within\n" +
		"  the tolerance either way, disagrees when it lies wholly outside, and is inconclusive when it straddles a bound\n")
	for _, row := range r.Rows {
		if row.Verdict.Why != "" && row.Verdict.Outcome != verdict.CannotTell {
			fmt.Fprintf(&b, "  %s: %s\n", row.Name, row.Verdict.Why)
		}
	}
	for _, row := range r.Unsteady() {
		tails := ""
		if row.KernelSteady != row.KernelSpread {
			tails = fmt.Sprintf(" (its 10th to 90th percentile; %.2fx with the tails)", row.KernelSpread)
		}
		fmt.Fprintf(&b, "  %s: the kernel's own figure moved %.2fx across its repetitions%s, more than the %sx tolerance:"+
			" the row judges this machine's noise as much as the model\n", row.Name, row.KernelSteady, tails, trim(row.Tolerance))
	}
	for _, row := range r.Rows {
		for _, side := range []struct {
			name string
			g    verdict.Groups
		}{{"kernel", row.KernelGroups}, {"model", row.ModelGroups}} {
			if side.g.Split() {
				fig := func(v float64) string { return figure(v, row.Unit) }
				fmt.Fprintf(&b, "  %s: %s\n", row.Name, side.g.Note(side.name, fig, trim(row.Tolerance)))
			}
		}
	}
	if len(r.Sleeps) > 0 {
		b.WriteString("  lookups-mmap 2 threads, kernel / mmaplock:")
		for i, sl := range r.Sleeps {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s %s / %s", sl.Unit, orDash(sl.Kernel), orDash(sl.Model))
		}
		b.WriteString("\n")
	}
	for _, l := range r.LeftOut {
		fmt.Fprintf(&b, "  left out: %s\n", l)
	}
	if n := calib.ClampNote(r.Clamped); n != "" {
		fmt.Fprintf(&b, "  slower than the kernel: %s\n", n)
	}
	var unsure []string
	for _, row := range r.Inconclusive() {
		unsure = append(unsure, row.Name)
	}
	names := r.failedNames()
	if len(names) > 0 {
		fmt.Fprintf(&b, "disagree: %s\n", strings.Join(names, ", "))
	}
	if len(unsure) > 0 {
		fmt.Fprintf(&b, "inconclusive: %s (%s)\n", strings.Join(unsure, ", "), needWords(r.Need()))
	}
	if len(names) == 0 && len(unsure) == 0 {
		fmt.Fprintf(&b, "every row agrees\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// figure formats a row's value: a penalty as "4.30x", a cost as "1.61µs",
// a share of time as "42.0%".
func figure(v float64, unit string) string {
	switch unit {
	case "x":
		return strconv.FormatFloat(v, 'f', 2, 64) + "x"
	case "share":
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "ms"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', 2, 64) + "µs"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + "ns"
}

// orDash formats a Sleep figure or a spread to two decimals, "-" where a
// side does not report it (NaN).
func orDash(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// verdictValue is a row's verdict as a number: 1 agrees, 0 inconclusive,
// -1 disagrees.
func verdictValue(o verdict.Outcome) float64 {
	switch o {
	case verdict.Same:
		return 1
	case verdict.Worse:
		return -1
	}
	return 0
}

// needShort says in a word or two how many repetitions would decide a row.
func needShort(n int) string {
	if n >= verdict.MaxNeed {
		return fmt.Sprintf("needs > %d", verdict.MaxNeed)
	}
	return fmt.Sprintf("needs -count %d", n)
}

func trim(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// WriteBenchfmt writes the report in the Go benchmark format: the header
// (report.MachineConfig) and every cell, as vmabench run writes them, then
// one line per row,
//
//	BenchmarkValidate/experiment=reader-penalty/model=mmaplock 1 4.3 kernel-x 4.1 model-x 0.95 ratio 1 within 0.9 ratio-lo 1.01 ratio-hi 1 verdict
//
// with "within" 1 where the row agrees and 0 otherwise, "ratio-lo" and
// "ratio-hi" its interval (where it has one), "verdict" 1 (agrees), 0
// (inconclusive) or -1 (disagrees), then "spread-kernel" and "spread-model"
// (Row.KernelSpread, Row.ModelSpread) where the row has repetitions, and
// the configuration lines "validate-tolerance" and "validate-design". benchstat and vmabench compare read the cells; a
// nightly keeps the rows in its history.
func (r Report) WriteBenchfmt(w io.Writer, header []cell.KV) error {
	rw := report.NewWriter(w)
	if err := rw.WriteHeader(header); err != nil {
		return err
	}
	for i := range r.Results {
		if err := rw.WriteResult(&r.Results[i]); err != nil {
			return err
		}
	}
	bw := benchfmt.NewWriter(w)
	var cfg []benchfmt.Config
	for _, kv := range header {
		cfg = append(cfg, benchfmt.Config{Key: kv.Key, Value: []byte(kv.Value), File: true})
	}
	cfg = append(cfg,
		benchfmt.Config{Key: "validate-design", Value: []byte(r.Design), File: true},
		benchfmt.Config{Key: "validate-tolerance", Value: []byte(trim(r.Tolerance)), File: true},
		benchfmt.Config{Key: "validate-load", Value: []byte(fmt.Sprintf("%.2f-%.2f", r.LoadStart, r.LoadEnd)), File: true})
	if r.Pilot > 0 {
		cfg = append(cfg, benchfmt.Config{Key: "validate-repetitions", Value: []byte(fmt.Sprintf("%d, extended from %d", r.Repetitions, r.Pilot)), File: true})
	}
	if r.CPUChecks > 0 {
		cfg = append(cfg, benchfmt.Config{Key: "validate-cpu-factors", Value: []byte(fmt.Sprintf("%.2f-%.2f", r.CPUFactorLo, r.CPUFactorHi)), File: true})
	}
	if r.TransferStart > 0 && r.TransferEnd > 0 {
		cfg = append(cfg, benchfmt.Config{Key: "validate-line-transfer", Value: []byte(fmt.Sprintf("%.0f-%.0fns", r.TransferStart, r.TransferEnd)), File: true})
	}
	for _, row := range r.Rows {
		within := 0.0
		if row.OK {
			within = 1
		}
		res := &benchfmt.Result{
			Config: cfg,
			Name:   benchfmt.Name(fmt.Sprintf("Validate/experiment=%s/model=%s", row.Name, row.Model)),
			Iters:  1,
			Values: []benchfmt.Value{
				{Value: row.KernelValue, Unit: "kernel-" + row.Unit},
				{Value: row.ModelValue, Unit: "model-" + row.Unit},
				{Value: row.Ratio, Unit: "ratio"},
				{Value: within, Unit: "within"},
			},
		}
		if v := row.Verdict; !math.IsNaN(v.Lo) && !math.IsNaN(v.Hi) && v.N >= 2 {
			res.Values = append(res.Values, benchfmt.Value{Value: v.Lo, Unit: "ratio-lo"}, benchfmt.Value{Value: v.Hi, Unit: "ratio-hi"})
		}
		res.Values = append(res.Values, benchfmt.Value{Value: verdictValue(row.Verdict.Outcome), Unit: "verdict"})
		if !math.IsNaN(row.KernelSpread) && !math.IsNaN(row.ModelSpread) {
			res.Values = append(res.Values,
				benchfmt.Value{Value: row.KernelSpread, Unit: "spread-kernel"},
				benchfmt.Value{Value: row.ModelSpread, Unit: "spread-model"})
		}
		if err := bw.Write(res); err != nil {
			return err
		}
	}
	return nil
}

// cpuFactorLine says how the other CPUs' kernel work compared with the
// first's over the run, and, where it strayed past calib.SymmetricWithin,
// what that does to the rows.
func (r Report) cpuFactorLine() string {
	line := fmt.Sprintf("the other CPUs' faults and mmaps took %.2fx to %.2fx the first CPU's in %d checks (start, each repetition, end)", r.CPUFactorLo, r.CPUFactorHi, r.CPUChecks)
	if r.CPUFactorLo < 1-calib.SymmetricWithin || r.CPUFactorHi > 1+calib.SymmetricWithin {
		line += ": the host slowed one vCPU's kernel work at a time, which the kernel's 2-thread figures carry and the model's do not; the scaling rows and the 2-thread penalties judge that as much as the model"
	}
	return line
}
