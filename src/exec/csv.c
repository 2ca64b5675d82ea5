/* CSV records <-> chunks (csv.h). The decoder splits one record in a single
 * pass; unquoted fields are used in place, quoted ones with doubled quotes
 * are copied (into the chunk arena for text, a stack buffer otherwise). */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "exec/csv.h"
#include "exec/exec_int.h"

int ed_csv_decoder_init(struct ed_csv_decoder *d, const uint32_t *columns, uint32_t nfields,
			char delim, struct ed_expr_error *err)
{
	memset(d, 0, sizeof *d);
	if (delim == '"' || delim == '\r' || delim == '\n' || delim == 0)
		return ed_expr_fail(err, -1, "22023", "bad CSV delimiter");
	if (nfields == 0 || nfields > ED_CSV_MAX_FIELDS)
		return ed_expr_fail(err, -1, "54000", "bad CSV field count %u", nfields);
	d->columns = ed_malloc(nfields * sizeof *d->columns);
	if (!d->columns)
		return ED_ENOMEM;
	memcpy(d->columns, columns, nfields * sizeof *d->columns);
	d->nfields = nfields;
	d->delim = delim;
	d->max_bytes = 1u << 20;
	return 0;
}

int ed_csv_decoder_set_names(struct ed_csv_decoder *d, const char *const *names)
{
	size_t total = 0;
	for (uint32_t k = 0; k < d->nfields; k++)
		total += strlen(names[k]) + 1;
	char *buf = ed_malloc(total ? total : 1);
	const char **v = ed_malloc(d->nfields * sizeof *v);
	if (!buf || !v) {
		ed_free(buf);
		ed_free(v);
		return ED_ENOMEM;
	}
	char *o = buf;
	for (uint32_t k = 0; k < d->nfields; k++) {
		size_t n = strlen(names[k]) + 1;
		memcpy(o, names[k], n);
		v[k] = o;
		o += n;
	}
	if (d->names)
		ed_free((void *)d->names[0]);
	ed_free(d->names);
	d->names = v;
	return 0;
}

void ed_csv_decoder_fini(struct ed_csv_decoder *d)
{
	if (!d)
		return;
	if (d->names && d->nfields)
		ed_free((void *)d->names[0]);
	ed_free(d->names);
	ed_free(d->columns);
	memset(d, 0, sizeof *d);
}

/* "2" or "2 (\"temp\")" for messages: field k (0-based) of the record. */
static const char *field_label(const struct ed_csv_decoder *d, uint32_t k, char *buf, size_t n)
{
	if (d->names)
		snprintf(buf, n, "%u (\"%.60s\")", k + 1, d->names[k]);
	else
		snprintf(buf, n, "%u", k + 1);
	return buf;
}

static int store(const struct ed_csv_decoder *d, struct ed_chunk *c, uint32_t row, uint32_t k,
		 const char *s, size_t n, bool quoted, bool copied, size_t off,
		 struct ed_expr_error *err)
{
	uint32_t col = d->columns[k];
	char fl[80];
	if (col == ED_CSV_SKIP)
		return 0;
	struct ed_vector *v = &c->cols[col];
	if (n == 0 && !quoted) {
		v->nulls[row] = 1;
		return 0;
	}
	if (v->type.id == ED_TYPE_TEXT) {
		struct ed_str str = {"", (uint32_t)n};
		if (n && !copied) {
			char *p = ed_arena_alloc(&c->arena, n);
			if (!p)
				return ed_expr_fail(err, (int32_t)off, "53200", "out of memory");
			memcpy(p, s, n);
			s = p;
		}
		if (n)
			str.ptr = s;
		if (v->type.max_len >= 0 && ed_utf8_len(str.ptr, str.len) > (uint32_t)v->type.max_len)
			return ed_expr_fail(err, (int32_t)off, "22001", "field %s: value too long",
					    field_label(d, k, fl, sizeof fl));
		ED_VEC(v, struct ed_str)[row] = str;
		v->nulls[row] = 0;
		return 0;
	}
	if (v->type.id == ED_TYPE_TIMESTAMP || v->type.id == ED_TYPE_TIMESTAMPTZ) {
		int64_t us; /* the zone: applied for TIMESTAMPTZ, ignored for TIMESTAMP */
		int rc = ed_ts_parse(s, n, v->type.id == ED_TYPE_TIMESTAMPTZ, &us, NULL);
		if (rc)
			return ed_expr_fail(err, (int32_t)off, rc == ED_ERANGE ? "22008" : "22007",
					    "field %s: bad timestamp \"%.*s\"",
					    field_label(d, k, fl, sizeof fl),
					    (int)(n > 40 ? 40 : n), s);
		ED_VEC(v, int64_t)[row] = us;
		v->nulls[row] = 0;
		return 0;
	}
	struct ed_value val;
	struct ed_expr_error e2;
	if (ed_value_parse(s, n, v->type, NULL, &val, &e2))
		return ed_expr_fail(err, (int32_t)off, e2.sqlstate, "field %s: %s",
				    field_label(d, k, fl, sizeof fl), e2.message);
	ed_vector_set(v, row, &val, NULL);
	return 0;
}

