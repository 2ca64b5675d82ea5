/* Expression trees (expr.h): constructors with overload resolution and
 * implicit casts, constant folding, the chunk-at-a-time evaluator, EXPLAIN
 * rendering, and value casts/parsing built on the same kernels.
 *
 * Resolution (PostgreSQL's rules, simplified; docs/SQL.md "Type rules"):
 *  1. Special forms (AND, OR, NOT, IS ..., IN, BETWEEN, COALESCE, NULLIF,
 *     CASE, LIKE, ||) resolve their own argument types; forms that compare
 *     values bring them to a common type first (ed_expr_common_type).
 *  2. Every other operator or function is looked up by name in the tables
 *     (expr_ops.c, func_*.c). A candidate fits if each argument casts
 *     implicitly to its parameter type; its cost is the sum of the cast
 *     costs (ed_cast_cost). The cheapest wins, ties going to the earlier
 *     entry. A text constant (a quoted literal) casts to any type, as
 *     PostgreSQL's "unknown" literals do; the cast happens at bind time.
 *  3. A call whose arguments are all constants and which is not volatile is
 *     folded to a constant; if folding fails (1/0) the call is kept and the
 *     error happens only for rows that evaluate it.
 *
 * Evaluation: a node's arguments are evaluated first (column references are
 * used in place, constants are broadcast once), then a kernel computes the
 * rows that are selected and have no NULL argument. Scratch vectors are
 * allocated on the first evaluation from the construction arena and reused. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "exec/exec_int.h"
#include "exec/expr.h"

int ed_expr_fail(struct ed_expr_error *err, int32_t row, const char *sqlstate, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		memcpy(err->sqlstate, sqlstate, 5);
		err->sqlstate[5] = 0;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof err->message, fmt, ap);
		va_end(ap);
		err->row = row;
	}
	if (strcmp(sqlstate, "22003") == 0 || strcmp(sqlstate, "22008") == 0 ||
	    strcmp(sqlstate, "22015") == 0)
		return ED_ERANGE;
	if (strcmp(sqlstate, "53200") == 0)
		return ED_ENOMEM;
	if (strcmp(sqlstate, "42883") == 0)
		return ED_ENOENT;
	return ED_EINVAL;
}

static struct ed_expr *node_new(struct ed_arena *a, enum ed_expr_kind kind, struct ed_type t)
{
	struct ed_expr *e = ed_arena_alloc(a, sizeof *e);
	if (!e)
		return NULL;
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->type = t;
	e->arena = a;
	return e;
}

/* Puts v into e->cell and makes e->one a one-row vector over it. */
static void set_cell(struct ed_expr *e, const struct ed_value *v)
{
	memset(&e->cell, 0, sizeof e->cell);
	e->cell_null = v->null || v->type.id == ED_TYPE_NULL;
	e->one.type = e->type;
	e->one.data = &e->cell;
	e->one.nulls = &e->cell_null;
	if (!e->cell_null && e->type.id == ED_TYPE_TEXT)
		e->cell.s = v->v.s;
	else if (!e->cell_null)
		ed_vector_set(&e->one, 0, v, NULL);
	e->res_rows = 0;
}

struct ed_expr *ed_expr_column(struct ed_arena *a, uint32_t index, struct ed_type type)
{
	struct ed_expr *e = node_new(a, ED_EK_COLUMN, type);
	if (e) {
		e->index = index;
		e->aliases = true;
	}
	return e;
}

struct ed_expr *ed_expr_const(struct ed_arena *a, const struct ed_value *v)
{
	struct ed_expr *e = node_new(a, ED_EK_CONST, v->type);
	if (!e)
		return NULL;
	e->is_const = true;
	e->val = *v;
	if (v->type.id == ED_TYPE_TEXT && !v->null) {
		char *p = ed_arena_memdup(a, v->v.s.ptr, v->v.s.len ? v->v.s.len : 1);
		if (!p)
			return NULL;
		e->val.v.s.ptr = p;
	}
	set_cell(e, &e->val);
	return e;
}

struct ed_expr *ed_expr_param(struct ed_arena *a, uint32_t n, struct ed_type type)
{
	struct ed_expr *e = node_new(a, ED_EK_PARAM, type);
	if (!e)
		return NULL;
	e->index = n;
	e->val.type = type;
	e->val.null = true;
	set_cell(e, &e->val);
	return e;
}

struct ed_type ed_expr_type(const struct ed_expr *e)
{
	return e->type;
}

bool ed_expr_is_const(const struct ed_expr *e)
{
	return e->is_const;
}

/* ---- evaluation ------------------------------------------------------------ */

/* Scratch for rows rows: one row stays tiny (folding), more take the
 * maximum chunk size once. */
static int ensure_res(struct ed_expr *e, uint32_t rows, struct ed_eval *cx)
{
	uint32_t cap = rows <= 1 ? 1 : ED_CHUNK_MAX_ROWS;
	if (e->res_cap >= cap)
		return 0;
	size_t w = ed_type_width(e->type.id);
	size_t extra = e->kind == ED_EK_CALL ? 3 * (size_t)cap : 0;
	uint8_t *mem = ed_arena_alloc(e->arena, w * cap + cap + extra);
	if (!mem)
		return ed_expr_fail(cx->err, -1, "53200", "out of memory for expression scratch");
	e->res.type = e->type;
	e->res.data = mem;
	e->res.nulls = mem + w * cap;
	memset(e->res.nulls, 1, cap);
	if (extra) {
		e->act = mem + w * cap + cap;
		e->sel2 = e->act + cap;
	}
	e->res_cap = cap;
	e->res_rows = 0;
	return 0;
}

