#!/usr/bin/env bash
# The HTTP API with curl: 100,000 NDJSON events in four POSTs land in a
# 3-partition topic (offsets and content checked through GET records) and
# update a materialized view whose changes arrive over SSE (curl -N in the
# background); a JSON array body and the envelope form; malformed JSON
# answers 400 and leaves the end offsets unchanged; a body over the limit
# answers 413 (Content-Length and chunked); unknown topic and view 404; SQL
# errors carry SQLSTATE and position; /metrics parses as Prometheus text;
# /healthz and /readyz answer; SIGTERM stops the server cleanly.
# Runs `eddy server --http-port 0` once the server has the flag (it must log
# "listening for HTTP clients on HOST:PORT"), else the
# it_http_server harness. Loopback only, bounded by a watchdog.
set -euo pipefail
EDDY=${EDDY:-}
EDDY_BUILD=${EDDY_BUILD:?set EDDY_BUILD to the build directory}
N=100000
POSTS=4

tmp=$(mktemp -d /tmp/eddy-http-XXXXXX)
PIDS=()
SERVER=
cleanup() {
	pkill -P "$WATCHDOG" sleep 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
{ sleep 240 && { echo "test_http_api: watchdog timeout" >&2; kill -TERM $$; }; } & WATCHDOG=$!
PIDS+=($WATCHDOG)
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	echo "--- server log tail:" >&2
	tail -20 "$tmp/server.log" >&2 || true
	exit 1
}
T0=$(date +%s)
step() { echo "--- $* ($(($(date +%s) - T0)) s)"; }
# req METHOD PATH [curl args...]: body to out.json, prints the status code.
req() {
	local m=$1 p=$2
	shift 2
	curl -s -o out.json -w '%{http_code}' --max-time 60 -X "$m" "$@" "http://127.0.0.1:$PORT$p"
}
expect() { # expect CODE METHOD PATH [curl args...]
	local want=$1 got
	shift
	got=$(req "$@") || fail "curl $* failed"
	[[ $got == "$want" ]] || { cat out.json >&2; fail "$*: status $got, expected $want"; }
}
jget() { python3 -c "import json,sys; d=json.load(open('out.json')); print($1)"; }

step "start the server"
WIRED=0
if [[ -n $EDDY ]] && "$EDDY" server --help 2>&1 | grep -q -- '--http-port'; then
	WIRED=1
	"$EDDY" server --data-dir "$tmp/data" --kafka-port 0 --sql-port 0 --http-port 0 --bind 127.0.0.1 \
		>"$tmp/server.log" 2>&1 & SERVER=$!
else
	"$EDDY_BUILD/it_http_server" "$tmp/data" "$tmp/port" --sse-max 1048576 \
		>"$tmp/server.log" 2>&1 & SERVER=$!
fi
PIDS+=($SERVER)
PORT=
for _ in $(seq 100); do
	if [[ $WIRED == 1 ]]; then
		PORT=$(sed -n 's/.*HTTP.* on 127.0.0.1:\([0-9]*\).*/\1/p' server.log | head -1)
	else
		PORT=$(cat "$tmp/port" 2>/dev/null || true)
	fi
	[[ -n $PORT ]] && break
	sleep 0.1
done
[[ -n $PORT ]] || fail "no HTTP port announced"
echo "HTTP on port $PORT (wired=$WIRED)"
for _ in $(seq 100); do
	[[ $(req GET /readyz) == 200 ]] && break
	sleep 0.1
done

step "health probes"
expect 200 GET /healthz
[[ $(jget "d['status']") == ok ]] || fail "healthz body"
expect 200 GET /readyz
expect 404 GET /nope
expect 405 DELETE /healthz

step "SQL: source and view"
expect 200 POST /v1/sql --data-binary "CREATE SOURCE ev (user TEXT, amount BIGINT, seq BIGINT) WITH (topic = 'ev', format = 'json', partitions = 3)"
[[ $(jget "d['tag']") == "CREATE SOURCE" ]] || fail "create source tag"
expect 200 POST /v1/sql -H 'Content-Type: application/json' \
	--data-binary '{"sql": "CREATE MATERIALIZED VIEW totals AS SELECT user, COUNT(*) AS n, SUM(amount) AS total FROM ev GROUP BY user"}'
expect 400 POST /v1/sql --data-binary "SELECT nope FROM totals"
[[ $(jget "d['error']['sqlstate']") == 42703 ]] || fail "sqlstate of an unknown column"
[[ $(jget "d['error']['position']") == 8 ]] || fail "position of an unknown column"
expect 404 GET /v1/views/missing
expect 404 GET /v1/views/missing/changes

