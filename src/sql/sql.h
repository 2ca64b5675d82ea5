/* The SQL front end's interface: parse SQL text into an AST (ast.h) allocated
 * from a caller's arena, report errors as SQLSTATE + 1-based position +
 * message, and print an AST back to canonical SQL (used by tests, EXPLAIN and
 * catalog persistence). Layers above (binder, planner, pgwire, http) use only
 * this header and ast.h. Everything here is reentrant: no global state. */
#ifndef ED_SQL_H
#define ED_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "sql/ast.h"

/* Hard limits, so hostile input fails cleanly instead of exhausting the stack
 * or memory. */
#define ED_SQL_MAX_TEXT (1u << 20) /* bytes of SQL text per ed_sql_parse call */
#define ED_SQL_MAX_DEPTH 200       /* nesting of expressions, subqueries, joins */
#define ED_SQL_MAX_IDENT 255       /* bytes in one identifier */

/* SQLSTATE codes the front end reports (PostgreSQL's values). */
#define ED_SQLSTATE_SYNTAX "42601"            /* syntax_error */
#define ED_SQLSTATE_DATATYPE_MISMATCH "42804" /* datatype_mismatch */
#define ED_SQLSTATE_UNDEFINED_TYPE "42704"    /* undefined_object (unknown type) */
#define ED_SQLSTATE_NAME_TOO_LONG "42622"     /* name_too_long */
#define ED_SQLSTATE_UNDEFINED_PARAM "42P02"   /* undefined_parameter */
#define ED_SQLSTATE_NOT_SUPPORTED "0A000"     /* feature_not_supported */
#define ED_SQLSTATE_TOO_COMPLEX "54001"       /* statement_too_complex */
#define ED_SQLSTATE_TOO_LONG "54000"          /* program_limit_exceeded */
#define ED_SQLSTATE_OUT_OF_MEMORY "53200"     /* out_of_memory */
#define ED_SQLSTATE_BAD_DATETIME "22007"      /* invalid_datetime_format */
#define ED_SQLSTATE_DATETIME_OVERFLOW "22008" /* datetime_field_overflow */
#define ED_SQLSTATE_INTERVAL_OVERFLOW "22015" /* interval_field_overflow */
#define ED_SQLSTATE_BAD_ESCAPE "22025"        /* invalid_escape_sequence */
#define ED_SQLSTATE_BAD_ENCODING "22021"      /* character_not_in_repertoire */
#define ED_SQLSTATE_BAD_PARAMETER "22023"     /* invalid_parameter_value */

/* An error for the user. Owned by the caller (statement or connection). */
struct ed_sql_error {
	char sqlstate[6]; /* five characters + NUL; "" when no error */
	uint32_t pos;     /* 1-based character position in the text, 0 = none */
	char msg[256];
};

/* The statements of one text, in order. Empty statements (";;") are skipped,
 * so a text of only comments and semicolons gives n == 0. */
struct ed_sql_stmt_list {
	struct ed_sql_stmt **v;
	uint32_t n;
};

/* Parses text[0..len) (need not be NUL-terminated) into out. All nodes and
 * strings are allocated from arena and live until it is reset; text itself is
 * not referenced afterwards. Returns 0, or on failure fills err and returns
 * ED_EINVAL (bad SQL: 42601, 22xxx, 42704, 42622, 42P02, 0A000), ED_ETOOBIG
 * (54000 text longer than ED_SQL_MAX_TEXT, 54001 nesting deeper than
 * ED_SQL_MAX_DEPTH) or ED_ENOMEM (53200 arena exhausted); out is then empty. */
int ed_sql_parse(struct ed_arena *arena, const char *text, size_t len, struct ed_sql_stmt_list *out,
		 struct ed_sql_error *err);

/* Fills err: sqlstate, the position of byte offset loc of text as a 1-based
 * character position (loc == UINT32_MAX: no position), and a printf message.
 * For the binder and planner, which report errors against AST locations. */
void ed_sql_error_set(struct ed_sql_error *err, const char *text, size_t len, uint32_t loc,
		      const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* 1-based character (UTF-8 code point) position of byte offset loc in text. */
uint32_t ed_sql_char_pos(const char *text, size_t len, uint32_t loc);

/* Printing. Output is canonical SQL that ed_sql_parse reads back to an equal
 * tree (print . parse . print == print). Keywords upper case, identifiers
 * quoted only when needed, minimal parentheses. With ED_SQL_PRINT_PARENS every
 * operator expression is parenthesised (a structural fingerprint for tests).
 * Appends to b; allocation failure is left in b->err. */
#define ED_SQL_PRINT_PARENS 1u
void ed_sql_print_stmt(struct ed_buf *b, const struct ed_sql_stmt *stmt, unsigned flags);
void ed_sql_print_select(struct ed_buf *b, const struct ed_sql_select *sel, unsigned flags);
void ed_sql_print_expr(struct ed_buf *b, const struct ed_sql_expr *e, unsigned flags);
void ed_sql_print_type(struct ed_buf *b, const struct ed_sql_type *type);
/* An identifier, double-quoted if it would not read back as itself. */
void ed_sql_print_ident(struct ed_buf *b, const char *name);
/* A string literal with '' doubling. */
void ed_sql_print_string(struct ed_buf *b, const char *s, size_t len);

/* Names for messages and EXPLAIN: "BIGINT", "+", "SOURCE", ... */
const char *ed_sql_type_name(enum ed_sql_type_id id);
const char *ed_sql_binop_name(enum ed_sql_binop op);

#endif
