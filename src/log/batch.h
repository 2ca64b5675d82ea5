/* Kafka RecordBatch v2: the one on-disk and on-wire layout of eddy's log.
 * Batches are stored exactly as they arrive; only baseOffset is stamped on
 * append (the CRC does not cover it). This header is the single definition of
 * the format; ed_batch_validate is the one validator used by appends,
 * recovery, the Kafka front end, tests and fuzzers.
 *
 * Batch header (61 bytes, all integers big-endian):
 *
 *   offset size field                 notes
 *   ------ ---- --------------------- ----------------------------------------
 *        0    8 baseOffset            offset of the first record
 *        8    4 batchLength           bytes after this field (total - 12)
 *       12    4 partitionLeaderEpoch
 *       16    1 magic                 must be 2
 *       17    4 crc                   CRC32C of bytes 21..end
 *       21    2 attributes            bits 0-2 codec (0 none, 1 gzip,
 *                                     2 snappy, 3 lz4, 4 zstd), bit 3
 *                                     timestamp type (1 = LogAppendTime),
 *                                     bit 4 transactional, bit 5 control
 *       23    4 lastOffsetDelta
 *       27    8 baseTimestamp
 *       35    8 maxTimestamp
 *       43    8 producerId            -1 when not idempotent
 *       51    2 producerEpoch
 *       53    4 baseSequence
 *       57    4 recordsCount
 *       61    - records (compressed as a whole when codec != 0)
 *
 * Record (all varints zigzag-encoded):
 *   length varint (bytes after this field), attributes int8,
 *   timestampDelta varint, offsetDelta varint, keyLength varint (-1 = null),
 *   key, valueLength varint (-1 = null), value, headerCount varint,
 *   headers: [keyLength varint, key, valueLength varint (-1 = null), value]
 */
#ifndef ED_BATCH_H
#define ED_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/cursor.h"

#define ED_BATCH_HEADER_SIZE 61
#define ED_BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength */

#define ED_BOFF_BASE_OFFSET 0
#define ED_BOFF_LENGTH 8
#define ED_BOFF_LEADER_EPOCH 12
#define ED_BOFF_MAGIC 16
#define ED_BOFF_CRC 17
#define ED_BOFF_ATTRIBUTES 21
#define ED_BOFF_LAST_OFFSET_DELTA 23
#define ED_BOFF_BASE_TIMESTAMP 27
#define ED_BOFF_MAX_TIMESTAMP 35
#define ED_BOFF_PRODUCER_ID 43
#define ED_BOFF_PRODUCER_EPOCH 51
#define ED_BOFF_BASE_SEQUENCE 53
#define ED_BOFF_RECORDS_COUNT 57

#define ED_BATCH_ATTR_CODEC_MASK 0x07
#define ED_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define ED_BATCH_ATTR_TRANSACTIONAL 0x10
#define ED_BATCH_ATTR_CONTROL 0x20

enum ed_codec {
	ED_CODEC_NONE = 0,
	ED_CODEC_GZIP = 1,
	ED_CODEC_SNAPPY = 2,
	ED_CODEC_LZ4 = 3,
	ED_CODEC_ZSTD = 4,
};

struct ed_batch_info {
	int64_t base_offset;
	int32_t size; /* total bytes of the batch: batchLength + 12 */
	int32_t leader_epoch;
	int8_t magic;
	uint32_t crc;
	int16_t attributes;
	int32_t last_offset_delta;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int32_t records_count;
};

static inline int ed_batch_codec(const struct ed_batch_info *bi)
{
	return bi->attributes & ED_BATCH_ATTR_CODEC_MASK;
}
static inline int64_t ed_batch_last_offset(const struct ed_batch_info *bi)
{
	return bi->base_offset + bi->last_offset_delta;
}

/* Decode the fixed header only (no CRC check). ED_EAGAIN if n < 61 bytes.
 * Use ed_batch_validate for anything that came from a socket or a file. */
int ed_batch_parse_header(const uint8_t *p, size_t n, struct ed_batch_info *bi);

/* Validate the batch starting at p, with n bytes available.
 * Checks, in order: at least 12 bytes to read the length (else ED_EAGAIN);
 * batchLength >= 49 (else ED_ECORRUPT); total size <= max_size (else
 * ED_ETOOBIG; max_size 0 = no limit); n >= total (else ED_EAGAIN); magic == 2
 * (0 or 1: ED_EUNSUPPORTED; other: ED_ECORRUPT); CRC32C; recordsCount >= 0,
 * lastOffsetDelta >= 0, codec known (else ED_ECORRUPT). For uncompressed
 * batches the records are walked too: each record's length, varints and
 * offsetDelta <= lastOffsetDelta must be sound and their number must equal
 * recordsCount. On success fills *bi (if not NULL) and returns 0. On failure
 * writes a one-line reason to err (if errlen > 0). */
