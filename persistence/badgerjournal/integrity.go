package badgerjournal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
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
		case strings.HasSuffix(name, ".vlog") || strings.HasSuffix(name, ".mem"):
			empty, err := removeEmptyLog(filepath.Join(dir, name))
			if err != nil {
				return fmt.Errorf("badgerjournal: %w", err)
			}
			if !empty {
				logs++
			}
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
	listed, err := manifestTables(filepath.Join(dir, manifestName))
	if err != nil {
		return fmt.Errorf("%w: the MANIFEST of %q cannot be read (%v); restore it from a backup", ErrDamaged, dir, err)
	}
	// Tables the MANIFEST does not list are not checked, nor taken as a sign of
	// damage: a crash leaves such tables behind in the ordinary course (written but
	// not yet listed, or replaced by a compaction but not yet removed, their deletion
	// possibly dropped when Badger rewrote the MANIFEST), and Badger deletes them as it
	// opens. A MANIFEST that lost tables holding data is caught by the watermark.
	for _, id := range tables {
		if _, ok := listed[id]; !ok {
			continue
		}
		if err := verifyTable(filepath.Join(dir, table.IDToFilename(id)), opts); err != nil {
			return fmt.Errorf("%w: table %s of %q is corrupt (%v); restore the directory from a backup",
				ErrDamaged, table.IDToFilename(id), dir, err)
		}
	}
	return nil
}

// removeEmptyLog removes the log at path (a value log or a memtable's write-ahead log)
// if it is empty, and says whether it was. Badger creates a log, then sizes it: a
// process killed in between, or a power cut that kept the new name and not its size,
// leaves an empty file, and Badger then refuses to open the directory ("Open existing
// file ... Create a new file", "while opening fid: N err: Create a new file"), although
// the file never held anything.
func removeEmptyLog(path string) (bool, error) {
	info, err := os.Stat(path)
	if err != nil || info.Size() != 0 {
		return false, err
	}
	return true, os.Remove(path)
}

// verifyTable checks every block of a table against its checksum. Badger can do this
// itself as it opens, but it then crashes the process from a goroutine of its own on
// the first bad block; here the damage becomes an error. Reading does not change the
// file.
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

// manifestTables returns the tables the MANIFEST lists.
func manifestTables(path string) (map[uint64]badger.TableManifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, _, err := badger.ReplayManifestFile(f, 0, badger.DefaultOptions(""))
	if err != nil {
		return nil, err
	}
	return m.Tables, nil
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
