/* Row encoding for state stores and value comparison (row.h). */
#include "exec/row.h"

#include <string.h>

#include "base/err.h"

static size_t width(enum ed_type_id id)
{
	switch (id) {
	case ED_TYPE_BOOL:
		return 1;
	case ED_TYPE_INT16:
		return 2;
	case ED_TYPE_INT32:
		return 4;
	case ED_TYPE_FLOAT32:
		return 4;
	case ED_TYPE_INT64:
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
	case ED_TYPE_FLOAT64:
		return 8;
	case ED_TYPE_DECIMAL:
		return sizeof(ed_dec);
	case ED_TYPE_TEXT:
		return sizeof(struct ed_str);
	case ED_TYPE_INTERVAL:
		return sizeof(struct ed_interval);
	default:
		return 1;
	}
}

/* One cell: a tag byte (0 NULL, 1 set) then the value's bytes. Reserves
 * once and writes in place (this runs per row per group column). */
static void encode_cell(struct ed_buf *out, const struct ed_vector *v, uint32_t i)
{
	if (v->nulls[i] || v->type.id == ED_TYPE_NULL) {
		ed_buf_put_u8(out, 0);
		return;
	}
	size_t w = width(v->type.id);
	const uint8_t *p = (const uint8_t *)v->data + (size_t)i * w;
	const struct ed_str *s = v->type.id == ED_TYPE_TEXT ? (const struct ed_str *)p : NULL;
	size_t n = 1 + (s ? 4 + (size_t)s->len : w);
	if (n > out->cap - out->len && ed_buf_reserve(out, n))
		return;
	if (out->err)
		return;
	uint8_t *d = out->data + out->len;
	*d++ = 1;
	switch (v->type.id) {
	case ED_TYPE_TEXT:
		memcpy(d, &s->len, 4);
		if (s->len)
			memcpy(d + 4, s->ptr, s->len);
		break;
	case ED_TYPE_FLOAT64: {
		double x = *(const double *)p;
		if (x == 0)
			x = 0;
		memcpy(d, &x, 8);
		break;
	}
	case ED_TYPE_FLOAT32: {
		float f = *(const float *)p;
		if (f == 0)
			f = 0;
		memcpy(d, &f, 4);
		break;
	}
	default:
		memcpy(d, p, w);
	}
	out->len += n;
}

void ed_row_encode(struct ed_buf *out, const struct ed_chunk *c, uint32_t i, const uint32_t *cols,
		   uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		encode_cell(out, &c->cols[cols ? cols[k] : k], i);
}

void ed_row_encode_values(struct ed_buf *out, const struct ed_value *v, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		if (v[k].null || v[k].type.id == ED_TYPE_NULL) {
			ed_buf_put_u8(out, 0);
			continue;
		}
		ed_buf_put_u8(out, 1);
		switch (v[k].type.id) {
		case ED_TYPE_BOOL: {
			uint8_t b = v[k].v.b;
			ed_buf_append(out, &b, 1);
			break;
		}
		case ED_TYPE_INT16: {
			int16_t x = (int16_t)v[k].v.i;
			ed_buf_append(out, &x, 2);
			break;
		}
		case ED_TYPE_INT32: {
			int32_t x = (int32_t)v[k].v.i;
			ed_buf_append(out, &x, 4);
			break;
		}
		case ED_TYPE_INT64:
		case ED_TYPE_TIMESTAMP:
		case ED_TYPE_TIMESTAMPTZ:
			ed_buf_append(out, &v[k].v.i, 8);
			break;
		case ED_TYPE_FLOAT32: {
			float f = v[k].v.f32 == 0 ? 0 : v[k].v.f32;
			ed_buf_append(out, &f, 4);
			break;
		}
		case ED_TYPE_FLOAT64: {
			double d = v[k].v.f64 == 0 ? 0 : v[k].v.f64;
			ed_buf_append(out, &d, 8);
			break;
		}
		case ED_TYPE_DECIMAL:
			ed_buf_append(out, &v[k].v.dec, sizeof(ed_dec));
			break;
		case ED_TYPE_INTERVAL:
			ed_buf_append(out, &v[k].v.iv, sizeof(struct ed_interval));
			break;
		case ED_TYPE_TEXT:
			ed_buf_append(out, &v[k].v.s.len, 4);
			ed_buf_append(out, v[k].v.s.ptr, v[k].v.s.len);
			break;
		default:
			break;
		}
	}
}

