/* Operator kernels: arithmetic with overflow checks (integers, floats,
 * decimals, timestamps and intervals), comparisons, three-valued logic, and
 * the special forms (IS ..., IN, BETWEEN, COALESCE, NULLIF, CASE, LIKE, ||).
 * Kernels only compute rows marked in cx->act; errors name the first failing
 * row. The tables at the end are what expr.c resolves names against. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "base/err.h"
#include "exec/exec_int.h"

#define N_ (cx->rows)
#define ACT_ (cx->act)

enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

static int overflow(struct ed_eval *cx, uint32_t i, enum ed_type_id t)
{
	switch (t) {
	case ED_TYPE_INT16:
		return ed_expr_fail(cx->err, (int32_t)i, "22003", "smallint out of range");
	case ED_TYPE_INT32:
		return ed_expr_fail(cx->err, (int32_t)i, "22003", "integer out of range");
	case ED_TYPE_INT64:
		return ed_expr_fail(cx->err, (int32_t)i, "22003", "bigint out of range");
	case ED_TYPE_DECIMAL:
		return ed_expr_fail(cx->err, (int32_t)i, "22003", "numeric field overflow");
	case ED_TYPE_INTERVAL:
		return ed_expr_fail(cx->err, (int32_t)i, "22015", "interval out of range");
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		return ed_expr_fail(cx->err, (int32_t)i, "22008", "timestamp out of range");
	default:
		return ed_expr_fail(cx->err, (int32_t)i, "22003", "value out of range: overflow");
	}
}

static int div_zero(struct ed_eval *cx, uint32_t i)
{
	return ed_expr_fail(cx->err, (int32_t)i, "22012", "division by zero");
}

/* ---- integer arithmetic ------------------------------------------------------- */

#define INT_BIN(NAME, CT, TID, BUILTIN)                                             \
	static int NAME(const struct ed_expr *e, struct ed_eval *cx,                \
			const struct ed_vector *const *args, struct ed_vector *out) \
	{                                                                           \
		const CT *a = args[0]->data, *b = args[1]->data;                    \
		CT *r = out->data;                                                  \
		unsigned ovf = 0;                                                   \
		(void)e;                                                            \
		for (uint32_t i = 0; i < N_; i++)                                   \
			ovf |= (unsigned)BUILTIN(a[i], b[i], &r[i]) & ACT_[i];      \
		if (ovf)                                                            \
			for (uint32_t i = 0; i < N_; i++) {                         \
				CT t;                                               \
				if (ACT_[i] && BUILTIN(a[i], b[i], &t))             \
					return overflow(cx, i, TID);                \
			}                                                           \
		return 0;                                                           \
	}

INT_BIN(add_i16, int16_t, ED_TYPE_INT16, __builtin_add_overflow)
INT_BIN(add_i32, int32_t, ED_TYPE_INT32, __builtin_add_overflow)
INT_BIN(add_i64, int64_t, ED_TYPE_INT64, __builtin_add_overflow)
INT_BIN(sub_i16, int16_t, ED_TYPE_INT16, __builtin_sub_overflow)
INT_BIN(sub_i32, int32_t, ED_TYPE_INT32, __builtin_sub_overflow)
INT_BIN(sub_i64, int64_t, ED_TYPE_INT64, __builtin_sub_overflow)
INT_BIN(mul_i16, int16_t, ED_TYPE_INT16, __builtin_mul_overflow)
INT_BIN(mul_i32, int32_t, ED_TYPE_INT32, __builtin_mul_overflow)
INT_BIN(mul_i64, int64_t, ED_TYPE_INT64, __builtin_mul_overflow)

#define INT_DIV(NAME, CT, TID, MINV, MOD)                                           \
	static int NAME(const struct ed_expr *e, struct ed_eval *cx,                \
			const struct ed_vector *const *args, struct ed_vector *out) \
	{                                                                           \
		const CT *a = args[0]->data, *b = args[1]->data;                    \
		CT *r = out->data;                                                  \
		(void)e;                                                            \
		for (uint32_t i = 0; i < N_; i++) {                                 \
			if (!ACT_[i])                                               \
				continue;                                           \
			if (b[i] == 0)                                              \
				return div_zero(cx, i);                             \
			if (b[i] == -1) {                                           \
				if (MOD) {                                          \
					r[i] = 0;                                   \
					continue;                                   \
				}                                                   \
				if (a[i] == MINV)                                   \
					return overflow(cx, i, TID);                \
			}                                                           \
			r[i] = (CT)(MOD ? a[i] % b[i] : a[i] / b[i]);               \
		}                                                                   \
		return 0;                                                           \
	}

INT_DIV(div_i16, int16_t, ED_TYPE_INT16, INT16_MIN, 0)
INT_DIV(div_i32, int32_t, ED_TYPE_INT32, INT32_MIN, 0)
INT_DIV(div_i64, int64_t, ED_TYPE_INT64, INT64_MIN, 0)
INT_DIV(mod_i16, int16_t, ED_TYPE_INT16, INT16_MIN, 1)
INT_DIV(mod_i32, int32_t, ED_TYPE_INT32, INT32_MIN, 1)
INT_DIV(mod_i64, int64_t, ED_TYPE_INT64, INT64_MIN, 1)

#define INT_NEG(NAME, CT, TID, MINV)                                                \
	static int NAME(const struct ed_expr *e, struct ed_eval *cx,                \
			const struct ed_vector *const *args, struct ed_vector *out) \
	{                                                                           \
		const CT *a = args[0]->data;                                        \
		CT *r = out->data;                                                  \
		(void)e;                                                            \
		for (uint32_t i = 0; i < N_; i++) {                                 \
			if (ACT_[i] && a[i] == MINV)                                \
				return overflow(cx, i, TID);                        \
			r[i] = (CT)(a[i] == MINV ? 0 : -a[i]);                      \
		}                                                                   \
		return 0;                                                           \
	}

