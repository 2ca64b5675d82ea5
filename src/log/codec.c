/* Kafka batch codecs over the Debian libraries: gzip (zlib), snappy (libsnappy,
 * raw blocks and the xerial framing of the Java client), lz4 (LZ4 frame) and
 * zstd. Decompression enforces the caller's limit while it inflates: output
 * room is never reserved past the limit, so a small compressed bomb cannot
 * make us allocate more than the limit allows.
 *
 * xerial snappy framing (what Kafka's Java client writes, big-endian):
 *
 *   offset size meaning
 *   ------ ---- -----------------------------------------------
 *        0    8 magic "\x82SNAPPY\0"
 *        8    4 version (1)
 *       12    4 minimum compatible version (1)
 *       16    - blocks: int32 compressed length, raw snappy block
 */
#include "log/codec.h"

#include <limits.h>
#include <string.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/batch.h"

#define CHUNK_MIN (16u << 10)
#define CHUNK_MAX (4u << 20)
#define XERIAL_HEADER_SIZE 16
#define XERIAL_BLOCK (32u << 10) /* block size of xerial's SnappyOutputStream */

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Streaming decompressors share one output policy: grow the output by
 * chunks, never past limit; when the limit is reached and the decoder still
 * wants to produce output, probe with one spare byte to tell "ends exactly at
 * the limit" from "too big". */
struct sink {
	struct ed_buf *out;
	size_t start;  /* out->len on entry */
	size_t limit;  /* bytes we may append */
	size_t chunk;  /* next growth step */
	uint8_t probe; /* one-byte window used at the limit */
};

static void sink_init(struct sink *s, struct ed_buf *out, size_t limit, size_t in_len)
{
	s->out = out;
	s->start = out->len;
	s->limit = limit;
	s->chunk = in_len * 4;
	if (s->chunk < CHUNK_MIN)
		s->chunk = CHUNK_MIN;
	if (s->chunk > CHUNK_MAX)
		s->chunk = CHUNK_MAX;
}

static size_t sink_used(const struct sink *s)
{
	return s->out->len - s->start;
}

/* Give the decoder a window to write into (*dst, *room). Returns 0, ED_ENOMEM,
 * or 1 when the limit is reached (then the window is the probe byte). */
static int sink_window(struct sink *s, uint8_t **dst, size_t *room)
{
	size_t left = s->limit - sink_used(s);

	if (left == 0) {
		*dst = &s->probe;
		*room = 1;
		return 1;
	}
	if (s->out->cap - s->out->len == 0) {
		size_t want = s->chunk < left ? s->chunk : left;
		if (ed_buf_reserve(s->out, want))
			return ED_ENOMEM;
		if (s->chunk < CHUNK_MAX)
			s->chunk *= 2;
	}
	*room = s->out->cap - s->out->len;
	if (*room > left)
		*room = left;
	*dst = s->out->data + s->out->len;
	return 0;
}

/* ---- gzip ---------------------------------------------------------------- */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return ed_calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	ed_free(p);
}

static int gzip_decompress(const uint8_t *in, size_t n, struct ed_buf *out, size_t limit)
{
	z_stream zs;
	struct sink s;
	int rc = 0, zr;

	memset(&zs, 0, sizeof zs);
	zs.zalloc = z_alloc;
	zs.zfree = z_free;
	if (n > UINT_MAX)
		return ED_ETOOBIG;
	if (inflateInit2(&zs, 15 + 32) != Z_OK) /* +32: gzip or zlib header */
		return ED_ENOMEM;
	sink_init(&s, out, limit, n);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	for (;;) {
		uint8_t *dst;
		size_t room;
		int at_limit = sink_window(&s, &dst, &room);
		if (at_limit < 0) {
			rc = at_limit;
			goto out_end;
		}
		if (room > UINT_MAX)
			room = UINT_MAX;
		zs.next_out = dst;
		zs.avail_out = (uInt)room;
		zr = inflate(&zs, Z_NO_FLUSH);
		if (at_limit) {
			if (zs.avail_out == 0) {
				rc = ED_ETOOBIG;
				goto out_end;
			}
		} else {
			out->len += room - zs.avail_out;
		}
		if (zr == Z_STREAM_END) {
			/* Java's GZIPInputStream reads concatenated members; anything
			 * else after a member is ignored, as Java does. */
			if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
				if (inflateReset(&zs) != Z_OK) {
					rc = ED_ECORRUPT;
					goto out_end;
				}
				continue;
			}
			break;
		}
		if (zr == Z_MEM_ERROR) {
			rc = ED_ENOMEM;
			goto out_end;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			rc = ED_ECORRUPT;
			goto out_end;
		}
		if (zr == Z_BUF_ERROR && zs.avail_in == 0) {
			rc = ED_ECORRUPT; /* truncated */
			goto out_end;
		}
	}
