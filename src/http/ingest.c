/* Ingestion bodies to records: a JSON array or NDJSON (one value per line,
 * blank lines skipped) is validated whole and split into records before
 * anything is appended, so a malformed body appends nothing.
 *
 * Element forms:
 *   plain     any JSON object; the record value is the object's exact text;
 *             with key_field, the key is that top-level member (a string's
 *             decoded bytes, null as a null key, anything else its JSON text)
 *   envelope  {"key": K, "value": V, "partition": P, "timestamp": T}, each
 *             optional: K and V as strings are stored as their decoded bytes,
 *             null as null, other values as their JSON text; P a partition
 *             number; T epoch milliseconds. Other members are refused. */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "http/http_int.h"

void ed_ingest_init(struct ed_ingest *in)
{
	memset(in, 0, sizeof(*in));
	ed_arena_init(&in->arena, 64 * 1024);
}

void ed_ingest_fini(struct ed_ingest *in)
{
	ed_free(in->recs);
	ed_arena_fini(&in->arena);
	memset(in, 0, sizeof(*in));
}

static struct ed_ingest_rec *rec_push(struct ed_ingest *in)
{
	if (in->n == in->cap) {
		size_t ncap = in->cap ? in->cap * 2 : 256;
		struct ed_ingest_rec *r = ed_realloc(in->recs, ncap * sizeof(*r));
		if (!r)
			return NULL;
		in->recs = r;
		in->cap = ncap;
	}
	struct ed_ingest_rec *r = &in->recs[in->n++];
	r->key = NULL;
	r->key_len = -1;
	r->value = NULL;
	r->value_len = -1;
	r->partition = -1;
	r->timestamp = -1;
	return r;
}

/* Bytes of a member value as stored: a string decoded, null as NULL, any
 * other value as its text. 0 or ED_ENOMEM / ED_ETOOBIG. */
static int field_bytes(struct ed_ingest *in, const char *v, size_t vn, const char **out,
		       int32_t *outlen)
{
	if (vn > INT32_MAX)
		return ED_ETOOBIG;
	if (vn == 4 && !memcmp(v, "null", 4)) {
		*out = NULL;
		*outlen = -1;
		return 0;
	}
	if (v[0] != '"') {
		*out = v;
		*outlen = (int32_t)vn;
		return 0;
	}
	if (!memchr(v, '\\', vn)) {
		*out = v + 1;
		*outlen = (int32_t)(vn - 2);
		return 0;
	}
	struct ed_buf b;
	ed_buf_init(&b);
	ed_hjson_unescape(v, vn, &b);
	int rc = b.err;
	if (!rc) {
		char *c = b.len ? ed_arena_memdup(&in->arena, b.data, b.len) : (char *)"";
		if (!c)
			rc = ED_ENOMEM;
		*out = c;
		*outlen = (int32_t)b.len;
	}
	ed_buf_fini(&b);
	return rc;
}

static bool parse_int(const char *v, size_t vn, int64_t min, int64_t max, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < vn && v[i] == '-') {
		neg = true;
		i++;
	}
	if (i == vn || vn - i > 18)
		return false;
	int64_t x = 0;
	for (; i < vn; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (v[i] - '0');
	}
	if (neg)
		x = -x;
	if (x < min || x > max)
		return false;
	*out = x;
	return true;
}

static int envelope(struct ed_ingest *in, struct ed_ingest_rec *r, const char *obj, size_t n,
		    const struct ed_ingest_opts *o, char *err, size_t errlen, size_t at)
{
	static const char *const known[] = {"key", "value", "partition", "timestamp"};
	/* Refuse unknown members: walk the object's member names. */
	size_t pos = 1;
	for (;;) {
		ed_hjson_ws(obj, n, &pos);
		if (pos >= n || obj[pos] != '"')
			break;
		size_t ks = pos;
		ed_hjson_value(obj, n, &pos, NULL, 0);
		bool ok = false;
		for (size_t i = 0; i < 4 && !ok; i++) {
			size_t l = strlen(known[i]);
			ok = pos - ks == l + 2 && !memcmp(obj + ks + 1, known[i], l);
		}
		if (!ok) {
			snprintf(err, errlen,
				 "envelope at byte %zu: unknown member %.*s (expected key, value, partition, timestamp)",
				 at, (int)(pos - ks > 64 ? 64 : pos - ks), obj + ks);
			return ED_EINVAL;
		}
		ed_hjson_ws(obj, n, &pos);
		pos++; /* ':' */
		ed_hjson_ws(obj, n, &pos);
		ed_hjson_value(obj, n, &pos, NULL, 0);
		ed_hjson_ws(obj, n, &pos);
		if (pos < n && obj[pos] == ',')
			pos++;
	}
	const char *v;
	size_t vn;
	int rc;
	if (ed_hjson_member(obj, n, "value", &v, &vn)) {
		rc = field_bytes(in, v, vn, &r->value, &r->value_len);
		if (rc)
			return rc;
	}
	if (ed_hjson_member(obj, n, "key", &v, &vn)) {
		rc = field_bytes(in, v, vn, &r->key, &r->key_len);
		if (rc)
			return rc;
	} else if (o->key_field && r->value && r->value_len > 0 && r->value[0] == '{' &&
		   ed_hjson_member(r->value, (size_t)r->value_len, o->key_field, &v, &vn)) {
		rc = field_bytes(in, v, vn, &r->key, &r->key_len);
		if (rc)
			return rc;
	}
	int64_t x;
	if (ed_hjson_member(obj, n, "partition", &v, &vn)) {
		if (!parse_int(v, vn, 0, INT32_MAX, &x)) {
			snprintf(err, errlen,
				 "envelope at byte %zu: partition must be a non-negative integer",
				 at);
			return ED_EINVAL;
		}
		r->partition = (int32_t)x;
	}
	if (ed_hjson_member(obj, n, "timestamp", &v, &vn)) {
		if (!parse_int(v, vn, 0, INT64_MAX / 2, &x)) {
			snprintf(err, errlen,
				 "envelope at byte %zu: timestamp must be epoch milliseconds (a non-negative integer)",
				 at);
			return ED_EINVAL;
		}
		r->timestamp = x;
	}
	return 0;
}

