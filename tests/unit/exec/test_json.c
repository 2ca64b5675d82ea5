/* Unit tests for JSON records (src/exec/json.c): decoding good, bad and edge
 * input into every column type (nested paths, escapes and surrogate pairs,
 * big numbers, timestamps in every accepted form, limits), the row encoder,
 * an encode/decode round trip, the value encoder against PostgreSQL's
 * to_json output, PostgreSQL's zone rule (ignored for TIMESTAMP, applied
 * for TIMESTAMPTZ), and that decoding allocates nothing per record once
 * the chunk arena has its block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "exec/exec_int.h"
#include "exec/json.h"
#include "exec_test_util.h"

/* Columns: id bigint, name text, price numeric(10,2), ts timestamptz,
 * ok boolean, score double, user.id int, user.geo.lat real, n smallint,
 * dur interval, raw text (object). */
enum { J_ID, J_NAME, J_PRICE, J_TS, J_OK, J_SCORE, J_UID, J_LAT, J_N, J_DUR, J_RAW, J_NCOLS };

struct jt {
	struct ed_chunk c;
	struct ed_json_decoder d;
	struct ed_expr_error err;
	struct ed_buf b;
};

static void jt_init(struct jt *t)
{
	struct ed_type types[J_NCOLS] = {
		ed_type_make(ED_TYPE_INT64), ed_type_make(ED_TYPE_TEXT),
		tx_dec_type(10, 2),          ed_type_make(ED_TYPE_TIMESTAMPTZ),
		ed_type_make(ED_TYPE_BOOL),  ed_type_make(ED_TYPE_FLOAT64),
		ed_type_make(ED_TYPE_INT32), ed_type_make(ED_TYPE_FLOAT32),
		ed_type_make(ED_TYPE_INT16), ed_type_make(ED_TYPE_INTERVAL),
		ed_type_make(ED_TYPE_TEXT),
	};
	const char *paths[J_NCOLS] = {"id",      "name",         "price", "ts",  "ok", "score",
				      "user.id", "user.geo.lat", "n",     "dur", "raw"};
	uint32_t cols[J_NCOLS];
	for (uint32_t i = 0; i < J_NCOLS; i++)
		cols[i] = i;
	assert_int_equal(ed_chunk_init(&t->c, types, J_NCOLS, 16), 0);
	assert_int_equal(ed_json_decoder_init(&t->d, paths, cols, J_NCOLS, &t->err), 0);
	ed_buf_init(&t->b);
}

static void jt_fini(struct jt *t)
{
	ed_chunk_fini(&t->c);
	ed_json_decoder_fini(&t->d);
	ed_buf_fini(&t->b);
}

/* Decode into row 0; "OK" or "ERR sqlstate". */
static const char *dec(struct jt *t, const char *json)
{
	int rc = ed_json_decode(&t->d, json, strlen(json), &t->c, 0, &t->err);
	static char out[64];
	if (rc)
		snprintf(out, sizeof out, "ERR %s", t->err.sqlstate);
	else
		snprintf(out, sizeof out, "OK");
	return out;
}

/* Text of column col row 0 ("NULL" if null). */
static const char *cell(struct jt *t, int col)
{
	struct ed_value v;
	ed_vector_get(&t->c.cols[col], 0, &v);
	ed_buf_reset(&t->b);
	if (v.null)
		ed_buf_append(&t->b, "NULL", 4);
	else
		ed_value_format(&v, &t->b);
	ed_buf_put_u8(&t->b, 0);
	return (const char *)t->b.data;
}

