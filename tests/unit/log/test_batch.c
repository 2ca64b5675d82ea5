/* Unit tests for src/log/batch.c: the RecordBatch v2 validator (every check,
 * every bit flip, every truncation), in-place stamping, the record iterator
 * (plain and compressed), the builder (reuse without allocation, allocation
 * failure), and batches captured from a real Kafka client (librdkafka 2.0.2
 * through kcat, one per codec) decoded byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/crc32c.h"
#include "base/err.h"
#include "base/mem.h"
#include "log/batch.h"
#include "log/codec.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *const kafka_batches[5];

static size_t unhex(const char *h, uint8_t **out)
{
	size_t n = strlen(h) / 2;
	uint8_t *b = malloc(n);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	*out = b;
	return n;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A small batch with a bit of everything: keys, null key, null value, empty
 * value, headers (one with a null value), timestamps going back and forth. */
static void build_mixed(struct ed_batch_builder *bb)
{
	struct ed_header hs[2] = {
		{(const uint8_t *)"trace", 5, (const uint8_t *)"abc", 3},
		{(const uint8_t *)"nullv", 5, NULL, -1},
	};
	assert_int_equal(ed_batch_builder_add(bb, 1000, "k0", 2, "v0", 2, NULL, 0), 0);
	assert_int_equal(ed_batch_builder_add(bb, 990, NULL, -1, "nokey", 5, hs, 2), 0);
	assert_int_equal(ed_batch_builder_add(bb, 2000, "tomb", 4, NULL, -1, NULL, 0), 0);
	assert_int_equal(ed_batch_builder_add(bb, 1500, "", 0, "", 0, hs, 1), 0);
}

static void check_mixed(const uint8_t *p, size_t n, int64_t base_offset)
{
	struct ed_record_iter it;
	struct ed_record rec;
	struct ed_header h;

	assert_int_equal(ed_record_iter_init(&it, p, n, 0), 0);
	assert_int_equal(ed_record_iter_next(&it, &rec), 1);
	assert_int_equal(rec.offset, base_offset);
	assert_int_equal(rec.timestamp, 1000);
	assert_int_equal(rec.key_len, 2);
	assert_memory_equal(rec.key, "k0", 2);
	assert_int_equal(rec.value_len, 2);
	assert_memory_equal(rec.value, "v0", 2);
	assert_int_equal(rec.header_count, 0);

	assert_int_equal(ed_record_iter_next(&it, &rec), 1);
	assert_int_equal(rec.offset, base_offset + 1);
	assert_int_equal(rec.timestamp, 990);
	assert_int_equal(rec.key_len, -1);
	assert_null(rec.key);
	assert_int_equal(rec.value_len, 5);
	assert_memory_equal(rec.value, "nokey", 5);
	assert_int_equal(rec.header_count, 2);
	assert_int_equal(ed_record_header(&rec, 0, &h), 0);
	assert_int_equal(h.key_len, 5);
	assert_memory_equal(h.key, "trace", 5);
	assert_int_equal(h.value_len, 3);
	assert_memory_equal(h.value, "abc", 3);
	assert_int_equal(ed_record_header(&rec, 1, &h), 0);
	assert_memory_equal(h.key, "nullv", 5);
	assert_int_equal(h.value_len, -1);
	assert_null(h.value);
	assert_int_equal(ed_record_header(&rec, 2, &h), ED_ERANGE);

	assert_int_equal(ed_record_iter_next(&it, &rec), 1);
	assert_int_equal(rec.offset, base_offset + 2);
	assert_int_equal(rec.timestamp, 2000);
	assert_memory_equal(rec.key, "tomb", 4);
	assert_int_equal(rec.value_len, -1);
	assert_null(rec.value);

	assert_int_equal(ed_record_iter_next(&it, &rec), 1);
	assert_int_equal(rec.offset, base_offset + 3);
	assert_int_equal(rec.timestamp, 1500);
	assert_int_equal(rec.key_len, 0);
	assert_int_equal(rec.value_len, 0);
	assert_int_equal(rec.header_count, 1);

	assert_int_equal(ed_record_iter_next(&it, &rec), 0);
	assert_int_equal(ed_record_iter_next(&it, &rec), 0);
	ed_record_iter_fini(&it);
}

/* ---- validator ---------------------------------------------------------- */

static void test_build_and_validate(void **state)
{
	(void)state;
	struct ed_batch_builder bb;
	struct ed_batch_info bi;
	uint8_t *p;
	size_t n;
	char err[128] = "";

	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), ED_EINVAL); /* empty */
	build_mixed(&bb);
	assert_int_equal(ed_batch_builder_size(&bb) > ED_BATCH_HEADER_SIZE, 1);
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
	assert_int_equal(n, ed_batch_builder_size(&bb));
	assert_int_equal(ed_batch_validate(p, n, 0, &bi, err, sizeof err), 0);
	assert_int_equal(bi.size, (int32_t)n);
	assert_int_equal(bi.base_offset, 0);
	assert_int_equal(bi.magic, 2);
	assert_int_equal(bi.records_count, 4);
	assert_int_equal(bi.last_offset_delta, 3);
	assert_int_equal(bi.base_timestamp, 1000);
	assert_int_equal(bi.max_timestamp, 2000);
	assert_int_equal(bi.producer_id, -1);
	assert_int_equal(bi.producer_epoch, -1);
	assert_int_equal(bi.base_sequence, -1);
	assert_int_equal(bi.leader_epoch, -1);
	assert_int_equal(ed_batch_codec(&bi), ED_CODEC_NONE);
	assert_int_equal(bi.crc, ed_crc32c(0, p + 21, n - 21));
	/* A batch followed by more bytes validates on its own length. */
	uint8_t *two = malloc(2 * n);
	memcpy(two, p, n);
	memcpy(two + n, p, n);
	assert_int_equal(ed_batch_validate(two, 2 * n, 0, NULL, NULL, 0), 0);
	assert_int_equal(ed_batch_validate(two + n, n, 0, NULL, NULL, 0), 0);
	free(two);
	check_mixed(p, n, 0);
	ed_batch_builder_fini(&bb);
}

