package badgerjournal

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/internal/faulthook"
)

// Journal is the Badger-backed persistence.Journal. Open one per database directory.
type Journal struct {
	cfg Config
	db  *badger.DB
	log *slog.Logger

	mu     sync.Mutex
	closed bool
	// failed is set, wrapping persistence.ErrJournalFailed, once a commit failed to
	// write or sync; from then on appends and reads are refused (see fail).
	failed error
	queue  []*op
	// queuedKeys and queuedBytes mirror the queue's size for the committer's polling,
	// which must not take mu on every spin.
	queuedKeys, queuedBytes atomic.Int64
	wake                    chan struct{} // capacity 1: a pending wake-up is never lost

	rows  *rowCache // the commit goroutine's alone
	fault error     // the committer's copy of failed, read without the lock
	// hook, when set, commits in place of the committer (see hook.go): only
	// persistence/faultjournal sets it, to inject faults.
	hook  atomic.Pointer[faulthook.Func]
	mark  *watermark // nil in memory
	space *space     // nil in memory

	// commits counts transactions committed, so tests can see batching happen, and
	// keys the sets and deletes they held, so tests can see what an append costs.
	commits, keys atomic.Int64
	meters        *meters

	readers       sync.WaitGroup // reads in flight; Close waits for them
	committerDone chan struct{}
	stopGC        chan struct{}
	gcDone        chan struct{}

	closeOnce sync.Once
	closeErr  error
}

var _ persistence.Journal = (*Journal)(nil)

// Open opens or creates the journal described by cfg.
func Open(cfg Config) (*Journal, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := cfg.badgerOptions()
	if !cfg.InMemory {
		if err := checkFiles(cfg.Dir, opts); err != nil {
			return nil, err
		}
	}
	db, err := openBadger(opts)
	if err != nil {
		return nil, fmt.Errorf("badgerjournal: open %q: %w", cfg.Dir, err)
	}
	if err := checkFormat(db, cfg.Dir, cfg.Logger); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	ms, err := newMeters(cfg.MeterProvider, !cfg.InMemory)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("badgerjournal: metrics: %w", err), db.Close())
	}
	j := &Journal{
		cfg:           cfg,
		db:            db,
		log:           cfg.Logger,
		wake:          make(chan struct{}, 1),
		rows:          newRowCache(cfg.RowCacheSize),
		committerDone: make(chan struct{}),
		meters:        ms,
	}
	if !cfg.InMemory {
		if err := checkWatermark(db, cfg.Dir); err != nil {
			return nil, errors.Join(err, db.Close())
		}
		j.mark = startWatermark(cfg.Dir, db.MaxVersion())
		j.space = newSpace(cfg.Dir, cfg.MinFreeBytes)
	}
	go j.commitLoop()
	if cfg.GCInterval > 0 && !cfg.InMemory {
		j.stopGC, j.gcDone = make(chan struct{}), make(chan struct{})
		go j.gcLoop()
	}
	return j, nil
}

// openBadger opens the database, turning a panic of Badger's over damaged files into
// an error.
func openBadger(opts badger.Options) (db *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%w: %v", ErrDamaged, r)
		}
	}()
	return badger.Open(opts)
}

// ErrLayout reports a database written with another layout of keys and values, which
// this build does not read.
var ErrLayout = errors.New("badgerjournal: the database holds another journal layout")

// formatVersion names the layout of keys and values. Version 2 moved small payloads,
// short histories and an instance's own timers into its row; version 3 binds every
// value's checksum to its key (codec.go) and keeps in the row the checksum of each
// payload stored outside it (rows.go); version 4 adds the c/ keys (created.go), which
// Open builds for a database of version 3. Rows carry their own format besides: a row
// format this build reads (rowFormat, rowFormatV2) needs no new layout.
const formatVersion = "4"

