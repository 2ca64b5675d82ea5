/* AST printer (deparser): writes canonical SQL that ed_sql_parse reads back
 * to an equal tree, so print . parse . print is a fixed point. Used by tests,
 * EXPLAIN, and the catalog (views are stored as their printed SQL).
 *
 * Canonical form: keywords upper case; identifiers bare when they read back
 * as themselves, else double-quoted; x::t printed as CAST(x AS t); types by
 * their standard names; literals normalised (INTERVAL '1 minute 30 seconds',
 * TIMESTAMP '2026-11-25 12:00:00.5'); minimal parentheses, chosen with the
 * same precedence levels the parser uses (parser.c). Recursion depth is
 * bounded by the AST's height limit (ast.h invariant 5). */
#include <string.h>

#include "sql/sql_int.h"

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
	P_ATOM = 12,
};

struct pctx {
	struct ed_buf *b;
	unsigned flags;
};

static void put(struct pctx *c, const char *s)
{
	ed_buf_append(c->b, s, strlen(s));
}

/* ---- names and literals ------------------------------------------------------ */

static bool bare_word(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (const char *q = s + 1; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_' || *q == '$'))
			return false;
	return true;
}

static enum ed_sql_kw kw_of(const char *s)
{
	return ed_sql_kw_lookup(s, strlen(s));
}

/* True if s, written bare, lexes as an identifier token with that text. */
static bool bare_ident(const char *s)
{
	return bare_word(s) && ed_sql_kw_category(kw_of(s)) != ED_KWC_RESERVED;
}

static void print_quoted(struct ed_buf *b, const char *s)
{
	ed_buf_append(b, "\"", 1);
	for (const char *q = s; *q; q++) {
		if (*q == '"')
			ed_buf_append(b, "\"", 1);
		ed_buf_append(b, q, 1);
	}
	ed_buf_append(b, "\"", 1);
}

void ed_sql_print_ident(struct ed_buf *b, const char *name)
{
	if (bare_ident(name))
		ed_buf_append(b, name, strlen(name));
	else
		print_quoted(b, name);
}

void ed_sql_print_string(struct ed_buf *b, const char *s, size_t len)
{
	ed_buf_append(b, "'", 1);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'')
			ed_buf_append(b, "'", 1);
		ed_buf_append(b, s + i, 1);
	}
	ed_buf_append(b, "'", 1);
}

static void print_name(struct ed_buf *b, const struct ed_sql_name *n)
{
	for (uint32_t i = 0; i < n->n; i++) {
		if (i)
			ed_buf_append(b, ".", 1);
		ed_sql_print_ident(b, n->parts[i]);
	}
}

/* True if a dotted name reads back from its bare parts. */
static bool bare_dotted(const char *s)
{
	char part[ED_SQL_MAX_IDENT + 1];
	const char *q = s;
	for (;;) {
		const char *dot = strchr(q, '.');
		size_t n = dot ? (size_t)(dot - q) : strlen(q);
		if (n == 0 || n > ED_SQL_MAX_IDENT)
			return false;
		memcpy(part, q, n);
		part[n] = 0;
		/* After a dot any word is taken, so only the first part must be unreserved. */
		if (q == s ? !bare_ident(part) : !bare_word(part))
			return false;
		if (!dot)
			return true;
		q = dot + 1;
	}
}

/* A SET/SHOW setting name; words that would start another statement form are
 * quoted. */
static void print_setting(struct ed_buf *b, const char *name, bool show)
{
	static const char *const show_words[] = {"sources", "sinks", "topics", NULL};
	bool quote = !bare_dotted(name);
	if (!show && (strcmp(name, "transaction") == 0 || strncmp(name, "transaction.", 12) == 0))
		quote = true;
	for (int i = 0; show && show_words[i]; i++) {
		size_t n = strlen(show_words[i]);
		if (strncmp(name, show_words[i], n) == 0 && (name[n] == 0 || name[n] == '.'))
			quote = true;
	}
	if (quote)
		print_quoted(b, name);
	else
		ed_buf_append(b, name, strlen(name));
}