INT_NEG(neg_i16, int16_t, ED_TYPE_INT16, INT16_MIN)
INT_NEG(neg_i32, int32_t, ED_TYPE_INT32, INT32_MIN)
INT_NEG(neg_i64, int64_t, ED_TYPE_INT64, INT64_MIN)

/* ---- float arithmetic ---------------------------------------------------------- */

#define FLT_BIN(NAME, CT, TID, OP, ISDIV)                                           \
	static int NAME(const struct ed_expr *e, struct ed_eval *cx,                \
			const struct ed_vector *const *args, struct ed_vector *out) \
	{                                                                           \
		const CT *a = args[0]->data, *b = args[1]->data;                    \
		CT *r = out->data;                                                  \
		(void)e;                                                            \
		if (ISDIV)                                                          \
			for (uint32_t i = 0; i < N_; i++)                           \
				if (ACT_[i] && b[i] == 0)                           \
					return div_zero(cx, i);                     \
		for (uint32_t i = 0; i < N_; i++)                                   \
			r[i] = a[i] OP b[i];                                        \
		for (uint32_t i = 0; i < N_; i++) {                                 \
			if (!ACT_[i] || isfinite(r[i]))                             \
				continue;                                           \
			if (isinf(r[i]) && !isinf(a[i]) && !isinf(b[i]))            \
				return overflow(cx, i, TID);                        \
		}                                                                   \
		return 0;                                                           \
	}

FLT_BIN(add_f32, float, ED_TYPE_FLOAT32, +, 0)
FLT_BIN(add_f64, double, ED_TYPE_FLOAT64, +, 0)
FLT_BIN(sub_f32, float, ED_TYPE_FLOAT32, -, 0)
FLT_BIN(sub_f64, double, ED_TYPE_FLOAT64, -, 0)
FLT_BIN(mul_f32, float, ED_TYPE_FLOAT32, *, 0)
FLT_BIN(mul_f64, double, ED_TYPE_FLOAT64, *, 0)
FLT_BIN(div_f32, float, ED_TYPE_FLOAT32, /, 1)
FLT_BIN(div_f64, double, ED_TYPE_FLOAT64, /, 1)

static int neg_f32(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++)
		ED_VEC(out, float)[i] = -ED_VEC(args[0], float)[i];
	return 0;
}

static int neg_f64(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++)
		ED_VEC(out, double)[i] = -ED_VEC(args[0], double)[i];
	return 0;
}

/* ---- decimal arithmetic ------------------------------------------------------------ */

static ed_dec dec_limit(void)
{
	return ed_dec_pow10(38);
}

static int add_dec(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	const ed_dec *a = args[0]->data, *b = args[1]->data;
	ed_dec *r = out->data, lim = dec_limit();
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		ed_dec x = e->iarg ? -b[i] : b[i];
		if (__builtin_add_overflow(a[i], x, &r[i]) || r[i] >= lim || r[i] <= -lim)
			return overflow(cx, i, ED_TYPE_DECIMAL);
	}
	return 0;
}

static int mul_dec(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	const ed_dec *a = args[0]->data, *b = args[1]->data;
	ed_dec *r = out->data, lim = dec_limit();
	int s = args[0]->type.scale + args[1]->type.scale;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		ed_dec p;
		if (__builtin_mul_overflow(a[i], b[i], &p))
			return overflow(cx, i, ED_TYPE_DECIMAL);
		if (s != out->type.scale)
			ed_dec_rescale(p, s, out->type.scale, &p);
		if (p >= lim || p <= -lim)
			return overflow(cx, i, ED_TYPE_DECIMAL);
		r[i] = p;
	}
	return 0;
}

/* a / b at result scale rs, rounding half away from zero, by long division
 * when the scaled dividend does not fit. false on overflow. */
bool ed_dec_div(ed_dec a, int sa, ed_dec b, int sb, int rs, ed_dec *out)
{
	int k = rs - sa + sb; /* a * 10^k / b */
	bool neg = (a < 0) != (b < 0);
	unsigned __int128 ua = a < 0 ? -(unsigned __int128)a : (unsigned __int128)a;
	unsigned __int128 ub = b < 0 ? -(unsigned __int128)b : (unsigned __int128)b;
	unsigned __int128 q, r;
	if (k < 0) {
		ub *= (unsigned __int128)ed_dec_pow10(-k);
		k = 0;
	}
	q = ua / ub;
	r = ua % ub;
	unsigned __int128 lim = (unsigned __int128)dec_limit();
	for (int i = 0; i < k; i++) {
		if (q > lim)
			return false;
		/* r < ub; r * 10 may exceed 128 bits only for ub > 2^124. */
		if (r > ((unsigned __int128)-1) / 10)
			return false;
		r *= 10;
		q = q * 10 + r / ub;
		r %= ub;
	}
	if (r >= ub - r)
		q++;
	if (q >= lim)
		return false;
	*out = neg ? -(ed_dec)q : (ed_dec)q;
	return true;
}

static int div_dec(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	const ed_dec *a = args[0]->data, *b = args[1]->data;
	ed_dec *r = out->data;
	int sa = args[0]->type.scale, sb = args[1]->type.scale, rs = out->type.scale;
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		if (b[i] == 0)
			return div_zero(cx, i);
		if (!ed_dec_div(a[i], sa, b[i], sb, rs, &r[i]))
			return overflow(cx, i, ED_TYPE_DECIMAL);
	}
	return 0;
}

