/* HTTP front end networking: the listener, connections and their request
 * state machine (head, body by Content-Length or chunked, handling, SSE),
 * keep-alive, responses, timeouts, and jobs that answer later (log syncs
 * hopping back from the flusher thread through uv_async, SQL on libuv's
 * thread pool). See http_int.h for the invariants. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "http/http_int.h"
#include "log/log.h"

#define MOD "http"
#define READ_SPACE (64 * 1024)
#define LINGER_MS 2000
#define SSE_PING_MS 15000
#define BODY_RESERVE (64 * 1024) /* body bytes reserved before they arrive */
#define WRITE_BACKLOG (1024 * 1024) /* queued response bytes before we stop reading */

enum conn_state {
	ST_HEAD,    /* reading a request head */
	ST_BODY,    /* reading a Content-Length body */
	ST_CHUNKED, /* reading a chunked body */
	ST_BUSY,    /* the request is being handled */
	ST_SSE,     /* streaming events; input is discarded */
	ST_DISCARD, /* answered an error before the body: drain until EOF, then close */
};

static void conn_process(struct ed_hconn *c);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf);

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
}

int ed_http_port(const struct ed_http *h) { return h->bound_port; }

void ed_http_set_ready(struct ed_http *h, bool ready) { h->ready = ready && !h->stopping; }

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

struct hwrite {
	uv_write_t w;
	struct ed_hconn *c;
	size_t len;
	uint8_t data[];
};

static void conn_linger_or_close(struct ed_hconn *c);
static void conn_touch(struct ed_hconn *c);

static void on_write(uv_write_t *w, int status)
{
	struct hwrite *hw = w->data;
	struct ed_hconn *c = hw->c;
	c->writes--;
	ed_free(hw);
	if (c->closing)
		return;
	if (status < 0) {
		ed_hconn_close(c, uv_strerror(status));
		return;
	}
	if (c->close_after && c->writes == 0)
		conn_linger_or_close(c);
	else if (c->state == ST_HEAD && !c->reading)
		conn_process(c); /* resume a connection paused on its write backlog */
}

/* Queue bytes for writing (copied). 0 or a negative ed_err (the connection
 * is closed on failure). */
static int conn_write(struct ed_hconn *c, const void *p1, size_t n1, const void *p2, size_t n2,
		      const void *p3, size_t n3)
{
	if (c->closing)
		return ED_ECLOSED;
	struct hwrite *hw = ed_malloc(sizeof(*hw) + n1 + n2 + n3);
	if (!hw) {
		ed_hconn_close(c, "out of memory writing");
		return ED_ENOMEM;
	}
	hw->c = c;
	hw->len = n1 + n2 + n3;
	memcpy(hw->data, p1, n1);
	if (n2)
		memcpy(hw->data + n1, p2, n2);
	if (n3)
		memcpy(hw->data + n1 + n2, p3, n3);
	hw->w.data = hw;
	uv_buf_t b = uv_buf_init((char *)hw->data, (unsigned)hw->len);
	int rc = uv_write(&hw->w, (uv_stream_t *)&c->tcp, &b, 1, on_write);
	if (rc < 0) {
		ed_free(hw);
		ed_hconn_close(c, uv_strerror(rc));
		return ED_EIO;
	}
	c->writes++;
	return 0;
}

int ed_hconn_write_chunk(struct ed_hconn *c, const void *p, size_t n)
{
	char hdr[24];
	int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
	return conn_write(c, hdr, (size_t)hl, p, n, "\r\n", 2);
}

size_t ed_hconn_write_queue(struct ed_hconn *c)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
}

static const char *reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
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

void ed_hconn_respond(struct ed_hconn *c, int status, const char *ctype, const void *body,
		      size_t len)
{
	struct ed_http *h = c->h;
	h->requests[status >= 100 && status < 600 ? status / 100 : 0]++;
	if (c->closing)
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
		c->close_after = true;
		c->state = ST_DISCARD;
		return;
	}
	c->state = ST_HEAD;
	conn_touch(c);
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
	c->state = ST_SSE;
	conn_touch(c);
	conn_process(c); /* resumes reading, to see the client leave */
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

