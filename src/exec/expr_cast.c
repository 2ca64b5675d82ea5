/* Casts between SQL types (the CAST kernel, which casts exist, which are
 * implicit and at what cost), value comparison/hashing helpers shared by
 * operators and aggregates, and the text form of a vector row.
 *
 * Implicit casts and their costs (lower is preferred; see expr.c):
 *   smallint -> integer 1, bigint 2, numeric 3, double 3, real 5
 *   integer  -> bigint 1, numeric 3, double 3, real 5
 *   bigint   -> numeric 3, double 3, real 5
 *   numeric  -> double 4, real 6
 *   real     -> double 1
 *   timestamp -> timestamptz 1
 * Explicit casts add: any numeric <-> any numeric, integer <-> boolean,
 * timestamptz -> timestamp, and text <-> every type. Errors: 22003 (out of
 * range), 22P02 (bad number/boolean text), 22007/22008 (bad or out-of-range
 * timestamp or interval text). The session time zone is UTC. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hash.h"
#include "exec/exec_int.h"

int ed_cast_cost(enum ed_type_id from, enum ed_type_id to)
{
	if (from == to || from == ED_TYPE_NULL)
		return 0;
	switch (from) {
	case ED_TYPE_INT16:
		return to == ED_TYPE_INT32     ? 1
		       : to == ED_TYPE_INT64   ? 2
		       : to == ED_TYPE_DECIMAL ? 3
		       : to == ED_TYPE_FLOAT64 ? 3
		       : to == ED_TYPE_FLOAT32 ? 5
					       : -1;
	case ED_TYPE_INT32:
		return to == ED_TYPE_INT64     ? 1
		       : to == ED_TYPE_DECIMAL ? 3
		       : to == ED_TYPE_FLOAT64 ? 3
		       : to == ED_TYPE_FLOAT32 ? 5
					       : -1;
	case ED_TYPE_INT64:
		return to == ED_TYPE_DECIMAL   ? 3
		       : to == ED_TYPE_FLOAT64 ? 3
		       : to == ED_TYPE_FLOAT32 ? 5
					       : -1;
	case ED_TYPE_DECIMAL:
		return to == ED_TYPE_FLOAT64 ? 4 : to == ED_TYPE_FLOAT32 ? 6 : -1;
	case ED_TYPE_FLOAT32:
		return to == ED_TYPE_FLOAT64 ? 1 : -1;
	case ED_TYPE_TIMESTAMP:
		return to == ED_TYPE_TIMESTAMPTZ ? 1 : -1;
	default:
		return -1;
	}
}

bool ed_cast_exists(const struct ed_type *from, const struct ed_type *to, bool explicit_cast)
{
	enum ed_type_id f = from->id, t = to->id;
	if (f == t || f == ED_TYPE_NULL)
		return true;
	if (ed_cast_cost(f, t) >= 0)
		return true;
	if (!explicit_cast)
		return false;
	if (ed_type_is_numeric(f) && ed_type_is_numeric(t))
		return true;
	if ((f == ED_TYPE_BOOL && ed_type_is_integer(t)) ||
	    (t == ED_TYPE_BOOL && ed_type_is_integer(f)))
		return true;
	if (f == ED_TYPE_TIMESTAMPTZ && t == ED_TYPE_TIMESTAMP)
		return true;
	if (f == ED_TYPE_TEXT || t == ED_TYPE_TEXT)
		return t != ED_TYPE_NULL;
	return false;
}

/* ---- comparison and hashing -------------------------------------------------- */

#define CMP3(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

static int fcmp(double a, double b)
{
	if (a < b)
		return -1;
	if (a > b)
		return 1;
	if (a == b)
		return 0;
	/* NaN sorts above everything and equals itself, as in PostgreSQL. */
	return isnan(a) ? (isnan(b) ? 0 : 1) : -1;
}

