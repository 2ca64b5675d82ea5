/* Unit tests for the pipelines' record decoder (src/exec/decode.c), the
 * path every source record takes: it must decode exactly as the JSON and
 * CSV codecs do (it once had its own parsers that disagreed with them):
 * RFC 8259 numbers (1e3 is a number, 01 is not JSON), PostgreSQL's zone
 * rule (ignored for TIMESTAMP, applied for TIMESTAMPTZ) in both formats,
 * nested paths from dotted column names, a null record value, a column
 * name that is no JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec/decode.h"
#include "exec_test_util.h"

/* Columns: n bigint, ts timestamp, tz timestamptz, geo.lat double, s text. */
static const char *const names[] = {"n", "ts", "tz", "geo.lat", "s"};

struct dt {
	struct ed_chunk c;
	struct ed_decoder d;
	struct ed_buf b;
	char why[300];
};

static void dt_init(struct dt *t, enum ed_record_format f)
{
	struct ed_type types[5] = {ed_type_make(ED_TYPE_INT64), ed_type_make(ED_TYPE_TIMESTAMP),
				   ed_type_make(ED_TYPE_TIMESTAMPTZ), ed_type_make(ED_TYPE_FLOAT64),
				   ed_type_make(ED_TYPE_TEXT)};
	assert_int_equal(ed_chunk_init(&t->c, types, 5, 4), 0);
	assert_int_equal(ed_decoder_init(&t->d, f, names, 5, ','), 0);
	ed_buf_init(&t->b);
}

static void dt_fini(struct dt *t)
{
	ed_decoder_fini(&t->d);
	ed_chunk_fini(&t->c);
	ed_buf_fini(&t->b);
}

static int dec(struct dt *t, const char *rec)
{
	return ed_decode_record(&t->d, (const uint8_t *)rec, strlen(rec), &t->c, 0, t->why,
				sizeof t->why);
}

static const char *cell(struct dt *t, int col)
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

static void test_json_records(void **state)
{
	(void)state;
	struct dt t;
	dt_init(&t, ED_RECORD_JSON);
	assert_int_equal(dec(&t, "{\"n\": 1e3, \"ts\": \"2026-01-01T12:00:00+02:00\", "
				 "\"tz\": \"2026-01-01T12:00:00+02:00\", \"geo\": {\"lat\": 48.5}, "
				 "\"s\": \"a\\u00e9\"}"),
			 0);
	assert_string_equal(cell(&t, 0), "1000");
	assert_string_equal(cell(&t, 1), "2026-01-01 12:00:00");
	assert_string_equal(cell(&t, 2), "2026-01-01 10:00:00+00");
	assert_string_equal(cell(&t, 3), "48.5");
	assert_string_equal(cell(&t, 4), "a\xc3\xa9");
	/* 01 is not a JSON number */
	assert_int_not_equal(dec(&t, "{\"n\": 01}"), 0);
	assert_non_null(strstr(t.why, "byte"));
	assert_int_not_equal(dec(&t, "{\"n\": -01.5}"), 0);
	/* "01" as a string is numeric text, as a cast from text reads it */
	assert_int_equal(dec(&t, "{\"n\": \"01\"}"), 0);
	assert_string_equal(cell(&t, 0), "1");
	assert_int_not_equal(dec(&t, "{\"n\": 2.5}"), 0);
	assert_non_null(strstr(t.why, "\"n\""));
	assert_int_equal(ed_decode_record(&t.d, NULL, 0, &t.c, 0, t.why, sizeof t.why), ED_EINVAL);
	assert_int_not_equal(dec(&t, "not json"), 0);
	dt_fini(&t);
}

static void test_csv_records(void **state)
{
	(void)state;
	struct dt t;
	dt_init(&t, ED_RECORD_CSV);
	assert_int_equal(dec(&t, "7,2026-01-01 12:00:00+02,2026-01-01 12:00:00+02,0.5,\"x,y\"\n"), 0);
	assert_string_equal(cell(&t, 0), "7");
	assert_string_equal(cell(&t, 1), "2026-01-01 12:00:00");
	assert_string_equal(cell(&t, 2), "2026-01-01 10:00:00+00");
	assert_string_equal(cell(&t, 3), "0.5");
	assert_string_equal(cell(&t, 4), "x,y");
	assert_int_equal(dec(&t, ",,,,"), 0);
	assert_string_equal(cell(&t, 1), "NULL");
	assert_int_not_equal(dec(&t, "1,2"), 0);
	/* messages name the field and its column */
	assert_int_not_equal(dec(&t, "x,,,,"), 0);
	assert_non_null(strstr(t.why, "field 1 (\"n\")"));
	dt_fini(&t);
}

static void test_bad_column_name(void **state)
{
	(void)state;
	struct ed_type types[1] = {ed_type_make(ED_TYPE_INT64)};
	const char *bad[] = {"a..b"};
	struct ed_chunk c;
	struct ed_decoder d;
	char why[200];
	assert_int_equal(ed_chunk_init(&c, types, 1, 4), 0);
	assert_int_equal(ed_decoder_init(&d, ED_RECORD_JSON, bad, 1, 0), ED_EINVAL);
	assert_int_not_equal(ed_decode_record(&d, (const uint8_t *)"{}", 2, &c, 0, why, sizeof why),
			     0);
	assert_non_null(strstr(why, "a..b"));
	ed_decoder_fini(&d);
	ed_decoder_fini(&d);
	struct ed_decoder zero;
	memset(&zero, 0, sizeof zero);
	ed_decoder_fini(&zero);
	ed_chunk_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_records),
		cmocka_unit_test(test_csv_records),
		cmocka_unit_test(test_bad_column_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
