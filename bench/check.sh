#!/usr/bin/env bash
# Pre-sale check benchmark (issue: credit policy and the pre-sale check).
#
# Builds the 100k-customer / ~1M-invoice demo database (or reuses the one
# bench/dunning.sh built), trains the risk model on a copy, times
# `risk train`, and runs the in-process check benchmark
# (crates/app/benches/check.rs): time per check against reading the same
# customer's documents.
#
# Usage: bench/check.sh [CUSTOMERS] [CHECKS]     (defaults: 100000, 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-100000}
CHECKS=${2:-2000}
AS_OF=2026-11-25
OUT=${BENCH_OUT:-bench/out}
cargo build --release --quiet
BIN=$PWD/target/release/tegoed
mkdir -p "$OUT"
BASE="$OUT/dunning-base-$CUSTOMERS.db"
if [ ! -f "$BASE" ]; then
  "$BIN" --db "$BASE" --as-of "$AS_OF" demo --customers "$CUSTOMERS" >/dev/null
fi
DB="$OUT/check-$CUSTOMERS.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$BASE" "$DB"; sync
echo "== Tegoed pre-sale check benchmark: $CUSTOMERS customers, as of $AS_OF, $(nproc) cores"
t0=$(date +%s.%N)
"$BIN" --db "$DB" --as-of "$AS_OF" --json risk train > "$OUT/risk-train-$CUSTOMERS.json"
t1=$(date +%s.%N)
python3 - "$OUT/risk-train-$CUSTOMERS.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"risk model: AUC {r['auc']}, Brier {r['brier']}, {r['n_train']} train / {r['n_test']} test invoices, cut-off {r['cutoff']}")
PY
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "risk train: %.2f s\n", b - a }'
cargo bench -p tegoed-app --bench check --quiet -- "$PWD/$DB" "$AS_OF" "$CHECKS"
