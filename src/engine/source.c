/* Reading a source: each pipeline of a source reads its partitions with
 * ed_partition_read, decodes records into chunks, keeps a watermark per
 * partition (engine_int.h, invariants 1 and 2), drops late and bad records
 * and routes them once per source record (claim_record) to the side topics. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

void source_rt_free(struct ed_source_rt *s)
{
	if (!s)
		return;
	ed_free(s->claimed);
	ed_free(s);
}

/* True for the first pipeline to reach offset off of partition part (see
 * struct ed_source_rt). Partitions added after the first pipeline was
 * built are not deduplicated. */
bool claim_record(struct ed_source_rt *s, int32_t part, int64_t off)
{
	if (part >= s->nclaimed)
		return true;
	int64_t cur = atomic_load(&s->claimed[part]);
	while (off >= cur)
		if (atomic_compare_exchange_weak(&s->claimed[part], &cur, off + 1))
			return true;
	return false;
}

/* The source's watermark shown to users is the highest any of its
 * pipelines has reached (they agree but for timing). */
static void source_wm_raise(struct ed_source_rt *s, int64_t wm)
{
	int64_t cur = atomic_load(&s->watermark_us);
	while (wm > cur && !atomic_compare_exchange_weak(&s->watermark_us, &cur, wm))
		;
}

struct ed_topic *topic_open(struct ed_engine *eng, const char *name, int32_t partitions, char *err,
				   size_t errlen)
{
	struct ed_topic *t = ed_log_topic_get(eng->log, name);
	if (t)
		return t;
	struct ed_topic_config cfg;
	ed_topic_config_defaults(&cfg);
	cfg.partitions = partitions > 0 ? partitions : 1;
	int rc = ed_log_topic_create(eng->log, name, &cfg, err, errlen);
	if (rc && rc != ED_EEXIST)
		return NULL;
	return ed_log_topic_get(eng->log, name);
}

/* Append one batch to a topic partition. */
int append_batch(struct ed_topic *t, int32_t part, struct ed_batch_builder *bb)
{
	uint8_t *b;
	size_t n;
	int rc = ed_batch_builder_finish(bb, &b, &n);
	if (rc == 0) {
		struct ed_partition *p = ed_topic_partition(t, part);
		struct ed_append_result res;
		char err[128];
		rc = p ? ed_partition_append(p, b, n, &res, err, sizeof(err)) : ED_ENOENT;
	}
	ed_batch_builder_reset(bb);
	return rc;
}

/* Write rec to side topic t (none: nothing) with its reason; counts it in
 * *routed when the append succeeded. */
static void side_output(struct ed_pipe *p, struct ed_topic *t, const struct ed_record *rec, const char *reason,
			_Atomic int64_t *routed)
{
	if (!t)
		return;
	struct ed_header h = {(const uint8_t *)"eddy.reason", 11, (const uint8_t *)reason, (int32_t)strlen(reason)};
	if (ed_batch_builder_add(&p->side, rec->timestamp, rec->key, rec->key_len, rec->value, rec->value_len, &h, 1) == 0) {
		if (append_batch(t, 0, &p->side) == 0)
			atomic_fetch_add(routed, 1);
	} else
		ed_batch_builder_reset(&p->side);
}

static int64_t combined_wm(struct ed_pipe *p, int64_t now)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	bool any_active = false;
	int64_t delay = p->src->source.wm_delay_us;
	for (int32_t i = 0; i < p->nparts; i++) {
		struct part_state *ps = &p->parts[i];
		int64_t w = ps->seen ? ps->max_ts - delay : INT64_MIN;
		bool idle = now - ps->last_active_ms > p->idle_ms;
		if (ps->seen && w > hi)
			hi = w;
		if (!idle) {
			any_active = true;
			if (w < lo)
				lo = w;
		}
	}
	int64_t wm = any_active ? lo : hi;
	return wm > p->wm ? wm : p->wm;
}

int flush_chunk(struct ed_pipe *p)
{
	if (!p->chunk.rows)
		return 0;
	int rc = ed_op_push(pipe_first(p), &p->chunk);
	ed_chunk_reset(&p->chunk);
	return rc;
}

