/* The binder: resolves an AST (ast.h) against the catalog into the bound
 * structures of plan.h. Names become column indexes with types, expressions
 * become typed ed_expr trees through the expr.h constructors (which resolve
 * operators, functions and implicit casts), window table functions add
 * window_start/window_end, aggregates are collected and resolved with agg.h,
 * WITH options are validated. Every error names the position of the AST node
 * at fault and a PostgreSQL SQLSTATE.
 *
 * Aggregate binding works like PostgreSQL's: an expression of the SELECT list
 * or HAVING that is textually equal to a GROUP BY expression (compared by
 * canonical SQL) reads that group key; an aggregate call binds its argument
 * over the scan and reads its result column; any other column reference there
 * is 42803. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "plan/catalog.h"
#include "plan/plan.h"

#define ST_UNDEFINED_COLUMN "42703"
#define ST_UNDEFINED_TABLE "42P01"
#define ST_GROUPING "42803"
#define ST_AMBIGUOUS "42702"
#define ST_WRONG_OBJECT "42809"
#define ST_INVALID_PARAM "22023"

enum bind_mode { MODE_SCAN, MODE_AGG, MODE_NOAGG };

struct bctx {
	struct ed_arena *a;
	const char *text;
	size_t len;
	struct ed_sql_error *err;
	const struct ed_schema *scope; /* columns expressions may name */
	const char *qual;              /* name or alias of the FROM item */
	enum bind_mode mode;
	struct ed_query *q; /* MODE_AGG: where aggregates go */
	uint32_t agg_cap;
	const struct ed_sql_expr *const *group_ast;
	int32_t ref;      /* scope index when the last bound expr is a plain column */
	int32_t win_cols; /* first window column in scope, -1 */
	bool win_ref;     /* a window column was referenced */
};

static int fail(struct bctx *c, uint32_t loc, const char *state, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct bctx *c, uint32_t loc, const char *state, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ed_sql_error_set(c->err, c->text, c->len, loc, state, "%s", msg);
	return strcmp(state, ED_SQLSTATE_OUT_OF_MEMORY) == 0 ? ED_ENOMEM : ED_EINVAL;
}

static int oom(struct bctx *c)
{
	return fail(c, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
}

static int expr_fail(struct bctx *c, uint32_t loc, const struct ed_expr_error *e)
{
	return fail(c, loc, e->sqlstate[0] ? e->sqlstate : "42804", "%s", e->message);
}

struct ed_type ed_bind_type(const struct ed_sql_type *t)
{
	struct ed_type r = ed_type_make(ED_TYPE_TEXT);
	switch (t->id) {
	case ED_SQL_T_BOOLEAN:
		r = ed_type_make(ED_TYPE_BOOL);
		break;
	case ED_SQL_T_SMALLINT:
		r = ed_type_make(ED_TYPE_INT16);
		break;
	case ED_SQL_T_INTEGER:
		r = ed_type_make(ED_TYPE_INT32);
		break;
	case ED_SQL_T_BIGINT:
		r = ed_type_make(ED_TYPE_INT64);
		break;
	case ED_SQL_T_REAL:
		r = ed_type_make(ED_TYPE_FLOAT32);
		break;
	case ED_SQL_T_DOUBLE:
		r = ed_type_make(ED_TYPE_FLOAT64);
		break;
	case ED_SQL_T_NUMERIC:
		r = ed_type_make(ED_TYPE_DECIMAL);
		if (t->p > 0)
			r.precision = (int16_t)(t->p > 38 ? 38 : t->p);
		r.scale = (int16_t)(t->s > 0 ? t->s : 0);
		if (t->p < 0 && t->s < 0)
			r.scale = 6; /* unconstrained NUMERIC: keep 6 fractional digits */
		break;
	case ED_SQL_T_VARCHAR:
		r.max_len = t->p;
		break;
	case ED_SQL_T_TIMESTAMP:
		r = ed_type_make(ED_TYPE_TIMESTAMP);
		break;
	case ED_SQL_T_TIMESTAMPTZ:
		r = ed_type_make(ED_TYPE_TIMESTAMPTZ);
		break;
	case ED_SQL_T_INTERVAL:
		r = ed_type_make(ED_TYPE_INTERVAL);
		break;
	}
	return r;
}

/* ---- options ---------------------------------------------------------------- */

static bool value_word(const struct ed_sql_value *v, const char *w)
{
	return v->text && (v->kind == ED_SQL_V_STRING || v->kind == ED_SQL_V_IDENT) &&
	       strcasecmp(v->text, w) == 0;
}

static int opt_string(struct bctx *c, const struct ed_sql_option *o, const char **out)
{
	if (o->value.kind != ED_SQL_V_STRING && o->value.kind != ED_SQL_V_IDENT)
		return fail(c, o->value.loc, ST_INVALID_PARAM, "option \"%s\" takes a string",
			    o->key);
	*out = ed_arena_strndup(c->a, o->value.text, strlen(o->value.text));
	return *out ? 0 : oom(c);
}

/* Durations: a number of milliseconds, or a string "500ms", "5s", "2m", "1h". */
static int opt_duration_ms(struct bctx *c, const struct ed_sql_option *o, int64_t *out)
{
	const char *s = o->value.text;
	char *end = NULL;
	double v = s ? strtod(s, &end) : -1;
	if (!s || end == s || v < 0)
		goto bad;
	while (*end == ' ')
		end++;
	double mult = 1;
	if (*end == 0 || strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0 || strcmp(end, "sec") == 0 || strcmp(end, "seconds") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0 || strcmp(end, "minutes") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0 || strcmp(end, "hours") == 0)
		mult = 3600000;
	else
		goto bad;
	*out = (int64_t)(v * mult);
	return 0;
bad:
	return fail(c, o->value.loc, ST_INVALID_PARAM,
		    "option \"%s\": expected a duration such as 500ms, 5s or 1m", o->key);
}

static int opt_int(struct bctx *c, const struct ed_sql_option *o, int64_t lo, int64_t hi, int64_t *out)
{
	char *end = NULL;
	long long v = o->value.text ? strtoll(o->value.text, &end, 10) : 0;
	if (!o->value.text || *end || v < lo || v > hi)
		return fail(c, o->value.loc, ST_INVALID_PARAM,
			    "option \"%s\" must be an integer in %lld..%lld", o->key, (long long)lo,
			    (long long)hi);
	*out = v;
	return 0;
}

static int opt_format(struct bctx *c, const struct ed_sql_option *o, enum ed_format *f)
{
	if (value_word(&o->value, "json"))
		*f = ED_FORMAT_JSON;
	else if (value_word(&o->value, "csv"))
		*f = ED_FORMAT_CSV;
	else
		return fail(c, o->value.loc, ST_INVALID_PARAM, "format must be json or csv");
	return 0;
}

static int interval_us(struct bctx *c, const struct ed_sql_expr *e, const char *what, int64_t *out)
{
	if (!e || e->kind != ED_SQL_E_INTERVAL)
		return fail(c, e ? e->loc : UINT32_MAX, ED_SQLSTATE_DATATYPE_MISMATCH,
			    "%s must be an INTERVAL literal", what);
	if (e->u.iv.months != 0)
		return fail(c, e->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    "%s must not use months or years (they have no fixed length)", what);
	*out = (int64_t)e->u.iv.days * 86400000000LL + e->u.iv.usec;
	return 0;
}

int ed_bind_source(struct ed_arena *arena, const struct ed_sql_stmt *stmt, const char *text,
		   size_t len, struct ed_schema *schema, struct ed_source_def *def,
		   struct ed_sql_error *err)
{
	struct bctx c = {.a = arena, .text = text, .len = len, .err = err};
	int rc = 0;
	uint32_t n = stmt->u.source.ncolumns;
	memset(def, 0, sizeof(*def));
	def->format = ED_FORMAT_JSON;
	def->startup = ED_STARTUP_EARLIEST;
	def->idle_timeout_ms = -1;
	def->time_col = -1;
	def->partitions = 1;
	def->csv_delim = ',';
	if (n == 0)
		return fail(&c, stmt->loc, ED_SQLSTATE_SYNTAX, "a source needs a column list");
	schema->n = n;
	schema->names = ed_arena_alloc(arena, n * sizeof(char *));
	schema->types = ed_arena_alloc(arena, n * sizeof(struct ed_type));
	if (!schema->names || !schema->types)
		return oom(&c);
	for (uint32_t i = 0; i < n; i++) {
		const struct ed_sql_column_def *cd = stmt->u.source.columns[i];
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(schema->names[j], cd->name) == 0)
				return fail(&c, cd->loc, "42701",
					    "column \"%s\" specified more than once", cd->name);
		schema->names[i] = ed_arena_strndup(arena, cd->name, strlen(cd->name));
		if (!schema->names[i])
			return oom(&c);
		schema->types[i] = ed_bind_type(&cd->type);
	}
	const struct ed_sql_watermark *wm = stmt->u.source.watermark;
	if (wm) {
		for (uint32_t i = 0; i < n; i++)
			if (strcmp(schema->names[i], wm->column) == 0)
				def->time_col = (int32_t)i;
		if (def->time_col < 0)
			return fail(&c, wm->loc, ST_UNDEFINED_COLUMN,
				    "column \"%s\" does not exist", wm->column);
		enum ed_type_id t = schema->types[def->time_col].id;
		if (t != ED_TYPE_TIMESTAMP && t != ED_TYPE_TIMESTAMPTZ)
			return fail(&c, wm->loc, ED_SQLSTATE_DATATYPE_MISMATCH,
				    "WATERMARK column \"%s\" must be TIMESTAMP or TIMESTAMPTZ",
				    wm->column);
		const struct ed_sql_expr *e = wm->expr;
		const struct ed_sql_expr *col = e;
		if (e->kind == ED_SQL_E_BINARY && e->u.bin.op == ED_SQL_OP_SUB) {
			col = e->u.bin.l;
			if ((rc = interval_us(&c, e->u.bin.r, "the watermark delay",
					      &def->wm_delay_us)))
				return rc;
			if (def->wm_delay_us < 0)
				return fail(&c, e->u.bin.r->loc, ST_INVALID_PARAM,
					    "the watermark delay must not be negative");
		}
		if (col->kind != ED_SQL_E_COLUMN || col->u.col.n != 1 ||
		    strcmp(col->u.col.parts[0], wm->column) != 0)
			return fail(&c, e->loc, ED_SQLSTATE_NOT_SUPPORTED,
				    "WATERMARK must be written \"%s\" or \"%s - INTERVAL '...'\"",
				    wm->column, wm->column);
	}
	for (uint32_t i = 0; i < stmt->u.source.noptions; i++) {
		const struct ed_sql_option *o = stmt->u.source.options[i];
		int64_t v;
		if (strcmp(o->key, "topic") == 0)
			rc = opt_string(&c, o, &def->topic);
		else if (strcmp(o->key, "format") == 0)
			rc = opt_format(&c, o, &def->format);
		else if (strcmp(o->key, "scan.startup.mode") == 0) {
			if (value_word(&o->value, "earliest"))
				def->startup = ED_STARTUP_EARLIEST;
			else if (value_word(&o->value, "latest"))
				def->startup = ED_STARTUP_LATEST;
			else
				rc = fail(&c, o->value.loc, ST_INVALID_PARAM,
					  "scan.startup.mode must be earliest or latest");
		} else if (strcmp(o->key, "late.events.topic") == 0)
			rc = opt_string(&c, o, &def->late_topic);
		else if (strcmp(o->key, "dead.letter.topic") == 0)
			rc = opt_string(&c, o, &def->dlq_topic);
		else if (strcmp(o->key, "idle.timeout") == 0)
			rc = opt_duration_ms(&c, o, &def->idle_timeout_ms);
		else if (strcmp(o->key, "partitions") == 0) {
			if (!(rc = opt_int(&c, o, 1, 100000, &v)))
				def->partitions = (int32_t)v;
		} else if (strcmp(o->key, "csv.delimiter") == 0) {
			const char *d = NULL;
			if (!(rc = opt_string(&c, o, &d))) {
				if (strlen(d) != 1)
					rc = fail(&c, o->value.loc, ST_INVALID_PARAM,
						  "csv.delimiter must be one character");
				else
					def->csv_delim = d[0];
			}
		} else if (strcmp(o->key, "csv.header") == 0)
			def->csv_header = value_word(&o->value, "true") ||
					  (o->value.text && strcmp(o->value.text, "true") == 0);
		else
			rc = fail(&c, o->loc, ST_INVALID_PARAM, "unknown source option \"%s\"",
				  o->key);
		if (rc)
			return rc;
	}
	if (!def->topic)
		return fail(&c, stmt->loc, ST_INVALID_PARAM, "a source needs WITH (topic = '...')");
	return 0;
}

