#!/usr/bin/env bash
# The hall's durable transitions beside SpiffWorkflow's, in one run on one
# machine: Spiff driving the same four-step approval in SQLite, then
# `sunshine bench hall` on SQLite (and on PostgreSQL with --database-url),
# then the ratio. Results and method: docs/BENCHMARKS.md.
#
#   bench/hall.sh [--cases N] [--clients "1 8 64 512"] [--spiff-cases N] [--database-url URL]
set -euo pipefail

cases=5000
clients="1 8 64 512"
spiff_cases=1000
database_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --spiff-cases) spiff_cases="$2"; shift 2 ;;
    --database-url) database_url="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/spiff-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet -r "$root/bench/spiff/requirements.txt"
(cd "$root" && cargo build --release --quiet -p sunshine)
sunshine="$root/target/release/sunshine"

echo "== load: $(uptime)"
echo "== SpiffWorkflow, SQLite"
spiff_out="$("$venv/bin/python" "$root/bench/spiff/approval.py" --cases "$spiff_cases")"
echo "$spiff_out"
spiff_rate="$(awk '/^transitions\/second:/ {print $2}' <<<"$spiff_out")"

best=0
for c in $clients; do
  echo "== Sunshine, SQLite, $c clients"
  out="$("$sunshine" bench hall --cases "$cases" --clients "$c")"
  echo "$out"
  rate="$(awk '/^transitions\/second:/ {print $2}' <<<"$out")"
  if [ "$rate" -gt "$best" ]; then best="$rate"; fi
  echo "ratio to SpiffWorkflow: $(awk -v a="$rate" -v b="$spiff_rate" 'BEGIN {printf "%.1f", a / b}')x"
done

if [ -n "$database_url" ]; then
  for c in $clients; do
    echo "== Sunshine, PostgreSQL, $c clients"
    "$sunshine" --database-url "$database_url" bench hall --cases "$cases" --clients "$c"
  done
fi

echo "== summary"
echo "SpiffWorkflow (SQLite):   $spiff_rate transitions/s"
echo "Sunshine (SQLite), best:  $best transitions/s"
echo "ratio:                    $(awk -v a="$best" -v b="$spiff_rate" 'BEGIN {printf "%.1f", a / b}')x"
echo "== load: $(uptime)"
