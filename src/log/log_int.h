/* Internals of the log module (see log.h for the public contract): the
 * structs behind ed_log, ed_topic, ed_partition and ed_segment, the on-disk
 * layout of a data directory, and the functions the log's .c files share.
 * Nothing outside src/log/ includes this file (tests may).
 *
 * Data directory layout:
 *
 *   <dir>/.lock                       flock(LOCK_EX|LOCK_NB) by the owning process
 *   <dir>/clean-shutdown              present only between a clean close and the next open
 *   <dir>/topics/<name>/topic.conf    key=value lines (config.c), written atomically
 *   <dir>/topics/<name>/<p>/          one directory per partition p = 0..N-1
 *       <base>.log                    RecordBatch v2 frames back to back (batch.h)
 *       <base>.index                  sparse offset index (format below)
 *       <base>.timeindex              sparse time index (format below)
 *       recovery-point                decimal offset R: segments with base < R are
 *                                     sealed (data, indexes fsynced) and are not
 *                                     rescanned after a crash
 *   <dir>/trash/                      topics being deleted (removed on open)
 *
 *   <base> is the segment's first offset as 20 decimal digits.
 *
 * .index (all integers big-endian):
 *
 *   offset size field
 *   ------ ---- ------------------------------------------------------------
 *        0    4 magic "EDX1" (format version 1)
 *        4    8 entry 0: relOffset u32 (batch baseOffset - segment base),
 *                        position u32 (byte offset of the batch in .log)
 *       12    8 entry 1 ...           entries strictly increasing in both
 *
 * .timeindex (all integers big-endian):
 *
 *   offset size field
 *   ------ ---- ------------------------------------------------------------
 *        0    4 magic "EDT1" (format version 1)
 *        4   16 entry 0: timestamp i64 (largest maxTimestamp of the batches
 *                        up to and including this one), relOffset u32 and
 *                        position u32 of that batch
 *       20   16 entry 1 ...           timestamps strictly increasing
 *
 * Indexes are derived data: a missing or inconsistent index file is rebuilt
 * from the .log at open. The active segment's indexes live in memory and are
 * written when the segment is sealed (after a roll) or at a clean close.
 *
 * Threads and ownership:
 *  - part->append_lock: held by the single writer (append, roll). Owns the
 *    active segment's write position and the roll decision.
 *  - part->seg_lock: a mutex held only briefly (pointer copies and binary
 *    searches, never I/O) around the segment array and every segment's
 *    in-memory index arrays. Readers take it to find and ref a segment, then
 *    pread without it. Segments are refcounted: a reader's ref keeps the fds
 *    open across a roll, retention delete or compaction swap.
 *  - part->maint_lock: serialises housekeeping on closed segments: sealing
 *    (index files + recovery point), retention and compaction. The flusher
 *    only trylocks it so group commit never waits for a compaction.
 *  - part->watch_mu: the hwm watchers (watch.c); taken by an append only
 *    when there are watchers, after the hwm store, with no other lock held.
 *  - log->fl_mu: the flusher's queue and each partition's durability state
 *    (durable, sync_req, waiters, queued). The flusher thread does every
 *    group-commit fdatasync.
 *  - Published to readers without locks: part->hwm (release store after the
 *    data write; acquire load), seg->end_pos (release, stored before hwm),
 *    seg->max_ts, part->start_offset, part->failed.
 */
#ifndef ED_LOG_INT_H
#define ED_LOG_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "log/batch.h"
#include "log/log.h"

#define ED_SEG_NAME_DIGITS 20
#define ED_INDEX_MAGIC "EDX1"
#define ED_TIMEINDEX_MAGIC "EDT1"
#define ED_INDEX_ENTRY_SIZE 8
#define ED_TIMEINDEX_ENTRY_SIZE 16
#define ED_INDEX_HEADER_SIZE 4
#define ED_TOPIC_CONF "topic.conf"
#define ED_RECOVERY_POINT "recovery-point"
#define ED_CLEAN_MARKER "clean-shutdown"
#define ED_CONF_MAX_BYTES 65536

struct ed_index_entry {
	uint32_t rel; /* batch baseOffset - segment base */
	uint32_t pos; /* byte position of the batch in .log */
};

struct ed_time_entry {
	int64_t ts; /* largest maxTimestamp up to and including this batch */
	uint32_t rel;
	uint32_t pos;
};

/* One segment: data file plus in-memory indexes. Refcounted; the last unref
 * closes the fds and frees it (it never unlinks: deleting files is the job of
 * whoever removes the segment from the partition). */
struct ed_segment {
	int64_t base_offset;
	char *path; /* .../<base>.log; index paths derived from it */
	int fd;     /* O_RDWR data file */
	atomic_int refs;
	_Atomic int64_t end_pos;   /* bytes of complete batches; release-published */
	_Atomic int64_t max_ts;    /* largest batch maxTimestamp, -1 if none */
	int64_t next_offset;       /* offset after the last batch (writer / open) */
	int64_t created_ms;        /* wall clock of the first append (roll by age) */
	int64_t mtime_ms;          /* wall clock of the last append (retention fallback) */
	int64_t bytes_since_index; /* writer: bytes appended since the last index entry */
	atomic_bool dirty;         /* written since the flusher's last fdatasync */
	bool closed;               /* no more appends (set under append_lock + seg_lock) */
	bool sealed;               /* closed, synced, index files written (maint_lock) */
	/* In-memory indexes, guarded by part->seg_lock. */
	struct ed_index_entry *idx;
	size_t nidx, idx_cap;
	struct ed_time_entry *tidx;
	size_t ntidx, tidx_cap;
};

