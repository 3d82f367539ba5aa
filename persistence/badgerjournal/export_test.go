package badgerjournal

import (
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// DB exposes the database, so tests can damage stored values directly.
func (j *Journal) DB() *badger.DB { return j.db }

// Commits returns the number of transactions committed so far.
func (j *Journal) Commits() int64 { return j.commits.Load() }

// Keys returns the number of sets and deletes committed so far.
func (j *Journal) Keys() int64 { return j.keys.Load() }

var (
	RowKey      = rowKey
	HistoryKey  = historyKey
	InputKey    = inputKey
	OutputKey   = outputKey
	RecoverKey  = recoverKey
	TimerKey    = timerKey
	OutboxKey   = outboxKey
	IndexKeyOf  = indexKeyOf
	FormatKey   = formatKey
	CreatedKey  = createdKey
	HistoryTag  = historyTag
	IDPrefix    = idPrefix
	MaxRowTimer = maxRowTimers
)

// SetFreeSpace replaces the free-space probe; call it before the first append.
func (j *Journal) SetFreeSpace(free func(dir string) (int64, error)) { j.space.free = free }

// MinFreeBytes returns the free space the journal insists on.
func (j *Journal) MinFreeBytes() int64 { return j.space.min }

// RowAsFormat2 rewrites v, a row of generation 0, as format 2 wrote it.
func RowAsFormat2(t testing.TB, key, v []byte) []byte {
	st, err := parseRow(key, v)
	if err != nil || st.historyGen != 0 {
		t.Fatalf("RowAsFormat2: %v, generation %d", err, st.historyGen)
	}
	body := v[1 : len(v)-4]
	// body: flags, version, history length, generation (one byte, 0), the rest
	r := rowReader{b: body[1:]}
	r.uvarint()
	r.uvarint()
	at := len(body) - len(r.b)
	out := append([]byte{rowFormatV2}, body[:at]...)
	out = append(out, body[at+1:]...)
	return seal(key, out)
}
