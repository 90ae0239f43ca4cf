// Package btf reads struct layouts from the kernel's BTF (BPF Type Format,
// Documentation/bpf/btf.rst), such as /sys/kernel/btf/vmlinux: the size of
// a struct and the byte offset of each named member, with the members of
// anonymous structs and unions inside it flattened, as C names them. It
// reads only what the layout tests need and nothing else of the format.
package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// VmlinuxPath is where a kernel built with CONFIG_DEBUG_INFO_BTF exposes
// its own types.
const VmlinuxPath = "/sys/kernel/btf/vmlinux"

// The kinds (BTF_KIND_*) whose trailing data the reader must skip or read.
const (
	kindInt       = 1
	kindPtr       = 2
	kindArray     = 3
	kindStruct    = 4
	kindUnion     = 5
	kindEnum      = 6
	kindFwd       = 7
	kindTypedef   = 8
	kindVolatile  = 9
	kindConst     = 10
	kindRestrict  = 11
	kindFunc      = 12
	kindFuncProto = 13
	kindVar       = 14
	kindDatasec   = 15
	kindFloat     = 16
	kindDeclTag   = 17
	kindTypeTag   = 18
	kindEnum64    = 19
)

type member struct {
	name   string
	typ    uint32
	bitOff uint32
}

type typ struct {
	name    string
	kind    uint8
	size    uint32 // size, or the referenced type for modifiers and typedefs
	members []member
}

// Spec is a parsed BTF blob: its types, by ID (0 is void).
type Spec struct {
	types []typ
}

// Struct is one struct's layout: its size and its members' byte offsets.
type Struct struct {
	Name    string
	Size    uint64
	Offsets map[string]uint64
}

// Load parses the BTF blob in the file at path.
func Load(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("btf: %w", err)
	}
	return Parse(b)
}

// ErrFormat is wrapped by every error about a malformed blob.
var ErrFormat = errors.New("btf: malformed")

// Parse parses a BTF blob (struct btf_header, then the type and string
// sections). Only little-endian blobs are read.
func Parse(b []byte) (*Spec, error) {
	le := binary.LittleEndian
	if len(b) < 24 || le.Uint16(b) != 0xeb9f {
		return nil, fmt.Errorf("%w: no little-endian BTF magic", ErrFormat)
	}
	hdrLen := le.Uint32(b[4:])
	typeOff, typeLen := le.Uint32(b[8:]), le.Uint32(b[12:])
	strOff, strLen := le.Uint32(b[16:]), le.Uint32(b[20:])
	if uint64(hdrLen)+uint64(typeOff)+uint64(typeLen) > uint64(len(b)) || uint64(hdrLen)+uint64(strOff)+uint64(strLen) > uint64(len(b)) {
		return nil, fmt.Errorf("%w: sections past the end", ErrFormat)
	}
	types := b[hdrLen+typeOff : hdrLen+typeOff+typeLen]
	strs := b[hdrLen+strOff : hdrLen+strOff+strLen]
	str := func(off uint32) string {
		if int(off) >= len(strs) {
			return ""
		}
		end := int(off)
		for end < len(strs) && strs[end] != 0 {
			end++
		}
		return string(strs[off:end])
	}
	s := &Spec{types: []typ{{}}}
	for p := 0; p < len(types); {
		if p+12 > len(types) {
			return nil, fmt.Errorf("%w: truncated type at %d", ErrFormat, p)
		}
		info := le.Uint32(types[p+4:])
		t := typ{name: str(le.Uint32(types[p:])), kind: uint8(info >> 24 & 0x1f), size: le.Uint32(types[p+8:])}
		vlen := int(info & 0xffff)
		kflag := info>>31 != 0
		p += 12
		var extra int
		switch t.kind {
		case kindInt, kindVar, kindDeclTag:
			extra = 4
		case kindArray:
			extra = 12
		case kindStruct, kindUnion:
			extra = 12 * vlen
			if p+extra > len(types) {
				return nil, fmt.Errorf("%w: truncated members at %d", ErrFormat, p)
			}
			for i := range vlen {
				q := p + 12*i
				off := le.Uint32(types[q+8:])
				if kflag {
					off &= 0xffffff // the high 8 bits are a bitfield's size
				}
				t.members = append(t.members, member{name: str(le.Uint32(types[q:])), typ: le.Uint32(types[q+4:]), bitOff: off})
			}
		case kindEnum, kindFuncProto:
			extra = 8 * vlen
		case kindDatasec, kindEnum64:
			extra = 12 * vlen
		case kindPtr, kindFwd, kindTypedef, kindVolatile, kindConst, kindRestrict, kindFunc, kindFloat, kindTypeTag:
		default:
			return nil, fmt.Errorf("%w: unknown kind %d at %d", ErrFormat, t.kind, p-12)
		}
		p += extra
		s.types = append(s.types, t)
	}
	return s, nil
}

// ErrNotFound is wrapped by Struct's error for a name with no struct.
var ErrNotFound = errors.New("btf: no such struct")

// Struct returns the layout of the struct called name (the first one, if
// several share the name), with the members of its anonymous structs and
// unions flattened into it at their offsets.
func (s *Spec) Struct(name string) (Struct, error) {
	for _, t := range s.types {
		if t.kind == kindStruct && t.name == name {
			out := Struct{Name: name, Size: uint64(t.size), Offsets: map[string]uint64{}}
			s.flatten(t, 0, out.Offsets, 0)
			return out, nil
		}
	}
	return Struct{}, fmt.Errorf("%w %q", ErrNotFound, name)
}

// flatten adds t's members at base bytes to offs, recursing into anonymous
// struct and union members (through modifiers and typedefs).
func (s *Spec) flatten(t typ, base uint64, offs map[string]uint64, depth int) {
	if depth > 16 {
		return
	}
	for _, m := range t.members {
		off := base + uint64(m.bitOff)/8
		if m.name != "" {
			if _, dup := offs[m.name]; !dup {
				offs[m.name] = off
			}
			continue
		}
		if mt, ok := s.resolve(m.typ); ok && (mt.kind == kindStruct || mt.kind == kindUnion) {
			s.flatten(mt, off, offs, depth+1)
		}
	}
}

// resolve follows modifiers and typedefs from type id to the type beneath.
func (s *Spec) resolve(id uint32) (typ, bool) {
	for range 32 {
		if int(id) >= len(s.types) || id == 0 {
			return typ{}, false
		}
		t := s.types[id]
		switch t.kind {
		case kindTypedef, kindVolatile, kindConst, kindRestrict, kindTypeTag:
			id = t.size
			continue
		}
		return t, true
	}
	return typ{}, false
}
