/* The engine side of the independent comparison (test_sql_compare.sh):
 * generates N out-of-order JSON events with a seed, appends them to a topic
 * of a fresh log through log.h, runs TUMBLE, HOP and SESSION views (COUNT,
 * SUM, MIN, MAX, AVG per key) in the engine in-process, and writes as CSV
 * for sqlite3 to check:
 *
 *   events.csv    id,k,v,ts_ms,partition   every event produced
 *   late.csv      id                       events the engine routed to the
 *                                          late-events topic (its own
 *                                          watermark decisions)
 *   tumble_v.csv, hop_v.csv, session_v.csv
 *                 k,window_start_ms,window_end_ms,n,sum,min,max,avg
 *   meta.csv      watermark_ms,late_records,records
 *
 * Events: key k<r> of 500 keys, value in [-100, 900), nominal time 1 ms
 * apart, actual time nominal minus up to 3 s (the watermark delay is 5 s,
 * so this disorder is never late), and 1 event in 200 a further 60 s behind
 * (late, except near the start of its partition). Partition chosen at
 * random among 4.
 *
 * Usage: it_sql_compare DATA_DIR OUT_DIR N SEED
 *
 * For the same comparison through a running server
 * (test_sql_server_compare.sh) two more modes print what the script feeds
 * to psql and kcat instead of running the engine:
 *
 *   it_sql_compare --ddl                 the CREATE SOURCE and CREATE
 *                                        MATERIALIZED VIEW statements, one
 *                                        per line, each ending with ';'
 *   it_sql_compare --events OUT_DIR N SEED
 *                                        events.csv as above, and the same
 *                                        events as JSON lines in OUT_DIR/
 *                                        events.p<partition>.json, in order */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/io.h"
#include "engine/engine.h"
#include "log/batch.h"
#include "log/log.h"

#define NPARTS 4
#define NKEYS 500
#define T0_MS INT64_C(1795608000000)

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "sql_compare: %s: %s\n", what, detail ? detail : "");
	exit(1);
}

static void append(struct ed_topic *t, int32_t part, struct ed_batch_builder *bb)
{
	uint8_t *b;
	size_t len;
	struct ed_append_result res;
	char err[128] = "";
	if (ed_batch_builder_finish(bb, &b, &len) != 0 ||
	    ed_partition_append(ed_topic_partition(t, part), b, len, &res, err, sizeof(err)) != 0)
		die("append", err);
	ed_batch_builder_reset(bb);
}

/* Event i as a JSON line (the record value) and its partition; appends
 * the event's row to events.csv. */
static int next_event(FILE *csv, long i, char *line, size_t cap, int *part)
{
	int64_t ts = T0_MS + i - (int64_t)(rng() % 3000);
	if (rng() % 200 == 0)
		ts -= 60000;
	int key = (int)(rng() % NKEYS);
	int v = (int)(rng() % 1000) - 100;
	*part = (int)(rng() % NPARTS);
	fprintf(csv, "%ld,k%d,%d,%" PRId64 ",%d\n", i, key, v, ts, *part);
	return snprintf(line, cap, "{\"id\":%ld,\"k\":\"k%d\",\"v\":%d,\"ts\":%" PRId64 "}", i, key,
			v, ts);
}

static FILE *open_out(const char *out_dir, const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		die("open", path);
	return f;
}

/* --events: events.csv and one file of JSON lines per partition. */
static void print_events(const char *out_dir, long n)
{
	FILE *csv = open_out(out_dir, "events.csv"), *pf[NPARTS];
	for (int p = 0; p < NPARTS; p++) {
		char name[64];
		snprintf(name, sizeof(name), "events.p%d.json", p);
		pf[p] = open_out(out_dir, name);
	}
	char line[256];
	for (long i = 0; i < n; i++) {
		int part;
		int len = next_event(csv, i, line, sizeof(line), &part);
		fprintf(pf[part], "%.*s\n", len, line);
	}
	for (int p = 0; p < NPARTS; p++)
		if (fclose(pf[p]) != 0)
			die("write", "events.p*.json");
	if (fclose(csv) != 0)
		die("write", "events.csv");
}

static void produce(struct ed_log *lg, const char *out_dir, long n)
{
	FILE *f = open_out(out_dir, "events.csv");
	struct ed_topic *t = ed_log_topic_get(lg, "events");
	if (!t)
		die("produce", "no topic events");
	struct ed_batch_builder bb[NPARTS];
	for (int p = 0; p < NPARTS; p++)
		ed_batch_builder_init(&bb[p], ED_CODEC_NONE);
	char line[256];
	for (long i = 0; i < n; i++) {
		int part;
		int len = next_event(f, i, line, sizeof(line), &part);
		if (ed_batch_builder_add(&bb[part], 0, NULL, -1, line, len, NULL, 0) != 0)
			die("batch", "add");
		if (bb[part].count == 1000)
			append(t, part, &bb[part]);
	}
	for (int p = 0; p < NPARTS; p++) {
		if (bb[p].count)
			append(t, p, &bb[p]);
		ed_batch_builder_fini(&bb[p]);
	}
	ed_topic_unref(t);
	fclose(f);
}