uint8_t *ed_expr_sel2(struct ed_expr *e)
{
	return e->sel2;
}

static void broadcast(struct ed_expr *e)
{
	size_t w = ed_type_width(e->type.id);
	uint8_t *d = e->res.data;
	for (uint32_t i = 0; i < e->res_cap; i++)
		memcpy(d + i * w, &e->cell, w);
	memset(e->res.nulls, e->cell_null, e->res_cap);
	e->res_rows = e->res_cap;
}

const struct ed_vector *ed_expr_eval_arg(struct ed_expr *e, struct ed_eval *cx, const uint8_t *sel,
					 int *rc)
{
	*rc = 0;
	switch (e->kind) {
	case ED_EK_COLUMN: {
		const struct ed_chunk *in = cx->in;
		if (e->index >= in->ncols || in->cols[e->index].type.id != e->type.id) {
			*rc = ed_expr_fail(cx->err, -1, "XX000",
					   "column %u of the input does not have the bound type",
					   e->index);
			return NULL;
		}
		return &in->cols[e->index];
	}
	case ED_EK_CONST:
	case ED_EK_PARAM:
		if (cx->rows <= 1)
			return &e->one;
		if (e->res_rows < cx->rows) {
			*rc = ensure_res(e, cx->rows, cx);
			if (*rc)
				return NULL;
			broadcast(e);
		}
		return &e->res;
	case ED_EK_CALL:
		*rc = ensure_res(e, cx->rows, cx);
		if (!*rc)
			*rc = ed_expr_eval_into(e, cx, sel, &e->res);
		return *rc ? NULL : &e->res;
	}
	return NULL;
}

int ed_expr_eval_into(struct ed_expr *e, struct ed_eval *cx, const uint8_t *sel, struct ed_vector *out)
{
	uint32_t n = cx->rows;
	int rc = 0;
	if (e->kind != ED_EK_CALL) {
		const struct ed_vector *src = ed_expr_eval_arg(e, cx, sel, &rc);
		if (!src)
			return rc;
		size_t w = ed_type_width(e->type.id);
		memcpy(out->data, src->data, w * n);
		for (uint32_t i = 0; i < n; i++)
			out->nulls[i] = src->nulls[i] | (sel ? !sel[i] : 0);
		return 0;
	}
	rc = ensure_res(e, n, cx); /* act and sel2 even when out is the caller's */
	if (rc)
		return rc;
	if (e->fn->flags & ED_FN_SPECIAL)
		return e->fn->special(e, cx, sel, out);
	const struct ed_vector *argv[16];
	const struct ed_vector **args = argv;
	if (e->nargs > 16) {
		args = ed_arena_alloc(e->arena, e->nargs * sizeof *args);
		if (!args)
			return ed_expr_fail(cx->err, -1, "53200", "out of memory");
	}
	for (uint32_t k = 0; k < e->nargs; k++) {
		args[k] = ed_expr_eval_arg(e->args[k], cx, sel, &rc);
		if (!args[k])
			return rc;
	}
	uint8_t *act = e->act;
	if (sel)
		memcpy(act, sel, n);
	else
		memset(act, 1, n);
	if (!(e->fn->flags & ED_FN_NULLS))
		for (uint32_t k = 0; k < e->nargs; k++) {
			const uint8_t *nl = args[k]->nulls;
			for (uint32_t i = 0; i < n; i++)
				act[i] &= (uint8_t)!nl[i];
		}
	for (uint32_t i = 0; i < n; i++)
		out->nulls[i] = (uint8_t)!act[i];
	const uint8_t *saved = cx->act;
	cx->act = act;
	rc = e->fn->kernel(e, cx, (const struct ed_vector *const *)args, out);
	cx->act = saved;
	return rc;
}

int ed_expr_eval(struct ed_expr *e, const struct ed_chunk *in, const uint8_t *sel,
		 struct ed_vector *out, struct ed_arena *text_arena, struct ed_expr_error *err)
{
	struct ed_arena *in_arena = (struct ed_arena *)&in->arena;
	struct ed_eval cx = {in, in->rows, NULL, text_arena ? text_arena : in_arena, err, 0, false};
	if (err) {
		err->row = -1;
		err->sqlstate[0] = 0;
		err->message[0] = 0;
	}
	if (in->rows > ED_CHUNK_MAX_ROWS)
		return ed_expr_fail(err, -1, "54000", "chunk of %u rows exceeds %u", in->rows,
				    ED_CHUNK_MAX_ROWS);
	if (in->rows == 0)
		return 0;
	int rc = ed_expr_eval_into(e, &cx, sel, out);
	if (rc)
		return rc;
	if (e->type.id == ED_TYPE_TEXT && e->aliases && cx.text != in_arena) {
		/* Text pointing into the input chunk moves to the result's arena. */
		struct ed_textw w;
		struct ed_str *s = out->data;
		ed_textw_init(&w, cx.text);
		for (uint32_t i = 0; i < in->rows; i++) {
			if (out->nulls[i] || s[i].len == 0)
				continue;
			char *p = ed_textw_reserve(&w, s[i].len);
			if (!p)
				return ed_expr_fail(err, (int32_t)i, "53200", "out of memory");
			memcpy(p, s[i].ptr, s[i].len);
			ed_textw_commit(&w, s[i].len);
			s[i].ptr = p;
		}
	}
	return 0;
}