int ed_csv_decode(const struct ed_csv_decoder *d, const char *p, size_t n, struct ed_chunk *c,
		  uint32_t row, struct ed_expr_error *err)
{
	int rc = 0;
	if (err) {
		err->row = -1;
		err->sqlstate[0] = 0;
	}
	if (row >= c->cap)
		return ed_expr_fail(err, -1, "XX000", "row %u beyond the chunk's capacity", row);
	for (uint32_t k = 0; k < d->nfields; k++) {
		if (d->columns[k] != ED_CSV_SKIP && d->columns[k] >= c->ncols)
			return ed_expr_fail(err, -1, "XX000", "CSV field bound to missing column");
		if (d->columns[k] != ED_CSV_SKIP)
			c->cols[d->columns[k]].nulls[row] = 1;
	}
	if (n > d->max_bytes) {
		rc = ed_expr_fail(err, 0, "54000", "record of %zu bytes exceeds %u", n, d->max_bytes);
		goto fail;
	}
	if (n && p[n - 1] == '\n')
		n--;
	if (n && p[n - 1] == '\r')
		n--;
	const char *s = p, *end = p + n;
	uint32_t k = 0;
	for (;;) {
		if (k >= d->nfields) {
			rc = ed_expr_fail(err, (int32_t)(s - p), "22P02",
					  "extra data after the last expected field (%u)",
					  d->nfields);
			goto fail;
		}
		size_t off = (size_t)(s - p);
		if (s < end && *s == '"') {
			/* Quoted: copy out when it holds doubled quotes. */
			const char *q = s + 1;
			bool doubled = false;
			for (;;) {
				const char *e = memchr(q, '"', (size_t)(end - q));
				if (!e) {
					rc = ed_expr_fail(err, (int32_t)off, "22P02",
							  "unterminated quoted field %u", k + 1);
					goto fail;
				}
				if (e + 1 < end && e[1] == '"') {
					doubled = true;
					q = e + 2;
					continue;
				}
				q = e;
				break;
			}
			const char *body = s + 1;
			size_t blen = (size_t)(q - body);
			const char *val = body;
			size_t vlen = blen;
			bool copied = false;
			char small[256];
			if (doubled) {
				bool text = d->columns[k] != ED_CSV_SKIP &&
					    c->cols[d->columns[k]].type.id == ED_TYPE_TEXT;
				char *o = text ? ed_arena_alloc(&c->arena, blen ? blen : 1)
					  : blen <= sizeof small ? small
								 : NULL;
				if (!o) {
					rc = ed_expr_fail(err, (int32_t)off, text ? "53200" : "22P02",
							  "field %u: %s", k + 1,
							  text ? "out of memory" : "value too long");
					goto fail;
				}
				vlen = 0;
				for (size_t i = 0; i < blen; i++) {
					o[vlen++] = body[i];
					if (body[i] == '"')
						i++;
				}
				val = o;
				copied = text;
			}
			if ((rc = store(d, c, row, k, val, vlen, true, copied, off, err)))
				goto fail;
			s = q + 1;
			if (s < end && *s != d->delim) {
				rc = ed_expr_fail(err, (int32_t)(s - p), "22P02",
						  "junk after quoted field %u", k + 1);
				goto fail;
			}
		} else {
			const char *e = memchr(s, d->delim, (size_t)(end - s));
			const char *fe = e ? e : end;
			if (memchr(s, '"', (size_t)(fe - s))) {
				rc = ed_expr_fail(err, (int32_t)off, "22P02",
						  "quote inside unquoted field %u", k + 1);
				goto fail;
			}
			if ((rc = store(d, c, row, k, s, (size_t)(fe - s), false, false, off, err)))
				goto fail;
			s = fe;
		}
		k++;
		if (s >= end)
			break;
		s++; /* delimiter */
	}
	if (k != d->nfields) {
		rc = ed_expr_fail(err, (int32_t)n, "22P02", "expected %u fields, got %u",
				  d->nfields, k);
		goto fail;
	}
	return 0;
fail:
	for (uint32_t j = 0; j < d->nfields; j++)
		if (d->columns[j] != ED_CSV_SKIP)
			c->cols[d->columns[j]].nulls[row] = 1;
	return rc;
}

int ed_csv_encode_row(const struct ed_chunk *c, uint32_t row, char delim, struct ed_buf *out)
{
	char tmp[ED_VALUE_TEXT_MAX];
	for (uint32_t k = 0; k < c->ncols; k++) {
		const struct ed_vector *v = &c->cols[k];
		if (k)
			ed_buf_put_u8(out, (uint8_t)delim);
		if (v->nulls[row] || v->type.id == ED_TYPE_NULL)
			continue;
		const char *s;
		size_t n = ed_vec_text(v, row, tmp, &s);
		bool quote = v->type.id == ED_TYPE_TEXT && n == 0;
		for (size_t i = 0; i < n && !quote; i++)
			quote = s[i] == delim || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
		if (!quote) {
			ed_buf_append(out, s, n);
			continue;
		}
		ed_buf_put_u8(out, '"');
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '"')
				ed_buf_put_u8(out, '"');
			ed_buf_put_u8(out, (uint8_t)s[i]);
		}
		ed_buf_put_u8(out, '"');
	}
	return out->err;
}
