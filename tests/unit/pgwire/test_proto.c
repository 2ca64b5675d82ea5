/* Unit tests of the PostgreSQL protocol codec (src/pgwire/proto.c) and
 * SCRAM-SHA-256 (scram.c): startup packets (3.0, SSL, GSSENC, cancel,
 * malformed), every frontend message type eddy decodes and their malformed
 * forms, backend encodings checked byte for byte (binary values of each
 * type, numeric digits, ErrorResponse fields), Bind parameters turned into
 * SQL (text, typed, binary, NULL, quotes, bad binary), the $n scanner
 * (strings, identifiers, comments), and a SCRAM exchange between the client
 * and server halves with the right and a wrong password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/err.h"
#include "pgwire/proto.h"
#include "pgwire/scram.h"

static void test_startup(void **state)
{
	(void)state;
	struct ed_buf b;
	struct ed_pgw_startup st;
	ed_buf_init(&b);
	const char *k[] = {"user", "database", "application_name"};
	const char *v[] = {"eddy", "db", "psql"};
	ed_pgw_put_startup(&b, k, v, 3);
	assert_int_equal(ed_pgw_decode_startup(b.data + 4, b.len - 4, &st), 0);
	assert_int_equal(st.kind, ED_PGW_STARTUP);
	assert_int_equal(st.nparams, 3);
	assert_string_equal(st.keys[1], "database");
	assert_string_equal(st.vals[2], "psql");
	/* Missing final terminator. */
	assert_int_equal(ed_pgw_decode_startup(b.data + 4, b.len - 5, &st), ED_EPROTO);
	/* Protocol 2.0. */
	uint8_t v2[] = {0, 2, 0, 0, 0};
	assert_int_equal(ed_pgw_decode_startup(v2, sizeof(v2), &st), ED_EUNSUPPORTED);
	uint8_t ssl[] = {0x04, 0xd2, 0x16, 0x2f};
	assert_int_equal(ed_pgw_decode_startup(ssl, 4, &st), 0);
	assert_int_equal(st.kind, ED_PGW_STARTUP_SSL);
	uint8_t gss[] = {0x04, 0xd2, 0x16, 0x30};
	assert_int_equal(ed_pgw_decode_startup(gss, 4, &st), 0);
	assert_int_equal(st.kind, ED_PGW_STARTUP_GSSENC);
	uint8_t cancel[] = {0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xfe};
	assert_int_equal(ed_pgw_decode_startup(cancel, sizeof(cancel), &st), 0);
	assert_int_equal(st.kind, ED_PGW_STARTUP_CANCEL);
	assert_int_equal(st.cancel_pid, 7);
	assert_int_equal(st.cancel_key, -2);
	assert_int_equal(ed_pgw_decode_startup(cancel, 8, &st), ED_EPROTO);
	assert_int_equal(ed_pgw_decode_startup(cancel, 2, &st), ED_EPROTO);
	ed_buf_fini(&b);
}

/* Build a frontend message body with a printf-like byte spec. */
static int decode(char type, const void *body, size_t len, struct ed_arena *a, struct ed_pgw_msg *m)
{
	return ed_pgw_decode_frontend(type, body, len, a, m);
}

