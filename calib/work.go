package calib

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"vmabench/cell"
	"vmabench/mm"
	"vmabench/runner"
	"vmabench/strategies"
	"vmabench/workloads"
)

// DesignFor returns the model of the VMA locking design a kernel release
// has: vmarefcnt from v6.15 (the per-VMA refcount), vmaseq from v6.4 to
// v6.14 (the per-VMA rwsem), mmaplock before. An unreadable release is taken
// as the newest.
func DesignFor(release string) string {
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		return "vmarefcnt"
	}
	switch v := major*1000 + minor; {
	case v >= 6015:
		return "vmarefcnt"
	case v >= 6004:
		return "vmaseq"
	}
	return "mmaplock"
}

// Bare is a model's own cost of each calibrated operation, single-threaded,
// in ns. Without calibrated work (-calibration none) it is the part of the
// kernel's time the model already spends, which Derive subtracts.
type Bare struct {
	Fault, Zap, Mmap, Munmap, Mprotect, Mincore float64
	// MapsVMA is a /proc/pid/maps read's cost per VMA shown.
	MapsVMA float64
}

// The work per page under the page allocator's zone lock and the LRU's
// lruvec lock (mm.Work's ZoneAlloc, ZoneFree, LRUAdd, LRUDel), in ns. User
// space cannot time these apart: a refill, a drain or a batch move happens
// inside one fault or zap in 31 or more, and what a fault costs with and
// without its share cannot be told apart from the noise of the rest of it
// (the struct page cache misses, the page-table page every 512 faults).
// They are assumptions, of the order of what the kernel does per page
// there: rmqueue_bulk()'s __rmqueue_smallest() and list moves per page
// refilled; free_pcppages_bulk()'s __free_one_page() with its buddy merges
// per page drained; lru_add()'s lruvec_add_folio() with the LRU size and
// memcg statistics per folio added; __page_cache_release()'s
// lruvec_del_folio() per folio freed. They are not fitted. Package calib
// takes their single-threaded share out of the calibrated fault and zap
// work (MeasureBare runs the model with them), so fault-ns stays the
// kernel's: what they change is only what the shared locks cost when
// several CPUs meet there.
const (
	AssumedZoneAllocNs = 20
	AssumedZoneFreeNs  = 30
	AssumedLRUAddNs    = 25
	AssumedLRUDelNs    = 15
)

// SharedWork is the work of a profile that is the same for every design
// and not derived from a kernel cost: the page allocator's and the LRU's
// work per page under their locks (the Assumed figures), the profile's pcp
// high and batch, and the spin rate.
func SharedWork(p Profile, iterPerNs float64) mm.Work {
	return mm.Work{
		ZoneAlloc: AssumedZoneAllocNs, ZoneFree: AssumedZoneFreeNs,
		LRUAdd: AssumedLRUAddNs, LRUDel: AssumedLRUDelNs,
		PCPHigh: p.PCPHigh, PCPBatch: p.PCPBatch,
		IterPerNs: iterPerNs,
	}
}

// MeasureBare measures the bare costs of the design named design, in a
// fraction of a second, the fastest of a few rounds each, as Measure; the
// mmap and munmap costs as a cell pays them (inCell). The model runs with
// the shared work of p (SharedWork: the zone and lruvec locks' work), which
// is then inside its bare costs, and so comes out of the calibrated work.
func MeasureBare(ctx context.Context, design string, p Profile, iterPerNs float64) (Bare, error) {
	b, err := MeasureModel(ctx, design, SharedWork(p, iterPerNs))
	if err != nil {
		return b, err
	}
	return inCell(b, design)
}

// modelHeap is the warm heap MeasureModel allocates from: over twice what
// its loop allocates.
const modelHeap = 8 << 20

