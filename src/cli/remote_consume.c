/* `eddy consume TOPIC --server`: records read through a librdkafka consumer
 * and printed exactly as in data-dir mode (ed_cli_print_record).
 *
 * Without --group the partitions are assigned directly at the start
 * position the flags give (resolved against the watermarks with the same
 * rules as data-dir mode, timestamps through ListOffsets) and nothing is
 * committed; librdkafka still needs a group.id for assign(), so an unused
 * one is set. With --group G the consumer subscribes, the group assigns the
 * partitions, and the offsets of the printed records are committed (stored
 * per record, committed periodically and once more at the end).
 *
 * The end: unless --follow, the command stops once every partition it reads
 * reported end-of-partition (enable.partition.eof, as kcat -e), or after
 * --max records, or on SIGINT/SIGTERM. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "cli/remote.h"

static const char *const CMD = "consume";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* State of one run; the rebalance callback runs inside consumer_poll on
 * the command's thread. */
struct rconsumer {
	struct ed_cli_rk c; /* first: the handle's opaque points here */
	const struct ed_consume_args *args;
	int32_t nparts;
	bool *at_end;   /* per partition: end-of-partition seen since assigned */
	bool *assigned; /* per partition: in the current assignment */
	int64_t printed;
	bool failed;
};

static bool max_reached(const struct rconsumer *rc)
{
	return rc->args->max >= 0 && rc->printed >= rc->args->max;
}

/* True when every assigned partition reached its end (and one is assigned). */
static bool all_at_end(const struct rconsumer *rc)
{
	bool any = false;

	for (int32_t p = 0; p < rc->nparts; p++) {
		if (!rc->assigned[p])
			continue;
		if (!rc->at_end[p])
			return false;
		any = true;
	}
	return any;
}

static void mark(struct rconsumer *rc, const rd_kafka_topic_partition_list_t *parts, bool on)
{
	for (int i = 0; parts && i < parts->cnt; i++) {
		int32_t p = parts->elems[i].partition;

		if (p >= 0 && p < rc->nparts && strcmp(parts->elems[i].topic, rc->args->topic) == 0) {
			rc->assigned[p] = on;
			rc->at_end[p] = false;
		}
	}
}

/* --group: keep track of what the group gave us (eager rebalancing). */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct rconsumer *rc = opaque;
	rd_kafka_error_t *error = NULL;
	bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		mark(rc, parts, true);
		if (cooperative)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			rd_kafka_assign(rk, parts);
	} else {
		mark(rc, parts, false);
		if (cooperative)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			rd_kafka_assign(rk, NULL);
	}
	if (error) {
		ed_cli_error(CMD, "group rebalance: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		rc->failed = true;
	}
}

