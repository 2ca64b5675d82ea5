/* Unit test of Produce acks=all durability (src/kafka/handle_data.c) against a
 * real broker on a libuv loop in a thread, spoken to over a plain socket: once
 * the fdatasync behind an idempotent batch has failed, the producer's retry of
 * that same batch (answered from the idempotence cache) must not be
 * acknowledged with error code 0, and neither must any later batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/io.h"
#include "kafka_test_util.h"
#include "log/batch.h"

/* Send a Produce v3 (acks=all) of one idempotent batch of producer 1000
 * with base sequence seq. Returns the partition's error code, or -1 when
 * the broker closed the connection without answering. */
static int produce(int fd, int32_t seq, int32_t corr)
{
	struct ed_batch_builder bb;
	struct ed_buf req;
	uint8_t *batch;
	size_t blen;
	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	assert_int_equal(ed_batch_builder_add(&bb, 1000, NULL, -1, "v", 1, NULL, 0), 0);
	bb.producer_id = 1000;
	bb.producer_epoch = 0;
	bb.base_sequence = seq;
	assert_int_equal(ed_batch_builder_finish(&bb, &batch, &blen), 0);
	ed_buf_init(&req);
	ed_kput_i32(&req, 0); /* size, patched below */
	ed_kput_i16(&req, ED_KAPI_PRODUCE);
	ed_kput_i16(&req, 3);
	ed_kput_i32(&req, corr);
	ed_kput_str(&req, "test");
	ed_kput_str(&req, NULL); /* transactional id */
	ed_kput_i16(&req, -1);   /* acks=all */
	ed_kput_i32(&req, 10000);
	ed_kput_i32(&req, 1);
	ed_kput_str(&req, "t");
	ed_kput_i32(&req, 1);
	ed_kput_i32(&req, 0);
	ed_kput_bytes(&req, batch, (int32_t)blen);
	uint8_t resp[512];
	int size = roundtrip(fd, &req, resp, sizeof resp);
	ed_buf_fini(&req);
	ed_batch_builder_fini(&bb);
	if (size < 0)
		return -1;
	/* corr i32, ntopics i32, name (i16 "t"), nparts i32, partition i32, error i16 */
	const uint8_t *p = resp + 4;
	assert_int_equal((int32_t)rd32(p), corr);
	p += 8;
	p += 2 + rd16(p);
	p += 8;
	return (int16_t)rd16(p);
}

static void test_retry_after_failed_fsync(void **state)
{
	(void)state;
	struct broker b;
	broker_start(&b);
	int fd = client_connect(b.port);
	assert_int_equal(produce(fd, 0, 1), 0);
	/* The next fdatasync (the flusher's, for seq 1) fails: no success. */
	ed_io_fail_at(ED_IO_FSYNC, 1, EIO);
	assert_int_equal(produce(fd, 1, 2), -1);
	close(fd);
	ed_io_fail_reset();
	/* The client retries the same batch: it is a duplicate of a batch that
	 * never became durable, so it must not be acknowledged. */
	fd = client_connect(b.port);
	assert_int_not_equal(produce(fd, 1, 3), 0);
	close(fd);
	/* Nor is any later batch: the failure is final. */
	fd = client_connect(b.port);
	assert_int_not_equal(produce(fd, 2, 4), 0);
	close(fd);
	broker_stop(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after_failed_fsync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
