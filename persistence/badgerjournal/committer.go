package badgerjournal

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/internal/faulthook"
)

// Group commit. Badger does not merge concurrent small transactions into one disk
// sync: one key per transaction tops out near 4,400 commits/s on the machine this was
// measured on, while a thousand keys per transaction reach hundreds of thousands of
// keys per second. So one goroutine commits on behalf of everybody:
// each transaction takes whatever was appended while the previous one was being
// written, up to the batch caps.
//
// When the previous transaction gathered more than one append, load is high and more
// appends are about to arrive (their owners just got their done calls), so the
// committer first polls for Linger. It polls rather than sleeps: an idle Go timer under
// a millisecond sleeps about a millisecond, which would multiply commit latency. A lone
// append under light load never waits.
func (j *Journal) commitLoop() {
	defer close(j.committerDone)
	merged := false
	for {
		if merged {
			j.linger()
		}
		ops, ok := j.next()
		if !ok {
			return
		}
		j.commit(ops)
		merged = len(ops) > 1
	}
}

func (j *Journal) linger() {
	if j.cfg.Linger <= 0 {
		return
	}
	deadline := time.Now().Add(j.cfg.Linger)
	for time.Now().Before(deadline) {
		if j.queuedKeys.Load() >= int64(j.cfg.MaxBatchKeys) || j.queuedBytes.Load() >= int64(j.cfg.MaxBatchBytes) {
			return
		}
		runtime.Gosched()
	}
}

// next waits for queued appends and takes the next batch of them; it reports false
// once the journal is closed and the queue drained.
func (j *Journal) next() ([]*op, bool) {
	for {
		j.mu.Lock()
		if len(j.queue) > 0 {
			ops := j.take()
			j.mu.Unlock()
			return ops, true
		}
		closed := j.closed
		j.mu.Unlock()
		if closed {
			return nil, false
		}
		<-j.wake
	}
}

// take removes the longest prefix of the queue that fits the batch caps, and at least
// one op, however large. It must be called with j.mu held.
func (j *Journal) take() []*op {
	n, keys, size := 0, 0, 0
	for _, o := range j.queue {
		if n > 0 && (keys+o.keys > j.cfg.MaxBatchKeys || size+o.bytes > j.cfg.MaxBatchBytes) {
			break
		}
		n, keys, size = n+1, keys+o.keys, size+o.bytes
	}
	ops := slices.Clone(j.queue[:n])
	clear(j.queue[:n])
	if n == len(j.queue) {
		j.queue = j.queue[:0]
	} else {
		j.queue = j.queue[n:]
	}
	j.queuedKeys.Add(-int64(keys))
	j.queuedBytes.Add(-int64(size))
	return ops
}

// commit writes ops in one transaction and reports to each. If the transaction as a
// whole fails (too big, most likely), each op is retried in a transaction of its own,
// so that only the culprit fails; but once a commit failed to write, nothing is
// retried, and every op from then on fails at once (see fail).
func (j *Journal) commit(ops []*op) {
	errs := make([]error, len(ops))
	err := j.fault
	if err == nil {
		err = j.space.check(time.Now())
	}
	if err != nil {
		for _, o := range ops {
			o.done(named(o.id, err))
		}
		return
	}
	if err := j.commitTogether(ops, errs); err != nil {
		if len(ops) == 1 || j.fault != nil {
			for i := range errs {
				if errs[i] == nil { // a rejection found before the failure stands
					errs[i] = err
				}
			}
		} else {
			j.log.Debug("journal group commit failed, committing one by one",
				slog.Int("appends", len(ops)), slog.Any("error", err))
			for i := range ops {
				if j.fault != nil {
					errs[i] = j.fault
				} else if err := j.commitTogether(ops[i:i+1], errs[i:i+1]); err != nil {
					errs[i] = err
				}
			}
		}
	}
	for i, o := range ops {
		o.done(named(o.id, errs[i]))
	}
}

// commitTogether applies ops in one transaction. Rejected ops get their error in errs
// and are left out; the returned error is the transaction's.
func (j *Journal) commitTogether(ops []*op, errs []error) error {
	txn := j.db.NewTransaction(true)
	defer txn.Discard()
	hook := j.hook.Load()
	b := &txnBatch{txn: txn, cache: j.rows, written: make(map[string]*rowState, len(ops)), inlineHistory: j.cfg.MaxInlineHistory,
		traced: hook != nil}
	for i, o := range ops {
		rejected, err := b.apply(o)
		if err != nil {
			return txnError(err)
		}
		errs[i] = rejected
	}
	if len(b.written) == 0 && !b.installed {
		return nil // every op was rejected: nothing to write
	}
	var err error
	var began time.Time
	if j.meters != nil {
		began = time.Now()
	}
	if hook != nil {
		err = (*hook)(&faulthook.Commit{Instances: committing(ops, errs), Writes: b.writes, Apply: txn.Commit})
	} else {
		err = txn.Commit()
	}
	if err != nil {
		// A failed commit may still have reached the disk: from now on, only the
		// database knows these rows.
		b.forget()
		if errors.Is(err, badger.ErrTxnTooBig) {
			return txnError(err)
		}
		return j.fail(err)
	}
	b.committed()
	j.mark.observe(j.db)
	j.commits.Add(1)
	j.keys.Add(int64(b.keys))
	j.meters.committed(len(b.written), time.Since(began))
	return nil
}

// committing returns the instances of the ops a transaction holds: those not rejected.
func committing(ops []*op, rejected []error) []string {
	ids := make([]string, 0, len(ops))
	for i, o := range ops {
		if rejected[i] == nil {
			ids = append(ids, o.id)
		}
	}
	return ids
}

// fail stops the journal after a commit failed to write or sync, and returns the
// error that every append from now on reports. Nothing the process holds can be
// trusted any more: Badger's memtable may hold all or part of the failed transaction,
// visible to reads, and after a failed fsync the kernel may have dropped the dirty
// pages yet report the next fsync clean. So no append is retried or taken, and no
// read served; closing and opening the journal again recovers what the disk holds.
func (j *Journal) fail(cause error) error {
	err := fmt.Errorf("%w: %w", persistence.ErrJournalFailed, txnError(cause))
	j.fault = err
	j.mu.Lock()
	j.failed = err
	j.mu.Unlock()
	j.log.Error("journal stopped after a failed write; it takes no appends and serves no reads until reopened",
		slog.String("dir", j.cfg.Dir), slog.Any("error", cause))
	return err
}

func txnError(err error) error {
	if errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("%w: %w", persistence.ErrBatchTooLarge, err)
	}
	if len(err.Error()) > maxErrorText {
		return shortError{err}
	}
	return err
}

// maxErrorText bounds the text of an error passed on from Badger, which quotes a
// value it refuses in full, as a hex dump: megabytes in a log line.
const maxErrorText = 300

type shortError struct{ error }

func (e shortError) Error() string { return e.error.Error()[:maxErrorText] + "…" }
func (e shortError) Unwrap() error { return e.error }
