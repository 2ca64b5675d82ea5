/* bench_kafka_bench: eddy's Kafka front end against Redis Streams, the same
 * work side by side in one run. Run through bench/kafka, which starts the
 * servers (eddy, a durable and a non-durable redis-server) on loopback and
 * passes their addresses here.
 *
 *   phase     eddy (librdkafka 2.0)                 redis (RESP spoken here)
 *   produce   N records of 100 B / 1 KiB to one      XADD key * v <value>, N times,
 *             partition, acks=1 and acks=all         pipelined on --redis-conns
 *                                                    connections; appendfsync no
 *                                                    (acks=1) / always (acks=all)
 *   consume   legacy consumer from the beginning     XREAD COUNT c STREAMS key <last id>
 *             of what acks=1 produced                over what the fsync-no run added
 *   latency   open loop at fixed rates, acks=all     open loop, appendfsync always
 *
 * Producer settings (all phases): linger.ms=5 (latency: --lat-linger-ms, 0),
 * batch.size=1000000, batch.num.messages=10000, compression.type=none,
 * enable.idempotence=false, socket.nagle.disable=true, queue.buffering.max.
 * messages=1000000, records without key to partition 0. Each produce run goes
 * to a fresh topic (or stream key) that one warm-up record created before the
 * clock starts. A throughput figure is records (or value bytes, 1 MB = 1e6 B)
 * over the time from the first send to the last acknowledgement. Throughput
 * runs are repeated --reps times, eddy and Redis alternating (and which goes
 * first), and the run with the median records/s is reported.
 *
 * Latency is measured open loop: record i is due at t0 + i/rate and its
 * latency is its acknowledgement time minus that due time, so a stall delays
 * every record scheduled behind it instead of slowing the sender down (no
 * coordinated omission). Records still unacknowledged --lat-drain seconds
 * after the last one was due count as "timeout" in the percentiles. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "base/clock.h"
#include "base/mem.h"

#define LAT_TIMEOUT INT64_MAX
#define MAX_RATES 8
#define MAX_CONNS 16
#define MAX_REPS 9

struct config {
	const char *kafka;   /* host:port of eddy */
	const char *redis_d; /* host:port of the appendfsync-always redis */
	const char *redis_n; /* host:port of the appendfsync-no redis */
	int64_t records[2];  /* per size: records per produce run */
	int reps;
	int rates[MAX_RATES];
	int nrates;
	double lat_seconds;
	double lat_drain;
	int lat_linger_ms;
	size_t lat_size;
	int redis_conns;
	int redis_window; /* outstanding XADDs per connection */
	double phase_cap; /* seconds before a run is abandoned */
	bool do_produce, do_consume, do_latency;
	const char *lat_dump; /* prefix: per-record latencies to <prefix>.<system>.<rate> */
};

struct result {
	int64_t records;
	int64_t bytes; /* value bytes */
	double secs;
	int64_t errors;
	bool ok; /* ran to completion */
};

struct lat_result {
	int rate;
	int64_t sent, acked, errors;
	int64_t p50, p99, p999, max; /* ns; LAT_TIMEOUT if beyond the drain */
};

static const size_t sizes[2] = {100, 1024};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench_kafka_bench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = ed_malloc(n);

	if (!p)
		die("out of memory (%s)", "malloc");
	return p;
}

static double since(int64_t t0)
{
	return (double)(ed_mono_ns() - t0) / 1e9;
}

static void fill_value(char *v, size_t n)
{
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v[i] = (char)('a' + x % 26);
	}
}

static void sleep_until(int64_t t_ns)
{
	struct timespec ts = {(time_t)(t_ns / 1000000000), (long)(t_ns % 1000000000)};

	/* ed_mono_ns is CLOCK_MONOTONIC */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- librdkafka side ---------------------------------------------------- */

struct kprod {
	int64_t delivered, failed;
	rd_kafka_resp_err_t first_err;
	int64_t *lat;         /* latency runs: per record, set on delivery */
	const int64_t *sched; /* latency runs: due time per record */
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kprod *kp = opaque;

	(void)rk;
	if (m->err) {
		kp->failed++;
		if (!kp->first_err)
			kp->first_err = m->err;
	} else {
		kp->delivered++;
	}
	if (kp->lat && m->_private) {
		size_t i = (size_t)(uintptr_t)m->_private - 1;

		kp->lat[i] = m->err ? LAT_TIMEOUT : ed_mono_ns() - kp->sched[i];
	}
}

static void kset(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[256];

	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
		die("librdkafka config: %s", err);
}

static rd_kafka_t *kproducer(const struct config *cfg, const char *acks, int linger_ms,
			     struct kprod *kp)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256], linger[16];
	rd_kafka_t *rk;

	snprintf(linger, sizeof(linger), "%d", linger_ms);
	kset(conf, "bootstrap.servers", cfg->kafka);
	kset(conf, "acks", acks);
	kset(conf, "linger.ms", linger);
	kset(conf, "batch.size", "1000000");
	kset(conf, "batch.num.messages", "10000");
	kset(conf, "compression.type", "none");
	kset(conf, "enable.idempotence", "false");
	kset(conf, "socket.nagle.disable", "true");
	kset(conf, "queue.buffering.max.messages", "1000000");
	kset(conf, "message.timeout.ms", "60000");
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_opaque(conf, kp);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk)
		die("rd_kafka_new: %s", err);
	return rk;
}

