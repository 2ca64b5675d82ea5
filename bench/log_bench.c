/* bench_log_bench: throughput of eddy's log (src/log/log.h) against the raw
 * speed of the same disk measured in the same run. Run through bench/log.
 *
 * For each record size (100 B and 1 KiB) one batch of about --batch-bytes is
 * built once and appended over and over (what a broker does with produced
 * batches; building is not measured). Measured, in this order:
 *
 *   raw buffered      write(2) loop of the batch size into a plain file
 *   log buffered      ed_partition_append loop, no fsync     (target >= 0.70 x raw)
 *   raw durable       write(2) + fdatasync(2) per write, one thread
 *   log durable xN    N threads on one partition, each append then
 *                     ed_partition_sync (group commit)        (target >= 0.80 x raw)
 *   raw read          read(2) loop over the raw file, cold (page cache
 *                     dropped first) and cached
 *   log read          ed_partition_read 1 MiB at a time (the fetch path),
 *                     cold and cached, and cached with every record decoded
 *
 * Each phase runs for --seconds or --volume bytes, whichever comes first,
 * after a sync(2) so the previous phase's writeback does not slow it. Raw and
 * log phases are interleaved and repeated --reps times; the median of each is
 * reported, so a disk whose speed drifts during the run (common on VMs)
 * affects both sides alike. Everything lives in a fresh directory under
 * --dir, removed at the end. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "log/batch.h"
#include "log/log.h"

struct config {
	const char *parent;
	double seconds;
	int64_t volume;
	size_t batch_bytes;
	int appenders;
	int reps;
	bool keep;
};

#define MAX_REPS 15

struct result {
	int64_t bytes;
	int64_t records;
	double secs;
};

static double mbps(const struct result *r)
{
	return r->secs > 0 ? (double)r->bytes / 1e6 / r->secs : 0;
}

static double recps(const struct result *r)
{
	return r->secs > 0 ? (double)r->records / r->secs : 0;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_log_bench: %s: %s\n", what, rc < 0 ? ed_err_str(rc) : strerror(rc));
	exit(1);
}

static int drop_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F) {
		int fd = open(path, O_RDONLY);

		if (fd >= 0) {
			fdatasync(fd);
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			close(fd);
		}
	}
	return 0;
}

/* Evict a tree's files from the page cache (no root needed). */
static void drop_cache(const char *path)
{
	nftw(path, drop_one, 16, FTW_PHYS);
}

/* One batch of records of rec_size bytes, about batch_bytes in all. */
static void build_batch(struct ed_batch_builder *bb, size_t rec_size, size_t batch_bytes,
			uint8_t **batch, size_t *len, int32_t *count)
{
	char *value = ed_malloc(rec_size);
	char key[16];
	int rc;

	if (!value)
		die("malloc", ED_ENOMEM);
	for (size_t i = 0; i < rec_size; i++)
		value[i] = (char)('a' + (i * 7) % 26);
	ed_batch_builder_reset(bb);
	for (int i = 0; ed_batch_builder_size(bb) + rec_size + 32 <= batch_bytes || i == 0; i++) {
		snprintf(key, sizeof(key), "k%07d", i);
		rc = ed_batch_builder_add(bb, ed_wall_ms(), key, 8, value, (int32_t)rec_size, NULL,
					  0);
		if (rc != 0)
			die("batch add", rc);
	}
	*count = bb->count;
	rc = ed_batch_builder_finish(bb, batch, len);
	if (rc != 0)
		die("batch finish", rc);
	ed_free(value);
}

/* Start every phase with no dirty pages left from the previous one, so one
 * phase's writeback does not slow the next. Not timed. */
static void settle(void)
{
	sync();
}

static bool phase_over(const struct config *cfg, int64_t t0, int64_t bytes)
{
	return bytes >= cfg->volume || (double)(ed_mono_ns() - t0) / 1e9 >= cfg->seconds;
}

