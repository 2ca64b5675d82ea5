/* Time functions: now() (volatile: read once per evaluation call, so one
 * chunk sees one instant), date_trunc, extract / date_part, to_timestamp
 * (epoch seconds). Timestamp and interval arithmetic are operators
 * (expr_ops.c). The session time zone is UTC, so TIMESTAMP and TIMESTAMPTZ
 * fields are the same.
 *
 * Fields (case-insensitive, plural accepted): microsecond(s), millisecond(s),
 * second, minute, hour, day, week, month, quarter, year, decade, century,
 * millennium; extract also takes epoch, dow (Sunday 0), isodow (Monday 1),
 * doy. extract returns numeric (second with 6 decimals, millisecond with 3,
 * epoch with 6); date_part returns double precision. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/err.h"
#include "exec/exec_int.h"

#define N_ (cx->rows)
#define ACT_ (cx->act)

enum field {
	F_MICRO,
	F_MILLI,
	F_SECOND,
	F_MINUTE,
	F_HOUR,
	F_DAY,
	F_WEEK,
	F_MONTH,
	F_QUARTER,
	F_YEAR,
	F_DECADE,
	F_CENTURY,
	F_MILLENNIUM,
	F_EPOCH,
	F_DOW,
	F_ISODOW,
	F_DOY,
};

static int parse_field(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int f;
	} tab[] = {
		{"microsecond", F_MICRO},
		{"microseconds", F_MICRO},
		{"us", F_MICRO},
		{"millisecond", F_MILLI},
		{"milliseconds", F_MILLI},
		{"ms", F_MILLI},
		{"second", F_SECOND},
		{"seconds", F_SECOND},
		{"sec", F_SECOND},
		{"minute", F_MINUTE},
		{"minutes", F_MINUTE},
		{"min", F_MINUTE},
		{"hour", F_HOUR},
		{"hours", F_HOUR},
		{"day", F_DAY},
		{"days", F_DAY},
		{"week", F_WEEK},
		{"weeks", F_WEEK},
		{"month", F_MONTH},
		{"months", F_MONTH},
		{"mon", F_MONTH},
		{"quarter", F_QUARTER},
		{"year", F_YEAR},
		{"years", F_YEAR},
		{"decade", F_DECADE},
		{"decades", F_DECADE},
		{"century", F_CENTURY},
		{"centuries", F_CENTURY},
		{"millennium", F_MILLENNIUM},
		{"millennia", F_MILLENNIUM},
		{"epoch", F_EPOCH},
		{"dow", F_DOW},
		{"isodow", F_ISODOW},
		{"doy", F_DOY},
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strlen(tab[i].name) == n && strncasecmp(tab[i].name, s, n) == 0)
			return tab[i].f;
	return -1;
}

/* The field argument must be a constant; fills e->iarg. */
static int prep_field(struct ed_expr *e, bool trunc, struct ed_expr_error *err)
{
	struct ed_expr *f = e->args[0];
	if (f->kind != ED_EK_CONST || f->val.null)
		return ed_expr_fail(err, -1, "0A000", "%s: the field must be a constant", e->name);
	int id = parse_field(f->val.v.s.ptr, f->val.v.s.len);
	if (id < 0 || (trunc && id > F_MILLENNIUM) ||
	    (e->args[1]->type.id == ED_TYPE_INTERVAL && (id == F_WEEK || id >= F_DOW)))
		return ed_expr_fail(err, -1, "22023", "unit \"%.*s\" not recognized for %s",
				    (int)(f->val.v.s.len > 40 ? 40 : f->val.v.s.len),
				    f->val.v.s.ptr, e->name);
	e->iarg = id;
	return 0;
}

static int prep_trunc(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)a;
	return prep_field(e, true, err);
}

