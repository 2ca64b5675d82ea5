/* PostgreSQL wire protocol 3.0: the message codec shared by the server
 * (pgwire.c, session.c), the `eddy sql` client (client.c) and the fuzzer.
 * Decoders read through ed_cur and never trust a declared length; encoders
 * append to an ed_buf (sticky allocation error, checked once).
 *
 * Framing (all integers big-endian):
 *
 *   startup phase (no type byte)       int32 length (self-inclusive), body
 *     StartupMessage                   int32 196608 (3.0), then key\0value\0 ... \0
 *     SSLRequest / GSSENCRequest       int32 80877103 / 80877104
 *     CancelRequest                    int32 80877102, int32 pid, int32 secret key
 *   after startup                      byte type, int32 length (self-inclusive), body
 *
 * Frontend messages decoded here (type: body):
 *   'Q' Query      sql\0
 *   'P' Parse      name\0 sql\0 int16 n, n * int32 type oid
 *   'B' Bind       portal\0 stmt\0 int16 nf, nf * int16 fmt, int16 n,
 *                  n * (int32 len (-1 NULL), bytes), int16 nr, nr * int16 fmt
 *   'D' Describe   byte 'S'|'P', name\0
 *   'C' Close      byte 'S'|'P', name\0
 *   'E' Execute    portal\0 int32 max rows (0 = all)
 *   'S' Sync, 'H' Flush, 'X' Terminate: empty
 *   'p' SASLInitialResponse: mechanism\0 int32 len (-1 none), bytes
 *       SASLResponse / PasswordMessage: the rest of the body */
#ifndef ED_PGW_PROTO_H
#define ED_PGW_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "exec/types.h"

#define ED_PGW_PROTO_3_0 196608
#define ED_PGW_SSL_REQUEST 80877103
#define ED_PGW_GSSENC_REQUEST 80877104
#define ED_PGW_CANCEL_REQUEST 80877102
#define ED_PGW_STARTUP_MAX 10000 /* bytes of a startup packet (PostgreSQL's limit) */
#define ED_PGW_STARTUP_MAX_PARAMS 64

/* Format codes of Bind and RowDescription. */
#define ED_PGW_FMT_TEXT 0
#define ED_PGW_FMT_BINARY 1

/* Type OIDs eddy knows (pg_type.oid). */
enum {
	ED_PGW_OID_BOOL = 16,
	ED_PGW_OID_INT8 = 20,
	ED_PGW_OID_INT2 = 21,
	ED_PGW_OID_INT4 = 23,
	ED_PGW_OID_TEXT = 25,
	ED_PGW_OID_FLOAT4 = 700,
	ED_PGW_OID_FLOAT8 = 701,
	ED_PGW_OID_UNKNOWN = 705,
	ED_PGW_OID_VARCHAR = 1043,
	ED_PGW_OID_TIMESTAMP = 1114,
	ED_PGW_OID_TIMESTAMPTZ = 1184,
	ED_PGW_OID_INTERVAL = 1186,
	ED_PGW_OID_NUMERIC = 1700,
};

enum ed_pgw_startup_kind {
	ED_PGW_STARTUP = 1,
	ED_PGW_STARTUP_SSL,
	ED_PGW_STARTUP_GSSENC,
	ED_PGW_STARTUP_CANCEL,
};

/* A decoded startup packet. Strings point into the packet body. */
struct ed_pgw_startup {
	enum ed_pgw_startup_kind kind;
	uint32_t version;
	uint32_t nparams;
	const char *keys[ED_PGW_STARTUP_MAX_PARAMS];
	const char *vals[ED_PGW_STARTUP_MAX_PARAMS];
	int32_t cancel_pid, cancel_key;
};

/* Decode a startup packet body (the bytes after its length word). 0, or
 * ED_EPROTO (malformed: unterminated string, odd key/value list, too many
 * parameters) or ED_EUNSUPPORTED (a protocol major version other than 3). */
int ed_pgw_decode_startup(const uint8_t *body, size_t len, struct ed_pgw_startup *out);

/* One Bind parameter: len -1 is NULL. */
struct ed_pgw_param {
	const uint8_t *data;
	int32_t len;
};

/* A decoded frontend message. Strings and parameter bytes point into the
 * message body; arrays come from the arena given to the decoder. */
