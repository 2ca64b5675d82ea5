/* Unit tests for expressions (src/exec/expr*.c): column and constant leaves,
 * arithmetic with overflow and division by zero, comparisons across numeric
 * types, three-valued AND/OR/NOT truth tables, IS [NOT] NULL/TRUE/FALSE,
 * IS DISTINCT FROM, IN, BETWEEN, CASE, COALESCE, NULLIF, casts, resolution
 * errors, constant folding, selection vectors, EXPLAIN text and the
 * no-allocation-per-chunk property. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "exec_test_util.h"

#define EXPECT(t, e, s) assert_string_equal(tx_eval((t), (e)), (s))

static void test_leaves(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 3);
	tx_set(&t, C_I32, 0, "1");
	tx_set(&t, C_I32, 2, "-7");
	tx_set(&t, C_TXT, 0, "héllo");
	tx_set(&t, C_TXT, 1, "");
	EXPECT(&t, TCOL(&t, C_I32), "1|NULL|-7");
	EXPECT(&t, TCOL(&t, C_TXT), "héllo||NULL");
	EXPECT(&t, TI(&t, 42), "42|42|42");
	EXPECT(&t, TN(&t), "NULL|NULL|NULL");
	EXPECT(&t, TT(&t, "x"), "x|x|x");
	tx_fini(&t);
}

static void test_int_arith(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 4);
	tx_set(&t, C_I32, 0, "10");
	tx_set(&t, C_I32, 1, "-3");
	tx_set(&t, C_I32, 3, "2147483647");
	tx_set(&t, C_I64, 0, "5");
	tx_set(&t, C_I64, 1, "9223372036854775807");
	tx_set(&t, C_I16, 0, "32767");
	t.chunk.rows = 2;
	EXPECT(&t, F2(&t, "+", TCOL(&t, C_I32), TI(&t, 1)), "11|-2");
	EXPECT(&t, F2(&t, "-", TCOL(&t, C_I32), TI(&t, 1)), "9|-4");
	EXPECT(&t, F2(&t, "*", TCOL(&t, C_I32), TI(&t, 3)), "30|-9");
	EXPECT(&t, F2(&t, "/", TCOL(&t, C_I32), TI(&t, 3)), "3|-1");
	EXPECT(&t, F2(&t, "%", TCOL(&t, C_I32), TI(&t, 3)), "1|0");
	EXPECT(&t, F1(&t, "neg", TCOL(&t, C_I32)), "-10|3");
	/* int + bigint -> bigint; overflow in bigint. */
	EXPECT(&t, F2(&t, "+", TCOL(&t, C_I32), TCOL(&t, C_I64)), "15|9223372036854775804");
	EXPECT(&t, F2(&t, "+", TCOL(&t, C_I64), TI(&t, 1)), "ERROR 22003");
	assert_int_equal(t.err.row, 1);
	assert_int_equal(t.rc, ED_ERANGE);
	EXPECT(&t, F2(&t, "*", TCOL(&t, C_I64), TI(&t, 2)), "ERROR 22003");
	EXPECT(&t, F2(&t, "/", TCOL(&t, C_I32), TI(&t, 0)), "ERROR 22012");
	assert_int_equal(t.err.row, 0);
	EXPECT(&t, F2(&t, "%", TCOL(&t, C_I32), TI(&t, 0)), "ERROR 22012");
	/* smallint + smallint stays smallint and overflows as such. */
	t.chunk.rows = 1;
	EXPECT(&t, F2(&t, "+", TCOL(&t, C_I16), TCOL(&t, C_I16)), "ERROR 22003");
	assert_string_equal(t.err.message, "smallint out of range");
	/* NULL in, NULL out; a NULL row never errors. */
	t.chunk.rows = 4;
	EXPECT(&t, F2(&t, "+", TCOL(&t, C_I32), TI(&t, 1)), "ERROR 22003");
	assert_int_equal(t.err.row, 3);
	t.chunk.rows = 3;
	EXPECT(&t, F2(&t, "/", TI(&t, 100), TCOL(&t, C_I32)), "10|-33|NULL");
	EXPECT(&t, F2(&t, "+", TCOL(&t, C_I32), TN(&t)), "NULL|NULL|NULL");
	/* INT_MIN / -1 and % -1 */
	t.chunk.rows = 1;
	tx_set(&t, C_I32, 0, "-2147483648");
	EXPECT(&t, F2(&t, "/", TCOL(&t, C_I32), TI(&t, -1)), "ERROR 22003");
	EXPECT(&t, F2(&t, "%", TCOL(&t, C_I32), TI(&t, -1)), "0");
	EXPECT(&t, F1(&t, "neg", TCOL(&t, C_I32)), "ERROR 22003");
	tx_fini(&t);
}

