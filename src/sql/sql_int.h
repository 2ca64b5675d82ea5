/* Internals of the SQL front end shared by lexer.c, parser.c, literal.c and
 * print.c: the keyword table, tokens, the lexer's and parser's state, and the
 * literal converters. Not for use outside src/sql (tests excepted). */
#ifndef ED_SQL_INT_H
#define ED_SQL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "sql/sql.h"

/* Keywords, in strict alphabetical order (the lexer binary-searches them).
 * R: reserved, never an identifier unless quoted. F: an identifier except
 * right before '(' where it starts a special call syntax. U: unreserved, an
 * identifier wherever the grammar is not looking for this very word. */
/* The keyword list is laid out by hand. */
/* clang-format off */
#define ED_SQL_KEYWORDS(X) \
	X(ABORT, U) X(ALL, R) X(AND, R) X(AS, R) X(ASC, R) X(BEGIN, U) \
	X(BETWEEN, R) X(BIGINT, U) X(BOOL, U) X(BOOLEAN, U) X(BOTH, R) X(BY, U) \
	X(CASE, R) X(CAST, R) X(CHARACTER, U) X(COMMIT, U) X(CREATE, U) \
	X(CROSS, R) X(CURRENT, U) X(DAY, U) X(DEC, U) X(DECIMAL, U) \
	X(DEFAULT, R) X(DELETE, U) X(DESC, R) X(DESCRIBE, U) X(DISTINCT, R) \
	X(DOUBLE, U) X(DROP, U) X(ELSE, R) X(END, R) X(ESCAPE, U) X(EXCEPT, R) \
	X(EXISTS, U) X(EXPLAIN, U) X(EXTRACT, F) X(FALSE, R) X(FIRST, U) \
	X(FLOAT, U) X(FLOAT4, U) X(FLOAT8, U) X(FOLLOWING, U) X(FOR, R) \
	X(FROM, R) X(FULL, R) X(GROUP, R) X(HAVING, R) X(HOUR, U) X(IF, U) \
	X(ILIKE, R) X(IN, R) X(INNER, R) X(INSERT, U) X(INT, U) X(INT2, U) \
	X(INT4, U) X(INT8, U) X(INTEGER, U) X(INTERSECT, R) X(INTERVAL, U) \
	X(IS, R) X(ISOLATION, U) X(JOIN, R) X(LAST, U) X(LEADING, R) X(LEFT, R) \
	X(LEVEL, U) X(LIKE, R) X(LIMIT, R) X(LOCAL, U) X(MATERIALIZED, U) \
	X(MINUTE, U) X(MONTH, U) X(NATURAL, R) X(NOT, R) X(NULL, R) X(NULLS, U) \
	X(NUMERIC, U) X(OFFSET, R) X(ON, R) X(OR, R) X(ORDER, R) X(OUTER, R) \
	X(OVER, R) X(PARTITION, U) X(POSITION, F) X(PRECEDING, U) \
	X(PRECISION, U) X(RANGE, U) X(REAL, U) X(RIGHT, R) X(ROLLBACK, U) \
	X(ROW, U) X(ROWS, U) X(SECOND, U) X(SELECT, R) X(SESSION, U) X(SET, U) \
	X(SHOW, U) X(SINK, U) X(SINKS, U) X(SMALLINT, U) X(SOURCE, U) \
	X(SOURCES, U) X(START, U) X(SUBSCRIBE, U) X(SUBSTRING, F) X(TABLE, U) \
	X(TEXT, U) X(THEN, R) X(TIME, U) X(TIMESTAMP, U) X(TIMESTAMPTZ, U) \
	X(TO, R) X(TOPICS, U) X(TRAILING, R) X(TRANSACTION, U) X(TRIM, F) \
	X(TRUE, R) X(UNBOUNDED, U) X(UNION, R) X(UNKNOWN, U) X(UPDATE, U) \
	X(USING, R) X(VARCHAR, U) X(VARYING, U) X(VIEW, U) X(VIEWS, U) \
	X(WATERMARK, U) X(WHEN, R) X(WHERE, R) X(WINDOW, R) X(WITH, R) \
	X(WITHOUT, U) X(WORK, U) X(YEAR, U) X(ZONE, U)
/* clang-format on */

enum ed_sql_kw {
	ED_KW_NONE = 0,
#define ED_SQL_KW_ENUM(name, cat) ED_KW_##name,
	ED_SQL_KEYWORDS(ED_SQL_KW_ENUM)
#undef ED_SQL_KW_ENUM
		ED_KW_COUNT_
};

