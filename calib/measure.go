package calib

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"vmabench/internal/machine"
	"vmabench/kernel"
	"vmabench/locktrace"
	"vmabench/mm"
)

// Geometry of the measured operations: the workloads' defaults, so a
// profile's costs are those of the operations the live workloads make.
const (
	vmaPages  = 64  // pages in a VMA (workloads.DefaultConfig().Pages)
	slotPages = 128 // VMA start to VMA start: the workloads' layout for 64 pages
	churnN    = 4   // slots a churning writer cycles through
	lookSlot  = 12  // lookMem's slot: 6 MiB from faultMem, past any shared page table
	rounds    = 15  // short timed rounds per cost; the fastest is kept
)

// Measure measures this machine's profile on the live kernel, in a fraction
// of a second (well under 5 s), on the calling goroutine's OS thread. Each
// cost is the fastest of several timed rounds: on a shared machine a round
// in which the thread was preempted, or another process thrashed the caches,
// is slower, never faster, so the fastest is the nearest to the kernel's own
// cost. (Most rounds of a quiet machine agree within a few percent.)
// It fails where the kernel cannot be measured (no mmap, a seccomp filter).
func Measure(ctx context.Context) (Profile, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Every cost is the first CPU's (pinFirst). Steps that pin this
	// thread elsewhere unpin it, so each step pins it again.
	defer machine.Unpin()
	p := Profile{Machine: hostname(), CPU: cpuModel(), Kernel: kernelRelease(), Date: time.Now().UTC().Truncate(time.Second)}
	p.Load, _ = kernel.LoadAvg() // 0 where unreadable
	if pcp, err := kernel.ReadPCP(); err == nil {
		p.PCPHigh, p.PCPBatch = pcp.High, pcp.Batch
	}
	err := withMemory(func(faultMem, lookMem []byte, hints []unsafe.Pointer, span uintptr) error {
		steps := []struct {
			what string
			run  func() error
		}{
			{"page faults", func() error { return measureFaults(ctx, faultMem, rounds, &p) }},
			{"a fault's lock hold (mmap_lock tracepoints)", func() error { return measureFaultHold(ctx, faultMem, &p) }},
			{"mprotect", func() error { return measureMprotect(ctx, faultMem, &p) }},
			{"mmap and munmap", func() error { return measureMmap(ctx, hints, span, rounds, &p) }},
			{"the spread of an mmap and munmap pair", func() error { return measurePairSpread(ctx, hints[0], span, &p) }},
			{"mincore", func() error { return measureMincore(ctx, lookMem, &p) }},
			{"a null system call", func() error { measureNull(&p); return nil }},
			{"TLB shoot-down IPIs", func() error { return measureIPI(ctx, faultMem, &p) }},
			{"a wake-up after a TLB flush its CPU slept through", func() error { return measureLazy(ctx, &p) }},
			{"/proc/self/maps", func() error { return measureMaps(ctx, &p) }},
			{"the field's shapes (page_fault1-2, mmap2)", func() error { return measureShapes(ctx, os.TempDir(), &p) }},
			{"page_fault3's shared file faults", func() error { return measureShared(ctx, os.TempDir(), &p) }},
			{"coherence costs (line transfer, contended RMW, PAUSE, wake-up)", func() error { return measureCoherence(ctx, &p) }},
		}
		for _, s := range steps {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := pinFirst(); err != nil {
				return err
			}
			if err := s.run(); err != nil {
				return fmt.Errorf("calibrating %s: %w", s.what, err)
			}
		}
		return nil
	})
	if err != nil {
		return Profile{}, err
	}
	return p, nil
}

// CheckRounds is how many rounds Check times of each cost: the fastest of
// three, in about 5 ms on this kind of machine.
const CheckRounds = 3

