/* Reading a source. One reader per source (struct ed_source_reader) reads
 * its partitions with ed_partition_read, decodes each record once into a
 * chunk of the source's schema, keeps a watermark per partition
 * (engine_int.h, invariants 1 and 2), decides late and bad records once
 * (counts, side topics), and pushes each chunk, then the watermark, to every
 * attached pipeline. A pipeline created while the reader is ahead of it
 * (startup earliest) first reads through a cursor of its own, never past
 * the reader's offsets and routing nothing, and attaches once its offsets
 * equal the reader's in every partition; lateness is decided per partition
 * from record order, so its private and shared decisions agree. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void reader_free(struct ed_source_reader *r)
{
	if (!r)
		return;
	cursor_free(r->cur);
	ed_batch_builder_fini(&r->side);
	if (r->late_topic)
		ed_topic_unref(r->late_topic);
	if (r->dlq_topic)
		ed_topic_unref(r->dlq_topic);
	ed_free(r->consumers);
	ed_free(r);
}

void source_rt_free(struct ed_source_rt *s)
{
	if (!s)
		return;
	struct ed_source_reader *r = s->reader;
	struct ed_worker *w = r ? r->worker : NULL;
	if (w) {
		pthread_mutex_lock(&w->mu);
		for (size_t i = 0; i < w->nreaders; i++)
			if (w->readers[i] == r) {
				memmove(&w->readers[i], &w->readers[i + 1],
					(w->nreaders - i - 1) * sizeof(*w->readers));
				w->nreaders--;
				break;
			}
		pthread_mutex_unlock(&w->mu);
	}
	reader_free(r);
	ed_free(s);
}

/* The source's watermark shown to users: its reader's. */
static void source_wm_raise(struct ed_source_rt *s, int64_t wm)
{
	int64_t cur = atomic_load(&s->watermark_us);
	while (wm > cur && !atomic_compare_exchange_weak(&s->watermark_us, &cur, wm))
		;
}

