#!/usr/bin/env bash
# Benchmarks on the release build (figures go in docs/PERFORMANCE.md):
#   1. demo --scale full (about 56,000 organisations, every assessment answered) on a fresh SQLite file;
#   2. orgs import of the full register (exported from 1) into a fresh database, then again unchanged;
#   3. authenticated GET /api/v1/organisations/{code} under load with wrk, on SQLite;
#   4. `palisade bench assessments` (national report and its naive baseline, assessment pages,
#      a 100-answer save) on that SQLite file, then on PostgreSQL seeded the same way;
#   5. `palisade bench alerts` (publishing to every organisation, the response board, the outbox
#      worker delivering to a local SMTP server, a 10,000-object TAXII collection) on each engine;
#   6. TAXII listing of that collection, Palisade beside medallion (scripts/taxii_bench.py);
#   7. `palisade bench incidents` (a decade of incidents added: the triage board, indicator
#      look-up, notifying, the indicators TAXII collection) on each engine, and that collection
#      listed over HTTP by taxii2-client (scripts/taxii_indicators_bench.py);
#   8. `palisade bench suppliers` (600 suppliers' products, SBOMs and VEX added: one CVE's
#      exposure with supplier paths, an SBOM upload and the next answer, a notice to 20,000
#      customers) on each engine;
#   9. `palisade bench worklist` (a trust's lead and a lead of 200 organisations or more, alone
#      and eight at once) on each engine.
# Needs wrk (apt-get install wrk) and python3-venv. Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
shopt -s inherit_errexit # a failing step inside $(...) stops the script instead of printing a time
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -p palisade-cli
bin="$root/target/release/palisade"
work="$(mktemp -d)"
trap 'kill $server $sink 2>/dev/null || true; rm -rf "$work"' EXIT
server=
sink=

# Python tools, pinned: a real SMTP server (aiosmtpd) and the OASIS TAXII server (medallion).
venv="${TMPDIR:-/tmp}/palisade-bench-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q aiosmtpd==1.4.6 medallion==3.0.0 requests==2.34.2 taxii2-client==2.3.0

# Wall-clock seconds of a command, to the millisecond, in bash alone (no bc needed).
seconds() {
  local s=$EPOCHREALTIME
  "$@" >/dev/null
  local ms=$(( (${EPOCHREALTIME/./} - ${s/./}) / 1000 ))
  printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F)"
echo "demo --scale full:          $(seconds "$bin" demo --scale full --no-serve --database "sqlite://$work/full.db") s"
"$bin" orgs export "$work/register.csv" --database "sqlite://$work/full.db" 2>/dev/null
echo "register rows:              $(($(wc -l <"$work/register.csv") - 1))"
echo "orgs import (fresh):        $(seconds "$bin" orgs import "$work/register.csv" --database "sqlite://$work/import.db") s"
echo "orgs import (unchanged):    $(seconds "$bin" orgs import "$work/register.csv" --database "sqlite://$work/import.db") s"

token="$("$bin" admin create-token --email admin@example.nhs.uk --label bench --database "sqlite://$work/full.db" | tail -n1)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PALISADE_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --database "sqlite://$work/full.db" 2>/dev/null &
server=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/organisations/R41" >/dev/null
echo "wrk: GET /api/v1/organisations/R41 with a bearer token, 2 threads, 32 connections, 20 s"
wrk -t2 -c32 -d20s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/organisations/R41"
kill $server 2>/dev/null || true
wait $server 2>/dev/null || true
server=

# An SMTP server on loopback that keeps every message it accepts as a file, as a relay would.
"$venv/bin/python" tests/delivery/smtp_sink.py "$work/mail" >"$work/sink.out" &
sink=$!
for _ in $(seq 1 50); do grep -q READY "$work/sink.out" 2>/dev/null && break; sleep 0.2; done
smtp="smtp://127.0.0.1:$(awk '/READY/ {print $2}' "$work/sink.out")"

echo
echo "assessments on SQLite:"
"$bin" bench assessments --database "sqlite://$work/full.db"
echo
echo "alerts on SQLite:"
PALISADE_SMTP_URL="$smtp" "$bin" bench alerts --stix-objects 10000 --database "sqlite://$work/full.db"
echo "messages the SMTP server holds: $(find "$work/mail" -name '*.eml' | wc -l)"

echo
"$bin" alerts stix-bundle "$work/bundle.json" --database "sqlite://$work/full.db"
PALISADE_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --database "sqlite://$work/full.db" 2>/dev/null &
server=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
echo "TAXII listing, Palisade beside medallion:"
# One round: medallion needs about 12 minutes for 10,000 objects.
"$venv/bin/python" scripts/taxii_bench.py "$work/bundle.json" "http://127.0.0.1:$port" --rounds 1 --deadline 1800
kill $server 2>/dev/null || true
wait $server 2>/dev/null || true
server=
echo
echo "incidents on SQLite:"
"$bin" bench incidents --database "sqlite://$work/full.db"
echo "suppliers on SQLite:"
"$bin" bench suppliers --database "sqlite://$work/full.db"
echo "worklists on SQLite:"
"$bin" bench worklist --database "sqlite://$work/full.db"
PALISADE_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --database "sqlite://$work/full.db" 2>/dev/null &
server=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
echo "indicators TAXII collection, anonymous, with taxii2-client:"
"$venv/bin/python" scripts/taxii_indicators_bench.py "http://127.0.0.1:$port" --rounds 3
kill $server 2>/dev/null || true
wait $server 2>/dev/null || true
server=

pg_admin="${PALISADE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if psql "$pg_admin" -Atc 'SELECT 1' >/dev/null 2>&1; then
  pg_db="palisade_bench_$$"
  psql "$pg_admin" -qc "CREATE DATABASE $pg_db"
  pg_url="${pg_admin%/*}/$pg_db"
  echo
  echo "demo --scale full on PostgreSQL: $(seconds "$bin" demo --scale full --no-serve --database "$pg_url") s"
  echo "assessments on PostgreSQL:"
  "$bin" bench assessments --database "$pg_url"
  echo "alerts on PostgreSQL:"
  PALISADE_SMTP_URL="$smtp" "$bin" bench alerts --database "$pg_url"
  echo "incidents on PostgreSQL:"
  "$bin" bench incidents --database "$pg_url"
  echo "suppliers on PostgreSQL:"
  "$bin" bench suppliers --database "$pg_url"
  echo "worklists on PostgreSQL:"
  "$bin" bench worklist --database "$pg_url"
  psql "$pg_admin" -qc "DROP DATABASE $pg_db WITH (FORCE)"
else
  echo "(no PostgreSQL at $pg_admin: skipped)"
fi