// Check measures, quickly, the costs a drifted profile shows first:
// fault-ns and mmap-ns (with munmap-ns), the fastest of CheckRounds rounds
// each, on the first CPU, as Measure measures them, and, with two CPUs,
// line-transfer-ns, which a VM's vCPU placement moves (LineTransfer).
// Resolve holds a cached profile against it.
func Check(ctx context.Context) (Profile, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer machine.Unpin()
	if err := pinFirst(); err != nil {
		return Profile{}, err
	}
	p := Profile{Date: time.Now().UTC().Truncate(time.Second)}
	p.Load, _ = kernel.LoadAvg()
	err := withMemory(func(faultMem, _ []byte, hints []unsafe.Pointer, span uintptr) error {
		if err := measureFaults(ctx, faultMem, CheckRounds, &p); err != nil {
			return fmt.Errorf("checking page faults: %w", err)
		}
		if err := measureMmap(ctx, hints, span, CheckRounds, &p); err != nil {
			return fmt.Errorf("checking mmap and munmap: %w", err)
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	switch p.LineTransfer, err = LineTransfer(ctx); {
	case errors.Is(err, errOneCPU):
		p.LineTransfer = 0 // nothing to check it against
	case err != nil:
		return p, fmt.Errorf("checking a line transfer: %w", err)
	}
	return p, nil
}

// withMemory maps the measured memory and calls f with it: faultMem, a
// 64-page VMA at slot 0 (no transparent huge pages), lookMem, another at
// lookSlot, and the churn slots' hints, each span bytes.
func withMemory(f func(faultMem, lookMem []byte, hints []unsafe.Pointer, span uintptr) error) error {
	ps := uintptr(kernel.PageSize())
	span := vmaPages * ps
	slot := slotPages * ps

	// faultMem at slot 0, the churn slots from 2, lookMem at lookSlot: far
	// enough from the faulted VMA that no page table covers it, as none
	// covers the lookups workload's untouched VMAs.
	r, err := kernel.Reserve((lookSlot + 1) * slot)
	if err != nil {
		return fmt.Errorf("calibrating: %w", err)
	}
	defer r.Close()
	faultMem, err := r.Map(0, span, kernel.ProtRead|kernel.ProtWrite)
	if err != nil {
		return fmt.Errorf("calibrating: %w", err)
	}
	if err := kernel.NoHugePage(faultMem); err != nil {
		return fmt.Errorf("calibrating: madvise(MADV_NOHUGEPAGE): %w", err)
	}
	lookMem, err := r.Map(lookSlot*slot, span, kernel.ProtRead|kernel.ProtWrite)
	if err != nil {
		return fmt.Errorf("calibrating: %w", err)
	}
	if err := r.Trim(); err != nil {
		return fmt.Errorf("calibrating: %w", err)
	}
	hints := make([]unsafe.Pointer, churnN)
	for i := range hints {
		hints[i] = r.At((2 + uintptr(i)) * slot)
	}

	return f(faultMem, lookMem, hints, span)
}

// fastest returns the least of xs, the round least disturbed.
func fastest(xs []float64) float64 { return slices.Min(xs) }

// measureFaults times passes over mem as the faults workload makes them:
// a write to every page, each a page fault, then MADV_DONTNEED.
func measureFaults(ctx context.Context, mem []byte, rounds int, p *Profile) error {
	const passes = 8
	ps := kernel.PageSize()
	var faults, zaps []float64
	for range rounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		var tf, tz time.Duration
		for range passes {
			start := time.Now()
			for off := 0; off < len(mem); off += ps {
				mem[off] = 1
			}
			mid := time.Now()
			if err := kernel.DontNeed(mem); err != nil {
				return err
			}
			tf += mid.Sub(start)
			tz += time.Since(mid)
		}
		faults = append(faults, float64(tf)/float64(passes*len(mem)/ps))
		zaps = append(zaps, float64(tz)/passes)
	}
	p.Fault, p.DontNeed = fastest(faults), fastest(zaps)
	return nil
}

// holdPasses is how many passes over its VMA measureFaultHold traces.
const holdPasses = 8

// measureFaultHold sets p.FaultHold: the mean time an anonymous fault's
// handler holds mmap_lock, from the kernel's mmap_lock tracepoints
// (package locktrace), over faults on mem's pages after MADV_DONTNEED, as
// measureFaults takes them. A fault from user space takes the VMA's own
// lock on a per-VMA kernel, which has no tracepoint, so the faults are
// taken in kernel mode instead: a read() of /dev/zero into each page,
// whose copy to user space faults the page in under mmap_read_lock()
// (do_user_addr_fault() sends a fault without FAULT_FLAG_USER there), with
// the same handle_mm_fault() under it. The mean includes the two
// tracepoints' own cost inside the span (a few hundred ns). Where the
// kernel cannot be traced, or the trace lost events, it leaves 0: not
// measured.
func measureFaultHold(ctx context.Context, mem []byte, p *Profile) error {
	p.FaultHold = 0
	if locktrace.Probe() != "" {
		return nil
	}
	zero, err := unix.Open("/dev/zero", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(zero)
	ps := kernel.PageSize()
	if err := kernel.DontNeed(mem); err != nil {
		return err
	}
	s, err := locktrace.Start([]int{unix.Gettid()})
	if err != nil {
		return nil
	}
	for range holdPasses {
		if err := ctx.Err(); err != nil {
			s.Close()
			return err
		}
		err := s.On()
		for off := 0; err == nil && off < len(mem); off += ps {
			var n int
			if n, err = unix.Read(zero, mem[off:off+ps]); err == nil && n != ps {
				err = fmt.Errorf("read of /dev/zero gave %d bytes of %d", n, ps)
			}
		}
		err = errors.Join(err, s.Off(), kernel.DontNeed(mem))
		if err != nil {
			s.Close()
			return err
		}
	}
	f, err := s.Close()
	if err != nil || f.Lost > 0 || f.Bad > 0 || len(f.Threads) != 1 {
		return nil
	}
	th := f.Threads[0]
	// One acquisition per fault; fewer is a trace that missed some.
	if th.Acquisitions < uint64(holdPasses*len(mem)/ps) {
		return nil
	}
	p.FaultHold = float64(th.Hold) / float64(th.Acquisitions)
	return nil
}

// measureMprotect times mprotect of one page in the middle of mem, whose
// pages are present, to another protection (a split into three VMAs) and
// back (the merge), as the faults-mprotect writer does.
func measureMprotect(ctx context.Context, mem []byte, p *Profile) error {
	const pairs = 50
	ps := kernel.PageSize()
	for off := 0; off < len(mem); off += ps {
		mem[off] = 1
	}
	defer kernel.DontNeed(mem)
	rw := kernel.ProtRead | kernel.ProtWrite
	var ts []float64
	for round := range rounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		for i := range pairs {
			pg := 1 + (round*pairs+i)%(vmaPages-2)
			page := mem[pg*ps : (pg+1)*ps]
			if err := kernel.Mprotect(page, rw|kernel.ProtExec); err != nil {
				return err
			}
			if err := kernel.Mprotect(page, rw); err != nil {
				return err
			}
		}
		ts = append(ts, float64(time.Since(start))/(2*pairs))
	}
	p.Mprotect = fastest(ts)
	return nil
}

// pairSamples is how many mmap and munmap pairs measurePairSpread times.
// 5000 (about 25 ms here) puts five samples beyond the 99.9th percentile.
const pairSamples = 5000

// measurePairSpread times pairSamples single pairs of mmap of n bytes at
// hint and its munmap, each on its own, and keeps their 10th, 50th, 90th,
// 99th and 99.9th percentiles (pair-p10-ns and the rest): how much the same kernel
// work varies from one time to the next here, which a projection draws
// each piece of its work from (sim.WorkSpread). The clock's two reads are
// in every sample (tens of ns beside a pair's microseconds); the ratios,
// not the figures, are what a projection uses. On this project's 2-CPU VM
// the 10th percentile was 0.92 to 0.97 of the median and the 90th 1.05
// to 1.28, in three calibrations of one hour; of 20000 pairs, three times
// in a row, the 99th was 1.7 to 5.6 times the median and the 99.9th 10 to
// 15 times.
func measurePairSpread(ctx context.Context, hint unsafe.Pointer, n uintptr, p *Profile) error {
	ts := make([]float64, 0, pairSamples)
	for i := range pairSamples {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		start := time.Now()
		m, err := kernel.Mmap(hint, n, kernel.ProtRead|kernel.ProtWrite)
		if err != nil {
			return err
		}
		if err := kernel.Munmap(m, n); err != nil {
			return err
		}
		ts = append(ts, float64(time.Since(start)))
	}
	slices.Sort(ts)
	at := func(q float64) float64 { return ts[int(q*float64(len(ts)-1)+0.5)] }
	p.PairP10, p.PairP50, p.PairP90, p.PairP99, p.PairP999 = at(0.1), at(0.5), at(0.9), at(0.99), at(0.999)
	return nil
}

// measureMmap times mmap of n bytes at each hint, then munmap of each, as
// the churning writers do; the batches keep clock reads out of the cost.
func measureMmap(ctx context.Context, hints []unsafe.Pointer, n uintptr, rounds int, p *Profile) error {
	const batches = 25
	maps := make([]unsafe.Pointer, len(hints))
	var tm, tu []float64
	for range rounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		var dm, du time.Duration
		for range batches {
			start := time.Now()
			for i, h := range hints {
				m, err := kernel.Mmap(h, n, kernel.ProtRead|kernel.ProtWrite)
				if err != nil {
					for _, m := range maps[:i] {
						kernel.Munmap(m, n)
					}
					return err
				}
				maps[i] = m
			}
			mid := time.Now()
			for _, m := range maps {
				if err := kernel.Munmap(m, n); err != nil {
					return err
				}
			}
			dm += mid.Sub(start)
			du += time.Since(mid)
		}
		tm = append(tm, float64(dm)/float64(batches*len(hints)))
		tu = append(tu, float64(du)/float64(batches*len(hints)))
	}
	p.Mmap, p.Munmap = fastest(tm), fastest(tu)
	return nil
}

// measureMincore times mincore() of mem, untouched as the lookups
// workload's VMAs are, and mincore() of length 0.
func measureMincore(ctx context.Context, mem []byte, p *Profile) error {
	const calls = 500
	vec := make([]byte, vmaPages)
	var tl, te []float64
	for range rounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		for range calls {
			if err := kernel.Mincore(mem, vec); err != nil {
				return err
			}
		}
		mid := time.Now()
		for range calls {
			if err := kernel.MincoreEmpty(mem, vec); err != nil {
				return err
			}
		}
		tl = append(tl, float64(mid.Sub(start))/calls)
		te = append(te, float64(time.Since(mid))/calls)
	}
	p.Mincore, p.MincoreEmpty = fastest(tl), fastest(te)
	return nil
}