static struct result raw_write(const struct config *cfg, const char *path, const uint8_t *data,
			       size_t len, int32_t count, bool durable)
{
	struct result r = {0, 0, 0};
	int64_t t0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die(path, errno);
	settle();
	t0 = ed_mono_ns();
	while (!phase_over(cfg, t0, r.bytes)) {
		if (write(fd, data, len) != (ssize_t)len)
			die("raw write", errno);
		if (durable && fdatasync(fd) != 0)
			die("raw fdatasync", errno);
		r.bytes += (int64_t)len;
		r.records += count;
	}
	r.secs = (double)(ed_mono_ns() - t0) / 1e9;
	close(fd);
	return r;
}

static struct result raw_read(const char *path, size_t chunk)
{
	struct result r = {0, 0, 0};
	uint8_t *buf = ed_malloc(chunk);
	int64_t t0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !buf)
		die(path, errno);
	t0 = ed_mono_ns();
	while ((n = read(fd, buf, chunk)) > 0)
		r.bytes += n;
	r.secs = (double)(ed_mono_ns() - t0) / 1e9;
	close(fd);
	ed_free(buf);
	return r;
}

struct appender {
	const struct config *cfg;
	struct ed_partition *part;
	uint8_t *batch;
	size_t len;
	int32_t count;
	bool durable;
	int64_t t0;
	int64_t bytes;
	int64_t records;
	int64_t *shared_bytes; /* all appenders together, for the volume cap */
	pthread_mutex_t *lock;
};

static void *append_loop(void *arg)
{
	struct appender *ap = arg;
	struct ed_append_result res;
	char err[256];
	int rc;

	for (;;) {
		int64_t total;

		pthread_mutex_lock(ap->lock);
		total = *ap->shared_bytes;
		pthread_mutex_unlock(ap->lock);
		if (phase_over(ap->cfg, ap->t0, total))
			break;
		rc = ed_partition_append(ap->part, ap->batch, ap->len, &res, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "append: %s %s\n", ed_err_str(rc), err);
			exit(1);
		}
		if (ap->durable) {
			rc = ed_partition_sync(ap->part, res.last_offset + 1);
			if (rc != 0)
				die("sync", rc);
		}
		ap->bytes += (int64_t)ap->len;
		ap->records += ap->count;
		pthread_mutex_lock(ap->lock);
		*ap->shared_bytes += (int64_t)ap->len;
		pthread_mutex_unlock(ap->lock);
	}
	return NULL;
}

/* nthreads appenders on partition 0 of a fresh topic; each has its own copy
 * of the batch (append stamps the base offset in place). */
static struct result log_append(const struct config *cfg, struct ed_log *log, const char *topic,
				const uint8_t *batch, size_t len, int32_t count, int nthreads,
				bool durable)
{
	struct ed_topic_config tcfg;
	struct ed_log_options opts;
	struct appender ap[64];
	pthread_t th[64];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int64_t shared = 0, t0;
	struct result r = {0, 0, 0};
	struct ed_topic *t;
	char err[256] = "";
	int rc;

	ed_log_options_defaults(&opts);
	tcfg = opts.defaults;
	tcfg.partitions = 1;
	if ((size_t)tcfg.max_message_bytes < len)
		tcfg.max_message_bytes = (int32_t)len;
	rc = ed_log_topic_create(log, topic, &tcfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "create %s: %s %s\n", topic, ed_err_str(rc), err);
		exit(1);
	}
	t = ed_log_topic_get(log, topic);
	if (!t)
		die("topic get", ED_ENOENT);
	settle();
	t0 = ed_mono_ns();
	for (int i = 0; i < nthreads; i++) {
		ap[i] = (struct appender){.cfg = cfg,
					  .part = ed_topic_partition(t, 0),
					  .len = len,
					  .count = count,
					  .durable = durable,
					  .t0 = t0,
					  .shared_bytes = &shared,
					  .lock = &lock};
		ap[i].batch = ed_malloc(len);
		if (!ap[i].batch)
			die("malloc", ED_ENOMEM);
		memcpy(ap[i].batch, batch, len);
		if (pthread_create(&th[i], NULL, append_loop, &ap[i]) != 0)
			die("pthread_create", errno);
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		r.bytes += ap[i].bytes;
		r.records += ap[i].records;
		ed_free(ap[i].batch);
	}
	r.secs = (double)(ed_mono_ns() - t0) / 1e9;
	ed_topic_unref(t);
	return r;
}

