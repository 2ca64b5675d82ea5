/* Kafka RecordBatch v2: header decoding, the one validator, in-place stamping
 * (baseOffset, LogAppendTime, CRC), the record iterator and the batch builder.
 * The format table lives in batch.h. Nothing here trusts a length read from
 * the batch: every varint and length is checked against the bytes that remain
 * before it is used, and signed arithmetic on peer values is done unsigned. */
#include "log/batch.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/err.h"
#include "base/varint.h"
#include "log/codec.h"

#define ED_BATCH_MIN_LENGTH (ED_BATCH_HEADER_SIZE - ED_BATCH_LOG_OVERHEAD) /* 49 */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}
static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)(v >> 32));
	wr32(p + 4, (uint32_t)v);
}

/* Wrapping add without signed-overflow UB (values come from peers). */
static inline int64_t add_wrap(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int ed_batch_parse_header(const uint8_t *p, size_t n, struct ed_batch_info *bi)
{
	if (n < ED_BATCH_HEADER_SIZE)
		return ED_EAGAIN;
	bi->base_offset = (int64_t)rd64(p + ED_BOFF_BASE_OFFSET);
	/* size is batchLength + 12; only meaningful once batchLength was checked. */
	bi->size = (int32_t)((uint32_t)rd32(p + ED_BOFF_LENGTH) + ED_BATCH_LOG_OVERHEAD);
	bi->leader_epoch = (int32_t)rd32(p + ED_BOFF_LEADER_EPOCH);
	bi->magic = (int8_t)p[ED_BOFF_MAGIC];
	bi->crc = rd32(p + ED_BOFF_CRC);
	bi->attributes = (int16_t)rd16(p + ED_BOFF_ATTRIBUTES);
	bi->last_offset_delta = (int32_t)rd32(p + ED_BOFF_LAST_OFFSET_DELTA);
	bi->base_timestamp = (int64_t)rd64(p + ED_BOFF_BASE_TIMESTAMP);
	bi->max_timestamp = (int64_t)rd64(p + ED_BOFF_MAX_TIMESTAMP);
	bi->producer_id = (int64_t)rd64(p + ED_BOFF_PRODUCER_ID);
	bi->producer_epoch = (int16_t)rd16(p + ED_BOFF_PRODUCER_EPOCH);
	bi->base_sequence = (int32_t)rd32(p + ED_BOFF_BASE_SEQUENCE);
	bi->records_count = (int32_t)rd32(p + ED_BOFF_RECORDS_COUNT);
	return 0;
}

/* Reads one record (from its length varint on) at c, leaving c after it.
 * Fills rec when not NULL; offset and timestamp are relative to bi. Returns 0
 * or ED_ECORRUPT with a reason. Allocates nothing. */
static int read_record(struct ed_cur *c, const struct ed_batch_info *bi, struct ed_record *rec,
		       char *err, size_t errlen)
{
	struct ed_cur r;
	int64_t len, ts_delta, off_delta, klen, vlen, hcount;
	int8_t attributes;
	const uint8_t *key = NULL, *value = NULL, *headers;

	len = ed_cur_varint(c);
	if (c->err)
		return fail(ED_ECORRUPT, err, errlen, "truncated record length");
	if (len < 0 || (uint64_t)len > ed_cur_left(c))
		return fail(ED_ECORRUPT, err, errlen, "record length %lld out of bounds",
			    (long long)len);
	ed_cur_init(&r, c->p, (size_t)len);
	c->p += len;

	attributes = ed_cur_i8(&r);
	ts_delta = ed_cur_varint(&r);
	off_delta = ed_cur_varint(&r);
	if (r.err)
		return fail(ED_ECORRUPT, err, errlen, "truncated record header");
	if (off_delta < 0 || off_delta > bi->last_offset_delta)
		return fail(ED_ECORRUPT, err, errlen, "offsetDelta %lld outside 0..%d",
			    (long long)off_delta, bi->last_offset_delta);

	klen = ed_cur_varint(&r);
	if (r.err || klen < -1 || klen > (int64_t)ed_cur_left(&r))
		return fail(ED_ECORRUPT, err, errlen, "bad record key length");
	if (klen >= 0)
		key = ed_cur_bytes(&r, (size_t)klen);
	vlen = ed_cur_varint(&r);
	if (r.err || vlen < -1 || vlen > (int64_t)ed_cur_left(&r))
		return fail(ED_ECORRUPT, err, errlen, "bad record value length");
	if (vlen >= 0)
		value = ed_cur_bytes(&r, (size_t)vlen);
	hcount = ed_cur_varint(&r);
	/* Each header takes at least two bytes: bounds the loop below. */
	if (r.err || hcount < 0 || (uint64_t)hcount > ed_cur_left(&r) / 2)
		return fail(ED_ECORRUPT, err, errlen, "bad record header count");
	headers = r.p;
	for (int64_t i = 0; i < hcount; i++) {
		int64_t hk = ed_cur_varint(&r);
		if (r.err || hk < 0 || hk > (int64_t)ed_cur_left(&r))
			return fail(ED_ECORRUPT, err, errlen, "bad header key length");
		ed_cur_skip(&r, (size_t)hk);
		int64_t hv = ed_cur_varint(&r);
		if (r.err || hv < -1 || hv > (int64_t)ed_cur_left(&r))
			return fail(ED_ECORRUPT, err, errlen, "bad header value length");
		if (hv > 0)
			ed_cur_skip(&r, (size_t)hv);
	}
	if (r.err)
		return fail(ED_ECORRUPT, err, errlen, "truncated record");
	if (ed_cur_left(&r) != 0)
		return fail(ED_ECORRUPT, err, errlen, "%zu trailing bytes in record",
			    ed_cur_left(&r));
	if (rec) {
		rec->offset = add_wrap(bi->base_offset, off_delta);
		rec->timestamp = add_wrap(bi->base_timestamp, ts_delta);
		rec->attributes = attributes;
		rec->key = key;
		rec->key_len = (int32_t)klen; /* klen <= record length <= INT32_MAX */
		rec->value = value;
		rec->value_len = (int32_t)vlen;
		rec->header_count = (uint32_t)hcount;
		rec->headers = headers;
		rec->headers_len = (size_t)(r.p - headers);
	}
	return 0;
}

/* Zigzag varint within [p, end); NULL if truncated or over 64 bits (the
 * same rule as ed_uvarint_get). */
static inline const uint8_t *fast_varint(const uint8_t *p, const uint8_t *end, int64_t *v)
{
	if (__builtin_expect(end - p >= 2, 1)) {
		if (p[0] < 0x80) {
			*v = (int64_t)(p[0] >> 1) ^ -(int64_t)(p[0] & 1);
			return p + 1;
		}
		if (p[1] < 0x80) {
			uint64_t w = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
			*v = (int64_t)(w >> 1) ^ -(int64_t)(w & 1);
			return p + 2;
		}
	}
	uint64_t u = 0;
	for (int shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t b = *p++;
		if (shift == 63 && b > 1)
			return NULL;
		u |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
			return p;
		}
	}
	return NULL;
}

