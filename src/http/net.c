/* HTTP front end on src/net: the request state machine of a connection
 * (head, body by Content-Length or chunked, handling, SSE), keep-alive,
 * responses, timeouts, and jobs that answer later (log syncs hopping back
 * from the flusher thread, SQL on the engine's statement threads, both
 * through the net loop queue). See http_int.h for the invariants. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "engine/engine.h"
#include "http/http_int.h"
#include "log/log.h"

#define MOD "http"
#define READ_SPACE (64 * 1024)
#define LINGER_MS 2000
#define SSE_PING_MS 15000
#define BODY_RESERVE (64 * 1024) /* body bytes reserved before they arrive */

enum conn_state {
	ST_HEAD,    /* reading a request head */
	ST_BODY,    /* reading a Content-Length body */
	ST_CHUNKED, /* reading a chunked body */
	ST_BUSY,    /* the request is being handled */
	ST_SSE,     /* streaming events; input is discarded */
	ST_DISCARD, /* answered without keep-alive: closing once written (src/net lingers) */
};

static void conn_process(struct ed_hconn *c);

void ed_http_config_defaults(struct ed_http_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bind_host = "127.0.0.1";
	cfg->port = 8080;
	cfg->max_body_bytes = 32u * 1024 * 1024;
	cfg->max_head_bytes = 16 * 1024;
	cfg->default_partitions = 1;
	cfg->sse_max_queued_bytes = 4u * 1024 * 1024;
	cfg->idle_timeout_ms = 60000;
	cfg->startup_timeout_ms = 10000;
}

int ed_http_port(const struct ed_http *h)
{
	return ed_net_server_port(h->srv);
}

void ed_http_set_ready(struct ed_http *h, bool ready)
{
	h->ready = ready && !h->stopping;
}

int ed_http_add_metrics(struct ed_http *h, ed_http_metrics_fn fn, void *arg)
{
	struct ed_http_hook *n = ed_realloc(h->hooks, (h->nhooks + 1) * sizeof(*n));
	if (!n)
		return ED_ENOMEM;
	h->hooks = n;
	h->hooks[h->nhooks++] = (struct ed_http_hook){fn, arg};
	return 0;
}

struct ed_http_topic_stats *ed_http_stats(struct ed_http *h, const char *topic)
{
	for (struct ed_http_topic_stats *s = h->stats; s; s = s->next)
		if (!strcmp(s->name, topic))
			return s;
	size_t l = strlen(topic);
	struct ed_http_topic_stats *s = ed_calloc(1, sizeof(*s) + l + 1);
	if (!s)
		return NULL;
	memcpy(s->name, topic, l + 1);
	s->next = h->stats;
	h->stats = s;
	return s;
}

/* ---- writing ---- */

/* The connection's state; busy (no idle timeout, no reading) while a
 * request is handled, busy (no idle timeout) while an SSE stream is open. */
static void set_state(struct ed_hconn *c, int st)
{
	bool was = c->state == ST_BUSY || c->state == ST_SSE;
	bool now = st == ST_BUSY || st == ST_SSE;
	c->state = st;
	if (now != was)
		ed_net_busy(&c->net, now);
}

/* Queue bytes for writing (copied). 0 or a negative ed_err (the connection
 * is closed on failure). */
static int conn_write(struct ed_hconn *c, const void *p1, size_t n1, const void *p2, size_t n2,
		      const void *p3, size_t n3)
{
	struct ed_buf b;
	ed_buf_init(&b);
	if (ed_buf_reserve(&b, n1 + n2 + n3) == 0) {
		ed_buf_append(&b, p1, n1);
		ed_buf_append(&b, p2, n2);
		ed_buf_append(&b, p3, n3);
	}
	int rc = ed_net_write_buf(&c->net, &b);
	ed_buf_fini(&b);
	return rc;
}

int ed_hconn_write_chunk(struct ed_hconn *c, const void *p, size_t n)
{
	char hdr[24];
	int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
	return conn_write(c, hdr, (size_t)hl, p, n, "\r\n", 2);
}

size_t ed_hconn_write_queue(struct ed_hconn *c)
{
	return ed_net_unwritten(&c->net);
}

static const char *reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Range Not Satisfiable";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

