/* Idempotent producer state: producer id allocation and, per partition and
 * producer, the epoch and the last 5 batches (first/last sequence, base
 * offset) used to answer retried batches with their original offset, refuse
 * sequence gaps and fence stale epochs.
 *
 * Durability: the state is derived from the log itself. Every idempotent
 * batch carries producerId, producerEpoch and baseSequence in its header, so
 * the first idempotent produce to a partition after start rebuilds that
 * partition's state by scanning its batch headers. The state therefore always
 * matches exactly what survived a crash: a batch lost in the crash was never
 * acknowledged with acks=all and is accepted again when retried.
 *
 * Rebuilding by a full scan costs a read of the whole partition, so the state
 * is also snapshotted to state_dir/producer_state (at shutdown and every
 * minute when it changed). A partition's snapshot holds its state as of the
 * end of one batch B (offset, base offset and CRC of B); on load it is used
 * only if the log still holds that same B, and the scan starts after B.
 * Otherwise (a crash truncated B, the topic was recreated) the partition is
 * scanned, over its last SCAN_LIMIT bytes at most.
 *
 * producer_state file (big-endian):
 *
 *   u32 magic 'EDPS', u32 version 1, u32 partition count, then per partition:
 *     i16+n topic, i32 partition, i64 end offset (B's last offset + 1),
 *     i64 B's base offset, u32 B's CRC, u32 producer count, then per producer:
 *       i64 producer id, i16 epoch, u32 batch count (<= 5, oldest first),
 *       then per batch: i32 first seq, i32 last seq, i64 base offset
 *   u32 CRC32C of everything before it
 *
 * Producer ids are handed out from blocks reserved in state_dir/producer_ids
 * (one decimal number: the first id not yet reserved), written atomically
 * before any id of a new block is used, so an id is never reused. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/cursor.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/io.h"
#include "base/mem.h"
#include "kafka/kafka_int.h"
#include "log/batch.h"
#include "log/log.h"

#define MOD "kafka"
#define KEEP_BATCHES 5
#define PID_BLOCK 1000
#define NBUCKETS 1024
#define SCAN_CHUNK (4u << 20)
#define SNAPSHOT_EVERY_MS 60000
#define SCAN_LIMIT (256u << 20)

struct pbatch {
	int32_t first_seq;
	int32_t last_seq;
	int64_t base_offset;
};

struct pentry {
	int64_t pid;
	int16_t epoch;
	int nb;   /* batches kept, <= KEEP_BATCHES */
	int head; /* index of the newest */
	struct pbatch b[KEEP_BATCHES];
};

struct ppart {
	struct ppart *next;
	char *topic;
	int32_t partition;
	bool loaded;
	struct pentry *e;
	size_t n, cap;
	/* the last batch the state accounts for (see the snapshot format) */
	bool has_last;
	int64_t last_end, last_base;
	uint32_t last_crc;
	/* a snapshot read at open, not yet validated against the log */
	bool has_snap;
	int64_t snap_end, snap_base;
	uint32_t snap_crc;
	struct pentry *snap_e;
	size_t snap_n;
};

struct ed_kprodstate {
	struct ed_kafka *k;
	struct ppart *buckets[NBUCKETS];
	int64_t next_pid;
	int64_t reserved_until;
	bool dirty; /* state changed since the last snapshot */
	int64_t last_save_ms;
	char path[4096];
	char snap_path[4096];
};

static size_t bucket_of(const char *topic, int32_t partition)
{
	uint64_t h = ed_hash64_seed(topic, strlen(topic), (uint64_t)(uint32_t)partition);
	return (size_t)(h % NBUCKETS);
}

static struct ppart *ppart_get(struct ed_kprodstate *ps, const char *topic, int32_t partition)
{
	size_t bk = bucket_of(topic, partition);
	for (struct ppart *pp = ps->buckets[bk]; pp; pp = pp->next)
		if (pp->partition == partition && strcmp(pp->topic, topic) == 0)
			return pp;
	struct ppart *pp = ed_calloc(1, sizeof(*pp));
	if (!pp)
		return NULL;
	pp->topic = ed_strdup(topic);
	if (!pp->topic) {
		ed_free(pp);
		return NULL;
	}
	pp->partition = partition;
	pp->next = ps->buckets[bk];
	ps->buckets[bk] = pp;
	return pp;
}

