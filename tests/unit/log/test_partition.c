/* Unit tests for the partition read/write path (src/log/partition.c,
 * segment.c): append and read back, hwm and range errors, reads from the
 * middle of a batch and with small max_bytes, offset_for_time across
 * segments, roll by size and age, LogAppendTime, bad batches, reopen after a
 * clean close and after an unclean exit (forked child), and sync. */
#include <sys/wait.h>

#include "log_test_util.h"

static void test_append_read(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "t", 2, NULL);
	struct ed_topic *topic = ed_log_topic_get(log, "t");
	assert_non_null(topic);
	assert_int_equal(ed_topic_partition_count(topic), 2);
	struct ed_partition *part = ed_topic_partition(topic, 1);
	assert_non_null(part);
	assert_null(ed_topic_partition(topic, 2));
	assert_int_equal(ed_partition_index(part), 1);
	assert_int_equal(ed_partition_hwm(part), 0);

	struct ed_buf buf;
	ed_buf_init(&buf);
	assert_int_equal(ed_partition_read(part, 0, 1 << 20, &buf), 0);
	assert_int_equal(buf.len, 0);
	assert_int_equal(ed_partition_read(part, 1, 1 << 20, &buf), ED_ERANGE);

	for (int i = 0; i < 10; i++)
		assert_int_equal(t_append(part, 5, i * 5, 20, 1000 + i * 5), i * 5);
	assert_int_equal(ed_partition_hwm(part), 50);
	assert_int_equal(ed_partition_start_offset(part), 0);

	struct ed_partition_stats st;
	ed_partition_stats(part, &st);
	assert_int_equal(st.records_in, 50);
	assert_true(st.bytes_in > 50 * 20);
	assert_int_equal(st.records_out, 0);

	struct t_rec *recs;
	size_t n = t_read_all(part, 0, 1 << 20, &recs);
	assert_int_equal(n, 50);
	/* Reads count what they return: every record and batch byte once. */
	ed_partition_stats(part, &st);
	assert_int_equal(st.records_out, 50);
	assert_int_equal(st.bytes_out, st.bytes_in);
	for (size_t i = 0; i < n; i++) {
		char k[32];
		snprintf(k, sizeof k, "k%zu", i);
		assert_int_equal(recs[i].offset, (int64_t)i);
		assert_string_equal(recs[i].key, k);
		assert_int_equal(recs[i].ts, 1000 + (int64_t)i);
	}
	free(recs);

	/* From the middle of a batch: the whole containing batch comes back. */
	ed_buf_reset(&buf);
	assert_int_equal(ed_partition_read(part, 7, 1, &buf), 0);
	struct ed_batch_info bi;
	assert_int_equal(ed_batch_validate(buf.data, buf.len, 0, &bi, NULL, 0), 0);
	assert_int_equal(bi.base_offset, 5);
	assert_int_equal(buf.len, (size_t)bi.size); /* max_bytes 1: exactly one batch */
	/* Small reads walk everything too. */
	n = t_read_all(part, 3, 1, &recs);
	assert_int_equal(n, 47);
	assert_int_equal(recs[0].offset, 3);
	free(recs);

	ed_buf_reset(&buf);
	assert_int_equal(ed_partition_read(part, 50, 100, &buf), 0);
	assert_int_equal(buf.len, 0);
	assert_int_equal(ed_partition_read(part, 51, 100, &buf), ED_ERANGE);
	assert_int_equal(ed_partition_read(part, -1, 100, &buf), ED_ERANGE);
	ed_buf_fini(&buf);

	/* The other partition is independent. */
	assert_int_equal(ed_partition_hwm(ed_topic_partition(topic, 0)), 0);
	assert_int_equal(ed_partition_sync(part, 50), 0);
	assert_true(ed_log_fsync_count(log) >= 1);
	assert_false(ed_partition_failed(part));
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