/* The append path's record check: the same rules as read_record, on raw
 * pointers with no reason text, so the common case (a sound batch) costs a
 * few nanoseconds per record. Returns the end of the record at p, or NULL if
 * anything is off; the caller then re-reads with read_record for the reason. */
static const uint8_t *fast_record(const uint8_t *p, const uint8_t *end, int32_t last_delta)
{
	int64_t len, v, count;
	if (!(p = fast_varint(p, end, &len)) || len < 0 || len > end - p)
		return NULL;
	const uint8_t *rend = p + len;
	if (p >= rend)
		return NULL;
	p++;                                 /* attributes */
	if (!(p = fast_varint(p, rend, &v))) /* timestampDelta */
		return NULL;
	if (!(p = fast_varint(p, rend, &v)) || v < 0 || v > last_delta)
		return NULL;
	for (int kv = 0; kv < 2; kv++) { /* key, value */
		if (!(p = fast_varint(p, rend, &v)) || v < -1 || v > rend - p)
			return NULL;
		if (v > 0)
			p += v;
	}
	if (!(p = fast_varint(p, rend, &count)) || count < 0 || count > (rend - p) / 2)
		return NULL;
	for (int64_t i = 0; i < count; i++) {
		if (!(p = fast_varint(p, rend, &v)) || v < 0 || v > rend - p)
			return NULL;
		p += v;
		if (!(p = fast_varint(p, rend, &v)) || v < -1 || v > rend - p)
			return NULL;
		if (v > 0)
			p += v;
	}
	return p == rend ? rend : NULL;
}

