/* Unit tests of the HTTP front end's pure parts: the request head parser
 * (valid requests, keep-alive rules, every refusal and its status, heads that
 * arrive byte by byte), the chunked body decoder (fed in every split, size
 * limit, bad framing), URL and query decoding, the JSON scanner (valid and
 * invalid texts, member lookup, unescaping, lossy text output) and
 * ingestion parsing (array, NDJSON, key field, envelope, refusals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"
#include "http/http_int.h"

static int parse(const char *s, struct ed_http_head *h, int *status)
{
	return ed_http_parse_head((const uint8_t *)s, strlen(s), 16384, h, status);
}

static void test_head_valid(void **state)
{
	(void)state;
	struct ed_http_head h;
	int st;
	const char *r = "POST /v1/topics/t/records?key=id HTTP/1.1\r\nHost: x\r\n"
			"Content-Type: application/x-ndjson\r\nContent-Length: 12\r\n\r\nbody";
	assert_int_equal(parse(r, &h, &st), 0);
	assert_int_equal(h.method, ED_HTTP_POST);
	assert_int_equal(h.target_len, strlen("/v1/topics/t/records?key=id"));
	assert_memory_equal(h.target, "/v1/topics/t/records?key=id", h.target_len);
	assert_int_equal(h.content_length, 12);
	assert_true(h.keep_alive);
	assert_false(h.chunked);
	assert_int_equal(h.head_len, strlen(r) - 4);
	assert_int_equal(h.content_type_len, strlen("application/x-ndjson"));

	assert_int_equal(parse("GET / HTTP/1.0\n\n", &h, &st), 0); /* bare LF */
	assert_false(h.keep_alive);
	assert_int_equal(h.content_length, -1);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h, &st), 0);
	assert_true(h.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", &h, &st), 0);
	assert_false(h.keep_alive);
	assert_int_equal(parse("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
			       "Expect: 100-continue\r\n\r\n",
			       &h, &st),
			 0);
	assert_true(h.chunked);
	assert_true(h.expect_continue);
	assert_int_equal(parse("\r\nGET / HTTP/1.1\r\n\r\n", &h, &st), 0); /* leading CRLF */
	assert_int_equal(parse("BREW /pot HTTP/1.1\r\n\r\n", &h, &st), 0);
	assert_int_equal(h.method, ED_HTTP_OTHER);
	/* same Content-Length twice is fine */
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n",
			       &h, &st),
			 0);
}

