/* The query protocols of the PostgreSQL front end: simple Query (several
 * statements per string, one ReadyForQuery at the end, stop at the first
 * error) and the extended protocol (Parse, Bind, Describe, Execute with row
 * limits and PortalSuspended, Close, Sync, Flush).
 *
 * Execution model: a statement text is parsed here (to split it, to let
 * shim.c answer session statements, and to find SUBSCRIBE); everything else
 * goes to the engine one statement at a time. A portal's parameters are
 * substituted into its text as SQL literals (typed with CAST when the
 * client gave a type), because the engine executes text; a portal's result
 * is materialized on its first Describe or Execute as encoded DataRows, and
 * Execute sends them in slices of max_rows. Row-returning statements
 * without side effects (SELECT, SHOW, DESCRIBE, EXPLAIN) are run at
 * Describe time so RowDescription can be answered; others answer NoData and
 * run at Execute. */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "pgwire/pgwire_int.h"

/* ---- results ----------------------------------------------------------------------------------- */

static void result_fini(struct pgw_result *r)
{
	for (uint32_t i = 0; r->names && i < r->ncols; i++)
		ed_free(r->names[i]);
	ed_free(r->names);
	ed_free(r->types);
	ed_free(r->formats);
	ed_free(r->offs);
	ed_buf_fini(&r->rows);
	memset(r, 0, sizeof(*r));
}

/* Where results go: straight to the connection in text format (simple
 * query), or into a pgw_result (portals, column probes). */
struct sink {
	struct pgw_conn *c;
	struct pgw_result *res;
	const int16_t *resfmts; /* Bind's result formats */
	uint16_t nresfmts;
	struct ed_sql_error *err;
};

static int sink_result(void *arg, const struct ed_result *r)
{
	struct sink *k = arg;
	if (!k->res) {
		struct ed_buf *b = &k->c->out;
		if (r->ncols)
			ed_pgw_put_row_description(b, r->ncols, r->names, r->types, NULL);
		for (uint32_t i = 0; i < r->nrows; i++) {
			size_t pos = ed_pgw_begin(b, 'D');
			ed_buf_put_be16(b, (uint16_t)r->ncols);
			for (uint32_t j = 0; j < r->ncols; j++)
				ed_pgw_put_value(b, &r->rows[(size_t)i * r->ncols + j],
						 ED_PGW_FMT_TEXT);
			ed_pgw_end(b, pos);
		}
		ed_pgw_put_command_complete(b, r->tag);
		if (b->err)
			goto oom;
		return 0;
	}
	struct pgw_result *res = k->res;
	result_fini(res);
	res->done = true;
	snprintf(res->tag, sizeof(res->tag), "%s", r->tag);
	if (r->ncols) {
		if (k->nresfmts > 1 && k->nresfmts != r->ncols) {
			ed_sql_error_set(k->err, "", 0, UINT32_MAX, "08P01",
					 "bind message has %u result formats but query has %u columns",
					 k->nresfmts, r->ncols);
			return ED_EPROTO;
		}
		res->ncols = r->ncols;
		res->names = ed_calloc(r->ncols, sizeof(char *));
		res->types = ed_calloc(r->ncols, sizeof(struct ed_type));
		res->formats = ed_calloc(r->ncols, sizeof(int16_t));
		res->offs = ed_calloc((size_t)r->nrows + 1, sizeof(size_t));
		if (!res->names || !res->types || !res->formats || !res->offs)
			goto oom;
		for (uint32_t j = 0; j < r->ncols; j++) {
			if (!(res->names[j] = ed_strdup(r->names[j] ? r->names[j] : "?column?")))
				goto oom;
			res->types[j] = r->types[j];
			res->formats[j] = k->nresfmts == 0 ? 0 : k->resfmts[k->nresfmts == 1 ? 0 : j];
		}
	}
	for (uint32_t i = 0; i < r->nrows && res->ncols; i++) {
		res->offs[i] = res->rows.len;
		size_t pos = ed_pgw_begin(&res->rows, 'D');
		ed_buf_put_be16(&res->rows, (uint16_t)r->ncols);
		for (uint32_t j = 0; j < r->ncols; j++)
			ed_pgw_put_value(&res->rows, &r->rows[(size_t)i * r->ncols + j],
					 res->formats[j]);
		ed_pgw_end(&res->rows, pos);
	}
	if (res->ncols) {
		res->nrows = r->nrows;
		res->offs[r->nrows] = res->rows.len;
	}
	if (res->rows.err)
		goto oom;
	return 0;
oom:
	ed_sql_error_set(k->err, "", 0, UINT32_MAX, "53200", "out of memory");
	return ED_ENOMEM;
}

