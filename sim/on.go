//go:build !vmabench_nosim

package sim

// Available reports whether this binary can run an engine; see on_nosim.go.
const Available = true

// On reports whether an engine is running: the one branch a real run's
// shared-word access pays.
func On() bool { return active }
