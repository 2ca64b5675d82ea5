/* End-to-end tests of the streaming engine (src/engine/engine.c) over a real
 * log in a temporary directory: CREATE SOURCE over a topic, materialized
 * views with TUMBLE / HOP / SESSION windows and updating GROUP BY, events
 * appended with the batch builder (out of order, late, malformed), pull
 * queries (key lookup and scans with ORDER BY / LIMIT), sinks to topics,
 * EXPLAIN, statement errors with SQLSTATE, and a restart that reloads the
 * catalog and resumes every pipeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/io.h"
#include "engine/engine.h"
#include "log/batch.h"
#include "log/log.h"

static char dir[256];
static struct ed_log *lg;
static struct ed_engine *eng;
static struct ed_session *ses;
static int64_t fake_now;

static int64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void open_all(void)
{
	char err[256] = "";
	struct ed_log_options lo;
	ed_log_options_defaults(&lo);
	lo.defaults.flush_policy = ED_FLUSH_NEVER;
	assert_int_equal(ed_log_open(dir, &lo, &lg, err, sizeof(err)), 0);
	struct ed_engine_options eo;
	ed_engine_options_defaults(&eo);
	eo.clock_ms = fake_clock;
	eo.idle_timeout_ms = 1000;
	int rc = ed_engine_open(lg, &eo, &eng, err, sizeof(err));
	if (rc)
		fail_msg("engine open: %s", err);
	ses = ed_session_new(eng);
}

static void close_all(void)
{
	ed_session_free(ses);
	ed_engine_close(eng);
	ed_log_close(lg);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/eddy-engine-test-%d", (int)getpid());
	ed_io_remove_tree(dir);
	fake_now = 0;
	open_all();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close_all();
	ed_io_remove_tree(dir);
	return 0;
}

/* Results rendered as text lines "a|b|c" for comparison. */
static char out[65536];

static int collect(void *arg, const struct ed_result *r)
{
	(void)arg;
	size_t n = strlen(out);
	for (uint32_t i = 0; i < r->nrows; i++) {
		for (uint32_t c = 0; c < r->ncols; c++) {
			const struct ed_value *v = &r->rows[(size_t)i * r->ncols + c];
			struct ed_buf b;
			ed_buf_init(&b);
			if (v->null)
				ed_buf_append(&b, "NULL", 4);
			else
				ed_value_format(v, &b);
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s", c ? "|" : "",
					      (int)b.len, (char *)b.data);
			ed_buf_fini(&b);
		}
		n += (size_t)snprintf(out + n, sizeof(out) - n, "\n");
	}
	if (r->nrows == 0 && r->ncols == 0)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s\n", r->tag);
	return 0;
}

static const char *q(const char *sql)
{
	struct ed_sql_error err;
	out[0] = 0;
	int rc = ed_session_execute(ses, sql, strlen(sql), collect, NULL, &err);
	if (rc)
		fail_msg("%s\n  -> %s (pos %u) %s", sql, err.sqlstate, err.pos, err.msg);
	return out;
}

static void q_err(const char *sql, const char *sqlstate)
{
	struct ed_sql_error err;
	out[0] = 0;
	int rc = ed_session_execute(ses, sql, strlen(sql), collect, NULL, &err);
	if (rc == 0)
		fail_msg("expected %s from: %s", sqlstate, sql);
	if (strcmp(err.sqlstate, sqlstate) != 0)
		fail_msg("%s: expected %s, got %s %s", sql, sqlstate, err.sqlstate, err.msg);
}

static void produce(const char *topic, int32_t part, const char *const *values, size_t n)
{
	struct ed_topic *t = ed_log_topic_get(lg, topic);
	assert_non_null(t);
	struct ed_batch_builder bb;
	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ed_batch_builder_add(&bb, 0, NULL, -1, values[i],
						      (int32_t)strlen(values[i]), NULL, 0),
				 0);
	uint8_t *b;
	size_t len;
	assert_int_equal(ed_batch_builder_finish(&bb, &b, &len), 0);
	struct ed_append_result res;
	char err[128];
	assert_int_equal(ed_partition_append(ed_topic_partition(t, part), b, len, &res, err,
					     sizeof(err)),
			 0);
	ed_batch_builder_fini(&bb);
	ed_topic_unref(t);
}

static void settle(void)
{
	assert_int_equal(ed_engine_wait_idle(eng, 10000), 0);
}

