/* Unit tests for src/base: CRC32C vectors (hardware and software paths),
 * varints, murmur2 vectors, buffers, cursor bounds, arena, allocation
 * counting and failure injection, I/O failure injection. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crc32c.h"
#include "base/cursor.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/io.h"
#include "base/mem.h"
#include "base/varint.h"

static void test_crc32c_vectors(void **state)
{
	(void)state;
	uint8_t zeros[32], ones[32], inc[32], dec[32];
	memset(zeros, 0, 32);
	memset(ones, 0xff, 32);
	for (int i = 0; i < 32; i++) {
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	/* RFC 3720 appendix B.4 and the classic check value. */
	uint32_t (*fns[2])(uint32_t, const void *, size_t) = {ed_crc32c_sw, ed_crc32c_hw};
	for (int f = 0; f < 2; f++) {
		assert_int_equal(fns[f](0, "123456789", 9), 0xE3069283u);
		assert_int_equal(fns[f](0, zeros, 32), 0x8A9136AAu);
		assert_int_equal(fns[f](0, ones, 32), 0x62A8AB43u);
		assert_int_equal(fns[f](0, inc, 32), 0x46DD794Eu);
		assert_int_equal(fns[f](0, dec, 32), 0x113FDB5Cu);
		/* Incremental equals one-shot, at every split and alignment. */
		for (size_t split = 0; split <= 32; split++)
			assert_int_equal(fns[f](fns[f](0, inc, split), inc + split, 32 - split),
					 0x46DD794Eu);
	}
	/* Hardware and software agree on random data of every length/offset. */
	uint8_t buf[1100];
	srand(7);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)rand();
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; len < 1024; len += 37)
			assert_int_equal(ed_crc32c_sw(0, buf + off, len),
					 ed_crc32c_hw(0, buf + off, len));
	/* Long inputs take the three-way interleaved path (8 KiB and 256 B
	 * blocks joined by shift tables): check it at sizes around the block
	 * boundaries and split at odd places. */
	size_t big_n = 3 * 8192 * 3 + 3 * 256 * 2 + 77;
	uint8_t *big = malloc(big_n);
	for (size_t i = 0; i < big_n; i++)
		big[i] = (uint8_t)(rand() >> 3);
	size_t sizes[] = {767, 768, 769, 24575, 24576, 24577, 3 * 8192 * 2 + 5, big_n};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint32_t want = ed_crc32c_sw(0, big + 3, sizes[i] - 3);
		assert_int_equal(ed_crc32c_hw(0, big + 3, sizes[i] - 3), want);
		size_t cut = sizes[i] / 3;
		assert_int_equal(ed_crc32c_hw(ed_crc32c_hw(0, big + 3, cut), big + 3 + cut,
					      sizes[i] - 3 - cut),
				 want);
	}
	free(big);
}

static void test_varint(void **state)
{
	(void)state;
	int64_t vals[] = {0,   1,   -1,        63,        -64,       64,
			  -65, 300, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
	uint8_t b[ED_VARINT_MAX];
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		size_t n = ed_varint_put(b, vals[i]);
		assert_int_equal(n, ed_varint_len(vals[i]));
		int64_t v;
		assert_int_equal(ed_varint_get(b, n, &v), n);
		assert_true(v == vals[i]);
		/* Truncation is detected. */
		if (n > 1)
			assert_int_equal(ed_varint_get(b, n - 1, &v), 0);
	}
	/* Known encodings: zigzag(-1)=1, 300 -> ac 02. */
	assert_int_equal(ed_varint_put(b, -1), 1);
	assert_int_equal(b[0], 1);
	assert_int_equal(ed_uvarint_put(b, 300), 2);
	assert_int_equal(b[0], 0xac);
	assert_int_equal(b[1], 0x02);
	/* 11-byte and overflowing 10-byte varints are rejected. */
	uint8_t bad[11];
	memset(bad, 0xff, sizeof bad);
	uint64_t u;
	assert_int_equal(ed_uvarint_get(bad, sizeof bad, &u), 0);
	bad[9] = 0x02;
	assert_int_equal(ed_uvarint_get(bad, 10, &u), 0);
	bad[9] = 0x01;
	assert_int_equal(ed_uvarint_get(bad, 10, &u), 10);
	assert_true(u == UINT64_MAX);
}

