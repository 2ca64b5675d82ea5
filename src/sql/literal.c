/* Typed SQL literals: the text of INTERVAL '...' and TIMESTAMP '...' is parsed
 * here at parse time (so bad literals fail with a 22xxx SQLSTATE and a
 * position) and printed back in one canonical form the parser reads again.
 *
 * Interval text: a sequence of "<number> <unit>" (units: microsecond(s)/us,
 * millisecond(s)/ms, second(s)/sec(s)/s, minute(s)/min(s)/m, hour(s)/hr(s)/h,
 * day(s)/d, week(s)/w, month(s)/mon(s), year(s)/yr(s)/y), optionally an
 * [-]h:mm[:ss[.frac]] time, optionally "ago"; numbers may be signed and
 * fractional (fractions spill into smaller units: 1 month = 30 days). A bare
 * number means seconds, or the unit of the INTERVAL '10' SECOND qualifier.
 * Canonical form: "1 year 2 months -3 days 4 hours 5 minutes 6.5 seconds".
 *
 * Timestamp text: YYYY-MM-DD[( |T)HH:MM[:SS[.frac]]][ ][Z|+HH[:MM]|-HH[:MM]],
 * years 1..9999, microsecond precision (more digits are rounded). As in
 * PostgreSQL, a zone offset is ignored for TIMESTAMP and applied for
 * TIMESTAMPTZ; TIMESTAMPTZ without an offset is UTC (eddy's session zone).
 * Canonical form: "2026-11-25 12:00:00.123" (+ "+00" for TIMESTAMPTZ). */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "sql/sql_int.h"

#define USEC_PER_SEC INT64_C(1000000)
#define USEC_PER_DAY (INT64_C(86400) * USEC_PER_SEC)

static int fail(const char **sqlstate, const char *code, char *msg, size_t msgsz, const char *fmt,
		const char *s, size_t len)
{
	*sqlstate = code;
	snprintf(msg, msgsz, fmt, (int)(len > 60 ? 60 : len), s);
	return ED_EINVAL;
}

/* ---- intervals ------------------------------------------------------------- */

enum iv_unit { U_NONE, U_USEC, U_MSEC, U_SEC, U_MIN, U_HOUR, U_DAY, U_WEEK, U_MONTH, U_YEAR };

static const struct {
	const char *word;
	enum iv_unit unit;
} iv_words[] = {
	{"microsecond", U_USEC},
	{"microseconds", U_USEC},
	{"us", U_USEC},
	{"millisecond", U_MSEC},
	{"milliseconds", U_MSEC},
	{"ms", U_MSEC},
	{"second", U_SEC},
	{"seconds", U_SEC},
	{"sec", U_SEC},
	{"secs", U_SEC},
	{"s", U_SEC},
	{"minute", U_MIN},
	{"minutes", U_MIN},
	{"min", U_MIN},
	{"mins", U_MIN},
	{"m", U_MIN},
	{"hour", U_HOUR},
	{"hours", U_HOUR},
	{"hr", U_HOUR},
	{"hrs", U_HOUR},
	{"h", U_HOUR},
	{"day", U_DAY},
	{"days", U_DAY},
	{"d", U_DAY},
	{"week", U_WEEK},
	{"weeks", U_WEEK},
	{"w", U_WEEK},
	{"month", U_MONTH},
	{"months", U_MONTH},
	{"mon", U_MONTH},
	{"mons", U_MONTH},
	{"year", U_YEAR},
	{"years", U_YEAR},
	{"yr", U_YEAR},
	{"yrs", U_YEAR},
	{"y", U_YEAR},
};

static enum iv_unit unit_word(const char *w, size_t n)
{
	char low[16];
	if (n == 0 || n >= sizeof low)
		return U_NONE;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] - 'A' + 'a' : w[i]);
	low[n] = 0;
	for (size_t i = 0; i < sizeof iv_words / sizeof iv_words[0]; i++)
		if (strcmp(iv_words[i].word, low) == 0)
			return iv_words[i].unit;
	return U_NONE;
}

static enum iv_unit unit_from_kw(int kw)
{
	switch (kw) {
	case ED_KW_YEAR:
		return U_YEAR;
	case ED_KW_MONTH:
		return U_MONTH;
	case ED_KW_DAY:
		return U_DAY;
	case ED_KW_HOUR:
		return U_HOUR;
	case ED_KW_MINUTE:
		return U_MIN;
	case ED_KW_SECOND:
		return U_SEC;
	default:
		return U_NONE;
	}
}

