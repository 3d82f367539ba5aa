// Command service is a Go service with the runtime embedded: its own HTTP routes, the
// Durable Functions management API and the dashboard on one mux, a graceful stop.
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/httpapi"
	"github.com/godurable/durable/orchestrator"
)

func Greet(ctx *orchestrator.Context, name string) (string, error) {
	return orchestrator.CallActivity[string](ctx, "SayHello", name).Await()
}

func SayHello(_ context.Context, name string) (string, error) {
	return "Hello " + name, nil
}

func main() {
	rt, err := durable.Open(durable.Config{Dir: "./data"})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close() // last: pending journal writes complete
	if err := rt.RegisterOrchestrator("Greet", Greet); err != nil {
		log.Fatal(err)
	}
	if err := rt.RegisterActivity("SayHello", SayHello); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	// The management API under /runtime/webhooks/durabletask/, the dashboard under
	// /dashboard/.
	httpapi.Mount(mux, rt.Client(), httpapi.Options{})
	// A route of the service's own that starts an orchestration and waits for it.
	mux.HandleFunc("POST /greet/{name}", func(w http.ResponseWriter, r *http.Request) {
		id, err := rt.Client().Start(r.Context(), "Greet", r.PathValue("name"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		st, err := rt.Client().WaitForCompletion(r.Context(), id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusGatewayTimeout)
			return
		}
		var greeting string
		if err := st.DecodeOutput(&greeting); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write([]byte(greeting + "\n"))
	})

	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown) // requests in progress finish
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
