/* PostgreSQL wire protocol codec (proto.h): startup and frontend message
 * decoders over ed_cur, backend and frontend encoders over ed_buf, the text
 * and binary value formats of the types eddy has, and the $n scanner that
 * turns Bind parameters into SQL. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/cursor.h"
#include "base/err.h"
#include "pgwire/proto.h"

/* Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
#define PG_EPOCH_US INT64_C(946684800000000)

/* ---- decoding ---------------------------------------------------------------------------------- */

/* A NUL-terminated string inside the cursor's range; NULL (and c->err) if
 * the terminator is missing. */
static const char *cur_cstr(struct ed_cur *c)
{
	if (c->err)
		return NULL;
	const uint8_t *nul = memchr(c->p, 0, ed_cur_left(c));
	if (!nul) {
		c->err = true;
		return NULL;
	}
	const char *s = (const char *)c->p;
	c->p = nul + 1;
	return s;
}

int ed_pgw_decode_startup(const uint8_t *body, size_t len, struct ed_pgw_startup *out)
{
	struct ed_cur c;
	memset(out, 0, sizeof(*out));
	ed_cur_init(&c, body, len);
	uint32_t code = ed_cur_u32(&c);
	if (c.err)
		return ED_EPROTO;
	out->version = code;
	switch (code) {
	case ED_PGW_SSL_REQUEST:
		out->kind = ED_PGW_STARTUP_SSL;
		return ed_cur_left(&c) == 0 ? 0 : ED_EPROTO;
	case ED_PGW_GSSENC_REQUEST:
		out->kind = ED_PGW_STARTUP_GSSENC;
		return ed_cur_left(&c) == 0 ? 0 : ED_EPROTO;
	case ED_PGW_CANCEL_REQUEST:
		out->kind = ED_PGW_STARTUP_CANCEL;
		out->cancel_pid = ed_cur_i32(&c);
		out->cancel_key = ed_cur_i32(&c);
		return !c.err && ed_cur_left(&c) == 0 ? 0 : ED_EPROTO;
	}
	if (code >> 16 != 3)
		return ED_EUNSUPPORTED;
	out->kind = ED_PGW_STARTUP;
	/* key\0value\0 pairs, then a final \0. */
	for (;;) {
		const char *k = cur_cstr(&c);
		if (!k)
			return ED_EPROTO;
		if (k[0] == 0)
			break;
		const char *v = cur_cstr(&c);
		if (!v || out->nparams == ED_PGW_STARTUP_MAX_PARAMS)
			return ED_EPROTO;
		out->keys[out->nparams] = k;
		out->vals[out->nparams] = v;
		out->nparams++;
	}
	return ed_cur_left(&c) == 0 ? 0 : ED_EPROTO;
}

