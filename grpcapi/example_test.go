package grpcapi_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/godurable/durable"
	"github.com/godurable/durable/grpcapi"
)

// A program that hosts the runtime serves the sidecar protocol beside its own
// services; Durable Task SDK clients connect to it as to any Durable Task backend. The
// shared runtime stands in for durable.Open(durable.Config{Dir: "./data"}) and Start:
// one actor system per process.
func ExampleNewServer() {
	var rt *durable.Runtime = shared
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := grpcapi.NewServer(rt, grpcapi.Options{})
	go func() { _ = srv.Serve(l) }()
	defer srv.Stop()

	// What an SDK's client does first.
	conn, err := grpc.Dial(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	err = conn.Invoke(context.Background(), "/TaskHubSidecarService/Hello", &emptypb.Empty{}, &emptypb.Empty{})
	fmt.Println("hello:", err)
	// Output: hello: <nil>
}
