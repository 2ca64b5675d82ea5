#!/usr/bin/env bash
# kcat against eddy server: metadata (-L); produce and consume 1,000,000 lines
# with every codec (none, gzip, snappy, lz4, zstd), compared byte for byte;
# reading from a timestamp; a two-member consumer group (-G) that splits the
# partitions and together reads every record exactly once; --advertise in
# metadata. Loopback only, temp data dirs, free ports.
set -euo pipefail
EDDY=${EDDY:?EDDY must point to the eddy binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/kafka-it-kcat-XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
# Watchdog: bounded in time whatever happens (killed by cleanup).
( sleep 300; kill -TERM $$ ) </dev/null >/dev/null 2>&1 & PIDS+=($!)
fail() { echo "FAIL: $*" >&2; echo "--- server log tail:" >&2; tail -30 "$T/server.log" >&2 || true; exit 1; }

: >"$T/server.log" # exists before the server writes it (the start check reads it)
"$EDDY" server --data-dir "$T/data" --bind 127.0.0.1 --kafka-port 0 --sql-port 0 --http-port 0 --default-partitions 4 \
	>"$T/server.log" 2>&1 & SERVER=$!; PIDS+=($SERVER)
PORT=
for _ in $(seq 300); do # up to 30 s (sanitizer builds, loaded machines)
	PORT=$(sed -n 's/.*listening for Kafka clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.log")
	[ -n "$PORT" ] && break; sleep 0.1
done
[ -n "$PORT" ] || fail "server did not start"
B=127.0.0.1:$PORT
echo "server on $B"

# 1. metadata
kcat -b "$B" -L -m 10 >"$T/meta.txt" || fail "kcat -L"
grep -q "broker 1 at 127.0.0.1:$PORT" "$T/meta.txt" || fail "metadata does not advertise 127.0.0.1:$PORT"

# 2. codecs: 1,000,000 lines each, produced to partition 0 and read back in order
N=1000000
seq 1 $N | awk '{ printf "line %d %s\n", $1, substr("abcdefghijklmnopqrstuvwxyz0123456789", 1 + $1 % 30) }' >"$T/lines.txt"
for z in none gzip snappy lz4 zstd; do
	t0=$(date +%s.%N)
	timeout 60 kcat -b "$B" -P -t "codec_$z" -p 0 -z "$z" -l "$T/lines.txt" || fail "produce $z"
	t1=$(date +%s.%N)
	timeout 60 kcat -b "$B" -C -t "codec_$z" -p 0 -o beginning -e -q \
		-X queued.min.messages=1000000 >"$T/out_$z.txt" || fail "consume $z"
	t2=$(date +%s.%N)
	cmp -s "$T/lines.txt" "$T/out_$z.txt" || fail "codec $z: $(wc -l <"$T/out_$z.txt") lines back, content differs"
	echo "codec $z: $N lines round trip ok (produce $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}")s, consume $(awk "BEGIN{printf \"%.2f\", $t2 - $t1}")s)"
done
kcat -b "$B" -L -t codec_lz4 | grep -q 'topic "codec_lz4" with 4 partitions' || fail "auto-created topic partition count"

# 3. ListOffsets by timestamp: start reading at a time between two batches
seq 1 100 | sed 's/^/early/' | kcat -b "$B" -P -t ts_topic -p 0 || fail "produce early"
sleep 1.1
TS=$(date +%s%3N)
sleep 0.1
seq 1 100 | sed 's/^/late/' | kcat -b "$B" -P -t ts_topic -p 0 || fail "produce late"
timeout 30 kcat -b "$B" -C -t ts_topic -p 0 -o "s@$TS" -e -q >"$T/ts.txt" || fail "consume from timestamp"
[ "$(wc -l <"$T/ts.txt")" -eq 100 ] && ! grep -q early "$T/ts.txt" \
	|| fail "from timestamp $TS: $(wc -l <"$T/ts.txt") records, want the 100 late ones"
echo "offsets by timestamp: ok"

