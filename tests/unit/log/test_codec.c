/* Unit tests for src/log/codec.c: round trips per codec and size, streams made
 * by the reference tools (gzip, lz4, zstd command lines; snappy by hand from
 * its format description), the xerial snappy framing, decompression bombs
 * stopped at the limit before the memory is taken, truncated and garbage
 * input, and allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "log/batch.h"
#include "log/codec.h"

static size_t unhex(const char *h, uint8_t **out)
{
	size_t n = strlen(h) / 2;
	uint8_t *b = malloc(n ? n : 1);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	*out = b;
	return n;
}

static void fill_random(uint8_t *p, size_t n, unsigned seed)
{
	srand(seed);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rand();
}

static void fill_text(uint8_t *p, size_t n)
{
	static const char words[] = "offset partition topic record batch stream window ";
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)words[(i * 7 + i / 13) % (sizeof words - 1)];
}

static void test_names(void **state)
{
	(void)state;
	static const char *names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
	for (int c = 0; c <= ED_CODEC_ZSTD; c++) {
		assert_string_equal(ed_codec_name(c), names[c]);
		assert_int_equal(ed_codec_parse(names[c]), c);
	}
	assert_string_equal(ed_codec_name(5), "unknown");
	assert_string_equal(ed_codec_name(-1), "unknown");
	assert_int_equal(ed_codec_parse("lz5"), -1);
	assert_int_equal(ed_codec_parse(""), -1);
	assert_int_equal(ed_codec_parse("GZIP"), -1);

	struct ed_buf out;
	ed_buf_init(&out);
	assert_int_equal(ed_codec_compress(5, (const uint8_t *)"x", 1, &out), ED_EINVAL);
	assert_int_equal(ed_codec_decompress(5, (const uint8_t *)"x", 1, &out, 100), ED_EINVAL);
	assert_int_equal(ed_codec_decompress(-1, (const uint8_t *)"x", 1, &out, 100), ED_EINVAL);
	assert_int_equal(out.len, 0);
	ed_buf_fini(&out);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const size_t sizes[] = {0,     1,     2,     100,    32767,  32768,
				       32769, 65536, 65537, 100000, 1 << 20};
	size_t maxn = 1 << 20;
	uint8_t *text = malloc(maxn), *rnd = malloc(maxn);
	fill_text(text, maxn);
	fill_random(rnd, maxn, 42);

	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
			for (int kind = 0; kind < 2; kind++) {
				const uint8_t *in = kind ? rnd : text;
				size_t n = sizes[s];
				struct ed_buf comp, out;
				ed_buf_init(&comp);
				ed_buf_init(&out);
				/* Both calls append after what the buffer holds. */
				ed_buf_append(&comp, "pre", 3);
				ed_buf_append(&out, "xy", 2);
				assert_int_equal(ed_codec_compress(codec, in, n, &comp), 0);
				if (codec && !kind && n >= 32768)
					assert_true(comp.len - 3 < n / 3);
				assert_int_equal(ed_codec_decompress(codec, comp.data + 3,
								     comp.len - 3, &out, n + 1),
						 0);
				assert_int_equal(out.len, n + 2);
				assert_memory_equal(out.data, "xy", 2);
				if (n)
					assert_memory_equal(out.data + 2, in, n);
				/* The exact size is within the limit; one byte less is not. */
				out.len = 0;
				int rc = ed_codec_decompress(codec, comp.data + 3, comp.len - 3,
							     &out, n ? n : 1);
				if (rc)
					fail_msg("%s %zu bytes kind %d at the exact limit: %d",
						 ed_codec_name(codec), n, kind, rc);
				assert_int_equal(out.len, n);
				if (n) {
					out.len = 0;
					assert_int_equal(ed_codec_decompress(codec, comp.data + 3,
									     comp.len - 3, &out,
									     n - 1),
							 ED_ETOOBIG);
					assert_int_equal(out.len, 0);
				}
				ed_buf_fini(&comp);
				ed_buf_fini(&out);
			}
		}
	}
	free(text);
	free(rnd);
}

#define QUICK_FOX                                                                           \
	"Kafka batch codecs: the quick brown fox jumps over the lazy dog, the quick brown " \
	"fox jumps over the lazy dog."

/* Streams made from QUICK_FOX by the reference tools: gzip 1.12 (gzip -9 -n),
 * snappy-java 1.1.8 (SnappyOutputStream, the xerial framing of Kafka's Java
 * producer), lz4 1.9.4 (frame with content checksum), zstd 1.5.4. */
