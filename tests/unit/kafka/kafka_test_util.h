/* Shared by the Kafka unit tests that talk to a real broker: the broker runs
 * on a libuv loop in a thread over a temp directory, the test speaks the wire
 * protocol over a plain loopback socket. */
#ifndef KAFKA_TEST_UTIL_H
#define KAFKA_TEST_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/buf.h"
#include "kafka/kafka.h"
#include "kafka/proto.h"
#include "log/log.h"

#define T_UNUSED __attribute__((unused))

static T_UNUSED uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static T_UNUSED uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

struct broker {
	char dir[256], logdir[300], state[300];
	uv_loop_t loop;
	uv_async_t stop;
	struct ed_log *log;
	struct ed_kafka *k;
	pthread_t thread;
	int port;
};

static T_UNUSED void on_stop(uv_async_t *a)
{
	struct broker *b = a->data;
	ed_kafka_stop(b->k);
	uv_close((uv_handle_t *)a, NULL);
}

static T_UNUSED void *loop_main(void *arg)
{
	struct broker *b = arg;
	uv_run(&b->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* Start a broker on a fresh temp directory, or on b->dir when reuse is set
 * (a restart over the same state). */
static T_UNUSED void broker_start_in(struct broker *b, bool reuse)
{
	char err[256], cmd[400];
	if (!reuse) {
		snprintf(b->dir, sizeof b->dir, "/tmp/eddy-kdur-XXXXXX");
		assert_non_null(mkdtemp(b->dir));
	}
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

static T_UNUSED void broker_start(struct broker *b)
{
	broker_start_in(b, false);
}

/* Stop the loop thread and free the broker; keep leaves the directory. */
static T_UNUSED void broker_stop_keep(struct broker *b, bool keep)
{
	char cmd[400];
	uv_async_send(&b->stop);
	pthread_join(b->thread, NULL);
	ed_kafka_free(b->k);
	uv_loop_close(&b->loop);
	ed_log_close(b->log);
	if (keep)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf %s", b->dir);
	assert_int_equal(system(cmd), 0);
}

static T_UNUSED void broker_stop(struct broker *b)
{
	broker_stop_keep(b, false);
}

static T_UNUSED int client_connect(int port)
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

/* Send req (a whole frame, size patched here) and read one response into
 * resp. Returns the response size after the length field, or -1 when the
 * broker closed the connection. */
static T_UNUSED int roundtrip(int fd, struct ed_buf *req, uint8_t *resp, size_t cap)
{
	assert_int_equal(req->err, 0);
	ed_buf_patch_be32(req, 0, (uint32_t)(req->len - 4));
	assert_int_equal(write(fd, req->data, req->len), (ssize_t)req->len);
	size_t got = 0;
	while (got < 4 || got < rd32(resp) + 4) {
		ssize_t r = read(fd, resp + got, cap - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
		if (got >= 4)
			assert_true(rd32(resp) + 4 <= cap);
	}
	return (int)rd32(resp);
}

#endif