int ed_pgw_decode_frontend(char type, const uint8_t *body, size_t len, struct ed_arena *arena,
			   struct ed_pgw_msg *out)
{
	struct ed_cur c;
	memset(out, 0, sizeof(*out));
	out->type = type;
	ed_cur_init(&c, body, len);
	switch (type) {
	case 'Q':
		out->u.query.sql = cur_cstr(&c);
		if (out->u.query.sql)
			out->u.query.len = strlen(out->u.query.sql);
		break;
	case 'P': {
		out->u.parse.name = cur_cstr(&c);
		out->u.parse.sql = cur_cstr(&c);
		if (out->u.parse.sql)
			out->u.parse.sqllen = strlen(out->u.parse.sql);
		int16_t n = ed_cur_i16(&c);
		if (c.err || n < 0 || (size_t)n * 4 > ed_cur_left(&c))
			return ED_EPROTO;
		out->u.parse.ntypes = (uint16_t)n;
		if (n) {
			out->u.parse.types = ed_arena_alloc(arena, (size_t)n * sizeof(uint32_t));
			if (!out->u.parse.types)
				return ED_ENOMEM;
		}
		for (int16_t i = 0; i < n; i++)
			out->u.parse.types[i] = ed_cur_u32(&c);
		break;
	}
	case 'B': {
		out->u.bind.portal = cur_cstr(&c);
		out->u.bind.stmt = cur_cstr(&c);
		int16_t nf = ed_cur_i16(&c);
		if (c.err || nf < 0 || (size_t)nf * 2 > ed_cur_left(&c))
			return ED_EPROTO;
		out->u.bind.nfmts = (uint16_t)nf;
		if (nf && !(out->u.bind.fmts = ed_arena_alloc(arena, (size_t)nf * 2)))
			return ED_ENOMEM;
		for (int16_t i = 0; i < nf; i++)
			out->u.bind.fmts[i] = ed_cur_i16(&c);
		int16_t np = ed_cur_i16(&c);
		if (c.err || np < 0 || (size_t)np * 4 > ed_cur_left(&c))
			return ED_EPROTO;
		out->u.bind.nparams = (uint16_t)np;
		if (np &&
		    !(out->u.bind.params = ed_arena_alloc(arena,
							  (size_t)np * sizeof(struct ed_pgw_param))))
			return ED_ENOMEM;
		for (int16_t i = 0; i < np; i++) {
			int32_t l = ed_cur_i32(&c);
			struct ed_pgw_param *p = &out->u.bind.params[i];
			p->len = l < 0 ? -1 : l;
			p->data = l > 0 ? ed_cur_bytes(&c, (size_t)l) : NULL;
			if (l < -1)
				c.err = true;
		}
		int16_t nr = ed_cur_i16(&c);
		if (c.err || nr < 0 || (size_t)nr * 2 > ed_cur_left(&c))
			return ED_EPROTO;
		out->u.bind.nresfmts = (uint16_t)nr;
		if (nr && !(out->u.bind.resfmts = ed_arena_alloc(arena, (size_t)nr * 2)))
			return ED_ENOMEM;
		for (int16_t i = 0; i < nr; i++)
			out->u.bind.resfmts[i] = ed_cur_i16(&c);
		for (int16_t i = 0; i < nf && !c.err; i++)
			if (out->u.bind.fmts[i] != 0 && out->u.bind.fmts[i] != 1)
				return ED_EPROTO;
		for (int16_t i = 0; i < nr && !c.err; i++)
			if (out->u.bind.resfmts[i] != 0 && out->u.bind.resfmts[i] != 1)
				return ED_EPROTO;
		break;
	}
	case 'D':
	case 'C':
		out->u.target.what = (char)ed_cur_u8(&c);
		out->u.target.name = cur_cstr(&c);
		if (!c.err && out->u.target.what != 'S' && out->u.target.what != 'P')
			return ED_EPROTO;
		break;
	case 'E':
		out->u.execute.portal = cur_cstr(&c);
		out->u.execute.max_rows = ed_cur_i32(&c);
		break;
	case 'S':
	case 'H':
	case 'X':
		break;
	case 'p':
		out->u.raw.data = body;
		out->u.raw.len = len;
		return 0;
	default:
		return ED_EUNSUPPORTED;
	}
	if (c.err || ed_cur_left(&c) != 0)
		return ED_EPROTO;
	return 0;
}

int ed_pgw_decode_sasl_initial(const uint8_t *body, size_t len, const char **mech,
			       const uint8_t **data, size_t *datalen)
{
	struct ed_cur c;
	ed_cur_init(&c, body, len);
	*mech = cur_cstr(&c);
	int32_t n = ed_cur_i32(&c);
	*data = NULL;
	*datalen = 0;
	if (n > 0) {
		*data = ed_cur_bytes(&c, (size_t)n);
		*datalen = (size_t)n;
	} else if (n < -1) {
		c.err = true;
	}
	return c.err || ed_cur_left(&c) != 0 ? ED_EPROTO : 0;
}

/* ---- encoding ---------------------------------------------------------------------------------- */

size_t ed_pgw_begin(struct ed_buf *b, char type)
{
	if (type)
		ed_buf_put_u8(b, (uint8_t)type);
	size_t pos = b->len;
	ed_buf_put_be32(b, 0);
	return pos;
}

void ed_pgw_end(struct ed_buf *b, size_t pos)
{
	if (!b->err)
		ed_buf_patch_be32(b, pos, (uint32_t)(b->len - pos));
}

void ed_pgw_put_cstr(struct ed_buf *b, const char *s)
{
	ed_buf_append(b, s, strlen(s) + 1);
}