int ed_batch_validate(const uint8_t *p, size_t n, size_t max_size, struct ed_batch_info *bi,
		      char *err, size_t errlen);

/* ed_batch_validate, then for compressed batches also decompress the records
 * (into scratch, reused across calls, at most max_uncompressed bytes, 0 = 64
 * MiB) and walk them as ed_batch_validate walks uncompressed ones: what a
 * broker does before it accepts a produced batch. Returns what
 * ed_batch_validate returns, or ED_ECORRUPT (records do not decompress or are
 * unsound), ED_ETOOBIG (over max_uncompressed), ED_ENOMEM; err says why. */
int ed_batch_check_records(const uint8_t *p, size_t n, size_t max_uncompressed,
			   struct ed_buf *scratch, char *err, size_t errlen);

/* Stamp baseOffset (not covered by the CRC). */
void ed_batch_set_base_offset(uint8_t *p, int64_t base_offset);
/* Set LogAppendTime: attribute bit 3, maxTimestamp = ts; recomputes the CRC. */
void ed_batch_set_log_append_time(uint8_t *p, size_t size, int64_t ts);
/* Recompute and store the CRC of a complete batch. */
void ed_batch_update_crc(uint8_t *p, size_t size);

struct ed_header {
	const uint8_t *key;
	int32_t key_len;
	const uint8_t *value;
	int32_t value_len; /* -1 = null */
};

struct ed_record {
	int64_t offset;
	int64_t timestamp;
	int8_t attributes;
	const uint8_t *key;
	int32_t key_len; /* -1 = null key */
	const uint8_t *value;
	int32_t value_len; /* -1 = null value (tombstone) */
	uint32_t header_count;
	const uint8_t *headers; /* raw header bytes, header_count entries */
	size_t headers_len;
};

/* Iterates the records of one validated batch, decompressing it first when it
 * is compressed (into the iterator's own buffer, at most max_uncompressed
 * bytes, 0 = 64 MiB). Record pointers stay valid until the next init/fini.
 * Still checks every length itself (never reads out of bounds on any input).
 * init: 0, ED_EAGAIN (short), ED_ECORRUPT, ED_ETOOBIG (over the limit) or
 * ED_ENOMEM; on failure nothing is held. Call fini after a successful init
 * before the next init. next also fails with ED_ECORRUPT when the records do
 * not match recordsCount (too few, or bytes left after the last). */
struct ed_record_iter {
	struct ed_batch_info bi;
	struct ed_cur cur;
	int32_t left;
	struct ed_buf decomp;
};

int ed_record_iter_init(struct ed_record_iter *it, const uint8_t *batch, size_t n,
			size_t max_uncompressed);
/* 1 with *rec filled, 0 at the end, negative ed_err on a malformed record. */
int ed_record_iter_next(struct ed_record_iter *it, struct ed_record *rec);
void ed_record_iter_fini(struct ed_record_iter *it);
/* Read header i (0-based) of a record; 0, ED_ERANGE if i >= header_count,
 * or ED_ECORRUPT. */
int ed_record_header(const struct ed_record *rec, uint32_t i, struct ed_header *h);

/* Builds one batch from records, for local writers (CLI, HTTP, sinks).
 * Reuse a builder across batches with ed_batch_builder_reset: no allocation
 * per record once its buffers have grown. */
struct ed_batch_builder {
	struct ed_buf buf;  /* the batch being built, header first */
	struct ed_buf comp; /* scratch for compression */
	int32_t count;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int codec;
};

void ed_batch_builder_init(struct ed_batch_builder *bb, int codec);
void ed_batch_builder_fini(struct ed_batch_builder *bb);
void ed_batch_builder_reset(struct ed_batch_builder *bb);
/* key/value NULL with len -1 mean null (any negative length is null). 0,
 * ED_ENOMEM (the builder is unchanged and can be retried), ED_EINVAL (NULL
 * pointer with a positive length, or a header with a negative key length) or
 * ED_ETOOBIG (the batch would pass 2 GiB). */
int ed_batch_builder_add(struct ed_batch_builder *bb, int64_t timestamp, const void *key,
			 int32_t key_len, const void *value, int32_t value_len,
			 const struct ed_header *headers, uint32_t header_count);
/* Bytes the batch would take if finished now (uncompressed). */
size_t ed_batch_builder_size(const struct ed_batch_builder *bb);
/* Finish: fill the header (baseOffset 0, partitionLeaderEpoch -1, producerId
 * and friends from the builder, -1 by default), compress if asked, compute the
 * CRC. *out points into the builder and stays valid until the next reset, add
 * or finish. 0, ED_EINVAL (no records, or an unknown codec), ED_ENOMEM,
 * ED_ETOOBIG. */
int ed_batch_builder_finish(struct ed_batch_builder *bb, uint8_t **out, size_t *len);

#endif
