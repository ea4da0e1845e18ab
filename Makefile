# `make demo` and `make test` are the two commands a new user runs (see README.md).
SHELL := /bin/bash
export PROVIDER_BINARY := $(CURDIR)/target/debug/terraform-provider-platform

.PHONY: demo test tools lint build unit acc docs release registry

# make demo EXAMPLE=web-app runs another example from examples/.
demo:
	bash scripts/demo.sh $(EXAMPLE)

# No separate `build`: the binary tests need CARGO_BIN_EXE, so `cargo test` builds the provider
# itself (with the dev-dependency features), and a plain `cargo build` first would compile every
# SDK crate a second time with other features.
test: tools lint
	cargo test --workspace --all-targets

tools:
	bash .ci/install-tools.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

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
release: tools
	cargo run --quiet -p platform-release -- release --version $(VERSION) --key $(KEY) --out dist

# Static registry tree of everything in dist/: make registry NAMESPACE=acme
registry:
	cargo run --quiet -p platform-release -- registry --release dist --out site --namespace $(NAMESPACE)
