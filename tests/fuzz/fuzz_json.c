/* libFuzzer target for the JSON record decoder (src/exec/json.c): decode the
 * input bytes as one record with a fixed schema covering every column type
 * and a nested path, and check, whatever the input:
 *   - a failed decode reports a five-character SQLSTATE and a message, and
 *     leaves every bound column of the row NULL;
 *   - a successful decode encodes (ed_json_encode_row) to JSON that decodes
 *     again and encodes to the same bytes (fixed point).
 * A broken invariant aborts, which is what libFuzzer reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "exec/chunk.h"
#include "exec/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NCOLS 11

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_json: invariant broken: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[NCOLS] = {"id", "name", "price", "ts", "ok", "score",
						 "a.b.n", "a.b", "s", "f", "dur"};
	/* Re-encoding uses flat names: the nested ones get distinct keys. */
	static const char *const flat[NCOLS] = {"id", "name", "price", "ts", "ok", "score",
						"n", "b", "s", "f", "dur"};
	struct ed_type types[NCOLS] = {
		ed_type_make(ED_TYPE_INT64), ed_type_make(ED_TYPE_TEXT),
		ed_type_make(ED_TYPE_DECIMAL), ed_type_make(ED_TYPE_TIMESTAMPTZ),
		ed_type_make(ED_TYPE_BOOL), ed_type_make(ED_TYPE_FLOAT64),
		ed_type_make(ED_TYPE_INT32), ed_type_make(ED_TYPE_TEXT),
		ed_type_make(ED_TYPE_INT16), ed_type_make(ED_TYPE_FLOAT32),
		ed_type_make(ED_TYPE_INTERVAL),
	};
	types[2].precision = 12;
	types[2].scale = 3;
	uint32_t cols[NCOLS];
	for (uint32_t i = 0; i < NCOLS; i++)
		cols[i] = i;
	struct ed_chunk c;
	struct ed_json_decoder d, dflat;
	struct ed_expr_error err;
	if (ed_chunk_init(&c, types, NCOLS, 2))
		return 0;
	if (ed_json_decoder_init(&d, paths, cols, NCOLS, &err) ||
	    ed_json_decoder_init(&dflat, flat, cols, NCOLS, &err))
		abort();
	if (ed_json_decode(&d, (const char *)data, size, &c, 0, &err) != 0) {
		check(strlen(err.sqlstate) == 5, "SQLSTATE has five characters");
		check(err.message[0] != 0, "error has a message");
		for (uint32_t i = 0; i < NCOLS; i++)
			check(c.cols[i].nulls[0] == 1, "failed row is NULL");
	} else {
		struct ed_buf a, b;
		ed_buf_init(&a);
		ed_buf_init(&b);
		check(ed_json_encode_row(&c, 0, flat, &a) == 0, "encode");
		int rc = ed_json_decode(&dflat, (const char *)a.data, a.len, &c, 1, &err);
		if (rc)
			fprintf(stderr, "re-decode of %.*s: %s\n", (int)a.len, (const char *)a.data,
				err.message);
		check(rc == 0, "encoded row decodes");
		check(ed_json_encode_row(&c, 1, flat, &b) == 0, "encode again");
		check(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "encode fixed point");
		ed_buf_fini(&a);
		ed_buf_fini(&b);
	}
	ed_json_decoder_fini(&d);
	ed_json_decoder_fini(&dflat);
	ed_chunk_fini(&c);
	return 0;
}