int ed_bind_sink_options(struct ed_arena *arena, struct ed_sql_option **opts, uint32_t nopts,
			 const char *text, size_t len, struct ed_sink_def *def,
			 struct ed_sql_error *err)
{
	struct bctx c = {.a = arena, .text = text, .len = len, .err = err};
	int rc = 0;
	memset(def, 0, sizeof(*def));
	def->format = ED_FORMAT_JSON;
	def->partitions = 1;
	for (uint32_t i = 0; i < nopts && rc == 0; i++) {
		const struct ed_sql_option *o = opts[i];
		int64_t v;
		if (strcmp(o->key, "topic") == 0)
			rc = opt_string(&c, o, &def->topic);
		else if (strcmp(o->key, "format") == 0) {
			rc = opt_format(&c, o, &def->format);
			if (!rc && def->format != ED_FORMAT_JSON)
				rc = fail(&c, o->value.loc, ED_SQLSTATE_NOT_SUPPORTED,
					  "sinks write format json only");
		} else if (strcmp(o->key, "partitions") == 0) {
			if (!(rc = opt_int(&c, o, 1, 100000, &v)))
				def->partitions = (int32_t)v;
		} else
			rc = fail(&c, o->loc, ST_INVALID_PARAM, "unknown sink option \"%s\"", o->key);
	}
	if (rc == 0 && !def->topic)
		rc = fail(&c, UINT32_MAX, ST_INVALID_PARAM, "a sink needs WITH (topic = '...')");
	return rc;
}

/* ---- expressions ------------------------------------------------------------- */

static const char *ast_text(struct bctx *c, const struct ed_sql_expr *e)
{
	struct ed_buf b;
	ed_buf_init(&b);
	ed_sql_print_expr(&b, e, 0);
	const char *s = b.err ? NULL : ed_arena_strndup(c->a, (const char *)b.data, b.len);
	ed_buf_fini(&b);
	return s;
}

static int resolve_column(struct bctx *c, const struct ed_sql_expr *e, uint32_t *idx)
{
	const struct ed_sql_name *nm = &e->u.col;
	const char *col = nm->parts[0];
	if (nm->n == 2 && c->qual && strcmp(nm->parts[0], c->qual) == 0)
		col = nm->parts[1];
	else if (nm->n >= 2)
		return fail(c, e->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    "nested field \"%s.%s\": declare the field as a source column instead",
			    nm->parts[0], nm->parts[1]);
	if (!c->scope)
		return fail(c, e->loc, ST_UNDEFINED_COLUMN, "column \"%s\" does not exist", col);
	for (uint32_t i = 0; i < c->scope->n; i++)
		if (strcmp(c->scope->names[i], col) == 0) {
			*idx = i;
			return 0;
		}
	return fail(c, e->loc, ST_UNDEFINED_COLUMN, "column \"%s\" does not exist", col);
}

static struct ed_expr *bind(struct bctx *c, const struct ed_sql_expr *e, int *rc);

static struct ed_expr *mk_const(struct bctx *c, const struct ed_value *v, uint32_t loc, int *rc)
{
	struct ed_expr *x = ed_expr_const(c->a, v);
	if (!x)
		*rc = oom(c);
	(void)loc;
	return x;
}

static struct ed_expr *call(struct bctx *c, const char *name, struct ed_expr **args, uint32_t n,
			    uint32_t loc, int *rc)
{
	struct ed_expr_error xe = {.row = -1};
	struct ed_expr *x = ed_expr_call(c->a, name, args, n, &xe);
	if (!x)
		*rc = xe.sqlstate[0] ? expr_fail(c, loc, &xe) : oom(c);
	return x;
}

