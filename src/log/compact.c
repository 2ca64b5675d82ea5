/* Log compaction for cleanup.policy=compact: keep only the latest record of
 * each key in the closed, sealed segments, and drop tombstones (null values)
 * once their timestamp is older than delete.retention.ms.
 *
 * Invariants:
 *  1. Offsets never change and order is kept: every surviving batch keeps its
 *     baseOffset, lastOffsetDelta, timestamps and producer fields; records
 *     keep their offsetDelta and timestampDelta. A batch left with no record
 *     is dropped; readers skip the gap.
 *  2. Batches that lose records are rewritten uncompressed (the codec bits
 *     cleared) with a new CRC; untouched uncompressed batches are copied
 *     byte for byte. Control batches and records without a key are kept.
 *  3. Only closed, sealed segments are cleaned, and none newer than
 *     min.compaction.lag.ms; "latest" is judged over those segments only.
 *  4. A segment is rewritten into <base>.log.cleaned, fsynced, and swapped in
 *     by rename after its old index files are removed: a crash at any point
 *     leaves either the old or the new data file, and missing indexes are
 *     rebuilt on open; leftover .cleaned files are removed on open.
 * Keys are identified by two independent 64-bit hashes (128 bits). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/io.h"
#include "base/mem.h"
#include "base/varint.h"
#include "log/log_int.h"

struct keymap {
	uint64_t *h1, *h2;
	int64_t *off; /* -1 = empty slot */
	size_t cap, n;
};

static void keymap_fini(struct keymap *m)
{
	ed_free(m->h1);
	ed_free(m->h2);
	ed_free(m->off);
	memset(m, 0, sizeof *m);
}

static int keymap_alloc(struct keymap *m, size_t cap)
{
	m->h1 = ed_malloc(cap * sizeof *m->h1);
	m->h2 = ed_malloc(cap * sizeof *m->h2);
	m->off = ed_malloc(cap * sizeof *m->off);
	m->cap = cap;
	m->n = 0;
	if (!m->h1 || !m->h2 || !m->off) {
		keymap_fini(m);
		return ED_ENOMEM;
	}
	for (size_t i = 0; i < cap; i++)
		m->off[i] = -1;
	return 0;
}

