package orchestrator

import (
	"cmp"
	"fmt"
	"iter"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/godurable/durable/history"
)

// Func is an orchestrator in its stored form: JSON input in, JSON output out. The
// runtime adapts typed Go functions to it.
type Func func(ctx *Context, input []byte) (output []byte, err error)

// Options bound what one execution may do.
type Options struct {
	// MaxPayloadBytes caps every JSON payload the orchestration produces (activity
	// inputs, results, custom status excepted). Zero means no limit.
	MaxPayloadBytes int
	// MaxActions caps the scheduling actions of one execution (default 100,000).
	MaxActions int64
	// Logger receives the orchestration's replay-safe log records.
	Logger *slog.Logger
	// Versions picks the versions of sub-orchestrations and of continue-as-new; nil:
	// children run at their parent's version, and ContinueAtDefaultVersion keeps it.
	Versions Versions
}

// MaxCustomStatusBytes is the largest custom status an orchestration may set.
const MaxCustomStatusBytes = 16 * 1024

// Execution replays one execution of an orchestration instance. It is the pure core of
// the runtime: events go in, the events the turn adds come out; it reads no clock,
// does no I/O and keeps the orchestrator parked between turns, so an instance that stays
// in memory is never replayed again. Not safe for concurrent use.
type Execution struct {
	instanceID  string
	executionID string
	name        string
	version     string
	fn          Func
	opts        Options
	ctx         *Context

	now       time.Time
	replaying bool
	nextSeq   int64
	guidCount int

	open        map[int64]*task // scheduled work not yet completed, by sequence id
	unconfirmed []*action       // actions taken by the code, not yet matched with history
	// events buffers external events nobody waited for, by lower-cased name; arrived
	// counts them so that a continue-as-new hands them on in arrival order.
	events  map[string][]bufferedEvent
	arrived int64
	// late are external events of the step that ended the execution, after its end:
	// never applied, but still the next execution's after a continue-as-new.
	late      []history.Event
	waiters   map[string][]*task
	suspended bool
	held      []history.Event
	cancelled []history.Event // timers cancelled during this turn
	parent    *history.ParentRef
	input     []byte

	lock lockState

	customStatus        []byte
	customStatusChanged bool
	continueAsNew       *continueAsNew

	next      func() (struct{}, bool)
	stop      func()
	yield     func(struct{}) bool
	waitingOn *task
	returned  bool
	output    []byte
	fnErr     error

	status  history.RuntimeStatus
	failure *history.Failure
	// unrecorded is set when replay failed the execution: the next Step records it.
	unrecorded bool
	out        []history.Event // events the current Step adds
}

type action struct {
	task  *task
	event history.Event
}

type continueAsNew struct {
	input           []byte
	keepUnprocessed bool
	version         string // the next execution's
	toDefault       bool
}

