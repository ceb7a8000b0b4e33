# bulwark. `make demo` and `make test` do all the set-up they need.
SHELL := /bin/bash
GO ?= go
PULUMI_VERSION := v3.212.0
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 30s
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true

.PHONY: terraform minio toxiproxy all build pulumi deps test test-aws lint fuzz bench demo golden clean

all: build

# Debian packages the tests and the demo need (installed only when missing).
deps:
	@scripts/install-deps

# The pinned Pulumi CLI, built from source (tools/pulumi) and version-stamped:
# the Automation API refuses an unstamped binary.
pulumi: bin/pulumi
bin/pulumi: tools/pulumi/go.mod tools/pulumi/go.sum
	@mkdir -p bin
	@echo "building the Pulumi CLI $(PULUMI_VERSION) from source (a few minutes the first time)..."
	cd tools/pulumi && $(GO) build -o ../../bin/pulumi \
		-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(PULUMI_VERSION)" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	@bin/pulumi version

# Terraform for layers: the terraform (or tofu) on PATH when there is one;
# else v1.5.7 built from source from the Go module proxy into bin/ (its
# go.mod has no replace directives; a few minutes the first time).
TERRAFORM_VERSION = v1.5.7
terraform:
	@if command -v terraform >/dev/null || command -v tofu >/dev/null || [ -x bin/terraform ]; then :; else \
		echo "building Terraform $(TERRAFORM_VERSION) from source (a few minutes the first time)..."; \
		GOBIN=$(CURDIR)/bin $(GO) install github.com/hashicorp/terraform@$(TERRAFORM_VERSION); fi

# MinIO for the team-state tests (an s3:// backend on loopback) and for
# trying team state by hand: the pinned build from the Go module proxy into
# bin/ (its go.mod has no replace directives; a few minutes the first
# time). Only `make test` needs it; bin/minio.version says which it is.
MINIO_VERSION = v0.0.0-20260212201848-7aac2a2c5b7c
minio:
	@if [ -x bin/minio ] && [ "$$(cat bin/minio.version 2>/dev/null)" = "$(MINIO_VERSION)" ]; then :; else \
		echo "building MinIO $(MINIO_VERSION) from source (a few minutes the first time)..."; \
		GOBIN=$(CURDIR)/bin $(GO) install github.com/minio/minio@$(MINIO_VERSION) && echo $(MINIO_VERSION) > bin/minio.version; fi

# Toxiproxy for the local target's links (latency and dependency-loss
# drills): not a Debian package, so built from the module go.mod pins (a
# tool) into bin/, where the control plane looks for it beside bulwark.
toxiproxy:
	@mkdir -p bin
	$(GO) build -o bin/toxiproxy-server github.com/Shopify/toxiproxy/v2/cmd/server

# bin/bulwark is also the local target's provider plugin (under the name
# pulumi-resource-bulwark) and its control plane, and identifies its build
# from its own file (internal/localcloud.Build), so a plain `go build` or
# `go install` of cmd/bulwark works as well. bin/pulumi-resource-bulwark is
# the same file, for `pulumi up` by hand (Pulumi.yaml's plugins.providers).
build: bin/pulumi terraform toxiproxy
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/bulwark ./cmd/bulwark
	ln -f bin/bulwark bin/pulumi-resource-bulwark 2>/dev/null || cp -f bin/bulwark bin/pulumi-resource-bulwark
	$(GO) build -o bin/shop ./images/shop

# BULWARK_MINIO makes the team-state tests (internal/teamstate,
# internal/envlock, internal/engine, cmd/bulwark) require MinIO;
# BULWARK_TOXIPROXY hands the local target's link tests the server built.
test: export BULWARK_TOXIPROXY := $(CURDIR)/bin/toxiproxy-server
test: deps build minio
	BULWARK_MINIO=$(CURDIR)/bin/minio $(GO) test -count=1 ./...
	$(GO) test -count=1 -race ./internal/orchestrate/ ./internal/plan/ ./internal/topology/ ./internal/localcloud/

# Rewrite the golden plans (cmd/bulwark/testdata/plan-<env>.json) after an
# intended change to a module, the mocks or the policies; review the diff.
golden:
	$(GO) test -count=1 -run TestPlanGolden ./cmd/bulwark/ -update
	@git diff --stat -- cmd/bulwark/testdata/

# Tests against a real AWS account (build tag aws): they need credentials,
# BULWARK_AWS_TEST_AMI/_FROM/_TO (image promotion) and BULWARK_AWS_TEST_ENV
# (an aws environment of the account: up, the runtime contract, every drill
# with default flags, destroy), and cost money. Never run by make test or CI.
test-aws: build
	$(GO) test -count=1 -tags aws -run AWS -timeout 120m ./internal/imagerelease/ ./cmd/bulwark/

lint:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

# Fuzz the environment loader for a bounded time ($(FUZZTIME)); make test
# runs the seed corpus only.
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzLoad -fuzztime=$(FUZZTIME) ./internal/topology/

# The scale table compares with Terraform v1.5.7 exactly, built from the Go
# module proxy into its own folder (a few minutes the first time).
bin/terraform-$(TERRAFORM_VERSION)/terraform:
	@echo "building Terraform $(TERRAFORM_VERSION) for the scale benchmark (a few minutes the first time)..."
	GOBIN=$(CURDIR)/bin/terraform-$(TERRAFORM_VERSION) $(GO) install github.com/hashicorp/terraform@$(TERRAFORM_VERSION)

bench: build bin/terraform-$(TERRAFORM_VERSION)/terraform
	$(GO) build -o bin/scalestack ./bench/scalestack
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/plan/ ./policies/ ./internal/pricing/ ./internal/cost/
	$(GO) run ./bench

demo: deps build
	@scripts/demo

clean:
	rm -rf bin
