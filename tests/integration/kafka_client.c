/* librdkafka client used by test_kafka_librdkafka.sh and test_kafka_crash.sh
 * against a running eddy server. Modes (each exits 0 on success, prints the
 * reason and exits 1 otherwise):
 *
 *   produce BROKER TOPIC N             idempotent producer, acks=all: N records
 *                                      "v<i>" to partition i % partitions; all
 *                                      must be acknowledged
 *   verify BROKER TOPIC N              read every partition from the start: the
 *                                      N records each exactly once, in order
 *   rebalance BROKER TOPIC GROUP N     two group members share TOPIC; one leaves
 *                                      after reading some records; the other must
 *                                      be given every partition; together they
 *                                      read all N records exactly once (commit on
 *                                      revoke)
 *   vanish BROKER TOPIC GROUP N        the same, but the member disappears without
 *                                      LeaveGroup: the session timeout rebalances
 *   commit BROKER TOPIC GROUP K FILE   read K records in GROUP, commit them
 *                                      synchronously, write "partition offset"
 *                                      lines to FILE
 *   resume BROKER TOPIC GROUP N FILE   after a server restart: committed offsets
 *                                      equal FILE, consumption starts exactly
 *                                      there, and the rest (N - K) is read
 *   crash BROKER TOPIC ACKLOG          idempotent acks=all producer that runs until
 *                                      SIGTERM, then flushes; every acknowledged
 *                                      record is appended to ACKLOG as
 *                                      "partition offset value"
 *   crashcheck BROKER TOPIC ACKLOG     every acked record present exactly once, at
 *                                      its acked offset, and values strictly
 *                                      increasing per partition */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "kafka_client: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* calloc of n (a partition count) elements, checked. */
static void *xcalloc(int n, size_t size)
{
	if (n <= 0 || n > 100000)
		die("bad element count %d", n);
	void *p = calloc((size_t)n, size);
	if (!p)
		die("out of memory");
	return p;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[512];
	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
		die("config %s=%s: %s", k, v, err);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int partition_count(rd_kafka_t *rk, const char *topic)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
		const struct rd_kafka_metadata *md = NULL;
		int n = -1;
		if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (md->topic_cnt == 1 && md->topics[0].err == 0)
				n = md->topics[0].partition_cnt;
			rd_kafka_metadata_destroy(md);
		}
		rd_kafka_topic_destroy(rkt);
		if (n > 0)
			return n;
		usleep(100000);
	}
	die("no metadata for %s", topic);
	return -1;
}

/* ---- producing ---- */

static FILE *acklog;
static long acked, failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err) {
		failed++;
		fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
		return;
	}
	acked++;
	if (acklog)
		fprintf(acklog, "%d %" PRId64 " %.*s\n", (int)m->partition, m->offset, (int)m->len,
			(const char *)m->payload);
}

static rd_kafka_t *new_producer(const char *broker)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	set(conf, "bootstrap.servers", broker);
	set(conf, "enable.idempotence", "true");
	set(conf, "acks", "all");
	set(conf, "linger.ms", "2");
	set(conf, "message.timeout.ms", "120000");
	set(conf, "reconnect.backoff.ms", "50");
	set(conf, "reconnect.backoff.max.ms", "500");
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk)
		die("producer: %s", err);
	return rk;
}

static void produce_one(rd_kafka_t *rk, const char *topic, int32_t part, const char *val)
{
	for (;;) {
		rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
							  RD_KAFKA_V_PARTITION(part),
							  RD_KAFKA_V_VALUE((void *)val, strlen(val)),
							  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
							  RD_KAFKA_V_END);
		if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			rd_kafka_poll(rk, 10);
			continue;
		}
		if (e)
			die("produce: %s", rd_kafka_err2str(e));
		return;
	}
}