/* Walks the records section rec[0..n): every record sound and their number
 * equal to recordsCount. 0 or ED_ECORRUPT with a reason. */
static int walk_records(const uint8_t *rec, size_t n, const struct ed_batch_info *bi, char *err,
			size_t errlen)
{
	struct ed_cur c;
	int32_t i;
	int rc;

	if (n == 0) {
		if (bi->records_count != 0)
			return fail(ED_ECORRUPT, err, errlen, "recordsCount %d but no records",
				    bi->records_count);
		return 0;
	}
	const uint8_t *p = rec, *end = rec + n;
	for (i = 0; i < bi->records_count && p && p < end; i++)
		p = fast_record(p, end, bi->last_offset_delta);
	if (p == end && i == bi->records_count)
		return 0;
	/* Something is wrong: walk again with the checked reader for the reason. */
	ed_cur_init(&c, rec, n);
	for (i = 0; i < bi->records_count && ed_cur_left(&c) > 0; i++) {
		rc = read_record(&c, bi, NULL, err, errlen);
		if (rc)
			return rc;
	}
	if (i != bi->records_count)
		return fail(ED_ECORRUPT, err, errlen, "recordsCount %d but %d records",
			    bi->records_count, i);
	if (ed_cur_left(&c) != 0)
		return fail(ED_ECORRUPT, err, errlen, "%zu bytes after the last record",
			    ed_cur_left(&c));
	return 0;
}

int ed_batch_validate(const uint8_t *p, size_t n, size_t max_size, struct ed_batch_info *bi,
		      char *err, size_t errlen)
{
	struct ed_batch_info info;
	int32_t blen;
	size_t total;
	uint32_t crc;
	int rc;

	if (n < ED_BATCH_LOG_OVERHEAD)
		return fail(ED_EAGAIN, err, errlen, "need %d bytes for the batch length, have %zu",
			    ED_BATCH_LOG_OVERHEAD, n);
	blen = (int32_t)rd32(p + ED_BOFF_LENGTH);
	if (blen < ED_BATCH_MIN_LENGTH)
		return fail(ED_ECORRUPT, err, errlen, "batchLength %d below minimum %d", blen,
			    ED_BATCH_MIN_LENGTH);
	total = (size_t)blen + ED_BATCH_LOG_OVERHEAD;
	if (max_size && total > max_size)
		return fail(ED_ETOOBIG, err, errlen, "batch of %zu bytes exceeds limit %zu", total,
			    max_size);
	if (n < total)
		return fail(ED_EAGAIN, err, errlen, "batch of %zu bytes, have %zu", total, n);
	ed_batch_parse_header(p, total, &info);
	if (info.magic == 0 || info.magic == 1)
		return fail(ED_EUNSUPPORTED, err, errlen, "unsupported message format magic %d",
			    info.magic);
	if (info.magic != 2)
		return fail(ED_ECORRUPT, err, errlen, "bad magic %d", info.magic);
	crc = ed_crc32c(0, p + ED_BOFF_ATTRIBUTES, total - ED_BOFF_ATTRIBUTES);
	if (crc != info.crc)
		return fail(ED_ECORRUPT, err, errlen, "CRC mismatch: stored %08x, computed %08x",
			    info.crc, crc);
	if (info.records_count < 0)
		return fail(ED_ECORRUPT, err, errlen, "negative recordsCount %d", info.records_count);
	if (info.last_offset_delta < 0)
		return fail(ED_ECORRUPT, err, errlen, "negative lastOffsetDelta %d",
			    info.last_offset_delta);
	if (ed_batch_codec(&info) > ED_CODEC_ZSTD)
		return fail(ED_ECORRUPT, err, errlen, "unknown compression codec %d",
			    ed_batch_codec(&info));
	if (ed_batch_codec(&info) == ED_CODEC_NONE) {
		rc = walk_records(p + ED_BATCH_HEADER_SIZE, total - ED_BATCH_HEADER_SIZE, &info,
				  err, errlen);
		if (rc)
			return rc;
	}
	if (bi)
		*bi = info;
	return 0;
}

