/* The Kafka protocol front end: a broker that serves eddy's log to Kafka
 * clients (librdkafka, kcat, kafkajs, Java) over TCP on a libuv loop, plus the
 * group coordinator, committed offsets and idempotent-producer state.
 *
 * Threads: everything runs on the loop thread that calls ed_kafka_new (the
 * transport is src/net's), except the log's flusher thread, which only posts
 * sync completions back on the net loop queue. */
#ifndef ED_KAFKA_H
#define ED_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct ed_log;
struct ed_kafka;

struct ed_kafka_config {
	const char *bind_host;      /* default "127.0.0.1" */
	int port;                   /* default 9092; 0 = any free port */
	const char *advertise_host; /* NULL = bind host */
	int advertise_port;         /* 0 = the bound port */
	bool auto_create_topics;    /* on Metadata and Produce (default true) */
	int32_t default_partitions; /* for auto-created topics (default 1) */
	size_t max_frame_bytes;     /* request size limit (default 100 MiB) */
	const char *state_dir;      /* committed offsets, producer ids (required) */
	int32_t node_id;            /* broker id advertised (default 1) */
	int64_t startup_timeout_ms; /* close a connection without a request by then (10 s; 0 = none) */
	int64_t idle_timeout_ms;    /* close a connection idle this long (10 min; 0 = none) */
};

void ed_kafka_config_defaults(struct ed_kafka_config *cfg);

/* Load persisted state from cfg->state_dir, bind and listen. Strings in cfg
 * are copied. Returns 0 or a negative ed_err with the reason in err. */
int ed_kafka_new(uv_loop_t *loop, struct ed_log *log, const struct ed_kafka_config *cfg,
		 struct ed_kafka **out, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int ed_kafka_port(const struct ed_kafka *k);
/* Begin shutdown: stop listening, close every connection; the remaining
 * handles close once in-flight log syncs have completed, so the caller runs
 * the loop until it has no more handles, then calls ed_kafka_free. */
void ed_kafka_stop(struct ed_kafka *k);
/* Committed consumer-group offsets, for metrics (lag = end offset minus
 * committed offset): fn runs once per (group, topic, partition). Loop thread
 * only; the strings are valid during the call. */
typedef void (*ed_kafka_committed_fn)(void *arg, const char *group, const char *topic,
				      int32_t partition, int64_t offset);
void ed_kafka_each_committed(struct ed_kafka *k, ed_kafka_committed_fn fn, void *arg);
/* Persist state (producer snapshots) and free. NULL is fine. */
void ed_kafka_free(struct ed_kafka *k);

#endif
