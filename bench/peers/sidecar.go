package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/client"
	"github.com/microsoft/durabletask-go/task"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/godurable/durable/bench/internal/measure"
)

// The sidecar comparison: the same durabletask-go worker and client, in the bench's
// child process, connected over gRPC either to `durable serve --grpc` or to
// durabletask-go's own sidecar (its main package, on a sqlite file). Only the backend
// behind the protocol differs.
const (
	ourSidecar   = "durable-sidecar"
	theirSidecar = "durabletask-go-sidecar"
)

var sidecarNames = []string{ourSidecar, theirSidecar}

// runSidecar returns the runner of one sidecar. durabletask-go's gRPC worker runs each
// work item it receives at once, so how many run at once is the backend's bound on the
// work items of each kind it hands a worker (ours: 100 by default).
func runSidecar(kind string) runner {
	return func(ctx context.Context, p params) (measure.Result, error) {
		dir, cleanup, err := tempDir(kind)
		if err != nil {
			return measure.Result{}, err
		}
		defer cleanup()
		addr, err := freeAddr()
		if err != nil {
			return measure.Result{}, err
		}
		var cmd *exec.Cmd
		switch kind {
		case ourSidecar:
			bin, err := build(ctx, dir, "github.com/godurable/durable/cmd/durable")
			if err != nil {
				return measure.Result{}, err
			}
			web, err := freeAddr()
			if err != nil {
				return measure.Result{}, err
			}
			cmd = exec.Command(bin, "serve", "--grpc", addr, "--http", web, "--data", filepath.Join(dir, "data"))
		default:
			bin, err := build(ctx, dir, "github.com/microsoft/durabletask-go")
			if err != nil {
				return measure.Result{}, err
			}
			host, port, _ := net.SplitHostPort(addr)
			cmd = exec.Command(bin, "-host", host, "-port", port, "-db", filepath.Join(dir, "taskhub.sqlite"))
		}
		if kind == ourSidecar {
			cmd.Stderr = os.Stderr // warnings and errors only; theirs logs every work item
		}
		if err := cmd.Start(); err != nil {
			return measure.Result{}, err
		}
		defer func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}()
		if err := awaitPort(ctx, addr); err != nil {
			return measure.Result{}, fmt.Errorf("%s did not start: %w", kind, err)
		}
		conn, err := grpc.Dial(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return measure.Result{}, err
		}
		defer conn.Close()
		c := client.NewTaskHubGrpcClient(conn, quietLogger{log.New(os.Stderr, kind+": ", log.LstdFlags)})
		r := task.NewTaskRegistry()
		if err := registerDurableTask(r); err != nil {
			return measure.Result{}, err
		}
		wctx, stopWorker := context.WithCancel(ctx)
		defer stopWorker()
		if err := c.StartWorkItemListener(wctx, r); err != nil {
			return measure.Result{}, err
		}
		return measureDurableTask(ctx, p, dtClient{
			schedule: func(ctx context.Context, name string, opts ...api.NewOrchestrationOptions) (api.InstanceID, error) {
				return c.ScheduleNewOrchestration(ctx, name, opts...)
			},
			fetch: func(ctx context.Context, id api.InstanceID) (*api.OrchestrationMetadata, error) {
				return c.FetchOrchestrationMetadata(ctx, id)
			},
			wait: func(ctx context.Context, id api.InstanceID) (*api.OrchestrationMetadata, error) {
				return c.WaitForOrchestrationCompletion(ctx, id)
			},
		})
	}
}

// build compiles the main package pkg (a dependency of this module) into dir.
func build(ctx context.Context, dir, pkg string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// awaitPort waits until something accepts connections at addr.
func awaitPort(ctx context.Context, addr string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