static void test_float_dec_arith(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 2);
	tx_set(&t, C_F64, 0, "1.5");
	tx_set(&t, C_F64, 1, "1e300");
	tx_set(&t, C_DEC, 0, "12.34");
	tx_set(&t, C_DEC, 1, "-0.05");
	EXPECT(&t, F2(&t, "*", TCOL(&t, C_F64), TI(&t, 2)), "3|2e+300");
	EXPECT(&t, F2(&t, "*", TCOL(&t, C_F64), TF(&t, 1e10)), "ERROR 22003");
	assert_int_equal(t.err.row, 1);
	EXPECT(&t, F2(&t, "/", TCOL(&t, C_F64), TF(&t, 0)), "ERROR 22012");
	EXPECT(&t, F2(&t, "+", TCOL(&t, C_DEC), TI(&t, 1)), "13.34|0.95");
	EXPECT(&t, F2(&t, "*", TCOL(&t, C_DEC), TCOL(&t, C_DEC)), "152.2756|0.0025");
	EXPECT(&t, F2(&t, "/", TCOL(&t, C_DEC), TI(&t, 3)), "4.1133333333333333|-0.0166666666666667");
	EXPECT(&t, F2(&t, "%", TCOL(&t, C_DEC), TI(&t, 5)), "2.34|-0.05");
	EXPECT(&t, F2(&t, "/", TCOL(&t, C_DEC), TI(&t, 0)), "ERROR 22012");
	EXPECT(&t, F2(&t, "-", TCOL(&t, C_DEC), TTYPED(&t, "0.001", tx_dec_type(10, 3))),
	       "12.339|-0.051");
	/* numeric + double -> double */
	EXPECT(&t, F2(&t, "+", TCOL(&t, C_DEC), TF(&t, 0.5)), "12.84|0.45");
	/* decimal overflow at 38 digits */
	t.chunk.rows = 1;
	struct ed_expr *big = TTYPED(&t, "99999999999999999999999999999999999999",
				     tx_dec_type(38, 0));
	EXPECT(&t, F2(&t, "+", big, TCOL(&t, C_I32)), "NULL");
	EXPECT(&t, F2(&t, "+", big, TI(&t, 1)), "ERROR 22003"); /* not folded: fails when run */
	tx_set(&t, C_I32, 0, "1");
	EXPECT(&t, F2(&t, "+", big, TCOL(&t, C_I32)), "ERROR 22003");
	tx_fini(&t);
}

