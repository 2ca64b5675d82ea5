/* SQL types and their in-memory representation, shared by the binder
 * (src/sql), the executor (src/exec), state stores and the front ends.
 *
 * Physical layout of one value of each type, in a vector or an ed_value:
 *
 *   type            C representation        notes
 *   --------------- ----------------------- ----------------------------------
 *   BOOLEAN         uint8_t                 0 or 1
 *   SMALLINT        int16_t
 *   INT             int32_t
 *   BIGINT          int64_t
 *   REAL            float
 *   DOUBLE          double
 *   DECIMAL(p,s)    ed_dec (__int128)       unscaled: value * 10^s, p <= 38
 *   TEXT/VARCHAR(n) struct ed_str           bytes owned by the chunk's arena
 *                                           (or the state store), UTF-8
 *   TIMESTAMP       int64_t                 microseconds since 1970-01-01
 *                                           (no zone)
 *   TIMESTAMPTZ     int64_t                 microseconds since the epoch, UTC
 *   INTERVAL        struct ed_interval      months, days, microseconds
 *                                           (PostgreSQL's three fields)
 *
 * NULL is carried beside the value (a null byte per row in vectors, a flag in
 * ed_value); the value bytes of a NULL are unspecified. */
#ifndef ED_TYPES_H
#define ED_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ed_type_id {
	ED_TYPE_NULL = 0, /* the type of a bare NULL literal before coercion */
	ED_TYPE_BOOL,
	ED_TYPE_INT16,
	ED_TYPE_INT32,
	ED_TYPE_INT64,
	ED_TYPE_FLOAT32,
	ED_TYPE_FLOAT64,
	ED_TYPE_DECIMAL,
	ED_TYPE_TEXT,
	ED_TYPE_TIMESTAMP,
	ED_TYPE_TIMESTAMPTZ,
	ED_TYPE_INTERVAL,
	ED_TYPE_COUNT_
};

struct ed_type {
	enum ed_type_id id;
	int16_t precision; /* DECIMAL: 1..38 (default 38) */
	int16_t scale;     /* DECIMAL: 0..precision (default 0... see binder) */
	int32_t max_len;   /* VARCHAR(n): n; -1 = unlimited (TEXT) */
};

typedef __int128 ed_dec;

struct ed_str {
	const char *ptr;
	uint32_t len;
};

struct ed_interval {
	int32_t months;
	int32_t days;
	int64_t usecs;
};

/* One value outside a vector: constants, parameters, pull-query cells. Text
 * points at memory owned by whoever produced the value. */
struct ed_value {
	struct ed_type type;
	bool null;
	union {
		bool b;
		int64_t i; /* INT16/32/64, TIMESTAMP(TZ) */
		float f32;
		double f64;
		ed_dec dec;
		struct ed_str s;
		struct ed_interval iv;
	} v;
};

static inline struct ed_type ed_type_make(enum ed_type_id id)
{
	struct ed_type t = {id, 0, 0, -1};
	if (id == ED_TYPE_DECIMAL)
		t.precision = 38;
	return t;
}

/* Bytes one value takes in a vector's data array. */
size_t ed_type_width(enum ed_type_id id);
/* SQL name: "bigint", "numeric(10,2)", "character varying(20)", ... */
int ed_type_format(const struct ed_type *t, char *out, size_t outlen);
const char *ed_type_name(enum ed_type_id id);
bool ed_type_equal(const struct ed_type *a, const struct ed_type *b);
bool ed_type_is_numeric(enum ed_type_id id);
bool ed_type_is_integer(enum ed_type_id id);
/* PostgreSQL type OID (bool 16, int2 21, int4 23, int8 20, float4 700,
 * float8 701, numeric 1700, text 25, varchar 1043, timestamp 1114,
 * timestamptz 1184, interval 1186; NULL -> text 25). */
uint32_t ed_type_pg_oid(const struct ed_type *t);
/* PostgreSQL typlen for RowDescription (-1 for variable length). */
int16_t ed_type_pg_len(const struct ed_type *t);

/* Text form of a value as PostgreSQL prints it (true/false as t/f for
 * pgwire; timestamps "2026-11-25 12:00:00.123", timestamptz with "+00",
 * intervals "1 day 02:00:00", numerics with their scale). Appends to out
 * (an ed_buf); 0 or ED_ENOMEM. NULL values append nothing: callers decide. */
struct ed_buf;
int ed_value_format(const struct ed_value *v, struct ed_buf *out);

#endif
