package sim_test

import (
	"iter"
	"testing"
)

// BenchmarkHandoff compares the two ways a scheduler of goroutines can hand
// control from one process to another: the coroutine switch this engine
// uses (iter.Pull, a round trip: resume and yield), and a round trip over
// unbuffered channels, as goroutine-per-process simulators (simgo) hand
// off through Go's scheduler.
func BenchmarkHandoff(b *testing.B) {
	b.Run("coroutine", func(b *testing.B) {
		next, stop := iter.Pull(func(yield func(int) bool) {
			for i := 0; yield(i); i++ {
			}
		})
		defer stop()
		for b.Loop() {
			next()
		}
	})
	b.Run("channel", func(b *testing.B) {
		ping, pong := make(chan struct{}), make(chan struct{})
		go func() {
			for range ping {
				pong <- struct{}{}
			}
		}()
		for b.Loop() {
			ping <- struct{}{}
			<-pong
		}
		close(ping)
	})
}
