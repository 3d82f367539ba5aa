package wire

import (
	"errors"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// Start asks an instance to start a new execution.
type Start struct {
	Name        string             `msgpack:"n"`
	Input       []byte             `msgpack:"in,omitempty"`
	ExecutionID string             `msgpack:"x"`
	Parent      *history.ParentRef `msgpack:"p,omitempty"`
	// Trace is the W3C traceparent the instance's spans hang under ("" untraced).
	Trace string `msgpack:"tr,omitempty"`
	// Version is the orchestrator version the execution runs ("" the unversioned).
	Version string `msgpack:"v,omitempty"`
	// StartAt, when set and ahead, schedules the start: the instance is Pending until
	// then, a durable timer holding this message.
	StartAt time.Time `msgpack:"sa,omitempty"`
}

// Raise delivers an external event. From and ID identify an orchestration sender's
// outbox message, so a re-sent event is applied once.
type Raise struct {
	Name  string `msgpack:"n"`
	Input []byte `msgpack:"in,omitempty"`
	From  string `msgpack:"f,omitempty"`
	ID    int64  `msgpack:"id,omitempty"`
}

type ControlOp uint8

const (
	OpTerminate ControlOp = iota + 1
	OpSuspend
	OpResume
	OpRewind
	OpPurge
	OpWake
)

// Control carries the instance management operations.
type Control struct {
	Op        ControlOp `msgpack:"op"`
	Reason    []byte    `msgpack:"r,omitempty"`
	Recursive bool      `msgpack:"rc,omitempty"`
}

// Timer tells an instance one of its durable timers is due.
type Timer struct {
	ExecutionID string    `msgpack:"x"`
	TimerID     int64     `msgpack:"id"`
	FireAt      time.Time `msgpack:"at"`
	Payload     []byte    `msgpack:"p,omitempty"` // a scheduled entity signal
}

// ChildDone reports a sub-orchestration's end to its parent.
type ChildDone struct {
	ParentExecutionID string           `msgpack:"x"`
	TaskID            int64            `msgpack:"tid"`
	ChildID           string           `msgpack:"c"`
	Result            []byte           `msgpack:"out,omitempty"`
	Failure           *history.Failure `msgpack:"f,omitempty"`
}

type Code uint8

const (
	CodeOK Code = iota
	CodeNotFound
	CodeExists
	CodeFinished
	CodeWrongState
	CodeInvalid
	CodeRetry
	CodeInternal
	// CodeUnavailable: the request was not recorded because the journal takes no
	// writes for now; the caller may try again later.
	CodeUnavailable
)

// NotRecorded answers a request whose turn the journal did not take.
func NotRecorded(err error) *Reply {
	if errors.Is(err, persistence.ErrUnavailable) || errors.Is(err, persistence.ErrJournalFailed) {
		return &Reply{Code: CodeUnavailable, Message: err.Error()}
	}
	return &Reply{Code: CodeRetry, Message: "not recorded: " + err.Error()}
}

// Delivered tells a sender which of its outbox messages were acknowledged.
type Delivered struct {
	IDs []int64 `msgpack:"ids"`
}

// Reply answers a request once its effect is durable (or refused).
type Reply struct {
	Code    Code   `msgpack:"c"`
	Message string `msgpack:"m,omitempty"`
}

// AppendDone reports the journal's verdict on an actor's last batch. It never leaves
// the process, so it stays a plain struct.
type AppendDone struct {
	Err error
}

// Read asks the member serving an instance for its row and, with History, its history.
type Read struct {
	ID       string `msgpack:"i"`
	History  bool   `msgpack:"h,omitempty"`
	Payloads bool   `msgpack:"p,omitempty"`
}

// WaitFor asks the member serving an instance to answer once the instance reaches
// Until, or after MaxWait with the row as it is then.
type WaitFor struct {
	ID      string        `msgpack:"i"`
	Until   uint8         `msgpack:"u"`
	MaxWait time.Duration `msgpack:"w"`
}

// ReadResult answers Read and WaitFor: Code says whether Row (nil: no such instance)
// and History are there.
type ReadResult struct {
	Code    Code                  `msgpack:"c"`
	Message string                `msgpack:"m,omitempty"`
	Row     *persistence.Instance `msgpack:"r,omitempty"`
	History []history.Event       `msgpack:"h,omitempty"`
}

// List asks a member for one page of the instances it serves, in the query's order.
type List struct {
	Query persistence.Query `msgpack:"q"`
}

// ListResult answers List: the page and whether the member has more after it.
type ListResult struct {
	Code    Code                    `msgpack:"c"`
	Message string                  `msgpack:"m,omitempty"`
	Rows    []*persistence.Instance `msgpack:"r,omitempty"`
	More    bool                    `msgpack:"n,omitempty"`
}

// Work asks another member to run an activity for an instance this member serves, when
// its own workers are all busy.
type Work struct {
	InstanceID  string `msgpack:"i"`
	ExecutionID string `msgpack:"x"`
	TaskID      int64  `msgpack:"t"`
	Name        string `msgpack:"n"`
	Input       []byte `msgpack:"in,omitempty"`
	Trace       string `msgpack:"tr,omitempty"`
}

// WorkDone carries the result of an activity run on another member back to its
// instance, wherever that is served by then.
type WorkDone struct {
	ExecutionID string           `msgpack:"x"`
	TaskID      int64            `msgpack:"t"`
	Result      []byte           `msgpack:"out,omitempty"`
	Failure     *history.Failure `msgpack:"f,omitempty"`
}

// WorkLost tells an instance that the member running one of its activities went away
// before answering: the instance dispatches the activity again.
type WorkLost struct {
	ExecutionID string `msgpack:"x"`
	TaskID      int64  `msgpack:"t"`
}
