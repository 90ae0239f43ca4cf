package mm

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// The OSQ: a model of kernel/locking/osq_lock.c, the MCS queue of optimistic
// spinners every RWSem has (sem->osq). A writer that may spin on the owner
// (rwsem_optimistic_spin()) first queues here; only the queue's head spins on
// the owner and tries for the lock, each of the others spins on a word of its
// own node (node->locked), so N spinners cost one line transfer per hand-off
// instead of N. A spinner whose need_resched() fires leaves the queue from
// the middle (the unqueue steps A, B and C) and goes to sleep on the wait
// list.
//
// The kernel has one node per CPU (DEFINE_PER_CPU_SHARED_ALIGNED), which is
// safe because the spinner has preemption disabled; a model thread may be
// moved between CPUs, so each Task owns its node instead (Task.osq), on cache
// lines of its own as the kernel's per-CPU node is. The queue's tail holds,
// as the kernel's does, not a pointer but an encoded number: the kernel's
// CPU number + 1, here the node's number + 1 (encode_cpu()), which
// decodeCPU turns back into the node. So the OSQ is one 32-bit word in the
// RWSem, as struct optimistic_spin_queue is.

// osqUnlocked is OSQ_UNLOCKED_VAL: no spinner queued.
const osqUnlocked uint32 = 0

// osqNode models struct optimistic_spin_node. next and locked are written by
// the neighbours in the queue, prev by the node's own task and by a
// neighbour's unqueue (step C), so all three are atomics (the kernel's
// READ_ONCE/WRITE_ONCE and xchg/cmpxchg).
type osqNode struct {
	next   Pointer[osqNode]
	prev   Pointer[osqNode]
	locked Uint32
	// cpu is the encoded number of this node (encode_cpu()): set once,
	// when the Task first queues, and never changed.
	cpu uint32
}

// osqChunk and osqChunks size the table that decodes a tail value into its
// node: osqChunks*osqChunk nodes per process at most, each chunk allocated
// when the first node in it is numbered.
const (
	osqChunk  = 1 << 10
	osqChunks = 1 << 10
)

// osqTable numbers nodes. Numbering takes mu (once per Task); decodeCPU
// takes no lock: a chunk pointer is published atomically before any number
// in it can be read from a queue's tail, and a node's slot is written before
// its number is. The table is the model's way to decode a number (the
// kernel's per_cpu_ptr() is arithmetic), so its words are sync/atomic,
// which a projection does not charge.
var osqTable struct {
	mu     sync.Mutex
	n      uint32
	free   []uint32 // numbers given back (ReleaseOSQ), reused first
	chunks [osqChunks]atomic.Pointer[[osqChunk]*osqNode]
}

// osqNodeOf returns t's node, numbering it the first time.
func (t *Task) osqNodeOf() *osqNode {
	node := &t.osq
	if node.cpu == 0 {
		osqTable.mu.Lock()
		var i uint32
		if n := len(osqTable.free); n > 0 {
			i = osqTable.free[n-1]
			osqTable.free = osqTable.free[:n-1]
		} else {
			i = osqTable.n
			if i >= osqChunk*osqChunks {
				osqTable.mu.Unlock()
				panic(fmt.Sprintf("mm: more than %d tasks have spun on an OSQ in this process at once", osqChunk*osqChunks))
			}
			osqTable.n++
		}
		c := osqTable.chunks[i/osqChunk].Load()
		if c == nil {
			c = new([osqChunk]*osqNode)
			osqTable.chunks[i/osqChunk].Store(c)
		}
		c[i%osqChunk] = node
		osqTable.mu.Unlock()
		node.cpu = i + 1 // encode_cpu()
	}
	return node
}

// ReleaseOSQ gives t's OSQ number back, for a later Task, and lets the
// table forget t, which would otherwise keep it (and its MM) alive for the
// life of the process. Call it only once t will not spin again and no
// queue can hold its number: when every rw-semaphore it spun on is done
// with, as at the end of an exploration's run, which makes hundreds of
// thousands of Tasks.
func (t *Task) ReleaseOSQ() {
	node := &t.osq
	if node.cpu == 0 {
		return
	}
	i := node.cpu - 1
	osqTable.mu.Lock()
	osqTable.chunks[i/osqChunk].Load()[i%osqChunk] = nil
	osqTable.free = append(osqTable.free, i)
	osqTable.mu.Unlock()
	node.cpu = 0
}

