/* Unit tests for the SQL parser and printer (src/sql/parser.c, print.c,
 * literal.c): every statement form, the AST fields the binder relies on,
 * operator precedence, literals, errors with exact SQLSTATE and position, the
 * print/parse fixed point over ~100 statements, nesting limits, and arena
 * exhaustion at every allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/sql.h"

static struct ed_arena arena;
static char out[8192];

static int setup(void **state)
{
	(void)state;
	ed_arena_init(&arena, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ed_arena_fini(&arena);
	return 0;
}

static struct ed_sql_stmt_list parse_ok(const char *text)
{
	struct ed_sql_stmt_list l;
	struct ed_sql_error err;
	int rc = ed_sql_parse(&arena, text, strlen(text), &l, &err);
	if (rc)
		fail_msg("parse of \"%s\" failed: %s at %u: %s", text, err.sqlstate, err.pos,
			 err.msg);
	return l;
}

static struct ed_sql_stmt *parse1(const char *text)
{
	struct ed_sql_stmt_list l = parse_ok(text);
	assert_int_equal(l.n, 1);
	return l.v[0];
}

static const char *print_stmt(const struct ed_sql_stmt *st, unsigned flags)
{
	struct ed_buf b;
	ed_buf_init(&b);
	ed_sql_print_stmt(&b, st, flags);
	assert_int_equal(b.err, 0);
	assert_true(b.len < sizeof out);
	memcpy(out, b.data, b.len);
	out[b.len] = 0;
	ed_buf_fini(&b);
	return out;
}

/* Canonical text of one statement (in a static buffer). */
static const char *canon(const char *text)
{
	return print_stmt(parse1(text), 0);
}

/* Fully parenthesised text of the first SELECT target. */
static const char *tree_of_expr(const char *expr)
{
	char sql[2048];
	snprintf(sql, sizeof sql, "SELECT %s", expr);
	struct ed_sql_stmt *st = parse1(sql);
	struct ed_buf b;
	ed_buf_init(&b);
	ed_sql_print_expr(&b, st->u.select->targets[0]->expr, ED_SQL_PRINT_PARENS);
	memcpy(out, b.data, b.len);
	out[b.len] = 0;
	ed_buf_fini(&b);
	return out;
}

static void expect_error(const char *text, const char *sqlstate, uint32_t pos, const char *msg_part)
{
	struct ed_sql_stmt_list l;
	struct ed_sql_error err;
	int rc = ed_sql_parse(&arena, text, strlen(text), &l, &err);
	if (rc == 0)
		fail_msg("\"%s\" parsed but should fail with %s", text, sqlstate);
	if (strcmp(err.sqlstate, sqlstate) != 0 || err.pos != pos ||
	    (msg_part && !strstr(err.msg, msg_part)))
		fail_msg("\"%s\": got %s at %u: %s; want %s at %u (%s)", text, err.sqlstate,
			 err.pos, err.msg, sqlstate, pos, msg_part ? msg_part : "");
	assert_int_equal(l.n, 0);
}

/* ---- statements ---------------------------------------------------------------- */

static void test_create_source(void **state)
{
	(void)state;
	struct ed_sql_stmt *st = parse1(
		"CREATE SOURCE IF NOT EXISTS bids (auction BIGINT, price DECIMAL(12, 2), "
		"channel VARCHAR(64), url TEXT, ts TIMESTAMP, "
		"WATERMARK FOR ts AS ts - INTERVAL '4' SECOND) "
		"WITH (topic = 'bids', format = 'json', scan.startup.mode = 'earliest')");
	assert_int_equal(st->kind, ED_SQL_S_CREATE_SOURCE);
	assert_true(st->u.source.if_not_exists);
	assert_string_equal(st->u.source.name.parts[0], "bids");
	assert_int_equal(st->u.source.ncolumns, 5);
	assert_string_equal(st->u.source.columns[1]->name, "price");
	assert_int_equal(st->u.source.columns[1]->type.id, ED_SQL_T_NUMERIC);
	assert_int_equal(st->u.source.columns[1]->type.p, 12);
	assert_int_equal(st->u.source.columns[1]->type.s, 2);
	assert_int_equal(st->u.source.columns[2]->type.id, ED_SQL_T_VARCHAR);
	assert_int_equal(st->u.source.columns[2]->type.p, 64);
	assert_int_equal(st->u.source.columns[3]->type.p, -1);
	struct ed_sql_watermark *w = st->u.source.watermark;
	assert_non_null(w);
	assert_string_equal(w->column, "ts");
	assert_int_equal(w->expr->kind, ED_SQL_E_BINARY);
	assert_int_equal(w->expr->u.bin.op, ED_SQL_OP_SUB);
	assert_int_equal(w->expr->u.bin.r->kind, ED_SQL_E_INTERVAL);
	assert_int_equal(w->expr->u.bin.r->u.iv.usec, 4000000);
	assert_int_equal(st->u.source.noptions, 3);
	assert_string_equal(st->u.source.options[2]->key, "scan.startup.mode");
	assert_int_equal(st->u.source.options[2]->value.kind, ED_SQL_V_STRING);
	assert_string_equal(st->u.source.options[2]->value.text, "earliest");
	assert_string_equal(print_stmt(st, 0),
			    "CREATE SOURCE IF NOT EXISTS bids (auction BIGINT, price NUMERIC(12, 2), "
			    "channel VARCHAR(64), url TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - "
			    "INTERVAL '4 seconds') WITH (topic = 'bids', format = 'json', "
			    "scan.startup.mode = 'earliest')");
	/* Statement span. */
	assert_int_equal(st->loc, 0);
	st = parse_ok("  SELECT 1 ;SELECT 22").v[1];
	assert_int_equal(st->loc, 12);
	assert_int_equal(st->text_len, 9);
}

