package badgerjournal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
	"google.golang.org/protobuf/proto"
)

// Badger forgives damage a crash cannot cause as if a crash had caused it: with no
// MANIFEST it starts an empty database and deletes the tables it does not list, and it
// replays a write-ahead log up to its first damaged entry and drops the rest. Either
// loses acknowledged instances without a word. The journal therefore checks the
// directory before Badger opens it, and afterwards compares what Badger recovered with
// a watermark of what had been durable.

// ErrDamaged reports a database directory that lost, or would lose, data that had
// been durable. The journal refuses to open it; nothing in it was changed.
var ErrDamaged = errors.New("badgerjournal: database directory is damaged")

const manifestName = "MANIFEST"

// checkFiles refuses a directory whose tables or logs are not accounted for by its
// MANIFEST, or whose tables fail their checksums.
func checkFiles(dir string, opts badger.Options) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("badgerjournal: read %q: %w", dir, err)
	}
	var tables []uint64
	logs, manifest := 0, false
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == manifestName:
			manifest = true
		case strings.HasSuffix(name, ".sst"):
			if id, ok := table.ParseFileID(name); ok {
				tables = append(tables, id)
			}
		case strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog"):
			logs++
		}
	}
	if !manifest {
		if len(tables) > 0 || logs > 0 {
			return fmt.Errorf("%w: %q holds %d tables and %d logs but no MANIFEST; opened, it would start empty and "+
				"delete them. Restore the MANIFEST from a backup, or move the directory away to start afresh",
				ErrDamaged, dir, len(tables), logs)
		}
		return nil
	}
	listed, dropped, err := manifestTables(filepath.Join(dir, manifestName))
	if err != nil {
		return fmt.Errorf("%w: the MANIFEST of %q cannot be read (%v); restore it from a backup", ErrDamaged, dir, err)
	}
	var newest uint64
	for id := range listed {
		newest = max(newest, id)
	}
	// A crash after a compaction listed its tables but before it removed the files
	// of the tables it replaced leaves those unlisted, possibly half removed; the
	// MANIFEST records their deletion, and Badger rightly deletes them.
	tables = slices.DeleteFunc(tables, func(id uint64) bool {
		_, ok := listed[id]
		return !ok && dropped[id]
	})
	for _, id := range tables {
		// A crash between writing a table and listing it leaves the newest tables
		// unlisted, and Badger rightly deletes them (their data is still in the log or
		// in the tables they were compacted from). An unlisted table older than a
		// listed one, and whose deletion the MANIFEST does not record, was listed
		// once: the MANIFEST lost it.
		if _, ok := listed[id]; !ok && id < newest {
			return fmt.Errorf("%w: the MANIFEST of %q does not list table %s, older than tables it lists; "+
				"it was truncated or replaced. Restore it from a backup", ErrDamaged, dir, table.IDToFilename(id))
		}
	}
	for _, id := range tables {
		if err := verifyTable(filepath.Join(dir, table.IDToFilename(id)), opts); err != nil {
			return fmt.Errorf("%w: table %s of %q is corrupt (%v); restore the directory from a backup",
				ErrDamaged, table.IDToFilename(id), dir, err)
		}
	}
	return nil
}

// verifyTable checks every block of a table against its checksum. Badger can do this
// itself as it opens, but it then crashes the process from a goroutine of its own on
// the first bad block; here the damage becomes an error. Reading does not change the
// file, and a table Badger will delete as unlisted is checked all the same.
func verifyTable(path string, opts badger.Options) (err error) {
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if err != nil && !errors.Is(err, z.NewFile) {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable: %v", r)
		}
		_ = mf.Close(-1)
	}()
	// OpenTable verifies the table's index and, in this mode, every block.
	_, err = table.OpenTable(mf, table.Options{
		ReadOnly: true, BlockSize: opts.BlockSize, BloomFalsePositive: opts.BloomFalsePositive,
		ChkMode: options.OnTableRead, Compression: opts.Compression, ZSTDCompressionLevel: opts.ZSTDCompressionLevel,
	})
	return err
}

