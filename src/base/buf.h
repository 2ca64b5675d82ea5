/* Growable byte buffer with big-endian (Kafka wire order) and varint writers.
 * Owned by one thread. Writers never fail silently: on allocation failure the
 * buffer's sticky err is set and further writes are ignored; check it once. */
#ifndef ED_BUF_H
#define ED_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ed_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err; /* 0 or ED_ENOMEM, sticky */
};

void ed_buf_init(struct ed_buf *b);
void ed_buf_fini(struct ed_buf *b);
/* Make room for n more bytes. Returns 0 or ED_ENOMEM (also sets b->err). */
int ed_buf_reserve(struct ed_buf *b, size_t n);
static inline void ed_buf_reset(struct ed_buf *b)
{
	b->len = 0;
	b->err = 0;
}
void ed_buf_append(struct ed_buf *b, const void *p, size_t n);
void ed_buf_put_u8(struct ed_buf *b, uint8_t v);
void ed_buf_put_be16(struct ed_buf *b, uint16_t v);
void ed_buf_put_be32(struct ed_buf *b, uint32_t v);
void ed_buf_put_be64(struct ed_buf *b, uint64_t v);
void ed_buf_put_uvarint(struct ed_buf *b, uint64_t v);
void ed_buf_put_varint(struct ed_buf *b, int64_t v); /* zigzag */
void ed_buf_printf(struct ed_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append n zero bytes and return a pointer to them (NULL on error). The pointer
 * is valid until the next write. Used to reserve a length field to patch later. */
uint8_t *ed_buf_skip(struct ed_buf *b, size_t n);
/* Overwrite big-endian values at an absolute position already written. */
void ed_buf_patch_be32(struct ed_buf *b, size_t pos, uint32_t v);

#endif
