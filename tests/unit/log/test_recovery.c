/* Recovery tests (src/log/recovery.c): the final segment cut at every byte
 * offset of its last batches, bit flips in the tail batch, garbage after the
 * tail, damage in the middle of the final segment and in a non-final
 * segment (open fails with ED_ECORRUPT naming file and position), and the
 * data directory lock. An unclean shutdown is simulated by deleting the
 * clean-shutdown marker written by a clean close. */
#include <fcntl.h>

#include "base/diag.h"
#include "log_test_util.h"

struct fixture {
	char *dir;
	char seg_path[4096];
	uint8_t *data; /* the final segment's original bytes */
	size_t size;
	int64_t *batch_pos;        /* position of each batch in the final segment */
	int64_t *batch_end_offset; /* offset after each batch */
	size_t nbatches;
	int64_t seg_base;
};

static void read_file(const char *path, uint8_t **data, size_t *size)
{
	char *text;
	size_t n;
	assert_int_equal(ed_io_read_file(path, 1 << 30, &text, &n), 0);
	*data = malloc(n ? n : 1);
	memcpy(*data, text, n);
	*size = n;
	ed_free(text);
}

static void write_file(const char *path, const uint8_t *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void mark_unclean(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", dir, ED_CLEAN_MARKER);
	unlink(p);
}

/* Three segments; the last holds `batches` batches of varying sizes. */
static void setup(struct fixture *f, int batches)
{
	memset(f, 0, sizeof *f);
	f->dir = t_fast_tmpdir();
	struct ed_log *log = t_open(f->dir);
	t_create(log, "rec", 1,
		 (const char *const[]){"segment.bytes", "4096", "index.interval.bytes", "100", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "rec");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	int key = 0;
	while (ed_partition_segment_count(part) < 3) {
		t_append(part, 4, key, 60, 1000 + key);
		key += 4;
	}
	/* The third segment started with the last append: add more to it. */
	f->nbatches = (size_t)batches;
	f->batch_pos = calloc(f->nbatches, sizeof *f->batch_pos);
	f->batch_end_offset = calloc(f->nbatches, sizeof *f->batch_end_offset);
	struct ed_segment **segs;
	size_t n;
	assert_int_equal(ed_partition_segs_snapshot(part, &segs, &n), 0);
	f->seg_base = segs[n - 1]->base_offset;
	snprintf(f->seg_path, sizeof f->seg_path, "%s", segs[n - 1]->path);
	ed_segs_release(segs, n);
	for (int i = 1; i < batches; i++) {
		int cnt = 1 + i % 3;
		t_append(part, cnt, key, 20 + i * 7, 1000 + key);
		key += cnt;
	}
	assert_int_equal(ed_partition_segment_count(part), 3);
	ed_topic_unref(topic);
	ed_log_close(log);
	read_file(f->seg_path, &f->data, &f->size);
	size_t p = 0;
	for (size_t i = 0; i < f->nbatches; i++) {
		struct ed_batch_info bi;
		assert_int_equal(ed_batch_validate(f->data + p, f->size - p, 0, &bi, NULL, 0), 0);
		f->batch_pos[i] = (int64_t)p;
		f->batch_end_offset[i] = ed_batch_last_offset(&bi) + 1;
		p += (size_t)bi.size;
	}
	assert_int_equal(p, f->size);
}

static void teardown(struct fixture *f)
{
	t_rmdir(f->dir);
	free(f->data);
	free(f->batch_pos);
	free(f->batch_end_offset);
}

/* Offset after the last batch that lies entirely below byte `cut`. */
static int64_t expected_hwm(const struct fixture *f, size_t cut)
{
	int64_t hwm = f->seg_base;
	for (size_t i = 0; i < f->nbatches; i++) {
		size_t end = i + 1 < f->nbatches ? (size_t)f->batch_pos[i + 1] : f->size;
		if (end <= cut)
			hwm = f->batch_end_offset[i];
	}
	return hwm;
}

static void check_reopen(struct fixture *f, int64_t want_hwm, bool append)
{
	struct ed_log *log = t_open(f->dir);
	struct ed_topic *topic = ed_log_topic_get(log, "rec");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	assert_int_equal(ed_partition_hwm(part), want_hwm);
	struct t_rec *recs;
	size_t n = t_read_all(part, 0, 1 << 16, &recs);
	assert_int_equal(n, (size_t)want_hwm);
	for (size_t i = 0; i < n; i++) {
		char k[32];
		snprintf(k, sizeof k, "k%zu", i);
		assert_int_equal(recs[i].offset, (int64_t)i);
		assert_string_equal(recs[i].key, k);
	}
	free(recs);
	if (append) {
		assert_int_equal(t_append(part, 2, (int)want_hwm, 10, 5000), want_hwm);
		assert_int_equal(ed_partition_sync(part, want_hwm + 2), 0);
	}
	ed_topic_unref(topic);
	ed_log_close(log);
}

static void test_cut_every_byte(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, 12);
	size_t from = (size_t)f.batch_pos[f.nbatches - 4];
	for (size_t cut = from; cut <= f.size; cut++) {
		write_file(f.seg_path, f.data, cut);
		mark_unclean(f.dir);
		int64_t want = expected_hwm(&f, cut);
		check_reopen(&f, want, (cut % 7) == 0);
		/* The reopen truncated at the last whole batch (plus what we appended). */
	}
	teardown(&f);
}

static void test_bit_flips_in_tail(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, 6);
	size_t last = (size_t)f.batch_pos[f.nbatches - 1];
	int64_t want = f.batch_end_offset[f.nbatches - 2];
	uint8_t *copy = malloc(f.size);
	for (size_t at = last; at < f.size; at++) {
		/* partitionLeaderEpoch is outside the CRC and has no valid range:
		 * a flip there is undetectable (and harmless to the records). */
		if (at >= last + ED_BOFF_LEADER_EPOCH && at < last + ED_BOFF_MAGIC)
			continue;
		memcpy(copy, f.data, f.size);
		copy[at] ^= (uint8_t)(1u << (at % 8));
		write_file(f.seg_path, copy, f.size);
		mark_unclean(f.dir);
		check_reopen(&f, want, false);
	}
	free(copy);
	teardown(&f);
}

