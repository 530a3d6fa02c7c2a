#!/usr/bin/env bash
# Checks the built GraphiQL page in headless Chromium, fully offline:
#  - serves graph_api/static/graphiql/ with tools/serve_test.py (FastAPI +
#    strawberry, the project's .venv) on 127.0.0.1;
#  - loads /graphql twice (with injected examples, and with the placeholder
#    left as is), takes screenshots, and fails on console errors, on asset
#    requests that did not return 200, on no GraphQL POST, or on any request
#    of the page that leaves 127.0.0.1 (read from Chromium's NetLog).
# Needs: chromium (apt-get install -y chromium), /work/main/.venv (or $PYTHON).
# Usage: bash graphiql/tools/verify.sh [OUTDIR]   (screenshots go to OUTDIR, default /tmp)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUTDIR="${1:-/tmp}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
[ -n "$CHROMIUM" ] || { echo "verify.sh: chromium not found (apt-get install -y chromium)" >&2; exit 1; }
[ -f "$REPO/graph_api/static/graphiql/index.html" ] || { echo "verify.sh: build first: bash graphiql/build.sh" >&2; exit 1; }

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

PORT="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ORIGIN="http://127.0.0.1:$PORT"
fail=0

run_case() { # name, extra server args...
  local name="$1"; shift
  "$PYTHON" "$HERE/serve_test.py" --port "$PORT" "$@" >"$WORK/$name.server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 50); do curl -fs -o /dev/null -X POST -H 'content-type: application/json' -d '{"query":"{__typename}"}' "$ORIGIN/graphql" && break; sleep 0.2; done
  local shot="$OUTDIR/graphiql-$name.png"
  rm -f "$shot"
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --disable-default-apps --disable-domain-reliability --disable-client-side-phishing-detection --no-pings \
    --disable-breakpad --disable-features=NetworkTimeServiceQuerying,AutofillServerCommunication,OptimizationHints,MediaRouter,Translate \
    --host-resolver-rules="MAP * ~NOTFOUND , EXCLUDE 127.0.0.1" \
    --user-data-dir="$WORK/profile-$name" --enable-logging=stderr --v=0 --log-net-log="$WORK/$name.netlog.json" \
    --screenshot="$shot" --window-size=1400,900 --virtual-time-budget=8000 "$ORIGIN/graphql" \
    >"$WORK/$name.chrome.out" 2>"$WORK/$name.chrome.err" || true
  kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

  echo "== $name"
  if [ -s "$shot" ]; then echo "screenshot: $shot"; else echo "FAIL: no screenshot"; fail=1; fi
  if grep -a 'CONSOLE' "$WORK/$name.chrome.err"; then
    if grep -aE 'CONSOLE.*(Uncaught|Error|error|Failed|failed)' "$WORK/$name.chrome.err" >/dev/null; then echo "FAIL: console errors"; fail=1; fi
  else
    echo "console: no messages"
  fi
  if grep -a '"GET /graphiql-assets/' "$WORK/$name.server.log" | grep -av '200 OK'; then echo "FAIL: asset requests not 200"; fail=1; fi
  echo "assets served: $(grep -ac '"GET /graphiql-assets/.* 200 OK' "$WORK/$name.server.log")"
  # the first POST is the readiness probe above; the page must make at least one more
  if [ "$(grep -ac '"POST /graphql HTTP/1.1" 200' "$WORK/$name.server.log")" -lt 2 ]; then echo "FAIL: the page sent no GraphQL POST"; fail=1; fi
  python3 "$HERE/check_netlog.py" "$WORK/$name.netlog.json" "$ORIGIN" || fail=1
}

run_case examples
run_case default --no-examples

if [ "$fail" = 0 ]; then echo "verify.sh: OK"; else echo "verify.sh: FAILED"; fi
exit "$fail"