static void test_every_bit_flip(void **state)
{
	(void)state;
	struct ed_batch_builder bb;
	uint8_t *p, *q;
	size_t n;
	char err[128];

	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	build_mixed(&bb);
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
	q = malloc(n);
	for (size_t byte = 0; byte < n; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(q, p, n);
			q[byte] ^= (uint8_t)(1u << bit);
			int rc = ed_batch_validate(q, n, 0, NULL, err, sizeof err);
			if (byte < 8 || (byte >= 12 && byte < 16)) {
				/* baseOffset and partitionLeaderEpoch: not covered. */
				assert_int_equal(rc, 0);
			} else if (byte >= ED_BOFF_ATTRIBUTES) {
				assert_int_equal(rc, ED_ECORRUPT);
				assert_true(strlen(err) > 0);
			} else {
				/* length, magic, crc: some error, never success */
				assert_true(rc < 0);
			}
		}
	}
	free(q);
	ed_batch_builder_fini(&bb);
}

static void test_every_truncation(void **state)
{
	(void)state;
	struct ed_batch_builder bb;
	uint8_t *p;
	size_t n;

	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		ed_batch_builder_init(&bb, codec);
		build_mixed(&bb);
		assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
		for (size_t len = 0; len < n; len++) {
			/* Copy so ASan sees any read past len. */
			uint8_t *q = malloc(len ? len : 1);
			memcpy(q, p, len);
			assert_int_equal(ed_batch_validate(q, len, 0, NULL, NULL, 0), ED_EAGAIN);
			struct ed_record_iter it;
			assert_int_equal(ed_record_iter_init(&it, q, len, 0), ED_EAGAIN);
			free(q);
		}
		assert_int_equal(ed_batch_validate(p, n, 0, NULL, NULL, 0), 0);
		ed_batch_builder_fini(&bb);
	}
}

static void test_check_order(void **state)
{
	(void)state;
	struct ed_batch_builder bb;
	uint8_t *p, *q;
	size_t n;
	char err[128];

	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	build_mixed(&bb);
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
	q = malloc(n);

	/* batchLength below 49 is corrupt even with few bytes available. */
	memcpy(q, p, n);
	put_be32(q + ED_BOFF_LENGTH, 48);
	assert_int_equal(ed_batch_validate(q, 12, 0, NULL, err, sizeof err), ED_ECORRUPT);
	put_be32(q + ED_BOFF_LENGTH, 0x80000000u);
	assert_int_equal(ed_batch_validate(q, 12, 0, NULL, err, sizeof err), ED_ECORRUPT);
	/* Too big is reported before waiting for the bytes. */
	memcpy(q, p, n);
	assert_int_equal(ed_batch_validate(q, 12, n - 1, NULL, err, sizeof err), ED_ETOOBIG);
	assert_int_equal(ed_batch_validate(q, n, n, NULL, err, sizeof err), 0);
	put_be32(q + ED_BOFF_LENGTH, 0x7fffffffu);
	assert_int_equal(ed_batch_validate(q, n, 0, NULL, err, sizeof err), ED_EAGAIN);
	assert_int_equal(ed_batch_validate(q, n, 1 << 20, NULL, err, sizeof err), ED_ETOOBIG);

	/* Old magic is unsupported, unknown magic corrupt (before the CRC). */
	for (int m = 0; m < 256; m++) {
		memcpy(q, p, n);
		q[ED_BOFF_MAGIC] = (uint8_t)m;
		int rc = ed_batch_validate(q, n, 0, NULL, err, sizeof err);
		if (m == 2)
			assert_int_equal(rc, 0);
		else if (m < 2)
			assert_int_equal(rc, ED_EUNSUPPORTED);
		else
			assert_int_equal(rc, ED_ECORRUPT);
	}

	/* Header fields that are wrong though the CRC matches. */
	memcpy(q, p, n);
	put_be32(q + ED_BOFF_RECORDS_COUNT, 0xffffffffu);
	ed_batch_update_crc(q, n);
	assert_int_equal(ed_batch_validate(q, n, 0, NULL, err, sizeof err), ED_ECORRUPT);
	assert_non_null(strstr(err, "recordsCount"));

	memcpy(q, p, n);
	put_be32(q + ED_BOFF_LAST_OFFSET_DELTA, 0xffffffffu);
	ed_batch_update_crc(q, n);
	assert_int_equal(ed_batch_validate(q, n, 0, NULL, err, sizeof err), ED_ECORRUPT);
	assert_non_null(strstr(err, "lastOffsetDelta"));

	for (int codec = 5; codec < 8; codec++) {
		memcpy(q, p, n);
		q[ED_BOFF_ATTRIBUTES + 1] = (uint8_t)((q[ED_BOFF_ATTRIBUTES + 1] & ~7) | codec);
		ed_batch_update_crc(q, n);
		assert_int_equal(ed_batch_validate(q, n, 0, NULL, err, sizeof err), ED_ECORRUPT);
		assert_non_null(strstr(err, "codec"));
	}

	/* Record walk: count mismatch both ways, offsetDelta past the last. */
	memcpy(q, p, n);
	put_be32(q + ED_BOFF_RECORDS_COUNT, 3);
	ed_batch_update_crc(q, n);
	assert_int_equal(ed_batch_validate(q, n, 0, NULL, err, sizeof err), ED_ECORRUPT);
	memcpy(q, p, n);
	put_be32(q + ED_BOFF_RECORDS_COUNT, 5);
	ed_batch_update_crc(q, n);
	assert_int_equal(ed_batch_validate(q, n, 0, NULL, err, sizeof err), ED_ECORRUPT);
	memcpy(q, p, n);
	put_be32(q + ED_BOFF_LAST_OFFSET_DELTA, 2);
	ed_batch_update_crc(q, n);
	assert_int_equal(ed_batch_validate(q, n, 0, NULL, err, sizeof err), ED_ECORRUPT);
	assert_non_null(strstr(err, "offsetDelta"));
	/* A larger lastOffsetDelta (gaps after compaction) is fine. */
	memcpy(q, p, n);
	put_be32(q + ED_BOFF_LAST_OFFSET_DELTA, 100);
	ed_batch_update_crc(q, n);
	assert_int_equal(ed_batch_validate(q, n, 0, NULL, err, sizeof err), 0);

	/* err may be absent or tiny. */
	memcpy(q, p, n);
	q[n - 1] ^= 1;
	assert_int_equal(ed_batch_validate(q, n, 0, NULL, NULL, 0), ED_ECORRUPT);
	char tiny[4];
	assert_int_equal(ed_batch_validate(q, n, 0, NULL, tiny, sizeof tiny), ED_ECORRUPT);
	assert_int_equal(strlen(tiny), 3);
	free(q);
	ed_batch_builder_fini(&bb);
}

