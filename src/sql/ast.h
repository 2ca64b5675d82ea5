/* Abstract syntax tree of eddy's SQL dialect, produced by ed_sql_parse
 * (parser.c), printed back to canonical SQL by ed_sql_print_* (print.c), and
 * consumed by the binder and planner. Every node lives in the arena the parse
 * was given and is immutable afterwards; nodes never own memory.
 *
 * Invariants the binder can rely on:
 *  1. Every `loc` is a 0-based byte offset into the text given to
 *     ed_sql_parse; ed_sql_char_pos() turns it into the 1-based character
 *     position PostgreSQL clients expect in an ErrorResponse.
 *  2. Names are already normalised: unquoted identifiers are folded to lower
 *     case, quoted ones are kept as written (without the quotes). All strings
 *     are NUL-terminated and contain no NUL byte; string literals are valid
 *     UTF-8.
 *  3. Arrays are (pointer, count); count 0 means the pointer may be NULL.
 *  4. Literals are already checked: INTERVAL and TIMESTAMP literals hold their
 *     value, integers that fit in int64 are ED_SQL_E_INT, larger ones and
 *     decimals are ED_SQL_E_NUMERIC with their text. A unary minus written
 *     directly before a number is folded into the literal.
 *  5. The height of any expression or join tree is at most ED_SQL_MAX_DEPTH,
 *     so recursive walkers need no depth check of their own. */
#ifndef ED_SQL_AST_H
#define ED_SQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- names ---------------------------------------------------------------- */

/* A possibly qualified name: `a`, `t.a`, `a.b.c` (column, then JSON fields). */
struct ed_sql_name {
	char **parts;
	uint32_t n; /* >= 1 */
	uint32_t loc;
};

/* ---- types ----------------------------------------------------------------- */

enum ed_sql_type_id {
	ED_SQL_T_BOOLEAN = 1,
	ED_SQL_T_SMALLINT,    /* int16 */
	ED_SQL_T_INTEGER,     /* int32 */
	ED_SQL_T_BIGINT,      /* int64 */
	ED_SQL_T_REAL,        /* float32 */
	ED_SQL_T_DOUBLE,      /* float64 */
	ED_SQL_T_NUMERIC,     /* decimal: precision/scale in p/s, -1 if not given */
	ED_SQL_T_VARCHAR,     /* VARCHAR(n) (p = n) or TEXT / VARCHAR (p = -1) */
	ED_SQL_T_TIMESTAMP,   /* without time zone; p = fractional digits or -1 */
	ED_SQL_T_TIMESTAMPTZ, /* with time zone; p as above */
	ED_SQL_T_INTERVAL,
};

struct ed_sql_type {
	enum ed_sql_type_id id;
	int32_t p; /* precision / length / fractional digits, -1 = not given */
	int32_t s; /* NUMERIC scale, -1 = not given */
	uint32_t loc;
};

/* ---- expressions ----------------------------------------------------------- */

enum ed_sql_expr_kind {
	ED_SQL_E_NULL = 1,
	ED_SQL_E_BOOL,      /* u.b */
	ED_SQL_E_INT,       /* u.i: integer literal that fits int64 */
	ED_SQL_E_NUMERIC,   /* u.text: "12.5", "1e-3", "99999999999999999999" */
	ED_SQL_E_STRING,    /* u.str: untyped string literal (type from context) */
	ED_SQL_E_TIMESTAMP, /* u.ts: TIMESTAMP '...' / TIMESTAMPTZ '...' */
	ED_SQL_E_INTERVAL,  /* u.iv: INTERVAL '10' SECOND, INTERVAL '1 minute' */
	ED_SQL_E_COLUMN,    /* u.col: a, t.a, a.b.c */
	ED_SQL_E_PARAM,     /* u.param: $1 (1-based) */
	ED_SQL_E_UNARY,     /* u.unary: -x, NOT x */
	ED_SQL_E_BINARY,    /* u.bin */
	ED_SQL_E_IS,        /* u.is: IS [NOT] NULL/TRUE/FALSE/UNKNOWN/DISTINCT FROM */
	ED_SQL_E_IN,        /* u.in: x [NOT] IN (list) */
	ED_SQL_E_BETWEEN,   /* u.between */
	ED_SQL_E_LIKE,      /* u.like: [NOT] LIKE / ILIKE [ESCAPE] */
	ED_SQL_E_CASE,      /* u.kase */
	ED_SQL_E_CAST,      /* u.cast: CAST(x AS t) and x::t */
	ED_SQL_E_FUNC,      /* u.func: f(args), aggregates, window functions */
};

