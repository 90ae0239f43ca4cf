package mutants

import (
	"go/parser"
	"go/token"
	"regexp"
	"strings"
	"testing"
)

// TestApply: every mutant still applies to the tree as it is (each edit's
// text occurs exactly once), changes something, and leaves Go that parses;
// names are unique and say which design they break.
func TestApply(t *testing.T) {
	name := regexp.MustCompile(`^(mm|mmaplock|vmaseq|refcnt|vmawait)-[a-z0-9-]+$`)
	seen := map[string]bool{}
	for _, m := range List {
		t.Run(m.Name, func(t *testing.T) {
			if !name.MatchString(m.Name) || seen[m.Name] || m.Bug == "" || len(m.Edits) == 0 {
				t.Fatalf("bad mutant %q (bug %q, %d edits)", m.Name, m.Bug, len(m.Edits))
			}
			seen[m.Name] = true
			files, err := m.Apply("..")
			if err != nil {
				t.Fatal(err)
			}
			for file, src := range files {
				if !strings.HasSuffix(file, ".go") || strings.HasSuffix(file, "_test.go") {
					t.Errorf("%s: mutants change model code only", file)
				}
				if _, err := parser.ParseFile(token.NewFileSet(), file, src, 0); err != nil {
					t.Errorf("mutated %s does not parse: %v", file, err)
				}
			}
		})
	}
}

// TestApplyRejects: an edit whose text is missing, or occurs twice, is an
// error naming the mutant, not a silent no-op.
func TestApplyRejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		old  string
	}{
		{"missing", "this text is in no file\n"},
		{"twice", "\t\t}\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := Mutant{Name: "mm-x", Bug: "x", Edits: []Edit{{File: "mm/fault.go", Old: tt.old}}}
			if _, err := m.Apply(".."); err == nil || !strings.Contains(err.Error(), "mutant mm-x") {
				t.Errorf("Apply = %v, want an error naming the mutant", err)
			}
		})
	}
}