static void test_decode_basic(void **state)
{
	(void)state;
	struct jt t;
	jt_init(&t);
	assert_string_equal(dec(&t, "{\"id\": 42, \"name\": \"bob\", \"price\": 12.345, "
				    "\"ts\": \"2026-11-25T12:00:00.123Z\", \"ok\": true, \"score\": 1.5e3, "
				    "\"user\": {\"id\": 7, \"geo\": {\"lat\": 48.5, \"x\": [1,2]}}, "
				    "\"extra\": {\"deep\": [null, {\"a\": \"b\"}]}, \"n\": -3, "
				    "\"dur\": \"1 hour\", \"raw\": {\"k\": [1, \"v\"]}}"),
			    "OK");
	assert_string_equal(cell(&t, J_ID), "42");
	assert_string_equal(cell(&t, J_NAME), "bob");
	assert_string_equal(cell(&t, J_PRICE), "12.35");
	assert_string_equal(cell(&t, J_TS), "2026-11-25 12:00:00.123+00");
	assert_string_equal(cell(&t, J_OK), "t");
	assert_string_equal(cell(&t, J_SCORE), "1500");
	assert_string_equal(cell(&t, J_UID), "7");
	assert_string_equal(cell(&t, J_LAT), "48.5");
	assert_string_equal(cell(&t, J_N), "-3");
	assert_string_equal(cell(&t, J_DUR), "01:00:00");
	assert_string_equal(cell(&t, J_RAW), "{\"k\": [1, \"v\"]}");
	/* missing fields and null are NULL; a second decode clears the row */
	assert_string_equal(dec(&t, " {\"id\": null} "), "OK");
	assert_string_equal(cell(&t, J_ID), "NULL");
	assert_string_equal(cell(&t, J_NAME), "NULL");
	assert_string_equal(cell(&t, J_UID), "NULL");
	/* user is not an object: the path is simply absent */
	assert_string_equal(dec(&t, "{\"user\": 5}"), "OK");
	assert_string_equal(cell(&t, J_UID), "NULL");
	/* duplicate keys: the last wins */
	assert_string_equal(dec(&t, "{\"id\": 1, \"id\": 2}"), "OK");
	assert_string_equal(cell(&t, J_ID), "2");
	assert_string_equal(dec(&t, "{}"), "OK");
	jt_fini(&t);
}

static void test_decode_strings(void **state)
{
	(void)state;
	struct jt t;
	jt_init(&t);
	assert_string_equal(dec(&t, "{\"name\": \"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20AC\"}"), "OK");
	assert_string_equal(cell(&t, J_NAME), "a\"b\\c/d\n\té€");
	assert_string_equal(dec(&t, "{\"name\": \"\\ud83d\\ude00 ok\"}"), "OK");
	assert_string_equal(cell(&t, J_NAME), "\xF0\x9F\x98\x80 ok");
	assert_string_equal(dec(&t, "{\"name\": \"héllo ✓\"}"), "OK");
	assert_string_equal(cell(&t, J_NAME), "héllo ✓");
	/* escaped member names match */
	assert_string_equal(dec(&t, "{\"n\\u0061me\": \"x\"}"), "OK");
	assert_string_equal(cell(&t, J_NAME), "x");
	/* non-string values into a text column keep their JSON text */
	assert_string_equal(dec(&t, "{\"name\": -1.5e3}"), "OK");
	assert_string_equal(cell(&t, J_NAME), "-1.5e3");
	assert_string_equal(dec(&t, "{\"name\": false}"), "OK");
	assert_string_equal(cell(&t, J_NAME), "false");
	/* bad strings */
	assert_string_equal(dec(&t, "{\"name\": \"\\ud83d\"}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"name\": \"\\ude00\"}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"name\": \"\\u0000\"}"), "ERR 22P05");
	assert_string_equal(dec(&t, "{\"name\": \"\\x\"}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"name\": \"\\u12\"}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"name\": \"a\nb\"}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"name\": \"\xC3\x28\"}"), "ERR 22021");
	assert_string_equal(dec(&t, "{\"name\": \"\xED\xA0\x80\"}"), "ERR 22021");
	assert_string_equal(dec(&t, "{\"name\": \"\xC0\xAF\"}"), "ERR 22021");
	assert_string_equal(dec(&t, "{\"other\": \"\xF5\x80\x80\x80\"}"), "ERR 22021");
	assert_string_equal(dec(&t, "{\"name\": \"abc"), "ERR 22P02");
	/* after an error the row's columns are NULL */
	assert_string_equal(cell(&t, J_NAME), "NULL");
	jt_fini(&t);
}

