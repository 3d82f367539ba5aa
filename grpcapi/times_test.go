package grpcapi_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/godurable/durable/grpcapi/internal/protos"
)

// Every event a worker is handed has a time: what arrives (an activity's result, an
// event raised) is dated by the turn that recorded it. It went out as year 1, which
// the SDKs keep in the history they show.
func TestWorkersGetEventTimes(t *testing.T) {
	ctx := ctxFor(t)
	stream, stop := connect(t, ctx, 1)
	defer stop()
	before := time.Now()
	if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "sdk-times", Name: "SdkTimes"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.RaiseEvent(ctx, &pb.RaiseEventRequest{InstanceId: "sdk-times", Name: "early", Input: wrapperspb.String(`1`)}); err != nil {
		t.Fatal(err)
	}
	step := func() (*pb.OrchestratorRequest, string) {
		for {
			req, token := nextStep(t, stream)
			if req.InstanceId == "sdk-times" {
				return req, token
			}
			// Another test's instance, left over: not this test's to answer.
			if _, err := client.AbandonTaskOrchestratorWorkItem(ctx, &pb.AbandonOrchestrationTaskRequest{CompletionToken: token}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The result and the event may come in one step or in two: the worker waits until
	// it has had both.
	kinds := map[string]bool{}
	actions := []*pb.OrchestratorAction{scheduleHello(0, `"Rome"`)}
	for !kinds["taskCompleted"] || !kinds["eventRaised"] {
		req, token := step()
		checkTimes(t, req, before, kinds)
		if kinds["taskCompleted"] && kinds["eventRaised"] {
			actions = []*pb.OrchestratorAction{completeWith(1, `"done"`)}
		}
		if _, err := client.CompleteOrchestratorTask(ctx, &pb.OrchestratorResponse{InstanceId: "sdk-times", CompletionToken: token,
			Actions: actions}); err != nil {
			t.Fatal(err)
		}
		actions = nil
	}
	if _, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "sdk-times"}); err != nil {
		t.Fatal(err)
	}
}

// checkTimes checks that every event of req is dated, no earlier than before, and that
// what arrived is dated by the turn that recorded it; kinds collects which arrived.
func checkTimes(t *testing.T, req *pb.OrchestratorRequest, before time.Time, kinds map[string]bool) {
	t.Helper()
	var turn time.Time
	for _, ev := range append(req.PastEvents, req.NewEvents...) {
		at := ev.GetTimestamp().AsTime()
		if at.Before(before) {
			t.Errorf("%v is dated %v, before the instance started", ev, at)
		}
		switch {
		case ev.GetOrchestratorStarted() != nil:
			turn = at
		case ev.GetTaskCompleted() != nil, ev.GetEventRaised() != nil:
			m := ev.ProtoReflect()
			kinds[string(m.WhichOneof(m.Descriptor().Oneofs().ByName("eventType")).Name())] = true
			if !at.Equal(turn) {
				t.Errorf("%v is dated %v, not by its turn (%v)", ev, at, turn)
			}
		}
	}
}