static void test_murmur2(void **state)
{
	(void)state;
	/* Values from Kafka's own partitioner tests (as signed int32). */
	struct {
		const char *s;
		int32_t h;
	} cases[] = {
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal((int32_t)ed_murmur2(cases[i].s, strlen(cases[i].s)), cases[i].h);
	assert_true(ed_hash64("a", 1) != ed_hash64("b", 1));
}

static void test_buf_cursor(void **state)
{
	(void)state;
	struct ed_buf b;
	ed_buf_init(&b);
	ed_buf_put_u8(&b, 0x7f);
	ed_buf_put_be16(&b, 0x1234);
	ed_buf_put_be32(&b, 0xdeadbeef);
	ed_buf_put_be64(&b, 0x0102030405060708ull);
	ed_buf_put_varint(&b, -12345);
	size_t lenpos = b.len;
	ed_buf_skip(&b, 4);
	ed_buf_printf(&b, "x=%d", 42);
	ed_buf_patch_be32(&b, lenpos, 4);
	assert_int_equal(b.err, 0);

	struct ed_cur c;
	ed_cur_init(&c, b.data, b.len);
	assert_int_equal(ed_cur_i8(&c), 0x7f);
	assert_int_equal(ed_cur_i16(&c), 0x1234);
	assert_int_equal(ed_cur_u32(&c), 0xdeadbeefu);
	assert_true(ed_cur_i64(&c) == 0x0102030405060708ll);
	assert_true(ed_cur_varint(&c) == -12345);
	int32_t n = ed_cur_i32(&c);
	assert_int_equal(n, 4);
	const uint8_t *s = ed_cur_bytes(&c, (size_t)n);
	assert_non_null(s);
	assert_memory_equal(s, "x=42", 4);
	assert_false(c.err);
	assert_int_equal(ed_cur_left(&c), 0);
	/* Reading past the end sets the sticky flag and yields zeros. */
	assert_int_equal(ed_cur_i32(&c), 0);
	assert_true(c.err);
	assert_null(ed_cur_bytes(&c, 0));
	ed_buf_fini(&b);

	/* Allocation failure is sticky and reported. */
	ed_buf_init(&b);
	ed_mem_fail_at(1, 0);
	ed_buf_put_be32(&b, 1);
	assert_int_equal(b.err, ED_ENOMEM);
	ed_buf_put_be32(&b, 2);
	assert_int_equal(b.len, 0);
	ed_buf_fini(&b);
}

static void test_mem(void **state)
{
	(void)state;
	size_t base = ed_mem_in_use();
	void *p = ed_malloc(1000);
	assert_non_null(p);
	assert_int_equal(ed_mem_in_use(), base + 1000);
	p = ed_realloc(p, 10);
	assert_int_equal(ed_mem_in_use(), base + 10);
	ed_free(p);
	assert_int_equal(ed_mem_in_use(), base);
	ed_mem_fail_at(3, 0);
	void *a = ed_malloc(1), *b = ed_malloc(1), *c = ed_malloc(1), *d = ed_malloc(1);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(c);
	assert_non_null(d);
	assert_true(ed_mem_fail_fired());
	ed_free(a);
	ed_free(b);
	ed_free(d);
	ed_mem_fail_at(1, 1);
	assert_null(ed_malloc(1));
	assert_null(ed_strdup("x"));
	ed_mem_fail_at(0, 0);
	char *s = ed_strdup("hello");
	assert_string_equal(s, "hello");
	ed_free(s);
	s = ed_strndup(NULL, 0); /* an empty HTTP body: no pointer (UBSan in memcpy) */
	assert_string_equal(s, "");
	ed_free(s);
	s = ed_strndup("ab\0cd", 5);
	assert_string_equal(s, "ab");
	ed_free(s);
	assert_null(ed_calloc(SIZE_MAX / 2, 4));
}

static void test_arena(void **state)
{
	(void)state;
	struct ed_arena a;
	ed_arena_init(&a, 256);
	for (int i = 0; i < 1000; i++) {
		uint8_t *p = ed_arena_alloc(&a, (size_t)(i % 100) + 1);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, i, (size_t)(i % 100) + 1);
	}
	char *s = ed_arena_strndup(&a, "abcdef", 3);
	assert_string_equal(s, "abc");
	assert_string_equal(ed_arena_strndup(&a, NULL, 0), "");
	void *big = ed_arena_alloc(&a, 10000);
	assert_non_null(big);
	ed_arena_reset(&a);
	size_t in_use = ed_mem_in_use();
	for (int i = 0; i < 10; i++)
		assert_non_null(ed_arena_alloc(&a, 16));
	assert_int_equal(ed_mem_in_use(), in_use); /* reuses the kept block */
	ed_arena_fini(&a);
}

static void test_io_injection(void **state)
{
	(void)state;
	char path[] = "/tmp/eddy-io-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	ed_io_fail_at(ED_IO_WRITE, 2, ENOSPC);
	assert_int_equal(ed_io_write_all(fd, "a", 1), 0);
	assert_int_equal(ed_io_write_all(fd, "b", 1), ED_ENOSPC);
	assert_int_equal(ed_io_write_all(fd, "c", 1), 0);
	ed_io_fail_at(ED_IO_FSYNC, 1, 0);
	assert_int_equal(ed_io_fdatasync(fd), ED_EIO);
	assert_int_equal(ed_io_fdatasync(fd), 0);
	char rd[3];
	assert_int_equal(ed_io_pread_all(fd, rd, 2, 0), 0);
	assert_memory_equal(rd, "ac", 2);
	assert_int_equal(ed_io_pread_all(fd, rd, 3, 0), ED_EAGAIN);
	close(fd);
	assert_int_equal(ed_io_write_file_atomic(path, "hello", 5), 0);
	char *data;
	size_t len;
	assert_int_equal(ed_io_read_file(path, 100, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	ed_free(data);
	assert_int_equal(ed_io_read_file(path, 2, &data, &len), ED_ETOOBIG);
	unlink(path);
	assert_int_equal(ed_io_read_file(path, 100, &data, &len), ED_ENOENT);
}

static void test_clock_err(void **state)
{
	(void)state;
	int64_t a = ed_mono_ns(), b = ed_mono_ns();
	assert_true(b >= a);
	assert_true(ed_wall_ms() > 1700000000000ll);
	assert_string_equal(ed_err_str(ED_ECORRUPT), "corrupt data");
	assert_int_equal(ed_err_from_errno(ENOSPC), ED_ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_varint),
		cmocka_unit_test(test_murmur2),
		cmocka_unit_test(test_buf_cursor),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_io_injection),
		cmocka_unit_test(test_clock_err),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
