/* Hashing: xxHash (XXH3) for our own tables, and Kafka's murmur2 so keyed
 * partitioning matches the Java client's default partitioner. */
#ifndef ED_HASH_H
#define ED_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t ed_hash64(const void *p, size_t n);
uint64_t ed_hash64_seed(const void *p, size_t n, uint64_t seed);
/* Kafka's murmur2 (seed 0x9747b28c); partition = (h & 0x7fffffff) % n. */
uint32_t ed_murmur2(const void *p, size_t n);

#endif