struct ed_topic *topic_open(struct ed_engine *eng, const char *name, int32_t partitions, char *err,
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
int append_batch(struct ed_topic *t, int32_t part, struct ed_batch_builder *bb)
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

/* ---- cursors ------------------------------------------------------------------------- */

void cursor_free(struct ed_src_cursor *c)
{
	if (!c)
		return;
	ed_log_watchset_free(c->watch);
	if (c->topic)
		ed_topic_unref(c->topic);
	ed_decoder_fini(&c->dec);
	ed_chunk_fini(&c->chunk);
	ed_buf_fini(&c->rbuf);
	ed_buf_fini(&c->csv_header);
	ed_free(c->parts);
	ed_free(c);
}

/* A cursor over src's topic (a reference the cursor takes over, released
 * on failure too) at the source's startup position. 0 or ED_ENOMEM. */
int cursor_new(struct ed_engine *eng, struct ed_catalog_obj *src, struct ed_topic *topic,
	       struct ed_src_cursor **out)
{
	const struct ed_source_def *sd = &src->source;
	struct ed_src_cursor *c = ed_calloc(1, sizeof(*c));
	if (!c) {
		ed_topic_unref(topic);
		return ED_ENOMEM;
	}
	c->src = src;
	c->topic = topic;
	c->wm = INT64_MIN;
	c->idle_ms = sd->idle_timeout_ms >= 0 ? sd->idle_timeout_ms : eng->opts.idle_timeout_ms;
	ed_buf_init(&c->rbuf);
	ed_buf_init(&c->csv_header);
	int rc = ED_ENOMEM;
	/* A column name that is no JSON path fails each record, with the reason. */
	if (ed_decoder_init(&c->dec, sd->format == ED_FORMAT_CSV ? ED_RECORD_CSV : ED_RECORD_JSON,
			    (const char *const *)src->schema.names, src->schema.n,
			    sd->csv_delim) == ED_ENOMEM)
		goto fail;
	c->nparts = ed_topic_partition_count(topic);
	if (!(c->parts = ed_calloc((size_t)c->nparts + 1, sizeof(*c->parts))))
		goto fail;
	int64_t now = now_ms(eng);
	for (int32_t i = 0; i < c->nparts; i++) {
		struct ed_partition *part = ed_topic_partition(topic, i);
		c->parts[i].next = sd->startup == ED_STARTUP_LATEST
					   ? ed_partition_hwm(part)
					   : ed_partition_start_offset(part);
		c->parts[i].last_active_ms = now;
	}
	for (uint32_t k = 0; sd->format == ED_FORMAT_CSV && sd->csv_header && k < src->schema.n; k++) {
		if (k)
			ed_buf_put_u8(&c->csv_header, (uint8_t)sd->csv_delim);
		ed_buf_append(&c->csv_header, src->schema.names[k], strlen(src->schema.names[k]));
	}
	if (c->csv_header.err)
		goto fail;
	if ((rc = ed_chunk_init(&c->chunk, src->schema.types, src->schema.n, ED_CHUNK_DEFAULT_ROWS)))
		goto fail;
	*out = c;
	return 0;
fail:
	cursor_free(c);
	return rc;
}

/* True when c has read everything its partitions hold. */
bool cursor_caught_up(const struct ed_src_cursor *c)
{
	for (int32_t k = 0; c && k < c->nparts; k++) {
		struct ed_partition *part = ed_topic_partition(c->topic, k);
		if (part && c->parts[k].next < ed_partition_hwm(part))
			return false;
	}
	return true;
}

/* True when a is at b's offsets in every partition. */
static bool cursor_same_position(const struct ed_src_cursor *a, const struct ed_src_cursor *b)
{
	if (a->nparts != b->nparts)
		return false;
	for (int32_t k = 0; k < a->nparts; k++)
		if (a->parts[k].next != b->parts[k].next)
			return false;
	return true;
}

static int64_t combined_wm(struct ed_src_cursor *c, int64_t now)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	bool any_active = false;
	int64_t delay = c->src->source.wm_delay_us;
	for (int32_t i = 0; i < c->nparts; i++) {
		struct part_state *ps = &c->parts[i];
		int64_t w = ps->seen ? ps->max_ts - delay : INT64_MIN;
		bool idle = now - ps->last_active_ms > c->idle_ms;
		if (ps->seen && w > hi)
			hi = w;
		if (!idle) {
			any_active = true;
			if (w < lo)
				lo = w;
		}
	}
	int64_t wm = any_active ? lo : hi;
	return wm > c->wm ? wm : c->wm;
}

/* Where a cursor's records go: the reader (counted, routed, pushed to every
 * attached pipeline) or one pipeline catching up (counted in its stats
 * only, read no further than the reader's offsets in limit). */
struct read_to {
	struct ed_source_reader *r;
	struct ed_pipe *p;
	const struct ed_src_cursor *limit;
	int64_t rows_in, bad, late; /* reader: this step's counts, added to every consumer */
};

/* Write rec to side topic t (none: nothing) with its reason; counts it in
 * *routed when the append succeeded. */
static void side_output(struct ed_source_reader *r, struct ed_topic *t, const struct ed_record *rec,
			const char *reason, _Atomic int64_t *routed)
{
	if (!t)
		return;
	struct ed_header h = {(const uint8_t *)"eddy.reason", 11, (const uint8_t *)reason,
			      (int32_t)strlen(reason)};
	if (ed_batch_builder_add(&r->side, rec->timestamp, rec->key, rec->key_len, rec->value,
				 rec->value_len, &h, 1) == 0) {
		if (append_batch(t, 0, &r->side) == 0)
			atomic_fetch_add(routed, 1);
	} else
		ed_batch_builder_reset(&r->side);
}

/* An undecodable record: its reason becomes the pipelines' last error. */
static void note_undecodable(struct read_to *t, const struct ed_record *rec, const char *why)
{
	if (t->p) {
		snprintf(t->p->stats.last_error, sizeof(t->p->stats.last_error),
			 "offset %lld: %.200s", (long long)rec->offset, why);
		return;
	}
	for (size_t i = 0; i < t->r->nconsumers; i++) {
		struct ed_pipe *p = t->r->consumers[i];
		snprintf(p->stats.last_error, sizeof(p->stats.last_error), "offset %lld: %.200s",
			 (long long)rec->offset, why);
	}
}

