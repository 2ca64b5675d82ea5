/* Randomized test of the partition against a simple in-memory model:
 * appends of random batches (sizes, codecs, timestamps going back and
 * forth), random segment sizes and rolls, random reads and timestamp
 * lookups, clean reopens, unclean reopens, and torn tails cut at random
 * bytes of the final segment. The seed comes from EDDY_SEED or the clock and
 * is printed first, so a failure can be replayed with EDDY_SEED=<seed>. */
#include <fcntl.h>
#include <time.h>

#include "base/diag.h"
#include "log_test_util.h"

#define MAX_RECS 200000

struct model {
	int64_t n;
	int32_t *key; /* key id at each offset */
	int64_t *ts;
	int16_t *vlen;
	int64_t *batch_end; /* offset after each batch, in order */
	size_t nbatch;
};

static unsigned seed;

static uint32_t rnd(void)
{
	/* xorshift32 on the global seed state */
	static uint32_t s;
	if (!s)
		s = seed ? seed : 1;
	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	return s;
}

static void make_value(char *out, int32_t key, int len)
{
	int n = snprintf(out, (size_t)len + 1, "v%d-", key);
	for (int i = n; i < len; i++)
		out[i] = (char)('a' + (key + i) % 26);
}

static void append_random(struct ed_partition *part, struct model *m)
{
	int cnt = 1 + (int)(rnd() % 20);
	int codec = rnd() % 5 == 0 ? ED_CODEC_LZ4 : (rnd() % 7 == 0 ? ED_CODEC_ZSTD : ED_CODEC_NONE);
	struct ed_batch_builder bb;
	char key[32], val[400];
	ed_batch_builder_init(&bb, codec);
	int64_t base_ts = 1000000 + (int64_t)(rnd() % 100000);
	for (int i = 0; i < cnt; i++) {
		int64_t o = m->n + i;
		m->key[o] = (int32_t)o;
		m->ts[o] = base_ts + (int64_t)(rnd() % 2000) - 1000;
		m->vlen[o] = (int16_t)(12 + rnd() % 300);
		int kl = snprintf(key, sizeof key, "k%d", m->key[o]);
		make_value(val, m->key[o], m->vlen[o]);
		assert_int_equal(ed_batch_builder_add(&bb, m->ts[o], key, kl, val, m->vlen[o], NULL,
						      0),
				 0);
	}
	uint8_t *p;
	size_t len;
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &len), 0);
	struct ed_append_result res;
	char err[256];
	int rc = ed_partition_append(part, p, len, &res, err, sizeof err);
	if (rc)
		fail_msg("seed %u: append: %s", seed, err);
	ed_batch_builder_fini(&bb);
	assert_int_equal(res.base_offset, m->n);
	m->n += cnt;
	m->batch_end[m->nbatch++] = m->n;
}

static void check_record(const struct model *m, const struct t_rec *r)
{
	char k[32], v[400];
	assert_true(r->offset >= 0 && r->offset < m->n);
	snprintf(k, sizeof k, "k%d", m->key[r->offset]);
	if (strcmp(k, r->key) != 0)
		fail_msg("seed %u: offset %lld has key %s, model says %s", seed,
			 (long long)r->offset, r->key, k);
	assert_int_equal(r->ts, m->ts[r->offset]);
	make_value(v, m->key[r->offset], m->vlen[r->offset]);
	size_t cmp = m->vlen[r->offset] > 60 ? 60 : (size_t)m->vlen[r->offset];
	assert_memory_equal(r->value, v, cmp);
}

static void verify_all(struct ed_partition *part, const struct model *m)
{
	assert_int_equal(ed_partition_hwm(part), m->n);
	struct t_rec *recs;
	size_t n = t_read_all(part, 0, 1 + rnd() % 20000, &recs);
	if (n != (size_t)m->n)
		fail_msg("seed %u: read %zu records, model has %lld", seed, n, (long long)m->n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(recs[i].offset, (int64_t)i);
		check_record(m, &recs[i]);
	}
	free(recs);
}

static void random_read(struct ed_partition *part, const struct model *m)
{
	if (m->n == 0)
		return;
	int64_t off = (int64_t)(rnd() % (uint32_t)m->n);
	struct ed_buf buf;
	ed_buf_init(&buf);
	size_t max = 1 + rnd() % 8000;
	assert_int_equal(ed_partition_read(part, off, max, &buf), 0);
	size_t pos = 0;
	bool first = true;
	while (pos < buf.len) {
		struct ed_batch_info bi;
		assert_int_equal(ed_batch_validate(buf.data + pos, buf.len - pos, 0, &bi, NULL, 0),
				 0);
		if (first) {
			if (bi.base_offset > off || ed_batch_last_offset(&bi) < off)
				fail_msg("seed %u: read at %lld returned batch %lld..%lld", seed,
					 (long long)off, (long long)bi.base_offset,
					 (long long)ed_batch_last_offset(&bi));
		} else {
			assert_true(pos + (size_t)bi.size <= max);
		}
		struct ed_record_iter it;
		struct ed_record rec;
		assert_int_equal(ed_record_iter_init(&it, buf.data + pos, bi.size, 0), 0);
		int rc;
		while ((rc = ed_record_iter_next(&it, &rec)) == 1) {
			struct t_rec r;
			memset(&r, 0, sizeof r);
			r.offset = rec.offset;
			r.ts = rec.timestamp;
			snprintf(r.key, sizeof r.key, "%.*s", rec.key_len, rec.key);
			snprintf(r.value, sizeof r.value, "%.*s",
				 rec.value_len > 60 ? 60 : rec.value_len, rec.value);
			check_record(m, &r);
		}
		assert_int_equal(rc, 0);
		ed_record_iter_fini(&it);
		first = false;
		pos += (size_t)bi.size;
	}
	assert_false(first);
	ed_buf_fini(&buf);
}