enum ed_sql_unop { ED_SQL_OP_NEG = 1, ED_SQL_OP_NOT };

enum ed_sql_binop {
	ED_SQL_OP_ADD = 1,
	ED_SQL_OP_SUB,
	ED_SQL_OP_MUL,
	ED_SQL_OP_DIV,
	ED_SQL_OP_MOD,
	ED_SQL_OP_CONCAT,        /* || */
	ED_SQL_OP_JSON_GET,      /* -> */
	ED_SQL_OP_JSON_GET_TEXT, /* ->> */
	ED_SQL_OP_EQ,
	ED_SQL_OP_NE,
	ED_SQL_OP_LT,
	ED_SQL_OP_LE,
	ED_SQL_OP_GT,
	ED_SQL_OP_GE,
	ED_SQL_OP_AND,
	ED_SQL_OP_OR,
};

enum ed_sql_is_test {
	ED_SQL_IS_NULL = 1,
	ED_SQL_IS_TRUE,
	ED_SQL_IS_FALSE,
	ED_SQL_IS_UNKNOWN,
	ED_SQL_IS_DISTINCT_FROM, /* rhs set */
};

/* Special call syntaxes that are kept so the printer can reproduce them. Other
 * special forms are normalised to plain calls: SUBSTRING(x FROM a FOR b) is
 * substring(x, a, b), POSITION(a IN b) is strpos(b, a), TRIM(BOTH c FROM x)
 * is btrim(x, c) (ltrim/rtrim for LEADING/TRAILING). */
enum ed_sql_func_syntax {
	ED_SQL_CALL_PLAIN = 0,
	ED_SQL_CALL_EXTRACT, /* extract('field', x): args[0] is the lower-case field string */
};

enum ed_sql_frame_mode { ED_SQL_FRAME_NONE = 0, ED_SQL_FRAME_ROWS, ED_SQL_FRAME_RANGE };

enum ed_sql_bound_kind {
	ED_SQL_BOUND_UNBOUNDED_PRECEDING = 1,
	ED_SQL_BOUND_PRECEDING, /* offset PRECEDING */
	ED_SQL_BOUND_CURRENT_ROW,
	ED_SQL_BOUND_FOLLOWING, /* offset FOLLOWING */
	ED_SQL_BOUND_UNBOUNDED_FOLLOWING,
};

struct ed_sql_expr;

struct ed_sql_frame_bound {
	enum ed_sql_bound_kind kind;
	struct ed_sql_expr *offset; /* PRECEDING/FOLLOWING only */
};

enum ed_sql_nulls { ED_SQL_NULLS_DEFAULT = 0, ED_SQL_NULLS_FIRST, ED_SQL_NULLS_LAST };

struct ed_sql_order_item {
	struct ed_sql_expr *expr;
	bool desc;
	enum ed_sql_nulls nulls;
};

/* OVER (PARTITION BY ... ORDER BY ... ROWS|RANGE BETWEEN start AND end). A
 * frame written without BETWEEN has end = CURRENT ROW. */
struct ed_sql_window_spec {
	struct ed_sql_expr **partition;
	uint32_t npartition;
	struct ed_sql_order_item **order;
	uint32_t norder;
	enum ed_sql_frame_mode mode;
	struct ed_sql_frame_bound start, end; /* when mode != NONE */
	uint32_t loc;
};

struct ed_sql_when {
	struct ed_sql_expr *cond; /* value to compare with for a simple CASE */
	struct ed_sql_expr *result;
};

/* Interval value, PostgreSQL-style: months, days and microseconds are kept
 * apart because a month has no fixed length and a day may have 23 hours. */
struct ed_sql_interval {
	int32_t months;
	int32_t days;
	int64_t usec;
};

