/* Hashing: XXH3 from libxxhash for our own tables; Kafka's murmur2 (the Java
 * client's default partitioner) so keyed records land where Kafka puts them. */
#include <xxhash.h>

#include "base/hash.h"

uint64_t ed_hash64(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}
uint64_t ed_hash64_seed(const void *p, size_t n, uint64_t seed)
{
	return XXH3_64bits_withSeed(p, n, seed);
}

uint32_t ed_murmur2(const void *buf, size_t n)
{
	const uint8_t *d = buf;
	const uint32_t m = 0x5bd1e995;
	const int r = 24;
	uint32_t h = 0x9747b28c ^ (uint32_t)n;
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		uint32_t k = (uint32_t)d[i] | (uint32_t)d[i + 1] << 8 | (uint32_t)d[i + 2] << 16 |
			     (uint32_t)d[i + 3] << 24;
		k *= m;
		k ^= k >> r;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (n & 3) {
	case 3:
		h ^= (uint32_t)d[i + 2] << 16; /* fall through */
	case 2:
		h ^= (uint32_t)d[i + 1] << 8; /* fall through */
	case 1:
		h ^= d[i];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}
