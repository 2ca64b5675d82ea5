/* Bounds-checked big-endian reader with a sticky error flag (see cursor.h). */
#include "base/cursor.h"
#include "base/varint.h"

const uint8_t *ed_cur_bytes(struct ed_cur *c, size_t n)
{
	if (c->err || n > ed_cur_left(c)) {
		c->err = true;
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += n;
	return p;
}

void ed_cur_skip(struct ed_cur *c, size_t n) { (void)ed_cur_bytes(c, n); }

uint8_t ed_cur_u8(struct ed_cur *c)
{
	const uint8_t *p = ed_cur_bytes(c, 1);
	return p ? p[0] : 0;
}

int8_t ed_cur_i8(struct ed_cur *c) { return (int8_t)ed_cur_u8(c); }

int16_t ed_cur_i16(struct ed_cur *c)
{
	const uint8_t *p = ed_cur_bytes(c, 2);
	return p ? (int16_t)((uint16_t)p[0] << 8 | p[1]) : 0;
}

uint32_t ed_cur_u32(struct ed_cur *c)
{
	const uint8_t *p = ed_cur_bytes(c, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

int32_t ed_cur_i32(struct ed_cur *c) { return (int32_t)ed_cur_u32(c); }

int64_t ed_cur_i64(struct ed_cur *c)
{
	uint64_t hi = ed_cur_u32(c);
	uint64_t lo = ed_cur_u32(c);
	return (int64_t)(hi << 32 | lo);
}

uint64_t ed_cur_uvarint(struct ed_cur *c)
{
	uint64_t v = 0;
	if (c->err)
		return 0;
	size_t n = ed_uvarint_get(c->p, ed_cur_left(c), &v);
	if (n == 0) {
		c->err = true;
		return 0;
	}
	c->p += n;
	return v;
}

int64_t ed_cur_varint(struct ed_cur *c) { return ed_zigzag_dec(ed_cur_uvarint(c)); }