static size_t keymap_slot(const struct keymap *m, uint64_t h1, uint64_t h2)
{
	size_t i = (size_t)h1 & (m->cap - 1);
	while (m->off[i] >= 0 && !(m->h1[i] == h1 && m->h2[i] == h2))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int keymap_put(struct keymap *m, uint64_t h1, uint64_t h2, int64_t off)
{
	if ((m->n + 1) * 4 > m->cap * 3) {
		struct keymap g;
		if (keymap_alloc(&g, m->cap * 2))
			return ED_ENOMEM;
		for (size_t i = 0; i < m->cap; i++) {
			if (m->off[i] < 0)
				continue;
			size_t j = keymap_slot(&g, m->h1[i], m->h2[i]);
			g.h1[j] = m->h1[i];
			g.h2[j] = m->h2[i];
			g.off[j] = m->off[i];
			g.n++;
		}
		keymap_fini(m);
		*m = g;
	}
	size_t i = keymap_slot(m, h1, h2);
	if (m->off[i] < 0)
		m->n++;
	m->h1[i] = h1;
	m->h2[i] = h2;
	m->off[i] = off;
	return 0;
}

static int64_t keymap_get(const struct keymap *m, uint64_t h1, uint64_t h2)
{
	return m->off[keymap_slot(m, h1, h2)];
}

static void key_hash(const struct ed_record *rec, uint64_t *h1, uint64_t *h2)
{
	*h1 = ed_hash64(rec->key, (size_t)rec->key_len);
	*h2 = ed_hash64_seed(rec->key, (size_t)rec->key_len, 0x9e3779b97f4a7c15ULL);
}

/* Calls fn for every batch of seg (whole batch in memory). */
typedef int (*batch_fn)(void *arg, const uint8_t *batch, size_t size);

static int each_batch(struct ed_segment *seg, struct ed_buf *buf, batch_fn fn, void *arg)
{
	int64_t end = atomic_load(&seg->end_pos), pos = 0;
	int rc = 0;
	while (pos + ED_BATCH_LOG_OVERHEAD <= end) {
		uint8_t h[ED_BATCH_LOG_OVERHEAD];
		if ((rc = ed_io_pread_all(seg->fd, h, sizeof h, pos)))
			return rc == ED_EAGAIN ? ED_ECORRUPT : rc;
		size_t size = (size_t)ed_rd32(h + ED_BOFF_LENGTH) + ED_BATCH_LOG_OVERHEAD;
		if (size < ED_BATCH_HEADER_SIZE || pos + (int64_t)size > end)
			return ED_ECORRUPT;
		ed_buf_reset(buf);
		if ((rc = ed_buf_reserve(buf, size)))
			return rc;
		if ((rc = ed_io_pread_all(seg->fd, buf->data, size, pos)))
			return rc == ED_EAGAIN ? ED_ECORRUPT : rc;
		if ((rc = fn(arg, buf->data, size)))
			return rc;
		pos += (int64_t)size;
	}
	return 0;
}

struct compactor {
	struct keymap map;
	int64_t now_ms;
	int64_t tombstone_ms; /* delete.retention.ms */
	int64_t next_expiry;  /* earliest time a kept tombstone can go */
	/* Per segment rewrite state. */
	bool changed;
	bool writing;
	int fd;
	struct ed_segment *nseg;
	int64_t pos;
	int32_t interval;
	struct ed_buf out;
};

static bool is_control(const uint8_t *batch)
{
	return (batch[ED_BOFF_ATTRIBUTES + 1] & ED_BATCH_ATTR_CONTROL) != 0;
}

static int map_batch(void *arg, const uint8_t *batch, size_t size)
{
	struct compactor *c = arg;
	struct ed_record_iter it;
	struct ed_record rec;
	int rc;
	if (is_control(batch))
		return 0;
	if ((rc = ed_record_iter_init(&it, batch, size, 0)))
		return rc;
	while ((rc = ed_record_iter_next(&it, &rec)) == 1) {
		uint64_t h1, h2;
		if (rec.key_len < 0)
			continue;
		key_hash(&rec, &h1, &h2);
		if ((rc = keymap_put(&c->map, h1, h2, rec.offset)))
			break;
	}
	ed_record_iter_fini(&it);
	return rc < 0 ? rc : 0;
}

/* Whether the record survives; notes kept tombstones' expiry. */
static bool keep_record(struct compactor *c, const struct ed_record *rec, int64_t ts)
{
	uint64_t h1, h2;
	if (rec->key_len < 0)
		return true;
	key_hash(rec, &h1, &h2);
	int64_t latest = keymap_get(&c->map, h1, h2);
	if (latest >= 0 && latest != rec->offset)
		return false;
	if (rec->value_len < 0) {
		if (ts < c->now_ms - c->tombstone_ms)
			return false;
		int64_t exp = ts + c->tombstone_ms;
		if (exp < c->next_expiry)
			c->next_expiry = exp;
	}
	return true;
}

static void put_record(struct ed_buf *b, const struct ed_record *rec, int64_t base_offset,
		       int64_t base_ts)
{
	int64_t tsd = rec->timestamp - base_ts, od = rec->offset - base_offset;
	int64_t kl = rec->key_len, vl = rec->value_len;
	size_t len = 1 + ed_varint_len(tsd) + ed_varint_len(od) + ed_varint_len(kl) +
		     (kl > 0 ? (size_t)kl : 0) + ed_varint_len(vl) + (vl > 0 ? (size_t)vl : 0) +
		     ed_varint_len(rec->header_count) + rec->headers_len;
	ed_buf_put_varint(b, (int64_t)len);
	ed_buf_put_u8(b, (uint8_t)rec->attributes);
	ed_buf_put_varint(b, tsd);
	ed_buf_put_varint(b, od);
	ed_buf_put_varint(b, kl);
	if (kl > 0)
		ed_buf_append(b, rec->key, (size_t)kl);
	ed_buf_put_varint(b, vl);
	if (vl > 0)
		ed_buf_append(b, rec->value, (size_t)vl);
	ed_buf_put_varint(b, rec->header_count);
	if (rec->headers_len)
		ed_buf_append(b, rec->headers, rec->headers_len);
}

/* Filter one batch into c->out (only when writing); sets c->changed when a
 * record goes. */
static int clean_batch(void *arg, const uint8_t *batch, size_t size)
{
	struct compactor *c = arg;
	struct ed_record_iter it;
	struct ed_record rec;
	int rc;
	bool whole = true;
	int32_t kept = 0;
	size_t at = c->out.len;
	if (is_control(batch))
		goto copy;
	if ((rc = ed_record_iter_init(&it, batch, size, 0)))
		return rc;
	bool lat = (batch[ED_BOFF_ATTRIBUTES + 1] & ED_BATCH_ATTR_LOG_APPEND_TIME) != 0;
	int64_t max_ts = (int64_t)ed_rd64(batch + ED_BOFF_MAX_TIMESTAMP);
	if (c->writing)
		ed_buf_append(&c->out, batch, ED_BATCH_HEADER_SIZE);
	while ((rc = ed_record_iter_next(&it, &rec)) == 1) {
		if (!keep_record(c, &rec, lat ? max_ts : rec.timestamp)) {
			whole = false;
			continue;
		}
		kept++;
		if (c->writing)
			put_record(&c->out, &rec, it.bi.base_offset, it.bi.base_timestamp);
	}
	bool compressed = ed_batch_codec(&it.bi) != ED_CODEC_NONE;
	ed_record_iter_fini(&it);
	if (rc < 0)
		return rc;
	if (!whole)
		c->changed = true;
	if (!c->writing)
		return 0;
	if (whole && !compressed) {
		c->out.len = at;
		goto copy;
	}
	if (kept == 0) {
		c->out.len = at;
		return 0;
	}
	if (c->out.err)
		return c->out.err;
	uint8_t *h = c->out.data + at;
	size_t total = c->out.len - at;
	ed_wr32(h + ED_BOFF_LENGTH, (uint32_t)(total - ED_BATCH_LOG_OVERHEAD));
	h[ED_BOFF_ATTRIBUTES + 1] &= (uint8_t)~ED_BATCH_ATTR_CODEC_MASK;
	ed_wr32(h + ED_BOFF_RECORDS_COUNT, (uint32_t)kept);
	ed_batch_update_crc(h, total);
	goto emit;
copy:
	if (!c->writing)
		return 0;
	ed_buf_append(&c->out, batch, size);
	if (c->out.err)
		return c->out.err;
emit:;
	const uint8_t *nb = c->out.data + at;
	size_t nsize = c->out.len - at;
	int64_t b = (int64_t)ed_rd64(nb);
	int64_t mx = (int64_t)ed_rd64(nb + ED_BOFF_MAX_TIMESTAMP);
	struct ed_segment *ns = c->nseg;
	if (c->pos > 0 && ns->bytes_since_index >= c->interval) {
		int64_t cur = atomic_load(&ns->max_ts);
		ed_segment_index_add(ns, b, c->pos, mx > cur ? mx : cur);
		ns->bytes_since_index = 0;
	}
	ns->bytes_since_index += (int64_t)nsize;
	if (mx > atomic_load(&ns->max_ts))
		atomic_store(&ns->max_ts, mx);
	ns->next_offset = b + (int32_t)ed_rd32(nb + ED_BOFF_LAST_OFFSET_DELTA) + 1;
	c->pos += (int64_t)nsize;
	/* Flush the output buffer in large writes. */
	if (c->out.len >= (1u << 20)) {
		if ((rc = ed_io_write_all(c->fd, c->out.data, c->out.len)))
			return rc;
		ed_buf_reset(&c->out);
	}
	return 0;
}

/* Rewrite seg without its dead records and swap the result in. */
static int rewrite_segment(struct ed_partition *part, struct compactor *c, struct ed_segment *seg,
			   struct ed_buf *buf)
{
	char *tmp = NULL, *ipath = NULL, *tpath = NULL;
	struct ed_segment *ns = NULL;
	int rc = ED_ENOMEM;
	size_t n = strlen(seg->path) + sizeof ".cleaned";
	if (!(tmp = ed_malloc(n)))
		goto out;
	snprintf(tmp, n, "%s.cleaned", seg->path);
	if (!(ipath = ed_seg_sibling(seg->path, ".index")) ||
	    !(tpath = ed_seg_sibling(seg->path, ".timeindex")))
		goto out;
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = ed_err_from_errno(errno);
		goto out;
	}
	close(fd);
	if ((rc = ed_segment_open_file(tmp, seg->base_offset, &ns)))
		goto unlink_tmp;
	c->nseg = ns;
	c->fd = ns->fd;
	c->pos = 0;
	c->writing = true;
	ed_buf_reset(&c->out);
	rc = each_batch(seg, buf, clean_batch, c);
	c->writing = false;
	if (!rc && c->out.len)
		rc = ed_io_write_all(c->fd, c->out.data, c->out.len);
	ed_buf_reset(&c->out);
	if (!rc)
		rc = ed_io_fdatasync(ns->fd);
	if (rc)
		goto unlink_tmp;
	/* Swap (invariant 4): indexes out, data file replaced, indexes back. */
	unlink(ipath);
	unlink(tpath);
	if ((rc = ed_io_fsync_dir(part->dir)))
		goto unlink_tmp;
	if (rename(tmp, seg->path) != 0) {
		rc = ed_err_from_errno(errno);
		goto unlink_tmp;
	}
	if ((rc = ed_io_fsync_dir(part->dir)))
		ed_warn("log", "%s: directory fsync after compaction failed", part->dir);
	char *final = ed_strdup(seg->path);
	if (!final) {
		rc = ED_ENOMEM;
		goto out;
	}
	ed_free(ns->path);
	ns->path = final;
	if (ed_segment_write_indexes(ns))
		ed_warn("log", "%s: cannot write index files; they will be rebuilt", seg->path);
	atomic_store(&ns->end_pos, c->pos);
	if (atomic_load(&ns->max_ts) < 0)
		ns->mtime_ms = seg->mtime_ms;
	ns->created_ms = seg->created_ms;
	ns->closed = ns->sealed = true;
	ed_partition_replace_segment(part, seg, ns);
	ns = NULL;
	rc = 0;
	goto out;
unlink_tmp:
	unlink(tmp);
out:
	ed_segment_unref(ns);
	ed_free(tmp);
	ed_free(ipath);
	ed_free(tpath);
	return rc;
}