enum ed_sql_kw_cat { ED_KWC_UNRESERVED = 0, ED_KWC_RESERVED, ED_KWC_FUNC };

/* Keyword for a lower-case word (ED_KW_NONE if it is none). */
enum ed_sql_kw ed_sql_kw_lookup(const char *word, size_t len);
enum ed_sql_kw_cat ed_sql_kw_category(enum ed_sql_kw kw);
/* Upper-case spelling, for messages and printing. */
const char *ed_sql_kw_name(enum ed_sql_kw kw);
/* For tests: true if the keyword table is strictly sorted. */
bool ed_sql_kw_table_sorted(void);

enum ed_sql_tok_type {
	ED_TOK_EOF = 0,
	ED_TOK_IDENT,   /* word or "quoted identifier": str; kw set if unquoted keyword */
	ED_TOK_STRING,  /* 'literal' or E'literal': str/slen decoded */
	ED_TOK_INTEGER, /* digits only: text at loc/len */
	ED_TOK_DECIMAL, /* 1.5, .5, 1e10: text at loc/len */
	ED_TOK_PARAM,   /* $n: param */
	ED_TOK_LPAREN,
	ED_TOK_RPAREN,
	ED_TOK_COMMA,
	ED_TOK_SEMI,
	ED_TOK_DOT,
	ED_TOK_PLUS,
	ED_TOK_MINUS,
	ED_TOK_STAR,
	ED_TOK_SLASH,
	ED_TOK_PERCENT,
	ED_TOK_EQ,
	ED_TOK_NE,
	ED_TOK_LT,
	ED_TOK_LE,
	ED_TOK_GT,
	ED_TOK_GE,
	ED_TOK_CONCAT,
	ED_TOK_CAST,
	ED_TOK_ARROW,
	ED_TOK_ARROW2,
};

struct ed_sql_token {
	enum ed_sql_tok_type type;
	enum ed_sql_kw kw; /* unquoted word that is a keyword */
	bool quoted;       /* "quoted identifier" */
	uint32_t loc;      /* byte offset of the first character */
	uint32_t len;      /* bytes of source text */
	char *str;         /* IDENT (folded) and STRING (decoded), arena */
	size_t slen;
	uint32_t param;
};

/* Lexer and parser state for one ed_sql_parse call. The lexer keeps a ring of
 * lookahead tokens; the first error (sticky) stops everything. */
#define ED_SQL_LOOKAHEAD 4
struct ed_sql_parser {
	const char *text;
	uint32_t len;
	uint32_t pos; /* lexer position */
	struct ed_arena *arena;
	struct ed_sql_error *err;
	int rc; /* 0 or the first error's ed_err */
	struct ed_sql_token ring[ED_SQL_LOOKAHEAD];
	unsigned head, count; /* ring[head] is the current token */
	uint32_t prev_end;    /* end offset of the last consumed token */
	int depth;
};

/* Offset of the first byte that is NUL or not valid UTF-8, UINT32_MAX if none. */
uint32_t ed_sql_utf8_check(const char *text, size_t len);

/* Records an error (first one wins) and returns NULL for convenience. */
void *ed_sql_fail(struct ed_sql_parser *p, uint32_t loc, int rc, const char *sqlstate,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void *ed_sql_nomem(struct ed_sql_parser *p);
/* Lexes the next token at p->pos into *tok. On a lexical error records it and
 * returns an EOF token. */
void ed_sql_lex(struct ed_sql_parser *p, struct ed_sql_token *tok);
/* The kth lookahead token (0 = current). */
const struct ed_sql_token *ed_sql_peek(struct ed_sql_parser *p, unsigned k);
void ed_sql_advance(struct ed_sql_parser *p);

/* Literal conversion (literal.c). Each returns 0 or a negative ed_err after
 * describing the problem in msg (sqlstate set to the 22xxx code). */
int ed_sql_interval_parse(const char *s, size_t len, int unit_kw, struct ed_sql_interval *out,
			  const char **sqlstate, char *msg, size_t msgsz);
int ed_sql_timestamp_parse(const char *s, size_t len, bool tz, int64_t *out, const char **sqlstate,
			   char *msg, size_t msgsz);
void ed_sql_interval_format(struct ed_buf *b, const struct ed_sql_interval *iv);
void ed_sql_timestamp_format(struct ed_buf *b, int64_t usec, bool tz);

#endif
