package grpcapi

import (
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/godurable/durable/grpcapi/internal/protos"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/validate"
	"github.com/godurable/durable/orchestrator"
)

// The protocol's history and actions beside the runtime's. A history event keeps its
// sequence number as the protocol's eventId: the ids the SDK's actions took are the
// ids the runtime records, so a worker replaying the history finds its own.

// eventToProto returns ev as the protocol records it.
func eventToProto(ev history.Event) *pb.HistoryEvent {
	out := &pb.HistoryEvent{EventId: -1, Timestamp: timestamppb.New(ev.Time)}
	if ev.Type.IsScheduling() {
		out.EventId = int32(ev.ID)
	}
	switch ev.Type {
	case history.EventExecutionStarted:
		started := &pb.ExecutionStartedEvent{Name: ev.Name, Input: stringOf(ev.Input), Version: stringOf([]byte(ev.Version)),
			OrchestrationInstance: &pb.OrchestrationInstance{InstanceId: ev.InstanceID, ExecutionId: wrapperspb.String(ev.ExecutionID)}}
		if p := ev.Parent; p != nil {
			started.ParentInstance = &pb.ParentInstanceInfo{TaskScheduledId: int32(p.TaskID), Name: wrapperspb.String(p.Name),
				OrchestrationInstance: &pb.OrchestrationInstance{InstanceId: p.InstanceID, ExecutionId: wrapperspb.String(p.ExecutionID)}}
		}
		out.EventType = &pb.HistoryEvent_ExecutionStarted{ExecutionStarted: started}
	case history.EventOrchestratorStarted:
		out.EventType = &pb.HistoryEvent_OrchestratorStarted{OrchestratorStarted: &pb.OrchestratorStartedEvent{}}
	case history.EventOrchestratorCompleted:
		out.EventType = &pb.HistoryEvent_OrchestratorCompleted{OrchestratorCompleted: &pb.OrchestratorCompletedEvent{}}
	case history.EventTaskScheduled:
		out.EventType = &pb.HistoryEvent_TaskScheduled{TaskScheduled: &pb.TaskScheduledEvent{Name: ev.Name, Input: stringOf(ev.Input)}}
	case history.EventTaskCompleted:
		out.EventType = &pb.HistoryEvent_TaskCompleted{TaskCompleted: &pb.TaskCompletedEvent{TaskScheduledId: int32(ev.TaskID), Result: stringOf(ev.Result)}}
	case history.EventTaskFailed:
		out.EventType = &pb.HistoryEvent_TaskFailed{TaskFailed: &pb.TaskFailedEvent{TaskScheduledId: int32(ev.TaskID), FailureDetails: failureOf(ev.Failure)}}
	case history.EventSubOrchestrationCreated:
		out.EventType = &pb.HistoryEvent_SubOrchestrationInstanceCreated{SubOrchestrationInstanceCreated: &pb.SubOrchestrationInstanceCreatedEvent{
			InstanceId: ev.InstanceID, Name: ev.Name, Input: stringOf(ev.Input), Version: stringOf([]byte(ev.Version))}}
	case history.EventSubOrchestrationCompleted:
		out.EventType = &pb.HistoryEvent_SubOrchestrationInstanceCompleted{SubOrchestrationInstanceCompleted: &pb.SubOrchestrationInstanceCompletedEvent{
			TaskScheduledId: int32(ev.TaskID), Result: stringOf(ev.Result)}}
	case history.EventSubOrchestrationFailed:
		out.EventType = &pb.HistoryEvent_SubOrchestrationInstanceFailed{SubOrchestrationInstanceFailed: &pb.SubOrchestrationInstanceFailedEvent{
			TaskScheduledId: int32(ev.TaskID), FailureDetails: failureOf(ev.Failure)}}
	case history.EventTimerCreated:
		out.EventType = &pb.HistoryEvent_TimerCreated{TimerCreated: &pb.TimerCreatedEvent{FireAt: timestamppb.New(ev.FireAt)}}
	case history.EventTimerFired:
		out.EventType = &pb.HistoryEvent_TimerFired{TimerFired: &pb.TimerFiredEvent{TimerId: int32(ev.TaskID), FireAt: timestamppb.New(ev.FireAt)}}
	case history.EventEventRaised:
		out.EventType = &pb.HistoryEvent_EventRaised{EventRaised: &pb.EventRaisedEvent{Name: ev.Name, Input: stringOf(ev.Input)}}
	case history.EventEventSent:
		out.EventType = &pb.HistoryEvent_EventSent{EventSent: &pb.EventSentEvent{InstanceId: ev.InstanceID, Name: ev.Name, Input: stringOf(ev.Input)}}
	case history.EventExecutionCompleted:
		out.EventType = &pb.HistoryEvent_ExecutionCompleted{ExecutionCompleted: &pb.ExecutionCompletedEvent{
			OrchestrationStatus: statusToProto(ev.Status), Result: stringOf(ev.Result), FailureDetails: failureOf(ev.Failure)}}
	case history.EventExecutionTerminated:
		out.EventType = &pb.HistoryEvent_ExecutionTerminated{ExecutionTerminated: &pb.ExecutionTerminatedEvent{Input: stringOf(ev.Input)}}
	case history.EventExecutionSuspended:
		out.EventType = &pb.HistoryEvent_ExecutionSuspended{ExecutionSuspended: &pb.ExecutionSuspendedEvent{Input: stringOf(ev.Input)}}
	case history.EventExecutionResumed:
		out.EventType = &pb.HistoryEvent_ExecutionResumed{ExecutionResumed: &pb.ExecutionResumedEvent{Input: stringOf(ev.Input)}}
	case history.EventExecutionRewound:
		out.EventType = &pb.HistoryEvent_ExecutionRewound{ExecutionRewound: &pb.ExecutionRewoundEvent{Reason: stringOf(ev.Input)}}
	default:
		// Entity events have no counterpart an SDK's orchestration would replay here.
		out.EventType = &pb.HistoryEvent_GenericEvent{GenericEvent: &pb.GenericEvent{Data: wrapperspb.String(ev.Type.String())}}
	}
	return out
}

