/* Sessions: parsing SQL text and executing each statement under eng->mu,
 * dispatching to DDL, SHOW/EXPLAIN and pull queries, and the result
 * builders (columns, rows, cells) they share. */
#include "engine/engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void res_init(struct ed_result *r)
{
	memset(r, 0, sizeof(*r));
	ed_arena_init(&r->arena, 0);
}

int res_cols(struct ed_result *r, uint32_t n, const char *const *names, const struct ed_type *types)
{
	r->ncols = n;
	r->names = ed_arena_alloc(&r->arena, (n + 1) * sizeof(char *));
	r->types = ed_arena_alloc(&r->arena, (n + 1) * sizeof(struct ed_type));
	if (!r->names || !r->types)
		return ED_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		r->names[i] = names[i];
		r->types[i] = types ? types[i] : ed_type_make(ED_TYPE_TEXT);
	}
	return 0;
}

/* Grow the row array to hold one more row; returns its cells. */
struct ed_value *res_row(struct ed_result *r, uint32_t *cap)
{
	if (r->nrows == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 16;
		struct ed_value *n = ed_arena_alloc(&r->arena,
						    (size_t)nc * r->ncols * sizeof(*n) + 1);
		if (!n)
			return NULL;
		if (r->nrows)
			memcpy(n, r->rows, (size_t)r->nrows * r->ncols * sizeof(*n));
		r->rows = n;
		*cap = nc;
	}
	struct ed_value *row = &r->rows[(size_t)r->nrows++ * r->ncols];
	memset(row, 0, r->ncols * sizeof(*row));
	return row;
}

void text_cell(struct ed_result *r, struct ed_value *cell, const char *s)
{
	cell->type = ed_type_make(ED_TYPE_TEXT);
	if (!s) {
		cell->null = true;
		return;
	}
	cell->v.s.ptr = ed_arena_strndup(&r->arena, s, strlen(s));
	cell->v.s.len = cell->v.s.ptr ? (uint32_t)strlen(s) : 0;
}

void int_cell(struct ed_value *cell, int64_t v)
{
	cell->type = ed_type_make(ED_TYPE_INT64);
	cell->v.i = v;
}

int xfail(struct exec *x, uint32_t loc, const char *state, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ed_sql_error_set(x->err, x->text, x->len, loc, state, "%s", msg);
	return ED_EINVAL;
}

static int exec_stmt(struct exec *x, const struct ed_sql_stmt *st)
{
	switch (st->kind) {
	case ED_SQL_S_CREATE_SOURCE:
		return create_source(x, st);
	case ED_SQL_S_CREATE_VIEW:
	case ED_SQL_S_CREATE_SINK:
		return create_pipeline(x, st);
	case ED_SQL_S_DROP:
		return drop_object(x, st);
	case ED_SQL_S_SHOW_OBJECTS:
		return show_objects(x, st);
	case ED_SQL_S_DESCRIBE:
		return describe(x, st);
	case ED_SQL_S_EXPLAIN:
		return explain(x, st);
	case ED_SQL_S_SELECT:
		return pull_query(x, st->u.select);
	case ED_SQL_S_SHOW_VAR:
		return show_var(x, st);
	case ED_SQL_S_SET:
		snprintf(x->res->tag, sizeof(x->res->tag), "SET");
		return 0;
	case ED_SQL_S_BEGIN:
		snprintf(x->res->tag, sizeof(x->res->tag), "BEGIN");
		return 0;
	case ED_SQL_S_COMMIT:
		snprintf(x->res->tag, sizeof(x->res->tag), "COMMIT");
		return 0;
	case ED_SQL_S_ROLLBACK:
		snprintf(x->res->tag, sizeof(x->res->tag), "ROLLBACK");
		return 0;
	case ED_SQL_S_SUBSCRIBE:
		return xfail(x, st->loc, ED_SQLSTATE_NOT_SUPPORTED,
			     "SUBSCRIBE is served by the PostgreSQL front end (ed_engine_subscribe)");
	}
	return xfail(x, st->loc, ED_SQLSTATE_NOT_SUPPORTED, "statement not supported");
}

struct ed_session *ed_session_new(struct ed_engine *eng)
{
	struct ed_session *s = ed_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->eng = eng;
	ed_arena_init(&s->arena, 0);
	return s;
}

void ed_session_free(struct ed_session *s)
{
	if (!s)
		return;
	ed_arena_fini(&s->arena);
	ed_free(s);
}

int ed_session_execute(struct ed_session *s, const char *text, size_t len, ed_result_fn fn,
		       void *arg, struct ed_sql_error *err)
{
	struct ed_sql_stmt_list list;
	memset(err, 0, sizeof(*err));
	ed_arena_reset(&s->arena);
	int rc = ed_sql_parse(&s->arena, text, len, &list, err);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < list.n && rc == 0; i++) {
		struct ed_result res;
		res_init(&res);
		struct exec x = {s, text, len, err, &res};
		pthread_mutex_lock(&s->eng->mu);
		rc = exec_stmt(&x, list.v[i]);
		pthread_mutex_unlock(&s->eng->mu);
		if (rc == 0 && fn)
			rc = fn(arg, &res);
		ed_arena_fini(&res.arena);
	}
	return rc;
}

int ed_engine_run_file(struct ed_engine *eng, const char *path, struct ed_sql_error *err)
{
	char *text;
	size_t len;
	memset(err, 0, sizeof(*err));
	int rc = ed_io_read_file(path, ED_SQL_MAX_TEXT, &text, &len);
	if (rc) {
		snprintf(err->sqlstate, sizeof(err->sqlstate), "58030");
		snprintf(err->msg, sizeof(err->msg), "could not read %s: %s", path, ed_err_str(rc));
		return rc;
	}
	struct ed_session *s = ed_session_new(eng);
	rc = s ? ed_session_execute(s, text, len, NULL, NULL, err) : ED_ENOMEM;
	ed_session_free(s);
	ed_free(text);
	return rc;
}
