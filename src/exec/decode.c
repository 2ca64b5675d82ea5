/* Record decoders for sources (decode.h): a small JSON object reader and a
 * CSV line splitter filling one chunk row, and the JSON value writer sinks
 * use. Field text is unescaped into a scratch buffer reused across records. */
#include "exec/decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "exec/exec_int.h"
#include "exec/expr.h"
#include "exec/row.h"

void ed_decoder_init(struct ed_decoder *d, enum ed_format format, const struct ed_schema *schema,
		     char delim)
{
	d->format = format;
	d->schema = schema;
	d->delim = delim ? delim : ',';
	ed_buf_init(&d->scratch);
}

void ed_decoder_fini(struct ed_decoder *d) { ed_buf_fini(&d->scratch); }

/* ---- JSON reading -------------------------------------------------------------- */

struct jr {
	const uint8_t *p, *end;
	struct ed_decoder *d;
	struct ed_chunk *out;
	uint32_t row;
	char *err;
	size_t errlen;
	uint8_t *seen;
};

static void ws(struct jr *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jfail(struct jr *j, const char *why)
{
	snprintf(j->err, j->errlen, "bad JSON at byte %zu: %s", (size_t)(j->p - (j->end - 0)) + 0, why);
	return ED_EINVAL;
}

static int hexv(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void put_utf8(struct ed_buf *b, uint32_t cp)
{
	uint8_t u[4];
	size_t n;
	if (cp < 0x80)
		u[0] = (uint8_t)cp, n = 1;
	else if (cp < 0x800)
		u[0] = (uint8_t)(0xC0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 63)), n = 2;
	else if (cp < 0x10000)
		u[0] = (uint8_t)(0xE0 | cp >> 12), u[1] = (uint8_t)(0x80 | ((cp >> 6) & 63)),
		u[2] = (uint8_t)(0x80 | (cp & 63)), n = 3;
	else
		u[0] = (uint8_t)(0xF0 | cp >> 18), u[1] = (uint8_t)(0x80 | ((cp >> 12) & 63)),
		u[2] = (uint8_t)(0x80 | ((cp >> 6) & 63)), u[3] = (uint8_t)(0x80 | (cp & 63)), n = 4;
	ed_buf_append(b, u, n);
}

/* Reads a string (at '"') unescaped into b. */
static int jstring(struct jr *j, struct ed_buf *b)
{
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		uint8_t c = *j->p++;
		if (c < 0x20)
			return jfail(j, "control character in string");
		if (c != '\\') {
			ed_buf_put_u8(b, c);
			continue;
		}
		if (j->p >= j->end)
			break;
		c = *j->p++;
		switch (c) {
		case '"': case '\\': case '/': ed_buf_put_u8(b, c); break;
		case 'b': ed_buf_put_u8(b, '\b'); break;
		case 'f': ed_buf_put_u8(b, '\f'); break;
		case 'n': ed_buf_put_u8(b, '\n'); break;
		case 'r': ed_buf_put_u8(b, '\r'); break;
		case 't': ed_buf_put_u8(b, '\t'); break;
		case 'u': {
			uint32_t cp = 0;
			for (int k = 0; k < 4; k++) {
				int h = j->p < j->end ? hexv(*j->p++) : -1;
				if (h < 0)
					return jfail(j, "bad \\u escape");
				cp = cp << 4 | (uint32_t)h;
			}
			if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
				uint32_t lo = 0;
				for (int k = 2; k < 6; k++) {
					int h = hexv(j->p[k]);
					if (h < 0)
						return jfail(j, "bad \\u escape");
					lo = lo << 4 | (uint32_t)h;
				}
				if (lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					j->p += 6;
				}
			}
			if (cp == 0)
				return jfail(j, "NUL in string");
			put_utf8(b, cp);
			break;
		}
		default: return jfail(j, "bad escape");
		}
	}
	if (j->p >= j->end)
		return jfail(j, "unterminated string");
	j->p++;
	return b->err ? ED_ENOMEM : 0;
}

