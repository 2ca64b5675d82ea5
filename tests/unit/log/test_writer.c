/* Unit tests for the log's writer (log/writer.h): Kafka's default
 * partitioner checked against hashes published by Kafka's own tests (not
 * computed by our murmur2), records of one key staying in one partition in
 * order, keyless records going round robin, batch limits,
 * offsets reported by the append callback, and appends of writer-built
 * batches reading back as valid batches. */
#include "log_test_util.h"

#include "log/writer.h"

/* Java's Utils.murmur2 of these strings, from Kafka's UtilsTest (signed). */
static const struct {
	const char *key;
	int32_t h;
} kafka_vectors[] = {
	{"21", -973932308},
	{"foobar", -790332482},
	{"a-little-bit-long-string", -985981536},
	{"a-little-bit-longer-string", -1486304829},
	{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
	{"abc", 479470107},
};

static void test_key_partition(void **state)
{
	(void)state;
	static const int32_t counts[] = {1, 2, 3, 7, 12, 100};
	for (size_t i = 0; i < sizeof kafka_vectors / sizeof kafka_vectors[0]; i++) {
		/* Utils.toPositive(h) % n, done here from the published hash */
		uint32_t pos = (uint32_t)kafka_vectors[i].h & 0x7fffffffu;
		for (size_t j = 0; j < sizeof counts / sizeof counts[0]; j++) {
			int32_t want = (int32_t)(pos % (uint32_t)counts[j]);
			const char *k = kafka_vectors[i].key;
			assert_int_equal(ed_log_key_partition(k, (int32_t)strlen(k), counts[j]),
					 want);
		}
	}
	/* An empty key is a key (murmur2 of nothing), not a null key. */
	assert_true(ed_log_key_partition("", 0, 1) == 0);
}

struct seen {
	int calls;
	int32_t count[8];
	int64_t last[8];
};

static void on_append(void *arg, int32_t part, const struct ed_append_result *res, int32_t count)
{
	struct seen *s = arg;
	s->calls++;
	assert_int_equal(res->last_offset - res->base_offset + 1, count);
	s->count[part] += count;
	s->last[part] = res->last_offset;
}

static void test_writer_places_and_appends(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "w", 4, NULL);
	struct ed_topic *t = ed_log_topic_get(log, "w");
	struct ed_log_writer w;
	struct seen seen = {0};
	char err[256] = "";
	assert_int_equal(ed_log_writer_init(&w, t, ED_CODEC_NONE, 0, 0), 0);
	w.cb = on_append;
	w.cb_arg = &seen;
	/* keyed: each vector key to its Kafka partition, twice, in order */
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof kafka_vectors / sizeof kafka_vectors[0]; i++) {
			const char *k = kafka_vectors[i].key;
			char v[80];
			int vl = snprintf(v, sizeof v, "%s#%d", k, round);
			int32_t placed = -1;
			assert_int_equal(ed_log_writer_add(&w, -1, 1000 + round, k,
							   (int32_t)strlen(k), v, vl, NULL, 0,
							   &placed, err, sizeof err),
					 0);
			assert_int_equal(placed,
					 (int32_t)(((uint32_t)kafka_vectors[i].h & 0x7fffffffu) % 4));
		}
	assert_int_equal(seen.calls, 0); /* nothing appended before a flush */
	assert_int_equal(ed_log_writer_flush(&w, err, sizeof err), 0);
	int total = 0;
	for (int32_t p = 0; p < 4; p++) {
		struct t_rec *recs = NULL;
		size_t n = t_read_all(ed_topic_partition(t, p), 0, 1 << 20, &recs);
		assert_int_equal((int)n, seen.count[p]);
		assert_int_equal(ed_partition_hwm(ed_topic_partition(t, p)),
				 w.parts[p].next < 0 ? 0 : w.parts[p].next);
		for (size_t r = 0; r < n; r++) {
			int32_t want = ed_log_key_partition(recs[r].key,
							    (int32_t)strlen(recs[r].key), 4);
			assert_int_equal(want, p);
			/* both rounds of a key, round 0 first */
			char tail[8];
			snprintf(tail, sizeof tail, "#%d", (int)(recs[r].ts - 1000));
			assert_non_null(strstr(recs[r].value, tail));
			for (size_t q = r + 1; q < n; q++)
				if (!strcmp(recs[q].key, recs[r].key))
					assert_true(recs[q].ts > recs[r].ts);
		}
		total += (int)n;
		free(recs);
	}
	assert_int_equal(total, 12);
	ed_log_writer_fini(&w);
	ed_topic_unref(t);
	ed_log_close(log);
	t_rmdir(dir);
}

