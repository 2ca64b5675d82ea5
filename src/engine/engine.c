/* The streaming SQL engine (engine.h): sessions executing statements, the
 * catalog's runtime side, pipelines on worker threads, sources reading the
 * log with per-partition watermarks, materialized-view stores answering pull
 * queries, and sinks writing JSON to topics.
 *
 * Threads and locks (the exceptions to "each thread owns its data"):
 *  - eng->mu serialises sessions' statements against each other (catalog
 *    changes, pull-query binding). Never taken by workers.
 *  - worker->mu is held by its worker thread while it runs a round over its
 *    pipelines; a session takes it to add or remove a pipeline (it waits at
 *    most one round). Everything a pipeline owns (operators, state, reader
 *    offsets) is touched only under it.
 *  - view->lock (rwlock): the worker writes the view's store under it, pull
 *    queries read under it. Lock order: eng->mu, worker->mu, view->lock.
 * Pipelines that read a view run on the view's worker and receive its
 * changes synchronously, so a chain of views is one thread's work.
 *
 * Invariants:
 *  1. A source's combined watermark never decreases; it is the minimum over
 *     non-idle partitions of (max event time seen - delay); when every
 *     partition is idle it is the maximum of them.
 *  2. A record whose event time is below its partition's watermark or the
 *     combined one (as of the record before it) is late. The combined
 *     watermark passes a partition's only when idle partitions are skipped,
 *     so, idleness aside, lateness depends on each partition's own record
 *     order, not on how reads of partitions interleave: every pipeline of a
 *     source takes the same decision. A late record is never aggregated; it
 *     is counted and optionally written to the late-events topic (reason in
 *     header "eddy.reason") once per source record, by the first of the
 *     source's pipelines to reach it (claim_record). Undecodable records
 *     likewise (dead-letter topic).
 *  3. A statement that fails changes nothing: objects are added to the
 *     catalog, persisted and started only after binding and planning
 *     succeeded. */
#include "engine/engine.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "exec/decode.h"
#include "exec/expr.h"
#include "exec/op.h"
#include "exec/row.h"
#include "log/batch.h"
#include "log/log.h"
#include "log/wake.h"
#include "log/writer.h"
#include "plan/catalog.h"
#include "plan/plan.h"
#include "state/kv.h"

#define MAX_PULL_ROWS 1000000
/* How often an idle worker runs a round with no new data (idle partitions,
 * PROCTIME windows); new data wakes it at once through log watchers. */
#define ED_WORKER_TICK_MS 50

struct ed_pipe;

struct ed_worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct ed_log_wake wake; /* raised by appends to its pipelines' partitions */
	struct ed_pipe **pipes;
	size_t npipes, cap;
	uint64_t rounds;
	bool stop, started;
	struct ed_engine *eng;
};

/* A source's shared runtime: counters for SHOW SOURCES and metrics, and
 * per partition the next offset no pipeline has yet claimed. Every pipeline
 * reading the source reads every record, but only the first to reach a
 * record (claim_record) counts it and routes it to the late or dead-letter
 * topic, so counts and side outputs are once per source record. */
struct ed_source_rt {
	_Atomic int64_t records, late, bad;
	_Atomic int64_t late_routed, dead_lettered; /* written to the side topics */
	_Atomic int64_t watermark_us;
	_Atomic int64_t max_event_us; /* largest event time any pipeline accepted */
	_Atomic int64_t *claimed; /* [nclaimed], set by the first pipeline built */
	int32_t nclaimed;
};

struct sub {
	uint64_t id;
	ed_change_fn fn;
	void *arg;
};

/* A view's store: the terminal operator of its pipeline. */
struct ed_view_rt {
	struct ed_operator op;
	pthread_rwlock_t lock;
	struct ed_kv kv; /* key -> [int64 count][row] */
	const struct ed_catalog_obj *obj;
	struct ed_buf kb, vb;
	struct ed_pipe **consumers;
	size_t nconsumers;
	struct sub *subs;
	size_t nsubs;
	struct ed_pipe *pipe;
	_Atomic int64_t rows;
	_Atomic int64_t bytes; /* store key + value bytes */
};

/* A sink: one JSON object per row, written by the log's writer
 * (log/writer.h). The record key is the key columns (the view's or query's
 * group key) as a JSON object, placed by Kafka's default partitioner, so
 * every change of one key lands in one partition, in order, where a Kafka
 * client would put it; rows without a key go round robin. One batch per
 * partition per chunk. */
struct ed_sink_rt {
	struct ed_operator op;
	struct ed_topic *topic;
	struct ed_log_writer w;
	struct ed_buf line, key;
	const struct ed_schema *schema;
	uint32_t nkey;
	const uint32_t *keycols;
	bool changelog;
	struct ed_engine *eng;
};

struct part_state {
	int64_t next;
	int64_t max_ts;
	int64_t last_active_ms;
	bool seen;
};

struct ed_pipe {
	struct ed_engine *eng;
	struct ed_catalog_obj *obj;
	struct ed_worker *worker;
	struct ed_pipe_stats stats;
	/* source input */
	struct ed_catalog_obj *src;
	struct ed_source_rt *srt;
	struct ed_topic *topic;
	int32_t nparts;
	struct part_state *parts;
	struct ed_log_watchset *watch; /* raises worker->wake while the pipeline runs */
	struct ed_decoder dec;
	struct ed_chunk chunk;
	struct ed_buf rbuf;
	struct ed_topic *late_topic, *dlq_topic;
	struct ed_buf csv_header;  /* csv.header: the column names line to skip */
	struct ed_batch_builder side;
	int64_t wm;
	int64_t idle_ms;
	/* view input */
	struct ed_view_rt *upstream;
	/* operators */
	struct ed_operator *head, *tail, *term;
	struct ed_view_rt *view;
	struct ed_sink_rt *sink;
	struct ed_arena arena;
};

struct ed_engine {
	struct ed_log *log;
	struct ed_engine_options opts;
	pthread_mutex_t mu;
	struct ed_catalog cat;
	struct ed_worker *workers;
	int nworkers;
	int next_worker;
	uint64_t next_sub;
	bool loading;
};

struct ed_session {
	struct ed_engine *eng;
	struct ed_arena arena;
};

static int64_t now_ms(struct ed_engine *eng)
{
	return eng->opts.clock_ms ? eng->opts.clock_ms(eng->opts.clock_arg) : ed_mono_ms();
}

/* Processing time (PROCTIME() windows), in us since the epoch: the injected
 * clock when there is one, else the wall clock. */
static int64_t proc_time_us(struct ed_engine *eng)
{
	return (eng->opts.clock_ms ? eng->opts.clock_ms(eng->opts.clock_arg) : ed_wall_ms()) * 1000;
}

void ed_engine_options_defaults(struct ed_engine_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->workers = 2;
	opts->idle_timeout_ms = 5000;
	opts->read_bytes = 1u << 20;
}

static void source_rt_free(struct ed_source_rt *s)
{
	if (!s)
		return;
	ed_free(s->claimed);
	ed_free(s);
}

/* True for the first pipeline to reach offset off of partition part (see
 * struct ed_source_rt). Partitions added after the first pipeline was
 * built are not deduplicated. */
static bool claim_record(struct ed_source_rt *s, int32_t part, int64_t off)
{
	if (part >= s->nclaimed)
		return true;
	int64_t cur = atomic_load(&s->claimed[part]);
	while (off >= cur)
		if (atomic_compare_exchange_weak(&s->claimed[part], &cur, off + 1))
			return true;
	return false;
}

/* The source's watermark shown to users is the highest any of its
 * pipelines has reached (they agree but for timing). */
static void source_wm_raise(struct ed_source_rt *s, int64_t wm)
{
	int64_t cur = atomic_load(&s->watermark_us);
	while (wm > cur && !atomic_compare_exchange_weak(&s->watermark_us, &cur, wm))
		;
}

/* ---- topics ------------------------------------------------------------------------- */

static struct ed_topic *topic_open(struct ed_engine *eng, const char *name, int32_t partitions, char *err,
				   size_t errlen)
{
	struct ed_topic *t = ed_log_topic_get(eng->log, name);
	if (t)
		return t;
	struct ed_topic_config cfg;
	ed_topic_config_defaults(&cfg);
	cfg.partitions = partitions > 0 ? partitions : 1;
	int rc = ed_log_topic_create(eng->log, name, &cfg, err, errlen);
	if (rc && rc != ED_EEXIST)
		return NULL;
	return ed_log_topic_get(eng->log, name);
}

/* Append one batch to a topic partition. */
static int append_batch(struct ed_topic *t, int32_t part, struct ed_batch_builder *bb)
{
	uint8_t *b;
	size_t n;
	int rc = ed_batch_builder_finish(bb, &b, &n);
	if (rc == 0) {
		struct ed_partition *p = ed_topic_partition(t, part);
		struct ed_append_result res;
		char err[128];
		rc = p ? ed_partition_append(p, b, n, &res, err, sizeof(err)) : ED_ENOENT;
	}
	ed_batch_builder_reset(bb);
	return rc;
}

/* Write rec to side topic t (none: nothing) with its reason; counts it in
 * *routed when the append succeeded. */
static void side_output(struct ed_pipe *p, struct ed_topic *t, const struct ed_record *rec, const char *reason,
			_Atomic int64_t *routed)
{
	if (!t)
		return;
	struct ed_header h = {(const uint8_t *)"eddy.reason", 11, (const uint8_t *)reason, (int32_t)strlen(reason)};
	if (ed_batch_builder_add(&p->side, rec->timestamp, rec->key, rec->key_len, rec->value, rec->value_len, &h, 1) == 0) {
		if (append_batch(t, 0, &p->side) == 0)
			atomic_fetch_add(routed, 1);
	} else
		ed_batch_builder_reset(&p->side);
}

/* ---- view store ------------------------------------------------------------------------ */

static void pipe_feed(struct ed_pipe *p, const struct ed_chunk *c);
static int pipe_watermark(struct ed_pipe *p, int64_t wm);

/* Apply a chunk of changes to a row store: kv maps the key columns (all
 * columns when nkey == 0, a multiset) to [int64 count][row]. *rows follows
 * the number of entries. 0 or ED_ENOMEM. */