static void test_decode_numbers(void **state)
{
	(void)state;
	struct jt t;
	jt_init(&t);
	assert_string_equal(dec(&t, "{\"id\": 9223372036854775807}"), "OK");
	assert_string_equal(cell(&t, J_ID), "9223372036854775807");
	assert_string_equal(dec(&t, "{\"id\": -9223372036854775808}"), "OK");
	assert_string_equal(cell(&t, J_ID), "-9223372036854775808");
	assert_string_equal(dec(&t, "{\"id\": 9223372036854775808}"), "ERR 22003");
	assert_string_equal(dec(&t, "{\"id\": 123456789012345678901234567890}"), "ERR 22003");
	assert_string_equal(dec(&t, "{\"id\": 1e400}"), "ERR 22003");
	assert_string_equal(dec(&t, "{\"id\": 1e3}"), "OK");
	assert_string_equal(cell(&t, J_ID), "1000");
	assert_string_equal(dec(&t, "{\"id\": 2.0}"), "OK");
	assert_string_equal(dec(&t, "{\"id\": 2.5}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"id\": \"77\"}"), "OK");
	assert_string_equal(cell(&t, J_ID), "77");
	assert_string_equal(dec(&t, "{\"id\": \"7x\"}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"n\": 32768}"), "ERR 22003");
	assert_string_equal(dec(&t, "{\"n\": -32768}"), "OK");
	assert_string_equal(dec(&t, "{\"uid\": 1, \"user\": {\"id\": 2147483648}}"), "ERR 22003");
	assert_string_equal(dec(&t, "{\"price\": 99999999.994}"), "OK");
	assert_string_equal(cell(&t, J_PRICE), "99999999.99");
	assert_string_equal(dec(&t, "{\"price\": 99999999.995}"), "ERR 22003");
	assert_string_equal(dec(&t, "{\"price\": -1.5e-1}"), "OK");
	assert_string_equal(cell(&t, J_PRICE), "-0.15");
	assert_string_equal(dec(&t, "{\"score\": 0.1}"), "OK");
	assert_string_equal(cell(&t, J_SCORE), "0.1");
	assert_string_equal(dec(&t, "{\"score\": 123456789.123456789}"), "OK");
	assert_string_equal(cell(&t, J_SCORE), "123456789.12345679");
	assert_string_equal(dec(&t, "{\"score\": -0}"), "OK");
	assert_string_equal(dec(&t, "{\"score\": 1e309}"), "ERR 22003");
	assert_string_equal(dec(&t, "{\"score\": \"NaN\"}"), "OK");
	assert_string_equal(cell(&t, J_SCORE), "NaN");
	assert_string_equal(dec(&t, "{\"user\": {\"geo\": {\"lat\": 1e39}}}"), "ERR 22003");
	/* JSON number syntax */
	assert_string_equal(dec(&t, "{\"id\": 01}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"id\": +1}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"id\": 1.}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"id\": .5}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"id\": 1e}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"id\": -}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"x\": NaN}"), "ERR 22P02");
	/* wrong kinds */
	assert_string_equal(dec(&t, "{\"ok\": 1}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"ok\": \"yes\"}"), "OK");
	assert_string_equal(cell(&t, J_OK), "t");
	assert_string_equal(dec(&t, "{\"id\": true}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"id\": [1]}"), "ERR 22P02");
	assert_string_equal(dec(&t, "{\"id\": {}}"), "ERR 22P02");
	jt_fini(&t);
}