static const char *const reference[] = {
	NULL,
	"1f8b0800000000000203f34e4ccb4e54484a2c49ce5048ce4f494d2eb65228c94855282ccd4cce5648"
	"2aca2fcf5348cbaf50c82acd2d2856c82f4b2d024be72456552aa4e4a7eb90a2580f00640b21c26d0000"
	"00",
	"82534e41505059000000000100000001000000466dc84b61666b6120626174636820636f646563733a20"
	"74686520717569636b2062726f776e20666f78206a756d7073206f76657220011f206c617a7920646f67"
	"2cae2d00002e",
	"04224d186440a74c000000f1234b61666b6120626174636820636f646563733a2074686520717569636b"
	"2062726f776e20666f78206a756d7073206f7665721f00916c617a7920646f672c0e000f2d0010502064"
	"6f672e0000000054a604bf",
	"28b52ffd246d3d0200c4034b61666b6120626174636820636f646563733a2074686520717569636b2062"
	"726f776e20666f78206a756d7073206f7665726c617a7920646f672c2e020041658e08414101637285f5",
};

static void test_reference_streams(void **state)
{
	(void)state;
	const size_t fox = strlen(QUICK_FOX);
	for (int codec = 1; codec <= ED_CODEC_ZSTD; codec++) {
		if (!reference[codec])
			continue;
		uint8_t *in;
		size_t n = unhex(reference[codec], &in);
		struct ed_buf out;
		ed_buf_init(&out);
		assert_int_equal(ed_codec_decompress(codec, in, n, &out, 1000), 0);
		assert_int_equal(out.len, fox);
		assert_memory_equal(out.data, QUICK_FOX, fox);
		/* A flipped bit near the end is caught (gzip CRC32, snappy copy
		 * offset, lz4 content checksum, zstd block structure). */
		in[n - 2] ^= 0x10;
		out.len = 0;
		assert_int_equal(ed_codec_decompress(codec, in, n, &out, 1000), ED_ECORRUPT);
		assert_int_equal(out.len, 0);
		ed_buf_fini(&out);
		free(in);
	}

	/* Raw snappy by hand: uncompressed length 5, literal tag (5-1)<<2. */
	struct ed_buf out;
	ed_buf_init(&out);
	static const uint8_t raw[] = {0x05, 0x10, 'h', 'e', 'l', 'l', 'o'};
	assert_int_equal(ed_codec_decompress(ED_CODEC_SNAPPY, raw, sizeof raw, &out, 5), 0);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.data, "hello", 5);
	out.len = 0;
	assert_int_equal(ed_codec_decompress(ED_CODEC_SNAPPY, raw, sizeof raw, &out, 4), ED_ETOOBIG);
	/* Raw snappy with a copy: "abcabcabcabc" = literal "abc" + copy offset 3 len 9. */
	static const uint8_t copy[] = {0x0c, 0x08, 'a', 'b', 'c', 0x15, 0x03};
	out.len = 0;
	assert_int_equal(ed_codec_decompress(ED_CODEC_SNAPPY, copy, sizeof copy, &out, 100), 0);
	assert_int_equal(out.len, 12);
	assert_memory_equal(out.data, "abcabcabcabc", 12);

	/* The same two blocks in xerial framing (what Java clients send). */
	uint8_t x[16 + 4 + sizeof raw + 4 + sizeof copy];
	memcpy(x, "\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16);
	memcpy(x + 16, "\0\0\0\7", 4);
	memcpy(x + 20, raw, sizeof raw);
	memcpy(x + 27, "\0\0\0\7", 4);
	memcpy(x + 31, copy, sizeof copy);
	out.len = 0;
	assert_int_equal(ed_codec_decompress(ED_CODEC_SNAPPY, x, sizeof x, &out, 100), 0);
	assert_int_equal(out.len, 17);
	assert_memory_equal(out.data, "helloabcabcabcabc", 17);
	/* The limit counts across blocks. */
	out.len = 0;
	assert_int_equal(ed_codec_decompress(ED_CODEC_SNAPPY, x, sizeof x, &out, 16), ED_ETOOBIG);
	/* A block length past the end, or a cut length field. */
	x[30] = 8;
	out.len = 0;
	assert_int_equal(ed_codec_decompress(ED_CODEC_SNAPPY, x, sizeof x, &out, 100), ED_ECORRUPT);
	assert_int_equal(ed_codec_decompress(ED_CODEC_SNAPPY, x, 29, &out, 100), ED_ECORRUPT);
	assert_int_equal(out.len, 0);

	/* Our own snappy output is xerial-framed, 32 KiB blocks. */
	uint8_t *big = malloc(100000);
	fill_text(big, 100000);
	out.len = 0;
	assert_int_equal(ed_codec_compress(ED_CODEC_SNAPPY, big, 100000, &out), 0);
	assert_memory_equal(out.data, "\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16);
	size_t pos = 16, blocks = 0;
	while (pos < out.len) {
		uint32_t bl = (uint32_t)out.data[pos] << 24 | (uint32_t)out.data[pos + 1] << 16 |
			      (uint32_t)out.data[pos + 2] << 8 | out.data[pos + 3];
		pos += 4 + bl;
		blocks++;
	}
	assert_int_equal(pos, out.len);
	assert_int_equal(blocks, 4); /* 3 x 32768 + 1696 */
	free(big);

	/* Two gzip members back to back read as one stream, as in Java. */
	uint8_t *g;
	size_t gn = unhex(reference[ED_CODEC_GZIP], &g);
	uint8_t *gg = malloc(2 * gn + 3);
	memcpy(gg, g, gn);
	memcpy(gg + gn, g, gn);
	out.len = 0;
	assert_int_equal(ed_codec_decompress(ED_CODEC_GZIP, gg, 2 * gn, &out, 1000), 0);
	assert_int_equal(out.len, 2 * strlen(QUICK_FOX));
	/* Bytes after the last member that are not a member are ignored. */
	memcpy(gg + 2 * gn, "xyz", 3);
	out.len = 0;
	assert_int_equal(ed_codec_decompress(ED_CODEC_GZIP, gg, 2 * gn + 3, &out, 1000), 0);
	assert_int_equal(out.len, 2 * strlen(QUICK_FOX));
	free(gg);
	free(g);
	ed_buf_fini(&out);
}

/* 64 MiB of zeros squeezed into a few KiB must stop at a 1 MiB limit with
 * no more than about the limit in memory. */
static void test_bombs(void **state)
{
	(void)state;
	const size_t big = 64u << 20, limit = 1u << 20;
	uint8_t *zeros = calloc(1, big);
	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		struct ed_buf comp, out;
		ed_buf_init(&comp);
		ed_buf_init(&out);
		assert_int_equal(ed_codec_compress(codec, zeros, big, &comp), 0);
		if (codec != ED_CODEC_NONE) /* snappy's best ratio is about 1:21 */
			assert_true(comp.len < big / (codec == ED_CODEC_SNAPPY ? 20 : 100));
		size_t before = ed_mem_in_use();
		assert_int_equal(ed_codec_decompress(codec, comp.data, comp.len, &out, limit),
				 ED_ETOOBIG);
		assert_int_equal(out.len, 0);
		assert_true(out.cap <= 2 * limit);
		assert_true(ed_mem_in_use() <= before + 2 * limit);
		/* The same stream with room for it decodes fully. */
		assert_int_equal(ed_codec_decompress(codec, comp.data, comp.len, &out, big), 0);
		assert_int_equal(out.len, big);
		assert_memory_equal(out.data, zeros, big);
		ed_buf_fini(&comp);
		ed_buf_fini(&out);
	}
	free(zeros);

	/* A raw snappy block that claims 2 GiB is refused before any allocation. */
	static const uint8_t liar[] = {0x80, 0x80, 0x80, 0x80, 0x08, 0x00};
	struct ed_buf out;
	ed_buf_init(&out);
	assert_int_equal(ed_codec_decompress(ED_CODEC_SNAPPY, liar, sizeof liar, &out, limit),
			 ED_ETOOBIG);
	assert_int_equal(out.cap, 0);
	ed_buf_fini(&out);
}

