package powerfs

import (
	"maps"
	"sync"
	"syscall"
)

// pageSize is the unit in which file contents are kept. Pages are never changed in
// place once stored: a write replaces the pages it touches, so the synced copy of a
// file can share every page that was not written since.
const pageSize = 4096

type page = [pageSize]byte

// Options chooses faults that make the disk lie, so that a test can show that it
// notices. Both are off for a disk that behaves.
type Options struct {
	// KeepUnsynced makes a cut drop nothing, as if the disk had no volatile cache. A
	// test that expects a cut to lose what was not synced must fail on such a disk.
	KeepUnsynced bool
	// IgnoreSync makes fsync report success without making anything durable. A test
	// that expects synced data to survive a cut must fail on such a disk.
	IgnoreSync bool
	// StrictNames makes a name durable only with its directory's fsync, and a size set
	// by truncate only with its file's, the strict reading of POSIX. Without it every
	// fsync also commits every metadata change before it, as ext4 and XFS do.
	StrictNames bool
}

// Disk is what a power-loss file system holds: for every file and directory, what a
// process sees now and what would survive a power cut. It outlives its mounts: cut the
// power of one, mount it again, and the new mount shows what survived.
type Disk struct {
	mu      sync.Mutex
	opts    Options
	root    *dir
	nextIno uint64
	used    int64 // pages held in current contents, for statfs
}

// NewDisk returns an empty disk.
func NewDisk(opts Options) *Disk {
	d := &Disk{opts: opts, nextIno: 1}
	d.root = d.newDir(0o755)
	d.root.synced = map[string]entry{}
	return d
}

// entry is a *file or a *dir.
type entry interface{ inode() uint64 }

type file struct {
	ino        uint64
	mode       uint32
	size       int64
	data       map[int64]*page
	syncedSize int64
	synced     map[int64]*page
	dirty      map[int64]struct{} // pages changed since the last sync
	resized    bool               // truncated or allocated since the last sync,
	sizeSet    int64              // to this size
}

type dir struct {
	ino     uint64
	mode    uint32
	entries map[string]entry // what a process sees
	synced  map[string]entry // what survives a cut; nil until the directory is synced
}

func (f *file) inode() uint64 { return f.ino }
func (d *dir) inode() uint64  { return d.ino }

func (d *Disk) newFile(mode uint32) *file {
	d.nextIno++
	return &file{ino: d.nextIno, mode: mode & 0o7777, data: map[int64]*page{}, synced: map[int64]*page{}, dirty: map[int64]struct{}{}}
}

func (d *Disk) newDir(mode uint32) *dir {
	d.nextIno++
	return &dir{ino: d.nextIno, mode: mode & 0o7777, entries: map[string]entry{}}
}

func (d *Disk) read(f *file, dest []byte, off int64) int {
	if off >= f.size {
		return 0
	}
	n := int(min(int64(len(dest)), f.size-off))
	for done := 0; done < n; {
		idx, in := (off+int64(done))/pageSize, int((off+int64(done))%pageSize)
		chunk := min(pageSize-in, n-done)
		if p := f.data[idx]; p != nil {
			copy(dest[done:done+chunk], p[in:in+chunk])
		} else {
			clear(dest[done : done+chunk])
		}
		done += chunk
	}
	return n
}

func (d *Disk) write(f *file, data []byte, off int64) {
	for done := 0; done < len(data); {
		idx, in := (off+int64(done))/pageSize, int((off+int64(done))%pageSize)
		chunk := min(pageSize-in, len(data)-done)
		np := new(page)
		if old := f.data[idx]; old != nil && chunk < pageSize {
			*np = *old
		} else if old == nil {
			d.used++
		}
		copy(np[in:], data[done:done+chunk])
		f.data[idx] = np
		f.dirty[idx] = struct{}{}
		done += chunk
	}
	f.size = max(f.size, off+int64(len(data)))
}

// truncate sets the size; pages past it go, and the tail of the last one is zeroed so
// that growing the file again reads zeros.
func (d *Disk) truncate(f *file, size int64) {
	if size < f.size {
		for idx := range f.data {
			if idx*pageSize >= size {
				delete(f.data, idx)
				f.dirty[idx] = struct{}{}
				d.used--
			}
		}
		if in := size % pageSize; in != 0 {
			if old := f.data[size/pageSize]; old != nil {
				np := new(page)
				copy(np[:in], old[:in])
				f.data[size/pageSize] = np
				f.dirty[size/pageSize] = struct{}{}
			}
		}
	}
	f.size, f.resized, f.sizeSet = size, true, size
}

