/* Unit tests for the keyed state store (src/state/kv.c): upsert/find/delete
 * against a model over many random operations (exercising backward-shift
 * deletion and growth), value growth, and the change lists a checkpoint
 * reads (upserts and deletes since the last checkpoint), and the reuse of
 * deleted entries (pool). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"
#include "base/mem.h"
#include "state/kv.h"

#define NKEYS 2000

static int model[NKEYS]; /* value or -1 */

static void key_of(int k, char *buf, uint32_t *len)
{
	*len = (uint32_t)snprintf(buf, 32, "key-%d", k);
}

static void test_model(void **state)
{
	(void)state;
	struct ed_kv kv;
	ed_kv_init(&kv);
	for (int i = 0; i < NKEYS; i++)
		model[i] = -1;
	uint64_t x = 88172645463325252ull;
	for (int step = 0; step < 100000; step++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int k = (int)(x % NKEYS);
		char key[32];
		uint32_t klen;
		key_of(k, key, &klen);
		uint64_t h = ed_kv_hash(key, klen);
		struct ed_kv_entry *e = ed_kv_find(&kv, key, klen, h);
		assert_int_equal(e != NULL, model[k] >= 0);
		if (e)
			assert_int_equal(*(int *)ed_kv_value(e), model[k]);
		if ((x >> 20) % 3 == 0 && e) {
			assert_int_equal(ed_kv_delete(&kv, e), 0);
			model[k] = -1;
		} else {
			bool created;
			assert_int_equal(ed_kv_upsert(&kv, key, klen, h, sizeof(int), &e, &created),
					 0);
			assert_int_equal(created, model[k] < 0);
			*(int *)ed_kv_value(e) = step;
			model[k] = step;
		}
	}
	size_t n = 0, pos = 0;
	while (ed_kv_next(&kv, &pos))
		n++;
	assert_int_equal(n, kv.count);
	size_t live = 0;
	for (int i = 0; i < NKEYS; i++)
		live += model[i] >= 0;
	assert_int_equal(live, kv.count);
	ed_kv_fini(&kv);
	assert_int_equal(ed_mem_live_count(), 0);
}

struct seen {
	int upserts, deletes;
	char last_deleted[32];
};

static int on_change(void *arg, const uint8_t *key, uint32_t klen, const uint8_t *value, uint32_t vlen)
{
	struct seen *s = arg;
	if (value)
		s->upserts++;
	else {
		s->deletes++;
		snprintf(s->last_deleted, sizeof(s->last_deleted), "%.*s", (int)klen, key);
	}
	(void)vlen;
	return 0;
}

static void test_changes(void **state)
{
	(void)state;
	struct ed_kv kv;
	ed_kv_init(&kv);
	struct ed_kv_entry *e;
	bool created;
	assert_int_equal(ed_kv_upsert(&kv, "a", 1, ed_kv_hash("a", 1), 8, &e, &created), 0);
	assert_int_equal(ed_kv_upsert(&kv, "b", 1, ed_kv_hash("b", 1), 8, &e, &created), 0);
	struct seen s = {0};
	ed_kv_changes(&kv, on_change, &s);
	assert_int_equal(s.upserts, 2);
	ed_kv_checkpoint_done(&kv);
	memset(&s, 0, sizeof(s));
	ed_kv_changes(&kv, on_change, &s);
	assert_int_equal(s.upserts + s.deletes, 0);
	/* grow b's value: the entry may move, the dirty list follows */
	e = ed_kv_find(&kv, "b", 1, ed_kv_hash("b", 1));
	ed_kv_mark_dirty(&kv, e);
	assert_int_equal(ed_kv_value_reserve(&kv, &e, 4096), 0);
	memset(ed_kv_value(e), 7, 4096);
	assert_ptr_equal(ed_kv_find(&kv, "b", 1, ed_kv_hash("b", 1)), e);
	e = ed_kv_find(&kv, "a", 1, ed_kv_hash("a", 1));
	ed_kv_delete(&kv, e);
	memset(&s, 0, sizeof(s));
	ed_kv_changes(&kv, on_change, &s);
	assert_int_equal(s.upserts, 1);
	assert_int_equal(s.deletes, 1);
	assert_string_equal(s.last_deleted, "a");
	/* re-inserted after delete: reported as an upsert only */
	assert_int_equal(ed_kv_upsert(&kv, "a", 1, ed_kv_hash("a", 1), 8, &e, &created), 0);
	memset(&s, 0, sizeof(s));
	ed_kv_changes(&kv, on_change, &s);
	assert_int_equal(s.upserts, 2);
	assert_int_equal(s.deletes, 0);
	ed_kv_fini(&kv);
	assert_int_equal(ed_mem_live_count(), 0);
}

