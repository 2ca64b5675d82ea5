/* Committed consumer-group offsets (OffsetCommit / OffsetFetch), kept in
 * memory and persisted in an append-only file, state_dir/offsets.log, that
 * is fdatasync'd before a commit is acknowledged and rewritten compacted at
 * start (and when it grows far beyond its live content).
 *
 * offsets.log record (big-endian), repeated:
 *
 *   offset size field
 *   ------ ---- ------------------------------------------
 *        0    4 payload length n
 *        4    4 CRC32C of the payload
 *        8    n payload:
 *               2+g  group id (int16 length + bytes)
 *               2+t  topic (int16 length + bytes)
 *               4    partition
 *               8    committed offset (-1 deletes the entry)
 *               2+m  metadata (int16 length, -1 = null)
 *
 * A torn or corrupt tail (crash while appending) ends the replay; the file
 * is then rewritten from what was read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "base/cursor.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/io.h"
#include "base/mem.h"
#include "kafka/kafka_int.h"
#include "log/log.h"

#define MOD "kafka"
#define NBUCKETS 4096
#define FILE_LIMIT (1024u << 20)
#define REWRITE_SLACK (64u << 20)

struct oentry {
	struct oentry *next;
	char *group;
	char *topic;
	int32_t partition;
	int64_t offset;
	char *metadata; /* NULL = null */
};

/* One OffsetCommit waiting to be made durable. */
struct commit_job {
	struct commit_job *next;
	struct ed_kreq *req;
	struct ed_buf rec; /* its records, in the file format */
	int16_t gerr;      /* group check result: nothing to write when set */
	bool is_fetch;     /* an OffsetFetch waiting for the commits before it */
};

struct ed_koffsets {
	struct oentry *buckets[NBUCKETS];
	size_t count;
	int fd;
	size_t file_bytes;
	char path[4096];
	/* Commits are written and fdatasync'd on the loop's thread pool, one
	 * batch at a time: the jobs queued while a batch is on disk form the
	 * next batch (group commit), and their entries are applied in arrival
	 * order when their batch is durable. */
	uv_loop_t *loop;
	uv_work_t work;
	bool busy;
	struct commit_job *queue_head, *queue_tail; /* waiting */
	struct commit_job *batch;                   /* being written */
	struct ed_buf batch_buf;
	int batch_rc;
	/* A write or fdatasync of the file failed: its tail may hold a torn or
	 * dropped batch, and Linux reports a writeback error only once per
	 * file, so appending further could later "succeed" over lost bytes.
	 * The next batch first rewrites the file from the applied state. */
	bool broken;
};

static size_t bucket_of(const char *group, const char *topic, int32_t partition)
{
	uint64_t h = ed_hash64(group, strlen(group));
	h = ed_hash64_seed(topic, strlen(topic), h ^ (uint64_t)(uint32_t)partition);
	return (size_t)(h % NBUCKETS);
}

static struct oentry *find(struct ed_koffsets *o, const char *group, const char *topic,
			   int32_t partition)
{
	for (struct oentry *e = o->buckets[bucket_of(group, topic, partition)]; e; e = e->next)
		if (e->partition == partition && strcmp(e->group, group) == 0 &&
		    strcmp(e->topic, topic) == 0)
			return e;
	return NULL;
}

static void entry_free(struct oentry *e)
{
	ed_free(e->group);
	ed_free(e->topic);
	ed_free(e->metadata);
	ed_free(e);
}

/* Set (offset >= 0) or delete (offset < 0) an entry. 0 or ED_ENOMEM. */
static int set_entry(struct ed_koffsets *o, const char *group, const char *topic, int32_t partition,
		     int64_t offset, const char *metadata)
{
	size_t bk = bucket_of(group, topic, partition);
	struct oentry **pe = &o->buckets[bk];
	while (*pe && !((*pe)->partition == partition && strcmp((*pe)->group, group) == 0 &&
			strcmp((*pe)->topic, topic) == 0))
		pe = &(*pe)->next;
	if (offset < 0) {
		if (*pe) {
			struct oentry *dead = *pe;
			*pe = dead->next;
			entry_free(dead);
			o->count--;
		}
		return 0;
	}
	char *meta = metadata ? ed_strdup(metadata) : NULL;
	if (metadata && !meta)
		return ED_ENOMEM;
	if (*pe) {
		ed_free((*pe)->metadata);
		(*pe)->metadata = meta;
		(*pe)->offset = offset;
		return 0;
	}
	struct oentry *e = ed_calloc(1, sizeof(*e));
	if (!e || !(e->group = ed_strdup(group)) || !(e->topic = ed_strdup(topic))) {
		if (e)
			ed_free(e->group);
		ed_free(e);
		ed_free(meta);
		return ED_ENOMEM;
	}
	e->partition = partition;
	e->offset = offset;
	e->metadata = meta;
	e->next = o->buckets[bk];
	o->buckets[bk] = e;
	o->count++;
	return 0;
}

