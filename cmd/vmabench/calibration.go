package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"vmabench/calib"
	"vmabench/kernel"
	"vmabench/mm"
	"vmabench/validate"
	"vmabench/workloads"
)

// calibrationFlagUsage is the help of every command's -calibration flag.
const calibrationFlagUsage = "cost `profile` the models' work is calibrated from: a file written by vmabench calibrate,\n" +
	"none for raw lock costs, or empty for this machine's profile (measured once, in a few seconds, if missing)"

// applyCalibration resolves a -calibration setting and puts its work and
// its configuration lines into load. It tells stderr when it measured a
// profile, and which operations the calibration clamps, which it returns.
func applyCalibration(ctx context.Context, setting string, load *workloads.Config, stderr io.Writer) ([]calib.Clamp, error) {
	r, err := calib.Resolve(ctx, setting)
	if err != nil {
		return nil, err
	}
	if r.Note != "" {
		fmt.Fprintf(stderr, "vmabench: %s\n", r.Note)
	}
	if n := calib.ClampNote(r.Clamped); n != "" {
		fmt.Fprintf(stderr, "vmabench: warning: %s\n", n)
	}
	r.Apply(load)
	return r.Clamped, nil
}

// applyValidateCalibration is applyCalibration for a validation: with this
// machine's profile (Auto) it calibrates afresh before each repetition,
// beside the kernel cells (validate.Config.Fresh); a file is used for every
// repetition, and the operations it clamps go into the report.
func applyValidateCalibration(ctx context.Context, setting string, vc *validate.Config, stderr io.Writer) (err error) {
	if setting == calib.Auto {
		vc.Fresh = true
		return nil
	}
	vc.Clamped, err = applyCalibration(ctx, setting, &vc.Base.Load, stderr)
	return err
}

const calibrateUsage = `Usage: vmabench calibrate [-o FILE]

Calibrate measures on this machine, with the live kernel, in a few seconds:
one anonymous page fault, one madvise(MADV_DONTNEED) of a VMA, one mmap and
one munmap (and the spread of the pair, timed alone 5000 times: pair-p10-ns,
pair-p50-ns, pair-p90-ns, pair-p99-ns, pair-p999-ns, which a projection
draws its work and its stalls from), one
mprotect split or merge, one mincore() (an mmap_read_lock
round trip), what one more VMA adds to a read of /proc/self/maps, the field's
shapes' passes (page_fault1's fresh fault over 2 MiB and over 64 MiB,
fault-fresh-ns and fault-fresh-large-ns; page_fault2's and page_fault3's
file faults; mmap2's pair), a null system call, and, where it may trace the kernel (root, tracefs), how long a
fault's handler holds its lock (fault-hold-ns, from the mmap_lock
tracepoints; the rest of a fault is charged after the lock); and it
records the load average it measured under and the page allocator's
per-CPU list high and batch (/proc/zoneinfo). It writes them as
a profile of "key: value" lines (ns per operation; the machine, CPU, kernel
release and date named in it) to this machine's file in the user's cache
directory, or to -o FILE, and prints it, with the work each model then does
under and around its locks.

run, the quick default run, nightly, validate and go test -bench use this
machine's profile unless given -calibration none (raw lock costs) or
-calibration FILE; they measure it first if it is missing, and measure it
afresh, with a warning, if it was made on another machine or kernel, or if
a quick check at start-up (fault-ns and mmap-ns, about 5 ms) finds it more
than 10% off, either way, saying so with both figures.

Examples:

	vmabench calibrate
	vmabench calibrate -o results/calibration.txt
	vmabench run -workload faults -calibration results/calibration.txt
	vmabench run -workload faults -calibration none
`

// calibrateCmd is vmabench calibrate.
func calibrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	var out string
	fs.StringVar(&out, "o", "", "write the profile to `FILE` instead of this machine's file in the cache directory")
	if err := parseFlags(fs, args, calibrateUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("calibrate", "unexpected argument %q", fs.Arg(0))
	}
	if out == "" {
		var err error
		if out, err = calib.DefaultPath(); err != nil {
			return err
		}
	}
	p, err := calib.Measure(ctx)
	if err != nil {
		return err
	}
	if err := p.WriteFile(out); err != nil {
		return err
	}
	design := calib.DesignFor(kernel.Release())
	rate := mm.SpinRate()
	bare, err := calib.MeasureBare(ctx, design, p, rate)
	if err != nil {
		return err
	}
	w := calib.Derive(p, bare, rate)
	fmt.Fprintf(stdout, "%s:\n", out)
	if err := p.Write(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nmodel work per operation, beside %s's own cost (ns):\n", design)
	exit := "the whole fault under its lock (fault-hold-ns not measured)"
	if p.FaultHold > 0 {
		exit = fmt.Sprintf("%.0f after the handler drops it", w.FaultExit)
	}
	fmt.Fprintf(stdout, "  fault: %.0f under the lock, %.0f trap outside, %s (own cost %.0f)\n", w.Fault, w.Trap, exit, bare.Fault)
	fmt.Fprintf(stdout, "  madvise(DONTNEED): %.0f under the lock, %.0f syscall outside (own cost %.0f)\n", w.Zap, w.Syscall, bare.Zap)
	fmt.Fprintf(stdout, "  mmap: %.0f under mmap_write_lock (own cost %.0f)\n", w.Mmap, bare.Mmap)
	fmt.Fprintf(stdout, "  munmap: %.0f under mmap_write_lock, %.0f after the downgrade (own cost %.0f)\n", w.Munmap, w.MunmapTail, bare.Munmap)
	fmt.Fprintf(stdout, "  mprotect: %.0f under mmap_write_lock (own cost %.0f)\n", w.Mprotect, bare.Mprotect)
	fmt.Fprintf(stdout, "  mincore: %.0f under mmap_read_lock, %.0f outside (own cost %.0f)\n", w.Mincore, w.MincoreOut+w.Syscall, bare.Mincore)
	fmt.Fprintf(stdout, "  /proc/pid/maps: %.1f per VMA shown, under the reader's lock (own cost %.1f)\n", w.MapsVMA, bare.MapsVMA)
	fmt.Fprintf(stdout, "  assumed, per page: %.0f under the zone lock per page refilled, %.0f per page drained; %.0f under the lruvec lock per folio added, %.0f per folio freed (pcp high %d, batch %d; folio batch %d)\n",
		w.ZoneAlloc, w.ZoneFree, w.LRUAdd, w.LRUDel, p.PCPHigh, p.PCPBatch, mm.FolioBatchSize)
	if n := calib.ClampNote(calib.Clamped(p, bare)); n != "" {
		fmt.Fprintf(stdout, "warning: %s\n", n)
	}
	return nil
}
