#!/usr/bin/env bash
# Kafka's default partitioner is the one eddy's own writers use: a key
# posted through HTTP ingest lands in the partition that kcat (librdkafka
# with partitioner=murmur2_random, the Java client's default for keys)
# picks for the same key, on a topic with 7 partitions.
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
for t in k h; do "$EDDY" topic create "$t" --partitions 7 --server "$b" >/dev/null || fail "create $t"; done

keys=(21 foobar abc user-1 user-2 user-3 sensor/42 "" é-ü 0123456789abcdefghij)
# kcat writes key:value lines to topic k; HTTP posts the same keys to topic h.
for k in "${keys[@]}"; do printf '%s\tkcat\n' "$k"; done |
  kcat -P -b "$b" -t k -K $'\t' -X partitioner=murmur2_random
body=""
for k in "${keys[@]}"; do
  body+=$(printf '{"key":"%s","value":"http"}' "$k")$'\n'
done
curl -sf -H 'Content-Type: application/x-ndjson' --data-binary "$body" \
  "http://127.0.0.1:$hport/v1/topics/h/records?envelope=true" >"$tmp/http" || { curl -s -H 'Content-Type: application/x-ndjson' --data-binary "$body" "http://127.0.0.1:$hport/v1/topics/h/records?envelope=true"; fail "http ingest"; }

# Read both topics back as "key<TAB>partition" and compare.
kcat -C -b "$b" -t k -e -f '%k\t%p\n' >"$tmp/k.out" 2>/dev/null
kcat -C -b "$b" -t h -e -f '%k\t%p\n' >"$tmp/h.out" 2>/dev/null
[[ $(wc -l <"$tmp/k.out") -eq ${#keys[@]} ]] || fail "kcat wrote $(wc -l <"$tmp/k.out") records"
[[ $(wc -l <"$tmp/h.out") -eq ${#keys[@]} ]] || fail "http wrote $(wc -l <"$tmp/h.out") records"
sort "$tmp/k.out" >"$tmp/k.sorted"
sort "$tmp/h.out" >"$tmp/h.sorted"
diff "$tmp/k.sorted" "$tmp/h.sorted" || fail "a key landed in another partition via HTTP than via kcat"
# The keys do spread (not all in one partition).
[[ $(cut -f2 "$tmp/k.sorted" | sort -u | wc -l) -ge 3 ]] || fail "keys did not spread"
echo "1 passed, 0 failed"
