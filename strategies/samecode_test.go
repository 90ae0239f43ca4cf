package strategies

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"vmabench/mm"
)

// methodCalls maps a Strategy method to the entry point it is part of.
var methodCalls = map[string]Calls{
	"Fault": CallFault, "FaultKernel": CallFaultKernel, "Lookup": CallLookup, "Release": CallLookup,
	"Madvise": CallMadvise, "ReadMaps": CallReadMaps, "Write": CallWrite,
}

// TestSameCode holds each registry row's SameAs and Differs to the
// source: the design's type must embed SameAs's type, and the Strategy
// methods it declares itself must be exactly those of Differs, so a table
// that shows its cells as "same as" another's shows the same code.
func TestSameCode(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := make(map[string][]string) // type -> methods declared on it
	embeds := make(map[string][]string)   // type -> embedded type names
	for _, name := range files {
		if filepath.Ext(name) != ".go" || len(name) > 8 && name[len(name)-8:] == "_test.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil && len(d.Recv.List) == 1 {
					declared[recvName(d.Recv.List[0].Type)] = append(declared[recvName(d.Recv.List[0].Type)], d.Name.Name)
				}
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					ts, ok := sp.(*ast.TypeSpec)
					if !ok {
						continue
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, fl := range st.Fields.List {
						if len(fl.Names) == 0 {
							embeds[ts.Name.Name] = append(embeds[ts.Name.Name], recvName(fl.Type))
						}
					}
				}
			}
		}
	}
	typeOf := func(info Info) string {
		s := info.New(mm.Config{Pages: 64})
		return reflect.TypeOf(s).Elem().Name()
	}
	checked := 0
	for _, info := range List() {
		if info.SameAs == "" {
			continue
		}
		checked++
		base, err := Get(info.SameAs)
		if err != nil || base.New == nil || info.New == nil {
			t.Errorf("%s: SameAs %q is not a model (%v)", info.Name, info.SameAs, err)
			continue
		}
		typ, baseTyp := typeOf(info), typeOf(base)
		if !slices.Contains(embeds[typ], baseTyp) {
			t.Errorf("%s: type %s does not embed %s: it is not %s's code", info.Name, typ, baseTyp, info.SameAs)
		}
		var own Calls
		for _, m := range declared[typ] {
			c, ok := methodCalls[m]
			if !ok {
				if m == "MM" {
					t.Errorf("%s: %s declares MM: every entry point may differ", info.Name, typ)
				}
				continue
			}
			own |= c
		}
		if own != info.Differs {
			t.Errorf("%s: %s declares the entry points %v, its registry row says it differs from %s in %v", info.Name, typ, own, info.SameAs, info.Differs)
		}
	}
	if checked == 0 {
		t.Fatal("no registry row has SameAs: nothing checked")
	}
}

func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}

func TestSameCodeOf(t *testing.T) {
	wait, _ := Get("vmawait")
	tests := []struct {
		calls Calls
		want  string
	}{
		{CallFault | CallMadvise, "vmarefcnt"},
		{CallFault | CallMadvise | CallWrite, "vmarefcnt"},
		{CallLookup | CallWrite, ""},
		{0, ""},
	}
	for _, tt := range tests {
		got, _ := SameCode(wait, tt.calls)
		if got != tt.want {
			t.Errorf("SameCode(vmawait, %v) = %q, want %q", tt.calls, got, tt.want)
		}
	}
	if got, ok := SameCode(Info{Name: "vmarefcnt"}, CallFault); ok {
		t.Errorf("a design without SameAs is the same as %q", got)
	}
}