static void ppart_free(struct ppart *pp)
{
	ed_free(pp->topic);
	ed_free(pp->e);
	ed_free(pp->snap_e);
	ed_free(pp);
}

static void note_last(struct ppart *pp, const struct ed_batch_info *bi, int64_t base_offset)
{
	pp->has_last = true;
	pp->last_base = base_offset;
	pp->last_end = base_offset + bi->last_offset_delta + 1;
	pp->last_crc = bi->crc;
}

static struct pentry *pentry_find(struct ppart *pp, int64_t pid, bool create)
{
	for (size_t i = 0; i < pp->n; i++)
		if (pp->e[i].pid == pid)
			return &pp->e[i];
	if (!create)
		return NULL;
	if (pp->n == pp->cap) {
		size_t ncap = pp->cap ? pp->cap * 2 : 4;
		struct pentry *ne = ed_realloc(pp->e, ncap * sizeof(*ne));
		if (!ne)
			return NULL;
		pp->e = ne;
		pp->cap = ncap;
	}
	struct pentry *e = &pp->e[pp->n++];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->epoch = -1;
	return e;
}

static void pentry_apply(struct pentry *e, int16_t epoch, int32_t first_seq, int32_t last_seq,
			 int64_t base_offset)
{
	if (epoch != e->epoch) {
		e->epoch = epoch;
		e->nb = 0;
		e->head = 0;
	}
	e->head = e->nb == 0 ? 0 : (e->head + 1) % KEEP_BATCHES;
	if (e->nb < KEEP_BATCHES)
		e->nb++;
	e->b[e->head].first_seq = first_seq;
	e->b[e->head].last_seq = last_seq;
	e->b[e->head].base_offset = base_offset;
}

static int32_t batch_last_seq(const struct ed_batch_info *bi)
{
	int64_t last = (int64_t)bi->base_sequence + bi->last_offset_delta;
	return (int32_t)(last > INT32_MAX ? last - INT32_MAX - 1 : last);
}

/* Rebuild one partition's producer state from its batch headers. */
/* True if the log still holds the snapshot's last batch, unchanged. */
static bool snap_valid(struct ppart *pp, struct ed_partition *part, struct ed_buf *buf)
{
	if (pp->snap_end > ed_partition_hwm(part) || pp->snap_base < 0 ||
	    pp->snap_base < ed_partition_start_offset(part))
		return false;
	ed_buf_reset(buf);
	if (ed_partition_read(part, pp->snap_base, 1, buf) < 0 || buf->err)
		return false;
	struct ed_batch_info bi;
	if (ed_batch_parse_header(buf->data, buf->len, &bi) < 0)
		return false;
	return bi.base_offset == pp->snap_base && bi.crc == pp->snap_crc &&
	       ed_batch_last_offset(&bi) + 1 == pp->snap_end;
}

