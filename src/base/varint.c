/* LEB128 varints and zigzag (see varint.h). */
#include "base/varint.h"

size_t ed_uvarint_put(uint8_t *out, uint64_t v)
{
	size_t i = 0;
	while (v >= 0x80) {
		out[i++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[i++] = (uint8_t)v;
	return i;
}

size_t ed_varint_put(uint8_t *out, int64_t v)
{
	return ed_uvarint_put(out, ed_zigzag_enc(v));
}

size_t ed_uvarint_get(const uint8_t *p, size_t n, uint64_t *v)
{
	uint64_t r = 0;
	for (size_t i = 0; i < n && i < ED_VARINT_MAX; i++) {
		uint8_t b = p[i];
		if (i == 9 && b > 1)
			return 0; /* would overflow 64 bits */
		r |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

size_t ed_varint_get(const uint8_t *p, size_t n, int64_t *v)
{
	uint64_t u;
	size_t k = ed_uvarint_get(p, n, &u);
	if (k)
		*v = ed_zigzag_dec(u);
	return k;
}

size_t ed_uvarint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}
