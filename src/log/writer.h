/* The log's one local writer: how eddy's own producers (HTTP ingest, the
 * CLI's data-dir produce, the engine's sinks) place records in partitions
 * and append them. Placement is Kafka's default partitioner, so a key lands
 * in the partition a Kafka client would pick:
 *
 *   keyed record (key not null, possibly empty):
 *       partition = toPositive(murmur2(key)) % partitions
 *       with toPositive(h) = h & 0x7fffffff (Java's Utils.toPositive) and
 *       murmur2 seeded 0x9747b28c (base/hash.h), as the Java client's
 *       BuiltInPartitioner and librdkafka's murmur2_random do;
 *   null key: round robin, one record per partition in turn (Java's
 *       DefaultPartitioner before 2.4; librdkafka spreads them at random).
 *       The CLI's --server mode places null keys the same way, so both of
 *       its modes put every record in the same partition.
 *
 * Batches are built here, so they are appended with
 * ed_partition_append_validated after a header parse, never validated a
 * second time (the builder's output is trusted).
 *
 * Threads: a writer belongs to one thread at a time; the topic handle it
 * refers to must outlive it. */
#ifndef ED_LOG_WRITER_H
#define ED_LOG_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log/batch.h"
#include "log/log.h"

/* Kafka's partition for a key of key_len >= 0 bytes among nparts >= 1:
 * toPositive(murmur2(key)) % nparts. */
int32_t ed_log_key_partition(const void *key, int32_t key_len, int32_t nparts);

/* Called after each batch is appended: count records of partition part got
 * offsets res->base_offset .. res->last_offset, in the order they were added. */
typedef void (*ed_log_writer_cb)(void *arg, int32_t part, const struct ed_append_result *res,
				 int32_t count);

struct ed_log_writer_part {
	struct ed_batch_builder bb;
	bool used;       /* bb initialised */
	int64_t next;    /* offset after the last record appended, -1 before */
	size_t last_len; /* bytes of the last batch appended */
};

struct ed_log_writer {
	struct ed_topic *topic; /* borrowed */
	int32_t nparts;         /* partitions when the writer was made */
	struct ed_log_writer_part *parts;
	int codec;
	size_t max_batch;    /* a partition's batch is appended before it passes this */
	int32_t max_records; /* ... or holds this many records (0: no limit) */
	uint32_t rr;         /* round-robin cursor for keyless records */
	ed_log_writer_cb cb;
	void *cb_arg;
};

/* Make a writer for topic (borrowed; its partition count is read now).
 * max_batch 0 means the topic's max.message.bytes; rr_start is where the
 * round robin of keyless records starts (callers keep w->rr across writers
 * to go on where the last one stopped). 0 or ED_ENOMEM. */
int ed_log_writer_init(struct ed_log_writer *w, struct ed_topic *topic, int codec, size_t max_batch,
		       uint32_t rr_start);
/* Free the builders; records not yet appended are dropped. NULL-safe on a
 * zeroed writer. */
void ed_log_writer_fini(struct ed_log_writer *w);

/* The partition for a record with this key (NULL with key_len < 0: null
 * key; each call then advances the round robin). */
int32_t ed_log_writer_place(struct ed_log_writer *w, const void *key, int32_t key_len);

/* Add one record to partition part (-1: ed_log_writer_place decides). When
 * the partition's open batch would pass max_batch or max_records it is
 * appended first. *placed (if not NULL) gets the partition. 0, ED_ERANGE
 * (part outside the topic), ED_ENOMEM, ED_EINVAL/ED_ETOOBIG from the
 * builder, or an append error (err says which partition and why). */
int ed_log_writer_add(struct ed_log_writer *w, int32_t part, int64_t timestamp, const void *key,
		      int32_t key_len, const void *value, int32_t value_len,
		      const struct ed_header *headers, uint32_t header_count, int32_t *placed,
		      char *err, size_t errlen);

/* Append partition part's open batch (nothing if empty). Errors as
 * ed_partition_append. */
int ed_log_writer_flush_part(struct ed_log_writer *w, int32_t part, char *err, size_t errlen);
/* Append every open batch; stops at the first error. */
int ed_log_writer_flush(struct ed_log_writer *w, char *err, size_t errlen);

#endif