/* Creates the topic (auto-creation) and connects before anything is timed. */
static void kwarmup(rd_kafka_t *rk, rd_kafka_topic_t *rkt, struct kprod *kp)
{
	static const char one[1] = {'w'};

	if (rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, (void *)one, 1, NULL, 0, NULL) != 0)
		die("warm-up produce: %s", rd_kafka_err2str(rd_kafka_last_error()));
	rd_kafka_flush(rk, 30000);
	if (kp->delivered != 1)
		die("warm-up record not delivered: %s", rd_kafka_err2str(kp->first_err));
	kp->delivered = 0;
}

static void kproduce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const char *v, size_t n, void *opaque)
{
	while (rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, (void *)v, n, NULL, 0, opaque) != 0) {
		if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			die("produce: %s", rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_poll(rk, 1);
	}
}

static struct result kafka_produce(const struct config *cfg, const char *topic, const char *acks,
				   size_t size, int64_t n)
{
	struct kprod kp = {0};
	struct result r = {0};
	rd_kafka_t *rk = kproducer(cfg, acks, 5, &kp);
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	char *v = xmalloc(size);
	int64_t t0, deadline;

	fill_value(v, size);
	kwarmup(rk, rkt, &kp);
	t0 = ed_mono_ns();
	deadline = t0 + (int64_t)(cfg->phase_cap * 1e9);
	for (int64_t i = 0; i < n; i++) {
		kproduce_one(rk, rkt, v, size, NULL);
		if ((i & 1023) == 0)
			rd_kafka_poll(rk, 0);
	}
	while (kp.delivered + kp.failed < n && ed_mono_ns() < deadline)
		rd_kafka_poll(rk, 5);
	r.secs = since(t0);
	r.records = kp.delivered;
	r.bytes = kp.delivered * (int64_t)size;
	r.errors = kp.failed;
	r.ok = kp.delivered == n;
	if (kp.failed)
		fprintf(stderr, "  eddy produce: %" PRId64 " failed (%s)\n", kp.failed,
			rd_kafka_err2str(kp.first_err));
	rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_flush(rk, 1000);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	ed_free(v);
	return r;
}

/* Reads partition 0 of topic from the beginning until n records with a value
 * of size bytes went by (the 1-byte warm-up record is skipped). */
static struct result kafka_consume(const struct config *cfg, const char *topic, size_t size, int64_t n)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_message_t *msgs[1024];
	const struct rd_kafka_metadata *md;
	struct result r = {0};
	char err[256];
	rd_kafka_topic_t *rkt;
	rd_kafka_t *rk;
	int64_t t0, last;

	kset(conf, "bootstrap.servers", cfg->kafka);
	kset(conf, "enable.auto.commit", "false");
	kset(conf, "enable.partition.eof", "false");
	kset(conf, "socket.nagle.disable", "true");
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk)
		die("rd_kafka_new: %s", err);
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
		die("metadata for %s failed", topic);
	rd_kafka_metadata_destroy(md);
	t0 = last = ed_mono_ns();
	if (rd_kafka_consume_start(rkt, 0, RD_KAFKA_OFFSET_BEGINNING) != 0)
		die("consume_start: %s", rd_kafka_err2str(rd_kafka_last_error()));
	while (r.records < n && ed_mono_ns() - last < 10 * 1000000000LL) {
		ssize_t got = rd_kafka_consume_batch(rkt, 0, 100, msgs, 1024);

		for (ssize_t i = 0; i < got; i++) {
			if (msgs[i]->err)
				r.errors++;
			else if (msgs[i]->len == size)
				r.records++, r.bytes += (int64_t)size;
			else if (msgs[i]->len != 1)
				r.errors++;
			rd_kafka_message_destroy(msgs[i]);
		}
		if (got > 0)
			last = ed_mono_ns();
	}
	r.secs = since(t0);
	r.ok = r.records == n && r.errors == 0;
	rd_kafka_consume_stop(rkt, 0);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	return r;
}

/* Deletes topic through the admin API so that the runs do not pile up on
 * disk; a failure only warns. */
static void kafka_delete_topic(const struct config *cfg, const char *topic)
{
	struct kprod kp = {0};
	rd_kafka_t *rk = kproducer(cfg, "1", 0, &kp);
	rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;

	rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, 10000);
	if (!ev || rd_kafka_event_error(ev))
		fprintf(stderr, "  warning: deleting topic %s: %s\n", topic,
			ev ? rd_kafka_event_error_string(ev) : "timed out");
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_DeleteTopic_destroy(dt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* With --lat-dump P: "ms_since_start latency_ms" per record, in send order,
 * to P.<system>.<rate> (to line up stalls with server-side traces). */
static void lat_dump(const struct config *cfg, const char *sys, int rate, const int64_t *sched,
		     const int64_t *lat, int64_t n)
{
	char path[512];
	FILE *f;
	if (!cfg->lat_dump)
		return;
	snprintf(path, sizeof(path), "%s.%s.%d", cfg->lat_dump, sys, rate);
	if (!(f = fopen(path, "w")))
		return;
	for (int64_t i = 0; i < n; i++)
		fprintf(f, "%.3f %.3f\n", (double)(sched[i] - sched[0]) / 1e6, (double)lat[i] / 1e6);
	fclose(f);
}

static void lat_summarise(struct lat_result *lr, int64_t *lat, int64_t n)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	lr->p50 = lat[(n - 1) * 50 / 100];
	lr->p99 = lat[(n - 1) * 99 / 100];
	lr->p999 = lat[(n - 1) * 999 / 1000];
	lr->max = lat[n - 1];
}

