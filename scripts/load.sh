#!/usr/bin/env bash
# Plays `palisade bench load`'s mixes against one or several `palisade serve` processes on one
# database, behind one address (nginx from Debian as the loopback balancer when there are
# several), and prints each endpoint's figures and every server's peak memory.
#
#   scripts/load.sh [--database URL] [--servers N] [--seconds S] [--mix deadline-week|alert-day|both]
#                   [--scale default|full] [--bin PATH] [-- more bench load options]
#
# Without --database, a fresh SQLite demo of --scale is seeded in a temporary folder. With
# --database, that database is used as it stands (seed it first: `palisade demo --scale full
# --no-serve --database URL`); the alert-day mix publishes an alert there. The servers run with
# rate limits far above the mix's rate: the mix is many people, sent from one address.
# PALISADE_SMTP_URL, when set, is passed to the servers, whose workers then drain the outbox;
# likewise PALISADE_NOTIFY_API_KEY, PALISADE_NOTIFY_SMS_TEMPLATE_ID and PALISADE_NOTIFY_BASE_URL
# for texts (give the alert-day mix `-- --texts N` so that N organisations take alerts by text).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release/palisade"
database=""
servers=1
seconds=30
mix=both
scale=default
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --database) database="$2"; shift 2 ;;
    --servers) servers="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --mix) mix="$2"; shift 2 ;;
    --scale) scale="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "no palisade binary at $bin (cargo build --release, or --bin)" >&2; exit 2; }
[ "$servers" -ge 1 ] 2>/dev/null || { echo "--servers must be at least 1" >&2; exit 2; }
case "$database" in
  postgres*) ;;
  *) [ "$servers" -eq 1 ] || { echo "several servers need PostgreSQL (--database postgres://...)" >&2; exit 2; } ;;
esac
work="$(mktemp -d)"
# nginx's workers run as an unprivileged user and keep their temporary files here.
chmod 755 "$work"
pids=()
cleanup() {
  status=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # A failed run shows what the servers said before their folder goes.
  [ "$status" -eq 0 ] || tail -n 40 "$work"/server-*.log >&2 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ -z "$database" ]; then
  database="sqlite://$work/palisade.db"
  echo "seeding the $scale demo into $database"
  "$bin" demo --scale "$scale" --no-serve --database "$database" >"$work/demo.log" 2>&1 ||
    { cat "$work/demo.log" >&2; exit 1; }
fi
export PALISADE_DATABASE_URL="$database"
# SQLite keeps evidence beside its file; elsewhere, in this run's folder unless told.
case "$database" in
  sqlite:*) ;;
  *) export PALISADE_EVIDENCE_DIR="${PALISADE_EVIDENCE_DIR:-$work/evidence}" ;;
esac
export PALISADE_RATE_LIMIT_PER_SECOND=1000000 PALISADE_RATE_LIMIT_BURST=1000000
export PALISADE_TOKEN_RATE_LIMIT_PER_SECOND=1000000 PALISADE_TOKEN_RATE_LIMIT_BURST=1000000

ports=()
server_pids=()
for i in $(seq 1 "$servers"); do
  port="$(free_port)"
  "$bin" serve --listen "127.0.0.1:$port" >"$work/server-$i.log" 2>&1 &
  pids+=($!)
  server_pids+=(--server-pid "$!")
  ports+=("$port")
done
for port in "${ports[@]}"; do
  for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work"/server-*.log >&2; exit 1; }
done

if [ "$servers" -gt 1 ]; then
  command -v nginx >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  }
  front="$(free_port)"
  mkdir -p "$work/nginx"
  {
    echo "worker_processes 1; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log off; client_max_body_size 32m;"
    echo "  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;"
    echo "  fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;"
    echo "  upstream palisade { least_conn; keepalive 256;"
    for port in "${ports[@]}"; do echo "    server 127.0.0.1:$port;"; done
    echo "  }"
    echo "  server { listen 127.0.0.1:$front;"
    echo "    location / { proxy_pass http://palisade; proxy_http_version 1.1;"
    echo "      proxy_set_header Connection \"\"; proxy_set_header Host \$host; } }"
    echo "}"
  } >"$work/nginx/nginx.conf"
  nginx -c "$work/nginx/nginx.conf" -g "daemon off;" &
  pids+=($!)
  for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$front/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fsS "http://127.0.0.1:$front/healthz" >/dev/null || { cat "$work/nginx/error.log" >&2; exit 1; }
  url="http://127.0.0.1:$front"
else
  url="http://127.0.0.1:${ports[0]}"
fi

echo "$servers server(s) on $(echo "$database" | sed 's#//[^@/]*@#//#'), at $url; load $(cat /proc/loadavg)"
case "$mix" in
  both) mixes=(deadline-week alert-day) ;;
  *) mixes=("$mix") ;;
esac
for m in "${mixes[@]}"; do
  echo
  echo "== $m, $seconds s"
  "$bin" bench load --mix "$m" --url "$url" --seconds "$seconds" "${server_pids[@]}" "${extra[@]}"
done
