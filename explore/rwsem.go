package explore

import (
	"fmt"

	"vmabench/mm"
	"vmabench/strategies"
)

// RWSemStrategy is the pseudo-strategy name of the scenarios on a bare
// rw-semaphore (Scenario.RWSem), in seeds and reports.
const RWSemStrategy = "rwsem"

var rwsemInfo = strategies.Info{Name: RWSemStrategy, Description: "the rw-semaphore alone (mm.RWSem)"}

var (
	downRead  = Call{Kind: CallDownRead}
	downWrite = Call{Kind: CallDownWrite}
	downgrade = Call{Kind: CallDowngrade}
	readTry   = Call{Kind: CallReadTrylock}
	writeTry  = Call{Kind: CallWriteTrylock}
)

// RWSemScenarios are the programs on a bare rw-semaphore: the paths a
// design's callers reach only in some states (a second queued waiter, a
// downgrade, a trylock) made directly.
var RWSemScenarios = []Scenario{
	{Name: "rwsem-reader-writer", RWSem: true, Small: true,
		Threads: [][]Call{{downRead, downRead}, {downWrite}}},
	{Name: "rwsem-readers-writer", RWSem: true, Small: true,
		Threads: [][]Call{{downRead, downRead}, {downWrite, downWrite}, {downRead}}},
	{Name: "rwsem-writers-reader", RWSem: true, Small: true,
		Threads: [][]Call{{downWrite}, {downWrite}, {downRead, downRead}}},
	{Name: "rwsem-downgrade", RWSem: true, Small: true,
		Threads: [][]Call{{downgrade}, {downRead}, {downWrite}}},
	{Name: "rwsem-three-writers", RWSem: true, Small: true,
		Threads: [][]Call{{downWrite}, {downWrite}, {downWrite, downRead}}},
	{Name: "rwsem-trylocks", RWSem: true, Small: true,
		Threads: [][]Call{{readTry, downWrite}, {writeTry, downRead}, {downRead}}},
	// Four writers on one CPU, each holding the lock for longer than a
	// slice: the spinners' need_resched() fires, so a writer queued on
	// the OSQ leaves it from the middle (unqueue) while the one ahead of
	// it gives up spinning and hands the queue on.
	{Name: "rwsem-writers-overcommitted", RWSem: true, CPUs: 1, Hold: 800,
		Threads: [][]Call{{downWrite}, {downWrite}, {downWrite}, {downWrite}}},
}

func allScenarios() []Scenario {
	return append(append([]Scenario(nil), Scenarios...), RWSemScenarios...)
}

// excl is the explicit mutual-exclusion oracle of a bare rw-semaphore: who
// is inside its critical section. Only the running virtual CPU touches it,
// and the scheduler's hand-offs order those touches.
type excl struct {
	readers, writers int
}

// enter checks that a reader (write false) or writer may be inside now,
// and counts it in.
func (e *excl) enter(t *mm.Task, write bool) error {
	switch {
	case write && e.readers+e.writers != 0:
		return fmt.Errorf("thread %d: took the lock for writing with %d readers and %d writers inside", t.ID, e.readers, e.writers)
	case !write && e.writers != 0:
		return fmt.Errorf("thread %d: took the lock for reading with a writer inside", t.ID)
	}
	if write {
		e.writers++
	} else {
		e.readers++
	}
	return nil
}

func (e *excl) leave(write bool) {
	if write {
		e.writers--
	} else {
		e.readers--
	}
}

// doRWSem makes call c on s; hold is called inside each critical section
// (it makes a scheduling point, so the others run meanwhile).
func doRWSem(s *mm.RWSem, e *excl, t *mm.Task, c Call, hold func()) error {
	section := func(write bool) error {
		if err := e.enter(t, write); err != nil {
			return err
		}
		hold()
		e.leave(write)
		return nil
	}
	lock := func(l mm.LockState, down func(*mm.Task)) {
		t.Acquiring(l)
		down(t)
		t.Waited()
		t.Hold(l)
	}
	var err error
	switch c.Kind {
	case CallDownRead:
		lock(mm.MmapRead, s.DownRead)
		err = section(false)
		t.Unhold(mm.MmapRead)
		s.UpRead(t)
	case CallDownWrite:
		lock(mm.MmapWrite, s.DownWrite)
		err = section(true)
		t.Unhold(mm.MmapWrite)
		s.UpWrite(t)
	case CallDowngrade:
		lock(mm.MmapWrite, s.DownWrite)
		if err = e.enter(t, true); err != nil {
			return err
		}
		hold()
		e.leave(true)
		e.readers++ // the write lock becomes a read lock with no gap
		t.Unhold(mm.MmapWrite)
		t.Hold(mm.MmapRead)
		s.DowngradeWrite(t)
		// rwsem_downgrade_wake(): every reader at the head was granted
		// the lock with us, so none heads the queue now.
		if s.ReaderQueuedFirst() {
			err = fmt.Errorf("thread %d: after downgrade_write() a reader still heads the wait list: the readers at the head were not woken", t.ID)
		}
		hold()
		e.readers--
		t.Unhold(mm.MmapRead)
		s.UpRead(t)
	case CallReadTrylock:
		if s.DownReadTrylock(t) {
			err = section(false)
			s.UpRead(t)
		}
	case CallWriteTrylock:
		if s.DownWriteTrylock(t) {
			err = section(true)
			s.UpWrite(t)
		}
	default:
		err = fmt.Errorf("%v is not a call on a bare rw-semaphore", c.Kind)
	}
	return err
}
