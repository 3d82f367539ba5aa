// Package faultjournal puts one storage fault, chosen from a seed, into a real Badger
// journal (persistence/badgerjournal), so that a test can check what the journal, and
// whatever runs on it, make of it.
//
// Wrap arms a Fault on an open journal: its Kind, the commit it strikes (At, counting
// the journal's transactions from 1), and a Seed for the fault's own choices (where a
// batch tears, which bit flips, which values trade places). FromSeed derives a fault
// from one number, so that a test run is replayed by its seed. The wrapper steps into
// the journal's commit path through a hook that only packages under persistence can
// reach, so each fault really happens to the database:
//
//   - WriteError and NoSpace fail the commit with EIO or ENOSPC before anything is
//     written.
//   - SyncError writes the transaction, then fails it with EIO, as a failed fsync after
//     the write would.
//   - AppliedButFailed commits the transaction, then reports a failure anyway.
//   - TornBatch commits part of the transaction's writes, in a seeded order (Badger
//     itself writes a transaction's entries in map order), and fails it with EIO.
//   - BitFlip, Truncation and SwappedValues let the commit succeed, then damage a value
//     that Load reads for one of its instances: flip one bit, cut the value short, or
//     trade it with a value of the same kind of another instance.
//
// The first five must stop the journal (persistence.ErrJournalFailed) until it is
// reopened; the last three must be reported, after as before a reopen, as a
// *persistence.CorruptionError of the damaged instance. Struck tells what the fault
// did. The journal's committer remembers the rows it wrote, so a later append to a
// damaged instance may write over the damage with good data; a test that expects the
// damage to be found stops appending to the instances in Strike.Damaged.
//
// A torn commit is the one fault the journal cannot always detect. Badger writes a
// transaction's entries together and replays only whole ones, so a tear needs storage
// that loses part of what it acknowledged, or a memtable that holds part of a failed
// commit when the journal closes and flushes it. What Load returns stays consistent
// even then (as before the batch, as after it, or a *persistence.CorruptionError),
// because a row carries the checksums of the payloads outside it and the count of its
// history; but an instance's timers, outbound messages and recovery mark are stored
// apart from its row and may keep part of the torn batch.
//
// This package's tests drive every kind against a journal on disk, with seeds drawn
// afresh each run and logged. To replay one:
//
//	go test -race -run 'TestFaults/torn-batch/' ./persistence/faultjournal/ -seed 12345
//
// (or FAULTJOURNAL_SEED=12345, or make test-faults SEED=12345 for every kind); -seeds
// sets how many seeds each kind runs. A seed fixes the batches, which of them share a
// commit (Hold), and the fault, so it replays the same run.
package faultjournal

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence/badgerjournal"
	"github.com/godurable/durable/persistence/internal/faulthook"
)

// Kind is a kind of fault.
type Kind uint8

// The kinds of fault; see the package documentation.
const (
	WriteError Kind = iota + 1
	NoSpace
	SyncError
	AppliedButFailed
	TornBatch
	BitFlip
	Truncation
	SwappedValues
)

var kindNames = [...]string{
	WriteError: "write-error", NoSpace: "no-space", SyncError: "sync-error", AppliedButFailed: "applied-but-failed",
	TornBatch: "torn-batch", BitFlip: "bit-flip", Truncation: "truncation", SwappedValues: "swapped-values",
}

