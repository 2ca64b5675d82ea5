/* Unit test of the Fetch long poll (src/kafka/handle_data.c) against a real
 * broker on a libuv loop in a thread: a parked fetch is woken by an append
 * to a partition it asked for, made by another thread straight into the
 * log (as HTTP ingest and engine sinks do), within milliseconds (the log's
 * watchers; before them only a 100 ms recheck noticed such appends); an
 * append to another topic does not answer it; with no data it answers at
 * its max-wait deadline. Against the base commit (100 ms recheck) the
 * wake-up latencies were 11, 28, 28, 63, 85 ms (median 28): the test fails
 * there; with watchers they are 0-1 ms. Also: one Produce with many
 * batches for one partition, each validated once and appended in order. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/clock.h"
#include "kafka_test_util.h"
#include "log/batch.h"

/* Send a Fetch v4 for partition 0 of topic at offset. */
static void send_fetch(int fd, const char *topic, int64_t offset, int32_t max_wait, int32_t corr)
{
	struct ed_buf req;
	ed_buf_init(&req);
	ed_kput_i32(&req, 0);
	ed_kput_i16(&req, ED_KAPI_FETCH);
	ed_kput_i16(&req, 4);
	ed_kput_i32(&req, corr);
	ed_kput_str(&req, "test");
	ed_kput_i32(&req, -1);       /* replica */
	ed_kput_i32(&req, max_wait); /* max wait ms */
	ed_kput_i32(&req, 1);        /* min bytes */
	ed_kput_i32(&req, 1 << 20);  /* max bytes */
	ed_kput_i8(&req, 0);         /* isolation */
	ed_kput_i32(&req, 1);
	ed_kput_str(&req, topic);
	ed_kput_i32(&req, 1);
	ed_kput_i32(&req, 0);
	ed_kput_i64(&req, offset);
	ed_kput_i32(&req, 1 << 20);
	assert_int_equal(req.err, 0);
	ed_buf_patch_be32(&req, 0, (uint32_t)(req.len - 4));
	assert_int_equal(write(fd, req.data, req.len), (ssize_t)req.len);
	ed_buf_fini(&req);
}

