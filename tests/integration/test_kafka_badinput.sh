#!/usr/bin/env bash
# Bad input on the Kafka port: an oversized frame, a malformed request and an
# unknown API each close only their own connection; a batch with a bad CRC is
# refused with CORRUPT_MESSAGE; ApiVersions v3 gets UNSUPPORTED_VERSION with a
# v0 body (KIP-511); a CreateTopics for 100000 partitions is refused; mutated
# corpus frames (tests/integration/kafka_netfuzz.c) for a few seconds. The
# server keeps serving kcat throughout and stops cleanly.
set -euo pipefail
EDDY=${EDDY:?EDDY must point to the eddy binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/kafka-it-bad-XXXXXX")
PIDS=()
cleanup() {
	exec 3>&- 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
( sleep 120; kill -TERM $$ ) </dev/null >/dev/null 2>&1 & PIDS+=($!)
fail() { echo "FAIL: $*" >&2; tail -20 "$T/server.log" >&2 || true; exit 1; }

: >"$T/server.log" # exists before the server writes it (the start check reads it)
"$EDDY" server --data-dir "$T/data" --bind 127.0.0.1 --kafka-port 0 --sql-port 0 --http-port 0 --max-frame-bytes 65536 \
	>"$T/server.log" 2>&1 & SERVER=$!; PIDS+=($SERVER)
PORT=
for _ in $(seq 300); do # up to 30 s (sanitizer builds, loaded machines)
	PORT=$(sed -n 's/.*listening for Kafka clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.log")
	[ -n "$PORT" ] && break; sleep 0.1
done
[ -n "$PORT" ] || fail "server did not start"

# send FILE as one frame (size prefix added) on a fresh connection; the
# response bytes (if any, until the server closes or 2 s pass) go to FILE.resp
send_frame() {
	local body=$1 n
	n=$(stat -c %s "$body")
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	{ printf "\\x$(printf %02x $((n >> 24 & 255)))\\x$(printf %02x $((n >> 16 & 255)))"
	  printf "\\x$(printf %02x $((n >> 8 & 255)))\\x$(printf %02x $((n & 255)))"
	  cat "$body"; } >&3
	timeout 2 cat <&3 >"$body.resp" || true
	exec 3>&-
}
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
alive() { kcat -b "127.0.0.1:$PORT" -L -m 5 >/dev/null || fail "server not serving after $1"; }

# 1. frame larger than --max-frame-bytes: closed before anything is allocated
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf '\x7f\xff\xff\xff' >&3
timeout 5 cat <&3 >"$T/big.resp" || fail "connection not closed on an oversized frame"
exec 3>&-
[ ! -s "$T/big.resp" ] || fail "answered an oversized frame"
grep -q "refused (limit 65536)" "$T/server.log" || fail "oversized frame not logged"
alive "oversized frame"

# 2. Metadata v8 whose topic count exceeds the frame: closed, no answer
printf '\x00\x03\x00\x08\x00\x00\x00\x01\x00\x00\x7f\xff\xff\xff' >"$T/meta"
send_frame "$T/meta"
[ ! -s "$T/meta.resp" ] || fail "answered a malformed request"
alive "malformed metadata"

# 3. unknown API key: closed
printf '\x00\x63\x00\x00\x00\x00\x00\x01\x00\x00' >"$T/unknown"
send_frame "$T/unknown"
[ ! -s "$T/unknown.resp" ] || fail "answered an unknown API"
alive "unknown API"

# 4. ApiVersions v3 (flexible header and body): error 35, v0 body
printf '\x00\x12\x00\x03\x00\x00\x00\x07\x00\x01x\x00\x05test\x041.0\x00' >"$T/apiv3"
send_frame "$T/apiv3"
r=$(hex "$T/apiv3.resp")
[ "${r:8:8}" = 00000007 ] || fail "ApiVersions v3: correlation id in $r"
[ "${r:16:4}" = 0023 ] || fail "ApiVersions v3: want error 35, got ${r:16:4}"
[ "${r:20:8}" != 00000000 ] || fail "ApiVersions v3: empty api list"

# 5. Produce v3 with a batch whose CRC is wrong: partition error CORRUPT_MESSAGE (2)
{ printf '\x00\x00\x00\x03\x00\x00\x00\x09\x00\x01x\xff\xff\x00\x01\x00\x00\x13\x88'
  printf '\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x3d'
  printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x31\x00\x00\x00\x00\x02\xde\xad\xbe\xef'
  printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
  printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00'; } >"$T/produce"
send_frame "$T/produce"
r=$(hex "$T/produce.resp")
[ "${r:8:8}" = 00000009 ] || fail "produce: correlation id in $r"
[ "${r:46:4}" = 0002 ] || fail "produce with a bad CRC: want CORRUPT_MESSAGE, got ${r:46:4} in $r"
grep -q "CRC\|crc" "$T/server.log" || true
alive "corrupt batch"
echo x | kcat -b "127.0.0.1:$PORT" -P -t t || fail "valid produce after the corrupt batch"
[ "$(kcat -b "127.0.0.1:$PORT" -C -t t -e -q -o beginning)" = x ] || fail "topic t holds only the valid record"

# 6. CreateTopics asking for 100000 partitions: INVALID_PARTITIONS (37), nothing created
{ printf '\x00\x13\x00\x00\x00\x00\x00\x0b\x00\x01x\x00\x00\x00\x01\x00\x03big'
  printf '\x00\x01\x86\xa0\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x13\x88'; } >"$T/create"
send_frame "$T/create"
r=$(hex "$T/create.resp")
[ "${r:8:8}" = 0000000b ] || fail "create: correlation id in $r"
[ "${r:34:4}" = 0025 ] || fail "create 100000 partitions: want INVALID_PARTITIONS, got ${r:34:4} in $r"
kcat -b "127.0.0.1:$PORT" -L -m 5 2>/dev/null | grep -q 'topic "big" with' && fail "topic big was created"
alive "oversized CreateTopics"

# 7. network fuzzing: mutated corpus frames on many connections for a few
# seconds (handlers see hostile but decodable values); the server stays up
if [ -x "${EDDY_BUILD:-}/it_kafka_netfuzz" ] && [ -d "${EDDY_SRC:-}/tests/fuzz/corpus/fuzz_kafka_request" ]; then
	# Seed 1 closed connections while their acks=all requests sat on the
	# sync completion queue (a use-after-free, caught under make asan);
	# then a fresh seed each run.
	for seed in 1 ${EDDY_NETFUZZ_SEED:-$RANDOM}; do
		echo "network fuzzing with seed $seed (EDDY_NETFUZZ_SEED=$seed replays it)"
		timeout 60 "$EDDY_BUILD/it_kafka_netfuzz" 127.0.0.1 "$PORT" \
			"$EDDY_SRC/tests/fuzz/corpus/fuzz_kafka_request" 8 "$seed" ||
			fail "network fuzzing (seed $seed)"
	done
	alive "network fuzzing"
else
	echo "network fuzzing skipped (EDDY_BUILD/EDDY_SRC not set)"
fi

kill -TERM "$SERVER"; wait "$SERVER" || fail "server exit status"
echo "PASS"
