package mm

// Freed returns the VMAs the cache holds for reuse, for an end-of-run check
// that they are all detached. It returns none for a cache without reuse,
// which keeps nothing.
func (c *Cache) Freed() []*VMA {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*VMA(nil), c.free...)
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