/* Wait up to ms for a whole response; its size, or -1 on timeout. */
static int read_response(int fd, int ms, uint8_t *resp, size_t cap)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	size_t got = 0;
	while (got < 4 || got < rd32(resp) + 4) {
		ssize_t r = read(fd, resp + got, cap - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
	return (int)rd32(resp);
}

static void append_one(struct ed_log *log, const char *topic)
{
	struct ed_batch_builder bb;
	uint8_t *batch;
	size_t len;
	char err[128];
	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	assert_int_equal(ed_batch_builder_add(&bb, 1000, NULL, -1, "value", 5, NULL, 0), 0);
	assert_int_equal(ed_batch_builder_finish(&bb, &batch, &len), 0);
	struct ed_topic *t = ed_log_topic_get(log, topic);
	assert_non_null(t);
	assert_int_equal(ed_partition_append(ed_topic_partition(t, 0), batch, len, NULL, err,
					     sizeof err),
			 0);
	ed_topic_unref(t);
	ed_batch_builder_fini(&bb);
}

static void test_fetch_wait(void **state)
{
	(void)state;
	struct broker b;
	char err[128];
	uint8_t resp[4096];
	broker_start(&b);
	assert_int_equal(ed_log_topic_create(b.log, "a", NULL, err, sizeof err), 0);
	assert_int_equal(ed_log_topic_create(b.log, "b", NULL, err, sizeof err), 0);
	int fd = client_connect(b.port);

	/* No data: answered at the deadline, empty. */
	int64_t t0 = ed_mono_ms();
	send_fetch(fd, "a", 0, 200, 1);
	int empty = read_response(fd, 5000, resp, sizeof resp);
	int64_t waited = ed_mono_ms() - t0;
	assert_true(empty > 0);
	assert_true(waited >= 190 && waited < 2000);

	/* Appends to b do not answer a fetch of a; an append to a does, fast.
	 * The append to a comes at a different moment in each round, so a
	 * periodic recheck (the 100 ms one this replaces) would show as a
	 * spread of latencies up to its period. */
	int64_t next = 0, lats[5];
	for (int i = 0; i < 5; i++) {
		send_fetch(fd, "a", next, 10000, 2 + i);
		usleep(20000); /* let it park */
		append_one(b.log, "b");
		assert_int_equal(read_response(fd, 150, resp, sizeof resp), -1);
		usleep((useconds_t)(i * 23000));
		t0 = ed_mono_ms();
		append_one(b.log, "a");
		int size = read_response(fd, 5000, resp, sizeof resp);
		lats[i] = ed_mono_ms() - t0;
		assert_true(size > empty); /* the record came back */
		assert_int_equal((int32_t)rd32(resp + 4), 2 + i);
		next++;
	}
	for (int i = 0; i < 5; i++) /* sort */
		for (int j = i + 1; j < 5; j++)
			if (lats[j] < lats[i]) {
				int64_t x = lats[i];
				lats[i] = lats[j];
				lats[j] = x;
			}
	print_message("wake-up latencies (ms): %lld %lld %lld %lld %lld\n", (long long)lats[0],
		      (long long)lats[1], (long long)lats[2], (long long)lats[3], (long long)lats[4]);
	assert_true(lats[2] < 15); /* median */
	close(fd);
	broker_stop(&b);
}

/* One Produce carrying many batches for one partition (more than the
 * handler keeps on its stack before it uses the request's arena): every
 * batch validated once, then appended in order. */
static void test_produce_many_batches(void **state)
{
	(void)state;
	struct broker b;
	char err[128];
	uint8_t resp[512];
	broker_start(&b);
	assert_int_equal(ed_log_topic_create(b.log, "m", NULL, err, sizeof err), 0);
	int fd = client_connect(b.port);
	struct ed_buf recs, req;
	ed_buf_init(&recs);
	for (int i = 0; i < 9; i++) {
		struct ed_batch_builder bb;
		uint8_t *batch;
		size_t len;
		ed_batch_builder_init(&bb, ED_CODEC_NONE);
		for (int r = 0; r <= i; r++)
			assert_int_equal(ed_batch_builder_add(&bb, 1000, NULL, -1, "v", 1, NULL, 0),
					 0);
		assert_int_equal(ed_batch_builder_finish(&bb, &batch, &len), 0);
		ed_buf_append(&recs, batch, len);
		ed_batch_builder_fini(&bb);
	}
	ed_buf_init(&req);
	ed_kput_i32(&req, 0);
	ed_kput_i16(&req, ED_KAPI_PRODUCE);
	ed_kput_i16(&req, 3);
	ed_kput_i32(&req, 7);
	ed_kput_str(&req, "test");
	ed_kput_str(&req, NULL); /* transactional id */
	ed_kput_i16(&req, 1);    /* acks=1 */
	ed_kput_i32(&req, 10000);
	ed_kput_i32(&req, 1);
	ed_kput_str(&req, "m");
	ed_kput_i32(&req, 1);
	ed_kput_i32(&req, 0);
	ed_kput_bytes(&req, recs.data, (int32_t)recs.len);
	assert_true(roundtrip(fd, &req, resp, sizeof resp) > 0);
	/* corr, ntopics, name "m", nparts, partition, error i16, base offset i64 */
	const uint8_t *p = resp + 4 + 4 + 4 + 2 + 1 + 4 + 4;
	assert_int_equal((int16_t)rd16(p), 0);
	assert_int_equal((int64_t)((uint64_t)rd32(p + 2) << 32 | rd32(p + 6)), 0);
	struct ed_topic *t = ed_log_topic_get(b.log, "m");
	assert_int_equal(ed_partition_hwm(ed_topic_partition(t, 0)), 45); /* 1 + 2 + ... + 9 */
	ed_topic_unref(t);
	ed_buf_fini(&req);
	ed_buf_fini(&recs);
	close(fd);
	broker_stop(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_wait),
		cmocka_unit_test(test_produce_many_batches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
