/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78). Software path:
 * slicing-by-8 tables built once. Hardware path: the SSE4.2 crc32 instruction,
 * 8 bytes at a time, chosen at run time when the CPU reports it. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "base/crc32c.h"

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_build(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (POLY & (0u - (c & 1)));
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

uint32_t ed_crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	pthread_once(&table_once, table_build);
	crc = ~crc;
	while (n && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
		n--;
	}
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		w ^= crc; /* little-endian host assumed for the slicing path */
		crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
		      table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^
		      table[2][(w >> 40) & 0xff] ^ table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

/* The crc32 instruction has a latency of 3 cycles and a throughput of 1, so
 * one dependency chain runs at a third of the possible speed. Long inputs are
 * split into three equal blocks whose CRCs run interleaved, then joined:
 * the CRC register is linear over GF(2), so the register after A||B equals
 * shift_|B|(register after A) xor (register after B started from zero).
 * shift by a fixed block size is a 32x32 bit matrix, kept as 4 byte tables. */
#define BLK_LONG 8192
#define BLK_SHORT 256

static uint32_t shift_long[4][256], shift_short[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2"))) static uint32_t zeros_shift(uint32_t reg, size_t n)
{
	uint64_t c = reg;
	for (size_t i = 0; i < n / 8; i++)
		c = _mm_crc32_u64(c, 0);
	return (uint32_t)c;
}

static void shift_tables_build(uint32_t t[4][256], size_t n)
{
	uint32_t basis[32];
	for (int b = 0; b < 32; b++)
		basis[b] = zeros_shift(1u << b, n);
	for (int k = 0; k < 4; k++)
		for (int v = 0; v < 256; v++) {
			uint32_t r = 0;
			for (int b = 0; b < 8; b++)
				if (v & (1 << b))
					r ^= basis[k * 8 + b];
			t[k][v] = r;
		}
}

static void shift_init(void)
{
	shift_tables_build(shift_long, BLK_LONG);
	shift_tables_build(shift_short, BLK_SHORT);
}

static inline uint32_t shift_apply(uint32_t t[4][256], uint32_t reg)
{
	return t[0][reg & 0xff] ^ t[1][(reg >> 8) & 0xff] ^ t[2][(reg >> 16) & 0xff] ^
	       t[3][reg >> 24];
}

__attribute__((target("sse4.2"))) static uint64_t crc_3way(uint64_t c0, const uint8_t **pp,
							   size_t *np, size_t blk, uint32_t t[4][256])
{
	const uint8_t *p = *pp;
	size_t n = *np;
	while (n >= 3 * blk) {
		uint64_t c1 = 0, c2 = 0;
		for (size_t i = 0; i < blk; i += 8) {
			uint64_t a, b, d;
			memcpy(&a, p + i, 8);
			memcpy(&b, p + blk + i, 8);
			memcpy(&d, p + 2 * blk + i, 8);
			c0 = _mm_crc32_u64(c0, a);
			c1 = _mm_crc32_u64(c1, b);
			c2 = _mm_crc32_u64(c2, d);
		}
		c0 = shift_apply(t, (uint32_t)c0) ^ c1;
		c0 = shift_apply(t, (uint32_t)c0) ^ c2;
		p += 3 * blk;
		n -= 3 * blk;
	}
	*pp = p;
	*np = n;
	return c0;
}

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = ~crc;
	while (n && ((uintptr_t)p & 7)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		n--;
	}
	if (n >= 3 * BLK_SHORT) {
		pthread_once(&shift_once, shift_init);
		c = crc_3way(c, &p, &n, BLK_LONG, shift_long);
		c = crc_3way(c, &p, &n, BLK_SHORT, shift_short);
	}
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		n -= 8;
	}
	while (n--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}

int ed_crc32c_hw_available(void)
{
	/* Racing first callers compute the same answer; the atomic keeps TSan
	 * and the memory model happy. */
	static _Atomic int avail = -1;
	int a = atomic_load_explicit(&avail, memory_order_relaxed);
	if (a < 0) {
		__builtin_cpu_init();
		a = __builtin_cpu_supports("sse4.2") ? 1 : 0;
		atomic_store_explicit(&avail, a, memory_order_relaxed);
	}
	return a;
}

uint32_t ed_crc32c_hw(uint32_t crc, const void *p, size_t n)
{
	if (!ed_crc32c_hw_available())
		return ed_crc32c_sw(crc, p, n);
	return crc_hw(crc, p, n);
}
#else
int ed_crc32c_hw_available(void)
{
	return 0;
}
uint32_t ed_crc32c_hw(uint32_t crc, const void *p, size_t n)
{
	return ed_crc32c_sw(crc, p, n);
}
#endif

uint32_t ed_crc32c(uint32_t crc, const void *p, size_t n)
{
	return ed_crc32c_hw(crc, p, n);
}
