/* Pipelines: building one from a view or sink object (operators from the
 * planner, a terminal, its input), starting it on a worker (views over views
 * on their upstream's worker, backfilled from its store), stopping and
 * freeing it, and feeding it chunks and watermarks. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

void pipe_fail(struct ed_pipe *p, int rc)
{
	snprintf(p->stats.last_error, sizeof(p->stats.last_error), "pipeline error: %s",
		 ed_err_str(rc));
	ed_warn("engine", "%s %s: %s", ed_obj_kind_name(p->obj->kind), p->obj->name, ed_err_str(rc));
}

struct ed_operator *pipe_first(struct ed_pipe *p)
{
	return p->head ? p->head : p->term;
}

/* Changes from the upstream view (same worker thread). */
void pipe_feed(struct ed_pipe *p, const struct ed_chunk *c)
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

int pipe_watermark(struct ed_pipe *p, int64_t wm)
{
	if (wm <= p->wm)
		return 0;
	p->wm = wm;
	atomic_store(&p->stats.watermark_us, wm);
	return ed_op_watermark(pipe_first(p), wm);
}

void pipe_free(struct ed_pipe *p)
{
	if (!p)
		return;
	if (p->tail)
		p->tail->next = NULL; /* the terminal is freed on its own below */
	ed_op_free_chain(p->head);
	if (p->term)
		p->term->free(p->term);
	cursor_free(p->cur);
	ed_chunk_fini(&p->chunk);
	if (p->late_topic)
		ed_topic_unref(p->late_topic);
	if (p->dlq_topic)
		ed_topic_unref(p->dlq_topic);
	ed_free(p);
}

/* Build the pipeline of a view or sink object (not yet running). */
int pipe_build(struct ed_engine *eng, struct ed_catalog_obj *obj, struct ed_pipe **out, char *err,
	       size_t errlen)
{
	struct ed_pipe *p = ed_calloc(1, sizeof(*p));
	if (!p)
		return ED_ENOMEM;
	p->eng = eng;
	p->obj = obj;
	p->wm = INT64_MIN;
	atomic_store(&p->stats.watermark_us, INT64_MIN);
	struct ed_catalog_obj *in = obj->input;
	const struct ed_schema *out_schema = obj->query ? &obj->query->out : &in->schema;
	int rc = 0;
	if (obj->query && (rc = ed_plan_build(obj->query, &p->stats, &p->head, &p->tail, err, errlen)))
		goto fail;
	if (obj->kind == ED_OBJ_VIEW) {
		struct ed_view_rt *v = ed_calloc(1, sizeof(*v));
		if (!v) {
			rc = ED_ENOMEM;
			goto fail;
		}
		v->op = (struct ed_operator){"materialize", view_push, view_watermark,
					     view_free,     NULL,      &p->stats};
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
		s->op = (struct ed_operator){"sink",    sink_push, noop_watermark,
					     sink_free, NULL,      &p->stats};
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
		struct ed_topic *topic = topic_open(eng, sd->topic, sd->partitions, err, errlen);
		if (!topic) {
			rc = ED_EINVAL;
			goto fail;
		}
		if ((rc = cursor_new(eng, in, topic, &p->cur)))
			goto fail;
		if (sd->late_topic &&
		    !(p->late_topic = topic_open(eng, sd->late_topic, 1, err, errlen))) {
			rc = ED_EINVAL;
			goto fail;
		}
		if (sd->dlq_topic &&
		    !(p->dlq_topic = topic_open(eng, sd->dlq_topic, 1, err, errlen))) {
			rc = ED_EINVAL;
			goto fail;
		}
	} else {
		p->upstream = in->rt ? ((struct ed_pipe *)in->rt)->view : NULL;
		if (!p->upstream) {
			rc = ED_EINVAL;
			snprintf(err, errlen, "view \"%s\" is not running", in->name);
			goto fail;
		}
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

static int flush_chunk(struct ed_pipe *p)
{
	if (!p->chunk.rows)
		return 0;
	int rc = ed_op_push(pipe_first(p), &p->chunk);
	ed_chunk_reset(&p->chunk);
	return rc;
}

/* Start p on a worker (the upstream view's, for views over views). */
int pipe_start(struct ed_engine *eng, struct ed_pipe *p)
{
	struct ed_worker *w;
	if (p->upstream)
		w = p->upstream->pipe->worker;
	else if (p->srt && p->srt->reader)
		w = p->srt->reader->worker; /* every pipeline of a source runs on its reader's worker */
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
					ed_row_decode(ed_kv_value(e) + 8, e->vlen - 8, &p->chunk, r,
						      0, p->chunk.ncols, NULL);
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
	if (rc == 0 && p->srt)
		rc = p->srt->reader ? reader_join(p->srt->reader, p) : reader_attach_new(eng, p, w);
	if (rc == 0) {
		w->pipes[w->npipes++] = p;
		p->worker = w;
		pthread_cond_broadcast(&w->cond);
		ed_log_wake_raise(&w->wake);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void pipe_stop(struct ed_pipe *p)
{
	struct ed_worker *w = p->worker;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->npipes; i++)
		if (w->pipes[i] == p) {
			memmove(&w->pipes[i], &w->pipes[i + 1],
				(w->npipes - i - 1) * sizeof(*w->pipes));
			w->npipes--;
			break;
		}
	if (p->srt && p->srt->reader)
		reader_leave(p->srt->reader, p);
	if (p->upstream) {
		struct ed_view_rt *u = p->upstream;
		for (size_t i = 0; i < u->nconsumers; i++)
			if (u->consumers[i] == p) {
				memmove(&u->consumers[i], &u->consumers[i + 1],
					(u->nconsumers - i - 1) * sizeof(*u->consumers));
				u->nconsumers--;
				break;
			}
	}
	pthread_mutex_unlock(&w->mu);
	p->worker = NULL;
}