static int prep_extract(struct ed_expr *e, struct ed_arena *a, struct ed_expr_error *err)
{
	(void)a;
	int rc = prep_field(e, false, err);
	if (rc)
		return rc;
	if (e->name[0] == 'e') {
		e->type = ed_type_make(ED_TYPE_DECIMAL);
		e->type.scale = (int16_t)(e->iarg == F_SECOND || e->iarg == F_EPOCH ? 6
					  : e->iarg == F_MILLI                      ? 3
										    : 0);
	} else {
		e->type = ed_type_make(ED_TYPE_FLOAT64);
	}
	return 0;
}

static int ts_range(struct ed_eval *cx, uint32_t i)
{
	return ed_expr_fail(cx->err, (int32_t)i, "22008", "timestamp out of range");
}

static int64_t trunc_ts(int64_t ts, int f)
{
	int64_t days = ed_floordiv(ts, ED_USEC_PER_DAY);
	int64_t tod = ts - days * ED_USEC_PER_DAY;
	int64_t y;
	int m, d;
	switch (f) {
	case F_MICRO:
		return ts;
	case F_MILLI:
		return ed_floordiv(ts, 1000) * 1000;
	case F_SECOND:
		return ed_floordiv(ts, ED_USEC_PER_SEC) * ED_USEC_PER_SEC;
	case F_MINUTE:
		return ed_floordiv(ts, ED_USEC_PER_MIN) * ED_USEC_PER_MIN;
	case F_HOUR:
		return ed_floordiv(ts, ED_USEC_PER_HOUR) * ED_USEC_PER_HOUR;
	case F_DAY:
		return days * ED_USEC_PER_DAY;
	case F_WEEK: /* Monday; 1970-01-01 was a Thursday */
		return (days - ed_floormod(days + 3, 7)) * ED_USEC_PER_DAY;
	default:
		break;
	}
	(void)tod;
	ed_civil_from_days(days, &y, &m, &d);
	switch (f) {
	case F_MONTH:
		break;
	case F_QUARTER:
		m = (m - 1) / 3 * 3 + 1;
		break;
	case F_YEAR:
		m = 1;
		break;
	case F_DECADE:
		m = 1;
		y = ed_floordiv(y, 10) * 10;
		break;
	case F_CENTURY:
		m = 1;
		y = y > 0 ? (y - 1) / 100 * 100 + 1 : -((99 - y) / 100 * 100) + 1;
		break;
	default: /* millennium */
		m = 1;
		y = y > 0 ? (y - 1) / 1000 * 1000 + 1 : -((999 - y) / 1000 * 1000) + 1;
		break;
	}
	return ed_days_from_civil(y, m, 1) * ED_USEC_PER_DAY;
}

static struct ed_interval trunc_iv(struct ed_interval iv, int f)
{
	int64_t unit = 1;
	switch (f) {
	case F_MILLENNIUM:
	case F_CENTURY:
	case F_DECADE:
	case F_YEAR: {
		int32_t y = f == F_YEAR ? 12 : f == F_DECADE ? 120 : f == F_CENTURY ? 1200 : 12000;
		iv.months = iv.months / y * y;
		iv.days = 0;
		iv.usecs = 0;
		return iv;
	}
	case F_QUARTER:
		iv.months = iv.months / 3 * 3;
		iv.days = 0;
		iv.usecs = 0;
		return iv;
	case F_MONTH:
		iv.days = 0;
		iv.usecs = 0;
		return iv;
	case F_DAY:
		iv.usecs = 0;
		return iv;
	case F_HOUR:
		unit = ED_USEC_PER_HOUR;
		break;
	case F_MINUTE:
		unit = ED_USEC_PER_MIN;
		break;
	case F_SECOND:
		unit = ED_USEC_PER_SEC;
		break;
	case F_MILLI:
		unit = 1000;
		break;
	default:
		break;
	}
	iv.usecs = iv.usecs / unit * unit; /* toward zero, as PostgreSQL */
	return iv;
}

