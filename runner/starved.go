package runner

import "strings"

// starvedDetail begins the Detail of a cell whose threads finished no
// operation in the timed window (see summarize).
const starvedDetail = "starved: "

// Starved reports whether the cell failed only for want of CPU: it ran,
// but no operation finished in the timed window. On a busy machine running
// it again may succeed, where any other error would recur.
func (r *Result) Starved() bool {
	return r.Status == StatusError && strings.HasPrefix(r.Detail, starvedDetail)
}