/* A hand-built record section whose record lengths lie: each must be caught. */
static void test_bad_records(void **state)
{
	(void)state;
	static const struct {
		const char *hex; /* records section */
		int count;
	} cases[] = {
		{"", 1},                         /* no records at all */
		{"01", 1},                       /* record length -1 */
		{"7f", 1},                       /* record length -64 */
		{"14", 1},                       /* length 10 with nothing after it */
		{"0200", 1},                     /* length 1: attributes only */
		{"0e00000001010000", 1},         /* trailing byte inside the record */
		{"0c0000000101000000", 1},       /* bytes after the last record */
		{"0a000000030000", 1},           /* key length -2 */
		{"0a0000000201000000", 1},       /* key length 1 runs into value */
		{"0a000002010100", 1},           /* offsetDelta 1 > lastOffsetDelta 0 */
		{"0a0000000101", 1},             /* header count missing */
		{"0c000000010101", 1},           /* header count -1 */
		{"0c0000000101020303", 1},       /* header count 1, key len -2 */
		{"0e00000001010002000200", 1},   /* header count 1, value len 1, none left */
		{"1600ffffffffffffffffffff", 1}, /* timestampDelta varint of 11 bytes */
		{"ffffffffffffffffffffff01", 1}, /* record length varint of 11 bytes */
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		uint8_t *rec;
		size_t rlen = unhex(cases[c].hex, &rec);
		size_t n = ED_BATCH_HEADER_SIZE + rlen;
		uint8_t *p = calloc(1, n);
		put_be32(p + ED_BOFF_LENGTH, (uint32_t)(n - 12));
		p[ED_BOFF_MAGIC] = 2;
		put_be32(p + ED_BOFF_RECORDS_COUNT, (uint32_t)cases[c].count);
		memcpy(p + ED_BATCH_HEADER_SIZE, rec, rlen);
		ed_batch_update_crc(p, n);
		char err[128] = "";
		assert_int_equal(ed_batch_validate(p, n, 0, NULL, err, sizeof err), ED_ECORRUPT);
		/* The iterator, used without validation, fails the same way. */
		struct ed_record_iter it;
		struct ed_record r;
		int rc;
		assert_int_equal(ed_record_iter_init(&it, p, n, 0), 0);
		while ((rc = ed_record_iter_next(&it, &r)) == 1)
			;
		assert_int_equal(rc, ED_ECORRUPT);
		assert_int_equal(ed_record_iter_next(&it, &r), ED_ECORRUPT);
		ed_record_iter_fini(&it);
		free(p);
		free(rec);
	}
	/* And a sound hand-built one: empty key and value, no headers. */
	uint8_t p[ED_BATCH_HEADER_SIZE + 8] = {0};
	static const uint8_t rec[] = {0x0e, 0, 0, 0, 0, 0, 0, 0}; /* len 7 */
	put_be32(p + ED_BOFF_LENGTH, sizeof p - 12);
	p[ED_BOFF_MAGIC] = 2;
	put_be32(p + ED_BOFF_RECORDS_COUNT, 1);
	memcpy(p + ED_BATCH_HEADER_SIZE, rec, sizeof rec);
	ed_batch_update_crc(p, sizeof p);
	assert_int_equal(ed_batch_validate(p, sizeof p, 0, NULL, NULL, 0), ED_ECORRUPT);
	p[ED_BATCH_HEADER_SIZE] = 0x0c; /* len 6: attr, ts, off, key 0, value 0, hdrs 0 */
	put_be32(p + ED_BOFF_LENGTH, sizeof p - 13);
	ed_batch_update_crc(p, sizeof p - 1);
	assert_int_equal(ed_batch_validate(p, sizeof p - 1, 0, NULL, NULL, 0), 0);
}

