/* SQL parser: text -> AST (ast.h), for every statement eddy accepts.
 *
 * Why hand-written recursive descent (and not lemon or bison): errors are the
 * product here. A hand-written parser knows at each point what it expected,
 * so it can say "syntax error at or near "FROM": expected an expression" with
 * the exact position, give feature_not_supported (0A000) for known-but-absent
 * SQL (WITH, UNION, subqueries in expressions) instead of a bare syntax error,
 * and treat keywords contextually (TIMESTAMP, SESSION, WATERMARK stay usable as
 * column names). It also keeps the build free of a generator, allocates only
 * from the caller's arena, and makes the nesting limit one counter. Expressions
 * use precedence climbing with PostgreSQL's operator precedence (loosest
 * first):
 *
 *   level  operators                              associativity
 *     1    OR                                     left
 *     2    AND                                    left
 *     3    NOT                                    right (prefix)
 *     4    IS [NOT] NULL|TRUE|FALSE|UNKNOWN|DISTINCT FROM   postfix
 *     5    = <> != < <= > >=                      left
 *     6    [NOT] BETWEEN, IN, LIKE, ILIKE         postfix-like
 *     7    || -> ->>  (all other operators)       left
 *     8    + -                                    left
 *     9    * / %                                  left
 *    10    unary - +                              right (prefix)
 *    11    ::                                     postfix
 *
 * Every recursive entry point counts nesting (parse_expr, parse_select,
 * parse_from_item, parse_stmt) and every tree node records its height, so
 * neither deep parentheses nor long left-deep operator chains can exceed
 * ED_SQL_MAX_DEPTH: the error is 54001 statement_too_complex. */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_int.h"

/* Conventions: every parse_* function consumes what it recognises and returns
 * the node (or true); on failure it returns NULL (or false) with the error
 * recorded in p, where the first error wins and later ones are ignored. All
 * memory comes from p->arena; nothing needs freeing on an error path. */

/* Precedence levels (see the table above). */
enum {
	P_OR = 1,
	P_AND,
	P_NOT,
	P_IS,
	P_CMP,
	P_IN,
	P_OTHER,
	P_ADD,
	P_MUL,
	P_UNARY,
	P_CAST,
};

/* ---- small helpers ---------------------------------------------------------- */

static const struct ed_sql_token *tok(struct ed_sql_parser *p)
{
	return ed_sql_peek(p, 0);
}

static const struct ed_sql_token *peek(struct ed_sql_parser *p, unsigned k)
{
	return ed_sql_peek(p, k);
}

static bool tok_is_kw(const struct ed_sql_token *t, enum ed_sql_kw kw)
{
	return t->type == ED_TOK_IDENT && !t->quoted && t->kw == kw;
}

static bool is_kw(struct ed_sql_parser *p, enum ed_sql_kw kw)
{
	return tok_is_kw(tok(p), kw);
}

static bool accept_kw(struct ed_sql_parser *p, enum ed_sql_kw kw)
{
	if (!is_kw(p, kw))
		return false;
	ed_sql_advance(p);
	return true;
}

static bool accept(struct ed_sql_parser *p, enum ed_sql_tok_type type)
{
	if (tok(p)->type != type)
		return false;
	ed_sql_advance(p);
	return true;
}

/* An identifier usable as a name: quoted, or a word that is not reserved. */
static bool tok_is_name(const struct ed_sql_token *t)
{
	return t->type == ED_TOK_IDENT && (t->quoted || ed_sql_kw_category(t->kw) != ED_KWC_RESERVED);
}

/* Reports a syntax error at the current token; returns NULL. */
static void *syntax(struct ed_sql_parser *p, const char *expected)
{
	const struct ed_sql_token *t = tok(p);
	if (p->rc)
		return NULL;
	if (t->type == ED_TOK_EOF)
		return ed_sql_fail(p, p->len, ED_EINVAL, ED_SQLSTATE_SYNTAX,
				   "syntax error at end of input%s%s",
				   expected ? ": expected " : "", expected ? expected : "");
	uint32_t n = t->len > 40 ? 40 : t->len;
	while (n < t->len && n > 0 && ((unsigned char)p->text[t->loc + n] & 0xC0) == 0x80)
		n--;
	return ed_sql_fail(p, t->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
			   "syntax error at or near \"%.*s\"%s%s", (int)n, p->text + t->loc,
			   expected ? ": expected " : "", expected ? expected : "");
}

static void *not_supported(struct ed_sql_parser *p, uint32_t loc, const char *what)
{
	return ed_sql_fail(p, loc, ED_EINVAL, ED_SQLSTATE_NOT_SUPPORTED, "%s is not supported", what);
}

static bool expect(struct ed_sql_parser *p, enum ed_sql_tok_type type, const char *what)
{
	if (accept(p, type))
		return true;
	syntax(p, what);
	return false;
}

static bool expect_kw(struct ed_sql_parser *p, enum ed_sql_kw kw)
{
	if (accept_kw(p, kw))
		return true;
	syntax(p, ed_sql_kw_name(kw));
	return false;
}

static void *alloc(struct ed_sql_parser *p, size_t n)
{
	void *v = ed_arena_alloc(p->arena, n);
	if (!v)
		return ed_sql_nomem(p);
	memset(v, 0, n);
	return v;
}

static bool enter(struct ed_sql_parser *p)
{
	if (++p->depth <= ED_SQL_MAX_DEPTH)
		return true;
	ed_sql_fail(p, tok(p)->loc, ED_ETOOBIG, ED_SQLSTATE_TOO_COMPLEX,
		    "statement is too complex: nesting deeper than %d", ED_SQL_MAX_DEPTH);
	return false;
}

static void leave(struct ed_sql_parser *p)
{
	p->depth--;
}

/* Growable pointer array in the arena (old copies are left behind). */
struct vec {
	void **v;
	uint32_t n, cap;
};