static int mod_dec(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	const ed_dec *a = args[0]->data, *b = args[1]->data;
	ed_dec *r = out->data;
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		if (b[i] == 0)
			return div_zero(cx, i);
		r[i] = a[i] % b[i];
	}
	return 0;
}

static int neg_dec(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		   struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++)
		ED_VEC(out, ed_dec)[i] = -ED_VEC(args[0], ed_dec)[i];
	return 0;
}

/* Decimal + - % and comparisons: both sides at the larger scale. */
static int prep_dec_align(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	int s0 = e->args[0]->type.scale, s1 = e->args[1]->type.scale;
	int s = s0 > s1 ? s0 : s1;
	struct ed_type t = ed_type_make(ED_TYPE_DECIMAL);
	t.scale = (int16_t)s;
	for (int k = 0; k < 2; k++) {
		e->args[k] = ed_expr_coerce(a, e->args[k], t, err);
		if (!e->args[k])
			return ED_EINVAL;
	}
	if (e->fn->ret == ED_ARG_ANY)
		e->type = t;
	e->iarg = e->name[0] == '-';
	return 0;
}

static int prep_dec_mul(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	int s = e->args[0]->type.scale + e->args[1]->type.scale;
	(void)a;
	(void)err;
	e->type = ed_type_make(ED_TYPE_DECIMAL);
	e->type.scale = (int16_t)(s > 32 ? 32 : s);
	return 0;
}

static int prep_dec_div(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	int s0 = e->args[0]->type.scale, s1 = e->args[1]->type.scale;
	int s = s0 > s1 ? s0 : s1;
	(void)a;
	(void)err;
	e->type = ed_type_make(ED_TYPE_DECIMAL);
	e->type.scale = (int16_t)(s > 16 ? s : 16);
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

/* ---- timestamps and intervals -------------------------------------------------------- */

/* ts + months (day clamped to the month's end), then days and usecs. */
static bool ts_add_iv(int64_t ts, const struct ed_interval *iv, int sign, int64_t *out)
{
	int64_t r = ts;
	if (iv->months) {
		int64_t days = ed_floordiv(ts, ED_USEC_PER_DAY);
		int64_t tod = ts - days * ED_USEC_PER_DAY;
		int64_t y;
		int m, d;
		ed_civil_from_days(days, &y, &m, &d);
		int64_t mm = y * 12 + (m - 1) + sign * (int64_t)iv->months;
		y = ed_floordiv(mm, 12);
		m = (int)(mm - y * 12) + 1;
		if (y < -300000 || y > 300000)
			return false;
		int dim = ed_days_in_month(y, m);
		if (d > dim)
			d = dim;
		r = ed_days_from_civil(y, m, d) * ED_USEC_PER_DAY + tod;
	}
	int64_t du;
	if (__builtin_mul_overflow((int64_t)iv->days, ED_USEC_PER_DAY, &du) ||
	    __builtin_add_overflow(r, sign * du, &r) ||
	    __builtin_add_overflow(r, sign * iv->usecs, &r))
		return false;
	*out = r;
	return true;
}

static int ts_plus_iv(const struct ed_expr *e, struct ed_eval *cx,
		      const struct ed_vector *const *args, struct ed_vector *out)
{
	/* iarg: 0 ts+iv, 1 iv+ts, 2 ts-iv */
	int ti = e->iarg == 1 ? 1 : 0;
	const int64_t *ts = args[ti]->data;
	const struct ed_interval *iv = args[1 - ti]->data;
	int64_t *r = out->data;
	for (uint32_t i = 0; i < N_; i++)
		if (ACT_[i] && !ts_add_iv(ts[i], &iv[i], e->iarg == 2 ? -1 : 1, &r[i]))
			return overflow(cx, i, out->type.id);
	return 0;
}

static int prep_ts_iv(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)a;
	(void)err;
	e->iarg = e->name[0] == '-' ? 2 : e->args[0]->type.id == ED_TYPE_INTERVAL ? 1 : 0;
	return 0;
}

static int ts_minus_ts(const struct ed_expr *e, struct ed_eval *cx,
		       const struct ed_vector *const *args, struct ed_vector *out)
{
	const int64_t *a = args[0]->data, *b = args[1]->data;
	struct ed_interval *r = out->data;
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		int64_t d;
		if (__builtin_sub_overflow(a[i], b[i], &d))
			return overflow(cx, i, ED_TYPE_INTERVAL);
		r[i].months = 0;
		r[i].days = (int32_t)(d / ED_USEC_PER_DAY);
		r[i].usecs = d % ED_USEC_PER_DAY;
	}
	return 0;
}

static int iv_addsub(const struct ed_expr *e, struct ed_eval *cx,
		     const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_interval *a = args[0]->data, *b = args[1]->data;
	struct ed_interval *r = out->data;
	bool sub = e->name[0] == '-';
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		/* Every field is computed even after one overflows, so no || here. */
		int o = 0;
		if (sub) {
			o |= __builtin_sub_overflow(a[i].months, b[i].months, &r[i].months);
			o |= __builtin_sub_overflow(a[i].days, b[i].days, &r[i].days);
			o |= __builtin_sub_overflow(a[i].usecs, b[i].usecs, &r[i].usecs);
		} else {
			o |= __builtin_add_overflow(a[i].months, b[i].months, &r[i].months);
			o |= __builtin_add_overflow(a[i].days, b[i].days, &r[i].days);
			o |= __builtin_add_overflow(a[i].usecs, b[i].usecs, &r[i].usecs);
		}
		if (o)
			return overflow(cx, i, ED_TYPE_INTERVAL);
	}
	return 0;
}