#define EV(user, amount, ts) \
	"{\"user\":\"" user "\",\"amount\":" #amount ",\"ts\":\"2026-11-25T12:00:" ts "Z\"}"

static const char *SOURCE = "CREATE SOURCE bids (user TEXT, amount BIGINT, ts TIMESTAMP, "
			    "WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) "
			    "WITH (topic = 'bids', format = 'json', late.events.topic = 'bids_late', "
			    "dead.letter.topic = 'bids_dlq')";

static void test_tumble_end_to_end(void **state)
{
	(void)state;
	q(SOURCE);
	q("CREATE MATERIALIZED VIEW per_user AS SELECT user, window_start, window_end, COUNT(*) AS n, "
	  "SUM(amount) AS total FROM TUMBLE(bids, ts, INTERVAL '10' SECOND) GROUP BY user, window_start, window_end");
	static const char *const ev[] = {
		EV("a", 1, "01"),   EV("b", 5, "03"),
		EV("a", 2, "08"),   EV("a", 4, "05"), /* late: watermark is 08 - 2 = 06 */
		EV("b", 6, "07"),                     /* out of order, not late */
		EV("b", 7, "12"),                     /* watermark -> 10: window [0,10) closes */
		EV("a", 100, "02"),                   /* late: behind the watermark */
		"{not json",        EV("a", 3, "15"),
	};
	produce("bids", 0, ev, sizeof(ev) / sizeof(ev[0]));
	settle();
	q("SELECT user, n, total FROM per_user ORDER BY user");
	assert_string_equal(out, "a|2|3\nb|2|11\n");
	/* Key lookup (index) and a scan agree. */
	q("SELECT total FROM per_user WHERE user = 'a' AND window_start = TIMESTAMP '2026-11-25 12:00:00' "
	  "AND window_end = TIMESTAMP '2026-11-25 12:00:10'");
	assert_string_equal(out, "3\n");
	q("EXPLAIN SELECT total FROM per_user WHERE user = 'a' AND window_start = TIMESTAMP '2026-11-25 12:00:00' "
	  "AND window_end = TIMESTAMP '2026-11-25 12:00:10'");
	assert_non_null(strstr(out, "Index lookup"));
	q("SHOW SOURCES");
	assert_non_null(strstr(out, "bids|bids|json|9|2|1|"));
	/* The late event went to the late topic, the bad one to the DLQ. */
	struct ed_topic *t = ed_log_topic_get(lg, "bids_late");
	assert_non_null(t);
	assert_int_equal(ed_partition_hwm(ed_topic_partition(t, 0)), 2);
	ed_topic_unref(t);
	t = ed_log_topic_get(lg, "bids_dlq");
	assert_int_equal(ed_partition_hwm(ed_topic_partition(t, 0)), 1);
	ed_topic_unref(t);
	/* Idle partition: nothing more arrives; after the idle timeout the
	 * watermark is the partition's own, window [10,20) still open. */
	fake_now += 5000;
	settle();
	q("SELECT user FROM per_user ORDER BY 1");
	assert_string_equal(out, "a\nb\n");
}

/* ed_engine_metrics as "name object value" lines. */
static char mbuf[8192];

static void on_metric(void *arg, const char *name, const char *object, double value)
{
	(void)arg;
	size_t n = strlen(mbuf);
	snprintf(mbuf + n, sizeof(mbuf) - n, "%s %s %.0f\n", name, object, value);
}

static double metric(const char *name, const char *object)
{
	char key[160];
	snprintf(key, sizeof(key), "%s %s ", name, object);
	const char *at = strstr(mbuf, key);
	if (!at)
		fail_msg("metric %s{%s} missing in:\n%s", name, object, mbuf);
	return atof(at + strlen(key));
}

/* Per-query throughput, late and dead-lettered records, event-time
 * progress and state size are all reported. */