void ed_pgw_put_auth(struct ed_buf *b, uint32_t code, const void *data, size_t len)
{
	size_t pos = ed_pgw_begin(b, 'R');
	ed_buf_put_be32(b, code);
	if (len)
		ed_buf_append(b, data, len);
	ed_pgw_end(b, pos);
}

void ed_pgw_put_param_status(struct ed_buf *b, const char *name, const char *value)
{
	size_t pos = ed_pgw_begin(b, 'S');
	ed_pgw_put_cstr(b, name);
	ed_pgw_put_cstr(b, value);
	ed_pgw_end(b, pos);
}

void ed_pgw_put_backend_key(struct ed_buf *b, int32_t pid, int32_t key)
{
	size_t pos = ed_pgw_begin(b, 'K');
	ed_buf_put_be32(b, (uint32_t)pid);
	ed_buf_put_be32(b, (uint32_t)key);
	ed_pgw_end(b, pos);
}

void ed_pgw_put_ready(struct ed_buf *b, char status)
{
	size_t pos = ed_pgw_begin(b, 'Z');
	ed_buf_put_u8(b, (uint8_t)status);
	ed_pgw_end(b, pos);
}

void ed_pgw_put_empty(struct ed_buf *b, char type)
{
	ed_pgw_end(b, ed_pgw_begin(b, type));
}

void ed_pgw_put_command_complete(struct ed_buf *b, const char *tag)
{
	size_t pos = ed_pgw_begin(b, 'C');
	ed_pgw_put_cstr(b, tag);
	ed_pgw_end(b, pos);
}

void ed_pgw_put_row_description(struct ed_buf *b, uint32_t ncols, const char *const *names,
				const struct ed_type *types, const int16_t *formats)
{
	size_t pos = ed_pgw_begin(b, 'T');
	ed_buf_put_be16(b, (uint16_t)ncols);
	for (uint32_t i = 0; i < ncols; i++) {
		ed_pgw_put_cstr(b, names[i] ? names[i] : "?column?");
		ed_buf_put_be32(b, 0); /* table oid */
		ed_buf_put_be16(b, 0); /* column number */
		ed_buf_put_be32(b, ed_type_pg_oid(&types[i]));
		ed_buf_put_be16(b, (uint16_t)ed_type_pg_len(&types[i]));
		int32_t typmod = -1;
		if (types[i].id == ED_TYPE_TEXT && types[i].max_len >= 0)
			typmod = types[i].max_len + 4;
		else if (types[i].id == ED_TYPE_DECIMAL && types[i].precision < 38)
			typmod = ((types[i].precision << 16) | types[i].scale) + 4;
		ed_buf_put_be32(b, (uint32_t)typmod);
		ed_buf_put_be16(b, (uint16_t)(formats ? formats[i] : 0));
	}
	ed_pgw_end(b, pos);
}

void ed_pgw_put_error(struct ed_buf *b, char type, const char *severity, const char *sqlstate,
		      uint32_t pos, const char *msg)
{
	size_t p = ed_pgw_begin(b, type);
	ed_buf_put_u8(b, 'S');
	ed_pgw_put_cstr(b, severity);
	ed_buf_put_u8(b, 'V');
	ed_pgw_put_cstr(b, severity);
	ed_buf_put_u8(b, 'C');
	ed_pgw_put_cstr(b, sqlstate);
	ed_buf_put_u8(b, 'M');
	ed_pgw_put_cstr(b, msg);
	if (pos) {
		char n[16];
		snprintf(n, sizeof(n), "%u", pos);
		ed_buf_put_u8(b, 'P');
		ed_pgw_put_cstr(b, n);
	}
	ed_buf_put_u8(b, 0);
	ed_pgw_end(b, p);
}

/* PostgreSQL's binary numeric from the value's text form ("-12.3400"):
 * int16 ndigits, int16 weight (of the first base-10000 digit), uint16 sign,
 * uint16 dscale, ndigits * int16. */
