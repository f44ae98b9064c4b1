#!/usr/bin/env bash
# Before and after, side by side in one run: the release binary of BASE (a commit) and of the
# working tree, each serving and measuring the same databases, one after the other, ROUNDS times:
#   - authenticated GET /api/v1/organisations/R41 under wrk (2 threads, 32 connections, 10 s);
#   - `palisade bench assessments` (the national report and the assessment pages);
#   - the TAXII listing of a 10,000-object collection (pages of 1,000, following `next`).
# Prints every figure with the machine's load; take the median of the rounds.
#
#   bash scripts/compare.sh BASE [ROUNDS]
#
# BASE must use the same database schema as the working tree. Needs wrk (installed from Debian
# if missing). The rate limits are raised for the measurement: they would otherwise answer most
# of wrk's requests 429, which measures the limiter, not the server.
set -euo pipefail
shopt -s inherit_errexit
base="${1:?usage: compare.sh BASE [ROUNDS]}"
rounds="${2:-3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

out="$root/target/compare"
mkdir -p "$out"
work="$(mktemp -d)"
server=
trap 'kill $server 2>/dev/null || true; git worktree remove --force "$work/base" 2>/dev/null || true; rm -rf "$work"' EXIT

# The base, built in a worktree, then copied aside; then the working tree.
# A base built earlier for the same commit is used again.
base_rev="$(git rev-parse "$base")"
if [ "$(cat "$out/palisade-base.rev" 2>/dev/null)" != "$base_rev" ]; then
  git worktree add --detach "$work/base" "$base" >/dev/null
  # Its own target directory: a build script of the same package at another path would
  # otherwise be taken for the working tree's.
  (cd "$work/base" && CARGO_TARGET_DIR="$out/base-target" cargo build --release --locked -p palisade-cli)
  cp "$out/base-target/release/palisade" "$out/palisade-base"
  echo "$base_rev" >"$out/palisade-base.rev"
fi
cargo build --release --locked -p palisade-cli
cp "$root/target/release/palisade" "$out/palisade-head"

# One database for both: the national demo, with a 10,000-object TAXII collection grown on it.
db="sqlite://$work/full.db"
"$out/palisade-head" demo --scale full --no-serve --database "$db" >/dev/null
"$out/palisade-head" bench alerts --runs 1 --publishes 1 --stix-objects 10000 --database "$db" >/dev/null
token="$("$out/palisade-head" admin create-token --email admin@example.nhs.uk --label compare --database "$db" | tail -n1)"

export PALISADE_RATE_LIMIT_PER_SECOND=1000000 PALISADE_RATE_LIMIT_BURST=1000000
export PALISADE_TOKEN_RATE_LIMIT_PER_SECOND=1000000 PALISADE_TOKEN_RATE_LIMIT_BURST=1000000
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"

listing() {
  python3 - "$url" <<'EOF'
import json, statistics, sys, time, urllib.request
base = sys.argv[1]
root = base + "/taxii2/"
api = json.load(urllib.request.urlopen(urllib.request.Request(root, headers={"Accept": "application/taxii+json;version=2.1"})))
api_root = api["api_roots"][0].rstrip("/")
col = json.load(urllib.request.urlopen(urllib.request.Request(api_root + "/collections/", headers={"Accept": "application/taxii+json;version=2.1"})))["collections"][0]["id"]
times, count = [], 0
for _ in range(5):
    t = time.perf_counter(); count = 0; nxt = None
    while True:
        u = f"{api_root}/collections/{col}/objects/?limit=1000" + (f"&next={nxt}" if nxt else "")
        page = json.load(urllib.request.urlopen(urllib.request.Request(u, headers={"Accept": "application/taxii+json;version=2.1"})))
        count += len(page.get("objects", []))
        if not page.get("more"): break
        nxt = page["next"]
    times.append(time.perf_counter() - t)
print(f"TAXII listing ({count} objects): median {statistics.median(times)*1000:.1f} ms of 5")
EOF
}

echo "machine: $(nproc) cores; $(date -u '+%F %T') UTC; base $(git rev-parse --short "$base"), head $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
for round in $(seq 1 "$rounds"); do
  for which in base head; do
    bin="$out/palisade-$which"
    echo
    echo "== round $round, $which; load $(cut -d' ' -f1-3 /proc/loadavg)"
    PALISADE_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --database "$db" 2>/dev/null &
    server=$!
    for _ in $(seq 1 100); do curl -fsS "$url/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
    curl -fsS -H "Authorization: Bearer $token" "$url/api/v1/organisations/R41" >/dev/null
    wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $token" "$url/api/v1/organisations/R41" |
      grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx'
    listing
    kill $server
    wait $server 2>/dev/null || true
    server=
    "$bin" bench assessments --runs 10 --database "$db" | grep -E 'national report:|assessment page'
  done
done
