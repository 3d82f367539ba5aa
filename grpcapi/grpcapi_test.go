package grpcapi_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/grpcapi"
	pb "github.com/godurable/durable/grpcapi/internal/protos"
	"github.com/godurable/durable/orchestrator"
)

// client talks to a runtime over the sidecar protocol on a loopback port, as an SDK's
// client does, presenting the server's API key.
var (
	client pb.TaskHubSidecarServiceClient
	addr   string
	shared *durable.Runtime
)

func TestMain(m *testing.M) {
	rt, err := durable.Open(durable.Config{InMemory: true})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	must := func(err error) {
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	}
	must(rt.RegisterActivity("Hello", func(_ context.Context, name string) (string, error) { return "Hello " + name, nil }))
	must(rt.RegisterOrchestrator("Greet", func(ctx *orchestrator.Context, name string) (string, error) {
		return orchestrator.CallActivity[string](ctx, "Hello", name).Await()
	}))
	must(rt.RegisterOrchestrator("Approval", func(ctx *orchestrator.Context, _ any) (string, error) {
		return orchestrator.WaitForExternalEvent[string](ctx, "approve").Await()
	}))
	must(rt.RegisterEntity("Counter", entities.Typed[counter]()))
	// Family starts two Greets, one of which starts a Greet of its own.
	must(rt.RegisterOrchestrator("Family", func(ctx *orchestrator.Context, depth int) (string, error) {
		if depth == 0 {
			return orchestrator.CallSubOrchestrator[string](ctx, "Greet", "leaf").Await()
		}
		a := orchestrator.CallSubOrchestrator[string](ctx, "Family", depth-1, orchestrator.WithInstanceID(ctx.InstanceID()+"-a"))
		b := orchestrator.CallSubOrchestrator[string](ctx, "Greet", "b", orchestrator.WithInstanceID(ctx.InstanceID()+"-b"))
		x, err := a.Await()
		if err != nil {
			return "", err
		}
		y, err := b.Await()
		return x + " " + y, err
	}))
	// Remote calls activities no Go code registers: the workers connected over
	// GetWorkItems run them.
	must(rt.RegisterOrchestrator("Remote", func(ctx *orchestrator.Context, name string) (string, error) {
		return orchestrator.CallActivity[string](ctx, "RemoteGreet", name).Await()
	}))
	// CallTally calls an entity no Go code registers: the workers run it.
	must(rt.RegisterOrchestrator("CallTally", func(ctx *orchestrator.Context, op string) (int, error) {
		return orchestrator.CallEntity[int](ctx, entities.ID{Name: "Tally", Key: "t1"}, op, 3).Await()
	}))
	must(rt.Start())
	shared = rt
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	srv := grpcapi.NewServer(rt, grpcapi.Options{APIKey: "sesame"})
	go func() { _ = srv.Serve(l) }()
	addr = l.Addr().String()
	conn, err := grpc.Dial(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(metadata.AppendToOutgoingContext(ctx, "x-functions-key", "sesame"), method, req, reply, cc, opts...)
		}),
		grpc.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamer(metadata.AppendToOutgoingContext(ctx, "x-functions-key", "sesame"), desc, cc, method, opts...)
		}))
	must(err)
	client = pb.NewTaskHubSidecarServiceClient(conn)
	code := m.Run()
	conn.Close()
	srv.Stop()
	rt.Close()
	os.Exit(code)
}

type counter struct{ N int }

func (c *counter) Add(n int) { c.N += n }

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("got %v, want code %s", err, code)
	}
}

func TestStartWaitAndRead(t *testing.T) {
	ctx := ctxFor(t)
	if _, err := client.Hello(ctx, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	res, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "greet-1", Name: "Greet", Input: wrapperspb.String(`"gRPC"`)})
	if err != nil || res.InstanceId != "greet-1" {
		t.Fatalf("start: %v %v", res, err)
	}
	done, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "greet-1", GetInputsAndOutputs: true})
	if err != nil {
		t.Fatal(err)
	}
	st := done.GetOrchestrationState()
	if !done.Exists || st.OrchestrationStatus != pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED ||
		st.GetOutput().GetValue() != `"Hello gRPC"` || st.GetInput().GetValue() != `"gRPC"` || st.GetCompletedTimestamp() == nil {
		t.Fatalf("completed as %v", st)
	}
	got, err := client.GetInstance(ctx, &pb.GetInstanceRequest{InstanceId: "greet-1"})
	if err != nil || got.GetOrchestrationState().GetOutput() != nil || got.GetOrchestrationState().Name != "Greet" {
		t.Fatalf("read without payloads: %v %v", got, err)
	}
	// An id in use is refused, unless the reuse policy lets a finished one be replaced.
	_, err = client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "greet-1", Name: "Greet", Input: wrapperspb.String(`"again"`)})
	wantCode(t, err, codes.AlreadyExists)
	_, err = client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "greet-1", Name: "Greet", Input: wrapperspb.String(`"again"`),
		OrchestrationIdReusePolicy: &pb.OrchestrationIdReusePolicy{ReplaceableStatus: []pb.OrchestrationStatus{pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED}}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "greet-1", GetInputsAndOutputs: true})
	if err != nil || again.GetOrchestrationState().GetOutput().GetValue() != `"Hello again"` {
		t.Fatalf("replaced instance: %v %v", again, err)
	}
}