static void test_stamping(void **state)
{
	(void)state;
	struct ed_batch_builder bb;
	struct ed_batch_info bi;
	uint8_t *p;
	size_t n;

	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	build_mixed(&bb);
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
	uint32_t crc = be32(p + ED_BOFF_CRC);
	ed_batch_set_base_offset(p, 1234567890123LL);
	assert_int_equal(be32(p + ED_BOFF_CRC), crc);
	assert_int_equal(ed_batch_validate(p, n, 0, &bi, NULL, 0), 0);
	assert_int_equal(bi.base_offset, 1234567890123LL);
	assert_int_equal(ed_batch_last_offset(&bi), 1234567890126LL);
	check_mixed(p, n, 1234567890123LL);

	ed_batch_set_log_append_time(p, n, 777777);
	assert_int_equal(ed_batch_validate(p, n, 0, &bi, NULL, 0), 0);
	assert_true(bi.attributes & ED_BATCH_ATTR_LOG_APPEND_TIME);
	assert_int_equal(bi.max_timestamp, 777777);
	assert_int_equal(ed_batch_parse_header(p, ED_BATCH_HEADER_SIZE - 1, &bi), ED_EAGAIN);
	assert_int_equal(ed_batch_parse_header(p, ED_BATCH_HEADER_SIZE, &bi), 0);
	assert_int_equal(bi.max_timestamp, 777777);
	ed_batch_builder_fini(&bb);
}

/* ---- builder and iterator ----------------------------------------------- */

static void test_compressed_round_trip(void **state)
{
	(void)state;
	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		struct ed_batch_builder bb;
		struct ed_batch_info bi;
		uint8_t *p;
		size_t n;

		ed_batch_builder_init(&bb, codec);
		build_mixed(&bb);
		assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
		assert_int_equal(ed_batch_validate(p, n, 0, &bi, NULL, 0), 0);
		assert_int_equal(ed_batch_codec(&bi), codec);
		assert_int_equal(bi.records_count, 4);
		check_mixed(p, n, 0);
		/* Finishing twice gives the same batch. */
		uint8_t *copy = malloc(n);
		memcpy(copy, p, n);
		size_t n2;
		assert_int_equal(ed_batch_builder_finish(&bb, &p, &n2), 0);
		assert_int_equal(n2, n);
		assert_memory_equal(copy, p, n);
		free(copy);

		/* Many records, several compression blocks. */
		ed_batch_builder_reset(&bb);
		char key[32], val[200];
		for (int i = 0; i < 5000; i++) {
			int kl = snprintf(key, sizeof key, "key-%d", i % 97);
			int vl = snprintf(val, sizeof val, "value %d of the test, %d", i, i * 7919);
			assert_int_equal(ed_batch_builder_add(&bb, 1700000000000LL + i, key, kl,
							      val, vl, NULL, 0),
					 0);
		}
		assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
		if (codec != ED_CODEC_NONE)
			assert_true(n < ed_batch_builder_size(&bb) / 2);
		assert_int_equal(ed_batch_validate(p, n, 0, &bi, NULL, 0), 0);
		struct ed_record_iter it;
		struct ed_record rec;
		assert_int_equal(ed_record_iter_init(&it, p, n, 0), 0);
		for (int i = 0; i < 5000; i++) {
			assert_int_equal(ed_record_iter_next(&it, &rec), 1);
			int kl = snprintf(key, sizeof key, "key-%d", i % 97);
			int vl = snprintf(val, sizeof val, "value %d of the test, %d", i, i * 7919);
			assert_int_equal(rec.offset, i);
			assert_int_equal(rec.timestamp, 1700000000000LL + i);
			assert_int_equal(rec.key_len, kl);
			assert_memory_equal(rec.key, key, (size_t)kl);
			assert_int_equal(rec.value_len, vl);
			assert_memory_equal(rec.value, val, (size_t)vl);
		}
		assert_int_equal(ed_record_iter_next(&it, &rec), 0);
		ed_record_iter_fini(&it);
		/* Decompression limit below the records' size. */
		if (codec != ED_CODEC_NONE)
			assert_int_equal(ed_record_iter_init(&it, p, n, 4096), ED_ETOOBIG);
		ed_batch_builder_fini(&bb);
	}
}