static int date_trunc_kernel(const struct ed_expr *e, struct ed_eval *cx,
			     const struct ed_vector *const *args, struct ed_vector *out)
{
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		if (out->type.id == ED_TYPE_INTERVAL)
			ED_VEC(out, struct ed_interval)[i] = trunc_iv(ED_VEC(args[1],
									     struct ed_interval)[i],
								      e->iarg);
		else
			ED_VEC(out, int64_t)[i] = trunc_ts(ED_VEC(args[1], int64_t)[i], e->iarg);
	}
	return 0;
}

/* Field of a timestamp as an unscaled decimal at `scale`. */
static ed_dec ts_field(int64_t ts, int f, int scale)
{
	int64_t days = ed_floordiv(ts, ED_USEC_PER_DAY);
	int64_t tod = ts - days * ED_USEC_PER_DAY;
	int64_t y;
	int m, d;
	ed_civil_from_days(days, &y, &m, &d);
	int64_t secus = tod % ED_USEC_PER_MIN; /* seconds part in usec */
	ed_dec v;
	switch (f) {
	case F_MICRO:
		return secus;
	case F_MILLI:
		return (ed_dec)secus * ed_dec_pow10(scale) / 1000;
	case F_SECOND:
		return (ed_dec)secus * ed_dec_pow10(scale) / ED_USEC_PER_SEC;
	case F_EPOCH:
		return (ed_dec)ts * ed_dec_pow10(scale) / ED_USEC_PER_SEC;
	case F_MINUTE:
		v = tod / ED_USEC_PER_MIN % 60;
		break;
	case F_HOUR:
		v = tod / ED_USEC_PER_HOUR;
		break;
	case F_DAY:
		v = d;
		break;
	case F_MONTH:
		v = m;
		break;
	case F_QUARTER:
		v = (m - 1) / 3 + 1;
		break;
	case F_YEAR:
		v = y > 0 ? y : y - 1;
		break;
	case F_DECADE:
		v = ed_floordiv(y, 10);
		break;
	case F_CENTURY:
		v = y > 0 ? (y + 99) / 100 : -((99 - (y - 1)) / 100);
		break;
	case F_MILLENNIUM:
		v = y > 0 ? (y + 999) / 1000 : -((999 - (y - 1)) / 1000);
		break;
	case F_DOW:
		v = ed_floormod(days + 4, 7);
		break;
	case F_ISODOW:
		v = ed_floormod(days + 3, 7) + 1;
		break;
	case F_DOY:
		v = days - ed_days_from_civil(y, 1, 1) + 1;
		break;
	default: {                                     /* ISO week */
		int64_t wd = ed_floormod(days + 3, 7); /* Monday 0 */
		int64_t thursday = days - wd + 3;
		int64_t ty;
		int tm, td;
		ed_civil_from_days(thursday, &ty, &tm, &td);
		v = (thursday - ed_days_from_civil(ty, 1, 1)) / 7 + 1;
		break;
	}
	}
	return v * ed_dec_pow10(scale);
}

static ed_dec iv_field(const struct ed_interval *iv, int f, int scale)
{
	ed_dec p = ed_dec_pow10(scale);
	switch (f) {
	case F_MICRO:
		return (ed_dec)(iv->usecs % ED_USEC_PER_MIN) * p;
	case F_MILLI:
		return (ed_dec)(iv->usecs % ED_USEC_PER_MIN) * p / 1000;
	case F_SECOND:
		return (ed_dec)(iv->usecs % ED_USEC_PER_MIN) * p / ED_USEC_PER_SEC;
	case F_EPOCH: {
		/* 365.25 days a year, as PostgreSQL */
		ed_dec us = (ed_dec)iv->usecs + (ed_dec)iv->days * ED_USEC_PER_DAY +
			    (ed_dec)(iv->months / 12) * (ed_dec)(365.25 * 86400e6) +
			    (ed_dec)(iv->months % 12) * 30 * ED_USEC_PER_DAY;
		return us * p / ED_USEC_PER_SEC;
	}
	case F_MINUTE:
		return (ed_dec)(iv->usecs / ED_USEC_PER_MIN % 60) * p;
	case F_HOUR:
		return (ed_dec)(iv->usecs / ED_USEC_PER_HOUR) * p;
	case F_DAY:
		return (ed_dec)iv->days * p;
	case F_MONTH:
		return (ed_dec)(iv->months % 12) * p;
	case F_QUARTER:
		return (ed_dec)((iv->months % 12) / 3 + 1) * p;
	case F_YEAR:
		return (ed_dec)(iv->months / 12) * p;
	case F_DECADE:
		return (ed_dec)(iv->months / 120) * p;
	case F_CENTURY:
		return (ed_dec)(iv->months / 1200) * p;
	default:
		return (ed_dec)(iv->months / 12000) * p;
	}
}

