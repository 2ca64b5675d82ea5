/* Kafka data-path APIs: Produce (acks 0/1/all, idempotent dedup), Fetch
 * (long poll on max_wait_ms/min_bytes) and ListOffsets. A fetch that has to
 * wait watches exactly the partitions it asked for (log watchers, log.h):
 * an append to one of them, by any thread (Kafka, HTTP, sinks), wakes it
 * through the server's loop queue (k->fwake_task); its max-wait deadline is a libuv timer
 * of its own. Appends elsewhere never touch it. Each produced batch is validated once,
 * with ed_batch_validate, and appended with ed_partition_append_validated;
 * it is stored exactly as produced, whatever its codec. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "kafka/kafka_int.h"
#include "log/batch.h"
#include "log/log.h"

#define MOD "kafka"

static int16_t kerr_from_append(int rc)
{
	switch (rc) {
	case 0:
		return ED_KERR_NONE;
	case ED_EAGAIN:
	case ED_ECORRUPT:
		return ED_KERR_CORRUPT_MESSAGE;
	case ED_EUNSUPPORTED:
		return ED_KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
	case ED_ETOOBIG:
		return ED_KERR_MESSAGE_TOO_LARGE;
	case ED_EFAILED:
	case ED_EIO:
	case ED_ENOSPC:
		return ED_KERR_KAFKA_STORAGE_ERROR;
	case ED_ENOENT:
		return ED_KERR_UNKNOWN_TOPIC_OR_PARTITION;
	default:
		return ED_KERR_UNKNOWN_SERVER_ERROR;
	}
}

struct prod_result {
	int16_t kerr;
	int64_t base_offset;
	int64_t log_append_time;
	int64_t log_start_offset;
	const char *msg;
};

/* Validate then append every batch of one partition's records. */
static void produce_partition(struct ed_kreq *req, const char *tname, struct ed_topic *topic,
			      size_t max_msg, struct ed_kprod_part *pp, bool *syncing,
			      struct prod_result *res, char *err, size_t errlen)
{
	struct ed_kafka *k = req->k;
	struct ed_partition *part = ed_topic_partition(topic, pp->index);
	res->kerr = ED_KERR_NONE;
	res->base_offset = -1;
	res->log_append_time = -1;
	res->log_start_offset = -1;
	res->msg = NULL;
	if (!part) {
		res->kerr = ED_KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	if (!pp->records.p || pp->records.len <= 0) {
		res->kerr = ED_KERR_CORRUPT_MESSAGE;
		res->msg = "empty record set";
		return;
	}
	/* Pass 0 validates every batch (CRC and record walk, the only time
	 * these bytes are checked) and keeps what the validator learned, one
	 * ed_batch_info per batch; pass 1 appends with those, so nothing is
	 * checked or parsed twice. */
	uint8_t *base = (uint8_t *)pp->records.p; /* our read buffer: appends stamp it */
	size_t total = (size_t)pp->records.len;
	struct ed_batch_info local[4], *infos = local;
	size_t nb = 0, cap = sizeof local / sizeof local[0];
	for (size_t off = 0; off < total;) {
		struct ed_batch_info bi;
		int rc = ed_batch_validate(base + off, total - off, max_msg, &bi, err, errlen);
		if (rc < 0) {
			res->kerr = kerr_from_append(rc);
			res->msg = err;
			ed_debug(MOD, "produce to %s/%d refused: %s", tname, pp->index, err);
			return;
		}
		if (bi.attributes & (ED_BATCH_ATTR_TRANSACTIONAL | ED_BATCH_ATTR_CONTROL)) {
			res->kerr = ED_KERR_INVALID_REQUEST;
			res->msg = "transactions are not supported";
			return;
		}
		if (nb == cap) { /* many batches in one partition: the request's arena */
			struct ed_batch_info *more = ed_arena_alloc(&req->arena,
								    2 * cap * sizeof(*more));
			if (!more) {
				res->kerr = ED_KERR_UNKNOWN_SERVER_ERROR;
				res->msg = "out of memory";
				return;
			}
			memcpy(more, infos, nb * sizeof(*more));
			infos = more;
			cap *= 2;
		}
		infos[nb++] = bi;
		off += (size_t)bi.size;
	}
	size_t off = 0;
	for (size_t i = 0; i < nb; off += (size_t)infos[i].size, i++) {
		const struct ed_batch_info *bi = &infos[i];
		int64_t dup_offset = -1;
		if (bi->producer_id >= 0) {
			int chk = ed_kprodstate_check(k->prodstate, tname, part, bi, &dup_offset);
			if (chk == 1) {
				ed_debug(MOD,
					 "%s/%d: duplicate batch of producer %lld seq %d "
					 "answered with offset %lld",
					 tname, pp->index, (long long)bi->producer_id,
					 bi->base_sequence, (long long)dup_offset);
				if (res->base_offset < 0)
					res->base_offset = dup_offset;
				/* The original may still wait for its fdatasync, or
				 * that fdatasync failed (the retry after a closed
				 * connection): acks=all waits for it here too. */
				if (req->msg.u.produce.acks == -1) {
					if (!*syncing) {
						ed_kreq_sync_begin(req);
						*syncing = true;
					}
					ed_kreq_sync_add(req, part,
							 dup_offset + bi->last_offset_delta + 1);
				}
				continue;
			}
			if (chk != ED_KERR_NONE) {
				res->kerr = (int16_t)chk;
				break;
			}
		}
		struct ed_append_result ar;
		int rc = ed_partition_append_validated(part, base + off, (size_t)bi->size, bi, &ar,
						       err, errlen);
		if (rc < 0) {
			res->kerr = kerr_from_append(rc);
			res->msg = err;
			ed_warn(MOD, "append to %s/%d failed: %s", tname, pp->index, err);
			break;
		}
		if (bi->producer_id >= 0)
			ed_kprodstate_record(k->prodstate, tname, part, bi, ar.base_offset);
		if (res->base_offset < 0)
			res->base_offset = ar.base_offset;
		res->log_append_time = ar.log_append_time;
		if (req->msg.u.produce.acks == -1) {
			if (!*syncing) {
				ed_kreq_sync_begin(req);
				*syncing = true;
			}
			ed_kreq_sync_add(req, part, ar.last_offset + 1);
		}
	}
	res->log_start_offset = ed_partition_start_offset(part);
}

void ed_kafka_handle_produce(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_produce *m = &req->msg.u.produce;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	bool syncing = false;
	char err[256];
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	ed_kput_i32(b, m->ntopics);
	int budget = ED_KAFKA_AUTO_CREATE_PER_REQUEST;
	for (int32_t i = 0; i < m->ntopics; i++) {
		struct ed_kprod_topic *t = &m->topics[i];
		int16_t topic_err = ED_KERR_NONE;
		struct ed_topic *topic = NULL;
		size_t max_msg = 0;
		if (m->acks != 0 && m->acks != 1 && m->acks != -1)
			topic_err = ED_KERR_INVALID_REQUIRED_ACKS;
		else if (m->transactional_id)
			topic_err = ED_KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
		else
			topic = ed_kafka_topic_get_or_create(k, t->name, true, &budget, &topic_err);
		if (topic) {
			struct ed_topic_config cfg;
			ed_topic_config_get(topic, &cfg);
			max_msg = cfg.max_message_bytes > 0 ? (size_t)cfg.max_message_bytes : 0;
		}
		ed_kput_str(b, t->name);
		ed_kput_i32(b, t->nparts);
		for (int32_t j = 0; j < t->nparts; j++) {
			struct prod_result res = {topic_err, -1, -1, -1, NULL};
			err[0] = 0;
			if (topic) {
				produce_partition(req, t->name, topic, max_msg, &t->parts[j],
						  &syncing, &res, err, sizeof(err));
			}
			ed_kput_i32(b, t->parts[j].index);
			ed_kput_i16(b, res.kerr);
			ed_kput_i64(b, res.base_offset);
			if (v >= 2)
				ed_kput_i64(b, res.log_append_time);
			if (v >= 5)
				ed_kput_i64(b, res.log_start_offset);
			if (v >= 8) {
				ed_kput_i32(b, 0); /* record errors */
				ed_kput_str(b, res.kerr ? res.msg : NULL);
			}
		}
		ed_topic_unref(topic);
	}
	if (v >= 1)
		ed_kput_i32(b, 0); /* throttle */
	ed_kresp_end(b, start);
	if (m->acks == 0)
		req->no_response = true;
	if (syncing)
		ed_kreq_sync_end(req); /* done when every partition synced */
	else
		ed_kreq_done(req);
}

/* ---- Fetch ---- */

/* Build the fetch response into req->resp. Returns the record bytes included;
 * *any_error is set when a partition answered with an error (which, as in
 * Kafka, ends the long poll at once). */
static size_t fetch_build(struct ed_kreq *req, bool *any_error, int64_t *seen)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_fetch *m = &req->msg.u.fetch;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	size_t bytes = 0;
	int64_t budget = m->max_bytes > 0 ? m->max_bytes : 0;
	*any_error = false;
	ed_buf_reset(b);
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 1)
		ed_kput_i32(b, 0); /* throttle */
	if (v >= 7) {
		ed_kput_i16(b, ED_KERR_NONE);
		ed_kput_i32(b, 0); /* no fetch session: clients send full requests */
	}
	ed_kput_i32(b, m->ntopics);
	size_t np = 0;
	for (int32_t i = 0; i < m->ntopics; i++) {
		struct ed_kfetch_topic *t = &m->topics[i];
		struct ed_topic *topic = ed_log_topic_get(k->log, t->name);
		ed_kput_str(b, t->name);
		ed_kput_i32(b, t->nparts);
		for (int32_t j = 0; j < t->nparts; j++) {
			struct ed_kfetch_part *fp = &t->parts[j];
			struct ed_partition *part = topic ? ed_topic_partition(topic, fp->partition)
							  : NULL;
			int16_t kerr = part ? ED_KERR_NONE : ED_KERR_UNKNOWN_TOPIC_OR_PARTITION;
			int64_t hwm = part ? ed_partition_hwm(part) : -1;
			if (seen)
				seen[np++] = hwm;
			int64_t lso = part ? ed_partition_start_offset(part) : -1;
			if (part && (fp->fetch_offset < lso || fp->fetch_offset > hwm))
				kerr = ED_KERR_OFFSET_OUT_OF_RANGE;
			ed_kput_i32(b, fp->partition);
			size_t err_pos = b->len;
			ed_kput_i16(b, kerr);
			ed_kput_i64(b, hwm);
			if (v >= 4)
				ed_kput_i64(b, hwm); /* last stable offset: no transactions */
			if (v >= 5)
				ed_kput_i64(b, lso);
			if (v >= 4)
				ed_kput_i32(b, 0); /* aborted transactions: none */
			if (v >= 11)
				ed_kput_i32(b, -1); /* preferred read replica */
			size_t len_pos = b->len;
			ed_kput_i32(b, 0);
			if (kerr != ED_KERR_NONE) {
				*any_error = true;
				continue;
			}
			if (fp->fetch_offset >= hwm || fp->max_bytes <= 0 ||
			    (budget <= 0 && bytes > 0))
				continue;
			size_t max = (size_t)fp->max_bytes;
			if (bytes > 0 && (int64_t)max > budget)
				max = (size_t)budget;
			size_t before = b->len;
			int rc = ed_partition_read(part, fp->fetch_offset, max, b);
			if (rc < 0) {
				/* Retention moved the start under us: answer out of range. */
				b->len = before;
				if (!b->err) {
					b->data[err_pos] = 0;
					b->data[err_pos + 1] = ED_KERR_OFFSET_OUT_OF_RANGE;
				}
				*any_error = true;
				continue;
			}
			size_t got = b->len - before;
			ed_buf_patch_be32(b, len_pos, (uint32_t)got);
			bytes += got;
			budget -= (int64_t)got;
		}
		ed_topic_unref(topic);
	}
	ed_kresp_end(b, start);
	return bytes;
}

