# Shared by test_sql_compare.sh and test_sql_server_compare.sh (sourced, not
# a test itself): the batch side of the engine-vs-sqlite3 comparison.
#
# sql_compare_check DIR: runs sql_compare_check.sql with sqlite3 over the
# engine's CSVs in DIR (format in sql_compare.c), prints sqlite3's figures
# and an OK/FAIL line per check; returns 1 when anything differs: the final
# watermark, the set of late events, or any closed TUMBLE/HOP/SESSION window
# (n, sum, min, max exactly, avg within 1e-9 relative; no window on one side
# only; at least one window of each kind).
SQL_COMPARE_SQL=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/sql_compare_check.sql

sql_compare_check() {
	local dir=$1 result status=0 what a b c
	command -v sqlite3 >/dev/null || { echo "sqlite3 not installed" >&2; return 1; }
	rm -f "$dir/cmp.db"
	result=$(cd "$dir" && sqlite3 cmp.db <"$SQL_COMPARE_SQL") || return 1
	echo "$result"
	while read -r what a b c; do
		case $what in
		watermark) [ "$a" = "$b" ] || { echo "FAIL: watermark: sqlite $a, engine $b" >&2; status=1; } ;;
		late)
			if [ "$c" != 0 ] || [ "$a" != "$b" ]; then
				echo "FAIL: late events: batch $a, engine $b, $c differ" >&2; status=1
			else
				echo "OK: late: the same $a events late in both"
			fi ;;
		tumble|hop|session)
			if [ "$c" != 0 ] || [ "$a" != "$b" ] || [ "$a" = 0 ]; then
				echo "FAIL: $what: batch $a windows, engine $b, $c differ" >&2; status=1
			else
				echo "OK: $what: $a closed windows equal"
			fi ;;
		esac
	done <<<"$result"
	return $status
}