static void test_truncated(void **state)
{
	(void)state;
	uint8_t src[3000];
	fill_text(src, sizeof src);
	fill_random(src + 1000, 500, 3);
	for (int codec = 1; codec <= ED_CODEC_ZSTD; codec++) {
		struct ed_buf comp, out;
		ed_buf_init(&comp);
		ed_buf_init(&out);
		assert_int_equal(ed_codec_compress(codec, src, sizeof src, &comp), 0);
		for (size_t len = 0; len < comp.len; len++) {
			/* xerial has no end mark: a cut right after the header
			 * is an empty stream. */
			if (codec == ED_CODEC_SNAPPY && len == 16)
				continue;
			uint8_t *cut = malloc(len ? len : 1);
			memcpy(cut, comp.data, len);
			out.len = 0;
			int rc = ed_codec_decompress(codec, cut, len, &out, 1 << 20);
			if (rc != ED_ECORRUPT)
				fail_msg("codec %s cut at %zu of %zu: rc %d", ed_codec_name(codec),
					 len, comp.len, rc);
			assert_int_equal(out.len, 0);
			free(cut);
		}
		ed_buf_fini(&comp);
		ed_buf_fini(&out);
	}
}

static void test_garbage(void **state)
{
	(void)state;
	static const char text[] = "this is not compressed data at all, not even close";
	struct ed_buf out;
	ed_buf_init(&out);
	for (int codec = 1; codec <= ED_CODEC_ZSTD; codec++) {
		out.len = 0;
		assert_int_equal(ed_codec_decompress(codec, (const uint8_t *)text, sizeof text,
						     &out, 1 << 20),
				 ED_ECORRUPT);
		assert_int_equal(out.len, 0);
	}
	/* Random input and random mutations of valid streams: an error or a
	 * result within the limit, never a crash (ASan build checks reads). */
	uint8_t src[2000], buf[2100];
	fill_text(src, sizeof src);
	for (int codec = 1; codec <= ED_CODEC_ZSTD; codec++) {
		struct ed_buf comp;
		ed_buf_init(&comp);
		assert_int_equal(ed_codec_compress(codec, src, sizeof src, &comp), 0);
		srand((unsigned)codec);
		for (int round = 0; round < 3000; round++) {
			size_t n;
			if (round % 2) {
				n = comp.len;
				memcpy(buf, comp.data, n);
				for (int k = 0; k < 1 + round % 4; k++)
					buf[(size_t)rand() % n] ^= (uint8_t)(1 + rand() % 255);
			} else {
				n = (size_t)rand() % sizeof buf;
				for (size_t i = 0; i < n; i++)
					buf[i] = (uint8_t)rand();
			}
			uint8_t *in = malloc(n ? n : 1);
			memcpy(in, buf, n);
			out.len = 0;
			int rc = ed_codec_decompress(codec, in, n, &out, 4096);
			assert_true(rc == 0 || rc == ED_ECORRUPT || rc == ED_ETOOBIG);
			assert_true(out.len <= 4096);
			if (rc)
				assert_int_equal(out.len, 0);
			free(in);
		}
		ed_buf_fini(&comp);
	}
	ed_buf_fini(&out);
}