/* An unsigned decimal: whole part (capped to keep the arithmetic below in
 * range) and a fraction in nanos (digits past the ninth are dropped). */
struct dec {
	int64_t whole;
	int64_t nanos;
	bool big;
};

static size_t read_dec(const char *s, size_t i, size_t n, struct dec *d)
{
	size_t start = i;
	d->whole = d->nanos = 0;
	d->big = false;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (d->whole > INT64_C(100000000000000))
			d->big = true;
		else
			d->whole = d->whole * 10 + (s[i] - '0');
		i++;
	}
	size_t int_digits = i - start;
	if (i < n && s[i] == '.') {
		i++;
		int64_t scale = 100000000;
		size_t fs = i;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			d->nanos += (s[i] - '0') * scale;
			scale /= 10;
			i++;
		}
		if (int_digits == 0 && i == fs)
			return start;
	} else if (int_digits == 0) {
		return start;
	}
	return i;
}

struct iv_acc {
	__int128 months, days, usec;
};

static void iv_add(struct iv_acc *a, enum iv_unit u, int sign, const struct dec *d)
{
	__int128 w = (__int128)sign * d->whole, f = (__int128)sign * d->nanos;
	switch (u) {
	case U_USEC:
		a->usec += w + f / 1000000000;
		break;
	case U_MSEC:
		a->usec += w * 1000 + f / 1000000;
		break;
	case U_SEC:
		a->usec += w * USEC_PER_SEC + f / 1000;
		break;
	case U_MIN:
		a->usec += w * 60 * USEC_PER_SEC + f * 60 / 1000;
		break;
	case U_HOUR:
		a->usec += w * 3600 * USEC_PER_SEC + f * 3600 / 1000;
		break;
	case U_DAY:
		a->days += w;
		a->usec += f * 86400 / 1000;
		break;
	case U_WEEK:
		a->days += w * 7;
		a->days += f * 7 / 1000000000;
		a->usec += (f * 7 % 1000000000) * 86400 / 1000;
		break;
	case U_MONTH:
		a->months += w;
		a->days += f * 30 / 1000000000;
		a->usec += (f * 30 % 1000000000) * 86400 / 1000;
		break;
	case U_YEAR:
		a->months += w * 12 + f * 12 / 1000000000;
		break;
	case U_NONE:
		break;
	}
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int ed_sql_interval_parse(const char *s, size_t n, int unit_kw, struct ed_sql_interval *out,
			  const char **sqlstate, char *msg, size_t msgsz)
{
	static const char bad[] = "invalid input syntax for type interval: \"%.*s\"";
	struct iv_acc a = {0, 0, 0};
	size_t i = 0;
	bool any = false, ago = false;
	enum iv_unit qual = unit_from_kw(unit_kw);
	while (i < n && is_blank(s[i]))
		i++;
	if (qual != U_NONE) {
		/* INTERVAL '10' SECOND: the text must be one signed number. */
		int sign = 1;
		struct dec d;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			sign = s[i++] == '-' ? -1 : 1;
		size_t j = read_dec(s, i, n, &d);
		if (j == i)
			goto not_a_number;
		i = j;
		while (i < n && is_blank(s[i]))
			i++;
		if (i != n)
			goto not_a_number;
		if (d.big)
			goto overflow;
		iv_add(&a, qual, sign, &d);
		goto done;
	}
	while (i < n) {
		int sign = 1;
		struct dec d;
		if (s[i] == '-' || s[i] == '+')
			sign = s[i++] == '-' ? -1 : 1;
		size_t j = read_dec(s, i, n, &d);
		if (j == i) {
			/* "ago" must be last. */
			size_t k = i;
			while (k < n && is_alpha(s[k]))
				k++;
			if (any && !ago && k - i == 3 && strncasecmp(s + i, "ago", 3) == 0) {
				ago = true;
				i = k;
				while (i < n && is_blank(s[i]))
					i++;
				if (i == n)
					break;
			}
			return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s, n);
		}
		if (d.big)
			goto overflow;
		i = j;
		if (i < n && s[i] == ':') {
			/* h:mm[:ss[.frac]] */
			struct dec m, sec = {0, 0, false};
			if (d.nanos)
				return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s,
					    n);
			j = read_dec(s, i + 1, n, &m);
			if (j == i + 1 || m.nanos || m.big || m.whole > 59)
				return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s,
					    n);
			i = j;
			if (i < n && s[i] == ':') {
				j = read_dec(s, i + 1, n, &sec);
				if (j == i + 1 || sec.big || sec.whole > 59)
					return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz,
						    bad, s, n);
				i = j;
			}
			iv_add(&a, U_HOUR, sign, &d);
			iv_add(&a, U_MIN, sign, &m);
			iv_add(&a, U_SEC, sign, &sec);
		} else {
			while (i < n && is_blank(s[i]))
				i++;
			size_t k = i;
			while (k < n && is_alpha(s[k]))
				k++;
			enum iv_unit u = k > i ? unit_word(s + i, k - i) : U_SEC;
			if (u == U_NONE || (k == i && i < n && !is_blank(s[i])))
				return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s,
					    n);
			i = k;
			iv_add(&a, u, sign, &d);
		}
		any = true;
		if (i < n && !is_blank(s[i]))
			return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s, n);
		while (i < n && is_blank(s[i]))
			i++;
		if (a.months > INT32_MAX * (__int128)4 || a.months < INT32_MIN * (__int128)4 ||
		    a.days > INT32_MAX * (__int128)4 || a.days < INT32_MIN * (__int128)4 ||
		    a.usec > INT64_MAX / 2 || a.usec < INT64_MIN / 2)
			goto overflow;
	}
	if (!any)
		return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s, n);
	if (ago) {
		a.months = -a.months;
		a.days = -a.days;
		a.usec = -a.usec;
	}
