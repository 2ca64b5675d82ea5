/* A partition: the single writer's append path (validate, stamp, write,
 * publish the hwm), segment roll, readers (read by offset, offset for a
 * timestamp), and the segment array shared between them. Locking rules are
 * in log_int.h; in short, the writer holds append_lock, readers only take
 * seg_lock for pointer copies, and the hwm is published with a release store
 * after the bytes are written, so a reader that sees an offset below the hwm
 * also sees its bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "log/batch.h"
#include "log/log_int.h"

/* Bytes one read returns at most beyond its first batch, whatever max_bytes
 * a peer asked for. */
#define ED_LOG_MAX_READ (64LL << 20)

int ed_partition_new(struct ed_topic *topic, int32_t index, const char *dir, struct ed_partition **out)
{
	struct ed_partition *part = ed_calloc(1, sizeof *part);
	if (!part)
		return ED_ENOMEM;
	part->dir = ed_strdup(dir);
	if (!part->dir) {
		ed_free(part);
		return ED_ENOMEM;
	}
	part->topic = topic;
	part->index = index;
	pthread_mutex_init(&part->append_lock, NULL);
	pthread_mutex_init(&part->seg_lock, NULL);
	pthread_mutex_init(&part->maint_lock, NULL);
	pthread_mutex_init(&part->sync_mu, NULL);
	pthread_mutex_init(&part->watch_mu, NULL);
	atomic_init(&part->nwatchers, 0);
	atomic_init(&part->hwm, 0);
	atomic_init(&part->start_offset, 0);
	atomic_init(&part->failed, false);
	atomic_init(&part->fail_err, 0);
	atomic_init(&part->seal_pending, false);
	part->compact_active_base = -1;
	*out = part;
	return 0;
}

void ed_partition_free(struct ed_partition *part)
{
	if (!part)
		return;
	for (size_t i = 0; i < part->nsegs; i++)
		ed_segment_unref(part->segs[i]);
	ed_free(part->segs);
	struct ed_sync_waiter *w = part->waiters;
	while (w) {
		struct ed_sync_waiter *next = w->next;
		w->cb(w->arg, ED_ECLOSED);
		ed_free(w);
		w = next;
	}
	pthread_mutex_destroy(&part->append_lock);
	pthread_mutex_destroy(&part->seg_lock);
	pthread_mutex_destroy(&part->maint_lock);
	pthread_mutex_destroy(&part->sync_mu);
	pthread_mutex_destroy(&part->watch_mu);
	ed_free(part->dir);
	ed_free(part);
}

void ed_partition_config(struct ed_partition *part, struct ed_topic_config *cfg)
{
	ed_topic_config_get(part->topic, cfg);
}

void ed_partition_set_failed(struct ed_partition *part, int rc)
{
	if (rc >= 0)
		rc = ED_EIO;
	bool was = atomic_exchange(&part->failed, true);
	if (!was) {
		atomic_store(&part->fail_err, rc);
		ed_error("log", "partition %s-%d failed, now read-only: %s", part->topic->name,
			 part->index, ed_err_str(rc));
	}
	ed_flusher_fail_waiters(part->topic->log, part, rc);
}

int ed_partition_write_recovery_point(struct ed_partition *part, int64_t rp)
{
	char path[4096], text[32];
	snprintf(path, sizeof path, "%s/%s", part->dir, ED_RECOVERY_POINT);
	int n = snprintf(text, sizeof text, "%" PRId64 "\n", rp);
	return ed_io_write_file_atomic(path, text, (size_t)n);
}

