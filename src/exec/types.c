/* SQL types (types.h): the type table (widths, names, PostgreSQL OIDs), the
 * calendar arithmetic behind TIMESTAMP/TIMESTAMPTZ/INTERVAL, and the text
 * forms of values exactly as PostgreSQL prints them (pgwire's text format,
 * casts to text and the record encoders all come through here), plus the
 * matching parsers for timestamps, intervals and decimals.
 *
 * Calendar: proleptic Gregorian in UTC; a timestamp is microseconds since
 * 1970-01-01 00:00:00. Civil-date conversion uses the era/day-of-era method
 * (400-year eras of 146097 days), exact for every int64 day count we use. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "exec/exec_int.h"
#include "exec/types.h"

/* ---- the type table ------------------------------------------------------- */

static const struct {
	const char *name;
	size_t width;
	uint32_t oid;
	int16_t pglen;
} type_info[ED_TYPE_COUNT_] = {
	[ED_TYPE_NULL] = {"unknown", 1, 25, -1},
	[ED_TYPE_BOOL] = {"boolean", 1, 16, 1},
	[ED_TYPE_INT16] = {"smallint", 2, 21, 2},
	[ED_TYPE_INT32] = {"integer", 4, 23, 4},
	[ED_TYPE_INT64] = {"bigint", 8, 20, 8},
	[ED_TYPE_FLOAT32] = {"real", 4, 700, 4},
	[ED_TYPE_FLOAT64] = {"double precision", 8, 701, 8},
	[ED_TYPE_DECIMAL] = {"numeric", sizeof(ed_dec), 1700, -1},
	[ED_TYPE_TEXT] = {"text", sizeof(struct ed_str), 25, -1},
	[ED_TYPE_TIMESTAMP] = {"timestamp without time zone", 8, 1114, 8},
	[ED_TYPE_TIMESTAMPTZ] = {"timestamp with time zone", 8, 1184, 8},
	[ED_TYPE_INTERVAL] = {"interval", sizeof(struct ed_interval), 1186, 16},
};

size_t ed_type_width(enum ed_type_id id)
{
	return (unsigned)id < ED_TYPE_COUNT_ ? type_info[id].width : 1;
}

const char *ed_type_name(enum ed_type_id id)
{
	return (unsigned)id < ED_TYPE_COUNT_ ? type_info[id].name : "?";
}

int ed_type_format(const struct ed_type *t, char *out, size_t outlen)
{
	int n;
	if (t->id == ED_TYPE_DECIMAL)
		n = snprintf(out, outlen, "numeric(%d,%d)", t->precision, t->scale);
	else if (t->id == ED_TYPE_TEXT && t->max_len >= 0)
		n = snprintf(out, outlen, "character varying(%d)", (int)t->max_len);
	else
		n = snprintf(out, outlen, "%s", ed_type_name(t->id));
	return (n < 0 || (size_t)n >= outlen) ? ED_ERANGE : 0;
}

bool ed_type_equal(const struct ed_type *a, const struct ed_type *b)
{
	if (a->id != b->id)
		return false;
	if (a->id == ED_TYPE_DECIMAL)
		return a->precision == b->precision && a->scale == b->scale;
	if (a->id == ED_TYPE_TEXT)
		return a->max_len == b->max_len;
	return true;
}

bool ed_type_is_numeric(enum ed_type_id id)
{
	return id >= ED_TYPE_INT16 && id <= ED_TYPE_DECIMAL;
}

bool ed_type_is_integer(enum ed_type_id id)
{
	return id >= ED_TYPE_INT16 && id <= ED_TYPE_INT64;
}

uint32_t ed_type_pg_oid(const struct ed_type *t)
{
	if (t->id == ED_TYPE_TEXT && t->max_len >= 0)
		return 1043;
	return (unsigned)t->id < ED_TYPE_COUNT_ ? type_info[t->id].oid : 25;
}

int16_t ed_type_pg_len(const struct ed_type *t)
{
	return (unsigned)t->id < ED_TYPE_COUNT_ ? type_info[t->id].pglen : -1;
}

/* ---- calendar -------------------------------------------------------------- */