static void test_compare(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 3);
	tx_set(&t, C_I32, 0, "1");
	tx_set(&t, C_I32, 1, "2");
	tx_set(&t, C_F64, 0, "1.0");
	tx_set(&t, C_F64, 1, "1.5");
	tx_set(&t, C_DEC, 0, "1.00");
	tx_set(&t, C_DEC, 1, "2.01");
	tx_set(&t, C_TXT, 0, "abc");
	tx_set(&t, C_TXT, 1, "abd");
	tx_set(&t, C_I64, 0, "1");
	tx_set(&t, C_I64, 1, "3");
	EXPECT(&t, F2(&t, "=", TCOL(&t, C_I32), TCOL(&t, C_F64)), "t|f|NULL");
	EXPECT(&t, F2(&t, "<", TCOL(&t, C_I32), TCOL(&t, C_DEC)), "f|t|NULL");
	EXPECT(&t, F2(&t, "<=", TCOL(&t, C_I32), TCOL(&t, C_I64)), "t|t|NULL");
	EXPECT(&t, F2(&t, ">", TCOL(&t, C_I64), TCOL(&t, C_I32)), "f|t|NULL");
	EXPECT(&t, F2(&t, ">=", TCOL(&t, C_DEC), TCOL(&t, C_F64)), "t|t|NULL");
	EXPECT(&t, F2(&t, "<>", TCOL(&t, C_TXT), TT(&t, "abc")), "f|t|NULL");
	EXPECT(&t, F2(&t, "!=", TCOL(&t, C_TXT), TT(&t, "abc")), "f|t|NULL");
	EXPECT(&t, F2(&t, "<", TCOL(&t, C_TXT), TT(&t, "abcd")), "t|f|NULL");
	/* An unknown literal takes the other side's type. */
	EXPECT(&t, F2(&t, "=", TCOL(&t, C_I32), TT(&t, "2")), "f|t|NULL");
	EXPECT(&t, F2(&t, "=", TCOL(&t, C_I32), TT(&t, "x")), "BIND 22P02");
	/* No comparison between text and integer columns. */
	EXPECT(&t, F2(&t, "=", TCOL(&t, C_I32), TCOL(&t, C_TXT)), "BIND 42883");
	EXPECT(&t, F2(&t, "=", TCOL(&t, C_I32), TN(&t)), "NULL|NULL|NULL");
	/* timestamp vs timestamptz */
	tx_set(&t, C_TS, 0, "2026-11-25 12:00:00");
	tx_set(&t, C_TZ, 0, "2026-11-25 12:00:00Z");
	tx_set(&t, C_TS, 1, "2026-11-25 12:00:01");
	tx_set(&t, C_TZ, 1, "2026-11-25 12:00:00+00:00");
	EXPECT(&t, F2(&t, "=", TCOL(&t, C_TS), TCOL(&t, C_TZ)), "t|f|NULL");
	EXPECT(&t, F2(&t, ">", TCOL(&t, C_TS), TT(&t, "2026-11-25T12:00:00.5")), "f|t|NULL");
	tx_fini(&t);
}

/* Three-valued logic truth tables over every pair of TRUE/FALSE/NULL. */
static void test_three_valued(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 9);
	const char *vals[3] = {"true", "false", NULL};
	for (int i = 0; i < 9; i++) {
		tx_set(&t, C_BOOL, (uint32_t)i, vals[i / 3]);
		tx_set(&t, C_TXT, (uint32_t)i, vals[i % 3] ? vals[i % 3] : NULL);
	}
	struct ed_expr *a = TCOL(&t, C_BOOL);
	struct ed_expr *b = ed_expr_cast(&t.arena, TCOL(&t, C_TXT), ed_type_make(ED_TYPE_BOOL),
					 &t.err);
	EXPECT(&t, F2(&t, "and", a, b), "t|f|NULL|f|f|f|NULL|f|NULL");
	EXPECT(&t, F2(&t, "or", a, b), "t|t|t|t|f|NULL|t|NULL|NULL");
	EXPECT(&t, F1(&t, "not", a), "f|f|f|t|t|t|NULL|NULL|NULL");
	EXPECT(&t, F1(&t, "is_true", b), "t|f|f|t|f|f|t|f|f");
	EXPECT(&t, F1(&t, "is_not_true", b), "f|t|t|f|t|t|f|t|t");
	EXPECT(&t, F1(&t, "is_false", b), "f|t|f|f|t|f|f|t|f");
	EXPECT(&t, F1(&t, "is_not_false", b), "t|f|t|t|f|t|t|f|t");
	EXPECT(&t, F1(&t, "is_unknown", b), "f|f|t|f|f|t|f|f|t");
	EXPECT(&t, F1(&t, "is_null", a), "f|f|f|f|f|f|t|t|t");
	EXPECT(&t, F1(&t, "is_not_null", a), "t|t|t|t|t|t|f|f|f");
	EXPECT(&t, F2(&t, "is_distinct_from", a, b), "f|t|t|t|f|t|t|t|f");
	EXPECT(&t, F2(&t, "is_not_distinct_from", a, b), "t|f|f|f|t|f|f|f|t");
	/* three-argument AND */
	EXPECT(&t, F3(&t, "and", a, b, TB(&t, false)), "f|f|f|f|f|f|f|f|f");
	EXPECT(&t, F3(&t, "or", a, b, TN(&t)), "t|t|t|t|NULL|NULL|t|NULL|NULL");
	tx_fini(&t);
}