size_t ed_row_decode(const uint8_t *p, size_t len, struct ed_chunk *c, uint32_t i, uint32_t first,
		     uint32_t n, struct ed_arena *arena)
{
	size_t off = 0;
	for (uint32_t k = 0; k < n; k++) {
		struct ed_vector *v = &c->cols[first + k];
		if (off >= len)
			return 0;
		uint8_t tag = p[off++];
		size_t w = width(v->type.id);
		uint8_t *dst = (uint8_t *)v->data + (size_t)i * w;
		if (!tag) {
			v->nulls[i] = 1;
			memset(dst, 0, w);
			continue;
		}
		v->nulls[i] = 0;
		if (v->type.id == ED_TYPE_TEXT) {
			uint32_t sl;
			if (len - off < 4)
				return 0;
			memcpy(&sl, p + off, 4);
			off += 4;
			if (len - off < sl)
				return 0;
			struct ed_str *s = (struct ed_str *)dst;
			s->len = sl;
			s->ptr = (const char *)p + off;
			if (arena) {
				char *cp = ed_arena_memdup(arena, p + off, sl ? sl : 1);
				if (!cp)
					return 0;
				s->ptr = cp;
			}
			off += sl;
		} else {
			if (len - off < w)
				return 0;
			memcpy(dst, p + off, w);
			off += w;
		}
	}
	return off;
}

void ed_row_get(const struct ed_vector *v, uint32_t i, struct ed_value *out)
{
	memset(out, 0, sizeof(*out));
	out->type = v->type;
	out->null = v->nulls[i] != 0 || v->type.id == ED_TYPE_NULL;
	if (out->null)
		return;
	const void *p = (const uint8_t *)v->data + (size_t)i * width(v->type.id);
	switch (v->type.id) {
	case ED_TYPE_BOOL:
		out->v.b = *(const uint8_t *)p != 0;
		break;
	case ED_TYPE_INT16:
		out->v.i = *(const int16_t *)p;
		break;
	case ED_TYPE_INT32:
		out->v.i = *(const int32_t *)p;
		break;
	case ED_TYPE_INT64:
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		out->v.i = *(const int64_t *)p;
		break;
	case ED_TYPE_FLOAT32:
		out->v.f32 = *(const float *)p;
		break;
	case ED_TYPE_FLOAT64:
		out->v.f64 = *(const double *)p;
		break;
	case ED_TYPE_DECIMAL:
		memcpy(&out->v.dec, p, sizeof(ed_dec));
		break;
	case ED_TYPE_TEXT:
		out->v.s = *(const struct ed_str *)p;
		break;
	case ED_TYPE_INTERVAL:
		out->v.iv = *(const struct ed_interval *)p;
		break;
	default:
		out->null = true;
	}
}

int ed_row_set(struct ed_vector *v, uint32_t i, const struct ed_value *val, struct ed_arena *arena)
{
	void *p = (uint8_t *)v->data + (size_t)i * width(v->type.id);
	if (val->null || val->type.id == ED_TYPE_NULL) {
		v->nulls[i] = 1;
		memset(p, 0, width(v->type.id));
		return 0;
	}
	v->nulls[i] = 0;
	switch (v->type.id) {
	case ED_TYPE_BOOL:
		*(uint8_t *)p = val->v.b;
		break;
	case ED_TYPE_INT16:
		*(int16_t *)p = (int16_t)val->v.i;
		break;
	case ED_TYPE_INT32:
		*(int32_t *)p = (int32_t)val->v.i;
		break;
	case ED_TYPE_INT64:
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		*(int64_t *)p = val->v.i;
		break;
	case ED_TYPE_FLOAT32:
		*(float *)p = val->v.f32;
		break;
	case ED_TYPE_FLOAT64:
		*(double *)p = val->v.f64;
		break;
	case ED_TYPE_DECIMAL:
		memcpy(p, &val->v.dec, sizeof(ed_dec));
		break;
	case ED_TYPE_INTERVAL:
		*(struct ed_interval *)p = val->v.iv;
		break;
	case ED_TYPE_TEXT: {
		struct ed_str s = val->v.s;
		if (arena) {
			char *cp = ed_arena_memdup(arena, s.ptr, s.len ? s.len : 1);
			if (!cp)
				return ED_ENOMEM;
			s.ptr = cp;
		}
		*(struct ed_str *)p = s;
		break;
	}
	default:
		v->nulls[i] = 1;
	}
	return 0;
}

