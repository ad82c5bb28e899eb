#!/usr/bin/env bash
# Dunning scale benchmark (issue: target groups and collection strategies).
#
# Builds the 100k-customer / ~1M-invoice demo database (or reuses
# bench/out/dunning-base.db), then on fresh copies of it times:
#   - `dunning preview --summary` (segments, steps, amounts and every message
#     rendered) and `dunning preview --json` (also printing every message);
#   - a full `dunning run`: plan, record every message, deliver every e-mail
#     (.eml with HTML and QR code), letter (PDF) and call task.
# Baselines: for the preview, the sqlite3 command-line tool summing every
# customer's overdue amount with a GROUP BY (the least reading any dunning
# preview must do); for the run, writing the same number of files with the
# same total size from Python (the file-system cost alone).
#
# Usage: bench/dunning.sh [CUSTOMERS] [RUNS]     (defaults: 100000, 3)
# Needs: cargo, sqlite3, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-100000}
RUNS=${2:-3}
AS_OF=2026-11-25
OUT=${BENCH_OUT:-bench/out}
command -v sqlite3 >/dev/null || { echo "bench needs the sqlite3 command-line tool (apt-get install sqlite3)" >&2; exit 1; }

cargo build --release --quiet
BIN=$PWD/target/release/tegoed
mkdir -p "$OUT"
BASE="$OUT/dunning-base-$CUSTOMERS.db"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== Tegoed dunning benchmark: $CUSTOMERS customers, as of $AS_OF, $RUNS runs, $(nproc) cores"
if [ ! -f "$BASE" ]; then
  t0=$(now)
  "$BIN" --db "$BASE" --as-of "$AS_OF" demo --customers "$CUSTOMERS" >/dev/null
  t1=$(now)
  echo "demo database:           $(secs "$t0" "$t1") s (built once, reused)"
fi
invoices=$(sqlite3 "$BASE" "SELECT count(*) FROM invoice")
echo "ledger: $CUSTOMERS customers, $invoices invoices and credit notes"

# Each run works in a folder of its own, removed only when the benchmark is
# done: deleting tens of thousands of files slows the file system's next
# file creations for a while (ext4 skips recently freed inodes), which
# would be timed as ours. Copies are flushed before timing, so their
# write-back does not count either.
rm -rf "$OUT"/dunning-work*
trap 'rm -rf "$OUT"/dunning-work*' EXIT
fresh() { work="$OUT/dunning-work-$1"; mkdir -p "$work"; cp "$BASE" "$work/tegoed.db"; sync; }

# Preview (read-only: one copy serves all runs).
fresh preview
summary=(); full=()
for run in $(seq "$RUNS"); do
  t0=$(now); (cd "$work" && "$BIN" --as-of "$AS_OF" --json dunning preview --summary >summary.json); t1=$(now)
  summary+=("$(secs "$t0" "$t1")")
  t0=$(now); (cd "$work" && "$BIN" --as-of "$AS_OF" --json dunning preview >preview.json); t1=$(now)
  full+=("$(secs "$t0" "$t1")")
done
messages=$(python3 -c "import json; print(json.load(open('$work/summary.json'))['messages'])")
summary_med=$(echo "${summary[*]}" | median)
full_med=$(echo "${full[*]}" | median)
base=()
for run in $(seq "$RUNS"); do
  t0=$(now)
  sqlite3 "$work/tegoed.db" >/dev/null <<SQL
SELECT i.customer_id, SUM(i.amount_minor - COALESCE((SELECT SUM(a.amount_minor) FROM allocation a WHERE a.invoice_id = i.id), 0))
FROM invoice i WHERE i.amount_minor > 0 AND i.due_date < CAST(julianday('$AS_OF') - 2440587.5 AS INTEGER)
GROUP BY i.customer_id;
SQL
  t1=$(now)
  base+=("$(secs "$t0" "$t1")")
done
base_med=$(echo "${base[*]}" | median)
echo "dunning preview --summary: ${summary[*]} s  median $summary_med s  ($messages messages rendered; target under 5 s)"
echo "dunning preview --json:    ${full[*]} s  median $full_med s  ($(du -h "$work/preview.json" | cut -f1) of JSON)"
echo "baseline sqlite3 overdue per customer: ${base[*]} s  median $base_med s"
echo "ratio preview / baseline: $(awk -v a="$summary_med" -v b="$base_med" 'BEGIN { printf "%.2f", a / b }')"

# Full runs, each on a fresh copy.
runs=(); fsbase=()
for run in $(seq "$RUNS"); do
  fresh "run-$run"
  t0=$(now); (cd "$work" && "$BIN" --as-of "$AS_OF" --json dunning run >run.json); t1=$(now)
  runs+=("$(secs "$t0" "$t1")")
  # The first run on a ledger without history may send no letters at all.
  mkdir -p "$work/outbox" "$work/letters"
  files=$(find "$work/outbox" "$work/letters" -type f | wc -l)
  bytes=$(du -sb "$work/outbox" "$work/letters" | awk '{ s += $1 } END { print s }')
  t0=$(now)
  python3 - "$work/fsbase" "$files" "$bytes" <<'PY'
import os, sys
folder, files, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(folder, exist_ok=True)
chunk = b"x" * (total // max(files, 1))
for i in range(files):
    tmp = os.path.join(folder, f"{i:08}.tmp")
    with open(tmp, "wb") as f:
        f.write(chunk)
    os.rename(tmp, os.path.join(folder, f"{i:08}.out"))
PY
  t1=$(now)
  fsbase+=("$(secs "$t0" "$t1")")
done
run_med=$(echo "${runs[*]}" | median)
fs_med=$(echo "${fsbase[*]}" | median)
python3 - "$work/run.json" "$run_med" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = float(sys.argv[2]); d = r["delivered"]
n = r["planned"]
print(f"dunning run: {n} messages: {d['email']} e-mails (.eml), {d['letter']} letters (PDF), {d['call']} call tasks, {d['handoff']} hand-offs")
print(f"time per message: {1000 * t / max(n, 1):.2f} ms")
PY
echo "dunning run (plan, record, deliver): ${runs[*]} s  median $run_med s  (target under 30 s)"
echo "baseline python writing $files files, $((bytes / 1048576)) MiB: ${fsbase[*]} s  median $fs_med s"
echo "ratio run / file-writing baseline: $(awk -v a="$run_med" -v b="$fs_med" 'BEGIN { printf "%.2f", a / b }')"

ok=1
awk -v a="$summary_med" 'BEGIN { exit !(a < 5) }' || { echo "FAIL: preview $summary_med s >= 5 s"; ok=0; }
awk -v a="$run_med" 'BEGIN { exit !(a < 30) }' || { echo "FAIL: run $run_med s >= 30 s"; ok=0; }
[ "$ok" = 1 ] && echo "PASS: both targets met"