/* ---- running text ------------------------------------------------------------------------------ */

/* What run_text found. */
struct run {
	bool empty;                          /* no statement at all */
	char sub_view[ED_SQL_MAX_IDENT + 1]; /* SUBSCRIBE target ("" if none) */
	enum ed_sql_stmt_kind last_kind;
};

static bool txn_stmt(enum ed_sql_stmt_kind k)
{
	return k == ED_SQL_S_COMMIT || k == ED_SQL_S_ROLLBACK;
}

/* Run the statements of text[0..len) in order into sink; stop at the first
 * error (err filled, position relative to text) or at a SUBSCRIBE, which
 * must be the last statement and is left to the caller. */
static int run_text(struct pgw_conn *c, const char *text, size_t len, struct sink *k,
		    struct run *run, struct ed_sql_error *err)
{
	struct ed_arena a;
	struct ed_sql_stmt_list list;
	memset(run, 0, sizeof(*run));
	memset(err, 0, sizeof(*err));
	ed_arena_init(&a, 0);
	int rc = ed_sql_parse(&a, text, len, &list, err);
	if (rc)
		goto done;
	run->empty = list.n == 0;
	for (uint32_t i = 0; i < list.n && rc == 0; i++) {
		const struct ed_sql_stmt *st = list.v[i];
		run->last_kind = st->kind;
		if (c->txn == 'E' && !txn_stmt(st->kind)) {
			ed_sql_error_set(
				err, text, len, UINT32_MAX, "25P02",
				"current transaction is aborted, commands ignored until end of transaction block");
			rc = ED_EINVAL;
			break;
		}
		if (st->kind == ED_SQL_S_SUBSCRIBE) {
			if (i + 1 < list.n) {
				ed_sql_error_set(
					err, text, len, st->loc, "0A000",
					"SUBSCRIBE must be the last statement of a query string");
				rc = ED_EINVAL;
			} else if (st->u.name.n != 1) {
				ed_sql_error_set(err, text, len, st->u.name.loc, "42P01",
						 "SUBSCRIBE takes the name of a materialized view");
				rc = ED_EINVAL;
			} else {
				snprintf(run->sub_view, sizeof(run->sub_view), "%s",
					 st->u.name.parts[0]);
			}
			break;
		}
		k->err = err;
		int src = 0;
		if (pgw_shim(c, text, len, st, sink_result, k, err, &src)) {
			rc = src;
			continue;
		}
		const char *s = text + st->loc;
		rc = ed_session_execute(c->sess, s, st->text_len, sink_result, k, err);
		if (rc && err->pos)
			err->pos += ed_sql_char_pos(text, len, st->loc) - 1;
		if (rc && !err->sqlstate[0])
			ed_sql_error_set(err, text, len, UINT32_MAX, "XX000", "%s", ed_err_str(rc));
	}
done:
	ed_arena_fini(&a);
	return rc;
}

static void put_sql_error(struct pgw_conn *c, const struct ed_sql_error *err)
{
	ed_pgw_put_error(&c->out, 'E', "ERROR", err->sqlstate[0] ? err->sqlstate : "XX000",
			 err->pos, err->msg);
	if (c->txn == 'T')
		c->txn = 'E';
}

/* The columns of a view, for SUBSCRIBE's RowDescription. */
static int view_columns(struct pgw_conn *c, const char *view, struct pgw_result *cols,
			struct ed_sql_error *err)
{
	struct ed_buf q;
	ed_buf_init(&q);
	ed_buf_append(&q, "SELECT * FROM ", 14);
	ed_sql_print_ident(&q, view);
	ed_buf_append(&q, " LIMIT 0", 8);
	struct sink k = {c, cols, NULL, 0, err};
	int rc = q.err ? ED_ENOMEM
		       : ed_session_execute(c->sess, (const char *)q.data, q.len, sink_result, &k,
					    err);
	ed_buf_fini(&q);
	return rc;
}

