/* Subscriptions (SUBSCRIBE over pgwire, SSE over HTTP): callbacks a view's
 * terminal calls with each change chunk, on the view's worker thread. */
#include "engine/engine_int.h"

int ed_engine_subscribe(struct ed_engine *eng, const char *view, ed_change_fn fn, void *arg,
			uint64_t *id)
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
