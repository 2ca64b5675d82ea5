/* Internals shared by the expression, function, aggregate and record-format
 * files of src/exec: calendar arithmetic, value text forms, the expression
 * node layout and the function tables the resolver searches. Nothing outside
 * src/exec includes this header. */
#ifndef ED_EXEC_INT_H
#define ED_EXEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "exec/chunk.h"
#include "exec/expr.h"
#include "exec/types.h"

/* ---- calendar (proleptic Gregorian, UTC) ---------------------------------- */

#define ED_USEC_PER_SEC INT64_C(1000000)
#define ED_USEC_PER_MIN (60 * ED_USEC_PER_SEC)
#define ED_USEC_PER_HOUR (60 * ED_USEC_PER_MIN)
#define ED_USEC_PER_DAY (24 * ED_USEC_PER_HOUR)

/* Days since 1970-01-01 of a civil date (month 1..12, day 1..31). */
int64_t ed_days_from_civil(int64_t y, int m, int d);
void ed_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int ed_days_in_month(int64_t y, int m);
/* Floor division and modulo for negative timestamps. */
static inline int64_t ed_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}
static inline int64_t ed_floormod(int64_t a, int64_t b)
{
	return a - ed_floordiv(a, b) * b;
}

/* Timestamp bounds we accept (years 1..294276 in PostgreSQL; we take 0001..
 * 9999 when parsing, any int64 when computing). */
#define ED_TS_MIN_YEAR 1
#define ED_TS_MAX_YEAR 9999
#define ED_TS_MIN_US INT64_C(-62135596800000000) /* 0001-01-01 00:00:00 */
#define ED_TS_MAX_US INT64_C(253402300800000000) /* 10000-01-01, exclusive */

/* Parse an ISO-8601 / PostgreSQL timestamp: "YYYY-MM-DD[( |T)hh:mm[:ss[.f]]]
 * [Z|(+|-)hh[[:]mm]]" with optional surrounding spaces. *has_zone tells
 * whether a zone was given; the result is the local time minus the offset
 * when apply_zone is set, else the local time as written. 0, ED_EINVAL
 * (syntax) or ED_ERANGE (field or year out of range). */
int ed_ts_parse(const char *s, size_t n, bool apply_zone, int64_t *out, bool *has_zone);
/* Parse an interval in the forms docs/SQL.md lists (units list, [-]h:mm:ss,
 * "ago", ISO 8601 "P1DT2H"). 0, ED_EINVAL or ED_ERANGE. */
int ed_interval_parse(const char *s, size_t n, struct ed_interval *out);

/* Text forms (PostgreSQL output). Each writes at most the stated bytes plus
 * a NUL into out and returns the length. */
#define ED_TS_TEXT_MAX 40
/* PostgreSQL's text output ("2026-11-25 12:00:00.5", timestamptz with "+00")
 * or, with iso_t, its to_json form ("2026-11-25T12:00:00.5", timestamptz
 * with "+00:00"); fraction without trailing zeros; years before 1 with the
 * suffix " BC" ("0044-03-15T12:00:00 BC"). */
size_t ed_ts_format(int64_t usec, bool tz, bool iso_t, char *out);
#define ED_INTERVAL_TEXT_MAX 96
size_t ed_interval_format(const struct ed_interval *iv, char *out);
#define ED_DEC_TEXT_MAX 44
size_t ed_dec_format(ed_dec v, int scale, char *out);
#define ED_FLOAT_TEXT_MAX 32
size_t ed_float_format(double v, bool single, char *out);
/* Parse a decimal number ("-12.5e3", " 7 ") into unscaled at scale. 0,
 * ED_EINVAL (syntax) or ED_ERANGE (more than 38 digits before rounding). */
int ed_dec_parse(const char *s, size_t n, int scale, ed_dec *out);
/* 10^n for n in 0..38. */
ed_dec ed_dec_pow10(int n);
/* |v| < 10^38 */
bool ed_dec_fits(ed_dec v, int precision);
/* Rescale unscaled v from scale `from` to scale `to`, rounding half away
 * from zero. false on overflow. */
