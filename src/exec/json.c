/* JSON records <-> chunks (json.h). The decoder walks the bytes once with a
 * cursor (p, end) and a depth counter, guided by a trie of the wanted paths:
 * members the trie does not name are validated and skipped without being
 * converted; wanted ones are converted in place into the chunk row. It
 * never allocates except the text it stores (in the chunk's arena).
 *
 * Grammar accepted: RFC 8259 exactly (no comments, no trailing commas, no
 * single quotes, no NaN literals, strings must be valid UTF-8 with control
 * characters escaped; \u0000 is refused because text cannot hold NUL). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "exec/exec_int.h"
#include "exec/json.h"

struct ed_json_node {
	const char *name;
	uint32_t len;
	int32_t column;       /* -1: only a path step */
	uint32_t first_child; /* 0: none (node 0 is the root, never a child) */
	uint32_t next_sibling;
};

/* ---- decoder compilation ------------------------------------------------------- */

void ed_json_decoder_fini(struct ed_json_decoder *d)
{
	if (!d)
		return;
	ed_free(d->nodes);
	ed_free(d->columns);
	ed_free(d->names);
	memset(d, 0, sizeof *d);
}

int ed_json_decoder_init(struct ed_json_decoder *d, const char *const *paths,
			 const uint32_t *columns, uint32_t n, struct ed_expr_error *err)
{
	memset(d, 0, sizeof *d);
	d->max_bytes = ED_JSON_DEFAULT_MAX_BYTES;
	if (n > ED_JSON_MAX_FIELDS)
		return ed_expr_fail(err, -1, "54000", "too many JSON fields (%u)", n);
	size_t total = 0, comps = 1;
	for (uint32_t k = 0; k < n; k++) {
		size_t len = strlen(paths[k]);
		total += len + 1;
		comps += 1;
		for (size_t i = 0; i < len; i++)
			comps += paths[k][i] == '.';
	}
	d->names = ed_malloc(total ? total : 1);
	d->nodes = ed_calloc(comps, sizeof *d->nodes);
	d->columns = ed_calloc(n ? n : 1, sizeof *d->columns);
	if (!d->names || !d->nodes || !d->columns) {
		ed_json_decoder_fini(d);
		return ED_ENOMEM;
	}
	d->nodes[0].column = -1;
	d->nnodes = 1;
	char *np = d->names;
	for (uint32_t k = 0; k < n; k++) {
		const char *s = paths[k];
		size_t len = strlen(s);
		memcpy(np, s, len + 1);
		uint32_t cur = 0;
		const char *c = np;
		np += len + 1;
		for (;;) {
			const char *dot = memchr(c, '.', (size_t)(np - 1 - c));
			size_t cl = dot ? (size_t)(dot - c) : (size_t)(np - 1 - c);
			if (cl == 0) {
				ed_json_decoder_fini(d);
				return ed_expr_fail(err, -1, "42601", "bad JSON path \"%s\"", s);
			}
			uint32_t ch = d->nodes[cur].first_child, prev = 0;
			while (ch &&
			       !(d->nodes[ch].len == cl && memcmp(d->nodes[ch].name, c, cl) == 0)) {
				prev = ch;
				ch = d->nodes[ch].next_sibling;
			}
			if (!ch) {
				ch = d->nnodes++;
				d->nodes[ch].name = c;
				d->nodes[ch].len = (uint32_t)cl;
				d->nodes[ch].column = -1;
				if (prev)
					d->nodes[prev].next_sibling = ch;
				else
					d->nodes[cur].first_child = ch;
			}
			cur = ch;
			if (!dot)
				break;
			c = dot + 1;
		}
		if (d->nodes[cur].column >= 0) {
			ed_json_decoder_fini(d);
			return ed_expr_fail(err, -1, "42701", "JSON path \"%s\" given twice", s);
		}
		d->nodes[cur].column = (int32_t)columns[k];
		d->columns[d->ncolumns++] = columns[k];
	}
	return 0;
}

/* ---- scanner ----------------------------------------------------------------------- */

struct jp {
	const char *p, *end, *start;
	struct ed_chunk *c;
	uint32_t row;
	int depth;
	struct ed_expr_error *err;
	const struct ed_json_decoder *d;
};

