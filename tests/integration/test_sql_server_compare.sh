#!/usr/bin/env bash
# Issue 4's acceptance through the running server: `eddy server` on free
# loopback ports; the source and the TUMBLE, HOP and SESSION views (COUNT,
# SUM, MIN, MAX, AVG per key) of test_sql_compare.sh created with psql
# (it_sql_compare --ddl); N seeded out-of-order JSON events
# (it_sql_compare --events) produced with kcat, each partition's events in
# order to that partition; once the engine has caught up, the views read
# back with psql and the late topic with kcat, and sqlite3 computes the same
# aggregation in batch (sql_compare_check.sql): the late set, the final
# watermark and every closed window must be equal. Then:
#
#   - a sink FROM the TUMBLE view has written one record per closed window;
#   - late and bad records of a second source: counted in SHOW SOURCES and
#     /metrics, routed to the late-events and dead-letter topics with header
#     eddy.reason, read back with kcat;
#   - SIGTERM, start again on the same data directory: every source, view
#     and sink is back, the views rebuilt from the log compare equal again,
#     and the sink keeps writing (new windows closed by later events).
#
#   N=1000000 bash tests/integration/test_sql_server_compare.sh   (acceptance run)
# Default N=100000 keeps `make test` well under a minute on 2 cores.
set -euo pipefail
EDDY=${EDDY:?EDDY must point to the eddy binary}
BUILD=${EDDY_BUILD:?EDDY_BUILD must point to the build directory}
DRIVER=$BUILD/it_sql_compare
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/sql_compare_lib.sh"
N=${N:-100000}
SEED=${SEED:-42}
LIMIT=${LIMIT:-$((120 + N / 1000))} # seconds for the whole test
T=$(mktemp -d "${TMPDIR:-/tmp}/sql-server-compare-XXXXXX")
PIDS=()
SERVER=
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' TERM INT
(
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$LIMIT" & sp=$!
	wait "$sp" && echo "FAIL: over the $LIMIT s limit" >&2 && kill -TERM $$
) </dev/null & PIDS+=($!)
fail() { echo "FAIL: $*" >&2; echo "--- server log tail:" >&2; tail -n 20 "$T"/server*.log >&2 || true; exit 1; }
for tool in psql kcat sqlite3 curl; do command -v $tool >/dev/null || fail "$tool not installed"; done
[ -x "$DRIVER" ] || fail "missing $DRIVER"