/* AND and CASE do not evaluate what they do not need: no division error. */
static void test_short_circuit(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 3);
	tx_set(&t, C_I32, 0, "0");
	tx_set(&t, C_I32, 1, "5");
	struct ed_expr *x = TCOL(&t, C_I32);
	struct ed_expr *guard = F2(&t, "<>", x, TI(&t, 0));
	struct ed_expr *div = F2(&t, ">", F2(&t, "/", TI(&t, 10), x), TI(&t, 1));
	EXPECT(&t, F2(&t, "and", guard, div), "f|t|NULL");
	struct ed_expr *w[1] = {F2(&t, "=", x, TI(&t, 0))};
	struct ed_expr *th[1] = {TI(&t, -1)};
	struct ed_expr *c = ed_expr_case(&t.arena, NULL, w, th, 1, F2(&t, "/", TI(&t, 10), x),
					 &t.err);
	EXPECT(&t, c, "-1|2|NULL");
	/* a constant 1/0 is not folded into an error at bind time */
	EXPECT(&t, F2(&t, "/", TI(&t, 1), TI(&t, 0)), "ERROR 22012");
	tx_fini(&t);
}

static void test_in_between_case(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 4);
	tx_set(&t, C_I32, 0, "1");
	tx_set(&t, C_I32, 1, "5");
	tx_set(&t, C_I32, 2, "10");
	struct ed_expr *x = TCOL(&t, C_I32);
	EXPECT(&t, F4(&t, "in", x, TI(&t, 1), TI(&t, 10), TL(&t, 7)), "t|f|t|NULL");
	EXPECT(&t, F3(&t, "in", x, TI(&t, 1), TN(&t)), "t|NULL|NULL|NULL");
	EXPECT(&t, F3(&t, "not_in", x, TI(&t, 1), TI(&t, 2)), "f|t|t|NULL");
	EXPECT(&t, F3(&t, "in", x, TF(&t, 5.0), TT(&t, "10")), "f|t|t|NULL");
	EXPECT(&t, F3(&t, "between", x, TI(&t, 2), TI(&t, 10)), "f|t|t|NULL");
	EXPECT(&t, F3(&t, "not_between", x, TI(&t, 2), TI(&t, 10)), "t|f|f|NULL");
	EXPECT(&t, F3(&t, "between", x, TN(&t), TI(&t, 4)), "NULL|f|f|NULL");
	/* simple CASE */
	struct ed_expr *w[2] = {TI(&t, 1), TI(&t, 5)};
	struct ed_expr *th[2] = {TT(&t, "one"), TT(&t, "five")};
	EXPECT(&t, ed_expr_case(&t.arena, x, w, th, 2, TT(&t, "other"), &t.err),
	       "one|five|other|other");
	EXPECT(&t, ed_expr_case(&t.arena, x, w, th, 2, NULL, &t.err), "one|five|NULL|NULL");
	/* searched CASE with a numeric result type mix: int and numeric */
	struct ed_expr *w2[1] = {F2(&t, ">", x, TI(&t, 3))};
	struct ed_expr *th2[1] = {TTYPED(&t, "1.5", tx_dec_type(10, 1))};
	EXPECT(&t, ed_expr_case(&t.arena, NULL, w2, th2, 1, x, &t.err), "1.0|1.5|1.5|NULL");
	struct ed_expr *th3[1] = {TB(&t, true)};
	assert_null(ed_expr_case(&t.arena, NULL, w2, th3, 1, x, &t.err));
	assert_string_equal(t.err.sqlstate, "42804");
	/* COALESCE, NULLIF */
	EXPECT(&t, F2(&t, "coalesce", x, TI(&t, 0)), "1|5|10|0");
	EXPECT(&t, F3(&t, "coalesce", TN(&t), x, TL(&t, -1)), "1|5|10|-1");
	EXPECT(&t, F2(&t, "nullif", x, TI(&t, 5)), "1|NULL|10|NULL");
	tx_fini(&t);
}