static void put_record(struct ed_buf *b, const char *group, const char *topic, int32_t partition,
		       int64_t offset, const char *metadata)
{
	size_t start = b->len;
	ed_buf_put_be32(b, 0);
	ed_buf_put_be32(b, 0);
	ed_kput_str(b, group);
	ed_kput_str(b, topic);
	ed_kput_i32(b, partition);
	ed_kput_i64(b, offset);
	ed_kput_str(b, metadata);
	if (b->err)
		return;
	size_t n = b->len - start - 8;
	ed_buf_patch_be32(b, start, (uint32_t)n);
	ed_buf_patch_be32(b, start + 4, ed_crc32c(0, b->data + start + 8, n));
}

static char *cur_str(struct ed_cur *c, char *tmp, size_t tmplen, bool *null)
{
	int16_t len = ed_cur_i16(c);
	*null = false;
	if (len == -1) {
		*null = true;
		return NULL;
	}
	if (len < 0 || (size_t)len >= tmplen) {
		c->err = true;
		return NULL;
	}
	const uint8_t *p = ed_cur_bytes(c, (size_t)len);
	if (!p)
		return NULL;
	memcpy(tmp, p, (size_t)len);
	tmp[len] = 0;
	return tmp;
}

/* Replay the file; returns bytes of valid records. */
static int replay(struct ed_koffsets *o, const char *data, size_t len, size_t *valid)
{
	size_t pos = 0;
	static char group[32768], topic[32768], meta[32768];
	while (len - pos >= 8) {
		struct ed_cur c;
		ed_cur_init(&c, data + pos, len - pos);
		uint32_t n = ed_cur_u32(&c);
		uint32_t crc = ed_cur_u32(&c);
		if (n > len - pos - 8 || ed_crc32c(0, data + pos + 8, n) != crc)
			break;
		struct ed_cur p;
		ed_cur_init(&p, data + pos + 8, n);
		bool gnull, tnull, mnull;
		char *g = cur_str(&p, group, sizeof(group), &gnull);
		char *t = cur_str(&p, topic, sizeof(topic), &tnull);
		int32_t part = ed_cur_i32(&p);
		int64_t off = ed_cur_i64(&p);
		char *m = cur_str(&p, meta, sizeof(meta), &mnull);
		if (p.err || !g || !t)
			break;
		int rc = set_entry(o, g, t, part, off, mnull ? NULL : m);
		if (rc < 0)
			return rc;
		pos += 8 + n;
	}
	*valid = pos;
	return 0;
}

/* Rewrite the file with the live entries only (atomic replace). */
static int rewrite(struct ed_koffsets *o)
{
	struct ed_buf b;
	ed_buf_init(&b);
	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct oentry *e = o->buckets[i]; e; e = e->next)
			put_record(&b, e->group, e->topic, e->partition, e->offset, e->metadata);
	int rc = b.err ? b.err
		       : ed_io_write_file_atomic(o->path, b.data ? (void *)b.data : "", b.len);
	size_t written = b.len;
	ed_buf_fini(&b);
	if (rc < 0)
		return rc;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = open(o->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (o->fd < 0)
		return ed_err_from_errno(errno);
	o->file_bytes = written;
	return 0;
}

int ed_koffsets_open(struct ed_kafka *k, struct ed_koffsets **out, char *err, size_t errlen)
{
	struct ed_koffsets *o = ed_calloc(1, sizeof(*o));
	if (!o)
		return ED_ENOMEM;
	o->fd = -1;
	o->loop = k->loop;
	ed_buf_init(&o->batch_buf);
	snprintf(o->path, sizeof(o->path), "%s/offsets.log", k->state_dir);
	char *data = NULL;
	size_t len = 0, valid = 0;
	int rc = ed_io_read_file(o->path, FILE_LIMIT, &data, &len);
	if (rc == 0) {
		rc = replay(o, data, len, &valid);
		ed_free(data);
		if (rc < 0)
			goto fail;
		if (valid != len)
			ed_warn(MOD, "%s: ignored %zu bytes of torn tail", o->path, len - valid);
	} else if (rc != ED_ENOENT) {
		goto fail;
	}
	rc = rewrite(o);
	if (rc < 0)
		goto fail;
	ed_info(MOD, "loaded %zu committed offsets from %s", o->count, o->path);
	*out = o;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", o->path, ed_err_str(rc));
	ed_koffsets_close(o);
	return rc;
}

void ed_koffsets_close(struct ed_koffsets *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct oentry *e = o->buckets[i];
		while (e) {
			struct oentry *next = e->next;
			entry_free(e);
			e = next;
		}
	}
	if (o->fd >= 0)
		close(o->fd);
	ed_buf_fini(&o->batch_buf);
	ed_free(o);
}

