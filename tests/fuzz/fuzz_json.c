/* libFuzzer target for the JSON record codec (src/exec/json.c) through the
 * entry point source pipelines call (ed_decode_record, src/exec/decode.c):
 * decode the input bytes as one record with a fixed schema covering every
 * column type (TIMESTAMP and TIMESTAMPTZ, whose zone rules differ) and a
 * nested path, and check, whatever the input:
 *   - a failed decode reports a five-character SQLSTATE and a message, and
 *     leaves every bound column of the row NULL;
 *   - a successful decode encodes (ed_json_encode_row, i.e. the value
 *     encoder sinks and HTTP use) to JSON that decodes again and encodes to
 *     the same bytes (fixed point).
 * A broken invariant aborts, which is what libFuzzer reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "exec/chunk.h"
#include "exec/decode.h"
#include "exec/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NCOLS 12

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_json: invariant broken: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[NCOLS] = {"id",    "name", "price", "ts", "ok",  "score",
						 "a.b.n", "a.b",  "s",     "f",  "dur", "t"};
	/* Re-encoding uses flat names: the nested ones get distinct keys. */
	static const char *const flat[NCOLS] = {"id", "name", "price", "ts", "ok",  "score",
						"n",  "b",    "s",     "f",  "dur", "t"};
	struct ed_type types[NCOLS] = {
		ed_type_make(ED_TYPE_INT64),    ed_type_make(ED_TYPE_TEXT),
		ed_type_make(ED_TYPE_DECIMAL),  ed_type_make(ED_TYPE_TIMESTAMPTZ),
		ed_type_make(ED_TYPE_BOOL),     ed_type_make(ED_TYPE_FLOAT64),
		ed_type_make(ED_TYPE_INT32),    ed_type_make(ED_TYPE_TEXT),
		ed_type_make(ED_TYPE_INT16),    ed_type_make(ED_TYPE_FLOAT32),
		ed_type_make(ED_TYPE_INTERVAL), ed_type_make(ED_TYPE_TIMESTAMP),
	};
	types[2].precision = 12;
	types[2].scale = 3;
	struct ed_chunk c;
	struct ed_decoder d, dflat;
	char why[300];
	if (ed_chunk_init(&c, types, NCOLS, 2))
		return 0;
	if (ed_decoder_init(&d, ED_RECORD_JSON, paths, NCOLS, 0) ||
	    ed_decoder_init(&dflat, ED_RECORD_JSON, flat, NCOLS, 0))
		abort();
	why[0] = 0;
	if (ed_decode_record(&d, data, size, &c, 0, why, sizeof why) != 0) {
		check(why[0] != 0, "error has a message");
		for (uint32_t i = 0; i < NCOLS; i++)
			check(c.cols[i].nulls[0] == 1, "failed row is NULL");
	} else {
		struct ed_buf a, b;
		ed_buf_init(&a);
		ed_buf_init(&b);
		check(ed_json_encode_row(&c, 0, flat, &a) == 0, "encode");
		int rc = ed_decode_record(&dflat, a.data, a.len, &c, 1, why, sizeof why);
		if (rc)
			fprintf(stderr, "re-decode of %.*s: %s\n", (int)a.len, (const char *)a.data,
				why);
		check(rc == 0, "encoded row decodes");
		check(ed_json_encode_row(&c, 1, flat, &b) == 0, "encode again");
		check(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "encode fixed point");
		ed_buf_fini(&a);
		ed_buf_fini(&b);
	}
	ed_decoder_fini(&d);
	ed_decoder_fini(&dflat);
	ed_chunk_fini(&c);
	return 0;
}