bool ed_dec_rescale(ed_dec v, int from, int to, ed_dec *out);
double ed_dec_to_double(ed_dec v, int scale);
/* a (scale sa) / b (scale sb) at result scale rs, rounded half away from
 * zero (expr_ops.c). false if the result has more than 38 digits; b != 0. */
bool ed_dec_div(ed_dec a, int sa, ed_dec b, int sb, int rs, ed_dec *out);

/* Interval comparison key (30-day months, 24-hour days), as PostgreSQL. */
static inline __int128 ed_interval_key(const struct ed_interval *iv)
{
	return ((__int128)iv->months * 30 + iv->days) * (__int128)ED_USEC_PER_DAY + iv->usecs;
}

/* ---- expression nodes ----------------------------------------------------- */

enum ed_expr_kind {
	ED_EK_COLUMN,
	ED_EK_CONST,
	ED_EK_PARAM,
	ED_EK_CALL, /* operators, functions, CAST, CASE */
};

struct ed_eval;
struct ed_fn;

/* A kernel computes out for the rows where cx->act[i] is set (all arguments
 * non-NULL and the row selected, unless the function handles NULLs itself);
 * out->nulls is already 1 elsewhere and 0 where act is set. Returns 0 or
 * a negative ed_err with cx->err filled. */
typedef int (*ed_kernel)(const struct ed_expr *e, struct ed_eval *cx,
			 const struct ed_vector *const *args, struct ed_vector *out);
/* Special forms evaluate their arguments themselves (short circuits). */
typedef int (*ed_special)(const struct ed_expr *e, struct ed_eval *cx, const uint8_t *sel,
			  struct ed_vector *out);

struct ed_expr {
	enum ed_expr_kind kind;
	struct ed_type type;
	bool is_const;       /* no column, parameter or volatile call below */
	bool is_volatile;    /* now() below */
	uint32_t index;      /* COLUMN: column; PARAM: 1-based number */
	struct ed_value val; /* CONST (text in the construction arena), PARAM */

	const struct ed_fn *fn; /* CALL */
	const char *name;       /* CALL: display name */
	struct ed_expr **args;
	uint32_t nargs;
	int32_t iarg;    /* kernel parameter: comparison op, field id, cast flags */
	const void *aux; /* kernel data (compiled LIKE pattern, constant list) */

	/* Scratch for this node's result when it is an argument, allocated on
	 * first evaluation from the construction arena. */
	struct ed_arena *arena;
	struct ed_vector res;
	uint32_t res_cap;
	uint32_t res_rows; /* CONST/PARAM: rows broadcast so far */
	uint8_t *act;      /* CALL: active rows, res_cap bytes */
	uint8_t *sel2;     /* CALL special forms: a second selection */
	/* One-row storage for constants (folding, single-row chunks). */
	union {
		uint8_t b;
		int16_t i16;
		int32_t i32;
		int64_t i64;
		float f32;
		double f64;
		ed_dec dec;
		struct ed_str s;
		struct ed_interval iv;
	} cell;
	uint8_t cell_null;
	struct ed_vector one; /* CONST/PARAM: one row over cell */
	bool aliases;         /* TEXT result may point into the input chunk */
};

struct ed_eval {
	const struct ed_chunk *in;
	uint32_t rows;
	const uint8_t *act; /* for kernels: rows to compute */
	struct ed_arena *text;
	struct ed_expr_error *err;
	int64_t now_us; /* 0 until now() asks; then fixed for the call */
	bool folding;
};

/* Flags of a function table entry. */
#define ED_FN_NULLS 1    /* kernel sees NULL arguments (act = selection only) */
#define ED_FN_VOLATILE 2 /* now() */
#define ED_FN_VARIADIC 4 /* last argument type repeats */
#define ED_FN_SPECIAL 8  /* special form: `special` evaluates the arguments */
#define ED_FN_FRESH 16   /* text results never point into the arguments */

/* Argument pseudo-types in function tables. */
#define ED_ARG_ANY ED_TYPE_COUNT_ /* any type, no cast */