static void test_bad_batches(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "t", 1, (const char *const[]){"max.message.bytes", "2000", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "t");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	uint8_t *b;
	char err[256];
	size_t len = t_batch(&b, 3, 0, 0, 10, 1, ED_CODEC_NONE);
	b[len - 1] ^= 1;
	assert_int_equal(ed_partition_append(part, b, len, NULL, err, sizeof err), ED_ECORRUPT);
	b[len - 1] ^= 1;
	assert_int_equal(ed_partition_append(part, b, len - 1, NULL, err, sizeof err), ED_ECORRUPT);
	assert_int_equal(ed_partition_append(part, b, 5, NULL, err, sizeof err), ED_ECORRUPT);
	uint8_t *two = malloc(len * 2);
	memcpy(two, b, len);
	memcpy(two + len, b, len);
	assert_int_equal(ed_partition_append(part, two, len * 2, NULL, err, sizeof err), ED_ECORRUPT);
	free(two);
	free(b);
	len = t_batch(&b, 30, 0, 0, 100, 1, ED_CODEC_NONE);
	assert_int_equal(ed_partition_append(part, b, len, NULL, err, sizeof err), ED_ETOOBIG);
	free(b);
	assert_int_equal(ed_partition_hwm(part), 0);
	assert_int_equal(t_append(part, 1, 0, 1, 5), 0);
	assert_int_equal(ed_partition_hwm(part), 1);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

static void test_roll_and_reopen(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "r", 1,
		 (const char *const[]){"segment.bytes", "4096", "index.interval.bytes", "256", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "r");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	for (int i = 0; i < 200; i++)
		t_append(part, 3, i * 3, 50, 10000 + i * 3);
	assert_int_equal(ed_partition_hwm(part), 600);
	int32_t segs = ed_partition_segment_count(part);
	assert_true(segs > 10);
	int64_t size = ed_partition_size(part);
	struct t_rec *recs;
	assert_int_equal(t_read_all(part, 0, 1000, &recs), 600);
	free(recs);
	/* Offset for time across segments: exact, in gaps, before and after. */
	int64_t off;
	assert_int_equal(ed_partition_offset_for_time(part, 0, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(ed_partition_offset_for_time(part, 10000 + 377, &off), 0);
	assert_int_equal(off, 377);
	int64_t found_ts = -1;
	assert_int_equal(ed_partition_lookup_time(part, 10000 + 376, &off, &found_ts), 0);
	assert_int_equal(off, 376);
	assert_int_equal(found_ts, 10000 + 376);
	assert_int_equal(ed_partition_offset_for_time(part, 10000 + 599, &off), 0);
	assert_int_equal(off, 599);
	assert_int_equal(ed_partition_offset_for_time(part, 10000 + 600, &off), ED_ENOENT);
	ed_topic_unref(topic);
	ed_log_close(log);

	/* Clean reopen: same data, same offsets, indexes loaded from files. */
	log = t_open(dir);
	topic = ed_log_topic_get(log, "r");
	part = ed_topic_partition(topic, 0);
	assert_int_equal(ed_partition_hwm(part), 600);
	assert_int_equal(ed_partition_segment_count(part), segs);
	assert_int_equal(ed_partition_size(part), size);
	for (int64_t t = 9990; t < 10610; t += 7) {
		int rc = ed_partition_offset_for_time(part, t, &off);
		if (t >= 10600) {
			assert_int_equal(rc, ED_ENOENT);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(off, t < 10000 ? 0 : t - 10000);
		}
	}
	assert_int_equal(t_append(part, 2, 600, 10, 20000), 600);
	size_t n = t_read_all(part, 0, 4096, &recs);
	assert_int_equal(n, 602);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(recs[i].offset, (int64_t)i);
	free(recs);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

static void test_roll_by_age(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "a", 1, (const char *const[]){"segment.ms", "60000", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "a");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	int64_t now = ed_wall_ms();
	t_append(part, 2, 0, 10, now); /* recent: retention must not delete it */
	assert_int_equal(ed_log_maintain(log, now), 0);
	assert_int_equal(ed_partition_segment_count(part), 1);
	assert_int_equal(ed_log_maintain(log, now + 61000), 0);
	assert_int_equal(ed_partition_segment_count(part), 2);
	/* An empty active segment is not rolled again. */
	assert_int_equal(ed_log_maintain(log, now + 200000), 0);
	assert_int_equal(ed_partition_segment_count(part), 2);
	assert_int_equal(t_append(part, 1, 2, 10, now), 2);
	struct t_rec *recs;
	assert_int_equal(t_read_all(part, 0, 100, &recs), 3);
	free(recs);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

static void test_log_append_time(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "lat", 1,
		 (const char *const[]){"message.timestamp.type", "LogAppendTime", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "lat");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	uint8_t *b;
	size_t len = t_batch(&b, 3, 0, 0, 10, 5, ED_CODEC_NONE);
	struct ed_append_result res;
	int64_t before = ed_wall_ms();
	assert_int_equal(ed_partition_append(part, b, len, &res, NULL, 0), 0);
	free(b);
	assert_true(res.log_append_time >= before);
	struct ed_buf buf;
	ed_buf_init(&buf);
	assert_int_equal(ed_partition_read(part, 0, 1000, &buf), 0);
	struct ed_batch_info bi;
	assert_int_equal(ed_batch_validate(buf.data, buf.len, 0, &bi, NULL, 0), 0);
	assert_true(bi.attributes & ED_BATCH_ATTR_LOG_APPEND_TIME);
	assert_int_equal(bi.max_timestamp, res.log_append_time);
	ed_buf_fini(&buf);
	int64_t off;
	assert_int_equal(ed_partition_offset_for_time(part, before, &off), 0);
	assert_int_equal(off, 0);
	/* The found record's timestamp is the append time, not the query's. */
	int64_t found_ts = -1;
	assert_int_equal(ed_partition_lookup_time(part, before - 5000, &off, &found_ts), 0);
	assert_int_equal(off, 0);
	assert_int_equal(found_ts, res.log_append_time);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

static void test_compressed_offset_for_time(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "z", 1, NULL);
	struct ed_topic *topic = ed_log_topic_get(log, "z");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	uint8_t *b;
	size_t len = t_batch(&b, 50, 0, 0, 40, 100, ED_CODEC_ZSTD);
	assert_int_equal(ed_partition_append(part, b, len, NULL, NULL, 0), 0);
	free(b);
	int64_t off;
	assert_int_equal(ed_partition_offset_for_time(part, 130, &off), 0);
	assert_int_equal(off, 30);
	struct t_rec *recs;
	assert_int_equal(t_read_all(part, 0, 10, &recs), 50);
	free(recs);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

/* A child appends and syncs, then exits without closing (like kill -9:
 * the page cache survives, no clean-shutdown marker, no index files). */
static void test_unclean_reopen(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "u", 1,
		 (const char *const[]){"segment.bytes", "8192", "index.interval.bytes", "512", NULL});
	ed_log_close(log);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ed_log *l = NULL;
		if (ed_log_open(dir, NULL, &l, NULL, 0))
			_exit(2);
		struct ed_topic *t = ed_log_topic_get(l, "u");
		struct ed_partition *p = ed_topic_partition(t, 0);
		for (int i = 0; i < 300; i++) {
			uint8_t *b;
			size_t len = t_batch(&b, 2, i * 2, i * 2, 30, i, ED_CODEC_NONE);
			if (ed_partition_append(p, b, len, NULL, NULL, 0))
				_exit(3);
			free(b);
		}
		if (ed_partition_sync(p, 600))
			_exit(4);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	log = t_open(dir);
	struct ed_topic *topic = ed_log_topic_get(log, "u");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	assert_int_equal(ed_partition_hwm(part), 600);
	struct t_rec *recs;
	size_t n = t_read_all(part, 0, 3000, &recs);
	assert_int_equal(n, 600);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(recs[i].offset, (int64_t)i);
	free(recs);
	int64_t off;
	/* Batch i holds timestamps i and i+1: ts 250 first appears at 2*249+1. */
	assert_int_equal(ed_partition_offset_for_time(part, 250, &off), 0);
	assert_int_equal(off, 499);
	assert_int_equal(t_append(part, 1, 0, 10, 1), 600);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

static void test_flush_always_and_async(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "f", 1, (const char *const[]){"eddy.flush.policy", "always", NULL});
	t_create(log, "n", 1, (const char *const[]){"eddy.flush.policy", "never", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "f");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	uint64_t before = ed_log_fsync_count(log);
	t_append(part, 1, 0, 10, 1);
	assert_true(ed_log_fsync_count(log) > before);
	ed_topic_unref(topic);

	topic = ed_log_topic_get(log, "n");
	part = ed_topic_partition(topic, 0);
	before = ed_log_fsync_count(log);
	t_append(part, 1, 0, 10, 1);
	assert_int_equal(ed_partition_sync(part, 1), 0);
	assert_int_equal(ed_log_fsync_count(log), before);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_read),
		cmocka_unit_test(test_bad_batches),
		cmocka_unit_test(test_roll_and_reopen),
		cmocka_unit_test(test_roll_by_age),
		cmocka_unit_test(test_log_append_time),
		cmocka_unit_test(test_compressed_offset_for_time),
		cmocka_unit_test(test_unclean_reopen),
		cmocka_unit_test(test_flush_always_and_async),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