static void ppart_load(struct ed_kprodstate *ps, struct ppart *pp, struct ed_partition *part)
{
	struct ed_buf buf;
	ed_buf_init(&buf);
	int64_t off = ed_partition_start_offset(part);
	int64_t hwm = ed_partition_hwm(part);
	size_t batches = 0;
	bool from_snap = false;
	if (pp->has_snap && snap_valid(pp, part, &buf)) {
		ed_free(pp->e);
		pp->e = pp->snap_e;
		pp->n = pp->cap = pp->snap_n;
		pp->snap_e = NULL;
		pp->has_last = true;
		pp->last_end = pp->snap_end;
		pp->last_base = pp->snap_base;
		pp->last_crc = pp->snap_crc;
		off = pp->snap_end;
		from_snap = true;
	}
	pp->has_snap = false;
	ed_free(pp->snap_e);
	pp->snap_e = NULL;
	if (!from_snap) {
		/* Bound the full scan to about the last SCAN_LIMIT bytes: retries only
		 * concern recent batches, and an older producer eddy no longer knows
		 * is accepted at any sequence. Offsets are estimated from the average
		 * record size. */
		int64_t size = ed_partition_size(part);
		if (size > (int64_t)SCAN_LIMIT && hwm > off) {
			double keep = (double)SCAN_LIMIT / (double)size;
			int64_t skip = (int64_t)((double)(hwm - off) * (1.0 - keep));
			if (skip > 0)
				off += skip;
		}
	}
	while (off < hwm) {
		ed_buf_reset(&buf);
		int rc = ed_partition_read(part, off, SCAN_CHUNK, &buf);
		if (rc < 0 || buf.err || buf.len == 0)
			break;
		size_t pos = 0;
		int64_t next = off;
		while (pos + ED_BATCH_HEADER_SIZE <= buf.len) {
			struct ed_batch_info bi;
			if (ed_batch_parse_header(buf.data + pos, buf.len - pos, &bi) < 0 ||
			    bi.size <= 0)
				break;
			if (bi.producer_id >= 0) {
				struct pentry *e = pentry_find(pp, bi.producer_id, true);
				if (e)
					pentry_apply(e, bi.producer_epoch, bi.base_sequence,
						     batch_last_seq(&bi), bi.base_offset);
			}
			note_last(pp, &bi, bi.base_offset);
			next = ed_batch_last_offset(&bi) + 1;
			pos += (size_t)bi.size;
			batches++;
		}
		if (next <= off)
			break;
		off = next;
	}
	ed_buf_fini(&buf);
	pp->loaded = true;
	ps->dirty = true;
	ed_debug(MOD, "producer state of %s/%d: %s, %zu batches scanned, %zu producers", pp->topic,
		 pp->partition, from_snap ? "snapshot" : "full scan", batches, pp->n);
}

int ed_kprodstate_check(struct ed_kprodstate *ps, const char *topic, struct ed_partition *part,
			const struct ed_batch_info *bi, int64_t *dup_offset)
{
	struct ppart *pp = ppart_get(ps, topic, ed_partition_index(part));
	if (!pp)
		return ED_KERR_UNKNOWN_SERVER_ERROR;
	if (!pp->loaded)
		ppart_load(ps, pp, part);
	struct pentry *e = pentry_find(pp, bi->producer_id, false);
	if (!e || e->nb == 0)
		return ED_KERR_NONE; /* new producer (or its batches are gone): accept */
	if (bi->producer_epoch < e->epoch)
		return ED_KERR_INVALID_PRODUCER_EPOCH;
	if (bi->producer_epoch > e->epoch)
		return bi->base_sequence == 0 ? ED_KERR_NONE : ED_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
	int32_t last = batch_last_seq(bi);
	for (int i = 0; i < e->nb; i++) {
		const struct pbatch *pb = &e->b[i];
		if (pb->first_seq == bi->base_sequence && pb->last_seq == last) {
			*dup_offset = pb->base_offset;
			return 1;
		}
	}
	int32_t newest = e->b[e->head].last_seq;
	int32_t expected = newest == INT32_MAX ? 0 : newest + 1;
	if (bi->base_sequence != expected)
		return ED_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
	return ED_KERR_NONE;
}

void ed_kprodstate_record(struct ed_kprodstate *ps, const char *topic, struct ed_partition *part,
			  const struct ed_batch_info *bi, int64_t base_offset)
{
	struct ppart *pp = ppart_get(ps, topic, ed_partition_index(part));
	if (!pp)
		return;
	struct pentry *e = pentry_find(pp, bi->producer_id, true);
	if (e)
		pentry_apply(e, bi->producer_epoch, bi->base_sequence, batch_last_seq(bi),
			     base_offset);
	note_last(pp, bi, base_offset);
	ps->dirty = true;
}

void ed_kprodstate_drop_topic(struct ed_kprodstate *ps, const char *topic)
{
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct ppart **pp = &ps->buckets[i];
		while (*pp) {
			if (strcmp((*pp)->topic, topic) == 0) {
				struct ppart *dead = *pp;
				*pp = dead->next;
				ppart_free(dead);
			} else {
				pp = &(*pp)->next;
			}
		}
	}
}

/* ---- snapshots ---- */

#define SNAP_MAGIC 0x45445053u /* "EDPS" */
#define SNAP_VERSION 1
#define SNAP_LIMIT (256u << 20)

