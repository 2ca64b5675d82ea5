/* GET /metrics: Prometheus text exposition format 0.0.4. Every family is
 * written once, as "# HELP", "# TYPE", then its samples
 * "name{label="value",...} value"; label values escape \\, " and newline.
 * Families: the log (per-partition offsets and sizes, fsyncs), what flowed
 * through HTTP per topic, the engine's metrics (ed_engine_metrics, grouped by
 * name, plus watermark lag derived from the source watermarks), memory,
 * HTTP itself, then whatever metrics hooks add (e.g. Kafka). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "engine/engine.h"
#include "http/http_int.h"
#include "log/log.h"

struct ed_http_prom {
	struct ed_buf *out;
};

static void put_escaped(struct ed_buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			ed_buf_append(out, "\\\\", 2);
		else if (*s == '"')
			ed_buf_append(out, "\\\"", 2);
		else if (*s == '\n')
			ed_buf_append(out, "\\n", 2);
		else
			ed_buf_put_u8(out, (uint8_t)*s);
	}
}

void ed_http_prom_family(struct ed_http_prom *w, const char *name, const char *type, const char *help)
{
	ed_buf_printf(w->out, "# HELP %s ", name);
	for (const char *s = help; *s; s++) { /* HELP escapes \\ and newline */
		if (*s == '\\')
			ed_buf_append(w->out, "\\\\", 2);
		else if (*s == '\n')
			ed_buf_append(w->out, "\\n", 2);
		else
			ed_buf_put_u8(w->out, (uint8_t)*s);
	}
	ed_buf_printf(w->out, "\n# TYPE %s %s\n", name, type);
}

void ed_http_prom_sample(struct ed_http_prom *w, const char *name, const char *const *labels,
			 double value)
{
	ed_buf_append(w->out, name, strlen(name));
	if (labels && labels[0]) {
		ed_buf_put_u8(w->out, '{');
		for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
			if (i)
				ed_buf_put_u8(w->out, ',');
			ed_buf_printf(w->out, "%s=\"", labels[i]);
			put_escaped(w->out, labels[i + 1]);
			ed_buf_put_u8(w->out, '"');
		}
		ed_buf_put_u8(w->out, '}');
	}
	if (isnan(value))
		ed_buf_append(w->out, " NaN\n", 5);
	else if (isinf(value))
		ed_buf_printf(w->out, " %sInf\n", value > 0 ? "+" : "-");
	else if (value == floor(value) && fabs(value) < 9007199254740992.0)
		ed_buf_printf(w->out, " %.0f\n", value);
	else
		ed_buf_printf(w->out, " %.17g\n", value);
}

/* ---- engine metrics, collected then grouped by name ---- */

struct emetric {
	char *name;
	char *object;
	double value;
};

struct ecollect {
	struct emetric *v;
	size_t n, cap;
	bool failed;
};

static void on_engine_metric(void *arg, const char *name, const char *object, double value)
{
	struct ecollect *ec = arg;
	if (ec->failed)
		return;
	if (ec->n == ec->cap) {
		size_t ncap = ec->cap ? ec->cap * 2 : 32;
		struct emetric *v = ed_realloc(ec->v, ncap * sizeof(*v));
		if (!v) {
			ec->failed = true;
			return;
		}
		ec->v = v;
		ec->cap = ncap;
	}
	struct emetric *m = &ec->v[ec->n];
	m->name = ed_strdup(name);
	m->object = ed_strdup(object ? object : "");
	m->value = value;
	if (!m->name || !m->object) {
		ed_free(m->name);
		ed_free(m->object);
		ec->failed = true;
		return;
	}
	ec->n++;
}

static int emetric_cmp(const void *a, const void *b)
{
	const struct emetric *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->object, y->object);
}

/* A Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]* */
static bool valid_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return false;
	return true;
}

static const char *label_for(const char *name)
{
	if (!strncmp(name, "eddy_source_", 12))
		return "source";
	if (!strncmp(name, "eddy_view_", 10))
		return "view";
	if (!strncmp(name, "eddy_sink_", 10))
		return "sink";
	return "object";
}