# start_server NAME: runs eddy on the data directory $T/data; sets SERVER,
# KPORT, SPORT, HPORT from the "listening for ... clients on" log lines.
start_server() {
	local log="$T/server-$1.log"
	"$EDDY" server --data-dir "$T/data" --bind 127.0.0.1 --kafka-port 0 --sql-port 0 --http-port 0 \
		--workers 2 >"$log" 2>&1 & SERVER=$!
	PIDS+=("$SERVER")
	KPORT= SPORT= HPORT=
	for _ in $(seq 300); do
		KPORT=$(sed -n 's/.*listening for Kafka clients on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
		SPORT=$(sed -n 's/.*listening for PostgreSQL clients on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
		HPORT=$(sed -n 's/.*listening for HTTP clients on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
		[ -n "$KPORT" ] && [ -n "$SPORT" ] && [ -n "$HPORT" ] && return 0
		kill -0 "$SERVER" 2>/dev/null || fail "server $1 exited"
		sleep 0.1
	done
	fail "server $1 did not start within 30 s"
}

stop_server() {
	kill -TERM "$SERVER"
	local rc=0
	timeout 60 tail --pid="$SERVER" -f /dev/null || fail "server did not stop within 60 s of SIGTERM"
	wait "$SERVER" || rc=$?
	[ "$rc" = 0 ] || fail "server exited with status $rc after SIGTERM"
}

q() { timeout 120 psql -X -h 127.0.0.1 -p "$SPORT" -U eddy -d eddy -v ON_ERROR_STOP=1 -qAt -F, "$@"; }
consume() { timeout 60 kcat -C -b "127.0.0.1:$KPORT" -t "$1" -o beginning -e -q "${@:2}"; }
ms() { date -u -d "$1" +%s%3N; }

# wait_caught_up: SHOW SOURCES counts all N events of 'events', then the
# rows written by every view and sink stay the same over 3 polls 0.5 s apart
# (a view still reading emits windows every few thousand events).
wait_caught_up() {
	local recs= prev= cur= same=0
	for _ in $(seq $((LIMIT * 2))); do
		recs=$(q -c "SHOW SOURCES" | awk -F, '$1 == "events" { print $4 }')
		[ "$recs" = "$N" ] && break
		sleep 0.5
	done
	[ "$recs" = "$N" ] || fail "source events: $recs records, want $N"
	while [ $same -lt 3 ]; do
		sleep 0.5
		cur=$(q -c "SHOW MATERIALIZED VIEWS" -c "SHOW SINKS" | tr '\n' ' ')
		if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; fi
		prev=$cur
	done
}

# export_engine: the views, the late topic and SHOW SOURCES as the CSVs
# sql_compare_check reads (format in sql_compare.c).
export_engine() {
	local v src
	for v in tumble_v hop_v session_v; do
		q -c "SELECT k, CAST(extract(epoch FROM window_start) * 1000 AS BIGINT) AS ws,
		             CAST(extract(epoch FROM window_end) * 1000 AS BIGINT) AS we, n, s, lo, hi, a FROM $v" \
			>"$T/out/$v.csv"
		echo "engine: $v $(wc -l <"$T/out/$v.csv") closed windows"
	done
	consume events_late -f '%s\n' | sed -n 's/^{"id":\([0-9]*\),.*/\1/p' >"$T/out/late_all.csv"
	sort -un "$T/out/late_all.csv" >"$T/out/late.csv"
	LATE_ROUTED=$(wc -l <"$T/out/late_all.csv")
	src=$(q -c "SHOW SOURCES" | awk -F, '$1 == "events"')
	IFS=, read -r _ _ _ RECORDS LATE _ WM <<<"$src"
	[ -n "$WM" ] || fail "source events has no watermark: $src"
	echo "$(ms "$WM"),$LATE,$RECORDS" >"$T/out/meta.csv"
	echo "engine: $RECORDS records, $LATE late ($LATE_ROUTED in the late topic," \
		"$(wc -l <"$T/out/late.csv") distinct), watermark $WM"
	[ "$LATE" = "$(wc -l <"$T/out/late.csv")" ] || fail "late count $LATE, late topic $(wc -l <"$T/out/late.csv")"
}

mkdir -p "$T/out"
t0=$(date +%s.%N)
"$DRIVER" --events "$T/out" "$N" "$SEED"
start_server first
echo "kafka on $KPORT, sql on $SPORT, http on $HPORT"
{ "$DRIVER" --ddl; echo "CREATE SINK tumble_out FROM tumble_v WITH (topic = 'tumble_out');"; } | q
for p in 0 1 2 3; do
	timeout 300 kcat -P -b "127.0.0.1:$KPORT" -t events -p $p -X enable.idempotence=true -l "$T/out/events.p$p.json" ||
		fail "kcat produce to partition $p"
done
t1=$(date +%s.%N)
wait_caught_up
t2=$(date +%s.%N)
printf 'produced %s events with kcat in %.1f s; engine caught up %.1f s later\n' "$N" \
	"$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
export_engine
sql_compare_check "$T/out" || fail "engine and sqlite3 differ (before the restart)"
[ "$LATE_ROUTED" = "$LATE" ] || fail "late topic: $LATE_ROUTED records for $LATE late events"
t3=$(date +%s.%N)

# The sink FROM tumble_v: one record per closed window, keyed by the group key.
windows=$(wc -l <"$T/out/tumble_v.csv")
sunk=$(consume tumble_out -f '%s\n' | wc -l)
[ "$sunk" = "$windows" ] || fail "sink tumble_out: $sunk records, $windows windows"
consume tumble_out -c 1 -f '%k %s\n' | grep -q '^{"k":"k[0-9]*","window_start":.*} {"k":' ||
	fail "sink record: $(consume tumble_out -c 1 -f '%k %s')"
echo "OK: sink tumble_out: $sunk records, one per closed window"

# Late and bad records of a second source: 4 in order, one late (behind the
# watermark: max 20 s - 2 s), one not JSON, one with a text value in an INT
# column, one without an event time.
q <<'SQL'
CREATE SOURCE clicks (u TEXT, n INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH (topic = 'clicks', late.events.topic = 'clicks_late', dead.letter.topic = 'clicks_dead');
CREATE MATERIALIZED VIEW clicks_per_user AS SELECT u, COUNT(*) AS c, SUM(n) AS total FROM clicks GROUP BY u;
SQL
printf '%s\n' '{"u":"a","n":1,"ts":"2026-11-25T12:00:10Z"}' '{"u":"b","n":2,"ts":"2026-11-25T12:00:20Z"}' \
	'{"u":"a","n":3,"ts":"2026-11-25T12:00:19Z"}' '{"u":"a","n":4,"ts":"2026-11-25T12:00:05Z"}' \
	'not json' '{"u":"c","n":"many","ts":"2026-11-25T12:00:21Z"}' '{"u":"c","n":5}' |
	timeout 30 kcat -P -b "127.0.0.1:$KPORT" -t clicks -p 0 || fail "kcat produce to clicks"
for _ in $(seq 100); do
	src=$(q -c "SHOW SOURCES" | awk -F, '$1 == "clicks"')
	[ "$(echo "$src" | cut -d, -f4)" = 7 ] && break
	sleep 0.2
done
[ "$(echo "$src" | cut -d, -f4-6)" = "7,1,3" ] || fail "SHOW SOURCES clicks: $src (want 7 records, 1 late, 3 bad)"
got=$(q -c "SELECT * FROM clicks_per_user ORDER BY u" | tr '\n' ' ')
[ "$got" = "a,2,4 b,1,2 " ] || fail "clicks_per_user: $got"
late=$(consume clicks_late -f '%s|%h\n')
echo "$late" | grep -q '^{"u":"a","n":4,"ts":"2026-11-25T12:00:05Z"}|eddy.reason=.*late' ||
	fail "late topic: $late"
[ "$(echo "$late" | wc -l)" = 1 ] || fail "late topic: $late"
dead=$(consume clicks_dead -f '%s|%h\n')
[ "$(echo "$dead" | grep -c 'eddy.reason=')" = 3 ] || fail "dead-letter topic: $dead"
echo "$dead" | grep -q '^not json|' || fail "dead-letter topic lacks the bad JSON: $dead"
grep -q '"n":"many"' <<<"$dead" || fail "dead-letter topic lacks the bad INT: $dead"
metrics=$(timeout 10 curl -sf "http://127.0.0.1:$HPORT/metrics") || fail "GET /metrics"
grep -E '^[a-z_]*late[a-z_]*\{[^}]*"clicks"[^}]*\} 1$' -q <<<"$metrics" ||
	fail "/metrics has no late count 1 for clicks: $(echo "$metrics" | grep -i late)"
echo "OK: clicks: 1 late and 3 bad records counted (SHOW SOURCES, /metrics), routed with eddy.reason"
echo "$late" | sed 's/^/  late: /'
echo "$dead" | sed 's/^/  dead: /'

# Restart: SIGTERM, then the same data directory again.
before=$(q -c "SHOW SOURCES" -c "SHOW MATERIALIZED VIEWS" -c "SHOW SINKS" | cut -d, -f1,2 | sort)
stop_server
start_server second
after=$(q -c "SHOW SOURCES" -c "SHOW MATERIALIZED VIEWS" -c "SHOW SINKS" | cut -d, -f1,2 | sort)
[ "$before" = "$after" ] || fail "catalog after the restart:
$after
before:
$before"
echo "OK: restart: every source, view and sink is back ($(echo "$after" | wc -l) objects)"
wait_caught_up
export_engine
sql_compare_check "$T/out" || fail "engine and sqlite3 differ (after the restart)"
# Side outputs are at least once across a restart, like sinks (until
# checkpoints): the rebuild routes the late events again.
[ "$LATE_ROUTED" -le $((2 * LATE)) ] || fail "late topic: $LATE_ROUTED records for $LATE late events"
got=$(q -c "SELECT * FROM clicks_per_user ORDER BY u" | tr '\n' ' ')
[ "$got" = "a,2,4 b,1,2 " ] || fail "clicks_per_user after the restart: $got"

# The sink keeps writing: it re-emits while its view is rebuilt (at least
# once, until checkpoints), then new events 60 s later in every partition
# close more windows, which reach the view and the sink.
sunk2=$(consume tumble_out -f '%s\n' | wc -l)
[ "$sunk2" -ge $((2 * windows)) ] || fail "sink after the restart: $sunk2 records, want >= $((2 * windows))"
last=$(tail -1 "$T/out/events.csv" | cut -d, -f4)
for p in 0 1 2 3; do
	echo "{\"id\":$((N + p)),\"k\":\"k0\",\"v\":1,\"ts\":$((last + 60000))}" |
		timeout 30 kcat -P -b "127.0.0.1:$KPORT" -t events -p $p || fail "kcat produce to partition $p"
done
for _ in $(seq 100); do
	sunk3=$(consume tumble_out -f '%s\n' | wc -l)
	[ "$sunk3" -gt "$sunk2" ] && break
	sleep 0.2
done
[ "$sunk3" -gt "$sunk2" ] || fail "sink wrote nothing for new windows after the restart"
n3=$(q -c "SELECT COUNT(*) FROM tumble_v")
[ "$n3" -gt "$windows" ] || fail "tumble_v has $n3 windows after new events, had $windows"
echo "OK: sink after the restart: $sunk2 records after the rebuild, $sunk3 after new events; tumble_v $n3 windows"
stop_server
t4=$(date +%s.%N)
printf 'N=%s SEED=%s: %.1f s to the first comparison, %.1f s in all\n' "$N" "$SEED" \
	"$(echo "$t3 - $t0" | bc)" "$(echo "$t4 - $t0" | bc)"