static void answer_commit(struct ed_kreq *req, int16_t kerr)
{
	struct ed_kreq_offset_commit *m = &req->msg.u.offset_commit;
	struct ed_buf *b = &req->resp;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (req->msg.api_version >= 3)
		ed_kput_i32(b, 0);
	ed_kput_i32(b, m->ntopics);
	for (int32_t i = 0; i < m->ntopics; i++) {
		ed_kput_str(b, m->topics[i].name);
		ed_kput_i32(b, m->topics[i].nparts);
		for (int32_t j = 0; j < m->topics[i].nparts; j++) {
			ed_kput_i32(b, m->topics[i].parts[j].index);
			ed_kput_i16(b, kerr);
		}
	}
	ed_kresp_end(b, start);
	/* the request may have been orphaned by its connection meanwhile */
	atomic_store(&req->sync_pending, 0);
	ed_kreq_done(req);
}

/* Thread pool: append the batch and make it durable. */
static void commit_work(uv_work_t *w)
{
	struct ed_koffsets *o = w->data;
	int rc = o->batch_buf.err;
	if (!rc && o->batch_buf.len)
		rc = ed_io_write_all(o->fd, o->batch_buf.data, o->batch_buf.len);
	if (!rc && o->batch_buf.len)
		rc = ed_io_fdatasync(o->fd);
	o->batch_rc = rc;
}

static void commit_start(struct ed_koffsets *o);
static void answer_fetch(struct ed_koffsets *o, struct ed_kreq *req);

static void commit_done(uv_work_t *w, int status)
{
	struct ed_koffsets *o = w->data;
	int rc = status < 0 ? ED_EIO : o->batch_rc;
	if (rc) {
		ed_error(MOD, "cannot persist committed offsets: %s", ed_err_str(rc));
		o->broken = true;
	} else {
		o->file_bytes += o->batch_buf.len;
	}
	struct commit_job *job = o->batch;
	o->batch = NULL;
	o->busy = false;
	while (job) {
		struct commit_job *next = job->next;
		int16_t kerr = job->gerr;
		if (!kerr && rc)
			kerr = ED_KERR_COORDINATOR_NOT_AVAILABLE;
		if (!kerr) {
			size_t valid;
			if (replay(o, (const char *)job->rec.data, job->rec.len, &valid) < 0)
				kerr = ED_KERR_COORDINATOR_NOT_AVAILABLE;
		}
		answer_commit(job->req, kerr);
		ed_buf_fini(&job->rec);
		ed_free(job);
		job = next;
	}
	if (!rc && !o->queue_head && o->file_bytes > REWRITE_SLACK + o->count * 256)
		rewrite(o);
	commit_start(o);
}

/* Start writing everything queued, unless a batch is already on disk. */
static void commit_start(struct ed_koffsets *o)
{
	/* fetches at the head have every earlier commit applied: answer them */
	while (!o->busy && o->queue_head && o->queue_head->is_fetch) {
		struct commit_job *job = o->queue_head;
		o->queue_head = job->next;
		if (!o->queue_head)
			o->queue_tail = NULL;
		answer_fetch(o, job->req);
		ed_buf_fini(&job->rec);
		ed_free(job);
	}
	if (o->busy || !o->queue_head)
		return;
	/* After a failure, start over from a file holding exactly the applied
	 * commits (tmp + fsync + rename, a new descriptor). Rare: done here on
	 * the loop thread. */
	bool rewrite_failed = false;
	if (o->broken) {
		int rrc = rewrite(o);
		if (rrc == 0)
			o->broken = false;
		else {
			ed_error(MOD, "cannot rewrite %s: %s", o->path, ed_err_str(rrc));
			rewrite_failed = true;
		}
	}
	/* the batch: every commit up to the next fetch */
	o->batch = o->queue_head;
	struct commit_job *last = o->batch;
	while (last->next && !last->next->is_fetch)
		last = last->next;
	o->queue_head = last->next;
	if (!o->queue_head)
		o->queue_tail = NULL;
	last->next = NULL;
	ed_buf_reset(&o->batch_buf);
	for (struct commit_job *j = o->batch; j; j = j->next)
		if (!j->gerr)
			ed_buf_append(&o->batch_buf, j->rec.data, j->rec.len);
	o->busy = true;
	o->work.data = o;
	if (rewrite_failed) {
		o->batch_rc = ED_EIO;
		commit_done(&o->work, 0);
		return;
	}
	if (uv_queue_work(o->loop, &o->work, commit_work, commit_done) < 0) {
		o->batch_rc = ED_EIO;
		commit_done(&o->work, 0);
	}
}

