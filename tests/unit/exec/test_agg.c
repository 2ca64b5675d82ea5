/* Unit tests for aggregates (src/exec/agg.c): resolution and result types,
 * then randomised inserts and retractions over several groups checked
 * against a naive recomputation from the live rows after every chunk, with
 * a serialize/deserialize round trip of every state along the way (the seed
 * is printed; EDDY_TEST_SEED=n replays a run). Also SUM overflow. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/cursor.h"
#include "base/mem.h"
#include "exec/agg.h"
#include "exec/chunk.h"

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

static void test_resolve(void **state)
{
	(void)state;
	struct ed_agg a;
	struct ed_expr_error err;
	struct ed_type i32 = ed_type_make(ED_TYPE_INT32), txt = ed_type_make(ED_TYPE_TEXT);
	struct ed_type f64 = ed_type_make(ED_TYPE_FLOAT64);
	assert_int_equal(ed_agg_resolve("count", NULL, false, &a, &err), 0);
	assert_int_equal(a.result_type.id, ED_TYPE_INT64);
	assert_int_equal(ed_agg_resolve("sum", &i32, false, &a, &err), 0);
	assert_int_equal(a.result_type.id, ED_TYPE_INT64);
	assert_int_equal(ed_agg_resolve("avg", &i32, false, &a, &err), 0);
	assert_int_equal(a.result_type.id, ED_TYPE_DECIMAL);
	assert_int_equal(a.result_type.scale, 16);
	assert_int_equal(ed_agg_resolve("avg", &f64, false, &a, &err), 0);
	assert_int_equal(a.result_type.id, ED_TYPE_FLOAT64);
	assert_int_equal(ed_agg_resolve("max", &txt, false, &a, &err), 0);
	assert_int_equal(a.result_type.id, ED_TYPE_TEXT);
	assert_true(a.retractable);
	assert_int_not_equal(ed_agg_resolve("sum", &txt, false, &a, &err), 0);
	assert_string_equal(err.sqlstate, "42883");
	assert_int_not_equal(ed_agg_resolve("nope", &txt, false, &a, &err), 0);
	assert_int_not_equal(ed_agg_resolve("sum", NULL, false, &a, &err), 0);
	assert_true(ed_agg_is_aggregate("stddev"));
	assert_false(ed_agg_is_aggregate("lower"));
}

struct live {
	int32_t v;
	bool null;
	int64_t seq;
};

/* Naive result of aggregate `name` over rows (in insertion order). NULL
 * result -> "NULL"; numbers printed %.10g for the float-valued ones. */
static void naive(const char *name, bool distinct, const struct live *rows, int n, char *out,
		  size_t outlen)
{
	int64_t cnt = 0, cnn = 0;
	double sum = 0;
	int32_t mn = INT32_MAX, mx = INT32_MIN;
	int first = -1, last = -1;
	bool seen[64] = {0};
	int nd = 0;
	for (int i = 0; i < n; i++) {
		cnt++;
		if (rows[i].null)
			continue;
		cnn++;
		sum += rows[i].v;
		if (rows[i].v < mn)
			mn = rows[i].v;
		if (rows[i].v > mx)
			mx = rows[i].v;
		if (first < 0)
			first = i;
		last = i;
		if (!seen[rows[i].v + 20]) {
			seen[rows[i].v + 20] = true;
			nd++;
		}
	}
	if (strcmp(name, "count*") == 0)
		snprintf(out, outlen, "%lld", (long long)cnt);
	else if (strcmp(name, "count") == 0)
		snprintf(out, outlen, "%lld", (long long)(distinct ? nd : cnn));
	else if (cnn == 0)
		snprintf(out, outlen, "NULL");
	else if (strcmp(name, "sum") == 0)
		snprintf(out, outlen, "%.0f", sum);
	else if (strcmp(name, "avg") == 0)
		snprintf(out, outlen, "%.10g", sum / (double)cnn);
	else if (strcmp(name, "min") == 0)
		snprintf(out, outlen, "%d", mn);
	else if (strcmp(name, "max") == 0)
		snprintf(out, outlen, "%d", mx);
	else if (strcmp(name, "first_value") == 0)
		snprintf(out, outlen, "%d", rows[first].v);
	else if (strcmp(name, "last_value") == 0)
		snprintf(out, outlen, "%d", rows[last].v);
	else {
		bool samp = strcmp(name, "variance") == 0 || strcmp(name, "stddev") == 0;
		if (samp && cnn < 2) {
			snprintf(out, outlen, "NULL");
			return;
		}
		double mean = sum / (double)cnn;
		double var = 0;
		for (int i = 0; i < n; i++)
			if (!rows[i].null)
				var += (rows[i].v - mean) * (rows[i].v - mean);
		var /= (double)(samp ? cnn - 1 : cnn);
		snprintf(out, outlen, "%.10g", strncmp(name, "stddev", 6) == 0 ? sqrt(var) : var);
	}
}