int ed_expr_filter(struct ed_expr *e, const struct ed_chunk *in, uint8_t *sel,
		   struct ed_expr_error *err)
{
	struct ed_eval cx = {in, in->rows, NULL, (struct ed_arena *)&in->arena, err, 0, false};
	if (err) {
		err->row = -1;
		err->sqlstate[0] = 0;
	}
	if (e->type.id != ED_TYPE_BOOL && e->type.id != ED_TYPE_NULL)
		return ed_expr_fail(err, -1, "42804",
				    "argument of WHERE must be type boolean, not %s",
				    ed_type_name(e->type.id));
	if (in->rows > ED_CHUNK_MAX_ROWS)
		return ed_expr_fail(err, -1, "54000", "chunk of %u rows exceeds %u", in->rows,
				    ED_CHUNK_MAX_ROWS);
	if (in->rows == 0)
		return 0;
	int rc = 0;
	const struct ed_vector *v = ed_expr_eval_arg(e, &cx, NULL, &rc);
	if (!v)
		return rc;
	const uint8_t *b = v->data;
	if (e->type.id == ED_TYPE_NULL) {
		memset(sel, 0, in->rows);
		return 0;
	}
	for (uint32_t i = 0; i < in->rows; i++)
		sel[i] = (uint8_t)(!v->nulls[i] & (b[i] != 0));
	return 0;
}

/* ---- construction ------------------------------------------------------------ */

static const struct ed_fn_table *const fn_tables[] = {&ed_fn_ops, &ed_fn_string, &ed_fn_math,
						      &ed_fn_time};

/* A quoted literal not yet committed to a type (PostgreSQL's unknown). */
static bool is_unknown(const struct ed_expr *e)
{
	return e->kind == ED_EK_CONST && (e->type.id == ED_TYPE_TEXT || e->type.id == ED_TYPE_NULL);
}

static int arg_cost(const struct ed_expr *x, enum ed_type_id to)
{
	if (to == ED_ARG_ANY || x->type.id == to)
		return 0;
	if (x->type.id == ED_TYPE_NULL)
		return 0;
	int c = ed_cast_cost(x->type.id, to);
	if (c < 0 && is_unknown(x))
		c = 20;
	return c;
}

/* Target type for coercing x to a parameter type id: decimals keep their
 * scale, integers become scale 0; text keeps VARCHAR(n) as TEXT. */
static struct ed_type param_type(const struct ed_expr *x, enum ed_type_id id)
{
	struct ed_type t = ed_type_make(id);
	if (id == ED_TYPE_DECIMAL) {
		if (x->type.id == ED_TYPE_DECIMAL)
			t = x->type;
		else
			t.scale = 0;
		t.precision = 38;
	}
	if (id == ED_TYPE_TEXT && x->type.id == ED_TYPE_TEXT)
		t = x->type;
	return t;
}

static int fold(struct ed_expr *e, struct ed_value *out, struct ed_expr_error *err);

/* Replaces a constant CALL by its value; leaves e alone if evaluation fails
 * (unless strict, when the error is returned). */
static struct ed_expr *maybe_fold(struct ed_arena *a, struct ed_expr *e, bool strict,
				  struct ed_expr_error *err)
{
	if (!e->is_const || e->kind != ED_EK_CALL)
		return e;
	struct ed_value v;
	struct ed_expr_error ferr;
	if (fold(e, &v, &ferr)) {
		if (strict) {
			if (err)
				*err = ferr;
			return NULL;
		}
		return e;
	}
	v.type = e->type;
	struct ed_expr *c = ed_expr_const(a, &v);
	return c ? c : e;
}

static struct ed_expr *make_call(struct ed_arena *a, const struct ed_fn *fn, const char *name,
				 struct ed_expr **args, uint32_t nargs, struct ed_expr_error *err)
{
	struct ed_expr *e = node_new(a, ED_EK_CALL,
				     ed_type_make(fn->ret == ED_ARG_ANY ? ED_TYPE_NULL : fn->ret));
	if (!e)
		goto nomem;
	e->fn = fn;
	e->name = name;
	e->nargs = nargs;
	e->args = ed_arena_alloc(a, (nargs ? nargs : 1) * sizeof *e->args);
	if (!e->args)
		goto nomem;
	bool cst = true, vol = (fn->flags & ED_FN_VOLATILE) != 0;
	for (uint32_t k = 0; k < nargs; k++) {
		e->args[k] = args[k];
		cst &= args[k]->is_const;
		vol |= args[k]->is_volatile;
	}
	e->is_const = cst && !vol;
	e->is_volatile = vol;
	if (fn->prepare) {
		int rc = fn->prepare(e, a, err);
		if (rc)
			return NULL;
	}
	if (e->type.id == ED_TYPE_TEXT) {
		e->aliases = false;
		if (!(fn->flags & ED_FN_FRESH))
			for (uint32_t k = 0; k < nargs; k++)
				e->aliases |= e->args[k]->aliases;
	}
	return e;
nomem:
	ed_expr_fail(err, -1, "53200", "out of memory");
	return NULL;
}