static void put_numeric_binary(struct ed_buf *b, const char *s, size_t n)
{
	bool neg = n && s[0] == '-';
	if (neg) {
		s++;
		n--;
	}
	const char *dot = memchr(s, '.', n);
	size_t ilen = dot ? (size_t)(dot - s) : n;
	size_t flen = dot ? n - ilen - 1 : 0;
	const char *frac = dot ? dot + 1 : "";
	while (ilen > 0 && s[0] == '0') { /* leading zeros of the integer part */
		s++;
		ilen--;
	}
	size_t igroups = (ilen + 3) / 4, fgroups = (flen + 3) / 4;
	uint16_t digits[64];
	size_t nd = 0;
	/* Integer part, grouped from the right. */
	size_t first = ilen % 4 ? ilen % 4 : 4;
	for (size_t g = 0, at = 0; g < igroups && nd < 64; g++) {
		size_t w = g == 0 ? first : 4;
		uint16_t d = 0;
		for (size_t k = 0; k < w; k++)
			d = (uint16_t)(d * 10 + (s[at + k] - '0'));
		at += w;
		digits[nd++] = d;
	}
	for (size_t g = 0; g < fgroups && nd < 64; g++) {
		uint16_t d = 0;
		for (size_t k = 0; k < 4; k++) {
			size_t i = g * 4 + k;
			d = (uint16_t)(d * 10 + (i < flen ? frac[i] - '0' : 0));
		}
		digits[nd++] = d;
	}
	int weight = (int)igroups - 1;
	size_t start = 0;
	while (start < nd && digits[start] == 0) {
		start++;
		weight--;
	}
	while (nd > start && digits[nd - 1] == 0)
		nd--;
	if (start == nd)
		weight = 0;
	ed_buf_put_be32(b, (uint32_t)(8 + 2 * (nd - start)));
	ed_buf_put_be16(b, (uint16_t)(nd - start));
	ed_buf_put_be16(b, (uint16_t)(int16_t)weight);
	ed_buf_put_be16(b, start < nd && neg ? 0x4000 : 0);
	ed_buf_put_be16(b, (uint16_t)flen);
	for (size_t i = start; i < nd; i++)
		ed_buf_put_be16(b, digits[i]);
}

int ed_pgw_put_value(struct ed_buf *b, const struct ed_value *v, int16_t format)
{
	if (v->null || v->type.id == ED_TYPE_NULL) {
		ed_buf_put_be32(b, UINT32_MAX);
		return b->err;
	}
	if (format == ED_PGW_FMT_BINARY) {
		switch (v->type.id) {
		case ED_TYPE_BOOL:
			ed_buf_put_be32(b, 1);
			ed_buf_put_u8(b, v->v.b ? 1 : 0);
			return b->err;
		case ED_TYPE_INT16:
			ed_buf_put_be32(b, 2);
			ed_buf_put_be16(b, (uint16_t)(int16_t)v->v.i);
			return b->err;
		case ED_TYPE_INT32:
			ed_buf_put_be32(b, 4);
			ed_buf_put_be32(b, (uint32_t)(int32_t)v->v.i);
			return b->err;
		case ED_TYPE_INT64:
			ed_buf_put_be32(b, 8);
			ed_buf_put_be64(b, (uint64_t)v->v.i);
			return b->err;
		case ED_TYPE_FLOAT32: {
			uint32_t u;
			memcpy(&u, &v->v.f32, 4);
			ed_buf_put_be32(b, 4);
			ed_buf_put_be32(b, u);
			return b->err;
		}
		case ED_TYPE_FLOAT64: {
			uint64_t u;
			memcpy(&u, &v->v.f64, 8);
			ed_buf_put_be32(b, 8);
			ed_buf_put_be64(b, u);
			return b->err;
		}
		case ED_TYPE_TIMESTAMP:
		case ED_TYPE_TIMESTAMPTZ:
			ed_buf_put_be32(b, 8);
			ed_buf_put_be64(b, (uint64_t)(v->v.i - PG_EPOCH_US));
			return b->err;
		case ED_TYPE_INTERVAL:
			ed_buf_put_be32(b, 16);
			ed_buf_put_be64(b, (uint64_t)v->v.iv.usecs);
			ed_buf_put_be32(b, (uint32_t)v->v.iv.days);
			ed_buf_put_be32(b, (uint32_t)v->v.iv.months);
			return b->err;
		case ED_TYPE_DECIMAL: {
			struct ed_buf t;
			ed_buf_init(&t);
			ed_value_format(v, &t);
			if (t.err) {
				ed_buf_fini(&t);
				b->err = ED_ENOMEM;
				return b->err;
			}
			put_numeric_binary(b, (const char *)t.data, t.len);
			ed_buf_fini(&t);
			return b->err;
		}
		default:
			break; /* text is its own binary form */
		}
	}
	size_t pos = b->len;
	ed_buf_put_be32(b, 0);
	ed_value_format(v, b);
	if (!b->err)
		ed_buf_patch_be32(b, pos, (uint32_t)(b->len - pos - 4));
	return b->err;
}