out_end:
	inflateEnd(&zs);
	return rc;
}

static int gzip_compress(const uint8_t *in, size_t n, struct ed_buf *out)
{
	z_stream zs;
	int rc = 0;
	uLong bound;

	memset(&zs, 0, sizeof zs);
	zs.zalloc = z_alloc;
	zs.zfree = z_free;
	if (n > UINT_MAX / 2)
		return ED_EINVAL;
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return ED_ENOMEM;
	bound = deflateBound(&zs, (uLong)n);
	if (ed_buf_reserve(out, bound)) {
		rc = ED_ENOMEM;
		goto out_end;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out->data + out->len;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		rc = ED_ENOMEM; /* bound was too small or zlib ran out of memory */
		goto out_end;
	}
	out->len += bound - zs.avail_out;
out_end:
	deflateEnd(&zs);
	return rc;
}

/* ---- snappy -------------------------------------------------------------- */

static int snappy_block(const uint8_t *in, size_t n, struct ed_buf *out, size_t start, size_t limit)
{
	size_t ulen, got;

	if (snappy_uncompressed_length((const char *)in, n, &ulen) != SNAPPY_OK)
		return ED_ECORRUPT;
	if (ulen > limit - (out->len - start))
		return ED_ETOOBIG;
	if (ed_buf_reserve(out, ulen ? ulen : 1))
		return ED_ENOMEM;
	got = ulen;
	if (snappy_uncompress((const char *)in, n, (char *)out->data + out->len, &got) != SNAPPY_OK ||
	    got != ulen)
		return ED_ECORRUPT;
	out->len += got;
	return 0;
}

