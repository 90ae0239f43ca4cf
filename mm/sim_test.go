package mm

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"vmabench/sim"
)

// simRWSem runs readers and writers of one RWSem on virtual CPUs, each
// holding the lock for hold ns of calibrated work, and returns how many
// times each took it and the engine's error.
func simRWSem(t *testing.T, readers, writers int, hold int64, until int64) ([]int, *sim.Engine, error) {
	t.Helper()
	var s RWSem
	var inside Int32 // readers inside, or -1 for a writer
	counts := make([]int, readers+writers)
	e := sim.New(sim.Config{Until: until})
	for i := range readers + writers {
		task := NewTask(nil, i, 0)
		c := e.Go(func(*sim.CPU) {
			for {
				if i < readers {
					s.DownRead(task)
					if inside.Add(1) <= 0 {
						t.Errorf("reader %d inside with a writer", i)
					}
					task.Spin(hold)
					inside.Add(-1)
					s.UpRead(task)
				} else {
					s.DownWrite(task)
					if !inside.CompareAndSwap(0, -1) {
						t.Errorf("writer %d inside with others (%d)", i, inside.Load())
					}
					task.Spin(hold)
					inside.Store(0)
					s.UpWrite(task)
				}
				counts[i]++
				task.Spin(hold)
			}
		})
		task.SetCPU(c)
	}
	err := e.Run()
	return counts, e, err
}

func TestRWSemOnVirtualCPUs(t *testing.T) {
	for _, tc := range []struct{ readers, writers int }{{2, 0}, {0, 2}, {3, 1}, {1, 2}} {
		t.Run(fmt.Sprintf("r%d-w%d", tc.readers, tc.writers), func(t *testing.T) {
			counts, e, err := simRWSem(t, tc.readers, tc.writers, 500, 2_000_000_000) // 2 ms
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range counts {
				if n == 0 {
					t.Errorf("thread %d never took the lock in 2 ms of virtual time (%d steps)", i, e.Steps())
				}
			}
			// Deterministic: the same run again gives the same counts.
			again, _, _ := simRWSem(t, tc.readers, tc.writers, 500, 2_000_000_000)
			if fmt.Sprint(again) != fmt.Sprint(counts) {
				t.Errorf("counts %v then %v: not deterministic", counts, again)
			}
		})
	}
}

func TestSimDeadlockSaysWhatTasksHold(t *testing.T) {
	// A reader that takes the lock again while a writer queues behind its
	// first hold: the recursive read deadlock of nested-fault.
	var s RWSem
	e := sim.New(sim.Config{})
	r, w := NewTask(nil, 0, 0), NewTask(nil, 1, 0)
	r.SetCPU(e.Go(func(*sim.CPU) {
		s.DownRead(r)
		r.Hold(MmapRead)
		r.Spin(100_000) // the writer spins (at most 25 µs), then queues
		r.Acquiring(MmapRead)
		s.DownRead(r)
	}))
	w.SetCPU(e.Go(func(*sim.CPU) {
		w.Spin(1_000)
		w.Acquiring(MmapWrite)
		s.DownWrite(w)
	}))
	err := e.Run()
	var d *sim.DeadlockError
	if !errors.As(err, &d) {
		t.Fatalf("Run = %v, want a deadlock", err)
	}
	for _, want := range []string{"thread 0 holds mmap_lock(read), waits for mmap_lock(read)", "thread 1 holds nothing, waits for mmap_lock(write)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report %q lacks %q", err, want)
		}
	}
}
