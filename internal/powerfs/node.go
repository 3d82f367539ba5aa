package powerfs

import (
	"context"
	"maps"
	"slices"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// node is the FUSE face of a file or directory on the disk, for one mount. Every
// request takes the disk's lock and fails with EIO once that mount's power is cut.
type node struct {
	fs.Inode
	m *Mount
	f *file
	d *dir
}

var (
	_ fs.NodeLookuper  = (*node)(nil)
	_ fs.NodeGetattrer = (*node)(nil)
	_ fs.NodeSetattrer = (*node)(nil)
	_ fs.NodeOpener    = (*node)(nil)
	_ fs.NodeReader    = (*node)(nil)
	_ fs.NodeWriter    = (*node)(nil)
	_ fs.NodeFsyncer   = (*node)(nil)
	_ fs.NodeAllocater = (*node)(nil)
	_ fs.NodeCreater   = (*node)(nil)
	_ fs.NodeMkdirer   = (*node)(nil)
	_ fs.NodeUnlinker  = (*node)(nil)
	_ fs.NodeRmdirer   = (*node)(nil)
	_ fs.NodeRenamer   = (*node)(nil)
	_ fs.NodeReaddirer = (*node)(nil)
	_ fs.NodeStatfser  = (*node)(nil)
)

// lock takes the disk's lock, or reports EIO if the power is off.
func (n *node) lock() (*Disk, syscall.Errno) {
	d := n.m.disk
	d.mu.Lock()
	if n.m.off {
		d.mu.Unlock()
		return nil, syscall.EIO
	}
	return d, 0
}

func (n *node) child(ctx context.Context, e entry, out *fuse.EntryOut) *fs.Inode {
	c := &node{m: n.m}
	mode := uint32(syscall.S_IFREG)
	switch e := e.(type) {
	case *file:
		c.f = e
	case *dir:
		c.d, mode = e, syscall.S_IFDIR
	}
	c.fill(&out.Attr)
	return n.NewInode(ctx, c, fs.StableAttr{Mode: mode, Ino: e.inode()})
}

func (n *node) fill(a *fuse.Attr) {
	if n.f != nil {
		a.Ino, a.Mode, a.Nlink, a.Size = n.f.ino, syscall.S_IFREG|n.f.mode, 1, uint64(n.f.size)
		a.Blocks = uint64(len(n.f.data)) * pageSize / 512
	} else {
		a.Ino, a.Mode, a.Nlink, a.Size = n.d.ino, syscall.S_IFDIR|n.d.mode, 2, pageSize
	}
	a.Blksize = pageSize
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	d, errno := n.lock()
	if errno != 0 {
		return nil, errno
	}
	defer d.mu.Unlock()
	e, ok := n.d.entries[name]
	if !ok {
		return nil, syscall.ENOENT
	}
	return n.child(ctx, e, out), 0
}

func (n *node) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d, errno := n.lock()
	if errno != 0 {
		return errno
	}
	defer d.mu.Unlock()
	n.fill(&out.Attr)
	return 0
}

func (n *node) Setattr(_ context.Context, _ fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	d, errno := n.lock()
	if errno != 0 {
		return errno
	}
	defer d.mu.Unlock()
	if size, ok := in.GetSize(); ok {
		if n.f == nil {
			return syscall.EISDIR
		}
		d.truncate(n.f, int64(size))
	}
	if mode, ok := in.GetMode(); ok {
		if n.f != nil {
			n.f.mode = mode & 0o7777
		} else {
			n.d.mode = mode & 0o7777
		}
	}
	n.fill(&out.Attr)
	return 0
}

func (n *node) Open(_ context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	d, errno := n.lock()
	if errno != 0 {
		return nil, 0, errno
	}
	defer d.mu.Unlock()
	if flags&syscall.O_TRUNC != 0 && n.f != nil {
		d.truncate(n.f, 0)
	}
	return nil, 0, 0
}

func (n *node) Read(_ context.Context, _ fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	d, errno := n.lock()
	if errno != 0 {
		return nil, errno
	}
	defer d.mu.Unlock()
	return fuse.ReadResultData(dest[:d.read(n.f, dest, off)]), 0
}

func (n *node) Write(_ context.Context, _ fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	d, errno := n.lock()
	if errno != 0 {
		return 0, errno
	}
	defer d.mu.Unlock()
	d.write(n.f, data, off)
	return uint32(len(data)), 0
}

// Fsync serves fsync and fdatasync of files (msync ends here too) and fsync of
// directories.
func (n *node) Fsync(context.Context, fs.FileHandle, uint32) syscall.Errno {
	d, errno := n.lock()
	if errno != 0 {
		return errno
	}
	defer d.mu.Unlock()
	if n.f != nil {
		d.syncFile(n.f)
	} else {
		d.syncDir(n.d)
	}
	return 0
}