// measureNull times the null system call, made as the kernel cells make
// theirs (raw): the entry and exit of a system call (syscall-ns) and the
// stand-in for a fault's exception entry and exit (trap-ns), one figure.
// Through Go's wrapper it took 40 ns more on this project's VM, which a
// cell no longer pays. It times sched_yield(2) the same way (yield-ns):
// with nothing else runnable here, what a thread that waits by yielding
// pays per look (1.3 µs against getppid's 1.13 on this project's VM).
func measureNull(p *Profile) {
	const calls = 1000
	timed := func(call func()) float64 {
		var ts []float64
		for range rounds {
			start := time.Now()
			for range calls {
				call()
			}
			ts = append(ts, float64(time.Since(start))/calls)
		}
		return fastest(ts)
	}
	p.Syscall = timed(kernel.NullSyscall)
	p.Trap = p.Syscall
	p.Yield = timed(kernel.SchedYield)
}

// kernelRelease is kernel.Release, "unknown" when unreadable, as a profile
// records it.
func kernelRelease() string {
	if r := kernel.Release(); r != "" {
		return r
	}
	return "unknown"
}

// measureIPI measures what a TLB flush costs when a second thread of the
// process runs on another CPU, the case of every multi-threaded cell: this
// thread mprotects a present page back and forth (each a flush_tlb_range())
// on one CPU, first while a sibling thread sleeps (no other CPU runs the
// process: no IPI), then while the sibling spins on another CPU. In each
// round, the flusher's extra time per mprotect with the sibling running is
// the send cost, and the spinning the sibling loses per flush, against its
// rate alone in the same round, is the receive cost. Both are medians over
// the rounds in which the sibling kept its CPU for most of the window (else
// the flushes need not have interrupted it): an IPI to a vCPU the
// hypervisor has descheduled waits for it, so on a busy VM the costs vary
// from round to round, and the median is the typical one. With fewer than
// two CPUs allowed both are 0: no other CPU runs the process.
func measureIPI(ctx context.Context, mem []byte, p *Profile) error {
	cpus := machine.CPUs()
	if len(cpus) < 2 || runtime.GOMAXPROCS(0) < 2 {
		p.IPISend, p.IPIRecv = 0, 0
		return nil
	}
	// Measure holds this thread; it goes back to the process's CPUs before
	// Go may hand it to another goroutine.
	if err := machine.Pin(cpus[0]); err != nil {
		return err
	}
	defer machine.Unpin()

	ps := kernel.PageSize()
	for off := 0; off < len(mem); off += ps {
		mem[off] = 1
	}
	defer kernel.DontNeed(mem)
	page := mem[ps : 2*ps]
	rw := kernel.ProtRead | kernel.ProtWrite
	flushes := func(d time.Duration) (perOp, elapsed float64, n int, err error) {
		t := time.Now()
		for time.Since(t) < d {
			if err := kernel.Mprotect(page, rw|kernel.ProtExec); err != nil {
				return 0, 0, 0, err
			}
			if err := kernel.Mprotect(page, rw); err != nil {
				return 0, 0, 0, err
			}
			n += 2
		}
		el := float64(time.Since(t))
		return el / float64(n), el, n, nil
	}

	// The sibling sleeps on wake (its CPU then does not run the process)
	// and, once woken, spins in chunks, counting them, until stop.
	var count atomic.Int64
	var stop, quit atomic.Bool
	wake, stopped := make(chan struct{}), make(chan struct{})
	started, done := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(done)
		// The sibling never unlocks its thread: pinned to cpus[1], the
		// thread ends with the goroutine instead of going back to Go's
		// pool, where a later goroutine (one that forks a cell's child
		// process) would inherit the pin.
		runtime.LockOSThread()
		started <- machine.Pin(cpus[1])
		var x uint64
		for range wake {
			if quit.Load() {
				break
			}
			for !stop.Load() {
				x = mm.Spin(2000, x)
				count.Add(1)
			}
			stopped <- struct{}{}
		}
		spinSink = x
	}()
	defer func() { quit.Store(true); close(wake); <-done }()
	if err := <-started; err != nil {
		return err
	}

	const window, ipiRounds = 8 * time.Millisecond, 15
	var sends, recvs []float64
	for range ipiRounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Flushes with the sibling asleep: no IPI.
		alone, _, _, err := flushes(window)
		if err != nil {
			return err
		}
		// The sibling alone: its rate in chunks per ns.
		stop.Store(false)
		wake <- struct{}{}
		c0, t0 := count.Load(), time.Now()
		time.Sleep(window)
		rate := float64(count.Load()-c0) / float64(time.Since(t0))
		// Flushes with the sibling spinning.
		c1 := count.Load()
		with, el, n, err := flushes(window)
		got := float64(count.Load() - c1)
		stop.Store(true)
		<-stopped
		if err != nil {
			return err
		}
		if rate > 0 && got >= rate*el/4 {
			sends = append(sends, max(with-alone, 0))
			recvs = append(recvs, max(rate*el-got, 0)/rate/float64(n))
		}
	}
	if len(sends) == 0 {
		return fmt.Errorf("the spinning thread on CPU %d kept its CPU in none of %d windows of %v", cpus[1], ipiRounds, window)
	}
	p.IPISend, p.IPIRecv = median(sends), median(recvs)
	return nil
}

