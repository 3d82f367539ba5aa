package grpcapi

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/godurable/durable/grpcapi/internal/protos"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
)

// Versions travel both ways between the history and the protocol: in the events a
// worker replays, in the sub-orchestrations it starts, and across a continue-as-new,
// which keeps the version unless the worker names a new one.
func TestVersionsInHistoryAndActions(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	started := history.Event{Type: history.EventExecutionStarted, Time: now, Name: "Loop", InstanceID: "i", ExecutionID: "x", Version: "1"}
	if got := eventToProto(started).GetExecutionStarted().GetVersion().GetValue(); got != "1" {
		t.Errorf("ExecutionStarted version %q", got)
	}
	child := history.Event{Type: history.EventSubOrchestrationCreated, ID: 2, Name: "Child", InstanceID: "c", Version: "3"}
	if got := eventToProto(child).GetSubOrchestrationInstanceCreated().GetVersion().GetValue(); got != "3" {
		t.Errorf("SubOrchestrationInstanceCreated version %q", got)
	}
	if eventToProto(history.Event{Type: history.EventExecutionStarted}).GetExecutionStarted().GetVersion() != nil {
		t.Error("unversioned ExecutionStarted carries a version")
	}

	step := orchestrator.RemoteStep{InstanceID: "i", ExecutionID: "x", New: []history.Event{{Type: history.EventOrchestratorStarted, Time: now}, started}}
	answer := func(newVersion *wrapperspb.StringValue) *pb.OrchestratorResponse {
		return &pb.OrchestratorResponse{Actions: []*pb.OrchestratorAction{
			{Id: 0, OrchestratorActionType: &pb.OrchestratorAction_CreateSubOrchestration{CreateSubOrchestration: &pb.CreateSubOrchestrationAction{
				Name: "Child", InstanceId: "c", Version: wrapperspb.String("3")}}},
			{Id: 1, OrchestratorActionType: &pb.OrchestratorAction_CompleteOrchestration{CompleteOrchestration: &pb.CompleteOrchestrationAction{
				OrchestrationStatus: pb.OrchestrationStatus_ORCHESTRATION_STATUS_CONTINUED_AS_NEW, NewVersion: newVersion}}},
		}}
	}
	for _, c := range []struct {
		newVersion *wrapperspb.StringValue
		want       string
	}{{nil, "1"}, {wrapperspb.String("2"), "2"}, {wrapperspb.String(""), ""}} {
		tr, err := turnOf(step, answer(c.newVersion))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Events[0].Version != "3" || tr.ContinueAsNew == nil || tr.ContinueAsNew.Version != c.want {
			t.Errorf("new version %v: child at %q, next execution at %+v; want %q", c.newVersion, tr.Events[0].Version, tr.ContinueAsNew, c.want)
		}
	}
	bad := answer(wrapperspb.String("2\n"))
	if _, err := turnOf(step, bad); err == nil {
		t.Error("a malformed new version was taken")
	}
}
