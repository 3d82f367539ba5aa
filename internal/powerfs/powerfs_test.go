package powerfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/godurable/durable/internal/powerfs"
)

// A case does some I/O on a fresh disk, the power is cut, the disk is mounted again,
// and check says what is wrong with what survived.
type cutCase struct {
	name   string
	before func(dir string) error
	check  func(dir string) error
}

var cutCases = []cutCase{
	{"unsynced write is dropped",
		func(dir string) error {
			return writeFile(dir, "a", "synced", true, true, func(f *os.File) error {
				_, err := f.WriteString(" and not")
				return err
			})
		},
		func(dir string) error { return want(dir, "a", "synced") }},
	{"synced write stays",
		func(dir string) error {
			return writeFile(dir, "a", "one", true, true, func(f *os.File) error {
				if _, err := f.WriteAt([]byte("two"), 0); err != nil {
					return err
				}
				return f.Sync()
			})
		},
		func(dir string) error { return want(dir, "a", "two") }},
	{"created file synced keeps its name and its directory's",
		func(dir string) error {
			if err := os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755); err != nil {
				return err
			}
			return writeFile(filepath.Join(dir, "x", "y"), "a", "data", true, false, nil)
		},
		func(dir string) error { return want(filepath.Join(dir, "x", "y"), "a", "data") }},
	{"a sync commits the names and truncates before it, not others' data",
		func(dir string) error {
			if err := os.WriteFile(filepath.Join(dir, "b"), []byte("b"), 0o644); err != nil {
				return err
			}
			if err := writeFile(dir, "c", "0123456789", true, false, func(f *os.File) error { return f.Truncate(4) }); err != nil {
				return err
			}
			return writeFile(dir, "a", "data", true, false, nil)
		},
		func(dir string) error {
			return errors.Join(want(dir, "a", "data"), wantEmpty(dir, "b"), want(dir, "c", "0123"))
		}},
	{"created file with directory sync but no file sync is empty",
		func(dir string) error { return writeFile(dir, "a", "data", false, true, nil) },
		func(dir string) error { return wantEmpty(dir, "a") }},
	{"unsynced truncate is undone",
		func(dir string) error {
			return writeFile(dir, "a", "0123456789", true, true, func(f *os.File) error { return f.Truncate(3) })
		},
		func(dir string) error { return want(dir, "a", "0123456789") }},
	{"unsynced rename is undone",
		func(dir string) error {
			if err := writeFile(dir, "a", "data", true, true, nil); err != nil {
				return err
			}
			return os.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "b"))
		},
		func(dir string) error { return errors.Join(want(dir, "a", "data"), want(dir, "b", "")) }},
	{"synced rename stays",
		func(dir string) error {
			if err := writeFile(dir, "a", "data", true, true, nil); err != nil {
				return err
			}
			if err := os.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
				return err
			}
			return syncDir(dir)
		},
		func(dir string) error { return errors.Join(want(dir, "a", ""), want(dir, "b", "data")) }},
	{"unsynced unlink is undone",
		func(dir string) error {
			if err := writeFile(dir, "a", "data", true, true, nil); err != nil {
				return err
			}
			return os.Remove(filepath.Join(dir, "a"))
		},
		func(dir string) error { return want(dir, "a", "data") }},
	{"mmap write stays with msync and goes without",
		func(dir string) error {
			// In a process of its own: a page fault on this process's own mount cannot
			// be served while the garbage collector waits for the faulting thread to
			// stop, and the two wait for each other.
			cmd := exec.Command(os.Args[0], "-test.run=^TestMmapChild$")
			cmd.Env = append(os.Environ(), mmapChildEnv+"="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("mmap child: %v: %s", err, out)
			}
			return nil
		},
		func(dir string) error { return want(dir, "a", "sync....") }},
}

// mmapChildEnv names the directory TestMmapChild writes to through a mapping.
const mmapChildEnv = "POWERFS_MMAP_DIR"