struct ed_sql_expr {
	enum ed_sql_expr_kind kind;
	uint32_t loc;    /* first character of the expression (operator for binary) */
	uint16_t height; /* 1 for a leaf */
	union {
		bool b;
		int64_t i;
		const char *text;
		struct {
			const char *s;
			size_t len;
		} str;
		struct {
			int64_t usec; /* since 1970-01-01 00:00:00 (UTC for TIMESTAMPTZ) */
			bool tz;
		} ts;
		struct ed_sql_interval iv;
		struct ed_sql_name col;
		uint32_t param;
		struct {
			enum ed_sql_unop op;
			struct ed_sql_expr *arg;
		} unary;
		struct {
			enum ed_sql_binop op;
			struct ed_sql_expr *l, *r;
		} bin;
		struct {
			enum ed_sql_is_test test;
			bool negated;
			struct ed_sql_expr *arg, *rhs; /* rhs: DISTINCT FROM only */
		} is;
		struct {
			bool negated;
			struct ed_sql_expr *arg;
			struct ed_sql_expr **list;
			uint32_t n;
		} in;
		struct {
			bool negated;
			struct ed_sql_expr *arg, *lo, *hi;
		} between;
		struct {
			bool negated, ilike;
			struct ed_sql_expr *arg, *pattern, *escape; /* escape may be NULL */
		} like;
		struct {
			struct ed_sql_expr *arg; /* NULL for a searched CASE */
			struct ed_sql_when **whens;
			uint32_t nwhens;
			struct ed_sql_expr *else_; /* may be NULL */
		} kase;
		struct {
			struct ed_sql_expr *arg;
			struct ed_sql_type type;
		} cast;
		struct {
			char *schema; /* NULL unless written schema.f(...) */
			char *name;
			struct ed_sql_expr **args;
			uint32_t nargs;
			bool distinct; /* f(DISTINCT x) */
			bool star;     /* count(*) (nargs == 0) */
			enum ed_sql_func_syntax syntax;
			struct ed_sql_window_spec *over; /* NULL unless OVER (...) */
		} func;
	} u;
};

/* ---- queries --------------------------------------------------------------- */

/* One SELECT-list entry: an expression with an optional alias, `*`, or `t.*`. */
struct ed_sql_target {
	struct ed_sql_expr *expr; /* NULL for * and t.* */
	char *alias;              /* NULL if none */
	char *star_qual;          /* t for t.*, NULL for * */
	bool star;
	uint32_t loc;
};

enum ed_sql_from_kind {
	ED_SQL_FROM_TABLE = 1, /* u.table */
	ED_SQL_FROM_SUBQUERY,  /* u.sub */
	ED_SQL_FROM_FUNC,      /* u.func: TUMBLE/HOP/SESSION or another table function */
	ED_SQL_FROM_JOIN,      /* u.join (never has an alias) */
};

enum ed_sql_join_kind {
	ED_SQL_JOIN_INNER = 1,
	ED_SQL_JOIN_LEFT,
	ED_SQL_JOIN_RIGHT,
	ED_SQL_JOIN_FULL,
	ED_SQL_JOIN_CROSS, /* no condition */
};

/* Window table functions. Their arguments are (source, time column, ...):
 * TUMBLE(src, ts, size [, offset]), HOP(src, ts, slide, size [, offset]),
 * SESSION(src, ts, gap); args[0] and args[1] are ED_SQL_E_COLUMN. */
enum ed_sql_window_tvf {
	ED_SQL_TVF_NONE = 0,
	ED_SQL_TVF_TUMBLE,
	ED_SQL_TVF_HOP,
	ED_SQL_TVF_SESSION
};

struct ed_sql_select;

struct ed_sql_from {
	enum ed_sql_from_kind kind;
	uint32_t loc;
	uint16_t height;
	char *alias; /* NULL if none */
	union {
		struct ed_sql_name table; /* [schema.]name */
		struct ed_sql_select *sub;
		struct {
			char *name;
			struct ed_sql_expr **args;
			uint32_t nargs;
			enum ed_sql_window_tvf tvf;
		} func;
		struct {
			enum ed_sql_join_kind kind;
			struct ed_sql_from *l, *r;
			struct ed_sql_expr *on; /* NULL for CROSS */
		} join;
	} u;
};

struct ed_sql_select {
	bool distinct;
	struct ed_sql_target **targets;
	uint32_t ntargets;
	struct ed_sql_from **from; /* comma-separated list; nfrom 0 = no FROM */
	uint32_t nfrom;
	struct ed_sql_expr *where; /* NULL if none */
	struct ed_sql_expr **group;
	uint32_t ngroup;
	struct ed_sql_expr *having; /* NULL if none */
	struct ed_sql_order_item **order;
	uint32_t norder;
	struct ed_sql_expr *limit;  /* NULL if none */
	struct ed_sql_expr *offset; /* NULL if none */
	uint32_t loc;
};