static struct ed_expr *negate(struct bctx *c, struct ed_expr *x, uint32_t loc, int *rc)
{
	if (!x)
		return NULL;
	return call(c, "not", &x, 1, loc, rc);
}

/* A string literal next to a typed operand takes that operand's type, as an
 * "unknown" literal does in PostgreSQL. */
static struct ed_expr *bind_against(struct bctx *c, const struct ed_sql_expr *e,
				    struct ed_expr *other, int *rc)
{
	if (e->kind == ED_SQL_E_STRING && other) {
		struct ed_type t = ed_expr_type(other);
		if (t.id != ED_TYPE_TEXT && t.id != ED_TYPE_NULL) {
			struct ed_value v;
			struct ed_expr_error xe = {.row = -1};
			if (ed_value_parse(e->u.str.s, e->u.str.len, t, c->a, &v, &xe) != 0) {
				*rc = expr_fail(c, e->loc, &xe);
				return NULL;
			}
			return mk_const(c, &v, e->loc, rc);
		}
	}
	return bind(c, e, rc);
}

static int group_match(struct bctx *c, const struct ed_sql_expr *e, uint32_t *g)
{
	if (c->mode != MODE_AGG || !c->q)
		return 0;
	const char *t = ast_text(c, e);
	if (!t)
		return ED_ENOMEM;
	for (uint32_t i = 0; i < c->q->ngroup; i++)
		if (c->q->group_text[i] && strcmp(c->q->group_text[i], t) == 0) {
			*g = i;
			return 1;
		}
	/* A bare column also matches a group key that is that column. */
	if (e->kind == ED_SQL_E_COLUMN) {
		const char *col = e->u.col.parts[e->u.col.n - 1];
		for (uint32_t i = 0; i < c->q->ngroup; i++)
			if (c->q->group_text[i] && strcmp(c->q->group_text[i], col) == 0) {
				*g = i;
				return 1;
			}
	}
	return 0;
}

static struct ed_expr *bind_agg(struct bctx *c, const struct ed_sql_expr *e, int *rc)
{
	struct ed_query *q = c->q;
	if (c->mode != MODE_AGG) {
		*rc = fail(c, e->loc, ST_GROUPING, "aggregate functions are not allowed here");
		return NULL;
	}
	if (e->u.func.over) {
		*rc = fail(c, e->loc, ED_SQLSTATE_NOT_SUPPORTED,
			   "OVER windows are not supported yet");
		return NULL;
	}
	const char *t = ast_text(c, e);
	if (!t) {
		*rc = oom(c);
		return NULL;
	}
	for (uint32_t i = 0; i < q->nagg; i++)
		if (strcmp(q->aggs[i].text, t) == 0)
			return ed_expr_column(c->a, q->ngroup + i, q->aggs[i].agg.result_type);
	if (e->u.func.nargs > 1) {
		*rc = fail(c, e->loc, "42883", "%s takes one argument", e->u.func.name);
		return NULL;
	}
	struct ed_expr *arg = NULL;
	if (e->u.func.nargs == 1) {
		enum bind_mode saved = c->mode;
		c->mode = MODE_SCAN;
		arg = bind(c, e->u.func.args[0], rc);
		c->mode = saved;
		if (!arg)
			return NULL;
	} else if (!e->u.func.star) {
		*rc = fail(c, e->loc, "42883", "%s needs an argument", e->u.func.name);
		return NULL;
	}
	if (q->nagg == c->agg_cap) {
		uint32_t cap = c->agg_cap ? c->agg_cap * 2 : 8;
		struct ed_agg_call *n = ed_arena_alloc(c->a, cap * sizeof(*n));
		if (!n) {
			*rc = oom(c);
			return NULL;
		}
		if (q->nagg)
			memcpy(n, q->aggs, q->nagg * sizeof(*n));
		q->aggs = n;
		c->agg_cap = cap;
	}
	struct ed_agg_call *ac = &q->aggs[q->nagg];
	memset(ac, 0, sizeof(*ac));
	struct ed_type at;
	if (arg)
		at = ed_expr_type(arg);
	struct ed_expr_error xe = {.row = -1};
	if (ed_agg_resolve(e->u.func.name, arg ? &at : NULL, e->u.func.distinct, &ac->agg, &xe) != 0) {
		*rc = xe.sqlstate[0] ? expr_fail(c, e->loc, &xe)
				     : fail(c, e->loc, "42883", "function %s does not exist",
					    e->u.func.name);
		return NULL;
	}
	ac->arg = arg;
	ac->text = t;
	q->nagg++;
	return ed_expr_column(c->a, q->ngroup + q->nagg - 1, ac->agg.result_type);
}

static struct ed_expr *bind_list(struct bctx *c, struct ed_sql_expr *const *v, uint32_t n,
				 struct ed_expr **out, struct ed_expr *against, int *rc)
{
	for (uint32_t i = 0; i < n; i++) {
		out[i] = against ? bind_against(c, v[i], against, rc) : bind(c, v[i], rc);
		if (!out[i])
			return NULL;
	}
	return out[0];
}

