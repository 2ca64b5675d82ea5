/* Helpers shared by the exec unit tests: a chunk with one column of each
 * type, expression builders, and evaluation to a "v1|v2|NULL" string so a
 * test states its expectation in one line. Header-only (each test file is
 * its own executable). */
#ifndef EXEC_TEST_UTIL_H
#define EXEC_TEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "exec/chunk.h"
#include "exec/expr.h"
#include "exec/types.h"

/* Columns of the test chunk. */
enum { C_I32, C_I64, C_F64, C_TXT, C_BOOL, C_DEC, C_TS, C_IV, C_I16, C_TZ, C_NCOLS };

struct tx {
	struct ed_arena arena; /* plan arena */
	struct ed_arena out_arena;
	struct ed_chunk chunk;
	struct ed_expr_error err;
	struct ed_buf buf;
	struct ed_vector out;
	int rc;
};

static inline struct ed_type tx_dec_type(int p, int s)
{
	struct ed_type t = ed_type_make(ED_TYPE_DECIMAL);
	t.precision = (int16_t)p;
	t.scale = (int16_t)s;
	return t;
}

static inline void tx_init(struct tx *t, uint32_t rows)
{
	struct ed_type types[C_NCOLS] = {
		ed_type_make(ED_TYPE_INT32),     ed_type_make(ED_TYPE_INT64),
		ed_type_make(ED_TYPE_FLOAT64),   ed_type_make(ED_TYPE_TEXT),
		ed_type_make(ED_TYPE_BOOL),      tx_dec_type(10, 2),
		ed_type_make(ED_TYPE_TIMESTAMP), ed_type_make(ED_TYPE_INTERVAL),
		ed_type_make(ED_TYPE_INT16),     ed_type_make(ED_TYPE_TIMESTAMPTZ),
	};
	memset(t, 0, sizeof *t);
	ed_arena_init(&t->arena, 4096);
	ed_arena_init(&t->out_arena, 4096);
	ed_chunk_init(&t->chunk, types, C_NCOLS, ED_CHUNK_MAX_ROWS);
	t->chunk.rows = rows;
	for (uint32_t c = 0; c < C_NCOLS; c++)
		memset(t->chunk.cols[c].nulls, 1, ED_CHUNK_MAX_ROWS);
	ed_buf_init(&t->buf);
}

static inline void tx_fini(struct tx *t)
{
	ed_chunk_fini(&t->chunk);
	ed_arena_fini(&t->arena);
	ed_arena_fini(&t->out_arena);
	ed_buf_fini(&t->buf);
	ed_vector_fini(&t->out);
}

/* Sets row r of column c from text (NULL pointer: SQL NULL). */
static inline void tx_set(struct tx *t, uint32_t c, uint32_t r, const char *text)
{
	struct ed_vector *v = &t->chunk.cols[c];
	if (!text) {
		v->nulls[r] = 1;
		return;
	}
	struct ed_value val;
	struct ed_expr_error err;
	int rc = ed_value_parse(text, strlen(text), v->type, &t->chunk.arena, &val, &err);
	if (rc) {
		fprintf(stderr, "tx_set: cannot parse '%s': %s\n", text, err.message);
		return;
	}
	ed_vector_set(v, r, &val, &t->chunk.arena);
}

/* Builders. */
#define TCOL(t, c) ed_expr_column(&(t)->arena, (c), (t)->chunk.cols[(c)].type)
static inline struct ed_expr *tconst_i(struct tx *t, enum ed_type_id id, int64_t v)
{
	struct ed_value val = {.type = ed_type_make(id), .null = false};
	val.v.i = v;
	return ed_expr_const(&t->arena, &val);
}
#define TI(t, v) tconst_i((t), ED_TYPE_INT32, (v))
#define TL(t, v) tconst_i((t), ED_TYPE_INT64, (v))
static inline struct ed_expr *TS_(struct tx *t, const char *s)
{
	struct ed_value val = {.type = ed_type_make(ED_TYPE_TEXT), .null = false};
	val.v.s.ptr = s;
	val.v.s.len = (uint32_t)strlen(s);
	return ed_expr_const(&t->arena, &val);
}
#define TT(t, s) TS_((t), (s))
static inline struct ed_expr *TN(struct tx *t)
{
	struct ed_value val = {.type = ed_type_make(ED_TYPE_NULL), .null = true};
	return ed_expr_const(&t->arena, &val);
}
static inline struct ed_expr *TF(struct tx *t, double d)
{
	struct ed_value val = {.type = ed_type_make(ED_TYPE_FLOAT64), .null = false};
	val.v.f64 = d;
	return ed_expr_const(&t->arena, &val);
}
static inline struct ed_expr *TB(struct tx *t, bool b)
{
	struct ed_value val = {.type = ed_type_make(ED_TYPE_BOOL), .null = false};
	val.v.b = b;
	return ed_expr_const(&t->arena, &val);
}
/* Typed literal: text cast to type (e.g. TYPED(t, "1.50", numeric(10,2))). */
static inline struct ed_expr *TTYPED(struct tx *t, const char *s, struct ed_type ty)
{
	struct ed_value val;
	struct ed_expr_error err;
	if (ed_value_parse(s, strlen(s), ty, &t->arena, &val, &err)) {
		fprintf(stderr, "TTYPED: %s\n", err.message);
		return NULL;
	}
	return ed_expr_const(&t->arena, &val);
}

static inline struct ed_expr *tcall(struct tx *t, const char *name, int n, ...)
{
	struct ed_expr *args[16];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		args[i] = va_arg(ap, struct ed_expr *);
	va_end(ap);
	for (int i = 0; i < n; i++)
		if (!args[i])
			return NULL;
	struct ed_expr *e = ed_expr_call(&t->arena, name, args, (uint32_t)n, &t->err);
	if (!e)
		fprintf(stderr, "call %s: %s %s\n", name, t->err.sqlstate, t->err.message);
	return e;
}
#define F0(t, name) tcall((t), (name), 0)
#define F1(t, name, a) tcall((t), (name), 1, (a))
#define F2(t, name, a, b) tcall((t), (name), 2, (a), (b))
#define F3(t, name, a, b, c) tcall((t), (name), 3, (a), (b), (c))
#define F4(t, name, a, b, c, d) tcall((t), (name), 4, (a), (b), (c), (d))

/* Evaluates e over the chunk; returns "v|v|NULL" (PostgreSQL text of each
 * row), or "ERROR sqlstate" if evaluation failed. */
static inline const char *tx_eval(struct tx *t, struct ed_expr *e)
{
	ed_buf_reset(&t->buf);
	if (!e) {
		ed_buf_printf(&t->buf, "BIND %s", t->err.sqlstate);
		ed_buf_put_u8(&t->buf, 0);
		return (const char *)t->buf.data;
	}
	ed_vector_fini(&t->out);
	ed_vector_init(&t->out, ed_expr_type(e), ED_CHUNK_MAX_ROWS);
	t->rc = ed_expr_eval(e, &t->chunk, NULL, &t->out, &t->out_arena, &t->err);
	if (t->rc) {
		ed_buf_printf(&t->buf, "ERROR %s", t->err.sqlstate);
	} else {
		for (uint32_t i = 0; i < t->chunk.rows; i++) {
			if (i)
				ed_buf_put_u8(&t->buf, '|');
			struct ed_value v;
			ed_vector_get(&t->out, i, &v);
			if (v.null)
				ed_buf_append(&t->buf, "NULL", 4);
			else
				ed_value_format(&v, &t->buf);
		}
	}
	ed_buf_put_u8(&t->buf, 0);
	return (const char *)t->buf.data;
}

#endif