/* Validation of compressed records: what the plain validator cannot see. */
static void test_check_records(void **state)
{
	(void)state;
	struct ed_buf scratch;
	char err[128];

	ed_buf_init(&scratch);
	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		struct ed_batch_builder bb;
		uint8_t *p, *q;
		size_t n;

		ed_batch_builder_init(&bb, codec);
		build_mixed(&bb);
		assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
		assert_int_equal(ed_batch_check_records(p, n, 0, &scratch, err, sizeof err), 0);
		q = malloc(n);

		/* recordsCount off by one, CRC right. */
		memcpy(q, p, n);
		put_be32(q + ED_BOFF_RECORDS_COUNT, 5);
		ed_batch_update_crc(q, n);
		assert_int_equal(ed_batch_validate(q, n, 0, NULL, NULL, 0),
				 codec == ED_CODEC_NONE ? ED_ECORRUPT : 0);
		assert_int_equal(ed_batch_check_records(q, n, 0, &scratch, err, sizeof err),
				 ED_ECORRUPT);
		assert_non_null(strstr(err, "recordsCount"));

		/* offsetDelta past lastOffsetDelta, CRC right. */
		memcpy(q, p, n);
		put_be32(q + ED_BOFF_LAST_OFFSET_DELTA, 1);
		ed_batch_update_crc(q, n);
		assert_int_equal(ed_batch_check_records(q, n, 0, &scratch, err, sizeof err),
				 ED_ECORRUPT);
		assert_non_null(strstr(err, "offsetDelta"));

		/* Damaged compressed payload, CRC right. */
		if (codec != ED_CODEC_NONE) {
			memcpy(q, p, n);
			q[ED_BATCH_HEADER_SIZE + 1] ^= 0x5a;
			ed_batch_update_crc(q, n);
			assert_int_equal(ed_batch_validate(q, n, 0, NULL, NULL, 0), 0);
			assert_int_equal(ed_batch_check_records(q, n, 0, &scratch, err, sizeof err),
					 ED_ECORRUPT);
			/* Over the limit. */
			assert_int_equal(ed_batch_check_records(p, n, 10, &scratch, err, sizeof err),
					 ED_ETOOBIG);
		}
		/* Header errors come from ed_batch_validate. */
		assert_int_equal(ed_batch_check_records(p, n - 1, 0, &scratch, err, sizeof err),
				 ED_EAGAIN);
		free(q);
		ed_batch_builder_fini(&bb);
	}
	/* The librdkafka batches pass. */
	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		uint8_t *k;
		size_t kn = unhex(kafka_batches[codec], &k);
		assert_int_equal(ed_batch_check_records(k, kn, 0, &scratch, err, sizeof err), 0);
		free(k);
	}
	ed_buf_fini(&scratch);
}

static void test_builder_reuse_without_allocation(void **state)
{
	(void)state;
	struct ed_batch_builder bb;
	uint8_t *p, *first = NULL;
	size_t n, n1 = 0;
	char val[100];

	memset(val, 'x', sizeof val);
	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	for (int round = 0; round < 2; round++) {
		ed_batch_builder_reset(&bb);
		if (round == 1)
			ed_mem_fail_at(1, 1); /* every allocation fails from now */
		for (int i = 0; i < 1000; i++)
			assert_int_equal(ed_batch_builder_add(&bb, i, "k", 1, val, sizeof val, NULL,
							      0),
					 0);
		assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
		/* Iterating an uncompressed batch allocates nothing either. */
		struct ed_record_iter it;
		struct ed_record rec;
		int c = 0, rc;
		assert_int_equal(ed_record_iter_init(&it, p, n, 0), 0);
		while ((rc = ed_record_iter_next(&it, &rec)) == 1)
			c++;
		assert_int_equal(rc, 0);
		assert_int_equal(c, 1000);
		ed_record_iter_fini(&it);
		if (round == 0) {
			first = malloc(n);
			memcpy(first, p, n);
			n1 = n;
		}
	}
	assert_false(ed_mem_fail_fired());
	ed_mem_fail_at(0, 0);
	assert_int_equal(n, n1);
	assert_memory_equal(first, p, n);
	free(first);
	ed_batch_builder_fini(&bb);
}

static void test_builder_allocation_failure(void **state)
{
	(void)state;
	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		/* Fail the 1st, 2nd, ... allocation until the batch completes: each
		 * failure is reported and the retry gives the right batch. */
		for (uint64_t nth = 1; nth < 64; nth++) {
			struct ed_batch_builder bb;
			uint8_t *p;
			size_t n;
			size_t live = ed_mem_live_count();
			char val[300];
			int failures = 0;

			memset(val, 'v', sizeof val);
			ed_batch_builder_init(&bb, codec);
			ed_mem_fail_at(nth, 0);
			for (int i = 0; i < 20; i++) {
				int rc;
				while ((rc = ed_batch_builder_add(&bb, i, "key", 3, val, sizeof val,
								  NULL, 0)) == ED_ENOMEM)
					failures++;
				assert_int_equal(rc, 0);
			}
			int rc;
			while ((rc = ed_batch_builder_finish(&bb, &p, &n)) == ED_ENOMEM)
				failures++;
			assert_int_equal(rc, 0);
			ed_mem_fail_at(0, 0);
			assert_true(failures <= 1);
			struct ed_batch_info bi;
			assert_int_equal(ed_batch_validate(p, n, 0, &bi, NULL, 0), 0);
			assert_int_equal(bi.records_count, 20);
			ed_batch_builder_fini(&bb);
			assert_int_equal(ed_mem_live_count(), live);
		}
	}
}

