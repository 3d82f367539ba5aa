package badgerjournal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence"
)

// The row value holds everything about an instance that is small and changes with
// most appends, so that a typical append writes its row and nothing else: an entity
// checkpoint stores its state as the output, and a short orchestration keeps its
// input, output and whole history in the row. Rows are rewritten by every append, so
// each part moves out to keys of its own once it is large (Config.MaxInlinePayload,
// Config.MaxInlineHistory) and rewriting it would cost more than the extra key.
//
//	[format 3][flags][version][history length][history generation][body][input][output][history][timers][crc]
//
// version, history length and history generation are uvarints; body (the msgpack rowRecord), input, output
// and history (the encoded events, one after the other) are uvarint-length-prefixed;
// timers is a uvarint count followed by rowTimerSize bytes per timer. The layout is
// binary around the msgpack body so that the committer reads and writes rows without
// msgpack. The CRC covers the whole value: damage anywhere in it, inline payloads and
// history included, makes the row corrupt.
//
// A payload stored under its own key leaves in the row, in its place, the 4-byte
// checksum of that value: a read checks that the value it finds is the one the row was
// written with. A batch is one Badger transaction, so the row and the payload can only
// disagree when a transaction reached the disk in part (a torn write under Badger, or
// a memtable holding part of a failed commit and flushed at Close); without the check
// the row of one batch would be served with the payload of another.
const rowFormat = 3

// rowFormatV2 rows have no history generation: theirs is 0, which is also what every
// chunk written beside them is bound with.
const rowFormatV2 = 2

// Row flags record which keys outside the row exist, so that an append writes and
// deletes only what is there rather than issuing blind deletes.
const (
	// flagInputExternal and flagOutputExternal: the payload lives under its p/ key
	// rather than in the row, which holds its checksum instead.
	flagInputExternal = 1 << iota
	flagOutputExternal
	// flagRecover: the r/ recovery mark is set.
	flagRecover
	// flagHistorySpilled: the history lives in h/ chunks; otherwise all of it is in
	// the row.
	flagHistorySpilled

	knownFlags = flagInputExternal | flagOutputExternal | flagRecover | flagHistorySpilled
)

// rowTimerSize is one timer of the row's list: due time and timer id as they appear in
// the timer's t/ key.
const rowTimerSize = 16

// maxRowTimers bounds the timers a row lists. An instance's own timers are listed in
// its row (which is written anyway) instead of having u/ index keys, until the list is
// full; later ones get index keys.
const maxRowTimers = 16

var errMalformedRow = errors.New("malformed row value")

// rowState is an instance's row: a view of its sealed value, whose slices alias value,
// are shared (with the row cache and Badger) and are never modified; a new row is a
// new value. The committer assembles a new row as a draft rowState, whose slices come
// from the old row and the op, and seals it (sealed), which copies them.
type rowState struct {
	version    uint64
	historyLen int
	// historyGen changes with every reset of the history and is bound into the
	// checksum of each chunk written after it, so that a chunk of an earlier
	// execution, left by a batch that reached the disk in part, does not pass for
	// one of this history.
	historyGen uint32
	flags      byte
	body       []byte // msgpack rowRecord
	input      []byte // inline payloads, empty when absent; or an external one's checksum
	output     []byte
	history    []byte // the encoded events, while the history is not spilled
	timers     []byte // rowTimerSize bytes per timer, in no particular order
	value      []byte

	// moreHistory, in a row being written, are events that follow history.
	moreHistory []byte

	// finished: the body's status is terminal. Known only for rows the committer
	// wrote; it decides whether the row is cached.
	finished bool
	// created is the body's creation time as its c/ key holds it, when createdKnown:
	// for rows the committer wrote, so that an append tells whether the key must move
	// without decoding the body (created.go).
	created      int64
	createdKnown bool
}