static void test_casts(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 3);
	tx_set(&t, C_TXT, 0, " 42 ");
	tx_set(&t, C_TXT, 1, "-7");
	struct ed_expr *s = TCOL(&t, C_TXT);
#define CAST(x, id) ed_expr_cast(&t.arena, (x), ed_type_make(id), &t.err)
	EXPECT(&t, CAST(s, ED_TYPE_INT32), "42|-7|NULL");
	EXPECT(&t, CAST(s, ED_TYPE_INT16), "42|-7|NULL");
	EXPECT(&t, CAST(s, ED_TYPE_FLOAT64), "42|-7|NULL");
	EXPECT(&t, ed_expr_cast(&t.arena, s, tx_dec_type(5, 2), &t.err), "42.00|-7.00|NULL");
	tx_set(&t, C_TXT, 1, "abc");
	EXPECT(&t, CAST(s, ED_TYPE_INT32), "ERROR 22P02");
	assert_string_equal(t.err.message, "invalid input syntax for type integer: \"abc\"");
	EXPECT(&t, CAST(s, ED_TYPE_BOOL), "ERROR 22P02");
	EXPECT(&t, CAST(s, ED_TYPE_TIMESTAMP), "ERROR 22007");
	tx_set(&t, C_TXT, 1, "99999");
	EXPECT(&t, CAST(s, ED_TYPE_INT16), "ERROR 22003");
	tx_set(&t, C_TXT, 0, NULL);
	tx_set(&t, C_TXT, 1, "2026-02-30 00:00:00");
	EXPECT(&t, CAST(s, ED_TYPE_TIMESTAMP), "ERROR 22008");
	/* literal casts fail at bind time */
	EXPECT(&t, CAST(TT(&t, "x1"), ED_TYPE_INT64), "BIND 22P02");
	/* numbers <-> numbers */
	tx_set(&t, C_F64, 0, "2.5");
	tx_set(&t, C_F64, 1, "3.5");
	EXPECT(&t, CAST(TCOL(&t, C_F64), ED_TYPE_INT32), "2|4|NULL");
	tx_set(&t, C_DEC, 0, "2.50");
	tx_set(&t, C_DEC, 1, "-3.50");
	EXPECT(&t, CAST(TCOL(&t, C_DEC), ED_TYPE_INT32), "3|-4|NULL");
	EXPECT(&t, CAST(TCOL(&t, C_DEC), ED_TYPE_FLOAT64), "2.5|-3.5|NULL");
	EXPECT(&t, ed_expr_cast(&t.arena, TCOL(&t, C_DEC), tx_dec_type(3, 1), &t.err),
	       "2.5|-3.5|NULL");
	EXPECT(&t, ed_expr_cast(&t.arena, TCOL(&t, C_DEC), tx_dec_type(2, 1), &t.err),
	       "2.5|-3.5|NULL");
	EXPECT(&t, ed_expr_cast(&t.arena, TCOL(&t, C_DEC), tx_dec_type(1, 0), &t.err), "3|-4|NULL");
	EXPECT(&t, ed_expr_cast(&t.arena, TCOL(&t, C_DEC), tx_dec_type(1, 1), &t.err), "ERROR 22003");
	EXPECT(&t, CAST(TF(&t, 1e10), ED_TYPE_INT32), "BIND 22003");
	EXPECT(&t, CAST(TF(&t, 0.1), ED_TYPE_DECIMAL), "0|0|0");
	EXPECT(&t, ed_expr_cast(&t.arena, TF(&t, 0.1), tx_dec_type(10, 3), &t.err),
	       "0.100|0.100|0.100");
	/* to text */
	tx_set(&t, C_BOOL, 0, "t");
	EXPECT(&t, CAST(TCOL(&t, C_BOOL), ED_TYPE_TEXT), "true|NULL|NULL");
	EXPECT(&t, CAST(TCOL(&t, C_DEC), ED_TYPE_TEXT), "2.50|-3.50|NULL");
	struct ed_type vc = ed_type_make(ED_TYPE_TEXT);
	vc.max_len = 2;
	EXPECT(&t, ed_expr_cast(&t.arena, TT(&t, "héllo"), vc, &t.err), "hé|hé|hé");
	/* timestamps and intervals */
	EXPECT(&t, CAST(TT(&t, "2026-11-25T12:00:00.123Z"), ED_TYPE_TIMESTAMPTZ),
	       "2026-11-25 12:00:00.123+00|2026-11-25 12:00:00.123+00|2026-11-25 12:00:00.123+00");
	EXPECT(&t,
	       CAST(CAST(TT(&t, "2026-11-25 14:00:00+02"), ED_TYPE_TIMESTAMPTZ), ED_TYPE_TIMESTAMP),
	       "2026-11-25 12:00:00|2026-11-25 12:00:00|2026-11-25 12:00:00");
	EXPECT(&t, CAST(TT(&t, "1 day 2 hours"), ED_TYPE_INTERVAL),
	       "1 day 02:00:00|1 day 02:00:00|1 day 02:00:00");
	/* impossible casts */
	assert_null(CAST(TCOL(&t, C_TS), ED_TYPE_INT32));
	assert_string_equal(t.err.sqlstate, "42846");
	assert_null(CAST(TCOL(&t, C_BOOL), ED_TYPE_INTERVAL));