static int jfail(struct jp *j, const char *state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int jfail(struct jp *j, const char *state, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t off = (size_t)(j->p - j->start);
	return ed_expr_fail(j->err, (int32_t)(off > INT32_MAX ? INT32_MAX : off), state,
			    "%s at byte %zu", msg, off);
}

static inline void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), 0 if bad. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

/* Character classes for the string scanner: 0 plain, 1 '"', 2 '\\',
 * 3 control, 4 non-ASCII. */
static const uint8_t sclass[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

static int hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static int hex4(const char *p)
{
	int a = hexval((unsigned char)p[0]), b = hexval((unsigned char)p[1]);
	int c = hexval((unsigned char)p[2]), d = hexval((unsigned char)p[3]);
	return (a | b | c | d) < 0 ? -1 : a << 12 | b << 8 | c << 4 | d;
}

/* At '"': validates the string and leaves j->p after the closing quote.
 * *s, *len: the raw bytes between the quotes; *esc: contains escapes. */
static int scan_string(struct jp *j, const char **s, size_t *len, bool *esc)
{
	const char *p = ++j->p;
	const char *end = j->end;
	*esc = false;
	*s = p;
	for (;;) {
		while (p < end && sclass[(unsigned char)*p] == 0)
			p++;
		if (p >= end) {
			j->p = p;
			return jfail(j, "22P02", "unterminated string");
		}
		switch (sclass[(unsigned char)*p]) {
		case 1:
			*len = (size_t)(p - *s);
			j->p = p + 1;
			return 0;
		case 2:
			*esc = true;
			if (end - p < 2) {
				j->p = p;
				return jfail(j, "22P02", "unterminated string");
			}
			if (p[1] == 'u') {
				if (end - p < 6 || hex4(p + 2) < 0) {
					j->p = p;
					return jfail(j, "22P02", "bad \\u escape");
				}
				p += 6;
			} else if (strchr("\"\\/bfnrt", p[1]) && p[1]) {
				p += 2;
			} else {
				j->p = p;
				return jfail(j, "22P02", "bad escape \\%c", p[1] ? p[1] : '0');
			}
			break;
		case 3:
			j->p = p;
			return jfail(j, "22P02", "control character in string");
		default: {
			size_t n = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
			if (!n) {
				j->p = p;
				return jfail(j, "22021", "invalid UTF-8 in string");
			}
			p += n;
		}
		}
	}
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes the escapes of a scanned string (s, n) into out (n bytes are
 * always enough). Returns the length, or -1 on a lone surrogate or \u0000
 * (*why says which). */
static long unescape(const char *s, size_t n, char *out, const char **why)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		char c = s[i + 1];
		if (c != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			out[o++] = to[strchr(from, c) - from];
			i += 2;
			continue;
		}
		uint32_t cp = (uint32_t)hex4(s + i + 2);
		i += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u') {
				*why = "lone high surrogate in \\u escape";
				return -1;
			}
			uint32_t lo = (uint32_t)hex4(s + i + 2);
			if (lo < 0xDC00 || lo > 0xDFFF) {
				*why = "bad low surrogate in \\u escape";
				return -1;
			}
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			i += 6;
		} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
			*why = "lone low surrogate in \\u escape";
			return -1;
		} else if (cp == 0) {
			*why = "\\u0000 cannot be stored in text";
			return -1;
		}
		o += put_utf8(out + o, cp);
	}
	return (long)o;
}

/* A scanned number: its bytes, whether it has a fraction or exponent, and
 * its digits as an integer when it has at most 19 significant digits. */
struct jnum {
	const char *s;
	size_t len;
	bool neg, frac, exp;
	uint64_t mant;
	int ndig;
};