const char *ed_sql_type_name(enum ed_sql_type_id id)
{
	switch (id) {
	case ED_SQL_T_BOOLEAN:
		return "BOOLEAN";
	case ED_SQL_T_SMALLINT:
		return "SMALLINT";
	case ED_SQL_T_INTEGER:
		return "INTEGER";
	case ED_SQL_T_BIGINT:
		return "BIGINT";
	case ED_SQL_T_REAL:
		return "REAL";
	case ED_SQL_T_DOUBLE:
		return "DOUBLE PRECISION";
	case ED_SQL_T_NUMERIC:
		return "NUMERIC";
	case ED_SQL_T_VARCHAR:
		return "VARCHAR";
	case ED_SQL_T_TIMESTAMP:
		return "TIMESTAMP";
	case ED_SQL_T_TIMESTAMPTZ:
		return "TIMESTAMPTZ";
	case ED_SQL_T_INTERVAL:
		return "INTERVAL";
	}
	return "?";
}

void ed_sql_print_type(struct ed_buf *b, const struct ed_sql_type *t)
{
	if (t->id == ED_SQL_T_VARCHAR && t->p < 0) {
		ed_buf_printf(b, "TEXT");
		return;
	}
	ed_buf_printf(b, "%s", ed_sql_type_name(t->id));
	if (t->id == ED_SQL_T_NUMERIC && t->p >= 0 && t->s >= 0)
		ed_buf_printf(b, "(%d, %d)", t->p, t->s);
	else if (t->p >= 0)
		ed_buf_printf(b, "(%d)", t->p);
}

const char *ed_sql_binop_name(enum ed_sql_binop op)
{
	switch (op) {
	case ED_SQL_OP_ADD:
		return "+";
	case ED_SQL_OP_SUB:
		return "-";
	case ED_SQL_OP_MUL:
		return "*";
	case ED_SQL_OP_DIV:
		return "/";
	case ED_SQL_OP_MOD:
		return "%";
	case ED_SQL_OP_CONCAT:
		return "||";
	case ED_SQL_OP_JSON_GET:
		return "->";
	case ED_SQL_OP_JSON_GET_TEXT:
		return "->>";
	case ED_SQL_OP_EQ:
		return "=";
	case ED_SQL_OP_NE:
		return "<>";
	case ED_SQL_OP_LT:
		return "<";
	case ED_SQL_OP_LE:
		return "<=";
	case ED_SQL_OP_GT:
		return ">";
	case ED_SQL_OP_GE:
		return ">=";
	case ED_SQL_OP_AND:
		return "AND";
	case ED_SQL_OP_OR:
		return "OR";
	}
	return "?";
}

static int binop_level(enum ed_sql_binop op)
{
	switch (op) {
	case ED_SQL_OP_OR:
		return P_OR;
	case ED_SQL_OP_AND:
		return P_AND;
	case ED_SQL_OP_EQ:
	case ED_SQL_OP_NE:
	case ED_SQL_OP_LT:
	case ED_SQL_OP_LE:
	case ED_SQL_OP_GT:
	case ED_SQL_OP_GE:
		return P_CMP;
	case ED_SQL_OP_CONCAT:
	case ED_SQL_OP_JSON_GET:
	case ED_SQL_OP_JSON_GET_TEXT:
		return P_OTHER;
	case ED_SQL_OP_ADD:
	case ED_SQL_OP_SUB:
		return P_ADD;
	case ED_SQL_OP_MUL:
	case ED_SQL_OP_DIV:
	case ED_SQL_OP_MOD:
		return P_MUL;
	}
	return P_ATOM;
}

