#!/usr/bin/env bash
# The eddy CLI on a data directory: create a 3-partition topic, produce
# 1,000,000 keyed lines, consume them back and check that the multiset of
# lines is intact and that each partition holds its keys' lines in order with
# contiguous offsets. Then the smaller paths: null keys round robin, each
# codec, --max/--offset/--partition/--timestamp, topic list/describe/alter/
# delete, and error cases that must exit non-zero with a message.
# Needs EDDY = path of the eddy binary (ctest sets it).
set -euo pipefail
EDDY=${EDDY:?set EDDY to the eddy binary}
N=${CLI_ROUNDTRIP_LINES:-1000000}
KEYS=1000

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export EDDY_DATA_DIR=$tmp/data
cd "$tmp"

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }
# expect_fail WHAT PATTERN CMD...: CMD must exit non-zero, print PATTERN on
# stderr, and not be killed by a signal.
expect_fail() {
	local what=$1 pat=$2 rc=0
	shift 2
	"$@" >out.txt 2>err.txt || rc=$?
	[[ $rc -ne 0 ]] || fail "$what: exit 0, expected an error"
	[[ $rc -lt 128 ]] || fail "$what: killed by signal $((rc - 128))"
	grep -qi -- "$pat" err.txt || { cat err.txt >&2; fail "$what: no '$pat' in the message"; }
	echo "ok: $what -> $(head -1 err.txt)"
}

step "help and version"
"$EDDY" --help | grep -q produce || fail "eddy --help"
"$EDDY" --version | grep -q '^eddy ' || fail "eddy --version"
for c in topic produce consume; do
	"$EDDY" "$c" --help | grep -q -- --data-dir || fail "eddy $c --help"
done
"$EDDY" produce --help | grep -q -- --key-separator || fail "produce --help lacks flags"

step "create t with 3 partitions"
"$EDDY" topic create t --partitions 3
"$EDDY" topic list | grep -qx t || fail "t not listed"

step "produce $N keyed lines"
# Line: KEY \t KEY SEQ, SEQ counting the lines of that key from 0.
awk -v n="$N" -v k="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "k%d\tk%d %d\n", i % k, i % k, int(i / k) }' >in.txt
start_ms=$(($(date +%s%N) / 1000000))
"$EDDY" produce t --key-separator '\t' <in.txt 2>produce.err || { cat produce.err >&2; fail "produce"; }
cat produce.err
grep -q "$N acknowledged" produce.err || fail "summary does not acknowledge $N records"

step "consume and compare"
"$EDDY" consume t --print-key --print-offset >out.txt
[[ $(wc -l <out.txt) -eq $N ]] || fail "consumed $(wc -l <out.txt) lines, want $N"
cut -f2- out.txt | LC_ALL=C sort >got.sorted
LC_ALL=C sort in.txt >want.sorted
cmp -s got.sorted want.sorted || fail "consumed lines differ from produced ones"
# Per partition: offsets 0,1,2,... in output order; a key lives in one
# partition only and its SEQ goes 0,1,2,... in offset order.
awk -F'\t' '
	{ split($1, po, ":"); p = po[1]; off = po[2] + 0
	  if (off != next_off[p] + 0) { print "partition " p ": offset " off ", want " next_off[p] + 0; bad = 1; exit }
	  next_off[p] = off + 1
	  split($3, kv, " "); key = kv[1]; seq = kv[2] + 0
	  if (key in part && part[key] != p) { print "key " key " in partitions " part[key] " and " p; bad = 1; exit }
	  part[key] = p
	  if (seq != next_seq[key] + 0) { print "key " key ": seq " seq " after " next_seq[key] - 1; bad = 1; exit }
	  next_seq[key] = seq + 1
	  if (p != last_p) { if (p in seen) { print "partition " p " printed twice"; bad = 1; exit } seen[p] = 1; last_p = p }
	}
	END { if (bad) exit 1; for (p in next_off) printf "partition %s: %d records\n", p, next_off[p]; if (length(next_off) != 3) { print "not all 3 partitions used"; exit 1 } }
' out.txt || fail "order check"

step "describe"
"$EDDY" topic describe t | tee describe.txt
grep -q '^partitions: 3' describe.txt || fail "describe: partitions"
grep -q 'retention.ms=' describe.txt || fail "describe: configs"
total=$(awk '$1 ~ /^[0-9]+$/ && NF >= 5 { s += $3 - $2 } END { print s }' describe.txt)
[[ $total -eq $N ]] || fail "describe: offsets add up to $total, want $N"

step "consume flags"
[[ $("$EDDY" consume t --max 10 | wc -l) -eq 10 ]] || fail "--max 10"
[[ $("$EDDY" consume t --max 0 | wc -l) -eq 0 ]] || fail "--max 0"
p1=$(grep -c '^1:' out.txt)
[[ $("$EDDY" consume t --partition 1 | wc -l) -eq $p1 ]] || fail "--partition 1"
"$EDDY" consume t --partition 2 --offset 5 --max 1 --print-offset | grep -q '^2:5	' ||
	fail "--offset 5"