step "SSE subscriber"
curl -s -N --max-time 200 "http://127.0.0.1:$PORT/v1/views/totals/changes" >sse.txt 2>/dev/null & SSE=$!
PIDS+=($SSE)
for _ in $(seq 100); do grep -q subscribed sse.txt 2>/dev/null && break; sleep 0.1; done
grep -q subscribed sse.txt || fail "SSE stream did not start"

step "ingest $N NDJSON events in $POSTS POSTs"
python3 - "$N" "$POSTS" <<'PY'
import sys
n, posts = int(sys.argv[1]), int(sys.argv[2])
per = n // posts
for k in range(posts):
    with open(f"ev{k}.ndjson", "w") as f:
        for i in range(k * per, (k + 1) * per):
            f.write('{"user":"u%d","amount":%d,"seq":%d}\n' % (i % 100, i % 10, i))
PY
for k in $(seq 0 $((POSTS - 1))); do
	expect 200 POST "/v1/topics/ev/records?key=user" -H 'Content-Type: application/x-ndjson' \
		--data-binary "@ev$k.ndjson"
	[[ $(jget "len(d['offsets'])") == $((N / POSTS)) ]] || fail "POST $k: offsets"
	cp out.json "offsets$k.json"
done
expect 200 GET /v1/topics/ev
[[ $(jget "sum(p['end_offset'] for p in d['partitions'])") == "$N" ]] || fail "end offsets do not add up to $N"
cp out.json ev_topic.json

step "read every record back"
python3 - "$PORT" "$N" <<'PY'
import json, sys, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
topic = json.load(open("ev_topic.json"))
seen, part_of_user, offsets = set(), {}, {}
for p in topic["partitions"]:
    off, expect_off = 0, 0
    while off < p["end_offset"]:
        url = f"http://127.0.0.1:{port}/v1/topics/ev/records?partition={p['partition']}&offset={off}&limit=10000"
        d = json.load(urllib.request.urlopen(url, timeout=30))
        assert d["records"], f"no records at {off}"
        for r in d["records"]:
            assert r["offset"] == expect_off, (r["offset"], expect_off)
            expect_off += 1
            v = r["value"]
            assert r["key"] == v["user"], r
            assert part_of_user.setdefault(v["user"], p["partition"]) == p["partition"], "key in two partitions"
            assert v["seq"] not in seen, "duplicate"
            seen.add(v["seq"])
            offsets[v["seq"]] = (p["partition"], r["offset"])
        off = d["next_offset"]
assert seen == set(range(n)), f"{len(seen)} distinct records, expected {n}"
assert len(set(part_of_user.values())) > 1, "every key hashed to one partition"
# the offsets the POSTs answered are where the records are
per = n // 4
for k in range(4):
    got = json.load(open(f"offsets{k}.json"))["offsets"]
    for j, o in enumerate(got):
        assert offsets[k * per + j] == (o["partition"], o["offset"]), (k, j, o)
print("records ok:", len(seen), "users in", sorted(set(part_of_user.values())))
PY

step "the view reaches $N events"
ok=0
for _ in $(seq 600); do
	expect 200 GET /v1/views/totals
	if [[ $(jget "sum(r['n'] for r in d['rows'])") == "$N" ]]; then ok=1; break; fi
	sleep 0.1
done
[[ $ok == 1 ]] || fail "view totals did not reach $N: $(cat out.json | head -c 300)"
[[ $(jget "len(d['rows'])") == 100 ]] || fail "100 users expected"
[[ $(jget "sum(r['total'] for r in d['rows'])") == $((N / 10 * 45)) ]] || fail "sum of amounts"

step "the SSE stream delivers the changes"
ok=0
for _ in $(seq 300); do
	if python3 - <<'PY'
import json, sys
latest = {}
for line in open("sse.txt"):
    if line.startswith("data: "):
        for ch in json.loads(line[6:]):
            if ch["op"] in ("insert", "update_after"):
                row = ch["row"]
                latest[row["user"]] = max(latest.get(row["user"], 0), row["n"])
sys.exit(0 if len(latest) == 100 and all(v == 1000 for v in latest.values()) else 1)
PY
	then ok=1; break; fi
	sleep 0.1
done
[[ $ok == 1 ]] || fail "SSE did not deliver every user's final count ($(grep -c '^event: change' sse.txt) events)"
echo "SSE events: $(grep -c '^event: change' sse.txt)"