static int level(const struct ed_sql_expr *e)
{
	switch (e->kind) {
	case ED_SQL_E_UNARY:
		return e->u.unary.op == ED_SQL_OP_NOT ? P_NOT : P_UNARY;
	case ED_SQL_E_BINARY:
		return binop_level(e->u.bin.op);
	case ED_SQL_E_IS:
		return P_IS;
	case ED_SQL_E_IN:
	case ED_SQL_E_BETWEEN:
	case ED_SQL_E_LIKE:
		return P_IN;
	default:
		return P_ATOM;
	}
}

/* ---- expressions ------------------------------------------------------------ */

static void pexpr(struct pctx *c, const struct ed_sql_expr *e);
static void pselect(struct pctx *c, const struct ed_sql_select *s);

/* A child expression, parenthesised if it binds more loosely than min. */
static void pchild(struct pctx *c, const struct ed_sql_expr *e, int min)
{
	int lv = level(e);
	bool paren = lv < min || ((c->flags & ED_SQL_PRINT_PARENS) && lv != P_ATOM);
	if (paren)
		put(c, "(");
	pexpr(c, e);
	if (paren)
		put(c, ")");
}

static void plist(struct pctx *c, struct ed_sql_expr *const *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			put(c, ", ");
		pexpr(c, v[i]);
	}
}

static void porder(struct pctx *c, struct ed_sql_order_item *const *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			put(c, ", ");
		pexpr(c, v[i]->expr);
		if (v[i]->desc)
			put(c, " DESC");
		if (v[i]->nulls == ED_SQL_NULLS_FIRST)
			put(c, " NULLS FIRST");
		else if (v[i]->nulls == ED_SQL_NULLS_LAST)
			put(c, " NULLS LAST");
	}
}

static void pbound(struct pctx *c, const struct ed_sql_frame_bound *b)
{
	switch (b->kind) {
	case ED_SQL_BOUND_UNBOUNDED_PRECEDING:
		put(c, "UNBOUNDED PRECEDING");
		break;
	case ED_SQL_BOUND_UNBOUNDED_FOLLOWING:
		put(c, "UNBOUNDED FOLLOWING");
		break;
	case ED_SQL_BOUND_CURRENT_ROW:
		put(c, "CURRENT ROW");
		break;
	case ED_SQL_BOUND_PRECEDING:
	case ED_SQL_BOUND_FOLLOWING:
		/* A column named unbounded would read back as UNBOUNDED PRECEDING. */
		if (b->offset->kind == ED_SQL_E_COLUMN && b->offset->u.col.n == 1 &&
		    strcmp(b->offset->u.col.parts[0], "unbounded") == 0)
			print_quoted(c->b, "unbounded");
		else
			pexpr(c, b->offset);
		put(c, b->kind == ED_SQL_BOUND_PRECEDING ? " PRECEDING" : " FOLLOWING");
		break;
	}
}

static void pover(struct pctx *c, const struct ed_sql_window_spec *w)
{
	const char *sep = "";
	put(c, " OVER (");
	if (w->npartition) {
		put(c, "PARTITION BY ");
		plist(c, w->partition, w->npartition);
		sep = " ";
	}
	if (w->norder) {
		put(c, sep);
		put(c, "ORDER BY ");
		porder(c, w->order, w->norder);
		sep = " ";
	}
	if (w->mode != ED_SQL_FRAME_NONE) {
		put(c, sep);
		put(c, w->mode == ED_SQL_FRAME_ROWS ? "ROWS BETWEEN " : "RANGE BETWEEN ");
		pbound(c, &w->start);
		put(c, " AND ");
		pbound(c, &w->end);
	}
	put(c, ")");
}