[[ $("$EDDY" consume t --from-end | wc -l) -eq 0 ]] || fail "--from-end"
[[ $("$EDDY" consume t --timestamp $((start_ms - 60000)) | wc -l) -eq $N ]] || fail "--timestamp past"
[[ $("$EDDY" consume t --timestamp $((start_ms + 3600000)) | wc -l) -eq 0 ]] || fail "--timestamp future"
"$EDDY" consume t --print-timestamp --max 1 | awk -v s="$start_ms" -F'\t' '$1 < s - 1000 || $1 > s + 600000 { exit 1 }' ||
	fail "record timestamps are not the produce time"

step "null keys go round robin"
"$EDDY" topic create rr --partitions 3
seq 1 300 | "$EDDY" produce rr --acks 1 -q
for p in 0 1 2; do
	[[ $("$EDDY" consume rr --partition $p | wc -l) -eq 100 ]] || fail "rr partition $p"
done
seq 1 300 | "$EDDY" produce rr --partition 2 -q
[[ $("$EDDY" consume rr --partition 2 | wc -l) -eq 400 ]] || fail "--partition 2"

step "codecs"
seq 1 20000 | sed 's/$/ some text that compresses well, some text that compresses well/' >codec.txt
for codec in none gzip snappy lz4 zstd; do
	"$EDDY" topic create "c-$codec" --partitions 2 >/dev/null
	"$EDDY" produce "c-$codec" --compression "$codec" --batch-records 500 -q <codec.txt
	"$EDDY" consume "c-$codec" | LC_ALL=C sort | cmp -s - <(LC_ALL=C sort codec.txt) ||
		fail "codec $codec round trip"
	echo "ok: $codec"
done

step "long lines and empty lines"
"$EDDY" topic create small --config max.message.bytes=2000 >/dev/null
{ echo first; echo; head -c 1500 /dev/zero | tr '\0' x; echo; } | "$EDDY" produce small -q
[[ $("$EDDY" consume small | wc -l) -eq 3 ]] || fail "small topic: 3 lines"
[[ $("$EDDY" consume small --max 1 --offset 1 | wc -c) -eq 1 ]] || fail "empty line"
expect_fail "line over max.message.bytes" "max.message.bytes" \
	bash -c "{ echo before; head -c 5000 /dev/zero | tr '\\0' y; echo; echo after; } | \"$EDDY\" produce small"
[[ $("$EDDY" consume small | tail -1) == before ]] || fail "lines before the long one were not produced"
# No newline at the end of input: the last line still counts.
printf 'a\nlast' | "$EDDY" produce small -q
[[ $("$EDDY" consume small | tail -1) == last ]] || fail "unterminated last line"

step "alter"
"$EDDY" topic alter rr --partitions 5 --config retention.ms=3600000
"$EDDY" topic describe rr | grep -q '^partitions: 5' || fail "alter partitions"
"$EDDY" topic describe rr | grep -q 'retention.ms=3600000' || fail "alter config"

step "errors"
expect_fail "bad topic name" "invalid topic name" "$EDDY" topic create 'bad/name'
expect_fail "topic name .." "invalid topic name" "$EDDY" topic create ..
expect_fail "unknown config" "unknown topic config" "$EDDY" topic create u --config no.such.config=1
expect_fail "bad config value" "retention.ms" "$EDDY" topic create u --config retention.ms=soon
expect_fail "config without =" "KEY=VALUE" "$EDDY" topic create u --config retention.ms
expect_fail "zero partitions" "partitions" "$EDDY" topic create u --partitions 0
expect_fail "existing topic" "already exists" "$EDDY" topic create t
"$EDDY" topic create t --if-not-exists >/dev/null || fail "--if-not-exists"
expect_fail "describe missing topic" "does not exist" "$EDDY" topic describe nope
expect_fail "delete missing topic" "does not exist" "$EDDY" topic delete nope
expect_fail "produce to missing topic" "does not exist" bash -c "echo x | \"$EDDY\" produce nope"
expect_fail "consume missing topic" "does not exist" "$EDDY" consume nope
expect_fail "partition out of range" "out of range" "$EDDY" consume t --partition 3
expect_fail "produce partition out of range" "out of range" bash -c "echo x | \"$EDDY\" produce t --partition 9"
expect_fail "negative offset" "offset" "$EDDY" consume t --offset -1
expect_fail "bad acks" "acks" "$EDDY" produce t --acks 2
expect_fail "bad codec" "compression" "$EDDY" produce t --compression brotli
expect_fail "two start positions" "choose one" "$EDDY" consume t --from-end --offset 3
expect_fail "unknown flag" "help" "$EDDY" consume t --no-such-flag
expect_fail "unknown command" "unknown command" "$EDDY" frobnicate
expect_fail "unknown subcommand" "unknown subcommand" "$EDDY" topic frob x
expect_fail "missing topic argument" "which topic" "$EDDY" consume
expect_fail "no server listening" "cannot reach" "$EDDY" consume t --server 127.0.0.1:1 --timeout-ms 2000
expect_fail "data dir is a file" "data directory" "$EDDY" topic list --data-dir in.txt

step "delete"
"$EDDY" topic delete t
! "$EDDY" topic list | grep -qx t || fail "t still listed after delete"
"$EDDY" topic delete t --if-exists || fail "--if-exists"
"$EDDY" topic create t --partitions 1 >/dev/null
[[ $("$EDDY" consume t | wc -l) -eq 0 ]] || fail "recreated topic is not empty"

echo "PASS"