static struct lat_result kafka_latency(const struct config *cfg, int rate)
{
	struct lat_result lr = {.rate = rate};
	int64_t n = (int64_t)(rate * cfg->lat_seconds);
	int64_t *sched = xmalloc((size_t)n * sizeof(int64_t));
	int64_t *lat = xmalloc((size_t)n * sizeof(int64_t));
	struct kprod kp = {.lat = lat, .sched = sched};
	rd_kafka_t *rk = kproducer(cfg, "all", cfg->lat_linger_ms, &kp);
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, "latency", NULL);
	char *v = xmalloc(cfg->lat_size);
	int64_t t0, end, i = 0;

	fill_value(v, cfg->lat_size);
	kwarmup(rk, rkt, &kp);
	t0 = ed_mono_ns() + 1000000;
	for (int64_t k = 0; k < n; k++) {
		sched[k] = t0 + k * 1000000000LL / rate;
		lat[k] = LAT_TIMEOUT;
	}
	while (i < n) {
		int64_t now = ed_mono_ns();

		while (i < n && sched[i] <= now) {
			kproduce_one(rk, rkt, v, cfg->lat_size, (void *)(uintptr_t)(i + 1));
			i++;
		}
		rd_kafka_poll(rk, 0);
		if (i < n) {
			int64_t wake = sched[i] < now + 100000 ? sched[i] : now + 100000;

			sleep_until(wake);
		}
	}
	end = sched[n - 1] + (int64_t)(cfg->lat_drain * 1e9);
	while (kp.delivered + kp.failed < n && ed_mono_ns() < end)
		rd_kafka_poll(rk, 1);
	lr.sent = n;
	lr.acked = kp.delivered;
	lr.errors = kp.failed;
	/* Late deliveries after the drain must not touch lat while it is sorted. */
	kp.lat = NULL;
	lat_dump(cfg, "eddy", rate, sched, lat, n);
	lat_summarise(&lr, lat, n);
	rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_flush(rk, 1000);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	ed_free(v);
	ed_free(lat);
	ed_free(sched);
	return lr;
}

/* ---- Redis side: RESP2 over a plain TCP socket ------------------------- */

/* A reply parser over a byte range. Incomplete and bad input set sticky
 * flags, checked once by the caller; nothing is consumed until a whole reply
 * is there. */
struct rcur {
	const char *p, *end;
	bool short_input; /* more bytes needed */
	bool bad;         /* not RESP2 */
};

static int64_t rc_line_int(struct rcur *c)
{
	const char *e = c->p;
	int64_t v = 0;
	bool neg = false;

	while (e + 1 < c->end && !(e[0] == '\r' && e[1] == '\n'))
		e++;
	if (e + 1 >= c->end) {
		c->short_input = true;
		return 0;
	}
	if (c->p < e && *c->p == '-')
		neg = true, c->p++;
	for (; c->p < e; c->p++) {
		if (*c->p < '0' || *c->p > '9') {
			c->bad = true;
			return 0;
		}
		v = v * 10 + (*c->p - '0');
	}
	c->p = e + 2;
	return neg ? -v : v;
}

static void rc_skip_line(struct rcur *c)
{
	const char *e = c->p;

	while (e + 1 < c->end && !(e[0] == '\r' && e[1] == '\n'))
		e++;
	if (e + 1 >= c->end)
		c->short_input = true;
	else
		c->p = e + 2;
}

/* Reads a header of type t ('*' or '$'); returns its count or length. */
static int64_t rc_head(struct rcur *c, char t)
{
	if (c->short_input || c->bad)
		return 0;
	if (c->p >= c->end) {
		c->short_input = true;
		return 0;
	}
	if (*c->p != t) {
		c->bad = true;
		return 0;
	}
	c->p++;
	return rc_line_int(c);
}

/* A bulk string; returns its bytes (not terminated) and length in *len. */
static const char *rc_bulk(struct rcur *c, int64_t *len)
{
	const char *s;

	*len = rc_head(c, '$');
	if (c->short_input || c->bad || *len < 0)
		return NULL;
	if (c->end - c->p < *len + 2) {
		c->short_input = true;
		return NULL;
	}
	s = c->p;
	c->p += *len + 2;
	return s;
}

/* Skips one whole reply of any type; returns true if it was an error reply. */
static bool rc_skip(struct rcur *c, int depth)
{
	int64_t n, len;

	if (c->p >= c->end) {
		c->short_input = true;
		return false;
	}
	switch (*c->p) {
	case '+':
	case ':':
		rc_skip_line(c);
		return false;
	case '-':
		rc_skip_line(c);
		return true;
	case '$':
		rc_bulk(c, &len);
		return false;
	case '*':
		n = rc_head(c, '*');
		if (depth > 8) {
			c->bad = true;
			return false;
		}
		for (int64_t i = 0; i < n && !c->short_input && !c->bad; i++)
			rc_skip(c, depth + 1);
		return false;
	default:
		c->bad = true;
		return false;
	}
}

struct rconn {
	int fd;
	char *in;
	size_t in_len, in_cap;
	/* pipelined XADD: commands are copies of one template */
	int64_t target;   /* commands this connection sends */
	int64_t acked;    /* replies received */
	int64_t errors;   /* error replies */
	int64_t wr_bytes; /* command bytes written */
};