static void test_types(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"BOOLEAN", "BOOLEAN"},
		{"bool", "BOOLEAN"},
		{"SMALLINT", "SMALLINT"},
		{"int2", "SMALLINT"},
		{"INT", "INTEGER"},
		{"integer", "INTEGER"},
		{"int4", "INTEGER"},
		{"BIGINT", "BIGINT"},
		{"int8", "BIGINT"},
		{"REAL", "REAL"},
		{"float4", "REAL"},
		{"float(10)", "REAL"},
		{"float", "DOUBLE PRECISION"},
		{"float(53)", "DOUBLE PRECISION"},
		{"float8", "DOUBLE PRECISION"},
		{"double precision", "DOUBLE PRECISION"},
		{"DECIMAL", "NUMERIC"},
		{"decimal(10)", "NUMERIC(10)"},
		{"numeric(10, 3)", "NUMERIC(10, 3)"},
		{"dec(5,0)", "NUMERIC(5, 0)"},
		{"VARCHAR", "TEXT"},
		{"varchar(20)", "VARCHAR(20)"},
		{"TEXT", "TEXT"},
		{"character varying(3)", "VARCHAR(3)"},
		{"string", "TEXT"},
		{"TIMESTAMP", "TIMESTAMP"},
		{"timestamp(3)", "TIMESTAMP(3)"},
		{"timestamp without time zone", "TIMESTAMP"},
		{"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"},
		{"timestamptz", "TIMESTAMPTZ"},
		{"timestamp(6) with time zone", "TIMESTAMPTZ(6)"},
		{"INTERVAL", "INTERVAL"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char sql[256], want[256];
		snprintf(sql, sizeof sql, "CREATE SOURCE s (c %s)", cases[i].in);
		snprintf(want, sizeof want, "CREATE SOURCE s (c %s)", cases[i].out);
		assert_string_equal(canon(sql), want);
	}
	expect_error("CREATE SOURCE s (c jsonb)", "42704", 20, "type \"jsonb\" does not exist");
	expect_error("CREATE SOURCE s (c numeric(0))", "22023", 28, "out of range");
	expect_error("CREATE SOURCE s (c numeric(5, 6))", "22023", 31, "scale");
	expect_error("CREATE SOURCE s (c varchar(0))", "22023", 28, NULL);
	expect_error("CREATE SOURCE s (c timestamp(7))", "22023", 30, NULL);
	expect_error("CREATE SOURCE s (c double)", "42601", 26, "PRECISION");
}

static void test_views_sinks(void **state)
{
	(void)state;
	struct ed_sql_stmt *st = parse1(
		"create materialized view if not exists q5 as select auction, window_start, count(*) as n "
		"from tumble(bids, date_time, interval '10' second) group by auction, window_start");
	assert_int_equal(st->kind, ED_SQL_S_CREATE_VIEW);
	assert_true(st->u.view.if_not_exists);
	struct ed_sql_select *sel = st->u.view.query;
	assert_int_equal(sel->ntargets, 3);
	assert_string_equal(sel->targets[2]->alias, "n");
	assert_true(sel->targets[2]->expr->u.func.star);
	assert_int_equal(sel->nfrom, 1);
	struct ed_sql_from *f = sel->from[0];
	assert_int_equal(f->kind, ED_SQL_FROM_FUNC);
	assert_int_equal(f->u.func.tvf, ED_SQL_TVF_TUMBLE);
	assert_int_equal(f->u.func.nargs, 3);
	assert_string_equal(f->u.func.args[0]->u.col.parts[0], "bids");
	assert_int_equal(f->u.func.args[2]->u.iv.usec, 10000000);
	assert_int_equal(sel->ngroup, 2);

	f = parse1("SELECT * FROM HOP(b, ts, INTERVAL '2' SECOND, INTERVAL '10' SECOND) h")
		    ->u.select->from[0];
	assert_int_equal(f->u.func.tvf, ED_SQL_TVF_HOP);
	assert_string_equal(f->alias, "h");
	f = parse1("SELECT * FROM SESSION(b, ts, INTERVAL '1 minute')")->u.select->from[0];
	assert_int_equal(f->u.func.tvf, ED_SQL_TVF_SESSION);
	assert_int_equal(f->u.func.args[2]->u.iv.usec, 60000000);
	expect_error("SELECT * FROM TUMBLE(b, ts)", "42601", 15,
		     "TUMBLE(source, time_column | PROCTIME(), size");
	expect_error("SELECT * FROM HOP(b, 1, 2, 3)", "42601", 15, "HOP(");

	st = parse1("CREATE SINK IF NOT EXISTS out FROM q5 WITH (topic = 'out', format = json)");
	assert_int_equal(st->kind, ED_SQL_S_CREATE_SINK);
	assert_true(st->u.sink.if_not_exists);
	assert_string_equal(st->u.sink.from.parts[0], "q5");
	assert_null(st->u.sink.query);
	assert_int_equal(st->u.sink.options[1]->value.kind, ED_SQL_V_IDENT);
	st = parse1("CREATE SINK s AS SELECT * FROM v WHERE x > 1 WITH (topic = 'o')");
	assert_non_null(st->u.sink.query);
	assert_int_equal(st->u.sink.from.n, 0);
	assert_int_equal(st->u.sink.noptions, 1);
	assert_non_null(st->u.sink.query->where);
}

static void test_small_statements(void **state)
{
	(void)state;
	struct ed_sql_stmt_list l = parse_ok(
		"DROP SOURCE IF EXISTS a; DROP MATERIALIZED VIEW b; DROP SINK c;"
		"SHOW SOURCES; SHOW MATERIALIZED VIEWS; SHOW SINKS; SHOW TOPICS; SHOW server_version;"
		"DESCRIBE bids; EXPLAIN SELECT 1; BEGIN; COMMIT; ROLLBACK; SUBSCRIBE q5;"
		"SET client_encoding TO 'UTF8'; SET extra_float_digits = 3; SHOW TRANSACTION ISOLATION LEVEL");
	assert_int_equal(l.n, 17);
	assert_int_equal(l.v[0]->kind, ED_SQL_S_DROP);
	assert_int_equal(l.v[0]->u.drop.object, ED_SQL_OBJ_SOURCE);
	assert_true(l.v[0]->u.drop.if_exists);
	assert_int_equal(l.v[1]->u.drop.object, ED_SQL_OBJ_VIEW);
	assert_false(l.v[1]->u.drop.if_exists);
	assert_int_equal(l.v[2]->u.drop.object, ED_SQL_OBJ_SINK);
	assert_int_equal(l.v[3]->u.show_objects.object, ED_SQL_OBJ_SOURCE);
	assert_int_equal(l.v[4]->u.show_objects.object, ED_SQL_OBJ_VIEW);
	assert_int_equal(l.v[5]->u.show_objects.object, ED_SQL_OBJ_SINK);
	assert_int_equal(l.v[6]->u.show_objects.object, ED_SQL_OBJ_TOPIC);
	assert_int_equal(l.v[7]->kind, ED_SQL_S_SHOW_VAR);
	assert_string_equal(l.v[7]->u.name.parts[0], "server_version");
	assert_int_equal(l.v[8]->kind, ED_SQL_S_DESCRIBE);
	assert_int_equal(l.v[9]->kind, ED_SQL_S_EXPLAIN);
	assert_int_equal(l.v[9]->u.explain.stmt->kind, ED_SQL_S_SELECT);
	assert_int_equal(l.v[10]->kind, ED_SQL_S_BEGIN);
	assert_int_equal(l.v[11]->kind, ED_SQL_S_COMMIT);
	assert_int_equal(l.v[12]->kind, ED_SQL_S_ROLLBACK);
	assert_int_equal(l.v[13]->kind, ED_SQL_S_SUBSCRIBE);
	assert_int_equal(l.v[14]->kind, ED_SQL_S_SET);
	assert_string_equal(l.v[14]->u.set.name, "client_encoding");
	assert_int_equal(l.v[14]->u.set.values[0]->kind, ED_SQL_V_STRING);
	assert_int_equal(l.v[15]->u.set.values[0]->kind, ED_SQL_V_NUMBER);
	assert_string_equal(l.v[16]->u.name.parts[0], "transaction_isolation");
	/* Empty input and lone semicolons are zero statements. */
	assert_int_equal(parse_ok("").n, 0);
	assert_int_equal(parse_ok(" ;; -- x\n /* y */ ;").n, 0);
	/* SET TIME ZONE, SET LOCAL, multi-valued SET, DEFAULT. */
	struct ed_sql_stmt *st = parse1("SET TIME ZONE 'UTC'");
	assert_string_equal(st->u.set.name, "timezone");
	st = parse1("set local search_path to public, \"$user\"");
	assert_true(st->u.set.local);
	assert_int_equal(st->u.set.nvalues, 2);
	assert_string_equal(st->u.set.values[1]->text, "$user");
	st = parse1("SET x = DEFAULT");
	assert_int_equal(st->u.set.values[0]->kind, ED_SQL_V_DEFAULT);
}

