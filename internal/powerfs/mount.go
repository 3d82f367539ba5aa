package powerfs

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Mount serves a disk at a directory.
type Mount struct {
	disk   *Disk
	dir    string
	server *fuse.Server
	off    bool // the power was cut; guarded by disk.mu
	close  sync.Once
	err    error
}

// Mount serves the disk at dir (an existing directory) until Close. It mounts with
// mount(2) itself, so it needs root (or CAP_SYS_ADMIN) and /dev/fuse; fusermount is
// not used. One mount of a disk at a time.
func (d *Disk) Mount(dir string) (*Mount, error) {
	m := &Mount{disk: d, dir: dir}
	root := &node{m: m, d: d.root}
	// Attributes and names are cached briefly: this process is the only one to change
	// them, and always through the kernel.
	timeout := time.Second
	server, err := fs.Mount(dir, root, &fs.Options{
		MountOptions: fuse.MountOptions{
			DirectMountStrict: true,
			FsName:            "powerfs",
			Name:              "powerfs",
			DisableXAttrs:     true,
		},
		EntryTimeout: &timeout,
		AttrTimeout:  &timeout,
		RootStableAttr: &fs.StableAttr{
			Ino:  d.root.ino,
			Mode: syscall.S_IFDIR,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("powerfs: mount %s: %w", dir, err)
	}
	m.server = server
	return m, nil
}

// Cut cuts the power: what was not synced is dropped from the disk at once, and every
// later request to this mount fails with EIO, so that nothing a process still does
// (or the kernel still writes back) reaches the disk. Close the mount next, once the
// processes using it are gone, and mount the disk again to see what survived.
func (m *Mount) Cut() {
	m.disk.mu.Lock()
	defer m.disk.mu.Unlock()
	if !m.off {
		m.off = true
		m.disk.cut()
	}
}

// Close unmounts. If the power is on, everything becomes durable first, as a clean
// unmount writes everything back. If the mount is busy it is detached lazily, and
// Close waits (up to 10 s) for the kernel to let go of it.
func (m *Mount) Close() error {
	m.close.Do(func() {
		// The kernel writes back what it still holds as it unmounts; the power stays
		// on for that, and everything is synced after.
		defer func() {
			m.disk.mu.Lock()
			defer m.disk.mu.Unlock()
			if !m.off {
				m.disk.syncAll()
				m.off = true
			}
		}()
		if err := m.server.Unmount(); err == nil {
			return
		}
		if err := syscall.Unmount(m.dir, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
			m.err = fmt.Errorf("powerfs: detach %s: %w", m.dir, err)
			return
		}
		done := make(chan struct{})
		go func() { m.server.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			m.err = fmt.Errorf("powerfs: %s detached, but its server is still held after 10 s", m.dir)
		}
	})
	return m.err
}
