/* Group commit (src/log/flusher.c): many threads append and ask for
 * durability at once, blocking and asynchronously; the flusher's fdatasync
 * count must be far below the number of syncs requested, every sync must
 * return only once its offsets are covered, and concurrent readers must
 * never see bytes at or past the hwm while the writer keeps going. */
#include <pthread.h>
#include <sched.h>

#include "log_test_util.h"

#define THREADS 8
#define PER_THREAD 200

struct shared {
	struct ed_partition *part;
	atomic_int syncs;
	atomic_int async_pending;
	atomic_int errors;
	atomic_bool stop;
};

static void on_sync(void *arg, int rc)
{
	struct shared *sh = arg;
	if (rc)
		atomic_fetch_add(&sh->errors, 1);
	atomic_fetch_sub(&sh->async_pending, 1);
}

static void *writer(void *arg)
{
	struct shared *sh = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		uint8_t *b;
		size_t len = t_batch(&b, 2, i, i, 50, 1, ED_CODEC_NONE);
		struct ed_append_result res;
		if (ed_partition_append(sh->part, b, len, &res, NULL, 0)) {
			atomic_fetch_add(&sh->errors, 1);
			free(b);
			continue;
		}
		free(b);
		atomic_fetch_add(&sh->syncs, 1);
		if (i % 2) {
			if (ed_partition_sync(sh->part, res.last_offset + 1))
				atomic_fetch_add(&sh->errors, 1);
		} else {
			atomic_fetch_add(&sh->async_pending, 1);
			if (ed_partition_sync_async(sh->part, res.last_offset + 1, on_sync, sh)) {
				atomic_fetch_add(&sh->errors, 1);
				atomic_fetch_sub(&sh->async_pending, 1);
			}
		}
	}
	return NULL;
}

/* Reads from random offsets below the hwm until told to stop; every batch
 * must validate and end below the hwm loaded before the read. */
static void *reader(void *arg)
{
	struct shared *sh = arg;
	struct ed_buf buf;
	unsigned seed = 7;
	ed_buf_init(&buf);
	while (!atomic_load(&sh->stop)) {
		int64_t hwm = ed_partition_hwm(sh->part);
		if (hwm == 0) {
			sched_yield();
			continue;
		}
		int64_t off = (int64_t)(rand_r(&seed) % (unsigned)hwm);
		ed_buf_reset(&buf);
		if (ed_partition_read(sh->part, off, 4096, &buf) || buf.len == 0) {
			atomic_fetch_add(&sh->errors, 1);
			continue;
		}
		size_t pos = 0;
		while (pos < buf.len) {
			struct ed_batch_info bi;
			if (ed_batch_validate(buf.data + pos, buf.len - pos, 0, &bi, NULL, 0) ||
			    ed_batch_last_offset(&bi) >= ed_partition_hwm(sh->part) ||
			    (pos == 0 && (bi.base_offset > off || ed_batch_last_offset(&bi) < off))) {
				atomic_fetch_add(&sh->errors, 1);
				break;
			}
			pos += (size_t)bi.size;
		}
	}
	ed_buf_fini(&buf);
	return NULL;
}

static void test_group_commit(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "g", 1, (const char *const[]){"segment.bytes", "65536", NULL});
	struct ed_topic *topic = ed_log_topic_get(log, "g");
	struct shared sh = {.part = ed_topic_partition(topic, 0)};
	pthread_t w[THREADS], r[2];
	uint64_t before = ed_log_fsync_count(log);
	for (int i = 0; i < 2; i++)
		pthread_create(&r[i], NULL, reader, &sh);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&w[i], NULL, writer, &sh);
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i], NULL);
	while (atomic_load(&sh.async_pending) > 0)
		sched_yield();
	atomic_store(&sh.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	uint64_t fsyncs = ed_log_fsync_count(log) - before;
	int syncs = atomic_load(&sh.syncs);
	print_message("%d syncs requested, %llu fdatasyncs\n", syncs, (unsigned long long)fsyncs);
	assert_int_equal(atomic_load(&sh.errors), 0);
	assert_int_equal(syncs, THREADS * PER_THREAD);
	assert_int_equal(ed_partition_hwm(sh.part), THREADS * PER_THREAD * 2);
	assert_true(fsyncs > 0);
	assert_true(fsyncs * 2 < (uint64_t)syncs);
	assert_true(ed_partition_segment_count(sh.part) > 1);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
