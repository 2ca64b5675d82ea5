/* libFuzzer target for the SQL front end (src/sql): parse the input bytes as
 * SQL text with a fresh arena and check, whatever the input:
 *   - a failed parse reports a five-character SQLSTATE, a message, and a
 *     position within the text (or none);
 *   - a successful parse prints (ed_sql_print_stmt) to SQL that parses again
 *     to exactly one statement, which prints to the same text (fixed point),
 *     and to the same fully parenthesised text (same tree, not merely the same
 *     spelling of a different tree).
 * A broken invariant aborts, which is what libFuzzer reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "sql/sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what, const char *a, const char *b)
{
	if (!cond) {
		fprintf(stderr, "fuzz_sql_parse: invariant broken: %s\n  first:  %s\n  second: %s\n",
			what, a ? a : "", b ? b : "");
		abort();
	}
}

static const char *cstr(struct ed_buf *b)
{
	ed_buf_append(b, "", 1);
	b->len--;
	return b->err ? "" : (const char *)b->data;
}

static void check_error(const struct ed_sql_error *err, size_t size)
{
	check(strlen(err->sqlstate) == 5, "SQLSTATE has five characters", err->sqlstate, NULL);
	check(err->msg[0] != 0, "error has a message", err->sqlstate, NULL);
	check(err->pos <= size + 1, "error position within the text", err->msg, NULL);
}

static void round_trip(struct ed_arena *arena, const struct ed_sql_stmt *st)
{
	struct ed_buf text, tree, text2, tree2;
	struct ed_sql_stmt_list again;
	struct ed_sql_error err;
	ed_buf_init(&text);
	ed_buf_init(&tree);
	ed_buf_init(&text2);
	ed_buf_init(&tree2);
	ed_sql_print_stmt(&text, st, 0);
	ed_sql_print_stmt(&tree, st, ED_SQL_PRINT_PARENS);
	const char *t1 = cstr(&text), *p1 = cstr(&tree);
	int rc = ed_sql_parse(arena, t1, strlen(t1), &again, &err);
	if (rc)
		fprintf(stderr, "reparse error %s at %u: %s\n", err.sqlstate, err.pos, err.msg);
	check(rc == 0, "printed statement parses", t1, err.msg);
	check(again.n == 1, "printed statement is one statement", t1, NULL);
	ed_sql_print_stmt(&text2, again.v[0], 0);
	ed_sql_print_stmt(&tree2, again.v[0], ED_SQL_PRINT_PARENS);
	check(strcmp(t1, cstr(&text2)) == 0, "print/parse/print fixed point", t1, cstr(&text2));
	check(strcmp(p1, cstr(&tree2)) == 0, "reparsed tree equals the original", p1, cstr(&tree2));
	ed_buf_fini(&text);
	ed_buf_fini(&tree);
	ed_buf_fini(&text2);
	ed_buf_fini(&tree2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ed_arena arena;
	struct ed_sql_stmt_list list;
	struct ed_sql_error err;
	if (size > 64 * 1024)
		return 0;
	ed_arena_init(&arena, 4096);
	if (ed_sql_parse(&arena, (const char *)data, size, &list, &err) == 0) {
		for (uint32_t i = 0; i < list.n; i++)
			round_trip(&arena, list.v[i]);
	} else {
		check_error(&err, size);
	}
	ed_arena_fini(&arena);
	return 0;
}