/* Late ids from the late-events topic (one partition). */
static long export_late(struct ed_log *lg, const char *out_dir)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/late.csv", out_dir);
	FILE *f = fopen(path, "w");
	struct ed_topic *t = ed_log_topic_get(lg, "events_late");
	if (!f)
		die("open", path);
	long count = 0;
	struct ed_buf rb;
	ed_buf_init(&rb);
	for (int32_t p = 0; t && p < ed_topic_partition_count(t); p++) {
		struct ed_partition *part = ed_topic_partition(t, p);
		int64_t next = ed_partition_start_offset(part);
		while (next < ed_partition_hwm(part)) {
			ed_buf_reset(&rb);
			if (ed_partition_read(part, next, 1u << 20, &rb) != 0 || rb.len == 0)
				die("read", "events_late");
			size_t off = 0;
			while (off + ED_BATCH_LOG_OVERHEAD <= rb.len) {
				struct ed_record_iter it;
				if (ed_record_iter_init(&it, rb.data + off, rb.len - off, 0) != 0)
					break;
				struct ed_record rec;
				while (ed_record_iter_next(&it, &rec) == 1) {
					long id;
					if (rec.offset >= next && sscanf((const char *)rec.value,
									 "{\"id\":%ld", &id) == 1) {
						fprintf(f, "%ld\n", id);
						count++;
					}
				}
				int64_t last = ed_batch_last_offset(&it.bi);
				off += (size_t)it.bi.size;
				ed_record_iter_fini(&it);
				if (last + 1 > next)
					next = last + 1;
			}
		}
	}
	ed_buf_fini(&rb);
	if (t)
		ed_topic_unref(t);
	fclose(f);
	return count;
}

struct sink {
	FILE *f;
	long rows;
	int64_t num[3]; /* SHOW SOURCES: records, late, watermark */
};

static int write_rows(void *arg, const struct ed_result *r)
{
	struct sink *s = arg;
	struct ed_buf b;
	ed_buf_init(&b);
	for (uint32_t i = 0; i < r->nrows; i++) {
		for (uint32_t c = 0; c < r->ncols; c++) {
			const struct ed_value *v = &r->rows[(size_t)i * r->ncols + c];
			ed_buf_reset(&b);
			if (v->null)
				ed_buf_append(&b, "", 0);
			else if (v->type.id == ED_TYPE_TIMESTAMP)
				ed_buf_printf(&b, "%" PRId64, v->v.i / 1000);
			else
				ed_value_format(v, &b);
			fprintf(s->f, "%s%.*s", c ? "," : "", (int)b.len,
				b.len ? (const char *)b.data : "");
		}
		fputc('\n', s->f);
		s->rows++;
	}
	ed_buf_fini(&b);
	return 0;
}

static int source_row(void *arg, const struct ed_result *r)
{
	struct sink *s = arg;
	if (r->nrows != 1 || r->ncols < 7)
		return -1;
	s->num[0] = r->rows[3].v.i;
	s->num[1] = r->rows[4].v.i;
	s->num[2] = r->rows[6].null ? INT64_MIN : r->rows[6].v.i / 1000;
	return 0;
}

static void sql(struct ed_session *ses, const char *text, ed_result_fn fn, void *arg)
{
	struct ed_sql_error err;
	if (ed_session_execute(ses, text, strlen(text), fn, arg, &err) != 0) {
		fprintf(stderr, "sql_compare: %s\n  -> %s %s\n", text, err.sqlstate, err.msg);
		exit(1);
	}
}

static void export_view(struct ed_session *ses, const char *out_dir, const char *view)
{
	char path[1024], q[256];
	snprintf(path, sizeof(path), "%s/%s.csv", out_dir, view);
	struct sink s = {fopen(path, "w"), 0, {0}};
	if (!s.f)
		die("open", path);
	snprintf(q, sizeof(q), "SELECT k, window_start, window_end, n, s, lo, hi, a FROM %s", view);
	sql(ses, q, write_rows, &s);
	fclose(s.f);
	printf("engine: %-8s %ld closed windows\n", view, s.rows);
}

