package badgerjournal

import (
	"bytes"
	"encoding/binary"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence"
)

// rowState is an instance's index row as the committer handles it: the msgpack body
// as the caller last set it, and the two numbers every append changes. A row value is
// sealed like every other, but those numbers sit in a fixed-width trailer after the
// body, [format][body][version][history length][crc], so that the committer writes a
// row without encoding or decoding anything.
type rowState struct {
	version    uint64
	historyLen int
	body       []byte // shared and never modified
}

const rowTrailer = 16

func sealRow(st *rowState) []byte {
	b := make([]byte, 0, 1+len(st.body)+rowTrailer+4)
	b = append(b, formatV1)
	b = append(b, st.body...)
	b = binary.BigEndian.AppendUint64(b, st.version)
	b = binary.BigEndian.AppendUint64(b, uint64(st.historyLen))
	return seal(b)
}

func unsealRow(v []byte) (*rowState, error) {
	body, err := unseal(v)
	if err != nil {
		return nil, err
	}
	n := len(body) - rowTrailer
	if n < 0 {
		return nil, errShortValue
	}
	return &rowState{
		body:       bytes.Clone(body[:n]),
		version:    binary.BigEndian.Uint64(body[n:]),
		historyLen: int(binary.BigEndian.Uint64(body[n+8:])),
	}, nil
}

// readRow returns nil, nil for an instance that does not exist.
func readRow(txn *badger.Txn, id string) (*rowState, error) {
	var st *rowState
	found, err := readValue(txn, id, rowKey(id), func(v []byte) (err error) {
		st, err = unsealRow(v)
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

// instance decodes the row of instance id; a body that does not decode is a
// corruption, as a failed checksum is.
func (st *rowState) instance(id string) (*persistence.Instance, error) {
	var r rowRecord
	if err := decodeBody(st.body, &r); err != nil {
		return nil, corruption(id, rowKey(id), err)
	}
	return &persistence.Instance{
		ID: id, Name: r.Name, ExecutionID: r.ExecutionID, Status: r.Status,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CustomStatus: r.CustomStatus,
		Failure: r.Failure, Parent: r.Parent, Version: st.version, HistoryLen: st.historyLen,
	}, nil
}

// rowCache holds the committed rows of recently written instances. The committer is
// the only writer, so what it committed is what the database holds, and it can fence an
// append without reading the row back. Only the commit goroutine uses it.
type rowCache struct {
	rows  map[string]*rowState
	limit int
}

func newRowCache(limit int) *rowCache {
	return &rowCache{rows: make(map[string]*rowState), limit: limit}
}

func (c *rowCache) get(id string) (*rowState, bool) {
	st, ok := c.rows[id]
	return st, ok
}

// put records a committed row; nil forgets a deleted instance. A full cache drops an
// eighth of its entries, whichever the map yields first: instances that are active
// come back with their next append, at the cost of one read.
func (c *rowCache) put(id string, st *rowState) {
	if st == nil {
		delete(c.rows, id)
		return
	}
	if _, ok := c.rows[id]; !ok && len(c.rows) >= c.limit {
		drop := max(c.limit/8, 1)
		for k := range c.rows {
			delete(c.rows, k)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.rows[id] = st
}