int ed_batch_check_records(const uint8_t *p, size_t n, size_t max_uncompressed,
			   struct ed_buf *scratch, char *err, size_t errlen)
{
	struct ed_batch_info info;
	int codec, rc;

	rc = ed_batch_validate(p, n, 0, &info, err, errlen);
	if (rc)
		return rc;
	codec = ed_batch_codec(&info);
	if (codec == ED_CODEC_NONE)
		return 0; /* walked by ed_batch_validate */
	if (!max_uncompressed)
		max_uncompressed = ED_CODEC_DEFAULT_LIMIT;
	ed_buf_reset(scratch);
	rc = ed_codec_decompress(codec, p + ED_BATCH_HEADER_SIZE,
				 (size_t)info.size - ED_BATCH_HEADER_SIZE, scratch, max_uncompressed);
	if (rc == ED_ETOOBIG)
		return fail(rc, err, errlen, "%s records exceed %zu bytes uncompressed",
			    ed_codec_name(codec), max_uncompressed);
	if (rc == ED_ENOMEM)
		return fail(rc, err, errlen, "out of memory decompressing %s records",
			    ed_codec_name(codec));
	if (rc)
		return fail(ED_ECORRUPT, err, errlen, "%s records do not decompress",
			    ed_codec_name(codec));
	return walk_records(scratch->data, scratch->len, &info, err, errlen);
}

void ed_batch_set_base_offset(uint8_t *p, int64_t base_offset)
{
	wr64(p + ED_BOFF_BASE_OFFSET, (uint64_t)base_offset);
}

void ed_batch_update_crc(uint8_t *p, size_t size)
{
	wr32(p + ED_BOFF_CRC, ed_crc32c(0, p + ED_BOFF_ATTRIBUTES, size - ED_BOFF_ATTRIBUTES));
}

void ed_batch_set_log_append_time(uint8_t *p, size_t size, int64_t ts)
{
	wr16(p + ED_BOFF_ATTRIBUTES,
	     (uint16_t)(rd16(p + ED_BOFF_ATTRIBUTES) | ED_BATCH_ATTR_LOG_APPEND_TIME));
	wr64(p + ED_BOFF_MAX_TIMESTAMP, (uint64_t)ts);
	ed_batch_update_crc(p, size);
}

/* ---- record iterator ---------------------------------------------------- */

/* An empty cursor without pointer arithmetic on NULL. */
static void cur_empty(struct ed_cur *c)
{
	c->p = c->end = NULL;
	c->err = false;
}