step "JSON array body and the envelope form"
expect 200 POST /v1/sql --data-binary "CREATE SOURCE arr (x INT) WITH (topic = 'arr', format = 'json', partitions = 2)"
# the source's topic exists once a pipeline reads it
expect 200 POST /v1/sql --data-binary "CREATE MATERIALIZED VIEW arr_x AS SELECT x, COUNT(*) AS n FROM arr GROUP BY x"
expect 200 POST /v1/topics/arr/records -H 'Content-Type: application/json' \
	--data-binary '[{"x":1}, {"x":2}, {"x":3,"s":"caf\u00e9 \"q\""}]'
[[ $(jget "len(d['offsets'])") == 3 ]] || fail "array: 3 offsets"
expect 200 POST "/v1/topics/arr/records?envelope=true&acks=1" --data-binary \
	'[{"key":"k1","value":{"x":9},"partition":1,"timestamp":1700000000000},{"value":"plain text"},{"key":null,"value":null,"partition":0}]'
[[ $(jget "d['offsets'][0]['partition']") == 1 ]] || fail "envelope partition"
expect 200 GET "/v1/topics/arr/records?partition=1&limit=100"
python3 - <<'PY' || fail "envelope records"
import json
d = json.load(open("out.json"))
r = [r for r in d["records"] if r["key"] == "k1"]
assert r and r[0]["value"] == {"x": 9} and r[0]["timestamp"] == 1700000000000, d
PY
expect 200 GET "/v1/topics/arr/records?partition=0&limit=100"
python3 - <<'PY' || fail "array records"
import json
d = json.load(open("out.json"))
vals = [r["value"] for r in d["records"]]
assert None in vals, vals                      # the tombstone
PY
expect 400 POST "/v1/topics/arr/records?envelope=true" --data-binary '[{"value":1,"headers":[]}]'
expect 400 POST "/v1/topics/arr/records?envelope=true" --data-binary '[{"value":1,"partition":7}]'

step "malformed bodies: 400 and nothing appended"
expect 200 GET /v1/topics/ev
before=$(jget "[p['end_offset'] for p in d['partitions']]")
bad_bodies=(
	'{"user":"a","amount":1}\n{"user":"b","amount":'
	'{"user":"a"}\n{"user":"b"} trailing\n'
	'[{"user":"a"},]'
	'[{"user":"a"}] x'
	'{"user":"a"}\n[1,2]\n'
	'{"user":"a"}\n"just a string"\n'
	'{"user":"a","amount":01}\n'
	'{"user":"a\tb"}\n'
	''
	'{"user":"a"}\n{"user":"\xff"}\n'
)
for b in "${bad_bodies[@]}"; do
	printf "$b" >bad.txt
	expect 400 POST /v1/topics/ev/records --data-binary @bad.txt
	grep -q '"message"' out.json || fail "400 without a message"
done
echo "last 400: $(cat out.json)"
# a valid first half must not be appended either
head -c 100000 ev0.ndjson >bad.txt; printf '{"user":' >>bad.txt
expect 400 POST /v1/topics/ev/records -H 'Content-Type: application/x-ndjson' --data-binary @bad.txt
expect 200 GET /v1/topics/ev
[[ $(jget "[p['end_offset'] for p in d['partitions']]") == "$before" ]] || fail "a malformed body appended records"

