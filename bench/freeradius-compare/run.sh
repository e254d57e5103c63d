#!/usr/bin/env bash
# radtrack under the shared FreeRADIUS harness (/work/shared/bench/run-bench.sh --target external):
# fresh database, migrate, register NAS 127.0.0.1, start `radtrack serve` as a child, run the harness against
# it (reset = product-reset.sql, verify = product-verify.sql), stop the daemon by its pid, drop the database.
#
#   bench/freeradius-compare/run.sh [--embedded] [--keep] [--port-policy ignore|autoclose|flag]
#        [--batch-size N] [--writers N] [--cpu-prof DIR] [--port 18140] -- [run-bench.sh options]
#   e.g. bench/freeradius-compare/run.sh -- --parallel 64 --runs 3 --json-out /tmp/rt.json
#
# Port policy default "ignore": the harness's packets carry 16 NAS-IP-Addresses (192.0.2.1-16) and NAS-Port =
# session/16, but all come from 127.0.0.1, and radtrack identifies a NAS by its source address; to radtrack it is
# one NAS whose ports each carry 16 concurrent sessions. FreeRADIUS/radacct has no port rule, so "ignore" is the
# like-for-like setting; "autoclose" (radtrack's default) makes every Start supersede 15 others (see README).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
HARNESS="${HARNESS:-/work/shared/bench/run-bench.sh}"
DB=radtrack_bench_fr
PGURL_BASE="${PGURL_BASE:-postgres://postgres@127.0.0.1:5432}"
PORT=18140 SECRET=testing123 POLICY=ignore EMBEDDED=0 KEEP=0 PROF=""
SERVE_OPTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --embedded) EMBEDDED=1 ;;
    --keep) KEEP=1 ;;
    --port) PORT="$2"; shift ;;
    --port-policy) POLICY="$2"; shift ;;
    --batch-size|--writers) SERVE_OPTS+=("$1" "$2"); shift ;;
    --cpu-prof) PROF="$2"; shift ;;
    --) shift; break ;;
    *) echo "unknown option $1 (harness options go after --)" >&2; exit 2 ;;
  esac
  shift
done