static bool push(struct ed_sql_parser *p, struct vec *v, void *item)
{
	if (!item)
		return false;
	if (v->n == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 4;
		void **nv = ed_arena_alloc(p->arena, cap * sizeof *nv);
		if (!nv) {
			ed_sql_nomem(p);
			return false;
		}
		if (v->n)
			memcpy(nv, v->v, v->n * sizeof *nv);
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = item;
	return true;
}

/* ---- names ------------------------------------------------------------------ */

/* The current token as a name (advancing), or NULL with a syntax error. */
static char *parse_name(struct ed_sql_parser *p, const char *what)
{
	const struct ed_sql_token *t = tok(p);
	if (!tok_is_name(t))
		return syntax(p, what);
	char *s = t->str;
	ed_sql_advance(p);
	return s;
}

/* name ('.' name)*, at most max_parts parts. After a dot any word is taken,
 * reserved or not, as PostgreSQL does. */
static bool parse_qualified(struct ed_sql_parser *p, struct ed_sql_name *out, uint32_t max_parts,
			    const char *what)
{
	struct vec v = {0};
	out->loc = tok(p)->loc;
	if (!push(p, &v, parse_name(p, what)))
		return false;
	while (tok(p)->type == ED_TOK_DOT && peek(p, 1)->type == ED_TOK_IDENT) {
		ed_sql_advance(p);
		if (!push(p, &v, tok(p)->str))
			return false;
		ed_sql_advance(p);
	}
	if (v.n > max_parts) {
		ed_sql_fail(p, out->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
			    "improper qualified name (too many dotted names)");
		return false;
	}
	out->parts = (char **)v.v;
	out->n = v.n;
	return true;
}

/* A dotted name joined into one string ("scan.startup.mode"). */
static char *parse_dotted(struct ed_sql_parser *p, const char *what)
{
	struct ed_sql_name n;
	if (!parse_qualified(p, &n, 16, what))
		return NULL;
	size_t len = 0;
	for (uint32_t i = 0; i < n.n; i++)
		len += strlen(n.parts[i]) + 1;
	char *s = alloc(p, len);
	if (!s)
		return NULL;
	for (uint32_t i = 0; i < n.n; i++) {
		if (i)
			strcat(s, ".");
		strcat(s, n.parts[i]);
	}
	return s;
}

/* ---- types ------------------------------------------------------------------ */

/* The integer inside a type modifier, checked against lo..hi (22023 if not). */
static bool parse_type_arg(struct ed_sql_parser *p, int32_t lo, int32_t hi, const char *type,
			   int32_t *out)
{
	const struct ed_sql_token *t = tok(p);
	int64_t v = 0;
	if (t->type != ED_TOK_INTEGER) {
		syntax(p, "an integer");
		return false;
	}
	for (uint32_t i = 0; i < t->len && v <= INT32_MAX; i++)
		v = v * 10 + (p->text[t->loc + i] - '0');
	if (v < lo || v > hi) {
		ed_sql_fail(p, t->loc, ED_EINVAL, ED_SQLSTATE_BAD_PARAMETER,
			    "%s modifier %lld is out of range (%d..%d)", type, (long long)v, lo, hi);
		return false;
	}
	*out = (int32_t)v;
	ed_sql_advance(p);
	return true;
}

/* An optional '(' n ')' after a type name; *out = -1 when absent. */
static bool parse_opt_precision(struct ed_sql_parser *p, int32_t lo, int32_t hi, const char *type,
				int32_t *out)
{
	*out = -1;
	if (!accept(p, ED_TOK_LPAREN))
		return true;
	return parse_type_arg(p, lo, hi, type, out) && expect(p, ED_TOK_RPAREN, "')'");
}

static bool parse_type(struct ed_sql_parser *p, struct ed_sql_type *ty)
{
	const struct ed_sql_token *t = tok(p);
	ty->loc = t->loc;
	ty->p = ty->s = -1;
	if (t->type != ED_TOK_IDENT || t->quoted) {
		syntax(p, "a type name");
		return false;
	}
	enum ed_sql_kw kw = t->kw;
	const char *word = t->str;
	ed_sql_advance(p);
	switch (kw) {
	case ED_KW_BOOLEAN:
	case ED_KW_BOOL:
		ty->id = ED_SQL_T_BOOLEAN;
		return true;
	case ED_KW_SMALLINT:
	case ED_KW_INT2:
		ty->id = ED_SQL_T_SMALLINT;
		return true;
	case ED_KW_INT:
	case ED_KW_INTEGER:
	case ED_KW_INT4:
		ty->id = ED_SQL_T_INTEGER;
		return true;
	case ED_KW_BIGINT:
	case ED_KW_INT8:
		ty->id = ED_SQL_T_BIGINT;
		return true;
	case ED_KW_REAL:
	case ED_KW_FLOAT4:
		ty->id = ED_SQL_T_REAL;
		return true;
	case ED_KW_FLOAT8:
		ty->id = ED_SQL_T_DOUBLE;
		return true;
	case ED_KW_FLOAT: {
		int32_t prec;
		if (!parse_opt_precision(p, 1, 53, "FLOAT", &prec))
			return false;
		ty->id = prec >= 1 && prec <= 24 ? ED_SQL_T_REAL : ED_SQL_T_DOUBLE;
		return true;
	}
	case ED_KW_DOUBLE:
		ty->id = ED_SQL_T_DOUBLE;
		return expect_kw(p, ED_KW_PRECISION);
	case ED_KW_DECIMAL:
	case ED_KW_DEC:
	case ED_KW_NUMERIC:
		ty->id = ED_SQL_T_NUMERIC;
		if (!accept(p, ED_TOK_LPAREN))
			return true;
		if (!parse_type_arg(p, 1, 1000, "NUMERIC precision", &ty->p))
			return false;
		if (accept(p, ED_TOK_COMMA) && !parse_type_arg(p, 0, ty->p, "NUMERIC scale", &ty->s))
			return false;
		return expect(p, ED_TOK_RPAREN, "')'");
	case ED_KW_CHARACTER:
		if (!expect_kw(p, ED_KW_VARYING))
			return false;
		/* fall through */
	case ED_KW_VARCHAR:
		ty->id = ED_SQL_T_VARCHAR;
		return parse_opt_precision(p, 1, 10485760, "VARCHAR length", &ty->p);
	case ED_KW_TEXT:
		ty->id = ED_SQL_T_VARCHAR;
		return true;
	case ED_KW_TIMESTAMP:
	case ED_KW_TIMESTAMPTZ:
		ty->id = kw == ED_KW_TIMESTAMP ? ED_SQL_T_TIMESTAMP : ED_SQL_T_TIMESTAMPTZ;
		if (!parse_opt_precision(p, 0, 6, "TIMESTAMP precision", &ty->p))
			return false;
		if (kw == ED_KW_TIMESTAMP && (is_kw(p, ED_KW_WITH) || is_kw(p, ED_KW_WITHOUT))) {
			bool with = is_kw(p, ED_KW_WITH);
			ed_sql_advance(p);
			if (!expect_kw(p, ED_KW_TIME) || !expect_kw(p, ED_KW_ZONE))
				return false;
			if (with)
				ty->id = ED_SQL_T_TIMESTAMPTZ;
		}
		return true;
	case ED_KW_INTERVAL:
		ty->id = ED_SQL_T_INTERVAL;
		return true;
	default:
		if (kw == ED_KW_NONE && strcmp(word, "string") == 0) {
			ty->id = ED_SQL_T_VARCHAR;
			return true;
		}
		ed_sql_fail(p, ty->loc, ED_EINVAL, ED_SQLSTATE_UNDEFINED_TYPE,
			    "type \"%s\" does not exist", word);
		return false;
	}
}

/* ---- expressions ------------------------------------------------------------ */

static struct ed_sql_expr *parse_expr(struct ed_sql_parser *p, int min);
static struct ed_sql_select *parse_select(struct ed_sql_parser *p);

static struct ed_sql_expr *new_expr(struct ed_sql_parser *p, enum ed_sql_expr_kind kind, uint32_t loc)
{
	struct ed_sql_expr *e = alloc(p, sizeof *e);
	if (e) {
		e->kind = kind;
		e->loc = loc;
		e->height = 1;
	}
	return e;
}

/* Records child as a child of e for the height limit. */
static bool child(struct ed_sql_parser *p, struct ed_sql_expr *e, const struct ed_sql_expr *c)
{
	if (!e || !c)
		return false;
	if (c->height + 1 > e->height)
		e->height = (uint16_t)(c->height + 1);
	if (e->height <= ED_SQL_MAX_DEPTH)
		return true;
	ed_sql_fail(p, e->loc, ED_ETOOBIG, ED_SQLSTATE_TOO_COMPLEX,
		    "statement is too complex: expression nested deeper than %d", ED_SQL_MAX_DEPTH);
	return false;
}

static struct ed_sql_expr *mk_binary(struct ed_sql_parser *p, enum ed_sql_binop op, uint32_t loc,
				     struct ed_sql_expr *l, struct ed_sql_expr *r)
{
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_BINARY, loc);
	if (!child(p, e, l) || !child(p, e, r))
		return NULL;
	e->u.bin.op = op;
	e->u.bin.l = l;
	e->u.bin.r = r;
	return e;
}

static struct ed_sql_expr *mk_unary(struct ed_sql_parser *p, enum ed_sql_unop op, uint32_t loc,
				    struct ed_sql_expr *arg)
{
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_UNARY, loc);
	if (!child(p, e, arg))
		return NULL;
	e->u.unary.op = op;
	e->u.unary.arg = arg;
	return e;
}

/* Integer or decimal token (with an optional minus folded in) as a literal. */
static struct ed_sql_expr *number_literal(struct ed_sql_parser *p, const struct ed_sql_token *t,
					  bool neg, uint32_t loc)
{
	const char *s = p->text + t->loc;
	if (t->type == ED_TOK_INTEGER) {
		uint64_t v = 0;
		bool over = false;
		for (uint32_t i = 0; i < t->len && !over; i++) {
			unsigned d = (unsigned)(s[i] - '0');
			if (v > (UINT64_MAX - d) / 10)
				over = true;
			else
				v = v * 10 + d;
		}
		uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		if (!over && v <= limit) {
			struct ed_sql_expr *e = new_expr(p, ED_SQL_E_INT, loc);
			if (e)
				e->u.i = neg ? (int64_t)(0 - v) : (int64_t)v;
			return e;
		}
	}
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_NUMERIC, loc);
	char *text = alloc(p, t->len + 2);
	if (!e || !text)
		return NULL;
	if (neg)
		text[0] = '-';
	memcpy(text + neg, s, t->len);
	e->u.text = text;
	return e;
}

static bool parse_expr_list(struct ed_sql_parser *p, struct vec *v)
{
	do {
		if (!push(p, v, parse_expr(p, 0)))
			return false;
	} while (accept(p, ED_TOK_COMMA));
	return true;
}

static struct ed_sql_expr *finish_func(struct ed_sql_parser *p, struct ed_sql_expr *e,
				       const char *name, struct vec *args)
{
	if (!e)
		return NULL;
	e->u.func.name = (char *)name;
	e->u.func.args = (struct ed_sql_expr **)args->v;
	e->u.func.nargs = args->n;
	for (uint32_t i = 0; i < args->n; i++)
		if (!child(p, e, e->u.func.args[i]))
			return NULL;
	return e;
}

static struct ed_sql_expr *string_expr(struct ed_sql_parser *p, const char *s, uint32_t loc)
{
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_STRING, loc);
	if (e) {
		e->u.str.s = s;
		e->u.str.len = strlen(s);
	}
	return e;
}

/* EXTRACT(field FROM x), SUBSTRING(x FROM a FOR b), POSITION(a IN b),
 * TRIM([LEADING|TRAILING|BOTH] [chars] FROM x). The current token is '('. */
