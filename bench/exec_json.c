/* bench/exec_json: records/s of the JSON record decoder on a typical
 * ~150-byte event decoded into 5 columns (bigint, text, numeric(10,2),
 * timestamptz from an ISO string, nested int), through the entry point
 * source pipelines call (ed_decode_record, src/exec/decode.c) and through
 * the codec directly (ed_json_decode, src/exec/json.c), against a plain
 * strlen + memchr pass over the same bytes in the same run (the floor:
 * touching every byte once). Chunks of 1024 rows, arena reset per chunk, as
 * the engine does. Usage: bench_exec_json [seconds per phase].
 * bench/exec_json_before.sh compares with the base commit's pipeline path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "exec/chunk.h"
#include "exec/decode.h"
#include "exec/json.h"

#define NREC 4096

static char recs[NREC][256];
static size_t lens[NREC];

static double run_decode(struct ed_json_decoder *d, struct ed_chunk *c, double secs, long *n)
{
	struct ed_expr_error err;
	int64_t t0 = ed_mono_ns(), end = t0 + (int64_t)(secs * 1e9);
	long count = 0;
	while (ed_mono_ns() < end) {
		for (int k = 0; k < NREC; k += 1024) {
			for (uint32_t r = 0; r < 1024; r++)
				if (ed_json_decode(d, recs[k + r], lens[k + r], c, r, &err)) {
					fprintf(stderr, "decode: %s\n", err.message);
					exit(1);
				}
			c->rows = 1024;
			ed_chunk_reset(c);
			count += 1024;
		}
	}
	*n = count;
	return (double)(ed_mono_ns() - t0) / 1e9;
}

/* The pipelines' path: what engine/engine.c's take_record calls. */
static double run_record(struct ed_decoder *d, struct ed_chunk *c, double secs, long *n)
{
	char why[300];
	int64_t t0 = ed_mono_ns(), end = t0 + (int64_t)(secs * 1e9);
	long count = 0;
	while (ed_mono_ns() < end) {
		for (int k = 0; k < NREC; k += 1024) {
			for (uint32_t r = 0; r < 1024; r++)
				if (ed_decode_record(d, (const uint8_t *)recs[k + r], lens[k + r],
						     c, r, why, sizeof why)) {
					fprintf(stderr, "decode: %s\n", why);
					exit(1);
				}
			c->rows = 1024;
			ed_chunk_reset(c);
			count += 1024;
		}
	}
	*n = count;
	return (double)(ed_mono_ns() - t0) / 1e9;
}

static volatile size_t sink;

static double run_baseline(double secs, long *n)
{
	int64_t t0 = ed_mono_ns(), end = t0 + (int64_t)(secs * 1e9);
	long count = 0;
	size_t acc = 0;
	while (ed_mono_ns() < end) {
		for (int k = 0; k < NREC; k++) {
			size_t len = strlen(recs[k]);
			const char *p = recs[k], *e = p + len;
			while ((p = memchr(p, '"', (size_t)(e - p))) != NULL) {
				acc++;
				p++;
			}
		}
		count += NREC;
	}
	sink = acc;
	*n = count;
	return (double)(ed_mono_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.5;
	size_t total = 0;
	for (int k = 0; k < NREC; k++) {
		int n = snprintf(recs[k], sizeof recs[k],
				 "{\"event_id\":%d,\"user\":{\"id\":%d,\"country\":\"DE\"},"
				 "\"action\":\"click-%d\",\"price\":%d.%02d,"
				 "\"ts\":\"2026-11-25T12:%02d:%02d.%03dZ\",\"session\":\"s%08x\"}",
				 1000000 + k, k % 977, k % 13, k % 500, k % 100, (k / 60) % 60,
				 k % 60, k % 1000, (unsigned)k * 2654435761u);
		lens[k] = (size_t)n;
		total += (size_t)n;
	}
	struct ed_type types[5] = {ed_type_make(ED_TYPE_INT64), ed_type_make(ED_TYPE_TEXT),
				   ed_type_make(ED_TYPE_DECIMAL), ed_type_make(ED_TYPE_TIMESTAMPTZ),
				   ed_type_make(ED_TYPE_INT32)};
	types[2].precision = 10;
	types[2].scale = 2;
	const char *paths[5] = {"event_id", "action", "price", "ts", "user.id"};
	uint32_t cols[5] = {0, 1, 2, 3, 4};
	struct ed_chunk c;
	struct ed_json_decoder d;
	struct ed_decoder rd;
	struct ed_expr_error err;
	if (ed_chunk_init(&c, types, 5, 1024) || ed_json_decoder_init(&d, paths, cols, 5, &err) ||
	    ed_decoder_init(&rd, ED_RECORD_JSON, paths, 5, 0))
		return 1;
	printf("exec_json: %d records, mean %.0f bytes, 5 columns, %.1f s per phase\n", NREC,
	       (double)total / NREC, secs);
	long nd, nb, nr;
	double td = 0, tb = 0, tr = 0, best_d = 0, best_b = 0, best_r = 0;
	for (int rep = 0; rep < 3; rep++) {
		tr = run_record(&rd, &c, secs, &nr);
		if (nr / tr > best_r)
			best_r = nr / tr;
		td = run_decode(&d, &c, secs, &nd);
		tb = run_baseline(secs, &nb);
		if (nd / td > best_d)
			best_d = nd / td;
		if (nb / tb > best_b)
			best_b = nb / tb;
	}
	double mean = (double)total / NREC;
	printf("%-32s %12.0f rec/s %8.1f MB/s\n", "pipeline path (ed_decode_record)", best_r,
	       best_r * mean / 1e6);
	printf("%-32s %12.0f rec/s %8.1f MB/s\n", "json codec (ed_json_decode)", best_d,
	       best_d * mean / 1e6);
	printf("%-32s %12.0f rec/s %8.1f MB/s\n", "baseline strlen+memchr", best_b,
	       best_b * mean / 1e6);
	printf("ratio pipeline path/baseline %.2f, codec/baseline %.2f (best of 3)\n",
	       best_r / best_b, best_d / best_b);
	ed_decoder_fini(&rd);
	ed_json_decoder_fini(&d);
	ed_chunk_fini(&c);
	return 0;
}