/* RowDescription of SUBSCRIBE: op, then the view's columns. */
static int put_sub_description(struct pgw_conn *c, const struct pgw_result *cols,
			       const int16_t *formats)
{
	const char **names = ed_calloc(cols->ncols + 1, sizeof(char *));
	struct ed_type *types = ed_calloc(cols->ncols + 1, sizeof(struct ed_type));
	if (names && types) {
		names[0] = "op";
		types[0] = ed_type_make(ED_TYPE_TEXT);
		for (uint32_t i = 0; i < cols->ncols; i++) {
			names[i + 1] = cols->names[i];
			types[i + 1] = cols->types[i];
		}
		ed_pgw_put_row_description(&c->out, cols->ncols + 1, names, types, formats);
	}
	int rc = names && types ? 0 : ED_ENOMEM;
	ed_free(names);
	ed_free(types);
	return rc;
}

/* ---- simple query ------------------------------------------------------------------------------ */

static void simple_query(struct pgw_conn *c, const char *sql, size_t len)
{
	struct ed_sql_error err;
	struct run run;
	struct sink k = {c, NULL, NULL, 0, NULL};
	int rc = run_text(c, sql, len, &k, &run, &err);
	if (rc) {
		put_sql_error(c, &err);
	} else if (run.empty) {
		ed_pgw_put_empty(&c->out, 'I');
	} else if (run.sub_view[0]) {
		struct pgw_result cols = {0};
		rc = view_columns(c, run.sub_view, &cols, &err);
		if (rc == 0)
			rc = put_sub_description(c, &cols, NULL);
		if (rc == 0)
			rc = pgw_sub_start(c, run.sub_view, cols.ncols, NULL, false, &err);
		result_fini(&cols);
		if (rc == 0)
			return; /* ReadyForQuery comes when the subscription ends */
		put_sql_error(c, &err);
	}
	ed_pgw_put_ready(&c->out, c->txn);
}

/* ---- extended protocol ------------------------------------------------------------------------- */

