/* Opening a partition: find its segments, and after an unclean shutdown scan
 * every segment at or after the recovery point, validating each batch with
 * ed_batch_validate and rebuilding the indexes.
 *
 * Rules (numbered so tests and comments can point at them):
 *  1. Segments below the recovery point were sealed (data and indexes
 *     fsynced); their index files are trusted if they pass the consistency
 *     checks of ed_segment_load_indexes, else the segment is rescanned.
 *  2. A non-final segment is always complete on disk (a roll fdatasyncs it
 *     before the next segment exists), so any invalid batch in one is damage:
 *     the open fails with ED_ECORRUPT naming the file and position.
 *  3. In the final segment, an invalid or incomplete batch at position P is a
 *     torn tail when no valid batch starts anywhere after P: the file is
 *     truncated at P (a write that never completed was never acknowledged).
 *  4. If a valid batch (magic, CRC, an offset after the last good one) does
 *     start after P, the bytes at P are damage in the middle of the segment:
 *     the open fails with ED_ECORRUPT naming the file, P and where the valid
 *     data resumes. Nothing is ever dropped silently.
 *  5. Batch offsets must increase: a batch whose baseOffset is below the end
 *     of the previous batch (or the segment's base) counts as invalid. In the
 *     final segment, which compaction never touches, they must be contiguous
 *     (baseOffset is not covered by the CRC, so this is its only check).
 * After a clean shutdown every index file is trusted (rule 1 applies to all
 * segments) and only the final segment's tail past its last index entry is
 * walked, with rules 3-5. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "log/log_int.h"

#define SCAN_CHUNK (1 << 20)

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* "<20 digits>.log" -> base offset; false for any other name. */
static bool parse_seg_name(const char *name, const char *ext, int64_t *base)
{
	size_t el = strlen(ext);
	if (strlen(name) != ED_SEG_NAME_DIGITS + el || strcmp(name + ED_SEG_NAME_DIGITS, ext) != 0)
		return false;
	int64_t v = 0;
	for (int i = 0; i < ED_SEG_NAME_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		if (v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (name[i] - '0');
	}
	*base = v;
	return true;
}

/* Read and validate the batch at pos. 0 with *bi filled; else the
 * validator's error with a reason in msg. */
static int check_batch(int fd, int64_t pos, int64_t file_size, int64_t min_base, bool exact,
		       struct ed_buf *buf, struct ed_batch_info *bi, char *msg, size_t msglen)
{
	uint8_t h[ED_BATCH_LOG_OVERHEAD];
	if (pos + ED_BATCH_LOG_OVERHEAD > file_size)
		return ed_log_fail(ED_EAGAIN, msg, msglen, "incomplete batch header");
	if (ed_io_pread_all(fd, h, sizeof h, pos))
		return ed_log_fail(ED_EIO, msg, msglen, "read failed");
	uint32_t blen = ed_rd32(h + ED_BOFF_LENGTH);
	if (blen < ED_BATCH_HEADER_SIZE - ED_BATCH_LOG_OVERHEAD)
		return ed_log_fail(ED_ECORRUPT, msg, msglen, "batchLength %" PRIu32 " too small",
				   blen);
	int64_t size = (int64_t)blen + ED_BATCH_LOG_OVERHEAD;
	if (pos + size > file_size)
		return ed_log_fail(ED_EAGAIN, msg, msglen,
				   "batch of %" PRId64 " bytes runs past the end of the file", size);
	ed_buf_reset(buf);
	if (ed_buf_reserve(buf, (size_t)size))
		return ed_log_fail(ED_ENOMEM, msg, msglen, "out of memory");
	if (ed_io_pread_all(fd, buf->data, (size_t)size, pos))
		return ed_log_fail(ED_EIO, msg, msglen, "read failed");
	int rc = ed_batch_validate(buf->data, (size_t)size, 0, bi, msg, msglen);
	if (rc)
		return rc;
	if (bi->base_offset < min_base || (exact && bi->base_offset != min_base))
		return ed_log_fail(ED_ECORRUPT, msg, msglen,
				   "baseOffset %" PRId64 " where %" PRId64 " was expected",
				   bi->base_offset, min_base);
	return 0;
}

/* Rule 4: the first position after bad where a valid batch starts, or -1. */
static int64_t find_valid_after(int fd, int64_t bad, int64_t file_size, int64_t min_base,
				struct ed_buf *buf)
{
	struct ed_buf chunk;
	struct ed_batch_info bi;
	char msg[8];
	int64_t found = -1;
	ed_buf_init(&chunk);
	if (ed_buf_reserve(&chunk, SCAN_CHUNK + ED_BATCH_HEADER_SIZE))
		goto out;
	for (int64_t at = bad + 1; at + ED_BATCH_HEADER_SIZE <= file_size && found < 0;
	     at += SCAN_CHUNK) {
		int64_t n = file_size - at;
		if (n > SCAN_CHUNK + ED_BATCH_HEADER_SIZE)
			n = SCAN_CHUNK + ED_BATCH_HEADER_SIZE;
		if (ed_io_pread_all(fd, chunk.data, (size_t)n, at))
			break;
		for (int64_t i = 0; i < SCAN_CHUNK && i + ED_BATCH_HEADER_SIZE <= n; i++) {
			const uint8_t *p = chunk.data + i;
			if (p[ED_BOFF_MAGIC] != 2)
				continue;
			int64_t b = (int64_t)ed_rd64(p);
			uint32_t blen = ed_rd32(p + ED_BOFF_LENGTH);
			if (b < min_base || b - min_base > INT32_MAX ||
			    blen < ED_BATCH_HEADER_SIZE - ED_BATCH_LOG_OVERHEAD ||
			    at + i + (int64_t)blen + ED_BATCH_LOG_OVERHEAD > file_size)
				continue;
			if (check_batch(fd, at + i, file_size, min_base, false, buf, &bi, msg,
					sizeof msg) == 0) {
				found = at + i;
				break;
			}
		}
	}
out:
	ed_buf_fini(&chunk);
	return found;
}

/* Walk seg from pos (the indexes already cover everything before pos),
 * validating every batch and extending the indexes. Applies rules 2-5. */
static int scan_segment(struct ed_partition *part, struct ed_segment *seg, int64_t pos,
			int64_t min_base, bool is_last, int32_t interval, bool *truncated,
			char *err, size_t errlen)
{
	struct ed_buf buf;
	struct ed_batch_info bi;
	char msg[200];
	int rc = 0;
	struct stat st;
	*truncated = false;
	ed_buf_init(&buf);
	if (fstat(seg->fd, &st) != 0) {
		rc = ed_log_fail(ED_EIO, err, errlen, "%s: stat failed: %s", seg->path,
				 strerror(errno));
		goto out;
	}
	int64_t file_size = st.st_size;
	seg->bytes_since_index = 0;
	while (pos < file_size) {
		rc = check_batch(seg->fd, pos, file_size, min_base, is_last, &buf, &bi, msg,
				 sizeof msg);
		if (rc == ED_ENOMEM || rc == ED_EIO) {
			ed_log_fail(rc, err, errlen, "%s: position %" PRId64 ": %s", seg->path, pos,
				    msg);
			goto out;
		}
		if (rc) {
			if (!is_last) {
				rc = ed_log_fail(ED_ECORRUPT, err, errlen,
						 "%s: corrupt batch at position %" PRId64
						 " of a non-final segment: %s",
						 seg->path, pos, msg);
				goto out;
			}
			int64_t valid = find_valid_after(seg->fd, pos, file_size, min_base, &buf);
			if (valid >= 0) {
				rc = ed_log_fail(ED_ECORRUPT, err, errlen,
						 "%s: corrupt data at position %" PRId64
						 " (%s) followed by a valid batch at position %" PRId64,
						 seg->path, pos, msg, valid);
				goto out;
			}
			ed_warn("log",
				"%s: truncating torn tail at position %" PRId64 " (%" PRId64
				" bytes): %s",
				seg->path, pos, file_size - pos, msg);
			if (ftruncate(seg->fd, pos) != 0) {
				rc = ed_log_fail(ED_EIO, err, errlen, "%s: truncate failed: %s",
						 seg->path, strerror(errno));
				goto out;
			}
			*truncated = true;
			rc = 0;
			break;
		}
		if (pos > 0 && seg->bytes_since_index >= interval) {
			int64_t mx = atomic_load(&seg->max_ts);
			ed_segment_index_add(seg, bi.base_offset, pos,
					     bi.max_timestamp > mx ? bi.max_timestamp : mx);
			seg->bytes_since_index = 0;
		}
		seg->bytes_since_index += bi.size;
		if (bi.max_timestamp > atomic_load(&seg->max_ts))
			atomic_store(&seg->max_ts, bi.max_timestamp);
		seg->next_offset = ed_batch_last_offset(&bi) + 1;
		min_base = seg->next_offset;
		pos += bi.size;
	}
	atomic_store(&seg->end_pos, pos);
out:
	ed_buf_fini(&buf);
	return rc;
}

static int64_t read_recovery_point(const char *dir)
{
	char path[4096], *text = NULL;
	int64_t rp = 0;
	snprintf(path, sizeof path, "%s/%s", dir, ED_RECOVERY_POINT);
	if (ed_io_read_file(path, 64, &text, NULL) == 0) {
		char *end;
		long long v = strtoll(text, &end, 10);
		if (end != text && (*end == '\n' || *end == 0) && v >= 0)
			rp = v;
		ed_free(text);
	}
	return rp;
}

/* List base offsets of the .log files; remove leftovers of interrupted
 * atomic writes and compaction swaps. */
static int list_segments(const char *dir, int64_t **out, size_t *count)
{
	DIR *d = opendir(dir);
	int64_t *bases = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	char path[4096];
	if (!d)
		return ed_err_from_errno(errno);
	while ((de = readdir(d)) != NULL) {
		int64_t base;
		if (has_suffix(de->d_name, ".tmp") || has_suffix(de->d_name, ".cleaned")) {
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
			continue;
		}
		if (!parse_seg_name(de->d_name, ".log", &base))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t *nb = ed_realloc(bases, cap * sizeof *nb);
			if (!nb) {
				closedir(d);
				ed_free(bases);
				return ED_ENOMEM;
			}
			bases = nb;
		}
		bases[n++] = base;
	}
	closedir(d);
	if (n)
		qsort(bases, n, sizeof *bases, cmp_i64);
	*out = bases;
	*count = n;
	return 0;
}