int ed_partition_compact(struct ed_partition *part, const struct ed_topic_config *cfg, int64_t now_ms)
{
	struct ed_segment **segs = NULL;
	size_t n = 0, ncl = 0;
	struct compactor c;
	struct ed_buf buf;
	int rc;
	memset(&c, 0, sizeof c);
	ed_buf_init(&buf);
	ed_buf_init(&c.out);
	if ((rc = ed_partition_segs_snapshot(part, &segs, &n)))
		goto out;
	while (ncl + 1 < n && segs[ncl]->closed && segs[ncl]->sealed &&
	       (cfg->min_compaction_lag_ms == 0 ||
		atomic_load(&segs[ncl]->max_ts) <= now_ms - cfg->min_compaction_lag_ms))
		ncl++;
	if (ncl == 0)
		goto out;
	/* Nothing new to clean and no kept tombstone has expired. */
	int64_t act_base = segs[ncl - 1]->base_offset;
	if (part->compact_active_base == act_base && now_ms < part->compact_next_ms)
		goto out;
	if ((rc = keymap_alloc(&c.map, 1024)))
		goto out;
	c.now_ms = now_ms;
	c.tombstone_ms = cfg->delete_retention_ms;
	c.next_expiry = INT64_MAX;
	c.interval = cfg->index_interval_bytes;
	for (size_t i = 0; i < ncl; i++)
		if ((rc = each_batch(segs[i], &buf, map_batch, &c)))
			goto out;
	for (size_t i = 0; i < ncl; i++) {
		c.changed = false;
		if ((rc = each_batch(segs[i], &buf, clean_batch, &c)))
			goto out;
		if (c.changed && (rc = rewrite_segment(part, &c, segs[i], &buf)))
			goto out;
	}
	part->compact_active_base = act_base;
	part->compact_next_ms = c.next_expiry;
out:
	if (rc)
		ed_warn("log", "%s: compaction failed: %s", part->dir, ed_err_str(rc));
	keymap_fini(&c.map);
	ed_buf_fini(&c.out);
	ed_buf_fini(&buf);
	ed_segs_release(segs, n);
	return rc;
}
