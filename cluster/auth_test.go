package cluster

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// Only callers that present the cluster secret get through, on unary and streaming
// calls alike (protoactor's remoting streams).
func TestAuthRefusesCallersWithoutTheSecret(t *testing.T) {
	serverOpts, dialOpts := authOptions("s3cret")
	srv := grpc.NewServer(serverOpts...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	call := func(opts ...grpc.DialOption) (unary, stream error) {
		conn, err := grpc.Dial(lis.Addr().String(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c := healthpb.NewHealthClient(conn)
		_, unary = c.Check(ctx, &healthpb.HealthCheckRequest{})
		w, err := c.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			_, err = w.Recv()
		}
		return unary, err
	}
	if u, s := call(dialOpts...); u != nil || s != nil {
		t.Fatalf("with the secret: %v / %v", u, s)
	}
	_, wrongOpts := authOptions("guess")
	for name, opts := range map[string][]grpc.DialOption{
		"no secret":    {grpc.WithTransportCredentials(insecure.NewCredentials())},
		"wrong secret": wrongOpts,
	} {
		u, s := call(opts...)
		if status.Code(u) != codes.Unauthenticated || status.Code(s) != codes.Unauthenticated {
			t.Fatalf("%s: %v / %v", name, u, s)
		}
	}
}
