// Package powerfs is a file system, served over FUSE, that loses what was not synced
// when its power is cut, so that a test can run a database on it and see what a
// power failure leaves (LazyFS is the model). A process killed on an ordinary file
// system keeps everything the kernel holds for it; only a lost write-back shows
// whether the database syncs what it acknowledges.
//
// A Disk keeps, in memory, two states of every file and directory: what processes see
// now, and what a cut leaves. Mount serves a disk at a directory (with mount(2), so as
// root, and /dev/fuse); Mount.Cut cuts the power; Close unmounts; mounting the disk
// again shows what survived.
//
// What a cut keeps, and what it drops:
//
//   - A file's contents and size are durable as of its last fsync, fdatasync or msync.
//     Every write, truncate or mmap write-back after that is dropped, whole: there are
//     no torn pages, and no part of an unsynced write survives.
//   - A name (create, mkdir, unlink, rmdir, rename) is durable as of the last fsync of
//     the directory that holds it, and only then; syncing a file does not sync its
//     name. This is the strict reading of POSIX (ext4 and XFS are kinder: syncing a new
//     file there usually commits its name too). A rename between two directories is
//     two changes, each durable with its own directory's sync, so a cut may leave the
//     file under both names or under neither.
//   - What survives is what is reached from the root through durable names: a file
//     synced in a directory whose entry in its parent was never synced is gone.
//   - A cut drops everything at once, as it stands when Cut is called, and the mount
//     answers every later request with EIO, so that nothing the dying processes or the
//     kernel still send reaches the disk.
//   - A clean Close (power on) writes everything back, as unmounting a real file system
//     does.
//
// Times, owners, extended attributes, links and locks are not modelled (locks are the
// kernel's own). Statfs reports a 64 GiB disk. Options make the disk lie (keep what was
// not synced, or ignore syncs), so that a test can show it would notice.
package powerfs