struct ed_expr *ed_expr_coerce(struct ed_arena *a, struct ed_expr *x, struct ed_type t,
			       struct ed_expr_error *err)
{
	if (ed_type_equal(&x->type, &t))
		return x;
	if (x->type.id == t.id && t.id == ED_TYPE_TEXT)
		return x; /* varchar(n) -> text, text -> varchar: no check on implicit use */
	if (x->kind == ED_EK_CONST && x->type.id == ED_TYPE_NULL) {
		struct ed_value v = {.type = t, .null = true};
		return ed_expr_const(a, &v);
	}
	return ed_expr_cast(a, x, t, err);
}

static char *type_list(struct ed_expr **args, uint32_t nargs, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	for (uint32_t k = 0; k < nargs && len + 2 < n; k++) {
		char t[64];
		ed_type_format(&args[k]->type, t, sizeof t);
		if (args[k]->type.id == ED_TYPE_TEXT && args[k]->type.max_len < 0)
			snprintf(t, sizeof t, "text");
		len += (size_t)snprintf(buf + len, n - len, "%s%s", k ? ", " : "", t);
	}
	return buf;
}

/* Resolves name(args) against the tables. */
static struct ed_expr *resolve(struct ed_arena *a, const char *name, struct ed_expr **args,
			       uint32_t nargs, struct ed_expr_error *err)
{
	const struct ed_fn *best = NULL;
	int best_cost = -1;
	bool name_known = false;
	for (size_t t = 0; t < sizeof fn_tables / sizeof fn_tables[0]; t++) {
		for (size_t i = 0; i < fn_tables[t]->n; i++) {
			const struct ed_fn *fn = &fn_tables[t]->fns[i];
			if (strcmp(fn->name, name) != 0)
				continue;
			name_known = true;
			bool variadic = fn->flags & ED_FN_VARIADIC;
			if (variadic ? nargs < fn->nargs : nargs != fn->nargs)
				continue;
			int cost = 0;
			for (uint32_t k = 0; k < nargs && cost >= 0; k++) {
				enum ed_type_id pt =
					fn->args[k < fn->nargs ? k : (uint32_t)fn->nargs - 1];
				int c = arg_cost(args[k], pt);
				cost = c < 0 ? -1 : cost + c;
			}
			if (cost >= 0 && (best_cost < 0 || cost < best_cost)) {
				best = fn;
				best_cost = cost;
			}
		}
	}
	if (!best) {
		char tl[200];
		type_list(args, nargs, tl, sizeof tl);
		if (name_known || !strchr("+-*/%<>=|", name[0]))
			ed_expr_fail(err, -1, "42883", "%s %s(%s) does not exist",
				     strchr("+-*/%<>=|", name[0]) ? "operator" : "function", name,
				     tl);
		else
			ed_expr_fail(err, -1, "42883", "operator does not exist: %s (%s)", name, tl);
		return NULL;
	}
	struct ed_expr *cargs[64];
	struct ed_expr **ca = cargs;
	if (nargs > 64) {
		ca = ed_arena_alloc(a, nargs * sizeof *ca);
		if (!ca) {
			ed_expr_fail(err, -1, "53200", "out of memory");
			return NULL;
		}
	}
	for (uint32_t k = 0; k < nargs; k++) {
		enum ed_type_id pt = best->args[k < best->nargs ? k : (uint32_t)best->nargs - 1];
		ca[k] = pt == ED_ARG_ANY ? args[k]
					 : ed_expr_coerce(a, args[k], param_type(args[k], pt), err);
		if (!ca[k])
			return NULL;
	}
	struct ed_expr *e = make_call(a, best, name, ca, nargs, err);
	return e ? maybe_fold(a, e, false, err) : NULL;
}

/* Names the binder may use for the same function. */
static const char *canonical_name(const char *name)
{
	static const char *const alias[][2] = {
		{"!=", "<>"},
		{"position", "strpos"},
		{"substr", "substring"},
		{"char_length", "length"},
		{"character_length", "length"},
		{"ceiling", "ceil"},
		{"pow", "power"},
		{"mod", "%"},
		{"current_timestamp", "now"},
		{"date_part", "date_part"},
		{"trim", "btrim"},
		{"log10", "log"},
		{"is_not_distinct_from", "is_not_distinct_from"},
	};
	for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (strcmp(name, alias[i][0]) == 0)
			return alias[i][1];
	return name;
}

/* Common type of a list (IN, BETWEEN, CASE, COALESCE, comparisons):
 * unknown literals take the others' type; otherwise the type every other
 * casts to implicitly. false with 42804 when there is none. */
