/* Unit test of Produce acks=all durability (src/kafka/handle_data.c) against a
 * real broker on a libuv loop in a thread, spoken to over a plain socket: once
 * the fdatasync behind an idempotent batch has failed, the producer's retry of
 * that same batch (answered from the idempotence cache) must not be
 * acknowledged with error code 0, and neither must any later batch. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/io.h"
#include "kafka/kafka.h"
#include "kafka/proto.h"
#include "log/batch.h"
#include "log/log.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

struct broker {
	char dir[256], logdir[300], state[300];
	uv_loop_t loop;
	uv_async_t stop;
	struct ed_log *log;
	struct ed_kafka *k;
	pthread_t thread;
	int port;
};

static void on_stop(uv_async_t *a)
{
	struct broker *b = a->data;
	ed_kafka_stop(b->k);
	uv_close((uv_handle_t *)a, NULL);
}

static void *loop_main(void *arg)
{
	struct broker *b = arg;
	uv_run(&b->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void broker_start(struct broker *b)
{
	char err[256], cmd[400];
	snprintf(b->dir, sizeof b->dir, "/tmp/eddy-kdur-XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	snprintf(b->logdir, sizeof b->logdir, "%s/log", b->dir);
	snprintf(b->state, sizeof b->state, "%s/state", b->dir);
	snprintf(cmd, sizeof cmd, "mkdir -p %s", b->state);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ed_log_open(b->logdir, NULL, &b->log, err, sizeof err), 0);
	assert_int_equal(uv_loop_init(&b->loop), 0);
	struct ed_kafka_config cfg;
	ed_kafka_config_defaults(&cfg);
	cfg.port = 0;
	cfg.state_dir = b->state;
	assert_int_equal(ed_kafka_new(&b->loop, b->log, &cfg, &b->k, err, sizeof err), 0);
	b->port = ed_kafka_port(b->k);
	assert_int_equal(uv_async_init(&b->loop, &b->stop, on_stop), 0);
	b->stop.data = b;
	assert_int_equal(pthread_create(&b->thread, NULL, loop_main, b), 0);
}

static void broker_stop(struct broker *b)
{
	char cmd[400];
	uv_async_send(&b->stop);
	pthread_join(b->thread, NULL);
	ed_kafka_free(b->k);
	uv_loop_close(&b->loop);
	ed_log_close(b->log);
	snprintf(cmd, sizeof cmd, "rm -rf %s", b->dir);
	assert_int_equal(system(cmd), 0);
}

static int client_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

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
	assert_int_equal(req.err, 0);
	ed_buf_patch_be32(&req, 0, (uint32_t)(req.len - 4));
	assert_int_equal(write(fd, req.data, req.len), (ssize_t)req.len);
	ed_buf_fini(&req);
	ed_batch_builder_fini(&bb);

	uint8_t resp[512];
	size_t got = 0;
	while (got < 4) {
		ssize_t r = read(fd, resp + got, sizeof resp - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	uint32_t size = rd32(resp);
	assert_true(size + 4 <= sizeof resp);
	while (got < size + 4) {
		ssize_t r = read(fd, resp + got, sizeof resp - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
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
