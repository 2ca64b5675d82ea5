/* Record decoders for sources: one record value (JSON object or CSV line)
 * into one row of a chunk with the source's schema. The source operator
 * calls them once per record; they allocate nothing but text bytes in the
 * chunk's arena. A failure leaves the row's contents unspecified and says
 * why in err (the record is then counted as bad and skipped or
 * dead-lettered). When the colleague's json.h/csv.h chunk decoders land,
 * ed_decoder_new picks them up here; the interface stays.
 *
 * JSON: fields by name; a column named "a.b" reads field b of object a;
 * missing fields and null are NULL; timestamps are ISO-8601 strings or epoch
 * milliseconds; a TEXT column given an object or array gets its JSON text.
 * CSV: fields in column order, RFC 4180 quoting, an empty unquoted field is
 * NULL. Owned by the pipeline's worker thread. */
#ifndef ED_EXEC_DECODE_H
#define ED_EXEC_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "exec/chunk.h"
#include "exec/schema.h"

struct ed_decoder {
	enum ed_format format;
	const struct ed_schema *schema;
	char delim;
	struct ed_buf scratch;
};

void ed_decoder_init(struct ed_decoder *d, enum ed_format format, const struct ed_schema *schema,
		     char delim);
void ed_decoder_fini(struct ed_decoder *d);
/* Decode p[0..n) into row `row` of out (whose columns are the schema). 0, or
 * ED_EINVAL with a one-line reason in err. */
int ed_decode_record(struct ed_decoder *d, const uint8_t *p, size_t n, struct ed_chunk *out,
		     uint32_t row, char *err, size_t errlen);

/* JSON text of a value (as sinks write it): numbers bare, text quoted and
 * escaped, timestamps as ISO-8601 strings ("2026-11-25T12:00:00.123Z" for
 * both TIMESTAMP and TIMESTAMPTZ), intervals as their PostgreSQL text,
 * NULL as null. */
void ed_out_json_value(struct ed_buf *out, const struct ed_value *v);
void ed_out_json_string(struct ed_buf *out, const char *s, size_t n);

#endif
