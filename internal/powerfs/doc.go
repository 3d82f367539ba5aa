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
//   - A file's contents, and the size its writes gave it, are durable as of its last
//     fsync, fdatasync or msync. Every write or mmap write-back after that is dropped,
//     whole: there are no torn pages, and no part of an unsynced write survives.
//   - Metadata is journaled, as ext4 and XFS journal it: names (create, mkdir, unlink,
//     rmdir, rename) and sizes set by truncate or fallocate become durable, all of
//     them as they stand, with the next fsync of any file or directory. A file synced
//     after it was created keeps its name; a sibling created before that sync keeps its
//     name too, but not its unsynced data.
//   - Options.StrictNames holds to the strict reading of POSIX instead: a name is
//     durable only with its directory's fsync, a size set by truncate only with its
//     file's. A rename between two directories is then two changes, so a cut may leave
//     the file under both names or under neither. Badger does not survive this
//     (docs/reliability.md).
//   - What survives is what is reached from the root through durable names: under
//     strict names, a file synced in a directory whose own name was never synced in
//     its parent is gone.
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
