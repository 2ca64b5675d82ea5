#!/usr/bin/env bash
# librdkafka (C) against eddy server: idempotent producer with acks=all; a
# consumer group that rebalances when a member leaves, and when a member
# vanishes (session timeout); offsets committed, the
# server killed (kill -9) and restarted, consumption resumed exactly at the
# committed offsets. The client is tests/integration/kafka_client.c.
set -euo pipefail
EDDY=${EDDY:?EDDY must point to the eddy binary}
BUILD=${EDDY_BUILD:?EDDY_BUILD must point to the build directory}
CLIENT=$BUILD/it_kafka_client
[ -x "$CLIENT" ] || { echo "missing $CLIENT (librdkafka not found at configure time?)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/kafka-it-rdk-XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
( sleep 300; kill -TERM $$ ) </dev/null >/dev/null 2>&1 & PIDS+=($!)
fail() { echo "FAIL: $*" >&2; echo "--- server log tail:" >&2; tail -n 40 "$T"/server*.log >&2 || true; exit 1; }

PORT=0
NSTART=0
start_server() {
	NSTART=$((NSTART + 1))
	local log="$T/server$NSTART.log"
	: >"$log" # exists before the server writes it (read below)
	"$EDDY" server --data-dir "$T/data" --bind 127.0.0.1 --kafka-port "$PORT" --sql-port 0 --http-port 0 --default-partitions 3 \
		>"$log" 2>&1 & SERVER=$!; PIDS+=($SERVER)
	local p=
	for _ in $(seq 300); do # up to 30 s (sanitizer builds, loaded machines)
		p=$(sed -n 's/.*listening for Kafka clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
		[ -n "$p" ] && break; sleep 0.1
	done
	[ -n "$p" ] || fail "server did not start"
	PORT=$p
}
start_server
B=127.0.0.1:$PORT
echo "server on $B"

N=50000
timeout 120 "$CLIENT" produce "$B" idem $N || fail "idempotent produce"
timeout 120 "$CLIENT" verify "$B" idem $N || fail "verify idempotent topic"

timeout 120 "$CLIENT" produce "$B" reb 20000 >/dev/null || fail "produce for rebalance"
timeout 120 "$CLIENT" rebalance "$B" reb grp_reb 20000 || fail "rebalance on leave"
timeout 120 "$CLIENT" vanish "$B" reb grp_vanish 20000 || fail "rebalance on session timeout"

timeout 120 "$CLIENT" produce "$B" cmt 3000 >/dev/null || fail "produce for commit"
timeout 120 "$CLIENT" commit "$B" cmt grp_cmt 1000 "$T/committed.txt" || fail "commit"
kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null || true
start_server
timeout 120 "$CLIENT" resume "$B" cmt grp_cmt 3000 "$T/committed.txt" || fail "resume after restart"

kill -TERM "$SERVER"; wait "$SERVER" || fail "server exit status $?"
echo "PASS"