/* Read the whole partition 1 MiB at a time (the broker's fetch path), and
 * with decode also walk every record (a local consumer). */
static struct result log_read(struct ed_log *log, const char *topic, bool decode)
{
	struct result r = {0, 0, 0};
	struct ed_topic *t = ed_log_topic_get(log, topic);
	struct ed_partition *part;
	struct ed_buf buf;
	int64_t off, hwm, t0;
	int rc;

	if (!t)
		die("topic get", ED_ENOENT);
	part = ed_topic_partition(t, 0);
	ed_buf_init(&buf);
	off = ed_partition_start_offset(part);
	hwm = ed_partition_hwm(part);
	t0 = ed_mono_ns();
	while (off < hwm) {
		size_t pos = 0;

		ed_buf_reset(&buf);
		rc = ed_partition_read(part, off, 1 << 20, &buf);
		if (rc != 0)
			die("read", rc);
		if (buf.len == 0)
			break;
		while (!decode && pos < buf.len) {
			struct ed_batch_info bi;

			rc = ed_batch_parse_header(buf.data + pos, buf.len - pos, &bi);
			if (rc != 0 || bi.size <= 0)
				die("parse header", rc ? rc : ED_ECORRUPT);
			pos += (size_t)bi.size;
			r.records += ed_batch_last_offset(&bi) + 1 - bi.base_offset;
			off = ed_batch_last_offset(&bi) + 1;
		}
		while (decode && pos < buf.len) {
			struct ed_record_iter it;
			struct ed_record rec;

			rc = ed_record_iter_init(&it, buf.data + pos, buf.len - pos, 0);
			if (rc != 0)
				die("iter", rc);
			while ((rc = ed_record_iter_next(&it, &rec)) > 0)
				r.records++;
			if (rc < 0)
				die("iter next", rc);
			pos += (size_t)it.bi.size;
			off = ed_batch_last_offset(&it.bi) + 1;
			ed_record_iter_fini(&it);
		}
		r.bytes += (int64_t)buf.len;
	}
	r.secs = (double)(ed_mono_ns() - t0) / 1e9;
	ed_buf_fini(&buf);
	ed_topic_unref(t);
	return r;
}

static int cmp_mbps(const void *a, const void *b)
{
	double x = mbps(a), y = mbps(b);

	return x < y ? -1 : x > y;
}

/* The run with the median MB/s (sorts r in place). */
static struct result median(struct result *r, int n)
{
	qsort(r, (size_t)n, sizeof(*r), cmp_mbps);
	return r[n / 2];
}

static void row(const char *rec, size_t wsize, const char *what, const struct result *log_r,
		const struct result *raw, const char *target)
{
	char ws[32];

	if (wsize >= 1024 * 1024)
		snprintf(ws, sizeof(ws), "%zu MiB", wsize >> 20);
	else
		snprintf(ws, sizeof(ws), "%zu KiB", (wsize + 512) >> 10);
	printf("| %-6s | %-7s | %-39s | %9.1f | %10.0f | %9.1f | %5.2f | %-6s |\n", rec, ws, what,
	       mbps(log_r), recps(log_r), mbps(raw), mbps(raw) > 0 ? mbps(log_r) / mbps(raw) : 0,
	       target);
	fflush(stdout);
}