// checkFormat stamps a new database with the layout version, brings one of version 3
// up to it, and refuses one that was written with another, rather than misreading it.
// A build that does not keep the c/ keys must not write to a database that has them,
// and the stamp is what stops it.
func checkFormat(db *badger.DB, dir string, log *slog.Logger) error {
	var v []byte
	err := db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(formatKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			v = []byte(formatVersion)
			return txn.Set(formatKey, v)
		}
		if err == nil {
			v, err = item.ValueCopy(nil)
		}
		return err
	})
	if err != nil {
		return err
	}
	switch string(v) {
	case formatVersion:
		return nil
	case "3":
		return indexCreated(db, log)
	}
	return refuseFormat(v, dir)
}

// refuseFormat explains why a database stamped v cannot be opened.
func refuseFormat(v []byte, dir string) error {
	if string(v) == "1" || string(v) == "2" {
		return fmt.Errorf("%w: %q holds journal layout %q, but this build reads only layouts 3 and %q "+
			"and cannot migrate it: open it with the build that wrote it, or start from an empty directory",
			ErrLayout, dir, v, formatVersion)
	}
	// The stamp carries no checksum (it predates them, and must stay readable by
	// every build), so damage to it is told from another layout only by naming no
	// layout there ever was.
	return fmt.Errorf("%w: %q has a damaged layout stamp %q (want %q); restore the directory from a backup",
		ErrDamaged, dir, v, formatVersion)
}

// Append implements persistence.Journal. The batch is encoded here, on the caller's
// goroutine; done runs on the commit goroutine, except for a batch rejected before it
// is queued (journal closed, id unusable), whose done runs here before Append returns.
func (j *Journal) Append(b *persistence.Batch, done func(error)) {
	if done == nil {
		done = func(error) {} // a nil done would crash the commit goroutine, far from its cause
	}
	if err := j.refusal(); err != nil {
		done(named(b.InstanceID, err))
		return
	}
	o, err := j.cfg.prepare(b, done)
	if err != nil {
		done(named(b.InstanceID, err))
		return
	}
	j.enqueue(o)
}

func (j *Journal) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// refusal returns why the journal takes nothing more, if it does not: it is closed,
// or it failed.
func (j *Journal) refusal() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.refusalLocked()
}

func (j *Journal) refusalLocked() error {
	if j.closed {
		return persistence.ErrClosed
	}
	return j.failed
}

// named makes err name the instance, as the contract asks of every error given to
// done, unless it already does.
func named(id string, err error) error {
	if err == nil {
		return nil
	}
	if c := (*persistence.CorruptionError)(nil); errors.As(err, &c) && c.InstanceID == id {
		return err
	}
	return &persistence.AppendError{InstanceID: id, Err: err}
}

// enter admits a read unless the journal is closed or failed; the caller must call
// j.readers.Done when the read no longer touches the database.
func (j *Journal) enter() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.refusalLocked(); err != nil {
		return err
	}
	j.readers.Add(1)
	return nil
}

// Close implements persistence.Journal: appends queued before it are committed and
// acknowledged, reads in flight finish, then the database closes. Later calls return
// the first call's result.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() { j.closeErr = j.close() })
	return j.closeErr
}

func (j *Journal) close() error {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.signal()
	<-j.committerDone
	// After a failed commit the database's newest version may belong to the transaction
	// that failed, which is not known to be durable: the watermark keeps the last
	// version that was.
	j.mark.close(j.db, j.fault == nil)
	if j.stopGC != nil {
		close(j.stopGC)
		<-j.gcDone
	}
	j.readers.Wait()
	return j.db.Close()
}

// gcLoop reclaims value-log space. Only values over Badger's value threshold (1 MiB)
// live there, so this is rarely busy, but without it their space is never reclaimed.
func (j *Journal) gcLoop() {
	defer close(j.gcDone)
	t := time.NewTicker(j.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-j.stopGC:
			return
		case <-t.C:
			if j.refusal() == nil { // a failed journal writes nothing more
				j.collectGarbage()
			}
		}
	}
}

func (j *Journal) collectGarbage() {
	// A bounded number of rounds, so that Close never waits long behind it.
	for range 8 {
		err := j.db.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			return
		}
		if err != nil {
			j.log.Warn("journal value-log GC failed", slog.Any("error", err))
			return
		}
	}
}
