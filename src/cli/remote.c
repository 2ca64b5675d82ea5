/* The librdkafka client shared by the --server commands: configuration,
 * connecting with a bounded wait and a clear message, metadata lookups. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/diag.h"
#include "cli/remote.h"

/* librdkafka's own log lines are diagnostics for us: the command reports
 * failures itself, so they show from --log-level info (warnings and worse)
 * or debug (the rest). Runs on librdkafka's threads; ed_diag is
 * thread-safe. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= 4)
		ed_diag(ED_INFO, "rdkafka", "%s: %s", fac, buf);
	else
		ed_debug("rdkafka", "%s: %s", fac, buf);
}

/* Served by rd_kafka_poll on the command's thread. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct ed_cli_rk *c = opaque;

	(void)rk;
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		c->all_down = true;
		return;
	}
	snprintf(c->last_err, sizeof(c->last_err), "%s", reason);
	ed_debug("rdkafka", "error %s: %s", rd_kafka_err2name(err), reason);
}

int ed_cli_rk_set(rd_kafka_conf_t *conf, const char *cmd, const char *key, const char *value)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		ed_cli_error(cmd, "client setting %s=%s: %s", key, value, errstr);
		return -1;
	}
	return 0;
}

rd_kafka_conf_t *ed_cli_rk_conf(const struct ed_cli_target *t, const char *cmd)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const char *dbg;

	if (!conf) {
		ed_cli_error(cmd, "out of memory");
		return NULL;
	}
	/* The CLI creates topics only when told to, as in data-dir mode. */
	if (ed_cli_rk_set(conf, cmd, "bootstrap.servers", t->server) != 0 ||
	    ed_cli_rk_set(conf, cmd, "client.id", "eddy-cli") != 0 ||
	    ed_cli_rk_set(conf, cmd, "allow.auto.create.topics", "false") != 0 ||
	    ed_cli_rk_set(conf, cmd, "reconnect.backoff.max.ms", "1000") != 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	/* $EDDY_RDKAFKA_DEBUG: librdkafka debug contexts (broker,fetch,...),
	 * shown with --log-level debug. */
	dbg = getenv("EDDY_RDKAFKA_DEBUG");
	if (dbg && *dbg && ed_cli_rk_set(conf, cmd, "debug", dbg) != 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	return conf;
}

/* Serve the main queue (error_cb) and say whether the server is out of
 * reach for good: every connection failed. */
static bool unreachable(struct ed_cli_rk *c)
{
	rd_kafka_poll(c->rk, 0);
	return c->all_down;
}

int ed_cli_rk_open(struct ed_cli_rk *c, const struct ed_cli_target *t, const char *cmd,
		   rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	const struct rd_kafka_metadata *md = NULL;
	char errstr[512];
	int64_t deadline;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;

	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->server = t->server;
	c->timeout_ms = t->timeout_ms;
	rd_kafka_conf_set_opaque(conf, c);
	c->rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	if (!c->rk) {
		rd_kafka_conf_destroy(conf);
		ed_cli_error(cmd, "cannot create the Kafka client: %s", errstr);
		return -1;
	}
	deadline = ed_mono_ms() + c->timeout_ms;
	for (;;) {
		int64_t left = deadline - ed_mono_ms();

		if (left <= 0)
			break;
		err = rd_kafka_metadata(c->rk, 0, NULL, &md, left < 200 ? (int)left : 200);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_metadata_destroy(md);
			c->all_down = false;
			return 0;
		}
		if (unreachable(c))
			break;
	}
	if (c->all_down)
		ed_cli_error(cmd, "cannot reach the server at %s: %s", c->server,
			     *c->last_err ? c->last_err : "all connections failed");
	else
		ed_cli_error(cmd, "the server at %s did not answer within %lld ms (%s)%s%s",
			     c->server, (long long)c->timeout_ms, rd_kafka_err2str(err),
			     *c->last_err ? ": " : "", c->last_err);
	ed_cli_rk_close(c);
	return -1;
}

void ed_cli_rk_close(struct ed_cli_rk *c)
{
	if (c->rk)
		rd_kafka_destroy(c->rk);
	c->rk = NULL;
}

int ed_cli_rk_metadata(struct ed_cli_rk *c, const struct rd_kafka_metadata **md)
{
	rd_kafka_resp_err_t err;

	err = rd_kafka_metadata(c->rk, 1, NULL, md, (int)c->timeout_ms);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		*md = NULL;
		ed_cli_error(c->cmd, "metadata request to %s failed: %s", c->server,
			     rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

const struct rd_kafka_metadata_topic *ed_cli_rk_find_topic(struct ed_cli_rk *c,
							   const struct rd_kafka_metadata *md,
							   const char *topic)
{
	for (int i = 0; i < md->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *mt = &md->topics[i];

		if (strcmp(mt->topic, topic) != 0)
			continue;
		if (mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
			break;
		if (mt->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			ed_cli_error(c->cmd, "topic '%s' on %s: %s", topic, c->server,
				     rd_kafka_err2str(mt->err));
			return NULL;
		}
		return mt;
	}
	ed_cli_error(c->cmd, "topic '%s' does not exist on %s", topic, c->server);
	return NULL;
}
