/* A strict JSON scanner for the HTTP front end (RFC 8259): validates values
 * without building a tree (bodies are checked whole before anything is
 * appended), finds top-level members of a validated object, and decodes
 * string literals. Strings must be valid UTF-8 without raw control
 * characters; numbers follow the JSON grammar; nesting is limited to
 * ED_HJSON_MAX_DEPTH. exec/json.h decodes records into column chunks; this
 * scanner works on raw request text, which that decoder does not. Writing
 * JSON strings is exec/json.h's ed_json_put_string (the one encoder). */
#include <stdio.h>
#include <string.h>

#include "exec/json.h"
#include "http/http_int.h"

struct scan {
	const char *p;
	size_t n;
	size_t pos;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct scan *s, const char *what)
{
	if (!s->failed && s->errlen)
		snprintf(s->err, s->errlen, "%s at byte %zu", what, s->pos);
	s->failed = true;
}

void ed_hjson_ws(const char *p, size_t n, size_t *pos)
{
	size_t i = *pos;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	*pos = i;
}

/* Length of the UTF-8 sequence at p[0..n) if valid (no overlongs, no
 * surrogates, at most U+10FFFF), else 0. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static void scan_string(struct scan *s)
{
	s->pos++; /* opening quote */
	while (s->pos < s->n) {
		uint8_t c = (uint8_t)s->p[s->pos];
		if (c == '"') {
			s->pos++;
			return;
		}
		if (c < 0x20) {
			fail(s, "control character in string");
			return;
		}
		if (c == '\\') {
			if (s->pos + 1 >= s->n)
				break;
			char e = s->p[s->pos + 1];
			if (e == 'u') {
				if (s->pos + 6 > s->n || hex4(s->p + s->pos + 2) < 0) {
					fail(s, "bad \\u escape");
					return;
				}
				int u = hex4(s->p + s->pos + 2);
				s->pos += 6;
				if (u >= 0xd800 && u <= 0xdbff) {
					if (s->pos + 6 > s->n || s->p[s->pos] != '\\' ||
					    s->p[s->pos + 1] != 'u') {
						fail(s, "unpaired surrogate");
						return;
					}
					int lo = hex4(s->p + s->pos + 2);
					if (lo < 0xdc00 || lo > 0xdfff) {
						fail(s, "unpaired surrogate");
						return;
					}
					s->pos += 6;
				} else if (u >= 0xdc00 && u <= 0xdfff) {
					fail(s, "unpaired surrogate");
					return;
				}
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || !e) {
				fail(s, "bad escape");
				return;
			}
			s->pos += 2;
			continue;
		}
		size_t l = utf8_len((const uint8_t *)s->p + s->pos, s->n - s->pos);
		if (!l) {
			fail(s, "invalid UTF-8 in string");
			return;
		}
		s->pos += l;
	}
	fail(s, "unterminated string");
}

static void scan_number(struct scan *s)
{
	const char *p = s->p;
	size_t i = s->pos, n = s->n;
	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0') {
		i++;
	} else if (i < n && p[i] >= '1' && p[i] <= '9') {
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	} else {
		s->pos = i;
		fail(s, "bad number");
		return;
	}
	if (i < n && p[i] == '.') {
		i++;
		size_t d = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == d) {
			s->pos = i;
			fail(s, "bad number");
			return;
		}
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == d) {
			s->pos = i;
			fail(s, "bad number");
			return;
		}
	}
	s->pos = i;
}

static bool scan_word(struct scan *s, const char *w)
{
	size_t l = strlen(w);
	if (s->n - s->pos < l || memcmp(s->p + s->pos, w, l) != 0) {
		fail(s, "unexpected token");
		return false;
	}
	s->pos += l;
	return true;
}

static enum ed_hjson_kind scan_value(struct scan *s, int depth)
{
	ed_hjson_ws(s->p, s->n, &s->pos);
	if (s->pos >= s->n) {
		fail(s, "unexpected end of input");
		return ED_HJSON_INVALID;
	}
	char c = s->p[s->pos];
	switch (c) {
	case '{':
	case '[': {
		if (depth >= ED_HJSON_MAX_DEPTH) {
			fail(s, "nesting too deep");
			return ED_HJSON_INVALID;
		}
		bool obj = c == '{';
		char close = obj ? '}' : ']';
		s->pos++;
		ed_hjson_ws(s->p, s->n, &s->pos);
		if (s->pos < s->n && s->p[s->pos] == close) {
			s->pos++;
			return obj ? ED_HJSON_OBJECT : ED_HJSON_ARRAY;
		}
		for (;;) {
			if (obj) {
				ed_hjson_ws(s->p, s->n, &s->pos);
				if (s->pos >= s->n || s->p[s->pos] != '"') {
					fail(s, "expected a member name");
					return ED_HJSON_INVALID;
				}
				scan_string(s);
				if (s->failed)
					return ED_HJSON_INVALID;
				ed_hjson_ws(s->p, s->n, &s->pos);
				if (s->pos >= s->n || s->p[s->pos] != ':') {
					fail(s, "expected ':'");
					return ED_HJSON_INVALID;
				}
				s->pos++;
			}
			if (scan_value(s, depth + 1) == ED_HJSON_INVALID)
				return ED_HJSON_INVALID;
			ed_hjson_ws(s->p, s->n, &s->pos);
			if (s->pos >= s->n) {
				fail(s, "unexpected end of input");
				return ED_HJSON_INVALID;
			}
			if (s->p[s->pos] == ',') {
				s->pos++;
				continue;
			}
			if (s->p[s->pos] == close) {
				s->pos++;
				return obj ? ED_HJSON_OBJECT : ED_HJSON_ARRAY;
			}
			fail(s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
			return ED_HJSON_INVALID;
		}
	}
	case '"':
		scan_string(s);
		return s->failed ? ED_HJSON_INVALID : ED_HJSON_STRING;
	case 't':
		return scan_word(s, "true") ? ED_HJSON_TRUE : ED_HJSON_INVALID;
	case 'f':
		return scan_word(s, "false") ? ED_HJSON_FALSE : ED_HJSON_INVALID;
	case 'n':
		return scan_word(s, "null") ? ED_HJSON_NULL : ED_HJSON_INVALID;
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			scan_number(s);
			return s->failed ? ED_HJSON_INVALID : ED_HJSON_NUMBER;
		}
		fail(s, "unexpected character");
		return ED_HJSON_INVALID;
	}
}