#undef CAST
	tx_fini(&t);
}

static void test_resolution_errors(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 1);
	assert_null(F2(&t, "+", TCOL(&t, C_TXT), TI(&t, 1)));
	assert_string_equal(t.err.sqlstate, "42883");
	assert_null(F1(&t, "no_such_fn", TI(&t, 1)));
	assert_string_equal(t.err.sqlstate, "42883");
	assert_null(F2(&t, "and", TCOL(&t, C_I32), TB(&t, true)));
	assert_string_equal(t.err.sqlstate, "42804");
	assert_null(F2(&t, "||", TI(&t, 1), TI(&t, 2)));
	/* bool + int */
	assert_null(F2(&t, "+", TCOL(&t, C_BOOL), TI(&t, 1)));
	tx_fini(&t);
}

static void test_fold_and_format(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 1);
	struct ed_expr *e = F2(&t, "+", TI(&t, 1), F2(&t, "*", TI(&t, 2), TI(&t, 3)));
	assert_true(ed_expr_is_const(e));
	struct ed_value v;
	assert_int_equal(ed_expr_fold(e, &t.arena, &v, &t.err), 0);
	assert_int_equal(v.v.i, 7);
	assert_int_equal(v.type.id, ED_TYPE_INT32);
	struct ed_expr *x = TCOL(&t, C_I32);
	assert_false(ed_expr_is_const(x));
	const char *names[C_NCOLS] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
	struct ed_buf b;
	ed_buf_init(&b);
	struct ed_expr *f = F2(&t, "and", F2(&t, ">", x, TI(&t, 1)),
			       F1(&t, "is_not_null", TCOL(&t, C_TXT)));
	ed_expr_format(f, names, &b);
	ed_buf_put_u8(&b, 0);
	assert_string_equal((char *)b.data, "((a > 1) AND (d IS NOT NULL))");
	ed_buf_reset(&b);
	struct ed_expr *g = F2(&t, "<", TCOL(&t, C_I64), x);
	ed_expr_format(g, names, &b);
	ed_buf_put_u8(&b, 0);
	assert_string_equal((char *)b.data, "(b < CAST(a AS bigint))");
	ed_buf_fini(&b);
	tx_fini(&t);
}

