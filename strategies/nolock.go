package strategies

import "vmabench/mm"

// NoLock takes no lock at all: readers walk the tree and use what they find,
// writers change the address space under nobody's exclusion. It is the floor
// of what the model costs, and it is unsafe under writers by design: the
// checker counts its violations and the reporter marks its cells. Two of its
// writers that meet are caught by mm.Prepare, which refuses the second
// rather than corrupt the tree.
type NoLock struct {
	mm *mm.MM
}

var _ Strategy = (*NoLock)(nil)

// NewNoLock returns the nolock baseline over a new MM.
func NewNoLock(cfg mm.Config) Strategy { return &NoLock{mm: mm.New(cfg)} }

// MM returns the address space.
func (s *NoLock) MM() *mm.MM { return s.mm }

// Fault finds the VMA and handles the fault, with no lock.
func (s *NoLock) Fault(t *mm.Task, addr uint64) error {
	v := s.mm.FindVMA(addr)
	if v == nil {
		return mm.ErrNoVMA
	}
	mm.HandleFault(t, v, addr, 0)
	return nil
}

// FaultKernel is Fault: no lock either way.
func (s *NoLock) FaultKernel(t *mm.Task, addr uint64) error { return s.Fault(t, addr) }

// Madvise zaps the range, with no lock.
func (s *NoLock) Madvise(t *mm.Task, start, end uint64) error {
	err := zapRange(t, s.mm, start, end)
	t.ZapWork()
	return err
}

// ReadMaps shows every VMA, with no lock.
func (s *NoLock) ReadMaps(t *mm.Task) (int, error) {
	n := 0
	for from := uint64(0); ; n++ {
		e, ok := s.mm.Tree().Next(from)
		if !ok {
			return n, nil
		}
		from = max(showMapVMA(t, e.VMA), e.Start+mm.PageSize)
	}
}

// Lookup finds the VMA, with no lock.
func (s *NoLock) Lookup(t *mm.Task, addr uint64) (Ref, error) {
	v := s.mm.FindVMA(addr)
	if v == nil {
		return Ref{}, mm.ErrNoVMA
	}
	return Ref{VMA: v}, nil
}

// Release does nothing.
func (s *NoLock) Release(t *mm.Task, r Ref) {}

// Write changes the address space, with no lock.
// A munmap's tail (mm.MM.CompleteMunmap) follows, as unlocked as the rest.
func (s *NoLock) Write(t *mm.Task, op mm.Op) error {
	c, err := change(t, s.mm, op)
	if err == nil && op.Kind == mm.OpMunmap {
		s.mm.CompleteMunmap(t, c)
	}
	return err
}
