#!/usr/bin/env bash
# The demo with single sign-on: a local OpenID provider (tests/oidc/provider.mjs) beside the
# password form. Needs Node and npm. Sign in with "Sign in with the local test identity provider"
# and the login r41-lead (any password) to become a new lead of R41 from the provider's claims,
# or admin to sign in as the demo's national administrator (linked here after the start).
# Usage: scripts/oidc-dev.sh [PORT]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${1:-8080}"
work="$(mktemp -d)"
cargo build --release --locked --manifest-path "$root/Cargo.toml" -p palisade-cli
bin="$root/target/release/palisade"
# shellcheck source=../tests/oidc/start.sh
source "$root/tests/oidc/start.sh"
oidc_start "http://127.0.0.1:$port" "$work"
db="sqlite://$work/palisade.db"
"$bin" --config "$OIDC_CONFIG" demo --database "$db" --listen "127.0.0.1:$port" &
server=$!
trap 'kill $server $OIDC_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 1
done
"$bin" --config "$OIDC_CONFIG" --database "$db" admin link-identity \
  --email admin@example.nhs.uk --issuer "$OIDC_ISSUER" --subject admin
echo "Palisade: http://127.0.0.1:$port  (identity provider: $OIDC_ISSUER)"
wait $server