static void test_sel_and_filter(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 4);
	for (uint32_t i = 0; i < 4; i++) {
		char s[8];
		snprintf(s, sizeof s, "%u", i);
		tx_set(&t, C_I32, i, s);
	}
	tx_set(&t, C_I32, 3, NULL);
	struct ed_expr *p = F2(&t, ">=", TCOL(&t, C_I32), TI(&t, 1));
	uint8_t sel[4];
	assert_int_equal(ed_expr_filter(p, &t.chunk, sel, &t.err), 0);
	assert_memory_equal(sel, ((uint8_t[]){0, 1, 1, 0}), 4);
	/* with sel, unselected rows are NULL and never fail */
	struct ed_expr *d = F2(&t, "/", TI(&t, 12), TCOL(&t, C_I32));
	struct ed_vector out;
	ed_vector_init(&out, ed_expr_type(d), ED_CHUNK_MAX_ROWS);
	assert_int_equal(ed_expr_eval(d, &t.chunk, sel, &out, &t.out_arena, &t.err), 0);
	assert_true(out.nulls[0]);
	assert_int_equal(ED_VEC(&out, int32_t)[1], 12);
	assert_int_equal(ED_VEC(&out, int32_t)[2], 6);
	assert_true(out.nulls[3]);
	ed_vector_fini(&out);
	tx_fini(&t);
}

/* Evaluating many chunks allocates nothing after the first. */
static void test_no_alloc_per_chunk(void **state)
{
	(void)state;
	struct tx t;
	tx_init(&t, 1024);
	for (uint32_t i = 0; i < 1024; i++) {
		char s[16];
		snprintf(s, sizeof s, "%u", i);
		tx_set(&t, C_I32, i, s);
		tx_set(&t, C_TXT, i, s);
	}
	struct ed_expr *e = F3(&t, "between", F2(&t, "*", TCOL(&t, C_I32), TI(&t, 3)), TI(&t, 10),
			       TL(&t, 2000));
	struct ed_expr *w[1] = {e};
	struct ed_expr *th[1] = {F2(&t, "||", TCOL(&t, C_TXT), TT(&t, "!"))};
	struct ed_expr *c = ed_expr_case(&t.arena, NULL, w, th, 1, TT(&t, "-"), &t.err);
	assert_non_null(c);
	struct ed_vector out;
	ed_vector_init(&out, ed_expr_type(c), ED_CHUNK_MAX_ROWS);
	assert_int_equal(ed_expr_eval(c, &t.chunk, NULL, &out, &t.out_arena, &t.err), 0);
	ed_arena_reset(&t.out_arena);
	size_t live = ed_mem_live_count();
	for (int k = 0; k < 200; k++) {
		assert_int_equal(ed_expr_eval(c, &t.chunk, NULL, &out, &t.out_arena, &t.err), 0);
		ed_arena_reset(&t.out_arena);
	}
	assert_int_equal(ed_mem_live_count(), live);
	struct ed_value v;
	ed_vector_get(&out, 5, &v);
	assert_int_equal(v.v.s.len, 2);
	ed_vector_fini(&out);
	tx_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaves),
		cmocka_unit_test(test_int_arith),
		cmocka_unit_test(test_float_dec_arith),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_three_valued),
		cmocka_unit_test(test_short_circuit),
		cmocka_unit_test(test_in_between_case),
		cmocka_unit_test(test_casts),
		cmocka_unit_test(test_resolution_errors),
		cmocka_unit_test(test_fold_and_format),
		cmocka_unit_test(test_sel_and_filter),
		cmocka_unit_test(test_no_alloc_per_chunk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
