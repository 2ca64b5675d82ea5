/* Backpressure: a sink whose topic writes are slow (every write delayed by
 * ed_io_delay) must slow its pipeline instead of letting the source run
 * ahead and buffer rows in memory. The test feeds a pass-through sink, then
 * samples how far the source's consumed records lead the sink's output while
 * the slow writes drain, and checks that lead stays within a few reads, that
 * memory stays bounded, and that every row arrives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/io.h"
#include "base/mem.h"
#include "engine/engine.h"
#include "log/batch.h"
#include "log/log.h"

#define N_ROWS 40000
#define READ_BYTES (64 * 1024)

static double source_records;

static void on_metric(void *arg, const char *name, const char *object, double value)
{
	(void)arg;
	if (strcmp(name, "eddy_source_records_total") == 0 && strcmp(object, "src") == 0)
		source_records = value;
}

static int64_t topic_end(struct ed_log *lg, const char *name)
{
	struct ed_topic *t = ed_log_topic_get(lg, name);
	if (!t)
		return 0;
	int64_t sum = 0;
	for (int32_t p = 0; p < ed_topic_partition_count(t); p++)
		sum += ed_partition_hwm(ed_topic_partition(t, p));
	ed_topic_unref(t);
	return sum;
}

static void run(struct ed_session *ses, const char *sql)
{
	struct ed_sql_error err;
	if (ed_session_execute(ses, sql, strlen(sql), NULL, NULL, &err))
		fail_msg("%s -> %s %s", sql, err.sqlstate, err.msg);
}

static void test_slow_sink_slows_its_pipeline(void **state)
{
	(void)state;
	char dir[128], err[256] = "";
	snprintf(dir, sizeof dir, "/tmp/eddy-backpressure-%d", (int)getpid());
	ed_io_remove_tree(dir);
	struct ed_log_options lo;
	ed_log_options_defaults(&lo);
	lo.defaults.flush_policy = ED_FLUSH_NEVER;
	struct ed_log *lg;
	assert_int_equal(ed_log_open(dir, &lo, &lg, err, sizeof err), 0);
	assert_int_equal(ed_log_topic_create(lg, "in", NULL, err, sizeof err), 0);

	/* The input first, at full speed. */
	struct ed_topic *in = ed_log_topic_get(lg, "in");
	struct ed_batch_builder bb;
	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	size_t bytes = 0;
	for (int i = 0; i < N_ROWS; i++) {
		char v[96];
		int n = snprintf(v, sizeof v, "{\"id\":%d,\"txt\":\"row-%d\"}", i, i);
		bytes += (size_t)n;
		assert_int_equal(ed_batch_builder_add(&bb, 0, NULL, -1, v, n, NULL, 0), 0);
		if (bb.count == 1000 || i == N_ROWS - 1) {
			uint8_t *b;
			size_t len;
			struct ed_append_result res;
			assert_int_equal(ed_batch_builder_finish(&bb, &b, &len), 0);
			assert_int_equal(ed_partition_append(ed_topic_partition(in, 0), b, len,
							     &res, err, sizeof err),
					 0);
			ed_batch_builder_reset(&bb);
		}
	}
	ed_batch_builder_fini(&bb);
	ed_topic_unref(in);

	/* Every write (the sink's appends) now takes 20 ms. */
	ed_io_delay(ED_IO_WRITE, 20000);
	size_t mem_base = ed_mem_in_use();
	struct ed_engine_options eo;
	ed_engine_options_defaults(&eo);
	eo.workers = 1;
	eo.read_bytes = READ_BYTES;
	eo.no_catalog = true;
	struct ed_engine *eng;
	assert_int_equal(ed_engine_open(lg, &eo, &eng, err, sizeof err), 0);
	struct ed_session *ses = ed_session_new(eng);
	run(ses, "CREATE SOURCE src (id BIGINT, txt TEXT) WITH (topic = 'in', format = 'json', "
		 "scan.startup.mode = 'earliest')");
	run(ses, "CREATE SINK copy AS SELECT id, txt FROM src WITH (topic = 'out', format = 'json')");

	/* While the slow sink drains, the source may lead it by what a few
	 * reads hold, not by the whole input. */
	double per_read = (double)READ_BYTES / ((double)bytes / N_ROWS);
	double max_lead = 0;
	size_t mem_peak = 0;
	int64_t deadline = ed_mono_ms() + 120000;
	int64_t out = 0;
	while ((out = topic_end(lg, "out")) < N_ROWS && ed_mono_ms() < deadline) {
		ed_engine_metrics(eng, on_metric, NULL);
		double lead = source_records - (double)out;
		if (lead > max_lead)
			max_lead = lead;
		if (ed_mem_in_use() > mem_peak)
			mem_peak = ed_mem_in_use();
		usleep(5000);
	}
	ed_io_delay(ED_IO_WRITE, 0);
	print_message("rows per read %.0f, max lead %.0f rows, peak extra memory %zu KiB\n",
		      per_read, max_lead, (mem_peak - mem_base) / 1024);
	assert_int_equal(out, N_ROWS); /* nothing lost */
	assert_true(max_lead <= 4 * per_read);
	assert_true(mem_peak - mem_base < 32u << 20);

	ed_session_free(ses);
	ed_engine_close(eng);
	ed_log_close(lg);
	ed_io_remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_sink_slows_its_pipeline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