static void request_reset(struct ed_hconn *c)
{
	ed_arena_reset(&c->arena);
	if (c->body.cap > 1024 * 1024) {
		ed_buf_fini(&c->body); /* do not keep a large body's buffer per idle connection */
		ed_buf_init(&c->body);
	}
	ed_buf_reset(&c->body);
	memset(&c->head, 0, sizeof(c->head));
	c->target = NULL;
	c->ctype = NULL;
}

void ed_hconn_respond(struct ed_hconn *c, int status, const char *ctype, const void *body, size_t len)
{
	struct ed_http *h = c->h;
	h->requests[status >= 100 && status < 600 ? status / 100 : 0]++;
	if (ed_net_closing(&c->net))
		return;
	if (h->stopping)
		c->keep_alive = false;
	char hdr[512];
	int hl = snprintf(hdr, sizeof(hdr),
			  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			  "Cache-Control: no-store\r\nConnection: %s\r\n\r\n",
			  status, reason(status), ctype, len, c->keep_alive ? "keep-alive" : "close");
	bool head_only = c->head.method == ED_HTTP_HEAD;
	if (c->state == ST_HEAD || c->state == ST_BODY || c->state == ST_CHUNKED) {
		/* answered before the body was read (or with no request at all):
		 * the rest of the input is not a request boundary we trust */
		c->keep_alive = false;
		c->linger = true;
		hl = snprintf(hdr, sizeof(hdr),
			      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			      "Connection: close\r\n\r\n",
			      status, reason(status), ctype, len);
	}
	if (conn_write(c, hdr, (size_t)hl, body, head_only ? 0 : len, NULL, 0) < 0)
		return;
	request_reset(c);
	if (!c->keep_alive) {
		set_state(c, ST_DISCARD);
		ed_net_close_after_write(&c->net, c->linger ? LINGER_MS : 0);
		return;
	}
	set_state(c, ST_HEAD);
	ed_net_resume(&c->net);
	conn_process(c);
}

int ed_hconn_start_stream(struct ed_hconn *c, const char *ctype)
{
	struct ed_http *h = c->h;
	h->requests[2]++;
	char hdr[256];
	int hl = snprintf(hdr, sizeof(hdr),
			  "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nCache-Control: no-cache\r\n"
			  "Transfer-Encoding: chunked\r\nX-Accel-Buffering: no\r\n\r\n",
			  ctype);
	int rc = conn_write(c, hdr, (size_t)hl, NULL, 0, NULL, 0);
	if (rc < 0)
		return rc;
	request_reset(c);
	set_state(c, ST_SSE);
	ed_net_resume(&c->net); /* to see the client leave */
	conn_process(c);
	return 0;
}

void ed_hconn_error(struct ed_hconn *c, int status, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct ed_buf b;
	ed_buf_init(&b);
	ed_buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"message\":", code);
	ed_hjson_put_text(&b, msg, strlen(msg));
	ed_buf_append(&b, "}}\n", 3);
	if (b.err)
		ed_hconn_respond(c, status, "application/json", "{}", 2);
	else
		ed_hconn_respond(c, status, "application/json", b.data, b.len);
	ed_buf_fini(&b);
}

/* ---- connections ---- */

void ed_hconn_close(struct ed_hconn *c, const char *why)
{
	ed_net_close(&c->net, why);
}

/* Closing (once, from src/net): orphan the job, end the stream. */
static void conn_on_close(struct ed_net_conn *nc)
{
	struct ed_hconn *c = (struct ed_hconn *)nc;
	if (c->job) {
		c->job->conn = NULL; /* orphaned: it frees itself when it completes */
		c->job = NULL;
	}
	if (c->sse) {
		ed_hsse_close(c->sse);
		c->sse = NULL;
	}
	c->h->nconns--;
}

static void conn_on_free(struct ed_net_conn *nc)
{
	struct ed_hconn *c = (struct ed_hconn *)nc;
	ed_buf_fini(&c->body);
	ed_arena_fini(&c->arena);
}

static void conn_on_timeout(struct ed_net_conn *nc, enum ed_net_timeout kind)
{
	struct ed_hconn *c = (struct ed_hconn *)nc;
	size_t avail;
	ed_net_input(nc, &avail);
	(void)kind;
	if ((c->state == ST_HEAD && avail > 0) || c->state == ST_BODY || c->state == ST_CHUNKED)
		ed_hconn_error(c, 408, "timeout", "request not received in time");
	else
		ed_hconn_close(c, "idle");
}

