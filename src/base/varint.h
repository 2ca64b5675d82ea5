/* Unsigned LEB128 varints and zigzag-encoded signed varints, as used by the
 * Kafka record format and protobuf. At most 10 bytes for 64-bit values. */
#ifndef ED_VARINT_H
#define ED_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define ED_VARINT_MAX 10

static inline uint64_t ed_zigzag_enc(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t ed_zigzag_dec(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Write v to out (room for ED_VARINT_MAX bytes); return bytes written. */
size_t ed_uvarint_put(uint8_t *out, uint64_t v);
size_t ed_varint_put(uint8_t *out, int64_t v);
/* Read from p (n bytes available); return bytes consumed, or 0 if truncated
 * or longer than 10 bytes. */
size_t ed_uvarint_get(const uint8_t *p, size_t n, uint64_t *v);
size_t ed_varint_get(const uint8_t *p, size_t n, int64_t *v);
size_t ed_uvarint_len(uint64_t v);
static inline size_t ed_varint_len(int64_t v)
{
	return ed_uvarint_len(ed_zigzag_enc(v));
}

#endif