int ed_vec_cmp(const struct ed_vector *a, uint32_t i, const struct ed_vector *b, uint32_t j)
{
	switch (a->type.id) {
	case ED_TYPE_BOOL:
		return CMP3(ED_VEC(a, uint8_t)[i], ED_VEC(b, uint8_t)[j]);
	case ED_TYPE_INT16:
		return CMP3(ED_VEC(a, int16_t)[i], ED_VEC(b, int16_t)[j]);
	case ED_TYPE_INT32:
		return CMP3(ED_VEC(a, int32_t)[i], ED_VEC(b, int32_t)[j]);
	case ED_TYPE_INT64:
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		return CMP3(ED_VEC(a, int64_t)[i], ED_VEC(b, int64_t)[j]);
	case ED_TYPE_FLOAT32:
		return fcmp(ED_VEC(a, float)[i], ED_VEC(b, float)[j]);
	case ED_TYPE_FLOAT64:
		return fcmp(ED_VEC(a, double)[i], ED_VEC(b, double)[j]);
	case ED_TYPE_DECIMAL: {
		ed_dec x = ED_VEC(a, ed_dec)[i], y = ED_VEC(b, ed_dec)[j];
		int sa = a->type.scale, sb = b->type.scale;
		if (sa != sb) {
			ed_dec xr, yr;
			if (sa < sb && ed_dec_rescale(x, sa, sb, &xr))
				x = xr;
			else if (sb < sa && ed_dec_rescale(y, sb, sa, &yr))
				y = yr;
		}
		return CMP3(x, y);
	}
	case ED_TYPE_TEXT: {
		struct ed_str x = ED_VEC(a, struct ed_str)[i], y = ED_VEC(b, struct ed_str)[j];
		uint32_t n = x.len < y.len ? x.len : y.len;
		int c = n ? memcmp(x.ptr, y.ptr, n) : 0;
		return c ? (c < 0 ? -1 : 1) : CMP3(x.len, y.len);
	}
	case ED_TYPE_INTERVAL: {
		__int128 x = ed_interval_key(&ED_VEC(a, struct ed_interval)[i]);
		__int128 y = ed_interval_key(&ED_VEC(b, struct ed_interval)[j]);
		return CMP3(x, y);
	}
	default:
		return 0;
	}
}

bool ed_vec_eq(const struct ed_vector *a, uint32_t i, const struct ed_vector *b, uint32_t j)
{
	return ed_vec_cmp(a, i, b, j) == 0;
}

uint64_t ed_vec_hash(const struct ed_vector *v, uint32_t i)
{
	switch (v->type.id) {
	case ED_TYPE_TEXT: {
		struct ed_str s = ED_VEC(v, struct ed_str)[i];
		return ed_hash64(s.len ? s.ptr : "", s.len);
	}
	case ED_TYPE_FLOAT32:
	case ED_TYPE_FLOAT64: {
		double d = v->type.id == ED_TYPE_FLOAT32 ? ED_VEC(v, float)[i] : ED_VEC(v, double)[i];
		if (d == 0)
			d = 0; /* -0 == 0 */
		if (isnan(d))
			d = NAN;
		return ed_hash64(&d, sizeof d);
	}
	case ED_TYPE_INTERVAL: {
		__int128 k = ed_interval_key(&ED_VEC(v, struct ed_interval)[i]);
		return ed_hash64(&k, sizeof k);
	}
	default: {
		size_t w = ed_type_width(v->type.id);
		return ed_hash64((const uint8_t *)v->data + (size_t)i * w, w);
	}
	}
}

/* ---- text forms ------------------------------------------------------------------ */

