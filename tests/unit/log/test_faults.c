/* Fault-injection tests (SQLite's loop): a workload of appends, syncs
 * (blocking and async), segment rolls, maintenance and a clean close runs
 * with the Nth write (or fdatasync) failing, for N = 1, 2, 3, ... until a
 * run completes without any failure. After each run the directory is
 * reopened without faults and checked against what the workload was told:
 * every offset acknowledged durable is present with the right record, no
 * offset holds a record that was not appended there, and after a failed
 * fdatasync the partition stayed failed (no later sync reported success).
 * Allocations are counted to catch leaks on every error path. */
#include <errno.h>
#include <sched.h>

#include "base/diag.h"
#include "log_test_util.h"

#define MAX_RECS 4096

struct model {
	int64_t n;          /* offsets assigned so far */
	int keys[MAX_RECS]; /* key number at each offset */
	int64_t durable;    /* offsets below were acknowledged durable */
	int errors;         /* errors seen by the workload */
	bool failed;        /* the partition went read-only */
};

struct async_wait {
	atomic_int done;
	atomic_int rc;
};

static void on_sync(void *arg, int rc)
{
	struct async_wait *w = arg;
	atomic_store(&w->rc, rc);
	atomic_store(&w->done, 1);
}

static void workload(struct ed_log *log, struct model *m)
{
	struct ed_topic *topic = ed_log_topic_get(log, "f");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	int uid = 0;
	for (int i = 0; i < 30; i++) {
		int cnt = 1 + i % 4;
		uint8_t *b;
		size_t len = t_batch(&b, cnt, uid, uid, 90, ed_wall_ms(), ED_CODEC_NONE);
		struct ed_append_result res;
		char err[256];
		int rc = ed_partition_append(part, b, len, &res, err, sizeof err);
		free(b);
		if (rc == 0) {
			assert_false(m->failed);
			assert_int_equal(res.base_offset, m->n);
			for (int k = 0; k < cnt; k++)
				m->keys[m->n++] = uid + k;
		} else {
			m->errors++;
			assert_true(rc == ED_EIO || rc == ED_EFAILED || rc == ED_ENOSPC);
			if (m->failed)
				assert_int_equal(rc, ED_EFAILED);
			if (ed_partition_failed(part))
				m->failed = true;
		}
		uid += cnt;
		if (i % 3 != 2)
			continue;
		int64_t upto = ed_partition_hwm(part);
		if (i % 2) {
			rc = ed_partition_sync(part, upto);
		} else {
			struct async_wait w;
			atomic_init(&w.done, 0);
			atomic_init(&w.rc, 0);
			rc = ed_partition_sync_async(part, upto, on_sync, &w);
			if (rc == 0) {
				while (!atomic_load(&w.done))
					sched_yield();
				rc = atomic_load(&w.rc);
			}
		}
		if (rc == 0) {
			/* Never a success after a failure. */
			assert_false(m->failed);
			m->durable = upto;
		} else {
			m->errors++;
			assert_true(rc == ED_EIO || rc == ED_EFAILED || rc == ED_ENOSPC);
			assert_true(ed_partition_failed(part));
			m->failed = true;
		}
	}
	if (ed_log_maintain(log, ed_wall_ms()) != 0)
		m->errors++;
	if (ed_partition_failed(part))
		m->failed = true;
	ed_topic_unref(topic);
}

static void verify(const char *dir, const struct model *m)
{
	struct ed_log *log = t_open(dir);
	struct ed_topic *topic = ed_log_topic_get(log, "f");
	struct ed_partition *part = ed_topic_partition(topic, 0);
	int64_t hwm = ed_partition_hwm(part);
	assert_false(ed_partition_failed(part));
	assert_true(hwm >= m->durable);
	assert_true(hwm <= m->n);
	struct t_rec *recs;
	size_t n = t_read_all(part, 0, 1 << 20, &recs);
	assert_int_equal(n, (size_t)hwm);
	for (size_t i = 0; i < n; i++) {
		char k[32];
		snprintf(k, sizeof k, "k%d", m->keys[i]);
		assert_int_equal(recs[i].offset, (int64_t)i);
		assert_string_equal(recs[i].key, k);
	}
	free(recs);
	/* Appends continue after recovery. */
	assert_int_equal(t_append(part, 1, 999999, 5, 1), hwm);
	ed_topic_unref(topic);
	ed_log_close(log);
}

static void fault_loop(enum ed_io_op op)
{
	int runs = 0;
	for (uint64_t nth = 1; nth < 2000; nth++) {
		char *dir = t_fast_tmpdir();
		size_t live = ed_mem_live_count();
		struct ed_log *log = t_open(dir);
		t_create(log, "f", 1,
			 (const char *const[]){"segment.bytes", "4096", "index.interval.bytes",
					       "300", NULL});
		struct model *m = calloc(1, sizeof *m);
		ed_io_fail_at(op, nth, EIO);
		workload(log, m);
		ed_log_close(log);
		ed_io_fail_reset();
		assert_int_equal(ed_mem_live_count(), live);
		verify(dir, m);
		assert_int_equal(ed_mem_live_count(), live);
		bool clean_run = m->errors == 0 && !m->failed;
		free(m);
		t_rmdir(dir);
		runs++;
		if (clean_run)
			break;
	}
	assert_true(runs > 5); /* the loop really injected failures */
	print_message("%s: %d runs\n", op == ED_IO_WRITE ? "write" : "fsync", runs);
}