static int conn_on_accept(struct ed_net_conn *nc)
{
	struct ed_hconn *c = (struct ed_hconn *)nc;
	struct ed_http *h = ed_net_data(nc);
	c->h = h;
	ed_buf_init(&c->body);
	ed_arena_init(&c->arena, 4096);
	h->nconns++;
	h->connections_total++;
	c->state = ST_HEAD;
	return 0;
}

static void conn_on_data(struct ed_net_conn *nc)
{
	conn_process((struct ed_hconn *)nc);
}

static char *arena_str(struct ed_arena *a, const char *p, size_t n)
{
	return ed_arena_strndup(a, p ? p : "", p ? n : 0);
}

static void dispatch(struct ed_hconn *c)
{
	struct ed_hreq req;
	memset(&req, 0, sizeof(req));
	set_state(c, ST_BUSY);
	ed_net_pause(&c->net); /* one request at a time: pipelined input waits */
	req.c = c;
	req.method = c->head.method;
	const char *t = c->target;
	size_t tl = strlen(t);
	const char *q = memchr(t, '?', tl);
	size_t pl = q ? (size_t)(q - t) : tl;
	char *path = ed_arena_alloc(&c->arena, pl + 1);
	if (!path) {
		ed_hconn_error(c, 500, "internal", "out of memory");
		return;
	}
	if (t[0] != '/' || !ed_http_url_decode(t, pl, false, path, pl + 1)) {
		ed_hconn_error(c, 400, "bad_request", "bad request target");
		return;
	}
	req.path = path;
	req.query = q ? q + 1 : "";
	req.query_len = q ? tl - pl - 1 : 0;
	req.body = (const char *)c->body.data;
	req.body_len = c->body.len;
	req.content_type = c->ctype ? c->ctype : "";
	ed_http_route(&req);
}

static void consume(struct ed_hconn *c, size_t n)
{
	ed_net_consume(&c->net, n);
}

/* Advance the state machine over the connection's input. A client that
 * pipelines requests without reading the answers is stopped by src/net's
 * write queue: no new request is parsed while it is backlogged. */
static void conn_process(struct ed_hconn *c)
{
	struct ed_net_conn *nc = &c->net;
	if (c->processing || ed_net_closing(nc))
		return;
	c->processing = true;
	struct ed_http *h = c->h;
	bool progress = true;
	while (progress && !ed_net_closing(nc)) {
		progress = false;
		size_t avail;
		const uint8_t *in = ed_net_input(nc, &avail);
		switch (c->state) {
		case ST_HEAD: {
			if (avail == 0 || ed_net_backlogged(nc))
				break;
			if (h->stopping) {
				ed_hconn_close(c, "shutdown");
				break;
			}
			int status = 0;
			int rc = ed_http_parse_head(in, avail, h->cfg.max_head_bytes, &c->head,
						    &status);
			if (rc == ED_EAGAIN)
				break;
			if (rc < 0) {
				ed_hconn_error(c, status, "bad_request", "malformed HTTP request");
				break;
			}
			ed_net_started(nc); /* a request head: the idle timeout applies now */
			c->keep_alive = c->head.keep_alive;
			c->target = arena_str(&c->arena, c->head.target, c->head.target_len);
			if (c->head.content_type)
				c->ctype = arena_str(&c->arena, c->head.content_type,
						     c->head.content_type_len);
			consume(c, c->head.head_len);
			c->head.target = NULL;
			c->head.content_type = NULL;
			if (!c->target || (c->head.content_type_len && !c->ctype)) {
				ed_hconn_error(c, 500, "internal", "out of memory");
				break;
			}
			int64_t cl = c->head.content_length;
			if (cl > 0 && (uint64_t)cl > h->cfg.max_body_bytes) {
				ed_hconn_error(c, 413, "too_large",
					       "request body of %lld bytes is over the limit of %zu bytes",
					       (long long)cl, h->cfg.max_body_bytes);
				break;
			}
			/* Reserve at most BODY_RESERVE up front: the body buffer grows
			 * with the bytes that arrive, never to a length the peer only
			 * declared (200 connections each declaring 32 MiB would
			 * otherwise pin 6 GiB without sending it). */
			size_t reserve = cl > BODY_RESERVE ? BODY_RESERVE : (size_t)(cl > 0 ? cl : 0);
			if (reserve && ed_buf_reserve(&c->body, reserve) < 0) {
				ed_hconn_error(c, 503, "no_memory", "out of memory for the body");
				break;
			}
			if (c->head.expect_continue && (cl > 0 || c->head.chunked)) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
				if (conn_write(c, cont, sizeof(cont) - 1, NULL, 0, NULL, 0) < 0)
					break;
			}
			if (c->head.chunked) {
				ed_http_chunked_init(&c->chunked);
				c->state = ST_CHUNKED;
			} else if (cl > 0) {
				c->state = ST_BODY;
			} else {
				dispatch(c);
				progress = true;
				break;
			}
			progress = true;
			break;
		}
		case ST_BODY: {
			size_t need = (size_t)c->head.content_length - c->body.len;
			size_t take = avail < need ? avail : need;
			if (take) {
				ed_buf_append(&c->body, in, take);
				consume(c, take);
			}
			if (c->body.err) {
				ed_hconn_error(c, 503, "no_memory", "out of memory for the body");
				break;
			}
			if (c->body.len == (size_t)c->head.content_length) {
				dispatch(c);
				progress = true;
			}
			break;
		}
		case ST_CHUNKED: {
			if (avail == 0)
				break;
			long rc = ed_http_chunked_feed(&c->chunked, in, avail, &c->body,
						       h->cfg.max_body_bytes);
			if (rc == ED_ETOOBIG) {
				ed_hconn_error(c, 413, "too_large",
					       "request body is over the limit of %zu bytes",
					       h->cfg.max_body_bytes);
				break;
			}
			if (rc == ED_ENOMEM) {
				ed_hconn_error(c, 503, "no_memory", "out of memory for the body");
				break;
			}
			if (rc < 0) {
				ed_hconn_error(c, 400, "bad_request", "malformed chunked body");
				break;
			}
			consume(c, (size_t)rc);
			if (c->chunked.done) {
				dispatch(c);
				progress = true;
			}
			break;
		}
		case ST_SSE:
		case ST_DISCARD:
			consume(c, avail); /* ignored */
			break;
		default:
			break;
		}
	}
	c->processing = false;
}

