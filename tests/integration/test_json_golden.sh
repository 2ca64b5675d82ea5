#!/usr/bin/env bash
# One JSON form for every value, whichever way it leaves the server. A real
# `eddy server` on free loopback ports; a JSON source with TIMESTAMP,
# TIMESTAMPTZ, NUMERIC, DOUBLE, TEXT and BOOLEAN columns; a view over it
# that adds a BC timestamp (ts - 2100 years); a sink from the view. Rows
# produced with kcat hold timestamps with and without zone offsets, with
# fractional seconds and as epoch milliseconds, NaN and infinities, text
# with every kind of escape, NULLs. The rows are read back
#   - from the sink topic (kcat),
#   - from the view's change stream (SSE, curl -N),
#   - with POST /v1/sql and GET /v1/views/{view} (curl),
# and each must be exactly the expected JSON text written below (which is
# what PostgreSQL 15's to_json gives for the same values with timezone
# UTC). In particular a zone offset is ignored for TIMESTAMP and applied
# for TIMESTAMPTZ, as PostgreSQL does (docs/SQL.md, "Record formats").
set -euo pipefail
EDDY=${EDDY:?EDDY must point to the eddy binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/json-golden-XXXXXX")
PIDS=()
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
	sleep 120 & sp=$!
	wait "$sp" && echo "FAIL: over the 120 s limit" >&2 && kill -TERM $$
) </dev/null & PIDS+=($!)
fail() { echo "FAIL: $*" >&2; echo "--- server log tail:" >&2; tail -n 20 "$T/server.log" >&2 || true; exit 1; }
for tool in psql kcat curl; do command -v $tool >/dev/null || fail "$tool not installed"; done

"$EDDY" server --data-dir "$T/data" --bind 127.0.0.1 --kafka-port 0 --sql-port 0 --http-port 0 \
	>"$T/server.log" 2>&1 & SERVER=$!