/* A parked fetch's wait: one watcher per partition asked for, holding its
 * topic, and the max-wait timer. Loop thread, except `fired`, wake_next and
 * the watchers' callback (appending threads).
 *
 * Life: made by fetch_park; released (watchers off, topics unref'd, req
 * NULL) by ed_kafka_fetch_unparked whenever the fetch is unparked (woken,
 * expired, connection closed); freed in the timer's close callback. A wait
 * whose watcher fired sits on k->fwake_head until the loop drains it, so a
 * released wait that fired is closed by the drain (dead), not before. */
struct ed_kfetch_wait {
	struct ed_kafka *k;
	struct ed_kreq *req; /* NULL once released */
	uv_timer_t timer;
	atomic_bool fired;
	bool drained, dead;
	struct ed_kfetch_wait *wake_next;
	struct ed_topic **topics;
	int32_t ntopics, nw;
	struct ed_watcher w[];
};

/* Appending thread, under the partition's watcher lock: queue the wait for
 * the loop once. */
static void fetch_on_hwm(struct ed_watcher *w)
{
	struct ed_kfetch_wait *fw = w->arg;
	if (atomic_exchange(&fw->fired, true))
		return;
	struct ed_kafka *k = fw->k;
	struct ed_kfetch_wait *head = atomic_load(&k->fwake_head);
	do
		fw->wake_next = head;
	while (!atomic_compare_exchange_weak(&k->fwake_head, &head, fw));
	ed_net_loopq_post(k->loopq, &k->fwake_task);
}