/* Interval times a factor: fractions of months spill into days, of days into
 * microseconds (PostgreSQL's interval_mul). */
static bool iv_scale(const struct ed_interval *a, double f, bool div, struct ed_interval *r)
{
	double m = div ? a->months / f : a->months * f;
	double mi = trunc(m);
	double d = (div ? a->days / f : a->days * f) + (m - mi) * 30;
	double di = trunc(d);
	double u = (div ? (double)a->usecs / f : (double)a->usecs * f) + (d - di) * 86400e6;
	if (!(fabs(mi) <= INT32_MAX && fabs(di) <= INT32_MAX && fabs(u) < 9.2e18))
		return false;
	r->months = (int32_t)mi;
	r->days = (int32_t)di;
	r->usecs = (int64_t)llround(u);
	return true;
}

static int iv_mul(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		  struct ed_vector *out)
{
	/* iarg: 0 iv*f, 1 f*iv, 2 iv/f */
	int vi = e->iarg == 1 ? 1 : 0;
	const struct ed_interval *a = args[vi]->data;
	const double *f = args[1 - vi]->data;
	struct ed_interval *r = out->data;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		if (e->iarg == 2 && f[i] == 0)
			return div_zero(cx, i);
		if (isnan(f[i]) || !iv_scale(&a[i], f[i], e->iarg == 2, &r[i]))
			return overflow(cx, i, ED_TYPE_INTERVAL);
	}
	return 0;
}

static int prep_iv_mul(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)a;
	(void)err;
	e->iarg = e->name[0] == '/' ? 2 : e->args[0]->type.id == ED_TYPE_INTERVAL ? 0 : 1;
	return 0;
}

static int iv_neg(const struct ed_expr *e, struct ed_eval *cx, const struct ed_vector *const *args,
		  struct ed_vector *out)
{
	const struct ed_interval *a = args[0]->data;
	struct ed_interval *r = out->data;
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		if (a[i].months == INT32_MIN || a[i].days == INT32_MIN || a[i].usecs == INT64_MIN)
			return overflow(cx, i, ED_TYPE_INTERVAL);
		r[i].months = -a[i].months;
		r[i].days = -a[i].days;
		r[i].usecs = -a[i].usecs;
	}
	return 0;
}

/* ---- comparisons ---------------------------------------------------------------- */

#define CMP_LOOP(EXPR)                    \
	for (uint32_t i = 0; i < N_; i++) \
		r[i] = (uint8_t)(EXPR);

#define CMP_DIRECT(NAME, CT)                                                        \
	static int NAME(const struct ed_expr *e, struct ed_eval *cx,                \
			const struct ed_vector *const *args, struct ed_vector *out) \
	{                                                                           \
		const CT *a = args[0]->data, *b = args[1]->data;                    \
		uint8_t *r = out->data;                                             \
		switch (e->iarg) {                                                  \
		case OP_EQ:                                                         \
			CMP_LOOP(a[i] == b[i]) break;                               \
		case OP_NE:                                                         \
			CMP_LOOP(a[i] != b[i]) break;                               \
		case OP_LT:                                                         \
			CMP_LOOP(a[i] < b[i]) break;                                \
		case OP_LE:                                                         \
			CMP_LOOP(a[i] <= b[i]) break;                               \
		case OP_GT:                                                         \
			CMP_LOOP(a[i] > b[i]) break;                                \
		default:                                                            \
			CMP_LOOP(a[i] >= b[i]) break;                               \
		}                                                                   \
		return 0;                                                           \
	}

CMP_DIRECT(cmp_u8, uint8_t)
CMP_DIRECT(cmp_i16, int16_t)
CMP_DIRECT(cmp_i32, int32_t)
CMP_DIRECT(cmp_i64, int64_t)
CMP_DIRECT(cmp_dec, ed_dec)

static bool op_holds(int op, int c)
{
	switch (op) {
	case OP_EQ:
		return c == 0;
	case OP_NE:
		return c != 0;
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

/* Floats (NaN handling), text, intervals: through ed_vec_cmp. */
static int cmp_generic(const struct ed_expr *e, struct ed_eval *cx,
		       const struct ed_vector *const *args, struct ed_vector *out)
{
	uint8_t *r = out->data;
	for (uint32_t i = 0; i < N_; i++)
		if (ACT_[i])
			r[i] = op_holds(e->iarg, ed_vec_cmp(args[0], i, args[1], i));
	return 0;
}

static int prep_cmp(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	static const char *const names[] = {"=", "<>", "<", "<=", ">", ">="};
	if (e->args[0]->type.id == ED_TYPE_DECIMAL && prep_dec_align(e, a, err))
		return ED_EINVAL;
	for (int k = 0; k < 6; k++)
		if (strcmp(e->name, names[k]) == 0)
			e->iarg = k;
	return 0;
}

/* ---- logic -------------------------------------------------------------------------- */

static int not_kernel(const struct ed_expr *e, struct ed_eval *cx,
		      const struct ed_vector *const *args, struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++)
		ED_VEC(out, uint8_t)[i] = !ED_VEC(args[0], uint8_t)[i];
	return 0;
}

/* AND / OR with short circuit: later arguments are evaluated only for rows
 * whose result is still open (not FALSE for AND, not TRUE for OR). */
static int andor_special(const struct ed_expr *e, struct ed_eval *cx, const uint8_t *sel,
			 struct ed_vector *out)
{
	struct ed_expr *m = (struct ed_expr *)e;
	uint8_t *open = m->sel2;
	uint8_t *val = out->data, *isnull = out->nulls;
	bool is_or = e->name[0] == 'o';
	uint8_t decided = is_or ? 1 : 0;
	uint32_t n = N_;
	for (uint32_t i = 0; i < n; i++) {
		open[i] = sel ? sel[i] : 1;
		val[i] = (uint8_t)!decided;
		isnull[i] = 0;
	}
	for (uint32_t k = 0; k < e->nargs; k++) {
		int rc;
		const struct ed_vector *v = ed_expr_eval_arg(e->args[k], cx, open, &rc);
		if (!v)
			return rc;
		const uint8_t *b = v->data;
		for (uint32_t i = 0; i < n; i++) {
			if (!open[i])
				continue;
			if (v->nulls[i])
				isnull[i] = 1;
			else if (b[i] == decided) {
				val[i] = decided;
				isnull[i] = 0;
				open[i] = 0;
			}
		}
	}
	for (uint32_t i = 0; i < n; i++)
		if (sel && !sel[i])
			isnull[i] = 1;
	return 0;
}

static int isnull_kernel(const struct ed_expr *e, struct ed_eval *cx,
			 const struct ed_vector *const *args, struct ed_vector *out)
{
	bool want = e->iarg == 0;
	for (uint32_t i = 0; i < N_; i++)
		ED_VEC(out, uint8_t)[i] = (uint8_t)((args[0]->nulls[i] != 0) == want);
	return 0;
}

static int prep_isnull(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)a;
	(void)err;
	e->iarg = strcmp(e->name, "is_null") == 0 ? 0 : 1;
	return 0;
}

