/* The streaming SQL engine (engine.h): opening it (options, worker
 * threads, replaying the catalog), closing it, and the metrics it reports.
 * The rest lives in the files engine_int.h lists. */
#include "engine/engine_int.h"
#include "engine/stmt.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

int64_t now_ms(struct ed_engine *eng)
{
	return eng->opts.clock_ms ? eng->opts.clock_ms(eng->opts.clock_arg) : ed_mono_ms();
}

/* Processing time (PROCTIME() windows), in us since the epoch: the injected
 * clock when there is one, else the wall clock. */
int64_t proc_time_us(struct ed_engine *eng)
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
		pthread_mutex_init(&w->hmu, NULL);
		pthread_cond_init(&w->hcond, NULL);
		if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
			rc = ED_ENOMEM;
			goto fail;
		}
		w->started = true;
	}
	if ((rc = ed_stmt_pool_start(eng, eng->opts.stmt_threads, &eng->stmts)))
		goto fail;
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
	ed_stmt_pool_stop(eng->stmts);
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
		ed_free(eng->workers[i].readers);
		pthread_mutex_destroy(&eng->workers[i].mu);
		pthread_cond_destroy(&eng->workers[i].cond);
		pthread_mutex_destroy(&eng->workers[i].hmu);
		pthread_cond_destroy(&eng->workers[i].hcond);
		ed_log_wake_fini(&eng->workers[i].wake);
	}
	ed_free(eng->workers);
	pthread_mutex_destroy(&eng->mu);
	ed_free(eng);
}

void ed_engine_metrics(struct ed_engine *eng, ed_metric_fn fn, void *arg)
{
	pthread_mutex_lock(&eng->mu);
	for (struct ed_catalog_obj *o = eng->cat.head; o; o = o->next) {
		if (o->kind == ED_OBJ_SOURCE) {
			struct ed_source_rt *s = o->rt;
			fn(arg, "eddy_source_records_total", o->name,
			   (double)atomic_load(&s->records));
			fn(arg, "eddy_source_records_decoded_total", o->name,
			   (double)atomic_load(&s->decoded));
			fn(arg, "eddy_source_late_records_total", o->name,
			   (double)atomic_load(&s->late));
			fn(arg, "eddy_source_bad_records_total", o->name,
			   (double)atomic_load(&s->bad));
			fn(arg, "eddy_source_late_routed_total", o->name,
			   (double)atomic_load(&s->late_routed));
			fn(arg, "eddy_source_dead_lettered_total", o->name,
			   (double)atomic_load(&s->dead_lettered));
			int64_t wm = atomic_load(&s->watermark_us);
			if (wm != INT64_MIN)
				fn(arg, "eddy_source_watermark_ms", o->name, (double)(wm / 1000));
			int64_t mx = atomic_load(&s->max_event_us);
			if (mx != INT64_MIN)
				fn(arg, "eddy_source_max_event_time_ms", o->name,
				   (double)(mx / 1000));
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
				fn(arg, "eddy_view_rows", o->name,
				   (double)atomic_load(&p->view->rows));
				fn(arg, "eddy_view_state_bytes", o->name,
				   (double)atomic_load(&p->view->bytes));
			}
		}
	}
	pthread_mutex_unlock(&eng->mu);
}

struct ed_stmt_pool *ed_engine_stmt_pool(struct ed_engine *eng)
{
	return eng->stmts;
}
