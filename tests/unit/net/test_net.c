/* Unit tests for src/net: the run-on-the-loop queue (order, coalescing,
 * cancel, holds), the bounded write queue against a client that sends
 * without reading (reading stops, then resumes once the client reads), the
 * startup timeout, and close-once with a reference held by work in flight. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "net/net.h"

/* ---- the loop queue ---- */

struct rec_task {
	struct ed_net_task task;
	int id;
	int *log;
	int *nlog;
};

static void rec_run(struct ed_net_task *t)
{
	struct rec_task *r = ed_net_container(t, struct rec_task, task);
	r->log[(*r->nlog)++] = r->id;
}

struct poster {
	struct ed_net_loopq *q;
	struct rec_task *tasks;
	int n;
};

static void *post_all(void *arg)
{
	struct poster *p = arg;
	for (int i = 0; i < p->n; i++) {
		ed_net_loopq_post(p->q, &p->tasks[i].task);
		ed_net_loopq_post(p->q, &p->tasks[i].task); /* queued: no second run */
	}
	return NULL;
}

static void test_loopq(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct ed_net_loopq q;
	assert_int_equal(ed_net_loopq_init(&q, &loop), 0);
	int log[64], nlog = 0;
	struct rec_task tasks[10];
	for (int i = 0; i < 10; i++)
		tasks[i] = (struct rec_task){.task = {.fn = rec_run},
					     .id = i,
					     .log = log,
					     .nlog = &nlog};
	/* Task 3 is cancelled before the loop runs: it must not run. */
	struct poster p = {&q, tasks, 10};
	pthread_t th;
	pthread_create(&th, NULL, post_all, &p);
	pthread_join(th, NULL);
	ed_net_loopq_cancel(&q, &tasks[3].task);
	ed_net_loopq_hold(&q);
	ed_net_loopq_stop(&q); /* a hold is outstanding: stays open */
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_false(q.closed);
	assert_int_equal(nlog, 9);
	for (int i = 0, want = 0; i < nlog; i++, want++) {
		if (want == 3)
			want++;
		assert_int_equal(log[i], want); /* posted order, each once */
	}
	/* The held work posts its completion, then releases: the queue closes
	 * after running it. */
	ed_net_loopq_post(&q, &tasks[3].task);
	ed_net_loopq_release(&q);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(q.closed);
	assert_int_equal(nlog, 10);
	assert_int_equal(log[9], 3);
	ed_net_loopq_fini(&q);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- a test protocol: writes BIG bytes for every input byte ---- */

#define BIG (256 * 1024)

struct tconn {
	struct ed_net_conn net;
	size_t consumed;
};

struct tproto {
	struct tconn *last;
	int frees;
	int timeouts;
	size_t max_unwritten;
	char big[BIG];
};

static int t_accept(struct ed_net_conn *nc)
{
	struct tproto *tp = ed_net_data(nc);
	tp->last = (struct tconn *)nc;
	return 0;
}

static void t_data(struct ed_net_conn *nc)
{
	struct tconn *c = (struct tconn *)nc;
	struct tproto *tp = ed_net_data(nc);
	size_t avail;
	ed_net_input(nc, &avail);
	while (avail && !ed_net_backlogged(nc) && !ed_net_closing(nc)) {
		ed_net_consume(nc, 1);
		c->consumed++;
		ed_net_write(nc, tp->big, BIG);
		if (ed_net_unwritten(nc) > tp->max_unwritten)
			tp->max_unwritten = ed_net_unwritten(nc);
		ed_net_input(nc, &avail);
	}
}

static void t_free(struct ed_net_conn *nc)
{
	struct tproto *tp = ed_net_data(nc);
	tp->frees++;
	if (tp->last == (struct tconn *)nc)
		tp->last = NULL;
}

static void t_timeout(struct ed_net_conn *nc, enum ed_net_timeout kind)
{
	struct tproto *tp = ed_net_data(nc);
	if (kind == ED_NET_TIMEOUT_STARTUP)
		tp->timeouts++;
	ed_net_close(nc, "test timeout");
}

static const struct ed_net_ops t_ops = {t_accept, t_data, NULL, t_free, t_timeout};

static int client_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int rcv = 64 * 1024;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static struct ed_net_server *t_server(uv_loop_t *loop, struct tproto *tp, int64_t startup_ms)
{
	struct ed_net_config cfg;
	ed_net_config_init(&cfg, "test", "127.0.0.1", 0, sizeof(struct tconn), tp);
	cfg.startup_timeout_ms = startup_ms;
	struct ed_net_server *srv = NULL;
	char err[128];
	assert_int_equal(ed_net_server_new(loop, &cfg, &t_ops, &srv, err, sizeof(err)), 0);
	return srv;
}

static void t_server_done(uv_loop_t *loop, struct ed_net_server *srv)
{
	ed_net_server_stop(srv);
	uv_run(loop, UV_RUN_DEFAULT);
	ed_net_server_free(srv);
	assert_int_equal(uv_loop_close(loop), 0);
}

static void test_write_backpressure(void **state)
{
	(void)state;
	static struct tproto tp;
	memset(&tp, 0, sizeof(tp));
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct ed_net_server *srv = t_server(&loop, &tp, 0);
	int fd = client_connect(ed_net_server_port(srv));
	/* The client sends 300 bytes (each asks for 256 KiB) and reads nothing. */
	char bytes[300];
	memset(bytes, 'x', sizeof(bytes));
	assert_int_equal(write(fd, bytes, sizeof(bytes)), (ssize_t)sizeof(bytes));
	for (int i = 0; i < 200; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_non_null(tp.last);
	size_t stalled = tp.last->consumed;
	assert_true(stalled > 0);
	assert_true(stalled < sizeof(bytes)); /* it stopped taking input */
	assert_true(ed_net_backlogged(&tp.last->net));
	assert_true(tp.max_unwritten <= ED_NET_WRITE_HIGH + BIG);
	/* The client reads: the server goes on until every byte is answered. */
	static char sink[1 << 16];
	int64_t deadline = ed_mono_ms() + 20000;
	size_t got = 0, want = sizeof(bytes) * (size_t)BIG;
	while (got < want && ed_mono_ms() < deadline) {
		ssize_t n = read(fd, sink, sizeof(sink));
		if (n > 0)
			got += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			break;
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(got, want);
	assert_int_equal(tp.last->consumed, sizeof(bytes));
	assert_true(tp.max_unwritten <= ED_NET_WRITE_HIGH + BIG);
	close(fd);
	t_server_done(&loop, srv);
	assert_int_equal(tp.frees, 1);
}

static void test_startup_timeout_and_ref(void **state)
{
	(void)state;
	static struct tproto tp;
	memset(&tp, 0, sizeof(tp));
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct ed_net_server *srv = t_server(&loop, &tp, 150);
	/* A connection that sends nothing is closed after the startup timeout. */
	int fd = client_connect(ed_net_server_port(srv));
	int64_t t0 = ed_mono_ms();
	while (tp.frees == 0 && ed_mono_ms() - t0 < 5000)
		uv_run(&loop, UV_RUN_ONCE);
	int64_t dt = ed_mono_ms() - t0;
	assert_int_equal(tp.timeouts, 1);
	assert_int_equal(tp.frees, 1);
	assert_true(dt >= 100 && dt < 2000);
	char b;
	for (int i = 0; i < 100 && read(fd, &b, 1) < 0 && errno == EAGAIN; i++)
		usleep(10000);
	assert_int_equal(read(fd, &b, 1), 0); /* closed */
	close(fd);
	/* Close with a reference held (work in flight): closed once, freed
	 * only when the reference is dropped. */
	fd = client_connect(ed_net_server_port(srv));
	while (!tp.last)
		uv_run(&loop, UV_RUN_ONCE);
	struct ed_net_conn *nc = &tp.last->net;
	ed_net_ref(nc);
	ed_net_close(nc, "test");
	ed_net_close(nc, "again"); /* once */
	for (int i = 0; i < 20; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(tp.frees, 1);
	assert_true(ed_net_closing(nc));
	ed_net_unref(nc);
	assert_int_equal(tp.frees, 2);
	close(fd);
	t_server_done(&loop, srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopq),
		cmocka_unit_test(test_write_backpressure),
		cmocka_unit_test(test_startup_timeout_and_ref),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