int64_t ed_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = ed_floordiv(y, 400);
	int64_t yoe = y - era * 400;
	int64_t mp = (m + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ed_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = ed_floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int ed_days_in_month(int64_t y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* ---- text forms ------------------------------------------------------------ */

/* Fractional seconds as PostgreSQL prints them: ".123" without trailing
 * zeros, nothing when zero. */
static size_t put_frac(char *out, int64_t usec)
{
	if (usec == 0)
		return 0;
	char digits[24];
	snprintf(digits, sizeof digits, "%06lld", (long long)(usec % 1000000));
	int n = 6;
	while (n > 0 && digits[n - 1] == '0')
		n--;
	out[0] = '.';
	memcpy(out + 1, digits, (size_t)n);
	return (size_t)n + 1;
}

size_t ed_ts_format(int64_t usec, bool tz, bool iso_t, char *out)
{
	int64_t days = ed_floordiv(usec, ED_USEC_PER_DAY);
	int64_t rem = usec - days * ED_USEC_PER_DAY;
	int64_t y;
	int m, d;
	ed_civil_from_days(days, &y, &m, &d);
	bool bc = y <= 0;
	int64_t yy = bc ? 1 - y : y;
	int hh = (int)(rem / ED_USEC_PER_HOUR);
	int mi = (int)(rem / ED_USEC_PER_MIN % 60);
	int ss = (int)(rem / ED_USEC_PER_SEC % 60);
	int n = snprintf(out, ED_TS_TEXT_MAX, "%04lld-%02d-%02d%c%02d:%02d:%02d", (long long)yy, m,
			 d, iso_t ? 'T' : ' ', hh, mi, ss);
	size_t len = (size_t)n;
	len += put_frac(out + len, rem % ED_USEC_PER_SEC);
	if (tz) { /* the session time zone is UTC */
		memcpy(out + len, "+00:00", iso_t ? 6 : 3);
		len += iso_t ? 6 : 3;
	}
	if (bc) {
		memcpy(out + len, " BC", 3);
		len += 3;
	}
	out[len] = 0;
	return len;
}

/* "N unit(s)" as PostgreSQL's postgres interval style writes it. */
static size_t put_ivpart(char *out, size_t len, int64_t v, const char *unit, bool *neg_before)
{
	if (v == 0)
		return len;
	int n = snprintf(out + len, ED_INTERVAL_TEXT_MAX - len, "%s%s%lld %s%s", len ? " " : "",
			 (*neg_before && v > 0) ? "+" : "", (long long)v, unit, v == 1 ? "" : "s");
	if (v < 0)
		*neg_before = true;
	return len + (size_t)n;
}

size_t ed_interval_format(const struct ed_interval *iv, char *out)
{
	size_t len = 0;
	bool neg_before = false;
	len = put_ivpart(out, len, iv->months / 12, "year", &neg_before);
	len = put_ivpart(out, len, iv->months % 12, "mon", &neg_before);
	len = put_ivpart(out, len, iv->days, "day", &neg_before);
	if (iv->usecs != 0 || len == 0) {
		int64_t u = iv->usecs;
		bool minus = u < 0;
		uint64_t a = minus ? (uint64_t)0 - (uint64_t)u : (uint64_t)u;
		uint64_t h = a / (uint64_t)ED_USEC_PER_HOUR;
		int mi = (int)(a / (uint64_t)ED_USEC_PER_MIN % 60);
		int ss = (int)(a / (uint64_t)ED_USEC_PER_SEC % 60);
		int n = snprintf(out + len, ED_INTERVAL_TEXT_MAX - len, "%s%s%02llu:%02d:%02d",
				 len ? " " : "", minus ? "-" : (neg_before ? "+" : ""),
				 (unsigned long long)h, mi, ss);
		len += (size_t)n;
		len += put_frac(out + len, (int64_t)(a % (uint64_t)ED_USEC_PER_SEC));
	}
	out[len] = 0;
	return len;
}

ed_dec ed_dec_pow10(int n)
{
	static ed_dec tab[39];
	static bool ready;
	if (!ready) {
		ed_dec p = 1;
		for (int i = 0; i <= 38; i++) {
			tab[i] = p;
			if (i < 38)
				p *= 10;
		}
		ready = true;
	}
	if (n < 0)
		return 1;
	return tab[n > 38 ? 38 : n];
}

bool ed_dec_fits(ed_dec v, int precision)
{
	if (precision <= 0 || precision > 38)
		precision = 38;
	ed_dec lim = ed_dec_pow10(precision);
	return v < lim && v > -lim;
}

bool ed_dec_rescale(ed_dec v, int from, int to, ed_dec *out)
{
	if (to == from) {
		*out = v;
		return true;
	}
	if (to > from) {
		int k = to - from;
		if (k > 38)
			return v == 0 ? (*out = 0, true) : false;
		ed_dec r;
		if (__builtin_mul_overflow(v, ed_dec_pow10(k), &r))
			return false;
		*out = r;
		return true;
	}
	int k = from - to;
	if (k > 38) {
		*out = 0;
		return true;
	}
	ed_dec p = ed_dec_pow10(k);
	ed_dec q = v / p, r = v % p;
	if (r < 0)
		r = -r;
	if (r * 2 >= p)
		q += v < 0 ? -1 : 1;
	*out = q;
	return true;
}

size_t ed_dec_format(ed_dec v, int scale, char *out)
{
	char tmp[48];
	size_t n = 0;
	bool neg = v < 0;
	unsigned __int128 a = neg ? (unsigned __int128)0 - (unsigned __int128)v
				  : (unsigned __int128)v;
	do {
		tmp[n++] = (char)('0' + (int)(a % 10));
		a /= 10;
	} while (a);
	while ((int)n <= scale)
		tmp[n++] = '0';
	size_t len = 0;
	if (neg)
		out[len++] = '-';
	for (size_t i = n; i-- > 0;) {
		out[len++] = tmp[i];
		if (scale > 0 && i == (size_t)scale)
			out[len++] = '.';
	}
	out[len] = 0;
	return len;
}

double ed_dec_to_double(ed_dec v, int scale)
{
	/* Through the text form: exact rounding for every value. */
	char buf[ED_DEC_TEXT_MAX + 1];
	ed_dec_format(v, scale, buf);
	return strtod(buf, NULL);
}

size_t ed_float_format(double v, bool single, char *out)
{
	if (isnan(v))
		return (size_t)snprintf(out, ED_FLOAT_TEXT_MAX, "NaN");
	if (isinf(v))
		return (size_t)snprintf(out, ED_FLOAT_TEXT_MAX, v < 0 ? "-Infinity" : "Infinity");
	if (v == 0)
		return (size_t)snprintf(out, ED_FLOAT_TEXT_MAX, signbit(v) ? "-0" : "0");
	/* Shortest digits that read back to the same value. */
	char e[40];
	int maxp = single ? 9 : 17;
	for (int p = 1; p <= maxp; p++) {
		snprintf(e, sizeof e, "%.*e", p - 1, v);
		if (single ? strtof(e, NULL) == (float)v : strtod(e, NULL) == v)
			break;
	}
	/* e is "[-]d[.ddd]e(+|-)XX" */
	char digits[24];
	size_t nd = 0;
	const char *p = e;
	bool neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	int exp10 = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	size_t len = 0;
	if (neg)
		out[len++] = '-';
	if (exp10 < -4 || exp10 >= (single ? 6 : 15)) {
		out[len++] = digits[0];
		if (nd > 1) {
			out[len++] = '.';
			memcpy(out + len, digits + 1, nd - 1);
			len += nd - 1;
		}
		len += (size_t)snprintf(out + len, 8, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
	} else if (exp10 < 0) {
		out[len++] = '0';
		out[len++] = '.';
		for (int i = -1; i > exp10; i--)
			out[len++] = '0';
		memcpy(out + len, digits, nd);
		len += nd;
	} else {
		for (int i = 0; i <= exp10 || (size_t)i < nd; i++) {
			if (i == exp10 + 1)
				out[len++] = '.';
			out[len++] = (size_t)i < nd ? digits[i] : '0';
		}
	}
	out[len] = 0;
	return len;
}

int ed_value_format(const struct ed_value *v, struct ed_buf *out)
{
	char tmp[ED_INTERVAL_TEXT_MAX + 8];
	size_t n = 0;
	if (v->null)
		return 0;
	switch (v->type.id) {
	case ED_TYPE_BOOL:
		tmp[n++] = v->v.b ? 't' : 'f';
		break;
	case ED_TYPE_INT16:
	case ED_TYPE_INT32:
	case ED_TYPE_INT64:
		n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v->v.i);
		break;
	case ED_TYPE_FLOAT32:
		n = ed_float_format(v->v.f32, true, tmp);
		break;
	case ED_TYPE_FLOAT64:
		n = ed_float_format(v->v.f64, false, tmp);
		break;
	case ED_TYPE_DECIMAL:
		n = ed_dec_format(v->v.dec, v->type.scale, tmp);
		break;
	case ED_TYPE_TEXT:
		ed_buf_append(out, v->v.s.ptr, v->v.s.len);
		return out->err;
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		n = ed_ts_format(v->v.i, v->type.id == ED_TYPE_TIMESTAMPTZ, false, tmp);
		break;
	case ED_TYPE_INTERVAL:
		n = ed_interval_format(&v->v.iv, tmp);
		break;
	default:
		return 0;
	}
	ed_buf_append(out, tmp, n);
	return out->err;
}

/* ---- parsers ---------------------------------------------------------------- */

/* Reads exactly `width` digits (or 1..width when !exact). -1 on failure. */
static int64_t read_digits(const char **pp, const char *end, int minw, int maxw)
{
	const char *p = *pp;
	int64_t v = 0;
	int k = 0;
	while (p < end && k < maxw && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		p++;
		k++;
	}
	if (k < minw)
		return -1;
	*pp = p;
	return v;
}

int ed_ts_parse(const char *s, size_t n, bool apply_zone, int64_t *out, bool *has_zone)
{
	const char *p = s, *end = s + n;
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	int64_t y = read_digits(&p, end, 4, 6);
	if (y < 0 || p >= end || *p != '-')
		return ED_EINVAL;
	p++;
	int64_t mo = read_digits(&p, end, 1, 2);
	if (mo < 0 || p >= end || *p != '-')
		return ED_EINVAL;
	p++;
	int64_t d = read_digits(&p, end, 1, 2);
	if (d < 0)
		return ED_EINVAL;
	int64_t hh = 0, mi = 0, ss = 0, us = 0;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		while (p < end && *p == ' ')
			p++;
		hh = read_digits(&p, end, 1, 2);
		if (hh < 0 || p >= end || *p != ':')
			return ED_EINVAL;
		p++;
		mi = read_digits(&p, end, 2, 2);
		if (mi < 0)
			return ED_EINVAL;
		if (p < end && *p == ':') {
			p++;
			ss = read_digits(&p, end, 2, 2);
			if (ss < 0)
				return ED_EINVAL;
			if (p < end && (*p == '.' || *p == ',')) {
				p++;
				int k = 0;
				bool round_up = false;
				while (p < end && *p >= '0' && *p <= '9') {
					if (k < 6)
						us = us * 10 + (*p - '0');
					else if (k == 6)
						round_up = *p >= '5';
					k++;
					p++;
				}
				if (k == 0)
					return ED_EINVAL;
				for (int i = k; i < 6; i++)
					us *= 10;
				us += round_up;
			}
		}
	}
	int64_t off = 0;
	bool zone = false;
	while (p < end && *p == ' ')
		p++;
	if (p < end && (*p == 'Z' || *p == 'z')) {
		zone = true;
		p++;
	} else if (p + 3 <= end && (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0)) {
		zone = true;
		p += 3;
	} else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;
		p++;
		int64_t oh = read_digits(&p, end, 2, 2), om = 0;
		if (oh < 0)
			return ED_EINVAL;
		if (p < end && *p == ':')
			p++;
		if (p < end && *p >= '0' && *p <= '9') {
			om = read_digits(&p, end, 2, 2);
			if (om < 0)
				return ED_EINVAL;
		}
		if (oh > 15 || om > 59)
			return ED_ERANGE;
		off = sign * (oh * ED_USEC_PER_HOUR + om * ED_USEC_PER_MIN);
		zone = true;
	}
	if (p != end)
		return ED_EINVAL;
	if (y < ED_TS_MIN_YEAR || y > ED_TS_MAX_YEAR || mo < 1 || mo > 12 || d < 1 ||
	    d > ed_days_in_month(y, (int)mo) || hh > 24 || mi > 59 || ss > 60 ||
	    (hh == 24 && (mi || ss || us)))
		return ED_ERANGE;
	int64_t v = ed_days_from_civil(y, (int)mo, (int)d) * ED_USEC_PER_DAY +
		    hh * ED_USEC_PER_HOUR + mi * ED_USEC_PER_MIN + ss * ED_USEC_PER_SEC + us;
	if (apply_zone)
		v -= off;
	*out = v;
	if (has_zone)
		*has_zone = zone;
	return 0;
}

