#!/usr/bin/env bash
# Hostile clients that pipeline requests and never read the answers: 4 HTTP
# connections sending GET /metrics, 4 PostgreSQL connections sending simple
# queries and 4 Kafka connections sending Metadata requests, as fast as the
# server takes them, for 3 s. The server must
# stop reading from a connection whose answers pile up (backpressure), not
# queue them without bound: eddy_memory_in_use_bytes stays under 64 MiB
# (before the fixes it passed 500 MiB within 3 s) and /healthz keeps answering.
# Then 5000 pipelined queries on one connection that does read all arrive.
set -euo pipefail
EDDY=${EDDY:?EDDY must point to the eddy binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/hostile-pipe-XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
( sleep 90; kill -TERM $$ ) </dev/null >/dev/null 2>&1 & PIDS+=($!)
fail() { echo "FAIL: $*" >&2; tail -20 "$T/server.log" >&2 || true; exit 1; }

: >"$T/server.log"
"$EDDY" server --data-dir "$T/data" --bind 127.0.0.1 --kafka-port 0 --sql-port 0 --http-port 0 \
	>"$T/server.log" 2>&1 & PIDS+=($!)
HTTP= SQL= KAFKA=
for _ in $(seq 300); do # up to 30 s (sanitizer builds, loaded machines)
	HTTP=$(sed -n 's/.*listening for HTTP clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.log")
	SQL=$(sed -n 's/.*listening for PostgreSQL clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.log")
	KAFKA=$(sed -n 's/.*listening for Kafka clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.log")
	[ -n "$HTTP" ] && [ -n "$SQL" ] && [ -n "$KAFKA" ] && break; sleep 0.1
done
[ -n "$HTTP" ] && [ -n "$SQL" ] && [ -n "$KAFKA" ] || fail "server did not start"

python3 - "$HTTP" "$SQL" "$KAFKA" <<'PY' || fail "answers to unread pipelined requests piled up"
import socket, struct, sys, threading, time
http, sql, kafka = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def get(path):
    s = socket.create_connection(("127.0.0.1", http), timeout=20)
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    d = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        d += c
    s.close()
    return d.decode(errors="replace")
def mem():
    for l in get(b"/metrics").splitlines():
        if l.startswith("eddy_memory_in_use_bytes "):
            return int(float(l.split()[1]))
    raise SystemExit("no eddy_memory_in_use_bytes in /metrics")
def pg_conn():
    s = socket.create_connection(("127.0.0.1", sql), timeout=20)
    b = struct.pack(">i", 196608) + b"user\0u\0\0"
    s.sendall(struct.pack(">i", len(b) + 4) + b)
    return s
q = b"SELECT 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\0"
pg_unit = (b"Q" + struct.pack(">i", len(q) + 4) + q) * 200
http_unit = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 50
# Metadata v1 for all topics (null array), client id "c"
meta = struct.pack(">hhih", 3, 1, 7, 1) + b"c" + struct.pack(">i", -1)
kafka_unit = (struct.pack(">i", len(meta)) + meta) * 200
conns = []
for i in range(4):
    conns.append([socket.create_connection(("127.0.0.1", http)), http_unit, 0])
    conns.append([pg_conn(), pg_unit, 0])
    conns.append([socket.create_connection(("127.0.0.1", kafka)), kafka_unit, 0])
for e in conns:
    e[0].setblocking(False)
base = mem()
t0 = time.time()
while time.time() - t0 < 3:
    for e in conns:
        s, u, o = e
        try:
            n = s.send(u[o:] + u)  # a stream of whole requests, resumed where it stopped
            e[2] = (o + n) % len(u)
        except BlockingIOError:
            pass
    time.sleep(0.001)
grown = mem() - base
print("memory in use grew by %d bytes" % grown)
if not get(b"/healthz").startswith("HTTP/1.1 200"):
    raise SystemExit("healthz not answered")
if grown > 64 * 1024 * 1024:
    raise SystemExit("grew by %d bytes" % grown)
for e in conns:
    e[0].close()
# backpressure must not lose answers: 5000 pipelined queries, all answered
N = 5000
s = pg_conn()
threading.Thread(target=lambda: s.sendall((b"Q" + struct.pack(">i", len(q) + 4) + q) * N),
                 daemon=True).start()
time.sleep(1)
done, buf = 0, b""
while done < N:
    c = s.recv(1 << 20)
    if not c:
        break
    buf += c
    i = 0
    while len(buf) - i >= 5:
        l = struct.unpack(">i", buf[i + 1:i + 5])[0]
        if len(buf) - i < l + 1:
            break
        done += buf[i:i + 1] == b"C"
        i += l + 1
    buf = buf[i:]
if done != N:
    raise SystemExit("%d of %d pipelined queries answered" % (done, N))
print("%d pipelined queries answered" % N)
PY
echo "PASS"
