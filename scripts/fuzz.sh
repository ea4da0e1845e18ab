#!/usr/bin/env bash
# Builds the fuzz targets in fuzz/ and runs each for a while; fails on the first crash.
#   scripts/fuzz.sh smoke              every target for FUZZ_SECONDS (default 45): CI's run
#   scripts/fuzz.sh build              only the build (make test runs it beside the tests)
#   scripts/fuzz.sh run TARGET [SECS]  one target, default one hour, growing its corpus
# Crashing inputs land in fuzz/artifacts/<target>/; replay one with
#   .tools/cargo-fuzz/bin/cargo-fuzz fuzz run --dev --sanitizer none <target> <file>
#
# Stable Rust: `--sanitizer none` keeps cargo-fuzz from passing -Zsanitizer, the only nightly
# flag it needs (the sancov instrumentation flags are stable), and `--dev` builds with
# fuzz/Cargo.toml's cheap dev profile instead of a 1-codegen-unit release build of the AWS SDK.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo_fuzz="$repo/.tools/cargo-fuzz/bin/cargo-fuzz"
[[ -x "$cargo_fuzz" ]] || { echo "cargo-fuzz missing: run .ci/install-tools.sh" >&2; exit 1; }
cd "$repo/fuzz"

flags=(--dev --sanitizer none)
say() { printf '[fuzz] %s\n' "$*"; }

# Runs one target for $2 seconds. New inputs go to $3, the seeds in fuzz/corpus are only read.
run_target() {
  local target="$1" seconds="$2" work="$3"
  local seeds="$repo/fuzz/corpus/$target"
  mkdir -p "$work" "$seeds"
  say "$target for ${seconds}s"
  "$cargo_fuzz" fuzz run "${flags[@]}" "$target" "$work" "$seeds" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
}

case "${1:-smoke}" in
  smoke)
    seconds="${FUZZ_SECONDS:-45}"
    start=$SECONDS
    "$cargo_fuzz" fuzz build "${flags[@]}"
    say "built in $((SECONDS - start))s"
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    for target in $("$cargo_fuzz" fuzz list); do
      run_target "$target" "$seconds" "$scratch/$target"
    done
    say "no crash in $((SECONDS - start))s"
    ;;
  build)
    "$cargo_fuzz" fuzz build "${flags[@]}"
    ;;
  run)
    target="${2:?usage: scripts/fuzz.sh run TARGET [SECONDS]}"
    # A long run keeps what it learns in fuzz/target/corpus (ignored by git).
    run_target "$target" "${3:-3600}" "$repo/fuzz/target/corpus/$target"
    ;;
  *)
    echo "usage: scripts/fuzz.sh [smoke | build | run TARGET [SECONDS]]" >&2
    exit 2
    ;;
esac
