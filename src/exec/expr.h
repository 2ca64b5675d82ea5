/* Typed scalar expressions, evaluated a whole chunk at a time. The binder
 * (src/sql) builds them from the AST with the constructors below, which
 * resolve operators and functions, infer result types and insert implicit
 * casts (PostgreSQL's rules, simplified), failing with a SQLSTATE when the
 * types do not fit. The executor evaluates them with ed_expr_eval.
 *
 * Semantics: SQL three-valued logic; NULL in -> NULL out for ordinary
 * operators and functions; integer and decimal overflow, division by zero and
 * invalid casts are errors (SQLSTATE 22003, 22012, 22P02/22007), never a wrap.
 *
 * Memory: expression trees are allocated from the arena given to the
 * constructors (the plan's arena) and live as long as the plan. Evaluation
 * allocates nothing per row: results go into caller-provided vectors, text
 * bytes into the output chunk's arena. Evaluation is thread-compatible: one
 * tree may be evaluated by one thread at a time (scratch vectors inside). */
#ifndef ED_EXPR_H
#define ED_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "exec/chunk.h"
#include "exec/types.h"

struct ed_expr;

/* An error with a SQLSTATE, for binding and for evaluation. */
struct ed_expr_error {
	char sqlstate[6];
	char message[256];
	int32_t row; /* row of the chunk that failed during evaluation, or -1 */
};

/* Leaves. */
struct ed_expr *ed_expr_column(struct ed_arena *a, uint32_t index, struct ed_type type);
struct ed_expr *ed_expr_const(struct ed_arena *a, const struct ed_value *v); /* text copied */
/* $n parameter (1-based), bound at execution time with ed_expr_bind_params. */
struct ed_expr *ed_expr_param(struct ed_arena *a, uint32_t n, struct ed_type type);

/* Operators and functions by SQL name: "+", "-", "*", "/", "%", "||", "=", "<>",
 * "<", "<=", ">", ">=", "and", "or", "not", "neg" (unary minus), "is_null",
 * "is_not_null", "is_true", "is_false", "is_distinct_from", "like", "ilike",
 * "in" (args[0] IN args[1..]), "between" (x, lo, hi), "coalesce", "nullif",
 * and the functions of docs/SQL.md: lower, upper, length, substring, concat,
 * btrim/ltrim/rtrim, replace, split_part, strpos (position), abs, round, floor,
 * ceil, mod, power, sqrt, ln, log, exp, now, date_trunc, extract (args[0] a
 * text constant naming the field), to_timestamp, ...
 * Resolves overloads and implicit casts; NULL with err set (42883 undefined
 * function, 42804 datatype mismatch) when nothing fits. */
struct ed_expr *ed_expr_call(struct ed_arena *a, const char *name, struct ed_expr **args,
			     uint32_t nargs, struct ed_expr_error *err);
/* CASE [operand] WHEN .. THEN .. [ELSE ..] END. operand may be NULL. */
struct ed_expr *ed_expr_case(struct ed_arena *a, struct ed_expr *operand, struct ed_expr **whens,
			     struct ed_expr **thens, uint32_t n, struct ed_expr *else_expr,
			     struct ed_expr_error *err);
/* Explicit CAST(x AS t) / x::t. NULL with err (42846) if no cast exists. */
struct ed_expr *ed_expr_cast(struct ed_arena *a, struct ed_expr *x, struct ed_type t,
			     struct ed_expr_error *err);

struct ed_type ed_expr_type(const struct ed_expr *e);
/* True if e depends on no column, parameter or volatile function. */
bool ed_expr_is_const(const struct ed_expr *e);
/* Fold a constant expression to a value (text in arena). */
int ed_expr_fold(const struct ed_expr *e, struct ed_arena *a, struct ed_value *out,
		 struct ed_expr_error *err);

/* Evaluate over in->rows rows of in into out (initialised for at least
 * in->rows rows, of ed_expr_type(e)); text results are stored in text_arena.
 * If sel is not NULL only rows with sel[i] != 0 are computed (others are left
 * NULL). 0, or a negative ed_err with err filled (sqlstate, message, row). */
int ed_expr_eval(struct ed_expr *e, const struct ed_chunk *in, const uint8_t *sel,
		 struct ed_vector *out, struct ed_arena *text_arena, struct ed_expr_error *err);
/* Evaluate a boolean predicate into sel (1 where TRUE; NULL and FALSE -> 0). */
int ed_expr_filter(struct ed_expr *e, const struct ed_chunk *in, uint8_t *sel,
		   struct ed_expr_error *err);

/* Bind $1..$n: each parameter node takes params[k-1] cast to its declared
 * type (text bytes must stay valid until the next bind or the end of the
 * plan). 0, or 42P02 (no such parameter) / a cast error. */
int ed_expr_bind_params(struct ed_expr *e, const struct ed_value *params, uint32_t n,
			struct ed_expr_error *err);

/* Render as SQL (for EXPLAIN). */
struct ed_buf;
int ed_expr_format(const struct ed_expr *e, const char *const *column_names, struct ed_buf *out);

/* Cast one value (used for parameters and literals). */
int ed_value_cast(const struct ed_value *in, struct ed_type t, struct ed_arena *a,
		  struct ed_value *out, struct ed_expr_error *err);
/* Parse text into a value of type t (parameters in text format, CSV fields). */
int ed_value_parse(const char *s, size_t n, struct ed_type t, struct ed_arena *a,
		   struct ed_value *out, struct ed_expr_error *err);

#endif