static struct pgw_stmt *find_stmt(struct pgw_conn *c, const char *name)
{
	for (struct pgw_stmt *s = c->stmts; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static struct pgw_portal *find_portal(struct pgw_conn *c, const char *name)
{
	for (struct pgw_portal *p = c->portals; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static void stmt_free(struct pgw_stmt *s)
{
	if (!s)
		return;
	ed_free(s->name);
	ed_free(s->sql);
	ed_free(s->types);
	ed_free(s);
}

static void portal_free(struct pgw_portal *p)
{
	if (!p)
		return;
	ed_free(p->name);
	ed_free(p->sql);
	ed_free(p->resfmts);
	result_fini(&p->res);
	ed_free(p);
}

static void drop_stmt(struct pgw_conn *c, const char *name)
{
	for (struct pgw_stmt **pp = &c->stmts; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			struct pgw_stmt *s = *pp;
			*pp = s->next;
			stmt_free(s);
			return;
		}
}

static void drop_portal(struct pgw_conn *c, const char *name)
{
	for (struct pgw_portal **pp = &c->portals; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			struct pgw_portal *p = *pp;
			*pp = p->next;
			portal_free(p);
			return;
		}
}

void pgw_conn_free_statements(struct pgw_conn *c)
{
	while (c->stmts) {
		struct pgw_stmt *s = c->stmts;
		c->stmts = s->next;
		stmt_free(s);
	}
	while (c->portals) {
		struct pgw_portal *p = c->portals;
		c->portals = p->next;
		portal_free(p);
	}
}

/* An error in the extended protocol: report it and skip to Sync. */
static void ext_error(struct pgw_conn *c, const struct ed_sql_error *err)
{
	put_sql_error(c, err);
	c->skip_to_sync = true;
}

static void ext_fail(struct pgw_conn *c, const char *sqlstate, const char *fmt, const char *arg)
{
	struct ed_sql_error err;
	ed_sql_error_set(&err, "", 0, UINT32_MAX, sqlstate, fmt, arg);
	ext_error(c, &err);
}

static void handle_parse(struct pgw_conn *c, const struct ed_pgw_msg *m)
{
	const char *name = m->u.parse.name;
	if (name[0] && find_stmt(c, name)) {
		ext_fail(c, "42P05", "prepared statement \"%s\" already exists", name);
		return;
	}
	struct ed_arena a;
	struct ed_sql_stmt_list list;
	struct ed_sql_error err;
	ed_arena_init(&a, 0);
	int rc = ed_sql_parse(&a, m->u.parse.sql, m->u.parse.sqllen, &list, &err);
	if (rc == 0 && list.n > 1) {
		ed_sql_error_set(&err, m->u.parse.sql, m->u.parse.sqllen, list.v[1]->loc, "42601",
				 "cannot insert multiple commands into a prepared statement");
		rc = ED_EINVAL;
	}
	if (rc) {
		ed_arena_fini(&a);
		ext_error(c, &err);
		return;
	}
	uint32_t maxn = 0;
	ed_pgw_scan_params(m->u.parse.sql, m->u.parse.sqllen, NULL, NULL, &maxn);
	struct pgw_stmt *s = ed_calloc(1, sizeof(*s));
	if (s) {
		s->empty = list.n == 0;
		s->kind = list.n ? list.v[0]->kind : ED_SQL_S_SELECT;
		s->nparams = maxn > m->u.parse.ntypes ? maxn : m->u.parse.ntypes;
		s->name = ed_strdup(name);
		s->sql = ed_strndup(m->u.parse.sql, m->u.parse.sqllen);
		s->len = m->u.parse.sqllen;
		s->types = ed_calloc(s->nparams + 1, sizeof(uint32_t));
	}
	ed_arena_fini(&a);
	if (!s || !s->name || !s->sql || !s->types) {
		stmt_free(s);
		ext_fail(c, "53200", "out of memory%s", "");
		return;
	}
	for (uint32_t i = 0; i < m->u.parse.ntypes; i++)
		s->types[i] = m->u.parse.types[i];
	drop_stmt(c, name); /* the unnamed statement is replaced */
	s->next = c->stmts;
	c->stmts = s;
	ed_pgw_put_empty(&c->out, '1');
}

/* Substitution of Bind parameters into the statement text. */
struct subst {
	const struct pgw_stmt *stmt;
	const struct ed_pgw_msg *m;
	struct ed_buf *out;
	size_t copied;
	struct ed_sql_error *err;
};

static int subst_param(void *arg, size_t off, size_t len, uint32_t n)
{
	struct subst *s = arg;
	const struct ed_pgw_msg *m = s->m;
	ed_buf_append(s->out, s->stmt->sql + s->copied, off - s->copied);
	s->copied = off + len;
	int16_t fmt = m->u.bind.nfmts == 0 ? 0 : m->u.bind.fmts[m->u.bind.nfmts == 1 ? 0 : n - 1];
	char msg[160];
	int rc = ed_pgw_param_sql(s->stmt->types[n - 1], fmt, &m->u.bind.params[n - 1], s->out,
				  s->err->sqlstate, msg, sizeof(msg));
	if (rc == ED_EINVAL)
		snprintf(s->err->msg, sizeof(s->err->msg), "%s", msg);
	return rc;
}

static void handle_bind(struct pgw_conn *c, const struct ed_pgw_msg *m)
{
	const char *pname = m->u.bind.portal;
	struct pgw_stmt *st = find_stmt(c, m->u.bind.stmt);
	if (!st) {
		ext_fail(c, "26000", "prepared statement \"%s\" does not exist", m->u.bind.stmt);
		return;
	}
	if (m->u.bind.nparams != st->nparams) {
		char msg[200];
		snprintf(msg, sizeof(msg),
			 "bind message supplies %u parameters, but prepared statement \"%s\" requires %u",
			 m->u.bind.nparams, st->name, st->nparams);
		ext_fail(c, "08P01", "%s", msg);
		return;
	}
	if (m->u.bind.nfmts > 1 && m->u.bind.nfmts != m->u.bind.nparams) {
		ext_fail(c, "08P01", "bind message has %s parameter formats", "a wrong number of");
		return;
	}
	if (pname[0] && find_portal(c, pname)) {
		ext_fail(c, "42P03", "cursor \"%s\" already exists", pname);
		return;
	}
	struct ed_buf sql;
	struct ed_sql_error err;
	memset(&err, 0, sizeof(err));
	ed_buf_init(&sql);
	struct subst s = {st, m, &sql, 0, &err};
	uint32_t maxn;
	int rc = ed_pgw_scan_params(st->sql, st->len, subst_param, &s, &maxn);
	if (rc == 0) {
		ed_buf_append(&sql, st->sql + s.copied, st->len - s.copied);
		if (sql.err)
			rc = ED_ENOMEM;
	}
	if (rc) {
		ed_buf_fini(&sql);
		if (rc == ED_ENOMEM)
			ed_sql_error_set(&err, "", 0, UINT32_MAX, "53200", "out of memory");
		ext_error(c, &err);
		return;
	}
	struct pgw_portal *p = ed_calloc(1, sizeof(*p));
	if (p) {
		p->name = ed_strdup(pname);
		p->sql = ed_strndup((const char *)sql.data ? (const char *)sql.data : "", sql.len);
		p->len = sql.len;
		p->empty = st->empty;
		p->kind = st->kind;
		p->nresfmts = m->u.bind.nresfmts;
		p->resfmts = ed_calloc(m->u.bind.nresfmts + 1, sizeof(int16_t));
		if (p->resfmts && m->u.bind.nresfmts)
			memcpy(p->resfmts, m->u.bind.resfmts, m->u.bind.nresfmts * sizeof(int16_t));
	}
	ed_buf_fini(&sql);
	if (!p || !p->name || !p->sql || !p->resfmts) {
		portal_free(p);
		ext_fail(c, "53200", "out of memory%s", "");
		return;
	}
	drop_portal(c, pname);
	p->next = c->portals;
	c->portals = p;
	ed_pgw_put_empty(&c->out, '2');
}

static bool side_effect_free(enum ed_sql_stmt_kind k)
{
	return k == ED_SQL_S_SELECT || k == ED_SQL_S_SHOW_OBJECTS || k == ED_SQL_S_SHOW_VAR ||
	       k == ED_SQL_S_DESCRIBE || k == ED_SQL_S_EXPLAIN;
}

/* Execute a portal's statement into its result (once). */
static int portal_run(struct pgw_conn *c, struct pgw_portal *p, struct run *run,
		      struct ed_sql_error *err)
{
	struct sink k = {c, &p->res, p->resfmts, p->nresfmts, err};
	int rc = run_text(c, p->sql, p->len, &k, run, err);
	p->res.done = true;
	return rc;
}

/* SUBSCRIBE portal: its formats (op first) and view columns. */
static int sub_portal_columns(struct pgw_conn *c, struct pgw_portal *p, const char *view,
			      struct pgw_result *cols, int16_t **formats, struct ed_sql_error *err)
{
	int rc = view_columns(c, view, cols, err);
	if (rc)
		return rc;
	*formats = ed_calloc(cols->ncols + 1, sizeof(int16_t));
	if (!*formats) {
		ed_sql_error_set(err, "", 0, UINT32_MAX, "53200", "out of memory");
		return ED_ENOMEM;
	}
	if (p->nresfmts > 1 && p->nresfmts != cols->ncols + 1) {
		ed_sql_error_set(err, "", 0, UINT32_MAX, "08P01",
				 "bind message has %u result formats but query has %u columns",
				 p->nresfmts, cols->ncols + 1);
		return ED_EPROTO;
	}
	for (uint32_t i = 0; i <= cols->ncols; i++)
		(*formats)[i] = p->nresfmts == 0 ? 0 : p->resfmts[p->nresfmts == 1 ? 0 : i];
	return 0;
}

/* The SUBSCRIBE target of a portal's text ("" if it is not one). */
static void portal_sub_view(struct pgw_portal *p, char *view, size_t n)
{
	struct ed_arena a;
	struct ed_sql_stmt_list list;
	struct ed_sql_error err;
	view[0] = 0;
	ed_arena_init(&a, 0);
	if (ed_sql_parse(&a, p->sql, p->len, &list, &err) == 0 && list.n == 1 &&
	    list.v[0]->kind == ED_SQL_S_SUBSCRIBE && list.v[0]->u.name.n == 1)
		snprintf(view, n, "%s", list.v[0]->u.name.parts[0]);
	ed_arena_fini(&a);
}

static void describe_portal(struct pgw_conn *c, struct pgw_portal *p)
{
	struct ed_sql_error err;
	if (p->kind == ED_SQL_S_SUBSCRIBE) {
		char view[ED_SQL_MAX_IDENT + 1];
		struct pgw_result cols = {0};
		int16_t *formats = NULL;
		portal_sub_view(p, view, sizeof(view));
		int rc = sub_portal_columns(c, p, view, &cols, &formats, &err);
		if (rc == 0)
			put_sub_description(c, &cols, formats);
		else
			ext_error(c, &err);
		ed_free(formats);
		result_fini(&cols);
		return;
	}
	if (!p->empty && side_effect_free(p->kind) && !p->res.done) {
		struct run run;
		if (portal_run(c, p, &run, &err)) {
			ext_error(c, &err);
			return;
		}
	}
	if (p->res.ncols)
		ed_pgw_put_row_description(&c->out, p->res.ncols, (const char *const *)p->res.names,
					   p->res.types, p->res.formats);
	else
		ed_pgw_put_empty(&c->out, 'n');
}

static void describe_statement(struct pgw_conn *c, struct pgw_stmt *st)
{
	size_t pos = ed_pgw_begin(&c->out, 't');
	ed_buf_put_be16(&c->out, (uint16_t)st->nparams);
	for (uint32_t i = 0; i < st->nparams; i++)
		ed_buf_put_be32(&c->out, st->types[i] ? st->types[i] : ED_PGW_OID_TEXT);
	ed_pgw_end(&c->out, pos);
	if (st->empty || !(side_effect_free(st->kind) || st->kind == ED_SQL_S_SUBSCRIBE)) {
		ed_pgw_put_empty(&c->out, 'n');
		return;
	}
	/* Bind every parameter to NULL in a throwaway portal to learn the columns. */
	struct pgw_portal p;
	struct ed_buf sql;
	memset(&p, 0, sizeof(p));
	ed_buf_init(&sql);
	uint32_t maxn;
	struct ed_pgw_param nullp = {NULL, -1};
	struct ed_pgw_msg m;
	memset(&m, 0, sizeof(m));
	struct ed_pgw_param *params = st->nparams ? ed_calloc(st->nparams, sizeof(*params)) : NULL;
	for (uint32_t i = 0; params && i < st->nparams; i++)
		params[i] = nullp;
	m.u.bind.nparams = (uint16_t)st->nparams;
	m.u.bind.params = params;
	struct ed_sql_error err;
	memset(&err, 0, sizeof(err));
	struct subst s = {st, &m, &sql, 0, &err};
	int rc = st->nparams && !params
			 ? ED_ENOMEM
			 : ed_pgw_scan_params(st->sql, st->len, subst_param, &s, &maxn);
	ed_buf_append(&sql, st->sql + s.copied, st->len - s.copied);
	ed_free(params);
	p.sql = (char *)sql.data;
	p.len = sql.len;
	p.kind = st->kind;
	if (rc == 0 && !sql.err)
		describe_portal(c, &p);
	else
		ext_fail(c, "53200", "out of memory%s", "");
	result_fini(&p.res);
	ed_buf_fini(&sql);
}

static void handle_describe(struct pgw_conn *c, const struct ed_pgw_msg *m)
{
	const char *name = m->u.target.name;
	if (m->u.target.what == 'S') {
		struct pgw_stmt *st = find_stmt(c, name);
		if (!st)
			ext_fail(c, "26000", "prepared statement \"%s\" does not exist", name);
		else
			describe_statement(c, st);
		return;
	}
	struct pgw_portal *p = find_portal(c, name);
	if (!p)
		ext_fail(c, "34000", "portal \"%s\" does not exist", name);
	else
		describe_portal(c, p);
}

static void handle_execute(struct pgw_conn *c, const struct ed_pgw_msg *m)
{
	struct pgw_portal *p = find_portal(c, m->u.execute.portal);
	struct ed_sql_error err;
	if (!p) {
		ext_fail(c, "34000", "portal \"%s\" does not exist", m->u.execute.portal);
		return;
	}
	if (p->empty) {
		ed_pgw_put_empty(&c->out, 'I');
		return;
	}
	if (p->kind == ED_SQL_S_SUBSCRIBE) {
		char view[ED_SQL_MAX_IDENT + 1];
		struct pgw_result cols = {0};
		int16_t *formats = NULL;
		portal_sub_view(p, view, sizeof(view));
		int rc = c->txn == 'E' ? ED_EINVAL
				       : sub_portal_columns(c, p, view, &cols, &formats, &err);
		if (c->txn == 'E')
			ed_sql_error_set(
				&err, "", 0, UINT32_MAX, "25P02",
				"current transaction is aborted, commands ignored until end of transaction block");
		if (rc == 0)
			rc = pgw_sub_start(c, view, cols.ncols, formats, true, &err);
		ed_free(formats);
		result_fini(&cols);
		if (rc)
			ext_error(c, &err);
		return;
	}
	if (!p->res.done) {
		struct run run;
		if (portal_run(c, p, &run, &err)) {
			ext_error(c, &err);
			return;
		}
	}
	struct pgw_result *r = &p->res;
	if (r->ncols == 0) {
		ed_pgw_put_command_complete(&c->out, r->tag);
		return;
	}
	uint32_t left = r->nrows - r->sent;
	uint32_t n = m->u.execute.max_rows > 0 && (uint32_t)m->u.execute.max_rows < left
			     ? (uint32_t)m->u.execute.max_rows
			     : left;
	ed_buf_append(&c->out, r->rows.data + r->offs[r->sent],
		      r->offs[r->sent + n] - r->offs[r->sent]);
	r->sent += n;
	if (n < left) {
		ed_pgw_put_empty(&c->out, 's'); /* PortalSuspended */
		return;
	}
	char tag[64];
	if (strncmp(r->tag, "SELECT", 6) == 0)
		snprintf(tag, sizeof(tag), "SELECT %u", n);
	else
		snprintf(tag, sizeof(tag), "%s", r->tag);
	ed_pgw_put_command_complete(&c->out, tag);
}

static void handle_close(struct pgw_conn *c, const struct ed_pgw_msg *m)
{
	if (m->u.target.what == 'S')
		drop_stmt(c, m->u.target.name);
	else
		drop_portal(c, m->u.target.name);
	ed_pgw_put_empty(&c->out, '3');
}

static void handle_sync(struct pgw_conn *c)
{
	c->skip_to_sync = false;
	if (c->txn == 'I') {
		/* Portals live until the end of the (implicit) transaction. */
		while (c->portals) {
			struct pgw_portal *p = c->portals;
			c->portals = p->next;
			portal_free(p);
		}
	}
	ed_pgw_put_ready(&c->out, c->txn);
}

void pgw_query_message(struct pgw_conn *c, const struct ed_pgw_msg *m)
{
	if (c->skip_to_sync && m->type != 'S')
		return;
	switch (m->type) {
	case 'Q':
		simple_query(c, m->u.query.sql, m->u.query.len);
		break;
	case 'P':
		handle_parse(c, m);
		break;
	case 'B':
		handle_bind(c, m);
		break;
	case 'D':
		handle_describe(c, m);
		break;
	case 'E':
		handle_execute(c, m);
		break;
	case 'C':
		handle_close(c, m);
		break;
	case 'S':
		handle_sync(c);
		break;
	case 'H':
		pgw_flush(c);
		break;
	default:
		pgw_fatal(c, "08P01", "unexpected message in this state");
		break;
	}
}
