/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78). Software path:
 * slicing-by-8 tables built once. Hardware path: the SSE4.2 crc32 instruction,
 * 8 bytes at a time, chosen at run time when the CPU reports it. */
#include <pthread.h>
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

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = ~crc;
	while (n && ((uintptr_t)p & 7)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		n--;
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
	static int avail = -1;
	if (avail < 0) {
		__builtin_cpu_init();
		avail = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	}
	return avail;
}

uint32_t ed_crc32c_hw(uint32_t crc, const void *p, size_t n)
{
	if (!ed_crc32c_hw_available())
		return ed_crc32c_sw(crc, p, n);
	return crc_hw(crc, p, n);
}
#else
int ed_crc32c_hw_available(void) { return 0; }
uint32_t ed_crc32c_hw(uint32_t crc, const void *p, size_t n) { return ed_crc32c_sw(crc, p, n); }
#endif

uint32_t ed_crc32c(uint32_t crc, const void *p, size_t n) { return ed_crc32c_hw(crc, p, n); }