static void on_conn_handle_closed(uv_handle_t *hd)
{
	struct ed_hconn *c = hd->data;
	if (--c->handles_open > 0)
		return;
	ed_free(c->rbuf);
	ed_buf_fini(&c->body);
	ed_arena_fini(&c->arena);
	ed_free(c);
}

void ed_hconn_close(struct ed_hconn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = true;
	struct ed_http *h = c->h;
	if (why)
		ed_debug(MOD, "closing %s: %s", c->peer, why);
	if (c->job) {
		c->job->conn = NULL; /* orphaned: it frees itself when it completes */
		c->job = NULL;
	}
	if (c->sse) {
		ed_hsse_close(c->sse);
		c->sse = NULL;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nconns--;
	uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
}

static void on_timer(uv_timer_t *t)
{
	struct ed_hconn *c = t->data;
	switch (c->state) {
	case ST_HEAD:
		if (c->rlen == 0) {
			ed_hconn_close(c, "idle");
			break;
		}
		ed_hconn_error(c, 408, "timeout", "request not received in time");
		break;
	case ST_BODY:
	case ST_CHUNKED:
		ed_hconn_error(c, 408, "timeout", "request not received in time");
		break;
	case ST_DISCARD:
		ed_hconn_close(c, "linger over");
		break;
	default:
		break; /* busy or SSE: no timeout */
	}
}

static void conn_touch(struct ed_hconn *c)
{
	if (c->closing)
		return;
	if (c->state == ST_BUSY || c->state == ST_SSE)
		uv_timer_stop(&c->timer);
	else if (c->state != ST_DISCARD)
		uv_timer_start(&c->timer, on_timer, (uint64_t)c->h->cfg.idle_timeout_ms, 0);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)status;
	ed_free(req);
}