void ed_pgw_put_startup(struct ed_buf *b, const char *const *keys, const char *const *vals, size_t n)
{
	size_t pos = ed_pgw_begin(b, 0);
	ed_buf_put_be32(b, ED_PGW_PROTO_3_0);
	for (size_t i = 0; i < n; i++) {
		ed_pgw_put_cstr(b, keys[i]);
		ed_pgw_put_cstr(b, vals[i]);
	}
	ed_buf_put_u8(b, 0);
	ed_pgw_end(b, pos);
}

void ed_pgw_put_query(struct ed_buf *b, const char *sql)
{
	size_t pos = ed_pgw_begin(b, 'Q');
	ed_pgw_put_cstr(b, sql);
	ed_pgw_end(b, pos);
}

/* ---- parameters -------------------------------------------------------------------------------- */

const char *ed_pgw_oid_sql_type(uint32_t oid)
{
	switch (oid) {
	case ED_PGW_OID_BOOL:
		return "BOOLEAN";
	case ED_PGW_OID_INT2:
		return "SMALLINT";
	case ED_PGW_OID_INT4:
		return "INTEGER";
	case ED_PGW_OID_INT8:
		return "BIGINT";
	case ED_PGW_OID_FLOAT4:
		return "REAL";
	case ED_PGW_OID_FLOAT8:
		return "DOUBLE PRECISION";
	case ED_PGW_OID_NUMERIC:
		return "NUMERIC";
	case ED_PGW_OID_TEXT:
		return "TEXT";
	case ED_PGW_OID_VARCHAR:
		return "VARCHAR";
	case ED_PGW_OID_TIMESTAMP:
		return "TIMESTAMP";
	case ED_PGW_OID_TIMESTAMPTZ:
		return "TIMESTAMPTZ";
	case ED_PGW_OID_INTERVAL:
		return "INTERVAL";
	}
	return NULL;
}