static void test_garbage_after_tail(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, 5);
	uint8_t *copy = calloc(1, f.size + 5000);
	memcpy(copy, f.data, f.size);
	write_file(f.seg_path, copy, f.size + 5000); /* zeros, as after a power cut */
	mark_unclean(f.dir);
	check_reopen(&f, f.batch_end_offset[f.nbatches - 1], true);
	for (size_t i = 0; i < 5000; i++)
		copy[f.size + i] = (uint8_t)(i * 131 + 7);
	write_file(f.seg_path, copy, f.size + 5000);
	mark_unclean(f.dir);
	check_reopen(&f, f.batch_end_offset[f.nbatches - 1], false);
	free(copy);
	teardown(&f);
}

static void expect_corrupt(struct fixture *f, const char *file, int64_t pos)
{
	struct ed_log *log = NULL;
	char err[512] = "", want[64];
	assert_int_equal(ed_log_open(f->dir, NULL, &log, err, sizeof err), ED_ECORRUPT);
	assert_null(log);
	assert_non_null(strstr(err, file));
	snprintf(want, sizeof want, "position %lld", (long long)pos);
	if (!strstr(err, want))
		fail_msg("'%s' does not name %s", err, want);
}

static void test_mid_segment_damage(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, 10);
	uint8_t *copy = malloc(f.size);
	/* A flipped bit in the CRC-covered part of batch 4: batches 5-9 are valid. */
	memcpy(copy, f.data, f.size);
	int64_t bad = f.batch_pos[4];
	copy[bad + 40] ^= 0x10;
	write_file(f.seg_path, copy, f.size);
	mark_unclean(f.dir);
	expect_corrupt(&f, f.seg_path, bad);
	/* A corrupt length field that claims the batch runs past the end. */
	memcpy(copy, f.data, f.size);
	copy[bad + 8] = 0x7f;
	write_file(f.seg_path, copy, f.size);
	expect_corrupt(&f, f.seg_path, bad);
	/* A zeroed page in the middle. */
	memcpy(copy, f.data, f.size);
	memset(copy + f.batch_pos[2], 0, (size_t)(f.batch_pos[3] - f.batch_pos[2]));
	write_file(f.seg_path, copy, f.size);
	expect_corrupt(&f, f.seg_path, f.batch_pos[2]);
	/* Still failing on a second try: nothing was dropped. */
	expect_corrupt(&f, f.seg_path, f.batch_pos[2]);
	/* Repaired: opens again with everything. */
	write_file(f.seg_path, f.data, f.size);
	check_reopen(&f, f.batch_end_offset[f.nbatches - 1], true);
	free(copy);
	teardown(&f);
}