size_t ed_row_decode_values(const uint8_t *p, size_t len, const struct ed_type *types, uint32_t n,
			    struct ed_value *out)
{
	size_t off = 0;
	for (uint32_t k = 0; k < n; k++) {
		struct ed_value *v = &out[k];
		memset(v, 0, sizeof(*v));
		v->type = types[k];
		if (off >= len)
			return 0;
		if (!p[off++]) {
			v->null = true;
			continue;
		}
		if (types[k].id == ED_TYPE_TEXT) {
			uint32_t sl;
			if (len - off < 4)
				return 0;
			memcpy(&sl, p + off, 4);
			off += 4;
			if (len - off < sl)
				return 0;
			v->v.s.ptr = (const char *)p + off;
			v->v.s.len = sl;
			off += sl;
			continue;
		}
		size_t w = width(types[k].id);
		if (len - off < w)
			return 0;
		/* Reuse ed_row_get through a one-row vector view. */
		uint8_t nul = 0;
		struct ed_vector tmp = {types[k], &nul, (void *)(p + off)};
		uint8_t aligned[32];
		memcpy(aligned, p + off, w);
		tmp.data = aligned;
		ed_row_get(&tmp, 0, v);
		off += w;
	}
	return off;
}

void ed_row_copy(struct ed_chunk *dst, uint32_t dst_row, const struct ed_chunk *src, uint32_t src_row)
{
	for (uint32_t k = 0; k < src->ncols && k < dst->ncols; k++) {
		size_t w = width(src->cols[k].type.id);
		dst->cols[k].nulls[dst_row] = src->cols[k].nulls[src_row];
		memcpy((uint8_t *)dst->cols[k].data + (size_t)dst_row * w,
		       (const uint8_t *)src->cols[k].data + (size_t)src_row * w, w);
	}
	dst->ops[dst_row] = src->ops[src_row];
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

int ed_value_cmp(const struct ed_value *a, const struct ed_value *b)
{
	switch (a->type.id) {
	case ED_TYPE_BOOL:
		return cmp_i64(a->v.b, b->v.b);
	case ED_TYPE_INT16:
	case ED_TYPE_INT32:
	case ED_TYPE_INT64:
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		return cmp_i64(a->v.i, b->v.i);
	case ED_TYPE_FLOAT32:
		return a->v.f32 < b->v.f32 ? -1 : a->v.f32 > b->v.f32;
	case ED_TYPE_FLOAT64:
		return a->v.f64 < b->v.f64 ? -1 : a->v.f64 > b->v.f64;
	case ED_TYPE_DECIMAL:
		if (a->type.scale == b->type.scale)
			return a->v.dec < b->v.dec ? -1 : a->v.dec > b->v.dec;
		else {
			double x = (double)a->v.dec, y = (double)b->v.dec;
			for (int s = 0; s < a->type.scale; s++)
				x /= 10;
			for (int s = 0; s < b->type.scale; s++)
				y /= 10;
			return x < y ? -1 : x > y;
		}
	case ED_TYPE_TEXT: {
		uint32_t n = a->v.s.len < b->v.s.len ? a->v.s.len : b->v.s.len;
		int r = n ? memcmp(a->v.s.ptr, b->v.s.ptr, n) : 0;
		return r ? (r < 0 ? -1 : 1) : cmp_i64(a->v.s.len, b->v.s.len);
	}
	case ED_TYPE_INTERVAL: {
		int64_t x = (int64_t)a->v.iv.months * 30 * 86400000000LL +
			    (int64_t)a->v.iv.days * 86400000000LL + a->v.iv.usecs;
		int64_t y = (int64_t)b->v.iv.months * 30 * 86400000000LL +
			    (int64_t)b->v.iv.days * 86400000000LL + b->v.iv.usecs;
		return cmp_i64(x, y);
	}
	default:
		return 0;
	}
}
