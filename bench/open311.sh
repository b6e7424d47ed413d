#!/usr/bin/env bash
# Open311 POST requests and GET requests per second under wrk, against a
# release build serving a fresh store: SQLite, and PostgreSQL with
# --database-url (a scratch database is made and dropped). Results and
# method: docs/BENCHMARKS.md.
#
#   bench/open311.sh [--duration 30s] [--connections "16 64"] [--threads 2] [--database-url URL] [--fresh] [--rounds N]
#
# The POSTs of a run stay in the store for the next run; with --fresh, each
# number of connections starts on a fresh store instead (SQLite only), so
# that numbers of connections compare on stores of the same size. With
# --rounds N, each number of connections runs N rounds of POSTs one after
# the other in the same store instead, and no GETs: how POSTs hold up as
# the store grows.
set -euo pipefail

duration=30s
connections="16 64"
threads=2
database_url=""
fresh=""
rounds=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --database-url) database_url="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
root="$(cd "$(dirname "$0")/.." && pwd)"
# SUNSHINE_BIN runs another build (the one before a change, say) instead.
if [ -z "${SUNSHINE_BIN:-}" ]; then
  (cd "$root" && cargo build --release --quiet -p sunshine)
fi
sunshine="${SUNSHINE_BIN:-$root/target/release/sunshine}"
port=18311
work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

run() {
  local label="$1"; shift
  echo "== $label: $(uptime)"
  "$sunshine" --data "$work/data" "$@" demo --cases 0 --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/server.log"; exit 1; }
  export OPEN311_KEY
  OPEN311_KEY="$("$sunshine" --data "$work/data" "$@" open311 issue-key --client bench --per-minute 1000000 2>/dev/null)"
  for c in $connections; do
    if [ -n "$rounds" ]; then
      for r in $(seq 1 "$rounds"); do
        echo "-- POST requests.json, $c connections, $duration, round $r"
        wrk -t "$threads" -c "$c" -d "$duration" -s "$root/bench/open311/post.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|requests:"
      done
      continue
    fi
    echo "-- POST requests.json, $c connections, $duration"
    wrk -t "$threads" -c "$c" -d "$duration" -s "$root/bench/open311/post.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|requests:|latency p"
    echo "-- GET requests.json (page_size 50), $c connections, $duration"
    wrk -t "$threads" -c "$c" -d "$duration" -s "$root/bench/open311/get.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|requests:|latency p"
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

if [ -n "$fresh" ]; then
  all="$connections"
  for connections in $all; do
    rm -rf "$work/data"
    run "SQLite, a fresh store"
  done
  connections="$all"
else
  run "SQLite"
fi
if [ -n "$database_url" ]; then
  scratch="sunshine_open311_bench_$$"
  psql "$database_url" -qc "CREATE DATABASE $scratch" >/dev/null
  url="${database_url%/*}/$scratch"
  run "PostgreSQL" --database-url "$url"
  psql "$database_url" -qc "DROP DATABASE $scratch" >/dev/null
fi
echo "== load: $(uptime)"
