package grpcapi_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/godurable/durable"
	pb "github.com/godurable/durable/grpcapi/internal/protos"
	"github.com/godurable/durable/orchestrator"
)

// A client of the protocol starts an instance at a version, or at the default one when
// it names none, and reads the version back.
func TestStartAtAVersion(t *testing.T) {
	ctx := ctxFor(t)
	version := func(ctx *orchestrator.Context) (string, error) { return ctx.Version(), nil }
	if err := shared.RegisterOrchestrator("Versioned", version, durable.Version("1")); err != nil {
		t.Fatal(err)
	}
	if err := shared.RegisterOrchestrator("Versioned", version, durable.DefaultVersion("2")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id      string
		version *wrapperspb.StringValue
		want    string
	}{{"versioned-1", wrapperspb.String("1"), "1"}, {"versioned-default", nil, "2"}, {"versioned-empty", wrapperspb.String(""), "2"}} {
		if _, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{InstanceId: c.id, Name: "Versioned", Version: c.version}); err != nil {
			t.Fatal(err)
		}
		done, err := client.WaitForInstanceCompletion(ctx, &pb.GetInstanceRequest{InstanceId: c.id, GetInputsAndOutputs: true})
		st := done.GetOrchestrationState()
		if err != nil || st.GetVersion().GetValue() != c.want || st.GetOutput().GetValue() != `"`+c.want+`"` {
			t.Fatalf("%s: %v %v, want version %q", c.id, st, err, c.want)
		}
	}
	_, err := client.StartInstance(ctx, &pb.CreateInstanceRequest{Name: "Versioned", Version: wrapperspb.String("9")})
	wantCode(t, err, codes.InvalidArgument)
}
