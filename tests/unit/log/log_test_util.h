/* Helpers shared by the storage engine's unit tests (tests/unit/log/test_*.c):
 * temporary data directories, building batches, opening a log with one
 * topic, and reading a partition back record by record. Header-only so each
 * test file stays one executable. */
#ifndef ED_LOG_TEST_UTIL_H
#define ED_LOG_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "log/batch.h"
#include "log/log.h"
#include "log/log_int.h"

#define T_UNUSED __attribute__((unused))

static T_UNUSED char *t_tmpdir(void)
{
	char tmpl[4096];
	const char *base = getenv("EDDY_TEST_TMPDIR");
	snprintf(tmpl, sizeof tmpl, "%s/eddy-logtest-XXXXXX", base && *base ? base : "/tmp");
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

/* For tests that open and close a log hundreds of times: their subject is
 * the recovery logic, not the disk, so they use tmpfs (/dev/shm) when it
 * exists to keep fsync latency out of the run time. EDDY_TEST_TMPDIR wins. */
static T_UNUSED char *t_fast_tmpdir(void)
{
	const char *base = getenv("EDDY_TEST_TMPDIR");
	if ((!base || !*base) && access("/dev/shm", W_OK) == 0)
		setenv("EDDY_TEST_TMPDIR", "/dev/shm", 1);
	return t_tmpdir();
}

static T_UNUSED void t_rmdir(char *dir)
{
	if (!dir)
		return;
	ed_io_remove_tree(dir);
	free(dir);
}

/* A batch of n records: key "k<keybase+i>" (or null when keys is false),
 * value "v<valbase+i>-" padded to vlen bytes, timestamps ts, ts+1, ...
 * Returns a malloc'd copy in *out. */
static T_UNUSED size_t t_batch(uint8_t **out, int n, int keybase, int valbase, int vlen, int64_t ts,
			       int codec)
{
	struct ed_batch_builder bb;
	char key[32], val[4096];
	uint8_t *p;
	size_t len;
	ed_batch_builder_init(&bb, codec);
	for (int i = 0; i < n; i++) {
		int kl = snprintf(key, sizeof key, "k%d", keybase + i);
		int vl = snprintf(val, sizeof val, "v%d-", valbase + i);
		while (vl < vlen && vl < (int)sizeof val) {
			val[vl] = (char)('a' + (vl % 26));
			vl++;
		}
		assert_int_equal(ed_batch_builder_add(&bb, ts + i, key, kl, val, vl, NULL, 0), 0);
	}
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &len), 0);
	*out = malloc(len);
	assert_non_null(*out);
	memcpy(*out, p, len);
	ed_batch_builder_fini(&bb);
	return len;
}

/* One record with an explicit key and value (value NULL = tombstone). */
static T_UNUSED size_t t_batch_kv(uint8_t **out, const char *key, const char *value, int64_t ts)
{
	struct ed_batch_builder bb;
	uint8_t *p;
	size_t len;
	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	assert_int_equal(ed_batch_builder_add(&bb, ts, key, key ? (int32_t)strlen(key) : -1, value,
					      value ? (int32_t)strlen(value) : -1, NULL, 0),
			 0);
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &len), 0);
	*out = malloc(len);
	assert_non_null(*out);
	memcpy(*out, p, len);
	ed_batch_builder_fini(&bb);
	return len;
}

/* Append a batch of n records; returns the base offset. */
static T_UNUSED int64_t t_append(struct ed_partition *part, int n, int keybase, int vlen, int64_t ts)
{
	uint8_t *b;
	size_t len = t_batch(&b, n, keybase, keybase, vlen, ts, ED_CODEC_NONE);
	struct ed_append_result res;
	char err[256] = "";
	int rc = ed_partition_append(part, b, len, &res, err, sizeof err);
	if (rc)
		fail_msg("append: %s: %s", ed_err_str(rc), err);
	free(b);
	return res.base_offset;
}

static T_UNUSED struct ed_log *t_open(const char *dir)
{
	struct ed_log *log = NULL;
	char err[512] = "";
	int rc = ed_log_open(dir, NULL, &log, err, sizeof err);
	if (rc)
		fail_msg("open %s: %s: %s", dir, ed_err_str(rc), err);
	return log;
}

/* Create topic name with 1 partition and the given "k=v" configs (NULL-ended). */
static T_UNUSED void t_create(struct ed_log *log, const char *name, int32_t partitions,
			      const char *const *kv)
{
	struct ed_topic_config cfg;
	char err[256] = "";
	ed_topic_config_defaults(&cfg);
	cfg.partitions = partitions;
	for (size_t i = 0; kv && kv[i]; i += 2)
		assert_int_equal(ed_topic_config_set(&cfg, kv[i], kv[i + 1], err, sizeof err), 0);
	int rc = ed_log_topic_create(log, name, &cfg, err, sizeof err);
	if (rc)
		fail_msg("create %s: %s: %s", name, ed_err_str(rc), err);
}

struct t_rec {
	int64_t offset;
	int64_t ts;
	char key[32];
	char value[64]; /* first bytes only */
	bool tombstone;
};

/* Read every record from offset `from` to the hwm. Checks that batches come
 * back whole, valid and in offset order. Returns the number of records;
 * *recs is malloc'd (may be NULL when 0). */
static T_UNUSED size_t t_read_all(struct ed_partition *part, int64_t from, size_t max_bytes,
				  struct t_rec **recs)
{
	struct ed_buf buf;
	size_t n = 0, cap = 0;
	struct t_rec *v = NULL;
	int64_t next = from, hwm = ed_partition_hwm(part);
	ed_buf_init(&buf);
	while (next < hwm) {
		ed_buf_reset(&buf);
		int rc = ed_partition_read(part, next, max_bytes, &buf);
		if (rc)
			fail_msg("read at %lld: %s", (long long)next, ed_err_str(rc));
		assert_true(buf.len > 0);
		size_t pos = 0;
		while (pos < buf.len) {
			struct ed_batch_info bi;
			char err[200];
			rc = ed_batch_validate(buf.data + pos, buf.len - pos, 0, &bi, err,
					       sizeof err);
			if (rc)
				fail_msg("batch at %zu: %s", pos, err);
			assert_true(ed_batch_last_offset(&bi) < hwm);
			struct ed_record_iter it;
			struct ed_record rec;
			assert_int_equal(ed_record_iter_init(&it, buf.data + pos, bi.size, 0), 0);
			while ((rc = ed_record_iter_next(&it, &rec)) == 1) {
				if (rec.offset < next)
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 256;
					v = realloc(v, cap * sizeof *v);
					assert_non_null(v);
				}
				struct t_rec *r = &v[n++];
				memset(r, 0, sizeof *r);
				r->offset = rec.offset;
				r->ts = rec.timestamp;
				if (rec.key_len >= 0)
					snprintf(r->key, sizeof r->key, "%.*s", rec.key_len, rec.key);
				r->tombstone = rec.value_len < 0;
				if (rec.value_len > 0)
					snprintf(r->value, sizeof r->value, "%.*s",
						 rec.value_len > 60 ? 60 : rec.value_len, rec.value);
			}
			assert_int_equal(rc, 0);
			ed_record_iter_fini(&it);
			next = ed_batch_last_offset(&bi) + 1;
			pos += (size_t)bi.size;
		}
	}
	ed_buf_fini(&buf);
	*recs = v;
	return n;
}

#endif