int ed_partition_seal(struct ed_partition *part)
{
	struct ed_segment **segs = NULL;
	size_t n = 0;
	int rc = 0;
	atomic_store(&part->seal_pending, false);
	if (atomic_load(&part->failed))
		return atomic_load(&part->fail_err);
	if ((rc = ed_partition_segs_snapshot(part, &segs, &n)))
		goto fail_io;
	int64_t rp = part->recovery_point;
	for (size_t i = 0; i + 1 < n; i++) {
		struct ed_segment *seg = segs[i];
		if (!seg->closed || seg->sealed)
			continue;
		/* The data was fdatasynced by the roll; add the final time entry
		 * (so the segment's max timestamp survives) and write the indexes. */
		int64_t mx = atomic_load(&seg->max_ts);
		if (mx >= 0 && (seg->ntidx == 0 || seg->tidx[seg->ntidx - 1].ts < mx)) {
			/* Find the last batch's position by walking from the last entry. */
			int64_t pos = seg->nidx ? seg->idx[seg->nidx - 1].pos : 0, last_pos = pos;
			int64_t last_base = seg->base_offset, end = atomic_load(&seg->end_pos);
			struct ed_seg_reader rd;
			ed_seg_reader_init(&rd, seg->fd);
			while (pos + ED_BATCH_LOG_OVERHEAD <= end) {
				int r;
				const uint8_t *h = ed_seg_reader_get(&rd, pos, 12, &r);
				if (!h)
					break;
				last_pos = pos;
				last_base = (int64_t)ed_rd64(h);
				pos += (int64_t)ed_rd32(h + 8) + ED_BATCH_LOG_OVERHEAD;
			}
			pthread_mutex_lock(&part->seg_lock);
			ed_segment_index_add(seg, last_base, last_pos, mx);
			pthread_mutex_unlock(&part->seg_lock);
		}
		if ((rc = ed_segment_write_indexes(seg)))
			goto fail_io;
		seg->sealed = true;
		rp = segs[i + 1]->base_offset;
	}
	if (rp != part->recovery_point) {
		if ((rc = ed_partition_write_recovery_point(part, rp)))
			goto fail_io;
		part->recovery_point = rp;
	}
	ed_segs_release(segs, n);
	return 0;
fail_io:
	ed_segs_release(segs, n);
	if (!atomic_load(&part->topic->deleted))
		ed_partition_set_failed(part, rc);
	return rc;
}

int ed_partition_roll(struct ed_partition *part)
{
	struct ed_segment *old = part->segs[part->nsegs - 1], *seg = NULL;
	int64_t base = atomic_load_explicit(&part->hwm, memory_order_relaxed);
	int rc;
	if (atomic_load(&old->end_pos) == 0)
		return 0;
	/* Every non-final segment is complete on disk before the next exists:
	 * recovery can then call any damage outside the final segment corrupt. */
	pthread_mutex_lock(&part->sync_mu);
	rc = ed_io_fdatasync(old->fd);
	if (!rc && atomic_load(&part->failed)) /* the flusher took the error report */
		rc = atomic_load(&part->fail_err);
	if (rc)
		ed_partition_set_failed(part, rc); /* before the flusher can sync again */
	pthread_mutex_unlock(&part->sync_mu);
	if (rc)
		goto failed;
	atomic_store(&old->dirty, false);
	if ((rc = ed_segment_create(part->dir, base, &seg)))
		goto failed;
	if ((rc = ed_io_fsync_dir(part->dir))) {
		unlink(seg->path);
		ed_segment_unref(seg);
		goto failed;
	}
	pthread_mutex_lock(&part->seg_lock);
	if (part->nsegs == part->segs_cap) {
		size_t cap = part->segs_cap * 2 + 4;
		struct ed_segment **n = ed_realloc(part->segs, cap * sizeof *n);
		if (!n) {
			pthread_mutex_unlock(&part->seg_lock);
			unlink(seg->path);
			ed_segment_unref(seg);
			return ED_ENOMEM;
		}
		part->segs = n;
		part->segs_cap = cap;
	}
	old->closed = true;
	part->segs[part->nsegs++] = seg;
	pthread_mutex_unlock(&part->seg_lock);
	atomic_store(&part->seal_pending, true);
	ed_flusher_enqueue(part->topic->log, part);
	return 0;
failed:
	ed_partition_set_failed(part, rc);
	return rc;
}

int ed_partition_append(struct ed_partition *part, uint8_t *batch, size_t len,
			struct ed_append_result *res, char *err, size_t errlen)
{
	struct ed_batch_info bi;
	struct ed_topic_config cfg;
	int rc;
	ed_partition_config(part, &cfg);
	if ((rc = ed_batch_validate(batch, len, (size_t)cfg.max_message_bytes, &bi, err, errlen)))
		return rc == ED_EAGAIN ? ED_ECORRUPT : rc;
	return ed_partition_append_validated(part, batch, len, &bi, res, err, errlen);
}