done:
	if (a.months > INT32_MAX || a.months < -(__int128)INT32_MAX || a.days > INT32_MAX ||
	    a.days < -(__int128)INT32_MAX || a.usec > INT64_MAX / 2 ||
	    a.usec < -(__int128)(INT64_MAX / 2))
		goto overflow;
	out->months = (int32_t)a.months;
	out->days = (int32_t)a.days;
	out->usec = (int64_t)a.usec;
	return 0;
not_a_number:
	*sqlstate = ED_SQLSTATE_NOT_SUPPORTED;
	snprintf(msg, msgsz,
		 "INTERVAL with a unit takes a bare number, e.g. INTERVAL '10' SECOND;"
		 " write INTERVAL '%.*s' without the unit",
		 (int)(n > 60 ? 60 : n), s);
	return ED_EINVAL;
overflow:
	return fail(sqlstate, ED_SQLSTATE_INTERVAL_OVERFLOW, msg, msgsz,
		    "interval out of range: \"%.*s\"", s, n);
}

static void put_part(struct ed_buf *b, bool *first, int64_t v, const char *unit)
{
	if (v == 0)
		return;
	ed_buf_printf(b, "%s%lld %s%s", *first ? "" : " ", (long long)v, unit,
		      v == 1 || v == -1 ? "" : "s");
	*first = false;
}

void ed_sql_interval_format(struct ed_buf *b, const struct ed_sql_interval *iv)
{
	bool first = true;
	put_part(b, &first, iv->months / 12, "year");
	put_part(b, &first, iv->months % 12, "month");
	put_part(b, &first, iv->days, "day");
	int64_t us = iv->usec;
	put_part(b, &first, us / (3600 * USEC_PER_SEC), "hour");
	us %= 3600 * USEC_PER_SEC;
	put_part(b, &first, us / (60 * USEC_PER_SEC), "minute");
	us %= 60 * USEC_PER_SEC;
	if (us % USEC_PER_SEC == 0) {
		put_part(b, &first, us / USEC_PER_SEC, "second");
	} else {
		int64_t a = us < 0 ? -us : us;
		char frac[8];
		snprintf(frac, sizeof frac, "%06lld", (long long)(a % USEC_PER_SEC));
		for (int k = 5; k > 0 && frac[k] == '0'; k--)
			frac[k] = 0;
		ed_buf_printf(b, "%s%s%lld.%s seconds", first ? "" : " ", us < 0 ? "-" : "",
			      (long long)(a / USEC_PER_SEC), frac);
		first = false;
	}
	if (first)
		ed_buf_printf(b, "0 seconds");
}

/* ---- timestamps ------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date. Shifting the year to
 * start in March puts the leap day last, so the day of the year follows from
 * a linear formula in the month. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	if (m <= 2)
		y--;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;                         /* 0..399 */
	int64_t mp = m > 2 ? m - 3 : m + 9;                  /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = era * 400 + yoe + (*m <= 2);
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int read_fixed(const char *s, size_t *i, size_t n, int digits, int *out)
{
	int v = 0;
	for (int k = 0; k < digits; k++) {
		if (*i >= n || s[*i] < '0' || s[*i] > '9')
			return -1;
		v = v * 10 + (s[(*i)++] - '0');
	}
	*out = v;
	return 0;
}

