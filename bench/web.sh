#!/usr/bin/env bash
# Web app benchmark (issue: the web app and the JSON API).
#
# Serves the 100k-customer / ~1M-invoice demo database (the one
# bench/check.sh made, with its risk model; else it builds one) and puts 50
# concurrent clients on loopback (wrk, 2 threads) on the customer page,
# customer search, the Today page and the pre-sale check API. Prints p50,
# p95 and p99 latency and requests per second for each, and the ratio of
# p95 against the baseline: /healthz, a route that does no work, served by
# the same server under the same load.
#
# Usage: bench/web.sh [CUSTOMERS] [SECONDS]     (defaults: 100000, 15)
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-100000}
SECONDS_EACH=${2:-15}
AS_OF=2026-11-25
OUT=${BENCH_OUT:-bench/out}
PORT=${PORT:-18080}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet -p tegoed-cli
BIN=$PWD/target/release/tegoed
mkdir -p "$OUT"
SOURCE="$OUT/check-$CUSTOMERS.db"
if [ ! -f "$SOURCE" ]; then
  SOURCE="$OUT/dunning-base-$CUSTOMERS.db"
  [ -f "$SOURCE" ] || "$BIN" --db "$SOURCE" --as-of "$AS_OF" demo --customers "$CUSTOMERS" >/dev/null
fi
DB="$OUT/web-$CUSTOMERS.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$SOURCE" "$DB"; sync
"$BIN" --db "$DB" --as-of "$AS_OF" risk train >/dev/null 2>&1 || true
echo "bench-password-1" | "$BIN" --db "$DB" user add bench@tegoed.example --role credit_manager >/dev/null
TOKEN=$("$BIN" --db "$DB" --json user token bench@tegoed.example --name bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

"$BIN" --db "$DB" --as-of "$AS_OF" serve --addr "127.0.0.1:$PORT" >"$OUT/web-serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done

# Log in like a browser: the login form's token, then the session cookie.
JAR=$(mktemp)
LOGIN_TOKEN=$(curl -s -c "$JAR" "$URL/login" | sed -n 's/.*name="login_token" value="\([^"]*\)".*/\1/p')
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "login_token=$LOGIN_TOKEN" \
  --data-urlencode "email=bench@tegoed.example" --data-urlencode "password=bench-password-1" "$URL/login"
SESSION=$(awk '$6 == "tegoed_session" { print $7 }' "$JAR")
rm -f "$JAR"
[ -n "$SESSION" ] || { echo "login failed" >&2; exit 1; }
COOKIE="Cookie: tegoed_session=$SESSION"
# The first Today page waits for the in-memory book (built at start-up).
t0=$(date +%s.%N)
curl -sf -H "$COOKIE" "$URL/today" >/dev/null
t1=$(date +%s.%N)

echo "== Tegoed web benchmark: $CUSTOMERS customers, $(sqlite3 "$DB" 'select count(*) from invoice' 2>/dev/null || echo '~1M') documents, as of $AS_OF, $(nproc) cores"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "first Today page (waits for the book built at start-up): %.2f s\n", b - a }'
echo "wrk: 2 threads, 50 connections, ${SECONDS_EACH}s per route"
run() { # name, header, wrk args after --
  local name=$1 header=$2; shift 2
  local line
  line=$(wrk -t2 -c50 -d"${SECONDS_EACH}s" --latency -H "$header" -s bench/latency.lua "$URL" -- "$@" | grep RESULT)
  printf '%-34s %s\n' "$name" "${line#RESULT }"
  echo "$name ${line#RESULT }" >> "$OUT/web-results.txt"
}
rm -f "$OUT/web-results.txt"
run "baseline /healthz" "$COOKIE" "/healthz" 1
run "customer page /customers/C…" "$COOKIE" "/customers/C%06d" "$CUSTOMERS"
run "customer search /customers?q=" "$COOKIE" "/customers?q=%d" 999
run "Today /today" "$COOKIE" "/today" 1
run "pre-sale check POST /api/v1/check" "Authorization: Bearer $TOKEN" "/api/v1/check" "$CUSTOMERS" POST \
  '{"customer":"C%06d","amount":"5000"}'
python3 - "$OUT/web-results.txt" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    name, rest = line.split(" p50_ms=", 1) if " p50_ms=" in line else (line, "")
    vals = dict(re.findall(r"(\w+)=([\d.]+)", "p50_ms=" + rest))
    rows[name.strip()] = {k: float(v) for k, v in vals.items()}
base = rows["baseline /healthz"]["p95_ms"]
print()
print("p95 against the /healthz baseline (targets: pages p95 < 100 ms, check API p99 < 20 ms):")
for name, r in rows.items():
    if name.startswith("baseline"):
        continue
    target = "p99 < 20 ms" if "check" in name else "p95 < 100 ms"
    ok = (r["p99_ms"] < 20) if "check" in name else (r["p95_ms"] < 100)
    print(f"  {name:<34} p95 {r['p95_ms']:7.2f} ms = {r['p95_ms'] / base:6.1f}x baseline; {target}: {'met' if ok and r['errors'] == 0 else 'NOT met'}")
PY
