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