// TestMmapChild is the mmap case's I/O, run by it in a child process.
func TestMmapChild(t *testing.T) {
	dir := os.Getenv(mmapChildEnv)
	if dir == "" {
		t.Skip("run by the mmap case in a child process")
	}
	err := writeFile(dir, "a", "........", true, true, func(f *os.File) error {
		b, err := syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
		if err != nil {
			return err
		}
		defer syscall.Munmap(b)
		copy(b, "sync")
		if err := msync(b); err != nil {
			return err
		}
		copy(b[4:], "lost")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Under strict names only a directory's sync makes its names durable.
var strictCutCases = []cutCase{
	{"created file without directory sync is gone, even synced",
		func(dir string) error { return writeFile(dir, "a", "data", true, false, nil) },
		func(dir string) error { return want(dir, "a", "") }},
	{"file in an unsynced directory is gone",
		func(dir string) error {
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				return err
			}
			return writeFile(filepath.Join(dir, "sub"), "a", "data", true, true, nil)
		},
		func(dir string) error { return want(dir, "sub", "") }},
	{"unsynced truncate is undone by another file's sync",
		func(dir string) error {
			if err := writeFile(dir, "c", "0123456789", true, true, func(f *os.File) error { return f.Truncate(4) }); err != nil {
				return err
			}
			return writeFile(dir, "a", "data", true, true, nil)
		},
		func(dir string) error { return want(dir, "c", "0123456789") }},
}

func TestCutStrictNames(t *testing.T) {
	for _, c := range strictCutCases {
		t.Run(c.name, func(t *testing.T) {
			if err := runCase(t, powerfs.Options{StrictNames: true}, c); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestCut(t *testing.T) {
	for _, c := range cutCases {
		t.Run(c.name, func(t *testing.T) {
			if err := runCase(t, powerfs.Options{}, c); err != nil {
				t.Error(err)
			}
		})
	}
}

// A disk that keeps what was not synced, or one whose sync does nothing, fails the
// cases that rely on what it gets wrong: they can catch a disk that lies.
func TestCutCasesCatchLyingDisks(t *testing.T) {
	for _, opts := range []powerfs.Options{{KeepUnsynced: true}, {IgnoreSync: true}} {
		caught := 0
		for _, c := range cutCases {
			if runCase(t, opts, c) != nil {
				caught++
			}
		}
		if caught == 0 {
			t.Errorf("%+v: no case failed", opts)
		}
		t.Logf("%+v: %d of %d cases failed", opts, caught, len(cutCases))
	}
}

func runCase(t *testing.T, opts powerfs.Options, c cutCase) error {
	disk, dir := powerfs.NewDisk(opts), t.TempDir()
	m := powerfs.MountT(t, disk, dir)
	if err := c.before(dir); err != nil {
		t.Fatalf("%s: before the cut: %v", c.name, err)
	}
	m.Cut()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	powerfs.MountT(t, disk, dir)
	if err := c.check(dir); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// After a cut the mount refuses everything, so nothing more reaches the disk.
func TestCutMountFailsWithEIO(t *testing.T) {
	dir := t.TempDir()
	m := powerfs.MountT(t, powerfs.NewDisk(powerfs.Options{}), dir)
	f, err := os.Create(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m.Cut()
	if _, err := f.WriteString("x"); !errors.Is(err, syscall.EIO) {
		t.Errorf("write after the cut: %v, want EIO", err)
	}
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Errorf("sync after the cut: %v, want EIO", err)
	}
}

// A clean unmount keeps everything, synced or not.
func TestCloseKeepsEverything(t *testing.T) {
	disk, dir := powerfs.NewDisk(powerfs.Options{}), t.TempDir()
	m := powerfs.MountT(t, disk, dir)
	if err := os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x", "y", "a"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = powerfs.MountT(t, disk, dir)
	m.Cut()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	powerfs.MountT(t, disk, dir)
	if err := want(filepath.Join(dir, "x", "y"), "a", "kept"); err != nil {
		t.Error(err)
	}
}

// Reads see the holes of a sparse file as zeros, and a file grown again after a
// truncate reads zeros where the cut-off data was.
func TestSparseAndRegrown(t *testing.T) {
	dir := t.TempDir()
	powerfs.MountT(t, powerfs.NewDisk(powerfs.Options{}), dir)
	f, err := os.Create(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(2 << 30); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("abcdef"), 1<<30); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1<<30 + 2); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1<<30 + 6); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 10)
	if _, err := f.ReadAt(got, 1<<30-4); err != nil {
		t.Fatal(err)
	}
	if w := []byte("\x00\x00\x00\x00ab\x00\x00\x00\x00"); !bytes.Equal(got, w) {
		t.Errorf("read %q, want %q", got, w)
	}
}

// writeFile creates dir/name with content, syncs the file and the directory as asked,
// then runs more (if any) on the open file.
func writeFile(dir, name, content string, syncFile, syncParent bool, more func(*os.File) error) error {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		return err
	}
	if syncFile {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if syncParent {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	if more != nil {
		return more(f)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func msync(b []byte) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), syscall.MS_SYNC); e != 0 {
		return e
	}
	return nil
}

// want checks dir/name's content; "" means it must not exist.
func want(dir, name, content string) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	switch {
	case content == "" && errors.Is(err, fs.ErrNotExist):
		return nil
	case content == "" && err == nil:
		return fmt.Errorf("%s exists (%q), want it gone", name, b)
	case content == "" && err != nil && errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%s exists as a directory, want it gone", name)
	case err != nil:
		return err
	case string(b) != content:
		return fmt.Errorf("%s holds %q, want %q", name, b, content)
	}
	return nil
}

func wantEmpty(dir, name string) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if len(b) != 0 {
		return fmt.Errorf("%s holds %q, want it empty", name, b)
	}
	return nil
}