size_t ed_vec_text(const struct ed_vector *v, uint32_t i, char *tmp, const char **out)
{
	*out = tmp;
	switch (v->type.id) {
	case ED_TYPE_BOOL:
		if (ED_VEC(v, uint8_t)[i]) {
			memcpy(tmp, "true", 5);
			return 4;
		}
		memcpy(tmp, "false", 6);
		return 5;
	case ED_TYPE_INT16:
		return (size_t)snprintf(tmp, ED_VALUE_TEXT_MAX, "%d", ED_VEC(v, int16_t)[i]);
	case ED_TYPE_INT32:
		return (size_t)snprintf(tmp, ED_VALUE_TEXT_MAX, "%d", ED_VEC(v, int32_t)[i]);
	case ED_TYPE_INT64:
		return (size_t)snprintf(tmp, ED_VALUE_TEXT_MAX, "%lld",
					(long long)ED_VEC(v, int64_t)[i]);
	case ED_TYPE_FLOAT32:
		return ed_float_format(ED_VEC(v, float)[i], true, tmp);
	case ED_TYPE_FLOAT64:
		return ed_float_format(ED_VEC(v, double)[i], false, tmp);
	case ED_TYPE_DECIMAL:
		return ed_dec_format(ED_VEC(v, ed_dec)[i], v->type.scale, tmp);
	case ED_TYPE_TEXT: {
		struct ed_str s = ED_VEC(v, struct ed_str)[i];
		*out = s.ptr;
		return s.len;
	}
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		return ed_ts_format(ED_VEC(v, int64_t)[i], v->type.id == ED_TYPE_TIMESTAMPTZ, false,
				    tmp);
	case ED_TYPE_INTERVAL:
		return ed_interval_format(&ED_VEC(v, struct ed_interval)[i], tmp);
	default:
		tmp[0] = 0;
		return 0;
	}
}

/* ---- the cast kernel ---------------------------------------------------------------- */

static int quote_fail(struct ed_eval *cx, uint32_t i, const char *state, const char *what,
		      struct ed_str s)
{
	return ed_expr_fail(cx->err, (int32_t)i, state, "invalid input syntax for type %s: \"%.*s\"",
			    what, (int)(s.len > 100 ? 100 : s.len), s.ptr);
}

static int range_fail(struct ed_eval *cx, uint32_t i, enum ed_type_id t)
{
	if (t == ED_TYPE_DECIMAL)
		return ed_expr_fail(cx->err, (int32_t)i, "22003", "numeric field overflow");
	if (t == ED_TYPE_FLOAT32 || t == ED_TYPE_FLOAT64)
		return ed_expr_fail(cx->err, (int32_t)i, "22003", "value out of range: overflow");
	return ed_expr_fail(cx->err, (int32_t)i, "22003", "%s out of range", ed_type_name(t));
}

/* Reads row i of a numeric vector as the widest exact form we have:
 * integers as int64 (is_int), floats as double, decimals unscaled. */
struct num {
	int kind; /* 0 int, 1 float, 2 decimal */
	int64_t i;
	double f;
	ed_dec d;
	int scale;
};

static struct num read_num(const struct ed_vector *v, uint32_t i)
{
	struct num n = {0, 0, 0, 0, 0};
	switch (v->type.id) {
	case ED_TYPE_BOOL:
		n.i = ED_VEC(v, uint8_t)[i];
		break;
	case ED_TYPE_INT16:
		n.i = ED_VEC(v, int16_t)[i];
		break;
	case ED_TYPE_INT32:
		n.i = ED_VEC(v, int32_t)[i];
		break;
	case ED_TYPE_INT64:
		n.i = ED_VEC(v, int64_t)[i];
		break;
	case ED_TYPE_FLOAT32:
		n.kind = 1;
		n.f = ED_VEC(v, float)[i];
		break;
	case ED_TYPE_FLOAT64:
		n.kind = 1;
		n.f = ED_VEC(v, double)[i];
		break;
	case ED_TYPE_DECIMAL:
		n.kind = 2;
		n.d = ED_VEC(v, ed_dec)[i];
		n.scale = v->type.scale;
		break;
	default:
		break;
	}
	return n;
}

static double dec_to_double_fast(ed_dec d, int scale)
{
	static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	ed_dec lim = (ed_dec)1 << 53;
	if (d < lim && d > -lim && scale >= 0 && scale <= 22)
		return (double)(int64_t)d / p10[scale];
	return ed_dec_to_double(d, scale);
}

