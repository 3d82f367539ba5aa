package badgerjournal

import (
	"errors"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/internal/faulthook"
)

// failNext makes the next commit of j fail with EIO, after applying it when apply is
// set; later commits go through, should the journal attempt any. It returns the number
// of commits the hook has seen.
func failNext(j *Journal, apply bool) *atomic.Int32 {
	var n atomic.Int32
	f := faulthook.Func(func(c *faulthook.Commit) error {
		if n.Add(1) > 1 {
			return c.Apply()
		}
		if apply {
			if err := c.Apply(); err != nil {
				return err
			}
		}
		return syscall.EIO
	})
	j.hook.Store(&f)
	return &n
}

func namesInstance(err error, id string) bool {
	a := (*persistence.AppendError)(nil)
	return errors.As(err, &a) && a.InstanceID == id
}

// A commit that fails to write stops the journal: its appends and every later one fail
// with ErrJournalFailed, naming their instance and wrapping the cause; reads fail too;
// reopening recovers what had been acknowledged, and the failed batch whole or not at
// all.
func TestFailedCommitStopsTheJournal(t *testing.T) {
	for _, applied := range []bool{false, true} {
		dir := t.TempDir()
		cfg := Config{Dir: dir, Logger: slog.New(slog.DiscardHandler)}
		j, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		if err := persistence.AppendSync(ctx, j, &persistence.Batch{InstanceID: "kept"}); err != nil {
			t.Fatal(err)
		}
		failNext(j, applied)
		err = persistence.AppendSync(ctx, j, &persistence.Batch{InstanceID: "failed"})
		if !errors.Is(err, persistence.ErrJournalFailed) || !errors.Is(err, syscall.EIO) || !namesInstance(err, "failed") {
			t.Fatalf("the failed commit reported %v", err)
		}
		var refused error
		j.Append(&persistence.Batch{InstanceID: "later"}, func(err error) { refused = err })
		if !errors.Is(refused, persistence.ErrJournalFailed) || !namesInstance(refused, "later") {
			t.Fatalf("an append after the failure: %v; want ErrJournalFailed at once", refused)
		}
		if _, err := j.Get(ctx, "kept", false); !errors.Is(err, persistence.ErrJournalFailed) {
			t.Fatalf("a read after the failure: %v", err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}

		j, err = Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Get(ctx, "kept", false); err != nil {
			t.Errorf("acknowledged instance after the reopen: %v", err)
		}
		inst, err := j.Get(ctx, "failed", false)
		switch {
		case applied && (err != nil || inst.Version != 1):
			t.Errorf("applied batch after the reopen: %v, %v; want it whole", inst, err)
		case !applied && !errors.Is(err, persistence.ErrNotFound):
			t.Errorf("unwritten batch after the reopen: %v, %v; want it absent", inst, err)
		}
		if err := persistence.AppendSync(ctx, j, &persistence.Batch{InstanceID: "later"}); err != nil {
			t.Errorf("append after the reopen: %v", err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// A group commit that fails to write is not retried append by append, as one that is
// too large is: the failure ends the journal, and each append hears of it under its
// own name, except one that was rejected before.
func TestFailedGroupCommitIsNotRetried(t *testing.T) {
	j := quietJournal(t)
	errs := make([]error, 4)
	ops := prepared(t, j, errs,
		&persistence.Batch{InstanceID: "a"},
		&persistence.Batch{InstanceID: "b"},
		&persistence.Batch{InstanceID: "c", ExpectedVersion: 5},
		&persistence.Batch{InstanceID: "d"},
	)
	commits := failNext(j, false)
	j.commit(ops)
	if n := commits.Load(); n != 1 {
		t.Errorf("%d commits attempted, want 1", n)
	}
	for i, id := range []string{"a", "b", "c", "d"} {
		want := persistence.ErrJournalFailed
		if id == "c" {
			want = persistence.ErrVersionConflict
		}
		if !errors.Is(errs[i], want) || !namesInstance(errs[i], id) {
			t.Errorf("append to %s: %v; want %v naming it", id, errs[i], want)
		}
	}
	errs = make([]error, 1)
	j.commit(prepared(t, j, errs, &persistence.Batch{InstanceID: "e"}))
	if !errors.Is(errs[0], persistence.ErrJournalFailed) || commits.Load() != 1 {
		t.Errorf("a commit after the failure: %v, %d commits attempted", errs[0], commits.Load())
	}
}
