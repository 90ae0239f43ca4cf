package runner

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"vmabench/cell"
	"vmabench/kernel"
	"vmabench/locktrace"
	"vmabench/units"
	"vmabench/workloads"
)

func unitNames(r Result) []string {
	var u []string
	for _, m := range r.Metrics {
		u = append(u, m.Unit)
	}
	return u
}

func keys(kv []cell.KV) []string {
	var k []string
	for _, c := range kv {
		k = append(k, c.Key)
	}
	return k
}

// TestLive runs every workload on the live kernel for a short window at 1
// and 2 threads. Each cell must run, or be skipped for the reason the
// workload gives, and report the metrics a model's cell of the same
// workload reports (faults/op among them), less the per-VMA lock counts a
// kernel without CONFIG_PER_VMA_LOCK_STATS does not keep; the kernel's and
// the model's faults/op agree on what faults: every touch of a released
// page, no touch of a present one.
func TestLive(t *testing.T) {
	vmaStats := kernel.HasVMALockStats()
	for _, w := range workloads.List() {
		for _, threads := range []int{1, 2} {
			t.Run(w.Name+"/"+strconv.Itoa(threads), func(t *testing.T) {
				kc := quick("kernel", w.Name, threads)
				kc.Locks = LocksOn // the kernel's tracepoints, where this process may trace
				r, err := Run(kc)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case threads < w.MinThreads:
					if r.Status != StatusSkipped {
						t.Errorf("status %v (%s), want skipped below %d threads", r.Status, r.Detail, w.MinThreads)
					}
					return
				case w.NewLive == nil:
					if r.Status != StatusSkipped || r.Detail != w.LiveSkip || r.Detail == "" {
						t.Errorf("status %v (%q), want skipped with the reason %q", r.Status, r.Detail, w.LiveSkip)
					}
					return
				case r.Status != StatusOK:
					t.Fatalf("status %v: %s", r.Status, r.Detail)
				case r.Ops == 0:
					t.Fatal("no operations")
				}

				mc := quick("vmarefcnt", w.Name, threads)
				mc.Warmup, mc.Duration = 0, 20*time.Millisecond
				mc.Locks = LocksOn
				model, err := Run(mc)
				if err != nil || model.Status != StatusOK {
					t.Fatalf("model cell: %v %v (%s)", err, model.Status, model.Detail)
				}
				// A trace that lost events (a slow reader: -race,
				// a busy machine) leaves the lock units out, with a
				// note that says so.
				traced := locktrace.Probe() == "" && !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.HasPrefix(n, "lock units absent") })
				t.Logf("notes: %q", r.Notes)
				want := slices.DeleteFunc(unitNames(model), func(u string) bool {
					// The model's rwsem lock events have no live
					// counterpart user space can read, nor its
					// writer's wait for VMA readers; the lock
					// units need the kernel's tracepoints.
					return !vmaStats && (u == "fallbacks/op" || u == "retries/op" || u == "misses/op") ||
						u == units.WriterSpinTimeouts || u == units.ReaderSteals ||
						u == units.WriterVMALockWait || u == units.PTELockWait || u == units.AllocLockWait ||
						!traced && isLockUnit(u)
				})
				// A lock wait's percentiles are there where some
				// acquisition was sampled, on either side, and pft's
				// pass-faults/s where the window held a whole pass.
				isPct := func(u string) bool { return strings.Contains(u, "lock-wait-p") || u == units.PassFaults }
				want = slices.DeleteFunc(want, isPct)
				if got := slices.DeleteFunc(unitNames(r), isPct); !slices.Equal(got, want) {
					t.Errorf("metrics %v, want %v", got, want)
				}
				if got, want := keys(r.Config), keys(model.Config); !slices.Equal(got, want) {
					t.Errorf("config keys %v, want the model cell's %v", got, want)
				}

				for _, c := range []struct {
					side string
					r    Result
				}{{"kernel", r}, {"model", model}} {
					perOp, _ := c.r.Metric("faults/op")
					switch w.Name {
					case "faults", "faults-mmap", "faults-mprotect":
						if perOp < 0.9 || perOp > 1.1 {
							t.Errorf("%s: faults/op = %v, want 0.9..1.1: one touch of a released page is one fault", c.side, perOp)
						}
					case "faults-shared":
						// Random touches of a window as large as the
						// touches between resets: about 1-1/e of them
						// find the page released.
						if perOp < 0.3 || perOp > 0.9 {
							t.Errorf("%s: faults/op = %v, want 0.3..0.9: a touch of a present page takes no fault", c.side, perOp)
						}
					case "mmap-churn":
						if perOp > 0.1 {
							t.Errorf("%s: faults/op = %v, want about 0: mmap-churn touches nothing", c.side, perOp)
						}
					}
				}
				t.Logf("%d ops, %.0f ns/op, %v", r.Ops, r.NsPerOp(), r.Metrics)
			})
		}
	}
}

func TestLiveFacts(t *testing.T) {
	facts := LiveFacts()
	for _, kv := range facts {
		if kv.Value == "" || strings.ContainsAny(kv.Value, " \n") {
			t.Errorf("%s: value %q is not one word", kv.Key, kv.Value)
		}
	}
	if got := strings.Join(keys(facts), " "); got != "per-vma-lock vma-lock-stats cpuidle" {
		t.Errorf("keys %s, want per-vma-lock vma-lock-stats cpuidle", got)
	}
}

// isLockUnit reports whether u is one of the lock wait and hold units.
func isLockUnit(u string) bool {
	u, _ = strings.CutPrefix(u, "writer-")
	return strings.HasPrefix(u, "lock-") || strings.HasPrefix(u, "mmap-lock-")
}