/* IS [NOT] TRUE/FALSE/UNKNOWN: iarg bit 0-1 the test, bit 2 negation. */
static int istest_kernel(const struct ed_expr *e, struct ed_eval *cx,
			 const struct ed_vector *const *args, struct ed_vector *out)
{
	int test = e->iarg & 3;
	bool neg = e->iarg & 4;
	const uint8_t *b = args[0]->data;
	for (uint32_t i = 0; i < N_; i++) {
		bool nl = args[0]->nulls[i];
		bool r = test == 0 ? (!nl && b[i]) : test == 1 ? (!nl && !b[i]) : nl;
		ED_VEC(out, uint8_t)[i] = (uint8_t)(r != neg);
	}
	return 0;
}

static int prep_istest(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)a;
	(void)err;
	const char *n = e->name + 3;
	int neg = 0;
	if (strncmp(n, "not_", 4) == 0) {
		neg = 4;
		n += 4;
	}
	e->iarg = (strcmp(n, "true") == 0 ? 0 : strcmp(n, "false") == 0 ? 1 : 2) | neg;
	return 0;
}

static int distinct_kernel(const struct ed_expr *e, struct ed_eval *cx,
			   const struct ed_vector *const *args, struct ed_vector *out)
{
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		bool na = args[0]->nulls[i], nb = args[1]->nulls[i];
		bool distinct = (na || nb) ? na != nb : !ed_vec_eq(args[0], i, args[1], i);
		ED_VEC(out, uint8_t)[i] = (uint8_t)(distinct != (e->iarg != 0));
	}
	return 0;
}

static int prep_distinct(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)err;
	if (e->args[0]->type.id == ED_TYPE_DECIMAL && prep_dec_align(e, a, err))
		return ED_EINVAL;
	e->iarg = strncmp(e->name, "is_not_", 7) == 0;
	e->type = ed_type_make(ED_TYPE_BOOL);
	return 0;
}

/* x IN (a, b, ...): TRUE if equal to one, else NULL if x or any is NULL. */
static int in_kernel(const struct ed_expr *e, struct ed_eval *cx,
		     const struct ed_vector *const *args, struct ed_vector *out)
{
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		if (args[0]->nulls[i]) {
			out->nulls[i] = 1;
			continue;
		}
		bool found = false, anynull = false;
		for (uint32_t k = 1; k < e->nargs && !found; k++) {
			if (args[k]->nulls[i])
				anynull = true;
			else
				found = ed_vec_eq(args[0], i, args[k], i);
		}
		ED_VEC(out, uint8_t)[i] = found;
		out->nulls[i] = !found && anynull;
	}
	return 0;
}

/* x BETWEEN lo AND hi = x >= lo AND x <= hi, three-valued. */
static int between_kernel(const struct ed_expr *e, struct ed_eval *cx,
			  const struct ed_vector *const *args, struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		int ge = -1, le = -1; /* -1 unknown */
		if (!args[0]->nulls[i] && !args[1]->nulls[i])
			ge = ed_vec_cmp(args[0], i, args[1], i) >= 0;
		if (!args[0]->nulls[i] && !args[2]->nulls[i])
			le = ed_vec_cmp(args[0], i, args[2], i) <= 0;
		if (ge == 0 || le == 0) {
			ED_VEC(out, uint8_t)[i] = 0;
			out->nulls[i] = 0;
		} else if (ge == 1 && le == 1) {
			ED_VEC(out, uint8_t)[i] = 1;
			out->nulls[i] = 0;
		} else {
			out->nulls[i] = 1;
		}
	}
	return 0;
}

static int prep_bool(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)a;
	(void)err;
	e->type = ed_type_make(ED_TYPE_BOOL);
	return 0;
}

static size_t vwidth(const struct ed_vector *v)
{
	return ed_type_width(v->type.id);
}

static void copy_row(struct ed_vector *dst, const struct ed_vector *src, uint32_t i)
{
	size_t w = vwidth(dst);
	memcpy((uint8_t *)dst->data + i * w, (const uint8_t *)src->data + i * w, w);
	dst->nulls[i] = src->nulls[i];
}