func TestEventsSuspendResumeAndTerminate(t *testing.T) {
	ctx := ctxFor(t)
	for _, id := range []string{"approve-1", "approve-2"} {
		if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: id, Name: "Approval"}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.WaitForInstanceStart(ctx, &pb.GetInstanceRequest{InstanceId: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.SuspendInstance(ctx, &pb.SuspendRequest{InstanceId: "approve-1", Reason: wrapperspb.String("lunch")}); err != nil {
		t.Fatal(err)
	}
	st, err := client.GetInstance(ctx, &pb.GetInstanceRequest{InstanceId: "approve-1"})
	if err != nil || st.GetOrchestrationState().OrchestrationStatus != pb.OrchestrationStatus_ORCHESTRATION_STATUS_SUSPENDED {
		t.Fatalf("after suspend: %v %v", st, err)
	}
	if _, err := client.ResumeInstance(ctx, &pb.ResumeRequest{InstanceId: "approve-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.RaiseEvent(ctx, &pb.RaiseEventRequest{InstanceId: "approve-1", Name: "approve", Input: wrapperspb.String(`"yes"`)}); err != nil {
		t.Fatal(err)
	}
	done, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "approve-1", GetInputsAndOutputs: true})
	if err != nil || done.GetOrchestrationState().GetOutput().GetValue() != `"yes"` {
		t.Fatalf("approved: %v %v", done, err)
	}
	if _, err := client.TerminateInstance(ctx, &pb.TerminateRequest{InstanceId: "approve-2", Output: wrapperspb.String(`"no one came"`)}); err != nil {
		t.Fatal(err)
	}
	done, err = client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "approve-2", GetInputsAndOutputs: true})
	if err != nil || done.GetOrchestrationState().OrchestrationStatus != pb.OrchestrationStatus_ORCHESTRATION_STATUS_TERMINATED ||
		done.GetOrchestrationState().GetOutput().GetValue() != `"no one came"` {
		t.Fatalf("terminated: %v %v", done, err)
	}
	_, err = client.RaiseEvent(ctx, &pb.RaiseEventRequest{InstanceId: "nobody", Name: "approve"})
	wantCode(t, err, codes.NotFound)
}