/* Skips any value, returning its raw extent. */
static int jskip(struct jr *j, int depth)
{
	ws(j);
	if (j->p >= j->end)
		return jfail(j, "value expected");
	if (depth > 64)
		return jfail(j, "nesting too deep");
	uint8_t c = *j->p;
	if (c == '"') {
		struct ed_buf tmp;
		ed_buf_init(&tmp);
		int rc = jstring(j, &tmp);
		ed_buf_fini(&tmp);
		return rc;
	}
	if (c == '{' || c == '[') {
		uint8_t close = c == '{' ? '}' : ']';
		j->p++;
		ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			int rc;
			if (c == '{') {
				ws(j);
				if (j->p >= j->end || *j->p != '"')
					return jfail(j, "field name expected");
				if ((rc = jskip(j, depth + 1)))
					return rc;
				ws(j);
				if (j->p >= j->end || *j->p != ':')
					return jfail(j, "':' expected");
				j->p++;
			}
			if ((rc = jskip(j, depth + 1)))
				return rc;
			ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == close) {
				j->p++;
				return 0;
			}
			return jfail(j, "',' or end of container expected");
		}
	}
	const uint8_t *s = j->p;
	while (j->p < j->end && (*j->p == '-' || *j->p == '+' || *j->p == '.' || (*j->p >= '0' && *j->p <= '9') ||
				 *j->p == 'e' || *j->p == 'E' || (*j->p >= 'a' && *j->p <= 'z')))
		j->p++;
	if (j->p == s)
		return jfail(j, "value expected");
	return 0;
}

static int set_col(struct jr *j, uint32_t col, struct ed_value *v)
{
	struct ed_vector *vec = &j->out->cols[col];
	if (v->null) {
		ed_row_set(vec, j->row, v, NULL);
		return 0;
	}
	struct ed_value cast;
	const struct ed_value *src = v;
	if (v->type.id != vec->type.id) {
		struct ed_expr_error xe = {.row = -1};
		if (ed_value_cast(v, vec->type, &j->out->arena, &cast, &xe) != 0) {
			snprintf(j->err, j->errlen, "field \"%s\": %s", j->d->schema->names[col], xe.message);
			return ED_EINVAL;
		}
		src = &cast;
	}
	return ed_row_set(vec, j->row, src, &j->out->arena) ? ED_ENOMEM : 0;
}

/* The value at j->p into column col. */
static int jvalue(struct jr *j, uint32_t col)
{
	struct ed_type t = j->d->schema->types[col];
	struct ed_value v;
	memset(&v, 0, sizeof(v));
	ws(j);
	if (j->p >= j->end)
		return jfail(j, "value expected");
	uint8_t c = *j->p;
	struct ed_buf *b = &j->d->scratch;
	ed_buf_reset(b);
	if (c == '"') {
		int rc = jstring(j, b);
		if (rc)
			return rc;
		if (t.id == ED_TYPE_TEXT) {
			v.type = t;
			v.v.s.ptr = (const char *)b->data;
			v.v.s.len = (uint32_t)b->len;
			return set_col(j, col, &v);
		}
		struct ed_expr_error xe = {.row = -1};
		if (ed_value_parse((const char *)b->data, b->len, t, &j->out->arena, &v, &xe) != 0) {
			snprintf(j->err, j->errlen, "field \"%s\": %s", j->d->schema->names[col], xe.message);
			return ED_EINVAL;
		}
		return set_col(j, col, &v);
	}
	if (c == '{' || c == '[') {
		const uint8_t *s = j->p;
		int rc = jskip(j, 1);
		if (rc)
			return rc;
		if (t.id != ED_TYPE_TEXT) {
			snprintf(j->err, j->errlen, "field \"%s\": expected a scalar", j->d->schema->names[col]);
			return ED_EINVAL;
		}
		v.type = t;
		v.v.s.ptr = (const char *)s;
		v.v.s.len = (uint32_t)(j->p - s);
		return set_col(j, col, &v);
	}
	const uint8_t *s = j->p;
	int rc = jskip(j, 1);
	if (rc)
		return rc;
	size_t n = (size_t)(j->p - s);
	char tok[64];
	if (n >= sizeof(tok))
		return jfail(j, "number too long");
	memcpy(tok, s, n);
	tok[n] = 0;
	if (strcmp(tok, "null") == 0) {
		v.type = t;
		v.null = true;
		return set_col(j, col, &v);
	}
	if (strcmp(tok, "true") == 0 || strcmp(tok, "false") == 0) {
		v.type = ed_type_make(ED_TYPE_BOOL);
		v.v.b = tok[0] == 't';
		return set_col(j, col, &v);
	}
	if (!((tok[0] >= '0' && tok[0] <= '9') || tok[0] == '-'))
		return jfail(j, "bad literal");
	if (t.id == ED_TYPE_TIMESTAMP || t.id == ED_TYPE_TIMESTAMPTZ) {
		char *end;
		double ms = strtod(tok, &end);
		if (*end || ms > 9.2e15 || ms < -9.2e15) {
			snprintf(j->err, j->errlen, "field \"%s\": bad epoch milliseconds", j->d->schema->names[col]);
			return ED_EINVAL;
		}
		v.type = t;
		v.v.i = (int64_t)(ms * 1000);
		return set_col(j, col, &v);
	}
	struct ed_type nt = t;
	if (t.id == ED_TYPE_TEXT || t.id == ED_TYPE_BOOL || t.id == ED_TYPE_INTERVAL) {
		if (t.id != ED_TYPE_TEXT) {
			snprintf(j->err, j->errlen, "field \"%s\": a number is not a %s", j->d->schema->names[col],
				 ed_type_name(t.id));
			return ED_EINVAL;
		}
	}
	struct ed_expr_error xe = {.row = -1};
	if (ed_value_parse(tok, n, nt, &j->out->arena, &v, &xe) != 0) {
		snprintf(j->err, j->errlen, "field \"%s\": %s", j->d->schema->names[col], xe.message);
		return ED_EINVAL;
	}
	return set_col(j, col, &v);
}

