/* Unit tests for CSV records (src/exec/csv.c): RFC 4180 quoting, delimiters,
 * NULL vs empty, conversions and errors, encode/decode round trip,
 * PostgreSQL's zone rule for TIMESTAMP and TIMESTAMPTZ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec/csv.h"
#include "exec_test_util.h"

static const char *cellv(struct ed_chunk *c, int col, uint32_t row, struct ed_buf *b)
{
	struct ed_value v;
	ed_vector_get(&c->cols[col], row, &v);
	ed_buf_reset(b);
	if (v.null)
		ed_buf_append(b, "NULL", 4);
	else
		ed_value_format(&v, b);
	ed_buf_put_u8(b, 0);
	return (const char *)b->data;
}

static void test_csv(void **state)
{
	(void)state;
	struct ed_type types[4] = {ed_type_make(ED_TYPE_INT32), ed_type_make(ED_TYPE_TEXT),
				   ed_type_make(ED_TYPE_TIMESTAMPTZ), tx_dec_type(8, 2)};
	struct ed_chunk c;
	struct ed_csv_decoder d;
	struct ed_expr_error err;
	struct ed_buf b;
	ed_buf_init(&b);
	assert_int_equal(ed_chunk_init(&c, types, 4, 8), 0);
	uint32_t cols[5] = {0, 1, 2, ED_CSV_SKIP, 3};
	assert_int_equal(ed_csv_decoder_init(&d, cols, 5, ',', &err), 0);
#define DEC(s) ed_csv_decode(&d, (s), strlen(s), &c, 0, &err)
	assert_int_equal(DEC("1,hello,2026-11-25T12:00:00Z,skip,1.5\r\n"), 0);
	assert_string_equal(cellv(&c, 0, 0, &b), "1");
	assert_string_equal(cellv(&c, 1, 0, &b), "hello");
	assert_string_equal(cellv(&c, 2, 0, &b), "2026-11-25 12:00:00+00");
	assert_string_equal(cellv(&c, 3, 0, &b), "1.50");
	assert_int_equal(DEC("2,\"a,\"\"b\"\"\nc\",,x,\"3\""), 0);
	assert_string_equal(cellv(&c, 1, 0, &b), "a,\"b\"\nc");
	assert_string_equal(cellv(&c, 2, 0, &b), "NULL");
	assert_string_equal(cellv(&c, 3, 0, &b), "3.00");
	assert_int_equal(DEC(",\"\",,,"), 0);
	assert_string_equal(cellv(&c, 0, 0, &b), "NULL");
	assert_string_equal(cellv(&c, 1, 0, &b), "");
	/* errors */
	assert_int_not_equal(DEC("1,a,,x"), 0);
	assert_string_equal(err.sqlstate, "22P02");
	assert_int_not_equal(DEC("1,a,,x,1,extra"), 0);
	assert_int_not_equal(DEC("x,a,,x,1"), 0);
	assert_string_equal(err.sqlstate, "22P02");
	assert_int_not_equal(DEC("1,\"a,,x,1"), 0);
	assert_int_not_equal(DEC("1,\"a\"b,,x,1"), 0);
	assert_int_not_equal(DEC("1,a\"b,,x,1"), 0);
	assert_int_not_equal(DEC("1,a,nope,x,1"), 0);
	assert_string_equal(err.sqlstate, "22007");
	assert_int_not_equal(DEC("1,a,,x,1234567"), 0);
	assert_string_equal(err.sqlstate, "22003");
	assert_string_equal(cellv(&c, 0, 0, &b), "NULL");
	ed_csv_decoder_fini(&d);
	/* round trip with ';' */
	uint32_t cols4[4] = {0, 1, 2, 3};
	assert_int_equal(ed_csv_decoder_init(&d, cols4, 4, ';', &err), 0);
	assert_int_equal(DEC("-5;\"x;\"\"y\"\"\";2026-01-02 03:04:05.6;-0.25"), 0);
	ed_buf_reset(&b);
	assert_int_equal(ed_csv_encode_row(&c, 0, ';', &b), 0);
	ed_buf_put_u8(&b, 0);
	assert_string_equal((char *)b.data, "-5;\"x;\"\"y\"\"\";2026-01-02 03:04:05.6+00;-0.25");
	assert_int_equal(ed_csv_decode(&d, (char *)b.data, b.len - 1, &c, 1, &err), 0);
	for (int k = 0; k < 4; k++) {
		struct ed_buf b2;
		ed_buf_init(&b2);
		char first[128];
		snprintf(first, sizeof first, "%s", cellv(&c, k, 0, &b2));
		assert_string_equal(first, cellv(&c, k, 1, &b2));
		ed_buf_fini(&b2);
	}
	ed_csv_decoder_fini(&d);
	assert_int_not_equal(ed_csv_decoder_init(&d, cols4, 4, '"', &err), 0);
	ed_csv_decoder_fini(&d);
	ed_chunk_fini(&c);
	ed_buf_fini(&b);
#undef DEC
}

/* PostgreSQL's zone rule, as for JSON: a zone offset is ignored for
 * TIMESTAMP and applied for TIMESTAMPTZ. */
static void test_csv_zone_rule(void **state)
{
	(void)state;
	struct ed_type types[2] = {ed_type_make(ED_TYPE_TIMESTAMP),
				   ed_type_make(ED_TYPE_TIMESTAMPTZ)};
	struct ed_chunk c;
	struct ed_csv_decoder d;
	struct ed_expr_error err;
	struct ed_buf b;
	ed_buf_init(&b);
	uint32_t cols[2] = {0, 1};
	assert_int_equal(ed_chunk_init(&c, types, 2, 2), 0);
	assert_int_equal(ed_csv_decoder_init(&d, cols, 2, ',', &err), 0);
	const char *rec = "2026-01-01T12:00:00+02:00,2026-01-01T12:00:00+02:00";
	assert_int_equal(ed_csv_decode(&d, rec, strlen(rec), &c, 0, &err), 0);
	assert_string_equal(cellv(&c, 0, 0, &b), "2026-01-01 12:00:00");
	assert_string_equal(cellv(&c, 1, 0, &b), "2026-01-01 10:00:00+00");
	ed_csv_decoder_fini(&d);
	ed_chunk_fini(&c);
	ed_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_zone_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
