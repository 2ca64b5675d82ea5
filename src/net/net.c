/* The transport under the Kafka, PostgreSQL and HTTP front ends (net.h):
 * listener, connections (read buffer, bounded write queue, pause/resume,
 * timeouts, close once with references for work in flight) and the
 * run-on-the-loop queue that every other thread uses to hand work back. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "net/net.h"

#define READ_CHUNK (64 * 1024)

struct ed_net_server {
	uv_loop_t *loop;
	struct ed_net_config cfg;
	struct ed_net_ops ops;
	char *host;
	uv_tcp_t listener;
	bool listening;
	bool stopping;
	int port;
	struct ed_net_conn *conns;
	int nconns;
	uint64_t accepted;
	struct ed_net_loopq loopq;
	bool loopq_ready;
};

struct net_write {
	uv_write_t w;
	struct ed_buf buf;
};

static void update_reading(struct ed_net_conn *c);
static void arm_timer(struct ed_net_conn *c);

int ed_net_server_port(const struct ed_net_server *s)
{
	return s->port;
}
struct ed_net_loopq *ed_net_server_loopq(struct ed_net_server *s)
{
	return &s->loopq;
}
void *ed_net_server_data(const struct ed_net_server *s)
{
	return s->cfg.data;
}
uv_loop_t *ed_net_server_loop(const struct ed_net_server *s)
{
	return s->loop;
}
int ed_net_server_conns(const struct ed_net_server *s)
{
	return s->nconns;
}
uint64_t ed_net_server_accepted(const struct ed_net_server *s)
{
	return s->accepted;
}

/* ---- lifetime ---- */

static void conn_free(struct ed_net_conn *c)
{
	if (c->srv->ops.on_free)
		c->srv->ops.on_free(c);
	ed_free(c->rbuf);
	ed_free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct ed_net_conn *c = h->data;
	if (--c->handles_open == 0 && c->refs == 0)
		conn_free(c);
}

void ed_net_unref(struct ed_net_conn *c)
{
	if (--c->refs == 0 && c->closing && c->handles_open == 0)
		conn_free(c);
}

void ed_net_close(struct ed_net_conn *c, const char *why)
{
	if (c->closing)
		return;
	struct ed_net_server *s = c->srv;
	c->closing = true;
	if (why)
		ed_debug(s->cfg.module, "closing %s: %s", c->peer, why);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	s->nconns--;
	/* A reference across on_close, so it may drop its own references. */
	c->refs++;
	if (s->ops.on_close)
		s->ops.on_close(c);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
	ed_net_unref(c);
}

/* ---- timeouts ---- */

static void on_timer(uv_timer_t *t)
{
	struct ed_net_conn *c = t->data;
	struct ed_net_server *s = c->srv;
	if (c->closing)
		return;
	if (c->lingering) {
		ed_net_close(c, "linger over");
		return;
	}
	int64_t now = ed_mono_ms();
	enum ed_net_timeout kind;
	int64_t deadline;
	if (!c->started) {
		kind = ED_NET_TIMEOUT_STARTUP;
		deadline = c->startup_deadline_ms;
	} else if (c->busy == 0 && s->cfg.idle_timeout_ms > 0) {
		kind = ED_NET_TIMEOUT_IDLE;
		deadline = c->last_ms + s->cfg.idle_timeout_ms;
	} else {
		return;
	}
	if (now < deadline) {
		uv_timer_start(&c->timer, on_timer, (uint64_t)(deadline - now), 0);
		return;
	}
	if (s->ops.on_timeout) {
		s->ops.on_timeout(c, kind);
	} else {
		ed_info(s->cfg.module, "closing %s: %s", c->peer,
			kind == ED_NET_TIMEOUT_STARTUP ? "no startup within the startup timeout"
						       : "idle timeout");
		ed_net_close(c, NULL);
	}
}

/* Arm the timer for the current phase (the deadline is checked lazily when
 * it fires, so input and output only update last_ms). */
