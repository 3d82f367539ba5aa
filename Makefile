# Everything here runs on a fresh machine with Go installed; tools are fetched pinned.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
DATA ?= ./data

.PHONY: run test test-short lint bench bench-micro serve fuzz

# Runs every example scenario end to end on the embedded runtime (Badger in $(DATA)).
run:
	go run ./examples/run -data $(DATA)

# All tests, race detector on. The README and CI run exactly this.
test:
	go test -race -count=1 -timeout 15m ./...

test-short:
	go test -race -count=1 -short ./...

# Hosts every example with the HTTP API on 127.0.0.1:7071 and the dashboard at /dashboard/.
serve:
	go run ./cmd/durable serve --data $(DATA)

# A bounded run of the HTTP API's fuzzers (CI runs it after the tests).
fuzz:
	go test -run '^$$' -fuzz FuzzRouter -fuzztime 15s ./httpapi/
	go test -run '^$$' -fuzz FuzzDecodeRequest -fuzztime 10s ./httpapi/

lint:
	go vet ./...
	go run $(STATICCHECK) ./...

# Micro-benchmarks of the journal, the replay step and the envelope, then the
# HelloSequence5 scenario.
bench: bench-micro
	go run ./bench -scenario hello-sequence -n 20000

bench-micro:
	go test -run '^$$' -bench . -benchtime 2s ./persistence/... ./orchestrator/... ./actors/...