/* Adds value (a possibly fractional count of unit) into iv; fractions spill
 * into smaller units (1 month = 30 days, 1 day = 24 hours). */
static int iv_add(struct ed_interval *iv, double v, char unit)
{
	double months = 0, days = 0, usec = 0;
	switch (unit) {
	case 'Y':
		months = v * 12;
		break;
	case 'M':
		months = v;
		break;
	case 'W':
		days = v * 7;
		break;
	case 'D':
		days = v;
		break;
	case 'h':
		usec = v * 3600e6;
		break;
	case 'm':
		usec = v * 60e6;
		break;
	case 's':
		usec = v * 1e6;
		break;
	case 'l':
		usec = v * 1e3;
		break;
	case 'u':
		usec = v;
		break;
	}
	double mi = trunc(months);
	days += (months - mi) * 30;
	double di = trunc(days);
	usec += (days - di) * 86400e6;
	double nm = iv->months + mi, nd = iv->days + di, nu = (double)iv->usecs + round(usec);
	if (fabs(nm) > INT32_MAX || fabs(nd) > INT32_MAX || fabs(nu) > 9.2e18)
		return ED_ERANGE;
	iv->months = (int32_t)nm;
	iv->days = (int32_t)nd;
	iv->usecs += (int64_t)round(usec);
	return 0;
}

