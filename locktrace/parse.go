package locktrace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The ring buffer's sub-buffer ("page") layout (events/header_page): a
// u64 timestamp, a local_t commit whose low bits are the bytes of data and
// whose top bits flag events lost before the page, then the data.
const (
	pageHeaderSize = 16
	commitMask     = 1<<27 - 1 // COMMIT_MASK of libtraceevent's kbuffer
	missedEvents   = 1 << 31   // RB_MISSED_EVENTS
)

// The event header's type_len values (events/header_event).
const (
	typePadding    = 29
	typeTimeExtend = 30
	typeTimeStamp  = 31
)

// The flags of lock:contention_begin (LCB_F_*, include/trace/events/lock.h).
const (
	lcbSpin  = 1 << 0
	lcbRead  = 1 << 1
	lcbWrite = 1 << 2
)

// eventKind is which of the traced events a record is.
type eventKind uint8

const (
	evNone eventKind = iota
	evStart
	evAcquired
	evReleased
	evContBegin
	evContEnd
)

// field is the offset and size of one field of an event's record.
type field struct{ off, size int }

// formats are the ids and field offsets of the traced events, read from
// their format files, so the parser follows the running kernel's layout.
type formats struct {
	kinds   map[uint16]eventKind
	pid     field // common_pid
	write   field // mmap_lock_*: write
	success field // mmap_lock_acquire_returned: success
	flags   field // contention_begin: flags
}

// traced names the events read, by tracefs directory, with the kind each is.
var traced = []struct {
	dir  string
	kind eventKind
}{
	{"mmap_lock/mmap_lock_start_locking", evStart},
	{"mmap_lock/mmap_lock_acquire_returned", evAcquired},
	{"mmap_lock/mmap_lock_released", evReleased},
	{"lock/contention_begin", evContBegin},
	{"lock/contention_end", evContEnd},
}

// readFormats reads the format files of the traced events under
// events (a tracefs events directory).
func readFormats(events string) (*formats, error) {
	f := &formats{kinds: make(map[uint16]eventKind)}
	for _, e := range traced {
		b, err := os.ReadFile(filepath.Join(events, e.dir, "format"))
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", e.dir, err)
		}
		id, fields, err := parseFormat(string(b))
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", e.dir, err)
		}
		f.kinds[id] = e.kind
		need := map[string]*field{"common_pid": &f.pid}
		switch e.kind {
		case evStart, evReleased:
			need["write"] = &f.write
		case evAcquired:
			need["write"], need["success"] = &f.write, &f.success
		case evContBegin:
			need["flags"] = &f.flags
		}
		for name, dst := range need {
			fl, ok := fields[name]
			if !ok {
				return nil, fmt.Errorf("event %s: no field %q in its format", e.dir, name)
			}
			if *dst != (field{}) && *dst != fl {
				return nil, fmt.Errorf("event %s: field %q at %+v, another event has it at %+v", e.dir, name, fl, *dst)
			}
			*dst = fl
		}
	}
	return f, nil
}

// parseFormat parses an event's format file: its ID and each field's
// offset and size.
func parseFormat(s string) (uint16, map[string]field, error) {
	var id uint16
	haveID := false
	fields := make(map[string]field)
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "ID:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
			if err != nil {
				return 0, nil, fmt.Errorf("bad ID line %q", line)
			}
			id, haveID = uint16(n), true
			continue
		}
		if !strings.HasPrefix(line, "field:") {
			continue
		}
		var decl string
		var fl field
		for _, part := range strings.Split(line, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
			if !ok {
				continue
			}
			switch k {
			case "field":
				decl = v
			case "offset":
				fl.off, _ = strconv.Atoi(v)
			case "size":
				fl.size, _ = strconv.Atoi(v)
			}
		}
		ws := strings.Fields(decl)
		if len(ws) == 0 || fl.size == 0 {
			continue
		}
		name := strings.TrimLeft(ws[len(ws)-1], "*")
		if i := strings.IndexByte(name, '['); i >= 0 {
			name = name[:i]
		}
		fields[name] = fl
	}
	if !haveID {
		return 0, nil, errors.New("no ID line")
	}
	return id, fields, nil
}

// Thread is one traced thread's mmap_lock figures: the time from
// mmap_lock_start_locking to mmap_lock_acquire_returned (Wait), the part of
// it between lock:contention_begin and contention_end of a rwsem (Sleep),
// and from a successful acquire_returned to mmap_lock_released (Hold), in
// ns, with each acquisition's wait in Hist.
type Thread struct {
	TID                    int
	Wait, Hold, Sleep      int64
	Acquisitions, Contends uint64
	Hist                   *hdr.Histogram

	startTS, holdFrom, sleepFrom uint64
	waiting, holding             bool
}