static void test_builder_arguments(void **state)
{
	(void)state;
	struct ed_batch_builder bb;
	struct ed_header bad_key = {NULL, -1, NULL, -1};
	struct ed_header null_ptr = {NULL, 3, NULL, -1};

	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	assert_int_equal(ed_batch_builder_add(&bb, 0, NULL, 3, NULL, -1, NULL, 0), ED_EINVAL);
	assert_int_equal(ed_batch_builder_add(&bb, 0, NULL, -1, NULL, 3, NULL, 0), ED_EINVAL);
	assert_int_equal(ed_batch_builder_add(&bb, 0, NULL, -1, NULL, -1, NULL, 1), ED_EINVAL);
	assert_int_equal(ed_batch_builder_add(&bb, 0, NULL, -1, NULL, -1, &bad_key, 1), ED_EINVAL);
	assert_int_equal(ed_batch_builder_add(&bb, 0, NULL, -1, NULL, -1, &null_ptr, 1), ED_EINVAL);
	assert_int_equal(bb.count, 0);
	/* Negative lengths other than -1 are null too. */
	assert_int_equal(ed_batch_builder_add(&bb, INT64_MIN, NULL, -5, NULL, -7, NULL, 0), 0);
	assert_int_equal(ed_batch_builder_add(&bb, INT64_MAX, NULL, -1, NULL, -1, NULL, 0), 0);
	uint8_t *p;
	size_t n;
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
	struct ed_record_iter it;
	struct ed_record rec;
	assert_int_equal(ed_record_iter_init(&it, p, n, 0), 0);
	assert_int_equal(ed_record_iter_next(&it, &rec), 1);
	assert_int_equal(rec.timestamp, INT64_MIN);
	assert_int_equal(rec.key_len, -1);
	assert_int_equal(rec.value_len, -1);
	assert_int_equal(ed_record_iter_next(&it, &rec), 1);
	assert_int_equal(rec.timestamp, INT64_MAX); /* delta wraps, sum wraps back */
	ed_record_iter_fini(&it);
	ed_batch_builder_fini(&bb);
	ed_batch_builder_init(&bb, 7);
	assert_int_equal(ed_batch_builder_add(&bb, 0, "k", 1, "v", 1, NULL, 0), 0);
	assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), ED_EINVAL);
	ed_batch_builder_fini(&bb);
}

static void test_iterator_garbage(void **state)
{
	(void)state;
	uint8_t buf[600];
	srand(12345);
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)rand() % sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand();
		if (n >= ED_BATCH_HEADER_SIZE && round % 2) {
			/* Make the header plausible so the record walk is reached. */
			put_be32(buf + ED_BOFF_LENGTH, (uint32_t)(n - 12));
			buf[ED_BOFF_MAGIC] = 2;
			buf[ED_BOFF_ATTRIBUTES] = 0;
			buf[ED_BOFF_ATTRIBUTES + 1] = (uint8_t)(round % 5);
			buf[ED_BOFF_LAST_OFFSET_DELTA] &= 0x7f;
			buf[ED_BOFF_RECORDS_COUNT] = 0;
			buf[ED_BOFF_RECORDS_COUNT + 1] = 0;
			ed_batch_update_crc(buf, n);
		}
		struct ed_batch_info bi;
		int rc = ed_batch_validate(buf, n, 0, &bi, NULL, 0);
		/* Compressed records are not walked by the validator. */
		assert_true(rc == ED_ECORRUPT || rc == ED_EAGAIN || rc == ED_EUNSUPPORTED ||
			    (rc == 0 && ed_batch_codec(&bi) != ED_CODEC_NONE));
		struct ed_record_iter it;
		struct ed_record rec;
		if (ed_record_iter_init(&it, buf, n, 1 << 16) == 0) {
			int k = 0;
			while ((rc = ed_record_iter_next(&it, &rec)) == 1) {
				for (uint32_t h = 0; h < rec.header_count; h++) {
					struct ed_header hd;
					assert_int_equal(ed_record_header(&rec, h, &hd), 0);
				}
				k++;
			}
			assert_true(rc == 0 || rc == ED_ECORRUPT);
			ed_record_iter_fini(&it);
		}
	}
}

/* ---- batches from a real Kafka client ----------------------------------- */

/* Produced by librdkafka 2.0.2 (kcat -P -K: -Z -H h1=v1 -z CODEC against its
 * mock cluster, captured from the Produce request): four records
 *   key1 -> "hello eddy " x 8;  null key -> "world";  k3 -> null;
 *   k4 -> "abc" x 30;  each with header h1=v1, timestampDelta 0. */