static void test_decode_timestamps(void **state)
{
	(void)state;
	struct jt t;
	jt_init(&t);
	static const char *const good[][2] = {
		{"\"2026-11-25T12:00:00.123Z\"", "2026-11-25 12:00:00.123+00"},
		{"\"2026-11-25 12:00:00.123\"", "2026-11-25 12:00:00.123+00"},
		{"\"2026-11-25T12:00:00\"", "2026-11-25 12:00:00+00"},
		{"\"2026-11-25T14:30:00+02:30\"", "2026-11-25 12:00:00+00"},
		{"\"2026-11-25T10:00:00-0200\"", "2026-11-25 12:00:00+00"},
		{"\"2026-11-25T13:00:00.5+01\"", "2026-11-25 12:00:00.5+00"},
		{"\"2026-11-25T12:00:00.1234567Z\"", "2026-11-25 12:00:00.123457+00"},
		{"\"2026-11-25\"", "2026-11-25 00:00:00+00"},
		{"\"2024-02-29T00:00:00Z\"", "2024-02-29 00:00:00+00"},
		{"1795608000123", "2026-11-25 12:00:00.123+00"},
		{"1795608000123.5", "2026-11-25 12:00:00.1235+00"},
		{"0", "1970-01-01 00:00:00+00"},
		{"-1000", "1969-12-31 23:59:59+00"},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char json[128];
		snprintf(json, sizeof json, "{\"ts\": %s}", good[i][0]);
		assert_string_equal(dec(&t, json), "OK");
		if (strcmp(cell(&t, J_TS), good[i][1]) != 0)
			fail_msg("%s -> %s, want %s", good[i][0], cell(&t, J_TS), good[i][1]);
	}
	static const char *const bad[] = {
		"\"2026-13-01T00:00:00Z\"",
		"\"2023-02-29T00:00:00Z\"",
		"\"2026-11-25T25:00:00Z\"",
		"\"2026-11-25X12:00:00\"",
		"\"yesterday\"",
		"\"2026-11-25T12:00:00Z junk\"",
		"\"\"",
		"1e30",
		"true",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char json[128];
		snprintf(json, sizeof json, "{\"ts\": %s}", bad[i]);
		if (strcmp(dec(&t, json), "OK") == 0)
			fail_msg("%s accepted", bad[i]);
		assert_string_equal(cell(&t, J_TS), "NULL");
	}
	jt_fini(&t);
}

