/* The CLI's --server mode: a librdkafka handle set up the same way for
 * topic, produce and consume (bootstrap server, no topic auto-creation,
 * librdkafka's log routed to ed_diag, errors remembered for our messages),
 * the wait for the server to answer, and topic metadata lookups. Only
 * remote_*.c include this (and so librdkafka). */
#ifndef ED_CLI_REMOTE_H
#define ED_CLI_REMOTE_H

#include <librdkafka/rdkafka.h>

#include "cli/cli_int.h"

/* One librdkafka client of one command. Owned by the command's thread;
 * the callbacks librdkafka runs on its own threads touch nothing here
 * (errors are recorded from rd_kafka_poll, on the command's thread). */
struct ed_cli_rk {
	rd_kafka_t *rk;
	const char *cmd;    /* for messages: "topic", "produce", "consume" */
	const char *server; /* HOST:PORT */
	int64_t timeout_ms;
	bool all_down;      /* every broker connection failed since the last check */
	char last_err[512]; /* last client error reported (transport, resolve...) */
};

/* A configuration with the settings every command uses; NULL after
 * printing why. The caller adds its own with ed_cli_rk_set. */
rd_kafka_conf_t *ed_cli_rk_conf(const struct ed_cli_target *t, const char *cmd);
/* Set one property; -1 after printing the reason. */
int ed_cli_rk_set(rd_kafka_conf_t *conf, const char *cmd, const char *key, const char *value);

/* Create the client (takes conf in all cases) and wait until the server
 * answers a metadata request, at most --timeout-ms; fails earlier when
 * every connection attempt was refused or the name does not resolve.
 * 0, or -1 after printing why (c is then finished already). */
int ed_cli_rk_open(struct ed_cli_rk *c, const struct ed_cli_target *t, const char *cmd,
		   rd_kafka_type_t type, rd_kafka_conf_t *conf);
void ed_cli_rk_close(struct ed_cli_rk *c);

/* Metadata of all topics into *md (free with rd_kafka_metadata_destroy);
 * -1 after printing why. */
int ed_cli_rk_metadata(struct ed_cli_rk *c, const struct rd_kafka_metadata **md);
/* The entry of topic in md, or NULL after printing "does not exist" (or the
 * server's error for it). */
const struct rd_kafka_metadata_topic *ed_cli_rk_find_topic(struct ed_cli_rk *c,
							   const struct rd_kafka_metadata *md,
							   const char *topic);

#endif