static struct ed_sql_expr *parse_special_call(struct ed_sql_parser *p, enum ed_sql_kw kw, uint32_t loc)
{
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_FUNC, loc);
	struct vec args = {0};
	const char *name = NULL;
	if (!e)
		return NULL;
	ed_sql_advance(p); /* ( */
	switch (kw) {
	case ED_KW_EXTRACT: {
		const struct ed_sql_token *t = tok(p);
		if (t->type != ED_TOK_IDENT && t->type != ED_TOK_STRING)
			return syntax(p, "a field name such as YEAR or EPOCH");
		if (!push(p, &args, string_expr(p, t->str, t->loc)))
			return NULL;
		ed_sql_advance(p);
		if (!expect_kw(p, ED_KW_FROM) || !push(p, &args, parse_expr(p, 0)))
			return NULL;
		name = "extract";
		e->u.func.syntax = ED_SQL_CALL_EXTRACT;
		break;
	}
	case ED_KW_SUBSTRING: {
		struct ed_sql_expr *x = parse_expr(p, 0), *from = NULL, *for_ = NULL;
		if (!push(p, &args, x))
			return NULL;
		name = "substring";
		if (accept(p, ED_TOK_COMMA)) {
			if (!parse_expr_list(p, &args))
				return NULL;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (!from && accept_kw(p, ED_KW_FROM)) {
				if (!(from = parse_expr(p, 0)))
					return NULL;
			} else if (!for_ && accept_kw(p, ED_KW_FOR)) {
				if (!(for_ = parse_expr(p, 0)))
					return NULL;
			}
		}
		if (!from && for_) {
			from = new_expr(p, ED_SQL_E_INT, for_->loc);
			if (!from)
				return NULL;
			from->u.i = 1;
		}
		if ((from && !push(p, &args, from)) || (for_ && !push(p, &args, for_)))
			return NULL;
		break;
	}
	case ED_KW_POSITION: {
		struct ed_sql_expr *needle = parse_expr(p, P_OTHER), *hay;
		if (!needle || !expect_kw(p, ED_KW_IN) || !(hay = parse_expr(p, P_OTHER)))
			return NULL;
		if (!push(p, &args, hay) || !push(p, &args, needle))
			return NULL;
		name = "strpos";
		break;
	}
	default: { /* TRIM */
		name = "btrim";
		if (accept_kw(p, ED_KW_LEADING))
			name = "ltrim";
		else if (accept_kw(p, ED_KW_TRAILING))
			name = "rtrim";
		else
			accept_kw(p, ED_KW_BOTH);
		if (accept_kw(p, ED_KW_FROM)) {
			if (!parse_expr_list(p, &args))
				return NULL;
			break;
		}
		struct ed_sql_expr *first = parse_expr(p, 0);
		if (!first)
			return NULL;
		if (accept_kw(p, ED_KW_FROM)) {
			if (!parse_expr_list(p, &args) || !push(p, &args, first))
				return NULL;
		} else {
			if (!push(p, &args, first))
				return NULL;
			if (accept(p, ED_TOK_COMMA) && !parse_expr_list(p, &args))
				return NULL;
		}
		break;
	}
	}
	if (!expect(p, ED_TOK_RPAREN, "')'"))
		return NULL;
	return finish_func(p, e, name, &args);
}

static bool parse_order_list(struct ed_sql_parser *p, struct vec *v)
{
	do {
		struct ed_sql_order_item *o = alloc(p, sizeof *o);
		if (!o || !(o->expr = parse_expr(p, 0)))
			return false;
		if (accept_kw(p, ED_KW_DESC))
			o->desc = true;
		else
			accept_kw(p, ED_KW_ASC);
		if (accept_kw(p, ED_KW_NULLS)) {
			if (accept_kw(p, ED_KW_FIRST))
				o->nulls = ED_SQL_NULLS_FIRST;
			else if (accept_kw(p, ED_KW_LAST))
				o->nulls = ED_SQL_NULLS_LAST;
			else
				return syntax(p, "FIRST or LAST");
		}
		if (!push(p, v, o))
			return false;
	} while (accept(p, ED_TOK_COMMA));
	return true;
}

static bool parse_frame_bound(struct ed_sql_parser *p, struct ed_sql_frame_bound *b)
{
	const struct ed_sql_token *n1 = peek(p, 1);
	if (is_kw(p, ED_KW_UNBOUNDED) &&
	    (tok_is_kw(n1, ED_KW_PRECEDING) || tok_is_kw(n1, ED_KW_FOLLOWING))) {
		b->kind = tok_is_kw(n1, ED_KW_PRECEDING) ? ED_SQL_BOUND_UNBOUNDED_PRECEDING
							 : ED_SQL_BOUND_UNBOUNDED_FOLLOWING;
		ed_sql_advance(p);
		ed_sql_advance(p);
		return true;
	}
	if (is_kw(p, ED_KW_CURRENT) && tok_is_kw(n1, ED_KW_ROW)) {
		b->kind = ED_SQL_BOUND_CURRENT_ROW;
		ed_sql_advance(p);
		ed_sql_advance(p);
		return true;
	}
	if (!(b->offset = parse_expr(p, 0)))
		return false;
	if (accept_kw(p, ED_KW_PRECEDING))
		b->kind = ED_SQL_BOUND_PRECEDING;
	else if (accept_kw(p, ED_KW_FOLLOWING))
		b->kind = ED_SQL_BOUND_FOLLOWING;
	else
		return syntax(p, "PRECEDING or FOLLOWING");
	return true;
}

static struct ed_sql_window_spec *parse_over(struct ed_sql_parser *p)
{
	struct ed_sql_window_spec *w = alloc(p, sizeof *w);
	struct vec part = {0}, order = {0};
	if (!w)
		return NULL;
	w->loc = tok(p)->loc;
	if (!expect(p, ED_TOK_LPAREN, "'(' (named windows are not supported)"))
		return NULL;
	if (accept_kw(p, ED_KW_PARTITION)) {
		if (!expect_kw(p, ED_KW_BY) || !parse_expr_list(p, &part))
			return NULL;
	}
	if (accept_kw(p, ED_KW_ORDER)) {
		if (!expect_kw(p, ED_KW_BY) || !parse_order_list(p, &order))
			return NULL;
	}
	if (is_kw(p, ED_KW_ROWS) || is_kw(p, ED_KW_RANGE)) {
		uint32_t floc = tok(p)->loc;
		w->mode = is_kw(p, ED_KW_ROWS) ? ED_SQL_FRAME_ROWS : ED_SQL_FRAME_RANGE;
		ed_sql_advance(p);
		if (accept_kw(p, ED_KW_BETWEEN)) {
			if (!parse_frame_bound(p, &w->start) || !expect_kw(p, ED_KW_AND) ||
			    !parse_frame_bound(p, &w->end))
				return NULL;
		} else {
			if (!parse_frame_bound(p, &w->start))
				return NULL;
			w->end.kind = ED_SQL_BOUND_CURRENT_ROW;
		}
		if (w->start.kind == ED_SQL_BOUND_UNBOUNDED_FOLLOWING ||
		    w->end.kind == ED_SQL_BOUND_UNBOUNDED_PRECEDING || w->start.kind > w->end.kind ||
		    (w->start.kind == ED_SQL_BOUND_FOLLOWING &&
		     w->end.kind == ED_SQL_BOUND_CURRENT_ROW))
			return ed_sql_fail(p, floc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
					   "window frame ends before it starts");
	}
	if (!expect(p, ED_TOK_RPAREN, "')'"))
		return NULL;
	w->partition = (struct ed_sql_expr **)part.v;
	w->npartition = part.n;
	w->order = (struct ed_sql_order_item **)order.v;
	w->norder = order.n;
	return w;
}

/* name(...) with the current token at '('. */
static struct ed_sql_expr *parse_call(struct ed_sql_parser *p, struct ed_sql_name *name)
{
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_FUNC, name->loc);
	struct vec args = {0};
	if (!e)
		return NULL;
	if (name->n > 2)
		return ed_sql_fail(p, name->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
				   "improper qualified name (too many dotted names)");
	if (name->n == 2)
		e->u.func.schema = name->parts[0];
	ed_sql_advance(p); /* ( */
	if (accept(p, ED_TOK_STAR)) {
		e->u.func.star = true;
	} else if (tok(p)->type != ED_TOK_RPAREN) {
		if (accept_kw(p, ED_KW_DISTINCT))
			e->u.func.distinct = true;
		else
			accept_kw(p, ED_KW_ALL);
		if (!parse_expr_list(p, &args))
			return NULL;
	}
	if (is_kw(p, ED_KW_ORDER))
		return not_supported(p, tok(p)->loc, "ORDER BY inside an aggregate call");
	if (!expect(p, ED_TOK_RPAREN, "')'"))
		return NULL;
	if (!finish_func(p, e, name->parts[name->n - 1], &args))
		return NULL;
	if (accept_kw(p, ED_KW_OVER)) {
		struct ed_sql_window_spec *w = parse_over(p);
		if (!w)
			return NULL;
		for (uint32_t i = 0; i < w->npartition; i++)
			if (!child(p, e, w->partition[i]))
				return NULL;
		for (uint32_t i = 0; i < w->norder; i++)
			if (!child(p, e, w->order[i]->expr))
				return NULL;
		if ((w->start.offset && !child(p, e, w->start.offset)) ||
		    (w->end.offset && !child(p, e, w->end.offset)))
			return NULL;
		e->u.func.over = w;
	}
	return e;
}