static void fetch_wait_closed(uv_handle_t *h)
{
	struct ed_kfetch_wait *fw = h->data;
	ed_free(fw->topics);
	ed_free(fw);
}

static void fetch_on_timer(uv_timer_t *t)
{
	struct ed_kfetch_wait *fw = t->data;
	struct ed_kreq *req = fw->req;
	if (!req)
		return;
	ed_kreq_unpark(req); /* releases fw */
	ed_kafka_fetch_retry(req, true);
}

void ed_kafka_fetch_unparked(struct ed_kreq *req)
{
	struct ed_kfetch_wait *fw = req->park_ctx;
	if (!fw)
		return; /* parked without a wait (out of memory): the park timer */
	req->park_ctx = NULL;
	for (int32_t i = 0; i < fw->nw; i++)
		ed_partition_unwatch(&fw->w[i]);
	/* No callback runs from here on: fired is final. */
	for (int32_t i = 0; i < fw->ntopics; i++)
		ed_topic_unref(fw->topics[i]);
	fw->ntopics = 0;
	fw->req = NULL;
	uv_timer_stop(&fw->timer);
	if (atomic_load(&fw->fired) && !fw->drained)
		fw->dead = true; /* on the wake list: the drain closes it */
	else
		uv_close((uv_handle_t *)&fw->timer, fetch_wait_closed);
}

