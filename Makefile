# Everything here runs on a fresh machine with Go installed; tools are fetched pinned.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
DATA ?= ./data

.PHONY: proto run test test-short test-faults test-kill-loop test-power-loss test-peers lint bench bench-micro bench-peers serve fuzz

# Runs every example scenario end to end on the embedded runtime (Badger in $(DATA)).
run:
	go run ./examples/run -data $(DATA)

# All tests, race detector on, then without it the checksum sweep at full size (the
# detector slows it eightfold) and the tests that start two cluster members in one
# process (protoactor sets grpc's global logger while etcd's grpc clients read it); then
# the gRPC sidecar driven by a Durable Task SDK, from a module of its own. The README
# and CI run exactly this.
test:
	go test -race -count=1 -timeout 15m ./...
	go test -count=1 -run TestChecksumSweep ./persistence/badgerjournal/
	go test -count=1 ./actors/internal/replica/
	go test -count=1 -run 'TestClusterSpreadsSlowActivities|TestClusterListsNewestFirst' .
	cd grpcapi/sdktest && go test -race -count=1 ./...

test-short:
	go test -race -count=1 -short ./...

# Injects every kind of storage fault into the Badger journal with fresh seeds
# (SEEDS per kind); SEED=n replays one seed for every kind.
SEEDS ?= 12
test-faults:
	go test -race -count=1 -run TestFaults ./persistence/faultjournal/ -seeds $(SEEDS) $(if $(SEED),-seed $(SEED))

# SIGKILLs the runtime KILLS times under a mixed workload (scaled to one copy per 30
# kills) and checks the ledger of acknowledgements; make test-kill-loop KILLS=1000 is the
# long run (about half a minute per 30 kills). SEED=n replays one kill schedule; the test logs its seed.
KILLS ?= 30
test-kill-loop:
	go test -race -count=1 -timeout 0 -v -run 'TestKillLoop$$' . -kills $(KILLS) $(if $(SEED),-killseed $(SEED))

# Cuts the power CUTS times under the kill loop's workload, with the journal on a FUSE
# file system that drops what was not synced (internal/powerfs; needs /dev/fuse and
# root), and checks the ledger of acknowledgements; make test-power-loss CUTS=200 is the
# long run. SEED=n replays one cut schedule; the test logs its seed.
CUTS ?= 5
test-power-loss:
	go test -race -count=1 -timeout 0 -v -run 'TestPowerLoss$$' . -cuts $(CUTS) $(if $(SEED),-powerseed $(SEED))

# Hosts every example with the HTTP API on 127.0.0.1:7071 and the dashboard at /dashboard/.
serve:
	go run ./cmd/durable serve --data $(DATA)

# A bounded run of the fuzzers (CI runs it after the tests): the HTTP API, the journal's
# keys and stored values, and replay. The key codec is small and saturates in seconds.
fuzz:
	go test -run '^$$' -fuzz FuzzRouter -fuzztime 15s ./httpapi/
	go test -run '^$$' -fuzz FuzzDecodeRequest -fuzztime 10s ./httpapi/
	go test -run '^$$' -fuzz FuzzKeyOrder -fuzztime 20000x ./persistence/badgerjournal/
	go test -run '^$$' -fuzz FuzzParseKey -fuzztime 20000x ./persistence/badgerjournal/
	go test -run '^$$' -fuzz FuzzDecodeHistory -fuzztime 20000x ./persistence/badgerjournal/
	go test -run '^$$' -fuzz FuzzDecodeRow -fuzztime 20000x ./persistence/badgerjournal/
	go test -run '^$$' -fuzz FuzzDecodeValue -fuzztime 20000x ./persistence/badgerjournal/
	go test -run '^$$' -fuzz FuzzReplay -fuzztime 10000x ./orchestrator/

lint:
	go vet ./...
	go run $(STATICCHECK) ./...

# The whole set: micro-benchmarks of the journal, the replay step and the envelope,
# then every scenario at the sizes bench/README.md quotes, each ending with a JSON line.
BENCH := go run ./bench
bench: bench-micro
	$(BENCH) -scenario hello-sequence -n 50000
	$(BENCH) -scenario fan-out -n 20000
	$(BENCH) -scenario sequence -n 10000
	$(BENCH) -scenario latency -n 1000
	$(BENCH) -scenario entity-one -n 200000
	$(BENCH) -scenario entity-many -n 500000
	$(BENCH) -scenario tree -n 100
	$(BENCH) -scenario bank -n 20000
	$(BENCH) -scenario idle-scale -n 1000000
	$(BENCH) -scenario recovery -n 10000

bench-micro:
	go test -run '^$$' -bench . -benchtime 2s ./persistence/... ./orchestrator/... ./actors/...

# Ours beside durabletask-go and go-workflows, each in a process of its own.
bench-peers:
	cd bench/peers && go run . -scenario hello-sequence -n 1000 -repeat 3
	cd bench/peers && go run . -scenario fan-out -n 2000 -repeat 3
	cd bench/peers && go run . -scenario tree -n 10 -repeat 3

# The peers module's own tests: each scenario small on each runtime.
test-peers:
	cd bench/peers && go test -count=1 ./...

# Regenerates grpcapi's Go code from the Durable Task sidecar proto (see its SOURCE),
# with the generators pinned; needs protoc (Debian: protobuf-compiler).
PROTO_DIR := grpcapi/internal/protos
proto:
	GOBIN=$(CURDIR)/.bin go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.7
	GOBIN=$(CURDIR)/.bin go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.3.0
	PATH=$(CURDIR)/.bin:$$PATH protoc -I $(PROTO_DIR) \
		--go_out=$(PROTO_DIR) --go_opt=paths=source_relative \
		--go_opt=Morchestrator_service.proto=github.com/godurable/durable/$(PROTO_DIR) \
		--go-grpc_out=$(PROTO_DIR) --go-grpc_opt=paths=source_relative \
		--go-grpc_opt=Morchestrator_service.proto=github.com/godurable/durable/$(PROTO_DIR) \
		orchestrator_service.proto
