package locktrace

import (
	"encoding/binary"
	"testing"
)

// testFormats is the layout of the events as kernel 6.18 has them
// (events/mmap_lock/*/format, events/lock/*/format).
func testFormats() *formats {
	return &formats{
		kinds:   map[uint16]eventKind{677: evStart, 675: evAcquired, 676: evReleased, 408: evContBegin, 407: evContEnd},
		pid:     field{4, 4},
		write:   field{24, 1},
		success: field{25, 1},
		flags:   field{16, 4},
	}
}

// page builds a ring-buffer sub-buffer: the header, then each event with
// its delta; an event with id 0 is a time extend of delta.
type pageEvent struct {
	delta uint32
	id    uint16
	pid   int32
	b1    byte   // write (mmap_lock events)
	b2    byte   // success (acquire_returned)
	flags uint32 // contention_begin
}

func buildPage(ts uint64, missed bool, evs []pageEvent) []byte {
	var data []byte
	le := binary.LittleEndian
	for _, e := range evs {
		if e.id == 0 { // time extend: delta's low 27 bits in the header, the rest in array[0]
			data = le.AppendUint32(data, typeTimeExtend|(e.delta&(1<<27-1))<<5)
			data = le.AppendUint32(data, e.delta>>27)
			continue
		}
		rec := make([]byte, 28)
		le.PutUint16(rec, e.id)
		le.PutUint32(rec[4:], uint32(e.pid))
		rec[24], rec[25] = e.b1, e.b2
		if e.id == 408 {
			le.PutUint32(rec[16:], e.flags)
		}
		data = le.AppendUint32(data, uint32(len(rec)/4)|e.delta<<5)
		data = append(data, rec...)
	}
	// padding to the end, as the kernel leaves a partial page
	data = le.AppendUint32(data, typePadding)
	commit := uint64(len(data))
	if missed {
		commit |= missedEvents
	}
	b := le.AppendUint64(nil, ts)
	b = le.AppendUint64(b, commit)
	return append(b, data...)
}

func TestParse(t *testing.T) {
	const me, other = 100, 200
	tests := []struct {
		name                    string
		evs                     []pageEvent
		missed                  bool
		wait, hold, sleep       int64
		acquisitions, contended uint64
	}{
		{"uncontended read", []pageEvent{
			{delta: 0, id: 677, pid: me}, {delta: 80, id: 675, pid: me, b2: 1}, {delta: 500, id: 676, pid: me},
		}, false, 80, 500, 0, 1, 0},
		{"failed trylock: a wait, no hold", []pageEvent{
			{delta: 0, id: 677, pid: me}, {delta: 30, id: 675, pid: me, b2: 0}, {delta: 500, id: 676, pid: me},
		}, false, 30, 0, 0, 1, 0},
		{"a sleep inside the wait; spinlock contention aside", []pageEvent{
			{delta: 0, id: 677, pid: me},
			{delta: 10, id: 408, pid: me, flags: lcbSpin}, {delta: 5, id: 407, pid: me},
			{delta: 100, id: 408, pid: me, flags: lcbRead}, {delta: 4000, id: 407, pid: me},
			{delta: 200, id: 675, pid: me, b2: 1}, {delta: 700, id: 676, pid: me},
		}, false, 4315, 700, 4000, 1, 1},
		{"a time extend between", []pageEvent{
			{delta: 0, id: 677, pid: me}, {delta: 1 << 28, id: 0}, {delta: 0, id: 675, pid: me, b2: 1}, {delta: 9, id: 676, pid: me},
		}, false, 1 << 28, 9, 0, 1, 0},
		{"another thread's events ignored", []pageEvent{
			{delta: 0, id: 677, pid: other}, {delta: 80, id: 675, pid: other, b2: 1}, {delta: 500, id: 676, pid: other},
		}, false, 0, 0, 0, 0, 0},
		{"an acquire without its start counts nothing", []pageEvent{
			{delta: 0, id: 675, pid: me, b2: 1}, {delta: 50, id: 676, pid: me},
		}, true, 0, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := parser{f: testFormats(), threads: []*Thread{newThread(me)}}
			p.page(buildPage(1000, tc.missed, tc.evs))
			th := p.threads[0]
			if th.Wait != tc.wait || th.Hold != tc.hold || th.Sleep != tc.sleep || th.Acquisitions != tc.acquisitions || th.Contends != tc.contended {
				t.Errorf("wait %d hold %d sleep %d acquisitions %d contended %d; want %d %d %d %d %d",
					th.Wait, th.Hold, th.Sleep, th.Acquisitions, th.Contends, tc.wait, tc.hold, tc.sleep, tc.acquisitions, tc.contended)
			}
			if p.bad != 0 {
				t.Errorf("%d bad records", p.bad)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.missed]; p.missed != want {
				t.Errorf("missed %d, want %d", p.missed, want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	const f = `name: mmap_lock_acquire_returned
ID: 675
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:struct mm_struct * mm;	offset:8;	size:8;	signed:0;
	field:bool write;	offset:24;	size:1;	signed:0;
	field:bool success;	offset:25;	size:1;	signed:0;
`
	id, fields, err := parseFormat(f)
	if err != nil {
		t.Fatal(err)
	}
	if id != 675 || fields["common_pid"] != (field{4, 4}) || fields["mm"] != (field{8, 8}) || fields["success"] != (field{25, 1}) {
		t.Errorf("id %d fields %v", id, fields)
	}
	if _, _, err := parseFormat("format:\n"); err == nil {
		t.Error("a format without an ID line parsed")
	}
}