/* HELP text of the engine's metrics (docs/OPERATIONS.md); others get a
 * generic one. */
static const char *const engine_help[][2] = {
	{"eddy_source_records_total", "Records the source read (per-query input throughput)."},
	{"eddy_source_records_decoded_total",
	 "Record decodes (once per record by the shared reader, plus late views catching up)."},
	{"eddy_source_late_records_total", "Records behind the source's watermark, never aggregated."},
	{"eddy_source_bad_records_total", "Records that failed to decode or had a NULL event time."},
	{"eddy_source_late_routed_total", "Late records written to the source's late-events topic."},
	{"eddy_source_dead_lettered_total", "Bad records written to the source's dead-letter topic."},
	{"eddy_source_watermark_ms", "The source's watermark, epoch milliseconds."},
	{"eddy_source_max_event_time_ms",
	 "Largest event time the source accepted, epoch milliseconds."},
	{"eddy_view_rows_in_total", "Rows the view's query read from its input."},
	{"eddy_sink_rows_in_total", "Rows the sink's query read from its input."},
	{"eddy_view_rows_out_total", "Changes the view's query applied to the view."},
	{"eddy_sink_rows_out_total", "Rows the sink wrote to its topic."},
	{"eddy_view_bad_rows_total", "Rows of the view's query dropped by an evaluation error."},
	{"eddy_sink_bad_rows_total", "Rows of the sink's query dropped by an evaluation error."},
	{"eddy_view_rows", "Rows in the view."},
	{"eddy_view_state_bytes", "Key and value bytes of the view's rows."},
	{"eddy_view_agg_groups",
	 "Groups (open windows' groups, session keys) the view's aggregate holds."},
	{"eddy_sink_agg_groups",
	 "Groups (open windows' groups, session keys) the sink's aggregate holds."},
	{"eddy_view_agg_state_bytes", "Key and value bytes of the view's aggregate state."},
	{"eddy_sink_agg_state_bytes", "Key and value bytes of the sink's aggregate state."},
};

/* Gauges of epoch milliseconds also shown as wall clock minus them. */
static const char *const engine_lag[][3] = {
	{"eddy_source_watermark_ms", "eddy_source_watermark_lag_ms",
	 "Wall clock minus the source's watermark, in milliseconds."},
	{"eddy_source_max_event_time_ms", "eddy_source_event_time_lag_ms",
	 "Wall clock minus the largest event time the source accepted, in milliseconds."},
};

static const char *engine_help_for(const char *name)
{
	for (size_t i = 0; i < sizeof(engine_help) / sizeof(engine_help[0]); i++)
		if (!strcmp(engine_help[i][0], name))
			return engine_help[i][1];
	return "Streaming engine metric (see docs/OPERATIONS.md).";
}

static void engine_metrics(struct ed_http *h, struct ed_http_prom *w)
{
	struct ecollect ec = {0};
	ed_engine_metrics(h->eng, on_engine_metric, &ec);
	if (ec.n) /* ec.v is NULL without metrics: qsort's pointer must not be */
		qsort(ec.v, ec.n, sizeof(*ec.v), emetric_cmp);
	int64_t now = ed_wall_ms();
	for (size_t i = 0; i < ec.n;) {
		const char *name = ec.v[i].name;
		size_t j = i;
		while (j < ec.n && !strcmp(ec.v[j].name, name))
			j++;
		if (valid_name(name)) {
			size_t nl = strlen(name);
			bool counter = nl > 6 && !strcmp(name + nl - 6, "_total");
			ed_http_prom_family(w, name, counter ? "counter" : "gauge",
					    engine_help_for(name));
			for (size_t k = i; k < j; k++) {
				const char *l[] = {label_for(name), ec.v[k].object, NULL};
				ed_http_prom_sample(w, name, l, ec.v[k].value);
			}
			for (size_t g = 0; g < sizeof(engine_lag) / sizeof(engine_lag[0]); g++) {
				if (strcmp(name, engine_lag[g][0]))
					continue;
				ed_http_prom_family(w, engine_lag[g][1], "gauge", engine_lag[g][2]);
				for (size_t k = i; k < j; k++) {
					const char *l[] = {"source", ec.v[k].object, NULL};
					ed_http_prom_sample(w, engine_lag[g][1], l,
							    (double)now - ec.v[k].value);
				}
			}
		}
		i = j;
	}
	for (size_t i = 0; i < ec.n; i++) {
		ed_free(ec.v[i].name);
		ed_free(ec.v[i].object);
	}
	ed_free(ec.v);
}

