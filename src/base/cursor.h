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
static inline size_t ed_cur_left(const struct ed_cur *c) { return (size_t)(c->end - c->p); }

uint8_t ed_cur_u8(struct ed_cur *c);
int8_t ed_cur_i8(struct ed_cur *c);
int16_t ed_cur_i16(struct ed_cur *c);
int32_t ed_cur_i32(struct ed_cur *c);
int64_t ed_cur_i64(struct ed_cur *c);
uint32_t ed_cur_u32(struct ed_cur *c);
uint64_t ed_cur_uvarint(struct ed_cur *c);
int64_t ed_cur_varint(struct ed_cur *c); /* zigzag */
/* Return a pointer to the next n bytes and advance, or NULL (err set). */
const uint8_t *ed_cur_bytes(struct ed_cur *c, size_t n);
void ed_cur_skip(struct ed_cur *c, size_t n);

#endif
