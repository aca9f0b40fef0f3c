# jieda — build, run and test. `make run` and `make test` work on a fresh machine.
GO        ?= go
BIN       := bin/jieda
ORT_LIB   := $(CURDIR)/.cache/onnxruntime/current/libonnxruntime.so.1
MODELS    := models
DEFAULT_MODEL := bge-small-zh-v1.5
BENCH_MODEL   := .cache/models/bge-small-zh-v1.5-synthetic

export JIEDA_ORT_LIB ?= $(ORT_LIB)
export CGO_ENABLED := 1

.PHONY: setup ort build model browser run test test-short bench lint fmt clean

## setup: ONNX Runtime library, the binary, and a model (pulled where the network allows, else the builtin one)
setup: ort build model

ort:
	@scripts/install-ort.sh

## browser: Debian's Chromium for the browser tests (console, widget)
browser:
	@scripts/install-chromium.sh

build:
	$(GO) build -o $(BIN) ./cmd/jieda

model: build
	@if [ -f $(MODELS)/$(DEFAULT_MODEL)/manifest.json ] || [ -f $(MODELS)/builtin/manifest.json ]; then \
		echo "model: already installed"; \
	elif timeout 600 $(BIN) model pull $(DEFAULT_MODEL); then \
		echo "model: pulled $(DEFAULT_MODEL)"; \
	else \
		echo "model: pull failed (offline?); writing the builtin offline model"; \
		$(BIN) model builtin; \
	fi

SAMPLE_KB := answer/samplekb/articles.jsonl

## run: the main job — the server on the embedded store (./data) with the sample knowledge base imported
run: setup
	$(BIN) import articles $(SAMPLE_KB) --kb youxuan
	$(BIN) serve

## test: every test, with the race detector, against the real ONNX Runtime and a real Chromium
test: setup browser
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 45m ./...

## bench: Go benchmarks once each, then `jieda bench embed` and `jieda bench ask` (the sample KB) on a bge-small-zh-shaped synthetic model
bench: setup
	$(GO) test -run '^$$' -bench . -benchtime=1x ./...
	@test -f $(BENCH_MODEL)/model.onnx || $(BIN) model synth --like $(DEFAULT_MODEL) --out $(BENCH_MODEL)
	$(BIN) bench embed --model $(BENCH_MODEL)
	$(BIN) bench ask --model $(BENCH_MODEL) --kb $(SAMPLE_KB) --queries answer/samplekb/queries.jsonl

GOLANGCI := .cache/bin/golangci-lint
GOLANGCI_VERSION := v2.15.0

## lint: gofmt, go vet, golangci-lint (installed into .cache/bin from the Go module proxy)
lint: $(GOLANGCI)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOLANGCI) run ./...

$(GOLANGCI):
	GOBIN=$(CURDIR)/.cache/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

clean:
	rm -rf bin .cache/models
