/* Group commit: one flusher thread per ed_log does every durability
 * fdatasync. Appenders that want durability register how far they need the
 * partition synced (ed_partition_sync blocks, ed_partition_sync_async leaves
 * a callback) and queue the partition; the flusher takes the whole queue,
 * reads each partition's hwm, fdatasyncs its active segment once and marks
 * everything below that hwm durable. Appends that arrive while one fdatasync
 * runs are all covered by the next one.
 *
 * A failed fdatasync is final: the partition enters the failed read-only
 * state and every waiter gets the error. The kernel may already have dropped
 * the dirty pages, so retrying could report success for data that is gone.
 *
 * Sealing of rolled segments (index files, recovery point) also runs here
 * when the partition's maint_lock is free; ed_log_maintain and close finish
 * it otherwise. */
#include <errno.h>
#include <time.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "log/log_int.h"

/* Caller holds fl_mu. */
static void enqueue_locked(struct ed_log *log, struct ed_partition *part)
{
	if (part->queued)
		return;
	ed_topic_ref(part->topic);
	part->queued = true;
	part->fl_next = NULL;
	if (log->fl_tail)
		log->fl_tail->fl_next = part;
	else
		log->fl_head = part;
	log->fl_tail = part;
	pthread_cond_signal(&log->fl_cv);
}

void ed_flusher_enqueue(struct ed_log *log, struct ed_partition *part)
{
	pthread_mutex_lock(&log->fl_mu);
	enqueue_locked(log, part);
	pthread_mutex_unlock(&log->fl_mu);
}

static void run_callbacks(struct ed_sync_waiter *w, int rc)
{
	while (w) {
		struct ed_sync_waiter *next = w->next;
		w->cb(w->arg, rc);
		ed_free(w);
		w = next;
	}
}

void ed_flusher_fail_waiters(struct ed_log *log, struct ed_partition *part, int rc)
{
	pthread_mutex_lock(&log->fl_mu);
	struct ed_sync_waiter *w = part->waiters;
	part->waiters = NULL;
	pthread_cond_broadcast(&log->done_cv);
	pthread_mutex_unlock(&log->fl_mu);
	run_callbacks(w, rc);
}

static void flush_one(struct ed_log *log, struct ed_partition *part)
{
	int rc = 0;
	if (!atomic_load(&part->failed)) {
		int64_t target = atomic_load_explicit(&part->hwm, memory_order_acquire);
		/* Only the active segment can hold unsynced data: a roll
		 * fdatasyncs the old one before the new one exists. */
		pthread_mutex_lock(&part->seg_lock);
		struct ed_segment *seg = part->segs[part->nsegs - 1];
		ed_segment_ref(seg);
		pthread_mutex_unlock(&part->seg_lock);
		pthread_mutex_lock(&part->sync_mu);
		if (atomic_exchange(&seg->dirty, false)) {
			rc = ed_io_fdatasync(seg->fd);
			atomic_fetch_add(&log->fsyncs, 1);
		}
		ed_segment_unref(seg);
		/* A roll's concurrent fdatasync may have taken the error report
		 * for both: a failure it recorded is ours too. */
		if (!rc && atomic_load(&part->failed))
			rc = atomic_load(&part->fail_err);
		if (rc) {
			ed_partition_set_failed(part, rc);
			pthread_mutex_unlock(&part->sync_mu);
		} else {
			struct ed_sync_waiter *done = NULL, **pp;
			pthread_mutex_lock(&log->fl_mu);
			if (target > part->durable)
				part->durable = target;
			pp = &part->waiters;
			while (*pp) {
				struct ed_sync_waiter *w = *pp;
				if (w->upto <= part->durable) {
					*pp = w->next;
					w->next = done;
					done = w;
				} else {
					pp = &w->next;
				}
			}
			if (part->sync_req > part->durable)
				enqueue_locked(log, part);
			pthread_cond_broadcast(&log->done_cv);
			pthread_mutex_unlock(&log->fl_mu);
			pthread_mutex_unlock(&part->sync_mu);
			run_callbacks(done, 0);
		}
	}
	if (atomic_load(&part->seal_pending) && !atomic_load(&part->failed) &&
	    pthread_mutex_trylock(&part->maint_lock) == 0) {
		ed_partition_seal(part);
		pthread_mutex_unlock(&part->maint_lock);
	}
}