static void test_head_refused(void **state)
{
	(void)state;
	static const struct {
		const char *req;
		int status;
	} bad[] = {
		{"GET / HTTP/1.1 \r\n\r\n", 400},
		{"GET  / HTTP/1.1\r\n\r\n", 400},
		{"GET / HTTP/2.0\r\n\r\n", 505},
		{"GET / HTTP/1.2\r\n\r\n", 505},
		{"GET / FTP/1.1\r\n\r\n", 400},
		{"GET /\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		 400},
		{"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ed_http_head h;
		int st = 0;
		int rc = parse(bad[i].req, &h, &st);
		if (rc != ED_EPROTO || st != bad[i].status)
			fail_msg("case %zu (%s): rc %d status %d, expected %d", i, bad[i].req, rc,
				 st, bad[i].status);
	}
	/* head over the limit, too many headers, target too long */
	char big[20000];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	struct ed_http_head h;
	int st;
	assert_int_equal(ed_http_parse_head((uint8_t *)big, sizeof(big), 16384, &h, &st), ED_EPROTO);
	assert_int_equal(st, 431);
	struct ed_buf b;
	ed_buf_init(&b);
	ed_buf_printf(&b, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < ED_HTTP_MAX_HEADERS + 1; i++)
		ed_buf_printf(&b, "X-%d: v\r\n", i);
	ed_buf_printf(&b, "\r\n");
	assert_int_equal(ed_http_parse_head(b.data, b.len, 16384, &h, &st), ED_EPROTO);
	assert_int_equal(st, 431);
	ed_buf_reset(&b);
	ed_buf_printf(&b, "GET /");
	for (int i = 0; i < 9000; i++)
		ed_buf_put_u8(&b, 'a');
	ed_buf_printf(&b, " HTTP/1.1\r\n\r\n");
	assert_int_equal(ed_http_parse_head(b.data, b.len, 16384, &h, &st), ED_EPROTO);
	assert_int_equal(st, 414);
	ed_buf_fini(&b);
}

static void test_head_partial(void **state)
{
	(void)state;
	const char *r = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n";
	size_t n = strlen(r);
	for (size_t i = 0; i < n; i++) {
		struct ed_http_head h;
		int st;
		assert_int_equal(ed_http_parse_head((const uint8_t *)r, i, 16384, &h, &st),
				 ED_EAGAIN);
	}
}

/* Decode a chunked body fed in pieces of `step` bytes. */
static long chunked_all(const char *in, size_t n, size_t step, size_t limit, struct ed_buf *out,
			size_t *used)
{
	struct ed_http_chunked st;
	ed_http_chunked_init(&st);
	size_t pos = 0;
	while (pos < n && !st.done) {
		size_t take = n - pos < step ? n - pos : step;
		long rc = ed_http_chunked_feed(&st, (const uint8_t *)in + pos, take, out, limit);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
	}
	*used = pos;
	return st.done ? 0 : ED_EAGAIN;
}

static void test_chunked(void **state)
{
	(void)state;
	const char *body = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	size_t n = strlen(body);
	for (size_t step = 1; step <= n; step++) {
		struct ed_buf out;
		ed_buf_init(&out);
		size_t used = 0;
		assert_int_equal(chunked_all(body, n, step, 1000, &out, &used), 0);
		assert_int_equal(used, n - 4); /* "NEXT" is the next request */
		assert_int_equal(out.len, 12);
		assert_memory_equal(out.data, "hello, world", 12);
		ed_buf_fini(&out);
	}
	struct ed_buf out;
	ed_buf_init(&out);
	size_t used;
	assert_int_equal(chunked_all("0\n\n", 3, 1, 10, &out, &used), 0); /* bare LFs */
	assert_int_equal(chunked_all("b\r\nhello world\r\n0\r\n\r\n", 22, 100, 10, &out, &used),
			 ED_ETOOBIG);
	ed_buf_reset(&out);
	assert_int_equal(chunked_all("6\r\nhello \r\n6\r\nworld!\r\n0\r\n\r\n", 27, 100, 10, &out,
				     &used),
			 ED_ETOOBIG);
	static const char *const bad[] = {"x\r\n",
					  "\r\n",
					  "5\r\nhelloX",
					  "5\r\nhello\rX",
					  "fffffffffffffffff\r\n",
					  "5\r\nhello\r\n0\r\nX"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ed_buf_reset(&out);
		long rc = chunked_all(bad[i], strlen(bad[i]), 100, 1 << 20, &out, &used);
		if (i == 5)
			assert_int_equal(rc, ED_EAGAIN); /* an unfinished trailer line: wait */
		else
			assert_int_equal(rc, ED_EPROTO);
	}
	ed_buf_fini(&out);
}

static void test_url(void **state)
{
	(void)state;
	char out[64];
	assert_true(ed_http_url_decode("a%20b+c", 7, true, out, sizeof(out)));
	assert_string_equal(out, "a b c");
	assert_true(ed_http_url_decode("a%2Fb+c", 7, false, out, sizeof(out)));
	assert_string_equal(out, "a/b+c");
	assert_false(ed_http_url_decode("a%2", 3, false, out, sizeof(out)));
	assert_false(ed_http_url_decode("a%zz", 4, false, out, sizeof(out)));
	assert_false(ed_http_url_decode("a%00", 4, false, out, sizeof(out)));
	assert_false(ed_http_url_decode("abcdef", 6, false, out, 4));
	const char *q = "acks=1&key=user%5Fid&flag&empty=";
	assert_int_equal(ed_http_query_get(q, strlen(q), "key", out, sizeof(out)), 1);
	assert_string_equal(out, "user_id");
	assert_int_equal(ed_http_query_get(q, strlen(q), "acks", out, sizeof(out)), 1);
	assert_string_equal(out, "1");
	assert_int_equal(ed_http_query_get(q, strlen(q), "flag", out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(ed_http_query_get(q, strlen(q), "empty", out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(ed_http_query_get(q, strlen(q), "ack", out, sizeof(out)), 0);
	assert_int_equal(ed_http_query_get("", 0, "x", out, sizeof(out)), 0);
	assert_int_equal(ed_http_query_get("x=%", 3, "x", out, sizeof(out)), -1);
}

static void test_json(void **state)
{
	(void)state;
	static const char *const good[] = {
		"{}",
		"[]",
		"0",
		"-0.5e+3",
		"\"\\u00e9\\ud83d\\ude00\"",
		" {\"a\" : [1, true, null, {\"b\":\"c\"}]} ",
		"\"caf\xc3\xa9\"",
		"1E9",
		"false",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!ed_hjson_valid(good[i], strlen(good[i])))
			fail_msg("should be valid: %s", good[i]);
	static const char *const bad[] = {
		"",
		"{",
		"[1,]",
		"{\"a\":1,}",
		"01",
		"1.",
		".5",
		"-",
		"1e",
		"tru",
		"nul",
		"\"\\x\"",
		"\"\\ud800\"",
		"\"\\udc00x\"",
		"\"a\tb\"",
		"\"\xff\"",
		"\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"",
		"{a:1}",
		"[1 2]",
		"{\"a\" 1}",
		"1 2",
		"'a'",
		"NaN",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ed_hjson_valid(bad[i], strlen(bad[i])))
			fail_msg("should be invalid: %s", bad[i]);
	/* nesting limit */
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	assert_false(ed_hjson_valid(deep, 200));
	assert_true(ed_hjson_valid(deep + 100 - ED_HJSON_MAX_DEPTH, 2 * ED_HJSON_MAX_DEPTH));

	const char *obj = "{\"a\": {\"id\": 1}, \"id\" : \"x\\\"y\", \"n\\u0061me\": [1]}";
	const char *v;
	size_t vn;
	assert_true(ed_hjson_member(obj, strlen(obj), "id", &v, &vn));
	assert_int_equal(vn, 6);
	assert_memory_equal(v, "\"x\\\"y\"", 6);
	assert_true(ed_hjson_member(obj, strlen(obj), "name", &v, &vn)); /* escaped name */
	assert_memory_equal(v, "[1]", 3);
	assert_false(ed_hjson_member(obj, strlen(obj), "b", &v, &vn));

	struct ed_buf b;
	ed_buf_init(&b);
	const char *s = "\"a\\n\\u00e9\\ud83d\\ude00\\/\"";
	ed_hjson_unescape(s, strlen(s), &b);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "a\n\xc3\xa9\xf0\x9f\x98\x80/", 9);
	ed_buf_reset(&b);
	ed_hjson_put_text(&b, "q\"\\\x01\xff\xc3\xa9", 7);
	assert_int_equal(b.len, strlen("\"q\\\"\\\\\\u0001\xef\xbf\xbd\xc3\xa9\""));
	assert_memory_equal(b.data, "\"q\\\"\\\\\\u0001\xef\xbf\xbd\xc3\xa9\"", b.len);
	assert_true(ed_hjson_valid((char *)b.data, b.len));
	ed_buf_fini(&b);
}

static void test_ingest(void **state)
{
	(void)state;
	struct ed_ingest in;
	ed_ingest_init(&in);
	char err[256];
	struct ed_ingest_opts o = {0};

	const char *nd = "{\"id\":\"a\",\"v\":1}\n\n  {\"id\":2}\r\n{\"v\":3}";
	assert_int_equal(ed_ingest_parse(&in, nd, strlen(nd), &o, err, sizeof(err)), 0);
	assert_int_equal(in.n, 3);
	assert_int_equal(in.recs[0].value_len, 16);
	assert_null(in.recs[0].key);
	o.key_field = "id";
	assert_int_equal(ed_ingest_parse(&in, nd, strlen(nd), &o, err, sizeof(err)), 0);
	assert_int_equal(in.recs[0].key_len, 1);
	assert_memory_equal(in.recs[0].key, "a", 1);
	assert_int_equal(in.recs[1].key_len, 1);
	assert_memory_equal(in.recs[1].key, "2", 1); /* non-string: JSON text */
	assert_null(in.recs[2].key);

	const char *arr = " [ {\"id\":\"x\\ty\"} , {\"id\":null} ] ";
	assert_int_equal(ed_ingest_parse(&in, arr, strlen(arr), &o, err, sizeof(err)), 0);
	assert_int_equal(in.n, 2);
	assert_int_equal(in.recs[0].key_len, 3);
	assert_memory_equal(in.recs[0].key, "x\ty", 3);
	assert_null(in.recs[1].key);
	assert_memory_equal(in.recs[0].value, "{\"id\":\"x\\ty\"}", (size_t)in.recs[0].value_len);

	/* NDJSON content type: a leading '[' line is an array value, not an object */
	o.ndjson = true;
	assert_int_equal(ed_ingest_parse(&in, arr, strlen(arr), &o, err, sizeof(err)), ED_EINVAL);
	o.ndjson = false;

	o.envelope = true;
	o.key_field = NULL;
	const char *env = "[{\"key\":\"k\",\"value\":{\"a\":1},\"partition\":2,\"timestamp\":5},"
			  "{\"value\":\"tex\\u0074\"},{\"key\":7,\"value\":null}]";
	assert_int_equal(ed_ingest_parse(&in, env, strlen(env), &o, err, sizeof(err)), 0);
	assert_int_equal(in.n, 3);
	assert_memory_equal(in.recs[0].key, "k", 1);
	assert_int_equal(in.recs[0].value_len, 7);
	assert_int_equal(in.recs[0].partition, 2);
	assert_int_equal(in.recs[0].timestamp, 5);
	assert_int_equal(in.recs[1].value_len, 4);
	assert_memory_equal(in.recs[1].value, "text", 4);
	assert_null(in.recs[1].key);
	assert_int_equal(in.recs[1].partition, -1);
	assert_memory_equal(in.recs[2].key, "7", 1);
	assert_null(in.recs[2].value);
	static const char *const bad_env[] = {
		"{\"value\":1,\"extra\":2}", "{\"partition\":-1}",          "{\"partition\":1.5}",
		"{\"timestamp\":\"now\"}",   "{\"partition\":99999999999}",
	};
	for (size_t i = 0; i < sizeof(bad_env) / sizeof(bad_env[0]); i++)
		if (ed_ingest_parse(&in, bad_env[i], strlen(bad_env[i]), &o, err, sizeof(err)) !=
		    ED_EINVAL)
			fail_msg("envelope should fail: %s", bad_env[i]);
	o.envelope = false;

	static const char *const bad[] = {
		"",
		"  \n ",
		"[]",
		"[1]",
		"{\"a\":1} {\"b\":2}",
		"{\"a\":1}\n\"s\"",
		"[{\"a\":1}",
		"[{\"a\":1}] []",
		"{\"a\":1}\n{",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ed_ingest_parse(&in, bad[i], strlen(bad[i]), &o, err, sizeof(err)) != ED_EINVAL)
			fail_msg("should fail: %s", bad[i]);
		assert_int_equal(in.n, 0);
		assert_true(err[0] != 0);
	}
	const char *two = "{\"a\":1}\n{\"a\":\"bad\xff\"}\n";
	assert_int_equal(ed_ingest_parse(&in, two, strlen(two), &o, err, sizeof(err)), ED_EINVAL);
	assert_non_null(strstr(err, "line 2"));
	o.max_records = 1;
	assert_int_equal(ed_ingest_parse(&in, nd, strlen(nd), &o, err, sizeof(err)), ED_ETOOBIG);
	ed_ingest_fini(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_valid),   cmocka_unit_test(test_head_refused),
		cmocka_unit_test(test_head_partial), cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_url),          cmocka_unit_test(test_json),
		cmocka_unit_test(test_ingest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