static struct ed_expr *bind(struct bctx *c, const struct ed_sql_expr *e, int *rc)
{
	struct ed_value v;
	memset(&v, 0, sizeof(v));
	c->ref = -1;
	uint32_t g;
	int m = group_match(c, e, &g);
	if (m < 0) {
		*rc = oom(c);
		return NULL;
	}
	if (m == 1) {
		c->ref = (int32_t)g;
		return ed_expr_column(c->a, g, c->q->agg.types[g]);
	}
	switch (e->kind) {
	case ED_SQL_E_NULL:
		v.type = ed_type_make(ED_TYPE_NULL);
		v.null = true;
		return mk_const(c, &v, e->loc, rc);
	case ED_SQL_E_BOOL:
		v.type = ed_type_make(ED_TYPE_BOOL);
		v.v.b = e->u.b;
		return mk_const(c, &v, e->loc, rc);
	case ED_SQL_E_INT:
		v.type = ed_type_make(e->u.i >= INT32_MIN && e->u.i <= INT32_MAX ? ED_TYPE_INT32
										 : ED_TYPE_INT64);
		v.v.i = e->u.i;
		return mk_const(c, &v, e->loc, rc);
	case ED_SQL_E_NUMERIC: {
		const char *s = e->u.text;
		struct ed_type t = ed_type_make(ED_TYPE_DECIMAL);
		const char *dot = strchr(s, '.');
		if (strpbrk(s, "eE"))
			t = ed_type_make(ED_TYPE_FLOAT64);
		else if (dot)
			t.scale = (int16_t)strlen(dot + 1);
		struct ed_expr_error xe = {.row = -1};
		if (ed_value_parse(s, strlen(s), t, c->a, &v, &xe) != 0) {
			*rc = expr_fail(c, e->loc, &xe);
			return NULL;
		}
		return mk_const(c, &v, e->loc, rc);
	}
	case ED_SQL_E_STRING:
		v.type = ed_type_make(ED_TYPE_TEXT);
		v.v.s.ptr = e->u.str.s;
		v.v.s.len = (uint32_t)e->u.str.len;
		return mk_const(c, &v, e->loc, rc);
	case ED_SQL_E_TIMESTAMP:
		v.type = ed_type_make(e->u.ts.tz ? ED_TYPE_TIMESTAMPTZ : ED_TYPE_TIMESTAMP);
		v.v.i = e->u.ts.usec;
		return mk_const(c, &v, e->loc, rc);
	case ED_SQL_E_INTERVAL:
		v.type = ed_type_make(ED_TYPE_INTERVAL);
		v.v.iv.months = e->u.iv.months;
		v.v.iv.days = e->u.iv.days;
		v.v.iv.usecs = e->u.iv.usec;
		return mk_const(c, &v, e->loc, rc);
	case ED_SQL_E_COLUMN: {
		uint32_t idx;
		if (c->mode == MODE_AGG) {
			*rc = fail(c, e->loc, ST_GROUPING,
				   "column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function",
				   e->u.col.parts[e->u.col.n - 1]);
			return NULL;
		}
		if ((*rc = resolve_column(c, e, &idx)))
			return NULL;
		if (c->win_cols >= 0 && (int32_t)idx >= c->win_cols)
			c->win_ref = true;
		struct ed_expr *x = ed_expr_column(c->a, idx, c->scope->types[idx]);
		if (!x)
			*rc = oom(c);
		c->ref = (int32_t)idx;
		return x;
	}
	case ED_SQL_E_PARAM: {
		struct ed_expr *x = ed_expr_param(c->a, e->u.param, ed_type_make(ED_TYPE_TEXT));
		if (!x)
			*rc = oom(c);
		return x;
	}
	case ED_SQL_E_UNARY: {
		struct ed_expr *a = bind(c, e->u.unary.arg, rc);
		c->ref = -1;
		return a ? call(c, e->u.unary.op == ED_SQL_OP_NEG ? "neg" : "not", &a, 1, e->loc, rc)
			 : NULL;
	}
	case ED_SQL_E_BINARY: {
		static const char *const names[] = {
			[ED_SQL_OP_ADD] = "+",   [ED_SQL_OP_SUB] = "-", [ED_SQL_OP_MUL] = "*",
			[ED_SQL_OP_DIV] = "/",   [ED_SQL_OP_MOD] = "%", [ED_SQL_OP_CONCAT] = "||",
			[ED_SQL_OP_EQ] = "=",    [ED_SQL_OP_NE] = "<>", [ED_SQL_OP_LT] = "<",
			[ED_SQL_OP_LE] = "<=",   [ED_SQL_OP_GT] = ">",  [ED_SQL_OP_GE] = ">=",
			[ED_SQL_OP_AND] = "and", [ED_SQL_OP_OR] = "or",
		};
		if (e->u.bin.op == ED_SQL_OP_JSON_GET || e->u.bin.op == ED_SQL_OP_JSON_GET_TEXT) {
			*rc = fail(c, e->loc, ED_SQLSTATE_NOT_SUPPORTED,
				   "JSON operators are not supported yet");
			return NULL;
		}
		struct ed_expr *a[2];
		const struct ed_sql_expr *l = e->u.bin.l, *r = e->u.bin.r;
		if (l->kind == ED_SQL_E_STRING && r->kind != ED_SQL_E_STRING) {
			if (!(a[1] = bind(c, r, rc)) || !(a[0] = bind_against(c, l, a[1], rc)))
				return NULL;
		} else {
			if (!(a[0] = bind(c, l, rc)) || !(a[1] = bind_against(c, r, a[0], rc)))
				return NULL;
		}
		c->ref = -1;
		return call(c, names[e->u.bin.op], a, 2, e->loc, rc);
	}
	case ED_SQL_E_IS: {
		struct ed_expr *a[2];
		if (!(a[0] = bind(c, e->u.is.arg, rc)))
			return NULL;
		struct ed_expr *x = NULL;
		bool neg = e->u.is.negated;
		switch (e->u.is.test) {
		case ED_SQL_IS_NULL:
		case ED_SQL_IS_UNKNOWN:
			x = call(c, neg ? "is_not_null" : "is_null", a, 1, e->loc, rc);
			neg = false;
			break;
		case ED_SQL_IS_TRUE:
			x = call(c, "is_true", a, 1, e->loc, rc);
			break;
		case ED_SQL_IS_FALSE:
			x = call(c, "is_false", a, 1, e->loc, rc);
			break;
		case ED_SQL_IS_DISTINCT_FROM:
			if (!(a[1] = bind_against(c, e->u.is.rhs, a[0], rc)))
				return NULL;
			x = call(c, "is_distinct_from", a, 2, e->loc, rc);
			break;
		}
		c->ref = -1;
		return neg ? negate(c, x, e->loc, rc) : x;
	}
	case ED_SQL_E_IN: {
		uint32_t n = e->u.in.n;
		struct ed_expr **a = ed_arena_alloc(c->a, (n + 1) * sizeof(*a));
		if (!a) {
			*rc = oom(c);
			return NULL;
		}
		if (!(a[0] = bind(c, e->u.in.arg, rc)) ||
		    !bind_list(c, e->u.in.list, n, a + 1, a[0], rc))
			return NULL;
		struct ed_expr *x = call(c, "in", a, n + 1, e->loc, rc);
		c->ref = -1;
		return e->u.in.negated ? negate(c, x, e->loc, rc) : x;
	}
	case ED_SQL_E_BETWEEN: {
		struct ed_expr *a[3];
		if (!(a[0] = bind(c, e->u.between.arg, rc)) ||
		    !(a[1] = bind_against(c, e->u.between.lo, a[0], rc)) ||
		    !(a[2] = bind_against(c, e->u.between.hi, a[0], rc)))
			return NULL;
		struct ed_expr *x = call(c, "between", a, 3, e->loc, rc);
		c->ref = -1;
		return e->u.between.negated ? negate(c, x, e->loc, rc) : x;
	}
	case ED_SQL_E_LIKE: {
		struct ed_expr *a[3];
		uint32_t n = 2;
		if (!(a[0] = bind(c, e->u.like.arg, rc)) || !(a[1] = bind(c, e->u.like.pattern, rc)))
			return NULL;
		if (e->u.like.escape) {
			if (!(a[2] = bind(c, e->u.like.escape, rc)))
				return NULL;
			n = 3;
		}
		struct ed_expr *x = call(c, e->u.like.ilike ? "ilike" : "like", a, n, e->loc, rc);
		c->ref = -1;
		return e->u.like.negated ? negate(c, x, e->loc, rc) : x;
	}
	case ED_SQL_E_CASE: {
		uint32_t n = e->u.kase.nwhens;
		struct ed_expr **w = ed_arena_alloc(c->a, n * sizeof(*w));
		struct ed_expr **t = ed_arena_alloc(c->a, n * sizeof(*t));
		struct ed_expr *operand = NULL, *els = NULL;
		if (!w || !t) {
			*rc = oom(c);
			return NULL;
		}
		if (e->u.kase.arg && !(operand = bind(c, e->u.kase.arg, rc)))
			return NULL;
		for (uint32_t i = 0; i < n; i++) {
			w[i] = operand ? bind_against(c, e->u.kase.whens[i]->cond, operand, rc)
				       : bind(c, e->u.kase.whens[i]->cond, rc);
			if (!w[i] || !(t[i] = bind(c, e->u.kase.whens[i]->result, rc)))
				return NULL;
		}
		if (e->u.kase.else_ && !(els = bind(c, e->u.kase.else_, rc)))
			return NULL;
		struct ed_expr_error xe = {.row = -1};
		struct ed_expr *x = ed_expr_case(c->a, operand, w, t, n, els, &xe);
		if (!x)
			*rc = xe.sqlstate[0] ? expr_fail(c, e->loc, &xe) : oom(c);
		c->ref = -1;
		return x;
	}
	case ED_SQL_E_CAST: {
		struct ed_type t = ed_bind_type(&e->u.cast.type);
		if (e->u.cast.arg->kind == ED_SQL_E_STRING) {
			struct ed_expr_error xe = {.row = -1};
			if (ed_value_parse(e->u.cast.arg->u.str.s, e->u.cast.arg->u.str.len, t,
					   c->a, &v, &xe)) {
				*rc = expr_fail(c, e->u.cast.arg->loc, &xe);
				return NULL;
			}
			c->ref = -1;
			return mk_const(c, &v, e->loc, rc);
		}
		struct ed_expr *a = bind(c, e->u.cast.arg, rc);
		if (!a)
			return NULL;
		struct ed_expr_error xe = {.row = -1};
		struct ed_expr *x = ed_expr_cast(c->a, a, t, &xe);
		if (!x)
			*rc = xe.sqlstate[0] ? expr_fail(c, e->loc, &xe) : oom(c);
		c->ref = -1;
		return x;
	}
	case ED_SQL_E_FUNC: {
		if (ed_agg_is_aggregate(e->u.func.name) && e->u.func.syntax == ED_SQL_CALL_PLAIN) {
			struct ed_expr *x = bind_agg(c, e, rc);
			c->ref = -1;
			return x;
		}
		if (e->u.func.over) {
			*rc = fail(c, e->loc, ED_SQLSTATE_NOT_SUPPORTED,
				   "OVER windows are not supported yet");
			return NULL;
		}
		uint32_t n = e->u.func.nargs;
		struct ed_expr **a = n ? ed_arena_alloc(c->a, n * sizeof(*a)) : NULL;
		if (n && !a) {
			*rc = oom(c);
			return NULL;
		}
		for (uint32_t i = 0; i < n; i++)
			if (!(a[i] = bind(c, e->u.func.args[i], rc)))
				return NULL;
		c->ref = -1;
		return call(c, e->u.func.name, a, n, e->loc, rc);
	}
	}
	*rc = fail(c, e->loc, ED_SQLSTATE_NOT_SUPPORTED, "expression not supported");
	return NULL;
}