static uint64_t be_u(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Text form of a binary numeric. 0 or ED_EINVAL. */
static int numeric_text(const uint8_t *p, size_t n, struct ed_buf *out)
{
	if (n < 8)
		return ED_EINVAL;
	int ndigits = (int16_t)be_u(p, 2);
	int weight = (int16_t)be_u(p + 2, 2);
	unsigned sign = (unsigned)be_u(p + 4, 2);
	int dscale = (int16_t)be_u(p + 6, 2);
	if (ndigits < 0 || (size_t)ndigits * 2 != n - 8 || dscale < 0 || dscale > 1000 ||
	    (sign != 0 && sign != 0x4000) || weight > 1000 || weight < -1000)
		return ED_EINVAL;
	const uint8_t *d = p + 8;
	if (sign == 0x4000)
		ed_buf_put_u8(out, '-');
	/* Integer part: digit groups of weight >= 0. */
	if (weight < 0) {
		ed_buf_put_u8(out, '0');
	} else {
		for (int w = 0; w <= weight; w++) {
			unsigned dig = w < ndigits ? (unsigned)be_u(d + 2 * w, 2) : 0;
			if (dig > 9999)
				return ED_EINVAL;
			ed_buf_printf(out, w == 0 ? "%u" : "%04u", dig);
		}
	}
	if (dscale > 0) {
		ed_buf_put_u8(out, '.');
		int written = 0;
		for (int g = weight + 1; written < dscale; g++) {
			unsigned dig = g >= 0 && g < ndigits ? (unsigned)be_u(d + 2 * g, 2) : 0;
			if (dig > 9999)
				return ED_EINVAL;
			char four[8];
			snprintf(four, sizeof(four), "%04u", dig);
			for (int k = 0; k < 4 && written < dscale; k++, written++)
				ed_buf_put_u8(out, (uint8_t)four[k]);
		}
	}
	return 0;
}

/* Decode a binary parameter of a known oid into its PostgreSQL text form. */
static int binary_text(uint32_t oid, const uint8_t *p, size_t n, struct ed_buf *out)
{
	struct ed_value v;
	memset(&v, 0, sizeof(v));
	switch (oid) {
	case ED_PGW_OID_BOOL:
		if (n != 1)
			return ED_EINVAL;
		ed_buf_append(out, p[0] ? "true" : "false", p[0] ? 4 : 5);
		return 0;
	case ED_PGW_OID_INT2:
		if (n != 2)
			return ED_EINVAL;
		ed_buf_printf(out, "%d", (int16_t)be_u(p, 2));
		return 0;
	case ED_PGW_OID_INT4:
		if (n != 4)
			return ED_EINVAL;
		ed_buf_printf(out, "%d", (int32_t)be_u(p, 4));
		return 0;
	case ED_PGW_OID_INT8:
		if (n != 8)
			return ED_EINVAL;
		ed_buf_printf(out, "%lld", (long long)(int64_t)be_u(p, 8));
		return 0;
	case ED_PGW_OID_FLOAT4: {
		if (n != 4)
			return ED_EINVAL;
		uint32_t u = (uint32_t)be_u(p, 4);
		float f;
		memcpy(&f, &u, 4);
		if (isnan(f))
			ed_buf_printf(out, "NaN");
		else if (isinf(f))
			ed_buf_printf(out, f > 0 ? "Infinity" : "-Infinity");
		else
			ed_buf_printf(out, "%.9g", (double)f);
		return 0;
	}
	case ED_PGW_OID_FLOAT8: {
		if (n != 8)
			return ED_EINVAL;
		uint64_t u = be_u(p, 8);
		double f;
		memcpy(&f, &u, 8);
		if (isnan(f))
			ed_buf_printf(out, "NaN");
		else if (isinf(f))
			ed_buf_printf(out, f > 0 ? "Infinity" : "-Infinity");
		else
			ed_buf_printf(out, "%.17g", f);
		return 0;
	}
	case ED_PGW_OID_NUMERIC:
		return numeric_text(p, n, out);
	case ED_PGW_OID_TEXT:
	case ED_PGW_OID_VARCHAR:
		ed_buf_append(out, p, n);
		return 0;
	case ED_PGW_OID_TIMESTAMP:
	case ED_PGW_OID_TIMESTAMPTZ: {
		if (n != 8)
			return ED_EINVAL;
		int64_t us = (int64_t)be_u(p, 8);
		if (us > INT64_MAX - PG_EPOCH_US)
			return ED_EINVAL;
		v.type = ed_type_make(oid == ED_PGW_OID_TIMESTAMP ? ED_TYPE_TIMESTAMP
								  : ED_TYPE_TIMESTAMPTZ);
		v.v.i = us + PG_EPOCH_US;
		return ed_value_format(&v, out);
	}
	case ED_PGW_OID_INTERVAL:
		if (n != 16)
			return ED_EINVAL;
		v.type = ed_type_make(ED_TYPE_INTERVAL);
		v.v.iv.usecs = (int64_t)be_u(p, 8);
		v.v.iv.days = (int32_t)be_u(p + 8, 4);
		v.v.iv.months = (int32_t)be_u(p + 12, 4);
		return ed_value_format(&v, out);
	}
	return ED_EUNSUPPORTED;
}

/* Append s as a standard-conforming string literal ('' doubling). Bytes that
 * are not valid UTF-8 are left to the parser, which rejects them. */
static void put_literal(struct ed_buf *sql, const uint8_t *s, size_t n)
{
	ed_buf_put_u8(sql, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			ed_buf_put_u8(sql, '\'');
		ed_buf_put_u8(sql, s[i]);
	}
	ed_buf_put_u8(sql, '\'');
}

int ed_pgw_param_sql(uint32_t oid, int16_t format, const struct ed_pgw_param *p, struct ed_buf *sql,
		     char sqlstate[6], char *err, size_t errlen)
{
	if (p->len < 0) {
		ed_buf_append(sql, "NULL", 4);
		return sql->err;
	}
	const char *type = ed_pgw_oid_sql_type(oid);
	size_t n = (size_t)p->len;
	bool textual = format == ED_PGW_FMT_TEXT || oid == ED_PGW_OID_TEXT ||
		       oid == ED_PGW_OID_VARCHAR;
	if (textual && p->data && memchr(p->data, 0, n)) {
		snprintf(sqlstate, 6, "22021");
		snprintf(err, errlen, "invalid byte sequence for encoding \"UTF8\": 0x00");
		return ED_EINVAL;
	}
	if (format == ED_PGW_FMT_TEXT) {
		if (type)
			ed_buf_append(sql, "CAST(", 5);
		put_literal(sql, p->data, n);
		if (type)
			ed_buf_printf(sql, " AS %s)", type);
		return sql->err;
	}
	if (!type) {
		snprintf(sqlstate, 6, "0A000");
		snprintf(err, errlen,
			 "binary format for parameters of type oid %u is not supported", oid);
		return ED_EINVAL;
	}
	struct ed_buf t;
	ed_buf_init(&t);
	int rc = binary_text(oid, p->data, n, &t);
	if (rc == 0 && t.err)
		rc = ED_ENOMEM;
	if (rc == 0) {
		ed_buf_append(sql, "CAST(", 5);
		put_literal(sql, t.data, t.len);
		ed_buf_printf(sql, " AS %s)", type);
		rc = sql->err;
	} else if (rc != ED_ENOMEM) {
		snprintf(sqlstate, 6, "22P03");
		snprintf(err, errlen, "incorrect binary data format in bind parameter (type %s)",
			 type);
		rc = ED_EINVAL;
	}
	ed_buf_fini(&t);
	return rc;
}

/* A byte that continues an identifier ($ after one is part of it). */
static bool ident_char(char ch)
{
	return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (unsigned char)ch >= 0x80;
}

int ed_pgw_scan_params(const char *sql, size_t len, ed_pgw_param_fn fn, void *arg, uint32_t *max_n)
{
	uint32_t maxv = 0;
	size_t i = 0;
	while (i < len) {
		char ch = sql[i];
		if (ch == '\'' || ch == '"') {
			/* E'...' strings allow backslash escapes. */
			bool esc = ch == '\'' && i > 0 && (sql[i - 1] == 'e' || sql[i - 1] == 'E');
			i++;
			while (i < len) {
				if (esc && sql[i] == '\\' && i + 1 < len) {
					i += 2;
					continue;
				}
				if (sql[i] == ch) {
					if (i + 1 < len && sql[i + 1] == ch) {
						i += 2;
						continue;
					}
					break;
				}
				i++;
			}
			i++;
		} else if (ch == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n')
				i++;
		} else if (ch == '/' && i + 1 < len && sql[i + 1] == '*') {
			int depth = 1;
			i += 2;
			while (i < len && depth > 0) {
				if (sql[i] == '*' && i + 1 < len && sql[i + 1] == '/') {
					depth--;
					i += 2;
				} else if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
					depth++;
					i += 2;
				} else {
					i++;
				}
			}
		} else if (ch == '$' && i + 1 < len && sql[i + 1] >= '0' && sql[i + 1] <= '9' &&
			   !(i > 0 && ident_char(sql[i - 1]))) {
			size_t j = i + 1;
			uint64_t n = 0;
			while (j < len && sql[j] >= '0' && sql[j] <= '9') {
				n = n * 10 + (uint64_t)(sql[j] - '0');
				if (n > 65535)
					n = 65536;
				j++;
			}
			if (n >= 1 && n <= 65535) {
				if (n > maxv)
					maxv = (uint32_t)n;
				if (fn) {
					int rc = fn(arg, i, j - i, (uint32_t)n);
					if (rc)
						return rc;
				}
			}
			i = j;
		} else {
			i++;
		}
	}
	*max_n = maxv;
	return 0;
}