static int store_apply(struct ed_kv *kv, struct ed_buf *kb, struct ed_buf *vb, uint32_t nkey, const uint32_t *key,
		       const struct ed_chunk *in, _Atomic int64_t *rows)
{
	int rc = 0;
	for (uint32_t i = 0; i < in->rows && rc == 0; i++) {
		ed_buf_reset(kb);
		ed_buf_reset(vb);
		if (nkey)
			ed_row_encode(kb, in, i, key, nkey);
		else
			ed_row_encode(kb, in, i, NULL, in->ncols);
		ed_row_encode(vb, in, i, NULL, in->ncols);
		if (kb->err || vb->err) {
			rc = ED_ENOMEM;
			break;
		}
		uint64_t h = ed_kv_hash(kb->data, kb->len);
		bool add = in->ops[i] == ED_OP_INSERT || in->ops[i] == ED_OP_UPDATE_AFTER;
		struct ed_kv_entry *e = ed_kv_find(kv, kb->data, (uint32_t)kb->len, h);
		if (!add) {
			if (e && (nkey || --*(int64_t *)ed_kv_value(e) <= 0)) {
				ed_kv_delete(kv, e);
				atomic_fetch_sub(rows, 1);
			}
			continue;
		}
		bool created;
		if ((rc = ed_kv_upsert(kv, kb->data, (uint32_t)kb->len, h, 8, &e, &created)))
			break;
		if (!created && !nkey) {
			++*(int64_t *)ed_kv_value(e);
			continue;
		}
		if ((rc = ed_kv_value_reserve(kv, &e, (uint32_t)(8 + vb->len))))
			break;
		memcpy(ed_kv_value(e) + 8, vb->data, vb->len);
		if (created) {
			*(int64_t *)ed_kv_value(e) = 1;
			atomic_fetch_add(rows, 1);
		}
	}
	return rc;
}

static int view_push(struct ed_operator *op, struct ed_chunk *in)
{
	struct ed_view_rt *v = (struct ed_view_rt *)op;
	const struct ed_catalog_obj *o = v->obj;
	pthread_rwlock_wrlock(&v->lock);
	int rc = store_apply(&v->kv, &v->kb, &v->vb, o->nkey, o->key, in, &v->rows);
	atomic_store(&v->bytes, (int64_t)v->kv.bytes);
	pthread_rwlock_unlock(&v->lock);
	atomic_fetch_add(&op->stats->rows_out, in->rows);
	for (size_t s = 0; s < v->nsubs; s++)
		v->subs[s].fn(v->subs[s].arg, in);
	for (size_t c = 0; c < v->nconsumers; c++)
		pipe_feed(v->consumers[c], in);
	return rc;
}

static int view_watermark(struct ed_operator *op, int64_t wm)
{
	struct ed_view_rt *v = (struct ed_view_rt *)op;
	for (size_t c = 0; c < v->nconsumers; c++)
		pipe_watermark(v->consumers[c], wm);
	return 0;
}

static void view_free(struct ed_operator *op)
{
	struct ed_view_rt *v = (struct ed_view_rt *)op;
	ed_kv_fini(&v->kv);
	ed_buf_fini(&v->kb);
	ed_buf_fini(&v->vb);
	ed_free(v->consumers);
	ed_free(v->subs);
	pthread_rwlock_destroy(&v->lock);
	ed_free(v);
}

/* ---- sink --------------------------------------------------------------------------------- */

static const char *op_name(uint8_t op)
{
	switch (op) {
	case ED_OP_DELETE: return "delete";
	case ED_OP_UPDATE_BEFORE: return "update_before";
	case ED_OP_UPDATE_AFTER: return "update_after";
	default: return "insert";
	}
}

static int sink_push(struct ed_operator *op, struct ed_chunk *in)
{
	struct ed_sink_rt *s = (struct ed_sink_rt *)op;
	int rc = 0;
	char err[128];
	int64_t ts = ed_wall_ms();
	for (uint32_t i = 0; i < in->rows && rc == 0; i++) {
		ed_buf_reset(&s->line);
		ed_buf_reset(&s->key);
		ed_buf_put_u8(&s->line, '{');
		for (uint32_t c = 0; c < in->ncols; c++) {
			struct ed_value v;
			ed_row_get(&in->cols[c], i, &v);
			if (c)
				ed_buf_put_u8(&s->line, ',');
			ed_out_json_string(&s->line, s->schema->names[c], strlen(s->schema->names[c]));
			ed_buf_put_u8(&s->line, ':');
			ed_out_json_value(&s->line, &v);
		}
		if (s->changelog)
			ed_buf_printf(&s->line, ",\"op\":\"%s\"", op_name(in->ops[i]));
		ed_buf_put_u8(&s->line, '}');
		if (s->nkey) {
			ed_buf_put_u8(&s->key, '{');
			for (uint32_t k = 0; k < s->nkey; k++) {
				struct ed_value v;
				uint32_t c = s->keycols[k];
				ed_row_get(&in->cols[c], i, &v);
				if (k)
					ed_buf_put_u8(&s->key, ',');
				ed_out_json_string(&s->key, s->schema->names[c], strlen(s->schema->names[c]));
				ed_buf_put_u8(&s->key, ':');
				ed_out_json_value(&s->key, &v);
			}
			ed_buf_put_u8(&s->key, '}');
		}
		if (s->line.err || s->key.err) {
			rc = ED_ENOMEM;
			break;
		}
		rc = ed_log_writer_add(&s->w, -1, ts, s->nkey ? s->key.data : NULL, s->nkey ? (int32_t)s->key.len : -1,
				       s->line.data, (int32_t)s->line.len, NULL, 0, NULL, err, sizeof(err));
	}
	int frc = ed_log_writer_flush(&s->w, err, sizeof(err));
	if (rc == 0)
		rc = frc;
	atomic_fetch_add(&op->stats->rows_out, in->rows);
	if (rc)
		snprintf(op->stats->last_error, sizeof(op->stats->last_error), "sink append: %s", ed_err_str(rc));
	return 0; /* a failing sink partition is reported, the pipeline goes on */
}

static void sink_free(struct ed_operator *op)
{
	struct ed_sink_rt *s = (struct ed_sink_rt *)op;
	ed_log_writer_fini(&s->w);
	ed_buf_fini(&s->line);
	ed_buf_fini(&s->key);
	if (s->topic)
		ed_topic_unref(s->topic);
	ed_free(s);
}

static int noop_watermark(struct ed_operator *op, int64_t wm)
{
	(void)op;
	(void)wm;
	return 0;
}

/* ---- pipelines ---------------------------------------------------------------------------- */

static void pipe_fail(struct ed_pipe *p, int rc)
{
	snprintf(p->stats.last_error, sizeof(p->stats.last_error), "pipeline error: %s", ed_err_str(rc));
	ed_warn("engine", "%s %s: %s", ed_obj_kind_name(p->obj->kind), p->obj->name, ed_err_str(rc));
}

static struct ed_operator *pipe_first(struct ed_pipe *p) { return p->head ? p->head : p->term; }

/* Changes from the upstream view (same worker thread). */
static void pipe_feed(struct ed_pipe *p, const struct ed_chunk *c)
{
	atomic_fetch_add(&p->stats.rows_in, c->rows);
	ed_chunk_reset(&p->chunk);
	for (uint32_t i = 0; i < c->rows; i++)
		ed_row_copy(&p->chunk, i, c, i);
	p->chunk.rows = c->rows;
	int rc = ed_op_push(pipe_first(p), &p->chunk);
	if (rc)
		pipe_fail(p, rc);
	ed_chunk_reset(&p->chunk);
}

static int pipe_watermark(struct ed_pipe *p, int64_t wm)
{
	if (wm <= p->wm)
		return 0;
	p->wm = wm;
	atomic_store(&p->stats.watermark_us, wm);
	return ed_op_watermark(pipe_first(p), wm);
}

static int64_t combined_wm(struct ed_pipe *p, int64_t now)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	bool any_active = false;
	int64_t delay = p->src->source.wm_delay_us;
	for (int32_t i = 0; i < p->nparts; i++) {
		struct part_state *ps = &p->parts[i];
		int64_t w = ps->seen ? ps->max_ts - delay : INT64_MIN;
		bool idle = now - ps->last_active_ms > p->idle_ms;
		if (ps->seen && w > hi)
			hi = w;
		if (!idle) {
			any_active = true;
			if (w < lo)
				lo = w;
		}
	}
	int64_t wm = any_active ? lo : hi;
	return wm > p->wm ? wm : p->wm;
}

static int flush_chunk(struct ed_pipe *p)
{
	if (!p->chunk.rows)
		return 0;
	int rc = ed_op_push(pipe_first(p), &p->chunk);
	ed_chunk_reset(&p->chunk);
	return rc;
}

/* One record into the pipeline's chunk. */
static int take_record(struct ed_pipe *p, int32_t part, struct part_state *ps, const struct ed_record *rec,
		       int64_t now, int64_t *cur_wm)
{
	char why[300];
	uint32_t r = p->chunk.rows;
	if (p->csv_header.len && rec->value_len >= 0) {
		size_t n = (size_t)rec->value_len;
		while (n && (rec->value[n - 1] == '\n' || rec->value[n - 1] == '\r'))
			n--;
		if (n == p->csv_header.len && memcmp(rec->value, p->csv_header.data, n) == 0)
			return 0; /* a header line: neither a row nor a bad record */
	}
	bool mine = claim_record(p->srt, part, rec->offset);
	atomic_fetch_add(&p->stats.rows_in, 1);
	if (mine)
		atomic_fetch_add(&p->srt->records, 1);
	if (ed_decode_record(&p->dec, rec->value, rec->value_len < 0 ? 0 : (size_t)rec->value_len, &p->chunk, r,
			     why, sizeof(why)) != 0) {
		atomic_fetch_add(&p->stats.bad_records, 1);
		snprintf(p->stats.last_error, sizeof(p->stats.last_error), "offset %lld: %.200s", (long long)rec->offset, why);
		if (mine) {
			atomic_fetch_add(&p->srt->bad, 1);
			side_output(p, p->dlq_topic, rec, why, &p->srt->dead_lettered);
		}
		return 0;
	}
	int32_t tc = p->src->source.time_col;
	if (tc >= 0) {
		if (p->chunk.cols[tc].nulls[r]) {
			atomic_fetch_add(&p->stats.bad_records, 1);
			if (mine) {
				atomic_fetch_add(&p->srt->bad, 1);
				side_output(p, p->dlq_topic, rec, "event time is NULL", &p->srt->dead_lettered);
			}
			return 0;
		}
		int64_t ts = ED_VEC(&p->chunk.cols[tc], int64_t)[r];
		int64_t limit = *cur_wm;
		if (ps->seen && ps->max_ts - p->src->source.wm_delay_us > limit)
			limit = ps->max_ts - p->src->source.wm_delay_us;
		if (ts < limit) {
			atomic_fetch_add(&p->stats.late, 1);
			if (mine) {
				atomic_fetch_add(&p->srt->late, 1);
				snprintf(why, sizeof(why), "late event: event time %lld us is behind the watermark %lld us",
					 (long long)ts, (long long)limit);
				side_output(p, p->late_topic, rec, why, &p->srt->late_routed);
			}
			return 0;
		}
		if (!ps->seen || ts > ps->max_ts) {
			ps->max_ts = ts;
			ps->seen = true;
			int64_t cur = atomic_load(&p->srt->max_event_us);
			while (ts > cur && !atomic_compare_exchange_weak(&p->srt->max_event_us, &cur, ts))
				;
			*cur_wm = combined_wm(p, now);
		}
	}
	p->chunk.ops[r] = ED_OP_INSERT;
	p->chunk.rows++;
	if (p->chunk.rows == p->chunk.cap)
		return flush_chunk(p);
	return 0;
}

