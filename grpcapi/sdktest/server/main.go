// Command server runs the runtime with the sidecar protocol on an address, for the
// SDK tests: besides Go code of its own (Greet, an orchestration calling a Go
// activity; Approval, one waiting for an event; Mixed, one calling RemoteHello, an
// activity only the SDK's worker implements), it runs nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/grpcapi"
	"github.com/godurable/durable/orchestrator"
)

func main() {
	addr := flag.String("grpc", "127.0.0.1:0", "address to serve the sidecar protocol on")
	data := flag.String("data", "", "journal directory")
	flag.Parse()
	if err := run(*addr, *data); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(addr, data string) error {
	rt, err := durable.Open(durable.Config{Dir: data, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := register(rt); err != nil {
		return err
	}
	// Before Start: the instances it resumes may be the workers'.
	srv := grpcapi.NewServer(rt, grpcapi.Options{})
	if err := rt.Start(); err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(l) }()
	fmt.Println(l.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	return nil
}

func register(rt *durable.Runtime) error {
	if err := rt.RegisterActivity("Hello", func(_ context.Context, name string) (string, error) { return "Hello " + name, nil }); err != nil {
		return err
	}
	if err := rt.RegisterOrchestrator("Greet", func(ctx *orchestrator.Context, name string) (string, error) {
		return orchestrator.CallActivity[string](ctx, "Hello", name).Await()
	}); err != nil {
		return err
	}
	if err := rt.RegisterOrchestrator("Approval", func(ctx *orchestrator.Context, _ any) (string, error) {
		return orchestrator.WaitForExternalEvent[string](ctx, "approve").Await()
	}); err != nil {
		return err
	}
	return rt.RegisterOrchestrator("Mixed", func(ctx *orchestrator.Context, name string) ([]string, error) {
		local, err := orchestrator.CallActivity[string](ctx, "Hello", name).Await()
		if err != nil {
			return nil, err
		}
		remote, err := orchestrator.CallActivity[string](ctx, "RemoteHello", name).Await()
		if err != nil {
			return nil, err
		}
		return []string{local, remote}, nil
	})
}
