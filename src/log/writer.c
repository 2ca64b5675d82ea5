/* The local writer (writer.h): Kafka's default partitioner and per-partition
 * batch building for eddy's own producers. A writer keeps one reusable
 * ed_batch_builder per partition written to, so adding a record allocates
 * nothing once the builders have grown. */
#include "log/writer.h"

#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/hash.h"
#include "base/mem.h"

/* Bytes a record adds to a batch at most, beyond its key and value: length,
 * attributes, timestamp and offset deltas, key and value lengths, header
 * count (varints at their widest). */
#define RECORD_BOUND 40

int32_t ed_log_key_partition(const void *key, int32_t key_len, int32_t nparts)
{
	uint32_t h = ed_murmur2(key, key_len > 0 ? (size_t)key_len : 0);
	return (int32_t)((h & 0x7fffffff) % (uint32_t)nparts);
}

int ed_log_writer_init(struct ed_log_writer *w, struct ed_topic *topic, int codec, size_t max_batch,
		       uint32_t rr_start)
{
	memset(w, 0, sizeof *w);
	w->topic = topic;
	w->nparts = ed_topic_partition_count(topic);
	if (w->nparts < 1)
		w->nparts = 1;
	w->codec = codec;
	if (!max_batch) {
		struct ed_topic_config cfg;
		ed_topic_config_get(topic, &cfg);
		max_batch = cfg.max_message_bytes > 0 ? (size_t)cfg.max_message_bytes : 1u << 20;
	}
	w->max_batch = max_batch;
	w->rr = rr_start;
	w->parts = ed_calloc((size_t)w->nparts, sizeof *w->parts);
	if (!w->parts)
		return ED_ENOMEM;
	for (int32_t p = 0; p < w->nparts; p++)
		w->parts[p].next = -1;
	return 0;
}

void ed_log_writer_fini(struct ed_log_writer *w)
{
	if (!w->parts)
		return;
	for (int32_t p = 0; p < w->nparts; p++)
		if (w->parts[p].used)
			ed_batch_builder_fini(&w->parts[p].bb);
	ed_free(w->parts);
	w->parts = NULL;
}

int32_t ed_log_writer_place(struct ed_log_writer *w, const void *key, int32_t key_len)
{
	if (key && key_len >= 0)
		return ed_log_key_partition(key, key_len, w->nparts);
	return (int32_t)(w->rr++ % (uint32_t)w->nparts);
}

int ed_log_writer_flush_part(struct ed_log_writer *w, int32_t part, char *err, size_t errlen)
{
	struct ed_log_writer_part *wp = &w->parts[part];
	struct ed_batch_info bi;
	struct ed_append_result res;
	uint8_t *batch;
	size_t len;
	int rc;

	if (!wp->used || wp->bb.count == 0)
		return 0;
	int32_t count = wp->bb.count;
	if ((rc = ed_batch_builder_finish(&wp->bb, &batch, &len))) {
		snprintf(err, errlen, "cannot build a batch: %s", ed_err_str(rc));
		goto out;
	}
	struct ed_partition *p = ed_topic_partition(w->topic, part);
	if (!p) {
		rc = ED_ENOENT;
		snprintf(err, errlen, "partition %d does not exist", part);
		goto out;
	}
	/* Our own builder made these bytes: read the header, skip the CRC and
	 * record walk of ed_batch_validate. */
	if ((rc = ed_batch_parse_header(batch, len, &bi)))
		goto out;
	if ((rc = ed_partition_append_validated(p, batch, len, &bi, &res, err, errlen)))
		goto out;
	wp->next = res.last_offset + 1;
	wp->last_len = len;
	if (w->cb)
		w->cb(w->cb_arg, part, &res, count);
out:
	ed_batch_builder_reset(&wp->bb);
	return rc;
}

int ed_log_writer_add(struct ed_log_writer *w, int32_t part, int64_t timestamp, const void *key,
		      int32_t key_len, const void *value, int32_t value_len,
		      const struct ed_header *headers, uint32_t header_count, int32_t *placed,
		      char *err, size_t errlen)
{
	int rc;
	if (part < 0)
		part = ed_log_writer_place(w, key, key_len);
	if (part >= w->nparts) {
		snprintf(err, errlen, "partition %d does not exist (topic has %d)", part, w->nparts);
		return ED_ERANGE;
	}
	if (placed)
		*placed = part;
	struct ed_log_writer_part *wp = &w->parts[part];
	if (!wp->used) {
		ed_batch_builder_init(&wp->bb, w->codec);
		wp->used = true;
	}
	size_t sz = (size_t)(key_len > 0 ? key_len : 0) + (size_t)(value_len > 0 ? value_len : 0) +
		    RECORD_BOUND;
	for (uint32_t i = 0; i < header_count; i++)
		sz += (size_t)(headers[i].key_len > 0 ? headers[i].key_len : 0) +
		      (size_t)(headers[i].value_len > 0 ? headers[i].value_len : 0) + 20;
	if (wp->bb.count > 0 && ((w->max_records > 0 && wp->bb.count >= w->max_records) ||
				 ed_batch_builder_size(&wp->bb) + sz > w->max_batch)) {
		if ((rc = ed_log_writer_flush_part(w, part, err, errlen)))
			return rc;
	}
	rc = ed_batch_builder_add(&wp->bb, timestamp, key, key_len, value, value_len, headers,
				  header_count);
	if (rc)
		snprintf(err, errlen, "cannot add a record: %s", ed_err_str(rc));
	return rc;
}

int ed_log_writer_flush(struct ed_log_writer *w, char *err, size_t errlen)
{
	for (int32_t p = 0; p < w->nparts; p++) {
		int rc = ed_log_writer_flush_part(w, p, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}