/* Writes a number into row i of out (a numeric or boolean type). */
static int write_num(struct ed_eval *cx, uint32_t i, struct num n, struct ed_vector *out)
{
	enum ed_type_id t = out->type.id;
	switch (t) {
	case ED_TYPE_BOOL:
		ED_VEC(out, uint8_t)[i] = n.i != 0;
		return 0;
	case ED_TYPE_INT16:
	case ED_TYPE_INT32:
	case ED_TYPE_INT64: {
		int64_t v;
		if (n.kind == 1) {
			if (isnan(n.f) ||
			    !(n.f > -9.2233720368547758e18 && n.f < 9.2233720368547758e18))
				return range_fail(cx, i, t);
			v = (int64_t)rint(n.f);
		} else if (n.kind == 2) {
			ed_dec r;
			ed_dec_rescale(n.d, n.scale, 0, &r);
			if (r > INT64_MAX || r < INT64_MIN)
				return range_fail(cx, i, t);
			v = (int64_t)r;
		} else {
			v = n.i;
		}
		if (t == ED_TYPE_INT16) {
			if (v < INT16_MIN || v > INT16_MAX)
				return range_fail(cx, i, t);
			ED_VEC(out, int16_t)[i] = (int16_t)v;
		} else if (t == ED_TYPE_INT32) {
			if (v < INT32_MIN || v > INT32_MAX)
				return range_fail(cx, i, t);
			ED_VEC(out, int32_t)[i] = (int32_t)v;
		} else {
			ED_VEC(out, int64_t)[i] = v;
		}
		return 0;
	}
	case ED_TYPE_FLOAT32:
	case ED_TYPE_FLOAT64: {
		double f = n.kind == 0   ? (double)n.i
			   : n.kind == 1 ? n.f
					 : dec_to_double_fast(n.d, n.scale);
		if (t == ED_TYPE_FLOAT32) {
			float g = (float)f;
			if (isinf(g) && !isinf(f))
				return range_fail(cx, i, t);
			if (g == 0 && f != 0)
				return ed_expr_fail(cx->err, (int32_t)i, "22003",
						    "value out of range: underflow");
			ED_VEC(out, float)[i] = g;
		} else {
			ED_VEC(out, double)[i] = f;
		}
		return 0;
	}
	case ED_TYPE_DECIMAL: {
		ed_dec d;
		int s = out->type.scale;
		if (n.kind == 0) {
			if (!ed_dec_rescale(n.i, 0, s, &d))
				return range_fail(cx, i, t);
		} else if (n.kind == 2) {
			if (!ed_dec_rescale(n.d, n.scale, s, &d))
				return range_fail(cx, i, t);
		} else {
			if (isnan(n.f) || isinf(n.f))
				return ed_expr_fail(cx->err, (int32_t)i, "22003",
						    "cannot convert %s to numeric",
						    isnan(n.f) ? "NaN" : "infinity");
			char buf[ED_FLOAT_TEXT_MAX + 1];
			size_t len = ed_float_format(n.f, false, buf);
			if (ed_dec_parse(buf, len, s, &d))
				return range_fail(cx, i, t);
		}
		if (!ed_dec_fits(d, out->type.precision))
			return range_fail(cx, i, t);
		ED_VEC(out, ed_dec)[i] = d;
		return 0;
	}
	default:
		return ed_expr_fail(cx->err, (int32_t)i, "42846", "cannot cast to %s",
				    ed_type_name(t));
	}
}

