package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/examples"
	"github.com/godurable/durable/grpcapi"
	"github.com/godurable/durable/httpapi"
	"golang.org/x/net/netutil"
)

type serveOpts struct {
	addr, grpcAddr, data, key, clusterName, etcd, peer, secret, otlp *string
	verbose                                                          *bool
	workers, partitions, replicas                                    *int
	ttl                                                              *time.Duration
}

func serveFlags(fs *flag.FlagSet) *serveOpts {
	return &serveOpts{
		addr:     fs.String("http", "127.0.0.1:7071", "`ADDRESS` to listen on (loopback by default)"),
		grpcAddr: fs.String("grpc", "", "also serve the Durable Task sidecar protocol (gRPC) on this `ADDRESS`, e.g. 127.0.0.1:4001"),
		otlp:     fs.String("otlp", "", "export traces over OTLP/HTTP to this `ENDPOINT` (HOST:PORT or URL; default $OTEL_EXPORTER_OTLP_ENDPOINT, else none)"),
		data:     fs.String("data", "./data", "journal `DIRECTORY`"),
		// The secrets are read from the environment after parsing, so that the help
		// never shows them.
		key:         fs.String("api-key", "", "require this `KEY` (?code= or x-functions-key header) on API calls (default $DURABLE_API_KEY)"),
		verbose:     fs.Bool("v", false, "log runtime activity at Info level"),
		workers:     fs.Int("workers", 64, "`N` activities run at once on this member (a cluster sends more to other members)"),
		clusterName: fs.String("cluster", "", "join the cluster of this `NAME` (needs --etcd and --peer); empty: run on its own"),
		etcd:        fs.String("etcd", "", "etcd `ENDPOINTS` of the cluster, HOST:PORT[,HOST:PORT]"),
		peer:        fs.String("peer", "", "`HOST:PORT` this member listens on for the other members"),
		partitions:  fs.Int("partitions", cluster.DefaultPartitions, "`N` partitions in a cluster this member creates"),
		replicas:    fs.Int("replicas", 2, "`N` members keep each partition: 2 keeps a standby that takes over, 1 none"),
		ttl:         fs.Duration("lease-ttl", 5*time.Second, "a member that cannot renew its etcd lease for 2/3 of this `DURATION` stops committing (at least 2s)"),
		secret:      fs.String("cluster-secret", "", "the `SECRET` members present to each other (default $DURABLE_CLUSTER_SECRET, else one kept in etcd)"),
	}
}

// serve hosts every bundled example on the embedded runtime and serves the HTTP API
// and the dashboard until SIGTERM or SIGINT, then shuts down in order: stop accepting
// requests, let those in progress finish, then close the runtime, which completes
// pending journal writes and closes the database.
func serve(_ []string, opts any, stdout, stderr io.Writer) error {
	o := opts.(*serveOpts)
	var cc *durable.ClusterConfig
	if *o.clusterName != "" {
		if *o.etcd == "" || *o.peer == "" {
			return usagef("--cluster needs --etcd and --peer")
		}
		cc = &durable.ClusterConfig{Name: *o.clusterName, Etcd: strings.Split(*o.etcd, ","), Peer: *o.peer,
			Partitions: *o.partitions, Replicas: *o.replicas, Secret: cmp.Or(*o.secret, os.Getenv("DURABLE_CLUSTER_SECRET")), TTL: *o.ttl}
	}
	level := slog.LevelWarn
	if *o.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger) // the hosted examples log through the default logger
	key := cmp.Or(*o.key, os.Getenv("DURABLE_API_KEY"))
	tel, err := newTelemetry(*o.otlp)
	if err != nil {
		return err
	}
	return serveUntilSignal(*o.addr, *o.grpcAddr, *o.data, key, *o.workers, cc, tel, logger, stdout)
}

func serveUntilSignal(addr, grpcAddr, data, key string, workers int, cc *durable.ClusterConfig, tel *telemetry,
	logger *slog.Logger, stdout io.Writer) error {
	cfg := durable.Config{Dir: data, Logger: logger, Cluster: cc, ActivityWorkers: workers}
	tel.config(&cfg)
	rt, err := durable.Open(cfg)
	if err != nil {
		return err
	}
	if err := examples.Register(rt); err != nil {
		_ = rt.Close()
		return err
	}
	var gsrv *grpcapi.Server
	if grpcAddr != "" {
		// Before Start: the instances it resumes may be the workers'.
		gsrv = grpcapi.NewServer(rt, grpcapi.Options{APIKey: key})
	}
	if err := rt.Start(); err != nil {
		_ = rt.Close()
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = rt.Close()
		return err
	}
	if host, _, _ := net.SplitHostPort(addr); key == "" && !isLoopback(host) {
		logger.Warn("serving on a non-loopback address without an API key: anyone who can reach it can manage instances", "addr", addr)
	}
	srv := newServer(routes(rt.Client(), key, logger, tel), defaultLimits)
	ln = netutil.LimitListener(ln, defaultLimits.maxConns)
	var gln net.Listener
	if gsrv != nil {
		if gln, err = net.Listen("tcp", grpcAddr); err != nil {
			_ = ln.Close()
			_ = rt.Close()
			return fmt.Errorf("--grpc: %w", err)
		}
		if host, _, _ := net.SplitHostPort(grpcAddr); key == "" && !isLoopback(host) {
			logger.Warn("serving gRPC on a non-loopback address without an API key: anyone who can reach it can manage instances", "addr", grpcAddr)
		}
	}
	fmt.Fprintf(stdout, "durable: serving http://%s (dashboard at /dashboard/, data in %s)\n", ln.Addr(), data)
	if gsrv != nil {
		fmt.Fprintf(stdout, "durable: serving the Durable Task sidecar protocol (gRPC) on %s\n", gln.Addr())
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if gsrv != nil {
		go func() { errc <- gsrv.Serve(gln) }()
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if gsrv != nil {
		gsrv.Shutdown(shutdown)
	}
	if serr := srv.Shutdown(shutdown); err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, rt.Close(), tel.shutdown(shutdown))
}

// limits protect the server from clients that hold connections without using them:
// a slow body, an idle keep-alive, or simply many connections. Long waits
// (?timeout= on a status query) extend their own write deadline.
type limits struct {
	readHeader, read, write, idle time.Duration
	maxConns                      int
}

var defaultLimits = limits{
	readHeader: 10 * time.Second, read: time.Minute, write: time.Minute, idle: 2 * time.Minute,
	maxConns: 1000,
}

func newServer(h http.Handler, l limits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.readHeader,
		ReadTimeout:       l.read,
		WriteTimeout:      l.write,
		IdleTimeout:       l.idle,
		MaxHeaderBytes:    64 << 10,
	}
}

// routes mounts the management API, the seeds' starter route, the dashboard, and,
// with tel, the health checks and metrics.
func routes(c *durable.Client, key string, logger *slog.Logger, tel *telemetry) http.Handler {
	mux := http.NewServeMux()
	api := httpapi.Mount(mux, c, httpapi.Options{APIKey: key, Logger: logger})
	if tel != nil {
		tel.mount(mux, c, key)
	}
	mux.Handle("/api/", api) // the seeds' starter route, and whatever else they call under /api
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard/", http.StatusFound)
	})
	// ServeMux redirects a path such as "//x" to its clean form, in HTML and before
	// anything checks the API key; the API answers such paths itself, after the check.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p != "/" && (p == "" || path.Clean(p) != strings.TrimSuffix(p, "/")) {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