static void count(struct read_to *t, int64_t *shared, _Atomic int64_t *own)
{
	if (t->p)
		atomic_fetch_add(own, 1);
	else
		++*shared;
}

/* ---- help between workers ----------------------------------------------------------------- */

/* Push a chunk (or, chunk NULL, the watermark wm) to consumers [from, to)
 * of a reader. The chunk is read-only, so two workers can push it to
 * different pipelines at once; the pipelines stay the reader worker's
 * (its mu is held by the reader's thread, which waits until the helper is
 * done), so nothing else touches them meanwhile. */
struct ed_help {
	struct ed_source_reader *r;
	size_t from, to;
	const struct ed_chunk *chunk;
	int64_t wm;
	struct ed_worker *waiter;
	bool done; /* under waiter->hmu */
};

static bool is_proctime(const struct ed_pipe *p);

static void help_run(const struct ed_help *h)
{
	for (size_t i = h->from; i < h->to; i++) {
		struct ed_pipe *p = h->r->consumers[i];
		int rc = h->chunk         ? ed_op_push(pipe_first(p), h->chunk)
			 : is_proctime(p) ? 0
					  : pipe_watermark(p, h->wm);
		if (rc)
			pipe_fail(p, rc);
	}
}

static void help_complete(struct ed_help *h)
{
	pthread_mutex_lock(&h->waiter->hmu);
	h->done = true;
	pthread_cond_signal(&h->waiter->hcond);
	pthread_mutex_unlock(&h->waiter->hmu);
}

/* Run the job another worker left for w, if any (w's thread). */
void worker_help_pending(struct ed_worker *w)
{
	pthread_mutex_lock(&w->hmu);
	struct ed_help *h = w->inbox;
	w->inbox = NULL;
	pthread_mutex_unlock(&w->hmu);
	if (h) {
		help_run(h);
		help_complete(h);
	}
}

/* w's thread is leaving: it takes no more jobs, and runs the last one. */
void worker_help_exit(struct ed_worker *w)
{
	pthread_mutex_lock(&w->hmu);
	w->exited = true;
	pthread_mutex_unlock(&w->hmu);
	worker_help_pending(w);
}

/* Push to every consumer of r: with two or more and another worker idle
 * (sleeping between rounds, so sources on other workers never wait for
 * each other's work), that worker takes the second half while this one
 * does the first, and this one waits (running any job left for it
 * meanwhile, so two readers helping each other cannot deadlock). */
static void fan_out(struct ed_source_reader *r, const struct ed_chunk *chunk, int64_t wm)
{
	size_t n = r->nconsumers;
	struct ed_engine *eng = r->eng;
	struct ed_worker *w = r->worker;
	struct ed_worker *hw = eng->nworkers > 1 && n >= 2
				       ? &eng->workers[((w - eng->workers) + 1) % eng->nworkers]
				       : NULL;
	struct ed_help h = {r, n / 2, n, chunk, wm, w, false};
	bool posted = false;
	if (hw) {
		pthread_mutex_lock(&hw->hmu);
		if (hw->sleeping && !hw->inbox && !hw->exited) {
			hw->inbox = &h;
			posted = true;
		}
		pthread_mutex_unlock(&hw->hmu);
		if (posted) /* wake it: it sleeps between rounds */
			ed_log_wake_raise(&hw->wake);
	}
	struct ed_help mine = {r, 0, posted ? n / 2 : n, chunk, wm, w, false};
	help_run(&mine);
	if (!posted)
		return;
	pthread_mutex_lock(&w->hmu);
	while (!h.done) {
		struct ed_help *j = w->inbox;
		if (j) {
			w->inbox = NULL;
			pthread_mutex_unlock(&w->hmu);
			help_run(j);
			help_complete(j);
			pthread_mutex_lock(&w->hmu);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->hcond, &w->hmu, &ts);
	}
	pthread_mutex_unlock(&w->hmu);
}

/* Push the cursor's chunk. A pipeline catching up returns its error (the
 * step stops); attached pipelines that fail are reported and the others
 * go on. */
