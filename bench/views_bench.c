/* bench_views_bench: what views of one source cost the engine
 * (src/engine/engine.h), run in-process over a fresh log. Run through
 * bench/views, which builds it against this tree and the base commit and
 * prints both in the same run.
 *
 *   --views K --records N   throughput: one source (1 partition, JSON), K
 *                           small windowed views created first, then N
 *                           records appended in batches of 1000 and the
 *                           time until every view has consumed them
 *                           (ed_engine_wait_idle); prints events/s and
 *                           events per CPU-second of the process (which
 *                           load from other programs does not change).
 *   --mem-views K           memory: RSS growth per view for K small
 *                           windowed views on one source, measured after
 *                           creating them (source idle, nothing read) and
 *                           again after --records N records went through
 *                           (the source idle again).
 *
 * Every view is `SELECT k, window_end, COUNT(*), SUM(v) FROM TUMBLE(src, ts,
 * 1 s) GROUP BY k, window_end`, with a WHERE on its number so the views are
 * distinct queries. Output is one line of key=value pairs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/io.h"
#include "base/mem.h"
#include "engine/engine.h"
#include "log/batch.h"
#include "log/log.h"

static struct ed_log *lg;
static struct ed_engine *eng;
static struct ed_session *ses;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "views_bench: %s: %s\n", what, why);
	exit(1);
}

static void sql(const char *text)
{
	struct ed_sql_error err;
	if (ed_session_execute(ses, text, strlen(text), NULL, NULL, &err) != 0)
		die(text, err.msg);
}

static long rss_kb(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%ld %ld", &pages, &res) != 2)
		die("statm", "unreadable");
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Append n records (100-ish bytes of JSON, 50 keys, 1 ms apart) from
 * record number first, in batches of 1000. */
static void produce(long first, long n)
{
	struct ed_topic *t = ed_log_topic_get(lg, "ev");
	if (!t)
		die("topic ev", "missing");
	struct ed_batch_builder bb;
	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	char v[160];
	for (long i = first; i < first + n; i++) {
		int len = snprintf(
			v, sizeof(v),
			"{\"k\":\"key-%03ld\",\"v\":%ld,\"ts\":%ld,\"note\":\"some padding text\"}",
			i % 50, i % 1000, 1795608000000L + i);
		if (ed_batch_builder_add(&bb, 0, NULL, -1, v, len, NULL, 0) != 0)
			die("batch", "add");
		if (bb.count == 1000 || i == first + n - 1) {
			uint8_t *b;
			size_t blen;
			struct ed_append_result res;
			char err[128];
			if (ed_batch_builder_finish(&bb, &b, &blen) != 0 ||
			    ed_partition_append(ed_topic_partition(t, 0), b, blen, &res, err,
						sizeof(err)) != 0)
				die("append", err);
			ed_batch_builder_reset(&bb);
		}
	}
	ed_batch_builder_fini(&bb);
	ed_topic_unref(t);
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void create_views(int k)
{
	char q[512];
	for (int i = 0; i < k; i++) {
		snprintf(q, sizeof(q),
			 "CREATE MATERIALIZED VIEW v%d AS SELECT k, window_end, COUNT(*) AS n, SUM(v) AS s "
			 "FROM TUMBLE(ev, ts, INTERVAL '1' SECOND) WHERE v <> %d GROUP BY k, window_end",
			 i, 100000 + i);
		sql(q);
	}
}

int main(int argc, char **argv)
{
	int views = 1, mem_views = 0;
	long records = 200000;
	static const struct option lo[] = {{"views", 1, 0, 'v'},
					   {"mem-views", 1, 0, 'm'},
					   {"records", 1, 0, 'n'},
					   {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'v')
			views = atoi(optarg);
		else if (c == 'm')
			mem_views = atoi(optarg);
		else if (c == 'n')
			records = atol(optarg);
		else
			return 2;
	}
	char dir[256], err[256] = "";
	snprintf(dir, sizeof(dir), "/tmp/eddy-views-bench-%d", (int)getpid());
	ed_io_remove_tree(dir);
	struct ed_log_options lopt;
	ed_log_options_defaults(&lopt);
	lopt.defaults.flush_policy = ED_FLUSH_NEVER;
	if (ed_log_open(dir, &lopt, &lg, err, sizeof(err)) != 0)
		die("log", err);
	struct ed_engine_options eo;
	ed_engine_options_defaults(&eo);
	eo.no_catalog = true;
	if (ed_engine_open(lg, &eo, &eng, err, sizeof(err)) != 0)
		die("engine", err);
	ses = ed_session_new(eng);
	sql("CREATE SOURCE ev (k TEXT, v BIGINT, ts TIMESTAMP, note TEXT, "
	    "WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (topic = 'ev', partitions = 1)");
	if (mem_views) {
		ed_engine_wait_idle(eng, 10000);
		long r0 = rss_kb();
		size_t m0 = ed_mem_in_use();
		create_views(mem_views);
		ed_engine_wait_idle(eng, 60000);
		long r1 = rss_kb();
		size_t m1 = ed_mem_in_use();
		produce(0, records);
		if (ed_engine_wait_idle(eng, 600000) != 0)
			die("wait", "timeout");
		long r2 = rss_kb();
		size_t m2 = ed_mem_in_use();
		printf("mem_views=%d records=%ld rss_base_kb=%ld idle_kb_per_view=%.1f after_records_kb_per_view=%.1f "
		       "total_after_mb=%.1f allocated_kb_per_view_idle=%.1f after_records=%.1f\n",
		       mem_views, records, r0, (double)(r1 - r0) / mem_views,
		       (double)(r2 - r0) / mem_views, (double)r2 / 1024,
		       (double)(m1 - m0) / 1024 / mem_views, (double)(m2 - m0) / 1024 / mem_views);
	} else {
		create_views(views);
		ed_engine_wait_idle(eng, 10000);
		int64_t t0 = ed_mono_ns() / 1000;
		double c0 = cpu_s();
		produce(0, records);
		if (ed_engine_wait_idle(eng, 600000) != 0)
			die("wait", "timeout");
		double s = (double)(ed_mono_ns() / 1000 - t0) / 1e6, cs = cpu_s() - c0;
		printf("views=%d records=%ld seconds=%.3f cpu_seconds=%.3f events_per_s=%.0f events_per_cpu_s=%.0f\n",
		       views, records, s, cs, records / s, records / cs);
	}
	ed_session_free(ses);
	ed_engine_close(eng);
	ed_log_close(lg);
	ed_io_remove_tree(dir);
	return 0;
}