static void random_time_lookup(struct ed_partition *part, const struct model *m)
{
	int64_t t = 1000000 - 1500 + (int64_t)(rnd() % 103000);
	int64_t want = -1, got;
	for (int64_t i = 0; i < m->n; i++) {
		if (m->ts[i] >= t) {
			want = i;
			break;
		}
	}
	int rc = ed_partition_offset_for_time(part, t, &got);
	if (want < 0) {
		assert_int_equal(rc, ED_ENOENT);
	} else {
		assert_int_equal(rc, 0);
		if (got != want)
			fail_msg("seed %u: offset_for_time(%lld) = %lld, model says %lld", seed,
				 (long long)t, (long long)got, (long long)want);
	}
}

/* Cut the final segment at a random byte of its last batches, then reopen;
 * the model drops the batches that are no longer whole. */
static void cut_tail(const char *dir, struct model *m)
{
	char pdir[4096], path[4096];
	snprintf(pdir, sizeof pdir, "%s/topics/m/0", dir);
	/* The final segment is the .log with the largest base. */
	struct ed_log *log = t_open(dir);
	struct ed_topic *topic = ed_log_topic_get(log, "m");
	struct ed_segment **segs;
	size_t n;
	assert_int_equal(ed_partition_segs_snapshot(ed_topic_partition(topic, 0), &segs, &n), 0);
	snprintf(path, sizeof path, "%s", segs[n - 1]->path);
	int64_t size = atomic_load(&segs[n - 1]->end_pos);
	ed_segs_release(segs, n);
	ed_topic_unref(topic);
	ed_log_close(log);
	if (size == 0)
		return;
	int64_t cut = size - 1 - (int64_t)(rnd() % (uint32_t)(size < 3000 ? size : 3000));
	assert_int_equal(truncate(path, cut), 0);
	snprintf(path, sizeof path, "%s/%s", dir, ED_CLEAN_MARKER);
	unlink(path);
	log = t_open(dir);
	topic = ed_log_topic_get(log, "m");
	int64_t hwm = ed_partition_hwm(ed_topic_partition(topic, 0));
	assert_true(hwm < m->n);
	/* hwm must fall on a batch boundary the model knows. */
	while (m->nbatch > 0 && m->batch_end[m->nbatch - 1] > hwm)
		m->nbatch--;
	int64_t boundary = m->nbatch ? m->batch_end[m->nbatch - 1] : 0;
	if (boundary != hwm)
		fail_msg("seed %u: after a cut the hwm is %lld, not a batch boundary (%lld)", seed,
			 (long long)hwm, (long long)boundary);
	m->n = hwm;
	verify_all(ed_topic_partition(topic, 0), m);
	ed_topic_unref(topic);
	ed_log_close(log);
}

static void test_model(void **state)
{
	(void)state;
	const char *env = getenv("EDDY_SEED");
	seed = env && *env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
	print_message("test_model: seed %u (replay with EDDY_SEED=%u)\n", seed, seed);
	struct model m;
	memset(&m, 0, sizeof m);
	m.key = calloc(MAX_RECS, sizeof *m.key);
	m.ts = calloc(MAX_RECS, sizeof *m.ts);
	m.vlen = calloc(MAX_RECS, sizeof *m.vlen);
	m.batch_end = calloc(MAX_RECS, sizeof *m.batch_end);
	char *dir = t_fast_tmpdir();
	struct ed_log *log = t_open(dir);
	char segbytes[32], interval[32];
	snprintf(segbytes, sizeof segbytes, "%u", 8192 + rnd() % 40000);
	snprintf(interval, sizeof interval, "%u", rnd() % 2000);
	t_create(log, "m", 1,
		 (const char *const[]){"segment.bytes", segbytes, "index.interval.bytes", interval,
				       "retention.ms", "-1", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "m");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	for (int step = 0; step < 4000 && m.n < MAX_RECS - 100; step++) {
		uint32_t op = rnd() % 100;
		if (op < 60) {
			append_random(part, &m);
		} else if (op < 80) {
			random_read(part, &m);
		} else if (op < 90) {
			random_time_lookup(part, &m);
		} else if (op < 93) {
			/* Roll by age now. */
			assert_int_equal(ed_log_maintain(log, ed_wall_ms() + 8 * 24 * 3600 * 1000LL),
					 0);
		} else if (op < 98) {
			/* Reopen: clean, or unclean (marker removed). */
			bool clean = rnd() % 2;
			ed_topic_unref(topic);
			ed_log_close(log);
			if (!clean) {
				char p[4096];
				snprintf(p, sizeof p, "%s/%s", dir, ED_CLEAN_MARKER);
				unlink(p);
			}
			log = t_open(dir);
			topic = ed_log_topic_get(log, "m");
			part = ed_topic_partition(topic, 0);
			verify_all(part, &m);
		} else {
			ed_topic_unref(topic);
			ed_log_close(log);
			cut_tail(dir, &m);
			log = t_open(dir);
			topic = ed_log_topic_get(log, "m");
			part = ed_topic_partition(topic, 0);
		}
	}
	verify_all(part, &m);
	print_message("test_model: %lld records in %d segments\n", (long long)m.n,
		      ed_partition_segment_count(part));
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
	free(m.key);
	free(m.ts);
	free(m.vlen);
	free(m.batch_end);
}

int main(void)
{
	ed_diag_set_level(ED_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