/* ---- jobs ---- */

void ed_hjob_start(struct ed_hconn *c, struct ed_hjob *job, void (*complete)(struct ed_hjob *))
{
	job->h = c->h;
	job->conn = c;
	job->complete = complete;
	atomic_init(&job->pending, 0);
	atomic_init(&job->err, 0);
	c->job = job;
	ed_net_loopq_hold(c->h->loopq);
}

struct ed_hconn *ed_hjob_finish(struct ed_hjob *job)
{
	struct ed_hconn *c = job->conn;
	if (c)
		c->job = NULL;
	job->conn = NULL;
	return c;
}

/* Loop thread: the job's work is over; answer (complete frees the job). */
static void job_done(struct ed_net_task *t)
{
	struct ed_hjob *job = ed_net_container(t, struct ed_hjob, task);
	struct ed_http *h = job->h;
	job->complete(job);
	ed_net_loopq_release(h->loopq);
}

static void job_post(struct ed_hjob *job)
{
	job->task.fn = job_done;
	ed_net_loopq_post(job->h->loopq, &job->task);
}

static void sync_cb(void *arg, int err)
{
	/* Flusher thread (or the loop thread if already durable). */
	struct ed_hjob *job = arg;
	if (err)
		atomic_store(&job->err, err);
	if (atomic_fetch_sub(&job->pending, 1) == 1)
		job_post(job);
}

void ed_hjob_sync_begin(struct ed_hjob *job)
{
	atomic_store(&job->pending, 1);
}

void ed_hjob_sync_add(struct ed_hjob *job, struct ed_partition *part, int64_t upto)
{
	atomic_fetch_add(&job->pending, 1);
	int rc = ed_partition_sync_async(part, upto, sync_cb, job);
	if (rc < 0)
		sync_cb(job, rc);
}

void ed_hjob_sync_end(struct ed_hjob *job)
{
	sync_cb(job, 0);
}

/* Statement thread. */
static void job_run(struct ed_stmt_job *sj)
{
	struct ed_hjob *job = ed_net_container(sj, struct ed_hjob, stmt);
	job->work_fn(&job->work);
}

static void job_ran(struct ed_stmt_job *sj)
{
	job_post(ed_net_container(sj, struct ed_hjob, stmt));
}