WORK="$(mktemp -d /tmp/radtrack-frcmp.XXXXXX)"
LOG="$WORK/daemon.log"
DAEMON_PID=""
radtrack() { DATABASE_URL= node "$ROOT/bin/radtrack" "${DBARGS[@]}" "$@"; }
cleanup() {
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID"
    for _ in $(seq 1 300); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$DAEMON_PID" 2>/dev/null && kill -KILL "$DAEMON_PID"
  fi
  echo "[run.sh] daemon log: $(grep -ciE 'error|warn' "$LOG" 2>/dev/null || true) warning/error lines; last: $(tail -n 1 "$LOG" 2>/dev/null)" >&2
  if [ "$KEEP" = 0 ]; then
    [ "$EMBEDDED" = 0 ] && psql -X -q -d "$PGURL_BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
    rm -rf "$WORK"
  else
    echo "[run.sh] kept: ${DBARGS[*]} daemon log $LOG" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$EMBEDDED" = 1 ]; then
  DBARGS=(--data-dir "$WORK/data")
  DB_HOST="$WORK/data/run"   # the daemon serves its PGlite on a unix socket here (psql -h DIR)
  DB_NAME=postgres
else
  psql -X -q -d "$PGURL_BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
  DBARGS=(--db "$PGURL_BASE/$DB")
  DB_HOST=127.0.0.1
  DB_NAME=$DB
fi
radtrack migrate >/dev/null
RADTRACK_NAS_SECRET="$SECRET" radtrack nas add 127.0.0.1 --name harness --port-policy "$POLICY" >/dev/null
# The harness replays sessions dated 2026-01-01 (gen_packets.py --base-ts): trust this NAS's clock, as
# FreeRADIUS does, or radtrack would use arrival times for events months away (docs/accounting.md).
# Embedded: only the running daemon serves the data dir (on DIR/run), so this waits until it listens; updated_at
# moves too, because the listener rereads its NAS clients only when count/max(updated_at) of nas changed.
trust_clock() {
  psql -X -q -h "$DB_HOST" -U postgres -d "$DB_NAME" \
    -c "UPDATE nas SET max_clock_offset = NULL, updated_at = now() WHERE address = '127.0.0.1'" >/dev/null
}
[ "$EMBEDDED" = 0 ] && trust_clock

NODE_OPTS=()
[ -n "$PROF" ] && mkdir -p "$PROF" && NODE_OPTS=(--cpu-prof --cpu-prof-dir "$PROF")
DATABASE_URL= node "${NODE_OPTS[@]}" "$ROOT/bin/radtrack" "${DBARGS[@]}" serve --host 127.0.0.1 --port "$PORT" "${SERVE_OPTS[@]}" \
  >"$LOG" 2>&1 </dev/null &
DAEMON_PID=$!
for _ in $(seq 1 600); do
  grep -q 'serve: listening on' "$LOG" && break
  kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 0.1
done
grep -q 'serve: listening on' "$LOG" || { echo "daemon did not start" >&2; cat "$LOG" >&2; exit 1; }
if [ "$EMBEDDED" = 1 ]; then trust_clock; sleep 3; fi
echo "[run.sh] radtrack serve pid $DAEMON_PID on 127.0.0.1:$PORT (${DBARGS[*]}, port policy $POLICY${SERVE_OPTS:+, ${SERVE_OPTS[*]}})" >&2

HARNESS_ARGS=(--target external --label radtrack --host 127.0.0.1 --port "$PORT" --secret "$SECRET"
  --target-pid "$DAEMON_PID" --db-host "$DB_HOST" --db-name "$DB_NAME" --db-user postgres --db-password unused
  --reset "$HERE/product-reset.sql" --verify "$HERE/product-verify.sql" "$@")
if [ "$EMBEDDED" = 0 ]; then
  "$HARNESS" "${HARNESS_ARGS[@]}"
  exit $?
fi
# Embedded: the harness loads expected.csv with psql \copy, which the daemon's PGlite socket does not take
# (COPY FROM STDIN: "unexpected EOF on client connection with an open transaction", see bench/README.md).
# So the harness runs without row check, and the rows of the LAST run are checked here with the same
# product-verify.sql, expected.csv loaded as INSERTs.
"$HARNESS" "${HARNESS_ARGS[@]}" --verify none 2> >(tee "$WORK/harness.err" >&2)
GEN_DIR="$(sed -n 's/^\[bench\] packets: \(.*\) ([0-9]*)$/\1/p' "$WORK/harness.err" | tail -n 1)"
BG_CLOSED=100000 BG_OPEN=20000
while [ $# -gt 0 ]; do
  case "$1" in --bg-closed) BG_CLOSED="$2"; shift ;; --bg-open) BG_OPEN="$2"; shift ;; esac
  shift
done
python3 - "$GEN_DIR/expected.csv" >"$WORK/expected.sql" <<'PY'
import csv, sys
print("CREATE TEMP TABLE bench_expected (username text, acctsessionid text, nasipaddress inet, framedipaddress inet,"
      " acctstarttime_epoch bigint, acctstoptime_epoch bigint, acctsessiontime bigint, acctinputoctets bigint,"
      " acctoutputoctets bigint, acctterminatecause text);")
rows = list(csv.reader(open(sys.argv[1])))[1:]
q = lambda v: "'" + v.replace("'", "''") + "'"
for i in range(0, len(rows), 1000):
    print("INSERT INTO bench_expected VALUES " + ",".join("(" + ",".join(q(v) for v in r) + ")" for r in rows[i:i + 1000]) + ";")
PY
OUT="$(psql -X -q -At -v ON_ERROR_STOP=1 -h "$DB_HOST" -U postgres -d "$DB_NAME" -v bg_closed="$BG_CLOSED" -v bg_open="$BG_OPEN" \
  -f "$WORK/expected.sql" -f "$HERE/product-verify.sql" | tail -n 1)"
IFS='|' read -r E R C X D B <<<"$OUT"
OK=no; [ "$E" = "$R" ] && [ "$R" = "$C" ] && [ "$C" = "$X" ] && [ "$D" = 0 ] && [ "$B" = 1 ] && OK=yes
echo "radtrack_embedded_last_run_rows expected|rows|closed|exact|dups|background_ok = $OUT rows_ok=$OK"
