/* The engine's statement threads (ed_engine_submit, engine.h): a small
 * fixed set of threads that execute sessions' statements (or run a
 * caller's function) off the network loop, so a statement that runs for
 * seconds, takes the engine lock or fsyncs the catalog never delays a Kafka
 * acknowledgement or a health check. One FIFO under one mutex; the threads
 * take jobs in submission order. Completion is the caller's: done(job) runs
 * on the statement thread and hands the result back (the front ends post it
 * to their loop through src/net's loop queue). */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "engine/engine.h"
#include "engine/stmt.h"

#define DEFAULT_THREADS 2

struct ed_stmt_pool {
	struct ed_engine *eng;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct ed_stmt_job *head, *tail; /* under mu */
	bool stopping;                   /* under mu */
	int nthreads;
	pthread_t *threads;
};

static void job_run(struct ed_stmt_job *job)
{
	if (job->run) {
		job->run(job);
	} else {
		memset(&job->err, 0, sizeof(job->err));
		job->rc = job->sess ? ed_session_execute(job->sess, job->text, job->len, job->fn,
							 job->arg, &job->err)
				    : ED_EINVAL;
	}
	job->done(job);
}

static void *stmt_main(void *arg)
{
	struct ed_stmt_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cond, &p->mu);
		struct ed_stmt_job *job = p->head;
		if (!job)
			break; /* stopping and drained */
		p->head = job->next;
		if (!p->head)
			p->tail = NULL;
		job->next = NULL;
		pthread_mutex_unlock(&p->mu);
		job_run(job);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int ed_stmt_pool_start(struct ed_engine *eng, int nthreads, struct ed_stmt_pool **out)
{
	*out = NULL;
	struct ed_stmt_pool *p = ed_calloc(1, sizeof(*p));
	if (!p)
		return ED_ENOMEM;
	p->eng = eng;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cond, NULL);
	int n = nthreads > 0 ? nthreads : DEFAULT_THREADS;
	p->threads = ed_calloc((size_t)n, sizeof(*p->threads));
	if (!p->threads) {
		ed_stmt_pool_stop(p);
		return ED_ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		if (pthread_create(&p->threads[i], NULL, stmt_main, p) != 0) {
			ed_stmt_pool_stop(p);
			return ED_ENOMEM;
		}
		p->nthreads++;
	}
	*out = p;
	return 0;
}

void ed_stmt_pool_stop(struct ed_stmt_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cond);
	ed_free(p->threads);
	ed_free(p);
}

int ed_engine_submit(struct ed_engine *eng, struct ed_stmt_job *job)
{
	struct ed_stmt_pool *p = ed_engine_stmt_pool(eng);
	if (!p)
		return ED_ECLOSED;
	job->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->stopping) {
		pthread_mutex_unlock(&p->mu);
		return ED_ECLOSED;
	}
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mu);
	return 0;
}