static const char *target_name_ast(struct bctx *c, const struct ed_sql_target *t);

/* Names outlive the statement's AST: copied into the plan's arena. */
static const char *target_name(struct bctx *c, const struct ed_sql_target *t)
{
	const char *n = target_name_ast(c, t);
	return ed_arena_strndup(c->a, n, strlen(n));
}

static const char *target_name_ast(struct bctx *c, const struct ed_sql_target *t)
{
	if (t->alias)
		return t->alias;
	const struct ed_sql_expr *e = t->expr;
	if (e->kind == ED_SQL_E_COLUMN)
		return e->u.col.parts[e->u.col.n - 1];
	if (e->kind == ED_SQL_E_FUNC)
		return e->u.func.name;
	if (e->kind == ED_SQL_E_CAST && e->u.cast.arg->kind == ED_SQL_E_COLUMN)
		return e->u.cast.arg->u.col.parts[e->u.cast.arg->u.col.n - 1];
	(void)c;
	return "?column?";
}

static int alloc_schema(struct bctx *c, struct ed_schema *s, uint32_t n)
{
	s->n = n;
	s->names = ed_arena_alloc(c->a, (n ? n : 1) * sizeof(char *));
	s->types = ed_arena_alloc(c->a, (n ? n : 1) * sizeof(struct ed_type));
	return s->names && s->types ? 0 : oom(c);
}

/* Expand the SELECT list (with * and t.*) into expressions over the scope. */
static int bind_targets(struct bctx *c, const struct ed_sql_select *sel, struct ed_schema *out,
			struct ed_expr ***proj, const char ***texts, int32_t **refs)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < sel->ntargets; i++) {
		const struct ed_sql_target *t = sel->targets[i];
		if (t->star) {
			if (c->mode == MODE_AGG)
				return fail(c, t->loc, ST_GROUPING,
					    "SELECT * is not allowed with GROUP BY");
			if (t->star_qual && (!c->qual || strcmp(t->star_qual, c->qual) != 0))
				return fail(c, t->loc, ST_UNDEFINED_TABLE,
					    "missing FROM-clause entry for table \"%s\"",
					    t->star_qual);
			n += c->scope ? c->scope->n : 0;
		} else
			n++;
	}
	int rc = alloc_schema(c, out, n);
	if (rc)
		return rc;
	*proj = ed_arena_alloc(c->a, (n ? n : 1) * sizeof(**proj));
	*texts = ed_arena_alloc(c->a, (n ? n : 1) * sizeof(**texts));
	*refs = ed_arena_alloc(c->a, (n ? n : 1) * sizeof(**refs));
	if (!*proj || !*texts || !*refs)
		return oom(c);
	uint32_t k = 0;
	for (uint32_t i = 0; i < sel->ntargets; i++) {
		const struct ed_sql_target *t = sel->targets[i];
		if (t->star) {
			for (uint32_t j = 0; c->scope && j < c->scope->n; j++, k++) {
				(*proj)[k] = ed_expr_column(c->a, j, c->scope->types[j]);
				if (!(*proj)[k])
					return oom(c);
				out->names[k] = c->scope->names[j];
				out->types[k] = c->scope->types[j];
				(*texts)[k] = c->scope->names[j];
				(*refs)[k] = (int32_t)j;
			}
			continue;
		}
		(*proj)[k] = bind(c, t->expr, &rc);
		if (!(*proj)[k])
			return rc;
		(*refs)[k] = c->ref;
		if (!(out->names[k] = target_name(c, t)))
			return oom(c);
		out->types[k] = ed_expr_type((*proj)[k]);
		if (!((*texts)[k] = ast_text(c, t->expr)))
			return oom(c);
		for (uint32_t j = 0; j < k; j++)
			if (strcmp(out->names[j], out->names[k]) == 0)
				return fail(c, t->loc, "42701",
					    "column \"%s\" specified more than once (give it an alias)",
					    out->names[k]);
		k++;
	}
	return 0;
}

/* ---- continuous queries -------------------------------------------------------- */

static bool has_aggregate(const struct ed_sql_expr *e)
{
	if (!e)
		return false;
	switch (e->kind) {
	case ED_SQL_E_FUNC:
		if (e->u.func.syntax == ED_SQL_CALL_PLAIN && !e->u.func.over &&
		    ed_agg_is_aggregate(e->u.func.name))
			return true;
		for (uint32_t i = 0; i < e->u.func.nargs; i++)
			if (has_aggregate(e->u.func.args[i]))
				return true;
		return false;
	case ED_SQL_E_UNARY:
		return has_aggregate(e->u.unary.arg);
	case ED_SQL_E_BINARY:
		return has_aggregate(e->u.bin.l) || has_aggregate(e->u.bin.r);
	case ED_SQL_E_IS:
		return has_aggregate(e->u.is.arg) || has_aggregate(e->u.is.rhs);
	case ED_SQL_E_IN:
		for (uint32_t i = 0; i < e->u.in.n; i++)
			if (has_aggregate(e->u.in.list[i]))
				return true;
		return has_aggregate(e->u.in.arg);
	case ED_SQL_E_BETWEEN:
		return has_aggregate(e->u.between.arg) || has_aggregate(e->u.between.lo) ||
		       has_aggregate(e->u.between.hi);
	case ED_SQL_E_LIKE:
		return has_aggregate(e->u.like.arg) || has_aggregate(e->u.like.pattern);
	case ED_SQL_E_CASE:
		for (uint32_t i = 0; i < e->u.kase.nwhens; i++)
			if (has_aggregate(e->u.kase.whens[i]->cond) ||
			    has_aggregate(e->u.kase.whens[i]->result))
				return true;
		return has_aggregate(e->u.kase.arg) || has_aggregate(e->u.kase.else_);
	case ED_SQL_E_CAST:
		return has_aggregate(e->u.cast.arg);
	default:
		return false;
	}
}