static void test_frontend(void **state)
{
	(void)state;
	struct ed_arena a;
	struct ed_pgw_msg m;
	ed_arena_init(&a, 0);
	assert_int_equal(decode('Q', "SELECT 1", 9, &a, &m), 0);
	assert_string_equal(m.u.query.sql, "SELECT 1");
	assert_int_equal(decode('Q', "SELECT 1", 8, &a, &m), ED_EPROTO); /* no NUL */

	static const uint8_t parse[] = {'s', '1', 0, 'S', 'E', 'L', ' ', '$',
					'1', 0,   0, 1,   0,   0,   0,   23};
	assert_int_equal(decode('P', parse, sizeof(parse), &a, &m), 0);
	assert_string_equal(m.u.parse.name, "s1");
	assert_int_equal(m.u.parse.ntypes, 1);
	assert_int_equal(m.u.parse.types[0], 23);
	assert_int_equal(decode('P', parse, sizeof(parse) - 1, &a, &m), ED_EPROTO);

	/* Bind: portal "", stmt "s1", 1 format (binary), 2 params (4 bytes, NULL), 1 result format. */
	static const uint8_t bind[] = {0, 's', '1', 0, 0,  1,    0,    1,    0,    2, 0, 0, 0,
				       4, 0,   0,   0, 42, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0};
	assert_int_equal(decode('B', bind, sizeof(bind), &a, &m), 0);
	assert_int_equal(m.u.bind.nparams, 2);
	assert_int_equal(m.u.bind.params[0].len, 4);
	assert_int_equal(m.u.bind.params[0].data[3], 42);
	assert_int_equal(m.u.bind.params[1].len, -1);
	assert_int_equal(m.u.bind.nresfmts, 1);
	assert_int_equal(decode('B', bind, sizeof(bind) - 2, &a, &m), ED_EPROTO);
	uint8_t badlen[sizeof(bind)];
	memcpy(badlen, bind, sizeof(bind));
	badlen[13] = 200; /* parameter longer than the message */
	assert_int_equal(decode('B', badlen, sizeof(badlen), &a, &m), ED_EPROTO);
	memcpy(badlen, bind, sizeof(bind));
	badlen[7] = 2; /* format code 2 */
	assert_int_equal(decode('B', badlen, sizeof(badlen), &a, &m), ED_EPROTO);
	memcpy(badlen, bind, sizeof(bind));
	badlen[8] = 0x7f; /* 32k parameters declared */
	assert_int_equal(decode('B', badlen, sizeof(badlen), &a, &m), ED_EPROTO);

	assert_int_equal(decode('D', "Sname", 6, &a, &m), 0);
	assert_int_equal(m.u.target.what, 'S');
	assert_string_equal(m.u.target.name, "name");
	assert_int_equal(decode('D', "Xname", 6, &a, &m), ED_EPROTO);
	assert_int_equal(decode('C', "P", 2, &a, &m), 0);
	static const uint8_t exec[] = {'p', 0, 0, 0, 0, 10};
	assert_int_equal(decode('E', exec, sizeof(exec), &a, &m), 0);
	assert_int_equal(m.u.execute.max_rows, 10);
	assert_int_equal(decode('E', exec, 3, &a, &m), ED_EPROTO);
	assert_int_equal(decode('S', "", 0, &a, &m), 0);
	assert_int_equal(decode('S', "x", 1, &a, &m), ED_EPROTO);
	assert_int_equal(decode('d', "", 0, &a, &m), ED_EUNSUPPORTED); /* CopyData */
	assert_int_equal(decode('F', "", 0, &a, &m), ED_EUNSUPPORTED); /* FunctionCall */

	const char *mech;
	const uint8_t *data;
	size_t dlen;
	static const uint8_t sasl[] = {'S', 'C', 'R', 'A', 'M', 0, 0, 0, 0, 2, 'n', ','};
	assert_int_equal(ed_pgw_decode_sasl_initial(sasl, sizeof(sasl), &mech, &data, &dlen), 0);
	assert_string_equal(mech, "SCRAM");
	assert_int_equal(dlen, 2);
	assert_int_equal(ed_pgw_decode_sasl_initial(sasl, sizeof(sasl) - 1, &mech, &data, &dlen),
			 ED_EPROTO);
	ed_arena_fini(&a);
}

static void check_value(const struct ed_value *v, int16_t fmt, const char *hex)
{
	struct ed_buf b;
	char got[512];
	ed_buf_init(&b);
	assert_int_equal(ed_pgw_put_value(&b, v, fmt), 0);
	size_t n = 0;
	for (size_t i = 0; i < b.len && n + 3 < sizeof(got); i++)
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%02x", b.data[i]);
	got[n] = 0;
	assert_string_equal(got, hex);
	ed_buf_fini(&b);
}

static void test_values(void **state)
{
	(void)state;
	struct ed_value v;
	memset(&v, 0, sizeof(v));
	v.type = ed_type_make(ED_TYPE_INT32);
	v.v.i = -2;
	check_value(&v, 1, "00000004fffffffe");
	check_value(&v, 0, "000000022d32");
	v.type = ed_type_make(ED_TYPE_INT64);
	v.v.i = 1;
	check_value(&v, 1, "000000080000000000000001");
	v.type = ed_type_make(ED_TYPE_INT16);
	v.v.i = 258;
	check_value(&v, 1, "000000020102");
	v.type = ed_type_make(ED_TYPE_BOOL);
	v.v.b = true;
	check_value(&v, 1, "0000000101");
	check_value(&v, 0, "0000000174");
	v.type = ed_type_make(ED_TYPE_FLOAT64);
	v.v.f64 = 1.5;
	check_value(&v, 1, "000000083ff8000000000000");
	v.type = ed_type_make(ED_TYPE_FLOAT32);
	v.v.f32 = 2.5f;
	check_value(&v, 1, "0000000440200000");
	/* 2026-01-01T00:00:03Z: 820540803000000 us after 2000-01-01. */
	v.type = ed_type_make(ED_TYPE_TIMESTAMPTZ);
	v.v.i = INT64_C(1767225603000000);
	check_value(&v, 1, "000000080002ea470b1626c0");
	v.type = ed_type_make(ED_TYPE_INTERVAL);
	v.v.iv = (struct ed_interval){1, 2, 3};
	check_value(&v, 1,
		    "00000010000000000000000300000002"
		    "00000001");
	v.type = ed_type_make(ED_TYPE_TEXT);
	v.v.s = (struct ed_str){"hé", 3};
	check_value(&v, 1, "0000000368c3a9");
	v.null = true;
	check_value(&v, 0, "ffffffff");
	v.null = false;
	/* numeric -12345.678 (scale 3): ndigits 3, weight 1, sign -, dscale 3, 1 2345 6780 */
	v.type = ed_type_make(ED_TYPE_DECIMAL);
	v.type.precision = 12;
	v.type.scale = 3;
	v.v.dec = -12345678;
	check_value(&v, 1,
		    "0000000e"
		    "0003"
		    "0001"
		    "4000"
		    "0003"
		    "0001"
		    "0929"
		    "1a7c");
	/* 0.0500 (scale 4): one digit 500 at weight -1. */
	v.type.scale = 4;
	v.v.dec = 500;
	check_value(&v, 1,
		    "0000000a"
		    "0001"
		    "ffff"
		    "0000"
		    "0004"
		    "01f4");
	v.v.dec = 0;
	check_value(&v, 1,
		    "00000008"
		    "0000"
		    "0000"
		    "0000"
		    "0004");
}