#define TS_MIN (days_from_civil(1, 1, 1) * USEC_PER_DAY)
#define TS_MAX (days_from_civil(10000, 1, 1) * USEC_PER_DAY - 1)

int ed_sql_timestamp_parse(const char *s, size_t n, bool tz, int64_t *out, const char **sqlstate,
			   char *msg, size_t msgsz)
{
	static const char bad[] = "invalid input syntax for type timestamp: \"%.*s\"";
	static const char range[] = "date/time field value out of range: \"%.*s\"";
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac_us = 0;
	int64_t offset_s = 0;
	while (i < n && is_blank(s[i]))
		i++;
	if (read_fixed(s, &i, n, 4, &y) || i >= n || s[i++] != '-' ||
	    read_fixed(s, &i, n, 2, &mo) || i >= n || s[i++] != '-' || read_fixed(s, &i, n, 2, &d))
		return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s, n);
	if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') && i + 1 < n && s[i + 1] >= '0' &&
	    s[i + 1] <= '9') {
		i++;
		if (read_fixed(s, &i, n, 2, &h) || i >= n || s[i++] != ':' ||
		    read_fixed(s, &i, n, 2, &mi))
			return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s, n);
		if (i < n && s[i] == ':') {
			i++;
			if (read_fixed(s, &i, n, 2, &sec))
				return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s,
					    n);
			if (i < n && s[i] == '.') {
				size_t fs = ++i;
				while (i < n && s[i] >= '0' && s[i] <= '9') {
					size_t k = i - fs; /* digit index: 0 = tenths */
					if (k < 6) {
						int64_t scale = 100000;
						for (size_t z = 0; z < k; z++)
							scale /= 10;
						frac_us += (s[i] - '0') * scale;
					} else if (k == 6 && s[i] >= '5') {
						frac_us++; /* round half up to microseconds */
					}
					i++;
				}
				if (i == fs)
					return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz,
						    bad, s, n);
			}
		}
	}
	while (i < n && is_blank(s[i]))
		i++;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
		if (read_fixed(s, &i, n, 2, &oh))
			return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s, n);
		if (i < n && s[i] == ':')
			i++;
		if (i < n && s[i] >= '0' && s[i] <= '9' && read_fixed(s, &i, n, 2, &om))
			return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s, n);
		if (oh > 15 || om > 59)
			return fail(sqlstate, ED_SQLSTATE_DATETIME_OVERFLOW, msg, msgsz, range, s, n);
		offset_s = sign * (oh * 3600 + om * 60);
	}
	while (i < n && is_blank(s[i]))
		i++;
	if (i != n)
		return fail(sqlstate, ED_SQLSTATE_BAD_DATETIME, msg, msgsz, bad, s, n);
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)) ||
	    h > 23 || mi > 59 || sec > 59)
		return fail(sqlstate, ED_SQLSTATE_DATETIME_OVERFLOW, msg, msgsz, range, s, n);
	int64_t v = days_from_civil(y, mo, d) * USEC_PER_DAY +
		    ((int64_t)h * 3600 + mi * 60 + sec) * USEC_PER_SEC + frac_us;
	if (tz)
		v -= offset_s * USEC_PER_SEC;
	if (v < TS_MIN || v > TS_MAX)
		return fail(sqlstate, ED_SQLSTATE_DATETIME_OVERFLOW, msg, msgsz, range, s, n);
	*out = v;
	return 0;
}

void ed_sql_timestamp_format(struct ed_buf *b, int64_t usec, bool tz)
{
	int64_t days = usec / USEC_PER_DAY, rem = usec % USEC_PER_DAY;
	if (rem < 0) {
		rem += USEC_PER_DAY;
		days--;
	}
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	int64_t secs = rem / USEC_PER_SEC, us = rem % USEC_PER_SEC;
	ed_buf_printf(b, "%04lld-%02d-%02d %02d:%02d:%02d", (long long)y, m, d, (int)(secs / 3600),
		      (int)(secs / 60 % 60), (int)(secs % 60));
	if (us) {
		char frac[8];
		snprintf(frac, sizeof frac, "%06lld", (long long)us);
		for (int k = 5; k > 0 && frac[k] == '0'; k--)
			frac[k] = 0;
		ed_buf_printf(b, ".%s", frac);
	}
	if (tz)
		ed_buf_printf(b, "+00");
}
