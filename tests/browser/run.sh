#!/usr/bin/env bash
# Starts the demo on a free local port and runs the browser journey and accessibility checks.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
command -v chromium >/dev/null || { echo "Debian's chromium is required (apt-get install chromium)"; exit 1; }
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
# CI passes the binary its test run has just built (building one package alone would resolve
# features differently and rebuild dependencies); locally, build it.
if [ -n "${PALISADE_BIN:-}" ]; then
  bin="$PALISADE_BIN"
else
  cargo build --locked -p palisade-cli --manifest-path "$root/Cargo.toml"
  bin="$root/target/debug/palisade"
fi
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# The local OpenID provider, so the journey signs in once through a provider's login page.
# shellcheck source=../oidc/start.sh
source "$root/tests/oidc/start.sh"
oidc_start "http://127.0.0.1:$port" "$work"
"$bin" --config "$OIDC_CONFIG" demo --database "sqlite://$work/palisade.db" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server $OIDC_PID 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
up=""
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { up=1; break; }
  sleep 1
done
if [ -z "$up" ]; then
  echo "the demo server did not become healthy within 60 s; its log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
mkdir -p "${SCREENSHOTS:-$work/screenshots}"
node "$here/journey.mjs" "http://127.0.0.1:$port" "${SCREENSHOTS:-$work/screenshots}" "$OIDC_ISSUER"