static void test_select_clauses(void **state)
{
	(void)state;
	struct ed_sql_select *s =
		parse1("SELECT DISTINCT a AS x, b y, t.*, * FROM t AS u WHERE a > 1 GROUP BY a, b HAVING "
		       "count(*) > 2 ORDER BY a DESC NULLS LAST, b ASC NULLS FIRST, c LIMIT 10 OFFSET 5")
			->u.select;
	assert_true(s->distinct);
	assert_int_equal(s->ntargets, 4);
	assert_string_equal(s->targets[0]->alias, "x");
	assert_string_equal(s->targets[1]->alias, "y");
	assert_true(s->targets[2]->star);
	assert_string_equal(s->targets[2]->star_qual, "t");
	assert_true(s->targets[3]->star);
	assert_null(s->targets[3]->star_qual);
	assert_string_equal(s->from[0]->alias, "u");
	assert_non_null(s->where);
	assert_int_equal(s->ngroup, 2);
	assert_non_null(s->having);
	assert_int_equal(s->norder, 3);
	assert_true(s->order[0]->desc);
	assert_int_equal(s->order[0]->nulls, ED_SQL_NULLS_LAST);
	assert_false(s->order[1]->desc);
	assert_int_equal(s->order[1]->nulls, ED_SQL_NULLS_FIRST);
	assert_int_equal(s->order[2]->nulls, ED_SQL_NULLS_DEFAULT);
	assert_int_equal(s->limit->u.i, 10);
	assert_int_equal(s->offset->u.i, 5);
	/* No FROM (driver probes), OFFSET before LIMIT, LIMIT ALL, parameters. */
	s = parse1("SELECT version()")->u.select;
	assert_int_equal(s->nfrom, 0);
	s = parse1("SELECT a FROM t OFFSET $2 LIMIT $1")->u.select;
	assert_int_equal(s->limit->u.param, 1);
	assert_int_equal(s->offset->u.param, 2);
	assert_null(parse1("SELECT a FROM t LIMIT ALL")->u.select->limit);
	/* Subquery in FROM. */
	s = parse1("SELECT x.a FROM (SELECT a FROM t) x")->u.select;
	assert_int_equal(s->from[0]->kind, ED_SQL_FROM_SUBQUERY);
	assert_string_equal(s->from[0]->alias, "x");
	assert_int_equal(s->from[0]->u.sub->ntargets, 1);
}

static void test_joins(void **state)
{
	(void)state;
	struct ed_sql_select *s =
		parse1("SELECT * FROM a JOIN b ON a.id = b.id LEFT OUTER JOIN c ON c.k = b.k, d CROSS JOIN e")
			->u.select;
	assert_int_equal(s->nfrom, 2);
	struct ed_sql_from *j = s->from[0];
	assert_int_equal(j->kind, ED_SQL_FROM_JOIN);
	assert_int_equal(j->u.join.kind, ED_SQL_JOIN_LEFT);
	assert_int_equal(j->u.join.l->kind, ED_SQL_FROM_JOIN);
	assert_int_equal(j->u.join.l->u.join.kind, ED_SQL_JOIN_INNER);
	assert_int_equal(j->u.join.r->kind, ED_SQL_FROM_TABLE);
	assert_int_equal(s->from[1]->u.join.kind, ED_SQL_JOIN_CROSS);
	assert_null(s->from[1]->u.join.on);
	assert_string_equal(
		canon("select * from a right join b on x full outer join c on y inner join d on z"),
		"SELECT * FROM a RIGHT JOIN b ON x FULL JOIN c ON y JOIN d ON z");
	/* A parenthesised join on the right keeps its parentheses. */
	assert_string_equal(canon("SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) ON a.y = b.y"),
			    "SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) ON a.y = b.y");
	/* Interval join condition. */
	j = parse1("SELECT * FROM p JOIN a ON p.id = a.seller AND a.ts BETWEEN p.ts AND "
		   "p.ts + INTERVAL '1' HOUR")
		    ->u.select->from[0];
	assert_int_equal(j->u.join.on->u.bin.op, ED_SQL_OP_AND);
	assert_int_equal(j->u.join.on->u.bin.r->kind, ED_SQL_E_BETWEEN);
	expect_error("SELECT * FROM a JOIN b USING (x)", "0A000", 24, "USING");
	expect_error("SELECT * FROM a NATURAL JOIN b", "0A000", 17, "NATURAL");
	expect_error("SELECT * FROM a JOIN b", "42601", 23, "expected ON");
}

/* ---- expressions ------------------------------------------------------------- */

