/* Math functions: abs, round (also round(x, n)), floor, ceil, trunc, sign,
 * power, sqrt, cbrt, ln, log (base 10, or log(b, x)), exp. mod(a, b) is the
 * % operator (expr.c maps the name). Float functions fail as PostgreSQL's do:
 * 2201E for logarithms of zero or negatives, 2201F for bad powers and square
 * roots of negatives, 22003 when a finite input overflows. */
#include <math.h>
#include <string.h>

#include "base/err.h"
#include "exec/exec_int.h"

#define N_ (cx->rows)
#define ACT_ (cx->act)

#define ABS_INT(NAME, CT, MINV, MSG)                                                    \
	static int NAME(const struct ed_expr *e, struct ed_eval *cx,                    \
			const struct ed_vector *const *args, struct ed_vector *out)     \
	{                                                                               \
		(void)e;                                                                \
		for (uint32_t i = 0; i < N_; i++) {                                     \
			CT x = ED_VEC(args[0], CT)[i];                                  \
			if (ACT_[i] && x == MINV)                                       \
				return ed_expr_fail(cx->err, (int32_t)i, "22003", MSG); \
			ED_VEC(out, CT)[i] = (CT)(x < 0 && x != MINV ? -x : x);         \
		}                                                                       \
		return 0;                                                               \
	}

ABS_INT(abs_i16, int16_t, INT16_MIN, "smallint out of range")
ABS_INT(abs_i32, int32_t, INT32_MIN, "integer out of range")
ABS_INT(abs_i64, int64_t, INT64_MIN, "bigint out of range")

static int abs_f32(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++)
		ED_VEC(out, float)[i] = fabsf(ED_VEC(args[0], float)[i]);
	return 0;
}

static int abs_dec(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		ed_dec x = ED_VEC(args[0], ed_dec)[i];
		ED_VEC(out, ed_dec)[i] = x < 0 ? -x : x;
	}
	return 0;
}

/* Unary double functions: iarg picks the function. */
enum { M_ABS, M_ROUND, M_FLOOR, M_CEIL, M_TRUNC, M_SIGN, M_SQRT, M_CBRT, M_LN, M_LOG10, M_EXP };

static int f64_unary(const struct ed_expr *e, struct ed_eval *cx,
		     const struct ed_vector *const *args, struct ed_vector *out)
{
	const double *a = args[0]->data;
	double *r = out->data;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		double x = a[i], y;
		switch (e->iarg) {
		case M_ABS:
			y = fabs(x);
			break;
		case M_ROUND:
			y = rint(x);
			break;
		case M_FLOOR:
			y = floor(x);
			break;
		case M_CEIL:
			y = ceil(x);
			break;
		case M_TRUNC:
			y = trunc(x);
			break;
		case M_SIGN:
			y = x > 0 ? 1 : x < 0 ? -1 : 0;
			break;
		case M_SQRT:
			if (x < 0)
				return ed_expr_fail(cx->err, (int32_t)i, "2201F",
						    "cannot take square root of a negative number");
			y = sqrt(x);
			break;
		case M_CBRT:
			y = cbrt(x);
			break;
		case M_LN:
		case M_LOG10:
			if (x == 0)
				return ed_expr_fail(cx->err, (int32_t)i, "2201E",
						    "cannot take logarithm of zero");
			if (x < 0)
				return ed_expr_fail(cx->err, (int32_t)i, "2201E",
						    "cannot take logarithm of a negative number");
			y = e->iarg == M_LN ? log(x) : log10(x);
			break;
		default:
			y = exp(x);
			if (isinf(y) && isfinite(x))
				return ed_expr_fail(cx->err, (int32_t)i, "22003",
						    "value out of range: overflow");
			break;
		}
		r[i] = y;
	}
	return 0;
}

static int prep_math(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	static const char *const names[] = {"abs",  "round", "floor", "ceil", "trunc", "sign",
					    "sqrt", "cbrt",  "ln",    "log",  "exp"};
	(void)a;
	(void)err;
	for (int k = 0; k < 11; k++)
		if (strcmp(e->name, names[k]) == 0)
			e->iarg = k;
	return 0;
}

/* power(x, y), log(b, x) */
static int f64_binary(const struct ed_expr *e, struct ed_eval *cx,
		      const struct ed_vector *const *args, struct ed_vector *out)
{
	const double *a = args[0]->data, *b = args[1]->data;
	double *r = out->data;
	bool is_log = e->name[0] == 'l';
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		double x = a[i], y = b[i], z;
		if (is_log) {
			if (x <= 0 || y <= 0)
				return ed_expr_fail(cx->err, (int32_t)i, "2201E",
						    "cannot take logarithm of %s",
						    (x == 0 || y == 0) ? "zero"
								       : "a negative number");
			if (x == 1)
				return ed_expr_fail(cx->err, (int32_t)i, "22012", "division by zero");
			z = log(y) / log(x);
		} else {
			if (x == 0 && y < 0)
				return ed_expr_fail(cx->err, (int32_t)i, "2201F",
						    "zero raised to a negative power is undefined");
			if (x < 0 && y != floor(y))
				return ed_expr_fail(
					cx->err, (int32_t)i, "2201F",
					"a negative number raised to a non-integer power yields a complex result");
			z = pow(x, y);
			if (isinf(z) && isfinite(x) && isfinite(y))
				return ed_expr_fail(cx->err, (int32_t)i, "22003",
						    "value out of range: overflow");
		}
		r[i] = z;
	}
	return 0;
}