static void pfunc(struct pctx *c, const struct ed_sql_expr *e)
{
	const char *name = e->u.func.name;
	if (e->u.func.syntax == ED_SQL_CALL_EXTRACT && e->u.func.nargs == 2 &&
	    e->u.func.args[0]->kind == ED_SQL_E_STRING) {
		const char *field = e->u.func.args[0]->u.str.s;
		put(c, "EXTRACT(");
		if (bare_ident(field))
			put(c, field);
		else
			ed_sql_print_string(c->b, field, strlen(field));
		put(c, " FROM ");
		pexpr(c, e->u.func.args[1]);
		put(c, ")");
		return;
	}
	if (e->u.func.schema) {
		ed_sql_print_ident(c->b, e->u.func.schema);
		put(c, ".");
	}
	/* Words with a special call syntax are bare only where that syntax reads
	 * back to this very call: substring(a, b, c) in its plain comma form. */
	enum ed_sql_kw kw = kw_of(name);
	bool plain_ok = !e->u.func.schema && !e->u.func.distinct && !e->u.func.star &&
			!e->u.func.over && e->u.func.nargs > 0 && kw == ED_KW_SUBSTRING;
	if (!e->u.func.schema && ed_sql_kw_category(kw) == ED_KWC_FUNC && !plain_ok)
		print_quoted(c->b, name);
	else
		ed_sql_print_ident(c->b, name);
	put(c, "(");
	if (e->u.func.star)
		put(c, "*");
	if (e->u.func.distinct)
		put(c, "DISTINCT ");
	plist(c, e->u.func.args, e->u.func.nargs);
	put(c, ")");
	if (e->u.func.over)
		pover(c, e->u.func.over);
}