static void check_param(uint32_t oid, int16_t fmt, const void *data, int32_t len, int want_rc,
			const char *want)
{
	struct ed_buf sql;
	char st[6] = "", err[160] = "";
	struct ed_pgw_param p = {data, len};
	ed_buf_init(&sql);
	int rc = ed_pgw_param_sql(oid, fmt, &p, &sql, st, err, sizeof(err));
	if (rc != want_rc)
		fprintf(stderr, "oid %u: rc %d %s %s\n", oid, rc, st, err);
	assert_int_equal(rc, want_rc);
	if (rc == 0) {
		ed_buf_put_u8(&sql, 0);
		assert_string_equal((const char *)sql.data, want);
	} else {
		assert_string_equal(st, want);
	}
	ed_buf_fini(&sql);
}

static void test_params(void **state)
{
	(void)state;
	check_param(0, 0, "it's", 4, 0, "'it''s'");
	check_param(23, 0, "42", 2, 0, "CAST('42' AS INTEGER)");
	check_param(0, 0, NULL, -1, 0, "NULL");
	check_param(1184, 0, "2026-01-01 00:00:00+00", 22, 0,
		    "CAST('2026-01-01 00:00:00+00' AS TIMESTAMPTZ)");
	static const uint8_t i4[] = {0xff, 0xff, 0xff, 0xfe};
	check_param(23, 1, i4, 4, 0, "CAST('-2' AS INTEGER)");
	check_param(23, 1, i4, 3, ED_EINVAL, "22P03");
	check_param(0, 1, i4, 4, ED_EINVAL, "0A000");
	static const uint8_t f8[] = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0};
	check_param(701, 1, f8, 8, 0, "CAST('1.5' AS DOUBLE PRECISION)");
	static const uint8_t ts[] = {0x00, 0x02, 0xea, 0x47, 0x0b, 0x16, 0x26, 0xc0};
	check_param(1114, 1, ts, 8, 0, "CAST('2026-01-01 00:00:03' AS TIMESTAMP)");
	static const uint8_t num[] = {0, 3, 0, 1, 0x40, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c};
	check_param(1700, 1, num, sizeof(num), 0, "CAST('-12345.678' AS NUMERIC)");
	static const uint8_t badnum[] = {0, 3, 0, 1, 0x40, 0, 0, 3, 0, 1};
	check_param(1700, 1, badnum, sizeof(badnum), ED_EINVAL, "22P03");
	static const uint8_t b[] = {1};
	check_param(16, 1, b, 1, 0, "CAST('true' AS BOOLEAN)");
	check_param(25, 0, "a\0b", 3, ED_EINVAL, "22021");
	check_param(25, 1, "a\0b", 3, ED_EINVAL, "22021");
}

struct found {
	uint32_t n[8];
	size_t off[8];
	int count;
};

static int on_param(void *arg, size_t off, size_t len, uint32_t n)
{
	struct found *f = arg;
	(void)len;
	if (f->count < 8) {
		f->off[f->count] = off;
		f->n[f->count++] = n;
	}
	return 0;
}