// manifestTables returns the tables the MANIFEST lists and those whose deletion it
// records (until Badger rewrites it, which keeps only the listed ones).
func manifestTables(path string) (listed map[uint64]badger.TableManifest, dropped map[uint64]bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	m, valid, err := badger.ReplayManifestFile(f, 0, badger.DefaultOptions(""))
	if err != nil {
		return nil, nil, err
	}
	return m.Tables, manifestDeletions(f, valid), nil
}

// manifestDeletions reads the ids of the tables deleted by the change sets in the
// first valid bytes of the MANIFEST, which ReplayManifestFile has checked: an 8-byte
// header, then per change set its length and checksum (4 bytes each, big-endian) and
// the encoded set.
func manifestDeletions(f *os.File, valid int64) map[uint64]bool {
	b := make([]byte, valid)
	if _, err := f.ReadAt(b, 0); err != nil || len(b) < 8 {
		return nil
	}
	out := map[uint64]bool{}
	for b = b[8:]; len(b) >= 8; {
		n := int(binary.BigEndian.Uint32(b))
		if len(b) < 8+n {
			break
		}
		var cs pb.ManifestChangeSet
		if err := proto.Unmarshal(b[8:8+n], &cs); err != nil {
			break
		}
		for _, c := range cs.Changes {
			if c.Op == pb.ManifestChange_DELETE {
				out[c.Id] = true
			}
		}
		b = b[8+n:]
	}
	return out
}

// The watermark is the highest Badger version known to have been durable, kept in a
// file of its own beside the database. It is written a few times a second, after
// commits have synced, so it never runs ahead of the database; a database that opens
// below it lost durable commits.
const (
	watermarkName     = "DURABLE-WATERMARK"
	watermarkInterval = 100 * time.Millisecond
)

// watermark publishes the committer's durable version to the watermark file.
type watermark struct {
	path    string
	want    atomic.Bool   // the writer asks the committer for a fresh reading
	durable atomic.Uint64 // the committer's latest reading
	written uint64
	stop    chan struct{}
	done    chan struct{}
}

// readWatermark returns the stored watermark, or 0 when there is none or it was torn.
func readWatermark(dir string) uint64 {
	b, err := os.ReadFile(filepath.Join(dir, watermarkName))
	if err != nil || len(b) != 12 || crc32.Checksum(b[:8], castagnoli) != binary.LittleEndian.Uint32(b[8:]) {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// checkWatermark refuses a database that recovered less than was durable.
func checkWatermark(db *badger.DB, dir string) error {
	mark := readWatermark(dir)
	if got := db.MaxVersion(); got < mark {
		return fmt.Errorf("%w: %q recovered commits up to version %d, but version %d had been durable: "+
			"a damaged write-ahead log or MANIFEST lost acknowledged data. Restore from a backup",
			ErrDamaged, dir, got, mark)
	}
	return nil
}

func startWatermark(dir string, from uint64) *watermark {
	w := &watermark{path: filepath.Join(dir, watermarkName), written: from, stop: make(chan struct{}), done: make(chan struct{})}
	w.durable.Store(from)
	go w.loop()
	return w
}

func (w *watermark) loop() {
	defer close(w.done)
	t := time.NewTicker(watermarkInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			w.write()
			return
		case <-t.C:
			w.write()
			w.want.Store(true)
		}
	}
}

// observe is called by the committer after a commit synced, with no other write in
// flight; reading the version is not free, so it does so only when asked.
func (w *watermark) observe(db *badger.DB) {
	if w != nil && w.want.CompareAndSwap(true, false) {
		w.durable.Store(db.MaxVersion())
	}
}

func (w *watermark) write() {
	v := w.durable.Load()
	if v <= w.written {
		return
	}
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:], v)
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b[:8], castagnoli))
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return // a missing watermark weakens the check; it never fails a commit
	}
	_, err = f.WriteAt(b[:], 0)
	if err == nil {
		err = f.Sync()
	}
	if f.Close() == nil && err == nil {
		w.written = v
	}
}

// close records the final version, if durable tells it is; the committer has stopped,
// so nothing is in flight.
func (w *watermark) close(db *badger.DB, durable bool) {
	if w != nil {
		if durable {
			w.durable.Store(db.MaxVersion())
		}
		close(w.stop)
		<-w.done
	}
}
