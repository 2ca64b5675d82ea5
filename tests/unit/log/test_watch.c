/* Unit tests for the log's watchers (log.h) and wake-ups (wake.h): an
 * append calls exactly the watchers of its partition, once, after the hwm
 * moved; unwatch stops the calls; a thread sleeping on an ed_log_wake with
 * a long timeout is woken at once by an append from another thread to a
 * watched partition and not by appends elsewhere. */
#include <pthread.h>

#include "log_test_util.h"

#include "log/wake.h"

struct counter {
	struct ed_partition *part;
	int calls;
	int64_t hwm_seen;
};

static void count_fn(struct ed_watcher *w)
{
	struct counter *c = w->arg;
	c->calls++;
	c->hwm_seen = ed_partition_hwm(c->part); /* already advanced */
}

static void test_watchers_per_partition(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "w", 2, NULL);
	struct ed_topic *t = ed_log_topic_get(log, "w");
	struct ed_partition *p0 = ed_topic_partition(t, 0), *p1 = ed_topic_partition(t, 1);
	struct counter c0 = {p0, 0, -1}, c0b = {p0, 0, -1}, c1 = {p1, 0, -1};
	struct ed_watcher w0 = {count_fn, &c0, NULL, NULL, NULL};
	struct ed_watcher w0b = {count_fn, &c0b, NULL, NULL, NULL};
	struct ed_watcher w1 = {count_fn, &c1, NULL, NULL, NULL};
	ed_partition_watch(p0, &w0);
	ed_partition_watch(p0, &w0b);
	ed_partition_watch(p1, &w1);
	t_append(p0, 3, 0, 10, 1000);
	assert_int_equal(c0.calls, 1);
	assert_int_equal(c0b.calls, 1);
	assert_int_equal(c0.hwm_seen, 3);
	assert_int_equal(c1.calls, 0);
	t_append(p1, 2, 0, 10, 1000);
	assert_int_equal(c0.calls, 1);
	assert_int_equal(c1.calls, 1);
	assert_int_equal(c1.hwm_seen, 2);
	/* a refused append does not notify */
	uint8_t junk[80] = {0};
	char err[128];
	assert_true(ed_partition_append(p0, junk, sizeof junk, NULL, err, sizeof err) < 0);
	assert_int_equal(c0.calls, 1);
	ed_partition_unwatch(&w0);
	ed_partition_unwatch(&w0); /* idempotent */
	t_append(p0, 1, 0, 10, 1000);
	assert_int_equal(c0.calls, 1);
	assert_int_equal(c0b.calls, 2);
	ed_partition_unwatch(&w0b);
	ed_partition_unwatch(&w1);
	ed_topic_unref(t);
	ed_log_close(log);
	t_rmdir(dir);
}

struct sleeper {
	struct ed_log_wake *wk;
	int64_t woke_ms;
	bool raised;
};

static void *sleep_main(void *arg)
{
	struct sleeper *s = arg;
	s->raised = ed_log_wake_wait(s->wk, 10000);
	s->woke_ms = ed_mono_ms();
	return NULL;
}

static void test_wake_by_append(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "in", 1, NULL);
	t_create(log, "other", 1, NULL);
	struct ed_topic *t = ed_log_topic_get(log, "in");
	struct ed_topic *o = ed_log_topic_get(log, "other");
	struct ed_log_wake wk;
	ed_log_wake_init(&wk);
	struct ed_log_watchset *ws = ed_log_watchset_new(&wk, t);
	assert_non_null(ws);
	/* A new watch set raises once (whatever came before it). */
	assert_true(ed_log_wake_wait(&wk, 0));
	assert_false(ed_log_wake_wait(&wk, 0));
	/* An append elsewhere does not wake. */
	t_append(ed_topic_partition(o, 0), 1, 0, 10, 1000);
	assert_false(ed_log_wake_wait(&wk, 50));
	/* An append to the watched topic wakes a sleeper at once. */
	struct sleeper s = {&wk, 0, false};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, sleep_main, &s), 0);
	usleep(50000);
	int64_t t0 = ed_mono_ms();
	t_append(ed_topic_partition(t, 0), 1, 0, 10, 1000);
	pthread_join(th, NULL);
	assert_true(s.raised);
	assert_true(s.woke_ms - t0 < 1000); /* not the 10 s timeout */
	/* A raise between two waits is not lost. */
	t_append(ed_topic_partition(t, 0), 1, 0, 10, 1000);
	assert_true(ed_log_wake_wait(&wk, 10000));
	ed_log_watchset_free(ws);
	t_append(ed_topic_partition(t, 0), 1, 0, 10, 1000);
	assert_false(ed_log_wake_wait(&wk, 20));
	ed_log_wake_fini(&wk);
	ed_topic_unref(t);
	ed_topic_unref(o);
	ed_log_close(log);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watchers_per_partition),
		cmocka_unit_test(test_wake_by_append),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