static struct ed_sql_expr *parse_case(struct ed_sql_parser *p)
{
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_CASE, tok(p)->loc);
	struct vec whens = {0};
	if (!e)
		return NULL;
	ed_sql_advance(p); /* CASE */
	if (!is_kw(p, ED_KW_WHEN)) {
		if (!child(p, e, e->u.kase.arg = parse_expr(p, 0)))
			return NULL;
	}
	if (!is_kw(p, ED_KW_WHEN))
		return syntax(p, "WHEN");
	while (accept_kw(p, ED_KW_WHEN)) {
		struct ed_sql_when *w = alloc(p, sizeof *w);
		if (!w || !child(p, e, w->cond = parse_expr(p, 0)) || !expect_kw(p, ED_KW_THEN) ||
		    !child(p, e, w->result = parse_expr(p, 0)) || !push(p, &whens, w))
			return NULL;
	}
	if (accept_kw(p, ED_KW_ELSE) && !child(p, e, e->u.kase.else_ = parse_expr(p, 0)))
		return NULL;
	if (!expect_kw(p, ED_KW_END))
		return NULL;
	e->u.kase.whens = (struct ed_sql_when **)whens.v;
	e->u.kase.nwhens = whens.n;
	return e;
}

static struct ed_sql_expr *parse_interval_literal(struct ed_sql_parser *p, uint32_t loc)
{
	const struct ed_sql_token *s = tok(p);
	const char *str = s->str;
	size_t slen = s->slen;
	uint32_t sloc = s->loc;
	int unit = ED_KW_NONE;
	ed_sql_advance(p);
	const struct ed_sql_token *u = tok(p);
	if (u->type == ED_TOK_IDENT && !u->quoted &&
	    (u->kw == ED_KW_YEAR || u->kw == ED_KW_MONTH || u->kw == ED_KW_DAY ||
	     u->kw == ED_KW_HOUR || u->kw == ED_KW_MINUTE || u->kw == ED_KW_SECOND)) {
		unit = u->kw;
		ed_sql_advance(p);
		if (is_kw(p, ED_KW_TO))
			return not_supported(p, tok(p)->loc, "INTERVAL ... TO ... (a field range)");
	}
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_INTERVAL, loc);
	const char *state;
	char msg[200];
	if (!e)
		return NULL;
	if (ed_sql_interval_parse(str, slen, unit, &e->u.iv, &state, msg, sizeof msg))
		return ed_sql_fail(p, sloc, ED_EINVAL, state, "%s", msg);
	return e;
}

static struct ed_sql_expr *parse_timestamp_literal(struct ed_sql_parser *p, uint32_t loc, bool tz)
{
	const struct ed_sql_token *s = tok(p);
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_TIMESTAMP, loc);
	const char *state;
	char msg[200];
	if (!e)
		return NULL;
	if (s->type != ED_TOK_STRING)
		return syntax(p, "a string literal");
	e->u.ts.tz = tz;
	if (ed_sql_timestamp_parse(s->str, s->slen, tz, &e->u.ts.usec, &state, msg, sizeof msg))
		return ed_sql_fail(p, s->loc, ED_EINVAL, state, "%s", msg);
	ed_sql_advance(p);
	return e;
}

static struct ed_sql_expr *parse_primary(struct ed_sql_parser *p)
{
	const struct ed_sql_token *t = tok(p);
	uint32_t loc = t->loc;
	struct ed_sql_expr *e;
	switch (t->type) {
	case ED_TOK_INTEGER:
	case ED_TOK_DECIMAL:
		e = number_literal(p, t, false, loc);
		ed_sql_advance(p);
		return e;
	case ED_TOK_STRING:
		e = new_expr(p, ED_SQL_E_STRING, loc);
		if (e) {
			e->u.str.s = t->str;
			e->u.str.len = t->slen;
		}
		ed_sql_advance(p);
		return e;
	case ED_TOK_PARAM:
		e = new_expr(p, ED_SQL_E_PARAM, loc);
		if (e)
			e->u.param = t->param;
		ed_sql_advance(p);
		return e;
	case ED_TOK_LPAREN:
		if (tok_is_kw(peek(p, 1), ED_KW_SELECT))
			return not_supported(p, peek(p, 1)->loc, "a subquery in an expression");
		ed_sql_advance(p);
		e = parse_expr(p, 0);
		if (!e || !expect(p, ED_TOK_RPAREN, "')'"))
			return NULL;
		return e;
	case ED_TOK_IDENT:
		break;
	default:
		return syntax(p, "an expression");
	}
	const struct ed_sql_token *n1 = peek(p, 1);
	if (!t->quoted) {
		switch (t->kw) {
		case ED_KW_TRUE:
		case ED_KW_FALSE:
			e = new_expr(p, ED_SQL_E_BOOL, loc);
			if (e)
				e->u.b = t->kw == ED_KW_TRUE;
			ed_sql_advance(p);
			return e;
		case ED_KW_NULL:
			ed_sql_advance(p);
			return new_expr(p, ED_SQL_E_NULL, loc);
		case ED_KW_CASE:
			return parse_case(p);
		case ED_KW_CAST:
			e = new_expr(p, ED_SQL_E_CAST, loc);
			ed_sql_advance(p);
			if (!e || !expect(p, ED_TOK_LPAREN, "'('") ||
			    !child(p, e, e->u.cast.arg = parse_expr(p, 0)) ||
			    !expect_kw(p, ED_KW_AS) || !parse_type(p, &e->u.cast.type) ||
			    !expect(p, ED_TOK_RPAREN, "')'"))
				return NULL;
			return e;
		case ED_KW_INTERVAL:
			if (n1->type != ED_TOK_STRING)
				break;
			ed_sql_advance(p);
			return parse_interval_literal(p, loc);
		case ED_KW_TIMESTAMPTZ:
			if (n1->type != ED_TOK_STRING)
				break;
			ed_sql_advance(p);
			return parse_timestamp_literal(p, loc, true);
		case ED_KW_TIMESTAMP:
			if (n1->type == ED_TOK_STRING) {
				ed_sql_advance(p);
				return parse_timestamp_literal(p, loc, false);
			}
			if ((tok_is_kw(n1, ED_KW_WITH) || tok_is_kw(n1, ED_KW_WITHOUT)) &&
			    tok_is_kw(peek(p, 2), ED_KW_TIME) && tok_is_kw(peek(p, 3), ED_KW_ZONE)) {
				bool tz = tok_is_kw(n1, ED_KW_WITH);
				for (int i = 0; i < 4; i++)
					ed_sql_advance(p);
				return parse_timestamp_literal(p, loc, tz);
			}
			break;
		case ED_KW_EXTRACT:
		case ED_KW_SUBSTRING:
		case ED_KW_POSITION:
		case ED_KW_TRIM:
			if (n1->type != ED_TOK_LPAREN)
				break;
			enum ed_sql_kw kw = t->kw;
			ed_sql_advance(p);
			return parse_special_call(p, kw, loc);
		case ED_KW_EXISTS:
			if (n1->type == ED_TOK_LPAREN && tok_is_kw(peek(p, 2), ED_KW_SELECT))
				return not_supported(p, loc, "EXISTS (subquery)");
			break;
		default:
			break;
		}
	}
	if (!tok_is_name(t))
		return syntax(p, "an expression");
	struct ed_sql_name name;
	if (!parse_qualified(p, &name, UINT32_MAX, "a name"))
		return NULL;
	if (tok(p)->type == ED_TOK_LPAREN)
		return parse_call(p, &name);
	if (tok(p)->type == ED_TOK_DOT && peek(p, 1)->type == ED_TOK_STAR)
		return syntax(p, "a column name (t.* is allowed only in the SELECT list)");
	e = new_expr(p, ED_SQL_E_COLUMN, loc);
	if (e)
		e->u.col = name;
	return e;
}

/* The binary operator at the current token: its level (0 if none). */
static int binop_level(struct ed_sql_parser *p, enum ed_sql_binop *op)
{
	const struct ed_sql_token *t = tok(p);
	*op = 0;
	switch (t->type) {
	case ED_TOK_PLUS:
		*op = ED_SQL_OP_ADD;
		return P_ADD;
	case ED_TOK_MINUS:
		*op = ED_SQL_OP_SUB;
		return P_ADD;
	case ED_TOK_STAR:
		*op = ED_SQL_OP_MUL;
		return P_MUL;
	case ED_TOK_SLASH:
		*op = ED_SQL_OP_DIV;
		return P_MUL;
	case ED_TOK_PERCENT:
		*op = ED_SQL_OP_MOD;
		return P_MUL;
	case ED_TOK_CONCAT:
		*op = ED_SQL_OP_CONCAT;
		return P_OTHER;
	case ED_TOK_ARROW:
		*op = ED_SQL_OP_JSON_GET;
		return P_OTHER;
	case ED_TOK_ARROW2:
		*op = ED_SQL_OP_JSON_GET_TEXT;
		return P_OTHER;
	case ED_TOK_EQ:
		*op = ED_SQL_OP_EQ;
		return P_CMP;
	case ED_TOK_NE:
		*op = ED_SQL_OP_NE;
		return P_CMP;
	case ED_TOK_LT:
		*op = ED_SQL_OP_LT;
		return P_CMP;
	case ED_TOK_LE:
		*op = ED_SQL_OP_LE;
		return P_CMP;
	case ED_TOK_GT:
		*op = ED_SQL_OP_GT;
		return P_CMP;
	case ED_TOK_GE:
		*op = ED_SQL_OP_GE;
		return P_CMP;
	case ED_TOK_CAST:
		return P_CAST;
	case ED_TOK_IDENT:
		if (t->quoted)
			return 0;
		switch (t->kw) {
		case ED_KW_OR:
			*op = ED_SQL_OP_OR;
			return P_OR;
		case ED_KW_AND:
			*op = ED_SQL_OP_AND;
			return P_AND;
		case ED_KW_IS:
			return P_IS;
		case ED_KW_IN:
		case ED_KW_BETWEEN:
		case ED_KW_LIKE:
		case ED_KW_ILIKE:
			return P_IN;
		case ED_KW_NOT: {
			const struct ed_sql_token *n = peek(p, 1);
			if (tok_is_kw(n, ED_KW_IN) || tok_is_kw(n, ED_KW_BETWEEN) ||
			    tok_is_kw(n, ED_KW_LIKE) || tok_is_kw(n, ED_KW_ILIKE))
				return P_IN;
			return 0;
		}
		default:
			return 0;
		}
	default:
		return 0;
	}
}

