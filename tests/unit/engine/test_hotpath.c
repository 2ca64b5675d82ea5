/* The hot path allocates nothing per row: JSON records decoded into a
 * chunk, TUMBLE window assignment and a COUNT/SUM aggregation over groups
 * that already exist run with every allocation made to fail (ed_mem_fail_at,
 * sticky), chunk after chunk. Closing windows frees their state: many
 * windows later the live allocations are back where they started.
 * Single-threaded: the operators are driven directly, as a pipeline's worker
 * drives them (engine/engine.c), without the engine's threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/mem.h"
#include "exec/chunk.h"
#include "exec/decode.h"
#include "exec/op.h"
#include "plan/catalog.h"
#include "plan/plan.h"
#include "sql/sql.h"
#include "state/kv.h"

#define USERS 8

/* Terminal: counts emitted rows and sums the COUNT column. */
struct sink_op {
	struct ed_operator op;
	int64_t rows, counted;
};

static int sink_push(struct ed_operator *op, const struct ed_chunk *in)
{
	struct sink_op *s = (struct sink_op *)op;
	s->rows += in->rows;
	for (uint32_t i = 0; i < in->rows; i++)
		s->counted += ED_VEC(&in->cols[3], int64_t)[i];
	return 0;
}

static int sink_wm(struct ed_operator *op, int64_t wm)
{
	(void)op;
	(void)wm;
	return 0;
}

static void sink_free(struct ed_operator *op)
{
	(void)op;
}

struct fixture {
	struct ed_arena arena;
	struct ed_catalog cat;
	struct ed_catalog_obj *src;
	struct ed_query q;
	struct ed_pipe_stats stats;
	struct ed_operator *head, *tail;
	struct sink_op sink;
	struct ed_decoder dec;
	struct ed_chunk chunk;
	struct ed_buf rec;
};

static const struct ed_sql_stmt *parse1(struct ed_arena *a, const char *sql)
{
	struct ed_sql_stmt_list l;
	struct ed_sql_error err;
	if (ed_sql_parse(a, sql, strlen(sql), &l, &err) != 0)
		fail_msg("%s: %s", sql, err.msg);
	assert_int_equal(l.n, 1);
	return l.v[0];
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	ed_arena_init(&f->arena, 0);
	assert_int_equal(ed_catalog_init(&f->cat, NULL), 0);
	static const char src[] =
		"CREATE SOURCE bids (user TEXT, amount BIGINT, ts TIMESTAMP, "
		"WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) WITH (topic = 'bids', format = 'json')";
	struct ed_sql_error err;
	f->src = ed_catalog_obj_new(ED_OBJ_SOURCE);
	assert_non_null(f->src);
	f->src->name = "bids";
	if (ed_bind_source(&f->src->arena, parse1(&f->arena, src), src, strlen(src),
			   &f->src->schema, &f->src->source, &err))
		fail_msg("bind source: %s", err.msg);
	ed_catalog_add(&f->cat, f->src);
	static const char view[] =
		"SELECT user, window_start, window_end, COUNT(*) AS n, SUM(amount) AS total "
		"FROM TUMBLE(bids, ts, INTERVAL '10' SECOND) GROUP BY user, window_start, window_end";
	const struct ed_sql_stmt *st = parse1(&f->arena, view);
	if (ed_bind_query(&f->arena, &f->cat, st->u.select, view, strlen(view), &f->q, &err))
		fail_msg("bind query: %s", err.msg);
	char e[128];
	assert_int_equal(ed_plan_build(&f->q, &f->stats, &f->head, &f->tail, e, sizeof(e)), 0);
	f->sink.op = (struct ed_operator){"sink", sink_push, sink_wm, sink_free, NULL, &f->stats};
	f->tail->next = &f->sink.op;
	assert_int_equal(ed_decoder_init(&f->dec, ED_RECORD_JSON,
					 (const char *const *)f->src->schema.names,
					 f->src->schema.n, 0),
			 0);
	assert_int_equal(ed_chunk_init(&f->chunk, f->src->schema.types, f->src->schema.n,
				       ED_CHUNK_DEFAULT_ROWS),
			 0);
	ed_buf_init(&f->rec);
}

