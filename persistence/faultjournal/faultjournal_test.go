package faultjournal_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
	"github.com/godurable/durable/persistence/faultjournal"
)

var (
	seedFlag  = flag.Int64("seed", 0, "replay this seed, for every kind -run selects (also: FAULTJOURNAL_SEED)")
	seedsFlag = flag.Int("seeds", 0, "seeds drawn for each kind (default 12, 3 with -short)")
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// seeds returns the seed to replay, or fresh ones: each run tries new faults, and
// every subtest logs the command that replays it.
func seeds(t *testing.T) []int64 {
	if *seedFlag != 0 {
		return []int64{*seedFlag}
	}
	if s := os.Getenv("FAULTJOURNAL_SEED"); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("FAULTJOURNAL_SEED=%q: %v", s, err)
		}
		return []int64{seed}
	}
	n := *seedsFlag
	if n <= 0 {
		n = 12
		if testing.Short() {
			n = 3
		}
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = rand.Int64N(1 << 53) // short enough to type
	}
	return out
}

// TestFaults injects each kind of fault, with many seeds, into a journal on disk, and
// checks what the journal promises: nothing it acknowledged is lost or changed across
// a reopen; the error names the instance and says what happened; a failed commit stops
// the journal until it is reopened; a damaged value is reported as corrupt, for its
// instance only; and a batch the journal did not acknowledge is, after the reopen,
// there whole or not at all, unless the storage tore it.
func TestFaults(t *testing.T) {
	for _, kind := range faultjournal.Kinds() {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			for _, seed := range seeds(t) {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					t.Parallel()
					t.Logf("seed %d; replay: go test -race -run 'TestFaults/%s/' ./persistence/faultjournal/ -seed %d", seed, kind, seed)
					newRun(t, kind, seed).run()
				})
			}
		})
	}
}

// run is one fault test: a workload appended to a journal until the fault strikes,
// then checked against the ledger of what the journal acknowledged.
type run struct {
	t    *testing.T
	ctx  context.Context
	kind faultjournal.Kind
	seed int64
	cfg  badgerjournal.Config
	fj   *faultjournal.Journal
	w    *workload
	l    *ledger

	stopped   map[string]bool               // no longer appended to
	uncertain map[string]*persistence.Batch // failed in the struck commit: applied or not
}

const instances = 6

func newRun(t *testing.T, kind faultjournal.Kind, seed int64) *run {
	r := rand.New(rand.NewPCG(uint64(seed), 1))
	cfg := badgerjournal.Config{
		Dir: t.TempDir(), Logger: testLogger(t), GCInterval: -1,
		// Small buffers: many journals are open at once, and Badger allocates each
		// one's memtable up front.
		MemTableSize: 8 << 20, MaxBatchBytes: 256 << 10, BlockCacheSize: 1 << 20,
		// Both where payloads and histories live, in the row or under keys of their own.
		MaxInlinePayload: []int{-1, 256, 4096}[r.IntN(3)],
		MaxInlineHistory: []int{-1, 512, 4096}[r.IntN(3)],
	}
	return &run{
		t: t, ctx: t.Context(), kind: kind, seed: seed, cfg: cfg,
		w: newWorkload(r, instances), l: newLedger(),
		stopped: map[string]bool{}, uncertain: map[string]*persistence.Batch{},
	}
}

func (r *run) run() {
	t := r.t
	j := r.open()
	fault := faultjournal.FromSeed(r.seed, r.kind, 16)
	r.fj = faultjournal.Wrap(j, fault)
	t.Logf("fault: %v; inline payloads up to %d, history up to %d", fault, r.cfg.MaxInlinePayload, r.cfg.MaxInlineHistory)
	for round := 0; r.fj.Struck() == nil; round++ {
		if round == 100 {
			t.Fatalf("the fault did not strike in %d rounds", round)
		}
		r.appendRound()
	}
	s := r.fj.Struck()
	t.Logf("struck commit %d of %v: damaged %v %v; %d of %d writes landed; %v",
		s.Commit, s.Instances, s.Damaged, s.Keys, s.Landed, s.Writes, s.Err)
	if r.kind.FailsCommit() {
		r.checkStopped()
	} else {
		r.checkDamaged(j)
		for _, id := range s.Damaged {
			r.stopped[id] = true // the committer's cached rows could write over the damage
		}
		r.appendRound()
		r.appendRound()
	}
	if err := r.fj.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	r.checkRecovered(s)
}

func (r *run) open() *badgerjournal.Journal {
	r.t.Helper()
	j, err := badgerjournal.Open(r.cfg)
	if err != nil {
		r.t.Fatalf("Open: %v", err)
	}
	r.t.Cleanup(func() { _ = j.Close() }) // a no-op after the test's own Close
	return j
}