static void pexpr(struct pctx *c, const struct ed_sql_expr *e)
{
	struct ed_buf *b = c->b;
	switch (e->kind) {
	case ED_SQL_E_NULL:
		put(c, "NULL");
		break;
	case ED_SQL_E_BOOL:
		put(c, e->u.b ? "TRUE" : "FALSE");
		break;
	case ED_SQL_E_INT:
		ed_buf_printf(b, "%lld", (long long)e->u.i);
		break;
	case ED_SQL_E_NUMERIC:
		put(c, e->u.text);
		break;
	case ED_SQL_E_STRING:
		ed_sql_print_string(b, e->u.str.s, e->u.str.len);
		break;
	case ED_SQL_E_PARAM:
		ed_buf_printf(b, "$%u", e->u.param);
		break;
	case ED_SQL_E_TIMESTAMP:
		put(c, e->u.ts.tz ? "TIMESTAMPTZ '" : "TIMESTAMP '");
		ed_sql_timestamp_format(b, e->u.ts.usec, e->u.ts.tz);
		put(c, "'");
		break;
	case ED_SQL_E_INTERVAL:
		put(c, "INTERVAL '");
		ed_sql_interval_format(b, &e->u.iv);
		put(c, "'");
		break;
	case ED_SQL_E_COLUMN:
		print_name(b, &e->u.col);
		break;
	case ED_SQL_E_UNARY:
		if (e->u.unary.op == ED_SQL_OP_NOT) {
			put(c, "NOT ");
			pchild(c, e->u.unary.arg, P_NOT);
		} else {
			const struct ed_sql_expr *a = e->u.unary.arg;
			/* "- -x" must not become "--x" (a comment), and -(5) must not
			 * become the literal -5. */
			bool paren = a->kind == ED_SQL_E_INT || a->kind == ED_SQL_E_NUMERIC ||
				     (a->kind == ED_SQL_E_UNARY && a->u.unary.op == ED_SQL_OP_NEG);
			put(c, "-");
			if (paren) {
				put(c, "(");
				pexpr(c, a);
				put(c, ")");
			} else {
				pchild(c, a, P_UNARY);
			}
		}
		break;
	case ED_SQL_E_BINARY: {
		int lv = binop_level(e->u.bin.op);
		pchild(c, e->u.bin.l, lv);
		put(c, " ");
		put(c, ed_sql_binop_name(e->u.bin.op));
		put(c, " ");
		pchild(c, e->u.bin.r, lv + 1);
		break;
	}
	case ED_SQL_E_IS:
		pchild(c, e->u.is.arg, P_IS);
		put(c, e->u.is.negated ? " IS NOT " : " IS ");
		switch (e->u.is.test) {
		case ED_SQL_IS_NULL:
			put(c, "NULL");
			break;
		case ED_SQL_IS_TRUE:
			put(c, "TRUE");
			break;
		case ED_SQL_IS_FALSE:
			put(c, "FALSE");
			break;
		case ED_SQL_IS_UNKNOWN:
			put(c, "UNKNOWN");
			break;
		case ED_SQL_IS_DISTINCT_FROM:
			put(c, "DISTINCT FROM ");
			pchild(c, e->u.is.rhs, P_IS + 1);
			break;
		}
		break;
	case ED_SQL_E_IN:
		pchild(c, e->u.in.arg, P_IN);
		put(c, e->u.in.negated ? " NOT IN (" : " IN (");
		plist(c, e->u.in.list, e->u.in.n);
		put(c, ")");
		break;
	case ED_SQL_E_BETWEEN:
		pchild(c, e->u.between.arg, P_IN);
		put(c, e->u.between.negated ? " NOT BETWEEN " : " BETWEEN ");
		pchild(c, e->u.between.lo, P_IN + 1);
		put(c, " AND ");
		pchild(c, e->u.between.hi, P_IN + 1);
		break;
	case ED_SQL_E_LIKE:
		pchild(c, e->u.like.arg, P_IN);
		put(c, e->u.like.negated ? " NOT" : "");
		put(c, e->u.like.ilike ? " ILIKE " : " LIKE ");
		pchild(c, e->u.like.pattern, P_IN + 1);
		if (e->u.like.escape) {
			put(c, " ESCAPE ");
			pchild(c, e->u.like.escape, P_IN + 1);
		}
		break;
	case ED_SQL_E_CASE:
		put(c, "CASE");
		if (e->u.kase.arg) {
			put(c, " ");
			pexpr(c, e->u.kase.arg);
		}
		for (uint32_t i = 0; i < e->u.kase.nwhens; i++) {
			put(c, " WHEN ");
			pexpr(c, e->u.kase.whens[i]->cond);
			put(c, " THEN ");
			pexpr(c, e->u.kase.whens[i]->result);
		}
		if (e->u.kase.else_) {
			put(c, " ELSE ");
			pexpr(c, e->u.kase.else_);
		}
		put(c, " END");
		break;
	case ED_SQL_E_CAST:
		put(c, "CAST(");
		pexpr(c, e->u.cast.arg);
		put(c, " AS ");
		ed_sql_print_type(b, &e->u.cast.type);
		put(c, ")");
		break;
	case ED_SQL_E_FUNC:
		pfunc(c, e);
		break;
	}
}

void ed_sql_print_expr(struct ed_buf *b, const struct ed_sql_expr *e, unsigned flags)
{
	struct pctx c = {b, flags};
	pexpr(&c, e);
}

/* ---- queries ---------------------------------------------------------------- */

static void palias(struct pctx *c, const char *alias)
{
	if (alias) {
		put(c, " AS ");
		ed_sql_print_ident(c->b, alias);
	}
}

static void pfrom(struct pctx *c, const struct ed_sql_from *f)
{
	switch (f->kind) {
	case ED_SQL_FROM_TABLE:
		print_name(c->b, &f->u.table);
		break;
	case ED_SQL_FROM_SUBQUERY:
		put(c, "(");
		pselect(c, f->u.sub);
		put(c, ")");
		break;
	case ED_SQL_FROM_FUNC:
		ed_sql_print_ident(c->b, f->u.func.name);
		put(c, "(");
		plist(c, f->u.func.args, f->u.func.nargs);
		put(c, ")");
		break;
	case ED_SQL_FROM_JOIN: {
		static const char *const names[] = {
			"", " JOIN ", " LEFT JOIN ", " RIGHT JOIN ", " FULL JOIN ", " CROSS JOIN ",
		};
		const struct ed_sql_from *r = f->u.join.r;
		pfrom(c, f->u.join.l);
		put(c, names[f->u.join.kind]);
		if (r->kind == ED_SQL_FROM_JOIN)
			put(c, "(");
		pfrom(c, r);
		if (r->kind == ED_SQL_FROM_JOIN)
			put(c, ")");
		if (f->u.join.on) {
			put(c, " ON ");
			pexpr(c, f->u.join.on);
		}
		return;
	}
	}
	palias(c, f->alias);
}

