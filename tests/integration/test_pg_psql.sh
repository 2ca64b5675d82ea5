#!/usr/bin/env bash
# psql against eddy's PostgreSQL front end: what psql sends on connect, SET /
# SHOW / version() / current_setting(), BEGIN/COMMIT status, the CREATE SOURCE /
# MATERIALIZED VIEW / SINK cycle over events produced with kcat, pull queries,
# errors with SQLSTATE and position (VERBOSITY verbose), DROP; eddy sql -e / -f;
# SCRAM-SHA-256 passwords (right, wrong); bad bytes on the socket close only that
# connection. Loopback only, free ports, temp dirs, bounded time.
#
# Server: `eddy server --sql-port 0` when the server has that flag (it must log
# "... PostgreSQL clients on 127.0.0.1:PORT"), else the harness
# $EDDY_BUILD/it_test_pg_server (log + engine + Kafka + pgwire).
set -euo pipefail
EDDY=${EDDY:?EDDY must point to the eddy binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/pg-it-psql-XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
( sleep 240; kill -TERM $$ ) </dev/null >/dev/null 2>&1 & PIDS+=($!)
fail() { echo "FAIL: $*" >&2; echo "--- server log tail:" >&2; tail -30 "$T"/server*.log >&2 || true; exit 1; }
command -v psql >/dev/null || fail "psql not installed (Debian postgresql-client)"

# start_server NAME [harness flags...]: sets KPORT and SPORT.
start_server() {
	local name=$1; shift
	local log="$T/server-$name.log"
	if "$EDDY" server --help 2>&1 | grep -q -- '--sql-port' && [ $# -eq 0 ]; then
		"$EDDY" server --data-dir "$T/data-$name" --bind 127.0.0.1 --kafka-port 0 --sql-port 0 --http-port 0 \
			>"$log" 2>&1 & PIDS+=($!)
	else
		"${EDDY_BUILD:?EDDY_BUILD must point to the build dir}/it_test_pg_server" \
			--data-dir "$T/data-$name" "$@" >"$log" 2>&1 & PIDS+=($!)
	fi
	KPORT= SPORT=
	for _ in $(seq 100); do
		KPORT=$(sed -n -e 's/.*ready kafka=\([0-9]*\).*/\1/p' \
			-e 's/.*Kafka clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
		SPORT=$(sed -n -e 's/.*ready kafka=[0-9]* sql=\([0-9]*\).*/\1/p' \
			-e 's/.*PostgreSQL clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
		[ -n "$KPORT" ] && [ -n "$SPORT" ] && return 0
		sleep 0.1
	done
	fail "server $name did not start"
}

start_server main
echo "kafka on $KPORT, sql on $SPORT"
PSQL=(timeout 30 psql -X -h 127.0.0.1 -p "$SPORT" -U eddy -d eddy -v ON_ERROR_STOP=1 -qAt)

# 1. what clients ask on connect
out=$("${PSQL[@]}" -c "SELECT version()" -c "SHOW server_version" -c "SHOW DateStyle" \
	-c "SET extra_float_digits = 3" -c "SET application_name TO 'it'" -c "SHOW application_name" \
	-c "SELECT current_setting('application_name'), current_database(), current_schema(), current_user" \
	-c "SET search_path = public" -c "SET statement_timeout = 0" -c "SET client_encoding = 'UTF8'")
expected="PostgreSQL 15.0 (eddy 0.1.0) on x86_64-pc-linux-gnu, compatible subset served by eddy
15.0 (eddy 0.1.0)
ISO, MDY
it
it|eddy|public|eddy"
[ "$out" = "$expected" ] || fail "connect probes: got
$out"
echo "connect probes ok"

# 2. transaction status: BEGIN/COMMIT are accepted, a failed block needs ROLLBACK
out=$("${PSQL[@]}" -v ON_ERROR_STOP=0 2>&1 <<'EOF' || true
BEGIN;
SELECT 1;
SELECT nope FROM nothing;
SELECT 2;
ROLLBACK;
SELECT 3;
EOF
)
echo "$out" | grep -q "42P01\|does not exist" || fail "error inside a block: $out"
grep -q "current transaction is aborted" <<<"$out" || fail "25P02 expected after an error in a block: $out"
echo "$out" | tail -1 | grep -qx 3 || fail "after ROLLBACK: $out"
echo "transaction status ok"

# 3. the create / produce / query / drop cycle
"${PSQL[@]}" <<'EOF' || fail "create"
CREATE SOURCE bids (bidder TEXT, amount BIGINT, price DOUBLE PRECISION, ts TIMESTAMPTZ)
  WITH (topic = 'bids', format = 'json');
CREATE MATERIALIZED VIEW totals AS
  SELECT bidder, COUNT(*) AS n, SUM(amount) AS total FROM bids GROUP BY bidder;
CREATE SINK totals_out FROM totals WITH (topic = 'totals_out');
EOF
for i in $(seq 1 300); do
	printf '{"bidder":"b%d","amount":%d,"price":1.5,"ts":"2026-01-01T00:00:00Z"}\n' $((i % 3)) "$i"
done >"$T/events.json"
timeout 30 kcat -P -b "127.0.0.1:$KPORT" -t bids -l "$T/events.json" || fail "kcat produce"
want="b0|100|15150
b1|100|14950
b2|100|15050"
for _ in $(seq 100); do
	got=$("${PSQL[@]}" -c "SELECT bidder, n, total FROM totals ORDER BY bidder")
	[ "$got" = "$want" ] && break
	sleep 0.1
done
[ "$got" = "$want" ] || fail "pull query: got
$got"
got=$("${PSQL[@]}" -c "SELECT total FROM totals WHERE bidder = 'b1'")
[ "$got" = 14950 ] || fail "point lookup: $got"
"${PSQL[@]}" -c "SHOW SOURCES" | grep -q "^bids|bids|json|300|" || fail "SHOW SOURCES"
"${PSQL[@]}" -c "SHOW MATERIALIZED VIEWS" | grep -q totals || fail "SHOW MATERIALIZED VIEWS"
timeout 30 kcat -C -b "127.0.0.1:$KPORT" -t totals_out -o beginning -e -q | grep -q '"bidder":"b1"' \
	|| fail "the sink topic has no rows"
# multi-statement string: one result per statement, stop at the first error
out=$("${PSQL[@]}" -c "SELECT 1; SELECT n FROM totals WHERE bidder = 'b0'; SELECT 2")
[ "$out" = "1
100
2" ] || fail "multi-statement: $out"
echo "create / produce / query cycle ok"

# 4. errors print SQLSTATE and position
err=$("${PSQL[@]}" -v VERBOSITY=verbose -c "SELECT bidder, nosuch FROM totals" 2>&1 >/dev/null || true)
grep -q "ERROR:  42703: column \"nosuch\" does not exist" <<<"$err" || fail "verbose error: $err"
grep -q "LINE 1: SELECT bidder, nosuch FROM totals" <<<"$err" || fail "position line: $err"
err=$("${PSQL[@]}" -v VERBOSITY=verbose -c "SELEC 1" 2>&1 >/dev/null || true)
grep -q "42601" <<<"$err" || fail "syntax error: $err"
err=$("${PSQL[@]}" -v VERBOSITY=verbose -c "SELECT 1; SELECT * FROM missing; SELECT 2" 2>&1 || true)
grep -q "42P01" <<<"$err" || fail "multi-statement error: $err"
grep -qx 2 <<<"$err" && fail "statements after an error must not run: $err"
echo "errors ok"

# 5. eddy sql -e / -f
out=$(timeout 30 "$EDDY" sql --port "$SPORT" -e "SELECT bidder, n FROM totals ORDER BY bidder")
echo "$out" | grep -q "^ b1     | 100$" || fail "eddy sql -e table: $out"
grep -q "(3 rows)" <<<"$out" || fail "eddy sql -e footer: $out"
printf "SELECT 40 + 2 AS answer;\nSHOW server_version;\n" >"$T/q.sql"
out=$(timeout 30 "$EDDY" sql --port "$SPORT" -f "$T/q.sql")
grep -q "^     42$" <<<"$out" || fail "eddy sql -f: $out"
set +e
err=$(timeout 30 "$EDDY" sql --port "$SPORT" -e "SELECT nosuch FROM totals" 2>&1); rc=$?
set -e
[ $rc -eq 1 ] || fail "eddy sql error exit status $rc"
grep -q "ERROR:  42703" <<<"$err" || fail "eddy sql error: $err"
grep -q "^LINE 1: SELECT nosuch FROM totals" <<<"$err" || fail "eddy sql LINE: $err"
grep -q "^               \^" <<<"$err" || fail "eddy sql caret: $err"
echo "eddy sql ok"

# 6. DROP cycle
"${PSQL[@]}" -c "DROP SINK totals_out" -c "DROP MATERIALIZED VIEW totals" -c "DROP SOURCE bids" || fail "drop"
err=$("${PSQL[@]}" -c "SELECT * FROM totals" 2>&1 || true)
grep -q "does not exist" <<<"$err" || fail "view still there: $err"
echo "drop cycle ok"

# 7. bad bytes close only that connection (08P01), the server keeps serving
printf '\x00\x00\x00\x08\x04\xd2\x16\x2f' | timeout 5 bash -c "cat >/dev/tcp/127.0.0.1/$SPORT" 2>/dev/null || true
printf 'GET / HTTP/1.1\r\n\r\n' >"$T/garbage"
resp=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SPORT; cat $T/garbage >&3; cat <&3" 2>/dev/null | tr -d '\0' || true)
echo "$resp" | grep -q "08P01\|0A000" || fail "garbage startup should get an ErrorResponse: $(echo "$resp" | od -c | head -3)"
"${PSQL[@]}" -c "SELECT 1" | grep -qx 1 || fail "server stopped serving after bad input"
echo "bad input ok"

# 8. SCRAM-SHA-256 (the harness: a password is not a server flag yet)
if [ -x "${EDDY_BUILD:-}/it_test_pg_server" ]; then
	start_server auth --user alice --password 's3cret pw'
	out=$(PGPASSWORD='s3cret pw' timeout 10 psql -X -h 127.0.0.1 -p "$SPORT" -U alice -d eddy -qAt \
		-c "SELECT current_user") || fail "scram login"
	[ "$out" = alice ] || fail "scram user: $out"
	err=$(PGPASSWORD=wrong timeout 10 psql -X -h 127.0.0.1 -p "$SPORT" -U alice -d eddy -c "SELECT 1" 2>&1 || true)
	grep -q 'password authentication failed for user "alice"' <<<"$err" || fail "wrong password: $err"
	out=$(timeout 10 "$EDDY" sql --port "$SPORT" --user alice --password 's3cret pw' -e "SELECT current_user")
	grep -q alice <<<"$out" || fail "eddy sql scram: $out"
	echo "scram ok"
fi
echo "PASS"