type result struct {
	b   *persistence.Batch
	err error
}

// appendRound appends one batch to each of some of the instances still in play, and
// records what was acknowledged. The batches go in groups that share a commit.
func (r *run) appendRound() {
	t := r.t
	t.Helper()
	r.w.round++
	var ids []string
	for _, id := range r.w.ids {
		if !r.stopped[id] && r.w.r.IntN(4) > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		for _, id := range r.w.ids {
			if !r.stopped[id] {
				ids = append(ids, id)
				break
			}
		}
	}
	batches := make([]*persistence.Batch, len(ids))
	for i, id := range ids {
		batches[i] = r.w.next(id)
	}
	var results []result
	for len(batches) > 0 {
		n := 1 + r.w.r.IntN(len(batches))
		results = append(results, r.appendGroup(batches[:n])...)
		batches = batches[n:]
	}
	s := r.fj.Struck()
	for _, res := range results {
		id := res.b.InstanceID
		if res.err == nil {
			if s != nil && r.kind.FailsCommit() && slices.Contains(s.Instances, id) {
				t.Errorf("the journal acknowledged the append to %s whose commit failed", id)
			}
			if err := r.l.acked(r.ctx, res.b); err != nil {
				t.Fatal(err)
			}
			continue
		}
		r.stopped[id] = true
		if !namesInstance(res.err, id) {
			t.Errorf("the error of the append to %s does not name it: %v", id, res.err)
		}
		switch {
		case s == nil:
			t.Errorf("append to %s failed before the fault struck: %v", id, res.err)
		case r.kind.FailsCommit():
			if !errors.Is(res.err, persistence.ErrJournalFailed) || !errors.Is(res.err, faultjournal.ErrInjected) {
				t.Errorf("append to %s: %v; want ErrJournalFailed, wrapping the injected fault", id, res.err)
			}
			if slices.Contains(s.Instances, id) {
				r.uncertain[id] = res.b
			}
		default:
			if c := (*persistence.CorruptionError)(nil); !slices.Contains(s.Damaged, id) || !errors.As(res.err, &c) {
				t.Errorf("append to %s failed after %v damaged %v: %v", id, r.kind, s.Damaged, res.err)
			}
		}
	}
}

// appendGroup appends batches and waits for their answers. The first is committed
// alone and held there until the others are queued, so that the next commit takes
// them all: which batches share a commit is the seed's choice, not the scheduler's.
func (r *run) appendGroup(batches []*persistence.Batch) []result {
	t := r.t
	t.Helper()
	ch := make(chan result, len(batches))
	submit := func(b *persistence.Batch) { r.fj.Append(b, func(err error) { ch <- result{b, err} }) }
	var results []result
	held, release := r.fj.Hold()
	defer release()
	submit(batches[0])
	if len(batches) > 1 {
		select {
		case <-held:
		case res := <-ch: // refused without a commit: the journal has failed
			results = append(results, res)
		case <-time.After(30 * time.Second):
			t.Fatal("the first append of a group was not committed in 30s")
		}
		for _, b := range batches[1:] {
			submit(b)
		}
	}
	release()
	for len(results) < len(batches) {
		select {
		case res := <-ch:
			results = append(results, res)
		case <-time.After(30 * time.Second):
			t.Fatal("an append was not answered in 30s")
		}
	}
	return results
}

func namesInstance(err error, id string) bool {
	if a := (*persistence.AppendError)(nil); errors.As(err, &a) && a.InstanceID == id {
		return true
	}
	c := (*persistence.CorruptionError)(nil)
	return errors.As(err, &c) && c.InstanceID == id
}

// checkStopped: after a failed commit, appends fail at once, before Append returns,
// and reads fail too, until the journal is reopened.
func (r *run) checkStopped() {
	t := r.t
	for _, id := range r.w.ids {
		ch := make(chan error, 1)
		r.fj.Append(&persistence.Batch{InstanceID: id, ExpectedVersion: r.w.instances[id].version}, func(err error) { ch <- err })
		var got error
		select {
		case got = <-ch:
		default:
			t.Fatalf("an append to the failed journal was not refused at once")
		}
		if !errors.Is(got, persistence.ErrJournalFailed) || !namesInstance(got, id) {
			t.Errorf("append to %s after the failure: %v; want ErrJournalFailed naming it", id, got)
		}
		r.stopped[id] = true
	}
	id := r.w.ids[0]
	reads := map[string]error{}
	_, _, reads["Load"] = r.fj.Load(r.ctx, id)
	_, reads["Get"] = r.fj.Get(r.ctx, id, true)
	_, reads["History"] = r.fj.History(r.ctx, id, 0)
	_, _, reads["List"] = r.fj.List(r.ctx, persistence.Query{})
	_, reads["Timers"] = r.fj.Timers(r.ctx, epoch, 0)
	reads["Outbox"] = r.fj.Outbox(r.ctx, func(persistence.Message) error { return nil })
	reads["Recoverable"] = r.fj.Recoverable(r.ctx, func(string) error { return nil })
	for name, err := range reads {
		if !errors.Is(err, persistence.ErrJournalFailed) {
			t.Errorf("%s on the failed journal: %v; want ErrJournalFailed", name, err)
		}
	}
}