static int rconnect(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
	int fd, one = 1;

	if (!colon || (size_t)(colon - hostport) >= sizeof(host))
		die("bad address %s", hostport);
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		die("cannot resolve %s", hostport);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("cannot connect to %s", hostport);
	freeaddrinfo(ai);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void rconn_init(struct rconn *rc, const char *hostport)
{
	memset(rc, 0, sizeof(*rc));
	rc->fd = rconnect(hostport);
	rc->in_cap = 1 << 20;
	rc->in = xmalloc(rc->in_cap);
}

static void rconn_fini(struct rconn *rc)
{
	if (rc->fd >= 0)
		close(rc->fd);
	ed_free(rc->in);
}

/* Reads what the socket has into rc->in; false on EOF or error. */
static bool rconn_fill(struct rconn *rc)
{
	ssize_t got;

	if (rc->in_cap - rc->in_len < 65536) {
		rc->in_cap *= 2;
		rc->in = ed_realloc(rc->in, rc->in_cap);
		if (!rc->in)
			die("out of memory (%s)", "realloc");
	}
	do
		got = read(rc->fd, rc->in + rc->in_len, rc->in_cap - rc->in_len);
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return false;
	rc->in_len += (size_t)got;
	return true;
}

static void rconn_consume(struct rconn *rc, size_t used)
{
	memmove(rc->in, rc->in + used, rc->in_len - used);
	rc->in_len -= used;
}

/* Counts the whole replies at the front of rc->in and drops them. */
static int64_t rconn_replies(struct rconn *rc)
{
	struct rcur c = {rc->in, rc->in + rc->in_len, false, false};
	const char *done = c.p;
	int64_t n = 0;

	for (;;) {
		bool is_err = rc_skip(&c, 0);

		if (c.short_input)
			break;
		if (c.bad)
			die("bad reply from redis: %.40s", done);
		if (is_err) {
			if (rc->errors++ == 0)
				fprintf(stderr, "  redis: %.*s", (int)(c.p - done), done);
		}
		done = c.p;
		n++;
	}
	rconn_consume(rc, (size_t)(done - rc->in));
	return n;
}

/* Sends one command given as argv and waits for its reply (setup only). */
static void rcommand(struct rconn *rc, int argc, const char **argv)
{
	char buf[1024];
	int len = snprintf(buf, sizeof(buf), "*%d\r\n", argc);

	for (int i = 0; i < argc; i++)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "$%zu\r\n%s\r\n",
				strlen(argv[i]), argv[i]);
	if (len >= (int)sizeof(buf) || write(rc->fd, buf, (size_t)len) != len)
		die("cannot send %s", argv[0]);
	while (rconn_replies(rc) == 0)
		if (!rconn_fill(rc))
			die("redis closed the connection after %s", argv[0]);
}

/* "XADD key * v <value>" n times back to back. */
static char *xadd_template(const char *key, const char *v, size_t size, int n, size_t *one)
{
	char head[256];
	int hl = snprintf(head, sizeof(head),
			  "*5\r\n$4\r\nXADD\r\n$%zu\r\n%s\r\n$1\r\n*\r\n$1\r\nv\r\n$%zu\r\n",
			  strlen(key), key, size);
	char *t;

	*one = (size_t)hl + size + 2;
	t = xmalloc(*one * (size_t)n);
	for (int i = 0; i < n; i++) {
		char *p = t + *one * (size_t)i;

		memcpy(p, head, (size_t)hl);
		memcpy(p + hl, v, size);
		memcpy(p + hl + size, "\r\n", 2);
	}
	return t;
}

static struct result redis_produce(const struct config *cfg, const char *addr, const char *key,
				   size_t size, int64_t n)
{
	const char *del[] = {"DEL", key};
	struct rconn rcs[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS];
	struct result r = {0};
	int nc = cfg->redis_conns, w = cfg->redis_window;
	char *v = xmalloc(size);
	size_t one;
	char *tmpl;
	int64_t t0, deadline, left;

	fill_value(v, size);
	tmpl = xadd_template(key, v, size, w, &one);
	for (int i = 0; i < nc; i++) {
		rconn_init(&rcs[i], addr);
		rcs[i].target = n / nc + (i < n % nc);
	}
	rcommand(&rcs[0], 2, del);
	{ /* warm-up: creates the stream, like the Kafka warm-up record */
		struct rconn *rc = &rcs[0];
		char *wt;
		size_t wl;

		wt = xadd_template(key, "w", 1, 1, &wl);
		if (write(rc->fd, wt, wl) != (ssize_t)wl)
			die("cannot send %s", "XADD");
		while (rconn_replies(rc) == 0)
			if (!rconn_fill(rc))
				die("redis closed the connection during %s", "warm-up");
		ed_free(wt);
	}
	t0 = ed_mono_ns();
	deadline = t0 + (int64_t)(cfg->phase_cap * 1e9);
	left = n;
	while (left > 0 && ed_mono_ns() < deadline) {
		for (int i = 0; i < nc; i++) {
			struct rconn *rc = &rcs[i];
			int64_t allowed = rc->acked + w < rc->target ? rc->acked + w : rc->target;

			pfd[i].fd = rc->fd;
			pfd[i].events = rc->acked < rc->target ? POLLIN : 0;
			if (rc->wr_bytes < allowed * (int64_t)one)
				pfd[i].events |= POLLOUT;
		}
		if (poll(pfd, (nfds_t)nc, 100) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (int i = 0; i < nc; i++) {
			struct rconn *rc = &rcs[i];

			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
				int64_t got;

				if (!rconn_fill(rc))
					die("redis closed the connection during %s", "XADD");
				got = rconn_replies(rc);
				rc->acked += got;
				left -= got;
			}
			if (pfd[i].revents & POLLOUT) {
				int64_t allowed = rc->acked + w < rc->target ? rc->acked + w
									     : rc->target;
				size_t off = (size_t)(rc->wr_bytes % (int64_t)one);
				int64_t want = allowed * (int64_t)one - rc->wr_bytes;
				size_t room = one * (size_t)w - off;
				ssize_t put = write(rc->fd, tmpl + off,
						    (size_t)want < room ? (size_t)want : room);

				if (put < 0 && errno != EINTR && errno != EAGAIN)
					die("write to redis: %s", strerror(errno));
				if (put > 0)
					rc->wr_bytes += put;
			}
		}
	}
	r.secs = since(t0);
	for (int i = 0; i < nc; i++) {
		r.records += rcs[i].acked - rcs[i].errors;
		r.errors += rcs[i].errors;
		rconn_fini(&rcs[i]);
	}
	r.bytes = r.records * (int64_t)size;
	r.ok = r.records == n;
	ed_free(tmpl);
	ed_free(v);
	return r;
}