static void usage(void)
{
	printf("usage: bench_log_bench [--dir DIR] [--seconds S] [--volume MIB] [--reps N]\n"
	       "                       [--batch-bytes N] [--appenders N] [--keep]\n"
	       "  --dir DIR        parent of the scratch directory (default .)\n"
	       "  --seconds S      time cap per phase (default 1.5)\n"
	       "  --volume MIB     byte cap per phase (default 128)\n"
	       "  --reps N         runs of each phase, median reported (default 5)\n"
	       "  --batch-bytes N  bytes per batch = raw write size (default 65536)\n"
	       "  --appenders N    concurrent appenders for group commit (default 4)\n"
	       "  --keep           keep the scratch directory\n");
}

struct sizes_run {
	struct result raw_buf[MAX_REPS], log_buf[MAX_REPS];
	struct result raw_cold[MAX_REPS], log_cold[MAX_REPS];
	struct result raw_warm[MAX_REPS], log_warm[MAX_REPS], log_decode[MAX_REPS];
	struct result raw_dur[MAX_REPS], log_dur1[MAX_REPS], log_durn[MAX_REPS];
};

static void run_size(const struct config *cfg, struct ed_log *log, const char *dir,
		     const char *rawpath, size_t rs, struct ed_batch_builder *bb, char *note,
		     size_t notelen)
{
	static struct sizes_run z;
	struct result a, b;
	uint8_t *batch;
	size_t len;
	int32_t count;
	char rlabel[16], topic[64], what[64];

	memset(&z, 0, sizeof(z));
	snprintf(rlabel, sizeof(rlabel), rs >= 1024 ? "%zu KiB" : "%zu B",
		 rs >= 1024 ? rs / 1024 : rs);
	build_batch(bb, rs, cfg->batch_bytes, &batch, &len, &count);
	snprintf(note, notelen, "%s records: %d per batch, %zu bytes per batch", rlabel, count, len);

	for (int i = 0; i < cfg->reps; i++) {
		snprintf(topic, sizeof(topic), "buffered-%zu-%d", rs, i);
		z.raw_buf[i] = raw_write(cfg, rawpath, batch, len, count, false);
		z.log_buf[i] = log_append(cfg, log, topic, batch, len, count, 1, false);
		/* Reads of what was just written: cold first, then cached. */
		drop_cache(dir);
		z.raw_cold[i] = raw_read(rawpath, 1 << 20);
		z.log_cold[i] = log_read(log, topic, false);
		z.raw_warm[i] = raw_read(rawpath, 1 << 20);
		z.log_warm[i] = log_read(log, topic, false);
		z.log_decode[i] = log_read(log, topic, true);
		unlink(rawpath);
		ed_log_topic_delete(log, topic);
	}
	for (int i = 0; i < cfg->reps; i++) {
		z.raw_dur[i] = raw_write(cfg, rawpath, batch, len, count, true);
		unlink(rawpath);
		snprintf(topic, sizeof(topic), "durable1-%zu-%d", rs, i);
		z.log_dur1[i] = log_append(cfg, log, topic, batch, len, count, 1, true);
		ed_log_topic_delete(log, topic);
		snprintf(topic, sizeof(topic), "durableN-%zu-%d", rs, i);
		z.log_durn[i] = log_append(cfg, log, topic, batch, len, count, cfg->appenders, true);
		ed_log_topic_delete(log, topic);
	}

	a = median(z.log_buf, cfg->reps);
	b = median(z.raw_buf, cfg->reps);
	row(rlabel, len, "append, no fsync (acks=1)", &a, &b, ">=0.70");
	a = median(z.log_dur1, cfg->reps);
	b = median(z.raw_dur, cfg->reps);
	row(rlabel, len, "append+fsync, 1 appender", &a, &b, ">=0.80");
	a = median(z.log_durn, cfg->reps);
	snprintf(what, sizeof(what), "append+fsync, %d appenders (group)", cfg->appenders);
	row(rlabel, len, what, &a, &b, ">=0.80");
	a = median(z.log_cold, cfg->reps);
	b = median(z.raw_cold, cfg->reps);
	row(rlabel, 1 << 20, "sequential read, cold", &a, &b, "");
	a = median(z.log_warm, cfg->reps);
	b = median(z.raw_warm, cfg->reps);
	row(rlabel, 1 << 20, "sequential read, cached", &a, &b, "");
	a = median(z.log_decode, cfg->reps);
	row(rlabel, 1 << 20, "sequential read + record decode, cached", &a, &b, "");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"seconds", required_argument, NULL, 's'},
		{"volume", required_argument, NULL, 'v'},
		{"reps", required_argument, NULL, 'r'},
		{"batch-bytes", required_argument, NULL, 'b'},
		{"appenders", required_argument, NULL, 'a'},
		{"keep", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct config cfg = {".", 1.5, 128LL << 20, 65536, 4, 5, false};
	static const size_t rec_sizes[] = {100, 1024};
	char dir[4096], logdir[4200], rawpath[4200], err[512] = "";
	char notes[2][128];
	struct ed_batch_builder bb;
	struct ed_log *log;
	int64_t t0 = ed_mono_ns();
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			cfg.parent = optarg;
			break;
		case 's':
			cfg.seconds = atof(optarg);
			break;
		case 'v':
			cfg.volume = atoll(optarg) << 20;
			break;
		case 'r':
			cfg.reps = atoi(optarg);
			break;
		case 'b':
			cfg.batch_bytes = (size_t)atoll(optarg);
			break;
		case 'a':
			cfg.appenders = atoi(optarg);
			break;
		case 'k':
			cfg.keep = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (cfg.seconds <= 0 || cfg.volume <= 0 || cfg.batch_bytes < 256 ||
	    cfg.batch_bytes > (64u << 20) || cfg.appenders < 1 || cfg.appenders > 64 ||
	    cfg.reps < 1 || cfg.reps > MAX_REPS) {
		usage();
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/eddy-bench-XXXXXX", cfg.parent);
	if (!mkdtemp(dir))
		die(dir, errno);
	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	snprintf(rawpath, sizeof(rawpath), "%s/raw.dat", dir);
	rc = ed_log_open(logdir, NULL, &log, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "open %s: %s %s\n", logdir, ed_err_str(rc), err);
		return 1;
	}
	printf("eddy log benchmark: dir %s; each phase up to %.1f s or %lld MiB, median of %d "
	       "interleaved runs; %d appenders for group commit; %ld cores\n\n",
	       dir, cfg.seconds, (long long)(cfg.volume >> 20), cfg.reps, cfg.appenders,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("| record | write   | test                                    | log MB/s  | log rec/s  | raw MB/s  | ratio | target |\n");
	printf("|--------|---------|-----------------------------------------|-----------|------------|-----------|-------|--------|\n");
	ed_batch_builder_init(&bb, 0);
	for (size_t i = 0; i < sizeof(rec_sizes) / sizeof(rec_sizes[0]); i++)
		run_size(&cfg, log, dir, rawpath, rec_sizes[i], &bb, notes[i], sizeof(notes[i]));
	ed_batch_builder_fini(&bb);
	ed_log_close(log);
	if (!cfg.keep)
		ed_io_remove_tree(dir);
	printf("\n");
	for (size_t i = 0; i < sizeof(rec_sizes) / sizeof(rec_sizes[0]); i++)
		printf("%s\n", notes[i]);
	printf("raw = the same disk without eddy: write(2) of the batch size (buffered, or\n"
	       "followed by fdatasync per write), read(2) of 1 MiB; ratio = log / raw.\n"
	       "total time %.0f s\n",
	       (double)(ed_mono_ns() - t0) / 1e9);
	return 0;
}