int ed_record_iter_init(struct ed_record_iter *it, const uint8_t *batch, size_t n,
			size_t max_uncompressed)
{
	int rc, codec;
	size_t total;

	memset(&it->bi, 0, sizeof(it->bi));
	ed_buf_init(&it->decomp);
	cur_empty(&it->cur);
	it->left = 0;

	rc = ed_batch_parse_header(batch, n, &it->bi);
	if (rc)
		goto out;
	if (it->bi.size < ED_BATCH_HEADER_SIZE || it->bi.magic != 2 || it->bi.records_count < 0 ||
	    it->bi.last_offset_delta < 0) {
		rc = ED_ECORRUPT;
		goto out;
	}
	total = (size_t)it->bi.size;
	if (n < total) {
		rc = ED_EAGAIN;
		goto out;
	}
	codec = ed_batch_codec(&it->bi);
	if (codec == ED_CODEC_NONE) {
		ed_cur_init(&it->cur, batch + ED_BATCH_HEADER_SIZE, total - ED_BATCH_HEADER_SIZE);
	} else {
		if (!max_uncompressed)
			max_uncompressed = ED_CODEC_DEFAULT_LIMIT;
		rc = ed_codec_decompress(codec, batch + ED_BATCH_HEADER_SIZE,
					 total - ED_BATCH_HEADER_SIZE, &it->decomp, max_uncompressed);
		if (rc == ED_EINVAL)
			rc = ED_ECORRUPT; /* unknown codec in a stored batch */
		if (rc)
			goto out;
		if (it->decomp.len)
			ed_cur_init(&it->cur, it->decomp.data, it->decomp.len);
	}
	it->left = it->bi.records_count;
	return 0;
out:
	ed_buf_fini(&it->decomp);
	ed_buf_init(&it->decomp);
	return rc;
}

int ed_record_iter_next(struct ed_record_iter *it, struct ed_record *rec)
{
	int rc;

	if (it->left <= 0) {
		if (ed_cur_left(&it->cur) != 0 || it->left < 0)
			return ED_ECORRUPT; /* more bytes than recordsCount says */
		return 0;
	}
	if (ed_cur_left(&it->cur) == 0)
		rc = ED_ECORRUPT; /* fewer records than recordsCount says */
	else
		rc = read_record(&it->cur, &it->bi, rec, NULL, 0);
	if (rc) {
		it->left = -1; /* stay failed */
		return rc;
	}
	it->left--;
	return 1;
}

void ed_record_iter_fini(struct ed_record_iter *it)
{
	ed_buf_fini(&it->decomp);
	it->left = 0;
	cur_empty(&it->cur);
}

int ed_record_header(const struct ed_record *rec, uint32_t i, struct ed_header *h)
{
	struct ed_cur c;
	int64_t klen = 0, vlen = 0;
	const uint8_t *key = NULL, *value = NULL;

	if (i >= rec->header_count)
		return ED_ERANGE;
	ed_cur_init(&c, rec->headers, rec->headers_len);
	for (uint32_t k = 0; k <= i; k++) {
		klen = ed_cur_varint(&c);
		if (c.err || klen < 0 || klen > (int64_t)ed_cur_left(&c))
			return ED_ECORRUPT;
		key = ed_cur_bytes(&c, (size_t)klen);
		vlen = ed_cur_varint(&c);
		if (c.err || vlen < -1 || vlen > (int64_t)ed_cur_left(&c))
			return ED_ECORRUPT;
		value = vlen >= 0 ? ed_cur_bytes(&c, (size_t)vlen) : NULL;
	}
	h->key = key;
	h->key_len = (int32_t)klen;
	h->value = value;
	h->value_len = (int32_t)vlen;
	return 0;
}

/* ---- builder ------------------------------------------------------------ */

void ed_batch_builder_init(struct ed_batch_builder *bb, int codec)
{
	ed_buf_init(&bb->buf);
	ed_buf_init(&bb->comp);
	bb->codec = codec;
	bb->producer_id = -1;
	bb->producer_epoch = -1;
	bb->base_sequence = -1;
	ed_batch_builder_reset(bb);
}