static void fixture_fini(struct fixture *f)
{
	f->tail->next = NULL;
	ed_op_free_chain(f->head);
	ed_decoder_fini(&f->dec);
	ed_chunk_fini(&f->chunk);
	ed_buf_fini(&f->rec);
	ed_catalog_fini(&f->cat);
	ed_arena_fini(&f->arena);
}

/* One full chunk of records in second `sec` (window sec / 10), decoded and
 * pushed; then the watermark (sec - 2 s). Returns the first error. */
static int push_chunk(struct fixture *f, int64_t sec)
{
	char rec[128];
	ed_chunk_reset(&f->chunk);
	for (uint32_t r = 0; r < f->chunk.cap; r++) {
		int n = snprintf(rec, sizeof(rec), "{\"user\":\"user%u\",\"amount\":%u,\"ts\":%lld}",
				 r % USERS, r, (long long)(sec * 1000 + r % 1000));
		char why[128];
		if (ed_decode_record(&f->dec, (const uint8_t *)rec, (size_t)n, &f->chunk, r, why,
				     sizeof(why)))
			fail_msg("decode: %s", why);
		f->chunk.ops[r] = ED_OP_INSERT;
		f->chunk.rows++;
	}
	int rc = ed_op_push(f->head, &f->chunk);
	if (rc == 0)
		rc = ed_op_watermark(f->head, (sec - 2) * 1000000);
	return rc;
}

static void test_no_allocation_per_row(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f);
	/* Warm up: the groups of window [0, 10) exist, scratch buffers grown. */
	assert_int_equal(push_chunk(&f, 1), 0);
	assert_int_equal(push_chunk(&f, 2), 0);
	/* From here every allocation fails: 100 more chunks into the same
	 * groups must need none. */
	ed_mem_fail_at(1, 1);
	int rc = 0;
	for (int i = 0; i < 100 && rc == 0; i++)
		rc = push_chunk(&f, 3 + i % 6);
	int fired = ed_mem_fail_fired();
	ed_mem_fail_at(0, 0);
	assert_int_equal(rc, 0);
	assert_int_equal(fired, 0);
	assert_int_equal(f.stats.bad_rows, 0);
	/* Close the window: one row per user, every row counted. */
	assert_int_equal(ed_op_watermark(f.head, 20 * 1000000), 0);
	assert_int_equal(f.sink.rows, USERS);
	assert_int_equal(f.sink.counted, 102 * (int64_t)ED_CHUNK_DEFAULT_ROWS);
	fixture_fini(&f);
}

static void test_windows_release_state(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f);
	assert_int_equal(push_chunk(&f, 1), 0);
	assert_int_equal(ed_op_watermark(f.head, 20 * 1000000), 0);
	size_t live = ed_mem_live_count(), bytes = ed_mem_in_use();
	/* 500 windows of 2 chunks each, each closed by the next. */
	for (int64_t w = 2; w < 502; w++) {
		assert_int_equal(push_chunk(&f, w * 10 + 3), 0);
		assert_int_equal(push_chunk(&f, w * 10 + 5), 0);
	}
	assert_int_equal(ed_op_watermark(f.head, 10000 * INT64_C(1000000)), 0);
	assert_int_equal(f.sink.rows, 501 * USERS);
	assert_int_equal(f.sink.counted, (1 + 1000) * (int64_t)ED_CHUNK_DEFAULT_ROWS);
	/* Nothing grows with the number of windows or rows (the state store's
	 * deleted-key log is capped at ED_KV_DELETED_MIN or the store's size,
	 * its pool of deleted entries at ED_KV_POOL_MAX). */
	assert_true(ed_mem_live_count() <= live + 4 + ED_KV_POOL_MAX);
	assert_true(ed_mem_in_use() <= bytes + ED_KV_DELETED_MIN + 16 * 1024);
	fixture_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_allocation_per_row),
		cmocka_unit_test(test_windows_release_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
