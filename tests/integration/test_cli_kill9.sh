#!/usr/bin/env bash
# A writer killed with kill -9 mid-append loses nothing it acknowledged.
# `eddy produce --acks all --report-acks` is fed lines a burst at a time and
# prints "acked N" once the first N lines are fsynced; it is killed with
# SIGKILL at a random moment, several rounds in a row on the same data
# directory. Before the next open a torn, half-written batch is appended to
# the active segment (what a crash in the middle of write(2) leaves). After
# each round: every acknowledged line is present, in order, with no gap or
# duplicate; the torn tail is gone; appends continue.
# Needs EDDY = path of the eddy binary (ctest sets it).
set -euo pipefail
EDDY=${EDDY:?set EDDY to the eddy binary}
ROUNDS=${CLI_KILL9_ROUNDS:-6}

tmp=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
export EDDY_DATA_DIR=$tmp/data
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Lines "R-I" for I = 1, 2, ...: odd rounds in bursts of 50 to 300 lines a
# few ms apart (the writer mostly waits), even rounds as fast as seq goes (the
# writer is always appending or syncing when the kill comes).
feed() {
	local round=$1 i=0 n
	if ((round % 2 == 0)); then
		exec seq -f "$round-%.0f" 1 1000000000
	fi
	while :; do
		n=$((50 + RANDOM % 250))
		for ((j = 0; j < n; j++)); do
			i=$((i + 1))
			echo "$round-$i"
		done || return 0
		sleep 0.00$((RANDOM % 9 + 1))
	done
}

"$EDDY" topic create k --partitions 1 >/dev/null
segdir=$tmp/data/topics/k/0
total_acked=0
for ((round = 1; round <= ROUNDS; round++)); do
	"$EDDY" produce k --acks all --report-acks --linger-ms 2 < <(feed "$round") >"acks.$round" 2>"err.$round" &
	pid=$!
	pids+=("$pid")
	# Wait for a first acknowledgement, then a random 0.2 to 1.2 s more.
	for ((w = 0; w < 100; w++)); do
		[[ -s acks.$round ]] && break
		sleep 0.05
	done
	[[ -s acks.$round ]] || { cat "err.$round" >&2; fail "round $round: no acknowledgement"; }
	sleep "0.$((RANDOM % 10 + 2))"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	acked=$(awk '$1 == "acked" { n = $2 } END { print n + 0 }' "acks.$round")
	[[ $acked -gt 0 ]] || fail "round $round: nothing acknowledged"

	# A torn write: the first 40 bytes of a batch header plus garbage.
	seg=$(ls "$segdir"/*.log | tail -1)
	before=$(stat -c %s "$seg")
	{ head -c 40 "$seg"; head -c 25 /dev/urandom; } >>"$seg"

	"$EDDY" consume k >"got.$round" 2>"cerr.$round" || { cat "cerr.$round" >&2; fail "round $round: consume after kill -9"; }
	after=$(stat -c %s "$seg")
	[[ $after -le $before ]] || fail "round $round: torn tail still there ($after > $before bytes)"
	# Lines of each round must be, ... with no gap; the count of this
	# round's lines must cover what was acknowledged.
	awk -F- -v round="$round" -v acked="$acked" '
		{ if ($2 != next_i[$1] + 1) { print "round " $1 ": line " $2 " after " next_i[$1] + 0; exit 1 }
		  next_i[$1] = $2 }
		END { if (next_i[round] < acked) { print "round " round ": " next_i[round] + 0 " lines stored, " acked " acknowledged"; exit 1 } }
	' "got.$round" || fail "round $round: acknowledged lines lost or out of order"
	kept=$(grep -c "^$round-" "got.$round" || true)
	echo "round $round: $acked acknowledged, $kept stored, torn tail of 65 bytes removed"
	total_acked=$((total_acked + acked))
done

# Appends continue after the last crash, and a clean reopen keeps everything.
seq 1 1000 | sed 's/^/final-/' | "$EDDY" produce k -q
"$EDDY" consume k >got.final
[[ $(grep -c '^final-' got.final) -eq 1000 ]] || fail "appends after recovery"
[[ $(tail -1 got.final) == final-1000 ]] || fail "last line after recovery"
cmp -s <(grep -v '^final-' got.final) "got.$ROUNDS" || fail "records changed across a clean reopen"
echo "PASS: $ROUNDS kill -9 rounds, $total_acked acknowledged lines all present"