static int scan_number(struct jp *j, struct jnum *nm)
{
	const char *p = j->p, *end = j->end;
	nm->s = p;
	nm->neg = nm->frac = nm->exp = false;
	nm->mant = 0;
	nm->ndig = 0;
	if (p < end && *p == '-') {
		nm->neg = true;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9') {
		j->p = p;
		return jfail(j, "22P02", "bad number");
	}
	if (*p == '0') {
		p++;
	} else {
		while (p < end && *p >= '0' && *p <= '9') {
			if (nm->ndig < 19)
				nm->mant = nm->mant * 10 + (uint64_t)(*p - '0');
			nm->ndig++;
			p++;
		}
	}
	if (p < end && *p == '.') {
		nm->frac = true;
		p++;
		if (p >= end || *p < '0' || *p > '9') {
			j->p = p;
			return jfail(j, "22P02", "bad number");
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		nm->exp = true;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9') {
			j->p = p;
			return jfail(j, "22P02", "bad number");
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	nm->len = (size_t)(p - nm->s);
	j->p = p;
	return 0;
}

static int skip_value(struct jp *j);

static int skip_container(struct jp *j, char close)
{
	if (++j->depth > ED_JSON_MAX_DEPTH)
		return jfail(j, "54000", "JSON nested deeper than %d", ED_JSON_MAX_DEPTH);
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		int rc;
		if (close == '}') {
			const char *s;
			size_t n;
			bool esc;
			if (j->p >= j->end || *j->p != '"')
				return jfail(j, "22P02", "expected a member name");
			if ((rc = scan_string(j, &s, &n, &esc)))
				return rc;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return jfail(j, "22P02", "expected ':'");
			j->p++;
			skip_ws(j);
		}
		if ((rc = skip_value(j)))
			return rc;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			skip_ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		return jfail(j, "22P02", "expected ',' or '%c'", close);
	}
}

static bool word_at(struct jp *j, const char *w, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

static int skip_value(struct jp *j)
{
	if (j->p >= j->end)
		return jfail(j, "22P02", "expected a value");
	switch (*j->p) {
	case '{':
		return skip_container(j, '}');
	case '[':
		return skip_container(j, ']');
	case '"': {
		const char *s;
		size_t n;
		bool esc;
		return scan_string(j, &s, &n, &esc);
	}
	case 't':
		return word_at(j, "true", 4) ? 0 : jfail(j, "22P02", "bad literal");
	case 'f':
		return word_at(j, "false", 5) ? 0 : jfail(j, "22P02", "bad literal");
	case 'n':
		return word_at(j, "null", 4) ? 0 : jfail(j, "22P02", "bad literal");
	default: {
		struct jnum nm;
		return scan_number(j, &nm);
	}
	}
}

/* ---- conversions ------------------------------------------------------------------- */

static const char *colname(const struct ed_json_node *nd)
{
	static __thread char buf[80];
	snprintf(buf, sizeof buf, "%.*s", (int)(nd->len > 60 ? 60 : nd->len), nd->name);
	return buf;
}

static int store_text(struct jp *j, struct ed_vector *v, const char *s, size_t n)
{
	if (n > UINT32_MAX / 2)
		return jfail(j, "54000", "string too long");
	struct ed_str str = {"", (uint32_t)n};
	if (n) {
		char *d = ed_arena_alloc(&j->c->arena, n);
		if (!d)
			return jfail(j, "53200", "out of memory");
		memcpy(d, s, n);
		str.ptr = d;
	}
	if (v->type.max_len >= 0 && ed_utf8_len(str.ptr, str.len) > (uint32_t)v->type.max_len)
		return jfail(j, "22001", "value too long for type character varying(%d)",
			     (int)v->type.max_len);
	ED_VEC(v, struct ed_str)[j->row] = str;
	v->nulls[j->row] = 0;
	return 0;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Double value of a scanned number; exact fast path for short decimals. */
static double num_double(const struct jnum *nm)
{
	if (!nm->exp && nm->ndig <= 15) {
		const char *p = nm->s + (nm->neg ? 1 : 0), *e = nm->s + nm->len;
		uint64_t m = 0;
		int digits = 0, fd = 0;
		bool in_frac = false;
		for (; p < e; p++) {
			if (*p == '.') {
				in_frac = true;
				continue;
			}
			if (digits < 17) {
				m = m * 10 + (uint64_t)(*p - '0');
				if (m)
					digits++;
				fd += in_frac;
			} else {
				goto slow;
			}
		}
		if (digits <= 15 && fd <= 22) {
			double d = (double)m / pow10_exact[fd];
			return nm->neg ? -d : d;
		}
	}
slow:;
	char buf[512];
	size_t n = nm->len < sizeof buf - 1 ? nm->len : sizeof buf - 1;
	memcpy(buf, nm->s, n);
	buf[n] = 0;
	return strtod(buf, NULL);
}

static int store_number(struct jp *j, const struct ed_json_node *nd, struct ed_vector *v,
			const struct jnum *nm)
{
	uint32_t r = j->row;
	enum ed_type_id t = v->type.id;
	switch (t) {
	case ED_TYPE_INT16:
	case ED_TYPE_INT32:
	case ED_TYPE_INT64:
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ: {
		int64_t x;
		bool ok_int = !nm->frac && !nm->exp && nm->ndig <= 18;
		if (ok_int) {
			x = nm->neg ? -(int64_t)nm->mant : (int64_t)nm->mant;
		} else {
			/* Through a decimal at scale 3 (milliseconds' fractions for
			 * timestamps), integral check for integers. */
			ed_dec d;
			int rc = ed_dec_parse(nm->s, nm->len, 3, &d);
			if (rc)
				return jfail(j, "22003", "field \"%s\": number out of range",
					     colname(nd));
			if (t == ED_TYPE_TIMESTAMP || t == ED_TYPE_TIMESTAMPTZ) {
				if (d >= (ed_dec)ED_TS_MAX_US || d < (ed_dec)ED_TS_MIN_US)
					return jfail(j, "22008",
						     "field \"%s\": timestamp out of range",
						     colname(nd));
				ED_VEC(v, int64_t)[r] = (int64_t)d;
				v->nulls[r] = 0;
				return 0;
			}
			if (d % 1000 != 0)
				return jfail(j, "22P02",
					     "field \"%s\": expected an integer, not %.*s",
					     colname(nd), (int)(nm->len > 40 ? 40 : nm->len), nm->s);
			d /= 1000;
			if (d > INT64_MAX || d < INT64_MIN)
				return jfail(j, "22003", "field \"%s\": %s out of range",
					     colname(nd), ed_type_name(t));
			x = (int64_t)d;
		}
		if (t == ED_TYPE_TIMESTAMP || t == ED_TYPE_TIMESTAMPTZ) {
			int64_t us;
			if (__builtin_mul_overflow(x, 1000, &us) || us < ED_TS_MIN_US ||
			    us >= ED_TS_MAX_US)
				return jfail(j, "22008", "field \"%s\": timestamp out of range",
					     colname(nd));
			ED_VEC(v, int64_t)[r] = us;
		} else if (t == ED_TYPE_INT16) {
			if (x < INT16_MIN || x > INT16_MAX)
				goto range;
			ED_VEC(v, int16_t)[r] = (int16_t)x;
		} else if (t == ED_TYPE_INT32) {
			if (x < INT32_MIN || x > INT32_MAX)
				goto range;
			ED_VEC(v, int32_t)[r] = (int32_t)x;
		} else {
			ED_VEC(v, int64_t)[r] = x;
		}
		v->nulls[r] = 0;
		return 0;
	range:
		return jfail(j, "22003", "field \"%s\": %s out of range", colname(nd),
			     ed_type_name(t));
	}
	case ED_TYPE_FLOAT32:
	case ED_TYPE_FLOAT64: {
		double d = num_double(nm);
		if (isinf(d) || (t == ED_TYPE_FLOAT32 && isinf((float)d)))
			return jfail(j, "22003", "field \"%s\": %s out of range", colname(nd),
				     ed_type_name(t));
		if (t == ED_TYPE_FLOAT32)
			ED_VEC(v, float)[r] = (float)d;
		else
			ED_VEC(v, double)[r] = d;
		v->nulls[r] = 0;
		return 0;
	}
	case ED_TYPE_DECIMAL: {
		ed_dec d;
		if (ed_dec_parse(nm->s, nm->len, v->type.scale, &d) ||
		    !ed_dec_fits(d, v->type.precision))
			return jfail(j, "22003", "field \"%s\": numeric field overflow", colname(nd));
		ED_VEC(v, ed_dec)[r] = d;
		v->nulls[r] = 0;
		return 0;
	}
	case ED_TYPE_TEXT:
		return store_text(j, v, nm->s, nm->len);
	case ED_TYPE_INTERVAL: {
		double d = num_double(nm);
		if (!(fabs(d) < 9.2e12))
			return jfail(j, "22015", "field \"%s\": interval out of range", colname(nd));
		struct ed_interval iv = {0, 0, (int64_t)llround(d * 1e6)};
		ED_VEC(v, struct ed_interval)[r] = iv;
		v->nulls[r] = 0;
		return 0;
	}
	default:
		return jfail(j, "22P02", "field \"%s\": a number is not a %s", colname(nd),
			     ed_type_name(t));
	}
}

/* A string value into a non-text column: timestamps directly, everything
 * else through the SQL text parser. */
static int store_string_as(struct jp *j, const struct ed_json_node *nd, struct ed_vector *v,
			   const char *s, size_t n)
{
	enum ed_type_id t = v->type.id;
	if (t == ED_TYPE_TIMESTAMP || t == ED_TYPE_TIMESTAMPTZ) {
		/* PostgreSQL's rule: a zone offset is applied for TIMESTAMPTZ
		 * (converted to UTC) and ignored for TIMESTAMP. */
		int64_t us;
		int rc = ed_ts_parse(s, n, t == ED_TYPE_TIMESTAMPTZ, &us, NULL);
		if (rc)
			return jfail(j, rc == ED_ERANGE ? "22008" : "22007",
				     "field \"%s\": bad timestamp \"%.*s\"", colname(nd),
				     (int)(n > 40 ? 40 : n), s);
		ED_VEC(v, int64_t)[j->row] = us;
		v->nulls[j->row] = 0;
		return 0;
	}
	if (t == ED_TYPE_BOOL || ed_type_is_numeric(t) || t == ED_TYPE_INTERVAL) {
		struct ed_value val;
		struct ed_expr_error e2;
		if (ed_value_parse(s, n, v->type, NULL, &val, &e2))
			return jfail(j, e2.sqlstate, "field \"%s\": %s", colname(nd), e2.message);
		ed_vector_set(v, j->row, &val, NULL);
		return 0;
	}
	return jfail(j, "22P02", "field \"%s\": a string is not a %s", colname(nd), ed_type_name(t));
}

static int store_value(struct jp *j, const struct ed_json_node *nd, struct ed_vector *v)
{
	const char *p = j->p;
	int rc;
	switch (*p) {
	case '"': {
		const char *s;
		size_t n;
		bool esc;
		if ((rc = scan_string(j, &s, &n, &esc)))
			return rc;
		if (!esc) {
			if (v->type.id == ED_TYPE_TEXT)
				return store_text(j, v, s, n);
			return store_string_as(j, nd, v, s, n);
		}
		/* Unescape into the arena (text) or a stack buffer (others). */
		char small[256];
		char *out = small;
		if (v->type.id == ED_TYPE_TEXT) {
			out = ed_arena_alloc(&j->c->arena, n);
			if (!out)
				return jfail(j, "53200", "out of memory");
		} else if (n > sizeof small) {
			return jfail(j, "22P02", "field \"%s\": value too long", colname(nd));
		}
		const char *why = NULL;
		long len = unescape(s, n, out, &why);
		if (len < 0) {
			j->p = s;
			return jfail(j, why[1] == 'u' ? "22P05" : "22P02", "%s", why);
		}
		if (v->type.id != ED_TYPE_TEXT)
			return store_string_as(j, nd, v, out, (size_t)len);
		if (v->type.max_len >= 0 &&
		    ed_utf8_len(out, (uint32_t)len) > (uint32_t)v->type.max_len)
			return jfail(j, "22001", "value too long for type character varying(%d)",
				     (int)v->type.max_len);
		struct ed_str str = {out, (uint32_t)len};
		ED_VEC(v, struct ed_str)[j->row] = str;
		v->nulls[j->row] = 0;
		return 0;
	}
	case 'n':
		if (!word_at(j, "null", 4))
			return jfail(j, "22P02", "bad literal");
		v->nulls[j->row] = 1;
		return 0;
	case 't':
	case 'f': {
		bool b = *p == 't';
		if (!word_at(j, b ? "true" : "false", b ? 4 : 5))
			return jfail(j, "22P02", "bad literal");
		if (v->type.id == ED_TYPE_BOOL) {
			ED_VEC(v, uint8_t)[j->row] = b;
			v->nulls[j->row] = 0;
			return 0;
		}
		if (v->type.id == ED_TYPE_TEXT)
			return store_text(j, v, p, (size_t)(j->p - p));
		return jfail(j, "22P02", "field \"%s\": a boolean is not a %s", colname(nd),
			     ed_type_name(v->type.id));
	}
	case '{':
	case '[':
		if ((rc = skip_value(j)))
			return rc;
		if (v->type.id == ED_TYPE_TEXT)
			return store_text(j, v, p, (size_t)(j->p - p));
		return jfail(j, "22P02", "field \"%s\": an %s is not a %s", colname(nd),
			     *p == '{' ? "object" : "array", ed_type_name(v->type.id));
	default: {
		struct jnum nm;
		if ((rc = scan_number(j, &nm)))
			return rc;
		return store_number(j, nd, v, &nm);
	}
	}
}

/* Member name matching: compare the raw bytes, or the unescaped ones. */
static uint32_t find_child(const struct ed_json_decoder *d, uint32_t node, const char *s, size_t n,
			   bool esc)
{
	char buf[256];
	if (esc) {
		const char *why;
		if (n > sizeof buf)
			return 0;
		long len = unescape(s, n, buf, &why);
		if (len < 0)
			return 0;
		s = buf;
		n = (size_t)len;
	}
	for (uint32_t ch = d->nodes[node].first_child; ch; ch = d->nodes[ch].next_sibling)
		if (d->nodes[ch].len == n && memcmp(d->nodes[ch].name, s, n) == 0)
			return ch;
	return 0;
}

static int parse_object(struct jp *j, uint32_t node)
{
	const struct ed_json_decoder *d = j->d;
	if (++j->depth > ED_JSON_MAX_DEPTH)
		return jfail(j, "54000", "JSON nested deeper than %d", ED_JSON_MAX_DEPTH);
	j->p++; /* '{' */
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		const char *s;
		size_t n;
		bool esc;
		int rc;
		if (j->p >= j->end || *j->p != '"')
			return jfail(j, "22P02", "expected a member name");
		if ((rc = scan_string(j, &s, &n, &esc)))
			return rc;
		skip_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return jfail(j, "22P02", "expected ':'");
		j->p++;
		skip_ws(j);
		if (j->p >= j->end)
			return jfail(j, "22P02", "expected a value");
		uint32_t ch = find_child(d, node, s, n, esc);
		if (!ch) {
			rc = skip_value(j);
		} else {
			const struct ed_json_node *nd = &d->nodes[ch];
			if (nd->first_child && *j->p == '{') {
				const char *start = j->p;
				rc = parse_object(j, ch);
				if (!rc && nd->column >= 0) {
					struct ed_vector *v = &j->c->cols[nd->column];
					if (v->type.id == ED_TYPE_TEXT)
						rc = store_text(j, v, start, (size_t)(j->p - start));
					else
						rc = jfail(j, "22P02",
							   "field \"%s\": an object is not a %s",
							   colname(nd), ed_type_name(v->type.id));
				}
			} else if (nd->column >= 0) {
				rc = store_value(j, nd, &j->c->cols[nd->column]);
			} else {
				rc = skip_value(j); /* a path step that is not an object */
			}
		}
		if (rc)
			return rc;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			skip_ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			j->depth--;
			return 0;
		}
		return jfail(j, "22P02", "expected ',' or '}'");
	}
}

int ed_json_decode(const struct ed_json_decoder *d, const char *p, size_t n, struct ed_chunk *c,
		   uint32_t row, struct ed_expr_error *err)
{
	struct jp j = {p, p + n, p, c, row, 0, err, d};
	int rc;
	if (err) {
		err->row = -1;
		err->sqlstate[0] = 0;
	}
	if (row >= c->cap)
		return ed_expr_fail(err, -1, "XX000", "row %u beyond the chunk's capacity", row);
	for (uint32_t k = 0; k < d->ncolumns; k++) {
		if (d->columns[k] >= c->ncols)
			return ed_expr_fail(err, -1, "XX000",
					    "JSON field bound to missing column %u", d->columns[k]);
		c->cols[d->columns[k]].nulls[row] = 1;
	}
	if (n > d->max_bytes) {
		rc = ed_expr_fail(err, 0, "54000", "record of %zu bytes exceeds %u", n, d->max_bytes);
		goto fail;
	}
	skip_ws(&j);
	if (j.p >= j.end || *j.p != '{') {
		rc = jfail(&j, "22P02", "expected a JSON object");
		goto fail;
	}
	if ((rc = parse_object(&j, 0)))
		goto fail;
	skip_ws(&j);
	if (j.p != j.end) {
		rc = jfail(&j, "22P02", "trailing bytes after the object");
		goto fail;
	}
	return 0;
fail:
	for (uint32_t k = 0; k < d->ncolumns; k++)
		c->cols[d->columns[k]].nulls[row] = 1;
	return rc;
}

/* ---- encoder ------------------------------------------------------------------------ */

/* PostgreSQL's escape_json: ", \ and the short escapes \b \f \n \r \t, other
 * control characters as \u00XX, everything else as is. Bytes that are not
 * valid UTF-8 (record keys and values are arbitrary bytes; CSV text is not
 * checked) become U+FFFD so that the output is always valid JSON. */
void ed_json_put_string(struct ed_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	if (ed_buf_reserve(out, n + 2))
		return;
	ed_buf_put_u8(out, '"');
	size_t run = 0, i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (sclass[c] == 0) {
			i++;
			continue;
		}
		size_t l = c >= 0x80 ? utf8_seq(p + i, end) : 0;
		if (l) {
			i += l;
			continue;
		}
		ed_buf_append(out, s + run, i - run);
		char e[6] = {'\\', 0, '0', '0', hex[c >> 4], hex[c & 15]};
		size_t el = 2;
		switch (c) {
		case '"':
			e[1] = '"';
			break;
		case '\\':
			e[1] = '\\';
			break;
		case '\b':
			e[1] = 'b';
			break;
		case '\f':
			e[1] = 'f';
			break;
		case '\n':
			e[1] = 'n';
			break;
		case '\r':
			e[1] = 'r';
			break;
		case '\t':
			e[1] = 't';
			break;
		default:
			if (c >= 0x80) {
				memcpy(e, "\xef\xbf\xbd", 3); /* U+FFFD */
				el = 3;
			} else {
				e[1] = 'u';
				el = 6;
			}
		}
		ed_buf_append(out, e, el);
		run = ++i;
	}
	ed_buf_append(out, s + run, n - run);
	ed_buf_put_u8(out, '"');
}