// measureLazy measures Profile.TLBLazy (lazyFlush) on the process's first
// two CPUs; with one CPU there is no other CPU to be lazy, and it is 0.
func measureLazy(ctx context.Context, p *Profile) error {
	cpus := machine.CPUs()
	if len(cpus) < 2 || runtime.GOMAXPROCS(0) < 2 {
		p.TLBLazy = 0
		return nil
	}
	var err error
	p.TLBLazy, err = lazyFlush(ctx, cpus[0], cpus[1])
	return err
}

// median returns the median of xs.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

var spinSink uint64

// mapsVMAs is how many VMAs measureMaps adds to the process's own for its
// second read of /proc/self/maps: about the maps-walk workload's count.
const mapsVMAs = 512

// measureMaps times whole reads of /proc/self/maps (each a read() per page
// of output, as the maps-walk workload's readers make them) with the
// process's own VMAs, then with mapsVMAs more one-page VMAs with holes
// between them, and keeps the slope: the time one more VMA adds, its
// show_map_vma() under the lock and its share of each page's read() and
// copy. The VMAs counted are the lines read, so the runtime's own mappings
// changing between the two reads does not skew it.
func measureMaps(ctx context.Context, p *Profile) error {
	f, err := kernel.OpenProc("/proc/self/maps", 1<<20)
	if err != nil {
		return err
	}
	defer f.Close()
	timeReads := func() (ns float64, lines int, err error) {
		const reads = 4
		var ts []float64
		for range rounds {
			if err := ctx.Err(); err != nil {
				return 0, 0, err
			}
			start := time.Now()
			var n int
			for range reads {
				if n, err = f.ReadAll(); err != nil {
					return 0, 0, err
				}
			}
			ts = append(ts, float64(time.Since(start))/reads)
			if n > len(f.Bytes()) {
				return 0, 0, fmt.Errorf("/proc/self/maps is %d bytes, more than the %d-byte buffer", n, len(f.Bytes()))
			}
			lines = bytes.Count(f.Bytes()[:n], []byte{'\n'})
		}
		return fastest(ts), lines, nil
	}
	t1, n1, err := timeReads()
	if err != nil {
		return err
	}
	ps := uintptr(kernel.PageSize())
	r, err := kernel.Reserve(2 * mapsVMAs * ps)
	if err != nil {
		return err
	}
	defer r.Close()
	for i := range uintptr(mapsVMAs) {
		if _, err := r.Map(2*i*ps, ps, kernel.ProtRead|kernel.ProtWrite); err != nil {
			return err
		}
	}
	if err := r.Trim(); err != nil {
		return err
	}
	t2, n2, err := timeReads()
	if err != nil {
		return err
	}
	if n2-n1 < mapsVMAs/2 {
		return fmt.Errorf("/proc/self/maps grew by %d lines for %d VMAs mapped", n2-n1, mapsVMAs)
	}
	p.MapsVMA = max(t2-t1, 0) / float64(n2-n1)
	if p.MapsVMA == 0 {
		return fmt.Errorf("reading %d more VMAs of /proc/self/maps took no longer (%.0f ns against %.0f)", n2-n1, t2, t1)
	}
	return nil
}