static void test_precedence(void **state)
{
	(void)state;
	static const struct {
		const char *in, *tree;
	} cases[] = {
		{"a OR b AND NOT c = d + e * f", "a OR (b AND (NOT (c = (d + (e * f)))))"},
		{"a + b * c - d / e % f", "(a + (b * c)) - ((d / e) % f)"},
		{"a - b - c", "(a - b) - c"},
		{"a - (b - c)", "a - (b - c)"},
		{"-a * b", "(-a) * b"},
		{"-a::int", "-CAST(a AS INTEGER)"},
		{"NOT a = b", "NOT (a = b)"},
		{"NOT a AND b", "(NOT a) AND b"},
		{"a = b IS NULL", "(a = b) IS NULL"},
		{"NOT a IS NULL", "NOT (a IS NULL)"},
		{"a || b = c", "(a || b) = c"},
		{"a + b || c", "(a + b) || c"},
		{"a < b AND c >= d OR e <> f", "((a < b) AND (c >= d)) OR (e <> f)"},
		{"a BETWEEN 1 AND 2 AND b", "(a BETWEEN 1 AND 2) AND b"},
		{"a NOT BETWEEN b + 1 AND c * 2", "a NOT BETWEEN (b + 1) AND (c * 2)"},
		{"a IN (1, 2) = b", "(a IN (1, 2)) = b"},
		{"a LIKE b || 'x'", "a LIKE (b || 'x')"},
		{"x -> 'a' ->> 'b'", "(x -> 'a') ->> 'b'"},
		{"a IS DISTINCT FROM b + 1", "a IS DISTINCT FROM (b + 1)"},
		{"a = NOT b AND c", "(a = (NOT b)) AND c"},
		{"- - a", "-(-a)"},
		{"+a", "a"},
		{"a = b = c", "(a = b) = c"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = tree_of_expr(cases[i].in);
		if (strcmp(got, cases[i].tree) != 0)
			fail_msg("%s: got %s, want %s", cases[i].in, got, cases[i].tree);
	}
	/* Minimal parentheses in canonical form. */
	assert_string_equal(canon("SELECT (a + b) * c, a + (b * c), (NOT a) IS NULL, -(a + 1), -(5), -5"),
			    "SELECT (a + b) * c, a + b * c, (NOT a) IS NULL, -(a + 1), -(5), -5");
}

static void test_literals(void **state)
{
	(void)state;
	static const char lits[] = "SELECT 42, 9223372036854775807, 9223372036854775808, "
				   "-9223372036854775808, 1.50, 'it''s', TRUE, NULL, $3, E'\\n', -7";
	struct ed_sql_select *s = parse1(lits)->u.select;
	struct ed_sql_expr *e[11];
	for (int i = 0; i < 11; i++)
		e[i] = s->targets[i]->expr;
	assert_int_equal(e[0]->kind, ED_SQL_E_INT);
	assert_int_equal(e[0]->u.i, 42);
	assert_int_equal(e[1]->u.i, INT64_MAX);
	assert_int_equal(e[2]->kind, ED_SQL_E_NUMERIC);
	assert_string_equal(e[2]->u.text, "9223372036854775808");
	assert_int_equal(e[3]->kind, ED_SQL_E_INT);
	assert_true(e[3]->u.i == INT64_MIN);
	assert_int_equal(e[4]->kind, ED_SQL_E_NUMERIC);
	assert_string_equal(e[4]->u.text, "1.50");
	assert_string_equal(e[5]->u.str.s, "it's");
	assert_int_equal(e[6]->kind, ED_SQL_E_BOOL);
	assert_true(e[6]->u.b);
	assert_int_equal(e[7]->kind, ED_SQL_E_NULL);
	assert_int_equal(e[8]->u.param, 3);
	assert_string_equal(e[9]->u.str.s, "\n");
	assert_int_equal(e[10]->u.i, -7);
	assert_int_equal(e[10]->loc, (uint32_t)(strstr(lits, "-7") - lits));

	/* Intervals. */
	static const struct {
		const char *in;
		int32_t months, days;
		int64_t usec;
		const char *canon;
	} iv[] = {
		{"INTERVAL '10' SECOND", 0, 0, 10000000, "INTERVAL '10 seconds'"},
		{"INTERVAL '1.5' SECOND", 0, 0, 1500000, "INTERVAL '1.5 seconds'"},
		{"INTERVAL '4' MINUTE", 0, 0, 240000000, "INTERVAL '4 minutes'"},
		{"INTERVAL '-2' HOUR", 0, 0, -7200000000, "INTERVAL '-2 hours'"},
		{"INTERVAL '3' DAY", 0, 3, 0, "INTERVAL '3 days'"},
		{"INTERVAL '2' MONTH", 2, 0, 0, "INTERVAL '2 months'"},
		{"INTERVAL '1' YEAR", 12, 0, 0, "INTERVAL '1 year'"},
		{"INTERVAL '1 minute'", 0, 0, 60000000, "INTERVAL '1 minute'"},
		{"INTERVAL '1 day 2 hours 30 min'", 0, 1, 9000000000,
		 "INTERVAL '1 day 2 hours 30 minutes'"},
		{"INTERVAL '1 day 02:03:04.5'", 0, 1, 7384500000,
		 "INTERVAL '1 day 2 hours 3 minutes 4.5 seconds'"},
		{"INTERVAL '1.5 days'", 0, 1, 43200000000, "INTERVAL '1 day 12 hours'"},
		{"INTERVAL '1 week 250 ms'", 0, 7, 250000, "INTERVAL '7 days 0.25 seconds'"},
		{"INTERVAL '1 year 2 mons ago'", -14, 0, 0, "INTERVAL '-1 year -2 months'"},
		{"INTERVAL '90'", 0, 0, 90000000, "INTERVAL '1 minute 30 seconds'"},
		{"INTERVAL '0 seconds'", 0, 0, 0, "INTERVAL '0 seconds'"},
		{"INTERVAL '-0.000001 s'", 0, 0, -1, "INTERVAL '-0.000001 seconds'"},
	};
	for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT %s", iv[i].in);
		struct ed_sql_expr *x = parse1(sql)->u.select->targets[0]->expr;
		assert_int_equal(x->kind, ED_SQL_E_INTERVAL);
		if (x->u.iv.months != iv[i].months || x->u.iv.days != iv[i].days ||
		    x->u.iv.usec != iv[i].usec)
			fail_msg("%s: got %d months %d days %lld us", iv[i].in, x->u.iv.months,
				 x->u.iv.days, (long long)x->u.iv.usec);
		snprintf(sql, sizeof sql, "SELECT %s", iv[i].canon);
		assert_string_equal(canon(sql), sql);
		snprintf(sql, sizeof sql, "SELECT %s", iv[i].in);
		char want[128];
		snprintf(want, sizeof want, "SELECT %s", iv[i].canon);
		assert_string_equal(canon(sql), want);
	}

	/* Timestamps. */
	struct ed_sql_expr *x =
		parse1("SELECT TIMESTAMP '1970-01-01 00:00:01.5'")->u.select->targets[0]->expr;
	assert_int_equal(x->kind, ED_SQL_E_TIMESTAMP);
	assert_int_equal(x->u.ts.usec, 1500000);
	assert_false(x->u.ts.tz);
	x = parse1("SELECT TIMESTAMPTZ '1970-01-02T00:00:00+01:00'")->u.select->targets[0]->expr;
	assert_int_equal(x->u.ts.usec, 23LL * 3600 * 1000000);
	assert_true(x->u.ts.tz);
	assert_string_equal(canon("SELECT TIMESTAMP '2026-11-25T12:00:00.123Z', "
				  "TIMESTAMP WITH TIME ZONE '2026-11-25 12:00:00.1234567-02', "
				  "timestamp '2024-02-29', TIMESTAMP '0001-01-01 00:00:00'"),
			    "SELECT TIMESTAMP '2026-11-25 12:00:00.123', "
			    "TIMESTAMPTZ '2026-11-25 14:00:00.123457+00', "
			    "TIMESTAMP '2024-02-29 00:00:00', TIMESTAMP '0001-01-01 00:00:00'");
	/* timestamp/interval stay usable as column names. */
	x = parse1("SELECT timestamp, interval FROM t")->u.select->targets[1]->expr;
	assert_int_equal(x->kind, ED_SQL_E_COLUMN);
	assert_string_equal(x->u.col.parts[0], "interval");
}