// sealed encodes st into a new value of key, the row's, and returns the view of it.
func (st *rowState) sealed(key []byte) *rowState {
	parts := [...][]byte{st.body, st.input, st.output, st.history}
	lens := [len(parts)]int{len(st.body), len(st.input), len(st.output), len(st.history) + len(st.moreHistory)}
	size := 2 + 2*binary.MaxVarintLen64 + (len(parts)+1)*binary.MaxVarintLen32 + len(st.timers) + 4
	for _, n := range lens {
		size += n
	}
	b := make([]byte, 0, size)
	b = append(b, rowFormat, st.flags)
	b = binary.AppendUvarint(b, st.version)
	b = binary.AppendUvarint(b, uint64(st.historyLen))
	b = binary.AppendUvarint(b, uint64(st.historyGen))
	var at [len(parts)]int // where each part starts in b
	for i, p := range parts {
		b = binary.AppendUvarint(b, uint64(lens[i]))
		at[i] = len(b)
		b = append(b, p...)
	}
	b = append(b, st.moreHistory...)
	b = binary.AppendUvarint(b, uint64(len(st.timers)/rowTimerSize))
	timersAt := len(b)
	b = append(b, st.timers...)
	v := seal(key, b)
	part := func(i int) []byte { return v[at[i] : at[i]+lens[i] : at[i]+lens[i]] }
	return &rowState{
		version: st.version, historyLen: st.historyLen, historyGen: st.historyGen, flags: st.flags,
		body: part(0), input: part(1), output: part(2), history: part(3),
		timers: v[timersAt : timersAt+len(st.timers) : timersAt+len(st.timers)], value: v,
		created: st.created, createdKnown: st.createdKnown,
	}
}

// parseRow checks v, the value of row key key, and returns a view of it that aliases v.
func parseRow(key, v []byte) (*rowState, error) {
	b, err := unsealAs(key, v, rowFormat)
	legacy := errors.Is(err, errFormat) && v[0] == rowFormatV2
	if legacy {
		b, err = unsealAs(key, v, rowFormatV2)
	}
	if err != nil {
		return nil, err
	}
	r := rowReader{b: b}
	st := &rowState{value: v, flags: r.byte()}
	st.version = r.uvarint()
	if n := r.uvarint(); n <= math.MaxInt32 {
		st.historyLen = int(n)
	} else {
		r.fail()
	}
	if !legacy {
		if n := r.uvarint(); n <= math.MaxUint32 {
			st.historyGen = uint32(n)
		} else {
			r.fail()
		}
	}
	st.body, st.input, st.output, st.history = r.bytes(), r.bytes(), r.bytes(), r.bytes()
	if n := r.uvarint(); n <= uint64(len(r.b)/rowTimerSize) {
		st.timers = r.take(int(n) * rowTimerSize)
	} else {
		r.fail()
	}
	if r.bad || len(r.b) != 0 || st.flags&^knownFlags != 0 ||
		(st.flags&flagHistorySpilled != 0 && len(st.history) != 0) ||
		(st.flags&flagInputExternal != 0 && len(st.input) != externalSumSize) ||
		(st.flags&flagOutputExternal != 0 && len(st.output) != externalSumSize) {
		return nil, errMalformedRow
	}
	return st, nil
}

// rowReader reads the parts of a row value; a read past its end marks it bad.
type rowReader struct {
	b   []byte
	bad bool
}

func (r *rowReader) fail() { r.bad, r.b = true, nil }

func (r *rowReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *rowReader) uvarint() uint64 {
	n, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[k:]
	return n
}