static const char *const kafka_batches[] = {
	/* none */
	"000000000000000000000128000000000232fdea7d000000000003000001a2131d240c000001a2131d24"
	"0cffffffffffffffffffffffffffff00000004d201000000086b657931b00168656c6c6f206564647920"
	"68656c6c6f20656464792068656c6c6f20656464792068656c6c6f20656464792068656c6c6f20656464"
	"792068656c6c6f20656464792068656c6c6f20656464792068656c6c6f20656464792002046831047631"
	"22000002010a776f726c64020468310476311c000004046b330102046831047631d201000006046b34b4"
	"016162636162636162636162636162636162636162636162636162636162636162636162636162636162"
	"636162636162636162636162636162636162636162636162636162636162636162636162636162636162"
	"6361626361626302046831047631",
	/* gzip */
	"00000000000000000000008c00000000026c2c3943000100000003000001a2131d249e000001a2131d24"
	"9effffffffffffffffffffffffffff000000041f8b0800000000000003bbc4c8c0c0c0919d5a69b88131"
	"233527275f213525a55281aa4c26960c439632432506062646aef2fca29c14a8880c03030b4bb6312394"
	"7b09e81636966c932d8c8949c9344250ab0057bce09ef7000000",
	/* snappy (raw blocks, as librdkafka writes them) */
	"00000000000000000000008b000000000201fbd789000200000003000001a2131d2522000001a2131d25"
	"22ffffffffffffffffffffffffffff00000004f70158d201000000086b657931b00168656c6c6f206564"
	"647920fe0b00320b00440204683104763122000002010a776f726c640d121c1c000004046b33010d0f01"
	"8c2006046b34b401616263fe03005a03001802046831047631",
	/* lz4 (LZ4 frame) */
	"0000000000000000000000950000000002c41b5fcc000300000003000001a2131d25b1000001a2131d25"
	"b1ffffffffffffffffffffffffffff0000000404224d1860408255000000ff08d201000000086b657931"
	"b00168656c6c6f2065646479200b003af3030204683104763122000002010a776f726c641200831c0000"
	"04046b33010f00008c009f06046b34b401616263030044700204683104763100000000",
	/* zstd */
	"00000000000000000000008e000000000228e9bf96000400000003000001a2131d262e000001a2131d26"
	"2effffffffffffffffffffffffffff0000000428b52ffd0058a502005404d201000000086b657931b001"
	"68656c6c6f2065646479200204683104763122000002010a776f726c641c000004046b3301d201000006"
	"046b34b401616263020468310476310400a49b5f66e66a66a11a2d62",
};

static void test_kafka_client_batches(void **state)
{
	(void)state;
	char v1[128] = "", v4[128] = "";
	for (int i = 0; i < 8; i++)
		strcat(v1, "hello eddy ");
	for (int i = 0; i < 30; i++)
		strcat(v4, "abc");

	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		uint8_t *p;
		size_t n = unhex(kafka_batches[codec], &p);
		struct ed_batch_info bi;
		char err[128] = "";
		assert_int_equal(ed_batch_validate(p, n, 0, &bi, err, sizeof err), 0);
		assert_int_equal(bi.size, (int32_t)n);
		assert_int_equal(ed_batch_codec(&bi), codec);
		assert_int_equal(bi.records_count, 4);
		assert_int_equal(bi.last_offset_delta, 3);
		assert_int_equal(bi.producer_id, -1);
		assert_int_equal(bi.base_timestamp, bi.max_timestamp);

		struct ed_record_iter it;
		struct ed_record rec;
		struct ed_header h;
		assert_int_equal(ed_record_iter_init(&it, p, n, 0), 0);
		assert_int_equal(ed_record_iter_next(&it, &rec), 1);
		assert_int_equal(rec.timestamp, bi.base_timestamp);
		assert_int_equal(rec.key_len, 4);
		assert_memory_equal(rec.key, "key1", 4);
		assert_int_equal(rec.value_len, (int32_t)strlen(v1));
		assert_memory_equal(rec.value, v1, strlen(v1));
		assert_int_equal(rec.header_count, 1);
		assert_int_equal(ed_record_header(&rec, 0, &h), 0);
		assert_int_equal(h.key_len, 2);
		assert_memory_equal(h.key, "h1", 2);
		assert_int_equal(h.value_len, 2);
		assert_memory_equal(h.value, "v1", 2);
		assert_int_equal(ed_record_iter_next(&it, &rec), 1);
		assert_int_equal(rec.offset, 1);
		assert_int_equal(rec.key_len, -1);
		assert_memory_equal(rec.value, "world", 5);
		assert_int_equal(ed_record_iter_next(&it, &rec), 1);
		assert_memory_equal(rec.key, "k3", 2);
		assert_int_equal(rec.value_len, -1);
		assert_int_equal(ed_record_iter_next(&it, &rec), 1);
		assert_int_equal(rec.offset, 3);
		assert_memory_equal(rec.key, "k4", 2);
		assert_int_equal(rec.value_len, (int32_t)strlen(v4));
		assert_memory_equal(rec.value, v4, strlen(v4));
		assert_int_equal(ed_record_iter_next(&it, &rec), 0);
		ed_record_iter_fini(&it);

		/* Our builder makes the very same bytes from the same records (the
		 * uncompressed batch; compressed bytes depend on the library's
		 * settings): same records, same CRC. librdkafka writes leader epoch 0. */
		if (codec == ED_CODEC_NONE) {
			struct ed_batch_builder bb;
			struct ed_header hh = {(const uint8_t *)"h1", 2, (const uint8_t *)"v1", 2};
			uint8_t *q;
			size_t qn;
			int64_t ts = bi.base_timestamp;
			ed_batch_builder_init(&bb, ED_CODEC_NONE);
			assert_int_equal(ed_batch_builder_add(&bb, ts, "key1", 4, v1,
							      (int32_t)strlen(v1), &hh, 1),
					 0);
			assert_int_equal(ed_batch_builder_add(&bb, ts, NULL, -1, "world", 5, &hh, 1),
					 0);
			assert_int_equal(ed_batch_builder_add(&bb, ts, "k3", 2, NULL, -1, &hh, 1), 0);
			assert_int_equal(ed_batch_builder_add(&bb, ts, "k4", 2, v4,
							      (int32_t)strlen(v4), &hh, 1),
					 0);
			assert_int_equal(ed_batch_builder_finish(&bb, &q, &qn), 0);
			assert_int_equal(qn, n);
			assert_memory_equal(q + ED_BOFF_MAGIC, p + ED_BOFF_MAGIC, n - ED_BOFF_MAGIC);
			assert_memory_equal(q, p, ED_BOFF_LEADER_EPOCH);
			ed_batch_builder_fini(&bb);
		}
		/* The CRC is CRC32C (Castagnoli), not zlib's CRC32. */
		assert_int_equal(be32(p + ED_BOFF_CRC), ed_crc32c(0, p + 21, n - 21));
		free(p);
	}
}