static int coalesce_special(const struct ed_expr *e, struct ed_eval *cx, const uint8_t *sel,
			    struct ed_vector *out)
{
	uint8_t *open = ((struct ed_expr *)e)->sel2;
	uint32_t n = N_;
	for (uint32_t i = 0; i < n; i++) {
		open[i] = sel ? sel[i] : 1;
		out->nulls[i] = 1;
	}
	for (uint32_t k = 0; k < e->nargs; k++) {
		int rc;
		const struct ed_vector *v = ed_expr_eval_arg(e->args[k], cx, open, &rc);
		if (!v)
			return rc;
		if (e->type.id == ED_TYPE_NULL)
			break;
		bool any = false;
		for (uint32_t i = 0; i < n; i++) {
			if (open[i] && !v->nulls[i]) {
				copy_row(out, v, i);
				open[i] = 0;
			}
			any |= open[i];
		}
		if (!any)
			break;
	}
	return 0;
}

static int nullif_kernel(const struct ed_expr *e, struct ed_eval *cx,
			 const struct ed_vector *const *args, struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i] || args[0]->nulls[i]) {
			out->nulls[i] = 1;
			continue;
		}
		copy_row(out, args[0], i);
		if (!args[1]->nulls[i] && ed_vec_eq(args[0], i, args[1], i))
			out->nulls[i] = 1;
	}
	return 0;
}

/* CASE: args are cond1, then1, cond2, then2, ... [, else]. Each THEN is
 * evaluated only for the rows that take its branch. */
static int case_special(const struct ed_expr *e, struct ed_eval *cx, const uint8_t *sel,
			struct ed_vector *out)
{
	uint32_t n = N_;
	uint8_t *open = ((struct ed_expr *)e)->sel2, *take = open + ((struct ed_expr *)e)->res_cap;
	uint32_t nw = e->nargs / 2;
	bool any = false;
	for (uint32_t i = 0; i < n; i++) {
		open[i] = sel ? sel[i] : 1;
		out->nulls[i] = 1;
		any |= open[i];
	}
	for (uint32_t k = 0; k < nw && any; k++) {
		int rc;
		const struct ed_vector *c = ed_expr_eval_arg(e->args[2 * k], cx, open, &rc);
		if (!c)
			return rc;
		bool some = false;
		any = false;
		for (uint32_t i = 0; i < n; i++) {
			take[i] = (uint8_t)(open[i] && !c->nulls[i] && ED_VEC(c, uint8_t)[i]);
			open[i] = (uint8_t)(open[i] && !take[i]);
			some |= take[i];
			any |= open[i];
		}
		if (!some)
			continue;
		const struct ed_vector *t = ed_expr_eval_arg(e->args[2 * k + 1], cx, take, &rc);
		if (!t)
			return rc;
		if (e->type.id != ED_TYPE_NULL)
			for (uint32_t i = 0; i < n; i++)
				if (take[i])
					copy_row(out, t, i);
	}
	if (e->iarg && any) {
		int rc;
		const struct ed_vector *t = ed_expr_eval_arg(e->args[e->nargs - 1], cx, open, &rc);
		if (!t)
			return rc;
		if (e->type.id != ED_TYPE_NULL)
			for (uint32_t i = 0; i < n; i++)
				if (open[i])
					copy_row(out, t, i);
	}
	return 0;
}

/* ---- LIKE ------------------------------------------------------------------------------ */

static inline uint32_t u8len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static inline int fold_ci(int c, bool ci)
{
	return ci && c < 128 ? tolower(c) : c;
}

/* 1 match, 0 no match, -1 pattern ends with the escape character. Greedy
 * with backtracking to the last '%': O(len(s) * len(p)) at worst. */
static int like_match(const char *s, uint32_t sn, const char *p, uint32_t pn, int esc, bool ci)
{
	uint32_t si = 0, pi = 0, star_p = UINT32_MAX, star_s = 0;
	while (si < sn) {
		if (pi < pn) {
			int c = (unsigned char)p[pi];
			if (c == '%' && c != esc) {
				star_p = ++pi;
				star_s = si;
				continue;
			}
			if (c == '_' && c != esc) {
				si += u8len((unsigned char)s[si]);
				pi++;
				continue;
			}
			uint32_t plen = 1;
			if (c == esc) {
				if (pi + 1 >= pn)
					return -1;
				c = (unsigned char)p[pi + 1];
				plen = 2;
			}
			if (fold_ci(c, ci) == fold_ci((unsigned char)s[si], ci)) {
				si++;
				pi += plen;
				continue;
			}
		}
		if (star_p == UINT32_MAX)
			return 0;
		pi = star_p;
		star_s += u8len((unsigned char)s[star_s]);
		si = star_s;
	}
	if (si > sn)
		return 0; /* '_' stepped over a truncated character */
	while (pi < pn && p[pi] == '%' && esc != '%')
		pi++;
	if (pi < pn && (int)(unsigned char)p[pi] == esc && pi + 1 >= pn)
		return -1;
	return pi == pn;
}

static int like_kernel(const struct ed_expr *e, struct ed_eval *cx,
		       const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_str *s = args[0]->data, *p = args[1]->data;
	bool ci = e->iarg & 1;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		int esc = '\\';
		if (e->nargs == 3) {
			struct ed_str es = ED_VEC(args[2], struct ed_str)[i];
			if (es.len > 1)
				return ed_expr_fail(cx->err, (int32_t)i, "22025",
						    "invalid escape string");
			esc = es.len ? (unsigned char)es.ptr[0] : -1;
		}
		int m = like_match(s[i].ptr, s[i].len, p[i].ptr, p[i].len, esc, ci);
		if (m < 0)
			return ed_expr_fail(cx->err, (int32_t)i, "22025",
					    "LIKE pattern must not end with escape character");
		ED_VEC(out, uint8_t)[i] = (uint8_t)m;
	}
	return 0;
}