static int deliver(struct read_to *t, struct ed_src_cursor *c)
{
	if (!c->chunk.rows)
		return 0;
	int rc = 0;
	if (t->p)
		rc = ed_op_push(pipe_first(t->p), &c->chunk);
	else
		fan_out(t->r, &c->chunk, 0);
	ed_chunk_reset(&c->chunk);
	return rc;
}

/* One record into the cursor's chunk. */
static int take_record(struct read_to *t, struct ed_src_cursor *c, struct part_state *ps,
		       const struct ed_record *rec, int64_t now, int64_t *cur_wm)
{
	struct ed_source_rt *srt = t->r ? t->r->srt : t->p->srt;
	struct ed_pipe_stats *own = t->p ? &t->p->stats : NULL;
	char why[300];
	uint32_t r = c->chunk.rows;
	if (c->csv_header.len && rec->value_len >= 0) {
		size_t n = (size_t)rec->value_len;
		while (n && (rec->value[n - 1] == '\n' || rec->value[n - 1] == '\r'))
			n--;
		if (n == c->csv_header.len && memcmp(rec->value, c->csv_header.data, n) == 0)
			return 0; /* a header line: neither a row nor a bad record */
	}
	atomic_fetch_add(&srt->decoded, 1);
	if (t->r)
		atomic_fetch_add(&srt->records, 1);
	count(t, &t->rows_in, own ? &own->rows_in : NULL);
	if (ed_decode_record(&c->dec, rec->value, rec->value_len < 0 ? 0 : (size_t)rec->value_len,
			     &c->chunk, r, why, sizeof(why)) != 0) {
		count(t, &t->bad, own ? &own->bad_records : NULL);
		note_undecodable(t, rec, why);
		if (t->r) {
			atomic_fetch_add(&srt->bad, 1);
			side_output(t->r, t->r->dlq_topic, rec, why, &srt->dead_lettered);
		}
		return 0;
	}
	int32_t tc = c->src->source.time_col;
	if (tc >= 0) {
		if (c->chunk.cols[tc].nulls[r]) {
			count(t, &t->bad, own ? &own->bad_records : NULL);
			if (t->r) {
				atomic_fetch_add(&srt->bad, 1);
				side_output(t->r, t->r->dlq_topic, rec, "event time is NULL",
					    &srt->dead_lettered);
			}
			return 0;
		}
		int64_t ts = ED_VEC(&c->chunk.cols[tc], int64_t)[r];
		int64_t limit = *cur_wm;
		if (ps->seen && ps->max_ts - c->src->source.wm_delay_us > limit)
			limit = ps->max_ts - c->src->source.wm_delay_us;
		if (ts < limit) {
			count(t, &t->late, own ? &own->late : NULL);
			if (t->r) {
				atomic_fetch_add(&srt->late, 1);
				snprintf(why, sizeof(why),
					 "late event: event time %lld us is behind the watermark %lld us",
					 (long long)ts, (long long)limit);
				side_output(t->r, t->r->late_topic, rec, why, &srt->late_routed);
			}
			return 0;
		}
		if (!ps->seen || ts > ps->max_ts) {
			ps->max_ts = ts;
			ps->seen = true;
			int64_t cur = atomic_load(&srt->max_event_us);
			while (ts > cur && !atomic_compare_exchange_weak(&srt->max_event_us, &cur, ts))
				;
			*cur_wm = combined_wm(c, now);
		}
	}
	c->chunk.ops[r] = ED_OP_INSERT;
	c->chunk.rows++;
	if (c->chunk.rows == c->chunk.cap)
		return deliver(t, c);
	return 0;
}

/* Read what is new in every partition of c (up to t->limit's offsets) and
 * deliver it; *progress is set if anything was read. */
