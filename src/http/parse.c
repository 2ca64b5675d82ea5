/* HTTP/1.1 request heads and chunked bodies (RFC 9112), parsed strictly:
 * anything ambiguous that could make eddy and a proxy in front of it
 * disagree on where a request ends (duplicate or conflicting lengths, both
 * Content-Length and Transfer-Encoding, obsolete line folding, whitespace
 * before a colon) is refused with 400. No allocation; safe on any input.
 *
 *   request-line = method SP request-target SP HTTP-version CRLF
 *   header-field = field-name ":" OWS field-value OWS CRLF
 *   (a bare LF is accepted where CRLF is expected)
 *   chunked-body = *(chunk-size [ext] CRLF data CRLF) "0" [ext] CRLF
 *                  *(trailer CRLF) CRLF */
#include <string.h>

#include "base/err.h"
#include "http/http_int.h"

#define MAX_TARGET 8192
#define MAX_CHUNK_LINE 4096

static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool ieq(const uint8_t *p, size_t n, const char *s)
{
	size_t m = strlen(s);
	if (n != m)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t a = p[i], b = (uint8_t)s[i];
		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

/* Find the end of the line starting at pos: index of its LF, or -1. */
static long line_end(const uint8_t *p, size_t n, size_t pos)
{
	const uint8_t *lf = memchr(p + pos, '\n', n - pos);
	return lf ? (long)(lf - p) : -1;
}

/* Does the comma-separated token list v contain tok (case-insensitive)? */
static bool list_has(const uint8_t *v, size_t n, const char *tok)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && ieq(v + s, e - s, tok))
			return true;
	}
	return false;
}

static enum ed_http_method method_of(const uint8_t *p, size_t n)
{
	static const struct {
		const char *s;
		enum ed_http_method m;
	} t[] = {{"GET", ED_HTTP_GET}, {"HEAD", ED_HTTP_HEAD},     {"POST", ED_HTTP_POST},
		 {"PUT", ED_HTTP_PUT}, {"DELETE", ED_HTTP_DELETE}, {"OPTIONS", ED_HTTP_OPTIONS}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].s) == n && !memcmp(p, t[i].s, n))
			return t[i].m;
	return ED_HTTP_OTHER;
}

