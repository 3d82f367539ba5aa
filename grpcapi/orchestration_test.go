package grpcapi_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/godurable/durable/grpcapi/internal/protos"
)

// nextStep returns the next orchestration work item of stream.
func nextStep(t *testing.T, stream pb.TaskHubSidecarService_GetWorkItemsClient) (*pb.OrchestratorRequest, string) {
	t.Helper()
	item := nextItem(t, stream, func(w *pb.WorkItem) bool { return w.GetOrchestratorRequest() != nil })
	return item.GetOrchestratorRequest(), item.CompletionToken
}

func scheduleHello(id int32, input string) *pb.OrchestratorAction {
	return &pb.OrchestratorAction{Id: id, OrchestratorActionType: &pb.OrchestratorAction_ScheduleTask{
		ScheduleTask: &pb.ScheduleTaskAction{Name: "Hello", Input: wrapperspb.String(input)}}}
}

func completeWith(id int32, result string) *pb.OrchestratorAction {
	return &pb.OrchestratorAction{Id: id, OrchestratorActionType: &pb.OrchestratorAction_CompleteOrchestration{
		CompleteOrchestration: &pb.CompleteOrchestrationAction{OrchestrationStatus: pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED,
			Result: wrapperspb.String(result)}}}
}

// An orchestration no Go code registered runs on a worker: it is handed its history and
// new events, answers with actions (here a Go activity, then its end), and the
// instance journals them.
func TestRemoteOrchestration(t *testing.T) {
	ctx := ctxFor(t)
	stream, stop := connect(t, ctx, 1)
	defer stop()
	if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "sdk-1", Name: "SdkChain", Input: wrapperspb.String(`"Rome"`)}); err != nil {
		t.Fatal(err)
	}
	first, token := nextStep(t, stream)
	if first.InstanceId != "sdk-1" || len(first.PastEvents) != 0 || len(first.NewEvents) != 2 ||
		first.NewEvents[0].GetOrchestratorStarted() == nil || first.NewEvents[1].GetExecutionStarted().GetInput().GetValue() != `"Rome"` {
		t.Fatalf("first step: %v", first)
	}
	// Malformed actions are refused, and the step stays with the worker.
	_, err := client.CompleteOrchestratorTask(ctx, &pb.OrchestratorResponse{InstanceId: "sdk-1", CompletionToken: token,
		Actions: []*pb.OrchestratorAction{scheduleHello(0, `"Rome"`), scheduleHello(0, `"again"`)}})
	wantCode(t, err, codes.InvalidArgument)
	if _, err := client.CompleteOrchestratorTask(ctx, &pb.OrchestratorResponse{InstanceId: "sdk-1", CompletionToken: token,
		Actions: []*pb.OrchestratorAction{scheduleHello(0, `"Rome"`)}, CustomStatus: wrapperspb.String(`"greeting"`)}); err != nil {
		t.Fatal(err)
	}
	second, token := nextStep(t, stream)
	if len(second.PastEvents) != 4 || second.PastEvents[2].GetTaskScheduled().GetName() != "Hello" || second.PastEvents[2].EventId != 0 ||
		second.PastEvents[3].GetOrchestratorCompleted() == nil {
		t.Fatalf("second step's past: %v", second.PastEvents)
	}
	var result string
	for _, ev := range second.NewEvents {
		if c := ev.GetTaskCompleted(); c != nil && c.TaskScheduledId == 0 {
			result = c.GetResult().GetValue()
		}
	}
	if result != `"Hello Rome"` {
		t.Fatalf("second step's new events: %v", second.NewEvents)
	}
	if _, err := client.CompleteOrchestratorTask(ctx, &pb.OrchestratorResponse{InstanceId: "sdk-1", CompletionToken: token,
		Actions: []*pb.OrchestratorAction{completeWith(1, result)}}); err != nil {
		t.Fatal(err)
	}
	done, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "sdk-1", GetInputsAndOutputs: true})
	st := done.GetOrchestrationState()
	if err != nil || st.OrchestrationStatus != pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED ||
		st.GetOutput().GetValue() != `"Hello Rome"` || st.GetCustomStatus().GetValue() != `"greeting"` || st.Name != "SdkChain" {
		t.Fatalf("completed as %v %v", st, err)
	}
}