int ed_partition_append_validated(struct ed_partition *part, uint8_t *batch, size_t len,
				  const struct ed_batch_info *vbi, struct ed_append_result *res,
				  char *err, size_t errlen)
{
	struct ed_batch_info bi = *vbi;
	struct ed_topic_config cfg;
	int64_t base = 0;
	int rc = 0;
	if (atomic_load(&part->topic->deleted))
		return ed_log_fail(ED_ENOENT, err, errlen, "topic %s was deleted", part->topic->name);
	if (atomic_load_explicit(&part->failed, memory_order_acquire))
		return ed_log_fail(ED_EFAILED, err, errlen,
				   "partition %s-%d is read-only after an I/O error",
				   part->topic->name, part->index);
	ed_partition_config(part, &cfg);
	if (bi.size < ED_BATCH_HEADER_SIZE || (size_t)bi.size > len)
		return ed_log_fail(ED_ECORRUPT, err, errlen, "batch of %d bytes, have %zu", bi.size,
				   len);
	if ((size_t)bi.size != len)
		return ed_log_fail(ED_ECORRUPT, err, errlen,
				   "%zu bytes after the batch (one batch per append)",
				   len - (size_t)bi.size);
	if (cfg.max_message_bytes > 0 && bi.size > cfg.max_message_bytes)
		return ed_log_fail(ED_ETOOBIG, err, errlen, "batch of %d bytes exceeds limit %d",
				   bi.size, cfg.max_message_bytes);

	pthread_mutex_lock(&part->append_lock);
	if (atomic_load(&part->failed)) {
		rc = ed_log_fail(ED_EFAILED, err, errlen,
				 "partition %s-%d is read-only after an I/O error",
				 part->topic->name, part->index);
		goto unlock;
	}
	struct ed_segment *seg = part->segs[part->nsegs - 1];
	base = atomic_load_explicit(&part->hwm, memory_order_relaxed);
	int64_t pos = atomic_load_explicit(&seg->end_pos, memory_order_relaxed);
	int64_t now = ed_wall_ms();
	if (pos > 0 &&
	    (pos + (int64_t)len > cfg.segment_bytes || now - seg->created_ms >= cfg.segment_ms ||
	     base + bi.last_offset_delta - seg->base_offset > INT32_MAX)) {
		if ((rc = ed_partition_roll(part))) {
			ed_log_fail(rc, err, errlen, "segment roll failed: %s", ed_err_str(rc));
			goto unlock;
		}
		seg = part->segs[part->nsegs - 1];
		pos = 0;
	}
	ed_batch_set_base_offset(batch, base);
	int64_t max_ts = bi.max_timestamp;
	if (res)
		res->log_append_time = -1;
	if (cfg.log_append_time) {
		ed_batch_set_log_append_time(batch, len, now);
		max_ts = now;
		if (res)
			res->log_append_time = now;
	}
	if ((rc = ed_io_pwrite_all(seg->fd, batch, len, pos))) {
		/* Undo a partial write so the file still ends on a batch boundary;
		 * if even that fails the file can no longer be trusted. */
		if (ftruncate(seg->fd, pos) != 0)
			ed_partition_set_failed(part, rc);
		ed_log_fail(rc, err, errlen, "write to %s failed: %s", seg->path, ed_err_str(rc));
		goto unlock;
	}
	if (pos == 0)
		seg->created_ms = now;
	seg->mtime_ms = now;
	ed_segment_note_batch(part, seg, base, base + bi.last_offset_delta, pos, (int64_t)len,
			      max_ts, cfg.index_interval_bytes);
	atomic_store_explicit(&seg->dirty, true, memory_order_relaxed);
	atomic_store_explicit(&seg->end_pos, pos + (int64_t)len, memory_order_release);
	atomic_store_explicit(&part->hwm, base + bi.last_offset_delta + 1, memory_order_release);
	atomic_fetch_add_explicit(&part->records_in, (uint64_t)bi.records_count,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&part->bytes_in, (uint64_t)len, memory_order_relaxed);
	if (res) {
		res->base_offset = base;
		res->last_offset = base + bi.last_offset_delta;
	}
unlock:
	pthread_mutex_unlock(&part->append_lock);
	if (rc == 0) {
		/* Pairs with the registration in ed_partition_watch: either the
		 * watcher sees the new hwm or we see the watcher. */
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&part->nwatchers, memory_order_relaxed))
			ed_partition_notify(part);
	}
	if (rc == 0 && cfg.flush_policy == ED_FLUSH_ALWAYS) {
		rc = ed_partition_sync(part, base + bi.last_offset_delta + 1);
		if (rc)
			ed_log_fail(rc, err, errlen, "fdatasync failed: %s", ed_err_str(rc));
	}
	return rc;
}