/* XREAD COUNT count STREAMS key <last id>, starting at 0-0, until n values
 * of size bytes went by. Each call depends on the last id of the previous
 * reply, so calls are not pipelined (librdkafka also fetches one request at a
 * time per partition, but ahead of the application). */
static struct result redis_consume(const char *addr, const char *key, size_t size, int64_t n,
				   int64_t count)
{
	struct result r = {0};
	struct rconn rc;
	char last[64] = "0-0", cnt[24];
	int64_t t0;

	rconn_init(&rc, addr);
	snprintf(cnt, sizeof(cnt), "%" PRId64, count);
	t0 = ed_mono_ns();
	while (r.records < n) {
		const char *argv[] = {"XREAD", "COUNT", cnt, "STREAMS", key, last};
		char req[512];
		int len = 0;
		struct rcur c;
		int64_t nstreams, m, id_len, f, flen, klen, recs, bytes, errs;
		char next[64];
		const char *id, *s;

		for (int i = 0; i < 6; i++)
			len += snprintf(req + len, sizeof(req) - (size_t)len,
					i ? "$%zu\r\n%s\r\n" : "*6\r\n$%zu\r\n%s\r\n",
					strlen(argv[i]), argv[i]);
		if (write(rc.fd, req, (size_t)len) != len)
			die("cannot send %s", "XREAD");
		for (;;) {
			c = (struct rcur){rc.in, rc.in + rc.in_len, false, false};
			recs = bytes = errs = 0;
			next[0] = '\0';
			nstreams = rc_head(&c, '*');
			if (!c.short_input && !c.bad && nstreams == 1) {
				rc_head(&c, '*');
				rc_bulk(&c, &klen);
				m = rc_head(&c, '*');
				for (int64_t e = 0; e < m && !c.short_input && !c.bad; e++) {
					rc_head(&c, '*');
					id = rc_bulk(&c, &id_len);
					f = rc_head(&c, '*');
					for (int64_t k = 0; k < f && !c.short_input && !c.bad; k++) {
						s = rc_bulk(&c, &flen);
						if (k % 2 == 0 || !s)
							continue;
						if ((size_t)flen == size)
							recs++, bytes += flen;
						else if (flen != 1)
							errs++;
					}
					if (id && (size_t)id_len < sizeof(next)) {
						memcpy(next, id, (size_t)id_len);
						next[id_len] = '\0';
					}
				}
			}
			if (!c.short_input)
				break;
			if (!rconn_fill(&rc))
				die("redis closed the connection during %s", "XREAD");
		}
		if (c.bad)
			die("unexpected XREAD reply: %.60s", rc.in);
		rconn_consume(&rc, (size_t)(c.p - rc.in));
		if (nstreams != 1 || !next[0])
			break; /* nil: nothing more */
		r.records += recs;
		r.bytes += bytes;
		r.errors += errs;
		memcpy(last, next, sizeof(last));
	}
	r.secs = since(t0);
	r.ok = r.records == n && r.errors == 0;
	rconn_fini(&rc);
	return r;
}

static struct lat_result redis_latency(const struct config *cfg, const char *addr, int rate)
{
	struct lat_result lr = {.rate = rate};
	int64_t n = (int64_t)(rate * cfg->lat_seconds);
	int64_t *sched = xmalloc((size_t)n * sizeof(int64_t));
	int64_t *lat = xmalloc((size_t)n * sizeof(int64_t));
	const char *del[] = {"DEL", "latency"};
	char *v = xmalloc(cfg->lat_size);
	int w = 4096; /* template copies: at most this many due at once per write */
	struct rconn rc;
	size_t one;
	char *tmpl;
	int64_t t0, end, sent = 0;