/* IS [NOT] ..., with lhs already parsed and the current token at IS. */
static struct ed_sql_expr *parse_is(struct ed_sql_parser *p, struct ed_sql_expr *lhs)
{
	struct ed_sql_expr *e = new_expr(p, ED_SQL_E_IS, tok(p)->loc);
	if (!child(p, e, lhs))
		return NULL;
	ed_sql_advance(p);
	e->u.is.arg = lhs;
	e->u.is.negated = accept_kw(p, ED_KW_NOT);
	if (accept_kw(p, ED_KW_NULL)) {
		e->u.is.test = ED_SQL_IS_NULL;
	} else if (accept_kw(p, ED_KW_TRUE)) {
		e->u.is.test = ED_SQL_IS_TRUE;
	} else if (accept_kw(p, ED_KW_FALSE)) {
		e->u.is.test = ED_SQL_IS_FALSE;
	} else if (accept_kw(p, ED_KW_UNKNOWN)) {
		e->u.is.test = ED_SQL_IS_UNKNOWN;
	} else if (accept_kw(p, ED_KW_DISTINCT)) {
		e->u.is.test = ED_SQL_IS_DISTINCT_FROM;
		if (!expect_kw(p, ED_KW_FROM) || !child(p, e, e->u.is.rhs = parse_expr(p, P_IS + 1)))
			return NULL;
	} else {
		return syntax(p, "NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM");
	}
	return e;
}

/* [NOT] IN / BETWEEN / LIKE / ILIKE with lhs parsed, current token NOT or the keyword. */
static struct ed_sql_expr *parse_in_like(struct ed_sql_parser *p, struct ed_sql_expr *lhs)
{
	bool neg = accept_kw(p, ED_KW_NOT);
	const struct ed_sql_token *t = tok(p);
	uint32_t loc = t->loc;
	enum ed_sql_kw kw = t->kw;
	struct ed_sql_expr *e;
	ed_sql_advance(p);
	if (kw == ED_KW_IN) {
		struct vec list = {0};
		e = new_expr(p, ED_SQL_E_IN, loc);
		if (!child(p, e, lhs))
			return NULL;
		if (tok(p)->type == ED_TOK_LPAREN && tok_is_kw(peek(p, 1), ED_KW_SELECT))
			return not_supported(p, peek(p, 1)->loc, "IN (subquery)");
		if (!expect(p, ED_TOK_LPAREN, "'('") || !parse_expr_list(p, &list) ||
		    !expect(p, ED_TOK_RPAREN, "')'"))
			return NULL;
		for (uint32_t i = 0; i < list.n; i++)
			if (!child(p, e, list.v[i]))
				return NULL;
		e->u.in.negated = neg;
		e->u.in.arg = lhs;
		e->u.in.list = (struct ed_sql_expr **)list.v;
		e->u.in.n = list.n;
		return e;
	}
	if (kw == ED_KW_BETWEEN) {
		e = new_expr(p, ED_SQL_E_BETWEEN, loc);
		if (!child(p, e, lhs) || !child(p, e, e->u.between.lo = parse_expr(p, P_IN + 1)) ||
		    !expect_kw(p, ED_KW_AND) ||
		    !child(p, e, e->u.between.hi = parse_expr(p, P_IN + 1)))
			return NULL;
		e->u.between.negated = neg;
		e->u.between.arg = lhs;
		return e;
	}
	e = new_expr(p, ED_SQL_E_LIKE, loc);
	if (!child(p, e, lhs) || !child(p, e, e->u.like.pattern = parse_expr(p, P_IN + 1)))
		return NULL;
	if (accept_kw(p, ED_KW_ESCAPE) && !child(p, e, e->u.like.escape = parse_expr(p, P_IN + 1)))
		return NULL;
	e->u.like.negated = neg;
	e->u.like.ilike = kw == ED_KW_ILIKE;
	e->u.like.arg = lhs;
	return e;
}

/* Precedence climbing: an expression whose operators all bind at least as
 * tightly as level min. */
static struct ed_sql_expr *parse_expr(struct ed_sql_parser *p, int min)
{
	struct ed_sql_expr *lhs = NULL;
	if (!enter(p))
		return NULL;
	const struct ed_sql_token *t = tok(p);
	uint32_t loc = t->loc;
	if (tok_is_kw(t, ED_KW_NOT)) {
		ed_sql_advance(p);
		lhs = mk_unary(p, ED_SQL_OP_NOT, loc, parse_expr(p, P_NOT));
	} else if (t->type == ED_TOK_MINUS) {
		const struct ed_sql_token *n = peek(p, 1);
		if ((n->type == ED_TOK_INTEGER || n->type == ED_TOK_DECIMAL) &&
		    peek(p, 2)->type != ED_TOK_CAST) {
			ed_sql_advance(p);
			lhs = number_literal(p, tok(p), true, loc);
			ed_sql_advance(p);
		} else {
			ed_sql_advance(p);
			lhs = mk_unary(p, ED_SQL_OP_NEG, loc, parse_expr(p, P_UNARY));
		}
	} else if (t->type == ED_TOK_PLUS) {
		ed_sql_advance(p);
		lhs = parse_expr(p, P_UNARY);
	} else {
		lhs = parse_primary(p);
	}
	while (lhs) {
		enum ed_sql_binop op;
		int level = binop_level(p, &op);
		if (level == 0 || level < min)
			break;
		uint32_t oloc = tok(p)->loc;
		if (level == P_CAST) {
			struct ed_sql_expr *c = new_expr(p, ED_SQL_E_CAST, oloc);
			ed_sql_advance(p);
			if (!child(p, c, lhs) || !parse_type(p, &c->u.cast.type))
				lhs = NULL;
			else
				c->u.cast.arg = lhs, lhs = c;
		} else if (level == P_IS) {
			lhs = parse_is(p, lhs);
		} else if (level == P_IN) {
			lhs = parse_in_like(p, lhs);
		} else {
			ed_sql_advance(p);
			lhs = mk_binary(p, op, oloc, lhs, parse_expr(p, level + 1));
		}
	}
	leave(p);
	return lhs;
}

/* ---- FROM ------------------------------------------------------------------- */

static struct ed_sql_from *parse_join_tree(struct ed_sql_parser *p);

static bool parse_alias(struct ed_sql_parser *p, char **alias)
{
	if (accept_kw(p, ED_KW_AS)) {
		const struct ed_sql_token *t = tok(p);
		if (t->type != ED_TOK_IDENT) {
			syntax(p, "an alias");
			return false;
		}
		*alias = t->str;
		ed_sql_advance(p);
		return true;
	}
	if (tok_is_name(tok(p)))
		*alias = parse_name(p, "an alias");
	return true;
}

static bool check_tvf(struct ed_sql_parser *p, struct ed_sql_from *f)
{
	static const char *const usage[] = {
		NULL,
		"TUMBLE(source, time_column | PROCTIME(), size [, offset])",
		"HOP(source, time_column | PROCTIME(), slide, size [, offset])",
		"SESSION(source, time_column | PROCTIME(), gap)",
	};
	static const uint32_t lo[] = {0, 3, 4, 3}, hi[] = {0, 4, 5, 3};
	enum ed_sql_window_tvf k = ED_SQL_TVF_NONE;
	if (strcmp(f->u.func.name, "tumble") == 0)
		k = ED_SQL_TVF_TUMBLE;
	else if (strcmp(f->u.func.name, "hop") == 0)
		k = ED_SQL_TVF_HOP;
	else if (strcmp(f->u.func.name, "session") == 0)
		k = ED_SQL_TVF_SESSION;
	f->u.func.tvf = k;
	if (k == ED_SQL_TVF_NONE)
		return true;
	struct ed_sql_expr **a = f->u.func.args;
	/* The time argument is a column, or PROCTIME() for processing time. */
	bool proctime = f->u.func.nargs >= 2 && a[1]->kind == ED_SQL_E_FUNC &&
			!a[1]->u.func.schema && strcmp(a[1]->u.func.name, "proctime") == 0 &&
			a[1]->u.func.nargs == 0 && !a[1]->u.func.star && !a[1]->u.func.over;
	if (f->u.func.nargs < lo[k] || f->u.func.nargs > hi[k] || a[0]->kind != ED_SQL_E_COLUMN ||
	    (a[1]->kind != ED_SQL_E_COLUMN && !proctime)) {
		ed_sql_fail(p, f->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
			    "wrong arguments for a window function: expected %s", usage[k]);
		return false;
	}
	return true;
}