struct ed_pgw_msg {
	char type;
	union {
		struct {
			const char *sql;
			size_t len;
		} query;
		struct {
			const char *name, *sql;
			size_t sqllen;
			uint16_t ntypes;
			uint32_t *types;
		} parse;
		struct {
			const char *portal, *stmt;
			uint16_t nfmts, nparams, nresfmts;
			int16_t *fmts, *resfmts;
			struct ed_pgw_param *params;
		} bind;
		struct {
			char what; /* 'S' statement, 'P' portal */
			const char *name;
		} target; /* Describe, Close */
		struct {
			const char *portal;
			int32_t max_rows;
		} execute;
		struct {
			const uint8_t *data;
			size_t len;
		} raw; /* 'p': interpreted by the authentication state */
	} u;
};

/* Decode the body of a frontend message of the given type. 0, ED_EPROTO
 * (malformed), ED_EUNSUPPORTED (a type eddy does not handle: COPY, function
 * call) or ED_ENOMEM (arena). */
int ed_pgw_decode_frontend(char type, const uint8_t *body, size_t len, struct ed_arena *arena,
			   struct ed_pgw_msg *out);

/* SASLInitialResponse: mechanism name and client data. 0 or ED_EPROTO. */
int ed_pgw_decode_sasl_initial(const uint8_t *body, size_t len, const char **mech,
			       const uint8_t **data, size_t *datalen);

/* ---- encoding ---------------------------------------------------------------------------------- */

/* Start a message of the given type (0 for a startup packet): writes the type
 * and a length placeholder; returns the position to pass to ed_pgw_end. */
size_t ed_pgw_begin(struct ed_buf *b, char type);
void ed_pgw_end(struct ed_buf *b, size_t pos);
void ed_pgw_put_cstr(struct ed_buf *b, const char *s);

/* Backend messages. */
void ed_pgw_put_auth(struct ed_buf *b, uint32_t code, const void *data, size_t len);
void ed_pgw_put_param_status(struct ed_buf *b, const char *name, const char *value);
void ed_pgw_put_backend_key(struct ed_buf *b, int32_t pid, int32_t key);
void ed_pgw_put_ready(struct ed_buf *b, char status);
void ed_pgw_put_empty(struct ed_buf *b, char type); /* '1' '2' '3' 'n' 's' 'I' 'H' 'S' 'X' */
void ed_pgw_put_command_complete(struct ed_buf *b, const char *tag);
/* RowDescription: formats has ncols entries (NULL = all text). An extra
 * leading text column named lead (NULL = none) is used by SUBSCRIBE. */
void ed_pgw_put_row_description(struct ed_buf *b, uint32_t ncols, const char *const *names,
				const struct ed_type *types, const int16_t *formats);
/* ErrorResponse ('E') or NoticeResponse ('N'). pos 0 = no position field. */
void ed_pgw_put_error(struct ed_buf *b, char type, const char *severity, const char *sqlstate,
		      uint32_t pos, const char *msg);

/* One DataRow cell: int32 length and the value in the given format (-1 for
 * NULL). 0, or ED_ENOMEM (left in b->err too). */
int ed_pgw_put_value(struct ed_buf *b, const struct ed_value *v, int16_t format);

/* Frontend messages (the client). */
void ed_pgw_put_startup(struct ed_buf *b, const char *const *keys, const char *const *vals, size_t n);
void ed_pgw_put_query(struct ed_buf *b, const char *sql);

/* ---- parameters -------------------------------------------------------------------------------- */

/* Append the SQL expression for one Bind parameter to sql: NULL, an untyped
 * string literal ('...', as PostgreSQL's "unknown") when oid is 0 or
 * unknown and the format is text, else CAST('...' AS type) with the value in
 * PostgreSQL text form (binary values are decoded by oid). 0, or ED_EINVAL
 * with a message in err (22P03 bad binary value, 0A000 binary format of an
 * unknown type); ED_ENOMEM. */
int ed_pgw_param_sql(uint32_t oid, int16_t format, const struct ed_pgw_param *p, struct ed_buf *sql,
		     char sqlstate[6], char *err, size_t errlen);

/* SQL type name for a cast to oid, NULL if eddy has no such type. */
const char *ed_pgw_oid_sql_type(uint32_t oid);

/* Find the $n parameters of sql outside string literals, quoted identifiers
 * and comments: calls fn(arg, byte offset, byte length, n) for each in order
 * and returns the largest n (0 if none). fn may be NULL. */
typedef int (*ed_pgw_param_fn)(void *arg, size_t off, size_t len, uint32_t n);
int ed_pgw_scan_params(const char *sql, size_t len, ed_pgw_param_fn fn, void *arg, uint32_t *max_n);

#endif