static char iv_unit(const char *w, size_t n)
{
	static const struct {
		const char *name;
		char unit;
	} units[] = {
		{"microsecond", 'u'},
		{"microseconds", 'u'},
		{"us", 'u'},
		{"usec", 'u'},
		{"usecs", 'u'},
		{"millisecond", 'l'},
		{"milliseconds", 'l'},
		{"ms", 'l'},
		{"msec", 'l'},
		{"msecs", 'l'},
		{"second", 's'},
		{"seconds", 's'},
		{"sec", 's'},
		{"secs", 's'},
		{"s", 's'},
		{"minute", 'm'},
		{"minutes", 'm'},
		{"min", 'm'},
		{"mins", 'm'},
		{"m", 'm'},
		{"hour", 'h'},
		{"hours", 'h'},
		{"hr", 'h'},
		{"hrs", 'h'},
		{"h", 'h'},
		{"day", 'D'},
		{"days", 'D'},
		{"d", 'D'},
		{"week", 'W'},
		{"weeks", 'W'},
		{"w", 'W'},
		{"month", 'M'},
		{"months", 'M'},
		{"mon", 'M'},
		{"mons", 'M'},
		{"year", 'Y'},
		{"years", 'Y'},
		{"yr", 'Y'},
		{"yrs", 'Y'},
		{"y", 'Y'},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strlen(units[i].name) == n && strncasecmp(units[i].name, w, n) == 0)
			return units[i].unit;
	return 0;
}

