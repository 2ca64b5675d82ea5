/* CSV records <-> column chunks (RFC 4180). One record is one Kafka record
 * value: fields separated by a configurable delimiter, optionally quoted
 * with '"' (a quote inside a quoted field is doubled; quoted fields may hold
 * delimiters and line breaks); a trailing CR/LF is ignored. Field k goes to
 * column columns[k] (ED_CSV_SKIP drops it), converted from its text as a
 * cast from text would (ed_value_parse rules; timestamps also accept a zone
 * offset, applied). An empty unquoted field is NULL, "" is the empty string.
 * Whether the first record is a header is the caller's business. Errors:
 * 22P02 (syntax, wrong field count, bad value), 22003, 22007/22008, 54000. */
#ifndef ED_CSV_H
#define ED_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "exec/chunk.h"
#include "exec/expr.h"

#define ED_CSV_SKIP UINT32_MAX
#define ED_CSV_MAX_FIELDS 1024

struct ed_csv_decoder {
	uint32_t *columns;
	uint32_t nfields;
	char delim;
	uint32_t max_bytes;
	const char **names; /* optional: field names for messages (own copy) */
};

/* 0, ED_ENOMEM or ED_EINVAL (delimiter is '"', CR or LF; too many fields). */
int ed_csv_decoder_init(struct ed_csv_decoder *d, const uint32_t *columns, uint32_t nfields,
			char delim, struct ed_expr_error *err);
/* Name the fields in error messages (field 2 ("temp"): ...); the strings
 * are copied. 0 or ED_ENOMEM. */
int ed_csv_decoder_set_names(struct ed_csv_decoder *d, const char *const *names);
void ed_csv_decoder_fini(struct ed_csv_decoder *d);
/* Decode one record into row `row` of c. On error the bound columns of the
 * row are NULL and err names the field (err->row = byte offset). */
int ed_csv_decode(const struct ed_csv_decoder *d, const char *p, size_t n, struct ed_chunk *c,
		  uint32_t row, struct ed_expr_error *err);
/* Append row `row` of c as one CSV record (no line break): NULL as an empty
 * field, text quoted when it is empty or holds the delimiter, a quote, CR
 * or LF; timestamps as PostgreSQL prints them. 0 or ED_ENOMEM. */
int ed_csv_encode_row(const struct ed_chunk *c, uint32_t row, char delim, struct ed_buf *out);

#endif
