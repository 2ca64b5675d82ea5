/* `eddy produce TOPIC --server`: the lines of stdin produced through a
 * librdkafka producer. Lines are read and split exactly as in data-dir mode
 * (records.c). Keyed records are placed by librdkafka's murmur2_random
 * partitioner, which is Kafka's default and the data-dir mode's formula;
 * empty and null keys are placed by ed_cli_key_partition (murmur2 of "" and
 * round robin) so both modes put every record in the same partition.
 * Every delivery report is counted; the command fails if any record failed
 * or is still unacknowledged when the final flush gives up. */
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "cli/remote.h"
#include "log/codec.h"

static const char *const CMD = "produce";

/* librdkafka's message.max.bytes default: no single record may be larger. */
#define LINE_LIMIT 1000000
/* Delivery failures printed one by one before only the count goes on. */
#define ERRORS_SHOWN 5

/* Counters of one run. Delivery reports run in rd_kafka_poll/flush on the
 * command's thread, so nothing here is shared across threads. */
struct rproducer {
	struct ed_cli_rk c; /* first: the handle's opaque points here */
	const struct ed_produce_args *args;
	rd_kafka_topic_t *rkt;
	int32_t nparts;
	uint32_t rr;
	int64_t produced;  /* handed to librdkafka */
	int64_t delivered; /* acknowledged as the acks setting says */
	int64_t failed;
	int64_t reported;
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct rproducer *pr = opaque;

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		pr->delivered++;
		return;
	}
	if (pr->failed++ < ERRORS_SHOWN)
		ed_cli_error(CMD, "record of line %lld (partition %d) failed: %s",
			     (long long)(intptr_t)m->_private, m->partition,
			     rd_kafka_err2str(m->err));
}

static void report(struct rproducer *pr)
{
	if (pr->args->report_acks && pr->delivered != pr->reported) {
		printf("acked %lld\n", (long long)pr->delivered);
		fflush(stdout);
		pr->reported = pr->delivered;
	}
}

/* ed_cli_lines.before_read: serve delivery reports while stdin is idle,
 * waiting on stdin and librdkafka in turns so acknowledgements keep being
 * reported to a slow writer. Stops the reader after a fatal producer error
 * (idempotence broken). */
static int before_read(void *ctx, int fd)
{
	struct rproducer *pr = ctx;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char errstr[256];

	for (;;) {
		rd_kafka_poll(pr->c.rk, 0);
		report(pr);
		if (rd_kafka_fatal_error(pr->c.rk, errstr, sizeof(errstr))) {
			ed_cli_error(CMD, "producer failed: %s", errstr);
			return -1;
		}
		if (rd_kafka_outq_len(pr->c.rk) == 0 || poll(&pfd, 1, 10) != 0)
			return 0;
	}
}

static int produce_line(struct rproducer *pr, const char *line, size_t len, int64_t lineno)
{
	const char *key, *value;
	int32_t klen, vlen, part;
	rd_kafka_resp_err_t err;

	ed_cli_split_key(pr->args->key_sep, line, len, &key, &klen, &value, &vlen);
	if (pr->args->partition >= 0)
		part = (int32_t)pr->args->partition;
	else if (klen > 0)
		part = RD_KAFKA_PARTITION_UA;
	else
		part = ed_cli_key_partition(key, klen, pr->nparts, &pr->rr);
	for (;;) {
		if (rd_kafka_produce(pr->rkt, part, RD_KAFKA_MSG_F_COPY, (void *)value, (size_t)vlen,
				     key, klen > 0 ? (size_t)klen : 0, (void *)(intptr_t)lineno) == 0)
			break;
		err = rd_kafka_last_error();
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			ed_cli_error(CMD, "cannot produce line %lld: %s", (long long)lineno,
				     rd_kafka_err2str(err));
			return -1;
		}
		/* The local queue is full: wait for deliveries to make room. */
		rd_kafka_poll(pr->c.rk, 10);
	}
	pr->produced++;
	return 0;
}