static void format_result(const struct ed_agg *a, const void *st, struct ed_vector *out,
			  struct ed_arena *arena, char *buf, size_t len)
{
	struct ed_expr_error err;
	assert_int_equal(a->result(a, st, out, 0, arena, &err), 0);
	struct ed_value v;
	ed_vector_get(out, 0, &v);
	if (v.null) {
		snprintf(buf, len, "NULL");
		return;
	}
	struct ed_buf b;
	ed_buf_init(&b);
	ed_value_format(&v, &b);
	ed_buf_put_u8(&b, 0);
	if (v.type.id == ED_TYPE_FLOAT64 || v.type.id == ED_TYPE_DECIMAL)
		snprintf(buf, len, "%.10g", strtod((char *)b.data, NULL));
	else
		snprintf(buf, len, "%s", (char *)b.data);
	ed_buf_fini(&b);
}

#define GROUPS 6
#define MAXLIVE 512

static void random_run(const char *name, bool distinct, enum ed_type_id argt)
{
	struct ed_agg a;
	struct ed_expr_error err;
	struct ed_type t = ed_type_make(argt);
	bool star = strcmp(name, "count*") == 0;
	assert_int_equal(ed_agg_resolve(star ? "count" : name, star ? NULL : &t, distinct, &a, &err),
			 0);
	_Alignas(16) uint8_t states[GROUPS][128];
	assert_true(a.state_size <= 128);
	for (int g = 0; g < GROUPS; g++)
		a.init(&a, states[g]);
	static struct live live[GROUPS][MAXLIVE];
	int nlive[GROUPS] = {0};
	int64_t seq = 0;
	struct ed_vector arg, out;
	ed_vector_init(&arg, t, 64);
	ed_vector_init(&out, a.result_type, 1);
	struct ed_arena arena;
	ed_arena_init(&arena, 4096);
	bool is_first = strcmp(name, "first_value") == 0;
	for (int round = 0; round < 300; round++) {
		uint32_t rows = 1 + rnd(64);
		void *sp[64];
		uint8_t ops[64], sel[64];
		for (uint32_t i = 0; i < rows; i++) {
			int g = (int)rnd(GROUPS);
			sp[i] = states[g];
			sel[i] = rnd(10) != 0;
			bool del = nlive[g] > 0 && (rnd(10) < 4 || nlive[g] >= MAXLIVE - 64);
			struct live r;
			if (del) {
				int k = (int)rnd((uint32_t)nlive[g]);
				r = live[g][k];
				ops[i] = rnd(2) ? ED_OP_DELETE : ED_OP_UPDATE_BEFORE;
				if (sel[i]) {
					/* FIRST_VALUE drops the latest equal row, others the
					 * oldest (see agg.c). */
					int pick = -1;
					for (int j = 0; j < nlive[g]; j++)
						if (live[g][j].null == r.null &&
						    (r.null || live[g][j].v == r.v)) {
							pick = j;
							if (!is_first)
								break;
						}
					memmove(&live[g][pick], &live[g][pick + 1],
						(size_t)(nlive[g] - pick - 1) * sizeof r);
					nlive[g]--;
				}
			} else {
				r.null = rnd(8) == 0;
				r.v = (int32_t)rnd(40) - 20;
				r.seq = ++seq;
				ops[i] = rnd(4) ? ED_OP_INSERT : ED_OP_UPDATE_AFTER;
				if (sel[i])
					live[g][nlive[g]++] = r;
			}
			arg.nulls[i] = r.null;
			if (argt == ED_TYPE_INT32)
				ED_VEC(&arg, int32_t)[i] = r.v;
			else if (argt == ED_TYPE_INT64)
				ED_VEC(&arg, int64_t)[i] = r.v;
			else
				ED_VEC(&arg, double)[i] = r.v;
		}
		assert_int_equal(a.update(&a, sp, star ? NULL : &arg, ops, sel, rows, &err), 0);
		for (int g = 0; g < GROUPS; g++) {
			char want[64], got[64];
			naive(name, distinct, live[g], nlive[g], want, sizeof want);
			format_result(&a, states[g], &out, &arena, got, sizeof got);
			double w = strtod(want, NULL), gv = strtod(got, NULL);
			bool close = strcmp(want, "NULL") && strcmp(got, "NULL") &&
				     fabs(w - gv) <= 1e-7 * (fabs(w) > 1 ? fabs(w) : 1);
			if (strcmp(want, got) != 0 && !close)
				fail_msg("%s%s round %d group %d: want %s got %s", name,
					 distinct ? " distinct" : "", round, g, want, got);
			assert_int_equal(a.count(&a, states[g]), nlive[g]);
		}
		if (round % 50 == 49) {
			/* checkpoint round trip */
			for (int g = 0; g < GROUPS; g++) {
				struct ed_buf b;
				ed_buf_init(&b);
				assert_int_equal(a.serialize(&a, states[g], &b), 0);
				_Alignas(16) uint8_t copy[128];
				a.init(&a, copy);
				struct ed_cur c;
				ed_cur_init(&c, b.data, b.len);
				assert_int_equal(a.deserialize(&a, copy, &c), 0);
				/* truncated input is rejected */
				_Alignas(16) uint8_t bad[128];
				a.init(&a, bad);
				ed_cur_init(&c, b.data, b.len - 1);
				assert_int_not_equal(a.deserialize(&a, bad, &c), 0);
				a.fini(&a, bad);
				a.fini(&a, states[g]);
				memcpy(states[g], copy, a.state_size);
				ed_buf_fini(&b);
			}
		}
		ed_arena_reset(&arena);
	}
	for (int g = 0; g < GROUPS; g++)
		a.fini(&a, states[g]);
	ed_vector_fini(&arg);
	ed_vector_fini(&out);
	ed_arena_fini(&arena);
}