static void test_scan(void **state)
{
	(void)state;
	const char *sql =
		"SELECT $1, '$2', \"$3\", E'\\'$4', -- $5\n /* $6 /* $7 */ */ a$8, $10 FROM t WHERE x = $2";
	struct found f = {0};
	uint32_t maxn = 0;
	assert_int_equal(ed_pgw_scan_params(sql, strlen(sql), on_param, &f, &maxn), 0);
	assert_int_equal(f.count, 3);
	assert_int_equal(f.n[0], 1);
	assert_int_equal(f.n[1], 10);
	assert_int_equal(f.n[2], 2);
	assert_int_equal(maxn, 10);
	assert_int_equal(f.off[0], 7);
	assert_int_equal(ed_pgw_scan_params("SELECT 1", 8, NULL, NULL, &maxn), 0);
	assert_int_equal(maxn, 0);
}

static void test_scram(void **state)
{
	(void)state;
	struct ed_scram server, cli;
	struct ed_buf m1, m2, m3, m4;
	ed_buf_init(&m1);
	ed_buf_init(&m2);
	ed_buf_init(&m3);
	ed_buf_init(&m4);
	assert_int_equal(ed_scram_server_init(&server, "pencil"), 0);
	struct ed_scram keys = server;
	assert_int_equal(ed_scram_client_first(&cli, &m1), 0);
	assert_int_equal(ed_scram_server_first(&server, m1.data, m1.len, &m2), 0);
	assert_int_equal(ed_scram_client_final(&cli, "pencil", m2.data, m2.len, &m3), 0);
	assert_int_equal(ed_scram_server_final(&server, m3.data, m3.len, &m4), 0);
	assert_int_equal(ed_scram_client_verify(&cli, m4.data, m4.len), 0);
	/* Wrong password. */
	server = keys;
	ed_buf_reset(&m1);
	ed_buf_reset(&m2);
	ed_buf_reset(&m3);
	ed_buf_reset(&m4);
	assert_int_equal(ed_scram_client_first(&cli, &m1), 0);
	assert_int_equal(ed_scram_server_first(&server, m1.data, m1.len, &m2), 0);
	assert_int_equal(ed_scram_client_final(&cli, "pen", m2.data, m2.len, &m3), 0);
	assert_int_equal(ed_scram_server_final(&server, m3.data, m3.len, &m4), ED_EINVAL);
	/* Malformed: channel binding "p=", tampered nonce. */
	server = keys;
	ed_buf_reset(&m2);
	assert_int_equal(ed_scram_server_first(&server, (const uint8_t *)"p=x,,n=,r=abc", 13, &m2),
			 ED_EPROTO);
	assert_int_equal(ed_scram_server_first(&server, (const uint8_t *)"n,,n=,r=abc", 11, &m2), 0);
	assert_int_equal(ed_scram_server_final(&server, (const uint8_t *)"c=biws,r=zzz,p=AAAA", 19,
					       &m4),
			 ED_EPROTO);
	ed_buf_fini(&m1);
	ed_buf_fini(&m2);
	ed_buf_fini(&m3);
	ed_buf_fini(&m4);
}

static void test_backend(void **state)
{
	(void)state;
	struct ed_buf b;
	ed_buf_init(&b);
	ed_pgw_put_error(&b, 'E', "ERROR", "42601", 7, "bad");
	static const uint8_t want[] = {'E', 0,   0,   0,   34,  'S', 'E', 'R', 'R', 'O', 'R', 0,
				       'V', 'E', 'R', 'R', 'O', 'R', 0,   'C', '4', '2', '6', '0',
				       '1', 0,   'M', 'b', 'a', 'd', 0,   'P', '7', 0,   0};
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	ed_buf_reset(&b);
	ed_pgw_put_ready(&b, 'I');
	assert_memory_equal(b.data, "Z\0\0\0\5I", 6);
	ed_buf_reset(&b);
	struct ed_type t[2] = {ed_type_make(ED_TYPE_INT32), ed_type_make(ED_TYPE_TEXT)};
	t[1].max_len = 10;
	const char *names[2] = {"a", "b"};
	ed_pgw_put_row_description(&b, 2, names, t, NULL);
	/* 'T', len, 2, "a\0", table 0, col 0, oid 23, len 4, typmod -1, fmt 0 */
	assert_int_equal(b.data[0], 'T');
	assert_int_equal(b.data[10], 0); /* table oid */
	assert_int_equal(b.data[18], 23);
	assert_int_equal(b.data[20], 4);
	/* second field: "b\0" at 27, then table 4, column 2, oid 1043 (0x0413), len -1, typmod 14 */
	assert_int_equal(b.data[27], 'b');
	assert_int_equal(b.data[37], 0x04);
	assert_int_equal(b.data[38], 0x13);
	assert_int_equal(b.data[39], 0xff);
	assert_int_equal(b.data[44], 14);
	ed_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup), cmocka_unit_test(test_frontend),
		cmocka_unit_test(test_values),  cmocka_unit_test(test_params),
		cmocka_unit_test(test_scan),    cmocka_unit_test(test_scram),
		cmocka_unit_test(test_backend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
