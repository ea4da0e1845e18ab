# `make demo` and `make test` are the two commands a new user runs (see README.md).
SHELL := /bin/bash
export PROVIDER_BINARY := $(CURDIR)/target/debug/terraform-provider-platform

.PHONY: demo test tools fmt lint build unit acc docs release registry bench fuzz-smoke fuzz

# make demo EXAMPLE=web-app runs another example from examples/.
demo:
	bash scripts/demo.sh $(EXAMPLE)

# No separate `build`: the binary tests need CARGO_BIN_EXE, so `cargo test` builds the provider
# itself (with the dev-dependency features), and a plain `cargo build` first would compile every
# SDK crate a second time with other features.
# The fuzz build (its own target dir) runs niced beside the tests, on the CPU they leave idle.
test: tools lint
	@mkdir -p target
	nice -n 10 bash scripts/fuzz.sh build > target/fuzz-build.log 2>&1 & fuzz=$$!; \
	env -u PLATFORM_ACCEPTANCE cargo test --workspace --all-targets; tests=$$?; \
	wait $$fuzz; built=$$?; \
	[ $$built -eq 0 ] || { cat target/fuzz-build.log; echo "fuzz build failed"; }; \
	[ $$tests -eq 0 ] && [ $$built -eq 0 ]
	FUZZ_SECONDS=$${FUZZ_SECONDS:-20} bash scripts/fuzz.sh smoke

# What the tests need; `release` and `bench` add their own tools.
tools:
	bash .ci/install-tools.sh test

# The kinds' files are declared by the registry macro, where `cargo fmt` does not look:
# rustfmt gets them by name.
KIND_FILES = $(wildcard src/aws/*/*.rs)

fmt:
	cargo fmt --all
	rustfmt --edition 2021 $(KIND_FILES)

# The planner must keep building without the SDK (the fuzz targets use it so).
lint:
	cargo fmt --all --check
	rustfmt --edition 2021 --check $(KIND_FILES)
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --lib --no-default-features -- -D warnings

# The provider as `cargo test` builds it (same SDK features, so nothing compiles twice).
build:
	cargo test -p terraform-provider-platform --test binary --no-run

unit:
	cargo test --all-targets

acc: tools build
	cargo test -p acceptance-tests

docs:
	UPDATE_DOCS=1 cargo test --test docs

# Signed release for linux_amd64 and linux_arm64 (static musl): make release VERSION=0.1.0 KEY=<fingerprint>
release:
	bash .ci/install-tools.sh release
	cargo run --quiet -p platform-release -- release --version $(VERSION) --key $(KEY) --out dist

# Static registry tree of everything in dist/: make registry NAMESPACE=acme
registry:
	cargo run --quiet -p platform-release -- registry --release dist --out site --namespace $(NAMESPACE)

# Benchmark against hashicorp/aws 3.39.0 on moto (bench/README.md): a measurement, not a test.
# Builds an optimised provider (profile bench-provider: release without LTO) and the harness
# together; make bench BENCH_ARGS="--only protocol" runs a part.
bench:
	bash .ci/install-tools.sh bench
	cargo build --profile bench-provider -p terraform-provider-platform -p platform-bench --bins
	target/bench-provider/platform-bench --provider target/bench-provider/terraform-provider-platform --latency-ms 50 $(BENCH_ARGS)

# Each fuzz target for FUZZ_SECONDS (default 45); fails on a crash (README.md, Fuzzing).
fuzz-smoke: tools
	bash scripts/fuzz.sh smoke

# A long run of one target: make fuzz TARGET=plan_expand FUZZ_SECONDS=3600
fuzz: tools
	bash scripts/fuzz.sh run $(or $(TARGET),value_decode) $(or $(FUZZ_SECONDS),3600)
