/* Bounds-checked reader over a byte range, with a sticky error flag checked
 * once at the end (no hidden gotos). Reads past the end return zero and set
 * err; all integers are big-endian (Kafka wire order) unless named otherwise. */
#ifndef ED_CURSOR_H
#define ED_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ed_cur {
	const uint8_t *p;
	const uint8_t *end;
	bool err;
};

static inline void ed_cur_init(struct ed_cur *c, const void *p, size_t n)
{
	c->p = p;
	c->end = (const uint8_t *)p + n;
	c->err = false;
}
static inline size_t ed_cur_left(const struct ed_cur *c)
{
	return (size_t)(c->end - c->p);
}

/* The readers are inline: decoders call them once per field on hot paths
 * (record walks, request decoding). */
static inline const uint8_t *ed_cur_bytes(struct ed_cur *c, size_t n)
{
	if (c->err || n > ed_cur_left(c)) {
		c->err = true;
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += n;
	return p;
}

static inline void ed_cur_skip(struct ed_cur *c, size_t n)
{
	(void)ed_cur_bytes(c, n);
}

static inline uint8_t ed_cur_u8(struct ed_cur *c)
{
	const uint8_t *p = ed_cur_bytes(c, 1);
	return p ? p[0] : 0;
}

static inline int8_t ed_cur_i8(struct ed_cur *c)
{
	return (int8_t)ed_cur_u8(c);
}

static inline int16_t ed_cur_i16(struct ed_cur *c)
{
	const uint8_t *p = ed_cur_bytes(c, 2);
	return p ? (int16_t)((uint16_t)p[0] << 8 | p[1]) : 0;
}

static inline uint32_t ed_cur_u32(struct ed_cur *c)
{
	const uint8_t *p = ed_cur_bytes(c, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

static inline int32_t ed_cur_i32(struct ed_cur *c)
{
	return (int32_t)ed_cur_u32(c);
}

static inline int64_t ed_cur_i64(struct ed_cur *c)
{
	uint64_t hi = ed_cur_u32(c);
	uint64_t lo = ed_cur_u32(c);
	return (int64_t)(hi << 32 | lo);
}

/* Slow path of ed_cur_uvarint for multi-byte values (cursor.c). */
uint64_t ed_cur_uvarint_slow(struct ed_cur *c);

static inline uint64_t ed_cur_uvarint(struct ed_cur *c)
{
	/* One to three bytes inline (lengths and deltas of typical records). */
	if (!c->err && c->end - c->p >= 3) {
		const uint8_t *p = c->p;
		if (p[0] < 0x80) {
			c->p += 1;
			return p[0];
		}
		if (p[1] < 0x80) {
			c->p += 2;
			return (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
		}
		if (p[2] < 0x80) {
			c->p += 3;
			return (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 |
			       (uint64_t)p[2] << 14;
		}
	}
	return ed_cur_uvarint_slow(c);
}

/* zigzag */
static inline int64_t ed_cur_varint(struct ed_cur *c)
{
	uint64_t v = ed_cur_uvarint(c);
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#endif
