/* HTTP routes: the URL table, health probes, topics, and records in and out
 * of topics. SQL and views are in views.c, metrics in metrics.c.
 *
 * Ingestion (POST /v1/topics/{topic}/records) in order: options checked,
 * the whole body validated and split (ingest.c), every record checked
 * against the topic's partition count and max.message.bytes, and only then
 * records grouped by partition into RecordBatches and appended by the log's
 * writer (log/writer.h: Kafka's default partitioner for keys, round robin
 * for keyless records). With acks=all
 * (the default) the answer waits until every touched partition has been
 * fsynced up to its last appended offset. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "http/http_int.h"
#include "log/batch.h"
#include "log/log.h"
#include "log/writer.h"

#define MOD "http"
#define READ_MAX_RECORDS 10000
#define READ_DEFAULT_RECORDS 100
#define READ_CHUNK_BYTES (1024 * 1024)
#define RECORD_OVERHEAD 64 /* record varints and attributes, generously */

static void respond_json(struct ed_hconn *c, int status, struct ed_buf *b)
{
	if (b->err)
		ed_hconn_error(c, 500, "internal", "out of memory building the answer");
	else
		ed_hconn_respond(c, status, "application/json", b->data, b->len);
}

/* ---- topics ---- */

static void handle_topics(struct ed_hreq *req)
{
	struct ed_http *h = req->c->h;
	char **names = NULL;
	size_t n = 0;
	if (ed_log_topic_names(h->log, &names, &n) < 0) {
		ed_hconn_error(req->c, 500, "internal", "cannot list topics");
		return;
	}
	struct ed_buf b;
	ed_buf_init(&b);
	ed_buf_append(&b, "{\"topics\":[", 11);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct ed_topic *t = ed_log_topic_get(h->log, names[i]);
		if (!t)
			continue; /* deleted meanwhile */
		if (k++)
			ed_buf_put_u8(&b, ',');
		ed_buf_append(&b, "{\"name\":", 8);
		ed_hjson_put_text(&b, names[i], strlen(names[i]));
		ed_buf_printf(&b, ",\"partitions\":%d}", ed_topic_partition_count(t));
		ed_topic_unref(t);
	}
	ed_buf_append(&b, "]}\n", 3);
	ed_log_names_free(names, n);
	respond_json(req->c, 200, &b);
	ed_buf_fini(&b);
}

static void handle_topic(struct ed_hreq *req, struct ed_topic *t)
{
	struct ed_buf b;
	ed_buf_init(&b);
	ed_buf_append(&b, "{\"name\":", 8);
	const char *name = ed_topic_name(t);
	ed_hjson_put_text(&b, name, strlen(name));
	int32_t np = ed_topic_partition_count(t);
	ed_buf_printf(&b, ",\"partitions\":[");
	for (int32_t p = 0; p < np; p++) {
		struct ed_partition *part = ed_topic_partition(t, p);
		if (!part)
			continue;
		ed_buf_printf(&b,
			      "%s{\"partition\":%d,\"start_offset\":%" PRId64
			      ",\"end_offset\":%" PRId64 ",\"bytes\":%" PRId64 "}",
			      p ? "," : "", p, ed_partition_start_offset(part),
			      ed_partition_hwm(part), ed_partition_size(part));
	}
	ed_buf_append(&b, "]}\n", 3);
	respond_json(req->c, 200, &b);
	ed_buf_fini(&b);
}

/* ---- records in ---- */

struct ingest_job {
	struct ed_hjob job;
	struct ed_topic *topic;
	struct ed_buf answer;
};

static void ingest_complete(struct ed_hjob *job)
{
	struct ingest_job *ij = (struct ingest_job *)job;
	struct ed_hconn *c = ed_hjob_finish(job);
	int err = atomic_load(&job->err);
	if (c) {
		if (err)
			ed_hconn_error(c, 500, "not_durable",
				       "records were appended but could not be made durable: %s",
				       ed_err_str(err));
		else
			respond_json(c, 200, &ij->answer);
	}
	ed_topic_unref(ij->topic);
	ed_buf_fini(&ij->answer);
	ed_free(ij);
}

