#!/usr/bin/env bash
# Ledger scale benchmark (issue: foundation).
#
# Generates the 100k-customer / ~1M-invoice demo CSV set, imports it into a
# fresh database, runs `report aging`, and compares the invoice import with
# the sqlite3 command-line tool's `.import` of the same file into a bare
# table (the baseline). Prints seconds, rows/s and the ratio.
#
# Usage: bench/ledger.sh [CUSTOMERS] [RUNS]     (defaults: 100000, 3)
# Needs: cargo, sqlite3 (apt-get install sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-100000}
RUNS=${2:-3}
AS_OF=2026-11-25
OUT=${BENCH_OUT:-bench/out}
command -v sqlite3 >/dev/null || { echo "bench needs the sqlite3 command-line tool (apt-get install sqlite3)" >&2; exit 1; }

cargo build --release --quiet
BIN=target/release/tegoed
rm -rf "$OUT"; mkdir -p "$OUT"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
per_sec() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

echo "== Tegoed ledger benchmark: $CUSTOMERS customers, as of $AS_OF, $RUNS runs, $(nproc) cores"
t0=$(now)
"$BIN" --as-of "$AS_OF" demo --customers "$CUSTOMERS" --csv-dir "$OUT/csv" >/dev/null
t1=$(now)
invoices=$(($(wc -l < "$OUT/csv/invoices.csv") - 1))
payments=$(($(wc -l < "$OUT/csv/payments.csv") - 1))
echo "generate CSV set:        $(secs "$t0" "$t1") s  ($invoices invoice rows, $payments payment rows)"

ours=(); base=()
for run in $(seq "$RUNS"); do
  db="$OUT/run$run.db"; rm -f "$db"*
  "$BIN" --db "$db" import customers "$OUT/csv/customers.csv" >/dev/null
  t0=$(now); "$BIN" --db "$db" import invoices "$OUT/csv/invoices.csv" >/dev/null; t1=$(now)
  ours+=("$(secs "$t0" "$t1")")
  rm -f "$OUT/baseline.db"
  t0=$(now)
  sqlite3 "$OUT/baseline.db" <<SQL
.mode csv
.import $OUT/csv/invoices.csv invoice_import
SQL
  t1=$(now)
  base+=("$(secs "$t0" "$t1")")
  [ "$run" -lt "$RUNS" ] && rm -f "$db"*
done
ours_med=$(echo "${ours[*]}" | median)
base_med=$(echo "${base[*]}" | median)
ratio=$(awk -v a="$ours_med" -v b="$base_med" 'BEGIN { printf "%.2f", a / b }')
echo "import invoices (tegoed): ${ours[*]} s  median $ours_med s  $(per_sec "$invoices" "$ours_med") rows/s"
echo "baseline sqlite3 .import: ${base[*]} s  median $base_med s  $(per_sec "$invoices" "$base_med") rows/s"
echo "ratio tegoed / sqlite3 .import: $ratio  (target: within 3)"

db="$OUT/run$RUNS.db"
t0=$(now); "$BIN" --db "$db" import payments "$OUT/csv/payments.csv" >/dev/null; t1=$(now)
pay=$(secs "$t0" "$t1")
echo "import payments (with allocation): $pay s  $(per_sec "$payments" "$pay") rows/s"

aging=()
for run in $(seq "$RUNS"); do
  t0=$(now); "$BIN" --db "$db" --as-of "$AS_OF" report aging --json >/dev/null; t1=$(now)
  aging+=("$(secs "$t0" "$t1")")
done
aging_med=$(echo "${aging[*]}" | median)
echo "report aging over $invoices documents: ${aging[*]} s  median $aging_med s  (target: under 1 s)"
t0=$(now); "$BIN" --db "$db" --as-of "$AS_OF" report aging --by customer --json >/dev/null; t1=$(now)
echo "report aging --by customer: $(secs "$t0" "$t1") s"
t0=$(now); "$BIN" --db "$db" --as-of "$AS_OF" report dso --json >/dev/null; t1=$(now)
echo "report dso: $(secs "$t0" "$t1") s"

ok=1
awk -v r="$ratio" 'BEGIN { exit !(r <= 3) }' || { echo "FAIL: invoice import ratio $ratio > 3"; ok=0; }
awk -v a="$aging_med" 'BEGIN { exit !(a < 1) }' || { echo "FAIL: aging $aging_med s >= 1 s"; ok=0; }
[ "$ok" = 1 ] && echo "PASS: both targets met"
