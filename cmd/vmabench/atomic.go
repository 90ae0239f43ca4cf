package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// An atomicFile is a file written under a temporary name beside its
// destination and renamed into place by Commit, so that a reader never sees
// it half written and an existing file is replaced only by a complete one.
type atomicFile struct {
	*os.File
	path string
}

// createAtomic starts writing path, as "<path>.<random>.tmp" in its
// directory.
func createAtomic(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &atomicFile{File: f, path: path}, nil
}

// Commit flushes the file to disk and renames it to its destination.
func (f *atomicFile) Commit() error {
	err := f.Chmod(0o644)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	// Make the rename itself durable; a file system that cannot sync a
	// directory has done what it can.
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort removes the temporary file, leaving the destination as it was.
func (f *atomicFile) Abort() {
	f.Close()
	os.Remove(f.Name())
}