static bool word_eq(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

/* Parse text row s into row i of out. */
static int parse_text(struct ed_eval *cx, uint32_t i, struct ed_str s, struct ed_vector *out)
{
	const char *p = s.ptr;
	size_t n = s.len;
	while (n && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	enum ed_type_id t = out->type.id;
	switch (t) {
	case ED_TYPE_BOOL: {
		static const char *const yes[] = {"t", "true", "y", "yes", "on", "1"};
		static const char *const no[] = {"f", "false", "n", "no", "off", "0"};
		for (size_t k = 0; k < 6; k++) {
			if (word_eq(p, n, yes[k])) {
				ED_VEC(out, uint8_t)[i] = 1;
				return 0;
			}
			if (word_eq(p, n, no[k])) {
				ED_VEC(out, uint8_t)[i] = 0;
				return 0;
			}
		}
		return quote_fail(cx, i, "22P02", "boolean", s);
	}
	case ED_TYPE_INT16:
	case ED_TYPE_INT32:
	case ED_TYPE_INT64: {
		size_t k = 0;
		bool neg = false;
		if (k < n && (p[k] == '+' || p[k] == '-'))
			neg = p[k++] == '-';
		if (k == n)
			return quote_fail(cx, i, "22P02", ed_type_name(t), s);
		uint64_t v = 0;
		for (; k < n; k++) {
			if (p[k] < '0' || p[k] > '9')
				return quote_fail(cx, i, "22P02", ed_type_name(t), s);
			if (v > (UINT64_MAX - 9) / 10)
				return ed_expr_fail(cx->err, (int32_t)i, "22003",
						    "value \"%.*s\" is out of range for type %s",
						    (int)(n > 60 ? 60 : n), p, ed_type_name(t));
			v = v * 10 + (uint64_t)(p[k] - '0');
		}
		if (v > (uint64_t)INT64_MAX + neg)
			return ed_expr_fail(cx->err, (int32_t)i, "22003",
					    "value \"%.*s\" is out of range for type %s",
					    (int)(n > 60 ? 60 : n), p, ed_type_name(t));
		struct num nm = {0, neg ? (int64_t)(0 - v) : (int64_t)v, 0, 0, 0};
		int rc = write_num(cx, i, nm, out);
		if (rc)
			ed_expr_fail(cx->err, (int32_t)i, "22003",
				     "value \"%.*s\" is out of range for type %s",
				     (int)(n > 60 ? 60 : n), p, ed_type_name(t));
		return rc;
	}
	case ED_TYPE_FLOAT32:
	case ED_TYPE_FLOAT64: {
		char buf[128];
		if (n == 0 || n >= sizeof buf)
			return quote_fail(cx, i, "22P02", ed_type_name(t), s);
		memcpy(buf, p, n);
		buf[n] = 0;
		double f;
		if (word_eq(p, n, "nan"))
			f = NAN;
		else if (word_eq(p, n, "infinity") || word_eq(p, n, "+infinity") ||
			 word_eq(p, n, "inf"))
			f = INFINITY;
		else if (word_eq(p, n, "-infinity") || word_eq(p, n, "-inf"))
			f = -INFINITY;
		else {
			for (size_t k = 0; k < n; k++)
				if (!(isdigit((unsigned char)buf[k]) || strchr("+-.eE", buf[k])))
					return quote_fail(cx, i, "22P02", ed_type_name(t), s);
			char *e;
			f = strtod(buf, &e);
			if (*e)
				return quote_fail(cx, i, "22P02", ed_type_name(t), s);
			if (isinf(f))
				return ed_expr_fail(cx->err, (int32_t)i, "22003",
						    "\"%s\" is out of range for type %s", buf,
						    ed_type_name(t));
		}
		struct num nm = {1, 0, f, 0, 0};
		return write_num(cx, i, nm, out);
	}
	case ED_TYPE_DECIMAL: {
		ed_dec d;
		int rc = ed_dec_parse(p, n, out->type.scale, &d);
		if (rc == ED_EINVAL || (rc == 0 && n == 0))
			return quote_fail(cx, i, "22P02", "numeric", s);
		if (rc || !ed_dec_fits(d, out->type.precision))
			return range_fail(cx, i, t);
		ED_VEC(out, ed_dec)[i] = d;
		return 0;
	}
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ: {
		int64_t v;
		int rc = ed_ts_parse(p, n, t == ED_TYPE_TIMESTAMPTZ, &v, NULL);
		if (rc == ED_ERANGE)
			return ed_expr_fail(cx->err, (int32_t)i, "22008",
					    "date/time field value out of range: \"%.*s\"",
					    (int)(n > 60 ? 60 : n), p);
		if (rc)
			return quote_fail(cx, i, "22007", ed_type_name(t), s);
		ED_VEC(out, int64_t)[i] = v;
		return 0;
	}
	case ED_TYPE_INTERVAL: {
		struct ed_interval iv;
		int rc = ed_interval_parse(p, n, &iv);
		if (rc == ED_ERANGE)
			return ed_expr_fail(cx->err, (int32_t)i, "22015", "interval out of range");
		if (rc)
			return quote_fail(cx, i, "22007", "interval", s);
		ED_VEC(out, struct ed_interval)[i] = iv;
		return 0;
	}
	default:
		return ed_expr_fail(cx->err, (int32_t)i, "42846", "cannot cast text to %s",
				    ed_type_name(t));
	}
}

/* Bytes of the first n characters of s (UTF-8). */
static uint32_t utf8_prefix(const char *s, uint32_t len, uint32_t n)
{
	uint32_t i = 0, c = 0;
	while (i < len) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (c == n)
				break;
			c++;
		}
		i++;
	}
	return i;
}

