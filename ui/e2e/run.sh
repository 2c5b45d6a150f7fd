#!/usr/bin/env bash
# The UI's end-to-end tests, against a real `cairn serve` (not the mock):
#   1. builds the UI (npm ci && npm run build) and the cairn binary that embeds it;
#   2. starts `cairn serve` on free loopback ports with a temporary data directory;
#   3. runs e2e/empty.spec.mjs while the store is empty (the "how to send data" page);
#   4. sends data: `cairn demo` (sessions, model calls, failures) and e2e/seed.mjs (a trace with
#      XSS payloads in its prompt and messages, and a 10,000-span trace);
#   5. runs e2e/ui.spec.mjs: search and filters, trace tree and chat, sessions, dashboard, deep
#      links, XSS, theme, keyboard, screenshots into docs/screenshots/ and the 10k-span benchmark;
#   6. stops the server. Exits non-zero when anything fails.
# Needs Go, Node.js >= 20 with npm, and Chromium at /usr/bin/chromium (installed with apt-get
# when absent). Playwright never downloads a browser. Environment:
#   SKIP_BUILD=1   reuse ui/dist and skip npm ci (the Go binary is always rebuilt)
#   CAIRN_BIN=path use this cairn binary instead of building one
#   KEEP=1         keep the temporary directory (server log, data) for inspection
set -euo pipefail
UI="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(dirname "$UI")"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
TMP="$(mktemp -d "${TMPDIR:-/tmp}/cairn-ui-e2e.XXXXXX")"
server=""
log() { printf '\n== %s\n' "$*"; }

cleanup() {
  local rc=$?
  if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
    kill -INT "$server" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f "$TMP/serve.log" ]]; then
    echo "--- last lines of the cairn serve log ($TMP/serve.log):"
    tail -n 30 "$TMP/serve.log" || true
  fi
  if [[ "${KEEP:-0}" == 1 || $rc -ne 0 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -x /usr/bin/chromium ]]; then
  log "installing Chromium (apt-get)"
  sudo_=""
  [[ $(id -u) -eq 0 ]] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium
fi

cd "$UI"
if [[ "${SKIP_BUILD:-0}" != 1 || ! -d node_modules ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
if [[ "${SKIP_BUILD:-0}" != 1 || ! -f dist/index.html ]]; then
  log "npm run build"
  npm run build
fi
# The CSP forbids inline scripts and styles: the built page must have none.
if grep -Eiq '<script(>| [^>]*>[^<])|<style|style=' dist/index.html; then
  echo "dist/index.html has an inline <script>, <style> or style attribute: the CSP would block it"
  exit 1
fi

if [[ -n "${CAIRN_BIN:-}" ]]; then
  cairn="$CAIRN_BIN"
else
  log "go build ./cmd/cairn (embeds ui/dist)"
  (cd "$ROOT" && go build -o "$TMP/cairn" ./cmd/cairn)
  cairn="$TMP/cairn"
fi
export CAIRN_BIN_FOR_TESTS="$cairn" # the API-token spec starts its own server

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
http_port=$(free_port)
grpc_port=$(free_port)
while [[ "$grpc_port" == "$http_port" ]]; do grpc_port=$(free_port); done
export CAIRN_URL="http://127.0.0.1:$http_port"

log "cairn serve on $CAIRN_URL"
mkdir -p "$TMP/data"
"$cairn" serve --data "$TMP/data" --http-addr "127.0.0.1:$http_port" --grpc-addr "127.0.0.1:$grpc_port" >"$TMP/serve.log" 2>&1 &
server=$!
for i in $(seq 1 300); do
  if curl -fsS "$CAIRN_URL/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "$server" 2>/dev/null || { echo "cairn serve exited"; exit 1; }
  [[ $i -lt 300 ]] || { echo "cairn serve not ready after 30s"; exit 1; }
  sleep 0.1
done

log "UI tests on an empty store"
node --test --test-reporter=spec e2e/empty.spec.mjs

log "sending data: cairn demo and the e2e fixtures"
"$cairn" demo --endpoint "$CAIRN_URL" --no-errors=false >"$TMP/demo.log" 2>&1 || { cat "$TMP/demo.log"; exit 1; }
tail -n 2 "$TMP/demo.log"
node e2e/seed.mjs "$CAIRN_URL" >"$TMP/seed.json"
export CAIRN_SEED="$TMP/seed.json"
cat "$CAIRN_SEED"

log "UI tests with data"
node --test --test-reporter=spec e2e/ui.spec.mjs

log "UI end-to-end tests passed"