static int snappy_decompress(const uint8_t *in, size_t n, struct ed_buf *out, size_t limit)
{
	size_t start = out->len, pos;
	int rc;

	if (n < XERIAL_HEADER_SIZE || memcmp(in, xerial_magic, sizeof xerial_magic) != 0)
		return snappy_block(in, n, out, start, limit);
	for (pos = XERIAL_HEADER_SIZE; pos < n;) {
		uint32_t blen;
		if (n - pos < 4)
			return ED_ECORRUPT;
		blen = rd32(in + pos);
		pos += 4;
		if (blen > n - pos)
			return ED_ECORRUPT;
		rc = snappy_block(in + pos, blen, out, start, limit);
		if (rc)
			return rc;
		pos += blen;
	}
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int snappy_compress_xerial(const uint8_t *in, size_t n, struct ed_buf *out)
{
	size_t start = out->len, pos = 0;

	ed_buf_append(out, xerial_magic, sizeof xerial_magic);
	ed_buf_put_be32(out, 1);
	ed_buf_put_be32(out, 1);
	if (out->err)
		goto fail;
	do {
		size_t blk = n - pos < XERIAL_BLOCK ? n - pos : XERIAL_BLOCK;
		size_t clen = snappy_max_compressed_length(blk);
		uint8_t *lenp;
		if (ed_buf_reserve(out, 4 + clen))
			goto fail;
		lenp = out->data + out->len;
		if (snappy_compress((const char *)in + pos, blk, (char *)lenp + 4, &clen) != SNAPPY_OK)
			goto fail;
		put32(lenp, (uint32_t)clen);
		out->len += 4 + clen;
		pos += blk;
	} while (pos < n);
	return 0;
fail:
	out->len = start;
	out->err = 0;
	return ED_ENOMEM;
}

/* ---- lz4 ----------------------------------------------------------------- */

static int lz4_decompress(const uint8_t *in, size_t n, struct ed_buf *out, size_t limit)
{
	LZ4F_dctx *dctx = NULL;
	struct sink s;
	size_t pos = 0, hint = 1;
	int rc = 0;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
		return ED_ENOMEM;
	sink_init(&s, out, limit, n);
	while (pos < n) {
		uint8_t *dst;
		size_t room, src_len = n - pos;
		int at_limit = sink_window(&s, &dst, &room);
		if (at_limit < 0) {
			rc = at_limit;
			goto out_free;
		}
		hint = LZ4F_decompress(dctx, dst, &room, in + pos, &src_len, NULL);
		if (LZ4F_isError(hint)) {
			rc = ED_ECORRUPT;
			goto out_free;
		}
		pos += src_len;
		if (at_limit) {
			if (room) {
				rc = ED_ETOOBIG;
				goto out_free;
			}
		} else {
			out->len += room;
		}
		if (room == 0 && src_len == 0 && hint != 0) {
			rc = ED_ECORRUPT; /* no progress: cannot happen on sound input */
			goto out_free;
		}
	}
	/* Input used up: flush output the decoder still holds. */
	while (hint != 0) {
		uint8_t *dst;
		size_t room, src_len = 0;
		int at_limit = sink_window(&s, &dst, &room);
		if (at_limit < 0) {
			rc = at_limit;
			goto out_free;
		}
		hint = LZ4F_decompress(dctx, dst, &room, NULL, &src_len, NULL);
		if (LZ4F_isError(hint)) {
			rc = ED_ECORRUPT;
			goto out_free;
		}
		if (at_limit && room) {
			rc = ED_ETOOBIG;
			goto out_free;
		}
		out->len += at_limit ? 0 : room;
		if (room == 0 && hint != 0) {
			rc = ED_ECORRUPT; /* truncated frame */
			goto out_free;
		}
	}
out_free:
	LZ4F_freeDecompressionContext(dctx);
	return rc;
}

static int lz4_compress(const uint8_t *in, size_t n, struct ed_buf *out)
{
	LZ4F_preferences_t prefs;
	size_t bound, got;

	memset(&prefs, 0, sizeof prefs);
	/* What Kafka's Java KafkaLZ4BlockInputStream reads: 64 KiB independent
	 * blocks, no block checksums. */
	prefs.frameInfo.blockSizeID = LZ4F_max64KB;
	prefs.frameInfo.blockMode = LZ4F_blockIndependent;
	prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
	bound = LZ4F_compressFrameBound(n, &prefs);
	if (ed_buf_reserve(out, bound))
		return ED_ENOMEM;
	got = LZ4F_compressFrame(out->data + out->len, bound, in, n, &prefs);
	if (LZ4F_isError(got))
		return ED_ENOMEM;
	out->len += got;
	return 0;
}

/* ---- zstd ---------------------------------------------------------------- */

static int zstd_decompress(const uint8_t *in, size_t n, struct ed_buf *out, size_t limit)
{
	ZSTD_DCtx *dctx;
	ZSTD_inBuffer zin = {in, n, 0};
	struct sink s;
	size_t zr = 1;
	int rc = 0, wlog = 10;

	dctx = ZSTD_createDCtx();
	if (!dctx)
		return ED_ENOMEM;
	/* The window is memory zstd takes before any output: keep it near the
	 * limit (producers use windows up to 8 MiB at ordinary levels). */
	while (wlog < 27 && ((size_t)1 << wlog) < limit)
		wlog++;
	if (wlog < 23)
		wlog = 23;
	ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, wlog);
	sink_init(&s, out, limit, n);
	for (;;) {
		uint8_t *dst;
		size_t room;
		int at_limit = sink_window(&s, &dst, &room);
		if (at_limit < 0) {
			rc = at_limit;
			goto out_free;
		}
		ZSTD_outBuffer zout = {dst, room, 0};
		size_t in_before = zin.pos;
		zr = ZSTD_decompressStream(dctx, &zout, &zin);
		if (ZSTD_isError(zr)) {
			rc = ZSTD_getErrorCode(zr) == ZSTD_error_memory_allocation ? ED_ENOMEM
										   : ED_ECORRUPT;
			goto out_free;
		}
		if (at_limit) {
			if (zout.pos) {
				rc = ED_ETOOBIG;
				goto out_free;
			}
		} else {
			out->len += zout.pos;
		}
		if (zr == 0 && zin.pos == zin.size)
			break; /* frame complete and input used up */
		if (zout.pos == 0 && zin.pos == in_before) {
			/* No progress: input ended inside a frame. */
			rc = ED_ECORRUPT;
			goto out_free;
		}
	}
out_free:
	ZSTD_freeDCtx(dctx);
	return rc;
}