static void arm_timer(struct ed_net_conn *c)
{
	struct ed_net_server *s = c->srv;
	if (c->closing || c->lingering)
		return;
	int64_t now = ed_mono_ms();
	if (!c->started) {
		if (s->cfg.startup_timeout_ms > 0)
			uv_timer_start(&c->timer, on_timer,
				       (uint64_t)(c->startup_deadline_ms > now
							  ? c->startup_deadline_ms - now
							  : 0),
				       0);
		return;
	}
	if (s->cfg.idle_timeout_ms <= 0) {
		uv_timer_stop(&c->timer);
		return;
	}
	/* While busy, or while the timer is pending (it re-arms itself to the
	 * real deadline when it fires), nothing to do: no timer work per
	 * request on the hot path. */
	if (c->busy || uv_is_active((uv_handle_t *)&c->timer))
		return;
	int64_t left = c->last_ms + s->cfg.idle_timeout_ms - now;
	uv_timer_start(&c->timer, on_timer, (uint64_t)(left > 0 ? left : 0), 0);
}

void ed_net_started(struct ed_net_conn *c)
{
	if (c->started)
		return;
	c->started = true;
	c->last_ms = ed_mono_ms();
	arm_timer(c);
}

void ed_net_busy(struct ed_net_conn *c, bool busy)
{
	if (busy) {
		c->busy++;
		return;
	}
	if (c->busy > 0 && --c->busy == 0) {
		c->last_ms = ed_mono_ms();
		if (c->started)
			arm_timer(c);
	}
}

/* ---- reading ---- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ed_net_conn *c = h->data;
	size_t max = c->srv->cfg.max_read_bytes;
	(void)hint;
	if (c->roff) {
		memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
		c->rlen -= c->roff;
		c->roff = 0;
	}
	if (c->rcap > 4 * READ_CHUNK && c->rlen <= READ_CHUNK / 2) {
		/* a big frame is done: give its memory back */
		uint8_t *n = ed_realloc(c->rbuf, READ_CHUNK);
		if (n) {
			c->rbuf = n;
			c->rcap = READ_CHUNK;
		}
	}
	if (c->rcap - c->rlen < READ_CHUNK / 4 && c->rcap < max) {
		/* The buffer grows with the bytes that arrive, never up front to a
		 * size the peer declared. */
		size_t ncap = c->rcap ? c->rcap * 2 : READ_CHUNK;
		while (ncap - c->rlen < READ_CHUNK / 4)
			ncap *= 2;
		if (ncap > max)
			ncap = max;
		uint8_t *n = ed_realloc(c->rbuf, ncap);
		if (n) {
			c->rbuf = n;
			c->rcap = ncap;
		}
	}
	*buf = uv_buf_init((char *)c->rbuf + c->rlen, (unsigned)(c->rcap - c->rlen));
	if (c->rcap == c->rlen)
		*buf = uv_buf_init(NULL, 0); /* full: libuv reports UV_ENOBUFS */
}

static void run_data(struct ed_net_conn *c)
{
	if (c->in_data || c->closing || c->lingering || c->close_after)
		return;
	c->in_data = true;
	c->refs++; /* on_data may close c */
	c->srv->ops.on_data(c);
	c->in_data = false;
	ed_net_unref(c);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct ed_net_conn *c = st->data;
	(void)buf;
	if (n == UV_ENOBUFS) {
		ed_net_close(c, "input over the read buffer limit (or out of memory)");
		return;
	}
	if (n < 0) {
		ed_net_close(c, n == UV_EOF ? NULL : uv_strerror((int)n));
		return;
	}
	if (n == 0)
		return;
	c->last_ms = ed_mono_ms();
	if (c->lingering || c->close_after) {
		c->roff = c->rlen = 0; /* discarded */
		return;
	}
	c->rlen += (size_t)n;
	run_data(c);
}

static void update_reading(struct ed_net_conn *c)
{
	if (c->closing)
		return;
	bool want = c->lingering || c->close_after || (!c->paused && !c->backlogged);
	if (want && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
			c->reading = true;
		else
			ed_net_close(c, "cannot read");
	} else if (!want && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = false;
	}
}

void ed_net_consume(struct ed_net_conn *c, size_t n)
{
	c->roff += n;
	if (c->roff == c->rlen)
		c->roff = c->rlen = 0;
}

void ed_net_pause(struct ed_net_conn *c)
{
	c->paused = true;
	update_reading(c);
}