static bool starts_with_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The outcome of appending: per record its partition and offset. */
struct placement {
	int32_t *part;
	int64_t *off;
};

/* Offsets of appended batches go to their records: records are added
 * partition by partition in the order of order[], so the next count
 * records of order[] are those of the batch just appended. */
struct assign {
	struct placement *pl;
	const size_t *order;
	size_t next;
	int64_t *last;
};

static void on_append(void *arg, int32_t part, const struct ed_append_result *res, int32_t count)
{
	struct assign *a = arg;
	for (int32_t j = 0; j < count; j++)
		a->pl->off[a->order[a->next++]] = res->base_offset + j;
	a->last[part] = res->last_offset;
}

/* Append the records of each partition (placed in pl->part) through the
 * log's writer, in batches no larger than its max_batch. 0 or the first
 * append error (err filled). */
static int append_all(struct ed_log_writer *w, const struct ed_ingest *in, struct placement *pl,
		      int64_t now, int64_t *last, char *err, size_t errlen)
{
	int32_t np = w->nparts;
	size_t n = in->n;
	/* counting sort of record indices by partition, stable */
	size_t *start = ed_calloc((size_t)np + 1, sizeof(size_t));
	size_t *order = ed_malloc(n * sizeof(size_t));
	size_t *fill = ed_malloc((size_t)np * sizeof(size_t));
	int rc = 0;
	if (!start || !order || !fill) {
		rc = ED_ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		start[pl->part[i] + 1]++;
	for (int32_t p = 0; p < np; p++)
		start[p + 1] += start[p];
	memcpy(fill, start, (size_t)np * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		order[fill[pl->part[i]]++] = i;
	struct assign as = {pl, order, 0, last};
	w->cb = on_append;
	w->cb_arg = &as;
	for (int32_t p = 0; p < np && !rc; p++) {
		for (size_t k = start[p]; k < start[p + 1] && !rc; k++) {
			const struct ed_ingest_rec *r = &in->recs[order[k]];
			rc = ed_log_writer_add(w, p, r->timestamp >= 0 ? r->timestamp : now, r->key,
					       r->key_len, r->value, r->value_len, NULL, 0, NULL,
					       err, errlen);
		}
		if (!rc)
			rc = ed_log_writer_flush_part(w, p, err, errlen);
	}
	w->cb = NULL;
out:
	ed_free(start);
	ed_free(order);
	ed_free(fill);
	return rc;
}

static void handle_post_records(struct ed_hreq *req, const char *topic_name)
{
	struct ed_hconn *c = req->c;
	struct ed_http *h = c->h;
	char err[512] = "";
	char acks[16] = "all", keyf[256] = "", env[16] = "false", part_s[16] = "";
	if (ed_http_query_get(req->query, req->query_len, "acks", acks, sizeof(acks)) < 0 ||
	    ed_http_query_get(req->query, req->query_len, "key", keyf, sizeof(keyf)) < 0 ||
	    ed_http_query_get(req->query, req->query_len, "envelope", env, sizeof(env)) < 0 ||
	    ed_http_query_get(req->query, req->query_len, "partition", part_s, sizeof(part_s)) < 0) {
		ed_hconn_error(c, 400, "bad_request", "malformed query string");
		return;
	}
	bool durable;
	if (!strcmp(acks, "all") || !strcmp(acks, "-1"))
		durable = true;
	else if (!strcmp(acks, "1") || !strcmp(acks, "0"))
		durable = false;
	else {
		ed_hconn_error(c, 400, "bad_request", "acks must be all, -1, 1 or 0");
		return;
	}
	bool envelope;
	if (!strcmp(env, "true") || !strcmp(env, "1") || !env[0])
		envelope = true;
	else if (!strcmp(env, "false") || !strcmp(env, "0"))
		envelope = false;
	else {
		ed_hconn_error(c, 400, "bad_request", "envelope must be true or false");
		return;
	}
	int32_t forced = -1;
	if (part_s[0]) {
		char *end;
		long v = strtol(part_s, &end, 10);
		if (*end || v < 0 || v > INT32_MAX) {
			ed_hconn_error(c, 400, "bad_request",
				       "partition must be a non-negative integer");
			return;
		}
		forced = (int32_t)v;
	}
	if (ed_topic_name_validate(topic_name, err, sizeof(err)) < 0) {
		ed_hconn_error(c, 400, "bad_topic", "%s", err);
		return;
	}
	struct ed_topic *t = ed_log_topic_get(h->log, topic_name);
	if (!t && h->cfg.auto_create_topics) {
		struct ed_topic_config tc;
		ed_topic_config_defaults(&tc);
		tc.partitions = h->cfg.default_partitions;
		int rc = ed_log_topic_create(h->log, topic_name, &tc, err, sizeof(err));
		if (rc < 0 && rc != ED_EEXIST) {
			ed_hconn_error(c, 500, "internal", "cannot create topic: %s", err);
			return;
		}
		t = ed_log_topic_get(h->log, topic_name);
	}
	if (!t) {
		ed_hconn_error(c, 404, "unknown_topic", "topic '%s' does not exist", topic_name);
		return;
	}

	struct ed_ingest in;
	ed_ingest_init(&in);
	struct placement pl = {NULL, NULL};
	int64_t *last = NULL;
	struct ingest_job *ij = NULL;
	struct ed_log_writer w = {0};
	struct ed_ingest_opts o = {0};
	o.ndjson = starts_with_ci(req->content_type, "application/x-ndjson") ||
		   starts_with_ci(req->content_type, "application/ndjson") ||
		   starts_with_ci(req->content_type, "application/jsonl") ||
		   starts_with_ci(req->content_type, "application/x-jsonlines");
	o.envelope = envelope;
	o.key_field = keyf[0] ? keyf : NULL;
	int rc = ed_ingest_parse(&in, req->body, req->body_len, &o, err, sizeof(err));
	if (rc == ED_EINVAL) {
		ed_hconn_error(c, 400, "bad_json", "%s", err);
		goto out;
	} else if (rc == ED_ETOOBIG) {
		ed_hconn_error(c, 413, "too_large", "%s", err);
		goto out;
	} else if (rc < 0) {
		ed_hconn_error(c, 503, "no_memory", "out of memory parsing the body");
		goto out;
	}

	struct ed_topic_config tc;
	ed_topic_config_get(t, &tc);
	int32_t np;
	size_t max_batch = (size_t)tc.max_message_bytes;
	if (max_batch > 4u * 1024 * 1024)
		max_batch = 4u * 1024 * 1024; /* keep batches moderate for readers */
	if (max_batch < ED_BATCH_HEADER_SIZE + 2 * RECORD_OVERHEAD)
		max_batch = ED_BATCH_HEADER_SIZE + 2 * RECORD_OVERHEAD;
	struct ed_http_topic_stats *st = ed_http_stats(h, topic_name);
	int wrc = ed_log_writer_init(&w, t, ED_CODEC_NONE, max_batch, st ? st->rr : 0);
	np = w.nparts;
	pl.part = ed_malloc(in.n * sizeof(int32_t));
	pl.off = ed_malloc(in.n * sizeof(int64_t));
	last = ed_malloc((size_t)np * sizeof(int64_t));
	if (wrc < 0 || !pl.part || !pl.off || !last) {
		ed_hconn_error(c, 503, "no_memory", "out of memory");
		goto out;
	}
	uint64_t bytes = 0;
	for (size_t i = 0; i < in.n; i++) {
		const struct ed_ingest_rec *r = &in.recs[i];
		size_t sz = (size_t)(r->key_len > 0 ? r->key_len : 0) +
			    (size_t)(r->value_len > 0 ? r->value_len : 0);
		if (sz + RECORD_OVERHEAD + ED_BATCH_HEADER_SIZE > max_batch) {
			ed_hconn_error(c, 413, "too_large",
				       "record %zu has %zu bytes, over the topic's max.message.bytes (%d)",
				       i + 1, sz, tc.max_message_bytes);
			goto out;
		}
		bytes += sz;
		int32_t p = r->partition >= 0 ? r->partition : forced;
		if (p < 0) {
			/* Kafka's default partitioner (log/writer.h) */
			p = ed_log_writer_place(&w, r->key, r->key_len);
		}
		if (p >= np) {
			ed_hconn_error(c, 400, "bad_partition",
				       "record %zu: partition %d does not exist (topic has %d)",
				       i + 1, p, np);
			goto out;
		}
		pl.part[i] = p;
	}
	for (int32_t p = 0; p < np; p++)
		last[p] = -1;
	err[0] = 0;
	rc = append_all(&w, &in, &pl, ed_wall_ms(), last, err, sizeof(err));
	if (rc < 0) {
		ed_warn(MOD, "append to %s failed: %s", topic_name, err);
		ed_hconn_error(c,
			       rc == ED_ETOOBIG  ? 413
			       : rc == ED_ENOMEM ? 503
						 : 500,
			       "append_failed",
			       "append failed (records of earlier batches may have been stored): %s",
			       err);
		goto out;
	}
	if (st) {
		st->rr = w.rr;
		st->records_in += in.n;
		st->bytes_in += bytes;
	}

	ij = ed_calloc(1, sizeof(*ij));
	if (!ij) {
		ed_hconn_error(c, 503, "no_memory", "out of memory");
		goto out;
	}
	ed_buf_init(&ij->answer);
	ed_buf_reserve(&ij->answer, 32 + in.n * 32);
	ed_buf_append(&ij->answer, "{\"offsets\":[", 12);
	for (size_t i = 0; i < in.n; i++)
		ed_buf_printf(&ij->answer, "%s{\"partition\":%d,\"offset\":%" PRId64 "}",
			      i ? "," : "", pl.part[i], pl.off[i]);
	ed_buf_append(&ij->answer, "]}\n", 3);
	if (!durable) {
		respond_json(c, 200, &ij->answer);
		ed_buf_fini(&ij->answer);
		ed_free(ij);
		ij = NULL;
		goto out;
	}
	ij->topic = t;
	t = NULL;
	ed_hjob_start(c, &ij->job, ingest_complete);
	ed_hjob_sync_begin(&ij->job);
	for (int32_t p = 0; p < np; p++)
		if (last[p] >= 0)
			ed_hjob_sync_add(&ij->job, ed_topic_partition(ij->topic, p), last[p] + 1);
	ed_hjob_sync_end(&ij->job);
out:
	ed_log_writer_fini(&w);
	ed_ingest_fini(&in);
	ed_free(pl.part);
	ed_free(pl.off);
	ed_free(last);
	if (t)
		ed_topic_unref(t);
}

/* ---- records out ---- */

static bool query_i64(struct ed_hreq *req, const char *name, int64_t *out, bool *present)
{
	char v[32];
	int r = ed_http_query_get(req->query, req->query_len, name, v, sizeof(v));
	*present = r == 1;
	if (r <= 0)
		return r == 0;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return false;
	*out = x;
	return true;
}

static void handle_get_records(struct ed_hreq *req, struct ed_topic *t)
{
	struct ed_hconn *c = req->c;
	int64_t partition = 0, offset = 0, limit = READ_DEFAULT_RECORDS;
	bool has_off, dummy;
	if (!query_i64(req, "partition", &partition, &dummy) ||
	    !query_i64(req, "offset", &offset, &has_off) || !query_i64(req, "limit", &limit, &dummy)) {
		ed_hconn_error(c, 400, "bad_request", "partition, offset and limit must be integers");
		return;
	}
	if (partition < 0 || partition >= ed_topic_partition_count(t)) {
		ed_hconn_error(c, 404, "unknown_partition", "partition %lld does not exist",
			       (long long)partition);
		return;
	}
	if (limit < 1 || limit > READ_MAX_RECORDS) {
		ed_hconn_error(c, 400, "bad_request", "limit must be between 1 and %d",
			       READ_MAX_RECORDS);
		return;
	}
	struct ed_partition *part = ed_topic_partition(t, (int32_t)partition);
	int64_t start = ed_partition_start_offset(part), hwm = ed_partition_hwm(part);
	if (!has_off)
		offset = start;
	if (offset < start || offset > hwm) {
		ed_hconn_error(c, 416, "offset_out_of_range", "offset %lld is outside [%lld, %lld]",
			       (long long)offset, (long long)start, (long long)hwm);
		return;
	}
	struct ed_buf out, data;
	ed_buf_init(&out);
	ed_buf_init(&data);
	ed_buf_append(&out, "{\"topic\":", 9);
	ed_hjson_put_text(&out, ed_topic_name(t), strlen(ed_topic_name(t)));
	ed_buf_printf(&out, ",\"partition\":%lld,\"records\":[", (long long)partition);
	int64_t count = 0, next = offset;
	uint64_t bytes = 0;
	int rc = 0;
	while (count < limit && next < hwm && !rc) {
		ed_buf_reset(&data);
		rc = ed_partition_read(part, next, READ_CHUNK_BYTES, &data);
		if (rc < 0 || data.len == 0)
			break;
		size_t pos = 0;
		int64_t before = next;
		while (pos + ED_BATCH_HEADER_SIZE <= data.len && count < limit) {
			struct ed_batch_info bi;
			if (ed_batch_parse_header(data.data + pos, data.len - pos, &bi) < 0 ||
			    bi.size <= 0 || (size_t)bi.size > data.len - pos)
				break;
			struct ed_record_iter it;
			if (ed_record_iter_init(&it, data.data + pos, (size_t)bi.size, 0) == 0) {
				struct ed_record rec;
				bool control = bi.attributes & ED_BATCH_ATTR_CONTROL;
				while (!control && count < limit &&
				       ed_record_iter_next(&it, &rec) == 1) {
					if (rec.offset < next)
						continue;
					ed_buf_printf(&out,
						      "%s{\"offset\":%" PRId64
						      ",\"timestamp\":%" PRId64 ",\"key\":",
						      count ? "," : "", rec.offset, rec.timestamp);
					if (rec.key_len < 0)
						ed_buf_append(&out, "null", 4);
					else
						ed_hjson_put_text(&out, rec.key, (size_t)rec.key_len);
					ed_buf_append(&out, ",\"value\":", 9);
					if (rec.value_len < 0)
						ed_buf_append(&out, "null", 4);
					else if (ed_hjson_valid((const char *)rec.value,
								(size_t)rec.value_len))
						ed_buf_append(&out, rec.value, (size_t)rec.value_len);
					else
						ed_hjson_put_text(&out, rec.value,
								  (size_t)rec.value_len);
					ed_buf_put_u8(&out, '}');
					count++;
					bytes += (uint64_t)(rec.key_len > 0 ? rec.key_len : 0) +
						 (uint64_t)(rec.value_len > 0 ? rec.value_len : 0);
					next = rec.offset + 1;
				}
				ed_record_iter_fini(&it);
			}
			if (count < limit && ed_batch_last_offset(&bi) + 1 > next)
				next = ed_batch_last_offset(&bi) + 1;
			pos += (size_t)bi.size;
		}
		if (next == before)
			break; /* no progress: stop rather than spin */
	}
	ed_buf_printf(&out, "],\"next_offset\":%" PRId64 ",\"end_offset\":%" PRId64 "}\n", next, hwm);
	struct ed_http_topic_stats *st = ed_http_stats(c->h, ed_topic_name(t));
	if (st) {
		st->records_out += (uint64_t)count;
		st->bytes_out += bytes;
	}
	if (rc < 0)
		ed_hconn_error(c, 500, "read_failed", "read failed: %s", ed_err_str(rc));
	else
		respond_json(c, 200, &out);
	ed_buf_fini(&out);
	ed_buf_fini(&data);
}

/* ---- routing ---- */

static void handle_health(struct ed_hreq *req, bool ready)
{
	struct ed_http *h = req->c->h;
	if (!ready) {
		static const char ok[] = "{\"status\":\"ok\"}\n";
		ed_hconn_respond(req->c, 200, "application/json", ok, sizeof(ok) - 1);
		return;
	}
	if (h->ready && !h->stopping) {
		static const char ok[] = "{\"status\":\"ready\"}\n";
		ed_hconn_respond(req->c, 200, "application/json", ok, sizeof(ok) - 1);
	} else {
		const char *s = h->stopping ? "{\"status\":\"stopping\"}\n"
					    : "{\"status\":\"starting\"}\n";
		ed_hconn_respond(req->c, 503, "application/json", s, strlen(s));
	}
}

/* Split "/a/b/c" into at most max segments (in place in a copy). */
static int split_path(char *p, char **seg, int max)
{
	int n = 0;
	while (*p == '/')
		p++;
	while (*p && n < max + 1) {
		seg[n++] = p;
		char *s = strchr(p, '/');
		if (!s)
			break;
		*s = 0;
		p = s + 1;
	}
	return n;
}

static void method_not_allowed(struct ed_hreq *req)
{
	ed_hconn_error(req->c, 405, "method_not_allowed", "method not allowed on %s", req->path);
}

void ed_http_route(struct ed_hreq *req)
{
	struct ed_hconn *c = req->c;
	bool get = req->method == ED_HTTP_GET || req->method == ED_HTTP_HEAD;
	bool post = req->method == ED_HTTP_POST;
	if (!strcmp(req->path, "/healthz")) {
		get ? handle_health(req, false) : method_not_allowed(req);
		return;
	}
	if (!strcmp(req->path, "/readyz")) {
		get ? handle_health(req, true) : method_not_allowed(req);
		return;
	}
	if (!strcmp(req->path, "/metrics")) {
		get ? ed_http_handle_metrics(req) : method_not_allowed(req);
		return;
	}
	/* Split the raw path, then decode each segment: an encoded '/' stays
	 * inside its segment (and then fails name validation). */
	const char *raw = c->target;
	const char *q = strchr(raw, '?');
	char *copy = ed_arena_strndup(&c->arena, raw, q ? (size_t)(q - raw) : strlen(raw));
	if (!copy) {
		ed_hconn_error(c, 503, "no_memory", "out of memory");
		return;
	}
	char *seg[5];
	int n = split_path(copy, seg, 4);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(seg[i]);
		char *d = ed_arena_alloc(&c->arena, l + 1);
		if (!d || !ed_http_url_decode(seg[i], l, false, d, l + 1)) {
			ed_hconn_error(c, 400, "bad_request", "bad path segment");
			return;
		}
		seg[i] = d;
	}
	if (n >= 2 && !strcmp(seg[0], "v1")) {
		if (n == 2 && !strcmp(seg[1], "sql")) {
			post ? ed_http_handle_sql(req) : method_not_allowed(req);
			return;
		}
		if (n == 2 && !strcmp(seg[1], "topics")) {
			get ? handle_topics(req) : method_not_allowed(req);
			return;
		}
		if ((n == 3 || (n == 4 && !strcmp(seg[3], "records"))) && !strcmp(seg[1], "topics")) {
			if (n == 4 && post) {
				handle_post_records(req, seg[2]);
				return;
			}
			if (!get) {
				method_not_allowed(req);
				return;
			}
			struct ed_topic *t = ed_log_topic_get(c->h->log, seg[2]);
			if (!t) {
				ed_hconn_error(c, 404, "unknown_topic", "topic '%s' does not exist",
					       seg[2]);
				return;
			}
			if (n == 3)
				handle_topic(req, t);
			else
				handle_get_records(req, t);
			ed_topic_unref(t);
			return;
		}
		if ((n == 3 || (n == 4 && !strcmp(seg[3], "changes"))) && !strcmp(seg[1], "views")) {
			get ? ed_http_handle_view(req, seg[2], n == 4) : method_not_allowed(req);
			return;
		}
	}
	ed_hconn_error(c, 404, "not_found", "no such endpoint: %s", req->path);
}