static int extract_kernel(const struct ed_expr *e, struct ed_eval *cx,
			  const struct ed_vector *const *args, struct ed_vector *out)
{
	bool num = out->type.id == ED_TYPE_DECIMAL;
	int scale = num ? out->type.scale : 6;
	bool is_iv = args[1]->type.id == ED_TYPE_INTERVAL;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		ed_dec v = is_iv ? iv_field(&ED_VEC(args[1], struct ed_interval)[i], e->iarg, scale)
				 : ts_field(ED_VEC(args[1], int64_t)[i], e->iarg, scale);
		if (num)
			ED_VEC(out, ed_dec)[i] = v;
		else
			ED_VEC(out, double)[i] = ed_dec_to_double(v, scale);
	}
	return 0;
}

static int now_kernel(const struct ed_expr *e, struct ed_eval *cx,
		      const struct ed_vector *const *args, struct ed_vector *out)
{
	(void)e;
	(void)args;
	if (cx->now_us == 0)
		cx->now_us = ed_wall_ms() * 1000;
	for (uint32_t i = 0; i < N_; i++)
		ED_VEC(out, int64_t)[i] = cx->now_us;
	return 0;
}

static int to_timestamp_kernel(const struct ed_expr *e, struct ed_eval *cx,
			       const struct ed_vector *const *args, struct ed_vector *out)
{
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		double s = ED_VEC(args[0], double)[i];
		if (!(fabs(s) < 9.2e12))
			return ts_range(cx, i);
		ED_VEC(out, int64_t)[i] = (int64_t)llround(s * 1e6);
	}
	return 0;
}

#define TX ED_TYPE_TEXT
#define TS ED_TYPE_TIMESTAMP
#define TZ ED_TYPE_TIMESTAMPTZ
#define IV ED_TYPE_INTERVAL
#define F8 ED_TYPE_FLOAT64
#define ANY ED_ARG_ANY

static const struct ed_fn fns[] = {
	{"now", 0, ED_FN_VOLATILE, {0}, TZ, now_kernel, NULL, NULL},
	{"date_trunc", 2, 0, {TX, TS}, TS, date_trunc_kernel, NULL, prep_trunc},
	{"date_trunc", 2, 0, {TX, TZ}, TZ, date_trunc_kernel, NULL, prep_trunc},
	{"date_trunc", 2, 0, {TX, IV}, IV, date_trunc_kernel, NULL, prep_trunc},
	{"extract", 2, 0, {TX, TS}, ANY, extract_kernel, NULL, prep_extract},
	{"extract", 2, 0, {TX, TZ}, ANY, extract_kernel, NULL, prep_extract},
	{"extract", 2, 0, {TX, IV}, ANY, extract_kernel, NULL, prep_extract},
	{"date_part", 2, 0, {TX, TS}, ANY, extract_kernel, NULL, prep_extract},
	{"date_part", 2, 0, {TX, TZ}, ANY, extract_kernel, NULL, prep_extract},
	{"date_part", 2, 0, {TX, IV}, ANY, extract_kernel, NULL, prep_extract},
	{"to_timestamp", 1, 0, {F8}, TZ, to_timestamp_kernel, NULL, NULL},
};

const struct ed_fn_table ed_fn_time = {fns, sizeof fns / sizeof fns[0]};