static int prep_like(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)a;
	if (e->nargs > 3)
		return ed_expr_fail(err, -1, "42883", "%s takes 2 or 3 arguments", e->name);
	e->iarg = e->name[0] == 'i';
	return 0;
}

/* ---- || ------------------------------------------------------------------------------- */

static int concat2_kernel(const struct ed_expr *e, struct ed_eval *cx,
			  const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_str *a = args[0]->data, *b = args[1]->data;
	struct ed_str *r = out->data;
	struct ed_textw w;
	(void)e;
	ed_textw_init(&w, cx->text);
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		size_t len = (size_t)a[i].len + b[i].len;
		if (len > UINT32_MAX / 2)
			return ed_expr_fail(cx->err, (int32_t)i, "54000", "string too long");
		char *d = ed_textw_reserve(&w, len);
		if (!d)
			return ed_expr_fail(cx->err, (int32_t)i, "53200", "out of memory");
		if (a[i].len)
			memcpy(d, a[i].ptr, a[i].len);
		if (b[i].len)
			memcpy(d + a[i].len, b[i].ptr, b[i].len);
		ed_textw_commit(&w, len);
		r[i].ptr = d;
		r[i].len = (uint32_t)len;
	}
	return 0;
}

static int prep_concat2(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	bool t0 = e->args[0]->type.id == ED_TYPE_TEXT, t1 = e->args[1]->type.id == ED_TYPE_TEXT;
	bool n0 = e->args[0]->type.id == ED_TYPE_NULL, n1 = e->args[1]->type.id == ED_TYPE_NULL;
	if (!t0 && !t1 && !(n0 || n1)) {
		return ed_expr_fail(err, -1, "42883", "operator does not exist: %s || %s",
				    ed_type_name(e->args[0]->type.id),
				    ed_type_name(e->args[1]->type.id));
	}
	for (int k = 0; k < 2; k++) {
		e->args[k] = ed_expr_cast(a, e->args[k], ed_type_make(ED_TYPE_TEXT), err);
		if (!e->args[k])
			return ED_EINVAL;
	}
	e->type = ed_type_make(ED_TYPE_TEXT);
	return 0;
}

/* ---- tables ------------------------------------------------------------------------------ */

#define B ED_TYPE_BOOL
#define I2 ED_TYPE_INT16
#define I4 ED_TYPE_INT32
#define I8 ED_TYPE_INT64
#define F4 ED_TYPE_FLOAT32
#define F8 ED_TYPE_FLOAT64
#define DE ED_TYPE_DECIMAL
#define TX ED_TYPE_TEXT
#define TS ED_TYPE_TIMESTAMP
#define TZ ED_TYPE_TIMESTAMPTZ
#define IV ED_TYPE_INTERVAL
#define AS_IS ED_TYPE_NULL
#define ANY ED_ARG_ANY

#define OP2(NAME, T1, T2, R, K, P)                  \
	{                                           \
		NAME, 2, 0, {T1, T2}, R, K, NULL, P \
	}
#define CMPS(NAME)                                                                                \
	OP2(NAME, B, B, B, cmp_u8, prep_cmp), OP2(NAME, I2, I2, B, cmp_i16, prep_cmp),            \
		OP2(NAME, I4, I4, B, cmp_i32, prep_cmp), OP2(NAME, I8, I8, B, cmp_i64, prep_cmp), \
		OP2(NAME, F4, F4, B, cmp_generic, prep_cmp),                                      \
		OP2(NAME, F8, F8, B, cmp_generic, prep_cmp),                                      \
		OP2(NAME, DE, DE, B, cmp_dec, prep_cmp),                                          \
		OP2(NAME, TX, TX, B, cmp_generic, prep_cmp),                                      \
		OP2(NAME, TS, TS, B, cmp_i64, prep_cmp), OP2(NAME, TZ, TZ, B, cmp_i64, prep_cmp), \
		OP2(NAME, IV, IV, B, cmp_generic, prep_cmp)

