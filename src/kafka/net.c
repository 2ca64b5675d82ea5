/* Kafka front end networking: the listener, connections, request framing,
 * in-order responses, log-sync completions hopping back from the flusher
 * thread (uv_async), and the parked-request deadlines (group barriers;
 * fetch long polls have their own timers and log watchers, handle_data.c). See kafka_int.h for the invariants. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "kafka/kafka_int.h"
#include "log/log.h"

#define MOD "kafka"
#define MAX_INFLIGHT 64          /* requests queued per connection before we stop reading */
#define WRITE_BACKLOG (1024 * 1024) /* unwritten response bytes before we stop reading */
#define MAX_WRITING 256             /* responses handed to libuv before we stop reading */
#define READ_CHUNK (64 * 1024)

static void conn_process(struct ed_kconn *c);
static void conn_close(struct ed_kconn *c, const char *why);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void on_park_timer(uv_timer_t *t);

void ed_kafka_config_defaults(struct ed_kafka_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bind_host = "127.0.0.1";
	cfg->port = 9092;
	cfg->auto_create_topics = true;
	cfg->default_partitions = 1;
	cfg->max_frame_bytes = 100u * 1024 * 1024;
	cfg->node_id = 1;
}

const char *ed_kafka_adv_host(const struct ed_kafka *k)
{
	return k->advertise_host ? k->advertise_host : k->bind_host;
}

int ed_kafka_adv_port(const struct ed_kafka *k)
{
	return k->cfg.advertise_port > 0 ? k->cfg.advertise_port : k->bound_port;
}

int ed_kafka_port(const struct ed_kafka *k) { return k->bound_port; }

/* ---- requests ---- */

static struct ed_kreq *kreq_new(struct ed_kconn *c)
{
	struct ed_kreq *req = ed_calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->conn = c;
	req->k = c->k;
	ed_arena_init(&req->arena, 4096);
	ed_buf_init(&req->resp);
	atomic_init(&req->sync_pending, 0);
	atomic_init(&req->sync_err, 0);
	return req;
}

static void kreq_free(struct ed_kreq *req)
{
	if (!req)
		return;
	ed_arena_fini(&req->arena);
	ed_buf_fini(&req->resp);
	ed_free(req);
}

/* A client that sends requests without reading the responses must not make
 * us queue them without bound (MAX_INFLIGHT counts only unanswered
 * requests): past WRITE_BACKLOG bytes the kernel has not taken, or
 * MAX_WRITING responses (each holds its request), we stop taking frames,
 * and on_write resumes. */
static bool write_backlogged(struct ed_kconn *c)
{
	return c->writing >= MAX_WRITING ||
	       uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > WRITE_BACKLOG;
}

static void on_write(uv_write_t *w, int status)
{
	struct ed_kreq *req = w->data;
	struct ed_kconn *c = w->handle->data; /* still allocated: closing runs this first */
	(void)status; /* a failed write shows up as a read error / close */
	kreq_free(req);
	c->writing--;
	if (!c->closing && !c->reading)
		conn_process(c);
}