bool ed_expr_common_type(struct ed_expr **xs, uint32_t n, struct ed_type *out,
			 struct ed_expr_error *err, const char *what)
{
	struct ed_type t = ed_type_make(ED_TYPE_NULL);
	bool have = false;
	/* Typed expressions first, unknown literals after. */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t k = 0; k < n; k++) {
			const struct ed_expr *x = xs[k];
			if (x->type.id == ED_TYPE_NULL || (pass == 0) == is_unknown(x))
				continue;
			if (pass == 1 && have)
				continue; /* unknown literals follow the typed ones */
			if (!have) {
				t = x->type;
				have = true;
				continue;
			}
			if (ed_type_equal(&t, &x->type))
				continue;
			if (t.id == x->type.id) {
				if (t.id == ED_TYPE_DECIMAL) {
					if (x->type.scale > t.scale)
						t.scale = x->type.scale;
					t.precision = 38;
				} else if (t.id == ED_TYPE_TEXT) {
					t.max_len = -1;
				}
				continue;
			}
			int up = ed_cast_cost(t.id, x->type.id),
			    down = ed_cast_cost(x->type.id, t.id);
			if (up >= 0 && (down < 0 || up <= down)) {
				struct ed_type nt = param_type(x, x->type.id);
				if (nt.id == ED_TYPE_DECIMAL && t.id == ED_TYPE_DECIMAL)
					nt.scale = t.scale > nt.scale ? t.scale : nt.scale;
				t = nt;
				if (t.id == ED_TYPE_TEXT)
					t.max_len = -1;
			} else if (down < 0) {
				char t1[64], t2[64];
				ed_type_format(&t, t1, sizeof t1);
				ed_type_format(&x->type, t2, sizeof t2);
				ed_expr_fail(err, -1, "42804",
					     "%s types %s and %s cannot be matched", what, t1, t2);
				return false;
			}
		}
	}
	if (t.id == ED_TYPE_TEXT)
		t.max_len = -1;
	if (t.id == ED_TYPE_DECIMAL)
		t.precision = 38;
	*out = have ? t : ed_type_make(ED_TYPE_TEXT);
	if (!have) {
		bool all_null = true;
		for (uint32_t k = 0; k < n; k++)
			all_null &= xs[k]->type.id == ED_TYPE_NULL;
		if (all_null)
			*out = ed_type_make(ED_TYPE_NULL);
	}
	return true;
}

static struct ed_expr *special_call(struct ed_arena *a, const struct ed_fn *fn, const char *name,
				    struct ed_expr **args, uint32_t nargs, struct ed_expr_error *err)
{
	struct ed_expr *ca[64];
	struct ed_expr **c = ca;
	if (nargs > 64) {
		c = ed_arena_alloc(a, nargs * sizeof *c);
		if (!c) {
			ed_expr_fail(err, -1, "53200", "out of memory");
			return NULL;
		}
	}
	if (nargs < fn->nargs || (!(fn->flags & ED_FN_VARIADIC) && nargs != fn->nargs)) {
		ed_expr_fail(err, -1, "42883", "%s takes %u arguments, not %u", name, fn->nargs,
			     nargs);
		return NULL;
	}
	/* Parameter types: a concrete id, or ED_ARG_ANY meaning "the common
	 * type" for comparing forms (ED_TYPE_NULL in args[] means as is). */
	bool need_common = false;
	for (uint32_t k = 0; k < nargs; k++) {
		enum ed_type_id pt = fn->args[k < fn->nargs ? k : (uint32_t)fn->nargs - 1];
		need_common |= pt == ED_ARG_ANY;
	}
	struct ed_type common = ed_type_make(ED_TYPE_NULL);
	if (need_common) {
		/* Only the ANY positions take part. */
		struct ed_expr *tmp[64];
		uint32_t m = 0;
		for (uint32_t k = 0; k < nargs && m < 64; k++)
			if (fn->args[k < fn->nargs ? k : (uint32_t)fn->nargs - 1] == ED_ARG_ANY)
				tmp[m++] = args[k];
		if (!ed_expr_common_type(tmp, m, &common, err, name))
			return NULL;
	}
	for (uint32_t k = 0; k < nargs; k++) {
		enum ed_type_id pt = fn->args[k < fn->nargs ? k : (uint32_t)fn->nargs - 1];
		if (pt == ED_TYPE_NULL)
			c[k] = args[k];
		else if (pt == ED_ARG_ANY)
			c[k] = common.id == ED_TYPE_NULL ? args[k]
							 : ed_expr_coerce(a, args[k], common, err);
		else if (arg_cost(args[k], pt) < 0) {
			char tl[200];
			ed_expr_fail(err, -1, "42804", "argument of %s must be type %s, not type %s",
				     name, ed_type_name(pt), type_list(&args[k], 1, tl, sizeof tl));
			return NULL;
		} else
			c[k] = ed_expr_coerce(a, args[k], param_type(args[k], pt), err);
		if (!c[k])
			return NULL;
	}
	struct ed_expr *e = make_call(a, fn, name, c, nargs, err);
	if (e && fn->ret == ED_ARG_ANY && e->type.id == ED_TYPE_NULL)
		e->type = common;
	return e ? maybe_fold(a, e, false, err) : NULL;
}

struct ed_expr *ed_expr_call(struct ed_arena *a, const char *name, struct ed_expr **args,
			     uint32_t nargs, struct ed_expr_error *err)
{
	if (err) {
		err->row = -1;
		err->sqlstate[0] = 0;
	}
	for (uint32_t k = 0; k < nargs; k++)
		if (!args[k]) {
			ed_expr_fail(err, -1, "XX000", "%s: argument %u missing", name, k + 1);
			return NULL;
		}
	name = canonical_name(name);
	/* NOT forms: not_in, not_like, not_ilike, not_between. */
	if (strncmp(name, "not_", 4) == 0 && ed_fn_special(name + 4)) {
		struct ed_expr *inner = ed_expr_call(a, name + 4, args, nargs, err);
		if (!inner)
			return NULL;
		return ed_expr_call(a, "not", &inner, 1, err);
	}
	const struct ed_fn *sp = ed_fn_special(name);
	if (sp)
		return special_call(a, sp, name, args, nargs, err);
	return resolve(a, name, args, nargs, err);
}