static void pselect(struct pctx *c, const struct ed_sql_select *s)
{
	put(c, s->distinct ? "SELECT DISTINCT " : "SELECT ");
	for (uint32_t i = 0; i < s->ntargets; i++) {
		const struct ed_sql_target *t = s->targets[i];
		if (i)
			put(c, ", ");
		if (t->star) {
			if (t->star_qual) {
				ed_sql_print_ident(c->b, t->star_qual);
				put(c, ".");
			}
			put(c, "*");
			continue;
		}
		pexpr(c, t->expr);
		palias(c, t->alias);
	}
	for (uint32_t i = 0; i < s->nfrom; i++) {
		put(c, i ? ", " : " FROM ");
		pfrom(c, s->from[i]);
	}
	if (s->where) {
		put(c, " WHERE ");
		pexpr(c, s->where);
	}
	if (s->ngroup) {
		put(c, " GROUP BY ");
		plist(c, s->group, s->ngroup);
	}
	if (s->having) {
		put(c, " HAVING ");
		pexpr(c, s->having);
	}
	if (s->norder) {
		put(c, " ORDER BY ");
		porder(c, s->order, s->norder);
	}
	if (s->limit) {
		put(c, " LIMIT ");
		pexpr(c, s->limit);
	}
	if (s->offset) {
		put(c, " OFFSET ");
		pexpr(c, s->offset);
	}
}

void ed_sql_print_select(struct ed_buf *b, const struct ed_sql_select *sel, unsigned flags)
{
	struct pctx c = {b, flags};
	pselect(&c, sel);
}

/* ---- statements ----------------------------------------------------------------- */

static void pvalue(struct pctx *c, const struct ed_sql_value *v)
{
	switch (v->kind) {
	case ED_SQL_V_STRING:
		ed_sql_print_string(c->b, v->text, strlen(v->text));
		break;
	case ED_SQL_V_NUMBER:
		put(c, v->text);
		break;
	case ED_SQL_V_BOOL:
		put(c, strcmp(v->text, "true") == 0 ? "TRUE" : "FALSE");
		break;
	case ED_SQL_V_IDENT:
		ed_sql_print_ident(c->b, v->text);
		break;
	case ED_SQL_V_DEFAULT:
		put(c, "DEFAULT");
		break;
	}
}

static void poptions(struct pctx *c, struct ed_sql_option *const *o, uint32_t n)
{
	if (!n)
		return;
	put(c, " WITH (");
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			put(c, ", ");
		if (bare_dotted(o[i]->key))
			put(c, o[i]->key);
		else
			ed_sql_print_string(c->b, o[i]->key, strlen(o[i]->key));
		put(c, " = ");
		pvalue(c, &o[i]->value);
	}
	put(c, ")");
}