static void test_damage_in_closed_segment(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, 3);
	char first[4096], rp[4096];
	snprintf(first, sizeof first, "%s/topics/rec/0/%020d.log", f.dir, 0);
	snprintf(rp, sizeof rp, "%s/topics/rec/0/%s", f.dir, ED_RECOVERY_POINT);
	uint8_t *data;
	size_t size;
	read_file(first, &data, &size);
	data[size - 3] ^= 0xff; /* last batch of the first segment */
	write_file(first, data, size);
	/* Below the recovery point and after a clean close: trusted, not scanned. */
	struct ed_log *log = t_open(f.dir);
	struct ed_topic *topic = ed_log_topic_get(log, "rec");
	assert_int_equal(ed_partition_hwm(ed_topic_partition(topic, 0)),
			 f.batch_end_offset[f.nbatches - 1]);
	ed_topic_unref(topic);
	ed_log_close(log);
	/* Without the recovery point after a crash: scanned, and it is damage
	 * even though it is that segment's last batch. */
	unlink(rp);
	mark_unclean(f.dir);
	log = NULL;
	char err[512] = "";
	assert_int_equal(ed_log_open(f.dir, NULL, &log, err, sizeof err), ED_ECORRUPT);
	assert_non_null(strstr(err, first));
	assert_non_null(strstr(err, "non-final"));
	free(data);
	teardown(&f);
}

static void test_missing_indexes_rebuilt(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, 4);
	char p[4096];
	snprintf(p, sizeof p, "%s/topics/rec/0/%020d.index", f.dir, 0);
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof p, "%s/topics/rec/0/%020d.timeindex", f.dir, 0);
	write_file(p, (const uint8_t *)"EDT1garbage!", 12);
	check_reopen(&f, f.batch_end_offset[f.nbatches - 1], false);
	assert_int_equal(access(p, F_OK), 0);
	teardown(&f);
}

static void test_lock(void **state)
{
	(void)state;
	char *dir = t_fast_tmpdir();
	struct ed_log *log = t_open(dir), *log2 = NULL;
	char err[256] = "";
	assert_int_equal(ed_log_open(dir, NULL, &log2, err, sizeof err), ED_EBUSY);
	assert_null(log2);
	assert_non_null(strstr(err, ".lock"));
	ed_log_close(log);
	log = t_open(dir);
	ed_log_close(log);
	t_rmdir(dir);
}

int main(void)
{
	ed_diag_set_level(ED_ERROR); /* the truncation warnings are expected */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_every_byte),
		cmocka_unit_test(test_bit_flips_in_tail),
		cmocka_unit_test(test_garbage_after_tail),
		cmocka_unit_test(test_mid_segment_damage),
		cmocka_unit_test(test_damage_in_closed_segment),
		cmocka_unit_test(test_missing_indexes_rebuilt),
		cmocka_unit_test(test_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
