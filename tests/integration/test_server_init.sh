#!/usr/bin/env bash
# eddy server --init: statements run at start, idempotent with IF NOT EXISTS
# across restarts, and a bad file stops the start with SQLSTATE and position.
set -euo pipefail
EDDY=${EDDY:?path of the eddy binary}
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$tmp/init.sql" <<'SQL'
CREATE SOURCE IF NOT EXISTS bids (auction BIGINT, price BIGINT, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (topic = 'bids', format = 'json');
CREATE MATERIALIZED VIEW IF NOT EXISTS per_auction AS
  SELECT auction, COUNT(*) AS n, SUM(price) AS total FROM bids GROUP BY auction;
SQL

start() { # start the server, wait for its listening line
  "$EDDY" server --data-dir "$tmp/data" --kafka-port 0 --sql-port 0 --http-port 0 --init "$tmp/init.sql" >"$tmp/log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grep -q "listening for Kafka" "$tmp/log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/log"; fail "server exited"; }
    sleep 0.1
  done
  fail "server did not start"
}
stop() { kill -TERM "$pid"; wait "$pid" || fail "server exit status"; pid=; }

start
grep -q "ran $tmp/init.sql" "$tmp/log" || fail "init file not run"
stop
grep -c "CREATE" "$tmp/data/catalog/catalog.sql" | grep -qx 2 || fail "catalog should hold 2 objects"
# Second start: IF NOT EXISTS keeps it idempotent, the catalog is unchanged.
start
stop
grep -c "CREATE" "$tmp/data/catalog/catalog.sql" | grep -qx 2 || fail "restart duplicated objects"

# A bad file: the server refuses to start and says where.
printf 'CREATE SOURCE oops (\n' > "$tmp/bad.sql"
if "$EDDY" server --data-dir "$tmp/data" --kafka-port 0 --sql-port 0 --http-port 0 --init "$tmp/bad.sql" >"$tmp/badlog" 2>&1; then
  fail "server started with a bad init file"
fi
grep -q "SQLSTATE 42601 at character" "$tmp/badlog" || { cat "$tmp/badlog"; fail "no SQLSTATE/position"; }
echo "1 passed, 0 failed"