static const char *const ddl[] = {
	"CREATE SOURCE events (id BIGINT, k TEXT, v BIGINT, ts TIMESTAMP, "
	"WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) "
	"WITH (topic = 'events', format = 'json', partitions = 4, idle.timeout = '1h', "
	"late.events.topic = 'events_late')",
	"CREATE MATERIALIZED VIEW tumble_v AS SELECT k, window_start, window_end, COUNT(*) AS n, SUM(v) AS s, "
	"MIN(v) AS lo, MAX(v) AS hi, AVG(v) AS a FROM TUMBLE(events, ts, INTERVAL '10' SECOND) "
	"GROUP BY k, window_start, window_end",
	"CREATE MATERIALIZED VIEW hop_v AS SELECT k, window_start, window_end, COUNT(*) AS n, SUM(v) AS s, "
	"MIN(v) AS lo, MAX(v) AS hi, AVG(v) AS a FROM HOP(events, ts, INTERVAL '5' SECOND, INTERVAL '20' SECOND) "
	"GROUP BY k, window_start, window_end",
	"CREATE MATERIALIZED VIEW session_v AS SELECT k, window_start, window_end, COUNT(*) AS n, SUM(v) AS s, "
	"MIN(v) AS lo, MAX(v) AS hi, AVG(v) AS a FROM SESSION(events, ts, INTERVAL '1' SECOND) "
	"GROUP BY k, window_start, window_end",
};

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--ddl") == 0) {
		for (size_t i = 0; i < sizeof(ddl) / sizeof(ddl[0]); i++)
			printf("%s;\n", ddl[i]);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "--events") == 0) {
		rng_state = strtoull(argv[4], NULL, 10);
		print_events(argv[2], atol(argv[3]));
		return 0;
	}
	if (argc != 5) {
		fprintf(stderr,
			"usage: %s DATA_DIR OUT_DIR N SEED | --ddl | --events OUT_DIR N SEED\n",
			argv[0]);
		return 2;
	}
	const char *data = argv[1], *out_dir = argv[2];
	long n = atol(argv[3]);
	rng_state = strtoull(argv[4], NULL, 10);
	char err[256] = "";
	struct ed_log_options lo;
	ed_log_options_defaults(&lo);
	lo.defaults.flush_policy = ED_FLUSH_NEVER;
	struct ed_log *lg;
	ed_io_remove_tree(data);
	if (ed_log_open(data, &lo, &lg, err, sizeof(err)) != 0)
		die("log open", err);
	struct ed_engine_options eo;
	ed_engine_options_defaults(&eo);
	eo.workers = 3;
	eo.no_catalog = true;
	struct ed_engine *eng;
	if (ed_engine_open(lg, &eo, &eng, err, sizeof(err)) != 0)
		die("engine open", err);
	struct ed_session *ses = ed_session_new(eng);

	int64_t t0 = ed_mono_ms();
	for (size_t i = 0; i < sizeof(ddl) / sizeof(ddl[0]); i++)
		sql(ses, ddl[i], NULL, NULL);
	produce(lg, out_dir, n);
	int64_t t1 = ed_mono_ms();
	printf("produced %ld events to 4 partitions in %.2f s\n", n, (double)(t1 - t0) / 1000.0);
	if (ed_engine_wait_idle(eng, 600000) != 0)
		die("engine", "pipelines did not catch up within 600 s");
	int64_t t2 = ed_mono_ms();
	printf("engine: consumed and aggregated in %.2f s (%.0f events/s per view)\n",
	       (double)(t2 - t1) / 1000.0, (double)n * 1000.0 / (double)(t2 - t1 > 0 ? t2 - t1 : 1));
	struct sink src = {NULL, 0, {0}};
	sql(ses, "SHOW SOURCES", source_row, &src);
	export_view(ses, out_dir, "tumble_v");
	export_view(ses, out_dir, "hop_v");
	export_view(ses, out_dir, "session_v");
	long late = export_late(lg, out_dir);
	printf("engine: %" PRId64 " records, %" PRId64
	       " late (%ld in the late topic), watermark %" PRId64 " ms\n",
	       src.num[0], src.num[1], late, src.num[2]);
	char path[1024];
	snprintf(path, sizeof(path), "%s/meta.csv", out_dir);
	FILE *f = fopen(path, "w");
	if (!f)
		die("open", path);
	fprintf(f, "%" PRId64 ",%" PRId64 ",%" PRId64 "\n", src.num[2], src.num[1], src.num[0]);
	fclose(f);
	ed_session_free(ses);
	ed_engine_close(eng);
	ed_log_close(lg);
	if (src.num[0] != n || src.num[1] != late) {
		fprintf(stderr,
			"sql_compare: records %" PRId64 " (want %ld), late %" PRId64
			" vs %ld in the topic\n",
			src.num[0], n, src.num[1], late);
		return 1;
	}
	return 0;
}
