#!/usr/bin/env bash
# The eddy CLI against a running `eddy server` (--server HOST:PORT): create a
# 3-partition topic, produce 1,000,000 keyed lines through the server, consume
# them back through the server and check the multiset of lines and the order
# within each partition (as test_cli_roundtrip.sh does on a data directory);
# describe's end offsets add up; consume flags, a consumer group that commits,
# delete, and errors that must exit non-zero with a message. Then the server is
# stopped and the data-dir mode reads the same data: both paths must agree,
# record for record, and put keys in the same partitions.
# Needs EDDY = path of the eddy binary (ctest sets it). Loopback only.
set -euo pipefail
EDDY=${EDDY:?set EDDY to the eddy binary}
N=${CLI_SERVER_LINES:-1000000}
KEYS=1000

tmp=$(mktemp -d /tmp/eddy-cli-server-XXXXXX)
PIDS=()
cleanup() {
	# The watchdog's sleep first: an orphaned sleep would hold ctest's pipe.
	pkill -P "$WATCHDOG" sleep 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
# Watchdog: the whole test is bounded whatever happens.
{ sleep 90; echo "test_cli_server: watchdog timeout" >&2; kill -TERM $$; } & WATCHDOG=$!
PIDS+=($WATCHDOG)
cd "$tmp"
unset EDDY_DATA_DIR EDDY_SERVER

fail() {
	echo "FAIL: $*" >&2
	echo "--- server log tail:" >&2
	tail -20 "$tmp/server.log" >&2 || true
	exit 1
}
step() { echo "--- $* ($(($(date +%s) - T0)) s)"; }
# expect_fail WHAT PATTERN CMD...: CMD must exit non-zero (not by a signal)
# within 20 s and print PATTERN on stderr.
expect_fail() {
	local what=$1 pat=$2 rc=0
	shift 2
	timeout 20 "$@" >out.txt 2>err.txt || rc=$?
	[[ $rc -ne 0 ]] || fail "$what: exit 0, expected an error"
	[[ $rc -ne 124 ]] || fail "$what: still running after 20 s"
	[[ $rc -lt 128 ]] || fail "$what: killed by signal $((rc - 128))"
	grep -qi -- "$pat" err.txt || { cat err.txt >&2; fail "$what: no '$pat' in the message"; }
	echo "ok: $what -> $(head -1 err.txt)"
}
T0=$(date +%s)

step "start the server"
"$EDDY" server --data-dir "$tmp/data" --kafka-port 0 --sql-port 0 --http-port 0 --bind 127.0.0.1 --log-level info \
	>"$tmp/server.log" 2>&1 & SERVER=$!; PIDS+=($SERVER)
PORT=
for _ in $(seq 100); do
	PORT=$(sed -n 's/.*listening for Kafka clients on 127.0.0.1:\([0-9]*\).*/\1/p' server.log)
	[[ -n $PORT ]] && break
	sleep 0.1
done
[[ -n $PORT ]] || fail "server did not start"
S=127.0.0.1:$PORT
ok=
for _ in $(seq 50); do
	if "$EDDY" topic list --server "$S" --timeout-ms 1000 >/dev/null 2>&1; then ok=1; break; fi
	sleep 0.1
done
[[ -n $ok ]] || fail "server at $S does not answer topic list"
echo "server on $S"

step "help"
for c in topic produce consume; do
	"$EDDY" "$c" --help | grep -q -- --server || fail "eddy $c --help lacks --server"
	"$EDDY" "$c" --help | grep -q -- --timeout-ms || fail "eddy $c --help lacks --timeout-ms"
done
for f in --group --follow --exit-at-end; do
	"$EDDY" consume --help | grep -q -- "$f" || fail "consume --help lacks $f"
done

step "create t with 3 partitions"
"$EDDY" topic create t --partitions 3 --server "$S" | grep -q 'created topic t with 3 partitions' ||
	fail "create t"
"$EDDY" topic list --server "$S" | grep -qx t || fail "t not listed"

step "produce $N keyed lines through the server"
# Line: KEY \t KEY SEQ, SEQ counting the lines of that key from 0.
awk -v n="$N" -v k="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "k%d\tk%d %d\n", i % k, i % k, int(i / k) }' >in.txt
start_ms=$(($(date +%s%N) / 1000000))
t1=$(date +%s.%N)
"$EDDY" produce t --key-separator '\t' --server "$S" <in.txt 2>produce.err ||
	{ cat produce.err >&2; fail "produce"; }
t2=$(date +%s.%N)
cat produce.err
grep -q "$N acknowledged" produce.err || fail "summary does not acknowledge $N records"
grep -q "acks=all, idempotent" produce.err || fail "acks=all is not idempotent"

step "consume through the server and compare"
"$EDDY" consume t --print-key --print-offset --server "$S" >out_server.txt
t3=$(date +%s.%N)
echo "produce $(echo "$t2 - $t1" | bc) s, consume $(echo "$t3 - $t2" | bc) s"
[[ $(wc -l <out_server.txt) -eq $N ]] || fail "consumed $(wc -l <out_server.txt) lines, want $N"
cut -f2- out_server.txt | LC_ALL=C sort >got.sorted
LC_ALL=C sort in.txt >want.sorted
cmp -s got.sorted want.sorted || fail "consumed lines differ from produced ones"
# Per partition: offsets 0,1,2,... in output order (partitions interleave);
# a key lives in one partition only and its SEQ goes 0,1,2,... in offset order.
order_check() {
	awk -F'\t' '
		{ split($1, po, ":"); p = po[1]; off = po[2] + 0
		  if (off != next_off[p] + 0) { print "partition " p ": offset " off ", want " next_off[p] + 0; bad = 1; exit }
		  next_off[p] = off + 1
		  split($3, kv, " "); key = kv[1]; seq = kv[2] + 0
		  if (key in part && part[key] != p) { print "key " key " in partitions " part[key] " and " p; bad = 1; exit }
		  part[key] = p
		  if (seq != next_seq[key] + 0) { print "key " key ": seq " seq " after " next_seq[key] - 1; bad = 1; exit }
		  next_seq[key] = seq + 1
		}
		END { if (bad) exit 1; for (p in next_off) printf "partition %s: %d records\n", p, next_off[p]; if (length(next_off) != 3) { print "not all 3 partitions used"; exit 1 } }
	' "$1"
}
order_check out_server.txt || fail "order check"

step "describe"
"$EDDY" topic describe t --server "$S" | tee describe.txt
grep -q '^partitions: 3' describe.txt || fail "describe: partitions"
grep -q 'retention.ms=' describe.txt || fail "describe: configs"
total=$(awk '$1 ~ /^[0-9]+$/ && NF >= 4 { s += $3 - $2 } END { print s }' describe.txt)
[[ $total -eq $N ]] || fail "describe: offsets add up to $total, want $N"
for p in 0 1 2; do
	want=$(grep -c "^$p:" out_server.txt)
	got=$(awk -v p=$p '$1 == p { print $3 }' describe.txt)
	[[ $got -eq $want ]] || fail "describe: partition $p ends at $got, consumed $want"
done

step "consume flags"
[[ $("$EDDY" consume t --max 10 --server "$S" | wc -l) -eq 10 ]] || fail "--max 10"
[[ $("$EDDY" consume t --max 0 --server "$S" | wc -l) -eq 0 ]] || fail "--max 0"
p1=$(grep -c '^1:' out_server.txt)
[[ $("$EDDY" consume t --partition 1 --server "$S" | wc -l) -eq $p1 ]] || fail "--partition 1"
"$EDDY" consume t --partition 2 --offset 5 --max 1 --print-offset --server "$S" | grep -q '^2:5	' ||
	fail "--offset 5"
[[ $("$EDDY" consume t --partition 0 --offset 999999999 --server "$S" | wc -l) -eq 0 ]] ||
	fail "--offset past the end"
[[ $("$EDDY" consume t --from-end --server "$S" | wc -l) -eq 0 ]] || fail "--from-end"
[[ $("$EDDY" consume t --timestamp $((start_ms - 60000)) --partition 0 --server "$S" | wc -l) -eq \
	$(grep -c '^0:' out_server.txt) ]] || fail "--timestamp past"
[[ $("$EDDY" consume t --timestamp $((start_ms + 3600000)) --server "$S" | wc -l) -eq 0 ]] ||
	fail "--timestamp future"
"$EDDY" consume t --print-timestamp --max 1 --server "$S" |
	awk -v s="$start_ms" -F'\t' '$1 < s - 1000 || $1 > s + 600000 { exit 1 }' ||
	fail "record timestamps are not the produce time"
# EDDY_SERVER stands in for --server; --data-dir beats it.
[[ $(EDDY_SERVER=$S "$EDDY" consume t --max 3 | wc -l) -eq 3 ]] || fail "EDDY_SERVER"
expect_fail "--data-dir beats EDDY_SERVER (dir locked by the server)" "locked" \
	env EDDY_SERVER="$S" "$EDDY" consume t --max 3 --data-dir "$tmp/data"

step "--follow prints what arrives, then stops at --max"
"$EDDY" topic create live --server "$S" >/dev/null
"$EDDY" consume live --from-end --follow --max 3 --server "$S" >follow.txt 2>follow.err &
FOLLOW=$!; PIDS+=($FOLLOW)
sleep 1.5
printf 'one\ntwo\nthree\nfour\n' | "$EDDY" produce live --acks 1 -q --server "$S"
for _ in $(seq 100); do kill -0 $FOLLOW 2>/dev/null || break; sleep 0.1; done
! kill -0 $FOLLOW 2>/dev/null || fail "--follow --max 3 did not stop"
wait $FOLLOW || { cat follow.err >&2; fail "--follow exited non-zero"; }
[[ $(cat follow.txt | tr '\n' ' ') == "one two three " ]] || fail "--follow printed: $(cat follow.txt)"

step "consumer group: two runs read disjoint records, offsets committed"
G=cli_group_$$
"$EDDY" consume t --group "$G" --max 50 --print-offset --server "$S" >g1.txt
"$EDDY" consume t --group "$G" --max 50 --print-offset --server "$S" >g2.txt
[[ $(wc -l <g1.txt) -eq 50 && $(wc -l <g2.txt) -eq 50 ]] || fail "group runs printed $(wc -l <g1.txt) and $(wc -l <g2.txt)"
[[ $(cut -f1 g1.txt g2.txt | sort -u | wc -l) -eq 100 ]] || fail "group runs overlap"

step "null, empty and keyed records go where data-dir mode puts them"
"$EDDY" topic create parity --partitions 3 --server "$S" >/dev/null
{ for i in $(seq 1 300); do echo "key$i|v$i"; echo "null$i"; echo "|empty$i"; done; } >parity.txt
"$EDDY" produce parity --key-separator '|' --acks 1 -q --server "$S" <parity.txt
"$EDDY" consume parity --print-offset --print-key --server "$S" | LC_ALL=C sort >parity_server.txt
[[ $(wc -l <parity_server.txt) -eq 900 ]] || fail "parity: $(wc -l <parity_server.txt) records"

step "codecs"
seq 1 20000 | sed 's/$/ some text that compresses well, some text that compresses well/' >codec.txt
for codec in none gzip snappy lz4 zstd; do
	"$EDDY" topic create "c-$codec" --partitions 2 --server "$S" >/dev/null
	"$EDDY" produce "c-$codec" --compression "$codec" -q --server "$S" <codec.txt
	"$EDDY" consume "c-$codec" --server "$S" | LC_ALL=C sort | cmp -s - <(LC_ALL=C sort codec.txt) ||
		fail "codec $codec round trip"
	echo "ok: $codec"
done

step "errors"
expect_fail "existing topic" "already exists" "$EDDY" topic create t --server "$S"
"$EDDY" topic create t --if-not-exists --server "$S" >/dev/null || fail "--if-not-exists"
expect_fail "bad topic name" "invalid topic name" "$EDDY" topic create 'bad/name' --server "$S"
expect_fail "unknown config" "config" "$EDDY" topic create u --config no.such.config=1 --server "$S"
expect_fail "bad config value" "retention.ms" "$EDDY" topic create u --config retention.ms=soon --server "$S"
expect_fail "config without =" "KEY=VALUE" "$EDDY" topic create u --config retention.ms --server "$S"
"$EDDY" topic list --server "$S" | grep -qx u && fail "a failed create left topic u behind"
expect_fail "describe missing topic" "does not exist" "$EDDY" topic describe nope --server "$S"
expect_fail "delete missing topic" "does not exist" "$EDDY" topic delete nope --server "$S"
"$EDDY" topic delete nope --if-exists --server "$S" || fail "--if-exists"
expect_fail "produce to missing topic" "does not exist" bash -c "echo x | \"$EDDY\" produce nope --server $S"
expect_fail "consume missing topic" "does not exist" "$EDDY" consume nope --server "$S"
"$EDDY" topic list --server "$S" | grep -qx nope && fail "the CLI auto-created topic nope"
expect_fail "consume partition out of range" "out of range" "$EDDY" consume t --partition 3 --server "$S"
expect_fail "produce partition out of range" "out of range" bash -c "echo x | \"$EDDY\" produce t --partition 9 --server $S"
expect_fail "line over the client limit" "message.max.bytes" \
	bash -c "head -c 1500000 /dev/zero | tr '\\0' y | \"$EDDY\" produce live --server $S"
expect_fail "alter" "not available with --server" "$EDDY" topic alter t --partitions 4 --server "$S"
expect_fail "--group with --offset" "group" "$EDDY" consume t --group g --offset 3 --server "$S"
expect_fail "--follow without --server" "need --server" "$EDDY" consume t --follow --data-dir "$tmp/x"
expect_fail "bad --server" "HOST:PORT" "$EDDY" topic list --server localhost
expect_fail "bad --timeout-ms" "timeout-ms" "$EDDY" topic list --server "$S" --timeout-ms 0

step "delete"
"$EDDY" topic delete live --server "$S" | grep -q 'deleted topic live' || fail "delete live"
! "$EDDY" topic list --server "$S" | grep -qx live || fail "live still listed after delete"

step "stop the server; the data-dir mode reads the same records"
kill -TERM $SERVER
for _ in $(seq 100); do kill -0 $SERVER 2>/dev/null || break; sleep 0.1; done
! kill -0 $SERVER 2>/dev/null || fail "server did not stop on SIGTERM"
wait $SERVER || fail "server exited with status $?"
"$EDDY" consume t --print-key --print-offset --data-dir "$tmp/data" >out_local.txt
cmp -s <(LC_ALL=C sort out_server.txt) <(LC_ALL=C sort out_local.txt) ||
	fail "data-dir mode reads other records than the server gave"
echo "ok: $(wc -l <out_local.txt) records identical in both modes"
# The same lines produced in data-dir mode land in the same partitions.
"$EDDY" topic create parity_local --partitions 3 --data-dir "$tmp/data" >/dev/null
"$EDDY" produce parity_local --key-separator '|' --acks 1 -q --data-dir "$tmp/data" <parity.txt
"$EDDY" consume parity_local --print-offset --print-key --data-dir "$tmp/data" | LC_ALL=C sort >parity_local.txt
cmp -s parity_server.txt parity_local.txt || {
	diff parity_server.txt parity_local.txt | head >&2
	fail "server and data-dir mode partition records differently"
}
echo "ok: keyed, empty-key and null-key records in the same partitions and offsets"

step "unreachable server"
expect_fail "server gone" "cannot reach" "$EDDY" topic list --server "$S"
expect_fail "server gone (consume)" "cannot reach" "$EDDY" consume t --server "$S"
expect_fail "unresolvable host" "server" "$EDDY" topic list --server no-such-host.invalid:9092 --timeout-ms 3000

echo "PASS ($(($(date +%s) - T0)) s)"
