/* The durable, partitioned log: a data directory holds topics, a topic holds
 * partitions, a partition is an ordered list of segments of RecordBatch v2
 * frames (see batch.h) with sparse offset and time indexes. This is the
 * interface the rest of eddy uses; internals live in log_int.h.
 *
 * Threads: every function here is thread-safe. Each partition has exactly one
 * writer at a time (appends are serialised by the partition's append lock);
 * readers never take that lock and see data once the high-water mark (hwm)
 * covers it. Durability is asked for per append or per topic (flush policy);
 * fdatasyncs are grouped by one flusher thread per log. */
#ifndef ED_LOG_H
#define ED_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct ed_log;
struct ed_topic;
struct ed_partition;

enum ed_cleanup_policy {
	ED_CLEANUP_DELETE = 1,
	ED_CLEANUP_COMPACT = 2, /* both may be set: "compact,delete" */
};

enum ed_flush_policy {
	ED_FLUSH_ON_REQUEST = 0, /* fdatasync only for appends that ask (acks=all) */
	ED_FLUSH_ALWAYS = 1,     /* every append is durable before it completes */
	ED_FLUSH_NEVER = 2,      /* leave it to the OS, even when asked (tests, caches) */
};

/* Per-topic configuration; names and meanings follow Kafka's topic configs. */
struct ed_topic_config {
	int32_t partitions;            /* >= 1 */
	int64_t retention_ms;          /* retention.ms, -1 = forever (default 7 days) */
	int64_t retention_bytes;       /* retention.bytes per partition, -1 = unlimited */
	int64_t segment_bytes;         /* segment.bytes (default 1 GiB, min 4096) */
	int64_t segment_ms;            /* segment.ms (default 7 days) */
	int32_t max_message_bytes;     /* max.message.bytes: largest batch (default 1048588) */
	int cleanup_policy;            /* cleanup.policy: ED_CLEANUP_* bits (default delete) */
	int64_t delete_retention_ms;   /* delete.retention.ms: tombstone life (default 1 day) */
	int64_t min_compaction_lag_ms; /* min.compaction.lag.ms (default 0) */
	int flush_policy;              /* eddy.flush.policy: on-request|always|never */
	int32_t index_interval_bytes;  /* index.interval.bytes (default 4096) */
	bool log_append_time;          /* message.timestamp.type=LogAppendTime */
};

void ed_topic_config_defaults(struct ed_topic_config *cfg);
/* Set one config by its Kafka name ("retention.ms", "cleanup.policy", ...).
 * ED_ENOENT for an unknown name, ED_EINVAL for a bad value; err says why. */
int ed_topic_config_set(struct ed_topic_config *cfg, const char *name, const char *value, char *err,
			size_t errlen);
/* Call fn for every config name with its value rendered as text. */
void ed_topic_config_each(const struct ed_topic_config *cfg,
			  void (*fn)(void *arg, const char *name, const char *value), void *arg);
/* 0 if the name is a valid Kafka topic name: 1-249 chars of [a-zA-Z0-9._-],
 * not "." or "..". ED_EINVAL with the reason otherwise. */
int ed_topic_name_validate(const char *name, char *err, size_t errlen);

struct ed_log_options {
	struct ed_topic_config defaults; /* for topics created without a config */
	int64_t flush_max_delay_ms;      /* flusher waits at most this long to group (default 0) */
};
void ed_log_options_defaults(struct ed_log_options *opts);

/* Open (creating if needed) the data directory and take its lock (ED_EBUSY if
 * another process holds it). Runs recovery: segments written since the last
 * clean shutdown are scanned, a torn tail is truncated at the last valid batch
 * and indexes rebuilt; damage before the tail fails the open with ED_ECORRUPT
 * naming file and position in err. opts may be NULL. */
int ed_log_open(const char *dir, const struct ed_log_options *opts, struct ed_log **out, char *err,
		size_t errlen);
/* Flush everything, mark a clean shutdown, release the lock. NULL is fine.
 * Every topic handle must have been released (ed_topic_unref) before. */