static int find_col(struct jr *j, const char *prefix, size_t plen, const uint8_t *key, size_t klen,
		    bool *is_prefix)
{
	*is_prefix = false;
	const struct ed_schema *s = j->d->schema;
	for (uint32_t i = 0; i < s->n; i++) {
		const char *nm = s->names[i];
		size_t nl = strlen(nm);
		if (nl < plen + klen || memcmp(nm, prefix, plen) != 0 || memcmp(nm + plen, key, klen) != 0)
			continue;
		if (nl == plen + klen)
			return (int)i;
		if (nm[plen + klen] == '.')
			*is_prefix = true;
	}
	return -1;
}

static int jobject(struct jr *j, const char *prefix, size_t plen, int depth)
{
	ws(j);
	if (j->p >= j->end || *j->p != '{')
		return jfail(j, "object expected");
	if (depth > 16)
		return jfail(j, "nesting too deep");
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	char keybuf[512];
	for (;;) {
		ws(j);
		if (j->p >= j->end || *j->p != '"')
			return jfail(j, "field name expected");
		ed_buf_reset(&j->d->scratch);
		int rc = jstring(j, &j->d->scratch);
		if (rc)
			return rc;
		size_t klen = j->d->scratch.len;
		if (plen + klen + 1 >= sizeof(keybuf))
			klen = sizeof(keybuf) - plen - 2;
		memcpy(keybuf, prefix, plen);
		memcpy(keybuf + plen, j->d->scratch.data, klen);
		ws(j);
		if (j->p >= j->end || *j->p != ':')
			return jfail(j, "':' expected");
		j->p++;
		ws(j);
		bool is_prefix;
		int col = find_col(j, prefix, plen, (const uint8_t *)keybuf + plen, klen, &is_prefix);
		if (col >= 0) {
			j->seen[col] = 1;
			rc = jvalue(j, (uint32_t)col);
		} else if (is_prefix && j->p < j->end && *j->p == '{') {
			keybuf[plen + klen] = '.';
			rc = jobject(j, keybuf, plen + klen + 1, depth + 1);
		} else
			rc = jskip(j, 1);
		if (rc)
			return rc;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return 0;
		}
		return jfail(j, "',' or '}' expected");
	}
}

static int decode_json(struct ed_decoder *d, const uint8_t *p, size_t n, struct ed_chunk *out,
		       uint32_t row, char *err, size_t errlen)
{
	uint8_t seen[1024];
	uint32_t nc = d->schema->n;
	if (nc > sizeof(seen)) {
		snprintf(err, errlen, "too many columns");
		return ED_EINVAL;
	}
	memset(seen, 0, nc);
	struct jr j = {p, p + n, d, out, row, err, errlen, seen};
	int rc = jobject(&j, "", 0, 0);
	if (rc == 0) {
		ws(&j);
		if (j.p != j.end)
			rc = jfail(&j, "trailing bytes after the object");
	}
	if (rc == ED_EINVAL && strncmp(err, "bad JSON at byte", 16) == 0)
		snprintf(err, errlen, "bad JSON at byte %zu", (size_t)(j.p - p));
	for (uint32_t i = 0; rc == 0 && i < nc; i++)
		if (!seen[i]) {
			out->cols[i].nulls[row] = 1;
		}
	return rc;
}

/* ---- CSV ----------------------------------------------------------------------- */