func TestQueryAndPurge(t *testing.T) {
	ctx := ctxFor(t)
	for i := range 3 {
		id := fmt.Sprint("query-", i)
		if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: id, Name: "Greet", Input: wrapperspb.String(`"q"`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: id}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	token := (*wrapperspb.StringValue)(nil)
	for {
		page, err := client.QueryInstances(ctx, &pb.QueryInstancesRequest{Query: &pb.InstanceQuery{
			InstanceIdPrefix: wrapperspb.String("query-"), MaxInstanceCount: 2, ContinuationToken: token,
			RuntimeStatus: []pb.OrchestrationStatus{pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range page.OrchestrationState {
			ids = append(ids, st.InstanceId)
		}
		if token = page.ContinuationToken; token == nil {
			break
		}
	}
	if fmt.Sprint(ids) != "[query-0 query-1 query-2]" {
		t.Fatalf("query found %v", ids)
	}
	res, err := client.PurgeInstances(ctx, &pb.PurgeInstancesRequest{Request: &pb.PurgeInstancesRequest_InstanceId{InstanceId: "query-0"}})
	if err != nil || res.DeletedInstanceCount != 1 {
		t.Fatalf("purge by id: %v %v", res, err)
	}
	got, err := client.GetInstance(ctx, &pb.GetInstanceRequest{InstanceId: "query-0"})
	if err != nil || got.Exists {
		t.Fatalf("purged instance still reads as %v %v", got, err)
	}
	res, err = client.PurgeInstances(ctx, &pb.PurgeInstancesRequest{Request: &pb.PurgeInstancesRequest_PurgeInstanceFilter{
		PurgeInstanceFilter: &pb.PurgeInstanceFilter{RuntimeStatus: []pb.OrchestrationStatus{pb.OrchestrationStatus_ORCHESTRATION_STATUS_COMPLETED}}}})
	if err != nil || res.DeletedInstanceCount < 2 {
		t.Fatalf("purge by filter: %v %v", res, err)
	}
}

// A recursive purge takes the instance's sub-orchestrations with it, to the leaves.
func TestRecursivePurge(t *testing.T) {
	ctx := ctxFor(t)
	for _, id := range []string{"family", "family-kept"} {
		if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: id, Name: "Family", Input: wrapperspb.String(`1`)}); err != nil {
			t.Fatal(err)
		}
		if st, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: id, GetInputsAndOutputs: true}); err != nil ||
			st.GetOrchestrationState().GetOutput().GetValue() != `"Hello leaf Hello b"` {
			t.Fatalf("%s: %v %v", id, st, err)
		}
	}
	res, err := client.PurgeInstances(ctx, &pb.PurgeInstancesRequest{Request: &pb.PurgeInstancesRequest_InstanceId{InstanceId: "family"}, Recursive: true})
	// family, family-a, family-a's Greet, family-b.
	if err != nil || res.DeletedInstanceCount != 4 {
		t.Fatalf("recursive purge: %v %v", res, err)
	}
	for _, id := range []string{"family", "family-a", "family-b"} {
		if got, err := client.GetInstance(ctx, &pb.GetInstanceRequest{InstanceId: id}); err != nil || got.Exists {
			t.Fatalf("%s after the purge: %v %v", id, got, err)
		}
	}
	if got, err := client.GetInstance(ctx, &pb.GetInstanceRequest{InstanceId: "family-kept-a"}); err != nil || !got.Exists {
		t.Fatalf("another family's child: %v %v", got, err)
	}
}

func TestEntities(t *testing.T) {
	ctx := ctxFor(t)
	for range 3 {
		if _, err := client.SignalEntity(ctx, &pb.SignalEntityRequest{InstanceId: "@counter@a", Name: "Add", Input: wrapperspb.String("2")}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := client.GetEntity(ctx, &pb.GetEntityRequest{InstanceId: "@counter@a", IncludeState: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Exists && res.GetEntity().GetSerializedState().GetValue() == `{"N":6}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the counter reads %v after three signals of 2", res)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err := client.SignalEntity(ctx, &pb.SignalEntityRequest{InstanceId: "counter", Name: "Add"})
	wantCode(t, err, codes.InvalidArgument)
}

func TestBadInput(t *testing.T) {
	ctx := ctxFor(t)
	_, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{Name: "Greet", Input: wrapperspb.String("{not json")})
	wantCode(t, err, codes.InvalidArgument)
	if err == nil || !contains(status.Convert(err).Message(), "input") {
		t.Fatalf("the error does not name the field: %v", err)
	}
	got, err := client.GetInstance(ctx, &pb.GetInstanceRequest{InstanceId: "never-started"})
	if err != nil || got.Exists {
		t.Fatalf("an unknown instance reads as %v %v", got, err)
	}
	_, err = client.CompleteActivityTask(ctx, &pb.ActivityResponse{InstanceId: "nobody", TaskId: 1, CompletionToken: "42"})
	wantCode(t, err, codes.NotFound)
	_, err = client.CompleteOrchestratorTask(ctx, &pb.OrchestratorResponse{InstanceId: "nobody", CompletionToken: "42"})
	wantCode(t, err, codes.NotFound)
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestAPIKey(t *testing.T) {
	ctx := ctxFor(t)
	for _, key := range []string{"", "wrong"} {
		conn, err := grpc.Dial(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		cctx := ctx
		if key != "" {
			cctx = metadata.AppendToOutgoingContext(ctx, "x-functions-key", key)
		}
		_, err = pb.NewTaskHubSidecarServiceClient(conn).GetInstance(cctx, &pb.GetInstanceRequest{InstanceId: "greet-1"})
		wantCode(t, err, codes.Unauthenticated)
	}
}

// A start and a signal with a scheduled time happen then, not at once.
func TestScheduledStartAndSignal(t *testing.T) {
	ctx := ctxFor(t)
	at := time.Now().Add(300 * time.Millisecond)
	if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: "greet-later", Name: "Greet", Input: wrapperspb.String(`"later"`),
		ScheduledStartTimestamp: timestamppb.New(at)}); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetInstance(ctx, &pb.GetInstanceRequest{InstanceId: "greet-later"})
	if err != nil || got.GetOrchestrationState().GetOrchestrationStatus() != pb.OrchestrationStatus_ORCHESTRATION_STATUS_PENDING {
		t.Fatalf("before its time: %v %v", got, err)
	}
	done, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: "greet-later", GetInputsAndOutputs: true})
	if err != nil || done.GetOrchestrationState().GetOutput().GetValue() != `"Hello later"` {
		t.Fatalf("after its time: %v %v", done, err)
	}
	if _, err := client.SignalEntity(ctx, &pb.SignalEntityRequest{InstanceId: "@counter@later", Name: "Add", Input: wrapperspb.String(`5`),
		ScheduledTime: timestamppb.New(time.Now().Add(200 * time.Millisecond))}); err != nil {
		t.Fatal(err)
	}
	for {
		e, err := client.GetEntity(ctx, &pb.GetEntityRequest{InstanceId: "@counter@later", IncludeState: true})
		if err != nil {
			t.Fatal(err)
		}
		if e.GetEntity().GetSerializedState().GetValue() == `{"N":5}` {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the scheduled signal never arrived: %v", e)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