static const struct ed_fn ops[] = {
	OP2("+", I2, I2, I2, add_i16, NULL),
	OP2("+", I4, I4, I4, add_i32, NULL),
	OP2("+", I8, I8, I8, add_i64, NULL),
	OP2("+", F4, F4, F4, add_f32, NULL),
	OP2("+", F8, F8, F8, add_f64, NULL),
	OP2("+", DE, DE, ANY, add_dec, prep_dec_align),
	OP2("+", TS, IV, TS, ts_plus_iv, prep_ts_iv),
	OP2("+", TZ, IV, TZ, ts_plus_iv, prep_ts_iv),
	OP2("+", IV, TS, TS, ts_plus_iv, prep_ts_iv),
	OP2("+", IV, TZ, TZ, ts_plus_iv, prep_ts_iv),
	OP2("+", IV, IV, IV, iv_addsub, NULL),
	OP2("-", I2, I2, I2, sub_i16, NULL),
	OP2("-", I4, I4, I4, sub_i32, NULL),
	OP2("-", I8, I8, I8, sub_i64, NULL),
	OP2("-", F4, F4, F4, sub_f32, NULL),
	OP2("-", F8, F8, F8, sub_f64, NULL),
	OP2("-", DE, DE, ANY, add_dec, prep_dec_align),
	OP2("-", TS, IV, TS, ts_plus_iv, prep_ts_iv),
	OP2("-", TZ, IV, TZ, ts_plus_iv, prep_ts_iv),
	OP2("-", TS, TS, IV, ts_minus_ts, NULL),
	OP2("-", TZ, TZ, IV, ts_minus_ts, NULL),
	OP2("-", IV, IV, IV, iv_addsub, NULL),
	OP2("*", I2, I2, I2, mul_i16, NULL),
	OP2("*", I4, I4, I4, mul_i32, NULL),
	OP2("*", I8, I8, I8, mul_i64, NULL),
	OP2("*", F4, F4, F4, mul_f32, NULL),
	OP2("*", F8, F8, F8, mul_f64, NULL),
	OP2("*", DE, DE, ANY, mul_dec, prep_dec_mul),
	OP2("*", IV, F8, IV, iv_mul, prep_iv_mul),
	OP2("*", F8, IV, IV, iv_mul, prep_iv_mul),
	OP2("/", I2, I2, I2, div_i16, NULL),
	OP2("/", I4, I4, I4, div_i32, NULL),
	OP2("/", I8, I8, I8, div_i64, NULL),
	OP2("/", F4, F4, F4, div_f32, NULL),
	OP2("/", F8, F8, F8, div_f64, NULL),
	OP2("/", DE, DE, ANY, div_dec, prep_dec_div),
	OP2("/", IV, F8, IV, iv_mul, prep_iv_mul),
	OP2("%", I2, I2, I2, mod_i16, NULL),
	OP2("%", I4, I4, I4, mod_i32, NULL),
	OP2("%", I8, I8, I8, mod_i64, NULL),
	OP2("%", DE, DE, ANY, mod_dec, prep_dec_align),
	{"neg", 1, 0, {I2}, I2, neg_i16, NULL, NULL},
	{"neg", 1, 0, {I4}, I4, neg_i32, NULL, NULL},
	{"neg", 1, 0, {I8}, I8, neg_i64, NULL, NULL},
	{"neg", 1, 0, {F4}, F4, neg_f32, NULL, NULL},
	{"neg", 1, 0, {F8}, F8, neg_f64, NULL, NULL},
	{"neg", 1, 0, {DE}, ANY, neg_dec, NULL, prep_dec_keep},
	{"neg", 1, 0, {IV}, IV, iv_neg, NULL, NULL},
	CMPS("="),
	CMPS("<>"),
	CMPS("<"),
	CMPS("<="),
	CMPS(">"),
	CMPS(">="),
};

const struct ed_fn_table ed_fn_ops = {ops, sizeof ops / sizeof ops[0]};

/* Special forms: fixed parameter rules (AS_IS: any type unchanged; ANY: the
 * common type of all ANY positions; a type: cast to it). */
static const struct ed_fn specials[] = {
	{"and", 2, ED_FN_SPECIAL | ED_FN_VARIADIC, {B, B}, B, NULL, andor_special, NULL},
	{"or", 2, ED_FN_SPECIAL | ED_FN_VARIADIC, {B, B}, B, NULL, andor_special, NULL},
	{"not", 1, 0, {B}, B, not_kernel, NULL, NULL},
	{"is_null", 1, ED_FN_NULLS, {AS_IS}, B, isnull_kernel, NULL, prep_isnull},
	{"is_not_null", 1, ED_FN_NULLS, {AS_IS}, B, isnull_kernel, NULL, prep_isnull},
	{"is_true", 1, ED_FN_NULLS, {B}, B, istest_kernel, NULL, prep_istest},
	{"is_false", 1, ED_FN_NULLS, {B}, B, istest_kernel, NULL, prep_istest},
	{"is_unknown", 1, ED_FN_NULLS, {B}, B, istest_kernel, NULL, prep_istest},
	{"is_not_true", 1, ED_FN_NULLS, {B}, B, istest_kernel, NULL, prep_istest},
	{"is_not_false", 1, ED_FN_NULLS, {B}, B, istest_kernel, NULL, prep_istest},
	{"is_not_unknown", 1, ED_FN_NULLS, {B}, B, istest_kernel, NULL, prep_istest},
	{"is_distinct_from", 2, ED_FN_NULLS, {ANY, ANY}, B, distinct_kernel, NULL, prep_distinct},
	{"is_not_distinct_from", 2, ED_FN_NULLS, {ANY, ANY}, B, distinct_kernel, NULL, prep_distinct},
	{"in", 2, ED_FN_NULLS | ED_FN_VARIADIC, {ANY, ANY}, ANY, in_kernel, NULL, prep_bool},
	{"between", 3, ED_FN_NULLS, {ANY, ANY, ANY}, ANY, between_kernel, NULL, prep_bool},
	{"coalesce", 1, ED_FN_SPECIAL | ED_FN_VARIADIC, {ANY}, ANY, NULL, coalesce_special, NULL},
	{"nullif", 2, ED_FN_NULLS, {ANY, ANY}, ANY, nullif_kernel, NULL, NULL},
	{"like", 2, ED_FN_VARIADIC, {TX, TX}, B, like_kernel, NULL, prep_like},
	{"ilike", 2, ED_FN_VARIADIC, {TX, TX}, B, like_kernel, NULL, prep_like},
	{"||", 2, ED_FN_FRESH, {AS_IS, AS_IS}, TX, concat2_kernel, NULL, prep_concat2},
	{"case", 0, ED_FN_SPECIAL | ED_FN_VARIADIC, {AS_IS}, ANY, NULL, case_special, NULL},
};

const struct ed_fn *ed_fn_special(const char *name)
{
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
		if (strcmp(specials[i].name, name) == 0)
			return &specials[i];
	return NULL;
}