// eventsToProto returns events as the protocol records them, each with a time. The
// runtime records what arrives (a result, a timer fired, an event raised) with no time
// of its own, after the OrchestratorStarted of the turn that recorded it: that turn's
// time dates it. at is the time of the last dated event before events; the time
// returned is the last of events', for the events that follow.
func eventsToProto(events []history.Event, at time.Time) ([]*pb.HistoryEvent, time.Time) {
	out := make([]*pb.HistoryEvent, len(events))
	for i, ev := range events {
		if ev.Time.IsZero() {
			ev.Time = at
		}
		at = ev.Time
		out[i] = eventToProto(ev)
	}
	return out, at
}

// ending is how a worker's actions end the execution, if they do.
type ending struct {
	status  history.RuntimeStatus
	output  []byte
	failure *history.Failure
	// carry holds the events a continued execution starts with; newVersion, when set,
	// is the version it runs.
	carry      []history.Event
	newVersion *string
}

// actionEvents turns a worker's actions, taken in a turn at time now, into the events
// the runtime records, checking them: each action's id must be new in the execution
// (taken reports the ids its history holds), and timers may not be due before now; a
// sub-orchestration without an id gets one made of instanceID's and its own. A
// malformed action refuses the whole answer with InvalidArgument, naming it.
func actionEvents(instanceID string, actions []*pb.OrchestratorAction, now time.Time, taken func(id int64) bool) ([]history.Event, *ending, error) {
	var events []history.Event
	var end *ending
	seen := map[int32]bool{}
	for i, a := range actions {
		bad := func(format string, args ...any) error {
			return status.Errorf(codes.InvalidArgument, "actions[%d] (id %d): %s", i, a.GetId(), fmt.Sprintf(format, args...))
		}
		if end != nil {
			return nil, nil, bad("an action after the one that ended the orchestration")
		}
		id := a.GetId()
		scheduling := a.GetCompleteOrchestration() == nil && a.GetTerminateOrchestration() == nil
		if scheduling && (seen[id] || taken(int64(id))) {
			return nil, nil, bad("the id is taken by an earlier action of this execution")
		}
		seen[id] = true
		ev := history.Event{ID: int64(id), Time: now}
		switch t := a.GetOrchestratorActionType().(type) {
		case *pb.OrchestratorAction_ScheduleTask:
			if t.ScheduleTask.GetName() == "" {
				return nil, nil, bad("scheduleTask names no activity")
			}
			input, err := jsonOf("input", t.ScheduleTask.GetInput())
			if err != nil {
				return nil, nil, bad("scheduleTask input is not valid JSON")
			}
			ev.Type, ev.Name, ev.Input = history.EventTaskScheduled, t.ScheduleTask.GetName(), input
		case *pb.OrchestratorAction_CreateSubOrchestration:
			c := t.CreateSubOrchestration
			if c.GetName() == "" {
				return nil, nil, bad("createSubOrchestration names no orchestration")
			}
			child := c.GetInstanceId()
			if child == "" {
				// As Durable Task backends do: the parent's id and the action's.
				child = fmt.Sprintf("%s:%04d", instanceID, id)
			}
			input, err := jsonOf("input", c.GetInput())
			if err != nil {
				return nil, nil, bad("createSubOrchestration input is not valid JSON")
			}
			if err := validate.Version(c.GetVersion().GetValue()); err != nil {
				return nil, nil, bad("createSubOrchestration: %v", err)
			}
			ev.Type, ev.Name, ev.InstanceID, ev.Input = history.EventSubOrchestrationCreated, c.GetName(), child, input
			ev.Version = c.GetVersion().GetValue()
		case *pb.OrchestratorAction_CreateTimer:
			at := t.CreateTimer.GetFireAt()
			if at == nil {
				return nil, nil, bad("createTimer has no fireAt")
			}
			if at.AsTime().Before(now) {
				return nil, nil, bad("createTimer fires at %s, before the turn's time %s", at.AsTime().Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
			}
			ev.Type, ev.FireAt = history.EventTimerCreated, at.AsTime()
		case *pb.OrchestratorAction_SendEvent:
			s := t.SendEvent
			if s.GetInstance().GetInstanceId() == "" || s.GetName() == "" {
				return nil, nil, bad("sendEvent needs an instance and an event name")
			}
			data, err := jsonOf("data", s.GetData())
			if err != nil {
				return nil, nil, bad("sendEvent data is not valid JSON")
			}
			ev.Type, ev.InstanceID, ev.Name, ev.Input = history.EventEventSent, s.GetInstance().GetInstanceId(), s.GetName(), data
		case *pb.OrchestratorAction_CompleteOrchestration:
			e, err := endingOf(t.CompleteOrchestration, now)
			if err != nil {
				return nil, nil, bad("%v", err)
			}
			end = e
			continue
		case *pb.OrchestratorAction_TerminateOrchestration:
			return nil, nil, bad("terminateOrchestration is not supported yet; terminate through the client")
		case *pb.OrchestratorAction_SendEntityMessage:
			return nil, nil, bad("entity messages from SDK orchestrations are not supported yet")
		default:
			return nil, nil, bad("unknown action type %T", t)
		}
		events = append(events, ev)
	}
	return events, end, nil
}

// endingOf reads a completeOrchestration action.
func endingOf(c *pb.CompleteOrchestrationAction, now time.Time) (*ending, error) {
	out, err := jsonOf("result", c.GetResult())
	if err != nil {
		return nil, fmt.Errorf("completeOrchestration result is not valid JSON")
	}
	e := &ending{output: out}
	switch c.GetOrchestrationStatus() {
	case pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED:
		e.status = history.StatusCompleted
	case pb.OrchestrationStatus_ORCHESTRATION_STATUS_FAILED:
		e.status = history.StatusFailed
		e.failure = &history.Failure{ErrorType: "OrchestrationFailed", Message: "the orchestration failed"}
		if f := c.GetFailureDetails(); f != nil {
			e.failure = failureFrom(f)
		}
		e.output = nil
	case pb.OrchestrationStatus_ORCHESTRATION_STATUS_TERMINATED:
		e.status = history.StatusTerminated
	case pb.OrchestrationStatus_ORCHESTRATION_STATUS_CONTINUED_AS_NEW:
		e.status = history.StatusContinuedAsNew
		if v := c.GetNewVersion(); v != nil {
			if err := validate.Version(v.GetValue()); err != nil {
				return nil, fmt.Errorf("completeOrchestration newVersion: %v", err)
			}
			e.newVersion = &v.Value
		}
		for _, ce := range c.GetCarryoverEvents() {
			raised := ce.GetEventRaised()
			if raised == nil {
				return nil, fmt.Errorf("completeOrchestration carries over an event that is not an external event")
			}
			input, err := jsonOf("input", raised.GetInput())
			if err != nil {
				return nil, fmt.Errorf("completeOrchestration carries over an event whose input is not valid JSON")
			}
			e.carry = append(e.carry, history.Event{Type: history.EventEventRaised, Time: now, Name: raised.GetName(), Input: input})
		}
	default:
		return nil, fmt.Errorf("completeOrchestration with status %s: an orchestration completes, fails, is terminated or continues as new", c.GetOrchestrationStatus())
	}
	return e, nil
}

// turnOf is the Turn a worker's answer r to step adds: the events of the actions
// taken, and the end, if the actions ended the execution.
func turnOf(step orchestrator.RemoteStep, r *pb.OrchestratorResponse) (orchestrator.Turn, error) {
	now := time.Now()
	if len(step.New) > 0 && step.New[0].Type == history.EventOrchestratorStarted {
		now = step.New[0].Time
	}
	taken := map[int64]bool{}
	status := history.StatusRunning
	version := ""
	for _, evs := range [][]history.Event{step.Past, step.New} {
		for _, ev := range evs {
			switch {
			case ev.Type == history.EventExecutionStarted:
				version = ev.Version
			case ev.Type.IsScheduling():
				taken[ev.ID] = true
			case ev.Type == history.EventExecutionSuspended:
				status = history.StatusSuspended
			case ev.Type == history.EventExecutionResumed:
				status = history.StatusRunning
			}
		}
	}
	events, end, err := actionEvents(step.InstanceID, r.GetActions(), now, func(id int64) bool { return taken[id] })
	if err != nil {
		return orchestrator.Turn{}, err
	}
	tr := orchestrator.Turn{Events: events, Status: status}
	if cs := r.GetCustomStatus(); cs != nil {
		custom, err := jsonOf("customStatus", cs)
		if err != nil {
			return orchestrator.Turn{}, err
		}
		tr.CustomStatus, tr.CustomStatusChanged = custom, true
	}
	if end != nil {
		tr.Status, tr.Output, tr.Failure = end.status, end.output, end.failure
		tr.Events = append(tr.Events, history.Event{Type: history.EventExecutionCompleted, Time: now,
			Status: end.status, Result: end.output, Failure: end.failure})
		if end.status == history.StatusContinuedAsNew {
			if end.newVersion != nil {
				version = *end.newVersion
			}
			tr.ContinueAsNew = &orchestrator.ContinueAsNew{Input: end.output, Carry: end.carry, Version: version}
		}
	}
	return tr, nil
}