	fill_value(v, cfg->lat_size);
	tmpl = xadd_template("latency", v, cfg->lat_size, w, &one);
	rconn_init(&rc, addr);
	rcommand(&rc, 2, del);
	t0 = ed_mono_ns() + 1000000;
	for (int64_t k = 0; k < n; k++) {
		sched[k] = t0 + k * 1000000000LL / rate;
		lat[k] = LAT_TIMEOUT;
	}
	end = sched[n - 1] + (int64_t)(cfg->lat_drain * 1e9);
	while (rc.acked < n) {
		int64_t now = ed_mono_ns(), timeout_ns;
		struct pollfd pfd = {rc.fd, POLLIN, 0};
		struct timespec ts;

		if (now >= end)
			break;
		while (sent < n && sched[sent] <= now)
			sent++;
		if (rc.wr_bytes < sent * (int64_t)one)
			pfd.events |= POLLOUT;
		timeout_ns = sent < n ? sched[sent] - now : end - now;
		if (timeout_ns < 0)
			timeout_ns = 0;
		ts.tv_sec = (time_t)(timeout_ns / 1000000000);
		ts.tv_nsec = (long)(timeout_ns % 1000000000);
		if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfd.revents & POLLOUT) {
			size_t off = (size_t)(rc.wr_bytes % (int64_t)one);
			int64_t want = sent * (int64_t)one - rc.wr_bytes;
			size_t room = one * (size_t)w - off;
			ssize_t put = write(rc.fd, tmpl + off,
					    (size_t)want < room ? (size_t)want : room);

			if (put < 0 && errno != EINTR && errno != EAGAIN)
				die("write to redis: %s", strerror(errno));
			if (put > 0)
				rc.wr_bytes += put;
		}
		if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
			int64_t got, t;

			if (!rconn_fill(&rc))
				die("redis closed the connection during %s", "XADD");
			t = ed_mono_ns();
			got = rconn_replies(&rc);
			for (int64_t k = 0; k < got; k++)
				lat[rc.acked + k] = t - sched[rc.acked + k];
			rc.acked += got;
		}
	}
	lr.sent = n;
	lr.acked = rc.acked - rc.errors;
	lr.errors = rc.errors;
	lat_summarise(&lr, lat, n);
	rconn_fini(&rc);
	ed_free(tmpl);
	ed_free(v);
	ed_free(lat);
	ed_free(sched);
	return lr;
}

static void redis_del(const char *addr, const char *key)
{
	const char *argv[] = {"DEL", key};
	struct rconn rc;

	rconn_init(&rc, addr);
	rcommand(&rc, 2, argv);
	rconn_fini(&rc);
}

/* ---- report ------------------------------------------------------------- */

static double recps(const struct result *r)
{
	return r->secs > 0 ? (double)r->records / r->secs : 0;
}

static double mbps(const struct result *r)
{
	return r->secs > 0 ? (double)r->bytes / 1e6 / r->secs : 0;
}

static double ratio(const struct result *e, const struct result *r)
{
	return recps(r) > 0 ? recps(e) / recps(r) : 0;
}

static int cmp_recps(const void *a, const void *b)
{
	double x = recps(a), y = recps(b);

	return x < y ? -1 : x > y;
}

/* The run with the median records/s; an incomplete run anywhere marks it. */
static struct result median(const struct result *runs, int n)
{
	struct result sorted[MAX_REPS], m;
	bool ok = true;

	for (int i = 0; i < n; i++)
		ok = ok && runs[i].ok;
	memcpy(sorted, runs, (size_t)n * sizeof(*runs));
	qsort(sorted, (size_t)n, sizeof(*sorted), cmp_recps);
	m = sorted[n / 2];
	m.ok = ok;
	return m;
}

static const char *size_label(size_t size)
{
	return size == 100 ? "100 B" : "1 KiB";
}

static void tp_row(const char *what, size_t size, const struct result *e, const struct result *r)
{
	printf("| %-38s | %-5s | %10.0f | %9.1f | %11.0f | %10.1f | %10.2f |%s\n", what,
	       size_label(size), recps(e), mbps(e), recps(r), mbps(r), ratio(e, r),
	       e->ok && r->ok ? "" : " incomplete run (see stderr)");
}

static void fmt_ms(char *buf, size_t n, int64_t ns)
{
	if (ns == LAT_TIMEOUT)
		snprintf(buf, n, "timeout");
	else
		snprintf(buf, n, "%.2f", (double)ns / 1e6);
}

static void lat_row(const char *who, const struct lat_result *l)
{
	char a[16], b[16], c[16], d[16];

	fmt_ms(a, sizeof(a), l->p50);
	fmt_ms(b, sizeof(b), l->p99);
	fmt_ms(c, sizeof(c), l->p999);
	fmt_ms(d, sizeof(d), l->max);
	printf("| %-26s | %6d | %7" PRId64 " | %7" PRId64 " | %8s | %8s | %8s | %8s |\n", who,
	       l->rate, l->sent, l->acked, a, b, c, d);
}

static void usage(void)
{
	printf("usage: bench_kafka_bench --kafka HOST:PORT --redis-durable HOST:PORT\n"
	       "                         --redis-nodurable HOST:PORT [options]\n"
	       "  --records-100 N      records per produce run, 100 B values (default 2000000)\n"
	       "  --records-1k N       records per produce run, 1 KiB values (default 500000)\n"
	       "  --reps N             throughput runs, median reported (default 3)\n"
	       "  --rates R,R,...      latency rates in records/s (default 1000,10000,50000)\n"
	       "  --lat-seconds S      seconds of sending per latency rate (default 3)\n"
	       "  --lat-drain S        wait for acks after the last due record (default 3)\n"
	       "  --lat-linger-ms N    producer linger.ms in the latency runs (default 0)\n"
	       "  --lat-dump PREFIX    eddy per-record latencies to PREFIX.eddy.RATE\n"
	       "  --redis-conns N      connections for XADD throughput (default 8)\n"
	       "  --redis-window N     outstanding XADDs per connection (default 1000)\n"
	       "  --phase-cap S        abandon a throughput run after S seconds (default 60)\n"
	       "  --only LIST          subset of produce,consume,latency\n");
}