// shapePages is the mapping measureShapes times each shape over: 2 MiB,
// one page-table page, as every 2 MiB of a 128 MiB mapping is.
const shapePages = 512

// pass maps n bytes (of f if f is not nil; shared or private), writes a
// byte to every page if touch, and unmaps them: one pass of
// will-it-scale's testcases. It returns the time of each step and the
// minor faults the touches took. The getrusage() calls that count the
// faults lie outside every timed step: each is a syscall of over a
// microsecond on a VM, as much as the mmap it would otherwise be charged
// to (2 MiB file mmap and munmap pairs took 3.3 and 2.5 µs without them,
// 4.6 and 3.9 µs with one in each, in one run on this machine).
func pass(f *os.File, shared, touch bool, n uintptr, tf *kernel.ThreadFaults) (tm, tt, tu time.Duration, faults uint64, err error) {
	rw := kernel.ProtRead | kernel.ProtWrite
	t0 := time.Now()
	var m unsafe.Pointer
	if f != nil {
		m, err = kernel.MmapFile(nil, n, rw, f, shared)
	} else {
		m, err = kernel.Mmap(nil, n, rw)
	}
	if err != nil {
		return 0, 0, 0, 0, err
	}
	tm = time.Since(t0)
	f0, err := tf.Minor()
	if err != nil {
		kernel.Munmap(m, n)
		return 0, 0, 0, 0, err
	}
	t1 := time.Now()
	if touch {
		mem := unsafe.Slice((*byte)(m), n)
		for off := 0; off < len(mem); off += kernel.PageSize() {
			mem[off] = 1
		}
	}
	tt = time.Since(t1)
	f1, err := tf.Minor()
	if err != nil {
		kernel.Munmap(m, n)
		return 0, 0, 0, 0, err
	}
	t2 := time.Now()
	if err := kernel.Munmap(m, n); err != nil {
		return 0, 0, 0, 0, err
	}
	return tm, tt, time.Since(t2), f1 - f0, nil
}