static int iv_parse_iso(const char *p, const char *end, struct ed_interval *iv)
{
	bool time = false;
	p++; /* 'P' */
	if (p == end)
		return ED_EINVAL;
	while (p < end) {
		if (*p == 'T' || *p == 't') {
			time = true;
			p++;
			continue;
		}
		char *q;
		double v = strtod(p, &q);
		if (q == p || q >= end)
			return ED_EINVAL;
		char c = (char)toupper((unsigned char)*q);
		char unit = c == 'Y'   ? 'Y'
			    : c == 'W' ? 'W'
			    : c == 'D' ? 'D'
			    : c == 'H' ? 'h'
			    : c == 'S' ? 's'
			    : c == 'M' ? (time ? 'm' : 'M')
				       : 0;
		if (!unit)
			return ED_EINVAL;
		int rc = iv_add(iv, v, unit);
		if (rc)
			return rc;
		p = q + 1;
	}
	return 0;
}

int ed_interval_parse(const char *s, size_t n, struct ed_interval *out)
{
	char buf[256];
	struct ed_interval iv = {0, 0, 0};
	bool ago = false, any = false;
	if (n >= sizeof buf)
		return ED_EINVAL;
	memcpy(buf, s, n); /* NUL-terminated copy for strtod */
	buf[n] = 0;
	const char *p = buf, *end = buf + n;
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end && (*p == 'P' || *p == 'p')) {
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		int rc = iv_parse_iso(p, end, &iv);
		if (rc)
			return rc;
		*out = iv;
		return 0;
	}
	if (p < end && *p == '@')
		p++;
	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			break;
		if (end - p >= 3 && strncasecmp(p, "ago", 3) == 0 &&
		    (end - p == 3 || isspace((unsigned char)p[3]))) {
			ago = true;
			p += 3;
			continue;
		}
		/* A number, then a unit or a time h:mm[:ss[.f]]. */
		const char *q = p;
		if (*q == '+' || *q == '-')
			q++;
		if (q >= end || !(isdigit((unsigned char)*q) || *q == '.'))
			return ED_EINVAL;
		const char *r = q;
		while (r < end && isdigit((unsigned char)*r))
			r++;
		if (r < end && *r == ':') {
			bool neg = *p == '-';
			int64_t h = strtoll(q, NULL, 10);
			r++;
			const char *t = r;
			int64_t m = read_digits(&t, end, 1, 2);
			if (m < 0 || m > 59)
				return ED_EINVAL;
			double sec = 0;
			if (t < end && *t == ':') {
				char *e2;
				sec = strtod(t + 1, &e2);
				if (e2 == t + 1 || sec >= 60 || sec < 0)
					return ED_EINVAL;
				t = e2;
			}
			if (h > 2562047788)
				return ED_ERANGE;
			int64_t u = h * ED_USEC_PER_HOUR + m * ED_USEC_PER_MIN +
				    (int64_t)llround(sec * 1e6);
			iv.usecs += neg ? -u : u;
			p = t;
			any = true;
			continue;
		}
		char *e;
		double v = strtod(p, &e);
		if (e == p)
			return ED_EINVAL;
		p = e;
		while (p < end && isspace((unsigned char)*p))
			p++;
		const char *w = p;
		while (p < end && isalpha((unsigned char)*p))
			p++;
		char unit = 's';
		if (p > w) {
			unit = iv_unit(w, (size_t)(p - w));
			if (!unit)
				return ED_EINVAL;
		}
		int rc = iv_add(&iv, v, unit);
		if (rc)
			return rc;
		any = true;
	}
	if (!any)
		return ED_EINVAL;
	if (ago) {
		iv.months = -iv.months;
		iv.days = -iv.days;
		iv.usecs = -iv.usecs;
	}
	*out = iv;
	return 0;
}