void ed_net_resume(struct ed_net_conn *c)
{
	if (!c->paused)
		return;
	c->paused = false;
	update_reading(c);
}

/* ---- writing ---- */

size_t ed_net_unwritten(const struct ed_net_conn *c)
{
	return uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp);
}

static void finish(struct ed_net_conn *c, int64_t linger_ms);

static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)status;
	ed_free(req);
}

static void finish(struct ed_net_conn *c, int64_t linger_ms)
{
	if (linger_ms <= 0) {
		ed_net_close(c, NULL);
		return;
	}
	uv_shutdown_t *sr = ed_malloc(sizeof(*sr));
	if (!sr || uv_shutdown(sr, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
		ed_free(sr);
		ed_net_close(c, NULL);
		return;
	}
	c->lingering = true;
	c->roff = c->rlen = 0;
	update_reading(c);
	uv_timer_start(&c->timer, on_timer, (uint64_t)linger_ms, 0);
}

static void on_write(uv_write_t *w, int status)
{
	struct net_write *nw = w->data;
	struct ed_net_conn *c = w->handle->data; /* still allocated: closing runs this first */
	ed_buf_fini(&nw->buf);
	ed_free(nw);
	c->writes--;
	if (c->closing)
		return;
	if (status < 0) {
		ed_net_close(c, uv_strerror(status));
		return;
	}
	c->last_ms = ed_mono_ms();
	if (c->close_after) {
		if (c->writes == 0) {
			c->close_after = false;
			finish(c, c->linger_ms);
		}
		return;
	}
	if (c->backlogged && c->writes <= ED_NET_MAX_WRITES / 2 &&
	    ed_net_unwritten(c) <= ED_NET_WRITE_HIGH / 2) {
		/* The client read its answers: take input again. */
		c->backlogged = false;
		update_reading(c);
		run_data(c);
	}
}

int ed_net_write_buf(struct ed_net_conn *c, struct ed_buf *b)
{
	if (c->closing || c->lingering) {
		ed_buf_reset(b);
		return ED_ECLOSED;
	}
	if (b->err) {
		ed_buf_fini(b);
		ed_buf_init(b);
		ed_net_close(c, "out of memory building output");
		return ED_ENOMEM;
	}
	if (b->len == 0)
		return 0;
	struct net_write *nw = ed_malloc(sizeof(*nw));
	if (!nw) {
		ed_net_close(c, "out of memory writing");
		return ED_ENOMEM;
	}
	nw->buf = *b;
	ed_buf_init(b);
	nw->w.data = nw;
	uv_buf_t ub = uv_buf_init((char *)nw->buf.data, (unsigned)nw->buf.len);
	int rc = uv_write(&nw->w, (uv_stream_t *)&c->tcp, &ub, 1, on_write);
	if (rc < 0) {
		ed_buf_fini(&nw->buf);
		ed_free(nw);
		ed_net_close(c, uv_strerror(rc));
		return ED_EIO;
	}
	c->writes++;
	if (!c->backlogged &&
	    (c->writes >= ED_NET_MAX_WRITES || ed_net_unwritten(c) > ED_NET_WRITE_HIGH)) {
		/* A client that sends without reading must not make us queue
		 * answers without bound: stop reading until it drains. */
		c->backlogged = true;
		update_reading(c);
	}
	return 0;
}

int ed_net_write(struct ed_net_conn *c, const void *p, size_t n)
{
	struct ed_buf b;
	ed_buf_init(&b);
	ed_buf_append(&b, p, n);
	int rc = ed_net_write_buf(c, &b);
	ed_buf_fini(&b);
	return rc;
}

void ed_net_close_after_write(struct ed_net_conn *c, int64_t linger_ms)
{
	if (c->closing || c->lingering || c->close_after)
		return;
	if (c->writes == 0) {
		finish(c, linger_ms);
		return;
	}
	c->close_after = true; /* input is read and discarded from now on */
	c->roff = c->rlen = 0;
	c->linger_ms = linger_ms;
	update_reading(c);
}

/* ---- accepting ---- */

static void peer_name(struct ed_net_conn *c)
{
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	snprintf(c->peer, sizeof(c->peer), "?");
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) != 0)
		return;
	char host[48] = "";
	int port = 0;
	if (ss.ss_family == AF_INET) {
		uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof(host));
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
}