// syncFile serves a file's fsync (fdatasync and msync too): its contents and size
// become durable, and, unless names are strict, every metadata change before it.
func (d *Disk) syncFile(f *file) {
	if d.opts.IgnoreSync {
		return
	}
	f.syncData()
	if !d.opts.StrictNames {
		d.commitMetadata()
	}
}

func (f *file) syncData() {
	for idx := range f.dirty {
		if p := f.data[idx]; p != nil {
			f.synced[idx] = p
		} else {
			delete(f.synced, idx)
		}
	}
	clear(f.dirty)
	f.syncedSize, f.resized = f.size, false
}

// syncDir serves a directory's fsync: its names become durable (not the contents of
// the files they name), and, unless names are strict, every metadata change before it.
func (d *Disk) syncDir(x *dir) {
	if d.opts.IgnoreSync {
		return
	}
	if d.opts.StrictNames {
		x.synced = maps.Clone(x.entries)
		return
	}
	d.commitMetadata()
}

// commitMetadata does what a journaling file system's commit does: every name, and
// every size set by truncate or fallocate, becomes durable as it stands. The data a
// file holds does not, nor the size a write grew it to.
func (d *Disk) commitMetadata() {
	d.syncNames(func(f *file) {
		if f.resized {
			f.commitSize(f.sizeSet)
		}
	})
}

// syncNames makes every name reached from the root durable, and passes each file to
// also.
func (d *Disk) syncNames(also func(*file)) {
	var walk func(*dir)
	walk = func(x *dir) {
		x.synced = maps.Clone(x.entries)
		for _, e := range x.entries {
			switch e := e.(type) {
			case *file:
				also(e)
			case *dir:
				walk(e)
			}
		}
	}
	walk(d.root)
}

// commitSize makes a size set by truncate durable: the synced pages past it go, and
// the synced tail past it reads as zeros, as the truncate left it.
func (f *file) commitSize(size int64) {
	for idx := range f.synced {
		if idx*pageSize >= size {
			delete(f.synced, idx)
		}
	}
	if in := size % pageSize; in != 0 {
		if old := f.synced[size/pageSize]; old != nil {
			np := new(page)
			copy(np[:in], old[:in])
			f.synced[size/pageSize] = np
		}
	}
	f.syncedSize, f.resized = size, false
}

// cut drops everything not synced: each directory reached from the root through
// synced names gets its synced names back, each file its synced contents. Whatever is
// not reached that way is gone.
func (d *Disk) cut() {
	if d.opts.KeepUnsynced {
		return
	}
	d.used = 0
	seen := map[*dir]bool{}
	var walk func(*dir)
	walk = func(x *dir) {
		seen[x] = true
		x.entries = maps.Clone(x.synced)
		if x.entries == nil {
			x.entries = map[string]entry{}
		}
		for _, e := range x.entries {
			switch e := e.(type) {
			case *file:
				e.data, e.size = maps.Clone(e.synced), e.syncedSize
				clear(e.dirty)
				d.used += int64(len(e.data))
			case *dir:
				if !seen[e] {
					walk(e)
				}
			}
		}
	}
	walk(d.root)
}

// syncAll makes everything durable, as a clean unmount writes everything back.
func (d *Disk) syncAll() { d.syncNames((*file).syncData) }

// rename moves a name, within a directory or between two; each side is durable with
// its own directory's sync.
func (d *Disk) rename(from *dir, name string, to *dir, newName string, noReplace bool) syscall.Errno {
	e, ok := from.entries[name]
	if !ok {
		return syscall.ENOENT
	}
	if old, ok := to.entries[newName]; ok {
		if noReplace {
			return syscall.EEXIST
		}
		od, oldIsDir := old.(*dir)
		_, isDir := e.(*dir)
		switch {
		case oldIsDir && !isDir:
			return syscall.EISDIR
		case !oldIsDir && isDir:
			return syscall.ENOTDIR
		case oldIsDir && len(od.entries) > 0:
			return syscall.ENOTEMPTY
		}
	}
	delete(from.entries, name)
	to.entries[newName] = e
	return 0
}
