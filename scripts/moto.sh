#!/usr/bin/env bash
# Starts or stops a moto server on a loopback port: scripts/moto.sh start|stop PORT [LOGDIR]
# Runs moto through acceptance-tests/moto_ext/moto_server_ext.py, which fills ElastiCache gaps.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
action="${1:?usage: moto.sh start|stop PORT [LOGDIR]}"
port="${2:?usage: moto.sh start|stop PORT [LOGDIR]}"
logdir="${3:-$repo/.work}"
pidfile="$logdir/moto-$port.pid"
mkdir -p "$logdir"
case "$action" in
  start)
    MOTO_IAM_LOAD_MANAGED_POLICIES=true MOTO_ACM_VALIDATION_WAIT=0 MOTO_ALLOW_NONEXISTENT_REGION=true \
      "$repo/.tools/venv/bin/python" "$repo/acceptance-tests/moto_ext/moto_server_ext.py" \
      -H 127.0.0.1 -p "$port" > "$logdir/moto-$port.log" 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 1 200); do
      if "$repo/.tools/venv/bin/python" - "$port" <<'PY' 2>/dev/null; then exit 0; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
PY
      sleep 0.1
    done
    echo "moto did not start on port $port; see $logdir/moto-$port.log" >&2
    exit 1
    ;;
  stop)
    if [[ -f "$pidfile" ]]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
    ;;
  *) echo "usage: moto.sh start|stop PORT [LOGDIR]" >&2; exit 2 ;;
esac
