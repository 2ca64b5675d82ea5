/* Committed offsets after a failed fdatasync (src/kafka/offsets.c): the
 * failed OffsetCommit is answered with an error, and it must not come back
 * after a restart just because its bytes stayed in the file that later
 * (successful) commits were appended to. The broker rewrites the file from
 * the commits it applied before it appends again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/io.h"
#include "kafka_test_util.h"

/* OffsetCommit v2 of one offset for group g, topic t. Returns the
 * partition's error code, or -1 if the connection closed. */
static int commit(int fd, int32_t partition, int64_t offset, int32_t corr)
{
	struct ed_buf req;
	uint8_t resp[256];
	ed_buf_init(&req);
	ed_kput_i32(&req, 0);
	ed_kput_i16(&req, ED_KAPI_OFFSET_COMMIT);
	ed_kput_i16(&req, 2);
	ed_kput_i32(&req, corr);
	ed_kput_str(&req, "test");
	ed_kput_str(&req, "g");
	ed_kput_i32(&req, -1); /* generation: a simple (groupless) commit */
	ed_kput_str(&req, "");
	ed_kput_i64(&req, -1); /* retention */
	ed_kput_i32(&req, 1);
	ed_kput_str(&req, "t");
	ed_kput_i32(&req, 1);
	ed_kput_i32(&req, partition);
	ed_kput_i64(&req, offset);
	ed_kput_str(&req, NULL);
	int size = roundtrip(fd, &req, resp, sizeof resp);
	ed_buf_fini(&req);
	if (size < 0)
		return -1;
	/* corr, [topics: name, [partitions: index i32, error i16]] */
	const uint8_t *p = resp + 4;
	assert_int_equal((int32_t)rd32(p), corr);
	p += 4 + 4;
	p += 2 + rd16(p);
	p += 4 + 4;
	return (int16_t)rd16(p);
}

/* OffsetFetch v1 of group g, topic t, one partition: the committed offset. */
static int64_t fetch(int fd, int32_t partition, int32_t corr)
{
	struct ed_buf req;
	uint8_t resp[256];
	ed_buf_init(&req);
	ed_kput_i32(&req, 0);
	ed_kput_i16(&req, ED_KAPI_OFFSET_FETCH);
	ed_kput_i16(&req, 1);
	ed_kput_i32(&req, corr);
	ed_kput_str(&req, "test");
	ed_kput_str(&req, "g");
	ed_kput_i32(&req, 1);
	ed_kput_str(&req, "t");
	ed_kput_i32(&req, 1);
	ed_kput_i32(&req, partition);
	int size = roundtrip(fd, &req, resp, sizeof resp);
	ed_buf_fini(&req);
	assert_true(size > 0);
	/* corr, [topics: name, [partitions: index, offset i64, metadata, error]] */
	const uint8_t *p = resp + 4 + 4 + 4;
	p += 2 + rd16(p);
	p += 4 + 4;
	return (int64_t)((uint64_t)rd32(p) << 32 | rd32(p + 4));
}

static void test_failed_commit_stays_failed(void **state)
{
	(void)state;
	struct broker b;
	broker_start(&b);
	int fd = client_connect(b.port);
	assert_int_equal(commit(fd, 0, 5, 1), 0);
	/* The next fdatasync (this commit's) fails: the client hears so. */
	ed_io_fail_at(ED_IO_FSYNC, 1, EIO);
	assert_int_not_equal(commit(fd, 0, 10, 2), 0);
	ed_io_fail_reset();
	assert_int_equal(fetch(fd, 0, 3), 5);
	/* A later commit of another partition succeeds... */
	assert_int_equal(commit(fd, 1, 20, 4), 0);
	close(fd);
	/* ...and after a restart the failed commit has not come back. */
	broker_stop_keep(&b, true);
	broker_start_in(&b, true);
	fd = client_connect(b.port);
	assert_int_equal(fetch(fd, 0, 5), 5);
	assert_int_equal(fetch(fd, 1, 6), 20);
	close(fd);
	broker_stop(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_commit_stays_failed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