/* ---- the log ---- */

static void log_metrics(struct ed_http *h, struct ed_http_prom *w)
{
	char **names = NULL;
	size_t n = 0;
	if (ed_log_topic_names(h->log, &names, &n) < 0)
		return;
	struct ed_topic **topics = ed_calloc(n ? n : 1, sizeof(*topics));
	if (!topics) {
		ed_log_names_free(names, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		topics[i] = ed_log_topic_get(h->log, names[i]);
	static const struct {
		const char *name, *help;
		int which;
	} fams[] = {
		{"eddy_partition_end_offset", "Next offset to be assigned (high-water mark).", 0},
		{"eddy_partition_start_offset", "First offset still stored.", 1},
		{"eddy_partition_size_bytes", "Bytes stored in the partition's segments.", 2},
	};
	ed_http_prom_family(w, "eddy_topic_partitions", "gauge", "Partitions of the topic.");
	for (size_t i = 0; i < n; i++)
		if (topics[i]) {
			const char *l[] = {"topic", names[i], NULL};
			ed_http_prom_sample(w, "eddy_topic_partitions", l,
					    ed_topic_partition_count(topics[i]));
		}
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		ed_http_prom_family(w, fams[f].name, "gauge", fams[f].help);
		for (size_t i = 0; i < n; i++) {
			if (!topics[i])
				continue;
			int32_t np = ed_topic_partition_count(topics[i]);
			for (int32_t p = 0; p < np; p++) {
				struct ed_partition *part = ed_topic_partition(topics[i], p);
				if (!part)
					continue;
				char ps[16];
				snprintf(ps, sizeof(ps), "%d", p);
				const char *l[] = {"topic", names[i], "partition", ps, NULL};
				double v = fams[f].which == 0 ? (double)ed_partition_hwm(part)
					   : fams[f].which == 1
						   ? (double)ed_partition_start_offset(part)
						   : (double)ed_partition_size(part);
				ed_http_prom_sample(w, fams[f].name, l, v);
			}
		}
	}
	/* Traffic per topic from the log's own counters: every front end and
	 * every SQL pipeline appends and reads through it. */
	static const struct {
		const char *name, *help;
	} tfams[] = {
		{"eddy_topic_records_in_total", "Records appended to the topic (all front ends)."},
		{"eddy_topic_bytes_in_total", "Record batch bytes appended to the topic."},
		{"eddy_topic_records_out_total", "Records read from the topic (fetches, HTTP, SQL)."},
		{"eddy_topic_bytes_out_total", "Record batch bytes read from the topic."},
	};
	for (size_t f = 0; f < sizeof(tfams) / sizeof(tfams[0]); f++) {
		ed_http_prom_family(w, tfams[f].name, "counter", tfams[f].help);
		for (size_t i = 0; i < n; i++) {
			if (!topics[i])
				continue;
			uint64_t sum = 0;
			int32_t np = ed_topic_partition_count(topics[i]);
			for (int32_t p = 0; p < np; p++) {
				struct ed_partition *part = ed_topic_partition(topics[i], p);
				struct ed_partition_stats st;
				if (!part)
					continue;
				ed_partition_stats(part, &st);
				sum += f == 0   ? st.records_in
				       : f == 1 ? st.bytes_in
				       : f == 2 ? st.records_out
						: st.bytes_out;
			}
			const char *l[] = {"topic", names[i], NULL};
			ed_http_prom_sample(w, tfams[f].name, l, (double)sum);
		}
	}
	for (size_t i = 0; i < n; i++)
		ed_topic_unref(topics[i]);
	ed_free(topics);
	ed_log_names_free(names, n);
	ed_http_prom_family(w, "eddy_log_fsyncs_total", "counter",
			    "Group-commit fdatasyncs issued by the log's flusher.");
	ed_http_prom_sample(w, "eddy_log_fsyncs_total", NULL, (double)ed_log_fsync_count(h->log));
}

static void http_metrics(struct ed_http *h, struct ed_http_prom *w)
{
	static const struct {
		const char *name, *help;
		int which;
	} fams[] = {
		{"eddy_http_topic_records_in_total", "Records appended to the topic through HTTP.", 0},
		{"eddy_http_topic_bytes_in_total", "Key and value bytes appended through HTTP.", 1},
		{"eddy_http_topic_records_out_total", "Records read from the topic through HTTP.", 2},
		{"eddy_http_topic_bytes_out_total", "Key and value bytes read through HTTP.", 3},
	};
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		ed_http_prom_family(w, fams[f].name, "counter", fams[f].help);
		for (struct ed_http_topic_stats *s = h->stats; s; s = s->next) {
			const char *l[] = {"topic", s->name, NULL};
			uint64_t v = fams[f].which == 0   ? s->records_in
				     : fams[f].which == 1 ? s->bytes_in
				     : fams[f].which == 2 ? s->records_out
							  : s->bytes_out;
			ed_http_prom_sample(w, fams[f].name, l, (double)v);
		}
	}
	ed_http_prom_family(w, "eddy_http_requests_total", "counter",
			    "HTTP requests answered, by status class.");
	static const char *const cls[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
	for (int i = 0; i < 6; i++) {
		const char *l[] = {"code", cls[i], NULL};
		ed_http_prom_sample(w, "eddy_http_requests_total", l, (double)h->requests[i]);
	}
	ed_http_prom_family(w, "eddy_http_connections", "gauge", "Open HTTP connections.");
	ed_http_prom_sample(w, "eddy_http_connections", NULL, h->nconns);
	ed_http_prom_family(w, "eddy_http_connections_total", "counter",
			    "HTTP connections accepted.");
	ed_http_prom_sample(w, "eddy_http_connections_total", NULL, (double)h->connections_total);
	ed_http_prom_family(w, "eddy_http_sse_clients", "gauge", "Open Server-Sent Events streams.");
	ed_http_prom_sample(w, "eddy_http_sse_clients", NULL, h->nsse);
	ed_http_prom_family(w, "eddy_http_sse_dropped_total", "counter",
			    "SSE clients dropped for falling too far behind.");
	ed_http_prom_sample(w, "eddy_http_sse_dropped_total", NULL, (double)h->sse_dropped);
}

void ed_http_handle_metrics(struct ed_hreq *req)
{
	struct ed_http *h = req->c->h;
	struct ed_buf out;
	ed_buf_init(&out);
	struct ed_http_prom w = {&out};
	ed_http_prom_family(&w, "eddy_ready", "gauge", "1 when the server is ready to serve.");
	ed_http_prom_sample(&w, "eddy_ready", NULL, h->ready && !h->stopping ? 1 : 0);
	ed_http_prom_family(&w, "eddy_memory_in_use_bytes", "gauge",
			    "Bytes allocated through eddy's allocator.");
	ed_http_prom_sample(&w, "eddy_memory_in_use_bytes", NULL, (double)ed_mem_in_use());
	log_metrics(h, &w);
	http_metrics(h, &w);
	if (h->eng)
		engine_metrics(h, &w);
	for (size_t i = 0; i < h->nhooks; i++)
		h->hooks[i].fn(h->hooks[i].arg, &w);
	if (out.err)
		ed_hconn_error(req->c, 503, "no_memory", "out of memory building metrics");
	else
		ed_hconn_respond(req->c, 200, "text/plain; version=0.0.4; charset=utf-8", out.data,
				 out.len);
	ed_buf_fini(&out);
}
