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
 * Producer ids are handed out from blocks reserved in state_dir/producer_ids
 * (one decimal number: the first id not yet reserved), written atomically
 * before any id of a new block is used, so an id is never reused. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

struct ed_kprodstate {
	struct ed_kafka *k;
	struct ppart *buckets[NBUCKETS];
	int64_t next_pid;
	int64_t reserved_until;
	char path[4096];
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
	ed_free(pp);
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
static void ppart_load(struct ppart *pp, struct ed_partition *part)
{
	struct ed_buf buf;
	ed_buf_init(&buf);
	int64_t off = ed_partition_start_offset(part);
	int64_t hwm = ed_partition_hwm(part);
	size_t batches = 0;
	while (off < hwm) {
		ed_buf_reset(&buf);
		int rc = ed_partition_read(part, off, SCAN_CHUNK, &buf);
		if (rc < 0 || buf.err || buf.len == 0)
			break;
		size_t pos = 0;
		int64_t next = off;
		while (pos + ED_BATCH_HEADER_SIZE <= buf.len) {
			struct ed_batch_info bi;
			if (ed_batch_parse_header(buf.data + pos, buf.len - pos, &bi) < 0 || bi.size <= 0)
				break;
			if (bi.producer_id >= 0) {
				struct pentry *e = pentry_find(pp, bi.producer_id, true);
				if (e)
					pentry_apply(e, bi.producer_epoch, bi.base_sequence,
						     batch_last_seq(&bi), bi.base_offset);
			}
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
	ed_debug(MOD, "producer state of %s/%d rebuilt from %zu batches: %zu producers", pp->topic,
		 pp->partition, batches, pp->n);
}

int ed_kprodstate_check(struct ed_kprodstate *ps, const char *topic, struct ed_partition *part,
			const struct ed_batch_info *bi, int64_t *dup_offset)
{
	struct ppart *pp = ppart_get(ps, topic, ed_partition_index(part));
	if (!pp)
		return ED_KERR_UNKNOWN_SERVER_ERROR;
	if (!pp->loaded)
		ppart_load(pp, part);
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
		pentry_apply(e, bi->producer_epoch, bi->base_sequence, batch_last_seq(bi), base_offset);
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

int ed_kprodstate_new_pid(struct ed_kprodstate *ps, int64_t *pid)
{
	if (ps->next_pid >= ps->reserved_until) {
		char text[32];
		int64_t until = ps->next_pid + PID_BLOCK;
		int n = snprintf(text, sizeof(text), "%" PRId64 "\n", until);
		int rc = ed_io_write_file_atomic(ps->path, text, (size_t)n);
		if (rc < 0) {
			ed_error(MOD, "cannot reserve producer ids in %s: %s", ps->path, ed_err_str(rc));
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
	*out = ps;
	return 0;
}

void ed_kprodstate_close(struct ed_kprodstate *ps)
{
	if (!ps)
		return;
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
