/* libFuzzer target for the HTTP ingestion path: a request body (JSON array
 * or NDJSON) validated and split into records by ed_ingest_parse, with the
 * options chosen by the first byte (NDJSON content type, envelope form, a
 * key field). Invariants (abort when broken): a refused body leaves no
 * records and says why; an accepted one has at least one record; in the
 * plain form every record value is a span of the body that is itself one
 * valid JSON object, and keys and values point into the body or into the
 * parser's arena with sane lengths. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_http_ingest: invariant broken: %s\n", what);
		abort();
	}
}

static int in_body(const char *p, int32_t len, const char *body, size_t n)
{
	return p >= body && len >= 0 && (size_t)(p - body) + (size_t)len <= n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	const char *body = (const char *)data + 1;
	size_t n = size - 1;
	struct ed_ingest_opts o = {0};
	o.ndjson = flags & 1;
	o.envelope = flags & 2;
	o.key_field = (flags & 4) ? "id" : NULL;
	o.max_records = (flags & 8) ? 3 : 0;
	struct ed_ingest in;
	ed_ingest_init(&in);
	char err[256];
	int rc = ed_ingest_parse(&in, body, n, &o, err, sizeof(err));
	if (rc < 0) {
		check(in.n == 0, "records left after a refusal");
		check(err[0] != 0, "a refusal without a reason");
	} else {
		check(rc == 0 && in.n > 0, "accepted without records");
		check(!o.max_records || in.n <= o.max_records, "record limit");
		for (size_t i = 0; i < in.n; i++) {
			const struct ed_ingest_rec *r = &in.recs[i];
			if (!o.envelope) {
				check(in_body(r->value, r->value_len, body, n),
				      "value outside the body");
				check(ed_hjson_valid(r->value, (size_t)r->value_len),
				      "value is not valid JSON");
				check(r->value[0] == '{', "value is not an object");
				check(r->partition == -1 && r->timestamp == -1,
				      "plain record with a placement");
			}
			check(r->key == NULL ? r->key_len == -1 : r->key_len >= 0, "key length");
			check(r->value == NULL ? r->value_len == -1 : r->value_len >= 0,
			      "value length");
			volatile uint8_t sum = 0; /* touch every byte: ASan checks the spans */
			for (int32_t k = 0; k < r->key_len; k++)
				sum ^= (uint8_t)r->key[k];
			for (int32_t k = 0; k < r->value_len; k++)
				sum ^= (uint8_t)r->value[k];
			(void)sum;
		}
	}
	ed_ingest_fini(&in);
	return 0;
}
