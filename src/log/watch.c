/* Per-partition watchers of the high-water mark (log.h): the one way readers
 * learn that a partition grew. Kafka fetches parked on a long poll and
 * engine pipelines waiting for input register here and are woken by the
 * append that advanced the hwm, and only by appends to the partitions they
 * watch. The list is intrusive (the watcher is the caller's memory), so an
 * append allocates nothing; with no watchers it costs one fence and one
 * atomic load. */
#include <stdatomic.h>

#include "log/log_int.h"

void ed_partition_watch(struct ed_partition *part, struct ed_watcher *w)
{
	pthread_mutex_lock(&part->watch_mu);
	w->part = part;
	w->prev = NULL;
	w->next = part->watchers;
	if (part->watchers)
		part->watchers->prev = w;
	part->watchers = w;
	atomic_fetch_add_explicit(&part->nwatchers, 1, memory_order_seq_cst);
	pthread_mutex_unlock(&part->watch_mu);
	/* Pairs with the fence after the hwm store in ed_partition_append:
	 * either that append sees this watcher, or the caller's next hwm load
	 * sees the append. */
	atomic_thread_fence(memory_order_seq_cst);
}

void ed_partition_unwatch(struct ed_watcher *w)
{
	struct ed_partition *part = w->part;
	if (!part)
		return;
	pthread_mutex_lock(&part->watch_mu);
	if (w->prev)
		w->prev->next = w->next;
	else
		part->watchers = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->part = NULL;
	atomic_fetch_sub_explicit(&part->nwatchers, 1, memory_order_relaxed);
	pthread_mutex_unlock(&part->watch_mu);
}

void ed_partition_notify(struct ed_partition *part)
{
	pthread_mutex_lock(&part->watch_mu);
	for (struct ed_watcher *w = part->watchers; w; w = w->next)
		w->fn(w);
	pthread_mutex_unlock(&part->watch_mu);
}