PIDS+=("$SERVER")
KPORT= SPORT= HPORT=
for _ in $(seq 300); do
	KPORT=$(sed -n 's/.*listening for Kafka clients on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/server.log" | head -1)
	SPORT=$(sed -n 's/.*listening for PostgreSQL clients on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/server.log" | head -1)
	HPORT=$(sed -n 's/.*listening for HTTP clients on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/server.log" | head -1)
	[ -n "$KPORT" ] && [ -n "$SPORT" ] && [ -n "$HPORT" ] && break
	kill -0 "$SERVER" 2>/dev/null || fail "server exited"
	sleep 0.1
done
[ -n "$HPORT" ] || fail "server did not start within 30 s"
q() { timeout 60 psql -X -h 127.0.0.1 -p "$SPORT" -U eddy -d eddy -v ON_ERROR_STOP=1 -qAt "$@"; }

q <<'SQL' || fail "DDL"
CREATE SOURCE g (id INT, ts TIMESTAMP, tz TIMESTAMPTZ, amount NUMERIC(10,2),
                 score DOUBLE PRECISION, note TEXT, ok BOOLEAN)
  WITH (topic = 'g_in', format = 'json', partitions = 1);
CREATE MATERIALIZED VIEW gv AS
  SELECT id, ts, tz, ts - INTERVAL '2100 years' AS old, amount, score, note, ok FROM g;
CREATE SINK gs FROM gv WITH (topic = 'g_out', partitions = 1);
SQL

# The change stream, open before anything is produced.
curl -s -N --max-time 60 "http://127.0.0.1:$HPORT/v1/views/gv/changes" >"$T/sse.txt" 2>/dev/null & SSE=$!
PIDS+=("$SSE")
for _ in $(seq 100); do
	grep -q '^: subscribed' "$T/sse.txt" 2>/dev/null && break
	sleep 0.1
done
grep -q '^: subscribed' "$T/sse.txt" || fail "SSE stream did not subscribe"

# Input records (one per line, partition 0, in order).
cat >"$T/in.json" <<'EOF'
{"id":1,"ts":"2026-01-01T12:00:00+02:00","tz":"2026-01-01T12:00:00+02:00","amount":12.5,"score":0.1,"note":"plain","ok":true}
{"id":2,"ts":"2026-11-25 08:30:15.120","tz":"2026-11-25T08:30:15.000120Z","amount":-0.05,"score":1e100,"note":"q\"uote\\back\nline\ttab\u0001 \u00e9 € \/ \ud83d\ude00","ok":false}
{"id":3,"ts":"0001-01-01T00:00:00","tz":1767268800000,"amount":1e3,"score":"NaN","note":null,"ok":null}
{"id":4,"ts":1767268800000.5,"tz":"2026-06-30 23:59:59.999999-07:00","amount":"0.005","score":"-Infinity","note":"","ok":"yes"}
EOF
timeout 30 kcat -P -b "127.0.0.1:$KPORT" -t g_in -p 0 -l "$T/in.json" || fail "kcat produce"

# Expected values, column by column, as JSON text.
NAMES=(id ts tz old amount score note ok)
ROW1=(1 '"2026-01-01T12:00:00"' '"2026-01-01T10:00:00+00:00"' '"0075-01-01T12:00:00 BC"' 12.50 0.1 '"plain"' true)
ROW2=(2 '"2026-11-25T08:30:15.12"' '"2026-11-25T08:30:15.00012+00:00"' '"0075-11-25T08:30:15.12 BC"' -0.05 1e+100
	'"q\"uote\\back\nline\ttab\u0001 é € / 😀"' false)
ROW3=(3 '"0001-01-01T00:00:00"' '"2026-01-01T12:00:00+00:00"' '"2100-01-01T00:00:00 BC"' 1000.00 '"NaN"' null null)
ROW4=(4 '"2026-01-01T12:00:00.0005"' '"2026-07-01T06:59:59.999999+00:00"' '"0075-01-01T12:00:00.0005 BC"' 0.01
	'"-Infinity"' '""' true)
object() { # object VALUES...: {"id":v1,...}
	local out='{' k=0 v
	for v in "$@"; do
		[ $k = 0 ] || out+=','
		out+="\"${NAMES[$k]}\":$v"
		k=$((k + 1))
	done
	printf '%s}\n' "$out"
}
array() { # array VALUES...: [v1,...]
	local IFS=,
	printf '[%s]\n' "$*"
}
{ object "${ROW1[@]}"; object "${ROW2[@]}"; object "${ROW3[@]}"; object "${ROW4[@]}"; } >"$T/want_objects"
{ array "${ROW1[@]}"; array "${ROW2[@]}"; array "${ROW3[@]}"; array "${ROW4[@]}"; } >"$T/want_arrays"

# Wait for the view, the sink and the stream to have all four rows.
for _ in $(seq 200); do
	n=$(q -c "SELECT count(*) FROM gv" 2>/dev/null || echo 0)
	s=$(timeout 10 kcat -C -b "127.0.0.1:$KPORT" -t g_out -o beginning -e -q -f '%s\n' 2>/dev/null | wc -l || true)
	e=$(grep -o '"op":"insert"' "$T/sse.txt" | wc -l || true)
	[ "$n" = 4 ] && [ "$s" = 4 ] && [ "$e" = 4 ] && break
	sleep 0.1
done
[ "$n" = 4 ] || fail "view gv has $n rows, want 4 ($(q -c 'SHOW SOURCES'))"
[ "$s" = 4 ] || fail "sink topic g_out has $s records, want 4"
[ "$e" = 4 ] || fail "SSE delivered $e inserts, want 4: $(cat "$T/sse.txt")"

# compare NAME FILE WANT: the rows of FILE, in id order, against WANT.
# Objects sort on the id, their first member ({"id":N,...).
compare() {
	sort -t: -k2,2n "$2" >"$2.sorted"
	if ! diff -u "$3" "$2.sorted" >"$T/diff.txt"; then
		cat "$T/diff.txt" >&2
		fail "$1: rows differ from the expected JSON"
	fi
	echo "OK: $1: $(wc -l <"$2") rows exactly as expected"
}
timeout 10 kcat -C -b "127.0.0.1:$KPORT" -t g_out -o beginning -e -q -f '%s\n' >"$T/sink.txt"
compare sink "$T/sink.txt" "$T/want_objects"

grep '^data: ' "$T/sse.txt" | sed 's/^data: \[//; s/\]$//' |
	sed 's/},{"op":"insert","row":/}\n{"op":"insert","row":/g' |
	sed 's/^{"op":"insert","row"://; s/}$//' >"$T/sse_rows.txt"
compare sse "$T/sse_rows.txt" "$T/want_objects"

timeout 10 curl -sf "http://127.0.0.1:$HPORT/v1/sql" --data-binary 'SELECT * FROM gv ORDER BY id' >"$T/sql.json" ||
	fail "POST /v1/sql"
# Rows are arrays, already in id order (ORDER BY id).
sed 's/.*"rows":\[\[/[/; s/\]\],"tag".*/]/; s/\],\[/]\n[/g' "$T/sql.json" >"$T/sql_rows.txt"
diff -u "$T/want_arrays" "$T/sql_rows.txt" >&2 || fail "/v1/sql: rows differ from the expected JSON"
echo "OK: /v1/sql: $(wc -l <"$T/sql_rows.txt") rows exactly as expected"

timeout 10 curl -sf "http://127.0.0.1:$HPORT/v1/views/gv" >"$T/view.json" || fail "GET /v1/views/gv"
sed 's/.*"rows":\[{/{/; s/}\],"tag".*/}/; s/},{"id"/}\n{"id"/g' "$T/view.json" >"$T/view_rows.txt"
compare view "$T/view_rows.txt" "$T/want_objects"

# The zone rule, read back over pgwire as well (PostgreSQL's text form).
got=$(q -c "SELECT ts, tz FROM gv WHERE id = 1")
[ "$got" = "2026-01-01 12:00:00|2026-01-01 10:00:00+00" ] || fail "psql: id 1 is $got"
echo "OK: the zone offset is ignored for TIMESTAMP and applied for TIMESTAMPTZ"