/* ---- fuzz corpus -------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* With EDDY_FUZZ_CORPUS_OUT=DIR, writes the seed corpus of
 * tests/fuzz/fuzz_batch into DIR: valid batches per codec (built here and
 * captured from librdkafka) and broken ones. Otherwise does nothing. */
static void test_write_fuzz_corpus(void **state)
{
	(void)state;
	const char *dir = getenv("EDDY_FUZZ_CORPUS_OUT");
	char name[64];
	if (!dir)
		skip();
	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		struct ed_batch_builder bb;
		uint8_t *p, *q;
		size_t n;
		const char *cn = ed_codec_name(codec);

		ed_batch_builder_init(&bb, codec);
		build_mixed(&bb);
		assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
		snprintf(name, sizeof name, "valid-mixed-%s", cn);
		write_file(dir, name, p, n);

		/* Broken: cut in the records, a flipped bit, a bad count with a
		 * matching CRC, and (compressed) a damaged payload with a matching
		 * CRC, so the decompressor itself meets it. */
		snprintf(name, sizeof name, "broken-cut-%s", cn);
		write_file(dir, name, p, n - 3);
		q = malloc(n);
		memcpy(q, p, n);
		q[n / 2] ^= 0x04;
		snprintf(name, sizeof name, "broken-bitflip-%s", cn);
		write_file(dir, name, q, n);
		memcpy(q, p, n);
		put_be32(q + ED_BOFF_RECORDS_COUNT, 5);
		ed_batch_update_crc(q, n);
		snprintf(name, sizeof name, "broken-count-%s", cn);
		write_file(dir, name, q, n);
		if (codec != ED_CODEC_NONE) {
			memcpy(q, p, n);
			q[ED_BATCH_HEADER_SIZE + (n - ED_BATCH_HEADER_SIZE) / 2] ^= 0x55;
			ed_batch_update_crc(q, n);
			snprintf(name, sizeof name, "broken-payload-%s", cn);
			write_file(dir, name, q, n);
		}
		free(q);

		/* Many records; then one over the fuzzer's 1 MiB decompression cap. */
		ed_batch_builder_reset(&bb);
		char val[64];
		for (int i = 0; i < 200; i++) {
			int vl = snprintf(val, sizeof val, "value %d", i);
			struct ed_header h = {(const uint8_t *)"h", 1, (const uint8_t *)val, vl};
			assert_int_equal(ed_batch_builder_add(&bb, 1700000000000LL + i * 3, "key",
							      3, val, vl, &h, i % 2),
					 0);
		}
		assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
		snprintf(name, sizeof name, "valid-200-%s", cn);
		write_file(dir, name, p, n);
		/* Two batches back to back: the target reads the first. */
		q = malloc(2 * n);
		memcpy(q, p, n);
		memcpy(q + n, p, n);
		snprintf(name, sizeof name, "valid-twice-%s", cn);
		write_file(dir, name, q, 2 * n);
		free(q);
		if (codec != ED_CODEC_NONE) {
			static uint8_t zeros[1100 << 10];
			ed_batch_builder_reset(&bb);
			assert_int_equal(ed_batch_builder_add(&bb, 0, NULL, -1, zeros, sizeof zeros,
							      NULL, 0),
					 0);
			assert_int_equal(ed_batch_builder_finish(&bb, &p, &n), 0);
			snprintf(name, sizeof name, "bomb-%s", cn);
			write_file(dir, name, p, n);
		}
		ed_batch_builder_fini(&bb);

		uint8_t *k;
		size_t kn = unhex(kafka_batches[codec], &k);
		snprintf(name, sizeof name, "librdkafka-%s", cn);
		write_file(dir, name, k, kn);
		free(k);
	}
	/* Header-level damage. */
	uint8_t hdr[ED_BATCH_HEADER_SIZE] = {0};
	put_be32(hdr + ED_BOFF_LENGTH, ED_BATCH_HEADER_SIZE - 12);
	hdr[ED_BOFF_MAGIC] = 2;
	ed_batch_update_crc(hdr, sizeof hdr);
	write_file(dir, "valid-empty", hdr, sizeof hdr);
	hdr[ED_BOFF_MAGIC] = 1;
	write_file(dir, "broken-magic1", hdr, sizeof hdr);
	put_be32(hdr + ED_BOFF_LENGTH, 0x7fffffff);
	write_file(dir, "broken-huge-length", hdr, sizeof hdr);
	write_file(dir, "broken-short", hdr, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_validate),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_check_order),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_stamping),
		cmocka_unit_test(test_compressed_round_trip),
		cmocka_unit_test(test_check_records),
		cmocka_unit_test(test_builder_reuse_without_allocation),
		cmocka_unit_test(test_builder_allocation_failure),
		cmocka_unit_test(test_builder_arguments),
		cmocka_unit_test(test_iterator_garbage),
		cmocka_unit_test(test_kafka_client_batches),
		cmocka_unit_test(test_write_fuzz_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