static void test_expression_forms(void **state)
{
	(void)state;
	struct ed_sql_select *s =
		parse1("SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE b WHEN 1 THEN 'x' END, CAST(a AS BIGINT), "
		       "b::text, coalesce(a, 0), count(DISTINCT x), count(*), t.a.b, "
		       "sum(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT ROW), "
		       "EXTRACT(YEAR FROM ts), SUBSTRING(s FROM 2 FOR 3), POSITION('a' IN s), "
		       "TRIM(LEADING 'x' FROM s), pg_catalog.version(), a IN (1, 2), b NOT LIKE 'x%', "
		       "c ILIKE 'y', d IS NOT NULL, e IS TRUE")
			->u.select;
	struct ed_sql_expr *e = s->targets[0]->expr;
	assert_int_equal(e->kind, ED_SQL_E_CASE);
	assert_null(e->u.kase.arg);
	assert_int_equal(e->u.kase.nwhens, 1);
	assert_non_null(e->u.kase.else_);
	e = s->targets[1]->expr;
	assert_non_null(e->u.kase.arg);
	assert_null(e->u.kase.else_);
	e = s->targets[2]->expr;
	assert_int_equal(e->kind, ED_SQL_E_CAST);
	assert_int_equal(e->u.cast.type.id, ED_SQL_T_BIGINT);
	assert_int_equal(s->targets[3]->expr->u.cast.type.id, ED_SQL_T_VARCHAR);
	e = s->targets[4]->expr;
	assert_string_equal(e->u.func.name, "coalesce");
	assert_int_equal(e->u.func.nargs, 2);
	assert_true(s->targets[5]->expr->u.func.distinct);
	assert_true(s->targets[6]->expr->u.func.star);
	e = s->targets[7]->expr;
	assert_int_equal(e->kind, ED_SQL_E_COLUMN);
	assert_int_equal(e->u.col.n, 3);
	e = s->targets[8]->expr;
	assert_non_null(e->u.func.over);
	assert_int_equal(e->u.func.over->npartition, 1);
	assert_int_equal(e->u.func.over->norder, 1);
	assert_int_equal(e->u.func.over->mode, ED_SQL_FRAME_ROWS);
	assert_int_equal(e->u.func.over->start.kind, ED_SQL_BOUND_PRECEDING);
	assert_int_equal(e->u.func.over->start.offset->u.i, 3);
	assert_int_equal(e->u.func.over->end.kind, ED_SQL_BOUND_CURRENT_ROW);
	e = s->targets[9]->expr;
	assert_int_equal(e->u.func.syntax, ED_SQL_CALL_EXTRACT);
	assert_string_equal(e->u.func.args[0]->u.str.s, "year");
	e = s->targets[10]->expr;
	assert_string_equal(e->u.func.name, "substring");
	assert_int_equal(e->u.func.nargs, 3);
	e = s->targets[11]->expr;
	assert_string_equal(e->u.func.name, "strpos");
	assert_string_equal(e->u.func.args[1]->u.str.s, "a");
	e = s->targets[12]->expr;
	assert_string_equal(e->u.func.name, "ltrim");
	assert_string_equal(e->u.func.args[1]->u.str.s, "x");
	e = s->targets[13]->expr;
	assert_string_equal(e->u.func.schema, "pg_catalog");
	assert_int_equal(s->targets[14]->expr->kind, ED_SQL_E_IN);
	e = s->targets[15]->expr;
	assert_int_equal(e->kind, ED_SQL_E_LIKE);
	assert_true(e->u.like.negated);
	assert_false(e->u.like.ilike);
	assert_true(s->targets[16]->expr->u.like.ilike);
	e = s->targets[17]->expr;
	assert_int_equal(e->u.is.test, ED_SQL_IS_NULL);
	assert_true(e->u.is.negated);
	assert_int_equal(s->targets[18]->expr->u.is.test, ED_SQL_IS_TRUE);
	/* Identifiers: folding and quoting. */
	s = parse1("SELECT MyCol, \"MyCol\", \"select\" FROM \"T\"")->u.select;
	assert_string_equal(s->targets[0]->expr->u.col.parts[0], "mycol");
	assert_string_equal(s->targets[1]->expr->u.col.parts[0], "MyCol");
	assert_string_equal(s->targets[2]->expr->u.col.parts[0], "select");
	assert_string_equal(s->from[0]->u.table.parts[0], "T");
	assert_string_equal(canon("SELECT MyCol, \"MyCol\", \"select\", \"a\"\"b\" FROM \"T\""),
			    "SELECT mycol, \"MyCol\", \"select\", \"a\"\"b\" FROM \"T\"");
}

/* ---- errors ----------------------------------------------------------------- */

static void test_errors(void **state)
{
	(void)state;
	/* Positions are 1-based characters, as in a PostgreSQL ErrorResponse. */
	expect_error("SELECT a FROM WHERE x", "42601", 15, "syntax error at or near \"WHERE\"");
	expect_error("SELECT a,", "42601", 10, "syntax error at end of input");
	expect_error("SELECT (a + b", "42601", 14, "expected ')'");
	expect_error("SELEC a", "42601", 1, "expected a statement");
	expect_error("SELECT a FROM t WHERE", "42601", 22, "expected an expression");
	expect_error("SELECT 1 2", "42601", 10, "expected ';'");
	expect_error("SELECT CASE a END", "42601", 15, "expected WHEN");
	expect_error("SELECT 'é', FROM t", "42601", 13, "\"FROM\"");
	expect_error("CREATE SOURCE s (a INT,)", "42601", 24, "expected a column name");
	expect_error("CREATE SOURCE s (a INT, WATERMARK FOR a AS a, WATERMARK FOR a AS a)", "42601",
		     47, "multiple WATERMARK");
	expect_error("CREATE SINK s WITH (a = 'b')", "42601", 15, "expected FROM or AS");
	expect_error("DROP TABLE t", "42601", 6, "SOURCE, MATERIALIZED VIEW or SINK");
	expect_error("SELECT a FROM t; SELECT b FROM", "42601", 31, "end of input");
}

