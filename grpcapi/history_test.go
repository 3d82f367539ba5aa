package grpcapi

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/godurable/durable/grpcapi/internal/protos"
	"github.com/godurable/durable/history"
)

func TestEventsKeepTheirIDs(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	evs := []history.Event{
		{Type: history.EventExecutionStarted, Time: now, Name: "Chain", InstanceID: "i", ExecutionID: "x", Input: []byte(`"in"`),
			Parent: &history.ParentRef{InstanceID: "p", ExecutionID: "px", TaskID: 4, Name: "Parent"}},
		{Type: history.EventOrchestratorStarted, Time: now},
		{Type: history.EventTaskScheduled, ID: 0, Name: "Hello", Input: []byte(`"Tokyo"`)},
		{Type: history.EventTimerCreated, ID: 1, FireAt: now.Add(time.Minute)},
		{Type: history.EventTaskCompleted, TaskID: 0, Result: []byte(`"Hello Tokyo"`)},
		{Type: history.EventTimerFired, TaskID: 1, FireAt: now.Add(time.Minute)},
		{Type: history.EventTaskFailed, TaskID: 2, Failure: &history.Failure{ErrorType: "E", Message: "m"}},
		{Type: history.EventExecutionCompleted, Status: history.StatusCompleted, Result: []byte(`1`)},
	}
	got := make([]*pb.HistoryEvent, len(evs))
	for i, ev := range evs {
		got[i] = eventToProto(ev)
	}
	started := got[0].GetExecutionStarted()
	if started.GetName() != "Chain" || started.GetInput().GetValue() != `"in"` || started.GetOrchestrationInstance().GetExecutionId().GetValue() != "x" ||
		started.GetParentInstance().GetTaskScheduledId() != 4 || got[0].EventId != -1 {
		t.Fatalf("ExecutionStarted: %v", got[0])
	}
	if got[2].EventId != 0 || got[2].GetTaskScheduled().GetName() != "Hello" || got[3].EventId != 1 || !got[3].GetTimerCreated().GetFireAt().AsTime().Equal(now.Add(time.Minute)) {
		t.Fatalf("scheduling events: %v %v", got[2], got[3])
	}
	if got[4].GetTaskCompleted().GetTaskScheduledId() != 0 || got[5].GetTimerFired().GetTimerId() != 1 || got[6].GetTaskFailed().GetFailureDetails().GetErrorType() != "E" {
		t.Fatalf("completions: %v %v %v", got[4], got[5], got[6])
	}
	if got[7].GetExecutionCompleted().GetOrchestrationStatus() != pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED {
		t.Fatalf("ExecutionCompleted: %v", got[7])
	}
}

func TestActionsBecomeEvents(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	actions := []*pb.OrchestratorAction{
		{Id: 3, OrchestratorActionType: &pb.OrchestratorAction_ScheduleTask{ScheduleTask: &pb.ScheduleTaskAction{Name: "Hello", Input: wrapperspb.String(`"x"`)}}},
		{Id: 4, OrchestratorActionType: &pb.OrchestratorAction_CreateTimer{CreateTimer: &pb.CreateTimerAction{FireAt: timestamppb.New(now.Add(time.Hour))}}},
		{Id: 5, OrchestratorActionType: &pb.OrchestratorAction_CreateSubOrchestration{CreateSubOrchestration: &pb.CreateSubOrchestrationAction{Name: "Child", InstanceId: "c1"}}},
		{Id: 6, OrchestratorActionType: &pb.OrchestratorAction_SendEvent{SendEvent: &pb.SendEventAction{Instance: &pb.OrchestrationInstance{InstanceId: "o"}, Name: "go"}}},
		{Id: 7, OrchestratorActionType: &pb.OrchestratorAction_CompleteOrchestration{CompleteOrchestration: &pb.CompleteOrchestrationAction{
			OrchestrationStatus: pb.OrchestrationStatus_ORCHESTRATION_STATUS_CONTINUED_AS_NEW, Result: wrapperspb.String(`2`),
			CarryoverEvents: []*pb.HistoryEvent{{EventType: &pb.HistoryEvent_EventRaised{EventRaised: &pb.EventRaisedEvent{Name: "later", Input: wrapperspb.String(`true`)}}}}}}},
	}
	evs, end, err := actionEvents("i", actions, now, func(id int64) bool { return id < 3 })
	if err != nil {
		t.Fatal(err)
	}
	want := []history.EventType{history.EventTaskScheduled, history.EventTimerCreated, history.EventSubOrchestrationCreated, history.EventEventSent}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, ev := range evs {
		if ev.Type != want[i] || ev.ID != int64(i+3) {
			t.Fatalf("event %d: %+v, want %s with id %d", i, ev, want[i], i+3)
		}
	}
	if evs[2].InstanceID != "c1" || evs[3].InstanceID != "o" || !evs[1].FireAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("events: %+v", evs)
	}
	if end == nil || end.status != history.StatusContinuedAsNew || string(end.output) != "2" || len(end.carry) != 1 || end.carry[0].Name != "later" {
		t.Fatalf("ending: %+v", end)
	}
}