/* Keys that come and go without checkpoints (closed windows) keep memory
 * bounded: the deleted-key log is dropped once it outweighs the store, and
 * changes then ask for a full snapshot until the next checkpoint. */
static void test_deleted_log_bounded(void **state)
{
	(void)state;
	struct ed_kv kv;
	ed_kv_init(&kv);
	size_t base = ed_mem_in_use();
	char key[32];
	for (int i = 0; i < 200000; i++) {
		struct ed_kv_entry *e;
		bool created;
		int n = snprintf(key, sizeof(key), "window-%d-key", i);
		assert_int_equal(ed_kv_upsert(&kv, key, (uint32_t)n, ed_kv_hash(key, (size_t)n), 16,
					      &e, &created),
				 0);
		assert_int_equal(ed_kv_delete(&kv, e), 0);
	}
	assert_true(ed_mem_in_use() <= base + 2 * ED_KV_DELETED_MIN + 4096);
	assert_true(kv.changes_dropped);
	struct seen s = {0};
	assert_int_equal(ed_kv_changes(&kv, on_change, &s), ED_ERANGE);
	ed_kv_checkpoint_done(&kv);
	assert_int_equal(ed_kv_changes(&kv, on_change, &s), 0);
	ed_kv_fini(&kv);
}

/* A deleted entry is reused by the next new key that fits: no allocation,
 * the new value area zeroed, growth past the reused capacity still works;
 * a pooled entry too small is freed, not reused. */
static void test_pool_reuse(void **state)
{
	(void)state;
	struct ed_kv kv;
	ed_kv_init(&kv);
	struct ed_kv_entry *e;
	bool created;
	const char *big = "a-rather-long-key-of-forty-bytes-or-so..";
	assert_int_equal(ed_kv_upsert(&kv, big, (uint32_t)strlen(big), ed_kv_hash(big, strlen(big)),
				      64, &e, &created),
			 0);
	memset(ed_kv_value(e), 0xff, 64);
	assert_int_equal(ed_kv_delete(&kv, e), 0);
	assert_int_equal(kv.npool, 1);
	size_t live = ed_mem_live_count();
	assert_int_equal(ed_kv_upsert(&kv, "k", 1, ed_kv_hash("k", 1), 16, &e, &created), 0);
	assert_true(created);
	assert_int_equal(kv.npool, 0);
	assert_int_equal(ed_mem_live_count(), live); /* reused, nothing allocated */
	assert_int_equal(e->vlen, 16);
	assert_true(e->vcap >= 64);
	for (int i = 0; i < 16; i++)
		assert_int_equal(ed_kv_value(e)[i], 0);
	assert_ptr_equal(ed_kv_find(&kv, "k", 1, ed_kv_hash("k", 1)), e);
	assert_int_equal(ed_kv_value_reserve(&kv, &e, 1000), 0);
	memset(ed_kv_value(e), 1, 1000);
	assert_ptr_equal(ed_kv_find(&kv, "k", 1, ed_kv_hash("k", 1)), e);
	/* Too small for the next one: freed, and a fresh entry allocated. */
	assert_int_equal(ed_kv_upsert(&kv, "s", 1, ed_kv_hash("s", 1), 8, &e, &created), 0);
	assert_int_equal(ed_kv_delete(&kv, e), 0);
	assert_int_equal(kv.npool, 1);
	assert_int_equal(ed_kv_upsert(&kv, big, (uint32_t)strlen(big), ed_kv_hash(big, strlen(big)),
				      512, &e, &created),
			 0);
	assert_int_equal(kv.npool, 0);
	for (int i = 0; i < 512; i++)
		assert_int_equal(ed_kv_value(e)[i], 0);
	assert_int_equal(kv.count, 2);
	ed_kv_fini(&kv);
	assert_int_equal(ed_mem_live_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_deleted_log_bounded),
		cmocka_unit_test(test_pool_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
