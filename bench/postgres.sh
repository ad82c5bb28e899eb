#!/usr/bin/env bash
# PostgreSQL beside SQLite (issue: PostgreSQL and the store boundary).
#
# On the 100k-customer / ~1M-invoice demo set, for each backend:
#   ledger   `import invoices` into a fresh database, against the baseline of
#            loading the same file into a bare table with the database's own
#            bulk tool (`psql \copy` for PostgreSQL, `sqlite3 .import` for
#            SQLite); on PostgreSQL also against `psql \copy` of the same
#            rows into Tegoed's own invoice table (its indexes and foreign
#            key), for reference; `report aging` over the whole ledger;
#   dunning  `dunning preview --summary` and a full `dunning run` (plan,
#            record, deliver every message as files) on a fresh copy;
#   web      50 clients (wrk) on the customer page, customer search, the
#            Today page and the pre-sale check API; p95 against /healthz;
#            each route once on cold caches (shown), then measured.
# Targets: import within 3x its baseline, aging < 1 s, preview < 5 s, run
# < 30 s, page p95 < 100 ms.
#
# PostgreSQL: BENCH_POSTGRES=postgres://USER@HOST:PORT/postgres (a server
# where the bench may create databases), else a throw-away cluster from
# .ci/postgres.sh (needs root or sudo).
#
# Usage: bench/postgres.sh [CUSTOMERS] [RUNS] [SECONDS]  (defaults: 100000, 3, 15)
# Needs: cargo, sqlite3, psql, python3, wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-100000}
RUNS=${2:-3}
SECONDS_EACH=${3:-15}
AS_OF=2026-11-25
OUT=${BENCH_OUT:-bench/out}
PORT=${PORT:-18090}
for tool in sqlite3 python3 wrk; do
  command -v "$tool" >/dev/null || { echo "bench needs $tool (apt-get install $tool)" >&2; exit 1; }
done
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1)
[ -x "$PSQL" ] || { echo "bench needs psql (apt-get install postgresql-client)" >&2; exit 1; }

cargo build --release --quiet -p tegoed-cli
BIN=$PWD/target/release/tegoed
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$OUT"/pg-work*
  [ -n "${STARTED_DIR:-}" ] && .ci/postgres.sh stop "$STARTED_DIR"
  return 0
}
trap cleanup EXIT
if [ -z "${BENCH_POSTGRES:-}" ]; then
  eval "$(.ci/postgres.sh)"
  BENCH_POSTGRES=$TEGOED_TEST_POSTGRES
  STARTED_DIR=$TEGOED_TEST_POSTGRES_DIR
