/* Unit tests for the SQL functions (src/exec/func_*.c) and LIKE / || /
 * timestamp and interval operators: results, NULL propagation, errors with
 * their SQLSTATE, date_trunc and extract vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec_test_util.h"

#define EXPECT(t, e, s)                                                                   \
	do {                                                                              \
		const char *got_ = tx_eval((t), (e));                                     \
		if (strcmp(got_, (s)) != 0)                                               \
			fail_msg("line %d: got \"%s\" want \"%s\"", __LINE__, got_, (s)); \
	} while (0)

static struct ed_type T(enum ed_type_id id) {
	return ed_type_make(id);
}

static void
test_like(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 1);
	static const struct {
		const char *s, *p;
		int want;
	} cases[] = {
		{"hello", "hello", 1},
		{"hello", "h%", 1},
		{"hello", "%o", 1},
		{"hello", "%ll%", 1},
		{"hello", "h_llo", 1},
		{"hello", "h_lo", 0},
		{"hello", "%", 1},
		{"", "%", 1},
		{"", "", 1},
		{"", "_", 0},
		{"a", "", 0},
		{"hello", "HELLO", 0},
		{"a%b", "a\\%b", 1},
		{"axb", "a\\%b", 0},
		{"a_b", "a\\_b", 1},
		{"aXb", "a\\_b", 0},
		{"héllo", "h_llo", 1},
		{"héllo", "h__llo", 0},
		{"abcabc", "%abc", 1},
		{"mississippi", "%issip%", 1},
		{"mississippi", "m%i%s%p_", 1},
		{"aaa", "a%%a", 1},
		{"ab", "a%%%c", 0},
		{"a\\b", "a\\\\b", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *r = tx_eval(&t, F2(&t, "like", TT(&t, cases[i].s), TT(&t, cases[i].p)));
		if (strcmp(r, cases[i].want ? "t" : "f") != 0)
			fail_msg("'%s' LIKE '%s' = %s", cases[i].s, cases[i].p, r);
	}
	EXPECT(&t, F2(&t, "ilike", TT(&t, "HeLLo"), TT(&t, "hel%")), "t");
	EXPECT(&t, F2(&t, "not_like", TT(&t, "abc"), TT(&t, "a%")), "f");
	EXPECT(&t, F3(&t, "like", TT(&t, "a%b"), TT(&t, "a#%b"), TT(&t, "#")), "t");
	EXPECT(&t, F3(&t, "like", TT(&t, "a\\b"), TT(&t, "a\\b"), TT(&t, "")), "t");
	EXPECT(&t, F2(&t, "like", TT(&t, "ab"), TT(&t, "ab\\")), "ERROR 22025");
	EXPECT(&t, F3(&t, "like", TT(&t, "ab"), TT(&t, "ab"), TT(&t, "xy")), "ERROR 22025");
	EXPECT(&t, F2(&t, "like", TCOL(&t, C_TXT), TT(&t, "%")), "NULL");
	tx_fini(&t);
}

static void test_strings(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 2);
	tx_set(&t, C_TXT, 0, "Héllo World");
	struct ed_expr *s = TCOL(&t, C_TXT);
	EXPECT(&t, F1(&t, "lower", s), "héllo world|NULL");
	EXPECT(&t, F1(&t, "upper", s), "HéLLO WORLD|NULL");
	EXPECT(&t, F1(&t, "length", s), "11|NULL");
	EXPECT(&t, F1(&t, "char_length", s), "11|NULL");
	EXPECT(&t, F1(&t, "octet_length", s), "12|NULL");
	EXPECT(&t, F2(&t, "substring", s, TI(&t, 2)), "éllo World|NULL");
	EXPECT(&t, F3(&t, "substring", s, TI(&t, 2), TI(&t, 3)), "éll|NULL");
	EXPECT(&t, F3(&t, "substring", s, TI(&t, 0), TI(&t, 3)), "Hé|NULL");
	EXPECT(&t, F3(&t, "substring", s, TI(&t, -5), TI(&t, 3)), "|NULL");
	EXPECT(&t, F3(&t, "substring", s, TI(&t, 20), TI(&t, 3)), "|NULL");
	EXPECT(&t, F3(&t, "substring", s, TI(&t, 1), TI(&t, -1)), "ERROR 22011");
	EXPECT(&t, F2(&t, "||", s, TT(&t, "!")), "Héllo World!|NULL");
	EXPECT(&t, F2(&t, "||", TT(&t, "n="), TI(&t, 5)), "n=5|n=5");
	EXPECT(&t, F2(&t, "||", s, TN(&t)), "NULL|NULL");
	EXPECT(&t, F4(&t, "concat", s, TN(&t), TI(&t, 1), TB(&t, true)), "Héllo World1true|1true");
	EXPECT(&t, F1(&t, "btrim", TT(&t, "  x y  ")), "x y|x y");
	EXPECT(&t, F1(&t, "ltrim", TT(&t, "  x  ")), "x  |x  ");
	EXPECT(&t, F1(&t, "rtrim", TT(&t, "  x  ")), "  x|  x");
	EXPECT(&t, F2(&t, "btrim", TT(&t, "xxéyxx"), TT(&t, "x")), "éy|éy");
	EXPECT(&t, F2(&t, "btrim", TT(&t, "éaé"), TT(&t, "é")), "a|a");
	EXPECT(&t, F2(&t, "trim", TT(&t, "...."), TT(&t, ".")), "|");
	EXPECT(&t, F3(&t, "replace", s, TT(&t, "l"), TT(&t, "LL")), "HéLLLLo WorLLd|NULL");
	EXPECT(&t, F3(&t, "replace", s, TT(&t, ""), TT(&t, "x")), "Héllo World|NULL");
	EXPECT(&t, F3(&t, "split_part", TT(&t, "a,b,,c"), TT(&t, ","), TI(&t, 2)), "b|b");
	EXPECT(&t, F3(&t, "split_part", TT(&t, "a,b,,c"), TT(&t, ","), TI(&t, 3)), "|");
	EXPECT(&t, F3(&t, "split_part", TT(&t, "a,b,,c"), TT(&t, ","), TI(&t, 9)), "|");
	EXPECT(&t, F3(&t, "split_part", TT(&t, "a,b,,c"), TT(&t, ","), TI(&t, -1)), "c|c");
	EXPECT(&t, F3(&t, "split_part", TT(&t, "a::b"), TT(&t, "::"), TI(&t, 2)), "b|b");
	EXPECT(&t, F3(&t, "split_part", TT(&t, "abc"), TT(&t, ","), TI(&t, 0)), "ERROR 22023");
	EXPECT(&t, F2(&t, "strpos", s, TT(&t, "World")), "7|NULL");
	EXPECT(&t, F2(&t, "position", s, TT(&t, "zz")), "0|NULL");
	EXPECT(&t, F2(&t, "strpos", s, TT(&t, "")), "1|NULL");
	tx_fini(&t);
}

static void test_math(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 2);
	tx_set(&t, C_I32, 0, "-7");
	tx_set(&t, C_DEC, 0, "-2.55");
	tx_set(&t, C_F64, 0, "2.5");
	struct ed_expr *i = TCOL(&t, C_I32), *d = TCOL(&t, C_DEC), *f = TCOL(&t, C_F64);
	EXPECT(&t, F1(&t, "abs", i), "7|NULL");
	EXPECT(&t, F1(&t, "abs", d), "2.55|NULL");
	EXPECT(&t, F1(&t, "abs", f), "2.5|NULL");
	EXPECT(&t, F1(&t, "abs", TI(&t, INT32_MIN)), "ERROR 22003");
	EXPECT(&t, F1(&t, "round", d), "-3|NULL");
	EXPECT(&t, F2(&t, "round", d, TI(&t, 1)), "-2.6|NULL");
	EXPECT(&t, F2(&t, "round", d, TI(&t, 5)), "-2.55|NULL");
	EXPECT(&t, F1(&t, "round", f), "2|NULL");
	EXPECT(&t, F2(&t, "round", TF(&t, 2.345), TI(&t, 2)), "2.35|2.35");
	EXPECT(&t, F1(&t, "floor", d), "-3|NULL");
	EXPECT(&t, F1(&t, "ceil", d), "-2|NULL");
	EXPECT(&t, F1(&t, "ceiling", f), "3|NULL");
	EXPECT(&t, F1(&t, "floor", i), "-7|NULL");
	EXPECT(&t, F2(&t, "mod", i, TI(&t, 3)), "-1|NULL");
	EXPECT(&t, F2(&t, "mod", d, TI(&t, 2)), "-0.55|NULL");
	EXPECT(&t, F2(&t, "mod", i, TI(&t, 0)), "ERROR 22012");
	EXPECT(&t, F2(&t, "power", TI(&t, 2), TI(&t, 10)), "1024|1024");
	EXPECT(&t, F2(&t, "power", TI(&t, 0), TI(&t, -1)), "ERROR 2201F");
	EXPECT(&t, F2(&t, "power", TI(&t, -8), TF(&t, 0.5)), "ERROR 2201F");
	EXPECT(&t, F2(&t, "power", TF(&t, 10), TI(&t, 400)), "ERROR 22003");
	EXPECT(&t, F1(&t, "sqrt", TI(&t, 16)), "4|4");
	EXPECT(&t, F1(&t, "sqrt", i), "ERROR 2201F");
	EXPECT(&t, F1(&t, "ln", TF(&t, 1)), "0|0");
	EXPECT(&t, F1(&t, "ln", TI(&t, 0)), "ERROR 2201E");
	EXPECT(&t, F1(&t, "log", TI(&t, 1000)), "3|3");
	EXPECT(&t, F2(&t, "log", TI(&t, 2), TI(&t, 8)), "3|3");
	EXPECT(&t, F1(&t, "log", i), "ERROR 2201E");
	EXPECT(&t, F1(&t, "exp", TI(&t, 0)), "1|1");
	EXPECT(&t, F1(&t, "exp", TI(&t, 1000)), "ERROR 22003");
	EXPECT(&t, F1(&t, "sqrt", TCOL(&t, C_I64)), "NULL|NULL");
	tx_fini(&t);
}

static void test_time(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 2);
	tx_set(&t, C_TS, 0, "2026-11-25 13:45:30.123456");
	tx_set(&t, C_IV, 0, "1 year 2 months 3 days 04:05:06.5");
	tx_set(&t, C_TZ, 0, "2024-02-29 23:59:59Z");
	struct ed_expr *ts = TCOL(&t, C_TS), *iv = TCOL(&t, C_IV), *tz = TCOL(&t, C_TZ);
	static const char *const trunc[][2] = {
		{"microseconds", "2026-11-25 13:45:30.123456"},
		{"milliseconds", "2026-11-25 13:45:30.123"},
		{"second", "2026-11-25 13:45:30"},
		{"minute", "2026-11-25 13:45:00"},
		{"hour", "2026-11-25 13:00:00"},
		{"day", "2026-11-25 00:00:00"},
		{"week", "2026-11-23 00:00:00"},
		{"month", "2026-11-01 00:00:00"},
		{"quarter", "2026-10-01 00:00:00"},
		{"year", "2026-01-01 00:00:00"},
		{"decade", "2020-01-01 00:00:00"},
		{"century", "2001-01-01 00:00:00"},
		{"millennium", "2001-01-01 00:00:00"},
	};
	for (size_t k = 0; k < sizeof trunc / sizeof trunc[0]; k++) {
		char want[64];
		snprintf(want, sizeof want, "%s|NULL", trunc[k][1]);
		EXPECT(&t, F2(&t, "date_trunc", TT(&t, trunc[k][0]), ts), want);
	}
	EXPECT(&t, F2(&t, "date_trunc", TT(&t, "HOUR"), tz), "2024-02-29 23:00:00+00|NULL");
	EXPECT(&t, F2(&t, "date_trunc", TT(&t, "hour"), iv), "1 year 2 mons 3 days 04:00:00|NULL");
	EXPECT(&t, F2(&t, "date_trunc", TT(&t, "fortnight"), ts), "BIND 22023");
	EXPECT(&t, F2(&t, "date_trunc", TCOL(&t, C_TXT), ts), "BIND 0A000");
	static const char *const ext[][2] = {
		{"year", "2026"},
		{"month", "11"},
		{"day", "25"},
		{"hour", "13"},
		{"minute", "45"},
		{"second", "30.123456"},
		{"millisecond", "30123.456"},
		{"microsecond", "30123456"},
		{"dow", "3"},
		{"isodow", "3"},
		{"doy", "329"},
		{"week", "48"},
		{"quarter", "4"},
		{"decade", "202"},
		{"century", "21"},
		{"millennium", "3"},
		{"epoch", "1795614330.123456"},
	};
	for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++) {
		char want[64];
		snprintf(want, sizeof want, "%s|NULL", ext[k][1]);
		EXPECT(&t, F2(&t, "extract", TT(&t, ext[k][0]), ts), want);
	}
	EXPECT(&t, F2(&t, "date_part", TT(&t, "second"), ts), "30.123456|NULL");
	EXPECT(&t, F2(&t, "extract", TT(&t, "dow"), tz), "4|NULL");
	EXPECT(&t, F2(&t, "extract", TT(&t, "epoch"), iv), "37015506.500000|NULL");
	EXPECT(&t, F2(&t, "extract", TT(&t, "hour"), iv), "4|NULL");
	EXPECT(&t, F2(&t, "extract", TT(&t, "month"), iv), "2|NULL");
	EXPECT(&t, F1(&t, "to_timestamp", TI(&t, 1795608000)),
	       "2026-11-25 12:00:00+00|2026-11-25 12:00:00+00");
	EXPECT(&t, F1(&t, "to_timestamp", TF(&t, 1.5)),
	       "1970-01-01 00:00:01.5+00|1970-01-01 00:00:01.5+00");
	/* timestamp +/- interval, timestamp - timestamp, interval arithmetic */
	struct ed_expr *mon = TTYPED(&t, "1 month", T(ED_TYPE_INTERVAL));
	EXPECT(&t, F2(&t, "+", tz, mon), "2024-03-29 23:59:59+00|NULL");
	EXPECT(&t, F2(&t, "+", TTYPED(&t, "2026-01-31", T(ED_TYPE_TIMESTAMP)), mon),
	       "2026-02-28 00:00:00|2026-02-28 00:00:00");
	EXPECT(&t, F2(&t, "-", ts, TTYPED(&t, "4 seconds", T(ED_TYPE_INTERVAL))),
	       "2026-11-25 13:45:26.123456|NULL");
	EXPECT(&t, F2(&t, "+", TTYPED(&t, "1 day", T(ED_TYPE_INTERVAL)), ts),
	       "2026-11-26 13:45:30.123456|NULL");
	EXPECT(&t, F2(&t, "-", ts, TTYPED(&t, "2026-11-24 12:00:00", T(ED_TYPE_TIMESTAMP))),
	       "1 day 01:45:30.123456|NULL");
	EXPECT(&t, F2(&t, "-", TTYPED(&t, "2026-11-24", T(ED_TYPE_TIMESTAMP)), ts),
	       "-1 days -13:45:30.123456|NULL");
	EXPECT(&t, F2(&t, "+", iv, iv), "2 years 4 mons 6 days 08:10:13|NULL");
	EXPECT(&t, F2(&t, "*", TTYPED(&t, "1 day", T(ED_TYPE_INTERVAL)), TF(&t, 1.5)),
	       "1 day 12:00:00|1 day 12:00:00");
	EXPECT(&t, F2(&t, "/", TTYPED(&t, "1 hour", T(ED_TYPE_INTERVAL)), TI(&t, 4)),
	       "00:15:00|00:15:00");
	EXPECT(&t, F2(&t, "/", iv, TI(&t, 0)), "ERROR 22012");
	EXPECT(&t, F1(&t, "neg", TTYPED(&t, "1 day -02:00:00", T(ED_TYPE_INTERVAL))),
	       "-1 days +02:00:00|-1 days +02:00:00");
	EXPECT(&t,
	       F2(&t, ">", TTYPED(&t, "1 day", T(ED_TYPE_INTERVAL)),
		  TTYPED(&t, "23 hours", T(ED_TYPE_INTERVAL))),
	       "t|t");
	EXPECT(&t,
	       F2(&t, "=", TTYPED(&t, "1 mon", T(ED_TYPE_INTERVAL)),
		  TTYPED(&t, "30 days", T(ED_TYPE_INTERVAL))),
	       "t|t");
	EXPECT(&t,
	       F2(&t, "+", TTYPED(&t, "9999-12-31", T(ED_TYPE_TIMESTAMP)),
		  TTYPED(&t, "300000 years", T(ED_TYPE_INTERVAL))),
	       "ERROR 22008");
	/* now() is the same for every row of a chunk and not constant */
	struct ed_expr *now = F0(&t, "now");
	assert_false(ed_expr_is_const(now));
	assert_non_null(now);
	const char *r = tx_eval(&t, F2(&t, "=", now, now));
	assert_string_equal(r, "t|t");
	r = tx_eval(&t, F2(&t, ">", now, TTYPED(&t, "2020-01-01", T(ED_TYPE_TIMESTAMPTZ))));
	assert_string_equal(r, "t|t");
	tx_fini(&t);
}