static rd_kafka_conf_t *producer_conf(struct rproducer *pr)
{
	const struct ed_produce_args *a = pr->args;
	rd_kafka_conf_t *conf = ed_cli_rk_conf(&a->target, CMD);
	char linger[32], batch[32], timeout[32];
	const char *acks = a->acks == ED_ACKS_ALL ? "all" : a->acks == ED_ACKS_LEADER ? "1" : "0";

	if (!conf)
		return NULL;
	snprintf(linger, sizeof(linger), "%lld", (long long)a->linger_ms);
	snprintf(batch, sizeof(batch), "%lld", (long long)a->batch_records);
	snprintf(timeout, sizeof(timeout), "%lld", (long long)a->target.timeout_ms);
	if (ed_cli_rk_set(conf, CMD, "partitioner", "murmur2_random") != 0 ||
	    ed_cli_rk_set(conf, CMD, "compression.codec", ed_codec_name(a->codec)) != 0 ||
	    ed_cli_rk_set(conf, CMD, "acks", acks) != 0 ||
	    ed_cli_rk_set(conf, CMD, "enable.idempotence",
			  a->acks == ED_ACKS_ALL ? "true" : "false") != 0 ||
	    ed_cli_rk_set(conf, CMD, "linger.ms", linger) != 0 ||
	    ed_cli_rk_set(conf, CMD, "batch.num.messages", batch) != 0 ||
	    ed_cli_rk_set(conf, CMD, "message.timeout.ms", timeout) != 0 ||
	    ed_cli_rk_set(conf, CMD, "queue.buffering.max.messages", "1000000") != 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	return conf;
}

int ed_cli_remote_produce(struct ed_produce_args *a)
{
	struct rproducer pr;
	struct ed_cli_lines lr;
	const struct rd_kafka_metadata *md = NULL;
	const struct rd_kafka_metadata_topic *mt;
	rd_kafka_conf_t *conf;
	const char *line;
	size_t len;
	int64_t t0 = ed_mono_ns();
	int status = ED_EXIT_FAIL;
	int rc = -1;
	bool opened = false;

	memset(&pr, 0, sizeof(pr));
	memset(&lr, 0, sizeof(lr));
	pr.args = a;
	conf = producer_conf(&pr);
	if (!conf)
		return ED_EXIT_FAIL;
	/* dr_msg_cb gets the handle's opaque, &pr.c, which is &pr. */
	if (ed_cli_rk_open(&pr.c, &a->target, CMD, RD_KAFKA_PRODUCER, conf) != 0)
		return ED_EXIT_FAIL;
	if (ed_cli_rk_metadata(&pr.c, &md) != 0)
		goto out;
	mt = ed_cli_rk_find_topic(&pr.c, md, a->topic);
	if (!mt) {
		ed_cli_error(CMD, "create it with 'eddy topic create %s --server %s'", a->topic,
			     pr.c.server);
		goto out;
	}
	pr.nparts = mt->partition_cnt;
	if (a->partition >= pr.nparts) {
		ed_cli_error(CMD, "--partition %lld is out of range: topic %s has %d partition%s",
			     (long long)a->partition, a->topic, pr.nparts, pr.nparts == 1 ? "" : "s");
		goto out;
	}
	pr.rkt = rd_kafka_topic_new(pr.c.rk, a->topic, NULL);
	if (!pr.rkt) {
		ed_cli_error(CMD, "cannot use topic %s: %s", a->topic,
			     rd_kafka_err2str(rd_kafka_last_error()));
		goto out;
	}
	if (ed_cli_lines_init(&lr, STDIN_FILENO, LINE_LIMIT, "the client's message.max.bytes",
			      a->topic) != 0) {
		ed_cli_error(CMD, "out of memory");
		goto out;
	}
	lr.before_read = before_read;
	lr.ctx = &pr;
	opened = true;
	while ((rc = ed_cli_lines_next(&lr, &line, &len)) > 0) {
		if (produce_line(&pr, line, len, lr.lineno) != 0) {
			rc = -1;
			break;
		}
	}
	/* What was handed over before a bad line is still delivered. */
	if (rd_kafka_flush(pr.c.rk, (int)a->target.timeout_ms + 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
		ed_cli_error(CMD, "%d records were not acknowledged by %s within %lld ms",
			     rd_kafka_outq_len(pr.c.rk), pr.c.server,
			     (long long)a->target.timeout_ms + 5000);
	report(&pr);
	if (pr.failed > ERRORS_SHOWN)
		ed_cli_error(CMD, "%lld records failed in all", (long long)pr.failed);
	if (rc == 0 && pr.failed == 0 && pr.delivered == pr.produced)
		status = ED_EXIT_OK;
out:
	if (opened && !a->quiet)
		ed_cli_produce_summary(a, pr.c.server, pr.produced, -1, 0, pr.delivered, pr.failed,
				       ed_mono_ns() - t0);
	ed_cli_lines_fini(&lr);
	if (md)
		rd_kafka_metadata_destroy(md);
	if (pr.rkt)
		rd_kafka_topic_destroy(pr.rkt);
	ed_cli_rk_close(&pr.c);
	return status;
}