static void test_errors_more(void **state)
{
	(void)state;
	expect_error("SELECT 'open", "42601", 8, "unterminated quoted string");
	expect_error("SELECT INTERVAL '10 parsecs'", "22007", 17,
		     "invalid input syntax for type interval");
	expect_error("SELECT INTERVAL '99999999999999999 years'", "22015", 17, "out of range");
	expect_error("SELECT INTERVAL '1 day' SECOND", "0A000", 17, "bare number");
	expect_error("SELECT TIMESTAMP '2026-02-30 00:00:00'", "22008", 18, "out of range");
	expect_error("SELECT TIMESTAMP 'yesterday'", "22007", 18,
		     "invalid input syntax for type timestamp");
	expect_error("SELECT TIMESTAMP '2026-01-01 25:00'", "22008", 18, NULL);
	expect_error("SELECT $0", "42P02", 8, "no parameter $0");
	expect_error("SELECT a FROM t UNION SELECT b FROM u", "0A000", 17, "UNION");
	expect_error("WITH x AS (SELECT 1) SELECT * FROM x", "0A000", 1, "WITH");
	expect_error("SELECT * FROM t WHERE a IN (SELECT b FROM u)", "0A000", 29, "IN (subquery)");
	expect_error("SELECT (SELECT 1)", "0A000", 9, "subquery");
	expect_error("INSERT INTO t VALUES (1)", "0A000", 1, "INSERT");
	expect_error("CREATE TABLE t (a INT)", "0A000", 8, "CREATE SOURCE");
	expect_error("SELECT CAST(a AS blob)", "42704", 18, "type \"blob\"");
	expect_error("SELECT sum(x) OVER (ROWS BETWEEN CURRENT ROW AND 1 PRECEDING)", "42601", 21,
		     "frame");
	expect_error("SELECT 1\x80", "22021", 9, "UTF8");
	expect_error("SELECT 12abc", "42601", 8, "trailing junk");
	/* Text length limit. */
	size_t big = ED_SQL_MAX_TEXT + 1;
	char *text = malloc(big);
	assert_non_null(text);
	memset(text, ' ', big);
	struct ed_sql_stmt_list l;
	struct ed_sql_error err;
	assert_int_equal(ed_sql_parse(&arena, text, big, &l, &err), ED_ETOOBIG);
	assert_string_equal(err.sqlstate, "54000");
	free(text);
	/* Error helper for later layers. */
	ed_sql_error_set(&err, "SELECT é x", 11, 9, "42703", "column \"%s\" does not exist", "x");
	assert_string_equal(err.sqlstate, "42703");
	assert_int_equal(err.pos, 9);
	assert_string_equal(err.msg, "column \"x\" does not exist");
}

/* ---- limits ------------------------------------------------------------------ */

static char *repeat(const char *head, const char *unit, int n, const char *mid, const char *unit2,
		    const char *tail)
{
	size_t len = strlen(head) + (strlen(unit) + strlen(unit2)) * (size_t)n + strlen(mid) +
		     strlen(tail) + 1;
	char *s = malloc(len), *q = s;
	assert_non_null(s);
	q += sprintf(q, "%s", head);
	for (int i = 0; i < n; i++)
		q += sprintf(q, "%s", unit);
	q += sprintf(q, "%s", mid);
	for (int i = 0; i < n; i++)
		q += sprintf(q, "%s", unit2);
	sprintf(q, "%s", tail);
	return s;
}

static void expect_too_complex(char *text, bool too)
{
	struct ed_sql_stmt_list l;
	struct ed_sql_error err;
	int rc = ed_sql_parse(&arena, text, strlen(text), &l, &err);
	if (too) {
		if (rc != ED_ETOOBIG || strcmp(err.sqlstate, "54001") != 0)
			fail_msg("expected 54001, got rc %d %s: %s", rc, err.sqlstate, err.msg);
	} else if (rc != 0) {
		fail_msg("expected success, got %s: %s", err.sqlstate, err.msg);
	}
	free(text);
}

static void test_nesting_limits(void **state)
{
	(void)state;
	expect_too_complex(repeat("SELECT ", "(", 150, "1", ")", ""), false);
	expect_too_complex(repeat("SELECT ", "(", 5000, "1", ")", ""), true);
	expect_too_complex(repeat("SELECT 1", " + 1", 150, "", "", ""), false);
	expect_too_complex(repeat("SELECT 1", " + 1", 5000, "", "", ""), true);
	expect_too_complex(repeat("SELECT ", "NOT ", 5000, "a", "", ""), true);
	expect_too_complex(repeat("SELECT ", "- ", 5000, "a", "", ""), true);
	expect_too_complex(repeat("SELECT ", "f(", 5000, "1", ")", ""), true);
	expect_too_complex(repeat("SELECT ", "CASE WHEN ", 5000, "1", " THEN 1 END", ""), true);
	expect_too_complex(repeat("SELECT * FROM ", "(SELECT * FROM ", 60, "t", ") x", ""), false);
	expect_too_complex(repeat("SELECT * FROM ", "(SELECT * FROM ", 5000, "t", ") x", ""), true);
	expect_too_complex(repeat("SELECT * FROM t", " JOIN u ON 1", 5000, "", "", ""), true);
	expect_too_complex(repeat("", "EXPLAIN ", 5000, "SELECT 1", "", ""), true);
	expect_too_complex(repeat("SELECT a", " IS NULL", 5000, "", "", ""), true);
	expect_too_complex(repeat("SELECT a", "::int", 5000, "", "", ""), true);
	/* The limit reports the place where it was crossed. */
	struct ed_sql_stmt_list l;
	struct ed_sql_error err;
	char *text = repeat("SELECT ", "(", 300, "1", ")", "");
	assert_int_equal(ed_sql_parse(&arena, text, strlen(text), &l, &err), ED_ETOOBIG);
	assert_true(err.pos > 150 && err.pos < 250);
	free(text);
}

/* Memory stays proportional to the text: many small literals in a large
 * statement must not each reserve the rest of the text. */
static void test_memory_bound(void **state)
{
	(void)state;
	char *text = repeat("SELECT 'x'", ", 'a', \"b\", E'c'", 40000, "", "", "");
	struct ed_arena a;
	struct ed_sql_stmt_list l;
	struct ed_sql_error err;
	size_t len = strlen(text);
	ed_arena_init(&a, 0);
	assert_int_equal(ed_sql_parse(&a, text, len, &l, &err), 0);
	assert_int_equal(l.v[0]->u.select->ntargets, 120001);
	assert_true(a.total < 64 * len);
	ed_arena_fini(&a);
	free(text);
}

static void test_arena_failure(void **state)
{
	(void)state;
	const char *sql =
		"CREATE MATERIALIZED VIEW v AS SELECT a, count(*) AS n, CASE WHEN b THEN 'x' END "
		"FROM TUMBLE(s, ts, INTERVAL '1' MINUTE) JOIN u ON u.k = a WHERE c IN (1, 2, 3) "
		"GROUP BY a ORDER BY n DESC LIMIT 5; SET x = 'y'";
	bool done = false;
	for (uint64_t nth = 1; !done && nth < 10000; nth++) {
		struct ed_arena small;
		struct ed_sql_stmt_list l;
		struct ed_sql_error err;
		ed_arena_init(&small, 64);
		ed_mem_fail_at(nth, 0);
		int rc = ed_sql_parse(&small, sql, strlen(sql), &l, &err);
		bool fired = ed_mem_fail_fired();
		ed_mem_fail_at(0, 0);
		if (fired) {
			assert_int_equal(rc, ED_ENOMEM);
			assert_string_equal(err.sqlstate, "53200");
			assert_int_equal(l.n, 0);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(l.n, 2);
			done = true;
		}
		ed_arena_fini(&small);
	}
	assert_true(done);
}

