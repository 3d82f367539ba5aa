package env

import (
	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/persistence"
)

// Outboxer is an actor whose journal keeps its outbound messages until they are
// acknowledged. Message ids grow with the batch version, so they are unique and
// ascending per sender across executions and restarts.
type Outboxer interface {
	Identity() string
	Version() uint64
}

// Outbox adds a message built by mk (given its id) to batch b, sent by o to to.
func Outbox(o Outboxer, b *persistence.Batch, to string, mk func(id int64) any) {
	id := int64(o.Version()+1)<<20 | int64(len(b.Send))
	payload, err := wire.Encode(mk(id))
	if err != nil {
		return
	}
	b.Send = append(b.Send, persistence.Message{From: o.Identity(), ID: id, To: to, Payload: payload})
}
