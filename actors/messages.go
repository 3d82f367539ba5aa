package actors

import (
	"errors"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// startMsg asks an instance to start a new execution.
type startMsg struct {
	Name        string             `msgpack:"n"`
	Input       []byte             `msgpack:"in,omitempty"`
	ExecutionID string             `msgpack:"x"`
	Parent      *history.ParentRef `msgpack:"p,omitempty"`
}

// raiseMsg delivers an external event. From and ID identify an orchestration sender's
// outbox message, so a re-sent event is applied once.
type raiseMsg struct {
	Name  string `msgpack:"n"`
	Input []byte `msgpack:"in,omitempty"`
	From  string `msgpack:"f,omitempty"`
	ID    int64  `msgpack:"id,omitempty"`
}

type controlOp uint8

const (
	opTerminate controlOp = iota + 1
	opSuspend
	opResume
	opRewind
	opPurge
	opWake
)

// controlMsg carries the instance management operations.
type controlMsg struct {
	Op        controlOp `msgpack:"op"`
	Reason    []byte    `msgpack:"r,omitempty"`
	Recursive bool      `msgpack:"rc,omitempty"`
}

// timerMsg tells an instance one of its durable timers is due.
type timerMsg struct {
	ExecutionID string    `msgpack:"x"`
	TimerID     int64     `msgpack:"id"`
	FireAt      time.Time `msgpack:"at"`
	Payload     []byte    `msgpack:"p,omitempty"` // a scheduled entity signal
}

// childDoneMsg reports a sub-orchestration's end to its parent.
type childDoneMsg struct {
	ParentExecutionID string           `msgpack:"x"`
	TaskID            int64            `msgpack:"tid"`
	ChildID           string           `msgpack:"c"`
	Result            []byte           `msgpack:"out,omitempty"`
	Failure           *history.Failure `msgpack:"f,omitempty"`
}

type replyCode uint8

const (
	codeOK replyCode = iota
	codeNotFound
	codeExists
	codeFinished
	codeWrongState
	codeInvalid
	codeRetry
	codeInternal
	// codeUnavailable: the request was not recorded because the journal takes no
	// writes for now; the caller may try again later.
	codeUnavailable
)

// notRecorded answers a request whose turn the journal did not take.
func notRecorded(err error) *replyMsg {
	if errors.Is(err, persistence.ErrUnavailable) {
		return &replyMsg{Code: codeUnavailable, Message: err.Error()}
	}
	return &replyMsg{Code: codeRetry, Message: "not recorded: " + err.Error()}
}

// deliveredMsg tells a sender which of its outbox messages were acknowledged.
type deliveredMsg struct {
	IDs []int64 `msgpack:"ids"`
}

// replyMsg answers a request once its effect is durable (or refused).
type replyMsg struct {
	Code    replyCode `msgpack:"c"`
	Message string    `msgpack:"m,omitempty"`
}

// Local messages: they never leave the process, so they stay plain structs.

// activityDone is an activity worker's result for its instance.
type activityDone struct {
	executionID string
	taskID      int64
	result      []byte
	failure     *history.Failure
}

// appendDone reports the journal's verdict on the instance's last batch.
type appendDone struct {
	err error
}

// passivate finishes a passivation decided on a receive timeout.
type passivate struct{}