// Allocate grows the file for fallocate's default mode; the space is not reserved
// (the disk is memory), and the other modes are refused.
func (n *node) Allocate(_ context.Context, _ fs.FileHandle, off, size uint64, mode uint32) syscall.Errno {
	d, errno := n.lock()
	if errno != 0 {
		return errno
	}
	defer d.mu.Unlock()
	const keepSize = 1 // FALLOC_FL_KEEP_SIZE
	switch mode {
	case 0:
		if end := int64(off + size); end > n.f.size {
			d.truncate(n.f, end)
		}
	case keepSize:
	default:
		return syscall.EOPNOTSUPP
	}
	return 0
}

func (n *node) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	d, errno := n.lock()
	if errno != 0 {
		return nil, nil, 0, errno
	}
	defer d.mu.Unlock()
	e, ok := n.d.entries[name]
	switch {
	case ok && flags&syscall.O_EXCL != 0:
		return nil, nil, 0, syscall.EEXIST
	case ok:
		f, isFile := e.(*file)
		if !isFile {
			return nil, nil, 0, syscall.EISDIR
		}
		if flags&syscall.O_TRUNC != 0 {
			d.truncate(f, 0)
		}
	default:
		e = d.newFile(mode)
		n.d.entries[name] = e
	}
	return n.child(ctx, e, out), nil, 0, 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	d, errno := n.lock()
	if errno != 0 {
		return nil, errno
	}
	defer d.mu.Unlock()
	if _, ok := n.d.entries[name]; ok {
		return nil, syscall.EEXIST
	}
	e := d.newDir(mode)
	n.d.entries[name] = e
	return n.child(ctx, e, out), 0
}

func (n *node) Unlink(_ context.Context, name string) syscall.Errno { return n.remove(name, false) }
func (n *node) Rmdir(_ context.Context, name string) syscall.Errno  { return n.remove(name, true) }

// remove takes a name away; only an empty directory can go.
func (n *node) remove(name string, isDir bool) syscall.Errno {
	d, errno := n.lock()
	if errno != 0 {
		return errno
	}
	defer d.mu.Unlock()
	switch e := n.d.entries[name].(type) {
	case nil:
		return syscall.ENOENT
	case *file:
		if isDir {
			return syscall.ENOTDIR
		}
		d.used -= int64(len(e.data))
	case *dir:
		if !isDir {
			return syscall.EISDIR
		}
		if len(e.entries) > 0 {
			return syscall.ENOTEMPTY
		}
	}
	delete(n.d.entries, name)
	return 0
}

func (n *node) Rename(_ context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	d, errno := n.lock()
	if errno != 0 {
		return errno
	}
	defer d.mu.Unlock()
	const noReplace = 1 // RENAME_NOREPLACE; RENAME_EXCHANGE and the rest are refused
	if flags&^noReplace != 0 {
		return syscall.EINVAL
	}
	to, ok := newParent.(*node)
	if !ok || to.d == nil {
		return syscall.ENOTDIR
	}
	return d.rename(n.d, name, to.d, newName, flags&noReplace != 0)
}

func (n *node) Readdir(context.Context) (fs.DirStream, syscall.Errno) {
	d, errno := n.lock()
	if errno != 0 {
		return nil, errno
	}
	defer d.mu.Unlock()
	var list []fuse.DirEntry
	for _, name := range slices.Sorted(maps.Keys(n.d.entries)) {
		e := n.d.entries[name]
		mode := uint32(syscall.S_IFREG)
		if _, ok := e.(*dir); ok {
			mode = syscall.S_IFDIR
		}
		list = append(list, fuse.DirEntry{Name: name, Mode: mode, Ino: e.inode()})
	}
	return fs.NewListDirStream(list), 0
}

// Statfs reports a 64 GiB disk, less what the files hold, so that the journal's check
// for free space passes.
func (n *node) Statfs(_ context.Context, out *fuse.StatfsOut) syscall.Errno {
	d, errno := n.lock()
	if errno != 0 {
		return errno
	}
	defer d.mu.Unlock()
	const blocks = 64 << 30 / pageSize
	free := uint64(max(0, blocks-d.used))
	*out = fuse.StatfsOut{}
	out.Blocks, out.Bfree, out.Bavail = blocks, free, free
	out.Files, out.Ffree = 1<<20, 1<<20
	out.Bsize, out.Frsize, out.NameLen = pageSize, pageSize, 255
	return 0
}