fi
SERVER=${BENCH_POSTGRES%/*}
db_url() { echo "$SERVER/$1"; }
sql() { "$PSQL" -qAt "$BENCH_POSTGRES" -c "$1"; }
fresh_pg() { sql "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; sql "CREATE DATABASE $1 ${2:+TEMPLATE $2}"; }

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
declare -A RESULT

echo "== Tegoed on PostgreSQL beside SQLite: $CUSTOMERS customers, as of $AS_OF, $RUNS runs, $(nproc) cores"
echo "PostgreSQL: $(sql 'SHOW server_version'), $(echo "$BENCH_POSTGRES" | sed 's#//[^@]*@#//#')"

# --- ledger ------------------------------------------------------------------
CSV="$OUT/csv-$CUSTOMERS"
if [ ! -f "$CSV/invoices.csv" ]; then
  "$BIN" --as-of "$AS_OF" demo --customers "$CUSTOMERS" --csv-dir "$CSV" >/dev/null
fi
invoices=$(($(wc -l < "$CSV/invoices.csv") - 1))
echo
echo "-- ledger: $invoices invoice rows"
INVOICE_COLUMNS="id, number, customer_id, issue_date, due_date, amount_minor, currency, payment_reference, description, credits_invoice"
for backend in sqlite postgres; do
  ours=(); base=(); table=()
  for run in $(seq "$RUNS"); do
    if [ "$backend" = sqlite ]; then
      db="$OUT/pg-work-ledger.db"; rm -f "$db"*
    else
      fresh_pg bench_ledger; db=$(db_url bench_ledger)
    fi
    "$BIN" --db "$db" import customers "$CSV/customers.csv" >/dev/null
    t0=$(now); "$BIN" --db "$db" import invoices "$CSV/invoices.csv" >/dev/null; t1=$(now)
    ours+=("$(secs "$t0" "$t1")")
    if [ "$backend" = sqlite ]; then
      rm -f "$OUT/pg-work-baseline.db"
      t0=$(now)
      sqlite3 "$OUT/pg-work-baseline.db" ".mode csv" ".import $CSV/invoices.csv invoice_import"
      t1=$(now)
    else
      fresh_pg bench_baseline
      cols=$(head -1 "$CSV/invoices.csv" | sed 's/,/ text, /g; s/$/ text/')
      "$PSQL" -q "$(db_url bench_baseline)" -c "CREATE TABLE invoice_import ($cols)"
      t0=$(now)
      "$PSQL" -q "$(db_url bench_baseline)" -c "\\copy invoice_import FROM '$CSV/invoices.csv' WITH (FORMAT csv, HEADER true)"
      t1=$(now)
    fi
    base+=("$(secs "$t0" "$t1")")
    if [ "$backend" = postgres ]; then
      # A second baseline: the same rows (as Tegoed stored them, ids and
      # all) loaded with `psql \copy` into Tegoed's own invoice table, with
      # its indexes and its foreign key to the customers, in one COPY.
      rows="$OUT/pg-work-invoice-rows.csv"
      "$PSQL" -q "$db" -c "\copy (SELECT $INVOICE_COLUMNS FROM invoice ORDER BY id) TO '$rows' WITH (FORMAT csv)"
      fresh_pg bench_table
      "$BIN" --db "$(db_url bench_table)" import customers "$CSV/customers.csv" >/dev/null
      t0=$(now)
      "$PSQL" -q "$(db_url bench_table)" -c "\copy invoice ($INVOICE_COLUMNS) FROM '$rows' WITH (FORMAT csv)"
      t1=$(now)
      table+=("$(secs "$t0" "$t1")")
      rm -f "$rows"
    fi
  done
  ours_med=$(echo "${ours[*]}" | median); base_med=$(echo "${base[*]}" | median)
  if [ "$backend" = postgres ]; then
    RESULT[postgres.table]=$(echo "${table[*]}" | median)
    RESULT[postgres.table_ratio]=$(ratio "$ours_med" "${RESULT[postgres.table]}")
    echo "postgres: psql \copy of the same rows into the invoice table ${table[*]} s (median ${RESULT[postgres.table]})"
  fi
  aging=()
  for run in $(seq "$RUNS"); do
    t0=$(now); "$BIN" --db "$db" --as-of "$AS_OF" report aging --json >/dev/null; t1=$(now)
    aging+=("$(secs "$t0" "$t1")")
  done
  RESULT[$backend.import]=$ours_med; RESULT[$backend.baseline]=$base_med
  RESULT[$backend.ratio]=$(ratio "$ours_med" "$base_med")
  RESULT[$backend.aging]=$(echo "${aging[*]}" | median)
  echo "$backend: import invoices ${ours[*]} s (median $ours_med); baseline ${base[*]} s (median $base_med); ratio ${RESULT[$backend.ratio]}; aging ${aging[*]} s (median ${RESULT[$backend.aging]})"
done
[ -n "${KEEP:-}" ] || { sql "DROP DATABASE IF EXISTS bench_baseline WITH (FORCE)"; sql "DROP DATABASE IF EXISTS bench_table WITH (FORCE)"; }

# --- dunning -----------------------------------------------------------------
SQLITE_BASE="$OUT/dunning-base-$CUSTOMERS.db"
if [ ! -f "$SQLITE_BASE" ]; then
  "$BIN" --db "$SQLITE_BASE" --as-of "$AS_OF" demo --customers "$CUSTOMERS" >/dev/null
fi
fresh_pg bench_base
t0=$(now)
"$BIN" --json migrate --from "$SQLITE_BASE" --to "$(db_url bench_base)" >"$OUT/pg-migrate.json"
t1=$(now)
echo
echo "-- dunning: the demo database moved to PostgreSQL with tegoed migrate in $(secs "$t0" "$t1") s ($(python3 -c "import json; r = json.load(open('$OUT/pg-migrate.json')); print(r['rows'], 'rows, verified' if r['verified'] else 'rows, NOT VERIFIED')"))"
sql "VACUUM ANALYZE" >/dev/null 2>&1 || true
"$PSQL" -q "$(db_url bench_base)" -c "VACUUM ANALYZE"
for backend in sqlite postgres; do
  work="$OUT/pg-work-dunning-$backend"; rm -rf "$work"; mkdir -p "$work"
  if [ "$backend" = sqlite ]; then
    cp "$SQLITE_BASE" "$work/tegoed.db"; sync; db="$work/tegoed.db"
  else
    fresh_pg bench_preview bench_base; db=$(db_url bench_preview)
  fi
  preview=()
  for run in $(seq "$RUNS"); do
    t0=$(now); (cd "$work" && "$BIN" --db "$db" --as-of "$AS_OF" --json dunning preview --summary >summary.json); t1=$(now)
    preview+=("$(secs "$t0" "$t1")")
  done
  runs=()
  for run in $(seq "$RUNS"); do
    rwork="$work/run-$run"; mkdir -p "$rwork"
    if [ "$backend" = sqlite ]; then
      cp "$SQLITE_BASE" "$rwork/tegoed.db"; sync; rdb="$rwork/tegoed.db"
    else
      fresh_pg "bench_run_$run" bench_base; rdb=$(db_url "bench_run_$run")
    fi
    t0=$(now); (cd "$rwork" && "$BIN" --db "$rdb" --as-of "$AS_OF" --json dunning run >run.json); t1=$(now)
    runs+=("$(secs "$t0" "$t1")")
    [ "$backend" = postgres ] && sql "DROP DATABASE bench_run_$run WITH (FORCE)"
  done
  RESULT[$backend.preview]=$(echo "${preview[*]}" | median)
  RESULT[$backend.run]=$(echo "${runs[*]}" | median)
  messages=$(python3 -c "import json; print(json.load(open('$work/run-1/run.json'))['planned'])")
  RESULT[$backend.messages]=$messages
  echo "$backend: preview --summary ${preview[*]} s (median ${RESULT[$backend.preview]}); run ${runs[*]} s (median ${RESULT[$backend.run]}, $messages messages)"
done

# --- web ---------------------------------------------------------------------
echo
echo "-- web: 50 clients, wrk 2 threads, ${SECONDS_EACH}s per route, after a first pass of as long on cold caches"
# Waits until process PID used under 0.1 s of CPU in 2 s (at most 10 min).
wait_idle() {
  local pid=$1 before after
  for _ in $(seq 1 300); do
    before=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    sleep 2
    after=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    [ $((after - before)) -lt 10 ] && return 0
  done
}
web() { # backend db
  local backend=$1 db=$2
  "$BIN" --db "$db" --as-of "$AS_OF" risk train >/dev/null 2>&1 || true
  echo "bench-password-1" | "$BIN" --db "$db" user add "bench-$backend@tegoed.example" --role credit_manager >/dev/null
  local token
  token=$("$BIN" --db "$db" --json user token "bench-$backend@tegoed.example" --name bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  "$BIN" --db "$db" --as-of "$AS_OF" serve --addr "127.0.0.1:$PORT" >"$OUT/pg-work-serve-$backend.log" 2>&1 &
  SERVER_PID=$!
  local url="http://127.0.0.1:$PORT"
  for _ in $(seq 1 150); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.2; done
  local jar login session cookie
  jar=$(mktemp)
  login=$(curl -s -c "$jar" "$url/login" | sed -n 's/.*name="login_token" value="\([^"]*\)".*/\1/p')
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "login_token=$login" \
    --data-urlencode "email=bench-$backend@tegoed.example" --data-urlencode "password=bench-password-1" "$url/login"
  session=$(awk '$6 == "tegoed_session" { print $7 }' "$jar"); rm -f "$jar"
  [ -n "$session" ] || { echo "login failed on $backend" >&2; exit 1; }
  cookie="Cookie: tegoed_session=$session"
  curl -sf -H "$cookie" "$url/today" >/dev/null   # waits for the in-memory book
  # Today starts the day's background work (the dunning preview, the DSO
  # of 23 month-ends, the appreciation suggestions); the figures are of a
  # server that has finished it, not of one still busy starting up.
  wait_idle "$SERVER_PID"
  local results="$OUT/pg-work-web-$backend.txt"; rm -f "$results"
  # Each route runs twice: first on caches as the start left them (a
  # fresh copy of the database; shown as "cold"), then measured against
  # its target, as a server that has been serving for a while answers.
  route() { # name header args…
    local name=$1 header=$2; shift 2
    local line pass
    for pass in cold warm; do
      line=$(wrk -t2 -c50 -d"${SECONDS_EACH}s" --latency -H "$header" -s bench/latency.lua "$url" -- "$@" | grep RESULT)
      if [ "$pass" = cold ]; then
        echo "$name-cold ${line#RESULT }" >> "$results"
      else
        echo "$name ${line#RESULT }" >> "$results"
      fi
    done
  }
  route "healthz" "$cookie" "/healthz" 1
  route "customer-page" "$cookie" "/customers/C%06d" "$CUSTOMERS"
  route "customer-search" "$cookie" "/customers?q=%d" 999
  route "today" "$cookie" "/today" 1
  route "check-api" "Authorization: Bearer $token" "/api/v1/check" "$CUSTOMERS" POST '{"customer":"C%06d","amount":"5000"}'
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
}
fresh_pg bench_web bench_base
web postgres "$(db_url bench_web)"
cp "$SQLITE_BASE" "$OUT/pg-work-web.db"; sync
web sqlite "$OUT/pg-work-web.db"

