package mm

// Freed returns the VMAs the cache holds for reuse, for an end-of-run check
// that they are all detached. It returns none for a cache without reuse,
// which keeps nothing.
func (c *Cache) Freed() []*VMA {
	var out []*VMA
	c.EachFree(func(v *VMA) bool { out = append(out, v); return true })
	return out
}

// VMAs returns the VMAs of the current tree in address order, for checks
// made while no writer runs.
func (m *MM) VMAs() []*VMA {
	var out []*VMA
	m.tree.Load().Ascend(0, func(e Entry) bool {
		out = append(out, e.VMA)
		return true
	})
	return out
}

// Writers returns how many writers are inside Commit on v now, for a
// checker's mutual-exclusion test at each step: a reader that holds v must
// see 0, and no VMA may ever see more than 1.
func (v *VMA) Writers() int32 { return v.changing.Load() }

// ReaderQueuedFirst reports whether a reader heads s's wait list, for the
// check that downgrade_write() (rwsem_downgrade_wake()) and a release woke
// the readers at the head of the queue. It takes wait_lock.
func (s *RWSem) ReaderQueuedFirst() bool {
	s.waitLock.lock()
	defer s.waitLock.unlock()
	return s.waitHead != nil && s.waitHead.typ == waitingForRead
}