static int bind_from(struct bctx *c, struct ed_catalog *cat, const struct ed_sql_select *sel,
		     struct ed_query *q)
{
	if (sel->nfrom != 1)
		return fail(c, sel->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    sel->nfrom ? "joins are not supported yet"
				       : "a continuous query needs a FROM clause");
	const struct ed_sql_from *f = sel->from[0];
	const struct ed_sql_name *tn = NULL;
	uint32_t tloc = f->loc;
	if (f->kind == ED_SQL_FROM_TABLE)
		tn = &f->u.table;
	else if (f->kind == ED_SQL_FROM_FUNC && f->u.func.tvf != ED_SQL_TVF_NONE) {
		if (f->u.func.nargs < 2 || f->u.func.args[0]->kind != ED_SQL_E_COLUMN ||
		    (f->u.func.args[1]->kind != ED_SQL_E_COLUMN &&
		     f->u.func.args[1]->kind != ED_SQL_E_FUNC))
			return fail(c, f->loc, ED_SQLSTATE_SYNTAX,
				    "%s(source, time_column, ...) expected", f->u.func.name);
		tn = &f->u.func.args[0]->u.col;
		tloc = f->u.func.args[0]->loc;
	} else
		return fail(c, f->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    f->kind == ED_SQL_FROM_JOIN ? "joins are not supported yet"
							: "this FROM item is not supported yet");
	if (tn->n != 1)
		return fail(c, tloc, ED_SQLSTATE_NOT_SUPPORTED,
			    "schema-qualified names are not supported");
	struct ed_catalog_obj *in = ed_catalog_find(cat, tn->parts[0]);
	if (!in)
		return fail(c, tloc, ST_UNDEFINED_TABLE, "relation \"%s\" does not exist",
			    tn->parts[0]);
	if (in->kind == ED_OBJ_SINK)
		return fail(c, tloc, ST_WRONG_OBJECT, "\"%s\" is a sink; it cannot be read",
			    in->name);
	q->input = in;
	q->input_is_view = in->kind == ED_OBJ_VIEW;
	q->in = in->schema;
	c->qual = f->alias ? f->alias : in->name;
	c->win_cols = -1;
	q->win_time_col = -1;
	uint32_t n = in->schema.n;
	if (f->kind == ED_SQL_FROM_FUNC) {
		enum ed_sql_window_tvf tvf = f->u.func.tvf;
		const struct ed_sql_expr *const *args = (const struct ed_sql_expr *const *)f->u.func.args;
		uint32_t na = f->u.func.nargs;
		int rc;
		if (args[1]->kind == ED_SQL_E_FUNC) {
			/* PROCTIME(): rows are stamped with the engine clock when
			 * the pipeline reads them; the clock closes windows. */
			if (strcmp(args[1]->u.func.name, "proctime") != 0 ||
			    args[1]->u.func.nargs != 0)
				return fail(c, args[1]->loc, ED_SQLSTATE_SYNTAX,
					    "%s(source, time_column | PROCTIME(), ...) expected",
					    f->u.func.name);
			if (in->kind != ED_OBJ_SOURCE)
				return fail(c, tloc, ED_SQLSTATE_NOT_SUPPORTED,
					    "processing-time windows over a materialized view are not supported yet");
			q->win_proctime = true;
			q->win_time_col = (int32_t)n; /* window_start in scan, the arrival time for SESSION */
		} else {
			if (in->kind != ED_OBJ_SOURCE || in->source.time_col < 0)
				return fail(c, tloc, ED_SQLSTATE_NOT_SUPPORTED,
					    "%s needs a source with a WATERMARK (\"%s\" has none): its windows would never "
					    "close (use PROCTIME() for processing-time windows)",
					    f->u.func.name, in->name);
			const struct ed_sql_name *tc = &args[1]->u.col;
			const char *tcol = tc->parts[tc->n - 1];
			for (uint32_t i = 0; i < n; i++)
				if (strcmp(in->schema.names[i], tcol) == 0)
					q->win_time_col = (int32_t)i;
			if (q->win_time_col < 0)
				return fail(c, args[1]->loc, ST_UNDEFINED_COLUMN,
					    "column \"%s\" does not exist", tcol);
			if (q->win_time_col != in->source.time_col)
				return fail(c, args[1]->loc, ED_SQLSTATE_NOT_SUPPORTED,
					    "windows must use the WATERMARK column \"%s\"",
					    in->schema.names[in->source.time_col]);
		}
		if (tvf == ED_SQL_TVF_TUMBLE) {
			if (na < 3 || na > 4)
				return fail(c, f->loc, ED_SQLSTATE_SYNTAX,
					    "TUMBLE(source, time_column, size [, offset])");
			q->win = ED_WIN_TUMBLE;
			if ((rc = interval_us(c, args[2], "the window size", &q->win_size_us)))
				return rc;
			if (na == 4 &&
			    (rc = interval_us(c, args[3], "the window offset", &q->win_offset_us)))
				return rc;
			q->win_slide_us = q->win_size_us;
		} else if (tvf == ED_SQL_TVF_HOP) {
			if (na < 4 || na > 5)
				return fail(c, f->loc, ED_SQLSTATE_SYNTAX,
					    "HOP(source, time_column, slide, size [, offset])");
			q->win = ED_WIN_HOP;
			if ((rc = interval_us(c, args[2], "the hop slide", &q->win_slide_us)) ||
			    (rc = interval_us(c, args[3], "the window size", &q->win_size_us)))
				return rc;
			if (na == 5 &&
			    (rc = interval_us(c, args[4], "the window offset", &q->win_offset_us)))
				return rc;
			if (q->win_slide_us > 0 && q->win_size_us / q->win_slide_us > 1000)
				return fail(c, f->loc, ED_SQLSTATE_NOT_SUPPORTED,
					    "a hop window may overlap at most 1000 others (size / slide)");
		} else {
			if (na != 3)
				return fail(c, f->loc, ED_SQLSTATE_SYNTAX,
					    "SESSION(source, time_column, gap)");
			q->win = ED_WIN_SESSION;
			if ((rc = interval_us(c, args[2], "the session gap", &q->win_gap_us)))
				return rc;
		}
		if ((q->win == ED_WIN_SESSION ? q->win_gap_us : q->win_size_us) <= 0 ||
		    (q->win == ED_WIN_HOP && q->win_slide_us <= 0))
			return fail(c, args[2]->loc, ST_INVALID_PARAM,
				    "window sizes must be positive");
		if (q->win_offset_us < 0 ||
		    (q->win != ED_WIN_SESSION && q->win_offset_us >= q->win_slide_us))
			return fail(c, f->loc, ST_INVALID_PARAM,
				    "the window offset must be in [0, slide)");
		if ((rc = alloc_schema(c, &q->scan, n + 2)))
			return rc;
		memcpy(q->scan.names, in->schema.names, n * sizeof(char *));
		memcpy(q->scan.types, in->schema.types, n * sizeof(struct ed_type));
		q->scan.names[n] = "window_start";
		q->scan.names[n + 1] = "window_end";
		if (q->win_proctime)
			q->scan.types[n] = q->scan.types[n + 1] = (struct ed_type){
				.id = ED_TYPE_TIMESTAMPTZ};
		else
			q->scan.types[n] = q->scan.types[n + 1] = in->schema.types[q->win_time_col];
		c->win_cols = (int32_t)n;
	} else
		q->scan = in->schema;
	return 0;
}