static void test_decode_syntax_and_limits(void **state)
{
	(void)state;
	struct jt t;
	jt_init(&t);
	static const char *const bad[] = {
		"",
		" ",
		"[]",
		"1",
		"\"x\"",
		"null",
		"{",
		"{\"id\"}",
		"{\"id\":}",
		"{\"id\" 1}",
		"{\"id\":1,}",
		"{,}",
		"{\"id\":1} x",
		"{\"id\":1}{}",
		"{'id':1}",
		"{id:1}",
		"{\"a\":[1,]}",
		"{\"a\":[1 2]}",
		"{\"a\":tru}",
		"{\"a\":nul}",
		"{\"a\":{\"b\":}}",
		"{\"id\":1 /* c */}",
		"\xEF\xBB\xBF{}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (strcmp(dec(&t, bad[i]), "OK") == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(strlen(t.err.sqlstate), 5);
		assert_true(t.err.message[0] != 0);
	}
	/* nesting limit */
	char deep[400];
	size_t n = 0;
	deep[n++] = '{';
	memcpy(deep + n, "\"a\":", 4);
	n += 4;
	for (int i = 0; i < 100; i++)
		deep[n++] = '[';
	for (int i = 0; i < 100; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = 0;
	assert_string_equal(dec(&t, deep), "ERR 54000");
	/* size limit */
	t.d.max_bytes = 10;
	assert_string_equal(dec(&t, "{\"id\": 12345678}"), "ERR 54000");
	jt_fini(&t);
	/* bad decoders */
	struct ed_json_decoder d;
	struct ed_expr_error err;
	const char *p1[] = {"a..b"};
	uint32_t c1[] = {0, 1};
	assert_int_not_equal(ed_json_decoder_init(&d, p1, c1, 1, &err), 0);
	const char *p2[] = {"a.b", "a.b"};
	assert_int_not_equal(ed_json_decoder_init(&d, p2, c1, 2, &err), 0);
	assert_string_equal(err.sqlstate, "42701");
}

static void test_encode_round_trip(void **state)
{
	(void)state;
	struct jt t;
	jt_init(&t);
	assert_string_equal(dec(&t, "{\"id\": -5, \"name\": \"q\\\"u\\u0001\\n€\", \"price\": 3.1, "
				    "\"ts\": 1795608000123, \"ok\": false, \"score\": 2.5e-7, "
				    "\"user\": {\"id\": 1, \"geo\": {\"lat\": 0.1}}, \"dur\": 90}"),
			    "OK");
	const char *names[J_NCOLS] = {"id",  "name", "price", "ts",  "ok", "score",
				      "uid", "lat",  "n",     "dur", "raw"};
	struct ed_buf out;
	ed_buf_init(&out);
	assert_int_equal(ed_json_encode_row(&t.c, 0, names, &out), 0);
	ed_buf_put_u8(&out, 0);
	assert_string_equal((char *)out.data,
			    "{\"id\":-5,\"name\":\"q\\\"u\\u0001\\n€\",\"price\":3.10,"
			    "\"ts\":\"2026-11-25T12:00:00.123+00:00\",\"ok\":false,\"score\":2.5e-07,"
			    "\"uid\":1,\"lat\":0.1,\"n\":null,\"dur\":\"00:01:30\",\"raw\":null}");
	/* decode what we encoded (uid/lat under other names: decode with a
	 * flat decoder) and compare every cell */
	struct ed_chunk c2;
	struct ed_type types[J_NCOLS];
	const char *paths[J_NCOLS];
	uint32_t cols[J_NCOLS];
	for (uint32_t i = 0; i < J_NCOLS; i++) {
		types[i] = t.c.cols[i].type;
		paths[i] = names[i];
		cols[i] = i;
	}
	struct ed_json_decoder d2;
	assert_int_equal(ed_chunk_init(&c2, types, J_NCOLS, 4), 0);
	assert_int_equal(ed_json_decoder_init(&d2, paths, cols, J_NCOLS, &t.err), 0);
	assert_int_equal(ed_json_decode(&d2, (char *)out.data, out.len - 1, &c2, 2, &t.err), 0);
	for (uint32_t i = 0; i < J_NCOLS; i++) {
		struct ed_value a, b;
		ed_vector_get(&t.c.cols[i], 0, &a);
		ed_vector_get(&c2.cols[i], 2, &b);
		assert_int_equal(a.null, b.null);
		struct ed_buf x, y;
		ed_buf_init(&x);
		ed_buf_init(&y);
		ed_value_format(&a, &x);
		ed_value_format(&b, &y);
		assert_int_equal(x.len, y.len);
		if (x.len)
			assert_memory_equal(x.data, y.data, x.len);
		ed_buf_fini(&x);
		ed_buf_fini(&y);
	}
	ed_json_decoder_fini(&d2);
	ed_chunk_fini(&c2);
	ed_buf_fini(&out);
	jt_fini(&t);
}

/* PostgreSQL: '2026-01-01 12:00:00+02'::timestamp is 12:00 (the zone is
 * ignored), ::timestamptz is 10:00 UTC (applied). The same record into
 * both types, with and without a zone, as a string and as epoch ms. */
static void test_decode_zone_rule(void **state)
{
	(void)state;
	struct ed_type types[2] = {ed_type_make(ED_TYPE_TIMESTAMP),
				   ed_type_make(ED_TYPE_TIMESTAMPTZ)};
	const char *paths[2] = {"ts", "tz"};
	uint32_t cols[2] = {0, 1};
	struct ed_chunk c;
	struct ed_json_decoder d;
	struct ed_expr_error err;
	struct ed_buf b;
	ed_buf_init(&b);
	assert_int_equal(ed_chunk_init(&c, types, 2, 4), 0);
	assert_int_equal(ed_json_decoder_init(&d, paths, cols, 2, &err), 0);
	static const char *const cases[][3] = {
		{"\"2026-01-01T12:00:00+02:00\"", "2026-01-01 12:00:00", "2026-01-01 10:00:00+00"},
		{"\"2026-01-01 12:00:00-0530\"", "2026-01-01 12:00:00", "2026-01-01 17:30:00+00"},
		{"\"2026-01-01T12:00:00.25Z\"", "2026-01-01 12:00:00.25", "2026-01-01 12:00:00.25+00"},
		{"\"2026-01-01T12:00:00\"", "2026-01-01 12:00:00", "2026-01-01 12:00:00+00"},
		{"1767268800000", "2026-01-01 12:00:00", "2026-01-01 12:00:00+00"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char json[160];
		int n = snprintf(json, sizeof json, "{\"ts\": %s, \"tz\": %s}", cases[i][0],
				 cases[i][0]);
		assert_int_equal(ed_json_decode(&d, json, (size_t)n, &c, 0, &err), 0);
		for (int k = 0; k < 2; k++) {
			struct ed_value v;
			ed_vector_get(&c.cols[k], 0, &v);
			ed_buf_reset(&b);
			ed_value_format(&v, &b);
			ed_buf_put_u8(&b, 0);
			if (strcmp((char *)b.data, cases[i][1 + k]) != 0)
				fail_msg("%s into %s: %s, want %s", cases[i][0],
					 k ? "timestamptz" : "timestamp", (char *)b.data,
					 cases[i][1 + k]);
		}
	}
	ed_json_decoder_fini(&d);
	ed_chunk_fini(&c);
	ed_buf_fini(&b);
}

/* One value through ed_json_put_value. */
static const char *jv(struct ed_buf *b, struct ed_value v)
{
	ed_buf_reset(b);
	ed_json_put_value(b, &v);
	ed_buf_put_u8(b, 0);
	return (const char *)b->data;
}

static struct ed_value mkv(enum ed_type_id id)
{
	struct ed_value v;
	memset(&v, 0, sizeof v);
	v.type = ed_type_make(id);
	return v;
}

/* Each expected string is what PostgreSQL 15's to_json gives for the same
 * value with timezone = 'UTC' (checked by hand against a server). */
static void test_encode_values(void **state)
{
	(void)state;
	struct ed_buf b;
	ed_buf_init(&b);
	struct ed_value v = mkv(ED_TYPE_TIMESTAMP);
	int64_t noon = ed_days_from_civil(2026, 1, 1) * ED_USEC_PER_DAY + 12 * ED_USEC_PER_HOUR;
	v.v.i = noon;
	assert_string_equal(jv(&b, v), "\"2026-01-01T12:00:00\"");
	v.v.i = noon + 120000;
	assert_string_equal(jv(&b, v), "\"2026-01-01T12:00:00.12\"");
	v.v.i = noon + 1;
	assert_string_equal(jv(&b, v), "\"2026-01-01T12:00:00.000001\"");
	v.v.i = ed_days_from_civil(-43, 3, 15) * ED_USEC_PER_DAY + 12 * ED_USEC_PER_HOUR;
	assert_string_equal(jv(&b, v), "\"0044-03-15T12:00:00 BC\"");
	v.type = ed_type_make(ED_TYPE_TIMESTAMPTZ);
	assert_string_equal(jv(&b, v), "\"0044-03-15T12:00:00+00:00 BC\"");
	v.v.i = noon - 2 * ED_USEC_PER_HOUR;
	assert_string_equal(jv(&b, v), "\"2026-01-01T10:00:00+00:00\"");
	v = mkv(ED_TYPE_FLOAT64);
	v.v.f64 = 0.0 / 0.0;
	assert_string_equal(jv(&b, v), "\"NaN\"");
	v.v.f64 = 1.0 / 0.0;
	assert_string_equal(jv(&b, v), "\"Infinity\"");
	v.v.f64 = -1.0 / 0.0;
	assert_string_equal(jv(&b, v), "\"-Infinity\"");
	v.v.f64 = 1e100;
	assert_string_equal(jv(&b, v), "1e+100");
	v.v.f64 = 0.1;
	assert_string_equal(jv(&b, v), "0.1");
	v.v.f64 = 1.5e-7;
	assert_string_equal(jv(&b, v), "1.5e-07");
	v.v.f64 = -0.0;
	assert_string_equal(jv(&b, v), "-0");
	v.v.f64 = 123456789012345678.0;
	assert_string_equal(jv(&b, v), "1.2345678901234568e+17");
	v = mkv(ED_TYPE_FLOAT32);
	v.v.f32 = 3.4e38f;
	assert_string_equal(jv(&b, v), "3.4e+38");
	v = mkv(ED_TYPE_DECIMAL);
	v.type = tx_dec_type(10, 2);
	v.v.dec = 1250;
	assert_string_equal(jv(&b, v), "12.50");
	v.v.dec = -5;
	assert_string_equal(jv(&b, v), "-0.05");
	v = mkv(ED_TYPE_INTERVAL);
	v.v.iv.days = 1;
	v.v.iv.usecs = 2 * ED_USEC_PER_HOUR;
	assert_string_equal(jv(&b, v), "\"1 day 02:00:00\"");
	v = mkv(ED_TYPE_BOOL);
	v.v.b = true;
	assert_string_equal(jv(&b, v), "true");
	v = mkv(ED_TYPE_INT16);
	v.v.i = -32768;
	assert_string_equal(jv(&b, v), "-32768");
	v = mkv(ED_TYPE_TEXT);
	v.v.s.ptr = "a\"b\\c\n\t\x01\x7f \xc3\xa9\b\f\r/";
	v.v.s.len = (uint32_t)strlen(v.v.s.ptr);
	assert_string_equal(jv(&b, v), "\"a\\\"b\\\\c\\n\\t\\u0001\x7f \xc3\xa9\\b\\f\\r/\"");
	/* not UTF-8 (CSV text, record bytes): U+FFFD, still valid JSON */
	v.v.s.ptr = "x\xff\xc3(y\xed\xa0\x80";
	v.v.s.len = (uint32_t)strlen(v.v.s.ptr);
	assert_string_equal(jv(&b, v),
			    "\"x\xef\xbf\xbd\xef\xbf\xbd(y\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	v.null = true;
	assert_string_equal(jv(&b, v), "null");
	v = mkv(ED_TYPE_NULL);
	assert_string_equal(jv(&b, v), "null");
	ed_buf_fini(&b);
}

static void test_no_alloc_per_record(void **state)
{
	(void)state;
	struct jt t;
	jt_init(&t);
	const char *rec = "{\"id\": 1, \"name\": \"a name\", \"ts\": \"2026-11-25T12:00:00Z\"}";
	assert_string_equal(dec(&t, rec), "OK");
	ed_chunk_reset(&t.c);
	size_t live = ed_mem_live_count();
	for (int k = 0; k < 100; k++) {
		for (uint32_t r = 0; r < 16; r++)
			assert_int_equal(ed_json_decode(&t.d, rec, strlen(rec), &t.c, r, &t.err), 0);
		ed_chunk_reset(&t.c);
	}
	assert_int_equal(ed_mem_live_count(), live);
	jt_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_basic),
		cmocka_unit_test(test_decode_strings),
		cmocka_unit_test(test_decode_numbers),
		cmocka_unit_test(test_decode_timestamps),
		cmocka_unit_test(test_decode_syntax_and_limits),
		cmocka_unit_test(test_encode_round_trip),
		cmocka_unit_test(test_decode_zone_rule),
		cmocka_unit_test(test_encode_values),
		cmocka_unit_test(test_no_alloc_per_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