static void test_writer_keyless_and_limits(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "s", 3, NULL);
	struct ed_topic *t = ed_log_topic_get(log, "s");
	struct ed_log_writer w;
	struct seen seen = {0};
	char err[256] = "", v[100];
	memset(v, 'x', sizeof v);
	assert_int_equal(ed_log_writer_init(&w, t, ED_CODEC_NONE, 0, 1), 0);
	w.cb = on_append;
	w.cb_arg = &seen;
	/* keyless records go round robin from rr_start (1) */
	for (int i = 0; i < 10; i++) {
		int32_t placed;
		assert_int_equal(ed_log_writer_add(&w, -1, i, NULL, -1, v, sizeof v, NULL, 0,
						   &placed, err, sizeof err),
				 0);
		assert_int_equal(placed, (1 + i) % 3);
	}
	assert_int_equal(ed_log_writer_flush(&w, err, sizeof err), 0);
	assert_int_equal(seen.count[0], 3);
	assert_int_equal(seen.count[1], 4);
	assert_int_equal(seen.count[2], 3);
	memset(&seen, 0, sizeof seen);
	/* max_records: 25 records to partition 0 in batches of 10 */
	w.max_records = 10;
	seen.calls = 0;
	for (int i = 0; i < 25; i++)
		assert_int_equal(ed_log_writer_add(&w, 0, i, "k", 1, v, sizeof v, NULL, 0, NULL,
						   err, sizeof err),
				 0);
	assert_int_equal(seen.calls, 2); /* two full batches appended by add */
	assert_int_equal(ed_log_writer_flush(&w, err, sizeof err), 0);
	assert_int_equal(seen.calls, 3);
	assert_int_equal(seen.count[0], 25);
	assert_int_equal(ed_partition_hwm(ed_topic_partition(t, 0)), 3 + 25);
	/* max_batch: batches stay under it */
	w.max_records = 0;
	w.max_batch = 1000;
	int64_t from[3];
	for (int32_t p = 0; p < 3; p++)
		from[p] = ed_partition_hwm(ed_topic_partition(t, p));
	for (int i = 0; i < 30; i++)
		assert_int_equal(ed_log_writer_add(&w, -1, i, NULL, -1, v, sizeof v, NULL, 0, NULL,
						   err, sizeof err),
				 0);
	assert_int_equal(ed_log_writer_flush(&w, err, sizeof err), 0);
	for (int32_t p = 0; p < 3; p++) {
		struct ed_buf b;
		ed_buf_init(&b);
		struct ed_partition *part = ed_topic_partition(t, p);
		for (int64_t off = from[p]; off < ed_partition_hwm(part);) {
			ed_buf_reset(&b);
			assert_int_equal(ed_partition_read(part, off, 1, &b), 0);
			struct ed_batch_info bi;
			assert_int_equal(ed_batch_validate(b.data, b.len, 0, &bi, err, sizeof err),
					 0);
			assert_true(bi.size <= 1000);
			off = ed_batch_last_offset(&bi) + 1;
		}
		ed_buf_fini(&b);
	}
	/* a partition outside the topic */
	assert_int_equal(ed_log_writer_add(&w, 3, 0, NULL, -1, v, 1, NULL, 0, NULL, err, sizeof err),
			 ED_ERANGE);
	ed_log_writer_fini(&w);
	ed_topic_unref(t);
	ed_log_close(log);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_partition),
		cmocka_unit_test(test_writer_places_and_appends),
		cmocka_unit_test(test_writer_keyless_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