static void pstmt(struct pctx *c, const struct ed_sql_stmt *st)
{
	static const char *const objects[] = {"", "SOURCE", "MATERIALIZED VIEW", "SINK", "TOPIC"};
	switch (st->kind) {
	case ED_SQL_S_SELECT:
		pselect(c, st->u.select);
		break;
	case ED_SQL_S_CREATE_SOURCE:
		put(c,
		    st->u.source.if_not_exists ? "CREATE SOURCE IF NOT EXISTS " : "CREATE SOURCE ");
		print_name(c->b, &st->u.source.name);
		if (st->u.source.ncolumns || st->u.source.watermark) {
			put(c, " (");
			for (uint32_t i = 0; i < st->u.source.ncolumns; i++) {
				const struct ed_sql_column_def *col = st->u.source.columns[i];
				if (i)
					put(c, ", ");
				ed_sql_print_ident(c->b, col->name);
				put(c, " ");
				ed_sql_print_type(c->b, &col->type);
			}
			if (st->u.source.watermark) {
				put(c, st->u.source.ncolumns ? ", WATERMARK FOR " : "WATERMARK FOR ");
				ed_sql_print_ident(c->b, st->u.source.watermark->column);
				put(c, " AS ");
				pexpr(c, st->u.source.watermark->expr);
			}
			put(c, ")");
		}
		poptions(c, st->u.source.options, st->u.source.noptions);
		break;
	case ED_SQL_S_CREATE_VIEW:
		put(c, st->u.view.if_not_exists ? "CREATE MATERIALIZED VIEW IF NOT EXISTS "
						: "CREATE MATERIALIZED VIEW ");
		print_name(c->b, &st->u.view.name);
		put(c, " AS ");
		pselect(c, st->u.view.query);
		break;
	case ED_SQL_S_CREATE_SINK:
		put(c, st->u.sink.if_not_exists ? "CREATE SINK IF NOT EXISTS " : "CREATE SINK ");
		print_name(c->b, &st->u.sink.name);
		if (st->u.sink.query) {
			put(c, " AS ");
			pselect(c, st->u.sink.query);
		} else {
			put(c, " FROM ");
			print_name(c->b, &st->u.sink.from);
		}
		poptions(c, st->u.sink.options, st->u.sink.noptions);
		break;
	case ED_SQL_S_DROP:
		put(c, "DROP ");
		put(c, objects[st->u.drop.object]);
		put(c, st->u.drop.if_exists ? " IF EXISTS " : " ");
		print_name(c->b, &st->u.drop.name);
		break;
	case ED_SQL_S_SHOW_OBJECTS: {
		static const char *const shows[] = {"", "SOURCES", "MATERIALIZED VIEWS", "SINKS",
						    "TOPICS"};
		put(c, "SHOW ");
		put(c, shows[st->u.show_objects.object]);
		break;
	}
	case ED_SQL_S_SHOW_VAR:
		put(c, "SHOW ");
		if (strcmp(st->u.name.parts[0], "all") == 0)
			put(c, "ALL");
		else
			print_setting(c->b, st->u.name.parts[0], true);
		break;
	case ED_SQL_S_DESCRIBE:
		put(c, "DESCRIBE ");
		print_name(c->b, &st->u.name);
		break;
	case ED_SQL_S_SUBSCRIBE:
		put(c, "SUBSCRIBE ");
		print_name(c->b, &st->u.name);
		break;
	case ED_SQL_S_EXPLAIN:
		put(c, "EXPLAIN ");
		pstmt(c, st->u.explain.stmt);
		break;
	case ED_SQL_S_SET:
		put(c, st->u.set.local ? "SET LOCAL " : "SET ");
		print_setting(c->b, st->u.set.name, false);
		put(c, " = ");
		for (uint32_t i = 0; i < st->u.set.nvalues; i++) {
			if (i)
				put(c, ", ");
			pvalue(c, st->u.set.values[i]);
		}
		break;
	case ED_SQL_S_BEGIN:
		put(c, "BEGIN");
		break;
	case ED_SQL_S_COMMIT:
		put(c, "COMMIT");
		break;
	case ED_SQL_S_ROLLBACK:
		put(c, "ROLLBACK");
		break;
	}
}

void ed_sql_print_stmt(struct ed_buf *b, const struct ed_sql_stmt *stmt, unsigned flags)
{
	struct pctx c = {b, flags};
	pstmt(&c, stmt);
}