static int cursor_read(struct ed_engine *eng, struct read_to *t, struct ed_src_cursor *c,
		       int64_t now, bool *progress)
{
	int64_t cur_wm = combined_wm(c, now);
	int rc = 0;
	for (int32_t i = 0; i < c->nparts && rc == 0; i++) {
		struct part_state *ps = &c->parts[i];
		struct ed_partition *part = ed_topic_partition(c->topic, i);
		int64_t lim = t->limit && i < t->limit->nparts ? t->limit->parts[i].next : INT64_MAX;
		if (!part || ps->next >= ed_partition_hwm(part) || ps->next >= lim)
			continue;
		ed_buf_reset(&c->rbuf);
		rc = ed_partition_read(part, ps->next, eng->opts.read_bytes, &c->rbuf);
		if (rc == ED_ERANGE) {
			ps->next = ed_partition_start_offset(part);
			rc = 0;
			continue;
		}
		if (rc)
			break;
		*progress = true;
		ps->last_active_ms = now;
		size_t off = 0;
		while (off + ED_BATCH_LOG_OVERHEAD <= c->rbuf.len && rc == 0 && ps->next < lim) {
			struct ed_record_iter it;
			size_t left = c->rbuf.len - off;
			if (ed_record_iter_init(&it, c->rbuf.data + off, left, 0) != 0)
				break;
			int64_t last = ed_batch_last_offset(&it.bi);
			bool control = it.bi.attributes & ED_BATCH_ATTR_CONTROL;
			struct ed_record rec;
			while (!control && rc == 0 && ed_record_iter_next(&it, &rec) == 1)
				if (rec.offset >= ps->next && rec.offset < lim)
					rc = take_record(t, c, ps, &rec, now, &cur_wm);
			off += (size_t)it.bi.size;
			ed_record_iter_fini(&it);
			int64_t end = last + 1 < lim ? last + 1 : lim;
			if (end > ps->next)
				ps->next = end;
		}
	}
	if (rc == 0)
		rc = deliver(t, c);
	return rc;
}

static bool is_proctime(const struct ed_pipe *p)
{
	return p->obj->query && p->obj->query->win_proctime;
}

/* ---- the reader --------------------------------------------------------------------------- */

/* Attach p (at the reader's position) and drop its private cursor; p
 * adopts the reader's watermark (never behind its own: watermarks rise). */
static void reader_attach(struct ed_source_reader *r, struct ed_pipe *p)
{
	r->consumers[r->nconsumers++] = p;
	p->attached = true;
	cursor_free(p->cur);
	p->cur = NULL;
	if (r->cur->wm > INT64_MIN && !is_proctime(p)) {
		int rc = pipe_watermark(p, r->cur->wm);
		if (rc)
			pipe_fail(p, rc);
	}
}

static int reader_reserve(struct ed_source_reader *r)
{
	if (r->nusers < r->ccap)
		return 0;
	size_t cap = r->ccap ? r->ccap * 2 : 4;
	struct ed_pipe **n = ed_realloc(r->consumers, cap * sizeof(*n));
	if (!n)
		return ED_ENOMEM;
	r->consumers = n;
	r->ccap = cap;
	return 0;
}

/* The first pipeline of a source to start: its cursor becomes the source's
 * reader, owned by worker w (caller holds w->mu), and p is attached. 0 or
 * ED_ENOMEM. */
int reader_attach_new(struct ed_engine *eng, struct ed_pipe *p, struct ed_worker *w)
{
	struct ed_source_reader *r = ed_calloc(1, sizeof(*r));
	if (!r || reader_reserve(r))
		goto oom;
	if (w->nreaders == w->rcap) {
		size_t cap = w->rcap ? w->rcap * 2 : 4;
		struct ed_source_reader **n = ed_realloc(w->readers, cap * sizeof(*n));
		if (!n)
			goto oom;
		w->readers = n;
		w->rcap = cap;
	}
	r->eng = eng;
	r->srt = p->srt;
	r->worker = w;
	r->cur = p->cur;
	p->cur = NULL;
	r->late_topic = p->late_topic;
	r->dlq_topic = p->dlq_topic;
	p->late_topic = p->dlq_topic = NULL;
	ed_batch_builder_init(&r->side, ED_CODEC_NONE);
	r->nusers = 1;
	r->consumers[r->nconsumers++] = p;
	p->attached = true;
	w->readers[w->nreaders++] = r;
	p->srt->reader = r;
	return 0;
oom:
	if (r)
		ed_free(r->consumers);
	ed_free(r);
	return ED_ENOMEM;
}