void ed_kafka_fetch_wakeups_task(struct ed_net_task *t)
{
	ed_kafka_fetch_wakeups(ed_net_container(t, struct ed_kafka, fwake_task));
}

void ed_kafka_fetch_wakeups(struct ed_kafka *k)
{
	struct ed_kfetch_wait *list = atomic_exchange(&k->fwake_head, NULL);
	while (list) {
		struct ed_kfetch_wait *fw = list;
		list = fw->wake_next;
		fw->drained = true;
		if (!fw->req) { /* released while queued */
			uv_close((uv_handle_t *)&fw->timer, fetch_wait_closed);
			continue;
		}
		struct ed_kreq *req = fw->req;
		ed_kreq_unpark(req); /* releases fw */
		ed_kafka_fetch_retry(req, false);
	}
}

/* Park req until one of its partitions passes the hwm fetch_build saw
 * (seen[], in request order) or its deadline. */
static void fetch_park(struct ed_kreq *req, const int64_t *seen, size_t nseen)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_fetch *m = &req->msg.u.fetch;
	struct ed_kfetch_wait *fw = ed_calloc(1, sizeof(*fw) + nseen * sizeof(struct ed_watcher));
	struct ed_topic **topics = ed_calloc((size_t)m->ntopics + 1, sizeof(*topics));
	if (!fw || !topics) {
		/* No watchers: answer at the deadline through the park timer. */
		ed_free(fw);
		ed_free(topics);
		ed_kreq_park(req, ED_KPARK_FETCH, req->fetch_deadline_ms, NULL);
		return;
	}
	fw->k = k;
	fw->req = req;
	fw->topics = topics;
	atomic_init(&fw->fired, false);
	uv_timer_init(k->loop, &fw->timer);
	fw->timer.data = fw;
	ed_kreq_park(req, ED_KPARK_FETCH, INT64_MAX, fw);
	size_t n = 0;
	for (int32_t i = 0; i < m->ntopics; i++) {
		struct ed_kfetch_topic *t = &m->topics[i];
		struct ed_topic *topic = ed_log_topic_get(k->log, t->name);
		if (topic)
			fw->topics[fw->ntopics++] = topic;
		for (int32_t j = 0; j < t->nparts; j++, n++) {
			struct ed_partition *part = topic ? ed_topic_partition(topic,
									       t->parts[j].partition)
							  : NULL;
			if (!part || n >= nseen)
				continue;
			struct ed_watcher *w = &fw->w[fw->nw++];
			w->fn = fetch_on_hwm;
			w->arg = fw;
			ed_partition_watch(part, w);
			/* Grown between the build and the watch: wake at once. */
			if (ed_partition_hwm(part) != seen[n])
				fetch_on_hwm(w);
		}
	}
	int64_t now = ed_mono_ms();
	uv_timer_start(&fw->timer, fetch_on_timer,
		       req->fetch_deadline_ms > now ? (uint64_t)(req->fetch_deadline_ms - now) : 0,
		       0);
}