int ed_cast_kernel(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	const struct ed_vector *in = args[0];
	const uint8_t *act = cx->act;
	uint32_t n = cx->rows;
	enum ed_type_id f = in->type.id, t = out->type.id;
	int rc;
	if (f == ED_TYPE_NULL) {
		for (uint32_t i = 0; i < n; i++)
			out->nulls[i] = 1;
		return 0;
	}
	if (t == ED_TYPE_TEXT) {
		struct ed_str *o = out->data;
		int32_t maxc = out->type.max_len;
		if (f == ED_TYPE_TEXT) {
			const struct ed_str *s = in->data;
			for (uint32_t i = 0; i < n; i++) {
				if (!act[i])
					continue;
				o[i] = s[i];
				if (maxc >= 0 && s[i].len > (uint32_t)maxc)
					o[i].len = utf8_prefix(s[i].ptr, s[i].len, (uint32_t)maxc);
			}
			return 0;
		}
		struct ed_textw w;
		ed_textw_init(&w, cx->text);
		char tmp[ED_VALUE_TEXT_MAX];
		for (uint32_t i = 0; i < n; i++) {
			if (!act[i])
				continue;
			const char *src;
			size_t len = ed_vec_text(in, i, tmp, &src);
			if (maxc >= 0 && len > (size_t)maxc)
				len = (size_t)maxc; /* ASCII: characters are bytes */
			char *d = ed_textw_reserve(&w, len);
			if (!d)
				return ed_expr_fail(cx->err, (int32_t)i, "53200", "out of memory");
			memcpy(d, src, len);
			ed_textw_commit(&w, len);
			o[i].ptr = d;
			o[i].len = (uint32_t)len;
		}
		return 0;
	}
	if (f == ED_TYPE_TEXT) {
		const struct ed_str *s = in->data;
		for (uint32_t i = 0; i < n; i++)
			if (act[i] && (rc = parse_text(cx, i, s[i], out)))
				return rc;
		return 0;
	}
	if ((ed_type_is_numeric(f) || f == ED_TYPE_BOOL) &&
	    (ed_type_is_numeric(t) || t == ED_TYPE_BOOL)) {
		/* Fast paths for the common widenings. */
		if (f == ED_TYPE_INT32 && t == ED_TYPE_INT64) {
			for (uint32_t i = 0; i < n; i++)
				ED_VEC(out, int64_t)[i] = ED_VEC(in, int32_t)[i];
			return 0;
		}
		if (f == ED_TYPE_INT64 && t == ED_TYPE_FLOAT64) {
			for (uint32_t i = 0; i < n; i++)
				ED_VEC(out, double)[i] = (double)ED_VEC(in, int64_t)[i];
			return 0;
		}
		if (f == ED_TYPE_INT32 && t == ED_TYPE_FLOAT64) {
			for (uint32_t i = 0; i < n; i++)
				ED_VEC(out, double)[i] = ED_VEC(in, int32_t)[i];
			return 0;
		}
		for (uint32_t i = 0; i < n; i++)
			if (act[i] && (rc = write_num(cx, i, read_num(in, i), out)))
				return rc;
		return 0;
	}
	if ((f == ED_TYPE_TIMESTAMP || f == ED_TYPE_TIMESTAMPTZ) &&
	    (t == ED_TYPE_TIMESTAMP || t == ED_TYPE_TIMESTAMPTZ)) {
		memcpy(out->data, in->data, (size_t)n * 8); /* session zone UTC */
		return 0;
	}
	(void)e;
	return ed_expr_fail(cx->err, -1, "42846", "cannot cast type %s to %s", ed_type_name(f),
			    ed_type_name(t));
}