static void check_fatal(rd_kafka_t *rk)
{
	char err[512];
	rd_kafka_resp_err_t e = rd_kafka_fatal_error(rk, err, sizeof(err));
	if (e)
		die("producer fatal error: %s: %s", rd_kafka_err2name(e), err);
}

static int mode_produce(const char *broker, const char *topic, long n)
{
	rd_kafka_t *rk = new_producer(broker);
	int np = partition_count(rk, topic);
	char val[64];
	for (long i = 0; i < n; i++) {
		snprintf(val, sizeof(val), "v%ld", i);
		produce_one(rk, topic, (int32_t)(i % np), val);
		rd_kafka_poll(rk, 0);
	}
	if (rd_kafka_flush(rk, 60000))
		die("flush timed out");
	check_fatal(rk);
	rd_kafka_destroy(rk);
	if (acked != n || failed)
		die("acked %ld of %ld (%ld failed)", acked, n, failed);
	printf("produced %ld records, all acknowledged (idempotent, acks=all)\n", n);
	return 0;
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int mode_crash(const char *broker, const char *topic, const char *path)
{
	acklog = fopen(path, "w");
	if (!acklog)
		die("open %s", path);
	setvbuf(acklog, NULL, _IOLBF, 0);
	signal(SIGTERM, on_term);
	rd_kafka_t *rk = new_producer(broker);
	int np = partition_count(rk, topic);
	char val[64];
	long i = 0;
	while (!stop) {
		/* bounded in-flight so a restart is not buried under a huge queue */
		if (rd_kafka_outq_len(rk) > 20000) {
			rd_kafka_poll(rk, 5);
			continue;
		}
		snprintf(val, sizeof(val), "%ld", i);
		produce_one(rk, topic, (int32_t)(i % np), val);
		i++;
		rd_kafka_poll(rk, 0);
		if (i % 200 == 0)
			rd_kafka_poll(rk, 1);
		check_fatal(rk);
	}
	int left = rd_kafka_flush(rk, 120000);
	check_fatal(rk);
	rd_kafka_destroy(rk);
	fclose(acklog);
	printf("crash producer: %ld produced, %ld acked, %ld failed, flush %s\n", i, acked, failed,
	       left ? "timed out" : "complete");
	return 0;
}

/* ---- consuming ---- */

static rd_kafka_t *new_consumer(const char *broker, const char *group, bool manual)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	set(conf, "bootstrap.servers", broker);
	set(conf, "group.id", group);
	set(conf, "auto.offset.reset", "earliest");
	set(conf, "enable.auto.commit", manual ? "false" : "true");
	set(conf, "session.timeout.ms", "6000");
	set(conf, "heartbeat.interval.ms", "300");
	set(conf, "enable.partition.eof", "false");
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk)
		die("consumer: %s", err);
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* Read all partitions from offset 0 (no group) until n records arrived. */
static int mode_verify(const char *broker, const char *topic, long n)
{
	rd_kafka_t *rk = new_consumer(broker, "verify-unused", true);
	int np = partition_count(rk, topic);
	rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(np);
	for (int p = 0; p < np; p++)
		rd_kafka_topic_partition_list_add(tl, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, tl);
	rd_kafka_topic_partition_list_destroy(tl);
	long *next = xcalloc(np, sizeof(long));
	for (int p = 0; p < np; p++)
		next[p] = p;
	long got = 0;
	double deadline = now_s() + 60;
	while (got < n && now_s() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (m->err) {
			rd_kafka_message_destroy(m);
			continue;
		}
		long v = -1;
		sscanf((const char *)m->payload, "v%ld", &v);
		if (v != next[m->partition])
			die("partition %d offset %" PRId64 ": got v%ld, want v%ld",
			    (int)m->partition, m->offset, v, next[m->partition]);
		next[m->partition] += np;
		got++;
		rd_kafka_message_destroy(m);
	}
	/* nothing more may follow */
	rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
	if (m && !m->err)
		die("unexpected extra record at partition %d offset %" PRId64, (int)m->partition,
		    m->offset);
	if (m)
		rd_kafka_message_destroy(m);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (got != n)
		die("verify: read %ld of %ld", got, n);
	printf("verified %ld records: each exactly once, in order per partition\n", n);
	free(next);
	return 0;
}