struct ed_sync_waiter {
	struct ed_sync_waiter *next;
	int64_t upto;
	ed_sync_cb cb;
	void *arg;
};

struct ed_partition {
	struct ed_topic *topic; /* owner; the partition lives as long as the topic */
	int32_t index;
	char *dir;

	pthread_mutex_t append_lock;
	pthread_mutex_t seg_lock;
	pthread_mutex_t maint_lock;
	/* Serialises the fdatasyncs of the roll and of the flusher with the
	 * failure they may report: Linux reports a writeback error to only one
	 * of two concurrent fdatasyncs, so the other must not count as success.
	 * Order: sync_mu before log->fl_mu. */
	pthread_mutex_t sync_mu;

	struct ed_segment **segs; /* sorted by base offset; the last is active (seg_lock) */
	size_t nsegs, segs_cap;

	_Atomic int64_t hwm;
	_Atomic int64_t start_offset;
	atomic_bool failed;
	atomic_int fail_err;      /* the error that failed the partition */
	atomic_bool seal_pending; /* closed segments wait for sealing */
	int64_t recovery_point;   /* maint_lock */

	/* Durability state, guarded by log->fl_mu. */
	int64_t durable;  /* every offset below is on disk */
	int64_t sync_req; /* largest upto asked for */
	struct ed_sync_waiter *waiters;
	bool queued; /* on the flusher's list */
	struct ed_partition *fl_next;

	/* Watchers of the hwm (watch.c): a doubly linked list under watch_mu;
	 * nwatchers lets an append without watchers skip the lock. */
	pthread_mutex_t watch_mu;
	struct ed_watcher *watchers;
	atomic_int nwatchers;

	/* Traffic counters for metrics (relaxed atomics, any thread). */
	_Atomic uint64_t records_in, bytes_in, records_out, bytes_out;

	/* Compaction bookkeeping (maint_lock). */
	int64_t compact_active_base; /* active segment base at the last compaction, -1 never */
	int64_t compact_next_ms;     /* when a kept tombstone expires */
};

struct ed_topic {
	struct ed_log *log;
	char *name;
	char *dir;
	atomic_int refs;
	atomic_bool deleted;
	pthread_mutex_t cfg_mu; /* cfg and the partition array */
	struct ed_topic_config cfg;
	struct ed_partition **parts;
	int32_t nparts;
};

struct ed_log {
	char *dir;
	int lock_fd;
	struct ed_log_options opts;

	pthread_mutex_t mu; /* the topic registry */
	struct ed_topic **topics;
	size_t ntopics, topics_cap;
	uint64_t trash_seq;

	/* The flusher. */
	pthread_t fl_thread;
	bool fl_started;
	pthread_mutex_t fl_mu;
	pthread_cond_t fl_cv;   /* wakes the flusher */
	pthread_cond_t done_cv; /* wakes blocked sync waiters */
	bool fl_stop;
	struct ed_partition *fl_head, *fl_tail;
	_Atomic uint64_t fsyncs;
};

/* ---- config.c ---- */
/* Render the config as the topic.conf text (with partitions=N). */
int ed_topic_config_render(const struct ed_topic_config *cfg, struct ed_buf *out);
/* Parse topic.conf text. ED_ECORRUPT with the line in err on any bad line. */
int ed_topic_config_parse(const char *text, struct ed_topic_config *cfg, char *err, size_t errlen);
/* Check cross-field constraints. ED_EINVAL with the reason. */
int ed_topic_config_validate(const struct ed_topic_config *cfg, char *err, size_t errlen);

/* ---- segment.c ---- */
/* Build "<dir>/<20-digit base><ext>" into an ed_malloc'd string. */
char *ed_seg_path(const char *dir, int64_t base, const char *ext);
/* Derive the .index / .timeindex path from a .log path (ed_malloc'd). */
char *ed_seg_sibling(const char *log_path, const char *ext);
/* Create a new empty segment file (O_EXCL). ED_EEXIST, ED_EIO. */
int ed_segment_create(const char *dir, int64_t base, struct ed_segment **out);
/* Open an existing data file (no scan). */
int ed_segment_open_file(const char *path, int64_t base, struct ed_segment **out);
void ed_segment_ref(struct ed_segment *seg);
void ed_segment_unref(struct ed_segment *seg);
/* Record the index entries for a batch of size bytes at pos; called by the
 * writer under seg_lock only when an entry is due. Allocation failure just
 * skips the entry (the index is sparse). */