void ed_kafka_handle_offset_commit(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_koffsets *o = k->offsets;
	struct ed_kreq_offset_commit *m = &req->msg.u.offset_commit;
	int16_t gerr = ED_KERR_NONE;
	if (m->group_id[0] == 0)
		gerr = ED_KERR_INVALID_GROUP_ID;
	else
		gerr = ed_kgroups_check_commit(k, m->group_id, m->generation_id, m->member_id);
	if (gerr) {
		answer_commit(req, gerr);
		return;
	}
	struct commit_job *job = ed_calloc(1, sizeof(*job));
	if (!job) {
		answer_commit(req, ED_KERR_COORDINATOR_NOT_AVAILABLE);
		return;
	}
	job->req = req;
	ed_buf_init(&job->rec);
	for (int32_t i = 0; i < m->ntopics; i++)
		for (int32_t j = 0; j < m->topics[i].nparts; j++) {
			struct ed_kcommit_part *cp = &m->topics[i].parts[j];
			put_record(&job->rec, m->group_id, m->topics[i].name, cp->index, cp->offset,
				   cp->metadata);
		}
	if (job->rec.err) {
		ed_buf_fini(&job->rec);
		ed_free(job);
		answer_commit(req, ED_KERR_COORDINATOR_NOT_AVAILABLE);
		return;
	}
	/* Held like a pending log sync: a closing connection orphans the request
	 * instead of freeing it (see kafka_int.h). */
	atomic_store(&req->sync_pending, 1);
	if (o->queue_tail)
		o->queue_tail->next = job;
	else
		o->queue_head = job;
	o->queue_tail = job;
	commit_start(o);
}

static void put_fetch_part(struct ed_buf *b, int16_t v, int32_t partition, struct oentry *e)
{
	ed_kput_i32(b, partition);
	ed_kput_i64(b, e ? e->offset : -1);
	if (v >= 5)
		ed_kput_i32(b, -1); /* leader epoch */
	ed_kput_str(b, e ? e->metadata : "");
	ed_kput_i16(b, ED_KERR_NONE);
}

static void answer_fetch(struct ed_koffsets *o, struct ed_kreq *req)
{
	struct ed_kreq_offset_fetch *m = &req->msg.u.offset_fetch;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 3)
		ed_kput_i32(b, 0);
	if (m->ntopics >= 0) {
		ed_kput_i32(b, m->ntopics);
		for (int32_t i = 0; i < m->ntopics; i++) {
			struct ed_koffetch_topic *t = &m->topics[i];
			ed_kput_str(b, t->name);
			ed_kput_i32(b, t->nparts);
			for (int32_t j = 0; j < t->nparts; j++)
				put_fetch_part(b, v, t->parts[j],
					       find(o, m->group_id, t->name, t->parts[j]));
		}
	} else {
		/* All topics of the group: one topic entry per partition keeps this
		 * simple and is valid (clients key by name and partition). */
		int32_t n = 0;
		size_t count_pos = b->len;
		ed_kput_i32(b, 0);
		for (size_t i = 0; i < NBUCKETS; i++)
			for (struct oentry *e = o->buckets[i]; e; e = e->next) {
				if (strcmp(e->group, m->group_id) != 0)
					continue;
				ed_kput_str(b, e->topic);
				ed_kput_i32(b, 1);
				put_fetch_part(b, v, e->partition, e);
				n++;
			}
		if (!b->err)
			ed_buf_patch_be32(b, count_pos, (uint32_t)n);
	}
	if (v >= 2)
		ed_kput_i16(b, ED_KERR_NONE);
	ed_kresp_end(b, start);
	atomic_store(&req->sync_pending, 0);
	ed_kreq_done(req);
}

/* OffsetFetch reads its own writes: while commits are on their way to disk
 * it waits behind them in the same queue. */
void ed_kafka_handle_offset_fetch(struct ed_kreq *req)
{
	struct ed_koffsets *o = req->k->offsets;
	if (!o->busy && !o->queue_head) {
		answer_fetch(o, req);
		return;
	}
	struct commit_job *job = ed_calloc(1, sizeof(*job));
	if (!job) {
		answer_fetch(o, req); /* best effort */
		return;
	}
	job->req = req;
	job->is_fetch = true;
	ed_buf_init(&job->rec);
	atomic_store(&req->sync_pending, 1);
	if (o->queue_tail)
		o->queue_tail->next = job;
	else
		o->queue_head = job;
	o->queue_tail = job;
}

void ed_kafka_each_committed(struct ed_kafka *k, ed_kafka_committed_fn fn, void *arg)
{
	struct ed_koffsets *o = k ? k->offsets : NULL;
	if (!o)
		return;
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct oentry *e = o->buckets[b]; e; e = e->next)
			if (e->offset >= 0)
				fn(arg, e->group, e->topic, e->partition, e->offset);
}