/* ---- rebalance ---- */

static int assigned_count[2];

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	int who = (int)(intptr_t)opaque;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		assigned_count[who] = parts->cnt;
		fprintf(stderr, "member %d assigned %d partitions\n", who, parts->cnt);
		rd_kafka_assign(rk, parts);
	} else {
		/* commit what was consumed before giving the partitions away */
		rd_kafka_commit(rk, NULL, 0);
		assigned_count[who] = 0;
		rd_kafka_assign(rk, NULL);
	}
}

static rd_kafka_t *new_member(const char *broker, const char *group, int who)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	set(conf, "bootstrap.servers", broker);
	set(conf, "group.id", group);
	set(conf, "auto.offset.reset", "earliest");
	set(conf, "enable.auto.commit", "false");
	set(conf, "session.timeout.ms", "6000");
	set(conf, "heartbeat.interval.ms", "200");
	set(conf, "fetch.wait.max.ms", "100");
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rd_kafka_conf_set_opaque(conf, (void *)(intptr_t)who);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk)
		die("consumer: %s", err);
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

static void subscribe(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tl, topic, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, tl))
		die("subscribe");
	rd_kafka_topic_partition_list_destroy(tl);
}

static int mode_rebalance(const char *broker, const char *topic, const char *group, long n,
			  bool vanish)
{
	rd_kafka_t *a = new_member(broker, group, 0);
	rd_kafka_t *b = new_member(broker, group, 1);
	int np = partition_count(a, topic);
	char *seen = n > 0 && n < 100000000 ? calloc((size_t)n, 1) : NULL;
	if (!seen)
		die("bad count %ld", n);
	long got = 0, dups = 0, got_b = 0;
	subscribe(a, topic);
	subscribe(b, topic);
	double deadline = now_s() + 90;
	bool b_open = true;
	/* phase 1: both members read until b has some records */
	while (now_s() < deadline && got < n) {
		for (int w = 0; w < (b_open ? 2 : 1); w++) {
			rd_kafka_t *rk = w ? b : a;
			rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 20);
			if (!m)
				continue;
			if (!m->err) {
				long v = -1;
				sscanf((const char *)m->payload, "v%ld", &v);
				if (v < 0 || v >= n)
					die("bad value");
				if (seen[v])
					dups++;
				else
					got++;
				seen[v] = 1;
				if (w)
					got_b++;
				/* commit each record (synchronous) so nothing is read twice */
				rd_kafka_commit_message(rk, m, 0);
			}
			rd_kafka_message_destroy(m);
		}
		if (b_open && got_b >= n / 10 && got < n) {
			fprintf(stderr, "member 1 %s after %ld records (group total %ld)\n",
				vanish ? "vanishes (no LeaveGroup)" : "leaves", got_b, got);
			if (vanish) {
				/* no LeaveGroup: the coordinator must notice the session timeout */
				rd_kafka_destroy_flags(b, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
			} else {
				rd_kafka_consumer_close(b);
				rd_kafka_destroy(b);
			}
			b_open = false;
		}
	}
	if (b_open)
		die("member 1 never received records (assignment %d/%d)", assigned_count[0],
		    assigned_count[1]);
	if (assigned_count[0] != np)
		die("after the leave member 0 has %d of %d partitions", assigned_count[0], np);
	rd_kafka_consumer_close(a);
	rd_kafka_destroy(a);
	if (got != n || dups)
		die("read %ld of %ld distinct records, %ld duplicates", got, n, dups);
	printf("rebalance: member 1 read %ld then %s; member 0 took all %d partitions; %ld records "
	       "exactly once\n",
	       got_b, vanish ? "vanished (session timeout)" : "left", np, n);
	free(seen);
	return 0;
}