struct ed_expr *ed_expr_case(struct ed_arena *a, struct ed_expr *operand, struct ed_expr **whens,
			     struct ed_expr **thens, uint32_t n, struct ed_expr *else_expr,
			     struct ed_expr_error *err)
{
	uint32_t nargs = 2 * n + (else_expr ? 1 : 0);
	struct ed_expr **args = ed_arena_alloc(a, (nargs + 1) * sizeof *args);
	if (!args) {
		ed_expr_fail(err, -1, "53200", "out of memory");
		return NULL;
	}
	if (n == 0) {
		ed_expr_fail(err, -1, "42601", "CASE needs at least one WHEN");
		return NULL;
	}
	/* Result type over the THEN and ELSE branches. */
	struct ed_expr **res = ed_arena_alloc(a, (n + 1) * sizeof *res);
	if (!res) {
		ed_expr_fail(err, -1, "53200", "out of memory");
		return NULL;
	}
	for (uint32_t k = 0; k < n; k++)
		res[k] = thens[k];
	if (else_expr)
		res[n] = else_expr;
	struct ed_type t;
	if (!ed_expr_common_type(res, n + (else_expr ? 1 : 0), &t, err, "CASE"))
		return NULL;
	for (uint32_t k = 0; k < n; k++) {
		struct ed_expr *cond = whens[k];
		if (operand) {
			struct ed_expr *cmp[2] = {operand, whens[k]};
			cond = ed_expr_call(a, "=", cmp, 2, err);
		} else if (cond && cond->type.id != ED_TYPE_BOOL) {
			cond = ed_expr_coerce(a, cond, ed_type_make(ED_TYPE_BOOL), err);
		}
		if (!cond)
			return NULL;
		args[2 * k] = cond;
		args[2 * k + 1] = t.id == ED_TYPE_NULL ? thens[k]
						       : ed_expr_coerce(a, thens[k], t, err);
		if (!args[2 * k + 1])
			return NULL;
	}
	if (else_expr) {
		args[2 * n] = t.id == ED_TYPE_NULL ? else_expr : ed_expr_coerce(a, else_expr, t, err);
		if (!args[2 * n])
			return NULL;
	}
	struct ed_expr *e = make_call(a, ed_fn_special("case"), "case", args, nargs, err);
	if (!e)
		return NULL;
	e->type = t;
	e->iarg = else_expr != NULL;
	e->aliases = t.id == ED_TYPE_TEXT;
	return maybe_fold(a, e, false, err);
}

/* The entry used for casts (expr_cast.c sets its kernel). */
static const struct ed_fn cast_fn = {"cast",         1,    0,   {ED_ARG_ANY}, ED_ARG_ANY,
				     ed_cast_kernel, NULL, NULL};

struct ed_expr *ed_expr_cast(struct ed_arena *a, struct ed_expr *x, struct ed_type t,
			     struct ed_expr_error *err)
{
	if (ed_type_equal(&x->type, &t))
		return x;
	if (!ed_cast_exists(&x->type, &t, true)) {
		char t1[64], t2[64];
		ed_type_format(&x->type, t1, sizeof t1);
		ed_type_format(&t, t2, sizeof t2);
		ed_expr_fail(err, -1, "42846", "cannot cast type %s to %s", t1, t2);
		return NULL;
	}
	struct ed_expr *e = make_call(a, &cast_fn, "cast", &x, 1, err);
	if (!e)
		return NULL;
	e->type = t;
	e->aliases = t.id == ED_TYPE_TEXT && x->type.id == ED_TYPE_TEXT && x->aliases;
	/* Casting a literal fails at bind time, as in PostgreSQL. */
	return maybe_fold(a, e, x->kind == ED_EK_CONST, err);
}

/* ---- folding, parameters ------------------------------------------------------ */

/* Evaluates a constant tree on one row; text results in e's arena. */
static int fold(struct ed_expr *e, struct ed_value *out, struct ed_expr_error *err)
{
	struct ed_chunk one;
	memset(&one, 0, sizeof one);
	one.rows = 1;
	one.cap = 1;
	union {
		ed_dec d;
		struct ed_interval iv;
		struct ed_str s;
	} cell;
	uint8_t null = 1;
	struct ed_vector v = {e->type, &null, &cell};
	struct ed_eval cx = {&one, 1, NULL, e->arena, err, 0, true};
	if (err) {
		err->row = -1;
		err->sqlstate[0] = 0;
	}
	int rc = ed_expr_eval_into(e, &cx, NULL, &v);
	if (rc)
		return rc;
	ed_vector_get(&v, 0, out);
	out->type = e->type;
	return 0;
}

int ed_expr_fold(const struct ed_expr *e, struct ed_arena *a, struct ed_value *out,
		 struct ed_expr_error *err)
{
	int rc = fold((struct ed_expr *)e, out, err);
	if (rc)
		return rc;
	if (out->type.id == ED_TYPE_TEXT && !out->null && a) {
		char *p = ed_arena_memdup(a, out->v.s.ptr, out->v.s.len ? out->v.s.len : 1);
		if (!p)
			return ed_expr_fail(err, -1, "53200", "out of memory");
		out->v.s.ptr = p;
	}
	return 0;
}