int ed_hjob_queue_work(struct ed_hjob *job, void (*work_fn)(uv_work_t *))
{
	job->work.data = job;
	job->work_fn = work_fn;
	memset(&job->stmt, 0, sizeof(job->stmt));
	job->stmt.run = job_run;
	job->stmt.done = job_ran;
	if (!job->h->eng || ed_engine_submit(job->h->eng, &job->stmt) < 0) {
		atomic_store(&job->err, ED_ECLOSED); /* answered as "stopping" */
		job_post(job);
	}
	return 0;
}

/* Any thread (an engine worker with SSE changes): flush SSE clients on the loop. */
static void sse_task(struct ed_net_task *t)
{
	struct ed_http *h = ed_net_container(t, struct ed_http, sse_task);
	ed_hsse_flush_all(h);
}

void ed_http_wake_sse(struct ed_http *h)
{
	ed_net_loopq_post(h->loopq, &h->sse_task);
}

static void on_ping(uv_timer_t *t)
{
	ed_hsse_ping_all(t->data);
}

/* ---- lifecycle ---- */

int ed_http_new(uv_loop_t *loop, struct ed_log *log, struct ed_engine *eng,
		const struct ed_http_config *cfg, struct ed_http **out, char *err, size_t errlen)
{
	int rc;
	*out = NULL;
	struct ed_http *h = ed_calloc(1, sizeof(*h));
	if (!h)
		return ED_ENOMEM;
	h->loop = loop;
	h->log = log;
	h->eng = eng;
	h->cfg = *cfg;
	h->bind_host = ed_strdup(cfg->bind_host ? cfg->bind_host : "127.0.0.1");
	if (!h->bind_host) {
		ed_free(h);
		return ED_ENOMEM;
	}
	h->cfg.bind_host = h->bind_host;
	if (h->cfg.max_head_bytes < 1024)
		h->cfg.max_head_bytes = 1024;
	if (h->cfg.default_partitions < 1)
		h->cfg.default_partitions = 1;
	if (h->cfg.idle_timeout_ms <= 0)
		h->cfg.idle_timeout_ms = 60000;
	if (h->cfg.sse_max_queued_bytes < 64 * 1024)
		h->cfg.sse_max_queued_bytes = 64 * 1024;
	if (h->cfg.startup_timeout_ms < 0)
		h->cfg.startup_timeout_ms = 0;
	static const struct ed_net_ops ops = {conn_on_accept, conn_on_data, conn_on_close,
					      conn_on_free, conn_on_timeout};
	struct ed_net_config nc;
	ed_net_config_init(&nc, MOD, h->bind_host, cfg->port, sizeof(struct ed_hconn), h);
	nc.max_read_bytes = h->cfg.max_head_bytes + READ_SPACE; /* a head and some body */
	nc.startup_timeout_ms = h->cfg.startup_timeout_ms;
	nc.idle_timeout_ms = h->cfg.idle_timeout_ms;
	rc = ed_net_server_new(loop, &nc, &ops, &h->srv, err, errlen);
	if (rc < 0)
		goto fail;
	h->loopq = ed_net_server_loopq(h->srv);
	h->sse_task.fn = sse_task;
	uv_timer_init(loop, &h->ping_timer);
	h->ping_timer.data = h;
	uv_timer_start(&h->ping_timer, on_ping, SSE_PING_MS, SSE_PING_MS);
	*out = h;
	return 0;

fail:
	ed_free(h->bind_host);
	ed_free(h);
	return rc;
}

void ed_http_stop(struct ed_http *h)
{
	if (!h || h->stopping)
		return;
	h->stopping = true;
	h->ready = false;
	ed_net_loopq_cancel(h->loopq, &h->sse_task);
	ed_net_server_stop(h->srv); /* every connection, SSE stream; the queue after the jobs */
	uv_timer_stop(&h->ping_timer);
	uv_close((uv_handle_t *)&h->ping_timer, NULL);
}

void ed_http_free(struct ed_http *h)
{
	if (!h)
		return;
	while (h->stats) {
		struct ed_http_topic_stats *n = h->stats->next;
		ed_free(h->stats);
		h->stats = n;
	}
	ed_free(h->hooks);
	ed_net_server_free(h->srv);
	ed_free(h->bind_host);
	ed_free(h);
}