static void on_refused_closed(uv_handle_t *h)
{
	struct ed_net_conn *c = h->data;
	if (--c->handles_open == 0) {
		ed_free(c->rbuf);
		ed_free(c);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ed_net_server *s = server->data;
	if (status < 0 || s->stopping)
		return;
	struct ed_net_conn *c = ed_calloc(1, s->cfg.conn_size);
	if (!c)
		return;
	c->srv = s;
	uv_tcp_init(s->loop, &c->tcp);
	uv_timer_init(s->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->handles_open = 2;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		uv_close((uv_handle_t *)&c->timer, on_refused_closed);
		uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	peer_name(c);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->accepted++;
	c->last_ms = ed_mono_ms();
	c->startup_deadline_ms = c->last_ms + s->cfg.startup_timeout_ms;
	if (s->ops.on_accept && s->ops.on_accept(c) < 0) {
		ed_net_close(c, "refused");
		return;
	}
	if (c->closing)
		return;
	ed_debug(s->cfg.module, "connection from %s", c->peer);
	arm_timer(c);
	update_reading(c);
}

void ed_net_server_each(struct ed_net_server *s, void (*fn)(struct ed_net_conn *c, void *arg),
			void *arg)
{
	struct ed_net_conn *c = s->conns;
	while (c) {
		struct ed_net_conn *next = c->next;
		fn(c, arg);
		c = next;
	}
}

void ed_net_config_init(struct ed_net_config *cfg, const char *module, const char *host, int port,
			size_t conn_size, void *data)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->module = module;
	cfg->host = host;
	cfg->port = port;
	cfg->conn_size = conn_size;
	cfg->data = data;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct ed_net_server *s = h->data;
	s->listening = false;
}

int ed_net_server_new(uv_loop_t *loop, const struct ed_net_config *cfg, const struct ed_net_ops *ops,
		      struct ed_net_server **out, char *err, size_t errlen)
{
	int rc;
	*out = NULL;
	struct ed_net_server *s = ed_calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return ED_ENOMEM;
	}
	s->loop = loop;
	s->cfg = *cfg;
	s->ops = *ops;
	s->host = ed_strdup(cfg->host ? cfg->host : "127.0.0.1");
	if (!s->host) {
		snprintf(err, errlen, "out of memory");
		rc = ED_ENOMEM;
		goto fail;
	}
	s->cfg.host = s->host;
	if (!s->cfg.module)
		s->cfg.module = "net";
	if (s->cfg.conn_size < sizeof(struct ed_net_conn))
		s->cfg.conn_size = sizeof(struct ed_net_conn);
	if (s->cfg.max_read_bytes < READ_CHUNK)
		s->cfg.max_read_bytes = READ_CHUNK;
	struct sockaddr_storage addr;
	if (uv_ip4_addr(s->host, cfg->port, (struct sockaddr_in *)&addr) != 0 &&
	    uv_ip6_addr(s->host, cfg->port, (struct sockaddr_in6 *)&addr) != 0) {
		snprintf(err, errlen, "bad bind address '%s'", s->host);
		rc = ED_EINVAL;
		goto fail;
	}
	uv_tcp_init(loop, &s->listener);
	s->listener.data = s;
	s->listening = true;
	int urc = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0);
	if (urc == 0)
		urc = uv_listen((uv_stream_t *)&s->listener, cfg->backlog > 0 ? cfg->backlog : 511,
				on_connection);
	if (urc < 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", s->host, cfg->port,
			 uv_strerror(urc));
		uv_close((uv_handle_t *)&s->listener, on_listener_closed);
		while (s->listening) /* the handle must close before s is freed */
			uv_run(loop, UV_RUN_ONCE);
		rc = ED_EIO;
		goto fail;
	}
	struct sockaddr_storage bound;
	int bl = sizeof(bound);
	uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &bl);
	s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						    : ((struct sockaddr_in *)&bound)->sin_port);
	if ((rc = ed_net_loopq_init(&s->loopq, loop)) < 0) {
		snprintf(err, errlen, "cannot create the loop queue");
		uv_close((uv_handle_t *)&s->listener, on_listener_closed);
		while (s->listening)
			uv_run(loop, UV_RUN_ONCE);
		goto fail;
	}
	s->loopq_ready = true;
	*out = s;
	return 0;