void ed_partition_stats(struct ed_partition *part, struct ed_partition_stats *st)
{
	st->records_in = atomic_load_explicit(&part->records_in, memory_order_relaxed);
	st->bytes_in = atomic_load_explicit(&part->bytes_in, memory_order_relaxed);
	st->records_out = atomic_load_explicit(&part->records_out, memory_order_relaxed);
	st->bytes_out = atomic_load_explicit(&part->bytes_out, memory_order_relaxed);
}

int64_t ed_partition_hwm(struct ed_partition *part)
{
	return atomic_load_explicit(&part->hwm, memory_order_acquire);
}

int64_t ed_partition_start_offset(struct ed_partition *part)
{
	return atomic_load_explicit(&part->start_offset, memory_order_acquire);
}

int64_t ed_partition_size(struct ed_partition *part)
{
	int64_t total = 0;
	pthread_mutex_lock(&part->seg_lock);
	for (size_t i = 0; i < part->nsegs; i++)
		total += atomic_load(&part->segs[i]->end_pos);
	pthread_mutex_unlock(&part->seg_lock);
	return total;
}

int32_t ed_partition_segment_count(struct ed_partition *part)
{
	pthread_mutex_lock(&part->seg_lock);
	int32_t n = (int32_t)part->nsegs;
	pthread_mutex_unlock(&part->seg_lock);
	return n;
}

int32_t ed_partition_index(const struct ed_partition *part)
{
	return part->index;
}

bool ed_partition_failed(struct ed_partition *part)
{
	return atomic_load_explicit(&part->failed, memory_order_acquire);
}

int ed_partition_segs_snapshot(struct ed_partition *part, struct ed_segment ***out, size_t *n)
{
	pthread_mutex_lock(&part->seg_lock);
	struct ed_segment **segs = ed_malloc((part->nsegs ? part->nsegs : 1) * sizeof *segs);
	if (!segs) {
		pthread_mutex_unlock(&part->seg_lock);
		*out = NULL;
		*n = 0;
		return ED_ENOMEM;
	}
	for (size_t i = 0; i < part->nsegs; i++) {
		segs[i] = part->segs[i];
		ed_segment_ref(segs[i]);
	}
	*n = part->nsegs;
	pthread_mutex_unlock(&part->seg_lock);
	*out = segs;
	return 0;
}

void ed_segs_release(struct ed_segment **segs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ed_segment_unref(segs[i]);
	ed_free(segs);
}

void ed_partition_replace_segment(struct ed_partition *part, struct ed_segment *old,
				  struct ed_segment *new_seg)
{
	pthread_mutex_lock(&part->seg_lock);
	for (size_t i = 0; i < part->nsegs; i++) {
		if (part->segs[i] == old) {
			part->segs[i] = new_seg;
			pthread_mutex_unlock(&part->seg_lock);
			ed_segment_unref(old);
			return;
		}
	}
	pthread_mutex_unlock(&part->seg_lock);
	ed_segment_unref(new_seg);
}

/* Under seg_lock: ref the segment that holds offset (the last one with
 * base <= offset) and the index position to start from; or, with after set,
 * the first segment with base > after. NULL if none. */
