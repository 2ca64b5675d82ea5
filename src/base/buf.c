/* Growable byte buffer with big-endian and varint writers (see buf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/varint.h"

void ed_buf_init(struct ed_buf *b)
{
	memset(b, 0, sizeof *b);
}

void ed_buf_fini(struct ed_buf *b)
{
	if (!b)
		return;
	ed_free(b->data);
	memset(b, 0, sizeof *b);
}

int ed_buf_reserve(struct ed_buf *b, size_t n)
{
	if (b->err)
		return b->err;
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len) {
		b->err = ED_ENOMEM;
		return b->err;
	}
	size_t cap = b->cap ? b->cap : 64;
	while (cap - b->len < n)
		cap *= 2;
	uint8_t *d = ed_realloc(b->data, cap);
	if (!d) {
		b->err = ED_ENOMEM;
		return b->err;
	}
	b->data = d;
	b->cap = cap;
	return 0;
}

void ed_buf_append(struct ed_buf *b, const void *p, size_t n)
{
	if (n == 0 || ed_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

uint8_t *ed_buf_skip(struct ed_buf *b, size_t n)
{
	if (ed_buf_reserve(b, n))
		return NULL;
	uint8_t *p = b->data + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

void ed_buf_put_u8(struct ed_buf *b, uint8_t v)
{
	ed_buf_append(b, &v, 1);
}

void ed_buf_put_be16(struct ed_buf *b, uint16_t v)
{
	uint8_t t[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	ed_buf_append(b, t, 2);
}

void ed_buf_put_be32(struct ed_buf *b, uint32_t v)
{
	uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	ed_buf_append(b, t, 4);
}

void ed_buf_put_be64(struct ed_buf *b, uint64_t v)
{
	ed_buf_put_be32(b, (uint32_t)(v >> 32));
	ed_buf_put_be32(b, (uint32_t)v);
}

void ed_buf_put_uvarint(struct ed_buf *b, uint64_t v)
{
	uint8_t t[ED_VARINT_MAX];
	ed_buf_append(b, t, ed_uvarint_put(t, v));
}

void ed_buf_put_varint(struct ed_buf *b, int64_t v)
{
	ed_buf_put_uvarint(b, ed_zigzag_enc(v));
}

void ed_buf_patch_be32(struct ed_buf *b, size_t pos, uint32_t v)
{
	if (b->err || pos + 4 > b->len)
		return;
	b->data[pos] = (uint8_t)(v >> 24);
	b->data[pos + 1] = (uint8_t)(v >> 16);
	b->data[pos + 2] = (uint8_t)(v >> 8);
	b->data[pos + 3] = (uint8_t)v;
}

void ed_buf_printf(struct ed_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || ed_buf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