// measureShapes times will-it-scale's passes over a 2 MiB mapping, per
// page: page_fault1's (a fresh anonymous mapping written page by page,
// then unmapped), page_fault2's (a private mapping of a file in dir whose
// pages are in the page cache, as after the peer's first pass), and
// mmap2's pair untouched. munmap's cost per page present is its time over
// that of an untouched mapping of the same kind (Munmap), per page.
func measureShapes(ctx context.Context, dir string, p *Profile) error {
	n := uintptr(shapePages * kernel.PageSize())
	f, err := kernel.TempFile(dir, uint64(n))
	if err != nil {
		return err
	}
	defer f.Close()
	var tf kernel.ThreadFaults
	// Warm the page cache: the private passes find every page cached.
	if _, _, _, _, err := pass(f, false, true, n, &tf); err != nil {
		return err
	}
	const batch = 4
	per := func(d time.Duration) float64 { return float64(d) / (batch * shapePages) }
	var fresh, zapAnon, cow, mf, uf []float64
	for range rounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		var d [3][3]time.Duration // anon, private, untouched file
		// Each kind's passes run back to back, as the peer's do, so
		// an untouched file pair follows the same kind's munmap. The
		// first pass of a kind is not timed: it follows the other
		// kind's, whose deferred work it meets. With it timed, mmap2's
		// untouched pair (mmap-file-ns) read 4.7 µs in some
		// calibrations and 7.7 to 8.9 in others, one after another on
		// this VM, where a loop of nothing but such pairs took 2.4 to
		// 3.0 µs; a model calibrated from the high figures ran mmap2 at
		// half the kernel cell's rate.
		for i, k := range [3]struct {
			f     *os.File
			touch bool
		}{{nil, true}, {f, true}, {f, false}} {
			for j := range batch + 1 {
				tm, tt, tu, _, err := pass(k.f, false, k.touch, n, &tf)
				if err != nil {
					return err
				}
				if j == 0 {
					continue
				}
				d[i][0] += tm
				d[i][1] += tt
				d[i][2] += tu
			}
		}
		fresh = append(fresh, per(d[0][1]))
		cow = append(cow, per(d[1][1]))
		mf = append(mf, float64(d[2][0])/batch)
		uf = append(uf, float64(d[2][2])/batch)
		zapAnon = append(zapAnon, per(d[0][2]))
	}
	p.FaultFresh, p.FaultCOW = fastest(fresh), fastest(cow)
	// page_fault1's pass over mm.ColdBytes: one pass untimed, whose
	// pages come from wherever the 2 MiB passes left them, then the
	// faster of two.
	large := uintptr(mm.ColdBytes)
	var fresher []float64
	for i := range 3 {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, tt, _, _, err := pass(nil, false, true, large, &tf)
		if err != nil {
			return err
		}
		if i > 0 {
			fresher = append(fresher, float64(tt)/float64(large/uintptr(kernel.PageSize())))
		}
	}
	p.FaultFreshLarge = fastest(fresher)
	p.MmapFile, p.MunmapFile = fastest(mf), fastest(uf)
	p.ZapAnon = max(fastest(zapAnon)-p.Munmap/shapePages, 0)
	return nil
}