enum ed_hjson_kind ed_hjson_value(const char *p, size_t n, size_t *pos, char *err, size_t errlen)
{
	struct scan s = {p, n, *pos, err, errlen, false};
	enum ed_hjson_kind k = scan_value(&s, 0);
	*pos = s.pos;
	return s.failed ? ED_HJSON_INVALID : k;
}

bool ed_hjson_valid(const char *p, size_t n)
{
	size_t pos = 0;
	if (ed_hjson_value(p, n, &pos, NULL, 0) == ED_HJSON_INVALID)
		return false;
	ed_hjson_ws(p, n, &pos);
	return pos == n;
}

/* Does the validated string literal s[0..n) decode to name? */
static bool string_is(const char *s, size_t n, const char *name)
{
	size_t nl = strlen(name);
	if (n >= 2 && !memchr(s + 1, '\\', n - 2))
		return n - 2 == nl && !memcmp(s + 1, name, nl);
	struct ed_buf b;
	ed_buf_init(&b);
	ed_hjson_unescape(s, n, &b);
	bool eq = !b.err && b.len == nl && !memcmp(b.data, name, nl);
	ed_buf_fini(&b);
	return eq;
}

bool ed_hjson_member(const char *obj, size_t n, const char *name, const char **val, size_t *vlen)
{
	size_t pos = 0;
	ed_hjson_ws(obj, n, &pos);
	if (pos >= n || obj[pos] != '{')
		return false;
	pos++;
	for (;;) {
		ed_hjson_ws(obj, n, &pos);
		if (pos >= n || obj[pos] != '"')
			return false;
		size_t ks = pos;
		if (ed_hjson_value(obj, n, &pos, NULL, 0) != ED_HJSON_STRING)
			return false;
		size_t ke = pos;
		ed_hjson_ws(obj, n, &pos);
		if (pos >= n || obj[pos] != ':')
			return false;
		pos++;
		ed_hjson_ws(obj, n, &pos);
		size_t vs = pos;
		if (ed_hjson_value(obj, n, &pos, NULL, 0) == ED_HJSON_INVALID)
			return false;
		if (string_is(obj + ks, ke - ks, name)) {
			*val = obj + vs;
			*vlen = pos - vs;
			return true;
		}
		ed_hjson_ws(obj, n, &pos);
		if (pos >= n || obj[pos] != ',')
			return false;
		pos++;
	}
}

static void put_utf8(struct ed_buf *out, uint32_t cp)
{
	uint8_t b[4];
	size_t l;
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		l = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		l = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		l = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		l = 4;
	}
	ed_buf_append(out, b, l);
}

void ed_hjson_unescape(const char *s, size_t n, struct ed_buf *out)
{
	if (n < 2)
		return;
	size_t i = 1, end = n - 1;
	while (i < end) {
		const char *bs = memchr(s + i, '\\', end - i);
		size_t run = bs ? (size_t)(bs - (s + i)) : end - i;
		ed_buf_append(out, s + i, run);
		i += run;
		if (i >= end)
			break;
		if (i + 1 >= end)
			break;
		char e = s[i + 1];
		i += 2;
		switch (e) {
		case 'b':
			ed_buf_put_u8(out, '\b');
			break;
		case 'f':
			ed_buf_put_u8(out, '\f');
			break;
		case 'n':
			ed_buf_put_u8(out, '\n');
			break;
		case 'r':
			ed_buf_put_u8(out, '\r');
			break;
		case 't':
			ed_buf_put_u8(out, '\t');
			break;
		case 'u': {
			if (i + 4 > end)
				return;
			int u = hex4(s + i);
			i += 4;
			if (u < 0)
				return;
			uint32_t cp = (uint32_t)u;
			if (u >= 0xd800 && u <= 0xdbff && i + 6 <= end && s[i] == '\\' &&
			    s[i + 1] == 'u') {
				int lo = hex4(s + i + 2);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + (((uint32_t)u - 0xd800) << 10) +
					     ((uint32_t)lo - 0xdc00);
					i += 6;
				}
			}
			put_utf8(out, cp);
			break;
		}
		default:
			ed_buf_put_u8(out, (uint8_t)e);
			break; /* " \ / */
		}
	}
}

void ed_hjson_put_text(struct ed_buf *out, const void *data, size_t n)
{
	ed_json_put_string(out, data, n); /* the one JSON string encoder */
}
