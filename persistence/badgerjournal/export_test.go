package badgerjournal

import "github.com/dgraph-io/badger/v4"

// DB exposes the database, so tests can damage stored values directly.
func (j *Journal) DB() *badger.DB { return j.db }

// Commits returns the number of transactions committed so far.
func (j *Journal) Commits() int64 { return j.commits.Load() }

var (
	RowKey     = rowKey
	HistoryKey = historyKey
	InputKey   = inputKey
	TimerKey   = timerKey
	OutboxKey  = outboxKey
)
