/* Segments: one data file of RecordBatch v2 frames plus its sparse offset and
 * time indexes (formats in log_int.h). This file owns segment lifetime
 * (create, open, ref/unref, unlink), the in-memory index arrays and their
 * files, and a read-ahead window used to walk batch headers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "log/log_int.h"

char *ed_seg_path(const char *dir, int64_t base, const char *ext)
{
	size_t n = strlen(dir) + 1 + ED_SEG_NAME_DIGITS + strlen(ext) + 1;
	char *p = ed_malloc(n);
	if (p)
		snprintf(p, n, "%s/%020" PRId64 "%s", dir, base, ext);
	return p;
}

char *ed_seg_sibling(const char *log_path, const char *ext)
{
	size_t n = strlen(log_path);
	size_t stem = n >= 4 ? n - 4 : n; /* strip ".log" */
	char *p = ed_malloc(stem + strlen(ext) + 1);
	if (p) {
		memcpy(p, log_path, stem);
		strcpy(p + stem, ext);
	}
	return p;
}

static struct ed_segment *seg_alloc(int64_t base, char *path, int fd)
{
	struct ed_segment *seg = ed_calloc(1, sizeof *seg);
	if (!seg)
		return NULL;
	seg->base_offset = base;
	seg->path = path;
	seg->fd = fd;
	atomic_init(&seg->refs, 1);
	atomic_init(&seg->end_pos, 0);
	atomic_init(&seg->max_ts, -1);
	atomic_init(&seg->dirty, false);
	seg->next_offset = base;
	seg->created_ms = ed_wall_ms();
	seg->mtime_ms = seg->created_ms;
	return seg;
}

int ed_segment_create(const char *dir, int64_t base, struct ed_segment **out)
{
	char *path = ed_seg_path(dir, base, ".log");
	if (!path)
		return ED_ENOMEM;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		int rc = ed_err_from_errno(errno);
		ed_free(path);
		return rc;
	}
	struct ed_segment *seg = seg_alloc(base, path, fd);
	if (!seg) {
		unlink(path);
		close(fd);
		ed_free(path);
		return ED_ENOMEM;
	}
	*out = seg;
	return 0;
}

int ed_segment_open_file(const char *path, int64_t base, struct ed_segment **out)
{
	char *p = ed_strdup(path);
	if (!p)
		return ED_ENOMEM;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int rc = ed_err_from_errno(errno);
		ed_free(p);
		return rc;
	}
	struct ed_segment *seg = seg_alloc(base, p, fd);
	if (!seg) {
		close(fd);
		ed_free(p);
		return ED_ENOMEM;
	}
	struct stat st;
	if (fstat(fd, &st) == 0)
		seg->mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	*out = seg;
	return 0;
}

void ed_segment_ref(struct ed_segment *seg)
{
	atomic_fetch_add_explicit(&seg->refs, 1, memory_order_relaxed);
}