/* p (a pipeline of r's source, on r's worker; caller holds its mu) joins:
 * attached at once when its cursor is at the reader's position, else it
 * catches up first (pipe_step). 0 or ED_ENOMEM. */
int reader_join(struct ed_source_reader *r, struct ed_pipe *p)
{
	if (reader_reserve(r))
		return ED_ENOMEM;
	r->nusers++;
	if (cursor_same_position(p->cur, r->cur))
		reader_attach(r, p);
	return 0;
}

/* p leaves r (caller holds the worker's mu). */
void reader_leave(struct ed_source_reader *r, struct ed_pipe *p)
{
	for (size_t i = 0; i < r->nconsumers; i++)
		if (r->consumers[i] == p) {
			memmove(&r->consumers[i], &r->consumers[i + 1],
				(r->nconsumers - i - 1) * sizeof(*r->consumers));
			r->nconsumers--;
			break;
		}
	p->attached = false;
	r->nusers--;
}

/* One round of the reader: read what is new once, push it to every
 * attached pipeline, then the watermark. True if anything was read. */
void cursor_watch(struct ed_src_cursor *c, struct ed_worker *w)
{
	/* Made on the worker that reads the cursor, once; the set raises that
	 * worker's wake when one of the topic's partitions grows. Without
	 * memory the worker still wakes by its tick. */
	if (!c->watch && c->topic)
		c->watch = ed_log_watchset_new(&w->wake, c->topic);
}

bool reader_step(struct ed_source_reader *r)
{
	struct ed_engine *eng = r->eng;
	struct ed_src_cursor *c = r->cur;
	int64_t now = now_ms(eng);
	/* Processing time: the clock is the watermark of PROCTIME() pipelines,
	 * sent before what is read now (stamped with it), so windows close as
	 * the clock passes their end, with or without input. */
	int64_t pt = INT64_MIN;
	for (size_t i = 0; i < r->nconsumers; i++) {
		struct ed_pipe *p = r->consumers[i];
		if (!is_proctime(p))
			continue;
		if (pt == INT64_MIN)
			pt = proc_time_us(eng);
		int prc = pipe_watermark(p, pt);
		if (prc)
			pipe_fail(p, prc);
	}
	struct read_to t = {.r = r};
	bool progress = false;
	int rc = cursor_read(eng, &t, c, now, &progress);
	for (size_t i = 0; i < r->nconsumers; i++) {
		struct ed_pipe_stats *st = &r->consumers[i]->stats;
		if (t.rows_in)
			atomic_fetch_add(&st->rows_in, t.rows_in);
		if (t.bad)
			atomic_fetch_add(&st->bad_records, t.bad);
		if (t.late)
			atomic_fetch_add(&st->late, t.late);
	}
	if (rc == 0 && c->src->source.time_col >= 0) {
		c->wm = combined_wm(c, now);
		source_wm_raise(r->srt, c->wm);
		fan_out(r, NULL, c->wm);
	}
	if (rc)
		for (size_t i = 0; i < r->nconsumers; i++)
			pipe_fail(r->consumers[i], rc);
	return progress;
}

/* One round of a pipeline catching up with its source's reader: it reads
 * privately, no further than the reader, routing nothing, and attaches when
 * it reaches the reader's offsets. True if anything was read. */
bool pipe_step(struct ed_pipe *p)
{
	struct ed_engine *eng = p->eng;
	struct ed_source_reader *r = p->srt->reader;
	struct ed_src_cursor *c = p->cur;
	int64_t now = now_ms(eng);
	bool proctime = is_proctime(p);
	int rc = proctime ? pipe_watermark(p, proc_time_us(eng)) : 0;
	struct read_to t = {.p = p, .limit = r->cur};
	bool progress = false;
	if (rc == 0)
		rc = cursor_read(eng, &t, c, now, &progress);
	if (rc == 0 && c->src->source.time_col >= 0) {
		c->wm = combined_wm(c, now);
		if (!proctime)
			rc = pipe_watermark(p, c->wm);
	}
	if (rc)
		pipe_fail(p, rc);
	else if (cursor_same_position(c, r->cur))
		reader_attach(r, p);
	return progress;
}
