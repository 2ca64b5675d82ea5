/* Retention and compaction (src/log/retention.c, compact.c): deletion of
 * whole closed segments by time and by size with the start offset
 * advancing; compaction keeping the latest record per key, removing
 * tombstones only after delete.retention.ms, never changing offsets or
 * order, rewriting compressed batches, surviving reopen; and a topic deleted
 * while a handle is still held. */
#include "log_test_util.h"

static int64_t active_base(struct ed_partition *part)
{
	struct ed_segment **segs;
	size_t n;
	assert_int_equal(ed_partition_segs_snapshot(part, &segs, &n), 0);
	int64_t b = segs[n - 1]->base_offset;
	ed_segs_release(segs, n);
	return b;
}

static void test_retention_by_time(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "rt", 1,
		 (const char *const[]){"segment.bytes", "4096", "retention.ms", "60000", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "rt");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	int64_t now = ed_wall_ms();
	for (int i = 0; i < 100; i++)
		t_append(part, 2, i * 2, 60, now - 3600 * 1000 + i); /* an hour old */
	int64_t old_end = ed_partition_hwm(part);
	for (int i = 100; i < 200; i++)
		t_append(part, 2, i * 2, 60, now);
	int32_t segs = ed_partition_segment_count(part);
	assert_int_equal(ed_log_maintain(log, now), 0);
	int64_t start = ed_partition_start_offset(part);
	assert_true(ed_partition_segment_count(part) < segs);
	assert_true(start > 0);
	assert_true(start <= old_end); /* the segment holding the boundary stays */
	struct ed_buf buf;
	ed_buf_init(&buf);
	assert_int_equal(ed_partition_read(part, start - 1, 100, &buf), ED_ERANGE);
	ed_buf_fini(&buf);
	struct t_rec *recs;
	assert_int_equal(t_read_all(part, start, 1000, &recs), (size_t)(400 - start));
	free(recs);
	int64_t off;
	assert_int_equal(ed_partition_offset_for_time(part, 0, &off), 0);
	assert_int_equal(off, start);
	/* Everything expired: only the active segment remains. */
	assert_int_equal(ed_log_maintain(log, now + 3600 * 1000), 0);
	assert_int_equal(ed_partition_segment_count(part), 1);
	assert_int_equal(ed_partition_start_offset(part), active_base(part));
	ed_topic_unref(topic);
	ed_log_close(log);

	log = t_open(dir);
	topic = ed_log_topic_get(log, "rt");
	part = ed_topic_partition(topic, 0);
	assert_int_equal(ed_partition_hwm(part), 400);
	assert_int_equal(ed_partition_start_offset(part), active_base(part));
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

static void test_retention_by_size(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "rs", 1,
		 (const char *const[]){"segment.bytes", "4096", "retention.bytes", "10000", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "rs");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	int64_t now = ed_wall_ms();
	for (int i = 0; i < 300; i++)
		t_append(part, 2, i * 2, 60, now);
	assert_true(ed_partition_size(part) > 30000);
	assert_int_equal(ed_log_maintain(log, now), 0);
	int64_t size = ed_partition_size(part);
	assert_true(size >= 10000);
	assert_true(size < 10000 + 4096 + 4096);
	int64_t start = ed_partition_start_offset(part);
	assert_true(start > 0);
	struct t_rec *recs;
	size_t n = t_read_all(part, start, 1 << 20, &recs);
	assert_int_equal(n, (size_t)(600 - start));
	assert_int_equal(recs[0].offset, start);
	free(recs);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

/* ---- compaction ---- */

struct appended {
	int64_t offset;
	char key[16];
	char value[16];
	bool tombstone;
	int64_t ts;
};

static void test_compaction(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "c", 1,
		 (const char *const[]){"segment.bytes", "4096", "cleanup.policy", "compact",
				       "delete.retention.ms", "60000", "index.interval.bytes",
				       "200", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "c");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	int64_t now = ed_wall_ms();
	struct appended *app = calloc(2000, sizeof *app);
	size_t napp = 0;
	for (int round = 0; round < 60; round++) {
		if (round % 10 == 5) {
			/* A compressed batch with several keys at once. */
			struct ed_batch_builder bb;
			uint8_t *p;
			size_t len;
			ed_batch_builder_init(&bb, ED_CODEC_ZSTD);
			for (int k = 0; k < 4; k++) {
				char key[16], val[16];
				snprintf(key, sizeof key, "key%d", k);
				snprintf(val, sizeof val, "z%d", round);
				assert_int_equal(ed_batch_builder_add(&bb, now, key,
								      (int32_t)strlen(key), val,
								      (int32_t)strlen(val), NULL, 0),
						 0);
				struct appended *a = &app[napp++];
				a->offset = ed_partition_hwm(part) + k;
				snprintf(a->key, sizeof a->key, "%s", key);
				snprintf(a->value, sizeof a->value, "%s", val);
				a->ts = now;
			}
			assert_int_equal(ed_batch_builder_finish(&bb, &p, &len), 0);
			assert_int_equal(ed_partition_append(part, p, len, NULL, NULL, 0), 0);
			ed_batch_builder_fini(&bb);
			continue;
		}
		for (int k = 0; k < 8; k++) {
			char key[16], val[80];
			snprintf(key, sizeof key, "key%d", k);
			snprintf(val, sizeof val, "r%d-padding-padding-padding-padding-padding",
				 round);
			bool tomb = (k == 2 && round == 20) || (k == 3 && round == 21);
			int64_t ts = tomb && k == 2 ? now - 3600 * 1000 : now;
			uint8_t *b;
			size_t len = t_batch_kv(&b, key, tomb ? NULL : val, ts);
			struct ed_append_result res;
			assert_int_equal(ed_partition_append(part, b, len, &res, NULL, 0), 0);
			free(b);
			struct appended *a = &app[napp++];
			a->offset = res.base_offset;
			snprintf(a->key, sizeof a->key, "%s", key);
			snprintf(a->value, sizeof a->value, "%.15s", val);
			a->tombstone = tomb;
			a->ts = ts;
		}
		if (round == 22)
			break; /* keys 2 and 3 end as tombstones in closed segments */
	}
	/* Keys 4-7 keep being written afterwards so the tombstones get closed. */
	for (int round = 23; round < 40; round++) {
		for (int k = 4; k < 8; k++) {
			char key[16], val[80];
			snprintf(key, sizeof key, "key%d", k);
			snprintf(val, sizeof val, "r%d-padding-padding-padding-padding-padding",
				 round);
			uint8_t *b;
			size_t len = t_batch_kv(&b, key, val, now);
			struct ed_append_result res;
			assert_int_equal(ed_partition_append(part, b, len, &res, NULL, 0), 0);
			free(b);
			struct appended *a = &app[napp++];
			a->offset = res.base_offset;
			snprintf(a->key, sizeof a->key, "%s", key);
			snprintf(a->value, sizeof a->value, "%.15s", val);
			a->ts = now;
		}
	}
	int64_t hwm = ed_partition_hwm(part);
	int64_t size_before = ed_partition_size(part);
	assert_int_equal(ed_log_maintain(log, now), 0);
	int64_t act = active_base(part);
	assert_true(act > 0);
	assert_int_equal(ed_partition_hwm(part), hwm);
	assert_true(ed_partition_size(part) < size_before);

	/* The expected survivors for a given "now". */
	for (int pass = 0; pass < 3; pass++) {
		int64_t at = pass == 0 ? now : now + 120000;
		bool *keep = calloc(napp, sizeof *keep);
		size_t nkeep = 0;
		for (size_t i = 0; i < napp; i++) {
			if (app[i].offset >= act) {
				keep[i] = true;
			} else {
				keep[i] = true;
				for (size_t j = i + 1; j < napp; j++)
					if (app[j].offset < act && strcmp(app[j].key, app[i].key) == 0)
						keep[i] = false;
				if (keep[i] && app[i].tombstone && app[i].ts < at - 60000)
					keep[i] = false;
			}
			nkeep += keep[i];
		}
		struct t_rec *recs;
		size_t n = t_read_all(part, 0, pass == 1 ? 1 : 1 << 20, &recs);
		assert_int_equal(n, nkeep);
		size_t r = 0;
		for (size_t i = 0; i < napp; i++) {
			if (!keep[i])
				continue;
			assert_int_equal(recs[r].offset, app[i].offset);
			assert_string_equal(recs[r].key, app[i].key);
			assert_int_equal(recs[r].tombstone, app[i].tombstone);
			if (!app[i].tombstone)
				assert_memory_equal(recs[r].value, app[i].value,
						    strlen(app[i].value));
			r++;
		}
		free(recs);
		free(keep);
		if (pass == 0) {
			/* The old tombstone (key2) went; the recent one (key3) stays. */
			ed_topic_unref(topic);
			ed_log_close(log);
			log = t_open(dir);
			topic = ed_log_topic_get(log, "c");
			part = ed_topic_partition(topic, 0);
			assert_int_equal(ed_partition_hwm(part), hwm);
			assert_int_equal(ed_log_maintain(log, now), 0);
		} else if (pass == 1) {
			/* Later, the recent tombstone expires too. */
			assert_int_equal(ed_log_maintain(log, now + 120000), 0);
		}
	}
	/* Appends continue at the same offsets. */
	assert_int_equal(t_append(part, 1, 0, 5, now), hwm);
	free(app);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

static void test_delete_with_handle(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "d", 1, NULL);
	struct ed_topic *topic = ed_log_topic_get(log, "d");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	t_append(part, 3, 0, 10, 1);
	assert_int_equal(ed_log_topic_delete(log, "d"), 0);
	assert_int_equal(ed_log_topic_delete(log, "d"), ED_ENOENT);
	assert_null(ed_log_topic_get(log, "d"));
	struct ed_buf buf;
	ed_buf_init(&buf);
	assert_int_equal(ed_partition_read(part, 0, 100, &buf), ED_ENOENT);
	ed_buf_fini(&buf);
	uint8_t *b;
	size_t len = t_batch(&b, 1, 0, 0, 5, 1, ED_CODEC_NONE);
	assert_int_equal(ed_partition_append(part, b, len, NULL, NULL, 0), ED_ENOENT);
	free(b);
	ed_topic_unref(topic);
	/* Same name again: a fresh, empty topic. */
	t_create(log, "d", 1, NULL);
	topic = ed_log_topic_get(log, "d");
	assert_int_equal(ed_partition_hwm(ed_topic_partition(topic, 0)), 0);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retention_by_time),
		cmocka_unit_test(test_retention_by_size),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_delete_with_handle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
