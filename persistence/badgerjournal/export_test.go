package badgerjournal

import "github.com/dgraph-io/badger/v4"

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
	HistoryTag  = historyTag
	IDPrefix    = idPrefix
	MaxRowTimer = maxRowTimers
)

// SetFreeSpace replaces the free-space probe; call it before the first append.
func (j *Journal) SetFreeSpace(free func(dir string) (int64, error)) { j.space.free = free }

// MinFreeBytes returns the free space the journal insists on.
func (j *Journal) MinFreeBytes() int64 { return j.space.min }