// sharedSize is the file measureShared maps: will-it-scale's 128 MiB. The
// page cache's folios of a smaller file came out as base pages on this
// machine's ext4 (one fault per touch for 2 and 8 MiB files), those of a
// 128 MiB file large (0.085 faults per touch), so the peer's size is what
// is measured.
const sharedSize = 128 << 20

// measureShared times page_fault3's pass over a shared mapping of a file
// in dir of sharedSize bytes whose pages are in the page cache and dirty,
// as after the peer's first pass: the time per fault and how many touches
// one fault serves (a large folio is mapped whole), and what munmap adds
// per page over an untouched file mapping's (MunmapFile). It takes a
// second or so, most of it the first pass.
func measureShared(ctx context.Context, dir string, p *Profile) error {
	f, err := kernel.TempFile(dir, sharedSize)
	if err != nil {
		return err
	}
	defer f.Close()
	var tf kernel.ThreadFaults
	if _, _, _, _, err := pass(f, true, true, sharedSize, &tf); err != nil {
		return err
	}
	pages := sharedSize / kernel.PageSize()
	var perFault, perTouch, zap []float64
	for range 3 {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, tt, tu, faults, err := pass(f, true, true, sharedSize, &tf)
		if err != nil {
			return err
		}
		faults = max(faults, 1)
		perFault = append(perFault, float64(tt)/float64(faults))
		perTouch = append(perTouch, float64(pages)/float64(faults))
		zap = append(zap, float64(tu)/float64(pages))
	}
	p.FaultShared = fastest(perFault)
	p.SharedFaultPages = max(median(perTouch), 1)
	p.ZapShared = max(fastest(zap)-p.MunmapFile/float64(pages), 0)
	return nil
}