step "limits and unknown names"
head -c $((33 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >big.txt
expect 413 POST /v1/topics/ev/records --data-binary @big.txt
expect 413 POST /v1/topics/ev/records -H 'Transfer-Encoding: chunked' --data-binary @big.txt
expect 404 POST /v1/topics/nosuchtopic/records --data-binary '{"a":1}'
expect 404 GET /v1/topics/nosuchtopic/records
expect 400 POST /v1/topics/bad%2Fname/records --data-binary '{"a":1}'
expect 416 GET "/v1/topics/ev/records?partition=0&offset=999999999"
expect 404 GET "/v1/topics/ev/records?partition=9"
expect 200 GET /v1/topics/ev
[[ $(jget "[p['end_offset'] for p in d['partitions']]") == "$before" ]] || fail "413/404 appended records"
# keep-alive: several requests on one connection
conns=$(curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
	"http://127.0.0.1:$PORT/healthz" "http://127.0.0.1:$PORT/readyz" "http://127.0.0.1:$PORT/v1/topics" |
	awk '$1 == 200 { ok++ } { c += $2 } END { print ok "/" c }')
[[ $conns == 3/1 ]] || fail "keep-alive: 3 answers on 1 connection expected, got $conns"

step "/metrics parses as Prometheus text"
expect 200 GET /metrics
cp out.json metrics.txt
python3 - "$N" "$WIRED" <<'PY' || fail "metrics"
import re, sys
n, wired = int(sys.argv[1]), sys.argv[2] == "1"
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label_re = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (NaN|[+-]Inf|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)$" % (name_re, label_re, label_re))
types, helps, samples, seen_family_end = {}, set(), {}, set()
current = None
for i, line in enumerate(open("metrics.txt"), 1):
    line = line.rstrip("\n")
    if not line:
        continue
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split(" ", 3)
        assert re.fullmatch(name_re, name) and typ in ("counter", "gauge", "histogram", "summary", "untyped"), line
        assert name not in types, f"line {i}: second TYPE for {name}"
        if current:
            seen_family_end.add(current)
        types[name] = typ
        current = name
        continue
    if line.startswith("# HELP "):
        helps.add(line.split(" ")[2])
        continue
    if line.startswith("#"):
        continue
    m = sample.match(line)
    assert m, f"line {i} is not a sample: {line!r}"
    name = m.group(1)
    assert name in types, f"line {i}: {name} has no TYPE"
    assert name == current, f"line {i}: {name} outside its family block"
    samples[(name, m.group(2) or "")] = float(m.group(3))
def get(name, labels=""):
    return samples.get((name, labels))
assert get("eddy_http_topic_records_in_total", '{topic="ev"}') == n, "records in"
assert get("eddy_http_topic_records_out_total", '{topic="ev"}') >= n, "records out"
assert sum(v for (k, l), v in samples.items() if k == "eddy_partition_end_offset" and 'topic="ev"' in l) == n
assert get("eddy_topic_records_in_total", '{topic="ev"}') == n, "log-level records in"
assert get("eddy_topic_records_out_total", '{topic="ev"}') >= n, "log-level records out"
assert get("eddy_topic_bytes_in_total", '{topic="ev"}') > 0
assert get("eddy_log_fsyncs_total") >= 1
assert get("eddy_memory_in_use_bytes") > 0
assert get("eddy_source_records_total", '{source="ev"}') == n
assert get("eddy_view_rows", '{view="totals"}') == 100
assert get("eddy_http_sse_clients") == 1
if not wired:
    assert get("eddy_test_hook", '{label="va\\"lue\\\\with\\nescapes"}') == 1, "hook sample"
print("metrics ok:", len(types), "families,", len(samples), "samples")
PY

step "a slow SSE client is dropped, a fast one keeps streaming"
if [[ $WIRED == 1 ]]; then
	echo "skipped: needs the harness's --sse-max"
else
	cat >slow.py <<'PY'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /v1/views/totals/changes HTTP/1.1\r\nHost: x\r\n\r\n")
head = s.recv(15)
assert head == b"HTTP/1.1 200 OK", head
open("slow.ready", "w").close()
time.sleep(float(sys.argv[2]))  # read nothing meanwhile
s.settimeout(10)
while s.recv(65536):
    pass
print("closed by the server")
PY
	timeout 60 python3 slow.py "$PORT" 5 >slow.out 2>&1 & SLOW=$!
	PIDS+=($SLOW)
	for _ in $(seq 100); do [[ -e slow.ready ]] && break; sleep 0.1; done
	[[ -e slow.ready ]] || fail "slow client did not subscribe"
	python3 -c '
for i in range(100000): print("{\"user\":\"s%d\",\"amount\":1,\"seq\":0}" % i)' >many.ndjson
	expect 200 POST "/v1/topics/ev/records?acks=1" -H 'Content-Type: application/x-ndjson' --data-binary @many.ndjson
	wait "$SLOW" || fail "slow client: $(cat slow.out)"
	grep -q "closed by the server" slow.out || fail "slow client was not dropped"
	expect 200 GET /metrics
	grep -q '^eddy_http_sse_dropped_total [1-9]' out.json || fail "no drop counted"
	grep -q '^eddy_http_sse_clients 1$' out.json || fail "the fast SSE client was dropped too"
	ok=0
	for _ in $(seq 300); do grep -q '"user":"s99999"' sse.txt && { ok=1; break; }; sleep 0.1; done
	[[ $ok == 1 ]] || fail "the fast SSE client did not get the last change"
fi

step "shutdown"
kill -TERM "$SERVER"
for _ in $(seq 150); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER" 2>/dev/null && fail "server still running 15 s after SIGTERM"
rc=0; wait "$SERVER" || rc=$?
[[ $rc == 0 ]] || fail "server exit status $rc"
for _ in $(seq 50); do kill -0 "$SSE" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SSE" 2>/dev/null && fail "SSE client still connected after shutdown"
echo "PASS ($(($(date +%s) - T0)) s)"