static void put_entries(struct ed_buf *b, const struct pentry *e, size_t n)
{
	ed_buf_put_be32(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		ed_buf_put_be64(b, (uint64_t)e[i].pid);
		ed_buf_put_be16(b, (uint16_t)e[i].epoch);
		ed_buf_put_be32(b, (uint32_t)e[i].nb);
		/* oldest first */
		for (int j = 0; j < e[i].nb; j++) {
			int k = (e[i].head - e[i].nb + 1 + j + KEEP_BATCHES) % KEEP_BATCHES;
			ed_buf_put_be32(b, (uint32_t)e[i].b[k].first_seq);
			ed_buf_put_be32(b, (uint32_t)e[i].b[k].last_seq);
			ed_buf_put_be64(b, (uint64_t)e[i].b[k].base_offset);
		}
	}
}

static void put_part(struct ed_buf *b, const struct ppart *pp, int64_t end, int64_t base,
		     uint32_t crc, const struct pentry *e, size_t n)
{
	size_t tl = strlen(pp->topic);
	ed_buf_put_be16(b, (uint16_t)tl);
	ed_buf_append(b, pp->topic, tl);
	ed_buf_put_be32(b, (uint32_t)pp->partition);
	ed_buf_put_be64(b, (uint64_t)end);
	ed_buf_put_be64(b, (uint64_t)base);
	ed_buf_put_be32(b, crc);
	put_entries(b, e, n);
}

/* Write every partition's state (and snapshots not used yet) atomically. */
static int snapshot_save(struct ed_kprodstate *ps)
{
	struct ed_buf b;
	ed_buf_init(&b);
	ed_buf_put_be32(&b, SNAP_MAGIC);
	ed_buf_put_be32(&b, SNAP_VERSION);
	size_t count_pos = b.len;
	ed_buf_put_be32(&b, 0);
	uint32_t count = 0;
	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct ppart *pp = ps->buckets[i]; pp; pp = pp->next) {
			if (pp->loaded && pp->has_last) {
				put_part(&b, pp, pp->last_end, pp->last_base, pp->last_crc, pp->e,
					 pp->n);
				count++;
			} else if (!pp->loaded && pp->has_snap) {
				put_part(&b, pp, pp->snap_end, pp->snap_base, pp->snap_crc,
					 pp->snap_e, pp->snap_n);
				count++;
			}
		}
	int rc = b.err;
	if (!rc) {
		ed_buf_patch_be32(&b, count_pos, count);
		ed_buf_put_be32(&b, ed_crc32c(0, b.data, b.len));
		rc = b.err ? b.err : ed_io_write_file_atomic(ps->snap_path, b.data, b.len);
	}
	ed_buf_fini(&b);
	if (rc < 0)
		ed_warn(MOD, "cannot write %s: %s", ps->snap_path, ed_err_str(rc));
	else
		ps->dirty = false;
	return rc;
}

/* Read the snapshot file into not-yet-validated per-partition snapshots.
 * A missing file is fine; a damaged one is ignored (full scans then). */
