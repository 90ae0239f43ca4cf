package machine

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// processCPUs is the set of CPUs the process may run on, read during
// package initialization, which runs on the main thread before any thread
// is pinned: the main thread's affinity at start-up is the process's (a
// taskset or a cgroup cpuset narrows it, and is honoured).
var processCPUs, processCPUsErr = func() (unix.CPUSet, error) {
	var set unix.CPUSet
	err := unix.SchedGetaffinity(0, &set)
	return set, err
}()

// CPUs returns the CPUs the process may run on, in order, or nil if they
// cannot be read.
//
// It is not the calling thread's affinity (sched_getaffinity(0)): a thread
// pinned to one CPU by a measurement and handed back to Go's pool of
// threads keeps that mask, and any goroutine may run on it later. Work that
// starts from the calling thread's mask would then see one CPU: a cell's
// workers all pinned to it, or a child process (which inherits the mask of
// the thread that forks it) that runs every thread of a two-thread cell on
// one CPU.
func CPUs() []int {
	if processCPUsErr != nil {
		return nil
	}
	var cpus []int
	for i := 0; i < 1024 && len(cpus) < processCPUs.Count(); i++ {
		if processCPUs.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus
}

// Pin binds the calling thread to cpu. The caller should hold its thread
// (runtime.LockOSThread), and either end with it locked, so the thread
// ends too, or Unpin it before it unlocks.
func Pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("sched_setaffinity(cpu %d): %w", cpu, err)
	}
	return nil
}

// Unpin sets the calling thread's affinity back to the process's CPUs
// (CPUs). The caller should hold its thread (runtime.LockOSThread) for as
// long as it relies on that.
func Unpin() error {
	if processCPUsErr != nil {
		return processCPUsErr
	}
	set := processCPUs
	return unix.SchedSetaffinity(0, &set)
}

// StartUnpinned calls start (an exec.Cmd's Start) on a thread whose
// affinity is the process's CPUs, so the child process, which inherits the
// forking thread's mask, may run on all of them.
func StartUnpinned(start func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := Unpin(); err != nil {
		return err
	}
	return start()
}
