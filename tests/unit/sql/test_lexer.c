/* Unit tests for the SQL lexer (src/sql/lexer.c): keyword table, identifier
 * folding and quoting, string literals and escapes, numbers, parameters,
 * operators, comments, UTF-8 positions, and every lexical error with its
 * SQLSTATE and position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"
#include "base/err.h"
#include "sql/sql.h"
#include "sql/sql_int.h"

struct lexed {
	struct ed_arena arena;
	struct ed_sql_parser p;
	struct ed_sql_error err;
	struct ed_sql_token tok[64];
	int n;
};

/* Lexes all of text into lx->tok (EOF excluded). */
static void lex_all(struct lexed *lx, const char *text)
{
	memset(lx, 0, sizeof *lx);
	ed_arena_init(&lx->arena, 1024);
	lx->p.text = text;
	lx->p.len = (uint32_t)strlen(text);
	lx->p.arena = &lx->arena;
	lx->p.err = &lx->err;
	for (;;) {
		struct ed_sql_token t;
		ed_sql_lex(&lx->p, &t);
		if (t.type == ED_TOK_EOF || lx->n == 64)
			break;
		lx->tok[lx->n++] = t;
	}
}

static void lex_done(struct lexed *lx)
{
	ed_arena_fini(&lx->arena);
}

