package grpcapi_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/godurable/durable/grpcapi/internal/protos"
)

// connect opens a worker stream that takes at most limit activities at once.
func connect(t *testing.T, ctx context.Context, limit int32) (pb.TaskHubSidecarService_GetWorkItemsClient, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	stream, err := client.GetWorkItems(ctx, &pb.GetWorkItemsRequest{MaxConcurrentActivityWorkItems: limit})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return stream, cancel
}

// nextItem returns the next work item of stream that pick takes, skipping pings.
func nextItem(t *testing.T, stream pb.TaskHubSidecarService_GetWorkItemsClient, pick func(*pb.WorkItem) bool) *pb.WorkItem {
	t.Helper()
	for {
		item, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if pick(item) {
			return item
		}
	}
}

// nextActivity returns the next activity work item of stream.
func nextActivity(t *testing.T, stream pb.TaskHubSidecarService_GetWorkItemsClient) (*pb.ActivityRequest, string) {
	t.Helper()
	item := nextItem(t, stream, func(w *pb.WorkItem) bool { return w.GetActivityRequest() != nil })
	return item.GetActivityRequest(), item.CompletionToken
}

func TestRemoteActivity(t *testing.T) {
	ctx := ctxFor(t)
	stream, stop := connect(t, ctx, 1)
	defer stop()
	if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "remote-1", Name: "Remote", Input: wrapperspb.String(`"Tokyo"`)}); err != nil {
		t.Fatal(err)
	}
	req, token := nextActivity(t, stream)
	if req.Name != "RemoteGreet" || req.GetInput().GetValue() != `"Tokyo"` || req.GetOrchestrationInstance().GetInstanceId() != "remote-1" || token == "" {
		t.Fatalf("work item %v (token %q)", req, token)
	}
	_, err := client.CompleteActivityTask(ctx, &pb.ActivityResponse{InstanceId: "remote-1", TaskId: req.TaskId, CompletionToken: token,
		Result: wrapperspb.String("{not json")})
	wantCode(t, err, codes.InvalidArgument)
	if _, err := client.CompleteActivityTask(ctx, &pb.ActivityResponse{InstanceId: "remote-1", TaskId: req.TaskId, CompletionToken: token,
		Result: wrapperspb.String(`"Hello Tokyo"`)}); err != nil {
		t.Fatal(err)
	}
	// The same completion again is stale: the item is settled.
	_, err = client.CompleteActivityTask(ctx, &pb.ActivityResponse{InstanceId: "remote-1", TaskId: req.TaskId, CompletionToken: token,
		Result: wrapperspb.String(`"twice"`)})
	wantCode(t, err, codes.NotFound)
	done, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "remote-1", GetInputsAndOutputs: true})
	if err != nil || done.GetOrchestrationState().GetOutput().GetValue() != `"Hello Tokyo"` {
		t.Fatalf("completed as %v %v", done, err)
	}
}

func TestRemoteActivityFailure(t *testing.T) {
	ctx := ctxFor(t)
	stream, stop := connect(t, ctx, 1)
	defer stop()
	if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "remote-fail", Name: "Remote", Input: wrapperspb.String(`"x"`)}); err != nil {
		t.Fatal(err)
	}
	req, token := nextActivity(t, stream)
	if _, err := client.CompleteActivityTask(ctx, &pb.ActivityResponse{InstanceId: "remote-fail", TaskId: req.TaskId, CompletionToken: token,
		FailureDetails: &pb.TaskFailureDetails{ErrorType: "ValueError", ErrorMessage: "no such city", StackTrace: wrapperspb.String("at greet.py:3")}}); err != nil {
		t.Fatal(err)
	}
	done, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "remote-fail"})
	if err != nil {
		t.Fatal(err)
	}
	f := done.GetOrchestrationState().GetFailureDetails()
	if done.GetOrchestrationState().OrchestrationStatus != pb.OrchestrationStatus_ORCHESTRATION_STATUS_FAILED ||
		f.GetInnerFailure().GetErrorType() != "ValueError" || f.GetInnerFailure().GetStackTrace().GetValue() != "at greet.py:3" {
		t.Fatalf("failed as %v", done.GetOrchestrationState())
	}
}

// A worker that goes away holding an activity leaves it to another; one that abandons
// it, too; the first worker's token is worthless then.
func TestRemoteActivityMovesToAnotherWorker(t *testing.T) {
	ctx := ctxFor(t)
	first, stopFirst := connect(t, ctx, 1)
	if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "remote-moved", Name: "Remote", Input: wrapperspb.String(`"Lima"`)}); err != nil {
		t.Fatal(err)
	}
	req, lost := nextActivity(t, first)
	stopFirst() // the worker dies with the activity
	second, stopSecond := connect(t, ctx, 1)
	defer stopSecond()
	again, abandoned := nextActivity(t, second)
	if again.TaskId != req.TaskId || again.GetOrchestrationInstance().GetInstanceId() != "remote-moved" || abandoned == lost {
		t.Fatalf("after the first worker left, the second got %v (token %q, the first had %q)", again, abandoned, lost)
	}
	if _, err := client.AbandonTaskActivityWorkItem(ctx, &pb.AbandonActivityTaskRequest{CompletionToken: abandoned}); err != nil {
		t.Fatal(err)
	}
	_, token := nextActivity(t, second)
	_, err := client.CompleteActivityTask(ctx, &pb.ActivityResponse{InstanceId: "remote-moved", TaskId: req.TaskId, CompletionToken: lost,
		Result: wrapperspb.String(`"from the dead"`)})
	wantCode(t, err, codes.NotFound)
	if _, err := client.CompleteActivityTask(ctx, &pb.ActivityResponse{InstanceId: "remote-moved", TaskId: req.TaskId, CompletionToken: token,
		Result: wrapperspb.String(`"Hello Lima"`)}); err != nil {
		t.Fatal(err)
	}
	done, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "remote-moved", GetInputsAndOutputs: true})
	if err != nil || done.GetOrchestrationState().GetOutput().GetValue() != `"Hello Lima"` {
		t.Fatalf("completed as %v %v", done, err)
	}
}