func TestMalformedActionsAreRefused(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	task := func(id int32) *pb.OrchestratorAction {
		return &pb.OrchestratorAction{Id: id, OrchestratorActionType: &pb.OrchestratorAction_ScheduleTask{ScheduleTask: &pb.ScheduleTaskAction{Name: "Hello"}}}
	}
	complete := &pb.OrchestratorAction{Id: 9, OrchestratorActionType: &pb.OrchestratorAction_CompleteOrchestration{CompleteOrchestration: &pb.CompleteOrchestrationAction{
		OrchestrationStatus: pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED}}}
	cases := []struct {
		name    string
		actions []*pb.OrchestratorAction
		says    string
	}{
		{"duplicate id", []*pb.OrchestratorAction{task(1), task(1)}, "taken"},
		{"id of the history", []*pb.OrchestratorAction{task(0)}, "taken"},
		{"timer in the past", []*pb.OrchestratorAction{{Id: 1, OrchestratorActionType: &pb.OrchestratorAction_CreateTimer{
			CreateTimer: &pb.CreateTimerAction{FireAt: timestamppb.New(now.Add(-time.Second))}}}}, "before the turn's time"},
		{"unknown type", []*pb.OrchestratorAction{{Id: 1}}, "unknown action type"},
		{"action after the end", []*pb.OrchestratorAction{complete, task(1)}, "after the one that ended"},
		{"bad JSON", []*pb.OrchestratorAction{{Id: 1, OrchestratorActionType: &pb.OrchestratorAction_ScheduleTask{
			ScheduleTask: &pb.ScheduleTaskAction{Name: "Hello", Input: wrapperspb.String("{")}}}}, "not valid JSON"},
		{"pending status", []*pb.OrchestratorAction{{Id: 1, OrchestratorActionType: &pb.OrchestratorAction_CompleteOrchestration{
			CompleteOrchestration: &pb.CompleteOrchestrationAction{OrchestrationStatus: pb.OrchestrationStatus_ORCHESTRATION_STATUS_PENDING}}}}, "completes, fails, is terminated or continues"},
	}
	for _, c := range cases {
		_, _, err := actionEvents("i", c.actions, now, func(id int64) bool { return id == 0 })
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want InvalidArgument saying %q", c.name, err, c.says)
		}
	}
}

func TestFailedOrchestrationKeepsTheWorkersFailure(t *testing.T) {
	_, end, err := actionEvents("i", []*pb.OrchestratorAction{{Id: 1, OrchestratorActionType: &pb.OrchestratorAction_CompleteOrchestration{
		CompleteOrchestration: &pb.CompleteOrchestrationAction{OrchestrationStatus: pb.OrchestrationStatus_ORCHESTRATION_STATUS_FAILED,
			FailureDetails: &pb.TaskFailureDetails{ErrorType: "TypeError", ErrorMessage: "x is undefined", StackTrace: wrapperspb.String("at f (a.js:1)")}}}}},
		time.Now(), func(int64) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if end.status != history.StatusFailed || end.failure.ErrorType != "TypeError" || end.failure.Stack != "at f (a.js:1)" {
		t.Fatalf("ending: %+v %+v", end, end.failure)
	}
}