/* Write every done request at the head of the FIFO. */
static void conn_flush(struct ed_kconn *c)
{
	while (c->q_head && c->q_head->done) {
		struct ed_kreq *req = c->q_head;
		c->q_head = req->next;
		if (!c->q_head)
			c->q_tail = NULL;
		c->inflight--;
		if (req->no_response || c->closing || req->resp.err || req->resp.len == 0) {
			if (req->resp.err && !c->closing)
				conn_close(c, "out of memory building a response");
			kreq_free(req);
			continue;
		}
		/* Only the response is needed from here: do not hold the
		 * request's arena while the write waits for a slow reader. */
		ed_arena_fini(&req->arena);
		uv_buf_t b = uv_buf_init((char *)req->resp.data, (unsigned)req->resp.len);
		req->wreq.data = req;
		int rc = uv_write(&req->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
		if (rc < 0) {
			kreq_free(req);
			conn_close(c, uv_strerror(rc));
		} else {
			c->writing++;
		}
	}
}

void ed_kreq_done(struct ed_kreq *req)
{
	struct ed_kconn *c = req->conn;
	req->done = true;
	if (!c) {
		kreq_free(req); /* orphaned: the connection is gone */
		return;
	}
	conn_flush(c);
	/* Asynchronous completions free a slot: resume the connection (a no-op
	 * when called from within its own processing loop). */
	if (!c->closing)
		conn_process(c);
}

/* ---- parking ---- */

static void park_timer_arm(struct ed_kafka *k)
{
	if (k->stopping)
		return;
	int64_t first = INT64_MAX;
	int64_t now = ed_mono_ms();
	/* Parked fetches have their own timers and watchers (handle_data.c)
	 * and park with no deadline here. */
	for (struct ed_kreq *r = k->parked; r; r = r->park_next)
		if (r->deadline_ms < first)
			first = r->deadline_ms;
	if (first == INT64_MAX) {
		uv_timer_stop(&k->park_timer);
		return;
	}
	uv_timer_start(&k->park_timer, on_park_timer,
		       first > now ? (uint64_t)(first - now) : 0, 0);
}

void ed_kreq_park(struct ed_kreq *req, enum ed_kpark kind, int64_t deadline_ms, void *ctx)
{
	struct ed_kafka *k = req->k;
	req->park = kind;
	req->deadline_ms = deadline_ms;
	req->park_ctx = ctx;
	req->park_prev = NULL;
	req->park_next = k->parked;
	if (k->parked)
		k->parked->park_prev = req;
	k->parked = req;
	park_timer_arm(k);
}

void ed_kreq_unpark(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	if (req->park == ED_KPARK_NONE)
		return;
	if (req->park == ED_KPARK_FETCH)
		ed_kafka_fetch_unparked(req);
	if (req->park_prev)
		req->park_prev->park_next = req->park_next;
	else
		k->parked = req->park_next;
	if (req->park_next)
		req->park_next->park_prev = req->park_prev;
	req->park_prev = req->park_next = NULL;
	req->park = ED_KPARK_NONE;
}

static void park_expire(struct ed_kreq *req)
{
	enum ed_kpark kind = req->park;
	if (kind == ED_KPARK_FETCH) {
		ed_kreq_unpark(req);
		ed_kafka_fetch_retry(req, true);
	} else {
		ed_kgroups_park_expired(req); /* unparks and answers */
	}
}

static void on_park_timer(uv_timer_t *t)
{
	struct ed_kafka *k = t->data;
	int64_t now = ed_mono_ms();
	bool again = true;
	while (again) {
		again = false;
		for (struct ed_kreq *r = k->parked; r; r = r->park_next) {
			if (r->deadline_ms <= now) {
				park_expire(r);
				again = true; /* the list changed */
				break;
			}
		}
	}
	park_timer_arm(k);
}

/* ---- log sync completions ---- */

static void sync_cb(void *arg, int err)
{
	/* Flusher thread (or this thread if already durable). */
	struct ed_kreq *req = arg;
	if (err)
		atomic_store(&req->sync_err, err);
	if (atomic_fetch_sub(&req->sync_pending, 1) == 1) {
		struct ed_kafka *k = req->k;
		uv_mutex_lock(&k->done_mu);
		req->done_next = k->done_head;
		k->done_head = req;
		uv_mutex_unlock(&k->done_mu);
		uv_async_send(&k->async);
	}
}

void ed_kreq_sync_begin(struct ed_kreq *req)
{
	/* One extra count held until sync_end, so completion cannot race the adds. */
	atomic_store(&req->sync_pending, 1);
	req->sync_active = true;
	req->k->syncs_waiting++;
}

void ed_kreq_sync_add(struct ed_kreq *req, struct ed_partition *part, int64_t upto)
{
	atomic_fetch_add(&req->sync_pending, 1);
	int rc = ed_partition_sync_async(part, upto, sync_cb, req);
	if (rc < 0) {
		atomic_store(&req->sync_err, rc);
		sync_cb(req, rc);
	}
}

void ed_kreq_sync_end(struct ed_kreq *req) { sync_cb(req, 0); }

static void on_async(uv_async_t *a)
{
	struct ed_kafka *k = a->data;
	ed_kafka_fetch_wakeups(k);
	uv_mutex_lock(&k->done_mu);
	struct ed_kreq *list = k->done_head;
	k->done_head = NULL;
	uv_mutex_unlock(&k->done_mu);
	/* The list is LIFO; reverse so requests finish in the order they synced. */
	struct ed_kreq *rev = NULL;
	while (list) {
		struct ed_kreq *n = list->done_next;
		list->done_next = rev;
		rev = list;
		list = n;
	}
	while (rev) {
		struct ed_kreq *req = rev;
		rev = req->done_next;
		req->sync_active = false;
		k->syncs_waiting--;
		int err = atomic_load(&req->sync_err);
		if (err && req->conn) {
			/* The data may not be durable: the client must not see a
			 * success. Closing makes it retry; idempotence dedups. */
			ed_warn(MOD, "log sync failed (%s): closing %s", ed_err_str(err),
				req->conn->peer);
			struct ed_kconn *c = req->conn;
			req->done = true;
			req->no_response = true;
			conn_close(c, "sync failed");
			continue;
		}
		ed_kreq_done(req);
	}
	if (k->stopping && k->syncs_waiting == 0) {
		if (!uv_is_closing((uv_handle_t *)&k->async))
			uv_close((uv_handle_t *)&k->async, NULL);
	}
}

/* ---- connections ---- */

static void on_conn_closed(uv_handle_t *h)
{
	struct ed_kconn *c = h->data;
	ed_free(c->rbuf);
	ed_free(c);
}

static void conn_close(struct ed_kconn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = true;
	if (why)
		ed_debug(MOD, "closing connection %s: %s", c->peer, why);
	struct ed_kafka *k = c->k;
	if (c->prev)
		c->prev->next = c->next;
	else
		k->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	struct ed_kreq *req = c->q_head;
	c->q_head = c->q_tail = NULL;
	while (req) {
		struct ed_kreq *next = req->next;
		req->next = NULL;
		req->conn = NULL;
		if (req->sync_active || atomic_load(&req->sync_pending) > 0) {
			/* orphaned: freed when the sync completes */
		} else {
			if (req->park == ED_KPARK_FETCH)
				ed_kreq_unpark(req);
			else if (req->park != ED_KPARK_NONE)
				ed_kgroups_park_cancel(req);
			kreq_free(req);
		}
		req = next;
	}
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void handle_request(struct ed_kreq *req, const uint8_t *frame, size_t len)
{
	struct ed_kconn *c = req->conn;
	int rc = ed_kafka_decode_request(frame, len, &req->arena, &req->msg);
	if (rc == ED_EUNSUPPORTED && req->msg.api_key == ED_KAPI_API_VERSIONS) {
		/* KIP-511: answer with v0 body and our ranges, so the client retries lower. */
		req->msg.api_version = 0;
		ed_kafka_handle_api_versions(req, ED_KERR_UNSUPPORTED_VERSION);
		return;
	}
	if (rc < 0) {
		char why[128];
		snprintf(why, sizeof(why), "%s v%d: %s", ed_kafka_api_name(req->msg.api_key),
			 req->msg.api_version,
			 rc == ED_EUNSUPPORTED ? "unsupported version" : ed_err_str(rc));
		ed_warn(MOD, "bad request from %s: %s", c->peer, why);
		req->done = true;
		req->no_response = true;
		conn_close(c, why);
		return;
	}
	ed_debug(MOD, "%s %s v%d corr %d", c->peer, ed_kafka_api_name(req->msg.api_key),
		 req->msg.api_version, req->msg.correlation_id);
	switch (req->msg.api_key) {
	case ED_KAPI_API_VERSIONS: ed_kafka_handle_api_versions(req, 0); break;
	case ED_KAPI_METADATA: ed_kafka_handle_metadata(req); break;
	case ED_KAPI_PRODUCE: ed_kafka_handle_produce(req); break;
	case ED_KAPI_FETCH: ed_kafka_handle_fetch(req); break;
	case ED_KAPI_LIST_OFFSETS: ed_kafka_handle_list_offsets(req); break;
	case ED_KAPI_CREATE_TOPICS: ed_kafka_handle_create_topics(req); break;
	case ED_KAPI_DELETE_TOPICS: ed_kafka_handle_delete_topics(req); break;
	case ED_KAPI_DESCRIBE_CONFIGS: ed_kafka_handle_describe_configs(req); break;
	case ED_KAPI_FIND_COORDINATOR: ed_kafka_handle_find_coordinator(req); break;
	case ED_KAPI_INIT_PRODUCER_ID: ed_kafka_handle_init_producer_id(req); break;
	case ED_KAPI_JOIN_GROUP: ed_kafka_handle_join_group(req); break;
	case ED_KAPI_SYNC_GROUP: ed_kafka_handle_sync_group(req); break;
	case ED_KAPI_HEARTBEAT: ed_kafka_handle_heartbeat(req); break;
	case ED_KAPI_LEAVE_GROUP: ed_kafka_handle_leave_group(req); break;
	case ED_KAPI_DESCRIBE_GROUPS: ed_kafka_handle_describe_groups(req); break;
	case ED_KAPI_LIST_GROUPS: ed_kafka_handle_list_groups(req); break;
	case ED_KAPI_OFFSET_COMMIT: ed_kafka_handle_offset_commit(req); break;
	case ED_KAPI_OFFSET_FETCH: ed_kafka_handle_offset_fetch(req); break;
	default: ed_kreq_done(req); break; /* unreachable: decode refuses unknown keys */
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ed_kconn *c = h->data;
	(void)suggested;
	if (c->rcap - c->rlen < READ_CHUNK / 4) {
		size_t ncap = c->rcap ? c->rcap * 2 : READ_CHUNK;
		while (ncap - c->rlen < READ_CHUNK / 4)
			ncap *= 2;
		uint8_t *n = ed_realloc(c->rbuf, ncap);
		if (!n) {
			buf->base = NULL;
			buf->len = 0;
			return;
		}
		c->rbuf = n;
		c->rcap = ncap;
	}
	buf->base = (char *)c->rbuf + c->rlen;
	buf->len = c->rcap - c->rlen;
}

/* Handle every complete frame in the read buffer, while the in-flight limit
 * allows; then compact the buffer and start or stop reading. */
static void conn_process(struct ed_kconn *c)
{
	if (c->processing || c->closing)
		return;
	c->processing = true;
	size_t pos = 0;
	struct ed_kafka *k = c->k;
	while (!c->closing && c->inflight < MAX_INFLIGHT && !write_backlogged(c) &&
	       c->rlen - pos >= 4) {
		const uint8_t *p = c->rbuf + pos;
		uint32_t size = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		if (size > k->cfg.max_frame_bytes || size < 8) {
			ed_warn(MOD, "frame of %u bytes from %s refused (limit %zu)", size, c->peer,
				k->cfg.max_frame_bytes);
			conn_close(c, "bad frame size");
			break;
		}
		if (c->rlen - pos < (size_t)size + 4) {
			/* Incomplete: the buffer grows (on_alloc) with the bytes that
			 * actually arrive, never up front to a size the peer declared. */
			break;
		}
		struct ed_kreq *req = kreq_new(c);
		if (!req) {
			conn_close(c, "out of memory");
			break;
		}
		if (c->q_tail)
			c->q_tail->next = req;
		else
			c->q_head = req;
		c->q_tail = req;
		c->inflight++;
		handle_request(req, c->rbuf + pos + 4, size);
		pos += (size_t)size + 4;
	}
	if (!c->closing) {
		if (pos) {
			memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
			c->rlen -= pos;
		}
		if (c->rcap > 4 * READ_CHUNK && c->rlen <= READ_CHUNK / 2) {
			/* a big frame is done: give its memory back */
			uint8_t *n = ed_realloc(c->rbuf, READ_CHUNK);
			if (n) {
				c->rbuf = n;
				c->rcap = READ_CHUNK;
			}
		}
		bool want = c->inflight < MAX_INFLIGHT && !write_backlogged(c);
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

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ed_kconn *c = s->data;
	(void)buf;
	if (n < 0) {
		conn_close(c, n == UV_EOF ? "eof" : uv_strerror((int)n));
		return;
	}
	if (buf->base == NULL && n == 0) {
		conn_close(c, "out of memory for reading");
		return;
	}
	c->rlen += (size_t)n;
	conn_process(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ed_kafka *k = server->data;
	if (status < 0 || k->stopping)
		return;
	struct ed_kconn *c = ed_calloc(1, sizeof(*c));
	if (!c)
		return;
	c->k = k;
	uv_tcp_init(k->loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	snprintf(c->peer, sizeof(c->peer), "?");
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
		char host[48] = "";
		int port = 0;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			uv_ip4_name(sin, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			uv_ip6_name(sin6, host, sizeof(host));
			port = ntohs(sin6->sin6_port);
		}
		snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
	}
	c->next = k->conns;
	if (k->conns)
		k->conns->prev = c;
	k->conns = c;
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
		c->reading = true;
	ed_debug(MOD, "connection from %s", c->peer);
}

static void on_tick(uv_timer_t *t)
{
	struct ed_kafka *k = t->data;
	int64_t now = ed_mono_ms();
	ed_kgroups_tick(k, now);
	ed_kprodstate_tick(k->prodstate, now);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct ed_kafka *k = h->data;
	k->open_handles--;
}

int ed_kafka_new(uv_loop_t *loop, struct ed_log *log, const struct ed_kafka_config *cfg,
		 struct ed_kafka **out, char *err, size_t errlen)
{
	int rc;
	*out = NULL;
	struct ed_kafka *k = ed_calloc(1, sizeof(*k));
	if (!k)
		return ED_ENOMEM;
	k->loop = loop;
	k->log = log;
	k->cfg = *cfg;
	k->bind_host = ed_strdup(cfg->bind_host ? cfg->bind_host : "127.0.0.1");
	k->advertise_host = cfg->advertise_host ? ed_strdup(cfg->advertise_host) : NULL;
	k->state_dir = ed_strdup(cfg->state_dir ? cfg->state_dir : ".");
	if (!k->bind_host || !k->state_dir || (cfg->advertise_host && !k->advertise_host)) {
		rc = ED_ENOMEM;
		goto fail_free;
	}
	k->cfg.bind_host = k->bind_host;
	k->cfg.advertise_host = k->advertise_host;
	k->cfg.state_dir = k->state_dir;
	if (k->cfg.max_frame_bytes < 1024)
		k->cfg.max_frame_bytes = 1024;
	if (k->cfg.default_partitions < 1)
		k->cfg.default_partitions = 1;
	snprintf(k->cluster_id, sizeof(k->cluster_id), "eddy-cluster");
	uv_mutex_init(&k->done_mu);

	rc = ed_io_mkdirs(k->state_dir, 0755);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create %s: %s", k->state_dir, ed_err_str(rc));
		goto fail_mutex;
	}
	rc = ed_koffsets_open(k, &k->offsets, err, errlen);
	if (rc < 0)
		goto fail_mutex;
	rc = ed_kprodstate_open(k, &k->prodstate, err, errlen);
	if (rc < 0)
		goto fail_offsets;
	rc = ed_kgroups_new(k, &k->groups);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail_prod;
	}

	struct sockaddr_storage addr;
	if (uv_ip4_addr(k->bind_host, cfg->port, (struct sockaddr_in *)&addr) != 0 &&
	    uv_ip6_addr(k->bind_host, cfg->port, (struct sockaddr_in6 *)&addr) != 0) {
		snprintf(err, errlen, "bad bind address '%s'", k->bind_host);
		rc = ED_EINVAL;
		goto fail_groups;
	}
	uv_tcp_init(loop, &k->listener);
	k->listener.data = k;
	k->open_handles++;
	rc = uv_tcp_bind(&k->listener, (struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&k->listener, 511, on_connection);
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", k->bind_host, cfg->port,
			 uv_strerror(rc));
		uv_close((uv_handle_t *)&k->listener, on_handle_closed);
		/* the handle must close before k is freed: run the loop briefly */
		while (k->open_handles)
			uv_run(loop, UV_RUN_ONCE);
		rc = ED_EIO;
		goto fail_groups;
	}
	struct sockaddr_storage bound;
	int bl = sizeof(bound);
	uv_tcp_getsockname(&k->listener, (struct sockaddr *)&bound, &bl);
	k->bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
							  : ((struct sockaddr_in *)&bound)->sin_port);

	uv_async_init(loop, &k->async, on_async);
	k->async.data = k;
	uv_timer_init(loop, &k->park_timer);
	k->park_timer.data = k;
	uv_timer_init(loop, &k->tick_timer);
	k->tick_timer.data = k;
	uv_timer_start(&k->tick_timer, on_tick, 200, 200);
	*out = k;
	return 0;

fail_groups:
	ed_kgroups_free(k->groups);
fail_prod:
	ed_kprodstate_close(k->prodstate);
fail_offsets:
	ed_koffsets_close(k->offsets);
fail_mutex:
	uv_mutex_destroy(&k->done_mu);
fail_free:
	ed_free(k->bind_host);
	ed_free(k->advertise_host);
	ed_free(k->state_dir);
	ed_free(k);
	return rc;
}

void ed_kafka_stop(struct ed_kafka *k)
{
	if (!k || k->stopping)
		return;
	k->stopping = true;
	uv_close((uv_handle_t *)&k->listener, NULL);
	while (k->conns)
		conn_close(k->conns, "shutdown");
	ed_kafka_fetch_wakeups(k); /* frees waits released while queued */
	uv_timer_stop(&k->park_timer);
	uv_timer_stop(&k->tick_timer);
	uv_close((uv_handle_t *)&k->park_timer, NULL);
	uv_close((uv_handle_t *)&k->tick_timer, NULL);
	if (k->syncs_waiting == 0)
		uv_close((uv_handle_t *)&k->async, NULL);
}

void ed_kafka_free(struct ed_kafka *k)
{
	if (!k)
		return;
	ed_kgroups_free(k->groups);
	ed_kprodstate_close(k->prodstate);
	ed_koffsets_close(k->offsets);
	uv_mutex_destroy(&k->done_mu);
	ed_free(k->bind_host);
	ed_free(k->advertise_host);
	ed_free(k->state_dir);
	ed_free(k);
}