/* One repetition of produce (and consume) for one value size; eddy and
 * Redis alternate, and which goes first alternates with rep, so a disk that
 * changes speed during the run affects both alike. */
static void run_size(const struct config *cfg, int s, int rep, struct result ep[2],
		     struct result rp[2], struct result *ec, struct result *rc)
{
	char topic[2][64];

	for (int d = 0; d < 2; d++) {
		const char *raddr = d ? cfg->redis_d : cfg->redis_n;

		snprintf(topic[d], sizeof(topic[d]), "bench-%zu-%s-%d", sizes[s], d ? "all" : "one",
			 rep);
		fprintf(stderr, "run %d: produce %s %s\n", rep + 1, size_label(sizes[s]),
			d ? "acks=all / appendfsync always" : "acks=1 / appendfsync no");
		if (rep % 2 == 0) {
			ep[d] = kafka_produce(cfg, topic[d], d ? "all" : "1", sizes[s],
					      cfg->records[s]);
			rp[d] = redis_produce(cfg, raddr, topic[d], sizes[s], cfg->records[s]);
		} else {
			rp[d] = redis_produce(cfg, raddr, topic[d], sizes[s], cfg->records[s]);
			ep[d] = kafka_produce(cfg, topic[d], d ? "all" : "1", sizes[s],
					      cfg->records[s]);
		}
	}
	if (cfg->do_consume) {
		fprintf(stderr, "run %d: consume %s\n", rep + 1, size_label(sizes[s]));
		*ec = kafka_consume(cfg, topic[0], sizes[s], ep[0].records);
		*rc = redis_consume(cfg->redis_n, topic[0], sizes[s], rp[0].records,
				    sizes[s] == 100 ? 10000 : 1000);
	}
	for (int d = 0; d < 2; d++) {
		redis_del(d ? cfg->redis_d : cfg->redis_n, topic[d]);
		kafka_delete_topic(cfg, topic[d]);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"kafka", required_argument, NULL, 'k'},
		{"redis-durable", required_argument, NULL, 'D'},
		{"redis-nodurable", required_argument, NULL, 'N'},
		{"records-100", required_argument, NULL, '1'},
		{"records-1k", required_argument, NULL, '2'},
		{"reps", required_argument, NULL, 'R'},
		{"rates", required_argument, NULL, 'r'},
		{"lat-seconds", required_argument, NULL, 's'},
		{"lat-drain", required_argument, NULL, 'd'},
		{"lat-linger-ms", required_argument, NULL, 'l'},
		{"lat-dump", required_argument, NULL, 'Y'},
		{"redis-conns", required_argument, NULL, 'c'},
		{"redis-window", required_argument, NULL, 'w'},
		{"phase-cap", required_argument, NULL, 'p'},
		{"only", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct config cfg = {
		.records = {2000000, 500000},
		.reps = 3,
		.rates = {1000, 10000, 50000},
		.nrates = 3,
		.lat_seconds = 3,
		.lat_drain = 3,
		.lat_linger_ms = 0,
		.lat_size = 100,
		.redis_conns = 8,
		.redis_window = 1000,
		.phase_cap = 60,
		.do_produce = true,
		.do_consume = true,
		.do_latency = true,
	};
	static struct result ep[2][2][MAX_REPS], rp[2][2][MAX_REPS], ec[2][MAX_REPS],
		rcn[2][MAX_REPS];
	struct result me[2][2], mr[2][2], mec[2], mrc[2];
	struct lat_result el[MAX_RATES], rl[MAX_RATES];
	double worst[2] = {1e9, 1e9};
	int64_t t_start = ed_mono_ns();
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			cfg.kafka = optarg;
			break;
		case 'D':
			cfg.redis_d = optarg;
			break;
		case 'N':
			cfg.redis_n = optarg;
			break;
		case '1':
			cfg.records[0] = atoll(optarg);
			break;
		case '2':
			cfg.records[1] = atoll(optarg);
			break;
		case 'R':
			cfg.reps = atoi(optarg);
			break;
		case 'r': {
			char *p = optarg;

			cfg.nrates = 0;
			while (*p && cfg.nrates < MAX_RATES) {
				cfg.rates[cfg.nrates++] = (int)strtol(p, &p, 10);
				if (*p == ',')
					p++;
			}
			break;
		}
		case 's':
			cfg.lat_seconds = atof(optarg);
			break;
		case 'd':
			cfg.lat_drain = atof(optarg);
			break;
		case 'l':
			cfg.lat_linger_ms = atoi(optarg);
			break;
		case 'Y':
			cfg.lat_dump = optarg;
			break;
		case 'c':
			cfg.redis_conns = atoi(optarg);
			break;
		case 'w':
			cfg.redis_window = atoi(optarg);
			break;
		case 'p':
			cfg.phase_cap = atof(optarg);
			break;
		case 'o':
			cfg.do_produce = strstr(optarg, "produce") != NULL;
			cfg.do_consume = strstr(optarg, "consume") != NULL;
			cfg.do_latency = strstr(optarg, "latency") != NULL;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (!cfg.kafka || !cfg.redis_d || !cfg.redis_n || cfg.records[0] < 1 ||
	    cfg.records[1] < 1 || cfg.reps < 1 || cfg.reps > MAX_REPS || cfg.redis_conns < 1 ||
	    cfg.redis_conns > MAX_CONNS || cfg.redis_window < 1 || cfg.lat_seconds <= 0 ||
	    cfg.lat_drain < 0 || cfg.lat_linger_ms < 0 || cfg.phase_cap <= 0) {
		usage();
		return 2;
	}
	for (int i = 0; i < cfg.nrates; i++)
		if (cfg.rates[i] < 1 || cfg.rates[i] > 10000000) {
			usage();
			return 2;
		}
	if (cfg.do_consume)
		cfg.do_produce = true; /* consume reads what produce wrote */

	printf("eddy: librdkafka producer linger.ms=5 batch.size=1000000 batch.num.messages=10000 "
	       "compression=none\n      idempotence=off, 1 partition, no key; legacy consumer "
	       "from the beginning, default fetch sizes\n"
	       "redis: XADD key * v <value>, %d connections x %d outstanding; "
	       "XREAD COUNT 10000 (100 B) / 1000 (1 KiB)\n"
	       "per produce run: %" PRId64 " x 100 B, %" PRId64 " x 1 KiB; median of %d runs\n\n",
	       cfg.redis_conns, cfg.redis_window, cfg.records[0], cfg.records[1], cfg.reps);
	fflush(stdout);

	for (int rep = 0; rep < cfg.reps && cfg.do_produce; rep++)
		for (int s = 0; s < 2; s++) {
			struct result e2[2], r2[2];

			run_size(&cfg, s, rep, e2, r2, &ec[s][rep], &rcn[s][rep]);
			for (int d = 0; d < 2; d++) {
				ep[s][d][rep] = e2[d];
				rp[s][d][rep] = r2[d];
			}
		}
	for (int i = 0; i < cfg.nrates && cfg.do_latency; i++) {
		fprintf(stderr, "latency at %d records/s\n", cfg.rates[i]);
		el[i] = kafka_latency(&cfg, cfg.rates[i]);
		rl[i] = redis_latency(&cfg, cfg.redis_d, cfg.rates[i]);
	}

	if (cfg.do_produce) {
		printf("| %-38s | %-5s | %10s | %9s | %11s | %10s | %10s |\n", "throughput", "value",
		       "eddy rec/s", "eddy MB/s", "redis rec/s", "redis MB/s", "eddy/redis");
		printf("|----------------------------------------|-------|------------|-----------|"
		       "-------------|------------|------------|\n");
		for (int s = 0; s < 2; s++) {
			for (int d = 0; d < 2; d++) {
				me[s][d] = median(ep[s][d], cfg.reps);
				mr[s][d] = median(rp[s][d], cfg.reps);
				if (ratio(&me[s][d], &mr[s][d]) < worst[d])
					worst[d] = ratio(&me[s][d], &mr[s][d]);
			}
			tp_row("produce acks=1 vs XADD fsync no", sizes[s], &me[s][0], &mr[s][0]);
			tp_row("produce acks=all vs XADD fsync always", sizes[s], &me[s][1],
			       &mr[s][1]);
			if (cfg.do_consume) {
				mec[s] = median(ec[s], cfg.reps);
				mrc[s] = median(rcn[s], cfg.reps);
				tp_row("consume vs XREAD", sizes[s], &mec[s], &mrc[s]);
			}
		}
		printf("\nrecords/s per run (eddy/redis):");
		for (int s = 0; s < 2; s++)
			for (int d = 0; d < 2; d++) {
				printf("\n  %s %-8s", size_label(sizes[s]),
				       d ? "durable" : "buffered");
				for (int i = 0; i < cfg.reps; i++)
					printf("  %.0f/%.0f", recps(&ep[s][d][i]),
					       recps(&rp[s][d][i]));
			}
		printf("\n\n");
	}
	if (cfg.do_latency) {
		printf("Produce latency in ms from each record's scheduled send time (open loop), "
		       "%zu B values,\n%.0f s per rate, eddy linger.ms=%d, redis one connection:\n\n",
		       cfg.lat_size, cfg.lat_seconds, cfg.lat_linger_ms);
		printf("| %-26s | %6s | %7s | %7s | %8s | %8s | %8s | %8s |\n", "system", "rate/s",
		       "sent", "acked", "p50", "p99", "p99.9", "max");
		printf("|----------------------------|--------|---------|---------|----------|"
		       "----------|----------|----------|\n");
		for (int i = 0; i < cfg.nrates; i++) {
			lat_row("eddy acks=all", &el[i]);
			lat_row("redis appendfsync always", &rl[i]);
		}
		printf("\n");
	}
	if (cfg.do_produce) {
		printf("target: durable produce >= 2x Redis durable XADD (records/s): worst "
		       "ratio %.2f -> %s\n",
		       worst[1], worst[1] >= 2 ? "MET" : "MISSED");
		printf("target: non-durable produce >= 2x Redis non-durable XADD (records/s): "
		       "worst ratio %.2f -> %s\n",
		       worst[0], worst[0] >= 2 ? "MET" : "MISSED");
	}
	printf("total time %.0f s\n", since(t_start));
	return 0;
}