// NewExecution prepares an execution of fn for instanceID. Feed it its recorded
// history with Replay, then new events with Step.
func NewExecution(instanceID string, fn Func, opts Options) *Execution {
	if opts.MaxActions <= 0 {
		opts.MaxActions = 100_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	e := &Execution{
		instanceID: instanceID,
		fn:         fn,
		opts:       opts,
		open:       map[int64]*task{},
		status:     history.StatusPending,
	}
	e.ctx = &Context{e: e}
	e.ctx.logger = slog.New(replaySafeHandler{h: opts.Logger.Handler(), e: e}).With(
		slog.String("instanceId", instanceID))
	return e
}

// Replay applies events the journal already holds, with IsReplaying true.
func (e *Execution) Replay(events []history.Event) {
	e.replaying = true
	for i := range events {
		if e.isFinished() {
			e.checkNothingAfterEnd(events[i:])
			e.keepLate(events[i:])
			break
		}
		if events[i].Type == history.EventOrchestratorStarted && e.checkConfirmed() {
			break
		}
		e.apply(events[i])
	}
	if !e.isFinished() {
		e.checkConfirmed()
	}
	e.replaying = false
	e.out = nil
	e.cancelled = nil
}

// checkNothingAfterEnd fails a replay whose code finished while the history goes on
// with actions the earlier code took. The actions of the turn that ended it come first:
// that turn recorded them after its input (a sent event, a signal, a released lock), so
// replay reaches them only after the code has returned, and they confirm what it did.
func (e *Execution) checkNothingAfterEnd(rest []history.Event) {
	if e.unrecorded {
		// Replay refused the code already: the first difference is the one to report,
		// not the actions the history goes on with.
		return
	}
	for _, ev := range rest {
		if !ev.Type.IsScheduling() {
			continue
		}
		if len(e.unconfirmed) > 0 && sameAction(e.unconfirmed[0].event, ev) {
			e.unconfirmed = e.unconfirmed[1:]
			continue
		}
		code := "nothing (it returned)"
		if len(e.unconfirmed) > 0 {
			code = e.describe(e.unconfirmed[0].event)
		}
		e.status = history.StatusRunning // nothing was recorded yet: the refusal wins
		e.nonDeterminism(ev.ID, e.describe(ev), code)
		return
	}
}

// Turn is what one Step produced.
type Turn struct {
	// Events to append to the history: the step's input followed by the actions the
	// code took and, when the execution finished, ExecutionCompleted.
	Events []history.Event
	// CancelledTimers are TimerCreated events of timers the code cancelled.
	CancelledTimers []history.Event
	// Status after the turn.
	Status history.RuntimeStatus
	// Output (JSON) and Failure are set when the execution finished.
	Output  []byte
	Failure *history.Failure
	// CustomStatus is set when the code changed it during the turn.
	CustomStatus        []byte
	CustomStatusChanged bool
	// ContinueAsNew is set when the execution ended by continuing as new.
	ContinueAsNew *ContinueAsNew
}

// ContinueAsNew describes the next execution of an instance that continued as new.
type ContinueAsNew struct {
	Input []byte
	// Carry are external events the ended execution received but did not consume.
	Carry []history.Event
	// Version is the orchestrator version the next execution runs.
	Version string
}

// Step applies new events and returns what the turn adds. The first event should be
// OrchestratorStarted carrying the turn's time. Step takes events over: Turn.Events
// extends it in place when its capacity allows, so a caller that leaves room for the
// actions a turn usually takes saves a copy of every turn's events.
func (e *Execution) Step(events []history.Event) Turn {
	e.cancelled = nil
	e.customStatusChanged = false
	if e.isFinished() && !e.unrecorded {
		// An ended execution's history is complete: whatever still arrives for it
		// (an activity that outlived a terminate) is not part of it.
		return Turn{Status: e.status, Output: e.output, Failure: e.failure, CustomStatus: e.customStatus}
	}
	e.out = events
	if e.unrecorded {
		e.unrecorded = false
		// Failing released the locks the code held; those releases go before the end,
		// as finish emits them in a live turn, since nothing follows ExecutionCompleted.
		e.emitActions()
		e.out = append(e.out, history.Event{
			Type: history.EventExecutionCompleted, Time: stepTime(events), Status: e.status, Failure: e.failure,
		})
	}
	for i := range events {
		if e.isFinished() {
			e.keepLate(events[i:])
			break
		}
		e.apply(events[i])
	}
	e.emitActions()
	e.checkCompletion()
	t := Turn{
		Events:              e.out,
		CancelledTimers:     e.cancelled,
		Status:              e.status,
		CustomStatus:        e.customStatus,
		CustomStatusChanged: e.customStatusChanged,
	}
	if e.isFinished() {
		t.Output, t.Failure = e.output, e.failure
		if e.status == history.StatusContinuedAsNew {
			t.ContinueAsNew = &ContinueAsNew{Input: e.continueAsNew.input, Carry: e.carryOver(), Version: e.continueAsNew.version}
		}
	}
	e.out = nil
	return t
}

// Status returns the execution's runtime status.
func (e *Execution) Status() history.RuntimeStatus { return e.status }

// Stop abandons the parked orchestrator (the instance passivates or failed). The
// execution must not be used afterwards.
func (e *Execution) Stop() {
	if e.stop != nil {
		e.stop()
		e.stop, e.next = nil, nil
	}
}

// Open returns the scheduling events of work still in flight, in sequence order: the
// runtime re-dispatches activities and re-checks children after an activation.
func (e *Execution) Open() []history.Event {
	evs := make([]history.Event, 0, len(e.open))
	for _, t := range e.open {
		evs = append(evs, t.sched)
	}
	slices.SortFunc(evs, func(a, b history.Event) int { return cmp.Compare(a.ID, b.ID) })
	return evs
}

// Scheduled returns the scheduling event of an open task.
func (e *Execution) Scheduled(taskID int64) (history.Event, bool) {
	if t, ok := e.open[taskID]; ok && !e.isFinished() {
		return t.sched, true
	}
	return history.Event{}, false
}

// IsOpen reports whether the work scheduled with sequence id taskID awaits completion.
// Once the execution has ended nothing does: work still running when it was terminated
// or failed reports to an execution that no longer listens.
func (e *Execution) IsOpen(taskID int64) bool {
	if e.isFinished() {
		return false
	}
	_, ok := e.open[taskID]
	return ok
}

// Ended reports whether the execution has ended (completed, failed, terminated or
// continued as new): a Step then adds nothing to its history.
func (e *Execution) Ended() bool { return e.isFinished() }

// ExecutionID returns the id of this execution.
func (e *Execution) ExecutionID() string { return e.executionID }

// Parent returns the orchestration that started this one as a sub-orchestration.
func (e *Execution) Parent() *history.ParentRef { return e.parent }

func stepTime(events []history.Event) time.Time {
	if len(events) > 0 {
		return events[0].Time
	}
	return time.Time{}
}

// HasWorkInFlight reports whether activities or sub-orchestrations are outstanding:
// such an instance must be activated again after a restart.
func (e *Execution) HasWorkInFlight() bool {
	for _, t := range e.open {
		if t.kind == kindActivity || t.kind == kindSubOrchestration {
			return true
		}
	}
	return false
}

func (e *Execution) isFinished() bool {
	return e.status.IsTerminal() || e.status == history.StatusContinuedAsNew
}

func (e *Execution) apply(ev history.Event) {
	if e.suspended && ev.Type != history.EventExecutionResumed && ev.Type != history.EventExecutionTerminated {
		e.held = append(e.held, ev)
		return
	}
	switch ev.Type {
	case history.EventOrchestratorStarted:
		e.now = ev.Time
	case history.EventExecutionStarted:
		e.start(ev)
	case history.EventTaskCompleted, history.EventSubOrchestrationCompleted, history.EventTimerFired,
		history.EventEntityOperationCompleted, history.EventEntityLockGranted:
		e.completeTask(ev.TaskID, ev.Result, nil)
	case history.EventTaskFailed, history.EventSubOrchestrationFailed, history.EventEntityOperationFailed:
		e.failTask(ev)
	case history.EventEventRaised:
		e.deliverEvent(ev)
	case history.EventExecutionTerminated:
		e.finish(history.StatusTerminated, ev.Input, nil)
	case history.EventExecutionSuspended:
		e.suspended = true
		e.status = history.StatusSuspended
	case history.EventExecutionResumed:
		e.resume()
	default:
		if ev.Type.IsScheduling() {
			e.confirm(ev)
		}
	}
}

func (e *Execution) start(ev history.Event) {
	if e.next != nil {
		return // a duplicate start; the first one wins
	}
	e.name, e.executionID, e.parent, e.input, e.version = ev.Name, ev.ExecutionID, ev.Parent, ev.Input, ev.Version
	e.status = history.StatusRunning
	body := func(yield func(struct{}) bool) {
		e.yield = yield
		defer e.recoverBody()
		out, err := e.fn(e.ctx, ev.Input)
		e.returned, e.output, e.fnErr = true, out, err
	}
	e.next, e.stop = iter.Pull(body)
	e.run()
}

// stopSignal unwinds a parked orchestrator when its execution is stopped.
type stopSignal struct{}

func (e *Execution) recoverBody() {
	r := recover()
	if r == nil {
		return
	}
	if _, ok := r.(stopSignal); ok {
		return
	}
	e.returned, e.fnErr = true, &PanicError{Value: r, Stack: string(debug.Stack())}
}

// run lets the orchestrator code proceed until it waits on an unfinished task or returns.
func (e *Execution) run() {
	if e.next == nil || e.returned {
		return
	}
	e.waitingOn = nil
	e.next()
	if e.returned {
		e.onReturn()
	}
}

func (e *Execution) await(t *task) {
	for !t.done {
		if e.yield == nil {
			panic("orchestrator: Await called outside the orchestrator's own goroutine")
		}
		e.waitingOn = t
		if !e.yield(struct{}{}) {
			panic(stopSignal{})
		}
	}
}

func (e *Execution) resumeIfReady() {
	if e.waitingOn != nil && e.waitingOn.done {
		e.run()
	}
}

func (e *Execution) onReturn() {
	if e.fnErr != nil {
		e.failure = FailureOf(e.fnErr)
	}
	e.checkCompletion()
}

// checkCompletion ends the execution once the code returned and no scheduled work
// remains open, as Durable Functions does.
func (e *Execution) checkCompletion() {
	if !e.returned || e.isFinished() {
		return
	}
	if len(e.open) > 0 {
		return
	}
	switch {
	case e.fnErr != nil:
		e.finish(history.StatusFailed, nil, FailureOf(e.fnErr))
	case e.continueAsNew != nil:
		e.finish(history.StatusContinuedAsNew, e.continueAsNew.input, nil)
	default:
		e.finish(history.StatusCompleted, e.output, nil)
	}
}

func (e *Execution) finish(status history.RuntimeStatus, output []byte, failure *history.Failure) {
	if e.isFinished() {
		return
	}
	e.releaseLocks() // a critical section ends with its orchestration, however it ends
	e.emitActions()
	e.status, e.output, e.failure = status, output, failure
	if !e.replaying {
		e.out = append(e.out, history.Event{
			Type: history.EventExecutionCompleted, Time: e.now, Status: status, Result: output, Failure: failure,
		})
	}
	e.Stop()
}

func (e *Execution) failWith(err error) {
	e.returned, e.fnErr = true, err
	e.finish(history.StatusFailed, nil, FailureOf(err))
}

func (e *Execution) completeTask(id int64, result []byte, err error) {
	t, ok := e.open[id]
	if !ok {
		return // completion of work no longer awaited: a duplicate or a cancelled timer
	}
	delete(e.open, id)
	t.complete(result, err)
	e.resumeIfReady()
	e.checkCompletion()
}

func (e *Execution) failTask(ev history.Event) {
	t, ok := e.open[ev.TaskID]
	if !ok {
		return
	}
	f := history.Failure{Message: "unknown failure"}
	if ev.Failure != nil {
		f = *ev.Failure
	}
	kind := "activity"
	switch t.kind {
	case kindSubOrchestration:
		kind = "sub-orchestration"
	case kindEntity:
		kind = "entity operation"
	}
	e.completeTask(ev.TaskID, nil, &TaskFailedError{Kind: kind, Name: t.name, TaskID: t.id, Failure: f})
}

func (e *Execution) resume() {
	if !e.suspended {
		return
	}
	e.suspended = false
	e.status = history.StatusRunning
	held := e.held
	e.held = nil
	for _, ev := range held {
		if e.isFinished() {
			return
		}
		e.apply(ev)
	}
}

func (e *Execution) deliverEvent(ev history.Event) {
	key := strings.ToLower(ev.Name)
	if ws := e.waiters[key]; len(ws) > 0 {
		w := ws[0]
		e.waiters[key] = ws[1:]
		w.complete(ev.Input, nil)
		e.resumeIfReady()
		return
	}
	if e.events == nil {
		e.events = map[string][]bufferedEvent{}
	}
	e.arrived++
	e.events[key] = append(e.events[key], bufferedEvent{name: ev.Name, input: ev.Input, order: e.arrived})
}

// bufferedEvent is an external event that arrived before anything waited for it.
type bufferedEvent struct {
	name  string
	input []byte
	order int64
}

// keepLate remembers the external events a step brought after the execution ended.
func (e *Execution) keepLate(rest []history.Event) {
	for _, ev := range rest {
		if ev.Type == history.EventEventRaised {
			e.late = append(e.late, ev)
		}
	}
}

func (e *Execution) carryOver() []history.Event {
	if e.continueAsNew == nil || !e.continueAsNew.keepUnprocessed {
		return nil
	}
	// Buffered events first, in the order they arrived, then those held while
	// suspended, then those that came in the very step that ended the execution: the
	// order in which they reached the instance.
	var buffered []bufferedEvent
	for _, list := range e.events {
		buffered = append(buffered, list...)
	}
	slices.SortFunc(buffered, func(a, b bufferedEvent) int { return cmp.Compare(a.order, b.order) })
	evs := make([]history.Event, 0, len(buffered)+len(e.held)+len(e.late))
	for _, b := range buffered {
		evs = append(evs, history.Event{Type: history.EventEventRaised, Time: e.now, Name: b.name, Input: b.input})
	}
	for _, ev := range e.held {
		if ev.Type == history.EventEventRaised {
			evs = append(evs, ev)
		}
	}
	return append(evs, e.late...)
}

func (e *Execution) describe(ev history.Event) string {
	s := ev.Type.String()
	if ev.Name != "" {
		s += fmt.Sprintf(" %q", ev.Name)
	}
	if ev.InstanceID != "" && ev.Type != history.EventExecutionStarted {
		s += fmt.Sprintf(" (instance %q)", ev.InstanceID)
	}
	return s
}

// Unconsumed returns the external events the execution received but did not consume;
// ContinueAsNew hands them to the next execution.
func (e *Execution) Unconsumed() []history.Event { return e.carryOver() }