/* ---- commit / resume ---- */

static int mode_commit(const char *broker, const char *topic, const char *group, long k,
		       const char *path)
{
	rd_kafka_t *rk = new_consumer(broker, group, true);
	int np = partition_count(rk, topic);
	subscribe(rk, topic);
	int64_t *next = xcalloc(np, sizeof(int64_t));
	long got = 0;
	double deadline = now_s() + 60;
	while (got < k && now_s() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (!m->err) {
			next[m->partition] = m->offset + 1;
			got++;
		}
		rd_kafka_message_destroy(m);
	}
	if (got < k)
		die("commit: read %ld of %ld", got, k);
	rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(np);
	for (int p = 0; p < np; p++)
		if (next[p] > 0)
			rd_kafka_topic_partition_list_add(tl, topic, p)->offset = next[p];
	rd_kafka_resp_err_t e = rd_kafka_commit(rk, tl, 0);
	if (e)
		die("commit: %s", rd_kafka_err2str(e));
	rd_kafka_topic_partition_list_destroy(tl);
	FILE *f = fopen(path, "w");
	if (!f)
		die("open %s", path);
	for (int p = 0; p < np; p++)
		fprintf(f, "%d %" PRId64 "\n", p, next[p]);
	fclose(f);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	printf("committed after %ld records\n", got);
	free(next);
	return 0;
}

