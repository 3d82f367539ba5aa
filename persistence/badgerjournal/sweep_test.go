package badgerjournal_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// The checksum sweep damages the values of a real journal on disk, one fault at a
// time, many thousand times, and checks that every fault is caught: each read that
// touches a damaged value reports a *persistence.CorruptionError naming its instance
// (a scan skips the entry and logs that error), every other read returns exactly what
// it returned before the damage, and other instances keep serving. The journal is
// built once; each trial damages values through Badger, reads, and puts the values
// back.
//
// Replay a failing run with the seed it prints:
//
//	go test -race -run TestChecksumSweep ./persistence/badgerjournal/ -sweep.seed 12345
//
// (or BADGERJOURNAL_SWEEP_SEED=12345); -sweep.trials sets how many trials run.
var (
	sweepSeed   = flag.Int64("sweep.seed", 0, "seed of the checksum sweep (also: BADGERJOURNAL_SWEEP_SEED); 0 draws one")
	sweepTrials = flag.Int("sweep.trials", 0, "trials of the checksum sweep (default 10,000; 2,000 with -short or -race)")
)

func sweepSeedFor(t *testing.T) int64 {
	if *sweepSeed != 0 {
		return *sweepSeed
	}
	if s := os.Getenv("BADGERJOURNAL_SWEEP_SEED"); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("BADGERJOURNAL_SWEEP_SEED=%q: %v", s, err)
		}
		return seed
	}
	return rand.Int64N(1 << 53)
}

type damageKind int

const (
	damageFlip damageKind = iota
	damageTruncate
	damageSwap
	numDamageKinds
)

var damageNames = [...]string{damageFlip: "bit flip", damageTruncate: "truncation", damageSwap: "swap"}

func TestChecksumSweep(t *testing.T) {
	seed := sweepSeedFor(t)
	trials := *sweepTrials
	if trials <= 0 {
		trials = 10_000
		if testing.Short() || raceEnabled {
			trials = 2_000
		}
	}
	t.Logf("seed %d; replay: go test -race -run TestChecksumSweep ./persistence/badgerjournal/ -sweep.seed %d", seed, seed)
	r := rand.New(rand.NewPCG(uint64(seed), 0x7377656570))

	logs := &corruptionLog{}
	j := open(t, badgerjournal.Config{
		Dir: t.TempDir(), Logger: slog.New(logs), GCInterval: -1,
		MemTableSize: 8 << 20, MaxBatchBytes: 256 << 10, BlockCacheSize: 4 << 20,
		// Small limits, so that the workload has payloads and histories both in rows
		// and under keys of their own.
		MaxInlinePayload: 256, MaxInlineHistory: 1024,
	})
	s := &sweep{t: t, ctx: t.Context(), j: j, logs: logs}
	ids := buildSweepJournal(t, j, r)
	s.ids = ids
	s.base = s.snapshot()
	s.keys = s.damageableKeys()
	s.describeJournal()

	start := time.Now()
	var counts [numDamageKinds]int
	detected, failed := 0, 0
	var prev []*fault
	for n := 0; n < trials; {
		round := s.pickRound(r, n, min(roundSize, trials-n))
		// One transaction puts the last round's values back and damages this round's:
		// a sync per round rather than two per fault.
		writes := map[string][]byte{}
		for _, f := range prev {
			for k := range f.damaged {
				writes[k] = s.original(k)
			}
		}
		for _, f := range round {
			maps.Copy(writes, f.damaged)
		}
		s.write(writes)
		s.checkRound(round, r)
		for _, f := range round {
			counts[f.kind]++
			if f.ok {
				detected++
			} else if failed++; failed >= 20 {
				t.Fatalf("stopping after %d undetected faults", failed)
			}
		}
		n += len(round)
		prev = round
		// The damage must be gone once put back, or later trials test nothing.
		if n%2000 < len(round) || n == trials {
			restore := map[string][]byte{}
			for _, f := range prev {
				for k := range f.damaged {
					restore[k] = s.original(k)
				}
			}
			s.write(restore)
			prev = nil
			s.checkBaseline(fmt.Sprintf("after trial %d", n))
		}
	}
	elapsed := time.Since(start)
	t.Logf("%d trials in %v (%d bit flips, %d truncations, %d swaps): %d detected, %d not (%.2f%%); %d keys, %d instances",
		trials, elapsed.Round(time.Millisecond), counts[damageFlip], counts[damageTruncate], counts[damageSwap],
		detected, failed, 100*float64(detected)/float64(trials), len(s.keys), len(ids))
	if detected != trials {
		t.Errorf("%d of %d faults were not detected; replay with -sweep.seed %d", trials-detected, trials, seed)
	}
}