// checkDamaged: the damage is reported at once, as a corruption of the instance.
func (r *run) checkDamaged(j *badgerjournal.Journal) {
	s := r.fj.Struck()
	if len(s.Damaged) == 0 {
		r.t.Fatalf("%v struck but damaged nothing", r.kind)
	}
	_, _, err := j.Load(r.ctx, s.Damaged[0])
	if !isCorruptionOf(err, s.Damaged[0]) {
		r.t.Errorf("Load of damaged %s before the reopen: %v; want a CorruptionError naming it", s.Damaged[0], err)
	}
}

func isCorruptionOf(err error, id string) bool {
	c := (*persistence.CorruptionError)(nil)
	return errors.As(err, &c) && c.InstanceID == id
}

// checkRecovered reopens the journal and compares it with the ledger.
func (r *run) checkRecovered(s *faultjournal.Strike) {
	t := r.t
	j := r.open()
	got, err := snap(r.ctx, j, r.w.ids)
	if err != nil {
		t.Fatalf("after the reopen: %v", err)
	}
	want, err := snap(r.ctx, r.l.model, r.w.ids)
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	for _, id := range r.w.ids {
		g, acked := got[id], want[id]
		switch b := r.uncertain[id]; {
		case b != nil:
			r.checkUncertain(id, b, g, acked)
		case slices.Contains(s.Damaged, id):
			if isCorruptionOf(g.err, id) {
				continue
			}
			if id == s.Damaged[0] {
				t.Errorf("damaged %s after the reopen: want a CorruptionError naming it, got\n%v", id, g)
			} else if !g.equal(acked) {
				t.Errorf("%s, damaged too, neither reads as corrupt nor holds what was acknowledged:\n%v\nwant\n%v", id, g, acked)
			}
		case !g.equal(acked):
			t.Errorf("%s after the reopen:\n%v\nwant what was acknowledged:\n%v", id, g, acked)
		}
	}
	if err := j.Close(); err != nil {
		t.Errorf("Close after the reopen: %v", err)
	}
}

// checkUncertain checks an instance whose batch failed in the struck commit: the
// batch never reached the disk, or reached it whole, so the instance holds what was
// acknowledged with or without it. A torn commit may also leave it reading as
// corrupt: what Load returns is checked, which the row's checksums of what lies
// outside it make consistent; its timers, outbound messages and recovery mark are not
// (see the package documentation).
func (r *run) checkUncertain(id string, b *persistence.Batch, got, acked state) {
	t := r.t
	m, err := r.l.with(r.ctx, id, b)
	if err != nil {
		t.Fatalf("model with the failed batch of %s: %v", id, err)
	}
	whole, err := snap(r.ctx, m, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	after := whole[id]
	if r.kind == faultjournal.TornBatch {
		switch {
		case got.err == nil && got.load == acked.load:
			t.Logf("%s: Load shows the torn batch absent; the rest is %s", id, sideOf(got, acked, after))
		case got.err == nil && got.load == after.load:
			t.Logf("%s: Load shows the torn batch whole; the rest is %s", id, sideOf(got, acked, after))
		case isCorruptionOf(got.err, id):
			t.Logf("%s: the torn batch reads as corrupt: %v", id, got.err)
		default:
			t.Errorf("%s after the reopen, whose batch tore: Load must show it absent, whole or corrupt:\n%v\n"+
				"want what was acknowledged:\n%v\nor that and the torn batch:\n%v", id, got, acked, after)
		}
		return
	}
	switch {
	case got.equal(acked):
		t.Logf("%s: the failed batch is absent", id)
	case got.equal(after) && r.kind != faultjournal.WriteError && r.kind != faultjournal.NoSpace:
		t.Logf("%s: the failed batch is there, whole", id)
	default:
		t.Errorf("%s after the reopen, whose batch failed in %v:\n%v\nwant what was acknowledged:\n%v\nor that and the failed batch:\n%v",
			id, r.kind, got, acked, after)
	}
}

func sideOf(got, acked, after state) string {
	switch got.side {
	case acked.side:
		return "as acknowledged"
	case after.side:
		return "as after the batch"
	}
	return "a mix of both"
}

// testLogger sends records to t.Log, so they show only for failing tests.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}
