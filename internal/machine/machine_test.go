package machine

import "testing"

// TestCommit checks that Commit of this checkout is a revision, perhaps
// marked dirty.
func TestCommit(t *testing.T) {
	c := Commit()
	t.Logf("commit %q", c)
	if c != "" && len(c) < 40 {
		t.Errorf("commit %q: want a full revision", c)
	}
}
