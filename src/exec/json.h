/* JSON records <-> column chunks. The decoder is a hand-written scanner with
 * no DOM and no allocation: a compiled field list (column names or nested
 * paths a.b.c, each bound to a chunk column) guides one pass over one JSON
 * object (one Kafka record value), and each wanted value is converted and
 * written straight into row i of the chunk (text into the chunk's arena).
 * The encoder writes one JSON object per chunk row, and is the one place
 * that turns a value into JSON text. A decoder is immutable
 * after init and may be shared by threads; chunks are owned by the caller.
 *
 * Conversions on decode (JSON value -> column type):
 *   null                        -> NULL (so is a missing field)
 *   BOOLEAN      true/false, or a string PostgreSQL reads as boolean
 *   SMALLINT/INT/BIGINT  an integral number (1, -7, 1e3, 2.0) in range, or
 *                numeric text; a fraction is 22P02, out of range 22003
 *   REAL/DOUBLE  any number, or numeric text ("NaN", "Infinity")
 *   NUMERIC(p,s) any number, rounded to s digits, at most p digits (22003)
 *   TEXT/VARCHAR a string (escapes decoded, \uXXXX with surrogate pairs);
 *                any other value is stored as its JSON text
 *   TIMESTAMP    an ISO-8601 string ("2026-11-25T12:00:00.123",
 *                "2026-11-25 12:00:00.123"); a zone offset ("Z", "+02:00")
 *                is ignored, as PostgreSQL ignores it in a timestamp
 *                literal, so "...12:00:00+02:00" is 12:00; or a number of
 *                epoch milliseconds (fractions allowed)
 *   TIMESTAMPTZ  the same; a zone offset is applied (converted to UTC, so
 *                "...12:00:00+02:00" is 10:00 UTC), no zone means UTC
 *   INTERVAL     a PostgreSQL interval string, or a number of seconds
 * Numbers are RFC 8259 numbers (1e3 and 2.0 are; 01, +1, .5 and 1. are
 * not, and fail the record as bad JSON). Anything else fails the record
 * with SQLSTATE 22P02 (bad JSON / wrong kind), 22003 (out of range), 22007/22008 (bad timestamp), 54000 (record
 * or nesting limits) and a message naming the byte offset and field; the
 * row's columns are then all NULL. */
#ifndef ED_JSON_H
#define ED_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "exec/chunk.h"
#include "exec/expr.h"

#define ED_JSON_MAX_DEPTH 64    /* nesting of objects/arrays */
#define ED_JSON_MAX_FIELDS 1024 /* paths per decoder */
#define ED_JSON_DEFAULT_MAX_BYTES (1u << 20)

struct ed_json_node; /* trie of path components (json.c) */

struct ed_json_decoder {
	struct ed_json_node *nodes; /* nodes[0] is the root object */
	uint32_t nnodes;
	uint32_t *columns; /* the distinct columns written, to NULL them first */
	uint32_t ncolumns;
	uint32_t max_bytes; /* larger records fail with 54000 */
	char *names;        /* path component bytes */
};

/* Compile n paths ("a", "a.b.c"; a component may not be empty) bound to
 * chunk columns columns[k]. Column types are taken from the chunk at decode
 * time. 0, ED_ENOMEM, or ED_EINVAL with err (42601 bad path, 42701 a path
 * given twice, 54000 too many). */
int ed_json_decoder_init(struct ed_json_decoder *d, const char *const *paths,
			 const uint32_t *columns, uint32_t n, struct ed_expr_error *err);
void ed_json_decoder_fini(struct ed_json_decoder *d);

/* Decode one JSON object of n bytes into row `row` of c (row < c->cap;
 * c->rows is not changed). Columns not bound by the decoder are untouched.
 * 0, or ED_EINVAL / ED_ERANGE / ED_ETOOBIG / ED_ENOMEM with err filled
 * (err->row is the byte offset of the problem). */
int ed_json_decode(const struct ed_json_decoder *d, const char *p, size_t n, struct ed_chunk *c,
		   uint32_t row, struct ed_expr_error *err);

/* The one value-to-JSON encoder (sinks, SSE, /v1/sql, GET /v1/views), as
 * PostgreSQL's to_json writes values:
 *   NULL                  null
 *   BOOLEAN               true / false
 *   SMALLINT/INT/BIGINT   42
 *   NUMERIC(p,s)          12.50 (with its scale)
 *   REAL/DOUBLE           0.1, 1e+100, -0 (shortest exact digits); NaN and
 *                         infinities as the strings "NaN", "Infinity",
 *                         "-Infinity"
 *   TEXT/VARCHAR          a string: \" \\ \b \f \n \r \t, other controls
 *                         \u00XX; invalid UTF-8 bytes as U+FFFD
 *   TIMESTAMP             "2026-11-25T12:00:00", "2026-11-25T12:00:00.123"
 *                         (fraction without trailing zeros), "0044-03-15T12:00:00 BC"
 *   TIMESTAMPTZ           "2026-11-25T10:00:00+00:00" (UTC),
 *                         "0044-03-15T12:00:00+00:00 BC"
 *   INTERVAL              "1 day 02:00:00" (PostgreSQL's text)
 * Appends to out; a failed allocation is the buffer's sticky error. */
void ed_json_put_value(struct ed_buf *out, const struct ed_value *v);
/* Append s as a JSON string literal (quotes and escapes as above). */
void ed_json_put_string(struct ed_buf *out, const char *s, size_t n);
/* Append row `row` of c as one JSON object: names[k] is the key of column
 * k (all c->ncols columns), values as ed_json_put_value writes them. 0 or
 * ED_ENOMEM (the buffer's sticky error). */
int ed_json_encode_row(const struct ed_chunk *c, uint32_t row, const char *const *names,
		       struct ed_buf *out);

#endif
