#!/usr/bin/env bash
# Independent comparison (issue 4's acceptance): N out-of-order JSON events
# (seeded) go to a 4-partition topic; the engine computes TUMBLE, HOP and
# SESSION aggregates (COUNT, SUM, MIN, MAX, AVG per key) in streaming
# (tests/integration/sql_compare.c, in-process over a real log); sqlite3
# computes the same aggregation in batch over the same events: it decides
# itself which events are late (behind their partition's max event time so
# far - 5 s), which must be exactly the events the engine routed to the late
# topic, and every window closed by the final watermark (computed the same
# way) must be equal over the others: n, sum, min, max exactly, avg within
# 1e-9 relative. The batch side (sql_compare_check.sql, sql_compare_lib.sh)
# is shared with test_sql_server_compare.sh, the same check through the
# running server.
#
#   N=1000000 SEED=7 bash tests/integration/test_sql_compare.sh   (acceptance run)
# Default N=200000 keeps `make test` under a minute.
set -euo pipefail
BUILD=${EDDY_BUILD:?EDDY_BUILD must point to the build directory}
DRIVER=$BUILD/it_sql_compare
[ -x "$DRIVER" ] || { echo "missing $DRIVER" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/sql_compare_lib.sh"
N=${N:-200000}
SEED=${SEED:-42}
T=$(mktemp -d "${TMPDIR:-/tmp}/sql-compare-XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/out"
start=$(date +%s.%N)
"$DRIVER" "$T/data" "$T/out" "$N" "$SEED"
rm -rf "$T/data"

status=0
sql_compare_check "$T/out" || status=1
end=$(date +%s.%N)
printf 'N=%s SEED=%s: %.1f s\n' "$N" "$SEED" "$(echo "$end - $start" | bc)"
exit $status