int ed_http_parse_head(const uint8_t *p, size_t n, size_t max_head, struct ed_http_head *h,
		       int *status)
{
	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	*status = 400;
	size_t scan = n < max_head ? n : max_head;
	/* Find the blank line first, so a partial head costs one memchr pass. */
	size_t pos = 0;
	/* RFC 9112 2.2: ignore at least one empty line before the request line. */
	while (pos < scan && (p[pos] == '\r' || p[pos] == '\n') && pos < 4)
		pos++;
	size_t start = pos;
	size_t end = 0;
	for (size_t i = pos; i < scan; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < scan && p[i + 1] == '\n') {
			end = i + 2;
			break;
		}
		if (i + 2 < scan && p[i + 1] == '\r' && p[i + 2] == '\n') {
			end = i + 3;
			break;
		}
	}
	if (!end) {
		if (n >= max_head) {
			*status = 431;
			return ED_EPROTO;
		}
		return ED_EAGAIN;
	}
	h->head_len = end;

	/* request line */
	long le = line_end(p, end, start);
	size_t lend = (size_t)le;
	if (lend > start && p[lend - 1] == '\r')
		lend--;
	size_t i = start;
	while (i < lend && is_tchar(p[i]))
		i++;
	if (i == start || i >= lend || p[i] != ' ')
		return ED_EPROTO;
	h->method = method_of(p + start, i - start);
	size_t t0 = ++i;
	while (i < lend && p[i] > ' ' && p[i] < 0x7f)
		i++;
	if (i == t0 || i >= lend || p[i] != ' ')
		return ED_EPROTO;
	h->target = (const char *)p + t0;
	h->target_len = i - t0;
	if (h->target_len > MAX_TARGET) {
		*status = 414;
		return ED_EPROTO;
	}
	i++;
	if (lend - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0) {
		if (lend - i == 8 && !memcmp(p + i, "HTTP/", 5))
			*status = 505;
		return ED_EPROTO;
	}
	if (p[i + 7] == '0')
		h->minor = 0;
	else if (p[i + 7] == '1')
		h->minor = 1;
	else {
		*status = 505;
		return ED_EPROTO;
	}
	h->keep_alive = h->minor == 1;

	/* header fields */
	bool conn_close = false, conn_keep = false, have_te = false;
	int nfields = 0;
	pos = (size_t)le + 1;
	for (;;) {
		le = line_end(p, end, pos);
		if (le < 0)
			return ED_EPROTO; /* unreachable: end is after an LF */
		lend = (size_t)le;
		if (lend > pos && p[lend - 1] == '\r')
			lend--;
		if (lend == pos)
			break; /* the blank line */
		if (++nfields > ED_HTTP_MAX_HEADERS) {
			*status = 431;
			return ED_EPROTO;
		}
		if (p[pos] == ' ' || p[pos] == '\t')
			return ED_EPROTO; /* obs-fold */
		size_t k = pos;
		while (k < lend && is_tchar(p[k]))
			k++;
		if (k == pos || k >= lend || p[k] != ':')
			return ED_EPROTO;
		const uint8_t *name = p + pos;
		size_t nlen = k - pos;
		size_t v = k + 1;
		while (v < lend && (p[v] == ' ' || p[v] == '\t'))
			v++;
		size_t ve = lend;
		while (ve > v && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
			ve--;
		for (size_t j = v; j < ve; j++)
			if ((p[j] < 0x20 && p[j] != '\t') || p[j] == 0x7f)
				return ED_EPROTO;
		const uint8_t *val = p + v;
		size_t vlen = ve - v;
		if (ieq(name, nlen, "content-length")) {
			if (vlen == 0 || vlen > 18)
				return ED_EPROTO;
			int64_t cl = 0;
			for (size_t j = 0; j < vlen; j++) {
				if (val[j] < '0' || val[j] > '9')
					return ED_EPROTO;
				cl = cl * 10 + (val[j] - '0');
			}
			if (h->content_length >= 0 && h->content_length != cl)
				return ED_EPROTO;
			h->content_length = cl;
		} else if (ieq(name, nlen, "transfer-encoding")) {
			if (have_te || !ieq(val, vlen, "chunked")) {
				*status = have_te ? 400 : 501;
				return ED_EPROTO;
			}
			have_te = true;
			h->chunked = true;
		} else if (ieq(name, nlen, "connection")) {
			conn_close |= list_has(val, vlen, "close");
			conn_keep |= list_has(val, vlen, "keep-alive");
		} else if (ieq(name, nlen, "expect")) {
			if (ieq(val, vlen, "100-continue"))
				h->expect_continue = true;
		} else if (ieq(name, nlen, "content-type")) {
			h->content_type = (const char *)val;
			h->content_type_len = vlen;
		}
		pos = (size_t)le + 1;
	}
	if (h->chunked && h->content_length >= 0)
		return ED_EPROTO; /* request smuggling guard (RFC 9112 6.3) */
	if (h->chunked && h->minor == 0)
		return ED_EPROTO;
	if (conn_close)
		h->keep_alive = false;
	else if (conn_keep)
		h->keep_alive = true;
	*status = 0;
	return 0;
}

/* ---- chunked bodies ---- */

enum {
	CH_SIZE,    /* hex digits */
	CH_EXT,     /* ";ext" up to the line end */
	CH_SIZE_LF, /* after CR of the size line */
	CH_DATA,    /* data bytes */
	CH_DATA_CR, /* CRLF after data */
	CH_DATA_LF,
	CH_TRAILER_START, /* first byte of a trailer line or the final blank line */
	CH_TRAILER,       /* inside a trailer line */
	CH_END_LF,        /* after the CR of the final blank line */
};