/* One record into the pipeline's chunk. */
static int take_record(struct ed_pipe *p, int32_t part, struct part_state *ps, const struct ed_record *rec,
		       int64_t now, int64_t *cur_wm)
{
	char why[300];
	uint32_t r = p->chunk.rows;
	if (p->csv_header.len && rec->value_len >= 0) {
		size_t n = (size_t)rec->value_len;
		while (n && (rec->value[n - 1] == '\n' || rec->value[n - 1] == '\r'))
			n--;
		if (n == p->csv_header.len && memcmp(rec->value, p->csv_header.data, n) == 0)
			return 0; /* a header line: neither a row nor a bad record */
	}
	bool mine = claim_record(p->srt, part, rec->offset);
	atomic_fetch_add(&p->stats.rows_in, 1);
	if (mine)
		atomic_fetch_add(&p->srt->records, 1);
	if (ed_decode_record(&p->dec, rec->value, rec->value_len < 0 ? 0 : (size_t)rec->value_len, &p->chunk, r,
			     why, sizeof(why)) != 0) {
		atomic_fetch_add(&p->stats.bad_records, 1);
		snprintf(p->stats.last_error, sizeof(p->stats.last_error), "offset %lld: %.200s", (long long)rec->offset, why);
		if (mine) {
			atomic_fetch_add(&p->srt->bad, 1);
			side_output(p, p->dlq_topic, rec, why, &p->srt->dead_lettered);
		}
		return 0;
	}
	int32_t tc = p->src->source.time_col;
	if (tc >= 0) {
		if (p->chunk.cols[tc].nulls[r]) {
			atomic_fetch_add(&p->stats.bad_records, 1);
			if (mine) {
				atomic_fetch_add(&p->srt->bad, 1);
				side_output(p, p->dlq_topic, rec, "event time is NULL", &p->srt->dead_lettered);
			}
			return 0;
		}
		int64_t ts = ED_VEC(&p->chunk.cols[tc], int64_t)[r];
		int64_t limit = *cur_wm;
		if (ps->seen && ps->max_ts - p->src->source.wm_delay_us > limit)
			limit = ps->max_ts - p->src->source.wm_delay_us;
		if (ts < limit) {
			atomic_fetch_add(&p->stats.late, 1);
			if (mine) {
				atomic_fetch_add(&p->srt->late, 1);
				snprintf(why, sizeof(why), "late event: event time %lld us is behind the watermark %lld us",
					 (long long)ts, (long long)limit);
				side_output(p, p->late_topic, rec, why, &p->srt->late_routed);
			}
			return 0;
		}
		if (!ps->seen || ts > ps->max_ts) {
			ps->max_ts = ts;
			ps->seen = true;
			int64_t cur = atomic_load(&p->srt->max_event_us);
			while (ts > cur && !atomic_compare_exchange_weak(&p->srt->max_event_us, &cur, ts))
				;
			*cur_wm = combined_wm(p, now);
		}
	}
	p->chunk.ops[r] = ED_OP_INSERT;
	p->chunk.rows++;
	if (p->chunk.rows == p->chunk.cap)
		return flush_chunk(p);
	return 0;
}

/* Read what is new in every partition; returns true if anything was read. */
bool pipe_step(struct ed_pipe *p)
{
	bool progress = false;
	int64_t now = now_ms(p->eng);
	int64_t cur_wm = combined_wm(p, now);
	bool proctime = p->obj->query && p->obj->query->win_proctime;
	/* Processing time: the clock is the watermark, sent before what is
	 * read now (stamped with it), so windows close as the clock passes
	 * their end, with or without input. */
	int rc = proctime ? pipe_watermark(p, proc_time_us(p->eng)) : 0;
	for (int32_t i = 0; i < p->nparts && rc == 0; i++) {
		struct part_state *ps = &p->parts[i];
		struct ed_partition *part = ed_topic_partition(p->topic, i);
		if (!part || ps->next >= ed_partition_hwm(part))
			continue;
		ed_buf_reset(&p->rbuf);
		rc = ed_partition_read(part, ps->next, p->eng->opts.read_bytes, &p->rbuf);
		if (rc == ED_ERANGE) {
			ps->next = ed_partition_start_offset(part);
			rc = 0;
			continue;
		}
		if (rc)
			break;
		progress = true;
		ps->last_active_ms = now;
		size_t off = 0;
		while (off + ED_BATCH_LOG_OVERHEAD <= p->rbuf.len && rc == 0) {
			struct ed_record_iter it;
			size_t left = p->rbuf.len - off;
			if (ed_record_iter_init(&it, p->rbuf.data + off, left, 0) != 0)
				break;
			int64_t last = ed_batch_last_offset(&it.bi);
			bool control = it.bi.attributes & ED_BATCH_ATTR_CONTROL;
			struct ed_record rec;
			while (!control && rc == 0 && ed_record_iter_next(&it, &rec) == 1)
				if (rec.offset >= ps->next)
					rc = take_record(p, i, ps, &rec, now, &cur_wm);
			off += (size_t)it.bi.size;
			ed_record_iter_fini(&it);
			if (last + 1 > ps->next)
				ps->next = last + 1;
		}
	}
	if (rc == 0)
		rc = flush_chunk(p);
	if (rc == 0 && p->src->source.time_col >= 0) {
		int64_t wm = combined_wm(p, now);
		source_wm_raise(p->srt, wm);
		if (!proctime)
			rc = pipe_watermark(p, wm);
	}
	if (rc)
		pipe_fail(p, rc);
	return progress;
}