/* Read what is new in every partition; returns true if anything was read. */
static bool pipe_step(struct ed_pipe *p)
{
	bool progress = false;
	int64_t now = now_ms(p->eng);
	int64_t cur_wm = combined_wm(p, now);
	bool proctime = p->obj->query && p->obj->query->win_proctime;
	/* Processing time: the clock is the watermark, sent before what is
	 * read now (stamped with it), so windows close as the clock passes
	 * their end, with or without input. */
	int rc = proctime ? pipe_watermark(p, proc_time_us(p->eng)) : 0;
	for (int32_t i = 0; i < p->nparts && rc == 0; i++) {
		struct part_state *ps = &p->parts[i];
		struct ed_partition *part = ed_topic_partition(p->topic, i);
		if (!part || ps->next >= ed_partition_hwm(part))
			continue;
		ed_buf_reset(&p->rbuf);
		rc = ed_partition_read(part, ps->next, p->eng->opts.read_bytes, &p->rbuf);
		if (rc == ED_ERANGE) {
			ps->next = ed_partition_start_offset(part);
			rc = 0;
			continue;
		}
		if (rc)
			break;
		progress = true;
		ps->last_active_ms = now;
		size_t off = 0;
		while (off + ED_BATCH_LOG_OVERHEAD <= p->rbuf.len && rc == 0) {
			struct ed_record_iter it;
			size_t left = p->rbuf.len - off;
			if (ed_record_iter_init(&it, p->rbuf.data + off, left, 0) != 0)
				break;
			int64_t last = ed_batch_last_offset(&it.bi);
			bool control = it.bi.attributes & ED_BATCH_ATTR_CONTROL;
			struct ed_record rec;
			while (!control && rc == 0 && ed_record_iter_next(&it, &rec) == 1)
				if (rec.offset >= ps->next)
					rc = take_record(p, i, ps, &rec, now, &cur_wm);
			off += (size_t)it.bi.size;
			ed_record_iter_fini(&it);
			if (last + 1 > ps->next)
				ps->next = last + 1;
		}
	}
	if (rc == 0)
		rc = flush_chunk(p);
	if (rc == 0 && p->src->source.time_col >= 0) {
		int64_t wm = combined_wm(p, now);
		source_wm_raise(p->srt, wm);
		if (!proctime)
			rc = pipe_watermark(p, wm);
	}
	if (rc)
		pipe_fail(p, rc);
	return progress;
}