/* A table, (subquery), (join), or table function, with its alias. */
static struct ed_sql_from *parse_from_item(struct ed_sql_parser *p)
{
	struct ed_sql_from *f = NULL;
	if (!enter(p))
		return NULL;
	f = alloc(p, sizeof *f);
	if (!f)
		goto out;
	f->loc = tok(p)->loc;
	f->height = 1;
	if (tok(p)->type == ED_TOK_LPAREN) {
		ed_sql_advance(p);
		if (is_kw(p, ED_KW_SELECT)) {
			f->kind = ED_SQL_FROM_SUBQUERY;
			if (!(f->u.sub = parse_select(p)) || !expect(p, ED_TOK_RPAREN, "')'") ||
			    !parse_alias(p, &f->alias))
				f = NULL;
		} else {
			struct ed_sql_from *inner = parse_join_tree(p);
			if (!inner || !expect(p, ED_TOK_RPAREN, "')'"))
				f = NULL;
			else
				f = inner;
		}
		goto out;
	}
	if (!tok_is_name(tok(p))) {
		f = syntax(p, "a table name, a subquery or a window function");
		goto out;
	}
	struct ed_sql_name name;
	if (!parse_qualified(p, &name, 3, "a table name")) {
		f = NULL;
		goto out;
	}
	if (tok(p)->type == ED_TOK_LPAREN) {
		struct vec args = {0};
		if (name.n != 1) {
			f = ed_sql_fail(p, name.loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
					"improper qualified name (too many dotted names)");
			goto out;
		}
		ed_sql_advance(p);
		if (tok(p)->type != ED_TOK_RPAREN && !parse_expr_list(p, &args)) {
			f = NULL;
			goto out;
		}
		f->kind = ED_SQL_FROM_FUNC;
		f->u.func.name = name.parts[0];
		f->u.func.args = (struct ed_sql_expr **)args.v;
		f->u.func.nargs = args.n;
		if (!expect(p, ED_TOK_RPAREN, "')'") || !check_tvf(p, f) ||
		    !parse_alias(p, &f->alias))
			f = NULL;
		goto out;
	}
	f->kind = ED_SQL_FROM_TABLE;
	f->u.table = name;
	if (!parse_alias(p, &f->alias))
		f = NULL;
out:
	leave(p);
	return f;
}

static struct ed_sql_from *parse_join_tree(struct ed_sql_parser *p)
{
	struct ed_sql_from *left = parse_from_item(p);
	while (left) {
		enum ed_sql_join_kind kind;
		uint32_t loc = tok(p)->loc;
		if (is_kw(p, ED_KW_NATURAL))
			return not_supported(p, loc, "NATURAL JOIN");
		if (accept_kw(p, ED_KW_CROSS)) {
			kind = ED_SQL_JOIN_CROSS;
		} else if (accept_kw(p, ED_KW_INNER)) {
			kind = ED_SQL_JOIN_INNER;
		} else if (is_kw(p, ED_KW_JOIN)) {
			kind = ED_SQL_JOIN_INNER;
		} else if (accept_kw(p, ED_KW_LEFT)) {
			kind = ED_SQL_JOIN_LEFT;
			accept_kw(p, ED_KW_OUTER);
		} else if (accept_kw(p, ED_KW_RIGHT)) {
			kind = ED_SQL_JOIN_RIGHT;
			accept_kw(p, ED_KW_OUTER);
		} else if (accept_kw(p, ED_KW_FULL)) {
			kind = ED_SQL_JOIN_FULL;
			accept_kw(p, ED_KW_OUTER);
		} else {
			break;
		}
		if (!expect_kw(p, ED_KW_JOIN))
			return NULL;
		struct ed_sql_from *j = alloc(p, sizeof *j), *right = parse_from_item(p);
		if (!j || !right)
			return NULL;
		j->kind = ED_SQL_FROM_JOIN;
		j->loc = loc;
		j->u.join.kind = kind;
		j->u.join.l = left;
		j->u.join.r = right;
		j->height = (uint16_t)((left->height > right->height ? left->height : right->height) +
				       1);
		if (j->height > ED_SQL_MAX_DEPTH)
			return ed_sql_fail(p, loc, ED_ETOOBIG, ED_SQLSTATE_TOO_COMPLEX,
					   "statement is too complex: more than %d joins",
					   ED_SQL_MAX_DEPTH);
		if (kind != ED_SQL_JOIN_CROSS) {
			if (is_kw(p, ED_KW_USING))
				return not_supported(p, tok(p)->loc, "JOIN ... USING");
			if (!expect_kw(p, ED_KW_ON) || !(j->u.join.on = parse_expr(p, 0)))
				return NULL;
		}
		left = j;
	}
	return left;
}

/* ---- SELECT ------------------------------------------------------------------ */

static struct ed_sql_target *parse_target(struct ed_sql_parser *p)
{
	struct ed_sql_target *t = alloc(p, sizeof *t);
	const struct ed_sql_token *cur = tok(p);
	if (!t)
		return NULL;
	t->loc = cur->loc;
	if (cur->type == ED_TOK_STAR) {
		ed_sql_advance(p);
		t->star = true;
		return t;
	}
	if (tok_is_name(cur) && peek(p, 1)->type == ED_TOK_DOT && peek(p, 2)->type == ED_TOK_STAR) {
		t->star = true;
		t->star_qual = cur->str;
		ed_sql_advance(p);
		ed_sql_advance(p);
		ed_sql_advance(p);
		return t;
	}
	if (!(t->expr = parse_expr(p, 0)) || !parse_alias(p, &t->alias))
		return NULL;
	return t;
}

static struct ed_sql_select *parse_select(struct ed_sql_parser *p)
{
	struct ed_sql_select *s = NULL;
	struct vec targets = {0}, from = {0}, group = {0}, order = {0};
	if (!enter(p))
		return NULL;
	s = alloc(p, sizeof *s);
	if (!s)
		goto fail;
	s->loc = tok(p)->loc;
	if (!expect_kw(p, ED_KW_SELECT))
		goto fail;
	if (accept_kw(p, ED_KW_DISTINCT)) {
		s->distinct = true;
		if (is_kw(p, ED_KW_ON)) {
			not_supported(p, tok(p)->loc, "DISTINCT ON");
			goto fail;
		}
	} else {
		accept_kw(p, ED_KW_ALL);
	}
	do {
		if (!push(p, &targets, parse_target(p)))
			goto fail;
	} while (accept(p, ED_TOK_COMMA));
	if (accept_kw(p, ED_KW_FROM)) {
		do {
			if (!push(p, &from, parse_join_tree(p)))
				goto fail;
		} while (accept(p, ED_TOK_COMMA));
	}
	if (accept_kw(p, ED_KW_WHERE) && !(s->where = parse_expr(p, 0)))
		goto fail;
	if (accept_kw(p, ED_KW_GROUP)) {
		if (!expect_kw(p, ED_KW_BY) || !parse_expr_list(p, &group))
			goto fail;
	}
	if (accept_kw(p, ED_KW_HAVING) && !(s->having = parse_expr(p, 0)))
		goto fail;
	if (is_kw(p, ED_KW_WINDOW)) {
		not_supported(p, tok(p)->loc, "WINDOW clause (write OVER (...) on each call)");
		goto fail;
	}
	if (accept_kw(p, ED_KW_ORDER)) {
		if (!expect_kw(p, ED_KW_BY) || !parse_order_list(p, &order))
			goto fail;
	}
	for (int i = 0; i < 2; i++) {
		if (!s->limit && accept_kw(p, ED_KW_LIMIT)) {
			if (accept_kw(p, ED_KW_ALL))
				continue;
			if (!(s->limit = parse_expr(p, 0)))
				goto fail;
		} else if (!s->offset && accept_kw(p, ED_KW_OFFSET)) {
			if (!(s->offset = parse_expr(p, 0)))
				goto fail;
			if (!accept_kw(p, ED_KW_ROWS))
				accept_kw(p, ED_KW_ROW);
		}
	}
	s->targets = (struct ed_sql_target **)targets.v;
	s->ntargets = targets.n;
	s->from = (struct ed_sql_from **)from.v;
	s->nfrom = from.n;
	s->group = (struct ed_sql_expr **)group.v;
	s->ngroup = group.n;
	s->order = (struct ed_sql_order_item **)order.v;
	s->norder = order.n;
	leave(p);
	return s;
fail:
	leave(p);
	return NULL;
}

/* ---- statements ----------------------------------------------------------------- */

static struct ed_sql_stmt *parse_stmt(struct ed_sql_parser *p);

static bool parse_if_not_exists(struct ed_sql_parser *p)
{
	if (is_kw(p, ED_KW_IF) && tok_is_kw(peek(p, 1), ED_KW_NOT)) {
		ed_sql_advance(p);
		ed_sql_advance(p);
		return expect_kw(p, ED_KW_EXISTS);
	}
	return false;
}

