package workloads

import (
	"fmt"
	"runtime"
	"slices"
	"testing"

	"vmabench/kernel"
	"vmabench/mm"
)

// vmaRange is a VMA as offsets from the start of a workload's region (the
// model's regionBase).
type vmaRange struct{ from, to uint64 }

func (r vmaRange) String() string { return fmt.Sprintf("[%#x, %#x)", r.from, r.to) }

// liveVMAs returns the VMAs of /proc/self/maps that overlap [lo, hi), as
// offsets from lo, with their permissions.
func liveVMAs(t *testing.T, lo, hi uint64) ([]vmaRange, []string) {
	t.Helper()
	maps, err := kernel.SelfMaps(lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	var vmas []vmaRange
	var perms []string
	for _, m := range maps {
		vmas = append(vmas, vmaRange{m.Start - lo, m.End - lo})
		perms = append(perms, m.Perms)
	}
	return vmas, perms
}

type hasBase interface{ base() *liveBase }

func (b *liveBase) base() *liveBase { return b }

// TestLiveLayout: every live workload maps the same VMAs, at the same
// offsets from its region, as the model's Setup does from regionBase, with
// no other mapping in between; Close leaves nothing behind. nested-fault
// alone has no live form, and says why.
func TestLiveLayout(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Pages, cfg.MapsVMAs, cfg.Size = 8, 5, 4*PMDSize
	const threads = 3
	for _, w := range List() {
		t.Run(w.Name, func(t *testing.T) {
			if w.NewLive == nil {
				if w.LiveSkip == "" {
					t.Fatal("no live form and no LiveSkip reason")
				}
				return
			}
			if w.LiveSkip != "" {
				t.Errorf("has a live form, and LiveSkip %q", w.LiveSkip)
			}
			live := w.NewLive(cfg)
			if err := live.Setup(threads); err != nil {
				live.Close()
				t.Fatal(err)
			}
			b := live.(hasBase).base()
			lo := uint64(uintptr(b.region.At(b.origin)))
			hi := uint64(uintptr(b.region.At(0))) + uint64(b.region.Size())

			model := mm.New(mm.Config{Pages: cfg.AddressSpacePages(threads)})
			if err := w.New(cfg).Setup(model, threads); err != nil {
				t.Fatal(err)
			}
			var want []vmaRange
			model.Tree().Ascend(0, func(e mm.Entry) bool {
				want = append(want, vmaRange{e.Start - regionBase, e.End - regionBase})
				return true
			})
			t.Logf("%d VMAs in the model", len(want))
			got, perms := liveVMAs(t, lo, hi)
			for _, v := range want {
				if i := slices.Index(got, v); i < 0 {
					t.Errorf("the model's VMA %v is not a live VMA: live %v, model %v", v, got, want)
				} else if perms[i] != "rw-p" {
					t.Errorf("VMA %v is %s, want rw-p", v, perms[i])
				}
			}
			for _, v := range got {
				switch {
				case slices.Contains(want, v):
				case slices.ContainsFunc(want, func(w vmaRange) bool { return w.from < v.to && v.from < w.to }):
					t.Errorf("live VMA %v overlaps the model's VMAs but is none of them: live %v, model %v", v, got, want)
				default: // the kernel may place a mapping of the Go runtime's in a gap
					t.Logf("a foreign mapping %v in a gap of the layout", v)
				}
			}
			const guard = mm.PageSize
			for _, at := range []uint64{uint64(uintptr(b.region.At(0))) - guard, hi} {
				if g, perms := liveVMAs(t, at, at+guard); len(g) != 1 || g[0] != (vmaRange{0, guard}) || perms[0] != "---p" {
					t.Errorf("at %#x: %v %v, want the region's guard page", at, g, perms)
				}
			}
			if err := live.Close(); err != nil {
				t.Fatal(err)
			}
			// None of the workload's VMAs, nor the region's guard pages,
			// may remain. (The kernel may at once place a mapping of the
			// Go runtime's in the freed range.)
			after, _ := liveVMAs(t, lo, hi)
			for _, v := range after {
				if slices.Contains(want, v) {
					t.Errorf("after Close: VMA %v still mapped", v)
				}
			}
			for _, at := range []uint64{uint64(uintptr(b.region.At(0))) - guard, hi} {
				if g, _ := liveVMAs(t, at, at+guard); slices.Contains(g, vmaRange{0, guard}) {
					t.Errorf("after Close: the guard page at %#x is still mapped", at)
				}
			}
		})
	}
}

// TestLiveAllocs: what a live thread does in its timed window allocates
// nothing, so the Go runtime neither collects nor maps memory meanwhile.
func TestLiveAllocs(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cfg := DefaultConfig()
	cfg.Pages = 16
	ctl := new(Control)
	ctl.SetPhase(PhaseMeasure)

	faults := newLiveFaults(cfg).(*liveFaults)
	defer faults.Close()
	if err := faults.Setup(1); err != nil {
		t.Fatal(err)
	}
	fth := NewThread(0, 1, nil, cfg, ctl)
	flt := faults.task(fth)

	churn := newLiveFaultsMmap(cfg).(*liveFaultsMmap)
	defer churn.Close()
	if err := churn.Setup(2); err != nil {
		t.Fatal(err)
	}
	clt := churn.task(NewThread(1, 2, nil, cfg, ctl))

	walk := newLiveMapsWalk(cfg).(*liveMapsWalk)
	defer walk.Close()
	if err := walk.Setup(2); err != nil {
		t.Fatal(err)
	}
	page := faults.mem[0][mm.PageSize : 2*mm.PageSize]
	vec := make([]byte, cfg.Pages)

	tests := []struct {
		name string
		op   func() error
	}{
		{"fault pass", func() error {
			if !flt.running() || !flt.faultPass(faults.mem[0]) {
				return fth.Err
			}
			return nil
		}},
		{"churn", func() error { return clt.churn(churn.churn, uintptr(churn.l.span)) }},
		{"mprotect", func() error { return kernel.Mprotect(page, splitProt) }},
		{"maps read", func() error { _, err := walk.files[0].ReadAll(); return err }},
		{"mincore", func() error { return kernel.Mincore(faults.mem[0], vec) }},
	}
	for _, tt := range tests {
		var err error
		n := testing.AllocsPerRun(20, func() {
			if e := tt.op(); e != nil {
				err = e
			}
		})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if n != 0 {
			t.Errorf("%s allocates %v times", tt.name, n)
		}
	}
	flt.end()
	if got := fth.Stats().Faults; got == 0 {
		t.Errorf("the fault passes recorded %d page faults", got)
	}
}
