package grpcapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/godurable/durable/grpcapi/internal/protos"
)

// nextBatch returns the next entity work item of stream.
func nextBatch(t *testing.T, stream pb.TaskHubSidecarService_GetWorkItemsClient) (*pb.EntityBatchRequest, string) {
	t.Helper()
	item := nextItem(t, stream, func(w *pb.WorkItem) bool { return w.GetEntityRequest() != nil })
	return item.GetEntityRequest(), item.CompletionToken
}

func success(v string) *pb.OperationResult {
	return &pb.OperationResult{ResultType: &pb.OperationResult_Success{Success: &pb.OperationResultSuccess{Result: wrapperspb.String(v)}}}
}

// signalTally signals the remote entity in the background: the call returns once
// the worker's answer is recorded.
func signalTally(t *testing.T, ctx context.Context, n string) chan error {
	done := make(chan error, 1)
	go func() {
		_, err := client.SignalEntity(ctx, &pb.SignalEntityRequest{InstanceId: "@tally@t1", Name: "add", Input: wrapperspb.String(n)})
		done <- err
	}()
	return done
}

func TestRemoteEntity(t *testing.T) {
	ctx := ctxFor(t)
	stream, stop := connect(t, ctx, 1)
	defer stop()

	// A signal: the worker sets the state and signals a Go entity.
	signalled := signalTally(t, ctx, "2")
	req, token := nextBatch(t, stream)
	if req.InstanceId != "@tally@t1" || req.EntityState != nil || len(req.Operations) != 1 || req.Operations[0].Operation != "add" ||
		req.Operations[0].GetInput().GetValue() != "2" {
		t.Fatalf("batch %v", req)
	}
	// An answer that does not fit the batch is refused, naming the field; the batch stays.
	_, err := client.CompleteEntityTask(ctx, &pb.EntityBatchResult{CompletionToken: token})
	wantCode(t, err, codes.InvalidArgument)
	if !strings.Contains(err.Error(), "results") {
		t.Fatalf("the error does not name the field: %v", err)
	}
	_, err = client.CompleteEntityTask(ctx, &pb.EntityBatchResult{CompletionToken: token, Results: []*pb.OperationResult{success("")},
		Actions: []*pb.OperationAction{{OperationActionType: &pb.OperationAction_SendSignal{SendSignal: &pb.SendSignalAction{InstanceId: "tally"}}}}})
	wantCode(t, err, codes.InvalidArgument)
	if _, err := client.CompleteEntityTask(ctx, &pb.EntityBatchResult{CompletionToken: token, EntityState: wrapperspb.String("2"),
		Results: []*pb.OperationResult{success("")},
		Actions: []*pb.OperationAction{{Id: 0, OperationActionType: &pb.OperationAction_SendSignal{SendSignal: &pb.SendSignalAction{
			InstanceId: "@counter@from-tally", Name: "Add", Input: wrapperspb.String("1")}}}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := <-signalled; err != nil {
		t.Fatal(err)
	}
	_, err = client.CompleteEntityTask(ctx, &pb.EntityBatchResult{CompletionToken: token, Results: []*pb.OperationResult{success("")}})
	wantCode(t, err, codes.NotFound)

	// A call from a Go orchestration: the state is kept across batches.
	if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "tally-add", Name: "CallTally", Input: wrapperspb.String(`"add"`)}); err != nil {
		t.Fatal(err)
	}
	req, token = nextBatch(t, stream)
	if req.GetEntityState().GetValue() != "2" || req.Operations[0].GetInput().GetValue() != "3" {
		t.Fatalf("batch %v", req)
	}
	if _, err := client.CompleteEntityTask(ctx, &pb.EntityBatchResult{CompletionToken: token, EntityState: wrapperspb.String("5"),
		Results: []*pb.OperationResult{success("5")}}); err != nil {
		t.Fatal(err)
	}
	wantOutput(t, ctx, "tally-add", pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED, "5")

	// A failing operation fails the call, and leaves the state.
	if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "tally-boom", Name: "CallTally", Input: wrapperspb.String(`"boom"`)}); err != nil {
		t.Fatal(err)
	}
	_, token = nextBatch(t, stream)
	if _, err := client.CompleteEntityTask(ctx, &pb.EntityBatchResult{CompletionToken: token, EntityState: wrapperspb.String("5"),
		Results: []*pb.OperationResult{{ResultType: &pb.OperationResult_Failure{Failure: &pb.OperationResultFailure{
			FailureDetails: &pb.TaskFailureDetails{ErrorType: "Boom", ErrorMessage: "no such operation"}}}}}}); err != nil {
		t.Fatal(err)
	}
	st := wantOutput(t, ctx, "tally-boom", pb.OrchestrationStatus_ORCHESTRATION_STATUS_FAILED, "")
	if !strings.Contains(st.GetFailureDetails().GetErrorMessage(), "no such operation") {
		t.Fatalf("failure %v", st.GetFailureDetails())
	}

	// A worker that disconnects mid-batch: another gets the batch, the first one's
	// late answer is refused, and the batch is applied once.
	stop()
	first, stopFirst := connect(t, ctx, 1)
	signalled = signalTally(t, ctx, "1")
	_, lost := nextBatch(t, first)
	stopFirst()
	second, stopSecond := connect(t, ctx, 1)
	defer stopSecond()
	req, token = nextBatch(t, second)
	if req.GetEntityState().GetValue() != "5" {
		t.Fatalf("batch %v", req)
	}
	_, err = client.CompleteEntityTask(ctx, &pb.EntityBatchResult{CompletionToken: lost, EntityState: wrapperspb.String("6"), Results: []*pb.OperationResult{success("")}})
	wantCode(t, err, codes.NotFound)
	if _, err := client.CompleteEntityTask(ctx, &pb.EntityBatchResult{CompletionToken: token, EntityState: wrapperspb.String("6"),
		Results: []*pb.OperationResult{success("")}}); err != nil {
		t.Fatal(err)
	}
	if err := <-signalled; err != nil {
		t.Fatal(err)
	}
	got, err := client.GetEntity(ctx, &pb.GetEntityRequest{InstanceId: "@tally@t1", IncludeState: true})
	if err != nil || got.GetEntity().GetSerializedState().GetValue() != "6" {
		t.Fatalf("tally %v %v", got, err)
	}
	// The Go entity the first batch signalled got the signal once.
	waitEntity(t, ctx, "@counter@from-tally", `{"N":1}`)
}

// wantOutput waits for instance id to end and checks its status and output.
func wantOutput(t *testing.T, ctx context.Context, id string, want pb.OrchestrationStatus, output string) *pb.OrchestrationState {
	t.Helper()
	res, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: id, GetInputsAndOutputs: true})
	if err != nil {
		t.Fatal(err)
	}
	st := res.GetOrchestrationState()
	if st.GetOrchestrationStatus() != want || st.GetOutput().GetValue() != output {
		t.Fatalf("%s: %v", id, st)
	}
	return st
}

// waitEntity waits until entity id's state reads state.
func waitEntity(t *testing.T, ctx context.Context, id, state string) {
	t.Helper()
	for {
		res, err := client.GetEntity(ctx, &pb.GetEntityRequest{InstanceId: id, IncludeState: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.GetEntity().GetSerializedState().GetValue() == state {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s reads %v, want %s", id, res, state)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