// MeasureModel measures the single-threaded costs of the design named
// design doing work beside its own, as MeasureBare does, with the work
// outside the locks that the workloads add around a fault or a system
// call. validate holds it against the kernel's.
func MeasureModel(ctx context.Context, design string, work mm.Work) (Bare, error) {
	info, err := strategies.Get(design)
	if err != nil {
		return Bare{}, err
	}
	if info.New == nil {
		return Bare{}, fmt.Errorf("%s is not a model", design)
	}
	// A cell's writers allocate (tree nodes, VMAs) from a heap the runner
	// has faulted in, with the collector off; so does this loop. On a
	// fresh heap each new page it allocated was a page fault charged to
	// the model's own cost: the loop allocates about 3 MiB, and on a VM
	// whose faults cost 9 µs the own cost of vmarefcnt's mmap, munmap and
	// mprotect came out at 1283, 1356 and 1899 ns against 435, 510 and
	// 890 on a warm heap, so Derive gave them no work or too little and a
	// calibrated model's pair ran in 0.7 of the kernel's time.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runner.WarmHeap(modelHeap)
	l := uint64(slotPages * mm.PageSize)
	span := uint64(vmaPages * mm.PageSize)
	const base = 1 << 24
	s := info.New(mm.Config{Pages: int((base + 8*l) / mm.PageSize)})
	m := s.MM()
	for i := range 2 {
		if err := m.Setup(mm.Op{Kind: mm.OpMmap, Start: base + uint64(i)*l, Len: span, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
			return Bare{}, err
		}
	}
	t := mm.NewTask(m, 0, workloads.DefaultConfig().FaultWork)
	t.Work = work.Spins()
	sp := t.Work
	write := func(op mm.Op) error {
		t.Spin(sp.SyscallHalf)
		err := s.Write(t, op) // a munmap's tail work is inside, under the downgraded lock
		t.Spin(sp.SyscallHalf)
		return err
	}
	var b Bare
	var fs, zs, ms, us, ps, ls []float64
	for round := range rounds {
		if err := ctx.Err(); err != nil {
			return Bare{}, err
		}
		const passes = 8
		var tf, tz time.Duration
		for range passes {
			start := time.Now()
			for a := uint64(base); a < base+span; a += mm.PageSize {
				t.Spin(sp.TrapHalf)
				if err := s.Fault(t, a); err != nil {
					return Bare{}, err
				}
				t.Spin(sp.TrapHalf + sp.FaultExit)
			}
			mid := time.Now()
			t.Spin(sp.SyscallHalf)
			r, err := s.Lookup(t, base)
			if err != nil {
				return Bare{}, err
			}
			m.Zap(t, base, base+span)
			t.Spin(sp.Zap)
			s.Release(t, r)
			t.Spin(sp.SyscallHalf)
			tf += mid.Sub(start)
			tz += time.Since(mid)
		}
		fs = append(fs, float64(tf)/(passes*vmaPages))
		zs = append(zs, float64(tz)/passes)

		const batches = 25
		var dm, du time.Duration
		for range batches {
			start := time.Now()
			for k := range uint64(churnN) {
				if err := write(mm.Op{Kind: mm.OpMmap, Start: base + (2+k)*l, Len: span, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
					return Bare{}, err
				}
			}
			mid := time.Now()
			for k := range uint64(churnN) {
				if err := write(mm.Op{Kind: mm.OpMunmap, Start: base + (2+k)*l, Len: span}); err != nil {
					return Bare{}, err
				}
			}
			dm += mid.Sub(start)
			du += time.Since(mid)
		}
		ms = append(ms, float64(dm)/(batches*churnN))
		us = append(us, float64(du)/(batches*churnN))

		const pairs = 50
		start := time.Now()
		for i := range pairs {
			at := base + uint64(1+(round*pairs+i)%(vmaPages-2))*mm.PageSize
			if err := write(mm.Op{Kind: mm.OpMprotect, Start: at, Len: mm.PageSize, Prot: mm.ProtRead}); err != nil {
				return Bare{}, err
			}
			if err := write(mm.Op{Kind: mm.OpMprotect, Start: at, Len: mm.PageSize, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
				return Bare{}, err
			}
		}
		ps = append(ps, float64(time.Since(start))/(2*pairs))

		const calls = 500
		start = time.Now()
		for range calls {
			if err := workloads.Mincore(t, base+l, span); err != nil {
				return Bare{}, err
			}
		}
		ls = append(ls, float64(time.Since(start))/calls)
	}
	b.Fault, b.Zap, b.Mmap, b.Munmap, b.Mprotect, b.Mincore = fastest(fs), fastest(zs), fastest(ms), fastest(us), fastest(ps), fastest(ls)
	maps, err := measureModelMaps(ctx, info, work)
	if err != nil {
		return Bare{}, err
	}
	b.MapsVMA = maps
	return b, nil
}

// measureModelMaps times the design's ReadMaps over mapsVMAs one-page VMAs
// with holes between them, as measureMaps reads the kernel's, and returns
// its time per VMA shown.
func measureModelMaps(ctx context.Context, info strategies.Info, work mm.Work) (float64, error) {
	s := info.New(mm.Config{Pages: 2*mapsVMAs + 2})
	m := s.MM()
	for i := range uint64(mapsVMAs) {
		if err := m.Setup(mm.Op{Kind: mm.OpMmap, Start: 2 * i * mm.PageSize, Len: mm.PageSize, Prot: mm.ProtRead | mm.ProtWrite}); err != nil {
			return 0, err
		}
	}
	t := mm.NewTask(m, 0, 0)
	t.Work = work.Spins()
	var ts []float64
	for range rounds {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		start := time.Now()
		n, err := s.ReadMaps(t)
		if err != nil {
			return 0, err
		}
		if n != mapsVMAs {
			return 0, fmt.Errorf("%s showed %d VMAs of %d", info.Name, n, mapsVMAs)
		}
		ts = append(ts, float64(time.Since(start))/float64(n))
	}
	return fastest(ts), nil
}

// MunmapTailShare is the share of munmap()'s work under mmap_lock that the
// kernel does after mmap_write_downgrade(), with the lock held only for
// reading: in vms_complete_munmap_vmas(), the page-table teardown
// (unmap_region(): unmap_vmas(), free_pgtables(), the TLB flush) and
// remove_vma(), against the lookup, vms_gather_munmap_vmas() (vma_start_write(),
// the detached tree) and the maple-tree clear before it. It cannot be timed
// from user space; 0.4 is an estimate from those steps for an untouched
// 64-page VMA (no pages to free), not a fitted value. Readers do not wait for
// that part.
const MunmapTailShare = 0.4

// Derive turns a profile into the work a model does beside its own cost:
// each kernel cost, less what lies outside the lock (the trap or syscall
// entry and exit, mincore()'s page buffer, munmap's tail), less the model's
// bare cost of the operation, is done under the lock; the parts outside are
// done outside. A single-threaded calibrated model operation then takes
// about the kernel's time. A part the model already spends more than (the
// bare cost above the kernel's) is 0. iterPerNs is the spin rate
// (mm.SpinRate).
//
// The kernel's costs are single-threaded; what a second CPU adds to a TLB
// flush (the shoot-down IPI of mprotect and MADV_DONTNEED) is IPISend and
// IPIRecv, measured apart and modelled by mm's Task.Shootdown, and what a
// flush costs a thread that slept through it is TLBLazy. What else a
// second CPU adds (cache-line bouncing in the page allocator and on the
// mm's counters) is left out.
func Derive(p Profile, b Bare, iterPerNs float64) mm.Work {
	pos := func(v float64) float64 { return max(v, 0) }
	munmap := pos(p.Munmap - p.Syscall - b.Munmap)
	tail := munmap * MunmapTailShare
	// The model's folios are a power of two pages, the nearest to the
	// kernel's pages per shared fault (folio orders are powers of two;
	// the kernel's mix of sizes averages between them); its shared fault
	// costs the kernel's time for as many touches as it maps.
	folio := 1.0
	for 2*folio <= 1.5*p.SharedFaultPages && folio < mm.PTEsPerTable {
		folio *= 2
	}
	sharedPerTouch := p.FaultShared / max(p.SharedFaultPages, 1)
	// A fault's time beyond the trap splits at its lock where the profile
	// timed the lock's hold (FaultHold): the handler under it, the rest
	// of the exception (FaultExit) after it, for every kind of fault
	// alike. That the rest is the same for a file fault as for an
	// anonymous one is an assumption: only the anonymous fault's hold is
	// traced.
	exit := 0.0
	if p.FaultHold > 0 {
		exit = pos(p.Fault - p.Trap - p.FaultHold)
	}
	w := SharedWork(p, iterPerNs)
	return mm.Work{
		ZoneAlloc: w.ZoneAlloc, ZoneFree: w.ZoneFree, LRUAdd: w.LRUAdd, LRUDel: w.LRUDel,
		PCPHigh: w.PCPHigh, PCPBatch: w.PCPBatch,
		MapsVMA: pos(p.MapsVMA - b.MapsVMA),
		// The field's shapes: a file fault's model costs the model's
		// anonymous fault (a page-cache load more, a few ns), so b.Fault
		// is what it already spends; munmap of a file shares the
		// anonymous munmap's tail.
		PTEAlloc: pos(p.FaultFresh-p.Fault) * mm.PTEsPerTable,
		// The model's own code costs the same at either size, so the
		// kernel's difference is the whole extra.
		FaultColdLarge: pos(p.FaultFreshLarge - p.FaultFresh),
		FaultCOW:       pos(p.FaultCOW - p.Trap - exit - b.Fault),
		FaultShared:    pos(sharedPerTouch*folio - p.Trap - exit - b.Fault),
		ZapAnon:        p.ZapAnon,
		FolioPages:     folio,
		ZapShared:      p.ZapShared,
		MmapFile:       pos(p.MmapFile - p.Syscall - b.Mmap),
		MunmapFile:     pos(p.MunmapFile - p.Syscall - b.Munmap - tail),
		Trap:           p.Trap,
		Fault:          pos(p.Fault - p.Trap - exit - b.Fault),
		FaultExit:      exit,
		Syscall:        p.Syscall,
		Yield:          p.Yield,
		Zap:            pos(p.DontNeed - p.Syscall - b.Zap),
		Mmap:           pos(p.Mmap - p.Syscall - b.Mmap),
		Munmap:         munmap * (1 - MunmapTailShare),
		MunmapTail:     tail,
		Mprotect:       pos(p.Mprotect - p.Syscall - b.Mprotect),
		Mincore:        pos(p.Mincore - p.MincoreEmpty - b.Mincore),
		MincoreOut:     pos(p.MincoreEmpty - p.Syscall),
		IPISend:        p.IPISend,
		IPIRecv:        p.IPIRecv,
		TLBLazy:        p.TLBLazy,
		IterPerNs:      iterPerNs,
	}
}

// Clamp is an operation whose model costs more on its own than the
// kernel's whole share of it under the lock, so Derive gives it no work and
// a calibrated model's operation takes longer than the kernel's: a real run
// there measures the model's own code, which a projection (charging the
// kernel's cost) does not.
type Clamp struct {
	Op          string  // the operation, as calibrate prints it
	Own, Kernel float64 // ns: the model's bare cost, the kernel's share it is set against
}

func (c Clamp) String() string {
	return fmt.Sprintf("%s (the model's own %.0f ns, the kernel's %.0f ns)", c.Op, c.Own, c.Kernel)
}

// Clamped lists the operations Derive(p, b, ...) clamps at no work, in
// Derive's order; nil when every model operation is cheaper than the
// kernel's. Each kernel share is Derive's own, with no model cost to take
// off (Derive(p, Bare{}, ...)), so the two cannot drift apart.
func Clamped(p Profile, b Bare) []Clamp {
	k := Derive(p, Bare{}, 1)
	tail := Derive(p, b, 1).MunmapTail // what a model munmap does after the downgrade
	var out []Clamp
	for _, c := range []Clamp{
		{"fault", b.Fault, k.Fault},
		{"madvise(DONTNEED)", b.Zap, k.Zap},
		{"mmap", b.Mmap, k.Mmap},
		{"munmap", b.Munmap, k.Munmap + k.MunmapTail},
		{"mprotect", b.Mprotect, k.Mprotect},
		{"mincore", b.Mincore, k.Mincore},
		{"mmap of a file", b.Mmap, k.MmapFile},
		{"munmap of a file", b.Munmap + tail, k.MunmapFile + k.MunmapTail},
		{"/proc/pid/maps per VMA", b.MapsVMA, k.MapsVMA},
	} {
		if c.Own > c.Kernel {
			out = append(out, c)
		}
	}
	return out
}

// Setting values of -calibration besides a file name.
const (
	// None runs the models without calibrated work: raw lock costs.
	None = "none"
	// Auto uses this machine's profile, measuring it first if missing.
	Auto = ""
)

// Resolved is a calibration ready for a run: the work to put in
// workloads.Config, and where it came from.
type Resolved struct {
	Work    mm.Work
	Profile Profile // zero for none
	Path    string  // the profile file; "" for none
	// Note says what happened that the user should know of: a profile
	// measured now, or one made on another machine replaced. "" if none.
	Note string
	// Clamped are the operations the model does no work for, because
	// its own cost already exceeds the kernel's (Clamped).
	Clamped []Clamp
}

// Pairs returns the configuration lines that say which calibration a run
// used: the profile file ("none" without one), its kernel costs, in ns, the
// load it was measured under and the pcp high and batch it read.
// They are the profile's values, not the derived work, so two runs with the
// same profile have the same lines and benchstat compares them.
func (r Resolved) Pairs() []cell.KV {
	if r.Path == "" {
		return []cell.KV{{Key: "calibration", Value: None}}
	}
	out := []cell.KV{{Key: "calibration", Value: r.Path}}
	for _, c := range r.Profile.costs() {
		if k, ok := strings.CutSuffix(c.key, "-ns"); ok {
			out = append(out, cell.KV{Key: "calib-" + k, Value: strconv.FormatFloat(math.Round(*c.v), 'f', -1, 64) + "ns"})
		} else { // a count, not a cost
			out = append(out, cell.KV{Key: "calib-" + c.key, Value: strconv.FormatFloat(math.Round(*c.v*10)/10, 'f', -1, 64)})
		}
	}
	out = append(out,
		cell.KV{Key: "calib-load", Value: strconv.FormatFloat(r.Profile.Load, 'f', 2, 64)},
		cell.KV{Key: "pcp-high", Value: strconv.Itoa(r.Profile.PCPHigh)},
		cell.KV{Key: "pcp-batch", Value: strconv.Itoa(r.Profile.PCPBatch)})
	return out
}

// Apply puts the calibration into a workload configuration: its work, and
// the configuration lines that name it.
func (r Resolved) Apply(c *workloads.Config) {
	c.Work, c.Calibration = r.Work, r.Pairs()
}

// Resolve turns a -calibration setting into the work of a run: none (raw
// lock costs), a profile file (which must parse, or the error names the
// file and line; one made on another machine or kernel is used, and Note
// says so), or Auto: this machine's profile in DefaultPath, measured
// now (Measure) and written there if it is missing or was made on another
// machine or kernel (Note says so). It then measures the bare costs of the
// design the running kernel has and the spin rate, once.
func Resolve(ctx context.Context, setting string) (Resolved, error) {
	if setting == None {
		return Resolved{}, nil
	}
	var r Resolved
	if setting != Auto {
		p, err := Load(setting)
		if err != nil {
			return Resolved{}, err
		}
		r.Profile, r.Path = p, setting
		if p.Machine != hostname() || p.Kernel != kernelRelease() {
			// Given by name, it is used as given; but say so.
			r.Note = fmt.Sprintf("%s was made on %s (kernel %s), this is %s (kernel %s): using it as given", setting, p.Machine, p.Kernel, hostname(), kernelRelease())
		}
	} else {
		path, err := DefaultPath()
		if err != nil {
			return Resolved{}, err
		}
		p, err := Load(path)
		switch {
		case err == nil && (p.Machine != hostname() || p.Kernel != kernelRelease()):
			r.Note = fmt.Sprintf("%s was made on %s (kernel %s), this is %s (kernel %s): calibrating afresh", path, p.Machine, p.Kernel, hostname(), kernelRelease())
		case err == nil:
			note, fresh, err := checkDrift(ctx, p)
			if err != nil {
				return Resolved{}, err
			}
			if fresh {
				r.Note = path + ": " + note + ": calibrating afresh"
			} else {
				r.Profile, r.Path = p, path
			}
		case errors.Is(err, ErrMissing):
			r.Note = fmt.Sprintf("%s lacks keys this vmabench measures (%v): calibrating afresh", path, err)
		case errors.Is(err, fs.ErrNotExist):
			r.Note = fmt.Sprintf("no calibration for this machine yet: measured one into %s", path)
		default:
			return Resolved{}, fmt.Errorf("%w (remove it, or run vmabench calibrate to remake it)", err)
		}
		if r.Path == "" {
			p, err := Measure(ctx)
			if err != nil {
				return Resolved{}, err
			}
			if err := p.WriteFile(path); err != nil {
				return Resolved{}, err
			}
			r.Profile, r.Path = p, path
			r.Note += fmt.Sprintf(" (fault-ns %.0f, mmap-ns %.0f, at load %.2f)", p.Fault, p.Mmap, p.Load)
		}
	}
	cal, err := NewCalibrator(ctx, r.Profile)
	if err != nil {
		return Resolved{}, err
	}
	r.Work = cal.Work(r.Profile)
	r.Clamped = cal.Clamped(r.Profile)
	return r, nil
}

// ClampNote says, in one line, which operations a calibration clamps and
// what that does to a model's figures; "" when it clamps none.
func ClampNote(cs []Clamp) string {
	if len(cs) == 0 {
		return ""
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return "the model's own cost exceeds the kernel's for " + strings.Join(parts, ", ") +
		": it does no calibrated work there, and a model cell's operation takes longer than the kernel's; a cell, a validate row or a project -check row with such an operation measures the model's own code there, which a projection (charging the kernel's cost) does not"
}

// Calibrator turns kernel cost profiles into the models' work: it holds
// what Derive needs besides the profile, the bare costs of the design the
// profiled kernel has and the spin rate, measured once, so that a caller
// that re-measures the kernel's costs (validate, before each repetition)
// derives each profile's work without measuring the model again.
type Calibrator struct {
	bare Bare
	rate float64
}

// NewCalibrator measures the spin rate and the bare costs of the design
// p's kernel has (MeasureBare).
func NewCalibrator(ctx context.Context, p Profile) (Calibrator, error) {
	rate := mm.SpinRate()
	bare, err := MeasureBare(ctx, DesignFor(p.Kernel), p, rate)
	if err != nil {
		return Calibrator{}, fmt.Errorf("measuring the model's bare costs: %w", err)
	}
	return Calibrator{bare: bare, rate: rate}, nil
}

// Work derives p's work (Derive).
func (c Calibrator) Work(p Profile) mm.Work { return Derive(p, c.bare, c.rate) }

// Clamped lists the operations whose work Work(p) clamps at 0 (Clamped).
func (c Calibrator) Clamped(p Profile) []Clamp { return Clamped(p, c.bare) }

// DriftBound is how far a cached profile's fault-ns or mmap-ns may lie from
// a fresh Check before Resolve measures the profile afresh: 10%, about
// three times the spread of the fastest-of-three figure on a quiet machine,
// and below the 13% a profile made at load 1.5 was off by an hour later.
const DriftBound = 0.10

// TransferDriftBound is DriftBound for line-transfer-ns, whose check is one
// ping-pong (two back to back came out 2% apart) and which a VM's vCPU
// placement moves by up to 17x: 25%.
const TransferDriftBound = 0.25

// checkDrift holds cached profile p against a fresh Check. It reports
// whether p has drifted past DriftBound, and a note with both figures of
// each cost checked and the loads they were measured under.
func checkDrift(ctx context.Context, p Profile) (note string, drifted bool, err error) {
	c, err := Check(ctx)
	if err != nil {
		return "", false, err
	}
	note, drifted = driftNote(p, c)
	return note, drifted, nil
}

// driftNote compares cached profile p with check c, as checkDrift.
func driftNote(p, c Profile) (string, bool) {
	var parts []string
	drifted := false
	for _, k := range []struct {
		key         string
		cached, now float64
		bound       float64
	}{
		{"fault-ns", p.Fault, c.Fault, DriftBound},
		{"mmap-ns", p.Mmap, c.Mmap, DriftBound},
		{"line-transfer-ns", p.LineTransfer, c.LineTransfer, TransferDriftBound},
	} {
		if k.cached <= 0 || k.now <= 0 {
			continue
		}
		d := k.now/k.cached - 1
		if math.Abs(d) > k.bound {
			drifted = true
		}
		parts = append(parts, fmt.Sprintf("%s %.0f cached, %.0f checked (%+.0f%%)", k.key, k.cached, k.now, 100*d))
	}
	note := fmt.Sprintf("drifted past %.0f%%: %s; cached at load %.2f on %s, checked at load %.2f",
		100*DriftBound, strings.Join(parts, ", "), p.Load, p.Date.UTC().Format(time.RFC3339), c.Load)
	return note, drifted
}

// inCell raises the bare mmap and munmap costs to what they are in a cell:
// a model writer's cell allocates tree nodes on a heap the collector does
// not reclaim while the cell runs (package runner keeps it out of the
// window), so its mmap+munmap pair costs about 1 µs more there than in
// MeasureBare's loop, where the collector recycles warm memory. It runs one
// short mmap-churn cell of design, in this process and without calibrated
// work, and scales the pair's two costs to the cell's time per pair. Faults
// allocate nothing, and the fault rows agree without it.
func inCell(b Bare, design string) (Bare, error) {
	c := runner.DefaultConfig()
	c.Strategy, c.Workload, c.Threads = design, "mmap-churn", 1
	c.Warmup, c.Duration = 50*time.Millisecond, 200*time.Millisecond
	r, err := runner.Run(c)
	if err != nil {
		return b, err
	}
	if r.Status != runner.StatusOK {
		return b, fmt.Errorf("%s: %s: %s", r.Name(), r.Status, r.Detail)
	}
	if pair, sum := r.NsPerOp(), b.Mmap+b.Munmap; sum > 0 && pair > sum {
		b.Mmap *= pair / sum
		b.Munmap *= pair / sum
	}
	return b, nil
}
