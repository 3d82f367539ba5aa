package actors

import (
	"github.com/godurable/durable/persistence"
)

// outboxer is an actor whose journal keeps its outbound messages until they are
// acknowledged. Message ids grow with the batch version, so they are unique and
// ascending per sender across executions and restarts.
type outboxer interface {
	identity() string
	version() uint64
}

func (a *instance) identity() string { return a.id }

func (a *instance) version() uint64 {
	if a.row == nil {
		return 0
	}
	return a.row.Version
}

// outbox adds a message built by mk (given its id) to batch b, sent by o to to.
func outbox(o outboxer, b *persistence.Batch, to string, mk func(id int64) any) {
	id := int64(o.version()+1)<<20 | int64(len(b.Send))
	payload, err := encodeMessage(mk(id))
	if err != nil {
		return
	}
	b.Send = append(b.Send, persistence.Message{From: o.identity(), ID: id, To: to, Payload: payload})
}

func (a *instance) outbox(b *persistence.Batch, to string, mk func(id int64) any) {
	outbox(a, b, to, mk)
}
