#!/usr/bin/env bash
# The README's main command: builds the provider, starts the local AWS emulator, runs
# `terraform init` and `apply` on an example (examples/quickstart unless named: `demo.sh web-app`)
# and prints the outputs.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
terraform="${TERRAFORM:-$repo/.tools/bin/terraform-1.15.5}"
work="$repo/.work/demo"
example="${1:-quickstart}"
[[ -d "examples/$example" ]] || { echo "no example named $example in examples/" >&2; exit 2; }

bash .ci/install-tools.sh
# Built as `make test` builds it (with the test features of the SDK crates), so that running
# both commands compiles the SDK once; `cargo build` alone would compile it a second time.
cargo test --quiet -p terraform-provider-platform --test binary --no-run

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
scripts/moto.sh start "$port" "$repo/.work"
trap '"$repo"/scripts/moto.sh stop "$port" "$repo/.work"' EXIT
echo "local AWS emulator (moto) on http://127.0.0.1:$port"

rm -rf "$work" && mkdir -p "$work/mirror/example.local/acme/platform/0.1.0/linux_amd64"
cp target/debug/terraform-provider-platform "$work/mirror/example.local/acme/platform/0.1.0/linux_amd64/terraform-provider-platform_v0.1.0"
cp -r "examples/$example" "$work/$example"
cat > "$work/offline.tfrc" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["example.local/*/*"]
  }
}
TFRC

export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_CLI_CONFIG_FILE="$work/offline.tfrc"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
unset AWS_PROFILE AWS_CA_BUNDLE

cd "$work/$example"
vars=()
[[ -f emulator.tfvars ]] && vars=(-var-file=emulator.tfvars)
"$terraform" init -input=false -no-color
"$terraform" apply -input=false -no-color -auto-approve "${vars[@]}"
echo
echo "== outputs =="
"$terraform" output -no-color
echo
echo "The emulator stops now; its state is gone. The module is in $work/$example."