static void conn_linger_or_close(struct ed_hconn *c)
{
	if (!c->linger) {
		ed_hconn_close(c, NULL);
		return;
	}
	/* Half-close and drain what the client is still sending, so the
	 * answer is not lost to a reset; bounded by a timer. */
	uv_shutdown_t *sr = ed_malloc(sizeof(*sr));
	if (!sr || uv_shutdown(sr, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
		ed_free(sr);
		ed_hconn_close(c, NULL);
		return;
	}
	c->state = ST_DISCARD;
	if (!c->reading && uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
		c->reading = true;
	uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
}

static char *arena_str(struct ed_arena *a, const char *p, size_t n)
{
	return ed_arena_strndup(a, p ? p : "", p ? n : 0);
}

static void dispatch(struct ed_hconn *c)
{
	struct ed_hreq req;
	memset(&req, 0, sizeof(req));
	c->state = ST_BUSY;
	conn_touch(c);
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
	memmove(c->rbuf, c->rbuf + n, c->rlen - n);
	c->rlen -= n;
}

/* A client that pipelines requests but does not read the responses must
 * not make us queue them without bound: between requests, stop reading and
 * parsing while more than WRITE_BACKLOG bytes wait to be written (on_write
 * resumes). */
static bool write_backlogged(struct ed_hconn *c)
{
	return c->state == ST_HEAD && ed_hconn_write_queue(c) > WRITE_BACKLOG;
}

/* Advance the state machine over what rbuf holds. */
static void conn_process(struct ed_hconn *c)
{
	if (c->processing || c->closing)
		return;
	c->processing = true;
	struct ed_http *h = c->h;
	bool progress = true;
	while (progress && !c->closing) {
		progress = false;
		switch (c->state) {
		case ST_HEAD: {
			if (c->rlen == 0 || write_backlogged(c))
				break;
			if (h->stopping) {
				ed_hconn_close(c, "shutdown");
				break;
			}
			int status = 0;
			int rc = ed_http_parse_head(c->rbuf, c->rlen, h->cfg.max_head_bytes, &c->head,
						    &status);
			if (rc == ED_EAGAIN)
				break;
			if (rc < 0) {
				ed_hconn_error(c, status, "bad_request", "malformed HTTP request");
				break;
			}
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
			conn_touch(c);
			progress = true;
			break;
		}
		case ST_BODY: {
			size_t need = (size_t)c->head.content_length - c->body.len;
			size_t take = c->rlen < need ? c->rlen : need;
			if (take) {
				ed_buf_append(&c->body, c->rbuf, take);
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
			if (c->rlen == 0)
				break;
			long rc = ed_http_chunked_feed(&c->chunked, c->rbuf, c->rlen, &c->body,
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
			c->rlen = 0;
			break;
		default:
			break;
		}
	}
	if (!c->closing) {
		bool want = c->state != ST_BUSY && !write_backlogged(c);
		if (want && !c->reading) {
			if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
				c->reading = true;
		} else if (!want && c->reading) {
			uv_read_stop((uv_stream_t *)&c->tcp);
			c->reading = false;
		}
	}
	c->processing = false;
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
	struct ed_hconn *c = hd->data;
	(void)suggested;
	buf->base = (char *)c->rbuf + c->rlen;
	buf->len = c->rcap - c->rlen;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ed_hconn *c = s->data;
	(void)buf;
	if (n == UV_ENOBUFS) {
		ed_hconn_close(c, "read buffer full");
		return;
	}
	if (n < 0) {
		ed_hconn_close(c, n == UV_EOF ? NULL : uv_strerror((int)n));
		return;
	}
	c->rlen += (size_t)n;
	if (c->state == ST_HEAD || c->state == ST_BODY || c->state == ST_CHUNKED)
		conn_touch(c);
	conn_process(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ed_http *h = server->data;
	if (status < 0 || h->stopping)
		return;
	struct ed_hconn *c = ed_calloc(1, sizeof(*c));
	if (!c)
		return;
	c->h = h;
	c->rcap = h->cfg.max_head_bytes + READ_SPACE;
	c->rbuf = ed_malloc(c->rcap);
	ed_buf_init(&c->body);
	ed_arena_init(&c->arena, 4096);
	uv_tcp_init(h->loop, &c->tcp);
	uv_timer_init(h->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->handles_open = 2;
	if (!c->rbuf || uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		c->closing = true;
		uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
		uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	snprintf(c->peer, sizeof(c->peer), "?");
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
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
	c->next = h->conns;
	if (h->conns)
		h->conns->prev = c;
	h->conns = c;
	h->nconns++;
	h->connections_total++;
	c->state = ST_HEAD;
	conn_touch(c);
	conn_process(c);
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
	c->h->jobs_pending++;
}

struct ed_hconn *ed_hjob_finish(struct ed_hjob *job)
{
	struct ed_hconn *c = job->conn;
	if (c)
		c->job = NULL;
	job->conn = NULL;
	return c;
}

static void job_done(struct ed_hjob *job)
{
	struct ed_http *h = job->h;
	h->jobs_pending--;
	job->complete(job);
	if (h->stopping && h->jobs_pending == 0 && !h->async_closed) {
		h->async_closed = true;
		uv_close((uv_handle_t *)&h->async, NULL);
	}
}

static void sync_cb(void *arg, int err)
{
	/* Flusher thread (or the loop thread if already durable). */
	struct ed_hjob *job = arg;
	if (err)
		atomic_store(&job->err, err);
	if (atomic_fetch_sub(&job->pending, 1) == 1) {
		struct ed_http *h = job->h;
		uv_mutex_lock(&h->done_mu);
		job->done_next = h->done_head;
		h->done_head = job;
		uv_mutex_unlock(&h->done_mu);
		uv_async_send(&h->async);
	}
}

void ed_hjob_sync_begin(struct ed_hjob *job) { atomic_store(&job->pending, 1); }

void ed_hjob_sync_add(struct ed_hjob *job, struct ed_partition *part, int64_t upto)
{
	atomic_fetch_add(&job->pending, 1);
	int rc = ed_partition_sync_async(part, upto, sync_cb, job);
	if (rc < 0)
		sync_cb(job, rc);
}

void ed_hjob_sync_end(struct ed_hjob *job) { sync_cb(job, 0); }

static void after_work(uv_work_t *w, int status)
{
	struct ed_hjob *job = w->data;
	if (status < 0)
		atomic_store(&job->err, ED_ECLOSED);
	job_done(job);
}

int ed_hjob_queue_work(struct ed_hjob *job, void (*work_fn)(uv_work_t *))
{
	job->work.data = job;
	int rc = uv_queue_work(job->h->loop, &job->work, work_fn, after_work);
	return rc < 0 ? ED_EIO : 0;
}

static void on_async(uv_async_t *a)
{
	struct ed_http *h = a->data;
	uv_mutex_lock(&h->done_mu);
	struct ed_hjob *list = h->done_head;
	h->done_head = NULL;
	uv_mutex_unlock(&h->done_mu);
	struct ed_hjob *rev = NULL; /* LIFO: reverse to finish in order */
	while (list) {
		struct ed_hjob *n = list->done_next;
		list->done_next = rev;
		rev = list;
		list = n;
	}
	while (rev) {
		struct ed_hjob *job = rev;
		rev = job->done_next;
		job_done(job);
	}
	if (!h->async_closed)
		ed_hsse_flush_all(h);
}

static void on_ping(uv_timer_t *t) { ed_hsse_ping_all(t->data); }

/* ---- lifecycle ---- */

static void on_listener_closed(uv_handle_t *hd) { (void)hd; }

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
	uv_mutex_init(&h->done_mu);

	struct sockaddr_storage addr;
	if (uv_ip4_addr(h->bind_host, cfg->port, (struct sockaddr_in *)&addr) != 0 &&
	    uv_ip6_addr(h->bind_host, cfg->port, (struct sockaddr_in6 *)&addr) != 0) {
		snprintf(err, errlen, "bad bind address '%s'", h->bind_host);
		rc = ED_EINVAL;
		goto fail;
	}
	uv_tcp_init(loop, &h->listener);
	h->listener.data = h;
	rc = uv_tcp_bind(&h->listener, (struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&h->listener, 511, on_connection);
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", h->bind_host, cfg->port,
			 uv_strerror(rc));
		uv_close((uv_handle_t *)&h->listener, on_listener_closed);
		uv_run(loop, UV_RUN_NOWAIT); /* let the handle close before h is freed */
		rc = ED_EIO;
		goto fail;
	}
	struct sockaddr_storage bound;
	int bl = sizeof(bound);
	uv_tcp_getsockname(&h->listener, (struct sockaddr *)&bound, &bl);
	h->bound_port = ntohs(bound.ss_family == AF_INET6
				      ? ((struct sockaddr_in6 *)&bound)->sin6_port
				      : ((struct sockaddr_in *)&bound)->sin_port);
	uv_async_init(loop, &h->async, on_async);
	h->async.data = h;
	uv_timer_init(loop, &h->ping_timer);
	h->ping_timer.data = h;
	uv_timer_start(&h->ping_timer, on_ping, SSE_PING_MS, SSE_PING_MS);
	*out = h;
	return 0;

fail:
	uv_mutex_destroy(&h->done_mu);
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
	uv_close((uv_handle_t *)&h->listener, NULL);
	while (h->conns)
		ed_hconn_close(h->conns, "shutdown");
	uv_timer_stop(&h->ping_timer);
	uv_close((uv_handle_t *)&h->ping_timer, NULL);
	if (h->jobs_pending == 0 && !h->async_closed) {
		h->async_closed = true;
		uv_close((uv_handle_t *)&h->async, NULL);
	}
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
	uv_mutex_destroy(&h->done_mu);
	ed_free(h->bind_host);
	ed_free(h);
}