void ed_batch_builder_fini(struct ed_batch_builder *bb)
{
	ed_buf_fini(&bb->buf);
	ed_buf_fini(&bb->comp);
	bb->count = 0;
}

void ed_batch_builder_reset(struct ed_batch_builder *bb)
{
	ed_buf_reset(&bb->buf);
	ed_buf_reset(&bb->comp);
	bb->count = 0;
	bb->base_timestamp = -1;
	bb->max_timestamp = -1;
}

/* The header is reserved lazily so that init and reset cannot fail. */
static int reserve_header(struct ed_batch_builder *bb)
{
	if (bb->buf.len >= ED_BATCH_HEADER_SIZE)
		return 0;
	bb->buf.err = 0;
	bb->buf.len = 0;
	if (!ed_buf_skip(&bb->buf, ED_BATCH_HEADER_SIZE)) {
		bb->buf.err = 0;
		bb->buf.len = 0;
		return ED_ENOMEM;
	}
	return 0;
}

int ed_batch_builder_add(struct ed_batch_builder *bb, int64_t timestamp, const void *key,
			 int32_t key_len, const void *value, int32_t value_len,
			 const struct ed_header *headers, uint32_t header_count)
{
	int64_t ts_delta;
	uint64_t body;
	size_t start;

	if (key_len < 0)
		key_len = -1;
	if (value_len < 0)
		value_len = -1;
	if ((key_len > 0 && !key) || (value_len > 0 && !value) || (header_count && !headers))
		return ED_EINVAL;
	if (bb->count == INT32_MAX)
		return ED_ETOOBIG;
	if (reserve_header(bb))
		return ED_ENOMEM;
	ts_delta = bb->count == 0 ? 0 : (int64_t)((uint64_t)timestamp - (uint64_t)bb->base_timestamp);

	body = 1 + ed_varint_len(ts_delta) + ed_varint_len(bb->count) + ed_varint_len(key_len) +
	       (key_len > 0 ? (uint64_t)key_len : 0) + ed_varint_len(value_len) +
	       (value_len > 0 ? (uint64_t)value_len : 0) + ed_varint_len((int64_t)header_count);
	for (uint32_t i = 0; i < header_count; i++) {
		const struct ed_header *h = &headers[i];
		if (h->key_len < 0 || (h->key_len > 0 && !h->key) || (h->value_len > 0 && !h->value))
			return ED_EINVAL;
		int32_t hv = h->value_len < 0 ? -1 : h->value_len;
		body += ed_varint_len(h->key_len) + (uint64_t)h->key_len + ed_varint_len(hv) +
			(hv > 0 ? (uint64_t)hv : 0);
	}
	if (body > INT32_MAX || bb->buf.len + body + ED_VARINT_MAX > INT32_MAX)
		return ED_ETOOBIG;

	start = bb->buf.len;
	if (ed_buf_reserve(&bb->buf, (size_t)body + ED_VARINT_MAX)) {
		bb->buf.err = 0;
		return ED_ENOMEM;
	}
	/* Room is reserved: the writes below cannot fail. */
	ed_buf_put_varint(&bb->buf, (int64_t)body);
	ed_buf_put_u8(&bb->buf, 0); /* record attributes: unused */
	ed_buf_put_varint(&bb->buf, ts_delta);
	ed_buf_put_varint(&bb->buf, bb->count);
	ed_buf_put_varint(&bb->buf, key_len);
	if (key_len > 0)
		ed_buf_append(&bb->buf, key, (size_t)key_len);
	ed_buf_put_varint(&bb->buf, value_len);
	if (value_len > 0)
		ed_buf_append(&bb->buf, value, (size_t)value_len);
	ed_buf_put_varint(&bb->buf, (int64_t)header_count);
	for (uint32_t i = 0; i < header_count; i++) {
		const struct ed_header *h = &headers[i];
		int32_t hv = h->value_len < 0 ? -1 : h->value_len;
		ed_buf_put_varint(&bb->buf, h->key_len);
		if (h->key_len > 0)
			ed_buf_append(&bb->buf, h->key, (size_t)h->key_len);
		ed_buf_put_varint(&bb->buf, hv);
		if (hv > 0)
			ed_buf_append(&bb->buf, h->value, (size_t)hv);
	}
	if (bb->buf.err) { /* cannot happen after the reserve; keep the builder sound */
		bb->buf.len = start;
		bb->buf.err = 0;
		return ED_ENOMEM;
	}
	if (bb->count == 0) {
		bb->base_timestamp = timestamp;
		bb->max_timestamp = timestamp;
	} else if (timestamp > bb->max_timestamp) {
		bb->max_timestamp = timestamp;
	}
	bb->count++;
	return 0;
}