static void snapshot_load(struct ed_kprodstate *ps)
{
	char *data = NULL;
	size_t len = 0;
	int rc = ed_io_read_file(ps->snap_path, SNAP_LIMIT, &data, &len);
	if (rc < 0) {
		if (rc != ED_ENOENT)
			ed_warn(MOD, "%s: %s (producer state will be rebuilt from the log)",
				ps->snap_path, ed_err_str(rc));
		return;
	}
	struct ed_cur c;
	ed_cur_init(&c, data, len);
	uint32_t want_crc = 0;
	if (len >= 16) {
		const uint8_t *tail = (const uint8_t *)data + len - 4;
		want_crc = (uint32_t)tail[0] << 24 | (uint32_t)tail[1] << 16 |
			   (uint32_t)tail[2] << 8 | (uint32_t)tail[3];
	}
	if (len < 16 || ed_crc32c(0, data, len - 4) != want_crc || ed_cur_u32(&c) != SNAP_MAGIC ||
	    ed_cur_u32(&c) != SNAP_VERSION) {
		ed_warn(MOD, "%s is damaged: producer state will be rebuilt from the log",
			ps->snap_path);
		ed_free(data);
		return;
	}
	c.end -= 4;
	uint32_t nparts = ed_cur_u32(&c);
	char topic[256];
	for (uint32_t i = 0; i < nparts && !c.err; i++) {
		uint16_t tl = (uint16_t)ed_cur_i16(&c);
		const uint8_t *tp = ed_cur_bytes(&c, tl);
		if (!tp || tl == 0 || tl >= sizeof(topic))
			break;
		memcpy(topic, tp, tl);
		topic[tl] = 0;
		int32_t partition = ed_cur_i32(&c);
		int64_t end = ed_cur_i64(&c), base = ed_cur_i64(&c);
		uint32_t crc = ed_cur_u32(&c);
		uint32_t n = ed_cur_u32(&c);
		if (c.err || n > ed_cur_left(&c) / 14)
			break;
		struct pentry *e = ed_calloc(n ? n : 1, sizeof(*e));
		if (!e)
			break;
		for (uint32_t j = 0; j < n && !c.err; j++) {
			e[j].pid = ed_cur_i64(&c);
			e[j].epoch = ed_cur_i16(&c);
			uint32_t nb = ed_cur_u32(&c);
			if (nb > KEEP_BATCHES) {
				c.err = true;
				break;
			}
			e[j].nb = 0;
			for (uint32_t k = 0; k < nb; k++) {
				int32_t first = ed_cur_i32(&c), last = ed_cur_i32(&c);
				int64_t boff = ed_cur_i64(&c);
				pentry_apply(&e[j], e[j].epoch, first, last, boff);
			}
		}
		struct ppart *pp = c.err ? NULL : ppart_get(ps, topic, partition);
		if (!pp) {
			ed_free(e);
			break;
		}
		pp->has_snap = true;
		pp->snap_end = end;
		pp->snap_base = base;
		pp->snap_crc = crc;
		ed_free(pp->snap_e);
		pp->snap_e = e;
		pp->snap_n = n;
	}
	ed_free(data);
}

void ed_kprodstate_tick(struct ed_kprodstate *ps, int64_t now_ms)
{
	if (ps->dirty && now_ms - ps->last_save_ms >= SNAPSHOT_EVERY_MS) {
		snapshot_save(ps);
		ps->last_save_ms = now_ms;
	}
}

int ed_kprodstate_new_pid(struct ed_kprodstate *ps, int64_t *pid)
{
	if (ps->next_pid >= ps->reserved_until) {
		char text[32];
		int64_t until = ps->next_pid + PID_BLOCK;
		int n = snprintf(text, sizeof(text), "%" PRId64 "\n", until);
		int rc = ed_io_write_file_atomic(ps->path, text, (size_t)n);
		if (rc < 0) {
			ed_error(MOD, "cannot reserve producer ids in %s: %s", ps->path,
				 ed_err_str(rc));
			return rc;
		}
		ps->reserved_until = until;
	}
	*pid = ps->next_pid++;
	return 0;
}

int ed_kprodstate_open(struct ed_kafka *k, struct ed_kprodstate **out, char *err, size_t errlen)
{
	struct ed_kprodstate *ps = ed_calloc(1, sizeof(*ps));
	if (!ps)
		return ED_ENOMEM;
	ps->k = k;
	snprintf(ps->path, sizeof(ps->path), "%s/producer_ids", k->state_dir);
	char *text = NULL;
	size_t len = 0;
	int rc = ed_io_read_file(ps->path, 64, &text, &len);
	if (rc == 0) {
		char *end = NULL;
		long long v = strtoll(text, &end, 10);
		ed_free(text);
		if (!end || end == text || v < 0) {
			snprintf(err, errlen, "%s: malformed", ps->path);
			ed_free(ps);
			return ED_ECORRUPT;
		}
		ps->next_pid = v;
	} else if (rc != ED_ENOENT) {
		snprintf(err, errlen, "%s: %s", ps->path, ed_err_str(rc));
		ed_free(ps);
		return rc;
	}
	ps->reserved_until = ps->next_pid;
	snprintf(ps->snap_path, sizeof(ps->snap_path), "%s/producer_state", k->state_dir);
	snapshot_load(ps);
	*out = ps;
	return 0;
}

void ed_kprodstate_close(struct ed_kprodstate *ps)
{
	if (!ps)
		return;
	if (ps->dirty)
		snapshot_save(ps);
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct ppart *pp = ps->buckets[i];
		while (pp) {
			struct ppart *next = pp->next;
			ppart_free(pp);
			pp = next;
		}
	}
	ed_free(ps);
}