static void fetch_answer_or_park(struct ed_kreq *req, bool expired, bool first)
{
	bool any_error;
	struct ed_kreq_fetch *m = &req->msg.u.fetch;
	size_t nseen = 0;
	for (int32_t i = 0; i < m->ntopics; i++)
		nseen += (size_t)(m->topics[i].nparts > 0 ? m->topics[i].nparts : 0);
	int64_t *seen = ed_malloc((nseen ? nseen : 1) * sizeof(int64_t));
	size_t bytes = fetch_build(req, &any_error, seen);
	if (expired || any_error || m->max_wait_ms <= 0 || (int64_t)bytes >= (int64_t)m->min_bytes ||
	    (bytes > 0 && m->min_bytes <= 0) || req->k->stopping) {
		ed_free(seen);
		ed_kreq_done(req);
		return;
	}
	ed_buf_reset(&req->resp);
	if (first)
		req->fetch_deadline_ms = ed_mono_ms() + m->max_wait_ms;
	if (seen)
		fetch_park(req, seen, nseen);
	else
		ed_kreq_park(req, ED_KPARK_FETCH, req->fetch_deadline_ms, NULL);
	ed_free(seen);
}

void ed_kafka_handle_fetch(struct ed_kreq *req)
{
	fetch_answer_or_park(req, false, true);
}

void ed_kafka_fetch_retry(struct ed_kreq *req, bool expired)
{
	fetch_answer_or_park(req, expired, false);
}

/* ---- ListOffsets ---- */

void ed_kafka_handle_list_offsets(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_list_offsets *m = &req->msg.u.list_offsets;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 2)
		ed_kput_i32(b, 0);
	ed_kput_i32(b, m->ntopics);
	for (int32_t i = 0; i < m->ntopics; i++) {
		struct ed_klo_topic *t = &m->topics[i];
		struct ed_topic *topic = ed_log_topic_get(k->log, t->name);
		ed_kput_str(b, t->name);
		ed_kput_i32(b, t->nparts);
		for (int32_t j = 0; j < t->nparts; j++) {
			struct ed_klo_part *lp = &t->parts[j];
			struct ed_partition *part = topic ? ed_topic_partition(topic, lp->index)
							  : NULL;
			int16_t kerr = part ? ED_KERR_NONE : ED_KERR_UNKNOWN_TOPIC_OR_PARTITION;
			int64_t offset = -1, ts = -1;
			if (part) {
				if (lp->timestamp == -1) {
					offset = ed_partition_hwm(part);
				} else if (lp->timestamp == -2) {
					offset = ed_partition_start_offset(part);
				} else {
					int rc = ed_partition_lookup_time(part, lp->timestamp,
									  &offset, &ts);
					if (rc < 0) {
						offset = -1; /* no record at or after ts */
						ts = -1;
					}
				}
			}
			ed_kput_i32(b, lp->index);
			ed_kput_i16(b, kerr);
			if (v == 0) {
				ed_kput_i32(b, offset >= 0 ? 1 : 0);
				if (offset >= 0)
					ed_kput_i64(b, offset);
			} else {
				ed_kput_i64(b, ts);
				ed_kput_i64(b, offset);
				if (v >= 4)
					ed_kput_i32(b, 0); /* leader epoch */
			}
		}
		ed_topic_unref(topic);
	}
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}