/* A value in WITH (k = v) or SET x = v. */
static bool parse_value(struct ed_sql_parser *p, struct ed_sql_value *v)
{
	const struct ed_sql_token *t = tok(p);
	v->loc = t->loc;
	if (t->type == ED_TOK_STRING) {
		v->kind = ED_SQL_V_STRING;
		v->text = t->str;
		ed_sql_advance(p);
		return true;
	}
	if (t->type == ED_TOK_MINUS || t->type == ED_TOK_PLUS || t->type == ED_TOK_INTEGER ||
	    t->type == ED_TOK_DECIMAL) {
		bool neg = false;
		if (t->type != ED_TOK_INTEGER && t->type != ED_TOK_DECIMAL) {
			neg = t->type == ED_TOK_MINUS;
			ed_sql_advance(p);
			t = tok(p);
			if (t->type != ED_TOK_INTEGER && t->type != ED_TOK_DECIMAL) {
				syntax(p, "a number");
				return false;
			}
		}
		char *s = alloc(p, t->len + 2);
		if (!s)
			return false;
		if (neg)
			s[0] = '-';
		memcpy(s + neg, p->text + t->loc, t->len);
		v->kind = ED_SQL_V_NUMBER;
		v->text = s;
		ed_sql_advance(p);
		return true;
	}
	if (tok_is_kw(t, ED_KW_TRUE) || tok_is_kw(t, ED_KW_FALSE)) {
		v->kind = ED_SQL_V_BOOL;
		v->text = t->kw == ED_KW_TRUE ? "true" : "false";
		ed_sql_advance(p);
		return true;
	}
	if (tok_is_name(t) || tok_is_kw(t, ED_KW_ON)) {
		v->kind = ED_SQL_V_IDENT;
		v->text = t->str;
		ed_sql_advance(p);
		return true;
	}
	syntax(p, "a value (string, number, TRUE, FALSE or name)");
	return false;
}

static bool parse_options(struct ed_sql_parser *p, struct ed_sql_option ***out, uint32_t *n)
{
	struct vec v = {0};
	if (!accept_kw(p, ED_KW_WITH))
		return true;
	if (!expect(p, ED_TOK_LPAREN, "'('"))
		return false;
	do {
		struct ed_sql_option *o = alloc(p, sizeof *o);
		if (!o)
			return false;
		o->loc = tok(p)->loc;
		if (tok(p)->type == ED_TOK_STRING) {
			o->key = tok(p)->str;
			ed_sql_advance(p);
		} else if (!(o->key = parse_dotted(p, "an option name"))) {
			return false;
		}
		if (!expect(p, ED_TOK_EQ, "'='") || !parse_value(p, &o->value) || !push(p, &v, o))
			return false;
	} while (accept(p, ED_TOK_COMMA));
	if (!expect(p, ED_TOK_RPAREN, "')'"))
		return false;
	*out = (struct ed_sql_option **)v.v;
	*n = v.n;
	return true;
}

static bool parse_create_source(struct ed_sql_parser *p, struct ed_sql_stmt *st)
{
	struct vec cols = {0};
	st->kind = ED_SQL_S_CREATE_SOURCE;
	st->u.source.if_not_exists = parse_if_not_exists(p);
	if (p->rc || !parse_qualified(p, &st->u.source.name, 2, "a source name"))
		return false;
	if (accept(p, ED_TOK_LPAREN)) {
		do {
			uint32_t loc = tok(p)->loc;
			if (is_kw(p, ED_KW_WATERMARK) && tok_is_kw(peek(p, 1), ED_KW_FOR)) {
				struct ed_sql_watermark *w = alloc(p, sizeof *w);
				if (!w)
					return false;
				if (st->u.source.watermark) {
					ed_sql_fail(p, loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
						    "multiple WATERMARK clauses");
					return false;
				}
				w->loc = loc;
				ed_sql_advance(p);
				ed_sql_advance(p);
				if (!(w->column = parse_name(p, "a column name")) ||
				    !expect_kw(p, ED_KW_AS) || !(w->expr = parse_expr(p, 0)))
					return false;
				st->u.source.watermark = w;
				continue;
			}
			struct ed_sql_column_def *c = alloc(p, sizeof *c);
			if (!c)
				return false;
			c->loc = loc;
			if (!(c->name = parse_name(p, "a column name or WATERMARK FOR")) ||
			    !parse_type(p, &c->type) || !push(p, &cols, c))
				return false;
			if (is_kw(p, ED_KW_NOT) || is_kw(p, ED_KW_NULL) || is_kw(p, ED_KW_DEFAULT)) {
				not_supported(p, tok(p)->loc, "a column constraint");
				return false;
			}
		} while (accept(p, ED_TOK_COMMA));
		if (!expect(p, ED_TOK_RPAREN, "',' or ')'"))
			return false;
	}
	st->u.source.columns = (struct ed_sql_column_def **)cols.v;
	st->u.source.ncolumns = cols.n;
	return parse_options(p, &st->u.source.options, &st->u.source.noptions);
}

static bool parse_create(struct ed_sql_parser *p, struct ed_sql_stmt *st)
{
	ed_sql_advance(p); /* CREATE */
	uint32_t loc = tok(p)->loc;
	if (accept_kw(p, ED_KW_SOURCE))
		return parse_create_source(p, st);
	if (accept_kw(p, ED_KW_MATERIALIZED)) {
		if (!expect_kw(p, ED_KW_VIEW))
			return false;
		st->kind = ED_SQL_S_CREATE_VIEW;
		st->u.view.if_not_exists = parse_if_not_exists(p);
		return !p->rc && parse_qualified(p, &st->u.view.name, 2, "a view name") &&
		       expect_kw(p, ED_KW_AS) && (st->u.view.query = parse_select(p));
	}
	if (accept_kw(p, ED_KW_SINK)) {
		st->kind = ED_SQL_S_CREATE_SINK;
		st->u.sink.if_not_exists = parse_if_not_exists(p);
		if (p->rc || !parse_qualified(p, &st->u.sink.name, 2, "a sink name"))
			return false;
		if (accept_kw(p, ED_KW_FROM)) {
			if (!parse_qualified(p, &st->u.sink.from, 2, "a view name"))
				return false;
		} else if (accept_kw(p, ED_KW_AS)) {
			if (!(st->u.sink.query = parse_select(p)))
				return false;
		} else {
			syntax(p, "FROM or AS");
			return false;
		}
		return parse_options(p, &st->u.sink.options, &st->u.sink.noptions);
	}
	if (is_kw(p, ED_KW_TABLE) || is_kw(p, ED_KW_VIEW)) {
		not_supported(p, loc,
			      is_kw(p, ED_KW_TABLE) ? "CREATE TABLE (use CREATE SOURCE)"
						    : "CREATE VIEW (use CREATE MATERIALIZED VIEW)");
		return false;
	}
	syntax(p, "SOURCE, MATERIALIZED VIEW or SINK");
	return false;
}

static bool parse_object_kind(struct ed_sql_parser *p, enum ed_sql_object_kind *k)
{
	if (accept_kw(p, ED_KW_SOURCE)) {
		*k = ED_SQL_OBJ_SOURCE;
		return true;
	}
	if (accept_kw(p, ED_KW_SINK)) {
		*k = ED_SQL_OBJ_SINK;
		return true;
	}
	if (accept_kw(p, ED_KW_MATERIALIZED)) {
		*k = ED_SQL_OBJ_VIEW;
		return expect_kw(p, ED_KW_VIEW);
	}
	syntax(p, "SOURCE, MATERIALIZED VIEW or SINK");
	return false;
}

static bool parse_show(struct ed_sql_parser *p, struct ed_sql_stmt *st)
{
	const struct ed_sql_token *n1 = peek(p, 1);
	st->kind = ED_SQL_S_SHOW_OBJECTS;
	if (accept_kw(p, ED_KW_SOURCES)) {
		st->u.show_objects.object = ED_SQL_OBJ_SOURCE;
	} else if (accept_kw(p, ED_KW_SINKS)) {
		st->u.show_objects.object = ED_SQL_OBJ_SINK;
	} else if (accept_kw(p, ED_KW_TOPICS)) {
		st->u.show_objects.object = ED_SQL_OBJ_TOPIC;
	} else if (is_kw(p, ED_KW_MATERIALIZED) && tok_is_kw(n1, ED_KW_VIEWS)) {
		ed_sql_advance(p);
		ed_sql_advance(p);
		st->u.show_objects.object = ED_SQL_OBJ_VIEW;
	} else {
		const char *special = NULL;
		struct ed_sql_name *nm = &st->u.name;
		st->kind = ED_SQL_S_SHOW_VAR;
		nm->loc = tok(p)->loc;
		if (is_kw(p, ED_KW_ALL)) {
			ed_sql_advance(p);
			special = "all";
		} else if (is_kw(p, ED_KW_TIME) && tok_is_kw(n1, ED_KW_ZONE)) {
			ed_sql_advance(p);
			ed_sql_advance(p);
			special = "timezone";
		} else if (is_kw(p, ED_KW_TRANSACTION) && tok_is_kw(n1, ED_KW_ISOLATION)) {
			ed_sql_advance(p);
			ed_sql_advance(p);
			if (!expect_kw(p, ED_KW_LEVEL))
				return false;
			special = "transaction_isolation";
		}
		char *name =
			special ? (char *)special
				: parse_dotted(p,
					       "a setting name or SOURCES, MATERIALIZED VIEWS, SINKS, TOPICS");
		char **parts = alloc(p, sizeof *parts);
		if (!name || !parts)
			return false;
		parts[0] = name;
		nm->parts = parts;
		nm->n = 1;
	}
	return true;
}

