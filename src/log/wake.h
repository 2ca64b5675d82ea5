/* A wake-up a thread sleeps on until data arrives in the partitions it
 * reads: the log's watchers (log.h) raise it from the appending thread.
 * Used by engine workers, which read their sources' partitions on their
 * own threads instead of polling them.
 *
 * The raised flag persists until the sleeper takes it, so a raise between
 * the sleeper's last read and its sleep is never lost. Raising takes the
 * wake's mutex only when the flag was clear, and that mutex is only ever
 * held for a few instructions (never across a read or a sleep's I/O), so
 * an append never waits on a reader. */
#ifndef ED_LOG_WAKE_H
#define ED_LOG_WAKE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "log/log.h"

struct ed_log_wake {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	atomic_bool raised;
};

void ed_log_wake_init(struct ed_log_wake *wk);
void ed_log_wake_fini(struct ed_log_wake *wk);
/* Any thread: wake the sleeper (or make its next wait return at once). */
void ed_log_wake_raise(struct ed_log_wake *wk);
/* Sleep until raised or timeout_ms passed; takes the raise. True if raised. */
bool ed_log_wake_wait(struct ed_log_wake *wk, int64_t timeout_ms);

/* Watchers on every partition of a topic that raise wk when one grows. The
 * set holds a reference on the topic. NULL when out of memory (callers then
 * just wake by their timeout). Free (unwatching all) with
 * ed_log_watchset_free, which accepts NULL. */
struct ed_log_watchset;
struct ed_log_watchset *ed_log_watchset_new(struct ed_log_wake *wk, struct ed_topic *topic);
void ed_log_watchset_free(struct ed_log_watchset *ws);

#endif
