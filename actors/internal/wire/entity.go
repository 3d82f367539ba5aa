package wire

import (
	"time"

	"github.com/godurable/durable/history"
)

type EntityMsgKind uint8

const (
	EntityOperation EntityMsgKind = iota + 1
	EntityLock
	EntityUnlock
)

// EntityMsg is everything sent to an entity: an operation (signal or call), a lock
// request travelling along its chain, or a release. From and Seq identify the sender's
// incarnation and message; the entity applies each (From, Seq) once.
type EntityMsg struct {
	Kind  EntityMsgKind `msgpack:"k"`
	Op    string        `msgpack:"o,omitempty"`
	Input []byte        `msgpack:"in,omitempty"`
	From  string        `msgpack:"f,omitempty"` // "" = no de-duplication (plain client signals)
	Seq   int64         `msgpack:"s,omitempty"`
	At    time.Time     `msgpack:"at,omitempty"` // scheduled signal: not before this
	Call  *CallRef      `msgpack:"c,omitempty"`  // a call: where the result goes
	Lock  *LockRef      `msgpack:"l,omitempty"`
	// Trace is the sender's W3C traceparent, for the operation's span ("" untraced).
	Trace string `msgpack:"tr,omitempty"`
}

// CallRef names the orchestration task waiting for an entity operation's result.
type CallRef struct {
	InstanceID  string `msgpack:"i"`
	ExecutionID string `msgpack:"x"`
	TaskID      int64  `msgpack:"t"`
}

// LockRef is a lock request: the orchestration that asked, the sorted entities it
// locks, and how far along the chain the request has come.
type LockRef struct {
	Owner       string   `msgpack:"o"`
	ExecutionID string   `msgpack:"x"`
	TaskID      int64    `msgpack:"t"`
	Entities    []string `msgpack:"e,omitempty"`
	Position    int      `msgpack:"p,omitempty"`
}

// EntityReply answers an orchestration: an operation's result, or its lock granted.
type EntityReply struct {
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
	registerMessage[EntityMsg]("entity")
	registerMessage[EntityReply]("entityReply")
}