static bool parse_set(struct ed_sql_parser *p, struct ed_sql_stmt *st)
{
	struct vec vals = {0};
	st->kind = ED_SQL_S_SET;
	if ((is_kw(p, ED_KW_SESSION) || is_kw(p, ED_KW_LOCAL)) && tok_is_name(peek(p, 1))) {
		st->u.set.local = is_kw(p, ED_KW_LOCAL);
		ed_sql_advance(p);
	}
	if (is_kw(p, ED_KW_TIME) && tok_is_kw(peek(p, 1), ED_KW_ZONE)) {
		ed_sql_advance(p);
		ed_sql_advance(p);
		st->u.set.name = "timezone";
		struct ed_sql_value *v = alloc(p, sizeof *v);
		if (!v)
			return false;
		if (is_kw(p, ED_KW_LOCAL) || is_kw(p, ED_KW_DEFAULT)) {
			v->kind = ED_SQL_V_DEFAULT;
			v->loc = tok(p)->loc;
			ed_sql_advance(p);
		} else if (!parse_value(p, v)) {
			return false;
		}
		if (!push(p, &vals, v))
			return false;
	} else {
		if (is_kw(p, ED_KW_TRANSACTION)) {
			not_supported(p, tok(p)->loc, "SET TRANSACTION");
			return false;
		}
		if (!(st->u.set.name = parse_dotted(p, "a setting name")))
			return false;
		if (!accept(p, ED_TOK_EQ) && !accept_kw(p, ED_KW_TO)) {
			syntax(p, "'=' or TO");
			return false;
		}
		if (is_kw(p, ED_KW_DEFAULT)) {
			struct ed_sql_value *v = alloc(p, sizeof *v);
			if (!v)
				return false;
			v->kind = ED_SQL_V_DEFAULT;
			v->loc = tok(p)->loc;
			ed_sql_advance(p);
			if (!push(p, &vals, v))
				return false;
		} else {
			do {
				struct ed_sql_value *v = alloc(p, sizeof *v);
				if (!v || !parse_value(p, v) || !push(p, &vals, v))
					return false;
			} while (accept(p, ED_TOK_COMMA));
		}
	}
	st->u.set.values = (struct ed_sql_value **)vals.v;
	st->u.set.nvalues = vals.n;
	return true;
}

/* BEGIN/START TRANSACTION/COMMIT/END/ROLLBACK/ABORT [WORK|TRANSACTION]. */
static bool parse_txn(struct ed_sql_parser *p, struct ed_sql_stmt *st, enum ed_sql_stmt_kind kind)
{
	bool start = is_kw(p, ED_KW_START);
	st->kind = kind;
	ed_sql_advance(p);
	if (start) {
		if (!expect_kw(p, ED_KW_TRANSACTION))
			return false;
	} else if (!accept_kw(p, ED_KW_WORK)) {
		accept_kw(p, ED_KW_TRANSACTION);
	}
	const struct ed_sql_token *t = tok(p);
	if (t->type != ED_TOK_EOF && t->type != ED_TOK_SEMI) {
		not_supported(p, t->loc, "a transaction mode");
		return false;
	}
	return true;
}

static struct ed_sql_stmt *parse_stmt(struct ed_sql_parser *p)
{
	struct ed_sql_stmt *st = NULL;
	const struct ed_sql_token *t = tok(p);
	bool ok = false;
	if (!enter(p))
		return NULL;
	st = alloc(p, sizeof *st);
	if (!st)
		goto out;
	st->loc = t->loc;
	if (t->type != ED_TOK_IDENT || t->quoted) {
		syntax(p, "a statement");
		goto out;
	}
	switch (t->kw) {
	case ED_KW_SELECT:
		st->kind = ED_SQL_S_SELECT;
		ok = (st->u.select = parse_select(p)) != NULL;
		break;
	case ED_KW_CREATE:
		ok = parse_create(p, st);
		break;
	case ED_KW_DROP:
		ed_sql_advance(p);
		st->kind = ED_SQL_S_DROP;
		if (!parse_object_kind(p, &st->u.drop.object))
			break;
		if (is_kw(p, ED_KW_IF) && tok_is_kw(peek(p, 1), ED_KW_EXISTS)) {
			ed_sql_advance(p);
			ed_sql_advance(p);
			st->u.drop.if_exists = true;
		}
		ok = parse_qualified(p, &st->u.drop.name, 2, "a name");
		break;
	case ED_KW_SHOW:
		ed_sql_advance(p);
		ok = parse_show(p, st);
		break;
	case ED_KW_DESCRIBE:
	case ED_KW_SUBSCRIBE:
		st->kind = t->kw == ED_KW_DESCRIBE ? ED_SQL_S_DESCRIBE : ED_SQL_S_SUBSCRIBE;
		ed_sql_advance(p);
		if (st->kind == ED_SQL_S_SUBSCRIBE)
			accept_kw(p, ED_KW_TO);
		ok = parse_qualified(p, &st->u.name, 2, "a name");
		break;
	case ED_KW_EXPLAIN:
		st->kind = ED_SQL_S_EXPLAIN;
		ed_sql_advance(p);
		if (tok(p)->type == ED_TOK_LPAREN) {
			not_supported(p, tok(p)->loc, "EXPLAIN options");
			break;
		}
		ok = (st->u.explain.stmt = parse_stmt(p)) != NULL;
		break;
	case ED_KW_SET:
		ed_sql_advance(p);
		ok = parse_set(p, st);
		break;
	case ED_KW_BEGIN:
	case ED_KW_START:
		ok = parse_txn(p, st, ED_SQL_S_BEGIN);
		break;
	case ED_KW_COMMIT:
	case ED_KW_END:
		ok = parse_txn(p, st, ED_SQL_S_COMMIT);
		break;
	case ED_KW_ROLLBACK:
	case ED_KW_ABORT:
		ok = parse_txn(p, st, ED_SQL_S_ROLLBACK);
		break;
	case ED_KW_WITH:
		not_supported(p, t->loc, "WITH (common table expressions)");
		break;
	case ED_KW_INSERT:
	case ED_KW_UPDATE:
	case ED_KW_DELETE:
		ed_sql_fail(p, t->loc, ED_EINVAL, ED_SQLSTATE_NOT_SUPPORTED,
			    "%s is not supported: streams are written through topics",
			    ed_sql_kw_name(t->kw));
		break;
	default:
		syntax(p, "a statement");
		break;
	}
out:
	leave(p);
	if (!ok)
		return NULL;
	st->text_len = p->prev_end - st->loc;
	return st;
}

int ed_sql_parse(struct ed_arena *arena, const char *text, size_t len, struct ed_sql_stmt_list *out,
		 struct ed_sql_error *err)
{
	struct ed_sql_parser p;
	struct vec stmts = {0};
	out->v = NULL;
	out->n = 0;
	memset(err, 0, sizeof *err);
	if (len > ED_SQL_MAX_TEXT) {
		ed_sql_error_set(err, text, 0, UINT32_MAX, ED_SQLSTATE_TOO_LONG,
				 "statement text is too long (%zu bytes, limit %u)", len,
				 ED_SQL_MAX_TEXT);
		return ED_ETOOBIG;
	}
	uint32_t bad = ed_sql_utf8_check(text, len);
	if (bad != UINT32_MAX) {
		ed_sql_error_set(err, text, len, bad, ED_SQLSTATE_BAD_ENCODING,
				 text[bad] ? "invalid byte sequence for encoding \"UTF8\": 0x%02x"
					   : "invalid NUL character in statement (0x%02x)",
				 (unsigned char)text[bad]);
		return ED_EINVAL;
	}
	memset(&p, 0, sizeof p);
	p.text = text;
	p.len = (uint32_t)len;
	p.arena = arena;
	p.err = err;
	for (;;) {
		while (accept(&p, ED_TOK_SEMI))
			;
		if (p.rc || tok(&p)->type == ED_TOK_EOF)
			break;
		if (!push(&p, &stmts, parse_stmt(&p)))
			break;
		const struct ed_sql_token *t = tok(&p);
		if (t->type == ED_TOK_EOF || t->type == ED_TOK_SEMI)
			continue;
		if (tok_is_kw(t, ED_KW_UNION) || tok_is_kw(t, ED_KW_INTERSECT) ||
		    tok_is_kw(t, ED_KW_EXCEPT))
			not_supported(&p, t->loc, "UNION, INTERSECT and EXCEPT");
		else
			syntax(&p, "';' or end of input");
		break;
	}
	if (p.rc)
		return p.rc;
	out->v = (struct ed_sql_stmt **)stmts.v;
	out->n = stmts.n;
	return 0;
}