// A worker that goes away in the middle of a step leaves it to another; a terminate
// needs no worker at all.
func TestRemoteOrchestrationOutlivesItsWorker(t *testing.T) {
	ctx := ctxFor(t)
	first, stopFirst := connect(t, ctx, 1)
	for _, id := range []string{"sdk-moved", "sdk-ended"} {
		if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: id, Name: "SdkChain"}); err != nil {
			t.Fatal(err)
		}
	}
	step, _ := nextStep(t, first)
	stopFirst()
	if _, err := client.TerminateInstance(ctx, &pb.TerminateRequest{InstanceId: "sdk-ended", Output: wrapperspb.String(`"enough"`)}); err != nil {
		t.Fatal(err)
	}
	ended, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "sdk-ended"})
	if err != nil || ended.GetOrchestrationState().OrchestrationStatus != pb.OrchestrationStatus_ORCHESTRATION_STATUS_TERMINATED {
		t.Fatalf("terminated without a worker: %v %v", ended, err)
	}
	second, stopSecond := connect(t, ctx, 1)
	defer stopSecond()
	var again *pb.OrchestratorRequest
	var token string
	for again == nil || again.InstanceId != "sdk-moved" {
		again, token = nextStep(t, second)
		if again.InstanceId != "sdk-moved" {
			// The step of the other instance, if the first worker had not taken it.
			if _, err := client.AbandonTaskOrchestratorWorkItem(ctx, &pb.AbandonOrchestrationTaskRequest{CompletionToken: token}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(again.NewEvents) != len(step.NewEvents) && step.InstanceId == "sdk-moved" {
		t.Fatalf("the step handed again differs: %v, first %v", again, step)
	}
	if _, err := client.CompleteOrchestratorTask(ctx, &pb.OrchestratorResponse{InstanceId: "sdk-moved", CompletionToken: token,
		Actions: []*pb.OrchestratorAction{completeWith(0, `"done"`)}}); err != nil {
		t.Fatal(err)
	}
	done, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "sdk-moved", GetInputsAndOutputs: true})
	if err != nil || done.GetOrchestrationState().GetOutput().GetValue() != `"done"` {
		t.Fatalf("completed as %v %v", done, err)
	}
}

var fanOuts atomic.Int64

// A fan-out wider than the worker's bound: the orchestration schedules 300 activities
// only the worker implements and completes with their sum once every result is in.
// Results that reached the instance together with a step's answer were dropped once.
func TestRemoteFanOut(t *testing.T) {
	ctx := ctxFor(t)
	stream, stop := connect(t, ctx, 50)
	defer stop()
	const n = 300
	id := fmt.Sprintf("sdk-fan-%d", fanOuts.Add(1))
	if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: id, Name: "SdkFanOut"}); err != nil {
		t.Fatal(err)
	}
	for {
		item, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if a := item.GetActivityRequest(); a != nil {
			var i int
			fmt.Sscan(a.GetInput().GetValue(), &i)
			if _, err := client.CompleteActivityTask(ctx, &pb.ActivityResponse{InstanceId: a.GetOrchestrationInstance().GetInstanceId(),
				TaskId: a.TaskId, CompletionToken: item.CompletionToken, Result: wrapperspb.String(fmt.Sprint(i * i))}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		step := item.GetOrchestratorRequest()
		if step == nil {
			continue
		}
		sum, done, scheduled := 0, 0, false
		for _, ev := range append(step.PastEvents, step.NewEvents...) {
			if c := ev.GetTaskCompleted(); c != nil {
				var v int
				fmt.Sscan(c.GetResult().GetValue(), &v)
				sum, done = sum+v, done+1
			}
			scheduled = scheduled || ev.GetTaskScheduled() != nil
		}
		var actions []*pb.OrchestratorAction
		switch {
		case !scheduled:
			for i := range n {
				actions = append(actions, &pb.OrchestratorAction{Id: int32(i), OrchestratorActionType: &pb.OrchestratorAction_ScheduleTask{
					ScheduleTask: &pb.ScheduleTaskAction{Name: "Square", Input: wrapperspb.String(fmt.Sprint(i))}}})
			}
		case done == n:
			actions = []*pb.OrchestratorAction{completeWith(n, fmt.Sprint(sum))}
		}
		if _, err := client.CompleteOrchestratorTask(ctx, &pb.OrchestratorResponse{InstanceId: step.InstanceId,
			CompletionToken: item.CompletionToken, Actions: actions}); err != nil {
			t.Fatal(err)
		}
		if done == n {
			break
		}
	}
	end, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: id, GetInputsAndOutputs: true})
	if want := fmt.Sprint((n - 1) * n * (2*n - 1) / 6); err != nil || end.GetOrchestrationState().GetOutput().GetValue() != want {
		t.Fatalf("ended as %v %v, want %s", end, err, want)
	}
}