int ed_bind_query(struct ed_arena *arena, struct ed_catalog *cat, const struct ed_sql_select *sel,
		  const char *text, size_t len, struct ed_query *q, struct ed_sql_error *err)
{
	struct bctx c = {.a = arena, .text = text, .len = len, .err = err, .win_cols = -1, .ref = -1};
	int rc;
	memset(q, 0, sizeof(*q));
	q->group_win_end = q->group_win_start = -1;
	if (sel->distinct)
		return fail(&c, sel->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    "SELECT DISTINCT in a continuous query is not supported yet (use GROUP BY)");
	if (sel->norder || sel->limit || sel->offset)
		return fail(&c, sel->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    "ORDER BY, LIMIT and OFFSET apply to pull queries, not to continuous ones");
	if ((rc = bind_from(&c, cat, sel, q)))
		return rc;
	c.scope = &q->scan;
	c.mode = MODE_SCAN;
	if (sel->where) {
		if (!(q->where = bind(&c, sel->where, &rc)))
			return rc;
		if (c.win_ref && q->win == ED_WIN_SESSION)
			return fail(&c, sel->where->loc, ED_SQLSTATE_NOT_SUPPORTED,
				    "session window bounds are not known in WHERE");
		if (ed_expr_type(q->where).id != ED_TYPE_BOOL &&
		    ed_expr_type(q->where).id != ED_TYPE_NULL)
			return fail(&c, sel->where->loc, ED_SQLSTATE_DATATYPE_MISMATCH,
				    "argument of WHERE must be type boolean");
		q->where_text = ast_text(&c, sel->where);
	}
	/* Is this an aggregation? */
	bool has_agg = sel->ngroup > 0 || sel->having;
	for (uint32_t i = 0; i < sel->ntargets && !has_agg; i++)
		has_agg = sel->targets[i]->expr && has_aggregate(sel->targets[i]->expr);
	q->aggregate = has_agg;
	if (q->win == ED_WIN_SESSION && !has_agg)
		return fail(&c, sel->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    "SESSION windows need GROUP BY window_start, window_end");
	if (has_agg) {
		q->ngroup = sel->ngroup;
		q->group = ed_arena_alloc(arena, (q->ngroup + 1) * sizeof(*q->group));
		q->group_text = ed_arena_alloc(arena, (q->ngroup + 1) * sizeof(*q->group_text));
		if (!q->group || !q->group_text)
			return oom(&c);
		for (uint32_t i = 0; i < q->ngroup; i++) {
			const struct ed_sql_expr *ge = sel->group[i];
			if (ge->kind == ED_SQL_E_INT) {
				if (ge->u.i < 1 || ge->u.i > (int64_t)sel->ntargets ||
				    !sel->targets[ge->u.i - 1]->expr)
					return fail(&c, ge->loc, "42P10",
						    "GROUP BY position %lld is not in select list",
						    (long long)ge->u.i);
				ge = sel->targets[ge->u.i - 1]->expr;
			}
			if (!(q->group[i] = bind(&c, ge, &rc)))
				return rc;
			if (c.win_cols >= 0 && c.ref == c.win_cols)
				q->group_win_start = (int32_t)i;
			if (c.win_cols >= 0 && c.ref == c.win_cols + 1)
				q->group_win_end = (int32_t)i;
			q->group_text[i] =
				ge->kind == ED_SQL_E_COLUMN
					? ed_arena_strndup(arena, ge->u.col.parts[ge->u.col.n - 1],
							   strlen(ge->u.col.parts[ge->u.col.n - 1]))
					: ast_text(&c, ge);
			if (!q->group_text[i])
				return oom(&c);
		}
		if (q->win == ED_WIN_SESSION && c.win_ref && q->where)
			return fail(&c, sel->loc, ED_SQLSTATE_NOT_SUPPORTED,
				    "session window bounds are not known in WHERE");
		if (q->win != ED_WIN_NONE && q->group_win_start < 0 && q->group_win_end < 0)
			return fail(&c, sel->loc, ED_SQLSTATE_NOT_SUPPORTED,
				    "a windowed aggregation must GROUP BY window_start or window_end");
		/* The agg schema: group keys then aggregates (filled as found). */
		if ((rc = alloc_schema(&c, &q->agg, q->ngroup + 64)))
			return rc;
		for (uint32_t i = 0; i < q->ngroup; i++) {
			q->agg.names[i] = q->group_text[i];
			q->agg.types[i] = ed_expr_type(q->group[i]);
		}
		q->agg.n = q->ngroup;
		c.mode = MODE_AGG;
		c.q = q;
	} else
		c.mode = MODE_NOAGG;
	int32_t *refs;
	if ((rc = bind_targets(&c, sel, &q->out, &q->proj, &q->proj_text, &refs)))
		return rc;
	if (has_agg && sel->having) {
		if (!(q->having = bind(&c, sel->having, &rc)))
			return rc;
		q->having_text = ast_text(&c, sel->having);
	}
	if (has_agg) {
		if (q->nagg > 64)
			return fail(&c, sel->loc, ED_SQLSTATE_TOO_COMPLEX,
				    "at most 64 aggregates per query");
		for (uint32_t i = 0; i < q->nagg; i++) {
			q->agg.names[q->ngroup + i] = q->aggs[i].agg.name;
			q->agg.types[q->ngroup + i] = q->aggs[i].agg.result_type;
		}
		q->agg.n = q->ngroup + q->nagg;
		if (q->win == ED_WIN_NONE)
			for (uint32_t i = 0; i < q->nagg; i++)
				if (q->input_is_view && !q->input->append_only &&
				    !q->aggs[i].agg.retractable)
					return fail(&c, sel->loc, ED_SQLSTATE_NOT_SUPPORTED,
						    "%s cannot retract rows; it cannot read the updating view \"%s\"",
						    q->aggs[i].agg.name, q->input->name);
		/* Primary key: every group key projected as a plain column. */
		q->key = ed_arena_alloc(arena, (q->ngroup + 1) * sizeof(uint32_t));
		if (!q->key)
			return oom(&c);
		uint32_t nk = 0;
		for (uint32_t g = 0; g < q->ngroup; g++) {
			int32_t found = -1;
			for (uint32_t k = 0; k < q->out.n && found < 0; k++)
				if (refs[k] == (int32_t)g)
					found = (int32_t)k;
			if (found < 0) {
				nk = 0;
				break;
			}
			q->key[nk++] = (uint32_t)found;
		}
		q->nkey = q->ngroup ? nk : 0;
		q->append_only = q->win != ED_WIN_NONE;
	} else {
		q->append_only = !q->input_is_view || q->input->append_only;
	}
	return 0;
}

/* ---- pull queries ------------------------------------------------------------- */

static int const_int(struct bctx *c, const struct ed_sql_expr *e, const char *what, int64_t *out)
{
	if (e->kind != ED_SQL_E_INT || e->u.i < 0)
		return fail(c, e->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    "%s must be a non-negative integer literal", what);
	*out = e->u.i;
	return 0;
}

static void find_lookup(struct bctx *c, const struct ed_sql_expr *e, struct ed_pull *q, bool *have)
{
	if (e->kind == ED_SQL_E_BINARY && e->u.bin.op == ED_SQL_OP_AND) {
		find_lookup(c, e->u.bin.l, q, have);
		find_lookup(c, e->u.bin.r, q, have);
		return;
	}
	if (e->kind != ED_SQL_E_BINARY || e->u.bin.op != ED_SQL_OP_EQ)
		return;
	const struct ed_sql_expr *col = e->u.bin.l, *val = e->u.bin.r;
	if (col->kind != ED_SQL_E_COLUMN) {
		col = e->u.bin.r;
		val = e->u.bin.l;
	}
	if (col->kind != ED_SQL_E_COLUMN || val->kind == ED_SQL_E_COLUMN ||
	    val->kind == ED_SQL_E_PARAM)
		return;
	uint32_t idx;
	struct ed_sql_error saved = *c->err;
	if (resolve_column(c, col, &idx) != 0) {
		*c->err = saved;
		return;
	}
	const struct ed_catalog_obj *v = q->view;
	for (uint32_t k = 0; k < v->nkey; k++) {
		if (v->key[k] != idx)
			continue;
		int rc = 0;
		struct ed_expr *colx = ed_expr_column(c->a, idx, q->in.types[idx]);
		struct ed_expr *x = colx ? bind_against(c, val, colx, &rc) : NULL;
		struct ed_expr_error xe = {.row = -1};
		struct ed_value folded, cast;
		if (!x || !ed_expr_is_const(x) || ed_expr_fold(x, c->a, &folded, &xe) != 0 ||
		    ed_value_cast(&folded, q->in.types[idx], c->a, &cast, &xe) != 0) {
			*c->err = saved;
			return;
		}
		q->lookup[k] = cast;
		have[k] = true;
	}
}

static int bind_limits(struct bctx *c, const struct ed_sql_select *sel, struct ed_pull *q)
{
	int rc;
	if (sel->limit && (rc = const_int(c, sel->limit, "LIMIT", &q->limit)))
		return rc;
	if (sel->offset && (rc = const_int(c, sel->offset, "OFFSET", &q->offset)))
		return rc;
	return 0;
}

static int alloc_order(struct bctx *c, const struct ed_sql_select *sel, struct ed_pull *q)
{
	q->norder = sel->norder;
	q->order = ed_arena_alloc(c->a, (q->norder + 1) * sizeof(*q->order));
	q->desc = ed_arena_alloc(c->a, (q->norder + 1) * sizeof(bool));
	q->nulls_first = ed_arena_alloc(c->a, (q->norder + 1) * sizeof(bool));
	return q->order && q->desc && q->nulls_first ? 0 : oom(c);
}

/* A pull query with GROUP BY, HAVING, aggregates or DISTINCT: the SELECT
 * without ORDER BY/LIMIT/OFFSET is bound as a continuous query over the
 * view (q->agg; the engine runs its operators over the view's rows once),
 * DISTINCT as GROUP BY of every target. ORDER BY then sorts the aggregated
 * rows: by output name, position, an expression written as in the SELECT
 * list, or an expression over the output columns. */