static void test_metrics(void **state)
{
	(void)state;
	q(SOURCE);
	q("CREATE MATERIALIZED VIEW per_user AS SELECT user, window_start, window_end, COUNT(*) AS n "
	  "FROM TUMBLE(bids, ts, INTERVAL '10' SECOND) GROUP BY user, window_start, window_end");
	q("CREATE SINK totals AS SELECT user, SUM(amount) AS total FROM bids GROUP BY user WITH (topic = 'totals')");
	static const char *const ev[] = {
		EV("a", 1, "01"), EV("b", 5, "03"), EV("a", 2, "08"), EV("a", 4, "05"), /* late */
		"{not json",      EV("b", 7, "12"), /* closes [0,10) */
	};
	produce("bids", 0, ev, sizeof(ev) / sizeof(ev[0]));
	settle();
	mbuf[0] = 0;
	ed_engine_metrics(eng, on_metric, NULL);
	assert_true(metric("eddy_source_records_total", "bids") == 6);
	assert_true(metric("eddy_source_late_records_total", "bids") == 1);
	assert_true(metric("eddy_source_late_routed_total", "bids") == 1);
	assert_true(metric("eddy_source_bad_records_total", "bids") == 1);
	assert_true(metric("eddy_source_dead_lettered_total", "bids") == 1);
	/* 2026-11-25T12:00:12Z and the watermark 2 s behind it. */
	assert_true(metric("eddy_source_max_event_time_ms", "bids") == 1795608012000.0);
	assert_true(metric("eddy_source_watermark_ms", "bids") == 1795608010000.0);
	assert_true(metric("eddy_view_rows_in_total", "per_user") == 6);
	assert_true(metric("eddy_sink_rows_in_total", "totals") == 6);
	assert_true(metric("eddy_view_rows_out_total", "per_user") == 2); /* a and b of [0,10) */
	assert_true(metric("eddy_view_rows", "per_user") == 2);
	assert_true(metric("eddy_view_state_bytes", "per_user") > 0);
	assert_true(metric("eddy_view_agg_groups", "per_user") == 1); /* b of [10,20) is open */
	assert_true(metric("eddy_view_agg_state_bytes", "per_user") > 0);
	assert_true(metric("eddy_sink_agg_groups", "totals") == 2);
	assert_true(metric("eddy_sink_rows_out_total", "totals") >= 2);
}

/* One reader per source: with three views each source record is decoded
 * once (records_decoded == records). A view created later decodes the
 * records before the reader's position itself while it catches up, then
 * attaches: later records are again decoded once, and it agrees with the
 * view that was there from the start. */
static void test_shared_reader(void **state)
{
	(void)state;
	q(SOURCE);
	q("CREATE MATERIALIZED VIEW v1 AS SELECT user, COUNT(*) AS n FROM bids GROUP BY user");
	q("CREATE MATERIALIZED VIEW v2 AS SELECT user, window_end, SUM(amount) AS s "
	  "FROM TUMBLE(bids, ts, INTERVAL '10' SECOND) GROUP BY user, window_end");
	q("CREATE MATERIALIZED VIEW v3 AS SELECT user, amount FROM bids WHERE amount > 2");
	static const char *const ev[] = {EV("a", 1, "01"), EV("b", 5, "03"), EV("a", 2, "08"),
					 "{not json", EV("b", 7, "12")};
	produce("bids", 0, ev, sizeof(ev) / sizeof(ev[0]));
	settle();
	mbuf[0] = 0;
	ed_engine_metrics(eng, on_metric, NULL);
	assert_true(metric("eddy_source_records_total", "bids") == 5);
	assert_true(metric("eddy_source_records_decoded_total", "bids") == 5);
	assert_true(metric("eddy_view_rows_in_total", "v1") == 5);
	assert_true(metric("eddy_view_rows_in_total", "v3") == 5);

	q("CREATE MATERIALIZED VIEW v4 AS SELECT user, COUNT(*) AS n FROM bids GROUP BY user");
	settle();
	static const char *const ev2[] = {EV("a", 4, "13"), EV("c", 9, "14")};
	produce("bids", 0, ev2, 2);
	settle();
	mbuf[0] = 0;
	ed_engine_metrics(eng, on_metric, NULL);
	assert_true(metric("eddy_source_records_total", "bids") == 7);
	/* v4 decoded the first 5 itself; the last 2 once for all four views. */
	assert_true(metric("eddy_source_records_decoded_total", "bids") == 12);
	assert_true(metric("eddy_view_rows_in_total", "v4") == 7);
	assert_string_equal(q("SELECT * FROM v4 ORDER BY user"), "a|3\nb|2\nc|1\n");
	assert_string_equal(q("SELECT * FROM v1 ORDER BY user"), "a|3\nb|2\nc|1\n");
}