/* One element p[s..e) of kind k, the index-th of the body. */
static int element(struct ed_ingest *in, const char *p, size_t s, size_t e, enum ed_hjson_kind k,
		   const struct ed_ingest_opts *o, char *err, size_t errlen)
{
	if (k != ED_HJSON_OBJECT) {
		snprintf(err, errlen, "element %zu at byte %zu is not a JSON object", in->n + 1, s);
		return ED_EINVAL;
	}
	if (e - s > INT32_MAX) {
		snprintf(err, errlen, "element %zu at byte %zu is too large", in->n + 1, s);
		return ED_ETOOBIG;
	}
	if (o->max_records && in->n >= o->max_records) {
		snprintf(err, errlen, "more than %zu records in one request", o->max_records);
		return ED_ETOOBIG;
	}
	struct ed_ingest_rec *r = rec_push(in);
	if (!r)
		return ED_ENOMEM;
	if (o->envelope)
		return envelope(in, r, p + s, e - s, o, err, errlen, s);
	r->value = p + s;
	r->value_len = (int32_t)(e - s);
	const char *v;
	size_t vn;
	if (o->key_field && ed_hjson_member(p + s, e - s, o->key_field, &v, &vn))
		return field_bytes(in, v, vn, &r->key, &r->key_len);
	return 0;
}

static int parse_array(struct ed_ingest *in, const char *p, size_t n,
		       const struct ed_ingest_opts *o, char *err, size_t errlen)
{
	size_t pos = 0;
	ed_hjson_ws(p, n, &pos);
	pos++; /* '[' */
	ed_hjson_ws(p, n, &pos);
	if (pos < n && p[pos] == ']') {
		pos++;
	} else {
		for (;;) {
			ed_hjson_ws(p, n, &pos);
			size_t s = pos;
			enum ed_hjson_kind k = ed_hjson_value(p, n, &pos, err, errlen);
			if (k == ED_HJSON_INVALID)
				return ED_EINVAL;
			int rc = element(in, p, s, pos, k, o, err, errlen);
			if (rc)
				return rc;
			ed_hjson_ws(p, n, &pos);
			if (pos < n && p[pos] == ',') {
				pos++;
				continue;
			}
			if (pos < n && p[pos] == ']') {
				pos++;
				break;
			}
			snprintf(err, errlen, "expected ',' or ']' at byte %zu", pos);
			return ED_EINVAL;
		}
	}
	ed_hjson_ws(p, n, &pos);
	if (pos != n) {
		snprintf(err, errlen, "unexpected data after the array at byte %zu", pos);
		return ED_EINVAL;
	}
	return 0;
}

static int parse_ndjson(struct ed_ingest *in, const char *p, size_t n,
			const struct ed_ingest_opts *o, char *err, size_t errlen)
{
	size_t pos = 0;
	for (;;) {
		ed_hjson_ws(p, n, &pos);
		if (pos >= n)
			return 0;
		size_t s = pos;
		enum ed_hjson_kind k = ed_hjson_value(p, n, &pos, err, errlen);
		if (k == ED_HJSON_INVALID) {
			/* name the line: it is what NDJSON users count */
			size_t line = 1;
			for (size_t i = 0; i < s; i++)
				line += p[i] == '\n';
			char inner[160];
			snprintf(inner, sizeof(inner), "%s", err);
			snprintf(err, errlen, "line %zu: %s", line, inner);
			return ED_EINVAL;
		}
		int rc = element(in, p, s, pos, k, o, err, errlen);
		if (rc)
			return rc;
		while (pos < n && (p[pos] == ' ' || p[pos] == '\t' || p[pos] == '\r'))
			pos++;
		if (pos < n && p[pos] != '\n') {
			snprintf(err, errlen, "expected a newline after the value at byte %zu", pos);
			return ED_EINVAL;
		}
	}
}

int ed_ingest_parse(struct ed_ingest *in, const char *body, size_t n,
		    const struct ed_ingest_opts *o, char *err, size_t errlen)
{
	if (errlen)
		err[0] = 0;
	in->n = 0;
	ed_arena_reset(&in->arena);
	size_t pos = 0;
	ed_hjson_ws(body, n, &pos);
	int rc;
	if (!o->ndjson && pos < n && body[pos] == '[')
		rc = parse_array(in, body, n, o, err, errlen);
	else
		rc = parse_ndjson(in, body, n, o, err, errlen);
	if (rc == ED_ENOMEM && errlen)
		snprintf(err, errlen, "out of memory");
	if (rc == 0 && in->n == 0) {
		snprintf(err, errlen, "no records in the body");
		rc = ED_EINVAL;
	}
	if (rc)
		in->n = 0;
	return rc;
}