static int bind_pull_grouped(struct bctx *c, struct ed_catalog *cat,
			     const struct ed_sql_select *sel, struct ed_pull *q)
{
	int rc;
	if (sel->nfrom != 1)
		return fail(c, sel->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    "an aggregating pull query needs FROM view");
	const struct ed_sql_from *f = sel->from[0];
	const struct ed_sql_name *tn = &f->u.table;
	struct ed_catalog_obj *v = tn->n == 1 ? ed_catalog_find(cat, tn->parts[0]) : NULL;
	if (!v)
		return fail(c, f->loc, ST_UNDEFINED_TABLE, "relation \"%s\" does not exist",
			    tn->parts[tn->n - 1]);
	if (v->kind != ED_OBJ_VIEW)
		return fail(c, f->loc, ST_WRONG_OBJECT,
			    "\"%s\" is a %s: pull queries read materialized views (create one over it)",
			    v->name, ed_obj_kind_name(v->kind));
	struct ed_sql_select s2 = *sel;
	s2.norder = 0;
	s2.order = NULL;
	s2.limit = s2.offset = NULL;
	s2.distinct = false;
	if (sel->distinct) {
		if (sel->ngroup || sel->having)
			return fail(c, sel->loc, ED_SQLSTATE_NOT_SUPPORTED,
				    "SELECT DISTINCT with GROUP BY or HAVING is not supported");
		s2.ngroup = sel->ntargets;
		s2.group = ed_arena_alloc(c->a, (sel->ntargets + 1) * sizeof(*s2.group));
		if (!s2.group)
			return oom(c);
		for (uint32_t i = 0; i < sel->ntargets; i++) {
			if (!sel->targets[i]->expr)
				return fail(c, sel->targets[i]->loc, ED_SQLSTATE_NOT_SUPPORTED,
					    "SELECT DISTINCT * is not supported");
			if (has_aggregate(sel->targets[i]->expr))
				return fail(c, sel->targets[i]->loc, ED_SQLSTATE_NOT_SUPPORTED,
					    "SELECT DISTINCT with aggregates is not supported");
			s2.group[i] = sel->targets[i]->expr;
		}
	}
	struct ed_query *aq = ed_arena_alloc(c->a, sizeof(*aq));
	if (!aq)
		return oom(c);
	if ((rc = ed_bind_query(c->a, cat, &s2, c->text, c->len, aq, c->err)))
		return rc;
	q->agg = aq;
	q->view = v;
	q->in = aq->out;
	q->out = aq->out;
	q->proj = ed_arena_alloc(c->a, (q->out.n + 1) * sizeof(*q->proj));
	if (!q->proj)
		return oom(c);
	for (uint32_t k = 0; k < q->out.n; k++)
		if (!(q->proj[k] = ed_expr_column(c->a, k, q->out.types[k])))
			return oom(c);
	if ((rc = alloc_order(c, sel, q)))
		return rc;
	c->scope = &q->out;
	c->qual = NULL;
	c->mode = MODE_NOAGG;
	for (uint32_t i = 0; i < q->norder; i++) {
		const struct ed_sql_order_item *o = sel->order[i];
		const struct ed_sql_expr *e = o->expr;
		q->desc[i] = o->desc;
		q->nulls_first[i] = o->nulls == ED_SQL_NULLS_FIRST ||
				    (o->nulls == ED_SQL_NULLS_DEFAULT && o->desc);
		if (e->kind == ED_SQL_E_INT) {
			if (e->u.i < 1 || e->u.i > (int64_t)q->out.n)
				return fail(c, e->loc, "42P10",
					    "ORDER BY position %lld is not in select list",
					    (long long)e->u.i);
			q->order[i] = q->proj[e->u.i - 1];
			continue;
		}
		const char *et = ast_text(c, e);
		if (!et)
			return oom(c);
		int32_t found = -1;
		for (uint32_t k = 0; k < q->out.n && found < 0; k++)
			if (strcmp(q->out.names[k], et) == 0 || strcmp(aq->proj_text[k], et) == 0)
				found = (int32_t)k;
		if (found >= 0) {
			q->order[i] = q->proj[found];
			continue;
		}
		if (!(q->order[i] = bind(c, e, &rc)))
			return rc;
	}
	return bind_limits(c, sel, q);
}

int ed_bind_pull(struct ed_arena *arena, struct ed_catalog *cat, const struct ed_sql_select *sel,
		 const char *text, size_t len, struct ed_pull *q, struct ed_sql_error *err)
{
	struct bctx c = {.a = arena, .text = text, .len = len, .err = err, .win_cols = -1, .ref = -1};
	int rc;
	memset(q, 0, sizeof(*q));
	q->limit = -1;
	if (sel->nfrom > 1 || (sel->nfrom == 1 && sel->from[0]->kind != ED_SQL_FROM_TABLE))
		return fail(&c, sel->from[0]->loc, ED_SQLSTATE_NOT_SUPPORTED,
			    "a pull query reads one materialized view (joins, subqueries and window functions run in CREATE MATERIALIZED VIEW)");
	bool grouped = sel->ngroup || sel->having || sel->distinct;
	for (uint32_t i = 0; i < sel->ntargets && !grouped; i++)
		grouped = sel->targets[i]->expr && has_aggregate(sel->targets[i]->expr);
	if (grouped)
		return bind_pull_grouped(&c, cat, sel, q);
	if (sel->nfrom == 1) {
		const struct ed_sql_from *f = sel->from[0];
		const struct ed_sql_name *tn = &f->u.table;
		struct ed_catalog_obj *v = tn->n == 1 ? ed_catalog_find(cat, tn->parts[0]) : NULL;
		if (!v)
			return fail(&c, f->loc, ST_UNDEFINED_TABLE,
				    "relation \"%s\" does not exist", tn->parts[tn->n - 1]);
		if (v->kind != ED_OBJ_VIEW)
			return fail(&c, f->loc, ST_WRONG_OBJECT,
				    "\"%s\" is a %s: pull queries read materialized views (create one over it)",
				    v->name, ed_obj_kind_name(v->kind));
		q->view = v;
		q->in = v->schema;
		c.scope = &q->in;
		c.qual = f->alias ? f->alias : v->name;
	}
	c.mode = MODE_NOAGG;
	if (sel->where) {
		if (!q->view)
			return fail(&c, sel->where->loc, ED_SQLSTATE_NOT_SUPPORTED,
				    "WHERE needs a FROM clause");
		if (!(q->where = bind(&c, sel->where, &rc)))
			return rc;
		if (ed_expr_type(q->where).id != ED_TYPE_BOOL &&
		    ed_expr_type(q->where).id != ED_TYPE_NULL)
			return fail(&c, sel->where->loc, ED_SQLSTATE_DATATYPE_MISMATCH,
				    "argument of WHERE must be type boolean");
		if (q->view->nkey) {
			bool have[64] = {0};
			q->lookup = ed_arena_alloc(arena, q->view->nkey * sizeof(struct ed_value));
			if (!q->lookup)
				return oom(&c);
			if (q->view->nkey <= 64)
				find_lookup(&c, sel->where, q, have);
			for (uint32_t k = 0; k < q->view->nkey; k++)
				if (k >= 64 || !have[k])
					q->lookup = NULL;
		}
	}
	const char **texts;
	int32_t *refs;
	if ((rc = bind_targets(&c, sel, &q->out, &q->proj, &texts, &refs)))
		return rc;
	if ((rc = alloc_order(&c, sel, q)))
		return rc;
	for (uint32_t i = 0; i < q->norder; i++) {
		const struct ed_sql_order_item *o = sel->order[i];
		const struct ed_sql_expr *e = o->expr;
		q->desc[i] = o->desc;
		q->nulls_first[i] = o->nulls == ED_SQL_NULLS_FIRST ||
				    (o->nulls == ED_SQL_NULLS_DEFAULT && o->desc);
		if (e->kind == ED_SQL_E_INT) {
			if (e->u.i < 1 || e->u.i > (int64_t)q->out.n)
				return fail(&c, e->loc, "42P10",
					    "ORDER BY position %lld is not in select list",
					    (long long)e->u.i);
			q->order[i] = q->proj[e->u.i - 1];
			continue;
		}
		if (e->kind == ED_SQL_E_COLUMN && e->u.col.n == 1) {
			int32_t found = -1;
			for (uint32_t k = 0; k < q->out.n; k++)
				if (strcmp(q->out.names[k], e->u.col.parts[0]) == 0)
					found = (int32_t)k;
			if (found >= 0) {
				q->order[i] = q->proj[found];
				continue;
			}
		}
		if (!(q->order[i] = bind(&c, e, &rc)))
			return rc;
	}
	return bind_limits(&c, sel, q);
}
