/* Worker threads: each runs rounds under worker->mu over the readers of its
 * sources (each reads what is new once and pushes it to the source's
 * attached pipelines) and over its pipelines still catching up with their
 * reader, and sleeps when a round made no progress;
 * ed_engine_wait_idle waits for every worker to catch up. */
#include "engine/engine_int.h"

#include <time.h>

/* How often an idle worker runs a round with no new data (idle partitions,
 * PROCTIME windows); new data wakes it at once through log watchers. */
#define ED_WORKER_TICK_MS 50

void *worker_main(void *arg)
{
	struct ed_worker *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		bool progress = false;
		worker_help_pending(w);
		for (size_t i = 0; i < w->nreaders; i++) {
			if (w->readers[i]->nusers) {
				cursor_watch(w->readers[i]->cur, w);
				progress |= reader_step(w->readers[i]);
			}
			worker_help_pending(w);
		}
		for (size_t i = 0; i < w->npipes; i++)
			if (w->pipes[i]->cur) {
				cursor_watch(w->pipes[i]->cur, w);
				progress |= pipe_step(w->pipes[i]);
			}
		w->rounds++;
		pthread_cond_broadcast(&w->cond);
		worker_help_pending(w);
		if (!progress && !w->stop) {
			pthread_mutex_lock(&w->hmu);
			w->sleeping = true;
			pthread_mutex_unlock(&w->hmu);
			/* Appends wake us (log watchers on the partitions our cursors
			 * read), and so do new pipelines, help jobs and stop; the
			 * timeout only drives time-based work: idle partitions,
			 * PROCTIME windows. */
			pthread_mutex_unlock(&w->mu);
			ed_log_wake_wait(&w->wake, ED_WORKER_TICK_MS);
			pthread_mutex_lock(&w->mu);
			pthread_mutex_lock(&w->hmu);
			w->sleeping = false;
			pthread_mutex_unlock(&w->hmu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	worker_help_exit(w);
	return NULL;
}

static bool caught_up(struct ed_worker *w)
{
	for (size_t i = 0; i < w->nreaders; i++)
		if (w->readers[i]->nusers && !cursor_caught_up(w->readers[i]->cur))
			return false;
	for (size_t i = 0; i < w->npipes; i++)
		if (w->pipes[i]->cur && !cursor_caught_up(w->pipes[i]->cur))
			return false;
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
