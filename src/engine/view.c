/* A materialized view's store: the terminal operator of its pipeline, which
 * applies changes to a keyed row store under the view's rwlock, then hands
 * them to subscribers and to the pipelines of views reading this one. */
#include "engine/engine_int.h"

#include <string.h>

/* Apply a chunk of changes to a row store: kv maps the key columns (all
 * columns when nkey == 0, a multiset) to [int64 count][row]. *rows follows
 * the number of entries. 0 or ED_ENOMEM. */
int store_apply(struct ed_kv *kv, struct ed_buf *kb, struct ed_buf *vb, uint32_t nkey,
		const uint32_t *key, const struct ed_chunk *in, _Atomic int64_t *rows)
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

int view_push(struct ed_operator *op, const struct ed_chunk *in)
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

int view_watermark(struct ed_operator *op, int64_t wm)
{
	struct ed_view_rt *v = (struct ed_view_rt *)op;
	for (size_t c = 0; c < v->nconsumers; c++)
		pipe_watermark(v->consumers[c], wm);
	return 0;
}

void view_free(struct ed_operator *op)
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