static void test_random_retraction(void **state)
{
	(void)state;
	const char *env = getenv("EDDY_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
	printf("test_agg: seed %llu\n", (unsigned long long)seed);
	rng_state = seed;
	size_t live0 = ed_mem_live_count();
	static const char *const names[] = {"count*",   "count",  "sum",         "avg",
					    "min",      "max",    "first_value", "last_value",
					    "variance", "stddev", "var_pop",     "stddev_pop"};
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		random_run(names[k], false, ED_TYPE_INT32);
		random_run(names[k], false, ED_TYPE_INT64);
	}
	random_run("count", true, ED_TYPE_INT32);
	random_run("sum", false, ED_TYPE_FLOAT64);
	random_run("avg", false, ED_TYPE_FLOAT64);
	random_run("variance", false, ED_TYPE_FLOAT64);
	random_run("max", false, ED_TYPE_FLOAT64);
	assert_int_equal(ed_mem_live_count(), live0);
}

static void test_sum_overflow_and_text(void **state)
{
	(void)state;
	struct ed_agg a;
	struct ed_expr_error err;
	struct ed_type i64 = ed_type_make(ED_TYPE_INT64);
	assert_int_equal(ed_agg_resolve("sum", &i64, false, &a, &err), 0);
	_Alignas(16) uint8_t st[128];
	a.init(&a, st);
	struct ed_vector v, out;
	ed_vector_init(&v, i64, 2);
	ed_vector_init(&out, a.result_type, 1);
	ED_VEC(&v, int64_t)[0] = INT64_MAX;
	ED_VEC(&v, int64_t)[1] = 1;
	v.nulls[0] = v.nulls[1] = 0;
	void *sp[2] = {st, st};
	assert_int_equal(a.update(&a, sp, &v, NULL, NULL, 2, &err), 0);
	assert_int_not_equal(a.result(&a, st, &out, 0, NULL, &err), 0);
	assert_string_equal(err.sqlstate, "22003");
	/* retracting the 1 brings it back in range */
	uint8_t ops[2] = {ED_OP_DELETE, ED_OP_DELETE};
	uint8_t only1[2] = {0, 1}, only0[2] = {1, 0};
	assert_int_equal(a.update(&a, sp, &v, ops, only1, 2, &err), 0);
	assert_int_equal(a.result(&a, st, &out, 0, NULL, &err), 0);
	assert_int_equal(ED_VEC(&out, int64_t)[0], INT64_MAX);
	(void)only0;
	a.fini(&a, st);
	ed_vector_fini(&v);
	ed_vector_fini(&out);

	/* MIN/MAX over text with retraction; result copied into the arena */
	struct ed_type txt = ed_type_make(ED_TYPE_TEXT);
	assert_int_equal(ed_agg_resolve("min", &txt, false, &a, &err), 0);
	a.init(&a, st);
	ed_vector_init(&v, txt, 3);
	ed_vector_init(&out, txt, 1);
	const char *words[3] = {"pear", "apple", "zoo"};
	for (int i = 0; i < 3; i++) {
		ED_VEC(&v, struct ed_str)[i].ptr = words[i];
		ED_VEC(&v, struct ed_str)[i].len = (uint32_t)strlen(words[i]);
		v.nulls[i] = 0;
	}
	void *sp3[3] = {st, st, st};
	assert_int_equal(a.update(&a, sp3, &v, NULL, NULL, 3, &err), 0);
	struct ed_arena ar;
	ed_arena_init(&ar, 1024);
	assert_int_equal(a.result(&a, st, &out, 0, &ar, &err), 0);
	assert_memory_equal(ED_VEC(&out, struct ed_str)[0].ptr, "apple", 5);
	uint8_t del[1] = {ED_OP_DELETE};
	void *sp1[1] = {st};
	struct ed_vector one = v;
	one.data = &ED_VEC(&v, struct ed_str)[1];
	one.nulls = &v.nulls[1];
	assert_int_equal(a.update(&a, sp1, &one, del, NULL, 1, &err), 0);
	assert_int_equal(a.result(&a, st, &out, 0, &ar, &err), 0);
	assert_memory_equal(ED_VEC(&out, struct ed_str)[0].ptr, "pear", 4);
	/* retracting a value that is not there is an error, not a crash */
	assert_int_not_equal(a.update(&a, sp1, &one, del, NULL, 1, &err), 0);
	a.fini(&a, st);
	ed_arena_fini(&ar);
	ed_vector_fini(&v);
	ed_vector_fini(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_random_retraction),
		cmocka_unit_test(test_sum_overflow_and_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