func (r *rowReader) take(n int) []byte {
	if n > len(r.b) {
		r.fail()
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *rowReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	return r.take(int(n))
}

// readRow returns nil, nil for an instance that does not exist. The row it returns
// owns its value.
func readRow(txn *badger.Txn, id string) (*rowState, error) {
	var st *rowState
	key := rowKey(id)
	found, err := readValue(txn, id, key, func(v []byte) (err error) {
		st, err = parseRow(key, bytes.Clone(v))
		return err
	})
	if !found {
		return nil, err
	}
	return st, nil
}

func mustReadRow(txn *badger.Txn, id string) (*rowState, error) {
	st, err := readRow(txn, id)
	if err == nil && st == nil {
		err = persistence.ErrNotFound
	}
	return st, err
}

// instance decodes the row of instance id, without payloads; a body that does not
// decode is a corruption, as a failed checksum is.
func (st *rowState) instance(id string) (*persistence.Instance, error) {
	var r rowRecord
	if err := decodeBody(st.body, &r); err != nil {
		return nil, corruption(id, rowKey(id), err)
	}
	return &persistence.Instance{
		ID: id, Name: r.Name, ExecutionID: r.ExecutionID, Status: r.Status,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CustomStatus: r.CustomStatus,
		Failure: r.Failure, Parent: r.Parent, OrchestrationVersion: r.Version, Version: st.version, HistoryLen: st.historyLen,
	}, nil
}

// inlinePayloads copies the payloads the row holds into inst; the caller reads the
// external ones.
func (st *rowState) inlinePayloads(inst *persistence.Instance) {
	if len(st.input) > 0 && st.flags&flagInputExternal == 0 {
		inst.Input = bytes.Clone(st.input)
	}
	if len(st.output) > 0 && st.flags&flagOutputExternal == 0 {
		inst.Output = bytes.Clone(st.output)
	}
}

// externalSumSize is the size of the checksum a row holds for an external payload:
// the last four bytes of its sealed value.
const externalSumSize = 4

// externals says which payloads of a row are stored under keys of their own, and what
// checksums their values must carry. It copies them out of the row's value.
type externals struct {
	flags         byte
	input, output [externalSumSize]byte
}

func (st *rowState) externals() externals {
	e := externals{flags: st.flags & (flagInputExternal | flagOutputExternal)}
	copy(e.input[:], st.input)
	copy(e.output[:], st.output)
	return e
}

// hasTimer reports where entry sits in the row's timer list, or -1.
func (st *rowState) hasTimer(entry []byte) int {
	for i := 0; i < len(st.timers); i += rowTimerSize {
		if bytes.Equal(st.timers[i:i+rowTimerSize], entry) {
			return i
		}
	}
	return -1
}

// addTimer lists entry in the row, unless the list is full; it reports whether it did.
func (st *rowState) addTimer(entry []byte) bool {
	if st.hasTimer(entry) >= 0 {
		return true
	}
	if len(st.timers) >= maxRowTimers*rowTimerSize {
		return false
	}
	st.timers = slices.Concat(st.timers, entry)
	return true
}

// removeTimer takes entry off the row's list; it reports whether it was listed.
func (st *rowState) removeTimer(entry []byte) bool {
	i := st.hasTimer(entry)
	if i < 0 {
		return false
	}
	st.timers = slices.Concat(st.timers[:i], st.timers[i+rowTimerSize:])
	return true
}

// rowCache holds the committed rows of recently written instances. The committer is
// the only writer, so what it committed is what the database holds, and it can fence an
// append without reading the row back. Only the commit goroutine uses it. Rows carry
// inline payloads and history, so the cache is bounded in bytes as well as in rows.
type rowCache struct {
	rows             map[string]*rowState
	limit, byteLimit int
	bytes            int
}

// rowCacheBytes bounds the values the row cache holds.
const rowCacheBytes = 64 << 20

// rowOverhead approximates what a cached row costs beyond its value: map entry, id and
// the view's header.
const rowOverhead = 200

func newRowCache(limit int) *rowCache {
	return &rowCache{rows: make(map[string]*rowState), limit: limit, byteLimit: rowCacheBytes}
}

func (c *rowCache) get(id string) (*rowState, bool) {
	st, ok := c.rows[id]
	return st, ok
}

func cost(id string, st *rowState) int { return len(id) + len(st.value) + rowOverhead }

// put records a committed row; nil forgets a deleted instance. When the row would not
// fit, the cache first drops an eighth of its entries, whichever the map yields first,
// until it does: instances that are active come back with their next append, at the
// cost of one read.
func (c *rowCache) put(id string, st *rowState) {
	old, ok := c.rows[id]
	if ok {
		c.bytes -= cost(id, old)
	}
	switch {
	case ok && st != nil && c.bytes+cost(id, st) <= c.byteLimit:
		// The common case, an active instance's next row, in place.
		c.rows[id] = st
		c.bytes += cost(id, st)
		return
	case ok:
		delete(c.rows, id)
	}
	if st == nil {
		return
	}
	for len(c.rows) > 0 && (len(c.rows) >= c.limit || c.bytes+cost(id, st) > c.byteLimit) {
		drop := max(len(c.rows)/8, 1)
		for k, old := range c.rows {
			c.bytes -= cost(k, old)
			delete(c.rows, k)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.rows[id] = st
	c.bytes += cost(id, st)
}