struct ed_fn {
	const char *name;
	uint8_t nargs;
	uint8_t flags;
	enum ed_type_id args[4];
	enum ed_type_id ret; /* ED_ARG_ANY: computed by ret_type */
	ed_kernel kernel;
	ed_special special;
	/* Optional, after the arguments are cast to args[]: sets e->type when
	 * ret is ED_ARG_ANY (decimal scales), may add casts to e->args, checks
	 * constant arguments and fills e->iarg / e->aux. 0 or an error with err
	 * filled. */
	int (*prepare)(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err);
};

struct ed_fn_table {
	const struct ed_fn *fns;
	size_t n;
};

extern const struct ed_fn_table ed_fn_ops;    /* expr_ops.c: operators */
extern const struct ed_fn_table ed_fn_string; /* func_string.c */
extern const struct ed_fn_table ed_fn_math;   /* func_math.c */
extern const struct ed_fn_table ed_fn_time;   /* func_time.c */

/* Errors. */
int ed_expr_fail(struct ed_expr_error *err, int32_t row, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Evaluate argument e of a node for the rows of sel, returning a vector that
 * holds them (the input column itself, a broadcast constant, or e's scratch
 * result). NULL on error (cx->err filled, *rc set). */
const struct ed_vector *ed_expr_eval_arg(struct ed_expr *e, struct ed_eval *cx, const uint8_t *sel,
					 int *rc);
/* Evaluate e into out for the rows of sel. */
int ed_expr_eval_into(struct ed_expr *e, struct ed_eval *cx, const uint8_t *sel,
		      struct ed_vector *out);
/* The selection scratch of a CALL node (res_cap bytes), or NULL on ENOMEM. */
uint8_t *ed_expr_sel2(struct ed_expr *e);

/* Casts. A cast kernel converts args[0] to e->type. */
bool ed_cast_exists(const struct ed_type *from, const struct ed_type *to, bool explicit_cast);
/* Implicit-cast cost (0 same type, larger worse) or -1 when not implicit. */
int ed_cast_cost(enum ed_type_id from, enum ed_type_id to);
int ed_cast_kernel(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out);
/* Wraps x in a cast node to t (no node when the types are equal). */
struct ed_expr *ed_expr_coerce(struct ed_arena *a, struct ed_expr *x, struct ed_type t,
			       struct ed_expr_error *err);

/* Comparison of two non-NULL values of the same type at rows i and j. */
int ed_vec_cmp(const struct ed_vector *a, uint32_t i, const struct ed_vector *b, uint32_t j);
bool ed_vec_eq(const struct ed_vector *a, uint32_t i, const struct ed_vector *b, uint32_t j);
/* Hash of a non-NULL value (equal values of one type hash equal). */
uint64_t ed_vec_hash(const struct ed_vector *v, uint32_t i);

/* Text of non-NULL row i of v as a cast to text prints it (bool "true" /
 * "false"): *out points at tmp (ED_VALUE_TEXT_MAX bytes) or, for text, at
 * the value itself. Returns the length. */
#define ED_VALUE_TEXT_MAX 128
size_t ed_vec_text(const struct ed_vector *v, uint32_t i, char *tmp, const char **out);

/* Common type of a list (IN, BETWEEN, CASE, COALESCE): unknown literals take
 * the others' type; otherwise the type every other one casts to implicitly.
 * false with 42804 ("<what> types x and y cannot be matched") if none. */
bool ed_expr_common_type(struct ed_expr **xs, uint32_t n, struct ed_type *out,
			 struct ed_expr_error *err, const char *what);
/* Entry of a special form by name (expr_ops.c), or NULL. */
const struct ed_fn *ed_fn_special(const char *name);

/* Bump writer for text results: reserve max bytes for one value, write,
 * then commit the length used. Allocates a block from the arena at a time. */
struct ed_textw {
	struct ed_arena *arena;
	char *p;
	size_t left;
};
static inline void ed_textw_init(struct ed_textw *w, struct ed_arena *a)
{
	w->arena = a;
	w->p = NULL;
	w->left = 0;
}
char *ed_textw_reserve(struct ed_textw *w, size_t n);
static inline void ed_textw_commit(struct ed_textw *w, size_t used)
{
	w->p += used;
	w->left -= used;
}

/* UTF-8 helpers. */
static inline uint32_t ed_utf8_len(const char *s, uint32_t n)
{
	uint32_t c = 0;
	for (uint32_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

#endif
