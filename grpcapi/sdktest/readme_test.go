package sdktest

import (
	"context"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/client"
	"github.com/microsoft/durabletask-go/task"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// sdkChain is the README's durabletask-go worker and client, word for word.
func sdkChain(ctx context.Context, addr string) (*api.OrchestrationMetadata, error) {
	conn, err := grpc.Dial(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c := client.NewTaskHubGrpcClient(conn, backend.DefaultLogger())
	r := task.NewTaskRegistry()
	r.AddOrchestratorN("SdkChain", func(ctx *task.OrchestrationContext) (any, error) {
		var greeting string
		err := ctx.CallActivity("Hello", task.WithActivityInput("Lima")).Await(&greeting)
		return greeting, err
	})
	if err := c.StartWorkItemListener(ctx, r); err != nil {
		return nil, err
	}
	id, err := c.ScheduleNewOrchestration(ctx, "SdkChain")
	if err != nil {
		return nil, err
	}
	return c.WaitForOrchestrationCompletion(ctx, id)
}

func TestReadmeWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a server process")
	}
	s := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	md, err := sdkChain(ctx, s.addr)
	if err != nil || md.SerializedOutput != `"Hello Lima"` {
		t.Fatalf("SdkChain: %+v, %v", md, err)
	}
}