static void test_allocation_failure(void **state)
{
	(void)state;
	uint8_t src[200000];
	fill_text(src, sizeof src);
	for (int codec = 0; codec <= ED_CODEC_ZSTD; codec++) {
		struct ed_buf comp, out;
		int rc;
		for (uint64_t nth = 1;; nth++) {
			size_t live = ed_mem_live_count();
			ed_buf_init(&comp);
			ed_mem_fail_at(nth, 0);
			rc = ed_codec_compress(codec, src, sizeof src, &comp);
			int fired = ed_mem_fail_fired();
			ed_mem_fail_at(0, 0);
			if (rc == 0) {
				ed_buf_fini(&comp);
				if (!fired)
					break;
				continue;
			}
			assert_int_equal(rc, ED_ENOMEM);
			assert_true(fired);
			assert_int_equal(comp.len, 0);
			ed_buf_fini(&comp);
			assert_int_equal(ed_mem_live_count(), live);
		}
		ed_buf_init(&comp);
		assert_int_equal(ed_codec_compress(codec, src, sizeof src, &comp), 0);
		for (uint64_t nth = 1;; nth++) {
			size_t live = ed_mem_live_count();
			ed_buf_init(&out);
			ed_mem_fail_at(nth, 0);
			rc = ed_codec_decompress(codec, comp.data, comp.len, &out, sizeof src);
			int fired = ed_mem_fail_fired();
			ed_mem_fail_at(0, 0);
			if (rc == 0) {
				assert_int_equal(out.len, sizeof src);
				assert_memory_equal(out.data, src, sizeof src);
				ed_buf_fini(&out);
				if (!fired)
					break;
				continue;
			}
			assert_int_equal(rc, ED_ENOMEM);
			assert_int_equal(out.len, 0);
			ed_buf_fini(&out);
			assert_int_equal(ed_mem_live_count(), live);
		}
		ed_buf_fini(&comp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_reference_streams),
		cmocka_unit_test(test_bombs),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_allocation_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
