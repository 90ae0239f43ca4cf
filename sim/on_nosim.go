//go:build vmabench_nosim

package sim

// Available is false in a binary built with -tags vmabench_nosim. That
// build exists to measure what the shared words cost a real run: On is the
// constant false, so the compiler drops every hook and the branch before
// it, and each word method is its sync/atomic operation alone, as the
// model was before the words (make overhead compares the two builds).
// Such a binary cannot project or explore: Engine.Run returns
// ErrUnavailable.
const Available = false

// On is false: no engine can run in this build.
func On() bool { return false }
