/* libFuzzer target for the HTTP request parser: the head parser on the
 * input (with a small head limit so 431 paths are reached), then, for a
 * chunked request, the chunked decoder over the rest fed in pieces whose
 * size the first byte chooses, then URL and query decoding of the target.
 * Invariants (abort when broken): a parsed head lies within the input and
 * its target within the head; the decoder never consumes more than it was
 * given, never produces more than the limit, and a finished body produced
 * exactly the bytes it counted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "http/http_int.h"

#define FUZZ_HEAD_LIMIT 2048
#define FUZZ_BODY_LIMIT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_http_request: invariant broken: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)(data[0] % 16) + 1;
	data++;
	size--;
	struct ed_http_head h;
	int status = 0;
	int rc = ed_http_parse_head(data, size, FUZZ_HEAD_LIMIT, &h, &status);
	if (rc == ED_EPROTO) {
		check(status >= 400 && status < 600, "status of a refusal");
		return 0;
	}
	if (rc != 0)
		return 0;
	check(h.head_len <= size, "head within the input");
	check((const uint8_t *)h.target >= data &&
		      (const uint8_t *)h.target + h.target_len <= data + h.head_len,
	      "target within the head");
	check(!(h.chunked && h.content_length >= 0), "both lengths accepted");

	char path[FUZZ_HEAD_LIMIT + 1], val[256];
	const char *q = memchr(h.target, '?', h.target_len);
	size_t pl = q ? (size_t)(q - h.target) : h.target_len;
	if (ed_http_url_decode(h.target, pl, false, path, sizeof(path)))
		check(strlen(path) <= pl, "decoding never grows");
	if (q)
		(void)ed_http_query_get(q + 1, h.target_len - pl - 1, "key", val, sizeof(val));

	if (!h.chunked)
		return 0;
	struct ed_http_chunked st;
	ed_http_chunked_init(&st);
	struct ed_buf out;
	ed_buf_init(&out);
	size_t pos = h.head_len;
	while (pos < size && !st.done) {
		size_t take = size - pos < step ? size - pos : step;
		long n = ed_http_chunked_feed(&st, data + pos, take, &out, FUZZ_BODY_LIMIT);
		if (n < 0)
			break;
		check((size_t)n <= take, "consumed more than given");
		check(out.len <= FUZZ_BODY_LIMIT, "body over the limit");
		check(out.len == st.total || st.left > 0, "bytes produced = bytes counted");
		pos += (size_t)n;
	}
	if (st.done)
		check(out.len == st.total, "finished body size");
	ed_buf_fini(&out);
	return 0;
}
