/* libFuzzer target for the RecordBatch v2 decoder: ed_batch_validate, then
 * the record iterator (run whatever the validator said: it must be safe on
 * any bytes), decompression capped at 1 MiB, and for batches the validator
 * accepts, the invariants that the rest of eddy relies on:
 *   - an accepted uncompressed batch iterates to exactly recordsCount records,
 *     and so does any batch ed_batch_check_records accepts;
 *   - rebuilding the iterated records with the builder gives a batch that
 *     validates and iterates to the same records.
 * Each input is also tried with its CRC recomputed, so that mutations get past
 * the checksum. A broken invariant aborts, which is what libFuzzer reports. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/batch.h"
#include "log/codec.h"

#define FUZZ_MAX_BATCH (4u << 20)
#define FUZZ_MAX_UNCOMPRESSED (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_batch: invariant broken: %s\n", what);
		abort();
	}
}

static int same_bytes(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
	if (alen != blen)
		return 0;
	return alen <= 0 || memcmp(a, b, (size_t)alen) == 0;
}

/* Rebuild the batch from its records with the builder (same codec) and
 * compare record by record. */
static void rebuild(const uint8_t *data, size_t size, const struct ed_batch_info *bi)
{
	struct ed_batch_builder bb;
	struct ed_record_iter it, it2;
	struct ed_record rec, rec2;
	struct ed_header *hs = NULL;
	uint8_t *out;
	size_t len;
	int rc;

	ed_batch_builder_init(&bb, ed_batch_codec(bi));
	if (ed_record_iter_init(&it, data, size, FUZZ_MAX_UNCOMPRESSED) != 0)
		goto out_builder;
	while ((rc = ed_record_iter_next(&it, &rec)) == 1) {
		ed_free(hs);
		hs = ed_calloc(rec.header_count ? rec.header_count : 1, sizeof *hs);
		check(hs != NULL, "header array");
		for (uint32_t i = 0; i < rec.header_count; i++)
			check(ed_record_header(&rec, i, &hs[i]) == 0, "header of an iterated record");
		check(ed_batch_builder_add(&bb, rec.timestamp, rec.key, rec.key_len, rec.value,
					   rec.value_len, hs, rec.header_count) == 0,
		      "builder accepts an iterated record");
	}
	if (rc != 0 || bb.count == 0)
		goto out_iter;
	check(ed_batch_builder_finish(&bb, &out, &len) == 0, "builder finishes");
	check(ed_batch_validate(out, len, 0, NULL, NULL, 0) == 0, "rebuilt batch validates");
	check(ed_record_iter_init(&it2, out, len, 0) == 0, "rebuilt batch iterates");
	ed_record_iter_fini(&it);
	check(ed_record_iter_init(&it, data, size, FUZZ_MAX_UNCOMPRESSED) == 0, "re-iterate");
	while (ed_record_iter_next(&it, &rec) == 1) {
		check(ed_record_iter_next(&it2, &rec2) == 1, "rebuilt has as many records");
		check(rec.timestamp == rec2.timestamp, "timestamp kept");
		check(same_bytes(rec.key, rec.key_len, rec2.key, rec2.key_len), "key kept");
		check(same_bytes(rec.value, rec.value_len, rec2.value, rec2.value_len), "value kept");
		check(rec.header_count == rec2.header_count, "header count kept");
	}
	check(ed_record_iter_next(&it2, &rec2) == 0, "rebuilt has no extra records");
	ed_record_iter_fini(&it2);
out_iter:
	ed_record_iter_fini(&it);
out_builder:
	ed_free(hs);
	ed_batch_builder_fini(&bb);
}

static void one(const uint8_t *data, size_t size)
{
	struct ed_batch_info bi;
	struct ed_record_iter it;
	struct ed_record rec;
	struct ed_header h;
	char err[256];
	int valid, rc;
	int32_t count = 0;

	err[0] = 0;
	valid = ed_batch_validate(data, size, FUZZ_MAX_BATCH, &bi, err, sizeof err) == 0;
	check(valid || err[0] != 0, "a rejected batch says why");
	if (valid) {
		check(bi.size >= ED_BATCH_HEADER_SIZE && (size_t)bi.size <= size, "size in range");
		check(bi.magic == 2, "magic 2");
	}

	rc = ed_record_iter_init(&it, data, size, FUZZ_MAX_UNCOMPRESSED);
	if (rc == 0) {
		size_t total = 0;
		while ((rc = ed_record_iter_next(&it, &rec)) == 1) {
			count++;
			if (rec.key_len > 0)
				total += rec.key[0] + rec.key[rec.key_len - 1];
			if (rec.value_len > 0)
				total += rec.value[0] + rec.value[rec.value_len - 1];
			for (uint32_t i = 0; i < rec.header_count; i++) {
				check(ed_record_header(&rec, i, &h) == 0, "header readable");
				total += (size_t)h.key_len;
			}
			check(ed_record_header(&rec, rec.header_count, &h) == ED_ERANGE,
			      "header index range");
		}
		check(rc == 0 || rc == ED_ECORRUPT, "iterator error is ED_ECORRUPT");
		ed_record_iter_fini(&it);
		(void)total;
		if (valid && ed_batch_codec(&bi) == ED_CODEC_NONE)
			check(rc == 0 && count == bi.records_count,
			      "validated batch iterates to recordsCount records");
	} else {
		check(rc == ED_EAGAIN || rc == ED_ECORRUPT || rc == ED_ETOOBIG || rc == ED_ENOMEM,
		      "iterator init error");
		if (valid && ed_batch_codec(&bi) == ED_CODEC_NONE)
			check(0, "validated uncompressed batch fails to iterate");
	}
	if (valid && rc == 0)
		rebuild(data, size, &bi);

	/* The deep check and the iterator agree. */
	struct ed_buf scratch;
	ed_buf_init(&scratch);
	if (ed_batch_check_records(data, size, FUZZ_MAX_UNCOMPRESSED, &scratch, err, sizeof err) ==
	    0) {
		check(valid, "deep check implies validate");
		check(ed_record_iter_init(&it, data, size, FUZZ_MAX_UNCOMPRESSED) == 0,
		      "checked batch iterates");
		count = 0;
		while ((rc = ed_record_iter_next(&it, &rec)) == 1)
			count++;
		check(rc == 0 && count == bi.records_count, "checked batch has recordsCount records");
		ed_record_iter_fini(&it);
	}
	ed_buf_fini(&scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size);
	/* Again with the CRC made right, so that mutations reach the record
	 * walk and the rebuild instead of stopping at the checksum. */
	if (size >= ED_BATCH_HEADER_SIZE) {
		uint32_t blen = (uint32_t)data[8] << 24 | (uint32_t)data[9] << 16 |
				(uint32_t)data[10] << 8 | data[11];
		size_t total = (size_t)blen + ED_BATCH_LOG_OVERHEAD;
		if (blen <= INT32_MAX && total >= ED_BATCH_HEADER_SIZE && total <= size) {
			uint8_t *copy = ed_malloc(size);
			if (copy) {
				memcpy(copy, data, size);
				ed_batch_update_crc(copy, total);
				if (memcmp(copy + ED_BOFF_CRC, data + ED_BOFF_CRC, 4) != 0)
					one(copy, size);
				ed_free(copy);
			}
		}
	}
	return 0;
}
