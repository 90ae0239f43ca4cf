package btf

import (
	"encoding/binary"
	"errors"
	"testing"
)

// blob builds a BTF blob of one int, one anonymous union of two members
// and a struct "outer" holding a member, the union, and a bitfield, with
// its kind_flag set so offsets carry a bitfield size in their top byte.
func blob() []byte {
	le := binary.LittleEndian
	strs := []byte("\x00int\x00outer\x00a\x00b\x00c\x00d\x00")
	off := func(s string) uint32 {
		for i := 0; i+len(s) < len(strs); i++ {
			if string(strs[i:i+len(s)]) == s && strs[i+len(s)] == 0 && (i == 0 || strs[i-1] == 0) {
				return uint32(i)
			}
		}
		panic(s)
	}
	var types []byte
	u32 := func(vs ...uint32) {
		for _, v := range vs {
			types = le.AppendUint32(types, v)
		}
	}
	// 1: int, 8 bytes.
	u32(off("int"), kindInt<<24, 8, 64)
	// 2: anonymous union {a at 0; b at 0}, 8 bytes.
	u32(0, kindUnion<<24|2, 8)
	u32(off("a"), 1, 0, off("b"), 1, 0)
	// 3: struct outer {c at 0; union at 8; d: 3 bits at bit 128}, kind_flag.
	u32(off("outer"), 1<<31|kindStruct<<24|3, 24)
	u32(off("c"), 1, 0, 0, 2, 64, off("d"), 1, 3<<24|128)
	hdr := make([]byte, 24)
	le.PutUint16(hdr, 0xeb9f)
	hdr[2] = 1
	le.PutUint32(hdr[4:], 24)
	le.PutUint32(hdr[8:], 0)
	le.PutUint32(hdr[12:], uint32(len(types)))
	le.PutUint32(hdr[16:], uint32(len(types)))
	le.PutUint32(hdr[20:], uint32(len(strs)))
	return append(append(hdr, types...), strs...)
}

func TestStruct(t *testing.T) {
	s, err := Parse(blob())
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Struct("outer")
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != 24 {
		t.Errorf("size %d, want 24", st.Size)
	}
	for name, want := range map[string]uint64{"c": 0, "a": 8, "b": 8, "d": 16} {
		if got, ok := st.Offsets[name]; !ok || got != want {
			t.Errorf("%s at %d (found %v), want %d", name, got, ok, want)
		}
	}
	if _, err := s.Struct("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Struct(missing) = %v, want ErrNotFound", err)
	}
}

func TestParseRejects(t *testing.T) {
	good := blob()
	for name, b := range map[string][]byte{
		"short":     good[:10],
		"bad magic": append([]byte{0, 0}, good[2:]...),
		"truncated": good[:30],
	} {
		if _, err := Parse(b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Parse = %v, want ErrFormat", name, err)
		}
	}
}