static struct ed_segment *find_segment(struct ed_partition *part, int64_t offset, bool next,
				       int64_t *start_pos)
{
	struct ed_segment *seg = NULL;
	pthread_mutex_lock(&part->seg_lock);
	size_t lo = 0, hi = part->nsegs; /* first segment with base > offset */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (part->segs[mid]->base_offset <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (next) {
		if (lo < part->nsegs)
			seg = part->segs[lo];
		*start_pos = 0;
	} else if (lo > 0) {
		seg = part->segs[lo - 1];
		*start_pos = ed_segment_lookup_offset(seg, offset);
	}
	if (seg)
		ed_segment_ref(seg);
	pthread_mutex_unlock(&part->seg_lock);
	return seg;
}

int ed_partition_read(struct ed_partition *part, int64_t offset, size_t max_bytes, struct ed_buf *out)
{
	int64_t hwm = atomic_load_explicit(&part->hwm, memory_order_acquire);
	int rc = 0;
	if (atomic_load(&part->topic->deleted))
		return ED_ENOENT;
	if (offset == hwm)
		return 0;
	if (offset > hwm || offset < ed_partition_start_offset(part))
		return ED_ERANGE;
	int64_t pos;
	struct ed_segment *seg = find_segment(part, offset, false, &pos);
	if (!seg)
		return ED_ERANGE;
	struct ed_seg_reader *rd = ed_malloc(sizeof *rd);
	if (!rd) {
		ed_segment_unref(seg);
		return ED_ENOMEM;
	}
	while (seg) {
		int64_t end = atomic_load_explicit(&seg->end_pos, memory_order_acquire);
		ed_seg_reader_init(rd, seg->fd);
		/* Walk headers to the first batch whose last offset >= offset. */
		while (pos + ED_BATCH_LOG_OVERHEAD <= end) {
			const uint8_t *h = ed_seg_reader_get(rd, pos, ED_BOFF_LAST_OFFSET_DELTA + 4,
							     &rc);
			if (!h) {
				rc = rc == ED_EAGAIN ? ED_ECORRUPT : rc;
				goto out;
			}
			int64_t b = (int64_t)ed_rd64(h);
			int64_t size = (int64_t)ed_rd32(h + ED_BOFF_LENGTH) + ED_BATCH_LOG_OVERHEAD;
			int64_t last = b + (int32_t)ed_rd32(h + ED_BOFF_LAST_OFFSET_DELTA);
			if (b >= hwm) {
				rc = 0;
				goto out;
			}
			if (last >= offset) {
				/* Read up to max_bytes (the first batch whole), then
				 * trim to whole batches below the hwm. */
				int64_t want = (int64_t)max_bytes > ED_LOG_MAX_READ
						       ? ED_LOG_MAX_READ
						       : (int64_t)max_bytes;
				if (want < size)
					want = size;
				if (want > end - pos)
					want = end - pos;
				size_t at = out->len;
				if ((rc = ed_buf_reserve(out, (size_t)want)))
					goto out;
				if ((rc = ed_io_pread_all(seg->fd, out->data + at, (size_t)want,
							  pos))) {
					rc = rc == ED_EAGAIN ? ED_ECORRUPT : rc;
					goto out;
				}
				size_t keep = 0;
				uint64_t records = 0;
				while (keep + ED_BATCH_LOG_OVERHEAD <= (size_t)want) {
					const uint8_t *p = out->data + at + keep;
					size_t sz = (size_t)ed_rd32(p + ED_BOFF_LENGTH) +
						    ED_BATCH_LOG_OVERHEAD;
					if ((int64_t)ed_rd64(p) >= hwm || keep + sz > (size_t)want ||
					    (keep > 0 && keep + sz > max_bytes))
						break;
					if (sz >= ED_BATCH_HEADER_SIZE)
						records += ed_rd32(p + ED_BOFF_RECORDS_COUNT);
					keep += sz;
				}
				out->len = at + keep;
				atomic_fetch_add_explicit(&part->records_out, records,
							  memory_order_relaxed);
				atomic_fetch_add_explicit(&part->bytes_out, keep,
							  memory_order_relaxed);
				rc = 0;
				goto out;
			}
			pos += size;
		}
		/* Not in this segment (compaction may leave gaps): try the next. */
		int64_t b = seg->base_offset;
		ed_segment_unref(seg);
		seg = find_segment(part, b, true, &pos);
	}
out:
	ed_segment_unref(seg);
	ed_free(rd);
	return rc;
}

int ed_partition_offset_for_time(struct ed_partition *part, int64_t ts, int64_t *offset)
{
	return ed_partition_lookup_time(part, ts, offset, NULL);
}

int ed_partition_lookup_time(struct ed_partition *part, int64_t ts, int64_t *offset,
			     int64_t *record_ts)
{
	struct ed_segment **segs = NULL;
	size_t n = 0;
	struct ed_buf buf;
	struct ed_seg_reader *rd = NULL;
	int rc;
	int64_t hwm = atomic_load_explicit(&part->hwm, memory_order_acquire);
	ed_buf_init(&buf);
	if ((rc = ed_partition_segs_snapshot(part, &segs, &n)))
		return rc;
	rd = ed_malloc(sizeof *rd);
	if (!rd) {
		rc = ED_ENOMEM;
		goto out;
	}
	rc = ED_ENOENT;
	for (size_t i = 0; i < n; i++) {
		struct ed_segment *seg = segs[i];
		if (atomic_load_explicit(&seg->max_ts, memory_order_acquire) < ts)
			continue;
		int64_t end = atomic_load_explicit(&seg->end_pos, memory_order_acquire);
		pthread_mutex_lock(&part->seg_lock);
		int64_t pos = ed_segment_lookup_time(seg, ts);
		pthread_mutex_unlock(&part->seg_lock);
		ed_seg_reader_init(rd, seg->fd);
		while (pos + ED_BATCH_HEADER_SIZE <= end) {
			int r;
			const uint8_t *h = ed_seg_reader_get(rd, pos, ED_BATCH_HEADER_SIZE, &r);
			if (!h) {
				rc = r == ED_EAGAIN ? ED_ECORRUPT : r;
				goto out;
			}
			int64_t b = (int64_t)ed_rd64(h);
			int64_t size = (int64_t)ed_rd32(h + ED_BOFF_LENGTH) + ED_BATCH_LOG_OVERHEAD;
			int64_t mx = (int64_t)ed_rd64(h + ED_BOFF_MAX_TIMESTAMP);
			if (b >= hwm)
				goto out;
			if (mx >= ts) {
				struct ed_record_iter it;
				struct ed_record rec;
				ed_buf_reset(&buf);
				if ((r = ed_buf_reserve(&buf, (size_t)size)) ||
				    (r = ed_io_pread_all(seg->fd, buf.data, (size_t)size, pos))) {
					rc = r == ED_EAGAIN ? ED_ECORRUPT : r;
					goto out;
				}
				if ((r = ed_record_iter_init(&it, buf.data, (size_t)size, 0))) {
					rc = r;
					goto out;
				}
				bool lat = (h[ED_BOFF_ATTRIBUTES + 1] &
					    ED_BATCH_ATTR_LOG_APPEND_TIME) != 0;
				int64_t append_ts = (int64_t)ed_rd64(buf.data + ED_BOFF_MAX_TIMESTAMP);
				while ((r = ed_record_iter_next(&it, &rec)) == 1) {
					if (lat || rec.timestamp >= ts) {
						*offset = rec.offset;
						if (record_ts)
							*record_ts = lat ? append_ts : rec.timestamp;
						ed_record_iter_fini(&it);
						rc = 0;
						goto out;
					}
				}
				ed_record_iter_fini(&it);
				if (r < 0) {
					rc = r;
					goto out;
				}
			}
			pos += size;
		}
	}
out:
	ed_free(rd);
	ed_buf_fini(&buf);
	ed_segs_release(segs, n);
	return rc;
}

int ed_partition_close(struct ed_partition *part)
{
	int rc = 0;
	pthread_mutex_lock(&part->append_lock);
	pthread_mutex_lock(&part->maint_lock);
	if (!atomic_load(&part->failed)) {
		struct ed_segment *act = part->segs[part->nsegs - 1];
		if (atomic_load(&act->dirty) && (rc = ed_io_fdatasync(act->fd)))
			ed_partition_set_failed(part, rc);
		if (!rc)
			rc = ed_partition_seal(part);
		if (!rc && (rc = ed_segment_write_indexes(act)))
			ed_partition_set_failed(part, rc);
		if (!rc && part->recovery_point != act->base_offset) {
			if ((rc = ed_partition_write_recovery_point(part, act->base_offset)))
				ed_partition_set_failed(part, rc);
			else
				part->recovery_point = act->base_offset;
		}
	} else {
		rc = atomic_load(&part->fail_err);
	}
	pthread_mutex_unlock(&part->maint_lock);
	pthread_mutex_unlock(&part->append_lock);
	return rc;
}