// TestLayoutStampDamage damages m/format, the one value without a checksum, every way
// the sweep damages values: each flip of its bits, a cut to nothing, and a value of
// another key in its place. Open must refuse the database with a typed error, naming
// a layout that was (ErrLayout) or the damage (ErrDamaged), and never open it.
func TestLayoutStampDamage(t *testing.T) {
	values := func(keys ...[]byte) [][]byte {
		j := open(t, badgerjournal.Config{Dir: t.TempDir(), GCInterval: -1})
		mustAppend(t, j, newInstance("a", event(1, `"x"`)))
		var vs [][]byte
		if err := j.DB().View(func(txn *badger.Txn) error {
			for _, k := range keys {
				item, err := txn.Get(k)
				if err != nil {
					return err
				}
				v, err := item.ValueCopy(nil)
				if err != nil {
					return err
				}
				vs = append(vs, v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return vs
	}
	vs := values(badgerjournal.FormatKey, badgerjournal.RowKey("a"))
	good := vs[0]
	damages := map[string][]byte{"cut to nothing": {}, "a row's value in its place": vs[1]}
	for bit := range 8 * len(good) {
		v := bytes.Clone(good)
		v[bit/8] ^= 1 << (bit % 8)
		damages[fmt.Sprintf("bit %d flipped", bit)] = v
	}
	for name, damaged := range damages {
		dir := t.TempDir()
		j, err := badgerjournal.Open(badgerjournal.Config{Dir: dir, GCInterval: -1, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, j, newInstance("a", event(1, `"x"`)))
		if err := j.DB().Update(func(txn *badger.Txn) error { return txn.Set(badgerjournal.FormatKey, damaged) }); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		j, err = badgerjournal.Open(badgerjournal.Config{Dir: dir, GCInterval: -1, Logger: testLogger(t)})
		if err == nil {
			j.Close()
			t.Errorf("%s: a journal with layout stamp %q opened", name, damaged)
			continue
		}
		if !errors.Is(err, badgerjournal.ErrLayout) && !errors.Is(err, badgerjournal.ErrDamaged) {
			t.Errorf("%s: Open: %v; want ErrLayout or ErrDamaged", name, err)
		}
	}
}

// roundSize is how many faults are in the journal at once. They strike distinct
// instances, so each is checked as if it were alone, and a round costs one
// transaction and one pass over the scans.
const roundSize = 16

// fault is one trial: the values it damaged, and whether it was detected.
type fault struct {
	n       int
	kind    damageKind
	what    string
	damaged map[string][]byte // key -> damaged value
	owners  []string
	ok      bool
}

// sweep is the journal under test and what it held before any damage.
type sweep struct {
	t    *testing.T
	ctx  context.Context
	j    *badgerjournal.Journal
	logs *corruptionLog
	ids  []string
	base snapshotView
	keys []storedKey
	// failures counts reported failures, to keep a bad run's output readable.
	failures int
}

// storedKey is a key whose value can be damaged, and the instance it belongs to.
type storedKey struct {
	key   []byte
	tag   string
	owner string
	value []byte
}

// snapshotView renders every read of every instance, and the scans, as text: a
// damaged value that a read returns as if it were good shows up as a difference.
type snapshotView struct {
	reads   map[string]map[string]string // instance, read -> rendering
	chunks  map[string][]int             // instance -> first sequence numbers of its h/ chunks
	timers  []keyed                      // in scan order
	outbox  []keyed
	recover []string
}

type keyed struct {
	key, text string
}

const (
	readLoad        = "Load"
	readGet         = "Get"
	readGetPayloads = "Get with payloads"
	readHistory     = "History"
	readList        = "List"
	readListPayload = "List with payloads"
)

var pointReads = []string{readLoad, readGet, readGetPayloads, readHistory, readList, readListPayload}

// read performs one read of instance id and renders it; a CorruptionError is
// returned as such, and a listing that leaves the instance out renders as "absent".
func (s *sweep) read(id, what string) (string, error) {
	render := func(v any, err error) (string, error) {
		if err != nil {
			return "", err
		}
		return string(appendRendered(nil, v)), nil
	}
	switch what {
	case readLoad:
		inst, events, err := s.j.Load(s.ctx, id)
		return render([]any{inst, events}, err)
	case readGet, readGetPayloads:
		inst, err := s.j.Get(s.ctx, id, what == readGetPayloads)
		return render(inst, err)
	case readHistory:
		events, err := s.j.History(s.ctx, id, 0)
		return render(events, err)
	case readList, readListPayload:
		page, _, err := s.j.List(s.ctx, persistence.Query{
			Entities: strings.HasPrefix(id, "@"), IDPrefix: id, WithPayloads: what == readListPayload, PageSize: 5,
		})
		if err != nil {
			return "", err
		}
		// Ids are all of one length, so the prefix selects id alone.
		if len(page) == 0 {
			return "absent", nil
		}
		return render(page, nil)
	}
	if from, ok := strings.CutPrefix(what, "History from "); ok {
		n, _ := strconv.Atoi(from)
		events, err := s.j.History(s.ctx, id, n)
		return render(events, err)
	}
	panic("unknown read " + what)
}

func historyFrom(seq int) string { return fmt.Sprintf("History from %d", seq) }

func (s *sweep) snapshot() snapshotView {
	t := s.t
	t.Helper()
	v := snapshotView{reads: map[string]map[string]string{}, chunks: map[string][]int{}}
	err := s.j.DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(badgerjournal.HistoryTag)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			_, owner := ownerOf(k)
			v.chunks[owner] = append(v.chunks[owner], int(readSeq(k)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range s.ids {
		v.reads[id] = map[string]string{}
		reads := slices.Clone(pointReads)
		for _, seq := range v.chunks[id] {
			reads = append(reads, historyFrom(seq))
		}
		for _, what := range reads {
			got, err := s.read(id, what)
			if err != nil {
				t.Fatalf("%s of %s before any damage: %v", what, id, err)
			}
			v.reads[id][what] = got
		}
	}
	v.timers, v.outbox, v.recover = s.scans()
	if n := s.logs.take(); len(n) != 0 {
		t.Fatalf("the undamaged journal logged corruptions: %v", n)
	}
	return v
}

// scans reads every due timer, the outbox and the recovery marks, keyed by where the
// journal stores them.
func (s *sweep) scans() (timers, outbox []keyed, recoverable []string) {
	t := s.t
	t.Helper()
	due, err := s.j.Timers(s.ctx, sweepEpoch.AddDate(100, 0, 0), 0)
	if err != nil {
		t.Fatalf("Timers: %v", err)
	}
	for _, tm := range due {
		b := appendRendered(nil, tm)
		timers = append(timers, keyed{string(badgerjournal.TimerKey(tm.InstanceID, tm.FireAt, tm.ID)), string(b)})
	}
	if err := s.j.Outbox(s.ctx, func(m persistence.Message) error {
		b := appendRendered(nil, m)
		outbox = append(outbox, keyed{string(badgerjournal.OutboxKey(m.From, m.ID)), string(b)})
		return nil
	}); err != nil {
		t.Fatalf("Outbox: %v", err)
	}
	if err := s.j.Recoverable(s.ctx, func(id string) error {
		recoverable = append(recoverable, id)
		return nil
	}); err != nil {
		t.Fatalf("Recoverable: %v", err)
	}
	return timers, outbox, recoverable
}

// checkBaseline compares every read with the snapshot taken before any damage.
func (s *sweep) checkBaseline(when string) {
	t := s.t
	t.Helper()
	now := s.snapshot()
	for _, id := range s.ids {
		for what, want := range s.base.reads[id] {
			if got := now.reads[id][what]; got != want {
				t.Fatalf("%s: %s of %s changed:\n%s\nwant\n%s", when, what, id, got, want)
			}
		}
	}
	if !slices.Equal(now.timers, s.base.timers) || !slices.Equal(now.outbox, s.base.outbox) ||
		!slices.Equal(now.recover, s.base.recover) {
		t.Fatalf("%s: timers, outbox or recovery marks changed", when)
	}
}

// damageableKeys lists every stored key with a value, with its value. Recovery marks
// and timer index keys are stored with empty values (their presence is what they say),
// so they hold no bit to flip and nothing to cut; m/format is read only by Open, and
// TestLayoutStampDamage damages it.
func (s *sweep) damageableKeys() []storedKey {
	var keys []storedKey
	err := s.j.DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := item.KeyCopy(nil)
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			tag, owner := ownerOf(k)
			if len(v) == 0 || bytes.Equal(k, badgerjournal.FormatKey) {
				continue
			}
			if owner == "" {
				return fmt.Errorf("key %q belongs to no instance", k)
			}
			keys = append(keys, storedKey{key: k, tag: tag, owner: owner, value: v})
		}
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return keys
}

func (s *sweep) describeJournal() {
	tags := map[string]int{}
	for _, k := range s.keys {
		tags[k.tag]++
	}
	s.t.Logf("journal: %d instances, %d values by tag %v, %d timers, %d messages, %d recovery marks",
		len(s.ids), len(s.keys), tags, len(s.base.timers), len(s.base.outbox), len(s.base.recover))
	for _, tag := range []string{"i/", "p/", "h/", "t/", "o/"} {
		if tags[tag] == 0 {
			s.t.Fatalf("the journal has no %s values to damage", tag)
		}
	}
}

// ownerOf returns a key's tag and the instance it belongs to (see keys.go).
func ownerOf(k []byte) (tag, id string) {
	if len(k) < 2 {
		return "", ""
	}
	tag, rest := string(k[:2]), k[2:]
	switch tag {
	case "i/", "r/":
		return tag, string(rest)
	case "t/":
		if len(rest) < 8 {
			return tag, ""
		}
		rest = rest[8:]
	case "p/", "h/", "o/", "u/":
	default:
		return tag, ""
	}
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		return tag, string(rest[:i])
	}
	return tag, ""
}

// readSeq is the number that ends an h/ or o/ key.
func readSeq(k []byte) int64 { return int64(binary.BigEndian.Uint64(k[len(k)-8:]) ^ (1 << 63)) }

// pickRound chooses up to size faults, each on instances no other fault of the
// round touches.
func (s *sweep) pickRound(r *rand.Rand, first, size int) []*fault {
	used := map[string]bool{}
	var round []*fault
	for tries := 0; len(round) < size && tries < 10*size; tries++ {
		kind := damageKind(r.IntN(int(numDamageKinds)))
		a := s.keys[r.IntN(len(s.keys))]
		if used[a.owner] {
			continue
		}
		f := &fault{n: first + len(round), kind: kind, damaged: map[string][]byte{}, owners: []string{a.owner}, ok: true}
		switch kind {
		case damageFlip:
			v := bytes.Clone(a.value)
			bit := r.IntN(8 * len(v))
			v[bit/8] ^= 1 << (bit % 8)
			f.damaged[string(a.key)] = v
			f.what = fmt.Sprintf("bit %d of %d flipped in %q", bit, 8*len(v), a.key)
		case damageTruncate:
			cut := r.IntN(len(a.value))
			f.damaged[string(a.key)] = a.value[:cut]
			f.what = fmt.Sprintf("%q cut from %d to %d bytes", a.key, len(a.value), cut)
		case damageSwap:
			b := s.partner(a, r, used)
			f.damaged[string(a.key)], f.damaged[string(b.key)] = b.value, a.value
			f.what = fmt.Sprintf("values of %q and %q swapped", a.key, b.key)
			if b.owner != a.owner {
				f.owners = append(f.owners, b.owner)
			}
		}
		for _, o := range f.owners {
			used[o] = true
		}
		round = append(round, f)
	}
	return round
}

func (f *fault) fail(s *sweep, format string, args ...any) {
	f.ok = false
	s.failures++
	if s.failures <= 20 {
		s.t.Errorf("trial %d (%s, %s): %s", f.n, damageNames[f.kind], f.what, shorten(fmt.Sprintf(format, args...)))
	}
}

// checkRound checks every read of the round's damaged instances, the scans, and a
// sample of the other instances.
func (s *sweep) checkRound(round []*fault, r *rand.Rand) {
	s.logs.take()
	damagedOwner := map[string]bool{}
	var timerKeys, outboxKeys []string
	for _, f := range round {
		for _, o := range f.owners {
			damagedOwner[o] = true
		}
		mustFail := s.mustFail(f)
		for k := range f.damaged {
			switch tag, _ := ownerOf([]byte(k)); tag {
			case "t/":
				timerKeys = append(timerKeys, k)
			case "o/":
				outboxKeys = append(outboxKeys, k)
			}
		}
		// The damaged instances: every read fails as it must, or returns what it did.
		for _, owner := range f.owners {
			m := mustFail[owner]
			for _, what := range s.readsToCheck(f, owner, r) {
				want := s.base.reads[owner][what]
				got, err := s.read(owner, what)
				logged := s.logs.take()
				switch {
				case !m[what]:
					if err != nil || got != want {
						f.fail(s, "%s of %s, which does not read the damaged value: %v %s; want %s", what, owner, err, got, want)
					}
				case what == readList || what == readListPayload:
					if err != nil || got != "absent" || !slices.Contains(logged, owner) {
						f.fail(s, "%s of damaged %s: %v %s, logged %v; want it skipped and logged as corrupt", what, owner, err, got, logged)
					}
				default:
					if c := (*persistence.CorruptionError)(nil); !errors.As(err, &c) || c.InstanceID != owner {
						f.fail(s, "%s of damaged %s: %v %s; want a CorruptionError naming it", what, owner, err, got)
					}
				}
			}
		}
	}

	// Scans: damaged entries are skipped and logged; everything else is as before.
	timers, outbox, recoverable := s.scans()
	logged := s.logs.take()
	for _, c := range []struct {
		name      string
		got, base []keyed
		damaged   []string
	}{{"Timers", timers, s.base.timers, timerKeys}, {"Outbox", outbox, s.base.outbox, outboxKeys}} {
		want := slices.DeleteFunc(slices.Clone(c.base), func(e keyed) bool { return slices.Contains(c.damaged, e.key) })
		for _, f := range round {
			scanned := false
			for k := range f.damaged {
				if !slices.Contains(c.damaged, k) {
					continue
				}
				scanned = true
				if _, owner := ownerOf([]byte(k)); !slices.Contains(logged, owner) {
					f.fail(s, "%s did not log the corruption of %s's %q (logged %v)", c.name, owner, k, logged)
				}
			}
			// A wrong scan is charged to the faults it should have skipped, or to all.
			if !slices.Equal(c.got, want) && (scanned || len(c.damaged) == 0) {
				f.fail(s, "%s returned %d entries, want the %d undamaged ones of %d, as before", c.name, len(c.got), len(want), len(c.base))
			}
		}
	}
	if !slices.Equal(recoverable, s.base.recover) {
		for _, f := range round {
			f.fail(s, "Recoverable returned %v, want %v", recoverable, s.base.recover)
		}
	}

	// A sample of the other instances keeps serving.
	for range 2 {
		id := s.ids[r.IntN(len(s.ids))]
		if damagedOwner[id] {
			continue
		}
		for _, what := range []string{readLoad, readGetPayloads} {
			if got, err := s.read(id, what); err != nil || got != s.base.reads[id][what] {
				for _, f := range round {
					f.fail(s, "%s of undamaged %s: %v %s; want %s", what, id, err, got, s.base.reads[id][what])
				}
			}
		}
	}
}

// readsToCheck picks the reads of a damaged instance to check: every point read,
// and, of the reads from a chunk of a spilled history on, the one from each damaged
// chunk, the one from the chunk after it, which must not see the damage, and one at
// random. Reading from every chunk would cost the square of their number.
func (s *sweep) readsToCheck(f *fault, owner string, r *rand.Rand) []string {
	reads := slices.Clone(pointReads)
	chunks := s.base.chunks[owner]
	if len(chunks) == 0 {
		return reads
	}
	reads = append(reads, historyFrom(chunks[r.IntN(len(chunks))]))
	for k := range f.damaged {
		if tag, o := ownerOf([]byte(k)); tag != "h/" || o != owner {
			continue
		}
		i := slices.Index(chunks, int(readSeq([]byte(k))))
		reads = append(reads, historyFrom(chunks[i]))
		if i+1 < len(chunks) {
			reads = append(reads, historyFrom(chunks[i+1]))
		}
	}
	return reads
}

// mustFail says which reads of which instances read a value f damaged. Scans are
// checked apart.
func (s *sweep) mustFail(f *fault) map[string]map[string]bool {
	mustFail := map[string]map[string]bool{}
	for _, o := range f.owners {
		mustFail[o] = map[string]bool{}
	}
	for k := range f.damaged {
		tag, owner := ownerOf([]byte(k))
		m := mustFail[owner]
		switch tag {
		case "i/":
			for _, rd := range pointReads {
				m[rd] = true
			}
			for _, seq := range s.base.chunks[owner] {
				m[historyFrom(seq)] = true
			}
		case "p/":
			m[readLoad], m[readGetPayloads], m[readListPayload] = true, true, true
		case "h/":
			// A read from a chunk on reads every later chunk, to check that none is lost.
			m[readLoad], m[readHistory] = true, true
			for _, seq := range s.base.chunks[owner] {
				if seq <= int(readSeq([]byte(k))) {
					m[historyFrom(seq)] = true
				}
			}
		}
	}
	return mustFail
}

// partner picks the value that a's trades places with: half the time one of the same
// instance, else one of another instance, of the same kind as a's where one exists
// half of that time.
func (s *sweep) partner(a storedKey, r *rand.Rand, used map[string]bool) storedKey {
	var same, kind, others []storedKey
	for _, k := range s.keys {
		switch {
		case bytes.Equal(k.key, a.key) || bytes.Equal(k.value, a.value) || used[k.owner]:
		case k.owner == a.owner:
			same = append(same, k)
		case k.tag == a.tag:
			kind = append(kind, k)
			others = append(others, k)
		default:
			others = append(others, k)
		}
	}
	for _, pool := range [][]storedKey{same, kind, others} {
		if len(pool) > 0 && r.IntN(2) == 0 {
			return pool[r.IntN(len(pool))]
		}
	}
	return others[r.IntN(len(others))]
}

// write stores values under keys, as damage would leave them. Badger has no API to
// damage a value in place, so a transaction writes it: the journal's reads cannot
// tell the difference.
func (s *sweep) write(values map[string][]byte) {
	err := s.j.DB().Update(func(txn *badger.Txn) error {
		for k, v := range values {
			if err := txn.Set([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

// original is the undamaged value of key.
func (s *sweep) original(key string) []byte {
	i := slices.IndexFunc(s.keys, func(sk storedKey) bool { return string(sk.key) == key })
	return s.keys[i].value
}

// appendRendered renders what the journal's reads return, every field of it. It is
// written out rather than left to encoding/json because the sweep renders some
// million values, and under the race detector reflection would dominate its time.
func appendRendered(b []byte, v any) []byte {
	// Length-prefixed, so that no two different values render alike.
	str := func(b []byte, s string) []byte {
		return append(append(strconv.AppendInt(b, int64(len(s)), 10), ':'), s...)
	}
	num := func(b []byte, n int64) []byte { return append(strconv.AppendInt(b, n, 10), ' ') }
	tm := func(b []byte, t time.Time) []byte { return append(t.AppendFormat(b, time.RFC3339Nano), ' ') }
	var failure func(b []byte, f *history.Failure) []byte
	failure = func(b []byte, f *history.Failure) []byte {
		if f == nil {
			return append(b, "nofailure "...)
		}
		b = str(str(str(b, f.ErrorType), f.Message), f.Stack)
		b = strconv.AppendBool(b, f.NonRetriable)
		return failure(append(b, " inner:"...), f.Inner)
	}
	parent := func(b []byte, p *history.ParentRef) []byte {
		if p == nil {
			return append(b, "noparent "...)
		}
		return num(str(str(str(b, p.InstanceID), p.ExecutionID), p.Name), p.TaskID)
	}
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			b = append(appendRendered(b, e), '\n')
		}
	case *persistence.Instance:
		if v == nil {
			return append(b, "nil"...)
		}
		b = str(str(str(b, v.ID), v.Name), v.ExecutionID)
		b = tm(tm(num(b, int64(v.Status)), v.CreatedAt), v.UpdatedAt)
		b = str(str(str(b, string(v.CustomStatus)), string(v.Input)), string(v.Output))
		b = failure(parent(b, v.Parent), v.Failure)
		b = num(num(b, int64(v.Version)), int64(v.HistoryLen))
	case []*persistence.Instance:
		for _, in := range v {
			b = append(appendRendered(b, in), '\n')
		}
	case []history.Event:
		b = num(b, int64(len(v)))
		for i := range v {
			e := &v[i]
			b = tm(num(append(b, '\n'), int64(e.Type)), e.Time)
			b = num(num(b, e.ID), e.TaskID)
			b = str(str(str(b, e.Name), e.InstanceID), e.ExecutionID)
			b = str(str(b, string(e.Input)), string(e.Result))
			b = failure(b, e.Failure)
			b = num(tm(b, e.FireAt), int64(e.Status))
			b = parent(b, e.Parent)
		}
	case persistence.Timer:
		b = num(str(str(b, v.InstanceID), v.ExecutionID), v.ID)
		b = str(tm(b, v.FireAt), string(v.Payload))
	case persistence.Message:
		b = num(str(b, v.From), v.ID)
		b = str(str(b, v.To), string(v.Payload))
	default:
		panic(fmt.Sprintf("cannot render %T", v))
	}
	return b
}

// shorten keeps a failure's renderings readable.
func shorten(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// corruptionLog records the instances of the corrupt entries the journal logged.
type corruptionLog struct {
	mu  sync.Mutex
	ids []string
}

func (l *corruptionLog) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}

func (l *corruptionLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "journal skipped a corrupt entry" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "instance" {
			l.mu.Lock()
			l.ids = append(l.ids, a.Value.String())
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

func (l *corruptionLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *corruptionLog) WithGroup(string) slog.Handler      { return l }

// take returns the instances logged since the last take.
func (l *corruptionLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := l.ids
	l.ids = nil
	return ids
}

var sweepEpoch = time.Date(2032, 3, 4, 5, 6, 7, 8000, time.UTC)

// buildSweepJournal fills j with a mix of instances like the runtime's: orchestrations
// with small and large inputs and outputs, short histories kept in their rows and long
// ones spilled to chunks, continued-as-new executions, timers (more than a row lists,
// for some), outbound messages, recovery marks, finished and failed ones,
// sub-orchestrations; and entities whose state is their output, some of which
// schedule signals to other entities. It returns the instance ids, all of one length.
func buildSweepJournal(t *testing.T, j *badgerjournal.Journal, r *rand.Rand) []string {
	t.Helper()
	ctx := t.Context()
	var ids []string
	for i := range 48 {
		ids = append(ids, fmt.Sprintf("orch-%04d", i))
	}
	for i := range 16 {
		ids = append(ids, fmt.Sprintf("@ctr@%04d", i))
	}
	version := map[string]uint64{}
	events := map[string]int{}
	timerID := map[string]int64{}
	msgID := map[string]int64{}
	appendB := func(b *persistence.Batch) {
		t.Helper()
		b.ExpectedVersion = version[b.InstanceID]
		if err := persistence.AppendSync(ctx, j, b); err != nil {
			t.Fatalf("append to %s: %v", b.InstanceID, err)
		}
		version[b.InstanceID]++
	}
	payload := func(id, what string) []byte {
		size := r.IntN(120) // inline
		if r.IntN(2) == 0 {
			size = 300 + r.IntN(3000) // under a key of its own
		}
		return fmt.Appendf(nil, `{"id":%q,"what":%q,"pad":%q}`, id, what, strings.Repeat("p", size))
	}
	newEvents := func(id, x string, n int) []history.Event {
		evs := make([]history.Event, n)
		for k := range evs {
			events[id]++
			evs[k] = history.Event{
				Type: history.EventTaskScheduled, Time: sweepEpoch.Add(time.Duration(events[id]) * time.Millisecond),
				ID: int64(events[id]), Name: "Activity", ExecutionID: x,
				Input: fmt.Appendf(nil, `{"of":%q,"n":%d,"pad":%q}`, id, events[id], strings.Repeat("e", r.IntN(100))),
			}
		}
		return evs
	}
	timers := func(id, x string, owner string, n int) []persistence.Timer {
		var out []persistence.Timer
		for range n {
			timerID[id]++
			out = append(out, persistence.Timer{
				InstanceID: owner, ExecutionID: x, ID: timerID[id],
				FireAt:  sweepEpoch.Add(time.Duration(r.IntN(100_000)) * time.Second),
				Payload: fmt.Appendf(nil, `{"timer":%d}`, timerID[id]),
			})
		}
		return out
	}
	messages := func(id string, n int) []persistence.Message {
		var out []persistence.Message
		for range n {
			msgID[id]++
			out = append(out, persistence.Message{ID: msgID[id], To: "@ctr@0000", Payload: fmt.Appendf(nil, `{"msg":%d,"from":%q}`, msgID[id], id)})
		}
		return out
	}
	yes, no := true, false

	for i, id := range ids[:48] {
		x := "x1-" + id
		row := &persistence.Instance{
			Name: "Orchestration" + strconv.Itoa(i%5), ExecutionID: x, Status: history.StatusRunning,
			CreatedAt: sweepEpoch.Add(time.Duration(i) * time.Second), UpdatedAt: sweepEpoch.Add(time.Hour),
			CustomStatus: fmt.Appendf(nil, `{"step":%d}`, i),
		}
		if i%7 == 3 {
			row.Parent = &history.ParentRef{InstanceID: ids[i-1], ExecutionID: "x1-" + ids[i-1], TaskID: 4, Name: "Child"}
		}
		appendB(&persistence.Batch{InstanceID: id, Instance: row, SetInput: payload(id, "input"),
			Events: newEvents(id, x, 1+r.IntN(4)), Recover: &yes})
		turns := 1 + r.IntN(5)
		if i%6 == 0 {
			turns += 4 // long histories that spill into several chunks
		}
		var armed []persistence.Timer
		for turn := range turns {
			b := &persistence.Batch{InstanceID: id, Instance: row}
			n := r.IntN(4)
			if r.IntN(4) == 0 {
				n = 10 + r.IntN(20)
			}
			if i%9 == 4 && turn == 1 {
				// A new execution: the history restarts, in the row again.
				b.ResetHistory, x = true, "x2-"+id
				row.ExecutionID = x
				events[id] = 0
			}
			b.Events = newEvents(id, x, n)
			nt := r.IntN(2)
			if i%10 == 5 && turn == 0 {
				nt = badgerjournal.MaxRowTimer + 3 // more than the row lists: u/ index keys
			}
			b.ArmTimers = timers(id, x, "", nt)
			armed = append(armed, b.ArmTimers...)
			if len(armed) > 0 && r.IntN(3) == 0 {
				b.CancelTimers = armed[:1]
				armed = armed[1:]
			}
			b.Send = messages(id, r.IntN(2))
			if msgID[id] > 1 && r.IntN(3) == 0 {
				b.Delivered = []int64{1}
			}
			if r.IntN(3) == 0 {
				b.SetOutput = payload(id, "progress")
			}
			appendB(b)
		}
		switch i % 4 {
		case 0:
			row.Status = history.StatusCompleted
			appendB(&persistence.Batch{InstanceID: id, Instance: row, SetOutput: payload(id, "output"),
				Events: newEvents(id, x, 1), Recover: &no})
		case 1:
			row.Status = history.StatusFailed
			row.Failure = &history.Failure{ErrorType: "*errors.errorString", Message: "activity failed: " + id,
				Inner: &history.Failure{Message: "inner"}}
			appendB(&persistence.Batch{InstanceID: id, Instance: row, Events: newEvents(id, x, 1), Recover: &no})
		}
	}
	for i, id := range ids[48:] {
		row := &persistence.Instance{Name: "counter", Status: history.StatusRunning,
			CreatedAt: sweepEpoch.Add(time.Duration(i) * time.Minute), UpdatedAt: sweepEpoch.Add(2 * time.Hour)}
		appendB(&persistence.Batch{InstanceID: id, Instance: row, SetOutput: payload(id, "state"), Recover: &yes})
		for range 1 + r.IntN(3) {
			b := &persistence.Batch{InstanceID: id, Instance: row, SetOutput: payload(id, "state")}
			if r.IntN(2) == 0 {
				// A scheduled signal to another entity: its timer is filed under the
				// receiver, with a u/ index key.
				other := ids[48+(i+1+r.IntN(15))%16]
				b.ArmTimers = timers(id, "", other, 1)
			}
			b.Send = messages(id, r.IntN(2))
			if r.IntN(2) == 0 {
				b.Recover = &no
			}
			appendB(b)
		}
	}
	return ids
}