void ed_log_close(struct ed_log *log);

/* Create a topic; cfg NULL means the log's defaults. ED_EEXIST, ED_EINVAL. */
int ed_log_topic_create(struct ed_log *log, const char *name, const struct ed_topic_config *cfg,
			char *err, size_t errlen);
/* Delete a topic and its data. ED_ENOENT. Handles held by others stay valid
 * (reads fail with ED_ENOENT) until their last unref. */
int ed_log_topic_delete(struct ed_log *log, const char *name);
/* A referenced handle or NULL; release with ed_topic_unref. */
struct ed_topic *ed_log_topic_get(struct ed_log *log, const char *name);
void ed_topic_unref(struct ed_topic *topic);
/* Sorted names, ed_malloc'd array of ed_malloc'd strings: free with ed_log_names_free. */
int ed_log_topic_names(struct ed_log *log, char ***names, size_t *count);
void ed_log_names_free(char **names, size_t count);
size_t ed_log_topic_count(struct ed_log *log);
/* Change configs of an existing topic (not partitions); persisted. */
int ed_log_topic_set_config(struct ed_log *log, const char *name, const char *key,
			    const char *value, char *err, size_t errlen);
/* Grow a topic to n partitions (never shrinks). */
int ed_log_topic_add_partitions(struct ed_log *log, const char *name, int32_t n, char *err,
				size_t errlen);
const char *ed_log_dir(const struct ed_log *log);

const char *ed_topic_name(const struct ed_topic *topic);
int32_t ed_topic_partition_count(const struct ed_topic *topic);
/* A copy of the current config. */
void ed_topic_config_get(const struct ed_topic *topic, struct ed_topic_config *cfg);
/* Borrowed pointer, valid while the topic handle is held; NULL if out of range. */
struct ed_partition *ed_topic_partition(struct ed_topic *topic, int32_t index);

struct ed_append_result {
	int64_t base_offset;
	int64_t last_offset;
	int64_t log_append_time; /* -1 unless the topic uses LogAppendTime */
};

/* Validate and append one RecordBatch v2 (modified in place: baseOffset
 * stamped, and the timestamp when the topic uses LogAppendTime). Records
 * become visible to readers when this returns. Not yet durable: see
 * ed_partition_sync. Errors: ED_ECORRUPT/ED_EUNSUPPORTED (bad batch, see err),
 * ED_ETOOBIG (over max.message.bytes), ED_EFAILED (partition failed
 * read-only after an I/O error), ED_EIO, ED_ENOSPC. */
int ed_partition_append(struct ed_partition *part, uint8_t *batch, size_t len,
			struct ed_append_result *res, char *err, size_t errlen);
/* ed_partition_append for a batch the caller has just validated with
 * ed_batch_validate (same bytes, unchanged since): bi is what the validator
 * filled in, so the CRC and the record walk are not done again. Only for
 * trusted callers that validated themselves (the Kafka produce path, the
 * local writer of writer.h); anything else uses ed_partition_append. Checks
 * the size against len and max.message.bytes; errors as above. */
struct ed_batch_info;
int ed_partition_append_validated(struct ed_partition *part, uint8_t *batch, size_t len,
				  const struct ed_batch_info *bi, struct ed_append_result *res,
				  char *err, size_t errlen);

/* Block until every offset below upto is on disk (fdatasync, grouped with
 * other waiters). 0, or ED_EFAILED/ED_EIO if the partition failed: waiters
 * in flight get the fdatasync's error, later calls ED_EFAILED, and no call
 * succeeds after a failure. With the topic's flush policy "never" returns 0
 * at once. */
int ed_partition_sync(struct ed_partition *part, int64_t upto);
/* Same without blocking: cb(arg, err) runs on the flusher thread once offsets
 * below upto are durable or the partition failed (or at once, on this thread,
 * if they already are). Returns ED_EFAILED/ED_ENOMEM/ED_ECLOSED without
 * calling cb when the wait cannot be registered. */
