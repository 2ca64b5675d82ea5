/* Kafka front end networking on src/net: request framing, in-order
 * responses, log-sync completions hopping back from the flusher thread
 * (the net loop queue), and the parked-request deadlines (group barriers;
 * fetch long polls have their own timers and log watchers, handle_data.c).
 * See kafka_int.h for the invariants. */
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
#define MAX_INFLIGHT 64 /* requests queued per connection before we stop reading */

static void conn_process(struct ed_kconn *c);
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
	cfg->startup_timeout_ms = 10000;
	cfg->idle_timeout_ms = 600000;
}

const char *ed_kafka_adv_host(const struct ed_kafka *k)
{
	return k->advertise_host ? k->advertise_host : k->bind_host;
}

int ed_kafka_adv_port(const struct ed_kafka *k)
{
	return k->cfg.advertise_port > 0 ? k->cfg.advertise_port : ed_net_server_port(k->srv);
}

int ed_kafka_port(const struct ed_kafka *k)
{
	return ed_net_server_port(k->srv);
}

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

/* Write every done request at the head of the FIFO. The response buffer
 * moves to the transport, so the request (and its arena) is freed at once;
 * a client that sends without reading is bounded by src/net's write queue. */
static void conn_flush(struct ed_kconn *c)
{
	while (c->q_head && c->q_head->done) {
		struct ed_kreq *req = c->q_head;
		c->q_head = req->next;
		if (!c->q_head)
			c->q_tail = NULL;
		if (--c->inflight == 0)
			ed_net_busy(&c->net, false);
		bool closing = ed_net_closing(&c->net);
		if (req->resp.err && !closing)
			ed_net_close(&c->net, "out of memory building a response");
		else if (!req->no_response && !closing && req->resp.len)
			ed_net_write_buf(&c->net, &req->resp);
		kreq_free(req);
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
	uv_timer_start(&k->park_timer, on_park_timer, first > now ? (uint64_t)(first - now) : 0, 0);
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

static void sync_done(struct ed_net_task *t);

static void sync_cb(void *arg, int err)
{
	/* Flusher thread (or this thread if already durable). */
	struct ed_kreq *req = arg;
	if (err)
		atomic_store(&req->sync_err, err);
	if (atomic_fetch_sub(&req->sync_pending, 1) == 1) {
		req->task.fn = sync_done;
		ed_net_loopq_post(req->k->loopq, &req->task);
	}
}

void ed_kreq_sync_begin(struct ed_kreq *req)
{
	/* One extra count held until sync_end, so completion cannot race the adds. */
	atomic_store(&req->sync_pending, 1);
	req->sync_active = true;
	ed_net_loopq_hold(req->k->loopq);
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

void ed_kreq_sync_end(struct ed_kreq *req)
{
	sync_cb(req, 0);
}

/* Loop thread: every sync of req completed (in the order they were posted). */
static void sync_done(struct ed_net_task *t)
{
	struct ed_kreq *req = ed_net_container(t, struct ed_kreq, task);
	struct ed_kafka *k = req->k;
	req->sync_active = false;
	int err = atomic_load(&req->sync_err);
	if (err && req->conn) {
		/* The data may not be durable: the client must not see a
		 * success. Closing makes it retry; idempotence dedups. */
		ed_warn(MOD, "log sync failed (%s): closing %s", ed_err_str(err),
			req->conn->net.peer);
		req->done = true;
		req->no_response = true;
		ed_net_close(&req->conn->net, "sync failed");
	} else {
		ed_kreq_done(req);
	}
	ed_net_loopq_release(k->loopq);
}

/* ---- connections ---- */

/* Closing (once, from src/net): orphan or free every queued request. */
static void conn_on_close(struct ed_net_conn *nc)
{
	struct ed_kconn *c = (struct ed_kconn *)nc;
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
}

static int conn_on_accept(struct ed_net_conn *nc)
{
	struct ed_kconn *c = (struct ed_kconn *)nc;
	c->k = ed_net_data(nc);
	return 0;
}

static void conn_on_data(struct ed_net_conn *nc)
{
	conn_process((struct ed_kconn *)nc);
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
		ed_warn(MOD, "bad request from %s: %s", c->net.peer, why);
		req->done = true;
		req->no_response = true;
		ed_net_close(&c->net, why);
		return;
	}
	ed_debug(MOD, "%s %s v%d corr %d", c->net.peer, ed_kafka_api_name(req->msg.api_key),
		 req->msg.api_version, req->msg.correlation_id);
	switch (req->msg.api_key) {
	case ED_KAPI_API_VERSIONS:
		ed_kafka_handle_api_versions(req, 0);
		break;
	case ED_KAPI_METADATA:
		ed_kafka_handle_metadata(req);
		break;
	case ED_KAPI_PRODUCE:
		ed_kafka_handle_produce(req);
		break;
	case ED_KAPI_FETCH:
		ed_kafka_handle_fetch(req);
		break;
	case ED_KAPI_LIST_OFFSETS:
		ed_kafka_handle_list_offsets(req);
		break;
	case ED_KAPI_CREATE_TOPICS:
		ed_kafka_handle_create_topics(req);
		break;
	case ED_KAPI_DELETE_TOPICS:
		ed_kafka_handle_delete_topics(req);
		break;
	case ED_KAPI_DESCRIBE_CONFIGS:
		ed_kafka_handle_describe_configs(req);
		break;
	case ED_KAPI_FIND_COORDINATOR:
		ed_kafka_handle_find_coordinator(req);
		break;
	case ED_KAPI_INIT_PRODUCER_ID:
		ed_kafka_handle_init_producer_id(req);
		break;
	case ED_KAPI_JOIN_GROUP:
		ed_kafka_handle_join_group(req);
		break;
	case ED_KAPI_SYNC_GROUP:
		ed_kafka_handle_sync_group(req);
		break;
	case ED_KAPI_HEARTBEAT:
		ed_kafka_handle_heartbeat(req);
		break;
	case ED_KAPI_LEAVE_GROUP:
		ed_kafka_handle_leave_group(req);
		break;
	case ED_KAPI_DESCRIBE_GROUPS:
		ed_kafka_handle_describe_groups(req);
		break;
	case ED_KAPI_LIST_GROUPS:
		ed_kafka_handle_list_groups(req);
		break;
	case ED_KAPI_OFFSET_COMMIT:
		ed_kafka_handle_offset_commit(req);
		break;
	case ED_KAPI_OFFSET_FETCH:
		ed_kafka_handle_offset_fetch(req);
		break;
	default:
		ed_kreq_done(req);
		break; /* unreachable: decode refuses unknown keys */
	}
}

/* Handle every complete frame in the input, while the in-flight limit and
 * the write queue allow; then pause or resume reading. */
static void conn_process(struct ed_kconn *c)
{
	struct ed_net_conn *nc = &c->net;
	if (c->processing || ed_net_closing(nc))
		return;
	c->processing = true;
	struct ed_kafka *k = c->k;
	size_t avail;
	const uint8_t *p = ed_net_input(nc, &avail);
	while (!ed_net_closing(nc) && c->inflight < MAX_INFLIGHT && !ed_net_backlogged(nc) &&
	       avail >= 4) {
		uint32_t size = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
				p[3];
		if (size > k->cfg.max_frame_bytes || size < 8) {
			ed_warn(MOD, "frame of %u bytes from %s refused (limit %zu)", size,
				nc->peer, k->cfg.max_frame_bytes);
			ed_net_close(nc, "bad frame size");
			break;
		}
		if (avail < (size_t)size + 4)
			break; /* incomplete */
		struct ed_kreq *req = kreq_new(c);
		if (!req) {
			ed_net_close(nc, "out of memory");
			break;
		}
		if (c->q_tail)
			c->q_tail->next = req;
		else
			c->q_head = req;
		c->q_tail = req;
		if (c->inflight++ == 0)
			ed_net_busy(nc, true);
		ed_net_started(nc);
		/* The frame stays in place during the call (invariant 4). */
		handle_request(req, p + 4, size);
		ed_net_consume(nc, (size_t)size + 4);
		p = ed_net_input(nc, &avail);
	}
	if (!ed_net_closing(nc)) {
		if (c->inflight < MAX_INFLIGHT)
			ed_net_resume(nc);
		else
			ed_net_pause(nc);
	}
	c->processing = false;
}

static void on_tick(uv_timer_t *t)
{
	struct ed_kafka *k = t->data;
	int64_t now = ed_mono_ms();
	ed_kgroups_tick(k, now);
	ed_kprodstate_tick(k->prodstate, now);
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

	static const struct ed_net_ops ops = {conn_on_accept, conn_on_data, conn_on_close, NULL,
					      NULL};
	struct ed_net_config nc;
	ed_net_config_init(&nc, MOD, k->bind_host, cfg->port, sizeof(struct ed_kconn), k);
	nc.max_read_bytes = k->cfg.max_frame_bytes + 4 + 64 * 1024; /* a frame and the next read */
	nc.startup_timeout_ms = cfg->startup_timeout_ms;
	nc.idle_timeout_ms = cfg->idle_timeout_ms;
	rc = ed_net_server_new(loop, &nc, &ops, &k->srv, err, errlen);
	if (rc < 0)
		goto fail_groups;
	k->loopq = ed_net_server_loopq(k->srv);
	k->fwake_task.fn = ed_kafka_fetch_wakeups_task;
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
	ed_net_server_stop(k->srv);
	/* Every connection closed, so every parked fetch is unwatched: no
	 * watcher posts fwake_task any more. */
	ed_net_loopq_cancel(k->loopq, &k->fwake_task);
	ed_kafka_fetch_wakeups(k); /* frees waits released while queued */
	uv_timer_stop(&k->park_timer);
	uv_timer_stop(&k->tick_timer);
	uv_close((uv_handle_t *)&k->park_timer, NULL);
	uv_close((uv_handle_t *)&k->tick_timer, NULL);
}

void ed_kafka_free(struct ed_kafka *k)
{
	if (!k)
		return;
	ed_kgroups_free(k->groups);
	ed_kprodstate_close(k->prodstate);
	ed_koffsets_close(k->offsets);
	ed_net_server_free(k->srv);
	ed_free(k->bind_host);
	ed_free(k->advertise_host);
	ed_free(k->state_dir);
	ed_free(k);
}