/* round/floor/ceil/trunc on decimals. iarg: M_*; result scale e->type.scale.
 * round(x, n) with n not constant rounds at n and keeps the input scale. */
static int dec_round(const struct ed_expr *e, struct ed_eval *cx,
		     const struct ed_vector *const *args, struct ed_vector *out)
{
	int s = args[0]->type.scale, rs = out->type.scale;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		ed_dec x = ED_VEC(args[0], ed_dec)[i], y;
		int n = e->nargs == 2 ? ED_VEC(args[1], int32_t)[i] : 0;
		if (n > 38)
			n = 38;
		if (n < -38)
			n = -38;
		if (n >= s) {
			y = x;
		} else {
			ed_dec p = ed_dec_pow10(s - n);
			ed_dec q = x / p, rem = x % p;
			if (e->iarg == M_ROUND) {
				ed_dec ar = rem < 0 ? -rem : rem;
				if (ar * 2 >= p)
					q += x < 0 ? -1 : 1;
			} else if (e->iarg == M_FLOOR && rem < 0) {
				q -= 1;
			} else if (e->iarg == M_CEIL && rem > 0) {
				q += 1;
			}
			/* back to scale s, then to the result scale */
			if (!ed_dec_rescale(q, n, s, &y))
				return ed_expr_fail(cx->err, (int32_t)i, "22003",
						    "numeric field overflow");
		}
		if (!ed_dec_rescale(y, s, rs, &y) || !ed_dec_fits(y, 38))
			return ed_expr_fail(cx->err, (int32_t)i, "22003", "numeric field overflow");
		ED_VEC(out, ed_dec)[i] = y;
	}
	return 0;
}

static int prep_dec_round(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	prep_math(e, a, err);
	e->type = ed_type_make(ED_TYPE_DECIMAL);
	int s = e->args[0]->type.scale;
	e->type.scale = 0;
	if (e->nargs == 2) {
		e->type.scale = (int16_t)s;
		if (e->args[1]->kind == ED_EK_CONST && !e->args[1]->val.null) {
			int64_t n = e->args[1]->val.v.i;
			e->type.scale = (int16_t)(n < 0 ? 0 : n > s ? s : n);
		}
	}
	return 0;
}

static int prep_dec_keep(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)a;
	(void)err;
	e->type = e->args[0]->type;
	e->type.precision = 38;
	return 0;
}

/* round(double, n): rounds half away from zero at n decimal digits. */
static int f64_round_n(const struct ed_expr *e, struct ed_eval *cx,
		       const struct ed_vector *const *args, struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		double x = ED_VEC(args[0], double)[i];
		int n = ED_VEC(args[1], int32_t)[i];
		double p = pow(10, n);
		double y = round(x * p) / p;
		ED_VEC(out, double)[i] = isfinite(y) ? y : x;
	}
	return 0;
}

#define I2 ED_TYPE_INT16
#define I4 ED_TYPE_INT32
#define I8 ED_TYPE_INT64
#define F4 ED_TYPE_FLOAT32
#define F8 ED_TYPE_FLOAT64
#define DE ED_TYPE_DECIMAL
#define ANY ED_ARG_ANY

static const struct ed_fn fns[] = {
	{"abs", 1, 0, {I2}, I2, abs_i16, NULL, NULL},
	{"abs", 1, 0, {I4}, I4, abs_i32, NULL, NULL},
	{"abs", 1, 0, {I8}, I8, abs_i64, NULL, NULL},
	{"abs", 1, 0, {F4}, F4, abs_f32, NULL, NULL},
	{"abs", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"abs", 1, 0, {DE}, ANY, abs_dec, NULL, prep_dec_keep},
	{"round", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"round", 1, 0, {DE}, ANY, dec_round, NULL, prep_dec_round},
	{"round", 2, 0, {DE, I4}, ANY, dec_round, NULL, prep_dec_round},
	{"round", 2, 0, {F8, I4}, F8, f64_round_n, NULL, NULL},
	{"floor", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"floor", 1, 0, {DE}, ANY, dec_round, NULL, prep_dec_round},
	{"ceil", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"ceil", 1, 0, {DE}, ANY, dec_round, NULL, prep_dec_round},
	{"trunc", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"trunc", 1, 0, {DE}, ANY, dec_round, NULL, prep_dec_round},
	{"trunc", 2, 0, {DE, I4}, ANY, dec_round, NULL, prep_dec_round},
	{"sign", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"sqrt", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"cbrt", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"ln", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"log", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"log", 2, 0, {F8, F8}, F8, f64_binary, NULL, NULL},
	{"exp", 1, 0, {F8}, F8, f64_unary, NULL, prep_math},
	{"power", 2, 0, {F8, F8}, F8, f64_binary, NULL, NULL},
};

const struct ed_fn_table ed_fn_math = {fns, sizeof fns / sizeof fns[0]};