// Lock wait histogram range: 1 ns to 10 s, 2 significant figures, as the
// models' (mm.LockTime).
const (
	histMin = 1
	histMax = 10e9
)

func newThread(tid int) *Thread {
	return &Thread{TID: tid, Hist: hdr.New(histMin, histMax, 2)}
}

// parser turns sub-buffers of the ring buffer into Thread figures.
type parser struct {
	f       *formats
	threads []*Thread // few: a linear search beats a map
	missed  int       // sub-buffers that followed lost events
	bad     int       // records too short for their format
}

func (p *parser) thread(tid int) *Thread {
	for _, t := range p.threads {
		if t.TID == tid {
			return t
		}
	}
	return nil
}

func readField(rec []byte, fl field) (uint64, bool) {
	if fl.off+fl.size > len(rec) {
		return 0, false
	}
	b := rec[fl.off : fl.off+fl.size]
	switch fl.size {
	case 1:
		return uint64(b[0]), true
	case 2:
		return uint64(binary.LittleEndian.Uint16(b)), true
	case 4:
		return uint64(binary.LittleEndian.Uint32(b)), true
	case 8:
		return binary.LittleEndian.Uint64(b), true
	}
	return 0, false
}

// page parses one sub-buffer as read from trace_pipe_raw.
func (p *parser) page(b []byte) {
	if len(b) < pageHeaderSize {
		return
	}
	ts := binary.LittleEndian.Uint64(b[0:8])
	commit := binary.LittleEndian.Uint64(b[8:16])
	if commit&missedEvents != 0 {
		p.missed++
	}
	data := b[pageHeaderSize:]
	if n := int(commit & commitMask); n < len(data) {
		data = data[:n]
	}
	for i := 0; i+4 <= len(data); {
		h := binary.LittleEndian.Uint32(data[i:])
		typeLen, delta := h&0x1f, uint64(h>>5)
		i += 4
		switch {
		case typeLen == typePadding:
			if delta == 0 || i+4 > len(data) {
				return // the rest of the page is padding
			}
			i += 4 + int(binary.LittleEndian.Uint32(data[i:]))
			continue
		case typeLen == typeTimeExtend || typeLen == typeTimeStamp:
			if i+4 > len(data) {
				return
			}
			ext := uint64(binary.LittleEndian.Uint32(data[i:]))<<27 | delta
			i += 4
			if typeLen == typeTimeExtend {
				ts += ext
			} else {
				ts = ext
			}
			continue
		}
		var n int
		if typeLen == 0 {
			if i+4 > len(data) {
				return
			}
			n = int(binary.LittleEndian.Uint32(data[i:])) - 4
			n = (n + 3) &^ 3
			i += 4
		} else {
			n = int(typeLen) * 4
		}
		if n < 0 || i+n > len(data) {
			p.bad++
			return
		}
		ts += delta
		p.record(ts, data[i:i+n])
		i += n
	}
}

// record applies one event record at time ts to its thread's figures.
func (p *parser) record(ts uint64, rec []byte) {
	if len(rec) < 8 {
		p.bad++
		return
	}
	kind := p.f.kinds[binary.LittleEndian.Uint16(rec)]
	if kind == evNone {
		return
	}
	pid, ok := readField(rec, p.f.pid)
	if !ok {
		p.bad++
		return
	}
	t := p.thread(int(int32(pid)))
	if t == nil {
		return
	}
	switch kind {
	case evStart:
		t.startTS, t.waiting = ts, true
	case evAcquired:
		if !t.waiting || ts < t.startTS {
			t.waiting = false
			return
		}
		w := int64(ts - t.startTS)
		t.Wait += w
		t.Acquisitions++
		_ = t.Hist.RecordValue(max(w, histMin))
		t.waiting = false
		if t.sleepFrom != 0 { // a contention_end lost: end the sleep here
			t.Sleep += int64(ts - t.sleepFrom)
			t.sleepFrom = 0
		}
		if ok, _ := readField(rec, p.f.success); ok != 0 {
			t.holdFrom, t.holding = ts, true
		}
	case evReleased:
		if t.holding && ts >= t.holdFrom {
			t.Hold += int64(ts - t.holdFrom)
		}
		t.holding = false
	case evContBegin:
		fl, _ := readField(rec, p.f.flags)
		// A rwsem's sleep (READ or WRITE) inside an mmap_lock wait;
		// spinlocks (a contended wait_lock) and other locks aside.
		if t.waiting && fl&(lcbRead|lcbWrite) != 0 && fl&lcbSpin == 0 {
			t.sleepFrom = ts
			t.Contends++
		}
	case evContEnd:
		if t.sleepFrom != 0 && ts >= t.sleepFrom {
			t.Sleep += int64(ts - t.sleepFrom)
		}
		t.sleepFrom = 0
	}
}
