// Package atomicfile writes files so that a reader never sees one half
// written: the data goes to a temporary file beside the destination, is
// flushed to disk (fsync) and renamed into place, and the directory is
// flushed so that the rename itself survives a crash. vmabench's results
// files, charts and nightly reports are all written this way.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// A File is a file being written under a temporary name. Commit puts it in
// place; Abort removes it. Write to it as to any *os.File.
type File struct {
	*os.File
	path string
}

// Create starts writing path, as ".<base>.<random>.tmp" in its directory
// (hidden, so a directory listing or a web server does not show it).
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	f, err := CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, err
	}
	f.path = path
	return f, nil
}

// CreateTemp starts a file in dir under a temporary name made from pattern
// as os.CreateTemp makes it, for a caller that chooses the final name only
// once the data is written: it calls Settle, then places the file itself
// (a rename, a hard link) and calls SyncDir.
func CreateTemp(dir, pattern string) (*File, error) {
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &File{File: f}, nil
}

// Settle makes the file readable by all (0644), flushes it to disk and
// closes it, leaving it under its temporary name.
func (f *File) Settle() error {
	err := f.Chmod(0o644)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Commit settles the file and renames it to the path given to Create. On
// failure the temporary file is removed and the destination is as it was.
func (f *File) Commit() error {
	err := f.Settle()
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	SyncDir(filepath.Dir(f.path))
	return nil
}

// Abort removes the temporary file, leaving the destination as it was.
func (f *File) Abort() {
	f.Close()
	os.Remove(f.Name())
}

// SyncDir flushes directory dir, making a rename or link in it durable. A
// file system that cannot sync a directory has done what it can, so errors
// are ignored.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write writes path atomically with what write writes to its writer: if
// write fails, path is left as it was.
func Write(path string, write func(io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}
