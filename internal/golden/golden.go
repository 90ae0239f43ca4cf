// Package golden compares test output with golden files under testdata/,
// the one implementation behind every package's golden-file tests.
//
// Run a package's tests with -update to rewrite its golden files from what
// the code produces now, then read the diff before committing it. A
// mismatch prints a line diff, so a one-line change in a long table shows
// as one line.
//
// Import it from _test.go files only: it registers the -update flag.
package golden

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Check compares got with the golden file at path, or rewrites the file
// under -update, and reports a line diff on a mismatch.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, Diff(string(want), string(got)))
	}
}

// Diff returns a minimal line diff of a and b, from their longest common
// subsequence of lines: "  " marks a line in both, "- " one only in a and
// "+ " one only in b.
func Diff(a, b string) string {
	x, y := lines(a), lines(b)
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var sb strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			fmt.Fprintf(&sb, "  %s", x[i])
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			fmt.Fprintf(&sb, "- %s", x[i])
			i++
		default:
			fmt.Fprintf(&sb, "+ %s", y[j])
			j++
		}
	}
	return sb.String()
}

// lines splits s after each newline, without the empty string SplitAfter
// leaves after a final newline.
func lines(s string) []string {
	l := strings.SplitAfter(s, "\n")
	if l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}