int ed_partition_recover(struct ed_partition *part, bool clean, char *err, size_t errlen)
{
	struct ed_topic_config cfg;
	int64_t *bases = NULL;
	size_t n = 0;
	int rc;
	bool wrote_indexes = false, tail_dirty = false;
	ed_partition_config(part, &cfg);
	part->recovery_point = read_recovery_point(part->dir);
	if ((rc = list_segments(part->dir, &bases, &n))) {
		ed_log_fail(rc, err, errlen, "%s: cannot list segments: %s", part->dir,
			    ed_err_str(rc));
		goto out;
	}
	part->segs = ed_calloc(n + 4, sizeof *part->segs);
	if (!part->segs) {
		rc = ED_ENOMEM;
		goto out;
	}
	part->segs_cap = n + 4;
	if (n == 0) {
		struct ed_segment *seg = NULL;
		if ((rc = ed_segment_create(part->dir, part->recovery_point, &seg))) {
			ed_log_fail(rc, err, errlen, "%s: cannot create a segment: %s", part->dir,
				    ed_err_str(rc));
			goto out;
		}
		part->segs[part->nsegs++] = seg;
		if ((rc = ed_io_fsync_dir(part->dir))) {
			ed_log_fail(rc, err, errlen, "%s: fsync failed: %s", part->dir,
				    ed_err_str(rc));
			goto out;
		}
	}
	int64_t min_base = 0;
	for (size_t i = 0; i < n; i++) {
		struct ed_segment *seg = NULL;
		bool is_last = i + 1 == n, truncated = false;
		char *path = ed_seg_path(part->dir, bases[i], ".log");
		if (!path) {
			rc = ED_ENOMEM;
			goto out;
		}
		rc = ed_segment_open_file(path, bases[i], &seg);
		ed_free(path);
		if (rc) {
			ed_log_fail(rc, err, errlen, "%s: cannot open segment %" PRId64 ": %s",
				    part->dir, bases[i], ed_err_str(rc));
			goto out;
		}
		part->segs[part->nsegs++] = seg;
		if (seg->base_offset < min_base) {
			rc = ed_log_fail(ED_ECORRUPT, err, errlen,
					 "%s: segment starts at offset %" PRId64
					 " but the previous one ends at %" PRId64,
					 seg->path, seg->base_offset, min_base);
			goto out;
		}
		min_base = seg->base_offset;
		struct stat st;
		if (fstat(seg->fd, &st) != 0) {
			rc = ed_log_fail(ED_EIO, err, errlen, "%s: stat failed", seg->path);
			goto out;
		}
		bool trusted = (clean || seg->base_offset < part->recovery_point) &&
			       ed_segment_load_indexes(seg, st.st_size) == 0;
		if (trusted) {
			if (is_last) {
				/* Walk the tail after the last index entry. */
				int64_t pos = seg->nidx ? seg->idx[seg->nidx - 1].pos : 0;
				int64_t mb = seg->nidx ? seg->base_offset + seg->idx[seg->nidx - 1].rel
						       : seg->base_offset;
				if ((rc = scan_segment(part, seg, pos, mb, true,
						       cfg.index_interval_bytes, &truncated, err,
						       errlen)))
					goto out;
				tail_dirty = truncated;
			} else {
				atomic_store(&seg->end_pos, st.st_size);
				seg->closed = seg->sealed = true;
			}
		} else {
			seg->nidx = seg->ntidx = 0;
			atomic_store(&seg->max_ts, -1);
			if ((rc = scan_segment(part, seg, 0, seg->base_offset, is_last,
					       cfg.index_interval_bytes, &truncated, err, errlen)))
				goto out;
			if (is_last) {
				tail_dirty = true;
			} else {
				seg->closed = true;
				wrote_indexes = true;
			}
		}
		min_base = is_last || !trusted ? seg->next_offset : seg->base_offset + 1;
	}
	struct ed_segment *act = part->segs[part->nsegs - 1];
	if (atomic_load(&act->end_pos) == 0)
		act->next_offset = act->base_offset;
	atomic_store(&part->hwm, act->next_offset);
	atomic_store(&part->start_offset, part->segs[0]->base_offset);
	/* Data that survived a crash in the page cache is made durable now, so
	 * that "durable" means on disk for everything below the hwm. */
	if (tail_dirty && (rc = ed_io_fdatasync(act->fd))) {
		ed_log_fail(rc, err, errlen, "%s: fdatasync failed: %s", act->path, ed_err_str(rc));
		goto out;
	}
	part->durable = act->next_offset;
	if (wrote_indexes) {
		pthread_mutex_lock(&part->maint_lock);
		rc = ed_partition_seal(part);
		pthread_mutex_unlock(&part->maint_lock);
		if (rc) {
			ed_log_fail(rc, err, errlen, "%s: cannot write index files: %s", part->dir,
				    ed_err_str(rc));
			goto out;
		}
	}
out:
	ed_free(bases);
	return rc;
}