// Kinds returns every kind of fault.
func Kinds() []Kind {
	return []Kind{WriteError, NoSpace, SyncError, AppliedButFailed, TornBatch, BitFlip, Truncation, SwappedValues}
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// FailsCommit reports whether k fails the commit it strikes, which must stop the
// journal, rather than damaging values the commit stored.
func (k Kind) FailsCommit() bool { return k >= WriteError && k <= TornBatch }

// ErrInjected is wrapped by every error this package injects.
var ErrInjected = errors.New("faultjournal: injected fault")

// Fault is one fault to inject.
type Fault struct {
	Kind Kind
	// At is the commit (transaction) the fault strikes, counted from 1 on the journal
	// it wraps. A damage kind strikes the first commit from At on that leaves a value to
	// damage.
	At int64
	// Seed drives the fault's own choices.
	Seed int64
}

func (f Fault) String() string { return fmt.Sprintf("%v at commit %d, seed %d", f.Kind, f.At, f.Seed) }

// FromSeed derives a fault from seed: of kind k (any kind when k is 0), striking one
// of the commits 1 to maxAt. The same arguments give the same fault.
func FromSeed(seed int64, k Kind, maxAt int64) Fault {
	r := rand.New(rand.NewPCG(uint64(seed), 0x6661756c74))
	if k == 0 {
		kinds := Kinds()
		k = kinds[r.IntN(len(kinds))]
	}
	return Fault{Kind: k, At: 1 + r.Int64N(max(maxAt, 1)), Seed: seed}
}

// Strike is what a fault did.
type Strike struct {
	Fault
	// Commit is the commit it struck.
	Commit int64
	// Instances are those whose appends the struck commit held.
	Instances []string
	// Err is the error the commit reported, for kinds that fail it.
	Err error
	// Landed and Writes: of the torn commit's Writes writes, Landed reached the database.
	Landed, Writes int
	// Damaged are the instances whose values were damaged, the one chosen first, and
	// Keys the damaged keys, quoted.
	Damaged []string
	Keys    []string
}

// Journal is a Badger journal with a fault armed. Use it as the journal itself.
type Journal struct {
	*badgerjournal.Journal
	fault Fault

	// The commit goroutine's alone:
	commits int64
	fired   bool
	seen    []string // instances of earlier commits, in order of first sight
	known   map[string]bool

	mu     sync.Mutex
	struck *Strike

	hold atomic.Pointer[hold]
}

type hold struct {
	held, release chan struct{}
}

// Wrap arms f on j; it may be called at any time, and counts commits from then on.
// It panics if f is not a valid fault.
func Wrap(j *badgerjournal.Journal, f Fault) *Journal {
	if f.Kind < WriteError || f.Kind > SwappedValues || f.At < 1 {
		panic(fmt.Sprintf("faultjournal: invalid fault %v", f))
	}
	fj := &Journal{Journal: j, fault: f, known: map[string]bool{}}
	faulthook.Install(j, fj.commit)
	return fj
}

// Struck returns what the fault did, or nil while it has not struck.
func (j *Journal) Struck() *Strike {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.struck == nil {
		return nil
	}
	s := *j.struck
	return &s
}

// Hold makes the next commit wait, once it has taken its appends and before it
// writes them, until release is called; held is closed when it starts waiting.
// Appends submitted meanwhile queue up, and the commit after it takes them together,
// as far as the batch caps allow. With it a test decides which appends share a
// commit, so that a seed replays the same commits, and the same fault, every time.
// Calling release again does nothing; calling it before any commit came disarms the
// hold.
func (j *Journal) Hold() (held <-chan struct{}, release func()) {
	h := &hold{held: make(chan struct{}), release: make(chan struct{})}
	j.hold.Store(h)
	var once sync.Once
	return h.held, func() {
		once.Do(func() {
			j.hold.CompareAndSwap(h, nil) // no commit came: hold none later
			close(h.release)
		})
	}
}

// commit runs on the journal's commit goroutine in place of each transaction's commit.
func (j *Journal) commit(c *faulthook.Commit) error {
	if h := j.hold.Swap(nil); h != nil {
		close(h.held)
		<-h.release
	}
	j.commits++
	if j.commits < j.fault.At || j.fired {
		j.see(c.Instances)
		return c.Apply()
	}
	s := &Strike{Fault: j.fault, Commit: j.commits, Instances: slices.Clone(c.Instances)}
	r := rand.New(rand.NewPCG(uint64(j.fault.Seed), uint64(j.commits)))
	db := faulthook.DB(j.Journal)
	switch j.fault.Kind {
	case WriteError:
		s.Err = fmt.Errorf("%w: write to the value log: %w", ErrInjected, syscall.EIO)
	case NoSpace:
		s.Err = fmt.Errorf("%w: write to the value log: %w", ErrInjected, syscall.ENOSPC)
	case SyncError:
		if s.Err = c.Apply(); s.Err == nil {
			s.Err = fmt.Errorf("%w: fsync of the write-ahead log: %w", ErrInjected, syscall.EIO)
		}
	case AppliedButFailed:
		if s.Err = c.Apply(); s.Err == nil {
			s.Err = fmt.Errorf("%w: the commit was applied, then reported as failed", ErrInjected)
		}
	case TornBatch:
		s.Writes = len(c.Writes)
		if s.Landed, s.Err = tear(db, c.Writes, r); s.Err == nil {
			s.Err = fmt.Errorf("%w: torn write, %d of %d writes landed: %w", ErrInjected, s.Landed, s.Writes, syscall.EIO)
		}
	default:
		if err := c.Apply(); err != nil {
			return err // not struck: the journal failed by itself
		}
		j.see(c.Instances)
		ok, err := j.damage(db, s, r)
		if err != nil {
			// The hook cannot fail a commit that succeeded, and a test must not pass
			// because its fault silently did nothing.
			panic(fmt.Sprintf("faultjournal: %v: %v", j.fault, err))
		}
		if !ok {
			return nil // nothing to damage yet: try the next commit
		}
	}
	j.see(c.Instances)
	j.fired = true
	j.mu.Lock()
	j.struck = s
	j.mu.Unlock()
	return s.Err
}

func (j *Journal) see(ids []string) {
	for _, id := range ids {
		if !j.known[id] {
			j.known[id] = true
			j.seen = append(j.seen, id)
		}
	}
}

// tear writes some of writes, at least one and not all when there are two or more,
// chosen by r, in one transaction of their own: what reached the disk of a transaction
// that was cut short.
func tear(db *badger.DB, writes []faulthook.Write, r *rand.Rand) (int, error) {
	n := 0
	if len(writes) > 1 {
		n = 1 + r.IntN(len(writes)-1)
	}
	order := r.Perm(len(writes))[:n]
	slices.Sort(order) // the landed writes keep the journal's order, which matters for a key set twice
	err := db.Update(func(txn *badger.Txn) error {
		for _, i := range order {
			w := writes[i]
			var err error
			if w.Delete {
				err = txn.Delete(w.Key)
			} else {
				err = txn.Set(w.Key, w.Value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// damage damages a value Load reads for one of the struck commit's instances; it
// reports false when none of them has one (all deleted, say).
func (j *Journal) damage(db *badger.DB, s *Strike, r *rand.Rand) (bool, error) {
	var done bool
	err := db.Update(func(txn *badger.Txn) error {
		id, keys, err := pick(txn, s.Instances, r)
		if err != nil || id == "" {
			return err
		}
		key := keys[r.IntN(len(keys))]
		v, err := value(txn, key)
		if err != nil {
			return err
		}
		s.Damaged, s.Keys = []string{id}, []string{fmt.Sprintf("%q", key)}
		switch j.fault.Kind {
		case BitFlip:
			bit := r.IntN(8 * len(v))
			v[bit/8] ^= 1 << (bit % 8)
		case Truncation:
			v = v[:r.IntN(len(v))]
		case SwappedValues:
			other, otherKey, err := j.partner(txn, id, key, r)
			if err != nil || other == "" {
				return err
			}
			w, err := value(txn, otherKey)
			if err != nil {
				return err
			}
			if err := txn.Set(otherKey, v); err != nil {
				return err
			}
			v = w
			s.Damaged = append(s.Damaged, other)
			s.Keys = append(s.Keys, fmt.Sprintf("%q", otherKey))
		}
		done = true
		return txn.Set(key, v)
	})
	return done, err
}

// pick chooses, among ids, an instance that has values Load reads, and returns them.
func pick(txn *badger.Txn, ids []string, r *rand.Rand) (string, [][]byte, error) {
	for _, i := range r.Perm(len(ids)) {
		keys, err := faulthook.ValueKeys(txn, ids[i])
		if err == nil && len(keys) > 0 {
			return ids[i], keys, nil
		}
	}
	return "", nil, nil
}

// partner chooses the value that key of instance id trades places with: one of
// another instance, of the same kind as key's where it can (a row for a row, a
// history chunk for a chunk), which only a checksum bound to its key can tell apart.
func (j *Journal) partner(txn *badger.Txn, id string, key []byte, r *rand.Rand) (string, []byte, error) {
	var fallback string
	var fallbackKey []byte
	for _, i := range r.Perm(len(j.seen)) {
		other := j.seen[i]
		if other == id {
			continue
		}
		keys, err := faulthook.ValueKeys(txn, other)
		if err != nil || len(keys) == 0 {
			continue
		}
		for _, k := range keys {
			if bytes.Equal(k[:2], key[:2]) {
				return other, k, nil
			}
		}
		if fallback == "" {
			fallback, fallbackKey = other, keys[r.IntN(len(keys))]
		}
	}
	return fallback, fallbackKey, nil
}

func value(txn *badger.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}