static int decode_csv(struct ed_decoder *d, const uint8_t *p, size_t n, struct ed_chunk *out,
		      uint32_t row, char *err, size_t errlen)
{
	const uint8_t *end = p + n;
	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	uint32_t col = 0;
	const uint8_t *q = p;
	for (;;) {
		struct ed_buf *b = &d->scratch;
		ed_buf_reset(b);
		bool quoted = false;
		if (q < end && *q == '"') {
			quoted = true;
			q++;
			for (;;) {
				if (q >= end) {
					snprintf(err, errlen, "unterminated quoted field %u", col + 1);
					return ED_EINVAL;
				}
				if (*q == '"') {
					if (q + 1 < end && q[1] == '"') {
						ed_buf_put_u8(b, '"');
						q += 2;
						continue;
					}
					q++;
					break;
				}
				ed_buf_put_u8(b, *q++);
			}
		} else
			while (q < end && *q != (uint8_t)d->delim)
				ed_buf_put_u8(b, *q++);
		if (col >= d->schema->n) {
			snprintf(err, errlen, "more than %u fields", d->schema->n);
			return ED_EINVAL;
		}
		struct ed_vector *vec = &out->cols[col];
		struct ed_value v;
		memset(&v, 0, sizeof(v));
		v.type = vec->type;
		if (b->len == 0 && !quoted)
			v.null = true;
		else if (vec->type.id == ED_TYPE_TEXT) {
			v.v.s.ptr = (const char *)b->data;
			v.v.s.len = (uint32_t)b->len;
		} else {
			struct ed_expr_error xe = {.row = -1};
			if (ed_value_parse((const char *)b->data, b->len, vec->type, &out->arena, &v, &xe) != 0) {
				snprintf(err, errlen, "field %u (\"%s\"): %s", col + 1, d->schema->names[col], xe.message);
				return ED_EINVAL;
			}
		}
		if (ed_row_set(vec, row, &v, &out->arena))
			return ED_ENOMEM;
		col++;
		if (q >= end)
			break;
		if (*q != (uint8_t)d->delim) {
			snprintf(err, errlen, "junk after quoted field %u", col);
			return ED_EINVAL;
		}
		q++;
	}
	if (col != d->schema->n) {
		snprintf(err, errlen, "%u fields, expected %u", col, d->schema->n);
		return ED_EINVAL;
	}
	return 0;
}

int ed_decode_record(struct ed_decoder *d, const uint8_t *p, size_t n, struct ed_chunk *out,
		     uint32_t row, char *err, size_t errlen)
{
	if (!p) {
		snprintf(err, errlen, "null record value");
		return ED_EINVAL;
	}
	return d->format == ED_FORMAT_CSV ? decode_csv(d, p, n, out, row, err, errlen)
					  : decode_json(d, p, n, out, row, err, errlen);
}

/* ---- JSON writing ---------------------------------------------------------------- */

void ed_out_json_string(struct ed_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	ed_buf_put_u8(out, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		ed_buf_append(out, s + run, i - run);
		run = i + 1;
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			ed_buf_append(out, esc, 2);
		} else if (c == '\n')
			ed_buf_append(out, "\\n", 2);
		else if (c == '\t')
			ed_buf_append(out, "\\t", 2);
		else
			ed_buf_append(out, esc, 6);
	}
	ed_buf_append(out, s + run, n - run);
	ed_buf_put_u8(out, '"');
}

static void put_ts(struct ed_buf *out, int64_t usec)
{
	int64_t days = ed_floordiv(usec, ED_USEC_PER_DAY);
	int64_t rem = usec - days * ED_USEC_PER_DAY;
	int64_t y;
	int m, d;
	ed_civil_from_days(days, &y, &m, &d);
	int64_t s = rem / ED_USEC_PER_SEC, us = rem % ED_USEC_PER_SEC;
	char frac[16] = "";
	if (us % 1000 == 0)
		snprintf(frac, sizeof(frac), ".%03d", (int)(us / 1000));
	else
		snprintf(frac, sizeof(frac), ".%06d", (int)us);
	ed_buf_printf(out, "\"%04lld-%02d-%02dT%02d:%02d:%02d%sZ\"", (long long)y, m, d, (int)(s / 3600),
		      (int)(s / 60 % 60), (int)(s % 60), frac);
}

void ed_out_json_value(struct ed_buf *out, const struct ed_value *v)
{
	if (v->null || v->type.id == ED_TYPE_NULL) {
		ed_buf_append(out, "null", 4);
		return;
	}
	switch (v->type.id) {
	case ED_TYPE_BOOL: ed_buf_printf(out, "%s", v->v.b ? "true" : "false"); return;
	case ED_TYPE_TEXT: ed_out_json_string(out, v->v.s.ptr, v->v.s.len); return;
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ: put_ts(out, v->v.i); return;
	case ED_TYPE_FLOAT32:
	case ED_TYPE_FLOAT64: {
		double d = v->type.id == ED_TYPE_FLOAT32 ? v->v.f32 : v->v.f64;
		if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308) {
			ed_buf_printf(out, "\"%s\"", d != d ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
			return;
		}
		break;
	}
	default: break;
	}
	struct ed_buf tmp;
	ed_buf_init(&tmp);
	ed_value_format(v, &tmp);
	if (v->type.id == ED_TYPE_INTERVAL)
		ed_out_json_string(out, (const char *)tmp.data, tmp.len);
	else
		ed_buf_append(out, tmp.data, tmp.len);
	ed_buf_fini(&tmp);
}