int ed_expr_bind_params(struct ed_expr *e, const struct ed_value *params, uint32_t n,
			struct ed_expr_error *err)
{
	if (e->kind == ED_EK_PARAM) {
		if (e->index == 0 || e->index > n)
			return ed_expr_fail(err, -1, "42P02", "there is no parameter $%u", e->index);
		struct ed_value v;
		int rc = ed_value_cast(&params[e->index - 1], e->type, e->arena, &v, err);
		if (rc)
			return rc;
		e->val = v;
		set_cell(e, &v);
		e->res_rows = 0;
		return 0;
	}
	for (uint32_t k = 0; k < e->nargs; k++) {
		int rc = ed_expr_bind_params(e->args[k], params, n, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- value casts ---------------------------------------------------------------- */

int ed_value_cast(const struct ed_value *in, struct ed_type t, struct ed_arena *a,
		  struct ed_value *out, struct ed_expr_error *err)
{
	if (err) {
		err->row = -1;
		err->sqlstate[0] = 0;
	}
	if (in->null || in->type.id == ED_TYPE_NULL) {
		memset(out, 0, sizeof *out);
		out->type = t;
		out->null = true;
		return 0;
	}
	if (ed_type_equal(&in->type, &t)) {
		*out = *in;
		return 0;
	}
	if (!ed_cast_exists(&in->type, &t, true)) {
		char t1[64], t2[64];
		ed_type_format(&in->type, t1, sizeof t1);
		ed_type_format(&t, t2, sizeof t2);
		return ed_expr_fail(err, -1, "42846", "cannot cast type %s to %s", t1, t2);
	}
	/* A stack-only node: one-row evaluation needs no scratch. */
	struct ed_expr src, node;
	memset(&src, 0, sizeof src);
	src.kind = ED_EK_CONST;
	src.type = in->type;
	src.is_const = true;
	src.val = *in;
	set_cell(&src, in);
	struct ed_expr *argp = &src;
	memset(&node, 0, sizeof node);
	node.kind = ED_EK_CALL;
	node.type = t;
	node.fn = &cast_fn;
	node.name = "cast";
	node.args = &argp;
	node.nargs = 1;
	uint8_t act = 1;
	node.act = &act;
	node.res_cap = 1;
	node.arena = a;
	struct ed_chunk one;
	memset(&one, 0, sizeof one);
	one.rows = 1;
	union {
		ed_dec d;
		struct ed_interval iv;
		struct ed_str s;
	} cell;
	uint8_t null = 1;
	struct ed_vector v = {t, &null, &cell};
	struct ed_eval cx = {&one, 1, NULL, a, err, 0, true};
	int rc = ed_expr_eval_into(&node, &cx, NULL, &v);
	if (rc)
		return rc;
	ed_vector_get(&v, 0, out);
	out->type = t;
	return 0;
}

int ed_value_parse(const char *s, size_t n, struct ed_type t, struct ed_arena *a,
		   struct ed_value *out, struct ed_expr_error *err)
{
	struct ed_value in;
	memset(&in, 0, sizeof in);
	in.type = ed_type_make(ED_TYPE_TEXT);
	in.v.s.ptr = s;
	in.v.s.len = (uint32_t)n;
	if (n > UINT32_MAX)
		return ed_expr_fail(err, -1, "54000", "value too long");
	int rc = ed_value_cast(&in, t, a, out, err);
	if (rc == 0 && t.id == ED_TYPE_TEXT && a && out->v.s.ptr == s) {
		char *p = ed_arena_memdup(a, s, n ? n : 1);
		if (!p)
			return ed_expr_fail(err, -1, "53200", "out of memory");
		out->v.s.ptr = p;
	}
	return rc;
}

/* ---- text writer ------------------------------------------------------------------ */

char *ed_textw_reserve(struct ed_textw *w, size_t n)
{
	if (n <= w->left)
		return w->p;
	size_t blk = n > 4096 ? n : 4096;
	char *p = ed_arena_alloc(w->arena, blk);
	if (!p)
		return NULL;
	w->p = p;
	w->left = blk;
	return p;
}

/* ---- EXPLAIN ------------------------------------------------------------------------ */

static void format_value(const struct ed_value *v, struct ed_buf *out)
{
	if (v->null || v->type.id == ED_TYPE_NULL) {
		ed_buf_append(out, "NULL", 4);
		return;
	}
	switch (v->type.id) {
	case ED_TYPE_BOOL:
		ed_buf_printf(out, "%s", v->v.b ? "TRUE" : "FALSE");
		return;
	case ED_TYPE_TEXT:
		ed_buf_put_u8(out, '\'');
		for (uint32_t i = 0; i < v->v.s.len; i++) {
			if (v->v.s.ptr[i] == '\'')
				ed_buf_put_u8(out, '\'');
			ed_buf_put_u8(out, (uint8_t)v->v.s.ptr[i]);
		}
		ed_buf_put_u8(out, '\'');
		return;
	case ED_TYPE_TIMESTAMP:
		ed_buf_append(out, "TIMESTAMP '", 11);
		break;
	case ED_TYPE_TIMESTAMPTZ:
		ed_buf_append(out, "TIMESTAMPTZ '", 13);
		break;
	case ED_TYPE_INTERVAL:
		ed_buf_append(out, "INTERVAL '", 10);
		break;
	default:
		ed_value_format(v, out);
		if (v->type.id == ED_TYPE_FLOAT32 || v->type.id == ED_TYPE_FLOAT64 ||
		    v->type.id == ED_TYPE_INT16)
			ed_buf_printf(out, "::%s", ed_type_name(v->type.id));
		return;
	}
	ed_value_format(v, out);
	ed_buf_put_u8(out, '\'');
}

static const char *infix_op(const char *name)
{
	static const char *const ops[][2] = {
		{"+", "+"},
		{"-", "-"},
		{"*", "*"},
		{"/", "/"},
		{"%", "%"},
		{"||", "||"},
		{"=", "="},
		{"<>", "<>"},
		{"<", "<"},
		{"<=", "<="},
		{">", ">"},
		{">=", ">="},
		{"and", "AND"},
		{"or", "OR"},
		{"like", "LIKE"},
		{"ilike", "ILIKE"},
		{"is_distinct_from", "IS DISTINCT FROM"},
		{"is_not_distinct_from", "IS NOT DISTINCT FROM"},
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(name, ops[i][0]) == 0)
			return ops[i][1];
	return NULL;
}

static const char *postfix_op(const char *name)
{
	static const char *const ops[][2] = {
		{"is_null", "IS NULL"},         {"is_not_null", "IS NOT NULL"},
		{"is_true", "IS TRUE"},         {"is_false", "IS FALSE"},
		{"is_not_true", "IS NOT TRUE"}, {"is_not_false", "IS NOT FALSE"},
		{"is_unknown", "IS UNKNOWN"},   {"is_not_unknown", "IS NOT UNKNOWN"},
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(name, ops[i][0]) == 0)
			return ops[i][1];
	return NULL;
}

static void format_rec(const struct ed_expr *e, const char *const *cols, struct ed_buf *out)
{
	switch (e->kind) {
	case ED_EK_COLUMN:
		if (cols && cols[e->index])
			ed_buf_printf(out, "%s", cols[e->index]);
		else
			ed_buf_printf(out, "$col%u", e->index);
		return;
	case ED_EK_CONST:
		format_value(&e->val, out);
		return;
	case ED_EK_PARAM:
		ed_buf_printf(out, "$%u", e->index);
		return;
	case ED_EK_CALL:
		break;
	}
	const char *op;
	if (strcmp(e->name, "cast") == 0) {
		char t[64];
		ed_type_format(&e->type, t, sizeof t);
		if (e->type.id == ED_TYPE_TEXT && e->type.max_len < 0)
			snprintf(t, sizeof t, "text");
		ed_buf_append(out, "CAST(", 5);
		format_rec(e->args[0], cols, out);
		ed_buf_printf(out, " AS %s)", t);
	} else if (strcmp(e->name, "case") == 0) {
		ed_buf_append(out, "CASE", 4);
		uint32_t n = e->nargs / 2;
		for (uint32_t k = 0; k < n; k++) {
			ed_buf_append(out, " WHEN ", 6);
			format_rec(e->args[2 * k], cols, out);
			ed_buf_append(out, " THEN ", 6);
			format_rec(e->args[2 * k + 1], cols, out);
		}
		if (e->iarg) {
			ed_buf_append(out, " ELSE ", 6);
			format_rec(e->args[e->nargs - 1], cols, out);
		}
		ed_buf_append(out, " END", 4);
	} else if (strcmp(e->name, "neg") == 0) {
		ed_buf_append(out, "(-", 2);
		format_rec(e->args[0], cols, out);
		ed_buf_put_u8(out, ')');
	} else if (strcmp(e->name, "not") == 0) {
		ed_buf_append(out, "(NOT ", 5);
		format_rec(e->args[0], cols, out);
		ed_buf_put_u8(out, ')');
	} else if ((op = postfix_op(e->name))) {
		ed_buf_put_u8(out, '(');
		format_rec(e->args[0], cols, out);
		ed_buf_printf(out, " %s)", op);
	} else if ((op = infix_op(e->name)) && e->nargs >= 2) {
		ed_buf_put_u8(out, '(');
		for (uint32_t k = 0; k < e->nargs; k++) {
			if (k == 2 && (strcmp(e->name, "like") == 0 || strcmp(e->name, "ilike") == 0))
				ed_buf_append(out, " ESCAPE ", 8);
			else if (k)
				ed_buf_printf(out, " %s ", op);
			format_rec(e->args[k], cols, out);
		}
		ed_buf_put_u8(out, ')');
	} else if (strcmp(e->name, "in") == 0) {
		ed_buf_put_u8(out, '(');
		format_rec(e->args[0], cols, out);
		ed_buf_append(out, " IN (", 5);
		for (uint32_t k = 1; k < e->nargs; k++) {
			if (k > 1)
				ed_buf_append(out, ", ", 2);
			format_rec(e->args[k], cols, out);
		}
		ed_buf_append(out, "))", 2);
	} else if (strcmp(e->name, "between") == 0) {
		ed_buf_put_u8(out, '(');
		format_rec(e->args[0], cols, out);
		ed_buf_append(out, " BETWEEN ", 9);
		format_rec(e->args[1], cols, out);
		ed_buf_append(out, " AND ", 5);
		format_rec(e->args[2], cols, out);
		ed_buf_put_u8(out, ')');
	} else {
		ed_buf_printf(out, "%s(", e->name);
		for (uint32_t k = 0; k < e->nargs; k++) {
			if (k)
				ed_buf_append(out, ", ", 2);
			format_rec(e->args[k], cols, out);
		}
		ed_buf_put_u8(out, ')');
	}
}

int ed_expr_format(const struct ed_expr *e, const char *const *column_names, struct ed_buf *out)
{
	format_rec(e, column_names, out);
	return out->err;
}