fail:
	ed_free(s->host);
	ed_free(s);
	return rc;
}

void ed_net_server_stop(struct ed_net_server *s)
{
	if (!s || s->stopping)
		return;
	s->stopping = true;
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
	while (s->conns)
		ed_net_close(s->conns, "shutdown");
	ed_net_loopq_stop(&s->loopq);
}

void ed_net_server_free(struct ed_net_server *s)
{
	if (!s)
		return;
	if (s->loopq_ready)
		ed_net_loopq_fini(&s->loopq);
	ed_free(s->host);
	ed_free(s);
}

/* ---- run on the loop ---- */

static void on_loopq(uv_async_t *a)
{
	struct ed_net_loopq *q = a->data;
	/* One task at a time, so a task that cancels another (freeing it)
	 * before it ran is safe; only tasks queued at the start run now (later
	 * posts signalled the handle again). */
	uv_mutex_lock(&q->mu);
	size_t n = 0;
	for (struct ed_net_task *t = q->head; t; t = t->next)
		n++;
	uv_mutex_unlock(&q->mu);
	while (n--) {
		uv_mutex_lock(&q->mu);
		struct ed_net_task *t = q->head;
		if (t) {
			q->head = t->next;
			if (!q->head)
				q->tail = NULL;
			t->next = NULL;
			t->queued = false;
		}
		uv_mutex_unlock(&q->mu);
		if (!t)
			break;
		t->fn(t);
	}
}

int ed_net_loopq_init(struct ed_net_loopq *q, uv_loop_t *loop)
{
	memset(q, 0, sizeof(*q));
	if (uv_mutex_init(&q->mu) < 0)
		return ED_ENOMEM;
	if (uv_async_init(loop, &q->async, on_loopq) < 0) {
		uv_mutex_destroy(&q->mu);
		return ED_EIO;
	}
	q->async.data = q;
	return 0;
}

void ed_net_loopq_post(struct ed_net_loopq *q, struct ed_net_task *t)
{
	uv_mutex_lock(&q->mu);
	bool fresh = !t->queued;
	if (fresh) {
		t->queued = true;
		t->next = NULL;
		if (q->tail)
			q->tail->next = t;
		else
			q->head = t;
		q->tail = t;
	}
	uv_mutex_unlock(&q->mu);
	if (fresh)
		uv_async_send(&q->async);
}

void ed_net_loopq_cancel(struct ed_net_loopq *q, struct ed_net_task *t)
{
	uv_mutex_lock(&q->mu);
	if (t->queued) {
		struct ed_net_task *prev = NULL;
		for (struct ed_net_task *x = q->head; x; prev = x, x = x->next) {
			if (x != t)
				continue;
			if (prev)
				prev->next = t->next;
			else
				q->head = t->next;
			if (q->tail == t)
				q->tail = prev;
			break;
		}
		t->queued = false;
		t->next = NULL;
	}
	uv_mutex_unlock(&q->mu);
}

static void on_loopq_closed(uv_handle_t *h)
{
	struct ed_net_loopq *q = h->data;
	q->closed = true;
}

static void loopq_maybe_close(struct ed_net_loopq *q)
{
	if (q->stopping && q->holds == 0 && !uv_is_closing((uv_handle_t *)&q->async)) {
		on_loopq(&q->async); /* run what is queued */
		uv_close((uv_handle_t *)&q->async, on_loopq_closed);
	}
}

void ed_net_loopq_hold(struct ed_net_loopq *q)
{
	q->holds++;
}

void ed_net_loopq_release(struct ed_net_loopq *q)
{
	q->holds--;
	loopq_maybe_close(q);
}

void ed_net_loopq_stop(struct ed_net_loopq *q)
{
	q->stopping = true;
	loopq_maybe_close(q);
}

void ed_net_loopq_fini(struct ed_net_loopq *q)
{
	uv_mutex_destroy(&q->mu);
}
