package badgerjournal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"go.opentelemetry.io/otel/metric"
)

// Config configures a Journal. Zero fields take the defaults below.
type Config struct {
	// Dir holds the database. Required unless InMemory.
	Dir string
	// InMemory keeps everything in memory (for tests): same code paths, no durability.
	InMemory bool
	// Logger receives the journal's records and Badger's warnings and errors.
	Logger *slog.Logger
	// MeterProvider receives the journal's metrics (commit time, appends per commit,
	// fsyncs); nil records none.
	MeterProvider metric.MeterProvider

	// MaxBatchKeys and MaxBatchBytes cap how much the committer gathers into one
	// transaction: enough for throughput, small enough that a batch stays well inside
	// Badger's transaction limit (15% of MemTableSize). A single append larger than the
	// caps is committed alone. Defaults: 2,000 keys, 4 MiB.
	MaxBatchKeys  int
	MaxBatchBytes int
	// Linger is how long the committer polls for more appends before committing, when
	// its previous commit gathered more than one; a lone append never waits. Negative
	// disables it. Default 300µs: under load, fewer and larger commits leave more of the
	// CPU to the instances than the syncs they save cost them in latency.
	Linger time.Duration
	// RowCacheSize is how many index rows the committer remembers, so that it fences
	// the appends of active instances without reading their rows; they hold at most
	// 64 MiB, and rows of instances that ended are not kept. Default 65,536.
	RowCacheSize int

	// MaxInlinePayload is the largest input or output stored inside the instance's row
	// rather than under a key of its own. The row is written by every append, so
	// inlining saves a key per payload change and costs rewriting the payload with
	// every append. Negative stores every non-empty payload under its own key. Default
	// 4 KiB; at most 64 KiB.
	MaxInlinePayload int
	// MaxInlineHistory is how large, encoded, a history may grow inside the instance's
	// row; the append that outgrows it moves it to keys of its own, one per append
	// from then on. Short orchestrations thus write one key per turn instead of two.
	// Negative stores every history outside the row. Default 2 KiB; at most 64 KiB.
	MaxInlineHistory int

	// MemTableSize is Badger's write buffer, and bounds one transaction to 15% of it;
	// see badgerOptions. Default 32 MiB (transactions up to ~4.8 MB).
	MemTableSize int64
	// BlockCacheSize is Badger's read cache. Default 32 MiB.
	BlockCacheSize int64
	// GCInterval is how often value-log garbage collection runs; only values over 1 MiB
	// live in the value log. Negative disables it. Default 10 minutes.
	GCInterval time.Duration
	// MinFreeBytes is the free disk space below which appends are refused with
	// persistence.ErrUnavailable while reads go on. Badger writes through memory-mapped
	// files, and a write the full disk cannot back kills the process with SIGBUS
	// instead of failing. Default four memtables; negative disables the check.
	MinFreeBytes int64
}

const (
	defaultMaxBatchKeys   = 2000
	defaultMaxBatchBytes  = 4 << 20
	defaultLinger         = 300 * time.Microsecond
	defaultRowCacheSize   = 1 << 16
	defaultInlinePayload  = 4 << 10
	defaultInlineHistory  = 2 << 10
	maxInline             = 64 << 10
	defaultMemTableSize   = 32 << 20
	defaultBlockCacheSize = 32 << 20
	defaultGCInterval     = 10 * time.Minute
)