static void test_hop_session_updating(void **state)
{
	(void)state;
	q(SOURCE);
	q("CREATE MATERIALIZED VIEW hop AS SELECT window_start, COUNT(*) AS n, MAX(amount) AS mx "
	  "FROM HOP(bids, ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND) GROUP BY window_start");
	q("CREATE MATERIALIZED VIEW sess AS SELECT user, window_start, window_end, COUNT(*) AS n "
	  "FROM SESSION(bids, ts, INTERVAL '3' SECOND) GROUP BY user, window_start, window_end");
	q("CREATE MATERIALIZED VIEW totals AS SELECT user, SUM(amount) AS total, COUNT(*) AS n FROM bids GROUP BY user");
	q("CREATE SINK totals_out FROM totals WITH (topic = 'totals_out')");
	static const char *const ev[] = {
		EV("a", 1, "01"), EV("a", 2, "02"), EV("b", 9, "04"),
		EV("a", 3, "09"), EV("a", 4, "30"),
	};
	produce("bids", 0, ev, sizeof(ev) / sizeof(ev[0]));
	settle();
	q("SELECT * FROM hop ORDER BY window_start");
	assert_string_equal(out, "2026-11-25 11:59:55|3|9\n2026-11-25 12:00:00|4|9\n"
				 "2026-11-25 12:00:05|1|3\n");
	q("SELECT user, n, window_start, window_end FROM sess ORDER BY user, window_start");
	assert_string_equal(out, "a|2|2026-11-25 12:00:01|2026-11-25 12:00:05\n"
				 "a|1|2026-11-25 12:00:09|2026-11-25 12:00:12\n"
				 "b|1|2026-11-25 12:00:04|2026-11-25 12:00:07\n");
	q("SELECT * FROM totals ORDER BY total DESC LIMIT 1");
	assert_string_equal(out, "a|10|4\n");
	q("SELECT total FROM totals WHERE user = 'b'");
	assert_string_equal(out, "9\n");
	/* The sink got a changelog: inserts then update pairs. */
	struct ed_topic *t = ed_log_topic_get(lg, "totals_out");
	assert_non_null(t);
	assert_true(ed_partition_hwm(ed_topic_partition(t, 0)) >= 2);
	ed_topic_unref(t);
	q("EXPLAIN CREATE MATERIALIZED VIEW x AS SELECT user, COUNT(*) FROM TUMBLE(bids, ts, INTERVAL '1' MINUTE) "
	  "WHERE amount > 1 GROUP BY user, window_end HAVING COUNT(*) > 1");
	assert_non_null(strstr(out, "Tumble (ts, size 60s)"));
	assert_non_null(strstr(out, "Filter (HAVING)"));
}

static void test_errors_change_nothing(void **state)
{
	(void)state;
	q(SOURCE);
	q_err("CREATE MATERIALIZED VIEW v AS SELECT nope FROM bids", "42703");
	q_err("CREATE MATERIALIZED VIEW v AS SELECT user, amount FROM bids GROUP BY user", "42803");
	q_err("CREATE MATERIALIZED VIEW v AS SELECT * FROM missing", "42P01");
	q_err("SELECT * FROM bids", "42809");
	q_err(SOURCE, "42P07");
	q("CREATE SOURCE IF NOT EXISTS bids (x INT) WITH (topic = 'bids')");
	q("SHOW MATERIALIZED VIEWS");
	assert_string_equal(out, "");
	q("CREATE MATERIALIZED VIEW v AS SELECT user, COUNT(*) AS n FROM bids GROUP BY user");
	q_err("DROP SOURCE bids", "2BP01");
	q("DROP MATERIALIZED VIEW v");
	q("DROP MATERIALIZED VIEW IF EXISTS v");
	q("DROP SOURCE bids");
	q("SHOW SOURCES");
	assert_string_equal(out, "");
}

static void test_restart(void **state)
{
	(void)state;
	q(SOURCE);
	q("CREATE MATERIALIZED VIEW totals AS SELECT user, SUM(amount) AS total FROM bids GROUP BY user");
	static const char *const ev[] = {EV("a", 1, "01"), EV("b", 2, "02"), EV("a", 3, "03")};
	produce("bids", 0, ev, 3);
	settle();
	q("SELECT * FROM totals ORDER BY user");
	assert_string_equal(out, "a|4\nb|2\n");
	close_all();
	open_all();
	settle();
	q("SELECT * FROM totals ORDER BY user");
	assert_string_equal(out, "a|4\nb|2\n");
	produce("bids", 0, ev, 1);
	settle();
	q("SELECT total FROM totals WHERE user = 'a'");
	assert_string_equal(out, "5\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tumble_end_to_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hop_session_updating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