static void *worker_main(void *arg)
{
	struct ed_worker *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		bool progress = false;
		for (size_t i = 0; i < w->npipes; i++)
			if (w->pipes[i]->topic)
				progress |= pipe_step(w->pipes[i]);
		w->rounds++;
		pthread_cond_broadcast(&w->cond);
		if (!progress && !w->stop) {
			/* Appends wake us (log watchers); the timeout only drives
			 * time-based work: idle partitions, PROCTIME windows. */
			pthread_mutex_unlock(&w->mu);
			ed_log_wake_wait(&w->wake, ED_WORKER_TICK_MS);
			pthread_mutex_lock(&w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void pipe_free(struct ed_pipe *p)
{
	if (!p)
		return;
	if (p->tail)
		p->tail->next = NULL; /* the terminal is freed on its own below */
	ed_log_watchset_free(p->watch);
	ed_op_free_chain(p->head);
	if (p->term)
		p->term->free(p->term);
	ed_decoder_fini(&p->dec);
	ed_chunk_fini(&p->chunk);
	ed_buf_fini(&p->rbuf);
	ed_buf_fini(&p->csv_header);
	ed_batch_builder_fini(&p->side);
	if (p->topic)
		ed_topic_unref(p->topic);
	if (p->late_topic)
		ed_topic_unref(p->late_topic);
	if (p->dlq_topic)
		ed_topic_unref(p->dlq_topic);
	ed_free(p->parts);
	ed_free(p);
}

/* Build the pipeline of a view or sink object (not yet running). */
static int pipe_build(struct ed_engine *eng, struct ed_catalog_obj *obj, struct ed_pipe **out, char *err,
		      size_t errlen)
{
	struct ed_pipe *p = ed_calloc(1, sizeof(*p));
	if (!p)
		return ED_ENOMEM;
	p->eng = eng;
	p->obj = obj;
	p->wm = INT64_MIN;
	atomic_store(&p->stats.watermark_us, INT64_MIN);
	ed_buf_init(&p->rbuf);
	ed_buf_init(&p->csv_header);
	ed_batch_builder_init(&p->side, ED_CODEC_NONE);
	struct ed_catalog_obj *in = obj->input;
	const struct ed_schema *out_schema = obj->query ? &obj->query->out : &in->schema;
	int rc = 0;
	if (obj->query && (rc = ed_ops_build(obj->query, &p->stats, &p->head, &p->tail, err, errlen)))
		goto fail;
	if (obj->kind == ED_OBJ_VIEW) {
		struct ed_view_rt *v = ed_calloc(1, sizeof(*v));
		if (!v) {
			rc = ED_ENOMEM;
			goto fail;
		}
		v->op = (struct ed_operator){"materialize", view_push, view_watermark, view_free, NULL, &p->stats};
		pthread_rwlock_init(&v->lock, NULL);
		ed_kv_init(&v->kv);
		ed_buf_init(&v->kb);
		ed_buf_init(&v->vb);
		v->obj = obj;
		v->pipe = p;
		p->view = v;
		p->term = &v->op;
	} else {
		struct ed_sink_rt *s = ed_calloc(1, sizeof(*s));
		if (!s) {
			rc = ED_ENOMEM;
			goto fail;
		}
		s->op = (struct ed_operator){"sink", sink_push, noop_watermark, sink_free, NULL, &p->stats};
		ed_buf_init(&s->line);
		ed_buf_init(&s->key);
		s->schema = out_schema;
		s->changelog = obj->query ? !obj->query->append_only : !in->append_only;
		s->nkey = obj->query ? obj->query->nkey : in->nkey;
		s->keycols = obj->query ? obj->query->key : in->key;
		p->sink = s;
		p->term = &s->op;
		if (!(s->topic = topic_open(eng, obj->sink.topic, obj->sink.partitions, err, errlen))) {
			rc = ED_EINVAL;
			goto fail;
		}
		if ((rc = ed_log_writer_init(&s->w, s->topic, ED_CODEC_NONE, 512u << 10, 0)))
			goto fail;
	}
	if (p->tail)
		p->tail->next = p->term;
	if (in->kind == ED_OBJ_SOURCE) {
		p->src = in;
		p->srt = in->rt;
		const struct ed_source_def *sd = &in->source;
		p->idle_ms = sd->idle_timeout_ms >= 0 ? sd->idle_timeout_ms : eng->opts.idle_timeout_ms;
		if (!(p->topic = topic_open(eng, sd->topic, sd->partitions, err, errlen))) {
			rc = ED_EINVAL;
			goto fail;
		}
		if (sd->late_topic && !(p->late_topic = topic_open(eng, sd->late_topic, 1, err, errlen))) {
			rc = ED_EINVAL;
			goto fail;
		}
		if (sd->dlq_topic && !(p->dlq_topic = topic_open(eng, sd->dlq_topic, 1, err, errlen))) {
			rc = ED_EINVAL;
			goto fail;
		}
		p->nparts = ed_topic_partition_count(p->topic);
		p->parts = ed_calloc((size_t)p->nparts, sizeof(*p->parts));
		if (!p->parts) {
			rc = ED_ENOMEM;
			goto fail;
		}
		if (!p->srt->claimed) {
			/* Before any pipeline of the source runs: no race. */
			p->srt->claimed = ed_calloc((size_t)p->nparts, sizeof(*p->srt->claimed));
			if (!p->srt->claimed) {
				rc = ED_ENOMEM;
				goto fail;
			}
			p->srt->nclaimed = p->nparts;
		}
		int64_t now = now_ms(eng);
		for (int32_t i = 0; i < p->nparts; i++) {
			struct ed_partition *part = ed_topic_partition(p->topic, i);
			p->parts[i].next = sd->startup == ED_STARTUP_LATEST ? ed_partition_hwm(part)
									    : ed_partition_start_offset(part);
			p->parts[i].last_active_ms = now;
		}
		ed_decoder_init(&p->dec, sd->format, &in->schema, sd->csv_delim);
		for (uint32_t c = 0; sd->format == ED_FORMAT_CSV && sd->csv_header && c < in->schema.n; c++) {
			if (c)
				ed_buf_put_u8(&p->csv_header, (uint8_t)sd->csv_delim);
			ed_buf_append(&p->csv_header, in->schema.names[c], strlen(in->schema.names[c]));
		}
		if (p->csv_header.err) {
			rc = ED_ENOMEM;
			goto fail;
		}
		if ((rc = ed_chunk_init(&p->chunk, in->schema.types, in->schema.n, ED_CHUNK_DEFAULT_ROWS)))
			goto fail;
	} else {
		p->upstream = in->rt ? ((struct ed_pipe *)in->rt)->view : NULL;
		if (!p->upstream) {
			rc = ED_EINVAL;
			snprintf(err, errlen, "view \"%s\" is not running", in->name);
			goto fail;
		}
		ed_decoder_init(&p->dec, ED_FORMAT_JSON, &in->schema, ',');
		if ((rc = ed_chunk_init(&p->chunk, in->schema.types, in->schema.n, ED_CHUNK_MAX_ROWS)))
			goto fail;
	}
	*out = p;
	return 0;
fail:
	pipe_free(p);
	if (!err[0])
		snprintf(err, errlen, "%s", ed_err_str(rc));
	return rc;
}

/* Start p on a worker (the upstream view's, for views over views). */
static int pipe_start(struct ed_engine *eng, struct ed_pipe *p)
{
	struct ed_worker *w;
	if (p->upstream)
		w = p->upstream->pipe->worker;
	else {
		w = &eng->workers[eng->next_worker];
		eng->next_worker = (eng->next_worker + 1) % eng->nworkers;
	}
	pthread_mutex_lock(&w->mu);
	int rc = 0;
	if (w->npipes == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		struct ed_pipe **n = ed_realloc(w->pipes, cap * sizeof(*n));
		if (!n)
			rc = ED_ENOMEM;
		else {
			w->pipes = n;
			w->cap = cap;
		}
	}
	if (rc == 0 && p->upstream) {
		struct ed_view_rt *u = p->upstream;
		struct ed_pipe **n = ed_realloc(u->consumers, (u->nconsumers + 1) * sizeof(*n));
		if (!n)
			rc = ED_ENOMEM;
		else {
			u->consumers = n;
			u->consumers[u->nconsumers++] = p;
			/* Backfill: the upstream's current rows as inserts. */
			size_t pos = 0;
			struct ed_kv_entry *e;
			ed_chunk_reset(&p->chunk);
			while ((e = ed_kv_next(&u->kv, &pos))) {
				int64_t cnt = *(int64_t *)ed_kv_value(e);
				for (int64_t k = 0; k < cnt; k++) {
					uint32_t r = p->chunk.rows;
					ed_row_decode(ed_kv_value(e) + 8, e->vlen - 8, &p->chunk, r, 0, p->chunk.ncols, NULL);
					p->chunk.ops[r] = ED_OP_INSERT;
					if (++p->chunk.rows == p->chunk.cap)
						flush_chunk(p);
				}
			}
			flush_chunk(p);
			if (u->pipe->wm > INT64_MIN)
				pipe_watermark(p, u->pipe->wm);
		}
	}
	if (rc == 0) {
		w->pipes[w->npipes++] = p;
		p->worker = w;
		if (p->topic)
			p->watch = ed_log_watchset_new(&w->wake, p->topic);
		pthread_cond_broadcast(&w->cond);
		ed_log_wake_raise(&w->wake);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static void pipe_stop(struct ed_pipe *p)
{
	struct ed_worker *w = p->worker;
	if (!w)
		return;
	ed_log_watchset_free(p->watch);
	p->watch = NULL;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->npipes; i++)
		if (w->pipes[i] == p) {
			memmove(&w->pipes[i], &w->pipes[i + 1], (w->npipes - i - 1) * sizeof(*w->pipes));
			w->npipes--;
			break;
		}
	if (p->upstream) {
		struct ed_view_rt *u = p->upstream;
		for (size_t i = 0; i < u->nconsumers; i++)
			if (u->consumers[i] == p) {
				memmove(&u->consumers[i], &u->consumers[i + 1], (u->nconsumers - i - 1) * sizeof(*u->consumers));
				u->nconsumers--;
				break;
			}
	}
	pthread_mutex_unlock(&w->mu);
	p->worker = NULL;
}

/* ---- results -------------------------------------------------------------------------------- */

static void res_init(struct ed_result *r)
{
	memset(r, 0, sizeof(*r));
	ed_arena_init(&r->arena, 0);
}

static int res_cols(struct ed_result *r, uint32_t n, const char *const *names, const struct ed_type *types)
{
	r->ncols = n;
	r->names = ed_arena_alloc(&r->arena, (n + 1) * sizeof(char *));
	r->types = ed_arena_alloc(&r->arena, (n + 1) * sizeof(struct ed_type));
	if (!r->names || !r->types)
		return ED_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		r->names[i] = names[i];
		r->types[i] = types ? types[i] : ed_type_make(ED_TYPE_TEXT);
	}
	return 0;
}

/* Grow the row array to hold one more row; returns its cells. */
static struct ed_value *res_row(struct ed_result *r, uint32_t *cap)
{
	if (r->nrows == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 16;
		struct ed_value *n = ed_arena_alloc(&r->arena, (size_t)nc * r->ncols * sizeof(*n) + 1);
		if (!n)
			return NULL;
		if (r->nrows)
			memcpy(n, r->rows, (size_t)r->nrows * r->ncols * sizeof(*n));
		r->rows = n;
		*cap = nc;
	}
	struct ed_value *row = &r->rows[(size_t)r->nrows++ * r->ncols];
	memset(row, 0, r->ncols * sizeof(*row));
	return row;
}

static void text_cell(struct ed_result *r, struct ed_value *cell, const char *s)
{
	cell->type = ed_type_make(ED_TYPE_TEXT);
	if (!s) {
		cell->null = true;
		return;
	}
	cell->v.s.ptr = ed_arena_strndup(&r->arena, s, strlen(s));
	cell->v.s.len = cell->v.s.ptr ? (uint32_t)strlen(s) : 0;
}

static void int_cell(struct ed_value *cell, int64_t v)
{
	cell->type = ed_type_make(ED_TYPE_INT64);
	cell->v.i = v;
}

/* ---- statements ------------------------------------------------------------------------------- */

struct exec {
	struct ed_session *s;
	const char *text;
	size_t len;
	struct ed_sql_error *err;
	struct ed_result *res;
};

static int xfail(struct exec *x, uint32_t loc, const char *state, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int xfail(struct exec *x, uint32_t loc, const char *state, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ed_sql_error_set(x->err, x->text, x->len, loc, state, "%s", msg);
	return ED_EINVAL;
}

static const char *canonical(struct ed_catalog_obj *o, const struct ed_sql_stmt *st)
{
	struct ed_buf b;
	ed_buf_init(&b);
	ed_sql_print_stmt(&b, st, 0);
	const char *s = b.err ? NULL : ed_arena_strndup(&o->arena, (const char *)b.data, b.len);
	ed_buf_fini(&b);
	return s;
}

static int save_catalog(struct exec *x)
{
	struct ed_engine *eng = x->s->eng;
	if (eng->loading)
		return 0;
	int rc = ed_catalog_save(&eng->cat);
	if (rc)
		xfail(x, UINT32_MAX, "58030", "could not write the catalog: %s", ed_err_str(rc));
	return rc;
}

static int exists_check(struct exec *x, const struct ed_sql_name *name, bool if_not_exists, bool *skip)
{
	*skip = false;
	if (name->n != 1)
		return xfail(x, name->loc, ED_SQLSTATE_NOT_SUPPORTED, "schema-qualified names are not supported");
	struct ed_catalog_obj *o = ed_catalog_find(&x->s->eng->cat, name->parts[0]);
	if (!o)
		return 0;
	if (if_not_exists) {
		*skip = true;
		return 0;
	}
	return xfail(x, name->loc, "42P07", "%s \"%s\" already exists", ed_obj_kind_name(o->kind), o->name);
}

static int create_source(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	bool skip;
	int rc = exists_check(x, &st->u.source.name, st->u.source.if_not_exists, &skip);
	if (rc || skip)
		goto tag;
	struct ed_catalog_obj *o = ed_catalog_obj_new(ED_OBJ_SOURCE);
	struct ed_source_rt *srt = ed_calloc(1, sizeof(*srt));
	if (!o || !srt) {
		ed_catalog_obj_free(o);
		ed_free(srt);
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	atomic_store(&srt->watermark_us, INT64_MIN);
	atomic_store(&srt->max_event_us, INT64_MIN);
	if ((rc = ed_bind_source(&o->arena, st, x->text, x->len, &o->schema, &o->source, x->err)))
		goto fail;
	char terr[256] = "";
	if (ed_topic_name_validate(o->source.topic, terr, sizeof(terr)) != 0) {
		rc = xfail(x, st->loc, "22023", "topic: %s", terr);
		goto fail;
	}
	o->name = ed_arena_strndup(&o->arena, st->u.source.name.parts[0], strlen(st->u.source.name.parts[0]));
	o->sql = canonical(o, st);
	o->append_only = true;
	o->rt = srt;
	if (!o->name || !o->sql) {
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	ed_catalog_add(&eng->cat, o);
	if ((rc = save_catalog(x))) {
		ed_catalog_remove(&eng->cat, o);
		goto fail;
	}
tag:
	if (rc == 0)
		snprintf(x->res->tag, sizeof(x->res->tag), "CREATE SOURCE");
	return rc;
fail:
	ed_free(srt);
	ed_catalog_obj_free(o);
	return rc;
}

/* CREATE MATERIALIZED VIEW and CREATE SINK. */
static int create_pipeline(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	bool is_view = st->kind == ED_SQL_S_CREATE_VIEW;
	const struct ed_sql_name *name = is_view ? &st->u.view.name : &st->u.sink.name;
	bool ine = is_view ? st->u.view.if_not_exists : st->u.sink.if_not_exists;
	const struct ed_sql_select *sel = is_view ? st->u.view.query : st->u.sink.query;
	const char *tag = is_view ? "CREATE MATERIALIZED VIEW" : "CREATE SINK";
	bool skip;
	int rc = exists_check(x, name, ine, &skip);
	if (rc)
		return rc;
	if (skip) {
		snprintf(x->res->tag, sizeof(x->res->tag), "%s", tag);
		return 0;
	}
	struct ed_catalog_obj *o = ed_catalog_obj_new(is_view ? ED_OBJ_VIEW : ED_OBJ_SINK);
	struct ed_pipe *p = NULL;
	if (!o)
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (!is_view && (rc = ed_bind_sink_options(&o->arena, st->u.sink.options, st->u.sink.noptions, x->text,
						   x->len, &o->sink, x->err)))
		goto fail;
	if (sel) {
		struct ed_query *q = ed_arena_alloc(&o->arena, sizeof(*q));
		if (!q) {
			rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
			goto fail;
		}
		if ((rc = ed_bind_query(&o->arena, &eng->cat, sel, x->text, x->len, q, x->err)))
			goto fail;
		o->query = q;
		o->input = q->input;
		o->schema = q->out;
		o->nkey = q->nkey;
		o->key = q->key;
		o->append_only = q->append_only;
	} else {
		const struct ed_sql_name *from = &st->u.sink.from;
		struct ed_catalog_obj *in = from->n == 1 ? ed_catalog_find(&eng->cat, from->parts[0]) : NULL;
		if (!in) {
			rc = xfail(x, from->loc, "42P01", "relation \"%s\" does not exist", from->parts[from->n - 1]);
			goto fail;
		}
		if (in->kind != ED_OBJ_VIEW) {
			rc = xfail(x, from->loc, "42809", "CREATE SINK ... FROM reads a materialized view; \"%s\" is a %s (use AS SELECT * FROM %s)",
				   in->name, ed_obj_kind_name(in->kind), in->name);
			goto fail;
		}
		o->input = in;
		o->schema = in->schema;
		o->append_only = in->append_only;
	}
	if (!o->query && o->kind == ED_OBJ_SINK && o->input->kind == ED_OBJ_SOURCE) {
		rc = xfail(x, st->loc, ED_SQLSTATE_NOT_SUPPORTED, "sink without a query");
		goto fail;
	}
	if (!is_view) {
		char terr[256] = "";
		if (ed_topic_name_validate(o->sink.topic, terr, sizeof(terr)) != 0) {
			rc = xfail(x, st->loc, "22023", "topic: %s", terr);
			goto fail;
		}
	}
	o->name = ed_arena_strndup(&o->arena, name->parts[0], strlen(name->parts[0]));
	o->sql = canonical(o, st);
	if (!o->name || !o->sql) {
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	char perr[256] = "";
	if ((rc = pipe_build(eng, o, &p, perr, sizeof(perr)))) {
		rc = xfail(x, st->loc, rc == ED_ENOMEM ? ED_SQLSTATE_OUT_OF_MEMORY : "58030", "%s", perr);
		goto fail;
	}
	o->rt = p;
	ed_catalog_add(&eng->cat, o);
	if ((rc = save_catalog(x))) {
		ed_catalog_remove(&eng->cat, o);
		goto fail;
	}
	if ((rc = pipe_start(eng, p))) {
		ed_catalog_remove(&eng->cat, o);
		save_catalog(x);
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	snprintf(x->res->tag, sizeof(x->res->tag), "%s", tag);
	return 0;
fail:
	pipe_free(p);
	ed_catalog_obj_free(o);
	return rc;
}

static int drop_object(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	static const char *const tags[] = {"", "DROP SOURCE", "DROP MATERIALIZED VIEW", "DROP SINK", "DROP TOPIC"};
	enum ed_sql_object_kind kind = st->u.drop.object;
	const struct ed_sql_name *name = &st->u.drop.name;
	snprintf(x->res->tag, sizeof(x->res->tag), "%s", tags[kind]);
	if (kind == ED_SQL_OBJ_TOPIC)
		return xfail(x, st->loc, ED_SQLSTATE_NOT_SUPPORTED, "DROP TOPIC is done through the Kafka API or the CLI");
	struct ed_catalog_obj *o = name->n == 1 ? ed_catalog_find(&eng->cat, name->parts[0]) : NULL;
	enum ed_obj_kind want = kind == ED_SQL_OBJ_SOURCE ? ED_OBJ_SOURCE : kind == ED_SQL_OBJ_VIEW ? ED_OBJ_VIEW : ED_OBJ_SINK;
	if (!o || o->kind != want) {
		if (!o && st->u.drop.if_exists)
			return 0;
		if (o)
			return xfail(x, name->loc, "42809", "\"%s\" is a %s, not a %s", o->name, ed_obj_kind_name(o->kind),
				     ed_obj_kind_name(want));
		return xfail(x, name->loc, "42704", "%s \"%s\" does not exist", ed_obj_kind_name(want),
			     name->parts[name->n - 1]);
	}
	struct ed_catalog_obj *dep = ed_catalog_dependent(&eng->cat, o);
	if (dep)
		return xfail(x, name->loc, "2BP01", "cannot drop %s \"%s\": %s \"%s\" depends on it", ed_obj_kind_name(o->kind),
			     o->name, ed_obj_kind_name(dep->kind), dep->name);
	ed_catalog_remove(&eng->cat, o);
	int rc = save_catalog(x);
	if (rc) {
		ed_catalog_add(&eng->cat, o);
		return rc;
	}
	if (o->kind == ED_OBJ_SOURCE)
		source_rt_free(o->rt);
	else {
		pipe_stop(o->rt);
		pipe_free(o->rt);
	}
	ed_catalog_obj_free(o);
	return 0;
}

static int show_objects(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	struct ed_result *r = x->res;
	uint32_t cap = 0;
	enum ed_sql_object_kind k = st->u.show_objects.object;
	if (k == ED_SQL_OBJ_TOPIC) {
		static const char *const names[] = {"name", "partitions"};
		static const struct ed_type types[] = {{ED_TYPE_TEXT, 0, 0, -1}, {ED_TYPE_INT64, 0, 0, -1}};
		char **tn;
		size_t n;
		if (res_cols(r, 2, names, types) || ed_log_topic_names(eng->log, &tn, &n))
			return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		for (size_t i = 0; i < n; i++) {
			struct ed_value *row = res_row(r, &cap);
			struct ed_topic *t = ed_log_topic_get(eng->log, tn[i]);
			if (!row)
				break;
			text_cell(r, &row[0], tn[i]);
			int_cell(&row[1], t ? ed_topic_partition_count(t) : 0);
			if (t)
				ed_topic_unref(t);
		}
		ed_log_names_free(tn, n);
	} else if (k == ED_SQL_OBJ_SOURCE) {
		static const char *const names[] = {"name", "topic", "format", "records", "late_records", "bad_records", "watermark"};
		static const struct ed_type types[] = {{ED_TYPE_TEXT, 0, 0, -1}, {ED_TYPE_TEXT, 0, 0, -1}, {ED_TYPE_TEXT, 0, 0, -1},
						       {ED_TYPE_INT64, 0, 0, -1}, {ED_TYPE_INT64, 0, 0, -1}, {ED_TYPE_INT64, 0, 0, -1},
						       {ED_TYPE_TIMESTAMP, 0, 0, -1}};
		if (res_cols(r, 7, names, types))
			return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		for (struct ed_catalog_obj *o = eng->cat.head; o; o = o->next) {
			if (o->kind != ED_OBJ_SOURCE)
				continue;
			struct ed_source_rt *srt = o->rt;
			struct ed_value *row = res_row(r, &cap);
			if (!row)
				break;
			text_cell(r, &row[0], o->name);
			text_cell(r, &row[1], o->source.topic);
			text_cell(r, &row[2], o->source.format == ED_FORMAT_CSV ? "csv" : "json");
			int_cell(&row[3], atomic_load(&srt->records));
			int_cell(&row[4], atomic_load(&srt->late));
			int_cell(&row[5], atomic_load(&srt->bad));
			int64_t wm = atomic_load(&srt->watermark_us);
			row[6].type = ed_type_make(ED_TYPE_TIMESTAMP);
			row[6].null = wm == INT64_MIN;
			row[6].v.i = wm;
		}
	} else {
		enum ed_obj_kind want = k == ED_SQL_OBJ_VIEW ? ED_OBJ_VIEW : ED_OBJ_SINK;
		static const char *const names[] = {"name", "input", "rows_out", "bad_rows", "last_error"};
		static const struct ed_type types[] = {{ED_TYPE_TEXT, 0, 0, -1}, {ED_TYPE_TEXT, 0, 0, -1}, {ED_TYPE_INT64, 0, 0, -1},
						       {ED_TYPE_INT64, 0, 0, -1}, {ED_TYPE_TEXT, 0, 0, -1}};
		if (res_cols(r, 5, names, types))
			return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		for (struct ed_catalog_obj *o = eng->cat.head; o; o = o->next) {
			if (o->kind != want)
				continue;
			struct ed_pipe *p = o->rt;
			struct ed_value *row = res_row(r, &cap);
			if (!row)
				break;
			text_cell(r, &row[0], o->name);
			text_cell(r, &row[1], o->input->name);
			int_cell(&row[2], atomic_load(&p->stats.rows_out));
			int_cell(&row[3], atomic_load(&p->stats.bad_rows));
			text_cell(r, &row[4], p->stats.last_error[0] ? p->stats.last_error : NULL);
		}
	}
	snprintf(r->tag, sizeof(r->tag), "SHOW");
	return 0;
}

static int describe(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	const struct ed_sql_name *name = &st->u.name;
	struct ed_catalog_obj *o = name->n == 1 ? ed_catalog_find(&eng->cat, name->parts[0]) : NULL;
	if (!o)
		return xfail(x, name->loc, "42P01", "relation \"%s\" does not exist", name->parts[name->n - 1]);
	static const char *const names[] = {"column", "type", "key"};
	static const struct ed_type types[] = {{ED_TYPE_TEXT, 0, 0, -1}, {ED_TYPE_TEXT, 0, 0, -1}, {ED_TYPE_BOOL, 0, 0, -1}};
	struct ed_result *r = x->res;
	uint32_t cap = 0;
	if (res_cols(r, 3, names, types))
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (uint32_t i = 0; i < o->schema.n; i++) {
		struct ed_value *row = res_row(r, &cap);
		char tn[64];
		if (!row)
			break;
		ed_type_format(&o->schema.types[i], tn, sizeof(tn));
		text_cell(r, &row[0], o->schema.names[i]);
		text_cell(r, &row[1], tn);
		row[2].type = ed_type_make(ED_TYPE_BOOL);
		for (uint32_t k = 0; k < o->nkey; k++)
			if (o->key[k] == i)
				row[2].v.b = true;
	}
	snprintf(r->tag, sizeof(r->tag), "DESCRIBE");
	return 0;
}

static int explain(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	const struct ed_sql_stmt *in = st->u.explain.stmt;
	struct ed_buf b;
	ed_buf_init(&b);
	struct ed_query q;
	int rc = 0;
	char term[300];
	if (in->kind == ED_SQL_S_CREATE_VIEW || (in->kind == ED_SQL_S_CREATE_SINK && in->u.sink.query)) {
		bool v = in->kind == ED_SQL_S_CREATE_VIEW;
		const struct ed_sql_select *sel = v ? in->u.view.query : in->u.sink.query;
		if ((rc = ed_bind_query(&x->s->arena, &eng->cat, sel, x->text, x->len, &q, x->err)))
			goto out;
		if (v)
			snprintf(term, sizeof(term), "Materialize %s (%s)", in->u.view.name.parts[0],
				 q.nkey ? "keyed by the group key" : "multiset of rows");
		else
			snprintf(term, sizeof(term), "Sink %s (json)", in->u.sink.name.parts[0]);
		ed_plan_explain(&q, term, &b);
	} else if (in->kind == ED_SQL_S_SELECT) {
		struct ed_pull pq;
		if ((rc = ed_bind_pull(&x->s->arena, &eng->cat, in->u.select, x->text, x->len, &pq, x->err)))
			goto out;
		if (pq.agg)
			ed_plan_explain(pq.agg, "Pull query (aggregated once over the view's rows)", &b);
		else
			ed_buf_printf(&b, "Pull query\n  -> %s %s\n", pq.lookup ? "Index lookup on the key of" : "Scan of",
				      pq.view ? pq.view->name : "(no table)");
	} else {
		rc = xfail(x, in->loc, ED_SQLSTATE_NOT_SUPPORTED, "EXPLAIN shows CREATE MATERIALIZED VIEW, CREATE SINK AS and SELECT");
		goto out;
	}
	static const char *const names[] = {"QUERY PLAN"};
	struct ed_result *r = x->res;
	uint32_t cap = 0;
	if (b.err || res_cols(r, 1, names, NULL)) {
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	ed_buf_put_u8(&b, 0);
	char *s = (char *)b.data;
	for (char *nl; s && *s; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = 0;
		struct ed_value *row = res_row(r, &cap);
		if (!row)
			break;
		text_cell(r, &row[0], s);
	}
	snprintf(r->tag, sizeof(r->tag), "EXPLAIN");
out:
	ed_buf_fini(&b);
	return rc;
}

/* ---- pull queries ---------------------------------------------------------------------------- */

struct sort_ctx {
	const struct ed_pull *q;
	uint32_t ncols; /* cells per stored row: out + order keys */
};

static _Thread_local const struct sort_ctx *sort_ctx;

static int row_cmp(const void *a, const void *b)
{
	const struct ed_value *x = a, *y = b;
	const struct ed_pull *q = sort_ctx->q;
	for (uint32_t k = 0; k < q->norder; k++) {
		const struct ed_value *u = &x[q->out.n + k], *v = &y[q->out.n + k];
		int c;
		if (u->null || v->null)
			c = u->null == v->null ? 0 : (u->null ? 1 : -1) * (q->nulls_first[k] != q->desc[k] ? -1 : 1);
		else
			c = ed_value_cmp(u, v);
		if (q->desc[k])
			c = -c;
		if (c)
			return c;
	}
	return 0;
}

static int pull_batch(struct exec *x, const struct ed_pull *q, struct ed_chunk *in, struct ed_chunk *out,
		      struct ed_value **rows, uint32_t *nrows, uint32_t *cap, uint32_t width)
{
	uint8_t sel[ED_CHUNK_MAX_ROWS];
	struct ed_expr_error xe = {.row = -1};
	if (q->where && ed_expr_filter(q->where, in, sel, &xe) != 0)
		return xfail(x, UINT32_MAX, xe.sqlstate[0] ? xe.sqlstate : "XX000", "%s", xe.message);
	if (!q->where)
		memset(sel, 1, in->rows);
	for (uint32_t k = 0; k < q->out.n + q->norder; k++) {
		struct ed_expr *e = k < q->out.n ? q->proj[k] : q->order[k - q->out.n];
		if (ed_expr_eval(e, in, sel, &out->cols[k], &out->arena, &xe) != 0)
			return xfail(x, UINT32_MAX, xe.sqlstate[0] ? xe.sqlstate : "XX000", "%s", xe.message);
	}
	for (uint32_t i = 0; i < in->rows; i++) {
		if (!sel[i])
			continue;
		if (*nrows == MAX_PULL_ROWS)
			return xfail(x, UINT32_MAX, "54000", "a pull query may return at most %u rows (add a WHERE or LIMIT)", MAX_PULL_ROWS);
		if (*nrows == *cap) {
			uint32_t nc = *cap ? *cap * 2 : 64;
			struct ed_value *n = ed_arena_alloc(&x->res->arena, (size_t)nc * width * sizeof(*n));
			if (!n)
				return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
			if (*nrows)
				memcpy(n, *rows, (size_t)*nrows * width * sizeof(*n));
			*rows = n;
			*cap = nc;
		}
		struct ed_value *row = *rows + (size_t)(*nrows)++ * width;
		for (uint32_t k = 0; k < width; k++) {
			ed_row_get(&out->cols[k], i, &row[k]);
			if (!row[k].null && row[k].type.id == ED_TYPE_TEXT) {
				char *c = ed_arena_memdup(&x->res->arena, row[k].v.s.ptr, row[k].v.s.len ? row[k].v.s.len : 1);
				if (!c)
					return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
				row[k].v.s.ptr = c;
			}
		}
	}
	ed_chunk_reset(in);
	ed_chunk_reset(out);
	return 0;
}

/* Every row of a store (with its multiplicity) through pull_batch. */
static int pull_scan(struct exec *x, const struct ed_pull *q, struct ed_kv *kv, struct ed_chunk *in,
		     struct ed_chunk *out, struct ed_value **rows, uint32_t *nrows, uint32_t *cap, uint32_t width)
{
	size_t pos = 0;
	struct ed_kv_entry *e;
	int rc = 0;
	while (rc == 0 && (e = ed_kv_next(kv, &pos))) {
		int64_t cnt = *(int64_t *)ed_kv_value(e);
		for (int64_t k = 0; k < cnt && rc == 0; k++) {
			uint32_t i = in->rows++;
			ed_row_decode(ed_kv_value(e) + 8, e->vlen - 8, in, i, 0, in->ncols, NULL);
			in->ops[i] = ED_OP_INSERT;
			if (in->rows == in->cap)
				rc = pull_batch(x, q, in, out, rows, nrows, cap, width);
		}
	}
	if (rc == 0 && in->rows)
		rc = pull_batch(x, q, in, out, rows, nrows, cap, width);
	return rc;
}

/* The terminal of an aggregating pull query: the aggregation's changes
 * applied to a private store. */
struct collect_op {
	struct ed_operator op;
	const struct ed_query *q;
	struct ed_kv kv;
	struct ed_buf kb, vb;
	_Atomic int64_t rows;
};

static int collect_push(struct ed_operator *op, struct ed_chunk *in)
{
	struct collect_op *c = (struct collect_op *)op;
	return store_apply(&c->kv, &c->kb, &c->vb, c->q->nkey, c->q->key, in, &c->rows);
}

/* The one row of an aggregation without GROUP BY over no rows (COUNT 0,
 * SUM NULL, ...), HAVING permitting, into row 0 of in. */
static int pull_empty_aggregate(struct exec *x, const struct ed_query *aq, struct ed_chunk *in)
{
	struct ed_chunk ac;
	struct ed_expr_error xe = {.row = -1};
	if (ed_chunk_init(&ac, aq->agg.types, aq->agg.n, 1))
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	int rc = 0;
	ac.rows = 1;
	ac.ops[0] = ED_OP_INSERT;
	for (uint32_t k = 0; k < aq->nagg && rc == 0; k++) {
		const struct ed_agg *ag = &aq->aggs[k].agg;
		void *st = ed_calloc(1, ag->state_size ? ag->state_size : 1);
		if (!st) {
			rc = ED_ENOMEM;
			break;
		}
		ag->init(ag, st);
		rc = ag->result(ag, st, &ac.cols[k], 0, &ac.arena, &xe);
		ag->fini(ag, st);
		ed_free(st);
	}
	uint8_t sel[1] = {1};
	if (rc == 0 && aq->having)
		rc = ed_expr_filter(aq->having, &ac, sel, &xe);
	for (uint32_t k = 0; k < aq->out.n && rc == 0 && sel[0]; k++)
		rc = ed_expr_eval(aq->proj[k], &ac, NULL, &in->cols[k], &in->arena, &xe);
	if (rc == 0 && sel[0]) {
		in->rows = 1;
		in->ops[0] = ED_OP_INSERT;
	}
	ed_chunk_fini(&ac);
	if (rc == ED_ENOMEM)
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (rc)
		return xfail(x, UINT32_MAX, xe.sqlstate[0] ? xe.sqlstate : "XX000", "%s", xe.message);
	return 0;
}

/* GROUP BY / aggregates / DISTINCT over a view: the bound aggregation's
 * operators run once over the view's rows (read under its lock) into a
 * private store, whose rows then go through ORDER BY / LIMIT. A row the
 * aggregation rejects (overflow) fails the query. */
static int pull_grouped(struct exec *x, const struct ed_pull *q, struct ed_view_rt *v, struct ed_chunk *in,
			struct ed_chunk *out, struct ed_value **rows, uint32_t *nrows, uint32_t *cap, uint32_t width)
{
	const struct ed_query *aq = q->agg;
	struct ed_pipe_stats stats;
	memset(&stats, 0, sizeof(stats));
	struct ed_operator *head = NULL, *tail = NULL;
	struct collect_op col;
	memset(&col, 0, sizeof(col));
	col.op = (struct ed_operator){"collect", collect_push, noop_watermark, NULL, NULL, &stats};
	col.q = aq;
	ed_kv_init(&col.kv);
	ed_buf_init(&col.kb);
	ed_buf_init(&col.vb);
	struct ed_chunk vin;
	bool vin_ok = false;
	char err[256] = "";
	int rc = ed_ops_build(aq, &stats, &head, &tail, err, sizeof(err));
	if (rc) {
		rc = xfail(x, UINT32_MAX, rc == ED_ENOMEM ? ED_SQLSTATE_OUT_OF_MEMORY : "XX000", "%s", err);
		goto out;
	}
	if (tail)
		tail->next = &col.op;
	struct ed_operator *first = head ? head : &col.op;
	if ((rc = ed_chunk_init(&vin, aq->in.types, aq->in.n, ED_CHUNK_MAX_ROWS))) {
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	vin_ok = true;
	pthread_rwlock_rdlock(&v->lock);
	size_t pos = 0;
	struct ed_kv_entry *e;
	while (rc == 0 && (e = ed_kv_next(&v->kv, &pos))) {
		int64_t cnt = *(int64_t *)ed_kv_value(e);
		for (int64_t k = 0; k < cnt && rc == 0; k++) {
			uint32_t i = vin.rows++;
			ed_row_decode(ed_kv_value(e) + 8, e->vlen - 8, &vin, i, 0, vin.ncols, &vin.arena);
			vin.ops[i] = ED_OP_INSERT;
			if (vin.rows == vin.cap) {
				rc = ed_op_push(first, &vin);
				ed_chunk_reset(&vin);
			}
		}
	}
	if (rc == 0)
		rc = ed_op_push(first, &vin);
	pthread_rwlock_unlock(&v->lock);
	if (rc) {
		rc = xfail(x, UINT32_MAX, rc == ED_ENOMEM ? ED_SQLSTATE_OUT_OF_MEMORY : "XX000", "aggregation: %s",
			   ed_err_str(rc));
		goto out;
	}
	if (atomic_load(&stats.bad_rows)) {
		const char *m = stats.last_error;
		char state[6] = "22000";
		if (strlen(m) > 7 && m[5] == ':') {
			memcpy(state, m, 5);
			m += 7;
		}
		rc = xfail(x, UINT32_MAX, state, "%s", m);
		goto out;
	}
	if (aq->ngroup == 0 && atomic_load(&col.rows) == 0)
		rc = pull_empty_aggregate(x, aq, in);
	if (rc == 0 && in->rows)
		rc = pull_batch(x, q, in, out, rows, nrows, cap, width);
	if (rc == 0)
		rc = pull_scan(x, q, &col.kv, in, out, rows, nrows, cap, width);
out:
	if (tail)
		tail->next = NULL;
	ed_op_free_chain(head);
	if (vin_ok)
		ed_chunk_fini(&vin);
	ed_kv_fini(&col.kv);
	ed_buf_fini(&col.kb);
	ed_buf_fini(&col.vb);
	return rc;
}

static int pull_query(struct exec *x, const struct ed_sql_select *sel)
{
	struct ed_engine *eng = x->s->eng;
	struct ed_pull q;
	int rc = ed_bind_pull(&x->s->arena, &eng->cat, sel, x->text, x->len, &q, x->err);
	if (rc)
		return rc;
	struct ed_result *r = x->res;
	uint32_t width = q.out.n + q.norder;
	struct ed_type *wtypes = ed_arena_alloc(&x->s->arena, (width + 1) * sizeof(*wtypes));
	if (!wtypes || res_cols(r, q.out.n, q.out.names, q.out.types))
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (uint32_t k = 0; k < width; k++)
		wtypes[k] = k < q.out.n ? q.out.types[k] : ed_expr_type(q.order[k - q.out.n]);
	struct ed_chunk in, out;
	bool in_ok = false, out_ok = false;
	struct ed_value *rows = NULL;
	uint32_t nrows = 0, cap = 0;
	if (!q.view) {
		/* SELECT without FROM: one row over no columns. */
		struct ed_type none = ed_type_make(ED_TYPE_INT32);
		if ((rc = ed_chunk_init(&in, &none, 1, 1)))
			goto oom;
		in_ok = true;
		in.rows = 1;
		in.cols[0].nulls[0] = 1;
		in.ops[0] = ED_OP_INSERT;
	} else {
		if ((rc = ed_chunk_init(&in, q.in.types, q.in.n, ED_CHUNK_MAX_ROWS)))
			goto oom;
		in_ok = true;
	}
	if ((rc = ed_chunk_init(&out, wtypes, width, ED_CHUNK_MAX_ROWS)))
		goto oom;
	out_ok = true;
	if (!q.view) {
		rc = pull_batch(x, &q, &in, &out, &rows, &nrows, &cap, width);
	} else if (q.agg) {
		rc = pull_grouped(x, &q, ((struct ed_pipe *)q.view->rt)->view, &in, &out, &rows, &nrows, &cap, width);
	} else {
		struct ed_pipe *p = q.view->rt;
		struct ed_view_rt *v = p->view;
		pthread_rwlock_rdlock(&v->lock);
		if (q.lookup) {
			struct ed_buf kb;
			ed_buf_init(&kb);
			ed_row_encode_values(&kb, q.lookup, q.view->nkey);
			struct ed_kv_entry *e = kb.err ? NULL : ed_kv_find(&v->kv, kb.data, (uint32_t)kb.len, ed_kv_hash(kb.data, kb.len));
			if (e) {
				ed_row_decode(ed_kv_value(e) + 8, e->vlen - 8, &in, 0, 0, in.ncols, &in.arena);
				in.ops[0] = ED_OP_INSERT;
				in.rows = 1;
				rc = pull_batch(x, &q, &in, &out, &rows, &nrows, &cap, width);
			}
			ed_buf_fini(&kb);
		} else {
			rc = pull_scan(x, &q, &v->kv, &in, &out, &rows, &nrows, &cap, width);
		}
		pthread_rwlock_unlock(&v->lock);
	}
	if (rc)
		goto done;
	if (q.norder && nrows > 1) {
		struct sort_ctx sc = {&q, width};
		sort_ctx = &sc;
		qsort(rows, nrows, width * sizeof(struct ed_value), row_cmp);
	}
	uint32_t first = q.offset < (int64_t)nrows ? (uint32_t)q.offset : nrows;
	uint32_t last = q.limit >= 0 && (int64_t)first + q.limit < (int64_t)nrows ? first + (uint32_t)q.limit : nrows;
	r->nrows = last - first;
	r->rows = ed_arena_alloc(&r->arena, ((size_t)r->nrows * q.out.n + 1) * sizeof(struct ed_value));
	if (!r->rows)
		goto oom;
	for (uint32_t i = 0; i < r->nrows; i++)
		memcpy(&r->rows[(size_t)i * q.out.n], &rows[(size_t)(first + i) * width], q.out.n * sizeof(struct ed_value));
	snprintf(r->tag, sizeof(r->tag), "SELECT %u", r->nrows);
	goto done;
oom:
	rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
done:
	if (in_ok)
		ed_chunk_fini(&in);
	if (out_ok)
		ed_chunk_fini(&out);
	return rc;
}

static int show_var(struct exec *x, const struct ed_sql_stmt *st)
{
	const char *name = st->u.name.parts[0];
	static const char *const vars[][2] = {
		{"server_version", "16.0 (eddy)"}, {"server_encoding", "UTF8"}, {"client_encoding", "UTF8"},
		{"timezone", "UTC"}, {"datestyle", "ISO, MDY"}, {"transaction_isolation", "read committed"},
		{"standard_conforming_strings", "on"}, {"integer_datetimes", "on"},
	};
	const char *val = NULL;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strcmp(vars[i][0], name) == 0)
			val = vars[i][1];
	if (!val)
		return xfail(x, st->u.name.loc, "42704", "unrecognized configuration parameter \"%s\"", name);
	const char *names[] = {name};
	uint32_t cap = 0;
	if (res_cols(x->res, 1, names, NULL))
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	struct ed_value *row = res_row(x->res, &cap);
	if (row)
		text_cell(x->res, &row[0], val);
	snprintf(x->res->tag, sizeof(x->res->tag), "SHOW");
	return 0;
}

static int exec_stmt(struct exec *x, const struct ed_sql_stmt *st)
{
	switch (st->kind) {
	case ED_SQL_S_CREATE_SOURCE: return create_source(x, st);
	case ED_SQL_S_CREATE_VIEW:
	case ED_SQL_S_CREATE_SINK: return create_pipeline(x, st);
	case ED_SQL_S_DROP: return drop_object(x, st);
	case ED_SQL_S_SHOW_OBJECTS: return show_objects(x, st);
	case ED_SQL_S_DESCRIBE: return describe(x, st);
	case ED_SQL_S_EXPLAIN: return explain(x, st);
	case ED_SQL_S_SELECT: return pull_query(x, st->u.select);
	case ED_SQL_S_SHOW_VAR: return show_var(x, st);
	case ED_SQL_S_SET: snprintf(x->res->tag, sizeof(x->res->tag), "SET"); return 0;
	case ED_SQL_S_BEGIN: snprintf(x->res->tag, sizeof(x->res->tag), "BEGIN"); return 0;
	case ED_SQL_S_COMMIT: snprintf(x->res->tag, sizeof(x->res->tag), "COMMIT"); return 0;
	case ED_SQL_S_ROLLBACK: snprintf(x->res->tag, sizeof(x->res->tag), "ROLLBACK"); return 0;
	case ED_SQL_S_SUBSCRIBE:
		return xfail(x, st->loc, ED_SQLSTATE_NOT_SUPPORTED, "SUBSCRIBE is served by the PostgreSQL front end (ed_engine_subscribe)");
	}
	return xfail(x, st->loc, ED_SQLSTATE_NOT_SUPPORTED, "statement not supported");
}

struct ed_session *ed_session_new(struct ed_engine *eng)
{
	struct ed_session *s = ed_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->eng = eng;
	ed_arena_init(&s->arena, 0);
	return s;
}

void ed_session_free(struct ed_session *s)
{
	if (!s)
		return;
	ed_arena_fini(&s->arena);
	ed_free(s);
}

int ed_session_execute(struct ed_session *s, const char *text, size_t len, ed_result_fn fn, void *arg,
		       struct ed_sql_error *err)
{
	struct ed_sql_stmt_list list;
	memset(err, 0, sizeof(*err));
	ed_arena_reset(&s->arena);
	int rc = ed_sql_parse(&s->arena, text, len, &list, err);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < list.n && rc == 0; i++) {
		struct ed_result res;
		res_init(&res);
		struct exec x = {s, text, len, err, &res};
		pthread_mutex_lock(&s->eng->mu);
		rc = exec_stmt(&x, list.v[i]);
		pthread_mutex_unlock(&s->eng->mu);
		if (rc == 0 && fn)
			rc = fn(arg, &res);
		ed_arena_fini(&res.arena);
	}
	return rc;
}

int ed_engine_run_file(struct ed_engine *eng, const char *path, struct ed_sql_error *err)
{
	char *text;
	size_t len;
	memset(err, 0, sizeof(*err));
	int rc = ed_io_read_file(path, ED_SQL_MAX_TEXT, &text, &len);
	if (rc) {
		snprintf(err->sqlstate, sizeof(err->sqlstate), "58030");
		snprintf(err->msg, sizeof(err->msg), "could not read %s: %s", path, ed_err_str(rc));
		return rc;
	}
	struct ed_session *s = ed_session_new(eng);
	rc = s ? ed_session_execute(s, text, len, NULL, NULL, err) : ED_ENOMEM;
	ed_session_free(s);
	ed_free(text);
	return rc;
}

/* ---- engine ------------------------------------------------------------------------------------ */

int ed_engine_open(struct ed_log *log, const struct ed_engine_options *opts, struct ed_engine **out,
		   char *err, size_t errlen)
{
	struct ed_engine *eng = ed_calloc(1, sizeof(*eng));
	if (!eng)
		return ED_ENOMEM;
	eng->log = log;
	if (opts)
		eng->opts = *opts;
	else
		ed_engine_options_defaults(&eng->opts);
	if (eng->opts.workers <= 0)
		eng->opts.workers = 2;
	if (eng->opts.read_bytes == 0)
		eng->opts.read_bytes = 1u << 20;
	if (eng->opts.idle_timeout_ms <= 0)
		eng->opts.idle_timeout_ms = 5000;
	pthread_mutex_init(&eng->mu, NULL);
	int rc;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/catalog", ed_log_dir(log));
	if ((rc = ed_catalog_init(&eng->cat, eng->opts.no_catalog ? NULL : dir)))
		goto fail;
	eng->nworkers = eng->opts.workers;
	eng->workers = ed_calloc((size_t)eng->nworkers, sizeof(*eng->workers));
	if (!eng->workers) {
		rc = ED_ENOMEM;
		goto fail;
	}
	for (int i = 0; i < eng->nworkers; i++) {
		struct ed_worker *w = &eng->workers[i];
		w->eng = eng;
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cond, NULL);
		ed_log_wake_init(&w->wake);
		if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
			rc = ED_ENOMEM;
			goto fail;
		}
		w->started = true;
	}
	char *text;
	size_t len;
	if ((rc = ed_catalog_load(&eng->cat, &text, &len))) {
		snprintf(err, errlen, "%s/catalog.sql: %s", dir, ed_err_str(rc));
		goto fail;
	}
	if (text) {
		struct ed_sql_error se;
		struct ed_session *s = ed_session_new(eng);
		eng->loading = true;
		rc = s ? ed_session_execute(s, text, len, NULL, NULL, &se) : ED_ENOMEM;
		eng->loading = false;
		ed_session_free(s);
		ed_free(text);
		if (rc) {
			snprintf(err, errlen, "%s/catalog.sql: %s %s", dir, se.sqlstate, se.msg);
			rc = ED_ECORRUPT;
			goto fail;
		}
	}
	*out = eng;
	return 0;
fail:
	if (err[0] == 0)
		snprintf(err, errlen, "engine: %s", ed_err_str(rc));
	ed_engine_close(eng);
	return rc;
}

void ed_engine_close(struct ed_engine *eng)
{
	if (!eng)
		return;
	for (int i = 0; eng->workers && i < eng->nworkers; i++) {
		struct ed_worker *w = &eng->workers[i];
		if (!w->started)
			continue;
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_broadcast(&w->cond);
		ed_log_wake_raise(&w->wake);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
	}
	/* Free dependents first: reverse creation order. */
	size_t n = 0;
	for (struct ed_catalog_obj *o = eng->cat.head; o; o = o->next)
		n++;
	struct ed_catalog_obj **v = ed_calloc(n + 1, sizeof(*v));
	size_t k = 0;
	for (struct ed_catalog_obj *o = eng->cat.head; o && v; o = o->next)
		v[k++] = o;
	while (v && k-- > 0) {
		if (v[k]->kind == ED_OBJ_SOURCE)
			source_rt_free(v[k]->rt);
		else
			pipe_free(v[k]->rt);
		v[k]->rt = NULL;
	}
	ed_free(v);
	ed_catalog_fini(&eng->cat);
	for (int i = 0; eng->workers && i < eng->nworkers; i++) {
		ed_free(eng->workers[i].pipes);
		pthread_mutex_destroy(&eng->workers[i].mu);
		pthread_cond_destroy(&eng->workers[i].cond);
		ed_log_wake_fini(&eng->workers[i].wake);
	}
	ed_free(eng->workers);
	pthread_mutex_destroy(&eng->mu);
	ed_free(eng);
}

static bool caught_up(struct ed_worker *w)
{
	for (size_t i = 0; i < w->npipes; i++) {
		struct ed_pipe *p = w->pipes[i];
		for (int32_t k = 0; p->topic && k < p->nparts; k++) {
			struct ed_partition *part = ed_topic_partition(p->topic, k);
			if (part && p->parts[k].next < ed_partition_hwm(part))
				return false;
		}
	}
	return true;
}

int ed_engine_wait_idle(struct ed_engine *eng, int64_t timeout_ms)
{
	int64_t deadline = ed_mono_ms() + timeout_ms;
	for (int i = 0; i < eng->nworkers; i++) {
		struct ed_worker *w = &eng->workers[i];
		pthread_mutex_lock(&w->mu);
		uint64_t start = w->rounds;
		while (!(caught_up(w) && w->rounds >= start + 2)) {
			if (ed_mono_ms() > deadline) {
				pthread_mutex_unlock(&w->mu);
				return ED_EAGAIN;
			}
			pthread_cond_broadcast(&w->cond);
			ed_log_wake_raise(&w->wake);
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 2 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&w->cond, &w->mu, &ts);
		}
		pthread_mutex_unlock(&w->mu);
	}
	return 0;
}

int ed_engine_subscribe(struct ed_engine *eng, const char *view, ed_change_fn fn, void *arg, uint64_t *id)
{
	pthread_mutex_lock(&eng->mu);
	struct ed_catalog_obj *o = ed_catalog_find(&eng->cat, view);
	int rc = ED_ENOENT;
	if (o && o->kind == ED_OBJ_VIEW) {
		struct ed_pipe *p = o->rt;
		struct ed_view_rt *v = p->view;
		pthread_mutex_lock(&p->worker->mu);
		struct sub *n = ed_realloc(v->subs, (v->nsubs + 1) * sizeof(*n));
		rc = ED_ENOMEM;
		if (n) {
			v->subs = n;
			*id = ++eng->next_sub;
			v->subs[v->nsubs++] = (struct sub){*id, fn, arg};
			rc = 0;
		}
		pthread_mutex_unlock(&p->worker->mu);
	}
	pthread_mutex_unlock(&eng->mu);
	return rc;
}

void ed_engine_unsubscribe(struct ed_engine *eng, uint64_t id)
{
	pthread_mutex_lock(&eng->mu);
	for (struct ed_catalog_obj *o = eng->cat.head; o; o = o->next) {
		if (o->kind != ED_OBJ_VIEW || !o->rt)
			continue;
		struct ed_pipe *p = o->rt;
		struct ed_view_rt *v = p->view;
		pthread_mutex_lock(&p->worker->mu);
		for (size_t i = 0; i < v->nsubs; i++)
			if (v->subs[i].id == id) {
				v->subs[i] = v->subs[--v->nsubs];
				break;
			}
		pthread_mutex_unlock(&p->worker->mu);
	}
	pthread_mutex_unlock(&eng->mu);
}

void ed_engine_metrics(struct ed_engine *eng, ed_metric_fn fn, void *arg)
{
	pthread_mutex_lock(&eng->mu);
	for (struct ed_catalog_obj *o = eng->cat.head; o; o = o->next) {
		if (o->kind == ED_OBJ_SOURCE) {
			struct ed_source_rt *s = o->rt;
			fn(arg, "eddy_source_records_total", o->name, (double)atomic_load(&s->records));
			fn(arg, "eddy_source_late_records_total", o->name, (double)atomic_load(&s->late));
			fn(arg, "eddy_source_bad_records_total", o->name, (double)atomic_load(&s->bad));
			fn(arg, "eddy_source_late_routed_total", o->name, (double)atomic_load(&s->late_routed));
			fn(arg, "eddy_source_dead_lettered_total", o->name, (double)atomic_load(&s->dead_lettered));
			int64_t wm = atomic_load(&s->watermark_us);
			if (wm != INT64_MIN)
				fn(arg, "eddy_source_watermark_ms", o->name, (double)(wm / 1000));
			int64_t mx = atomic_load(&s->max_event_us);
			if (mx != INT64_MIN)
				fn(arg, "eddy_source_max_event_time_ms", o->name, (double)(mx / 1000));
		} else {
			struct ed_pipe *p = o->rt;
			const char *kind = o->kind == ED_OBJ_VIEW ? "view" : "sink";
			char name[64];
			snprintf(name, sizeof(name), "eddy_%s_rows_in_total", kind);
			fn(arg, name, o->name, (double)atomic_load(&p->stats.rows_in));
			snprintf(name, sizeof(name), "eddy_%s_rows_out_total", kind);
			fn(arg, name, o->name, (double)atomic_load(&p->stats.rows_out));
			snprintf(name, sizeof(name), "eddy_%s_bad_rows_total", kind);
			fn(arg, name, o->name, (double)atomic_load(&p->stats.bad_rows));
			if (o->query && o->query->aggregate) {
				snprintf(name, sizeof(name), "eddy_%s_agg_groups", kind);
				fn(arg, name, o->name, (double)atomic_load(&p->stats.state_rows));
				snprintf(name, sizeof(name), "eddy_%s_agg_state_bytes", kind);
				fn(arg, name, o->name, (double)atomic_load(&p->stats.state_bytes));
			}
			if (p->view) {
				fn(arg, "eddy_view_rows", o->name, (double)atomic_load(&p->view->rows));
				fn(arg, "eddy_view_state_bytes", o->name, (double)atomic_load(&p->view->bytes));
			}
		}
	}
	pthread_mutex_unlock(&eng->mu);
}