static void *flusher_main(void *arg)
{
	struct ed_log *log = arg;
	pthread_mutex_lock(&log->fl_mu);
	for (;;) {
		while (!log->fl_head && !log->fl_stop)
			pthread_cond_wait(&log->fl_cv, &log->fl_mu);
		if (!log->fl_head)
			break;
		if (log->opts.flush_max_delay_ms > 0 && !log->fl_stop) {
			/* Let more appends join this group, up to the delay. */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t ns = ts.tv_nsec + log->opts.flush_max_delay_ms * 1000000LL;
			ts.tv_sec += ns / 1000000000LL;
			ts.tv_nsec = ns % 1000000000LL;
			pthread_cond_timedwait(&log->fl_cv, &log->fl_mu, &ts);
		}
		struct ed_partition *batch = log->fl_head;
		log->fl_head = log->fl_tail = NULL;
		/* Each partition leaves the queue (queued = false, under fl_mu)
		 * just before it is flushed: from then on an enqueue may reuse its
		 * fl_next, which is why next is read first. */
		while (batch) {
			struct ed_partition *part = batch;
			batch = part->fl_next;
			part->queued = false;
			pthread_mutex_unlock(&log->fl_mu);
			flush_one(log, part);
			ed_topic_unref(part->topic);
			pthread_mutex_lock(&log->fl_mu);
		}
	}
	pthread_mutex_unlock(&log->fl_mu);
	return NULL;
}

int ed_flusher_start(struct ed_log *log)
{
	log->fl_stop = false;
	if (pthread_create(&log->fl_thread, NULL, flusher_main, log) != 0)
		return ED_ENOMEM;
	log->fl_started = true;
	return 0;
}

void ed_flusher_stop(struct ed_log *log)
{
	if (!log->fl_started)
		return;
	pthread_mutex_lock(&log->fl_mu);
	log->fl_stop = true;
	pthread_cond_signal(&log->fl_cv);
	pthread_mutex_unlock(&log->fl_mu);
	pthread_join(log->fl_thread, NULL);
	log->fl_started = false;
}

int ed_partition_sync(struct ed_partition *part, int64_t upto)
{
	struct ed_log *log = part->topic->log;
	struct ed_topic_config cfg;
	int rc = 0;
	ed_partition_config(part, &cfg);
	if (cfg.flush_policy == ED_FLUSH_NEVER)
		return 0;
	if (atomic_load(&part->failed))
		return ED_EFAILED;
	int64_t hwm = ed_partition_hwm(part);
	if (upto > hwm)
		upto = hwm;
	pthread_mutex_lock(&log->fl_mu);
	for (;;) {
		if (atomic_load(&part->failed)) {
			rc = atomic_load(&part->fail_err);
			break;
		}
		if (part->durable >= upto)
			break;
		if (log->fl_stop) {
			rc = ED_ECLOSED;
			break;
		}
		if (upto > part->sync_req)
			part->sync_req = upto;
		enqueue_locked(log, part);
		pthread_cond_wait(&log->done_cv, &log->fl_mu);
	}
	pthread_mutex_unlock(&log->fl_mu);
	return rc;
}

int ed_partition_sync_async(struct ed_partition *part, int64_t upto, ed_sync_cb cb, void *arg)
{
	struct ed_log *log = part->topic->log;
	struct ed_topic_config cfg;
	ed_partition_config(part, &cfg);
	if (atomic_load(&part->failed))
		return ED_EFAILED;
	int64_t hwm = ed_partition_hwm(part);
	if (upto > hwm)
		upto = hwm;
	if (cfg.flush_policy == ED_FLUSH_NEVER) {
		cb(arg, 0);
		return 0;
	}
	struct ed_sync_waiter *w = ed_malloc(sizeof *w);
	if (!w)
		return ED_ENOMEM;
	w->upto = upto;
	w->cb = cb;
	w->arg = arg;
	pthread_mutex_lock(&log->fl_mu);
	if (atomic_load(&part->failed) || log->fl_stop) {
		pthread_mutex_unlock(&log->fl_mu);
		ed_free(w);
		return log->fl_stop ? ED_ECLOSED : ED_EFAILED;
	}
	if (part->durable >= upto) {
		pthread_mutex_unlock(&log->fl_mu);
		ed_free(w);
		cb(arg, 0);
		return 0;
	}
	w->next = part->waiters;
	part->waiters = w;
	if (upto > part->sync_req)
		part->sync_req = upto;
	enqueue_locked(log, part);
	pthread_mutex_unlock(&log->fl_mu);
	return 0;
}

uint64_t ed_log_fsync_count(struct ed_log *log)
{
	return atomic_load(&log->fsyncs);
}