static void test_write_failures(void **state)
{
	(void)state;
	fault_loop(ED_IO_WRITE);
}

static void test_fsync_failures(void **state)
{
	(void)state;
	fault_loop(ED_IO_FSYNC);
}

/* Failures during recovery itself: the open either fails cleanly or
 * succeeds; a later open without faults finds everything. */
static void test_failures_during_open(void **state)
{
	(void)state;
	for (int op = ED_IO_WRITE; op <= ED_IO_FSYNC; op++) {
		for (uint64_t nth = 1; nth <= 30; nth++) {
			char *dir = t_fast_tmpdir();
			struct ed_log *log = t_open(dir);
			t_create(log, "f", 1, (const char *const[]){"segment.bytes", "4096", NULL});
			struct model *m = calloc(1, sizeof *m);
			workload(log, m);
			ed_log_close(log);
			/* Make it unclean with a torn tail so recovery writes. */
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", dir, ED_CLEAN_MARKER);
			unlink(p);
			snprintf(p, sizeof p, "%s/topics/f/0/%s", dir, ED_RECOVERY_POINT);
			unlink(p);
			size_t live = ed_mem_live_count();
			ed_io_fail_at((enum ed_io_op)op, nth, EIO);
			log = NULL;
			char err[512];
			int rc = ed_log_open(dir, NULL, &log, err, sizeof err);
			ed_io_fail_reset();
			if (rc == 0) {
				ed_log_close(log);
			} else {
				assert_null(log);
			}
			assert_int_equal(ed_mem_live_count(), live);
			verify(dir, m);
			free(m);
			t_rmdir(dir);
		}
	}
}

/* Allocation failures at the Nth ed_malloc through open, create, append,
 * sync, read, maintain and close: errors, never crashes or leaks, and the
 * directory still opens afterwards. */
static void test_alloc_failures(void **state)
{
	(void)state;
	uint8_t *b;
	size_t len = t_batch(&b, 5, 0, 0, 50, ed_wall_ms(), ED_CODEC_NONE);
	uint8_t *copy = malloc(len);
	int runs = 0;
	for (uint64_t nth = 1; nth < 5000; nth++) {
		char *dir = t_fast_tmpdir();
		size_t live = ed_mem_live_count();
		struct ed_log *log = NULL;
		ed_mem_fail_at(nth, 0);
		if (ed_log_open(dir, NULL, &log, NULL, 0) == 0) {
			struct ed_topic_config cfg;
			ed_topic_config_defaults(&cfg);
			cfg.segment_bytes = 4096;
			cfg.partitions = 2;
			if (ed_log_topic_create(log, "m", &cfg, NULL, 0) == 0) {
				struct ed_topic *topic = ed_log_topic_get(log, "m");
				struct ed_partition *part = ed_topic_partition(topic, 1);
				for (int i = 0; i < 12; i++) {
					memcpy(copy, b, len);
					ed_partition_append(part, copy, len, NULL, NULL, 0);
				}
				ed_partition_sync(part, ed_partition_hwm(part));
				struct ed_buf buf;
				ed_buf_init(&buf);
				ed_partition_read(part, 0, 100000, &buf);
				ed_buf_fini(&buf);
				int64_t off;
				ed_partition_offset_for_time(part, 0, &off);
				ed_log_maintain(log, ed_wall_ms());
				char **names;
				size_t n;
				if (ed_log_topic_names(log, &names, &n) == 0)
					ed_log_names_free(names, n);
				ed_topic_unref(topic);
			}
			ed_log_close(log);
		}
		bool fired = ed_mem_fail_fired();
		ed_mem_fail_at(0, 0);
		assert_int_equal(ed_mem_live_count(), live);
		/* Whatever happened, the directory opens and reads cleanly. */
		log = t_open(dir);
		struct ed_topic *topic = ed_log_topic_get(log, "m");
		if (topic) {
			struct t_rec *recs;
			size_t n = t_read_all(ed_topic_partition(topic, 1), 0, 1 << 20, &recs);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(recs[i].offset, (int64_t)i);
			free(recs);
			ed_topic_unref(topic);
		}
		ed_log_close(log);
		assert_int_equal(ed_mem_live_count(), live);
		t_rmdir(dir);
		runs++;
		if (!fired)
			break;
	}
	free(copy);
	free(b);
	assert_true(runs > 20);
	print_message("alloc: %d runs\n", runs);
}

int main(void)
{
	ed_diag_set_level(ED_SILENT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_failures),
		cmocka_unit_test(test_fsync_failures),
		cmocka_unit_test(test_failures_during_open),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