void ed_http_chunked_init(struct ed_http_chunked *st)
{
	memset(st, 0, sizeof(*st));
	st->state = CH_SIZE;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long ed_http_chunked_feed(struct ed_http_chunked *st, const uint8_t *in, size_t n,
			  struct ed_buf *out, size_t limit)
{
	size_t i = 0;
	while (i < n && !st->done) {
		uint8_t c = in[i];
		switch (st->state) {
		case CH_SIZE: {
			int d = hexval(c);
			if (d >= 0) {
				if (st->linelen >= 15)
					return ED_EPROTO; /* over 2^60: nonsense */
				st->left = st->left * 16 + (uint64_t)d;
				st->linelen++;
				i++;
				break;
			}
			if (st->linelen == 0)
				return ED_EPROTO;
			if (st->left > limit || st->total + st->left > limit)
				return ED_ETOOBIG;
			if (c == ';' || c == ' ' || c == '\t') {
				st->state = CH_EXT;
			} else if (c == '\r') {
				st->state = CH_SIZE_LF;
				i++;
			} else if (c == '\n') {
				st->state = CH_SIZE_LF; /* handled below without consuming */
			} else {
				return ED_EPROTO;
			}
			break;
		}
		case CH_EXT:
			if (c == '\r') {
				st->state = CH_SIZE_LF;
			} else if (c == '\n') {
				st->state = CH_SIZE_LF;
				break;
			} else if (c < 0x20 && c != '\t') {
				return ED_EPROTO;
			} else if (++st->linelen > MAX_CHUNK_LINE) {
				return ED_EPROTO;
			}
			i++;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				return ED_EPROTO;
			i++;
			st->linelen = 0;
			if (st->left == 0) {
				st->state = CH_TRAILER_START;
			} else {
				if (ed_buf_reserve(out, (size_t)st->left) < 0)
					return ED_ENOMEM;
				st->state = CH_DATA;
			}
			break;
		case CH_DATA: {
			size_t take = n - i;
			if (take > st->left)
				take = (size_t)st->left;
			ed_buf_append(out, in + i, take);
			if (out->err)
				return ED_ENOMEM;
			i += take;
			st->left -= take;
			st->total += take;
			if (st->left == 0)
				st->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (c == '\r') {
				st->state = CH_DATA_LF;
				i++;
			} else if (c == '\n') {
				st->state = CH_DATA_LF;
			} else {
				return ED_EPROTO;
			}
			break;
		case CH_DATA_LF:
			if (c != '\n')
				return ED_EPROTO;
			i++;
			st->state = CH_SIZE;
			st->left = 0;
			st->linelen = 0;
			break;
		case CH_TRAILER_START:
			if (c == '\r') {
				st->state = CH_END_LF;
				i++;
			} else if (c == '\n') {
				st->state = CH_END_LF;
			} else {
				st->state = CH_TRAILER;
				st->linelen = 0;
			}
			break;
		case CH_TRAILER:
			if (c == '\n')
				st->state = CH_TRAILER_START;
			else if (++st->linelen > MAX_CHUNK_LINE)
				return ED_EPROTO;
			i++;
			break;
		case CH_END_LF:
			if (c != '\n')
				return ED_EPROTO;
			i++;
			st->done = true;
			break;
		default:
			return ED_EPROTO;
		}
	}
	return (long)i;
}

/* ---- URLs ---- */

bool ed_http_url_decode(const char *s, size_t n, bool plus, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return false;
			int a = hexval((uint8_t)s[i + 1]), b = hexval((uint8_t)s[i + 2]);
			if (a < 0 || b < 0)
				return false;
			c = (char)(a * 16 + b);
			if (!c)
				return false;
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (o + 1 >= outlen)
			return false;
		out[o++] = c;
	}
	if (outlen == 0)
		return false;
	out[o] = 0;
	return true;
}

int ed_http_query_get(const char *query, size_t n, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	size_t i = 0;
	while (i <= n && n) {
		size_t s = i;
		while (i < n && query[i] != '&')
			i++;
		const char *eq = memchr(query + s, '=', i - s);
		size_t klen = eq ? (size_t)(eq - (query + s)) : i - s;
		if (klen == nl && !memcmp(query + s, name, nl)) {
			if (!eq) {
				if (outlen)
					out[0] = 0;
				return 1;
			}
			size_t vs = (size_t)(eq - query) + 1;
			return ed_http_url_decode(query + vs, i - vs, true, out, outlen) ? 1 : -1;
		}
		i++;
	}
	return 0;
}