static int zstd_compress(const uint8_t *in, size_t n, struct ed_buf *out)
{
	size_t bound = ZSTD_compressBound(n), got;

	if (ed_buf_reserve(out, bound))
		return ED_ENOMEM;
	got = ZSTD_compress(out->data + out->len, bound, in, n, 3);
	if (ZSTD_isError(got))
		return ED_ENOMEM;
	out->len += got;
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

int ed_codec_decompress(int codec, const uint8_t *in, size_t n, struct ed_buf *out, size_t limit)
{
	size_t start = out->len;
	int rc;

	if (out->err)
		return ED_ENOMEM;
	switch (codec) {
	case ED_CODEC_NONE:
		if (n > limit)
			return ED_ETOOBIG;
		ed_buf_append(out, in, n);
		rc = out->err;
		break;
	case ED_CODEC_GZIP:
		rc = gzip_decompress(in, n, out, limit);
		break;
	case ED_CODEC_SNAPPY:
		rc = snappy_decompress(in, n, out, limit);
		break;
	case ED_CODEC_LZ4:
		rc = lz4_decompress(in, n, out, limit);
		break;
	case ED_CODEC_ZSTD:
		rc = zstd_decompress(in, n, out, limit);
		break;
	default:
		return ED_EINVAL;
	}
	if (rc) {
		out->len = start;
		out->err = 0;
	}
	return rc;
}

int ed_codec_compress(int codec, const uint8_t *in, size_t n, struct ed_buf *out)
{
	size_t start = out->len;
	int rc;

	if (out->err)
		return ED_ENOMEM;
	switch (codec) {
	case ED_CODEC_NONE:
		ed_buf_append(out, in, n);
		rc = out->err;
		break;
	case ED_CODEC_GZIP:
		rc = gzip_compress(in, n, out);
		break;
	case ED_CODEC_SNAPPY:
		rc = snappy_compress_xerial(in, n, out);
		break;
	case ED_CODEC_LZ4:
		rc = lz4_compress(in, n, out);
		break;
	case ED_CODEC_ZSTD:
		rc = zstd_compress(in, n, out);
		break;
	default:
		return ED_EINVAL;
	}
	if (rc) {
		out->len = start;
		out->err = 0;
	}
	return rc;
}

static const char *const codec_names[] = {"none", "gzip", "snappy", "lz4", "zstd"};

const char *ed_codec_name(int codec)
{
	if (codec < 0 || codec > ED_CODEC_ZSTD)
		return "unknown";
	return codec_names[codec];
}

int ed_codec_parse(const char *name)
{
	for (int i = 0; i <= ED_CODEC_ZSTD; i++)
		if (strcmp(name, codec_names[i]) == 0)
			return i;
	return -1;
}