typedef void (*ed_sync_cb)(void *arg, int err);
int ed_partition_sync_async(struct ed_partition *part, int64_t upto, ed_sync_cb cb, void *arg);

/* Watchers: the log tells exactly the waiters of a partition that its hwm
 * advanced. A watcher is owned by its caller (embed it anywhere; the log
 * neither allocates nor frees it). fn runs on the appending thread right
 * after the hwm of part moved, with the partition's watcher lock held:
 * it must be quick and must not block, append, or (un)watch this
 * partition; typically it sets a flag and signals a condition variable or
 * a uv_async. Appends with no watchers pay one atomic load; an append with
 * watchers takes the watcher lock once, never allocates.
 *
 * Registration is race-free with appends: an append whose hwm a caller
 * could not have seen before ed_partition_watch returned calls fn, so
 * "watch, then re-read the hwm, then sleep until fn" never misses data.
 * Any thread may watch and unwatch. */
struct ed_watcher;
typedef void (*ed_watch_fn)(struct ed_watcher *w);
struct ed_watcher {
	ed_watch_fn fn;
	void *arg;
	/* the log's: */
	struct ed_partition *part; /* NULL when not registered */
	struct ed_watcher *prev, *next;
};
/* Register w (fn and arg set by the caller) on part; w must not be
 * registered already. part must stay alive (hold its topic) until unwatch. */
void ed_partition_watch(struct ed_partition *part, struct ed_watcher *w);
/* Unregister w; a no-op if it is not registered. When this returns, fn is
 * not running for w and will not run again. */
void ed_partition_unwatch(struct ed_watcher *w);

/* High-water mark: the next offset to be assigned; everything below is
 * readable. Lock-free (acquire load). */
int64_t ed_partition_hwm(struct ed_partition *part);
/* First offset still stored (advances with retention). */
int64_t ed_partition_start_offset(struct ed_partition *part);
/* Bytes stored in the partition's segments. */
int64_t ed_partition_size(struct ed_partition *part);
int32_t ed_partition_segment_count(struct ed_partition *part);
int32_t ed_partition_index(const struct ed_partition *part);
/* Traffic since the process opened the log: records and batch bytes
 * appended (in) and returned by ed_partition_read (out: Kafka fetches, HTTP
 * reads and SQL pipelines alike). Relaxed counters, for metrics. */
struct ed_partition_stats {
	uint64_t records_in, bytes_in, records_out, bytes_out;
};
void ed_partition_stats(struct ed_partition *part, struct ed_partition_stats *st);
/* True once an I/O failure made the partition read-only. */
bool ed_partition_failed(struct ed_partition *part);

/* Append to out whole batches starting with the one that contains offset,
 * while they fit in max_bytes (at least one batch is returned even if larger).
 * Nothing is appended when offset == hwm. ED_ERANGE when offset < start
 * offset or > hwm. Never returns bytes at or past the hwm. */
int ed_partition_read(struct ed_partition *part, int64_t offset, size_t max_bytes,
		      struct ed_buf *out);
/* First offset whose record timestamp is >= ts (Kafka ListOffsets). ED_ENOENT
 * if no such record (callers answer with the hwm). */
int ed_partition_offset_for_time(struct ed_partition *part, int64_t ts, int64_t *offset);
/* The same, also giving the found record's timestamp (the batch's append
 * time under LogAppendTime), as Kafka's ListOffsets answers it. */
int ed_partition_lookup_time(struct ed_partition *part, int64_t ts, int64_t *offset,
			     int64_t *record_ts);

/* Housekeeping the server runs periodically (and tests call directly): roll
 * segments by age, delete by retention time and size, compact topics with
 * cleanup.policy=compact. Returns 0 or the first error. */
int ed_log_maintain(struct ed_log *log, int64_t now_ms);

/* Number of group-commit fdatasyncs the flusher has issued (metrics, tests). */
uint64_t ed_log_fsync_count(struct ed_log *log);

#endif