void ed_json_put_value(struct ed_buf *out, const struct ed_value *v)
{
	char tmp[ED_INTERVAL_TEXT_MAX + ED_TS_TEXT_MAX];
	size_t n;
	if (v->null) {
		ed_buf_append(out, "null", 4);
		return;
	}
	switch (v->type.id) {
	case ED_TYPE_BOOL:
		if (v->v.b)
			ed_buf_append(out, "true", 4);
		else
			ed_buf_append(out, "false", 5);
		return;
	case ED_TYPE_INT16:
	case ED_TYPE_INT32:
	case ED_TYPE_INT64:
		n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v->v.i);
		ed_buf_append(out, tmp, n);
		return;
	case ED_TYPE_FLOAT32:
	case ED_TYPE_FLOAT64: {
		double d = v->type.id == ED_TYPE_FLOAT32 ? (double)v->v.f32 : v->v.f64;
		n = ed_float_format(d, v->type.id == ED_TYPE_FLOAT32, tmp);
		if (isfinite(d))
			ed_buf_append(out, tmp, n);
		else
			ed_json_put_string(out, tmp, n); /* "NaN", "Infinity", "-Infinity" */
		return;
	}
	case ED_TYPE_DECIMAL:
		n = ed_dec_format(v->v.dec, v->type.scale, tmp);
		ed_buf_append(out, tmp, n);
		return;
	case ED_TYPE_TEXT:
		ed_json_put_string(out, v->v.s.ptr, v->v.s.len);
		return;
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		n = ed_ts_format(v->v.i, v->type.id == ED_TYPE_TIMESTAMPTZ, true, tmp);
		ed_json_put_string(out, tmp, n);
		return;
	case ED_TYPE_INTERVAL:
		n = ed_interval_format(&v->v.iv, tmp);
		ed_json_put_string(out, tmp, n);
		return;
	default: /* a bare NULL literal's type */
		ed_buf_append(out, "null", 4);
		return;
	}
}

int ed_json_encode_row(const struct ed_chunk *c, uint32_t row, const char *const *names,
		       struct ed_buf *out)
{
	ed_buf_put_u8(out, '{');
	for (uint32_t k = 0; k < c->ncols; k++) {
		struct ed_value v;
		ed_vector_get(&c->cols[k], row, &v);
		if (k)
			ed_buf_put_u8(out, ',');
		ed_json_put_string(out, names[k], strlen(names[k]));
		ed_buf_put_u8(out, ':');
		ed_json_put_value(out, &v);
	}
	ed_buf_put_u8(out, '}');
	return out->err;
}
