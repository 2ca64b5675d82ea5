#!/usr/bin/env bash
# /metrics of a running eddy server: per-topic traffic counted by the log
# (records in through Kafka, out through fetches) and consumer-group lag from
# the Kafka front end's committed offsets, in Prometheus text format.
set -euo pipefail
EDDY=${EDDY:?path of the eddy binary}
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$EDDY" server --data-dir "$tmp/data" --kafka-port 0 --sql-port 0 --http-port 0 >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q "listening for HTTP" "$tmp/log" && break; sleep 0.1; done
kport=$(sed -n 's/.*listening for Kafka clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/log")
hport=$(sed -n 's/.*listening for HTTP clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/log")
[[ -n $kport && -n $hport ]] || { cat "$tmp/log"; fail "server did not start"; }
b=127.0.0.1:$kport

metric() { # metric NAME LABELS -> value or empty
  curl -sf "http://127.0.0.1:$hport/metrics" | awk -v n="$1" -v l="$2" '$1 == n l {print $2}'
}

seq 100 | kcat -P -b "$b" -t m
# A group reads everything and commits (auto-commit at close).
kcat -C -b "$b" -G g1 -o beginning -e m >"$tmp/read1" 2>/dev/null || true
[[ $(wc -l <"$tmp/read1") -eq 100 ]] || fail "group read $(wc -l <"$tmp/read1") of 100"
seq 30 | kcat -P -b "$b" -t m

[[ $(metric eddy_topic_records_in_total '{topic="m"}') == 130 ]] || fail "records in"
out=$(metric eddy_topic_records_out_total '{topic="m"}')
[[ ${out:-0} -ge 100 ]] || fail "records out $out"
[[ $(metric eddy_consumer_group_committed_offset '{group="g1",topic="m",partition="0"}') == 100 ]] \
  || fail "committed offset"
[[ $(metric eddy_consumer_group_lag '{group="g1",topic="m",partition="0"}') == 30 ]] || fail "lag"
# Every sample line belongs to a family announced by a TYPE line.
curl -sf "http://127.0.0.1:$hport/metrics" | awk '
  /^# TYPE / {t[$3] = 1; next} /^#/ {next}
  { n = $1; sub(/\{.*/, "", n); if (!(n in t)) { print "no TYPE for " n; bad = 1 } }
  END { exit bad }' || fail "exposition format"
echo "1 passed, 0 failed"