func (c *Config) validate() error {
	if c.Dir == "" && !c.InMemory {
		return errors.New("badgerjournal: Config.Dir is required unless InMemory is set")
	}
	if c.Dir != "" && c.InMemory {
		return errors.New("badgerjournal: Config.Dir and InMemory exclude each other")
	}
	if c.MaxBatchKeys < 0 || c.MaxBatchBytes < 0 || c.RowCacheSize < 0 || c.MemTableSize < 0 || c.BlockCacheSize < 0 {
		return errors.New("badgerjournal: Config sizes must not be negative")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.MaxBatchKeys = orDefault(c.MaxBatchKeys, defaultMaxBatchKeys)
	c.MaxBatchBytes = orDefault(c.MaxBatchBytes, defaultMaxBatchBytes)
	c.Linger = orDefault(c.Linger, defaultLinger)
	c.RowCacheSize = orDefault(c.RowCacheSize, defaultRowCacheSize)
	// From here on, 0 means nothing non-empty is inlined.
	c.MaxInlinePayload = max(orDefault(c.MaxInlinePayload, defaultInlinePayload), 0)
	c.MaxInlineHistory = max(orDefault(c.MaxInlineHistory, defaultInlineHistory), 0)
	if c.MaxInlinePayload > maxInline || c.MaxInlineHistory > maxInline {
		// Rows are rewritten by every append, and must stay far below Badger's value
		// threshold; a history moved out of the row must fit one chunk.
		return fmt.Errorf("badgerjournal: MaxInlinePayload and MaxInlineHistory must not exceed %d", maxInline)
	}
	c.MemTableSize = orDefault(c.MemTableSize, defaultMemTableSize)
	c.BlockCacheSize = orDefault(c.BlockCacheSize, defaultBlockCacheSize)
	c.GCInterval = orDefault(c.GCInterval, defaultGCInterval)
	c.MinFreeBytes = orDefault(c.MinFreeBytes, 4*c.MemTableSize)
	if limit := c.MemTableSize * 15 / 100; int64(c.MaxBatchBytes) > limit*9/10 {
		return fmt.Errorf("badgerjournal: MaxBatchBytes %d leaves no headroom under Badger's transaction limit %d; raise MemTableSize",
			c.MaxBatchBytes, limit)
	}
	return nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// badgerOptions starts from Badger's defaults, which suit a dedicated database server,
// and scales them to a runtime that shares a small machine (2 cores, 24 GiB here) with
// its workers, and whose tests open many databases in one process:
//   - SyncWrites: an acknowledged append must survive power loss. Group commit is what
//     makes the fsync affordable.
//   - MemTableSize 32 MiB instead of 64. Badger allocates each memtable's arena up front
//     (size plus 30%) and Go zeroes reused memory, so every open database costs about
//     that much resident memory; halving it halves what a test process full of journals
//     needs, and group-commit throughput measured no lower here (a little higher: the
//     skiplist that every committed key is inserted into is smaller). The price: Badger caps one
//     transaction at 15% of it, ~4.8 MB instead of ~9.6 MB, which is still far more than
//     a turn writes, and fan-outs larger than that must be split by the caller anyway.
//     NumMemtables drops from 5 to 2, bounding write buffers at ~85 MiB.
//   - BlockCacheSize 32 MiB (not 256) and IndexCacheSize 16 MiB (not unbounded): the
//     journal's hot data is recent rows and history, which the memtables hold anyway.
//   - NumCompactors 2, the minimum Badger accepts, one per core.
//   - DetectConflicts off: the committer is the only writer, so there is nothing to detect.
//   - Metrics off: they are process-global expvars that every open database would update.
//   - Checksums of blocks verified as they are read: a flipped bit in a table is
//     reported, not served (the journal's own checksums cover values, not keys or
//     the table's index).
func (c *Config) badgerOptions() badger.Options {
	opts := badger.DefaultOptions(c.Dir)
	if c.InMemory {
		opts = badger.DefaultOptions("").WithInMemory(true)
	}
	return opts.
		WithSyncWrites(true).
		WithLogger(badgerLogger{c.Logger}).
		WithMemTableSize(c.MemTableSize).
		WithNumMemtables(2).
		WithBlockCacheSize(c.BlockCacheSize).
		WithIndexCacheSize(16 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithDetectConflicts(false).
		WithMetricsEnabled(false).
		WithChecksumVerificationMode(options.OnBlockRead)
}

// badgerLogger passes Badger's warnings and errors to slog and keeps its chatter (table
// counts, compactions) at debug level, so a default logger stays quiet.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, v ...any)   { b.log(slog.LevelError, f, v) }
func (b badgerLogger) Warningf(f string, v ...any) { b.log(slog.LevelWarn, f, v) }
func (b badgerLogger) Infof(f string, v ...any)    { b.log(slog.LevelDebug, f, v) }
func (b badgerLogger) Debugf(f string, v ...any)   { b.log(slog.LevelDebug, f, v) }

func (b badgerLogger) log(level slog.Level, f string, v []any) {
	if !b.l.Enabled(context.Background(), level) {
		return
	}
	b.l.Log(context.Background(), level, strings.TrimSpace(fmt.Sprintf(f, v...)), slog.String("component", "badger"))
}