# --- both, side by side --------------------------------------------------------
python3 - "$OUT" "$(declare -p RESULT)" <<'PY'
import re, sys
out, declared = sys.argv[1], sys.argv[2]
R = dict(re.findall(r'\[([^\]]+)\]="([^"]*)"', declared))
def web(backend):
    rows = {}
    for line in open(f"{out}/pg-work-web-{backend}.txt"):
        name, rest = line.split(" ", 1)
        rows[name] = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", rest)}
    return rows
W = {b: web(b) for b in ("sqlite", "postgres")}
ok = True
def check(cond):
    global ok
    ok &= cond
    return "met" if cond else "NOT met"
print()
print(f"{'':44} {'SQLite':>12} {'PostgreSQL':>12}   target (PostgreSQL)")
line = lambda name, a, b, t="": print(f"{name:44} {a:>12} {b:>12}   {t}")
s, p = "sqlite", "postgres"
line("import 1M invoices (s)", R[f"{s}.import"], R[f"{p}.import"])
line("  baseline: sqlite3 .import / psql \\copy (s)", R[f"{s}.baseline"], R[f"{p}.baseline"])
line("  ratio to the baseline", R[f"{s}.ratio"], R[f"{p}.ratio"], f"within 3x: {check(float(R[f'{p}.ratio']) <= 3)}")
line("  psql \\copy of the same rows into the invoice table (s)", "", R[f"{p}.table"])
line("  ratio to that", "", R[f"{p}.table_ratio"], "(for reference: the table's indexes and foreign key)")
line("report aging (s)", R[f"{s}.aging"], R[f"{p}.aging"], f"< 1 s: {check(float(R[f'{p}.aging']) < 1)}")
line("dunning preview --summary (s)", R[f"{s}.preview"], R[f"{p}.preview"], f"< 5 s: {check(float(R[f'{p}.preview']) < 5)}")
line(f"dunning run, {R[f'{p}.messages']} messages (s)", R[f"{s}.run"], R[f"{p}.run"], f"< 30 s: {check(float(R[f'{p}.run']) < 30)}")
for route in ("customer-page", "customer-search", "today", "check-api"):
    a, b = W[s][route], W[p][route]
    base = W[p]["healthz"]["p95_ms"]
    line(f"{route} p95 ms (x healthz on PostgreSQL)", f"{a['p95_ms']:.1f}", f"{b['p95_ms']:.1f} ({b['p95_ms'] / base:.0f}x)",
         f"p95 < 100 ms: {check(b['p95_ms'] < 100 and b['errors'] == 0)}")
    ca, cb = W[s][f"{route}-cold"], W[p][f"{route}-cold"]
    line("  the first pass, on cold caches (p95 ms)", f"{ca['p95_ms']:.1f}", f"{cb['p95_ms']:.1f}", "(for reference)")
line("healthz p95 ms (baseline)", f"{W[s]['healthz']['p95_ms']:.1f}", f"{W[p]['healthz']['p95_ms']:.1f}")
print()
print("PASS: every PostgreSQL target met" if ok else "FAIL: a PostgreSQL target was missed")
PY