static void test_keyword_table(void **state)
{
	(void)state;
	assert_true(ed_sql_kw_table_sorted());
	assert_int_equal(ed_sql_kw_lookup("select", 6), ED_KW_SELECT);
	assert_int_equal(ed_sql_kw_lookup("abort", 5), ED_KW_ABORT);
	assert_int_equal(ed_sql_kw_lookup("zone", 4), ED_KW_ZONE);
	assert_int_equal(ed_sql_kw_lookup("int8", 4), ED_KW_INT8);
	assert_int_equal(ed_sql_kw_lookup("selectx", 7), ED_KW_NONE);
	assert_int_equal(ed_sql_kw_lookup("sel", 3), ED_KW_NONE);
	assert_int_equal(ed_sql_kw_lookup("", 0), ED_KW_NONE);
	assert_int_equal(ed_sql_kw_category(ED_KW_FROM), ED_KWC_RESERVED);
	assert_int_equal(ed_sql_kw_category(ED_KW_SOURCE), ED_KWC_UNRESERVED);
	assert_int_equal(ed_sql_kw_category(ED_KW_TRIM), ED_KWC_FUNC);
	assert_string_equal(ed_sql_kw_name(ED_KW_MATERIALIZED), "MATERIALIZED");
	/* Every keyword finds itself. */
	for (int k = 1; k < ED_KW_COUNT_; k++) {
		char low[32];
		const char *n = ed_sql_kw_name((enum ed_sql_kw)k);
		size_t len = strlen(n);
		for (size_t i = 0; i <= len; i++)
			low[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
		assert_int_equal(ed_sql_kw_lookup(low, len), k);
	}
}

static void test_identifiers(void **state)
{
	(void)state;
	struct lexed lx;
	lex_all(&lx, "SeLeCt MyCol \"Mixed Case\" \"a\"\"b\" _x1$ t.col caf\xc3\xa9");
	assert_int_equal(lx.err.sqlstate[0], 0);
	assert_int_equal(lx.n, 9);
	assert_int_equal(lx.tok[0].type, ED_TOK_IDENT);
	assert_int_equal(lx.tok[0].kw, ED_KW_SELECT);
	assert_string_equal(lx.tok[0].str, "select");
	assert_string_equal(lx.tok[1].str, "mycol");
	assert_int_equal(lx.tok[1].kw, ED_KW_NONE);
	assert_true(lx.tok[2].quoted);
	assert_string_equal(lx.tok[2].str, "Mixed Case");
	assert_int_equal(lx.tok[2].kw, ED_KW_NONE);
	assert_string_equal(lx.tok[3].str, "a\"b");
	assert_string_equal(lx.tok[4].str, "_x1$");
	assert_string_equal(lx.tok[5].str, "t");
	assert_int_equal(lx.tok[6].type, ED_TOK_DOT);
	assert_string_equal(lx.tok[7].str, "col");
	assert_string_equal(lx.tok[8].str, "caf\xc3\xa9");
	/* A quoted keyword is a plain identifier. */
	lex_done(&lx);
	lex_all(&lx, "\"select\" \"FROM\"");
	assert_int_equal(lx.tok[0].kw, ED_KW_NONE);
	assert_string_equal(lx.tok[1].str, "FROM");
	lex_done(&lx);
}

static void test_strings(void **state)
{
	(void)state;
	struct lexed lx;
	lex_all(&lx,
		"'abc' 'it''s' '' E'a\\nb\\t\\\\\\'' e'\\x41\\101\\u00e9\\U0001F600' 'back\\slash'");
	assert_int_equal(lx.err.sqlstate[0], 0);
	assert_int_equal(lx.n, 6);
	assert_int_equal(lx.tok[0].type, ED_TOK_STRING);
	assert_string_equal(lx.tok[0].str, "abc");
	assert_string_equal(lx.tok[1].str, "it's");
	assert_int_equal(lx.tok[2].slen, 0);
	assert_string_equal(lx.tok[3].str, "a\nb\t\\'");
	assert_string_equal(lx.tok[4].str, "AA\xc3\xa9\xf0\x9f\x98\x80");
	/* Standard strings keep backslashes. */
	assert_string_equal(lx.tok[5].str, "back\\slash");
	/* Token extents cover the source text. */
	assert_int_equal(lx.tok[0].loc, 0);
	assert_int_equal(lx.tok[0].len, 5);
	assert_int_equal(lx.tok[1].loc, 6);
	assert_int_equal(lx.tok[1].len, 7);
	lex_done(&lx);
}

static void test_numbers_params_ops(void **state)
{
	(void)state;
	struct lexed lx;
	lex_all(&lx,
		"12 1.5 .5 5. 1e10 1.5E-3 $1 $65535 ( ) , ; . + - * / % = <> != < <= > >= || :: -> ->>");
	assert_int_equal(lx.err.sqlstate[0], 0);
	enum ed_sql_tok_type want[] = {
		ED_TOK_INTEGER, ED_TOK_DECIMAL, ED_TOK_DECIMAL, ED_TOK_DECIMAL, ED_TOK_DECIMAL,
		ED_TOK_DECIMAL, ED_TOK_PARAM,   ED_TOK_PARAM,   ED_TOK_LPAREN,  ED_TOK_RPAREN,
		ED_TOK_COMMA,   ED_TOK_SEMI,    ED_TOK_DOT,     ED_TOK_PLUS,    ED_TOK_MINUS,
		ED_TOK_STAR,    ED_TOK_SLASH,   ED_TOK_PERCENT, ED_TOK_EQ,      ED_TOK_NE,
		ED_TOK_NE,      ED_TOK_LT,      ED_TOK_LE,      ED_TOK_GT,      ED_TOK_GE,
		ED_TOK_CONCAT,  ED_TOK_CAST,    ED_TOK_ARROW,   ED_TOK_ARROW2,
	};
	assert_int_equal(lx.n, (int)(sizeof want / sizeof want[0]));
	for (int i = 0; i < lx.n; i++)
		assert_int_equal(lx.tok[i].type, want[i]);
	assert_int_equal(lx.tok[6].param, 1);
	assert_int_equal(lx.tok[7].param, 65535);
	assert_int_equal(lx.tok[5].len, 6);
	lex_done(&lx);
	/* "a<-1" is a < -1, and 1..2 is not one number. */
	lex_all(&lx, "a<-1");
	assert_int_equal(lx.n, 4);
	assert_int_equal(lx.tok[1].type, ED_TOK_LT);
	assert_int_equal(lx.tok[2].type, ED_TOK_MINUS);
	lex_done(&lx);
}

static void test_comments(void **state)
{
	(void)state;
	struct lexed lx;
	lex_all(&lx, "a -- line comment\n b /* block /* nested */ still */ c--end");
	assert_int_equal(lx.err.sqlstate[0], 0);
	assert_int_equal(lx.n, 3);
	assert_string_equal(lx.tok[1].str, "b");
	assert_string_equal(lx.tok[2].str, "c");
	lex_done(&lx);
	lex_all(&lx, "a - - b");
	assert_int_equal(lx.n, 4);
	lex_done(&lx);
}

struct lex_error_case {
	const char *text;
	const char *sqlstate;
	uint32_t pos;
};

static void test_errors(void **state)
{
	(void)state;
	static const struct lex_error_case cases[] = {
		{"a 'abc", "42601", 3},         /* unterminated string */
		{"a \"abc", "42601", 3},        /* unterminated quoted identifier */
		{"a /* x /* y */", "42601", 3}, /* unterminated (nested) comment */
		{"a \"\"", "42601", 3},         /* zero-length identifier */
		{"a # b", "42601", 3},          /* stray character */
		{"x 12abc", "42601", 3},        /* trailing junk after number */
		{"x $0", "42P02", 3},           /* no parameter $0 */
		{"x $70000", "42P02", 3},       {"x $", "42601", 3},
		{"x E'\\u12'", "22025", 5},   /* short Unicode escape */
		{"x E'\\uD800'", "22025", 5}, /* surrogate */
		{"x E'\\x00'", "22025", 5},   /* NUL byte */
		{"x E'\\xff'", "22021", 3},   /* not UTF-8 */
		{"\xc3\xa9 ! y", "42601", 3}, /* positions count characters, not bytes */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct lexed lx;
		lex_all(&lx, cases[i].text);
		if (strcmp(lx.err.sqlstate, cases[i].sqlstate) != 0 || lx.err.pos != cases[i].pos)
			fail_msg("case %zu (%s): got %s at %u: %s", i, cases[i].text,
				 lx.err.sqlstate, lx.err.pos, lx.err.msg);
		assert_int_equal(lx.p.rc, ED_EINVAL);
		lex_done(&lx);
	}
	/* Identifier length limit. */
	char longname[ED_SQL_MAX_IDENT + 8];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	struct lexed lx;
	lex_all(&lx, longname);
	assert_string_equal(lx.err.sqlstate, "42622");
	lex_done(&lx);
	longname[ED_SQL_MAX_IDENT] = 0;
	lex_all(&lx, longname);
	assert_int_equal(lx.err.sqlstate[0], 0);
	assert_int_equal(lx.n, 1);
	lex_done(&lx);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_int_equal(ed_sql_utf8_check("abc", 3), UINT32_MAX);
	assert_int_equal(ed_sql_utf8_check("a\xc3\xa9", 3), UINT32_MAX);
	assert_int_equal(ed_sql_utf8_check("a\xc3", 2), 1);            /* truncated */
	assert_int_equal(ed_sql_utf8_check("a\xc0\x80", 3), 1);        /* overlong */
	assert_int_equal(ed_sql_utf8_check("ab\xed\xa0\x80", 5), 2);   /* surrogate */
	assert_int_equal(ed_sql_utf8_check("a\0b", 3), 1);             /* NUL */
	assert_int_equal(ed_sql_utf8_check("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	assert_int_equal(ed_sql_char_pos("a\xc3\xa9z", 4, 3), 3);
	assert_int_equal(ed_sql_char_pos("abc", 3, 0), 1);
	assert_int_equal(ed_sql_char_pos("abc", 3, 3), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyword_table), cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_strings),       cmocka_unit_test(test_numbers_params_ops),
		cmocka_unit_test(test_comments),      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
