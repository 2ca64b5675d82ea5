#!/usr/bin/env bash
# Hostile HTTP clients: 40 connections each send a request head declaring a
# Content-Length just under --max-body-bytes and then nothing more. The body
# buffer must grow with the bytes that arrive, not with what the peer
# declared: eddy_memory_in_use_bytes stays small while they hold their
# connections, and the server keeps answering /healthz. (Before the fix each
# connection reserved its declared length: 40 x 30 MB = 1.2 GB.) Then an
# empty body to each POST endpoint is answered (it was a NULL pointer in
# memcpy: UBSan stopped the sanitizer build's server).
set -euo pipefail
EDDY=${EDDY:?EDDY must point to the eddy binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/hostile-http-XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
( sleep 60; kill -TERM $$ ) </dev/null >/dev/null 2>&1 & PIDS+=($!)
fail() { echo "FAIL: $*" >&2; tail -20 "$T/server.log" >&2 || true; exit 1; }

: >"$T/server.log"
"$EDDY" server --data-dir "$T/data" --bind 127.0.0.1 --kafka-port 0 --sql-port 0 --http-port 0 \
	--max-body-bytes 33554432 >"$T/server.log" 2>&1 & PIDS+=($!)
PORT=
for _ in $(seq 300); do # up to 30 s (sanitizer builds, loaded machines)
	PORT=$(sed -n 's/.*listening for HTTP clients on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.log")
	[ -n "$PORT" ] && break; sleep 0.1
done
[ -n "$PORT" ] || fail "server did not start"

python3 - "$PORT" <<'PY' || fail "hostile request bodies (see the line above)"
import socket, sys, time
port = int(sys.argv[1])
def get(path):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
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
base = mem()
held = []
for i in range(40):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /topics/t/records HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\nContent-Length: 30000000\r\n\r\n[")
    held.append(s)
time.sleep(0.5)
grown = mem() - base
print("memory in use grew by %d bytes with 40 bodies pending" % grown)
if not get(b"/healthz").startswith("HTTP/1.1 200"):
    raise SystemExit("healthz not answered")
if grown > 64 * 1024 * 1024:
    raise SystemExit("grew by %d bytes" % grown)
for s in held:
    s.close()
# an empty body on every POST endpoint is answered, and the server stays up
for path in (b"/v1/sql", b"/v1/topics/t/records"):
    for ctype in (b"application/json", b"text/plain"):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " + ctype +
                  b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        r = s.recv(100)
        s.close()
        if not r.startswith(b"HTTP/1.1 "):
            raise SystemExit("empty body to %s (%s): no answer" % (path, ctype))
if not get(b"/healthz").startswith("HTTP/1.1 200"):
    raise SystemExit("healthz not answered after empty bodies")
PY
echo "PASS"