static rd_kafka_conf_t *consumer_conf(struct rconsumer *rc)
{
	const struct ed_consume_args *a = rc->args;
	rd_kafka_conf_t *conf = ed_cli_rk_conf(&a->target, CMD);
	bool group = a->group != NULL;

	if (!conf)
		return NULL;
	if (ed_cli_rk_set(conf, CMD, "group.id", group ? a->group : "eddy-cli-unused") != 0 ||
	    ed_cli_rk_set(conf, CMD, "enable.auto.commit", group ? "true" : "false") != 0 ||
	    ed_cli_rk_set(conf, CMD, "enable.auto.offset.store", "false") != 0 ||
	    ed_cli_rk_set(conf, CMD, "enable.partition.eof", "true") != 0 ||
	    /* librdkafka 2.0 pauses a partition's fetches once this many
	     * records wait in its queue and resumes them only on its 1 s timer,
	     * not when we drain the queue: the default 100000 caps a fast
	     * reader at ~100000 records/s per partition. */
	    ed_cli_rk_set(conf, CMD, "queued.min.messages", "1000000") != 0 ||
	    ed_cli_rk_set(conf, CMD, "auto.offset.reset",
			  a->start == ED_START_END ? "latest" : "earliest") != 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if (group)
		rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	return conf;
}

/* Without --group: assign each partition read at its start offset. */
static int assign_partitions(struct rconsumer *rc)
{
	const struct ed_consume_args *a = rc->args;
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t assign_err;
	int32_t first = 0, last = rc->nparts - 1;
	int ret = -1;

	if (a->partition >= 0)
		first = last = (int32_t)a->partition;
	list = rd_kafka_topic_partition_list_new(last - first + 1);
	for (int32_t p = first; p <= last; p++) {
		rd_kafka_topic_partition_t *tp;
		rd_kafka_resp_err_t err;
		int64_t lo, hi, off;

		err = rd_kafka_query_watermark_offsets(rc->c.rk, a->topic, p, &lo, &hi,
						       (int)rc->c.timeout_ms);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			ed_cli_error(CMD, "offsets of %s partition %d: %s", a->topic, p,
				     rd_kafka_err2str(err));
			goto out;
		}
		off = hi;
		if (a->start != ED_START_TIMESTAMP && !ed_cli_start_offset(a, p, lo, hi, &off))
			goto out;
		tp = rd_kafka_topic_partition_list_add(list, a->topic, p);
		/* Timestamps are looked up below, all partitions in one go. */
		tp->offset = a->start == ED_START_TIMESTAMP ? a->start_value : off;
		rc->assigned[p] = true;
	}
	if (a->start == ED_START_TIMESTAMP) {
		rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rc->c.rk, list,
								     (int)rc->c.timeout_ms);

		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			ed_cli_error(CMD, "cannot look up timestamp %lld in %s: %s",
				     (long long)a->start_value, a->topic, rd_kafka_err2str(err));
			goto out;
		}
		for (int i = 0; i < list->cnt; i++) {
			rd_kafka_topic_partition_t *tp = &list->elems[i];

			if (tp->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
				ed_cli_error(CMD,
					     "cannot look up timestamp %lld in %s partition %d: %s",
					     (long long)a->start_value, a->topic, tp->partition,
					     rd_kafka_err2str(tp->err));
				goto out;
			}
			/* No record at or after the time: start at the end. */
			if (tp->offset < 0)
				tp->offset = RD_KAFKA_OFFSET_END;
		}
	}
	assign_err = rd_kafka_assign(rc->c.rk, list);
	if (assign_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		ed_cli_error(CMD, "cannot assign the partitions of %s: %s", a->topic,
			     rd_kafka_err2str(assign_err));
		goto out;
	}
	ret = 0;
out:
	rd_kafka_topic_partition_list_destroy(list);
	return ret;
}

/* Handle one message or event from consumer_poll: false to stop reading
 * (the end, --max, or a failure recorded in rc->failed). */