size_t ed_batch_builder_size(const struct ed_batch_builder *bb)
{
	return bb->buf.len < ED_BATCH_HEADER_SIZE ? ED_BATCH_HEADER_SIZE : bb->buf.len;
}

static void fill_header(const struct ed_batch_builder *bb, uint8_t *p, size_t total)
{
	wr64(p + ED_BOFF_BASE_OFFSET, 0);
	wr32(p + ED_BOFF_LENGTH, (uint32_t)(total - ED_BATCH_LOG_OVERHEAD));
	wr32(p + ED_BOFF_LEADER_EPOCH, (uint32_t)-1);
	p[ED_BOFF_MAGIC] = 2;
	wr16(p + ED_BOFF_ATTRIBUTES, (uint16_t)(bb->codec & ED_BATCH_ATTR_CODEC_MASK));
	wr32(p + ED_BOFF_LAST_OFFSET_DELTA, (uint32_t)(bb->count - 1));
	wr64(p + ED_BOFF_BASE_TIMESTAMP, (uint64_t)bb->base_timestamp);
	wr64(p + ED_BOFF_MAX_TIMESTAMP, (uint64_t)bb->max_timestamp);
	wr64(p + ED_BOFF_PRODUCER_ID, (uint64_t)bb->producer_id);
	wr16(p + ED_BOFF_PRODUCER_EPOCH, (uint16_t)bb->producer_epoch);
	wr32(p + ED_BOFF_BASE_SEQUENCE, (uint32_t)bb->base_sequence);
	wr32(p + ED_BOFF_RECORDS_COUNT, (uint32_t)bb->count);
	ed_batch_update_crc(p, total);
}

int ed_batch_builder_finish(struct ed_batch_builder *bb, uint8_t **out, size_t *len)
{
	int rc;

	if (bb->count == 0)
		return ED_EINVAL;
	if (bb->codec == ED_CODEC_NONE) {
		fill_header(bb, bb->buf.data, bb->buf.len);
		*out = bb->buf.data;
		*len = bb->buf.len;
		return 0;
	}
	/* Compressed: header + compressed records go to comp; buf keeps the
	 * plain records, so finish may be called again after more adds. */
	ed_buf_reset(&bb->comp);
	if (!ed_buf_skip(&bb->comp, ED_BATCH_HEADER_SIZE)) {
		rc = ED_ENOMEM;
		goto fail_comp;
	}
	rc = ed_codec_compress(bb->codec, bb->buf.data + ED_BATCH_HEADER_SIZE,
			       bb->buf.len - ED_BATCH_HEADER_SIZE, &bb->comp);
	if (rc)
		goto fail_comp;
	if (bb->comp.len > INT32_MAX) {
		rc = ED_ETOOBIG;
		goto fail_comp;
	}
	fill_header(bb, bb->comp.data, bb->comp.len);
	*out = bb->comp.data;
	*len = bb->comp.len;
	return 0;
fail_comp:
	ed_buf_reset(&bb->comp);
	return rc;
}