/* PostgreSQL text output of every type. */
static void test_format(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 1);
	static const struct {
		enum ed_type_id id;
		const char *in, *out;
	} cases[] = {
		{ED_TYPE_BOOL, "true", "t"},
		{ED_TYPE_BOOL, "off", "f"},
		{ED_TYPE_INT16, "-32768", "-32768"},
		{ED_TYPE_INT64, "9223372036854775807", "9223372036854775807"},
		{ED_TYPE_FLOAT32, "1.1", "1.1"},
		{ED_TYPE_FLOAT32, "1e6", "1e+06"},
		{ED_TYPE_FLOAT32, "100000", "100000"},
		{ED_TYPE_FLOAT64, "0.1", "0.1"},
		{ED_TYPE_FLOAT64, "1e15", "1e+15"},
		{ED_TYPE_FLOAT64, "123456789012345", "123456789012345"},
		{ED_TYPE_FLOAT64, "0.0001", "0.0001"},
		{ED_TYPE_FLOAT64, "0.00001", "1e-05"},
		{ED_TYPE_FLOAT64, "-Infinity", "-Infinity"},
		{ED_TYPE_FLOAT64, "nan", "NaN"},
		{ED_TYPE_FLOAT64, "3.141592653589793", "3.141592653589793"},
		{ED_TYPE_FLOAT64, "1.7976931348623157e308", "1.7976931348623157e+308"},
		{ED_TYPE_TIMESTAMP, "2026-11-25 12:00:00", "2026-11-25 12:00:00"},
		{ED_TYPE_TIMESTAMP, "0001-01-01 00:00:00.000001", "0001-01-01 00:00:00.000001"},
		{ED_TYPE_TIMESTAMPTZ, "2026-11-25 12:00:00.5-01:00", "2026-11-25 13:00:00.5+00"},
		{ED_TYPE_INTERVAL, "0", "00:00:00"},
		{ED_TYPE_INTERVAL, "1 day", "1 day"},
		{ED_TYPE_INTERVAL, "-1 day", "-1 days"},
		{ED_TYPE_INTERVAL, "13 months", "1 year 1 mon"},
		{ED_TYPE_INTERVAL, "-1 year 2 months", "-10 mons"},
		{ED_TYPE_INTERVAL, "1 day -1 hour", "1 day -01:00:00"},
		{ED_TYPE_INTERVAL, "-1 day 1 hour", "-1 days +01:00:00"},
		{ED_TYPE_INTERVAL, "1.5 days", "1 day 12:00:00"},
		{ED_TYPE_INTERVAL, "100 hours", "100:00:00"},
		{ED_TYPE_INTERVAL, "P1Y2M3DT4H5M6S", "1 year 2 mons 3 days 04:05:06"},
		{ED_TYPE_INTERVAL, "2 hours ago", "-02:00:00"},
		{ED_TYPE_INTERVAL, "1:30", "01:30:00"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ed_value v;
		struct ed_expr_error err;
		int rc = ed_value_parse(cases[i].in, strlen(cases[i].in), T(cases[i].id), &t.arena,
					&v, &err);
		if (rc)
			fail_msg("parse %s: %s", cases[i].in, err.message);
		ed_buf_reset(&t.buf);
		ed_value_format(&v, &t.buf);
		ed_buf_put_u8(&t.buf, 0);
		if (strcmp((char *)t.buf.data, cases[i].out) != 0)
			fail_msg("%s -> %s, want %s", cases[i].in, (char *)t.buf.data, cases[i].out);
	}
	struct ed_value v;
	struct ed_expr_error err;
	assert_int_equal(ed_value_parse("-1.50", 5, tx_dec_type(10, 3), &t.arena, &v, &err), 0);
	ed_buf_reset(&t.buf);
	ed_value_format(&v, &t.buf);
	assert_memory_equal(t.buf.data, "-1.500", 6);
	/* type names and OIDs */
	struct ed_type vc = T(ED_TYPE_TEXT);
	vc.max_len = 20;
	char name[64];
	ed_type_format(&vc, name, sizeof name);
	assert_string_equal(name, "character varying(20)");
	struct ed_type dt = tx_dec_type(10, 2);
	ed_type_format(&dt, name, sizeof name);
	assert_string_equal(name, "numeric(10,2)");
	assert_int_equal(ed_type_pg_oid(&vc), 1043);
	static const uint32_t oids[ED_TYPE_COUNT_] = {25,  16,   21, 23,   20,   700,
						      701, 1700, 25, 1114, 1184, 1186};
	for (int id = 0; id < ED_TYPE_COUNT_; id++) {
		struct ed_type ty = T((enum ed_type_id)id);
		assert_int_equal(ed_type_pg_oid(&ty), oids[id]);
	}
	struct ed_type i8 = T(ED_TYPE_INT64);
	assert_int_equal(ed_type_pg_len(&i8), 8);
	assert_int_equal(ed_type_pg_len(&vc), -1);
	assert_true(ed_type_is_numeric(ED_TYPE_DECIMAL));
	assert_false(ed_type_is_integer(ED_TYPE_FLOAT32));
	tx_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_like),   cmocka_unit_test(test_strings),
		cmocka_unit_test(test_math),   cmocka_unit_test(test_time),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