/* ---- statements ------------------------------------------------------------ */

enum ed_sql_stmt_kind {
	ED_SQL_S_SELECT = 1,    /* u.select */
	ED_SQL_S_CREATE_SOURCE, /* u.source */
	ED_SQL_S_CREATE_VIEW,   /* u.view: CREATE MATERIALIZED VIEW */
	ED_SQL_S_CREATE_SINK,   /* u.sink */
	ED_SQL_S_DROP,          /* u.drop */
	ED_SQL_S_SHOW_OBJECTS,  /* u.show_objects */
	ED_SQL_S_SHOW_VAR,      /* u.name: SHOW x (SHOW ALL is "all") */
	ED_SQL_S_DESCRIBE,      /* u.name */
	ED_SQL_S_EXPLAIN,       /* u.explain */
	ED_SQL_S_SET,           /* u.set */
	ED_SQL_S_BEGIN,
	ED_SQL_S_COMMIT,
	ED_SQL_S_ROLLBACK,
	ED_SQL_S_SUBSCRIBE, /* u.name */
};

enum ed_sql_object_kind {
	ED_SQL_OBJ_SOURCE = 1,
	ED_SQL_OBJ_VIEW,
	ED_SQL_OBJ_SINK,
	ED_SQL_OBJ_TOPIC,
};

/* A value in WITH (k = v) or SET x = v. */
enum ed_sql_value_kind {
	ED_SQL_V_STRING = 1, /* 'text' */
	ED_SQL_V_NUMBER,     /* 42, -1.5 (text as written, sign included) */
	ED_SQL_V_BOOL,       /* TRUE / FALSE: text is "true" / "false" */
	ED_SQL_V_IDENT,      /* bare word, e.g. json, on: text is the folded name */
	ED_SQL_V_DEFAULT,    /* SET x = DEFAULT (text NULL) */
};

struct ed_sql_value {
	enum ed_sql_value_kind kind;
	const char *text;
	uint32_t loc;
};

struct ed_sql_option {
	char *key; /* lower-cased dotted key, e.g. "scan.startup.mode" */
	struct ed_sql_value value;
	uint32_t loc;
};

struct ed_sql_column_def {
	char *name;
	struct ed_sql_type type;
	uint32_t loc;
};

struct ed_sql_watermark {
	char *column;             /* WATERMARK FOR column */
	struct ed_sql_expr *expr; /* AS expr */
	uint32_t loc;
};

struct ed_sql_stmt {
	enum ed_sql_stmt_kind kind;
	uint32_t loc;      /* first keyword */
	uint32_t text_len; /* bytes of this statement from loc, without ';' */
	union {
		struct ed_sql_select *select;
		struct {
			bool if_not_exists;
			struct ed_sql_name name;
			struct ed_sql_column_def **columns;
			uint32_t ncolumns;
			struct ed_sql_watermark *watermark; /* NULL if none */
			struct ed_sql_option **options;
			uint32_t noptions;
		} source;
		struct {
			bool if_not_exists;
			struct ed_sql_name name;
			struct ed_sql_select *query;
		} view;
		struct {
			bool if_not_exists;
			struct ed_sql_name name;
			struct ed_sql_name from;     /* FROM view (from.n == 0 if AS SELECT) */
			struct ed_sql_select *query; /* AS SELECT (NULL if FROM view) */
			struct ed_sql_option **options;
			uint32_t noptions;
		} sink;
		struct {
			enum ed_sql_object_kind object;
			bool if_exists;
			struct ed_sql_name name;
		} drop;
		struct {
			enum ed_sql_object_kind object;
		} show_objects;
		struct ed_sql_name name;
		struct {
			struct ed_sql_stmt *stmt;
		} explain;
		struct {
			bool local; /* SET LOCAL (SET SESSION is the default) */
			char *name; /* lower-case, dotted; SET TIME ZONE is "timezone" */
			struct ed_sql_value **values; /* one DEFAULT value for SET x = DEFAULT */
			uint32_t nvalues;
		} set;
	} u;
};

#endif