static bool handle(struct rconsumer *rc, rd_kafka_message_t *m)
{
	const struct ed_consume_args *a = rc->args;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (m->partition >= 0 && m->partition < rc->nparts)
			rc->at_end[m->partition] = true;
		return a->follow || !all_at_end(rc);
	}
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		ed_cli_error(CMD, "reading %s partition %d: %s", a->topic, m->partition,
			     rd_kafka_message_errstr(m));
		rc->failed = true;
		return false;
	}
	if (max_reached(rc))
		return false;
	ed_cli_print_record(a, stdout, m->partition, m->offset, rd_kafka_message_timestamp(m, NULL),
			    m->key, (int32_t)m->key_len, m->payload, (int32_t)m->len);
	rc->printed++;
	if (a->group)
		rd_kafka_offset_store(m->rkt, m->partition, m->offset);
	return !max_reached(rc);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int ed_cli_remote_consume(struct ed_consume_args *a)
{
	static char outbuf[1 << 20];
	struct rconsumer rc;
	const struct rd_kafka_metadata *md = NULL;
	const struct rd_kafka_metadata_topic *mt;
	rd_kafka_conf_t *conf;
	rd_kafka_resp_err_t err;
	int64_t idle_since;
	int status = ED_EXIT_FAIL;
	bool reading = true;

	memset(&rc, 0, sizeof(rc));
	rc.args = a;
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	conf = consumer_conf(&rc);
	if (!conf)
		return ED_EXIT_FAIL;
	/* Callbacks get the handle's opaque, &rc.c, which is &rc. */
	if (ed_cli_rk_open(&rc.c, &a->target, CMD, RD_KAFKA_CONSUMER, conf) != 0)
		return ED_EXIT_FAIL;
	if (ed_cli_rk_metadata(&rc.c, &md) != 0)
		goto out;
	mt = ed_cli_rk_find_topic(&rc.c, md, a->topic);
	if (!mt)
		goto out;
	rc.nparts = mt->partition_cnt;
	if (a->partition >= rc.nparts) {
		ed_cli_error(CMD, "--partition %lld is out of range: topic %s has %d partition%s",
			     (long long)a->partition, a->topic, rc.nparts, rc.nparts == 1 ? "" : "s");
		goto out;
	}
	rc.at_end = ed_calloc((size_t)rc.nparts + 1, sizeof(*rc.at_end));
	rc.assigned = ed_calloc((size_t)rc.nparts + 1, sizeof(*rc.assigned));
	if (!rc.at_end || !rc.assigned) {
		ed_cli_error(CMD, "out of memory");
		goto out;
	}
	if (max_reached(&rc)) {
		status = ED_EXIT_OK;
		goto out;
	}
	if (a->group) {
		rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);

		rd_kafka_topic_partition_list_add(sub, a->topic, RD_KAFKA_PARTITION_UA);
		err = rd_kafka_subscribe(rc.c.rk, sub);
		rd_kafka_topic_partition_list_destroy(sub);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			ed_cli_error(CMD, "cannot subscribe to %s: %s", a->topic,
				     rd_kafka_err2str(err));
			goto out;
		}
	} else if (assign_partitions(&rc) != 0) {
		goto out;
	}
	install_signals();
	idle_since = ed_mono_ms();
	while (reading && !stop_requested && !rc.failed) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rc.c.rk, 100);

		rd_kafka_poll(rc.c.rk, 0);
		if (!m) {
			/* Nothing for a while: let a follower see what came so far,
			 * and give up on a server that stopped answering. */
			fflush(stdout);
			if (!a->follow && ed_mono_ms() - idle_since > rc.c.timeout_ms) {
				ed_cli_error(CMD,
					     "no records nor end of partition from %s for %lld ms%s%s",
					     rc.c.server, (long long)rc.c.timeout_ms,
					     *rc.c.last_err ? ": " : "", rc.c.last_err);
				rc.failed = true;
			}
			continue;
		}
		idle_since = ed_mono_ms();
		reading = handle(&rc, m);
		rd_kafka_message_destroy(m);
		if (ferror(stdout)) {
			ed_cli_error(CMD, "cannot write the output");
			rc.failed = true;
		}
	}
	if (a->group && rc.printed > 0) {
		err = rd_kafka_commit(rc.c.rk, NULL, 0);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
			ed_cli_error(CMD, "cannot commit the offsets of group %s: %s", a->group,
				     rd_kafka_err2str(err));
			rc.failed = true;
		}
	}
	if (!rc.failed)
		status = ED_EXIT_OK;
out:
	if (fflush(stdout) != 0 && status == ED_EXIT_OK) {
		ed_cli_error(CMD, "cannot write the output");
		status = ED_EXIT_FAIL;
	}
	if (md)
		rd_kafka_metadata_destroy(md);
	if (rc.c.rk)
		rd_kafka_consumer_close(rc.c.rk);
	ed_cli_rk_close(&rc.c);
	ed_free(rc.at_end);
	ed_free(rc.assigned);
	return status;
}