int ed_dec_parse(const char *s, size_t n, int scale, ed_dec *out)
{
	const char *p = s, *end = s + n;
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	bool neg = false;
	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	/* Significant digits and the power of ten of the last one. */
	char dig[80];
	int nd = 0, point = -1, ndigits_total = 0;
	bool any = false;
	int dropped_exp = 0; /* digits beyond dig[] capacity (only integer part) */
	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9') {
			any = true;
			if (nd == 0 && *p == '0') {
				if (point >= 0)
					point++; /* leading zero after the point */
				ndigits_total++;
				continue;
			}
			if (nd < (int)sizeof dig) {
				dig[nd++] = *p;
				if (point >= 0)
					point++;
			} else if (point < 0) {
				dropped_exp++;
			}
			ndigits_total++;
		} else if (*p == '.' && point < 0) {
			point = 0;
		} else {
			break;
		}
	}
	if (!any)
		return ED_EINVAL;
	long exp10 = 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		char *e;
		char tmp[16];
		size_t k = (size_t)(end - p) < sizeof tmp - 1 ? (size_t)(end - p) : sizeof tmp - 1;
		memcpy(tmp, p, k);
		tmp[k] = 0;
		exp10 = strtol(tmp, &e, 10);
		if (e == tmp || (size_t)(e - tmp) != (size_t)(end - p))
			return ED_EINVAL;
		if (exp10 > 1000 || exp10 < -1000)
			return exp10 > 0 ? ED_ERANGE : (*out = 0, 0);
		p = end;
	}
	if (p != end)
		return ED_EINVAL;
	(void)ndigits_total;
	/* value = dig * 10^(exp10 - fraction digits + dropped) */
	long e10 = exp10 - (point < 0 ? 0 : point) + dropped_exp + scale;
	/* result = round(dig * 10^e10) */
	ed_dec v = 0;
	int keep = nd;
	bool round_up = false;
	if (e10 < 0) {
		long drop = -e10;
		if (drop >= nd) {
			keep = 0;
			round_up = drop == nd && nd > 0 && dig[0] >= '5';
		} else {
			keep = nd - (int)drop;
			round_up = dig[keep] >= '5';
		}
		e10 = 0;
	}
	for (int i = 0; i < keep; i++) {
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, dig[i] - '0', &v))
			return ED_ERANGE;
	}
	if (round_up)
		v += 1;
	if (v != 0) {
		if (e10 > 38)
			return ED_ERANGE;
		if (__builtin_mul_overflow(v, ed_dec_pow10((int)e10), &v))
			return ED_ERANGE;
	}
	if (!ed_dec_fits(v, 38))
		return ED_ERANGE;
	*out = neg ? -v : v;
	return 0;
}