// decodeCPU models decode_cpu(): the node whose encoded number is v.
func decodeCPU(v uint32) *osqNode {
	i := v - 1
	return osqTable.chunks[i/osqChunk].Load()[i%osqChunk]
}

// osqLock models osq_lock(): queue t's node at the tail; if the queue was
// empty, t is the head and may spin on the owner at once (true). Otherwise
// spin on its own node until the predecessor hands the head over (true), or
// until need_resched() fires, when it unqueues (false). start is when t
// began to spin (see needResched).
func (q *osqQueue) osqLock(t *Task, start int64) bool {
	node := t.osqNodeOf()
	curr := node.cpu
	node.locked.Store(0)
	node.next.Store(nil)

	// ACQUIRE and RELEASE: publish the node's fields, pair with the
	// release in osq_unlock().
	old := q.tail.Swap(curr)
	if old == osqUnlocked {
		return true
	}
	prev := decodeCPU(old)
	node.prev.Store(prev)
	prev.next.Store(node) // WRITE_ONCE(prev->next, node)

	// Wait to acquire the lock or cancellation: the kernel's
	// smp_cond_load_relaxed(&node->locked, VAL || need_resched() ||
	// vcpu_is_preempted(node_cpu(node->prev))), a loop with cpu_relax()
	// on x86. The model cannot see a preempted vCPU (see RWSem).
	for i := 1; node.locked.Load() == 0; i++ {
		if t.needResched(start, i) {
			return q.unqueue(node, prev)
		}
		spinRelax(t)
	}
	return true
}

// unqueue is osq_lock()'s unqueue path: leave the queue from the middle.
// It returns true if the head was handed over meanwhile after all.
func (q *osqQueue) unqueue(node, prev *osqNode) bool {
	// Step A: stabilize prev. Undo our prev->next assignment; this makes
	// prev's unlock()/unqueue() wait for a next pointer, since the tail
	// points to us (or later).
	for {
		if prev.next.Load() == node && prev.next.CompareAndSwap(node, nil) {
			break
		}
		// We can only fail the cmpxchg() racing against an unlock(),
		// in which case we should observe node->locked becoming true.
		if node.locked.Load() != 0 {
			return true
		}
		cpuRelax()
		// Or we race against a concurrent unqueue()'s step B, in which
		// case its step C will write us a new node->prev pointer.
		prev = node.prev.Load()
	}

	// Step B: stabilize next. As in unlock(), wait for node->next or
	// move the tail from node back to prev.
	next := q.waitNext(node, prev.cpu)
	if next == nil {
		return false
	}

	// Step C: unlink. prev is stable because it still waits for a new
	// prev->next; next is stable because our node->next is NULL and it
	// will wait in step A.
	next.prev.Store(prev)
	prev.next.Store(next)
	return false
}

// waitNext models osq_wait_next(): get a stable node->next, for unlock()
// or unqueue(), or nil if node was the last queued and the tail has been
// moved back to oldCPU (prev's number, or osqUnlocked).
func (q *osqQueue) waitNext(node *osqNode, oldCPU uint32) *osqNode {
	curr := node.cpu
	for {
		if q.tail.Load() == curr && q.tail.CompareAndSwap(curr, oldCPU) {
			// We were the last queued, we moved the tail back. prev
			// will now observe it and complete its unlock()/unqueue().
			return nil
		}
		// We must xchg() node->next, because if we were to leave it in,
		// a concurrent unlock()/unqueue() from node->next might complete
		// step A and think its prev is still valid.
		if node.next.Load() != nil {
			if next := node.next.Swap(nil); next != nil {
				return next
			}
		}
		spinRelax(nil)
	}
}

// osqUnlock models osq_unlock(): the head leaves, handing the head over to
// its successor if there is one.
func (q *osqQueue) osqUnlock(t *Task) {
	node := &t.osq
	curr := node.cpu
	// Fast path for the uncontended case.
	if q.tail.CompareAndSwap(curr, osqUnlocked) {
		return
	}
	// Second most likely case.
	if next := node.next.Swap(nil); next != nil {
		next.locked.Store(1)
		return
	}
	if next := q.waitNext(node, osqUnlocked); next != nil {
		next.locked.Store(1)
	}
}

// osqQueue models struct optimistic_spin_queue: the encoded number of the
// last node queued, or osqUnlocked.
type osqQueue struct {
	tail Uint32
}

// isLocked models osq_is_locked(): whether any spinner is queued.
func (q *osqQueue) isLocked() bool { return q.tail.Load() != osqUnlocked }