/* ---- round trip -------------------------------------------------------------- */

static const char *const round_trip_cases[] = {
	"SELECT 1",
	"SELECT a, b, c FROM t",
	"SELECT DISTINCT a FROM t",
	"SELECT * FROM t WHERE a = 1 AND b <> 2 OR c != 3",
	"SELECT a AS x, b y FROM t AS u",
	"SELECT t.*, u.a FROM t, u",
	"SELECT a FROM t ORDER BY a DESC NULLS LAST, b NULLS FIRST LIMIT 10 OFFSET 2",
	"SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1",
	"SELECT count(DISTINCT a), sum(b), avg(c), min(d), max(e), stddev(f), variance(g) FROM t",
	"SELECT first_value(a), last_value(b) FROM t GROUP BY c",
	"SELECT a + b * c - d / e % f FROM t",
	"SELECT (a + b) * (c - d) FROM t",
	"SELECT -a, - -a, -(-a), -(5), -5, - 5, a - -5, a * -b FROM t",
	"SELECT NOT a, NOT NOT a, NOT (a AND b), (NOT a) AND b FROM t",
	"SELECT a OR b AND NOT c = d + e * f FROM t",
	"SELECT a IS NULL, a IS NOT NULL, a IS TRUE, a IS NOT FALSE, a IS UNKNOWN FROM t",
	"SELECT a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b + 1 FROM t",
	"SELECT (a IS NULL) = b, a = (b IS NULL), (a = b) IS NULL FROM t",
	"SELECT a IN (1, 2, 3), a NOT IN ('x', 'y') FROM t",
	"SELECT a BETWEEN 1 AND 10, a NOT BETWEEN b AND c + 1 FROM t",
	"SELECT a BETWEEN (b AND c) AND d FROM t",
	"SELECT a LIKE 'x%', a NOT LIKE '_y', a ILIKE 'z', a NOT ILIKE 'w' ESCAPE '!' FROM t",
	"SELECT a || b || 'c', a -> 'k', a ->> 'k', a -> 'x' -> 'y' ->> 'z' FROM t",
	"SELECT CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'zero' END FROM t",
	"SELECT CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' END FROM t",
	"SELECT CASE WHEN a THEN CASE WHEN b THEN 1 END END FROM t",
	"SELECT CAST(a AS BIGINT), a::text, a::numeric(10,2)::varchar(5) FROM t",
	"SELECT CAST(a AS timestamp with time zone), CAST(b AS double precision) FROM t",
	"SELECT coalesce(a, b, 0), nullif(a, 0), greatest(a, b) FROM t",
	"SELECT lower(s), upper(s), length(s), concat(a, b), replace(s, 'a', 'b'), split_part(s, ',', 2) FROM t",
	"SELECT abs(x), round(x, 2), floor(x), ceil(x), mod(a, b), power(x, 2), sqrt(x), ln(x), log(x), exp(x) FROM t",
	"SELECT now(), date_trunc('hour', ts), to_timestamp(ms / 1000) FROM t",
	"SELECT EXTRACT(YEAR FROM ts), EXTRACT('epoch' FROM ts), extract(\"Month\" from ts) FROM t",
	"SELECT SUBSTRING(s FROM 2 FOR 3), SUBSTRING(s FROM 2), SUBSTRING(s FOR 2), substring(s, 1, 2) FROM t",
	"SELECT POSITION('a' IN s), POSITION(x || y IN s || t) FROM t",
	"SELECT TRIM(s), TRIM(BOTH FROM s), TRIM(LEADING 'x' FROM s), TRIM(TRAILING FROM s), trim('x' from s) FROM t",
	"SELECT \"substring\"(DISTINCT s), \"extract\"(a, b), \"trim\"(s) FROM t",
	"SELECT \"left\"(s, 2), \"right\"(s, 1) FROM t",
	"SELECT count(*) OVER (), sum(a) OVER (PARTITION BY b), rank() OVER (ORDER BY c DESC) FROM t",
	"SELECT sum(a) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t",
	"SELECT avg(a) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW) FROM t",
	"SELECT sum(a) OVER (ORDER BY ts ROWS 3 PRECEDING), sum(b) OVER (ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) FROM t",
	"SELECT sum(a) OVER (ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) FROM t",
	"SELECT 9223372036854775807, 9223372036854775808, -9223372036854775808, -9223372036854775809 FROM t",
	"SELECT 1.5, .5, 5., 1e10, 1.5E-3, 0.000 FROM t",
	"SELECT 'a''b', '', E'tab\\there', e'\\x41\\u00e9', 'back\\slash' FROM t",
	"SELECT TRUE, FALSE, NULL, $1, $2::int FROM t",
	"SELECT INTERVAL '10' SECOND, INTERVAL '1 minute', INTERVAL '1 day 02:03:04', INTERVAL '-3' HOUR FROM t",
	"SELECT INTERVAL '1 year 2 months 3 days', INTERVAL '1.25 hours', INTERVAL '1 mon ago' FROM t",
	"SELECT TIMESTAMP '2026-11-25 12:00:00.123', TIMESTAMPTZ '2026-11-25T12:00:00Z', TIMESTAMP WITH TIME ZONE '2026-01-01 00:00+05' FROM t",
	"SELECT timestamp, interval, source, watermark, \"timestamp\" FROM t",
	"SELECT \"Mixed\", \"sp ace\", \"q\"\"uote\", \"from\", \"1abc\", \"é\" FROM \"My Table\"",
	"SELECT a.b.c.d, t.\"select\", t.from FROM t",
	"SELECT * FROM a JOIN b ON a.id = b.id",
	"SELECT * FROM a INNER JOIN b ON a.id = b.id LEFT JOIN c ON c.x = b.x",
	"SELECT * FROM a LEFT OUTER JOIN b ON TRUE RIGHT OUTER JOIN c ON TRUE FULL OUTER JOIN d ON TRUE",
	"SELECT * FROM a CROSS JOIN b, c",
	"SELECT * FROM a JOIN (b JOIN c ON b.k = c.k) ON a.k = b.k",
	"SELECT * FROM (a JOIN b ON x) JOIN c ON y",
	"SELECT * FROM p JOIN a ON p.id = a.seller AND a.ts BETWEEN p.ts AND p.ts + INTERVAL '1' HOUR",
	"SELECT * FROM (SELECT a FROM t) AS x",
	"SELECT * FROM (SELECT a FROM (SELECT a FROM t) y) x",
	"SELECT * FROM TUMBLE(bids, ts, INTERVAL '10' SECOND)",
	"SELECT * FROM TUMBLE(bids, ts, INTERVAL '10' SECOND, INTERVAL '2' SECOND) w",
	"SELECT * FROM HOP(bids, ts, INTERVAL '2' SECOND, INTERVAL '10' SECOND) AS w",
	"SELECT * FROM SESSION(bids, ts, INTERVAL '30' SECOND)",
	"SELECT * FROM generate_series(1, 10) g",
	"SELECT * FROM pg_catalog.pg_type",
	"SELECT version()",
	"SELECT pg_catalog.current_setting('x')",
	"SELECT a FROM t WHERE k = $1 LIMIT $2 OFFSET $3",
	"CREATE SOURCE s (a INT)",
	"CREATE SOURCE IF NOT EXISTS s (a INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '4' SECOND) WITH (topic = 'x', format = 'json')",
	"CREATE SOURCE s (WATERMARK FOR ts AS ts) WITH (topic = 'x')",
	"CREATE SOURCE s WITH (topic = 'x', 'Weird Key' = 1, scan.startup.mode = 'latest', n = -5, b = TRUE, f = json, g = \"on\")",
	"CREATE SOURCE \"S\" (\"A\" TEXT, watermark INT, \"select\" BOOLEAN)",
	"CREATE MATERIALIZED VIEW v AS SELECT a FROM s",
	"CREATE MATERIALIZED VIEW IF NOT EXISTS v AS SELECT a, count(*) FROM TUMBLE(s, ts, INTERVAL '1' MINUTE) GROUP BY a, window_start",
	"CREATE SINK k FROM v WITH (topic = 'out', format = 'json')",
	"CREATE SINK IF NOT EXISTS k AS SELECT * FROM v WHERE a > 1 WITH (topic = 'out')",
	"CREATE SINK k AS SELECT a FROM v",
	"DROP SOURCE s",
	"DROP SOURCE IF EXISTS s",
	"DROP MATERIALIZED VIEW IF EXISTS v",
	"DROP SINK k",
	"SHOW SOURCES",
	"SHOW MATERIALIZED VIEWS",
	"SHOW SINKS",
	"SHOW TOPICS",
	"SHOW server_version",
	"SHOW ALL",
	"SHOW \"sources\"",
	"SHOW TIME ZONE",
	"SHOW TRANSACTION ISOLATION LEVEL",
	"SHOW a.b",
	"DESCRIBE s",
	"DESCRIBE \"My View\"",
	"EXPLAIN SELECT a FROM t",
	"EXPLAIN CREATE MATERIALIZED VIEW v AS SELECT 1",
	"EXPLAIN EXPLAIN SELECT 1",
	"SET x = 1",
	"SET x TO 'y'",
	"SET SESSION x = y",
	"SET LOCAL x = -1.5",
	"SET search_path = public, \"$user\"",
	"SET TIME ZONE 'UTC'",
	"SET TIME ZONE LOCAL",
	"SET x = DEFAULT",
	"SET x = on",
	"SET session = 1",
	"SET \"transaction\" = 1",
	"SET a.b = 'c'",
	"BEGIN",
	"BEGIN WORK",
	"START TRANSACTION",
	"COMMIT",
	"END TRANSACTION",
	"ROLLBACK",
	"ABORT",
	"SUBSCRIBE v",
	"SUBSCRIBE TO v",
};

