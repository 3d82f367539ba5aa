package actors

import (
	"time"

	"github.com/godurable/durable/history"
)

type entityMsgKind uint8

const (
	entityOp entityMsgKind = iota + 1
	entityLock
	entityUnlock
)

// entityMsg is everything sent to an entity: an operation (signal or call), a lock
// request travelling along its chain, or a release. From and Seq identify the sender's
// incarnation and message; the entity applies each (From, Seq) once.
type entityMsg struct {
	Kind  entityMsgKind `msgpack:"k"`
	Op    string        `msgpack:"o,omitempty"`
	Input []byte        `msgpack:"in,omitempty"`
	From  string        `msgpack:"f,omitempty"` // "" = no de-duplication (plain client signals)
	Seq   int64         `msgpack:"s,omitempty"`
	At    time.Time     `msgpack:"at,omitempty"` // scheduled signal: not before this
	Call  *callRef      `msgpack:"c,omitempty"`  // a call: where the result goes
	Lock  *lockRef      `msgpack:"l,omitempty"`
}

// callRef names the orchestration task waiting for an entity operation's result.
type callRef struct {
	InstanceID  string `msgpack:"i"`
	ExecutionID string `msgpack:"x"`
	TaskID      int64  `msgpack:"t"`
}

// lockRef is a lock request: the orchestration that asked, the sorted entities it
// locks, and how far along the chain the request has come.
type lockRef struct {
	Owner       string   `msgpack:"o"`
	ExecutionID string   `msgpack:"x"`
	TaskID      int64    `msgpack:"t"`
	Entities    []string `msgpack:"e,omitempty"`
	Position    int      `msgpack:"p,omitempty"`
}

// entityReplyMsg answers an orchestration: an operation's result, or its lock granted.
type entityReplyMsg struct {
	ExecutionID string           `msgpack:"x"`
	TaskID      int64            `msgpack:"t"`
	Result      []byte           `msgpack:"out,omitempty"`
	Failure     *history.Failure `msgpack:"f,omitempty"`
	Granted     bool             `msgpack:"g,omitempty"`
	// Entities are those a grant locked, so an orchestration that no longer wants the
	// lock can release them.
	Entities []string `msgpack:"e,omitempty"`
}

func init() {
	registerMessage[entityMsg]("entity")
	registerMessage[entityReplyMsg]("entityReply")
}