void ed_segment_unref(struct ed_segment *seg)
{
	if (!seg || atomic_fetch_sub_explicit(&seg->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (seg->fd >= 0)
		close(seg->fd);
	ed_free(seg->idx);
	ed_free(seg->tidx);
	ed_free(seg->path);
	ed_free(seg);
}

void ed_segment_unlink(struct ed_segment *seg)
{
	static const char *const exts[] = {".index", ".timeindex"};
	for (size_t i = 0; i < 2; i++) {
		char *p = ed_seg_sibling(seg->path, exts[i]);
		if (p) {
			unlink(p);
			ed_free(p);
		}
	}
	unlink(seg->path);
}

void ed_segment_index_add(struct ed_segment *seg, int64_t base_offset, int64_t pos, int64_t max_ts)
{
	uint32_t rel = (uint32_t)(base_offset - seg->base_offset);
	if (seg->nidx == 0 ||
	    (seg->idx[seg->nidx - 1].rel < rel && seg->idx[seg->nidx - 1].pos < (uint32_t)pos)) {
		if (seg->nidx == seg->idx_cap) {
			size_t cap = seg->idx_cap ? seg->idx_cap * 2 : 64;
			struct ed_index_entry *n = ed_realloc(seg->idx, cap * sizeof *n);
			if (n) {
				seg->idx = n;
				seg->idx_cap = cap;
			}
		}
		if (seg->nidx < seg->idx_cap)
			seg->idx[seg->nidx++] = (struct ed_index_entry){rel, (uint32_t)pos};
	}
	if (max_ts >= 0 && (seg->ntidx == 0 || seg->tidx[seg->ntidx - 1].ts < max_ts)) {
		if (seg->ntidx == seg->tidx_cap) {
			size_t cap = seg->tidx_cap ? seg->tidx_cap * 2 : 64;
			struct ed_time_entry *n = ed_realloc(seg->tidx, cap * sizeof *n);
			if (n) {
				seg->tidx = n;
				seg->tidx_cap = cap;
			}
		}
		if (seg->ntidx < seg->tidx_cap)
			seg->tidx[seg->ntidx++] = (struct ed_time_entry){max_ts, rel, (uint32_t)pos};
	}
}

void ed_segment_note_batch(struct ed_partition *part, struct ed_segment *seg, int64_t base_offset,
			   int64_t last_offset, int64_t pos, int64_t size, int64_t max_ts,
			   int32_t interval)
{
	int64_t prev_max = atomic_load_explicit(&seg->max_ts, memory_order_relaxed);
	/* An index entry per interval of bytes (none for position 0, which is
	 * where a lookup without an entry starts anyway). */
	if (pos > 0 && seg->bytes_since_index >= interval) {
		int64_t run = max_ts > prev_max ? max_ts : prev_max;
		pthread_mutex_lock(&part->seg_lock);
		ed_segment_index_add(seg, base_offset, pos, run);
		pthread_mutex_unlock(&part->seg_lock);
		seg->bytes_since_index = 0;
	}
	seg->bytes_since_index += size;
	if (max_ts > prev_max)
		atomic_store_explicit(&seg->max_ts, max_ts, memory_order_release);
	seg->next_offset = last_offset + 1;
}

int64_t ed_segment_lookup_offset(const struct ed_segment *seg, int64_t offset)
{
	if (offset <= seg->base_offset || seg->nidx == 0)
		return 0;
	int64_t rel = offset - seg->base_offset;
	if (rel > UINT32_MAX)
		rel = UINT32_MAX;
	size_t lo = 0, hi = seg->nidx; /* first entry with rel > target */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (seg->idx[mid].rel <= (uint32_t)rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? 0 : seg->idx[lo - 1].pos;
}

int64_t ed_segment_lookup_time(const struct ed_segment *seg, int64_t ts)
{
	/* Last entry whose running maximum is still below ts: every batch up
	 * to it is older than ts, so the answer is at or after its position. */
	size_t lo = 0, hi = seg->ntidx;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (seg->tidx[mid].ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? 0 : seg->tidx[lo - 1].pos;
}

int ed_segment_write_indexes(struct ed_segment *seg)
{
	struct ed_buf b;
	int rc;
	char *ipath = ed_seg_sibling(seg->path, ".index");
	char *tpath = ed_seg_sibling(seg->path, ".timeindex");
	ed_buf_init(&b);
	if (!ipath || !tpath) {
		rc = ED_ENOMEM;
		goto out;
	}
	ed_buf_append(&b, ED_INDEX_MAGIC, 4);
	for (size_t i = 0; i < seg->nidx; i++) {
		ed_buf_put_be32(&b, seg->idx[i].rel);
		ed_buf_put_be32(&b, seg->idx[i].pos);
	}
	if ((rc = b.err))
		goto out;
	if ((rc = ed_io_write_file_atomic(ipath, b.data, b.len)))
		goto out;
	ed_buf_reset(&b);
	ed_buf_append(&b, ED_TIMEINDEX_MAGIC, 4);
	for (size_t i = 0; i < seg->ntidx; i++) {
		ed_buf_put_be64(&b, (uint64_t)seg->tidx[i].ts);
		ed_buf_put_be32(&b, seg->tidx[i].rel);
		ed_buf_put_be32(&b, seg->tidx[i].pos);
	}
	if ((rc = b.err))
		goto out;
	rc = ed_io_write_file_atomic(tpath, b.data, b.len);
out:
	ed_buf_fini(&b);
	ed_free(ipath);
	ed_free(tpath);
	return rc;
}

int ed_segment_load_indexes(struct ed_segment *seg, int64_t size)
{
	char *ipath = ed_seg_sibling(seg->path, ".index");
	char *tpath = ed_seg_sibling(seg->path, ".timeindex");
	char *idata = NULL, *tdata = NULL;
	size_t ilen = 0, tlen = 0;
	struct ed_index_entry *idx = NULL;
	struct ed_time_entry *tidx = NULL;
	size_t nidx = 0, ntidx = 0;
	int rc;
	if (!ipath || !tpath) {
		rc = ED_ENOMEM;
		goto out;
	}
	if ((rc = ed_io_read_file(ipath, (size_t)1 << 31, &idata, &ilen)))
		goto out;
	if ((rc = ed_io_read_file(tpath, (size_t)1 << 31, &tdata, &tlen)))
		goto out;
	rc = ED_ECORRUPT;
	if (ilen < ED_INDEX_HEADER_SIZE || memcmp(idata, ED_INDEX_MAGIC, 4) != 0 ||
	    (ilen - ED_INDEX_HEADER_SIZE) % ED_INDEX_ENTRY_SIZE != 0)
		goto out;
	if (tlen < ED_INDEX_HEADER_SIZE || memcmp(tdata, ED_TIMEINDEX_MAGIC, 4) != 0 ||
	    (tlen - ED_INDEX_HEADER_SIZE) % ED_TIMEINDEX_ENTRY_SIZE != 0)
		goto out;
	nidx = (ilen - ED_INDEX_HEADER_SIZE) / ED_INDEX_ENTRY_SIZE;
	ntidx = (tlen - ED_INDEX_HEADER_SIZE) / ED_TIMEINDEX_ENTRY_SIZE;
	if (nidx) {
		idx = ed_malloc(nidx * sizeof *idx);
		if (!idx) {
			rc = ED_ENOMEM;
			goto out;
		}
	}
	if (ntidx) {
		tidx = ed_malloc(ntidx * sizeof *tidx);
		if (!tidx) {
			rc = ED_ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < nidx; i++) {
		const uint8_t *p = (const uint8_t *)idata + ED_INDEX_HEADER_SIZE + i * 8;
		idx[i].rel = ed_rd32(p);
		idx[i].pos = ed_rd32(p + 4);
		if (idx[i].pos >= size ||
		    (i && (idx[i].rel <= idx[i - 1].rel || idx[i].pos <= idx[i - 1].pos)))
			goto out;
	}
	for (size_t i = 0; i < ntidx; i++) {
		const uint8_t *p = (const uint8_t *)tdata + ED_INDEX_HEADER_SIZE + i * 16;
		tidx[i].ts = (int64_t)ed_rd64(p);
		tidx[i].rel = ed_rd32(p + 8);
		tidx[i].pos = ed_rd32(p + 12);
		if (tidx[i].pos >= size || tidx[i].ts < 0 || (i && tidx[i].ts <= tidx[i - 1].ts))
			goto out;
	}
	/* The last offset entry must point at a batch header with that offset. */
	if (nidx) {
		uint8_t h[12];
		if (ed_io_pread_all(seg->fd, h, sizeof h, idx[nidx - 1].pos) != 0 ||
		    (int64_t)ed_rd64(h) != seg->base_offset + idx[nidx - 1].rel)
			goto out;
	}
	ed_free(seg->idx);
	ed_free(seg->tidx);
	seg->idx = idx;
	seg->nidx = seg->idx_cap = nidx;
	seg->tidx = tidx;
	seg->ntidx = seg->tidx_cap = ntidx;
	idx = NULL;
	tidx = NULL;
	atomic_store(&seg->max_ts, ntidx ? seg->tidx[ntidx - 1].ts : -1);
	rc = 0;
out:
	ed_free(idx);
	ed_free(tidx);
	ed_free(idata);
	ed_free(tdata);
	ed_free(ipath);
	ed_free(tpath);
	return rc;
}

void ed_seg_reader_init(struct ed_seg_reader *rd, int fd)
{
	rd->fd = fd;
	rd->win_pos = 0;
	rd->win_len = 0;
}

const uint8_t *ed_seg_reader_get(struct ed_seg_reader *rd, int64_t pos, size_t n, int *rc)
{
	if (n > sizeof rd->win) {
		*rc = ED_EINVAL;
		return NULL;
	}
	if (pos >= rd->win_pos && pos + (int64_t)n <= rd->win_pos + (int64_t)rd->win_len)
		return rd->win + (pos - rd->win_pos);
	ssize_t got;
	do
		got = pread(rd->fd, rd->win, sizeof rd->win, pos);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		rd->win_len = 0;
		*rc = ED_EIO;
		return NULL;
	}
	rd->win_pos = pos;
	rd->win_len = (size_t)got;
	if ((size_t)got < n) {
		*rc = ED_EAGAIN;
		return NULL;
	}
	return rd->win;
}
