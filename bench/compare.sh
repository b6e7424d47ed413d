#!/usr/bin/env bash
# Two builds of `sunshine` side by side in one sitting, alternating: the
# hall's transitions and the card ledger's transfers, each run on a fresh
# SQLite store. Results and method: docs/BENCHMARKS.md.
#
#   bench/compare.sh BEFORE_BINARY AFTER_BINARY [--rounds N]
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: bench/compare.sh BEFORE_BINARY AFTER_BINARY [--rounds N]" >&2
  exit 2
fi
before="$1"
after="$2"
shift 2
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for b in "$before" "$after"; do
  [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }
done

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

run() {
  local label="$1" bin="$2"
  shift 2
  rm -rf "$scratch/data"
  echo "== $label"
  "$bin" "$@" --data "$scratch/data" 2>/dev/null \
    | grep -E "^(transitions/second|transfers/second|taps/second|CPU per transition|CPU/transfer|latency p50/p99):"
}

echo "== load: $(uptime)"
for r in $(seq "$rounds"); do
  run "hall, before, round $r" "$before" bench hall --cases 10000 --clients 2048
  run "hall, after, round $r" "$after" bench hall --cases 10000 --clients 2048
done
for r in $(seq "$rounds"); do
  run "ledger, before, round $r" "$before" bench ledger --transfers 2000000 --batch 100 --clients 64 --accounts 100000
  run "ledger, after, round $r" "$after" bench ledger --transfers 2000000 --batch 100 --clients 64 --accounts 100000
done
echo "== load: $(uptime)"
