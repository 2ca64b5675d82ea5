#!/usr/bin/env bash
# Crash safety: an idempotent acks=all producer (librdkafka) runs while the
# server is killed with kill -9 at random moments, 20 times, and restarted on
# the same port. Afterwards every acknowledged record must be stored exactly
# once, at the offset it was acknowledged with, in order per partition.
set -euo pipefail
EDDY=${EDDY:?EDDY must point to the eddy binary}
BUILD=${EDDY_BUILD:?EDDY_BUILD must point to the build directory}
CLIENT=$BUILD/it_kafka_client
[ -x "$CLIENT" ] || { echo "missing $CLIENT" >&2; exit 1; }
KILLS=${KAFKA_CRASH_KILLS:-20}
T=$(mktemp -d "${TMPDIR:-/tmp}/kafka-it-crash-XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
( sleep 400; kill -TERM $$ ) </dev/null >/dev/null 2>&1 & PIDS+=($!)
fail() { echo "FAIL: $*" >&2; echo "--- last server log:" >&2; tail -30 "$T/server$NSTART.log" >&2 || true; exit 1; }

PORT=0
NSTART=0
start_server() {
	NSTART=$((NSTART + 1))
	local log="$T/server$NSTART.log" p=
	for attempt in $(seq 50); do
		: >"$log" # exists before the server writes it (read below)
		"$EDDY" server --data-dir "$T/data" --bind 127.0.0.1 --kafka-port "$PORT" --sql-port 0 --http-port 0 \
			--default-partitions 3 >"$log" 2>&1 & SERVER=$!; PIDS+=($SERVER)
		for _ in $(seq 300); do # up to 30 s (sanitizer builds, loaded machines)
			p=$(sed -n 's/.*listening for Kafka clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
			[ -n "$p" ] && break
			kill -0 "$SERVER" 2>/dev/null || break
			sleep 0.05
		done
		[ -n "$p" ] && break
		kill -9 "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true
		sleep 0.1 # port or data dir lock still held by the killed process
	done
	[ -n "$p" ] || fail "server did not start"
	PORT=$p
}
start_server
B=127.0.0.1:$PORT
echo "server on $B"
"$CLIENT" crash "$B" crash "$T/acked.txt" >"$T/producer.out" 2>"$T/producer.err" & PRODUCER=$!; PIDS+=($PRODUCER)
for i in $(seq "$KILLS"); do
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null || true
	kill -0 "$PRODUCER" 2>/dev/null || { cat "$T/producer.err" >&2; fail "producer died"; }
	start_server
	echo "kill $i: $(wc -l <"$T/acked.txt") records acknowledged so far"
done
sleep 1
kill -TERM "$PRODUCER"
wait "$PRODUCER" || { tail -20 "$T/producer.err" >&2; fail "producer exit status"; }
cat "$T/producer.out"
[ "$(wc -l <"$T/acked.txt")" -gt 1000 ] || fail "too few acknowledged records to mean anything"
timeout 180 "$CLIENT" crashcheck "$B" crash "$T/acked.txt" || fail "crash check"
kill -TERM "$SERVER"; wait "$SERVER" || fail "server exit status"
echo "PASS"
