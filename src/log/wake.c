/* Wake-ups raised by the log's watchers (wake.h): a flag plus a condition
 * variable, and watcher sets over a topic's partitions. */
#include "log/wake.h"

#include <time.h>

#include "base/mem.h"
#include "log/log_int.h"

void ed_log_wake_init(struct ed_log_wake *wk)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&wk->mu, NULL);
	pthread_cond_init(&wk->cv, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&wk->raised, false);
}

void ed_log_wake_fini(struct ed_log_wake *wk)
{
	pthread_cond_destroy(&wk->cv);
	pthread_mutex_destroy(&wk->mu);
}

void ed_log_wake_raise(struct ed_log_wake *wk)
{
	if (atomic_load(&wk->raised))
		return; /* pending: the sleeper takes it before its next read */
	pthread_mutex_lock(&wk->mu);
	atomic_store(&wk->raised, true);
	pthread_cond_signal(&wk->cv);
	pthread_mutex_unlock(&wk->mu);
}

bool ed_log_wake_wait(struct ed_log_wake *wk, int64_t timeout_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&wk->mu);
	while (!atomic_load(&wk->raised))
		if (pthread_cond_timedwait(&wk->cv, &wk->mu, &ts) != 0)
			break;
	bool raised = atomic_exchange(&wk->raised, false);
	pthread_mutex_unlock(&wk->mu);
	return raised;
}

struct ed_log_watchset {
	struct ed_topic *topic;
	int32_t n;
	struct ed_watcher w[];
};

static void on_hwm(struct ed_watcher *w)
{
	ed_log_wake_raise(w->arg);
}

struct ed_log_watchset *ed_log_watchset_new(struct ed_log_wake *wk, struct ed_topic *topic)
{
	int32_t n = ed_topic_partition_count(topic);
	struct ed_log_watchset *ws = ed_calloc(1,
					       sizeof(*ws) + (size_t)n * sizeof(struct ed_watcher));
	if (!ws)
		return NULL;
	ed_topic_ref(topic);
	ws->topic = topic;
	for (int32_t i = 0; i < n; i++) {
		struct ed_partition *part = ed_topic_partition(topic, i);
		if (!part)
			continue;
		struct ed_watcher *w = &ws->w[ws->n++];
		w->fn = on_hwm;
		w->arg = wk;
		ed_partition_watch(part, w);
	}
	/* Whatever arrived before the watch: let the sleeper look once. */
	ed_log_wake_raise(wk);
	return ws;
}

void ed_log_watchset_free(struct ed_log_watchset *ws)
{
	if (!ws)
		return;
	for (int32_t i = 0; i < ws->n; i++)
		ed_partition_unwatch(&ws->w[i]);
	ed_topic_unref(ws->topic);
	ed_free(ws);
}