void ed_segment_index_add(struct ed_segment *seg, int64_t base_offset, int64_t pos, int64_t max_ts);
/* Track one appended batch: maybe add index entries (takes seg_lock if so). */
void ed_segment_note_batch(struct ed_partition *part, struct ed_segment *seg, int64_t base_offset,
			   int64_t last_offset, int64_t pos, int64_t size, int64_t max_ts,
			   int32_t interval);
/* Floor lookups in the in-memory indexes; caller holds seg_lock. Return the
 * position to start scanning from (0 if no entry qualifies). */
int64_t ed_segment_lookup_offset(const struct ed_segment *seg, int64_t offset);
int64_t ed_segment_lookup_time(const struct ed_segment *seg, int64_t ts);
/* Write .index and .timeindex atomically from the in-memory arrays. The
 * caller guarantees no writer touches them (closed segment or shutdown). */
int ed_segment_write_indexes(struct ed_segment *seg);
/* Load the index files; 0 if both exist and are consistent with the data
 * file of size bytes, ED_ENOENT/ED_ECORRUPT otherwise (then rebuild). */
int ed_segment_load_indexes(struct ed_segment *seg, int64_t size);
/* Remove a segment's files (data and indexes). */
void ed_segment_unlink(struct ed_segment *seg);

/* A small read-ahead window over a data file, for walking batch headers. */
struct ed_seg_reader {
	int fd;
	int64_t win_pos;
	size_t win_len;
	uint8_t win[16384];
};
void ed_seg_reader_init(struct ed_seg_reader *rd, int fd);
/* Pointer to n (<= sizeof win) bytes at pos, or NULL if the file ends first
 * (*rc = ED_EAGAIN) or reading fails (*rc = ED_EIO). */
const uint8_t *ed_seg_reader_get(struct ed_seg_reader *rd, int64_t pos, size_t n, int *rc);

/* ---- partition.c ---- */
int ed_partition_new(struct ed_topic *topic, int32_t index, const char *dir,
		     struct ed_partition **out);
void ed_partition_free(struct ed_partition *part);
/* Seal the closed segments (index files, recovery point). Caller holds
 * maint_lock. 0 or the I/O error (the partition is then failed). */
int ed_partition_seal(struct ed_partition *part);
/* Close the active segment and start a new one at the hwm. Caller holds
 * append_lock. fdatasyncs the old data file first so that a non-final
 * segment is always complete on disk. */
int ed_partition_roll(struct ed_partition *part);
/* Put the partition into the failed read-only state with error rc and fail
 * every sync waiter. Idempotent (the first error wins). */
void ed_partition_set_failed(struct ed_partition *part, int rc);
/* Snapshot the segment array with a ref on each; free with ed_segs_release. */
int ed_partition_segs_snapshot(struct ed_partition *part, struct ed_segment ***out, size_t *n);
void ed_segs_release(struct ed_segment **segs, size_t n);
/* Replace segment old with new_seg in the array (compaction swap). */
void ed_partition_replace_segment(struct ed_partition *part, struct ed_segment *old,
				  struct ed_segment *new_seg);
/* Clean close: sync, seal, write the active segment's indexes. */
int ed_partition_close(struct ed_partition *part);
/* Write the recovery point file. */
int ed_partition_write_recovery_point(struct ed_partition *part, int64_t rp);
void ed_partition_config(struct ed_partition *part, struct ed_topic_config *cfg);

/* ---- watch.c ---- */
/* Call every watcher of part: the hwm just advanced (appending thread, after
 * the release store of the hwm). */
void ed_partition_notify(struct ed_partition *part);

/* ---- recovery.c ---- */
/* Load the partition's segments from its directory. clean: the log was shut
 * down cleanly (trust index files). ED_ECORRUPT with file and position in err
 * for damage before the tail. */
int ed_partition_recover(struct ed_partition *part, bool clean, char *err, size_t errlen);

/* ---- flusher.c ---- */
int ed_flusher_start(struct ed_log *log);
/* Finish queued work and join the thread. */
void ed_flusher_stop(struct ed_log *log);
/* Queue the partition for the flusher (a sync or a seal is due). */
void ed_flusher_enqueue(struct ed_log *log, struct ed_partition *part);
/* Fail every waiter of part with rc (called with fl_mu NOT held). */
void ed_flusher_fail_waiters(struct ed_log *log, struct ed_partition *part, int rc);

/* ---- retention.c / compact.c ---- */
int ed_partition_retain(struct ed_partition *part, const struct ed_topic_config *cfg, int64_t now_ms);
int ed_partition_compact(struct ed_partition *part, const struct ed_topic_config *cfg,
			 int64_t now_ms);
/* Remove a closed, sealed segment from the front of the partition. */
void ed_partition_drop_first(struct ed_partition *part);

/* ---- logdir.c ---- */
void ed_topic_ref(struct ed_topic *topic);

/* Formats err if errlen > 0; returns rc. */
int ed_log_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline uint32_t ed_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t ed_rd64(const uint8_t *p)
{
	return (uint64_t)ed_rd32(p) << 32 | ed_rd32(p + 4);
}
static inline void ed_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void ed_wr64(uint8_t *p, uint64_t v)
{
	ed_wr32(p, (uint32_t)(v >> 32));
	ed_wr32(p + 4, (uint32_t)v);
}

#endif