static void test_round_trip(void **state)
{
	(void)state;
	char first[8192], tree[8192];
	size_t n = sizeof round_trip_cases / sizeof round_trip_cases[0];
	assert_true(n >= 100);
	for (size_t i = 0; i < n; i++) {
		struct ed_sql_stmt *st = parse1(round_trip_cases[i]);
		snprintf(first, sizeof first, "%s", print_stmt(st, 0));
		snprintf(tree, sizeof tree, "%s", print_stmt(st, ED_SQL_PRINT_PARENS));
		struct ed_sql_stmt *again = parse1(first);
		const char *second = print_stmt(again, 0);
		if (strcmp(first, second) != 0)
			fail_msg("not a fixed point: %s\n  first:  %s\n  second: %s",
				 round_trip_cases[i], first, second);
		second = print_stmt(again, ED_SQL_PRINT_PARENS);
		if (strcmp(tree, second) != 0)
			fail_msg("tree changed: %s\n  first:  %s\n  second: %s",
				 round_trip_cases[i], tree, second);
	}
	/* All of them at once, as one text. */
	struct ed_buf all;
	ed_buf_init(&all);
	for (size_t i = 0; i < n; i++)
		ed_buf_printf(&all, "%s;\n", round_trip_cases[i]);
	struct ed_sql_stmt_list l;
	struct ed_sql_error err;
	assert_int_equal(ed_sql_parse(&arena, (const char *)all.data, all.len, &l, &err), 0);
	assert_int_equal(l.n, n);
	ed_buf_fini(&all);
}

static void test_canonical_forms(void **state)
{
	(void)state;
	assert_string_equal(canon("select a::int8 from t where b != 1"),
			    "SELECT CAST(a AS BIGINT) FROM t WHERE b <> 1");
	assert_string_equal(canon("SET x TO 'y'"), "SET x = 'y'");
	assert_string_equal(canon("SET x = on"), "SET x = \"on\"");
	assert_string_equal(canon("SET TIME ZONE 'UTC'"), "SET timezone = 'UTC'");
	assert_string_equal(canon("SELECT * FROM t x"), "SELECT * FROM t AS x");
	assert_string_equal(canon("select position('a' in s), trim(both 'x' from s) from t"),
			    "SELECT strpos(s, 'a'), btrim(s, 'x') FROM t");
	assert_string_equal(canon("SELECT \"trim\"(s)"), "SELECT \"trim\"(s)");
	assert_string_equal(canon("SELECT extract(\"Month\" from ts)"),
			    "SELECT EXTRACT('Month' FROM ts)");
	assert_string_equal(canon("SELECT sum(a) OVER (ROWS 3 PRECEDING) FROM t"),
			    "SELECT sum(a) OVER (ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) FROM t");
	assert_string_equal(canon("SHOW \"sources\""), "SHOW \"sources\"");
	assert_string_equal(canon("SET \"Weird.Name\" = 1"), "SET \"Weird.Name\" = 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_source),    cmocka_unit_test(test_types),
		cmocka_unit_test(test_views_sinks),      cmocka_unit_test(test_small_statements),
		cmocka_unit_test(test_select_clauses),   cmocka_unit_test(test_joins),
		cmocka_unit_test(test_precedence),       cmocka_unit_test(test_literals),
		cmocka_unit_test(test_expression_forms), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_more),      cmocka_unit_test(test_nesting_limits),
		cmocka_unit_test(test_memory_bound),     cmocka_unit_test(test_arena_failure),
		cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_canonical_forms),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