static int mode_resume(const char *broker, const char *topic, const char *group, long n,
		       const char *path)
{
	rd_kafka_t *rk = new_consumer(broker, group, true);
	int np = partition_count(rk, topic);
	int64_t *want = xcalloc(np, sizeof(int64_t));
	long k = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		die("open %s", path);
	int p;
	int64_t off;
	while (fscanf(f, "%d %" SCNd64, &p, &off) == 2)
		if (p >= 0 && p < np) {
			want[p] = off;
			k += off;
		}
	fclose(f);
	/* the committed offsets as the server reports them */
	rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(np);
	for (p = 0; p < np; p++)
		rd_kafka_topic_partition_list_add(tl, topic, p);
	rd_kafka_resp_err_t e = rd_kafka_committed(rk, tl, 10000);
	if (e)
		die("committed: %s", rd_kafka_err2str(e));
	for (p = 0; p < np; p++) {
		int64_t c = tl->elems[p].offset;
		int64_t w = want[p] > 0 ? want[p] : RD_KAFKA_OFFSET_INVALID;
		if (c != w)
			die("partition %d: committed offset %" PRId64 " after restart, want %" PRId64,
			    p, c, w);
	}
	rd_kafka_topic_partition_list_destroy(tl);
	subscribe(rk, topic);
	int64_t *next = xcalloc(np, sizeof(int64_t));
	for (p = 0; p < np; p++)
		next[p] = want[p];
	long got = 0;
	double deadline = now_s() + 60;
	while (got < n - k && now_s() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (!m->err) {
			if (m->offset != next[m->partition])
				die("partition %d: resumed at offset %" PRId64 ", want %" PRId64,
				    (int)m->partition, m->offset, next[m->partition]);
			next[m->partition]++;
			got++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (got != n - k)
		die("resume: read %ld, want %ld", got, n - k);
	printf("resumed at the committed offsets after restart; read the remaining %ld\n", got);
	free(want);
	free(next);
	return 0;
}

/* ---- crash check ---- */

static int mode_crashcheck(const char *broker, const char *topic, const char *path)
{
	rd_kafka_t *rk = new_consumer(broker, "crashcheck-unused", true);
	int np = partition_count(rk, topic);
	/* read everything stored, partition by partition, in order */
	int64_t *count = xcalloc(np, sizeof(int64_t));
	long **vals = xcalloc(np, sizeof(long *));
	int64_t *cap = xcalloc(np, sizeof(int64_t));
	int64_t *hwm = xcalloc(np, sizeof(int64_t));
	int64_t total_hwm = 0;
	for (int p = 0; p < np; p++) {
		int64_t lo, hi;
		if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000))
			die("watermarks");
		hwm[p] = hi;
		total_hwm += hi;
	}
	rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(np);
	for (int p = 0; p < np; p++)
		rd_kafka_topic_partition_list_add(tl, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, tl);
	rd_kafka_topic_partition_list_destroy(tl);
	int64_t got = 0;
	double deadline = now_s() + 120;
	while (got < total_hwm && now_s() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (!m->err) {
			int p = m->partition;
			if (m->offset != count[p])
				die("partition %d: offset %" PRId64 " where %" PRId64 " expected",
				    p, m->offset, count[p]);
			if (count[p] == cap[p]) {
				cap[p] = cap[p] ? cap[p] * 2 : 1024;
				vals[p] = realloc(vals[p], (size_t)cap[p] * sizeof(long));
			}
			char buf[32];
			snprintf(buf, sizeof(buf), "%.*s", (int)(m->len < 31 ? m->len : 31),
				 (const char *)m->payload);
			vals[p][count[p]++] = atol(buf);
			got++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (got != total_hwm)
		die("read %" PRId64 " of %" PRId64 " stored records", got, total_hwm);
	/* stored values strictly increasing per partition: no duplicate, in order */
	for (int p = 0; p < np; p++)
		for (int64_t i = 1; i < count[p]; i++)
			if (vals[p][i] <= vals[p][i - 1])
				die("partition %d: value %ld at offset %" PRId64
				    " after %ld (duplicate "
				    "or reordered)",
				    p, vals[p][i], i, vals[p][i - 1]);
	/* every acknowledged record is stored at its acknowledged offset */
	FILE *f = fopen(path, "r");
	if (!f)
		die("open %s", path);
	int p;
	int64_t off;
	long v, nack = 0;
	while (fscanf(f, "%d %" SCNd64 " %ld", &p, &off, &v) == 3) {
		if (p < 0 || p >= np || off < 0 || off >= count[p])
			die("acked record %ld (partition %d offset %" PRId64 ") is missing", v, p,
			    off);
		if (vals[p][off] != v)
			die("acked record %ld at partition %d offset %" PRId64 " holds %ld", v, p,
			    off, vals[p][off]);
		nack++;
	}
	fclose(f);
	printf("crash check: %ld acknowledged records all present exactly once and in order (%" PRId64
	       " stored)\n",
	       nack, got);
	for (int q = 0; q < np; q++)
		free(vals[q]);
	free(vals);
	free(count);
	free(cap);
	free(hwm);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		die("usage: see the comment at the top of kafka_client.c");
	const char *mode = argv[1], *broker = argv[2], *topic = argv[3];
	if (!strcmp(mode, "produce") && argc == 5)
		return mode_produce(broker, topic, atol(argv[4]));
	if (!strcmp(mode, "verify") && argc == 5)
		return mode_verify(broker, topic, atol(argv[4]));
	if (!strcmp(mode, "rebalance") && argc == 6)
		return mode_rebalance(broker, topic, argv[4], atol(argv[5]), false);
	if (!strcmp(mode, "vanish") && argc == 6)
		return mode_rebalance(broker, topic, argv[4], atol(argv[5]), true);
	if (!strcmp(mode, "commit") && argc == 7)
		return mode_commit(broker, topic, argv[4], atol(argv[5]), argv[6]);
	if (!strcmp(mode, "resume") && argc == 7)
		return mode_resume(broker, topic, argv[4], atol(argv[5]), argv[6]);
	if (!strcmp(mode, "crash") && argc == 5)
		return mode_crash(broker, topic, argv[4]);
	if (!strcmp(mode, "crashcheck") && argc == 5)
		return mode_crashcheck(broker, topic, argv[4]);
	die("bad arguments for mode %s", mode);
	return 1;
}
