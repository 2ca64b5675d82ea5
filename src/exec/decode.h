/* The record decoder a source pipeline holds: one record value (a JSON
 * object or a CSV line) into one row of a chunk whose columns are the
 * source's schema. It only dispatches to the format's one codec,
 * exec/json.h or exec/csv.h, which define the conversion rules (docs/SQL.md,
 * "Record formats"); nothing about a format is decided here.
 *
 * JSON: column k is the field named names[k]; a name "a.b" reads field b of
 * object a. CSV: field k is column k, delimiter `delim`.
 * ed_decode_record allocates nothing but text bytes in the chunk's arena.
 * Owned by the pipeline's worker thread. */
#ifndef ED_EXEC_DECODE_H
#define ED_EXEC_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "exec/chunk.h"
#include "exec/csv.h"
#include "exec/expr.h"
#include "exec/json.h"

enum ed_record_format { ED_RECORD_JSON = 1, ED_RECORD_CSV };

struct ed_decoder {
	enum ed_record_format format;
	int init_rc; /* a failed init: every record fails */
	struct ed_expr_error init_err;
	struct ed_json_decoder json;
	struct ed_csv_decoder csv;
};

/* Compile the decoder for n columns named names[0..n) (the strings are
 * copied). 0, ED_ENOMEM, or ED_EINVAL (a column name that is not a JSON
 * path such as "a..b", a bad CSV delimiter). On failure the decoder is
 * still safe to use and to fini: each record then fails with that reason.
 * A zeroed struct is also safe to fini. */
int ed_decoder_init(struct ed_decoder *d, enum ed_record_format format, const char *const *names,
		    uint32_t n, char delim);
void ed_decoder_fini(struct ed_decoder *d);
/* Decode p[0..n) into row `row` of out (whose columns are the schema's;
 * out->rows is not changed). 0, or a negative ed_err (ED_EINVAL, ED_ERANGE,
 * ED_ETOOBIG, ED_ENOMEM) with the codec's one-line reason in err. A NULL p (a
 * record with a null value) fails. */
int ed_decode_record(struct ed_decoder *d, const uint8_t *p, size_t n, struct ed_chunk *out,
		     uint32_t row, char *err, size_t errlen);

#endif