# 4. two-member group: both members join first (so no record is read before the
# split), then records are produced to all 4 partitions.
G=grp_$$
start_member() {
	kcat -b "$B" -G "$G" group_topic -o beginning -u -f '%p %s\n' \
		-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
		>"$T/member$1.out" 2>"$T/member$1.err" & PIDS+=($!)
}
kcat -b "$B" -L -t group_topic >/dev/null  # auto-create with 4 partitions
start_member 1
start_member 2
ok=
for _ in $(seq 300); do
	a1=$(grep 'assigned:' "$T/member1.err" | tail -1 || true)
	a2=$(grep 'assigned:' "$T/member2.err" | tail -1 || true)
	n1=$(echo "$a1" | { grep -o 'group_topic \[' || true; } | wc -l)
	n2=$(echo "$a2" | { grep -o 'group_topic \[' || true; } | wc -l)
	if [ "$n1" -ge 1 ] && [ "$n2" -ge 1 ] && [ $((n1 + n2)) -eq 4 ]; then ok=1; break; fi
	sleep 0.1
done
[ -n "$ok" ] || { cat "$T/member1.err" "$T/member2.err" >&2; fail "group did not split 4 partitions over 2 members"; }
echo "group split: [$a1] [$a2]"
M=20000
# keyed, so that the records spread over every partition (keyless records
# stick to one partition for a while: librdkafka's sticky partitioner)
seq 1 $M | awk '{ printf "k%d:g%d\n", $1, $1 }' | timeout 60 kcat -b "$B" -P -t group_topic -K: \
	|| fail "produce group records"
for _ in $(seq 300); do
	total=$(cat "$T/member1.out" "$T/member2.out" | wc -l)
	[ "$total" -ge $M ] && break
	sleep 0.1
done
sleep 1 # anything extra (a duplicate) would show up now
c1=$(wc -l <"$T/member1.out"); c2=$(wc -l <"$T/member2.out")
[ "$c1" -gt 0 ] && [ "$c2" -gt 0 ] || fail "one member read nothing ($c1, $c2)"
cut -d' ' -f2 "$T/member1.out" "$T/member2.out" | sort >"$T/got.txt"
seq 1 $M | sed 's/^/g/' | sort >"$T/want.txt"
cmp -s "$T/got.txt" "$T/want.txt" || fail "group read $((c1 + c2)) records, $(sort -u "$T/got.txt" | wc -l) distinct, want $M exactly once"
# each partition is read by exactly one member
p1=$(cut -d' ' -f1 "$T/member1.out" | sort -u | tr '\n' ' ')
p2=$(cut -d' ' -f1 "$T/member2.out" | sort -u | tr '\n' ' ')
for p in $p1; do case " $p2 " in *" $p "*) fail "partition $p read by both members";; esac; done
echo "group: member 1 read $c1 (partitions $p1), member 2 read $c2 (partitions $p2): every record exactly once"

# 5. --advertise: metadata names the advertised address, not the bound one
: >"$T/adv.log"
"$EDDY" server --data-dir "$T/data2" --bind 127.0.0.1 --kafka-port 0 --sql-port 0 --http-port 0 \
	--advertise advertised.example:19999 >"$T/adv.log" 2>&1 & ADV=$!; PIDS+=($ADV)
APORT=
for _ in $(seq 300); do # up to 30 s (sanitizer builds, loaded machines)
	APORT=$(sed -n 's/.*listening for Kafka clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/adv.log")
	[ -n "$APORT" ] && break; sleep 0.1
done
[ -n "$APORT" ] || fail "second server did not start"
timeout 20 kcat -b "127.0.0.1:$APORT" -L -m 5 2>/dev/null | grep -q "broker 1 at advertised.example:19999" \
	|| fail "metadata does not advertise advertised.example:19999"
kill -TERM "$ADV"; wait "$ADV" || fail "second server exit status"
echo "advertise: ok"

kill -TERM "$SERVER"; wait "$SERVER" || fail "server exit status $?"
grep -q "stopped cleanly" "$T/server.log" || fail "server did not stop cleanly"
echo "PASS"
