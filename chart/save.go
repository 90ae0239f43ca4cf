package chart

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"vmabench/internal/atomicfile"
)

// Save writes each chart to dir as <name>.svg and <name>.png at Width x
// Height, creating dir if needed, and returns the paths written, SVG before
// PNG for each chart. Each file is written atomically (package atomicfile),
// so a reader (a browser refreshing the report) never sees half a chart.
func Save(charts []Chart, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	seen := make(map[string]bool)
	var paths []string
	for _, ch := range charts {
		if ch.Name == "" || ch.Name != fileSafe(ch.Name) || strings.HasPrefix(ch.Name, ".") {
			return paths, fmt.Errorf("chart: name %q is not file-safe", ch.Name)
		}
		if seen[ch.Name] {
			return paths, fmt.Errorf("chart: duplicate name %q", ch.Name)
		}
		seen[ch.Name] = true
		for _, format := range []string{"svg", "png"} {
			path := filepath.Join(dir, ch.Name+"."+format)
			if err := writeAtomic(ch, path, format); err != nil {
				return paths, err
			}
			paths = append(paths, path)
		}
	}
	return paths, nil
}

// writeAtomic renders ch to path, atomically.
func writeAtomic(ch Chart, path, format string) error {
	wt, err := ch.WriterTo(Width, Height, format)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	}); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	return nil
}

// fileSafe maps s to a name that is safe in any file system and URL: runs of
// characters other than [A-Za-z0-9._-] become one '-'.
func fileSafe(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			if !dash {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	return strings.Trim(b.String(), "-")
}
