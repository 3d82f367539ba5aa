package badgerjournal

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// meters records what the committer does; nil when Config.MeterProvider is nil.
type meters struct {
	commit  metric.Float64Histogram // transaction commit time, its fsync included
	batch   metric.Int64Histogram   // appends per transaction
	fsyncs  metric.Int64Counter     // transactions synced to disk
	durable bool                    // commits sync (not in memory)
}

func newMeters(mp metric.MeterProvider, durable bool) (*meters, error) {
	if mp == nil {
		return nil, nil
	}
	m := mp.Meter("github.com/godurable/durable/persistence/badgerjournal")
	ms := &meters{durable: durable}
	var err error
	if ms.commit, err = m.Float64Histogram("durable.journal.commit.duration", metric.WithUnit("s"),
		metric.WithDescription("Time to commit one journal transaction, its fsync included.")); err != nil {
		return nil, err
	}
	if ms.batch, err = m.Int64Histogram("durable.journal.commit.batch_size",
		metric.WithDescription("Appends committed together in one transaction.")); err != nil {
		return nil, err
	}
	if ms.fsyncs, err = m.Int64Counter("durable.journal.fsyncs",
		metric.WithDescription("Journal transactions synced to disk.")); err != nil {
		return nil, err
	}
	return ms, nil
}

// committed records a transaction of n appends that took d.
func (m *meters) committed(n int, d time.Duration) {
	if m == nil {
		return
	}
	ctx := context.Background()
	m.commit.Record(ctx, d.Seconds())
	m.batch.Record(ctx, int64(n))
	if m.durable {
		m.fsyncs.Add(ctx, 1)
	}
}
